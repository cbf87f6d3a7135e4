/**
 * `deno task bench:socket`: Unix socket benchmarks (issue 5), each against
 * C (or Deno's built-in unix sockets) measured in the same run, as ratios
 * (bandwidth: the best of several alternating runs, see `best` in
 * `_util.ts`; round trips: medians). A parent and a child process.
 *
 * - stream and datagram bandwidth, 4 KiB and 64 KiB: sync `send`/`recv`
 *   >= 0.9x C; beside it, both processes calling libc through bare
 *   `Deno.dlopen` (no library), the most Deno's FFI allows, to tell the
 *   library's cost from Deno's; at 64 KiB the async/stream form >=
 *   `Deno.connect`'s
 * - 64-byte ping-pong through the async form, no slower than Deno's
 *   built-in unix sockets
 * - passing one descriptor and getting an ack, against C
 *
 * Options: `--runs N` (default 15, as the README's figures), `--quick`, `--no-pin` (by default the
 * parent runs on CPU 0 and the child on CPU 1, C and Deno alike).
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
  withCBaseline,
} from "./_util.ts";

const opts = benchOptions(15);
const RUNS = opts.runs;
const scale = opts.quick ? 0.125 : 1;
const peer = `${ROOT}bench/sock_peer.ts`;

/**
 * One Deno measurement: a parent process (on CPU 0 when pinning) that
 * starts its child (on CPU 1), as the C baseline forks; prints a number.
 */
function deno(args: string[]): Promise<number> {
  return runDeno(peer, ["parent", ...args]);
}

async function c(
  cBench: string,
  args: string[],
  idleThreads = 0,
): Promise<number> {
  return Number(await runC(cBench, args, { idleThreads }));
}

const rows: string[][] = [];
/** A row of round trips (medians, ns: lower is better). */
function row(name: string, ours: number, base: number, target: string) {
  rows.push([
    name,
    base.toFixed(0),
    ours.toFixed(0),
    (base / ours).toFixed(3),
    "",
    target,
  ]);
}

/**
 * A row of bandwidth (MB/s), one figure per round on each side: the best of
 * each, their ratio, and the median of the per-round ratios (`paired`).
 */
function bandwidth(
  name: string,
  ours: number[],
  base: number[],
  target: string,
) {
  rows.push([
    name,
    best(base).toFixed(0),
    best(ours).toFixed(0),
    (best(ours) / best(base)).toFixed(3),
    paired(ours, base).toFixed(3),
    target,
  ]);
}

await withCBaseline("sock_bench", async (dir, cBench) => {
  for (const kind of ["stream", "dgram"] as const) {
    for (const block of [4096, 65536]) {
      // Long enough that the timed part is steady state on both sides:
      // in shorter runs the 4 KiB figures still carried the JIT's warm-up.
      const total = Math.round(
        (block === 4096 ? 2048 : 1024) * 2 ** 20 * scale,
      );
      const base: number[] = [],
        sync: number[] = [],
        threaded: number[] = [],
        bare: number[] = [],
        async: number[] = [],
        byob: number[] = [],
        builtin: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        base.push(await c(cBench, [kind, String(block), String(total)]));
        sync.push(
          await deno(["ours", kind, "sync", String(block), String(total)]),
        );
        threaded.push(
          await c(cBench, [kind, String(block), String(total)], 1),
        );
        bare.push(
          await deno(["ours", kind, "bare", String(block), String(total)]),
        );
        if (kind === "stream" && block === 65536) {
          async.push(
            await deno(["ours", kind, "async", String(block), String(total)]),
          );
          builtin.push(
            await deno(["builtin", dir, String(block), String(total)]),
          );
          byob.push(
            await deno(["ours", kind, "byob", String(block), String(total)]),
          );
        }
      }
      const kb = `${block / 1024} KiB`;
      bandwidth(`unix ${kind} ${kb}, sync (MB/s)`, sync, base, ">= 0.9x C");
      bandwidth(
        `unix ${kind} ${kb}, sync, vs C+thread (MB/s)`,
        sync,
        threaded,
        "(report)",
      );
      bandwidth(
        `unix ${kind} ${kb}, bare FFI (MB/s)`,
        bare,
        base,
        `(Deno's ceiling; sync/bare ${paired(sync, bare).toFixed(2)})`,
      );
      if (async.length) {
        bandwidth(
          `unix stream ${kb}, stream form (MB/s)`,
          async,
          builtin,
          ">= Deno.connect",
        );
        bandwidth(
          `unix stream ${kb}, stream form, BYOB reader (MB/s)`,
          byob,
          builtin,
          "(vs Deno.connect)",
        );
        bandwidth(
          `unix stream ${kb}, Deno.connect (MB/s)`,
          builtin,
          base,
          "(vs C)",
        );
      }
    }
  }
  const n = Math.round(20_000 * scale);
  // Untimed rounds first, on both sides and for C too, so the figures are
  // of warm code, not of the JIT (as in bench/run.ts).
  const warm = String(Math.max(2000, n >> 2));
  const cPing: number[] = [],
    oPing: number[] = [],
    dPing: number[] = [],
    cFd: number[] = [],
    oFd: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    cPing.push(await c(cBench, ["pingpong", String(n), warm]));
    oPing.push(await deno(["ping-ours", String(n), warm]));
    dPing.push(await deno(["ping-deno", dir, String(n), warm]));
    cFd.push(await c(cBench, ["fdpass", String(n), warm]));
    oFd.push(await deno(["fd-ours", String(n), warm]));
  }
  row(
    "64-byte ping-pong, async form (ns/rt)",
    median(oPing),
    median(dPing),
    ">= Deno built-in",
  );
  row(
    "64-byte ping-pong, Deno built-in (ns/rt)",
    median(dPing),
    median(cPing),
    "(vs C)",
  );
  row(
    "64-byte ping-pong, async form (ns/rt)",
    median(oPing),
    median(cPing),
    "(vs C)",
  );
  row(
    "pass one fd + ack, async form (ns/rt)",
    median(oFd),
    median(cFd),
    "report",
  );

  printTable(
    ["benchmark", "baseline", "ours", "ratio", "paired", "target"],
    rows,
    [50, 10, 10, 8, 8, 18],
  );
  console.log(
    `ratio > 1 is better for us (MB/s ours/baseline; ns baseline/ours); bandwidth: best of ${RUNS} runs, and "paired", the median of the ${RUNS} per-round ratios (each run against the baseline run next to it); round trips: medians`,
  );
  console.log(
    "C+thread: the same C with one sleeping thread per process, the shape of a Deno process",
  );
});
