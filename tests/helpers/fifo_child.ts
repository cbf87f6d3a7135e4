// A Deno peer for the pipe and FIFO tests, spawned as a separate process.
//   write PATH BYTES SEED   open the FIFO for writing, write BYTES of
//                           deterministic data, print their SHA-256
//   read PATH               open the FIFO for reading, read to end of file,
//                           print "LENGTH SHA-256"
//   readsome PATH           open for reading, read once, then exit
//   peek PATH MS            open for reading without waiting, stay MS ms,
//                           close: a reader that is there for a moment
//   openw PATH              wait to open for writing (openAsync), print
//                           "opened", close
import {
  close,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  open,
  openAsync,
  PipeEnd,
} from "../../mod.ts";

export function pattern(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const words = new Uint32Array(out.buffer, 0, bytes >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return out;
}

export async function sha256(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest(
    "SHA-256",
    data as Uint8Array<ArrayBuffer>,
  );
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

if (import.meta.main) {
  const [mode, path, a, b] = Deno.args;
  if (mode === "write") {
    const data = pattern(Number(a), Number(b));
    using fifo = await PipeEnd.openFifo(path, "w");
    await fifo.writeAll(data);
    console.log(await sha256(data));
  } else if (mode === "read") {
    using fifo = await PipeEnd.openFifo(path, "r");
    const all = new Uint8Array(await new Response(fifo.readable).arrayBuffer());
    console.log(`${all.length} ${await sha256(all)}`);
  } else if (mode === "peek") {
    const fd = open(path, O_RDONLY | O_NONBLOCK);
    await new Promise((r) => setTimeout(r, Number(a)));
    close(fd);
  } else if (mode === "openw") {
    close(await openAsync(path, O_WRONLY, 0o666, { timeout: 20_000 }));
    console.log("opened");
  } else if (mode === "readsome") {
    const fifo = await PipeEnd.openFifo(path, "r");
    await fifo.read(new Uint8Array(16));
    console.log("read some");
    Deno.exit(0);
  }
}
