/**
 * `deno task bench`: the semaphore benchmarks of issue 3, each against a C
 * baseline measured in the same run, reported as ratios (medians of several
 * alternating runs).
 *
 * - uncontended post+wait pair through the thin layer vs C (target <= 1.10x),
 *   with op arrays and with prepared `sembuf` operations
 * - ping-pong between two processes, sync waits, Deno/Deno vs C/C (<= 1.15x)
 * - ping-pong with async waits, Deno/Deno vs C/C (< 1.5x), and the engine's
 *   overhead per wake
 *
 * Ping-pong runs twice: with both processes pinned to one CPU (`taskset`), a
 * wake is a local context switch and the figures are steady; then with the
 * two processes pinned to two different CPUs, where a wake crosses CPUs,
 * which on a virtual machine costs ~20 µs with large jitter, so compare
 * those with care. Each side first runs a quarter as many untimed rounds
 * (at least 2,000; C too), so the figures are of warm code, not of the JIT
 * compiling it.
 *
 * Options: `--runs N` (default 7, as the README's figures), `--quick` (a tenth of the iterations).
 *
 * @module
 */

import {
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_RMID,
  sembuf,
  semctl,
  semget,
  semop,
} from "../mod.ts";
import {
  benchOptions,
  median,
  onCpu,
  printTable,
  ROOT,
  runC,
  withCBaseline,
} from "./_util.ts";

const opts = benchOptions(7);
const RUNS = opts.runs;
const scale = opts.quick ? 0.1 : 1;
const dec = new TextDecoder();

const rows: string[][] = [];
function report(name: string, ours: number[], c: number[], target: string) {
  const o = median(ours), b = median(c);
  rows.push([name, b.toFixed(0), o.toFixed(0), (o / b).toFixed(3), target]);
  return { ours: o, c: b };
}

async function uncontended(cBench: string): Promise<void> {
  const pairs = Math.round(1_000_000 * scale);
  const c: number[] = [],
    arrays: number[] = [],
    prepared: number[] = [],
    bare: number[] = [];
  const post = [{ num: 0, op: 1 }], wait = [{ num: 0, op: -1 }];
  const postBuf = sembuf(post), waitBuf = sembuf(wait);
  // The FFI floor, for reference: the same pair through a bare dlopen.
  const raw = Deno.dlopen("libc.so.6", {
    semop: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  });
  const rawPost = new Uint8Array(new Int16Array([0, 1, 0]).buffer);
  const rawWait = new Uint8Array(new Int16Array([0, -1, 0]).buffer);
  const id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
  // One loop per form, so that each call site sees one kind of argument.
  const timeArrays = () => {
    const t0 = performance.now();
    for (let i = 0; i < pairs; i++) {
      semop(id, post);
      semop(id, wait);
    }
    return (performance.now() - t0) * 1e6 / pairs;
  };
  const timePrepared = () => {
    const t0 = performance.now();
    for (let i = 0; i < pairs; i++) {
      semop(id, postBuf);
      semop(id, waitBuf);
    }
    return (performance.now() - t0) * 1e6 / pairs;
  };
  const timeBare = () => {
    const t0 = performance.now();
    for (let i = 0; i < pairs; i++) {
      raw.symbols.semop(id, rawPost, 1n);
      raw.symbols.semop(id, rawWait, 1n);
    }
    return (performance.now() - t0) * 1e6 / pairs;
  };
  try {
    timeArrays();
    timePrepared();
    timeBare();
    for (let r = 0; r < RUNS; r++) {
      c.push(Number(await runC(cBench, ["pair", String(pairs)])));
      arrays.push(timeArrays());
      prepared.push(timePrepared());
      bare.push(timeBare());
    }
  } finally {
    semctl(id, 0, IPC_RMID);
    raw.close();
  }
  report("uncontended post+wait pair, op arrays", arrays, c, "<= 1.10x");
  report("uncontended post+wait pair, sembuf", prepared, c, "<= 1.10x");
  report("the same pair, bare Deno.dlopen (floor)", bare, c, "(report)");
}

/** Warm-up rounds before the timed ones (both sides, C too): the JIT. */
function warmUp(n: number): number {
  return Math.max(2000, n >> 2);
}

async function pingPong(
  cBench: string,
  kind: "c" | "sync" | "async",
  n: number,
  pinned: boolean,
): Promise<number> {
  const set = semget(IPC_PRIVATE, 3, IPC_CREAT | 0o600);
  try {
    const command = (role: string) => {
      const counts = [String(set), String(n), String(warmUp(n))];
      const argv = kind === "c" ? [cBench, role, ...counts] : [
        Deno.execPath(),
        "run",
        "--allow-ffi",
        `${ROOT}bench/sem_peer.ts`,
        role,
        ...counts,
        kind,
      ];
      // One CPU: both on CPU 0. Two: ping on CPU 0 and pong on CPU 1 (as
      // the other benchmarks pin, unless --no-pin), so the scheduler's
      // placement does not decide the figure.
      const [program, args] = pinned
        ? ["taskset", ["-c", "0", ...argv]]
        : onCpu(role === "ping" ? 0 : 1, argv[0], argv.slice(1));
      return new Deno.Command(program, { args, stdout: "piped" });
    };
    const pong = command("pong").spawn();
    const ping = await command("ping").output();
    await pong.output();
    return Number(dec.decode(ping.stdout));
  } finally {
    semctl(set, 0, IPC_RMID);
  }
}

await withCBaseline("sem_bench", async (_dir, cBench) => {
  await uncontended(cBench);

  const overheads: string[] = [];
  // The two-CPU rows need a second CPU.
  const twoCpus = (navigator.hardwareConcurrency ?? 1) >= 2;
  for (const pinned of twoCpus ? [true, false] : [true]) {
    const where = pinned ? "1 CPU" : "2 CPUs";
    // About half a second of C per run either way (wakes across CPUs are
    // ten times slower on this kind of machine).
    const rounds = Math.round((pinned ? 100_000 : 10_000) * scale);
    const c: number[] = [], sync: number[] = [], async: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      c.push(await pingPong(cBench, "c", rounds, pinned));
      sync.push(await pingPong(cBench, "sync", rounds, pinned));
      async.push(await pingPong(cBench, "async", rounds, pinned));
    }
    report(`ping-pong round trip, sync, ${where}`, sync, c, "<= 1.15x");
    const a = report(
      `ping-pong round trip, async, ${where}`,
      async,
      c,
      "< 1.5x",
    );
    overheads.push(`${where}: ${((a.ours - a.c) / 2 / 1000).toFixed(2)} µs`);
  }

  printTable(["benchmark (ns)", "C", "Deno", "ratio", "target"], rows, [
    44,
    10,
    10,
    8,
    9,
  ]);
  console.log(
    `async overhead per wake over C (two wakes per round trip): ${
      overheads.join(", ")
    }; medians of ${RUNS} runs`,
  );
});
