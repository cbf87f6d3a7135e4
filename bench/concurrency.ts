/**
 * `deno task bench:concurrency`: the async engine under many waits at once
 * (issue 10), each figure against `Deno.listen` measured in the same run.
 * The clients run in another process, one program (`Deno.connect`) for
 * both servers.
 *
 * - Echo server (64-byte rounds with checksums) with N = 1, 12, 100 and
 *   1,000 connections at once: throughput against a `Deno.listen` server
 *   (target >= 1.0x) and against a C server of the same protocol (one
 *   thread, epoll: `bench/c/echo_server.c`, for reference), the server's worst event-loop lateness during the
 *   timed run (target <= 10 ms) with the main thread's CPU time in that
 *   interval (the rest it was descheduled: server and clients share the
 *   machine's CPUs) and the longest the loop held itself up (the most CPU
 *   time the main thread had in one interval of the 1 ms timer, less 1 ms),
 *   its threads (target: the same at 12 and 1,000) and RSS. Then N = 1 and
 *   12 with the server and its clients pinned to one CPU (util-linux's
 *   `taskset`; the rows are left out without it), as in a container given
 *   one: reported, no target.
 * - 1,000 idle connections held for 10 s: the server's CPU time (target
 *   under 1% of a core).
 * - 100 and 1,000 waits on distinct semaphores, posted by another process:
 *   worst lateness (target <= 20 ms), median and p99 post-to-wake.
 *
 * Options: `--runs N` (default 3: each row is the median of N alternating
 * runs, ours then Deno's), `--quick` (fewer rounds).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { median, printTable, ROOT, withCBaseline } from "./_util.ts";

// Not pinned: a server and its clients share the machine as they would.
const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "3" },
    quick: { type: "boolean", default: false },
  },
});
const opts = { runs: Number(values.runs), quick: values.quick };
const peer = `${ROOT}bench/conc_peer.ts`;
const ROUNDS_TOTAL = opts.quick ? 5_000 : 40_000;
const dec = new TextDecoder();
const enc = new TextEncoder();

interface Stats {
  lateMs: number;
  /** The main thread's CPU time in the worst interval (not from C). */
  lateCpuMs?: number;
  /** The longest the event loop held itself up (not from C). */
  heldMs?: number;
  threads: number;
  rssKiB: number;
  cpuMs: number;
}

/** A running echo server and its control connection. */
class Server {
  #child: Deno.ChildProcess;
  #ctl: Deno.UnixConn | undefined;
  #buf = "";
  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
  }

  static async start(
    kind: string,
    path: string,
    extra: string[] = [],
    oneCpu = false,
  ): Promise<Server> {
    // "c": the C baseline, the same protocol (bench/c/echo_server.c).
    const child = command(
      kind === "c" ? cServer! : Deno.execPath(),
      kind === "c"
        ? [path]
        : ["run", "-A", peer, "server", kind, path, ...extra],
      oneCpu,
    ).spawn();
    const s = new Server(child);
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    if (!dec.decode(value).includes("ready")) throw new Error("No server");
    reader.releaseLock();
    void child.stdout.cancel();
    s.#ctl = await Deno.connect({ transport: "unix", path });
    await s.#ctl.write(enc.encode("C"));
    return s;
  }

  async ask(command: string): Promise<string> {
    await this.#ctl!.write(enc.encode(command + "\n"));
    const b = new Uint8Array(4096);
    while (!this.#buf.includes("\n")) {
      const n = await this.#ctl!.read(b);
      if (n === null) throw new Error("The server went away");
      this.#buf += dec.decode(b.subarray(0, n));
    }
    const line = this.#buf.slice(0, this.#buf.indexOf("\n"));
    this.#buf = this.#buf.slice(line.length + 1);
    return line;
  }

  async stats(): Promise<Stats> {
    return JSON.parse(await this.ask("stats"));
  }

  async stop(): Promise<void> {
    this.#ctl?.close();
    this.#child.kill("SIGKILL");
    await this.#child.status;
  }
}

