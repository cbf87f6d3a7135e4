/**
 * `deno task bench:io`: pipe and FIFO bandwidth and mapped-memory copies
 * (issue 4), each against C measured in the same run, as ratios (medians
 * of several alternating runs). Bandwidth is measured at the reader, from
 * the first byte to end of file, so process start-up is left out on both
 * sides.
 *
 * - pipe and FIFO, parent and child, 4 KiB and 64 KiB blocks: sync form
 *   (`read`/`write`) >= 0.9x C; stream form (`PipeEnd.readable`/`writable`)
 *   >= 0.8x C at 64 KiB and faster than `Deno.Command` piped stdio
 * - writing and reading a 64 MiB mapping through the library's views
 *   within 1.1x of C `memcpy`
 *
 * Options: `--runs N` (default 5), `--quick` (an eighth of the data).
 *
 * @module
 */

import {
  close,
  Mapping,
  mkfifo,
  O_RDONLY,
  open,
  pipe,
  PipeEnd,
  read,
  spawnWithFds,
} from "../mod.ts";
import {
  benchOptions,
  drainStream,
  median,
  printTable,
  ROOT,
  runC,
  withCBaseline,
} from "./_util.ts";

const opts = benchOptions();
const RUNS = opts.runs;
const peer = `${ROOT}bench/io_peer.ts`;
const MB = 1e6;

/** Reads to end of file with sync `read`, timing from the first byte. */
function readSync(fd: number, block: number): number {
  const buf = new Uint8Array(block);
  let got = 0, t0 = 0;
  for (;;) {
    const n = read(fd, buf);
    if (n === 0) break;
    if (got === 0) t0 = performance.now();
    got += n;
  }
  return got / ((performance.now() - t0) / 1000) / MB;
}

async function deno(
  style: "sync" | "stream",
  kind: "pipe" | "fifo",
  block: number,
  total: number,
  dir: string,
): Promise<number> {
  const args = [
    "run",
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    peer,
    style,
    String(block),
    String(total),
  ];
  if (kind === "pipe") {
    const [r, w] = pipe();
    const child = spawnWithFds(Deno.execPath(), { args, fds: { 3: w } });
    close(w);
    const mbs = style === "sync"
      ? readSync(r, block)
      : await drainStream(PipeEnd.fromFd(r).readable);
    if (style === "sync") close(r);
    await child.status;
    return mbs;
  }
  const path = `${dir}/fifo`;
  mkfifo(path, 0o600);
  try {
    const child = spawnWithFds(Deno.execPath(), { args: [...args, path] });
    let mbs: number;
    if (style === "sync") {
      const r = open(path, O_RDONLY);
      mbs = readSync(r, block);
      close(r);
    } else {
      mbs = await drainStream((await PipeEnd.openFifo(path, "r")).readable);
    }
    await child.status;
    return mbs;
  } finally {
    await Deno.remove(path);
  }
}

async function denoCommand(block: number, total: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", peer, "stdout", String(block), String(total)],
    stdout: "piped",
  }).spawn();
  const mbs = await drainStream(child.stdout);
  await child.status;
  return mbs;
}

const rows: string[][] = [];
function row(name: string, ours: number, base: number, target: string): void {
  rows.push([
    name,
    base.toFixed(0),
    ours.toFixed(0),
    (ours / base).toFixed(3),
    target,
  ]);
}

await withCBaseline("io_bench", async (dir, cBench) => {
  for (const kind of ["pipe", "fifo"] as const) {
    for (const block of [4096, 65536]) {
      const total = (block === 4096 ? 256 : 512) * 2 ** 20 /
        (opts.quick ? 8 : 1);
      const base: number[] = [],
        sync: number[] = [],
        stream: number[] = [],
        cmd: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        base.push(
          Number(
            await runC(
              cBench,
              kind === "pipe"
                ? ["pipe", String(block), String(total)]
                : ["fifo", `${dir}/cfifo`, String(block), String(total)],
            ),
          ),
        );
        sync.push(await deno("sync", kind, block, total, dir));
        stream.push(await deno("stream", kind, block, total, dir));
        if (kind === "pipe") cmd.push(await denoCommand(block, total));
      }
      const kb = `${block / 1024} KiB`;
      row(
        `${kind} ${kb}, sync read/write`,
        median(sync),
        median(base),
        ">= 0.9x",
      );
      row(
        `${kind} ${kb}, streams`,
        median(stream),
        median(base),
        block === 65536 ? ">= 0.8x" : "report",
      );
      if (kind === "pipe") {
        row(
          `${kind} ${kb}, Deno.Command piped stdio`,
          median(cmd),
          median(base),
          "< streams",
        );
      }
    }
  }

  const mib = 64;
  const cw: number[] = [],
    cr: number[] = [],
    dw: number[] = [],
    dr: number[] = [];
  const size = mib << 20;
  const src = new Uint8Array(size).fill(1), dst = new Uint8Array(size).fill(2);
  for (let r = 0; r < RUNS; r++) {
    const [w, rd] = (await runC(cBench, ["memcpy", String(mib)])).split(" ")
      .map(
        Number,
      );
    cw.push(w);
    cr.push(rd);
    using map = Mapping.anonymous(size);
    const view = map.memory.bytes;
    view.fill(0); // touch the pages first, as C does
    const t0 = performance.now();
    view.set(src);
    const t1 = performance.now();
    dst.set(view);
    const t2 = performance.now();
    dw.push(size / ((t1 - t0) / 1000) / MB);
    dr.push(size / ((t2 - t1) / 1000) / MB);
  }
  row(
    "64 MiB mapping, write through the view",
    median(dw),
    median(cw),
    ">= 0.91x",
  );
  row(
    "64 MiB mapping, read through the view",
    median(dr),
    median(cr),
    ">= 0.91x",
  );

  printTable(["benchmark (MB/s)", "C", "Deno", "ratio", "target"], rows, [
    40,
    10,
    10,
    8,
    10,
  ]);
  console.log(
    `medians of ${RUNS} runs; "within 1.1x of C" time is a ratio >= 0.91 in MB/s`,
  );
});
