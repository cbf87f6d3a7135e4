/**
 * `deno task bench:io`: pipe and FIFO bandwidth and mapped-memory copies
 * (issue 4), each against C measured in the same run, as ratios (the best
 * of several alternating runs: see `best` in `_util.ts`). Bandwidth is
 * measured at the reader, from the moment the first eighth of the data has
 * arrived to end of file, so start-up and warm-up are left out on both
 * sides. On each side a reading process starts
 * its writer: C forks, Deno spawns (`io_peer.ts`).
 *
 * - pipe and FIFO, parent and child, 4 KiB and 64 KiB blocks: sync form
 *   (`read`/`write`) >= 0.9x C; stream form (`PipeEnd.readable`/`writable`)
 *   >= 0.8x C at 64 KiB and faster than `Deno.Command` piped stdio
 * - writing and reading a 64 MiB mapping through the library's views
 *   within 1.1x of C `memcpy`
 *
 * Options: `--runs N` (default 15, as the README's figures), `--quick` (an eighth of the data),
 * `--no-pin` (by default the reader runs on CPU 0 and the writer on CPU 1,
 * C and Deno alike).
 *
 * @module
 */

import {
  benchOptions,
  best,
  median,
  paired,
  printTable,
  ROOT,
  runC,
  runDeno,
  runDenoText,
  withCBaseline,
} from "./_util.ts";

const opts = benchOptions(15);
const RUNS = opts.runs;
const peer = `${ROOT}bench/io_peer.ts`;

/**
 * One Deno measurement: a reader process (on CPU 0 when pinning) that
 * starts its writer (on CPU 1), as the C baseline does.
 */
async function deno(
  style: "sync" | "stream" | "command",
  kind: "pipe" | "fifo",
  block: number,
  total: number,
  dir: string,
): Promise<number> {
  const args = ["reader", style, kind, String(block), String(total)];
  if (kind === "fifo") args.push(`${dir}/fifo`);
  return await runDeno(peer, args);
}

const rows: string[][] = [];
/**
 * A table row from one figure per round on each side: the statistic of
 * each (the best between two processes, the median for copies in one), their
 * ratio, and the median of the per-round ratios (`paired`), also against
 * C+thread when given.
 */
function row(
  name: string,
  ours: number[],
  base: number[],
  target: string,
  { threaded, statistic = best }: {
    threaded?: number[];
    statistic?: (xs: number[]) => number;
  } = {},
): void {
  const o = statistic(ours), b = statistic(base);
  rows.push([
    name,
    b.toFixed(0),
    threaded === undefined ? "" : statistic(threaded).toFixed(0),
    o.toFixed(0),
    (o / b).toFixed(3),
    paired(ours, base).toFixed(3),
    threaded === undefined ? "" : paired(ours, threaded).toFixed(3),
    target,
  ]);
}

await withCBaseline("io_bench", async (dir, cBench) => {
  for (const kind of ["pipe", "fifo"] as const) {
    for (const block of [4096, 65536]) {
      // 1 GiB, so the timed part is steady state on both sides: with
      // 256 MiB at 4 KiB, the Deno figures still carried the JIT's warm-up.
      const total = 1024 * 2 ** 20 / (opts.quick ? 8 : 1);
      const base: number[] = [],
        threaded: number[] = [],
        sync: number[] = [],
        stream: number[] = [],
        cmd: number[] = [];
      const cArgs = kind === "pipe"
        ? ["pipe", String(block), String(total)]
        : ["fifo", `${dir}/cfifo`, String(block), String(total)];
      for (let r = 0; r < RUNS; r++) {
        // Each sync run right after its C run, so that `paired` compares
        // runs that mostly met the same spell of the host.
        base.push(Number(await runC(cBench, cArgs)));
        sync.push(await deno("sync", kind, block, total, dir));
        threaded.push(
          Number(await runC(cBench, cArgs, { idleThreads: 1 })),
        );
        stream.push(await deno("stream", kind, block, total, dir));
        if (kind === "pipe") {
          cmd.push(await deno("command", kind, block, total, dir));
        }
      }
      const kb = `${block / 1024} KiB`;
      row(
        `${kind} ${kb}, sync read/write`,
        sync,
        base,
        ">= 0.9x",
        { threaded },
      );
      row(
        `${kind} ${kb}, streams`,
        stream,
        base,
        block === 65536 ? ">= 0.8x" : "report",
      );
      if (kind === "pipe") {
        row(
          `${kind} ${kb}, Deno.Command piped stdio`,
          cmd,
          base,
          "< streams",
        );
      }
    }
  }

  // One process copying memory, C and Deno each in a fresh process: each
  // run is the median of ROUNDS copies each way on one mapping; the table
  // shows the median run of each side and the median of the per-run ratios.
  const mib = 64, ROUNDS = 5;
  const cw: number[] = [],
    cr: number[] = [],
    dw: number[] = [],
    dr: number[] = [];
  const copyArgs = [String(mib), String(ROUNDS)];
  for (let r = 0; r < RUNS; r++) {
    const [w, rd] = (await runC(cBench, ["memcpy", ...copyArgs])).split(" ")
      .map(Number);
    cw.push(w);
    cr.push(rd);
    const [ow, or] = (await runDenoText(peer, ["memcpy", ...copyArgs]))
      .split(" ").map(Number);
    dw.push(ow);
    dr.push(or);
  }
  const copies = { statistic: median };
  row("64 MiB mapping, write through the view", dw, cw, ">= 0.91x", copies);
  row("64 MiB mapping, read through the view", dr, cr, ">= 0.91x", copies);

  printTable(
    [
      "benchmark (MB/s)",
      "C",
      "C+thread",
      "Deno",
      "best/best",
      "paired",
      "vs C+thr",
      "target",
    ],
    rows,
    [40, 8, 9, 8, 10, 7, 9, 10],
  );
  console.log(
    `pipes and FIFOs: best of ${RUNS} alternating runs, and "paired", the median of the ${RUNS} per-round ratios (Deno against the C run just before it);`,
  );
  console.log(
    `mappings: medians of ${RUNS} runs (each the median of ${ROUNDS} copies), "best/best" is then median/median; "within 1.1x of C" time is a ratio >= 0.91 in MB/s`,
  );
  console.log(
    "C+thread: the same C with one sleeping thread per process, the shape of a Deno process",
  );
  console.log(
    opts.pin
      ? "reader on CPU 0, writer on CPU 1 (--no-pin to let the scheduler place them)"
      : "not pinned: the scheduler placed the processes",
  );
});
