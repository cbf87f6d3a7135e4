/**
 * `deno task bench:socket`: Unix socket benchmarks (issue 5), each against
 * C (or Deno's built-in unix sockets) measured in the same run, as ratios
 * (bandwidth: the best of several alternating runs, see `best` in
 * `_util.ts`; round trips: medians). A parent and a child process.
 *
 * - stream and datagram bandwidth, 4 KiB and 64 KiB: sync `send`/`recv`
 *   >= 0.9x C; at 64 KiB the async/stream form >= `Deno.connect`'s
 * - 64-byte ping-pong through the async form, no slower than Deno's
 *   built-in unix sockets
 * - passing one descriptor and getting an ack, against C
 *
 * Options: `--runs N` (default 5), `--quick`, `--no-pin` (by default the
 * parent runs on CPU 0 and the child on CPU 1, C and Deno alike).
 *
 * @module
 */

import {
  benchOptions,
  best,
  median,
  printTable,
  ROOT,
  runC,
  runDeno,
  withCBaseline,
} from "./_util.ts";

const opts = benchOptions();
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

async function c(cBench: string, args: string[]): Promise<number> {
  return Number(await runC(cBench, args));
}

const rows: string[][] = [];
function row(
  name: string,
  ours: number,
  base: number,
  target: string,
  higherIsBetter = true,
) {
  const ratio = higherIsBetter ? ours / base : base / ours;
  rows.push([name, base.toFixed(0), ours.toFixed(0), ratio.toFixed(3), target]);
}

await withCBaseline("sock_bench", async (dir, cBench) => {
  for (const kind of ["stream", "dgram"] as const) {
    for (const block of [4096, 65536]) {
      const total = Math.round(512 * 2 ** 20 * scale);
      const base: number[] = [],
        sync: number[] = [],
        async: number[] = [],
        builtin: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        base.push(await c(cBench, [kind, String(block), String(total)]));
        sync.push(
          await deno(["ours", kind, "sync", String(block), String(total)]),
        );
        if (kind === "stream" && block === 65536) {
          async.push(
            await deno(["ours", kind, "async", String(block), String(total)]),
          );
          builtin.push(
            await deno(["builtin", dir, String(block), String(total)]),
          );
        }
      }
      const kb = `${block / 1024} KiB`;
      row(
        `unix ${kind} ${kb}, sync (MB/s)`,
        best(sync),
        best(base),
        ">= 0.9x C",
      );
      if (async.length) {
        row(
          `unix stream ${kb}, stream form (MB/s)`,
          best(async),
          best(builtin),
          ">= Deno.connect",
        );
        row(
          `unix stream ${kb}, Deno.connect (MB/s)`,
          best(builtin),
          best(base),
          "(vs C)",
        );
      }
    }
  }
  const n = Math.round(20_000 * scale);
  const cPing: number[] = [],
    oPing: number[] = [],
    dPing: number[] = [],
    cFd: number[] = [],
    oFd: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    cPing.push(await c(cBench, ["pingpong", String(n)]));
    oPing.push(await deno(["ping-ours", String(n)]));
    dPing.push(await deno(["ping-deno", dir, String(n)]));
    cFd.push(await c(cBench, ["fdpass", String(n)]));
    oFd.push(await deno(["fd-ours", String(n)]));
  }
  row(
    "64-byte ping-pong, async form (ns/rt)",
    median(oPing),
    median(dPing),
    ">= Deno built-in",
    false,
  );
  row(
    "64-byte ping-pong, Deno built-in (ns/rt)",
    median(dPing),
    median(cPing),
    "(vs C)",
    false,
  );
  row(
    "64-byte ping-pong, async form (ns/rt)",
    median(oPing),
    median(cPing),
    "(vs C)",
    false,
  );
  row(
    "pass one fd + ack, async form (ns/rt)",
    median(oFd),
    median(cFd),
    "report",
    false,
  );

  printTable(["benchmark", "baseline", "ours", "ratio", "target"], rows, [
    42,
    10,
    10,
    8,
    16,
  ]);
  console.log(
    `ratio > 1 is better for us (MB/s ours/baseline; ns baseline/ours); bandwidth: best of ${RUNS} runs, round trips: medians`,
  );
});