/**
 * A command, run on the first CPU only (through util-linux's `taskset`) if
 * `oneCpu`: a process sees one CPU then, as on a machine of one.
 */
function command(
  program: string,
  args: string[],
  oneCpu: boolean,
): Deno.Command {
  return oneCpu
    ? new Deno.Command("taskset", {
      args: ["-c", "0", program, ...args],
      stdout: "piped",
    })
    : new Deno.Command(program, { args, stdout: "piped" });
}

async function client(args: string[], oneCpu = false): Promise<string> {
  const out = await command(
    Deno.execPath(),
    ["run", "-A", peer, ...args],
    oneCpu,
  )
    .output();
  if (!out.success) {
    throw new Error(`Client failed: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout).trim();
}

/** One echo run: rounds per second, and the server's stats during it. */
async function echo(
  kind: string,
  n: number,
  oneCpu = false,
): Promise<{ rate: number; stats: Stats }> {
  const path = await Deno.makeTempFile({ prefix: "linux-ipc-bench-" });
  await Deno.remove(path);
  const server = await Server.start(kind, path, [], oneCpu);
  try {
    const rounds = Math.max(20, Math.ceil(ROUNDS_TOTAL / n));
    // Steady state, for every server alike: two warm-ups as long as the
    // timed run. After one, the JIT is still at work: the first
    // connections to close after the hot path was compiled take branches
    // it had never seen, which throws that code away, and the timed run
    // then paid for compiling it again (measured with 12 clients: about
    // 60 ms of compiling on another thread, 12% of the server's CPU time,
    // none after a second warm-up).
    for (let w = 0; w < 2; w++) {
      await client(["clients", path, String(n), String(rounds)], oneCpu);
    }
    await server.ask("reset");
    const ms = Number(
      await client(["clients", path, String(n), String(rounds)], oneCpu),
    );
    const stats = await server.stats();
    return { rate: (n * rounds) / (ms / 1000), stats };
  } finally {
    await server.stop();
    await Deno.remove(path).catch(() => {});
  }
}

/** The server's CPU time while `n` connections sit idle for `ms`. */
async function idleCpu(kind: string, n: number, ms: number): Promise<number> {
  const path = await Deno.makeTempFile({ prefix: "linux-ipc-bench-" });
  await Deno.remove(path);
  const server = await Server.start(kind, path, ["quiet"]);
  try {
    const holder = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", peer, "idle", path, String(n), String(ms + 2000)],
      stdout: "piped",
    }).spawn();
    const reader = holder.stdout.getReader();
    await reader.read(); // "connected"
    reader.releaseLock();
    await new Promise((r) => setTimeout(r, 1000));
    const before = (await server.stats()).cpuMs;
    await new Promise((r) => setTimeout(r, ms));
    const after = (await server.stats()).cpuMs;
    await holder.status;
    return (after - before) / ms * 100;
  } finally {
    await server.stop();
    await Deno.remove(path).catch(() => {});
  }
}

const rows: string[][] = [];
/** The compiled C baseline, once built. */
let cServer: string | undefined;
const f = (x: number, d = 0) => x.toFixed(d);

/** Whether util-linux's `taskset` can pin a process here. */
const canPin = await new Deno.Command("taskset", { args: ["-c", "0", "true"] })
  .output().then((o) => o.success, () => false);
// The four N on the machine as it is; then 1 and 12 with the server and
// its clients sharing one CPU, as in a container given one (reported).
const cases: [number, boolean][] = [
  [1, false],
  [12, false],
  [100, false],
  [1000, false],
  ...(canPin ? [[1, true], [12, true]] as [number, boolean][] : []),
];

await withCBaseline("echo_server", async (_dir, binary) => {
  cServer = binary;
  for (const [n, oneCpu] of cases) {
    const ours: { rate: number; stats: Stats }[] = [];
    const base: { rate: number; stats: Stats }[] = [];
    const c: { rate: number; stats: Stats }[] = [];
    for (let r = 0; r < opts.runs; r++) {
      // Ours and Deno's next to each other, which goes first alternating
      // (a run's place in the round should not favour a side).
      if (r % 2 === 0) {
        ours.push(await echo("ours", n, oneCpu));
        base.push(await echo("deno", n, oneCpu));
      } else {
        base.push(await echo("deno", n, oneCpu));
        ours.push(await echo("ours", n, oneCpu));
      }
      c.push(await echo("c", n, oneCpu));
    }
    const ro = median(ours.map((x) => x.rate));
    const rb = median(base.map((x) => x.rate));
    const rc = median(c.map((x) => x.rate));
    // Paired: the median of each round's ratio, its two runs made one
    // after the other, so both mostly meet the same spell of the machine.
    const paired = median(ours.map((x, r) => x.rate / base[r].rate));
    // The worst lateness of the runs, with the main thread's CPU time in
    // that interval; and the longest hold of any run.
    const worst = (xs: typeof ours) => {
      const w = xs.reduce((a, b) => b.stats.lateMs > a.stats.lateMs ? b : a);
      return `${f(w.stats.lateMs, 1)} (${f(w.stats.lateCpuMs ?? 0, 1)})`;
    };
    const held = (xs: typeof ours) =>
      f(Math.max(...xs.map((x) => x.stats.heldMs ?? 0)), 1);
    rows.push([
      `echo N=${n}${oneCpu ? ", 1 CPU" : ""}`,
      f(rc),
      f(rb),
      f(ro),
      (ro / rb).toFixed(2),
      paired.toFixed(2),
      (ro / rc).toFixed(2),
      `${worst(base)} / ${worst(ours)}`,
      `${held(base)} / ${held(ours)}`,
      `${c[0].stats.threads} / ${base[0].stats.threads} / ${
        ours[0].stats.threads
      }`,
      `${f(c[0].stats.rssKiB / 1024)} / ${f(base[0].stats.rssKiB / 1024)} / ${
        f(ours[0].stats.rssKiB / 1024)
      }`,
    ]);
  }
});

console.log(
  "Echo servers (rounds/s; lateness in ms, the main thread's CPU time in that interval in brackets, and the longest the loop held itself up: Deno.listen / ours; threads and RSS in MiB: C / Deno.listen / ours)",
);
printTable(
  [
    "row",
    "C",
    "Deno.listen",
    "ours",
    "vs Deno",
    "paired",
    "vs C",
    "late ms (on CPU)",
    "held ms",
    "threads",
    "RSS MiB",
  ],
  rows,
  [18, 10, 12, 10, 8, 7, 6, 24, 12, 10, 14],
);

const idleMs = opts.quick ? 3000 : 10_000;
const cpuBase = await idleCpu("deno", 1000, idleMs);
const cpuOurs = await idleCpu("ours", 1000, idleMs);
console.log(
  `\n1,000 idle connections for ${idleMs / 1000} s: server CPU ${
    cpuBase.toFixed(2)
  }% (Deno.listen) / ${cpuOurs.toFixed(2)}% (ours) of a core (target < 1%)`,
);

console.log("\nWaits on distinct semaphores, posted by another process");
const semRows: string[][] = [];
for (const n of [100, 1000]) {
  const r = JSON.parse(await client(["semwait", String(n)]));
  semRows.push([
    `N=${n}`,
    `${f(r.lateMs, 1)} (${f(r.lateCpuMs, 1)})`,
    f(r.heldMs, 1),
    f(r.medianUs),
    f(r.p99Us),
    String(r.threads),
  ]);
}
printTable(
  ["waits", "late ms (on CPU)", "held ms", "median µs", "p99 µs", "threads"],
  semRows,
  [8, 16, 8, 10, 10, 8],
);
