// The writing side of the pipe and FIFO benchmarks, spawned by bench/io.ts:
//   sync BLOCK TOTAL [PATH]     write() on fd 3 (or the FIFO at PATH)
//   stream BLOCK TOTAL [PATH]   PipeEnd.writable on fd 3 (or the FIFO)
//   stdout BLOCK TOTAL          Deno.stdout.writable (for Deno.Command piped)
import { O_WRONLY, open, PipeEnd, write } from "../mod.ts";

const [style, blockText, totalText, path] = Deno.args;
const block = new Uint8Array(Number(blockText)).fill(120);
const total = Number(totalText);

if (style === "sync") {
  const fd = path ? open(path, O_WRONLY) : 3;
  for (let sent = 0; sent < total;) sent += write(fd, block);
} else if (style === "stream") {
  const end = path ? await PipeEnd.openFifo(path, "w") : PipeEnd.fromFd(3);
  const writer = end.writable.getWriter();
  for (let sent = 0; sent < total; sent += block.length) {
    await writer.write(block);
  }
  await writer.close();
} else {
  const writer = Deno.stdout.writable.getWriter();
  for (let sent = 0; sent < total; sent += block.length) {
    await writer.write(block);
  }
  await writer.close();
}
