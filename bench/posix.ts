/**
 * `deno task bench:posix`: POSIX semaphores, eventfd and flock (issue 13),
 * against C measured in the same run with the same protocol
 * (`bench/c/posix_bench.c`, `bench/posix_peer.ts`).
 *
 * - POSIX semaphore post + wait, uncontended: against C and against a bare
 *   `Deno.dlopen` of the two calls (the cost of FFI alone)
 * - two-process ping-pong through two unnamed POSIX semaphores in shared
 *   memory, and through two eventfds: the sync form <= 1.15x C's time; the
 *   async form reported
 * - `flock` acquire + release pair
 *
 * Options: `--runs N` (default 7), `--quick`, `--no-pin`.
 *
 * @module
 */

import {
  benchOptions,
  median,
  printTable,
  ROOT,
  runC,
  runDeno,
  withCBaseline,
} from "./_util.ts";

const opts = benchOptions(7);
const RUNS = opts.runs;
const scale = opts.quick ? 0.1 : 1;
const peer = `${ROOT}bench/posix_peer.ts`;
const rows: string[][] = [];

await withCBaseline("posix_bench", async (_dir, cBench) => {
  const pairs = String(Math.round(2_000_000 * scale));
  const trips = String(Math.round(50_000 * scale));
  const warm = String(Math.round(5_000 * scale));
  const m: Record<string, number[]> = {};
  const add = (k: string, v: number) => (m[k] ??= []).push(v);
  for (let r = 0; r < RUNS; r++) {
    add("c-sem", Number(await runC(cBench, ["sem-uncontended", pairs])));
    add("sem", await runDeno(peer, ["sem-uncontended", pairs]));
    add("bare", await runDeno(peer, ["sem-bare", pairs]));
    add("c-flock", Number(await runC(cBench, ["flock-pair", pairs])));
    add("flock", await runDeno(peer, ["flock-pair", pairs]));
    for (const kind of ["sem", "eventfd"]) {
      add(
        `c-${kind}-pp`,
        Number(
          await runC(cBench, [`${kind}-pingpong`, trips, warm], {
            idleThreads: 1,
          }),
        ),
      );
      add(
        `${kind}-pp`,
        await runDeno(peer, [`${kind}-pingpong`, trips, warm, "sync"]),
      );
      add(
        `${kind}-pp-async`,
        await runDeno(peer, [`${kind}-pingpong`, trips, warm, "async"]),
      );
    }
    add(
      "sem-pp-bare",
      await runDeno(peer, ["sem-pingpong", trips, warm, "bare"]),
    );
  }
  /** ns: a ratio ours/C of the medians (lower is better), and per-round. */
  const row = (label: string, base: string, ours: string, target: string) => {
    const b = median(m[base]), o = median(m[ours]);
    const perRound = median(m[ours].map((x, i) => x / m[base][i]));
    rows.push([
      label,
      b.toFixed(1),
      o.toFixed(1),
      (o / b).toFixed(3),
      perRound.toFixed(3),
      target,
    ]);
  };
  row("sem post+wait, uncontended (ns/pair)", "c-sem", "sem", "(report)");
  row("  the same, vs bare Deno FFI (ns/pair)", "bare", "sem", "(report)");
  row(
    "sem ping-pong, sync (ns/round trip)",
    "c-sem-pp",
    "sem-pp",
    "<= 1.15x C",
  );
  row(
    "  bare Deno FFI, vs C (ns/round trip)",
    "c-sem-pp",
    "sem-pp-bare",
    "(Deno's ceiling)",
  );
  row(
    "  sync, vs bare Deno FFI (ns/round trip)",
    "sem-pp-bare",
    "sem-pp",
    "(report)",
  );
  row(
    "sem ping-pong, async (ns/round trip)",
    "c-sem-pp",
    "sem-pp-async",
    "(report)",
  );
  row(
    "eventfd ping-pong, sync (ns/round trip)",
    "c-eventfd-pp",
    "eventfd-pp",
    "<= 1.15x C",
  );
  row(
    "eventfd ping-pong, async (ns/round trip)",
    "c-eventfd-pp",
    "eventfd-pp-async",
    "(report)",
  );
  row("flock LOCK_EX + LOCK_UN (ns/pair)", "c-flock", "flock", "(report)");
});

printTable(
  ["row", "baseline", "ours", "ours/base", "per-round", "target"],
  rows,
  [42, 10, 10, 10, 10, 12],
);
console.log(
  "times in ns: ours/base <= 1 is as fast as the baseline or faster; medians of the runs, and the median of per-round ratios (each run against the baseline run next to it)",
);
console.log(
  "ping-pong baselines: C with one sleeping thread per process, the shape of a Deno process",
);
