// The processes of the pipe and FIFO benchmarks. bench/io.ts starts a
// reader, which starts its writer as C's io_bench does with fork:
//   reader sync|stream|command pipe|fifo BLOCK TOTAL [PATH]
//                               makes the pipe (or the FIFO at PATH), starts
//                               the writer (on the CPU in BENCH_CHILD_CPU, if
//                               set), reads to end of file and prints MB/s
//                               from the first eighth of the data (a warm-up,
//                               as C's io_bench) to the end
//   sync BLOCK TOTAL [PATH]     write() on fd 3 (or the FIFO at PATH)
//   stream BLOCK TOTAL [PATH]   PipeEnd.writable on fd 3 (or the FIFO)
//   stdout BLOCK TOTAL          Deno.stdout.writable (for Deno.Command piped)
//   memcpy MIB ROUNDS           copy MIB MiB into and out of a shared anonymous
//                               Mapping through its view (pages touched
//                               first), ROUNDS times; prints the median MB/s
//                               of the writes and of the reads, as C's io_bench
import {
  close,
  Mapping,
  mkfifo,
  O_RDONLY,
  O_WRONLY,
  open,
  pipe,
  PipeEnd,
  read,
  spawnWithFds,
  write,
} from "../mod.ts";
import { childCommand, drainStream, median } from "./_util.ts";

const [role, ...rest] = Deno.args;

/** Reads to end of file with sync `read`; MB/s after the first `skip` bytes. */
function readSync(fd: number, block: number, skip: number): number {
  const buf = new Uint8Array(block);
  let got = 0, from = -1, t0 = 0;
  for (;;) {
    const n = read(fd, buf);
    if (n === 0) break;
    got += n;
    if (from < 0 && got >= skip) {
      t0 = performance.now();
      from = got;
    }
  }
  return (got - from) / ((performance.now() - t0) / 1000) / 1e6;
}

/** The writer's command line, on the child's CPU when one is set. */
function writer(args: string[]): [string, string[]] {
  return childCommand([
    "run",
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    import.meta.filename!,
    ...args,
  ]);
}

async function reader(
  style: string,
  kind: string,
  block: number,
  total: number,
  path?: string,
): Promise<number> {
  const sizes = [String(block), String(total)];
  if (style === "command") {
    const [cmd, args] = writer(["stdout", ...sizes]);
    const child = new Deno.Command(cmd, { args, stdout: "piped" }).spawn();
    const mbs = await drainStream(child.stdout, total / 8);
    await child.status;
    return mbs;
  }
  if (kind === "pipe") {
    const [r, w] = pipe();
    const [cmd, args] = writer([style, ...sizes]);
    const child = spawnWithFds(cmd, { args, fds: { 3: w } });
    close(w);
    const mbs = style === "sync"
      ? readSync(r, block, total / 8)
      : await drainStream(PipeEnd.fromFd(r).readable, total / 8);
    if (style === "sync") close(r);
    await child.status;
    return mbs;
  }
  mkfifo(path!, 0o600);
  try {
    const [cmd, args] = writer([style, ...sizes, path!]);
    const child = spawnWithFds(cmd, { args });
    let mbs: number;
    if (style === "sync") {
      const r = open(path!, O_RDONLY);
      mbs = readSync(r, block, total / 8);
      close(r);
    } else {
      mbs = await drainStream(
        (await PipeEnd.openFifo(path!, "r")).readable,
        total / 8,
      );
    }
    await child.status;
    return mbs;
  } finally {
    await Deno.remove(path!);
  }
}

/** The memcpy mode: median MB/s of the writes and of the reads. */
function copies(mib: number, rounds: number): [number, number] {
  const size = mib * 2 ** 20;
  const src = new Uint8Array(size).fill(1), dst = new Uint8Array(size).fill(2);
  using map = Mapping.anonymous(size);
  const view = map.memory.bytes;
  view.fill(0); // touch the pages first, as C does
  const ws: number[] = [], rs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    view.set(src);
    const t1 = performance.now();
    dst.set(view);
    const t2 = performance.now();
    ws.push(size / ((t1 - t0) / 1000) / 1e6);
    rs.push(size / ((t2 - t1) / 1000) / 1e6);
  }
  if (dst[size - 1] !== 1) throw new Error("The copy did not arrive");
  return [median(ws), median(rs)];
}

if (role === "memcpy") {
  const [w, r] = copies(Number(rest[0]), Number(rest[1]));
  console.log(`${w.toFixed(1)} ${r.toFixed(1)}`);
} else if (role === "reader") {
  const [style, kind, block, total, path] = rest;
  console.log(
    (await reader(style, kind, Number(block), Number(total), path)).toFixed(1),
  );
} else {
  const [blockText, totalText, path] = rest;
  const block = new Uint8Array(Number(blockText)).fill(120);
  const total = Number(totalText);
  if (role === "sync") {
    const fd = path ? open(path, O_WRONLY) : 3;
    for (let sent = 0; sent < total;) sent += write(fd, block);
  } else if (role === "stream") {
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
}
