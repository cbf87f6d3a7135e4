/**
 * Shared by the benchmark drivers (`run.ts`, `io.ts`, `socket.ts`): their
 * options, compiling and running the C baseline, medians, reading a stream
 * to its end, and the result table.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The repository root, ending in a slash. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

const dec = new TextDecoder();

let pinning = false;

/**
 * `--runs N` (default `defaultRuns`), `--quick` (a short run) and `--no-pin` (let the
 * scheduler place the two processes of a transfer; by default, on a machine
 * with two CPUs or more, the reading side runs on CPU 0 and the writing side
 * on CPU 1, for C and Deno alike, since whether the scheduler happens to put
 * both on one CPU otherwise decides the figure more than the code does).
 *
 * @param defaultRuns the driver's run count, the one its README figures use
 */
export function benchOptions(
  defaultRuns: number,
): { runs: number; quick: boolean; pin: boolean } {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: String(defaultRuns) },
      quick: { type: "boolean", default: false },
      "no-pin": { type: "boolean", default: false },
    },
  });
  return {
    runs: Number(values.runs),
    quick: values.quick,
    pin: usePinning(!values["no-pin"]),
  };
}

/**
 * Turns pinning on (when `wanted` and the machine has two CPUs or more) for
 * the driver and the processes {@linkcode runC} and {@linkcode runDeno}
 * start: the driver and each parent on CPU 0, each child on CPU 1. For a
 * driver with options of its own; {@linkcode benchOptions} calls it.
 *
 * @param wanted false for `--no-pin`
 * @returns whether pinning is on
 */
export function usePinning(wanted: boolean): boolean {
  pinning = wanted && (navigator.hardwareConcurrency ?? 1) >= 2;
  if (pinning) pinMainThread(0);
  return pinning;
}

/** Pins the calling thread (the bench's main thread) to one CPU. */
function pinMainThread(cpu: number): void {
  const lib = Deno.dlopen("libc.so.6", {
    sched_setaffinity: {
      parameters: ["i32", "usize", "buffer"],
      result: "i32",
    },
  });
  const mask = new Uint8Array(128);
  mask[cpu >> 3] = 1 << (cpu & 7);
  const r = lib.symbols.sched_setaffinity(0, 128n, mask);
  lib.close();
  if (r !== 0) throw new Error(`Cannot pin the benchmark to CPU ${cpu}`);
}

/**
 * The command and arguments that run `command` on CPU `cpu` (through
 * `taskset`) when pinning, else unchanged.
 */
export function onCpu(
  cpu: number,
  command: string,
  args: string[],
): [string, string[]] {
  return pinning
    ? ["taskset", ["-c", String(cpu), command, ...args]]
    : [command, args];
}

/**
 * The best of some throughputs. On a shared machine interference (other
 * tenants, the host) comes in spells that can cut a 4 KiB pipe's rate to a
 * third for seconds at a time, hitting whichever side happens to run then;
 * the fastest of several alternating runs is the least disturbed one. (The
 * host also has rare fast spells, so ratios use `paired` beside this.)
 */
export function best(xs: number[]): number {
  return Math.max(...xs);
}

/** The median of some measurements. */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

/**
 * The median of per-round ratios `ours[i] / base[i]`, each Deno run taken
 * against the C run just before it. The host's spells, slow ones and the
 * rarer fast ones, last seconds, so two adjacent runs mostly share one; a
 * best-against-best ratio instead compares whatever spells the two sides'
 * best runs happened to meet.
 *
 * @param ours the Deno figures, one per round
 * @param base the C figures of the same rounds
 */
export function paired(ours: number[], base: number[]): number {
  return median(ours.map((x, i) => x / base[i]));
}

/**
 * Makes a temporary directory, compiles `bench/c/<name>.c` into it with
 * `cc -O2`, runs `fn`, and removes the directory.
 *
 * @param name the C baseline's name
 * @param fn the benchmark, given the directory and the binary
 */
export async function withCBaseline(
  name: string,
  fn: (dir: string, binary: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-bench-" });
  try {
    const binary = `${dir}/${name}`;
    const cc = await new Deno.Command("cc", {
      args: ["-O2", "-pthread", "-o", binary, `${ROOT}bench/c/${name}.c`],
    }).output();
    if (cc.code !== 0) throw new Error(dec.decode(cc.stderr));
    await fn(dir, binary);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs a C baseline and returns what it printed, trimmed. When pinning, it
 * runs on CPU 0 and its forked child moves itself to CPU 1
 * (`BENCH_CHILD_CPU`). With `idleThreads`, each of its processes starts that
 * many threads that only sleep (`BENCH_IDLE_THREAD`), so it has the shape of
 * a Deno process: the kernel charges a multi-threaded process for counting
 * references on every use of a descriptor (~65 ns a `read` or `write` here
 * with one). A Deno process has about 7 threads, and the charge grows with
 * their number (a non-blocking `mq_receive` on an empty queue: about 200 ns
 * in C, 255 with one idle thread, 290 with six, as through bare FFI in
 * Deno).
 */
export async function runC(
  binary: string,
  args: string[],
  { idleThreads = 0 }: { idleThreads?: number } = {},
): Promise<string> {
  return await runPinned(
    binary,
    args,
    idleThreads > 0 ? { BENCH_IDLE_THREAD: String(idleThreads) } : {},
  );
}

/**
 * Runs a command on CPU 0 when pinning, telling it through
 * `BENCH_CHILD_CPU` to start its child on CPU 1; returns what it printed,
 * trimmed.
 */
async function runPinned(
  program: string,
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  const [command, argv] = onCpu(0, program, args);
  if (pinning) env = { ...env, BENCH_CHILD_CPU: "1" };
  const out = await new Deno.Command(command, { args: argv, env }).output();
  if (out.code !== 0) throw new Error(dec.decode(out.stderr));
  return dec.decode(out.stdout).trim();
}

/**
 * The command line of a benchmark's child (`deno run` of `argv`), on the CPU
 * its parent was given in `BENCH_CHILD_CPU`, if any.
 *
 * @param argv the arguments after `deno`
 * @returns the program and its arguments
 */
export function childCommand(argv: string[]): [string, string[]] {
  const cpu = Deno.env.get("BENCH_CHILD_CPU");
  return cpu === undefined
    ? [Deno.execPath(), argv]
    : ["taskset", ["-c", cpu, Deno.execPath(), ...argv]];
}

/**
 * Runs one Deno side of a measurement as its own process, on CPU 0 when
 * pinning, with `BENCH_CHILD_CPU` telling it where to start its child (as
 * the C baselines fork); returns the number it printed.
 *
 * @param script the peer script
 * @param args its arguments
 */
export async function runDeno(script: string, args: string[]): Promise<number> {
  return Number(await runDenoText(script, args));
}

/**
 * {@linkcode runDeno} for a peer that prints more than one number: returns
 * what it printed, trimmed.
 *
 * @param script the peer script
 * @param args its arguments
 */
export async function runDenoText(
  script: string,
  args: string[],
): Promise<string> {
  return await runPinned(Deno.execPath(), [
    "run",
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    "--allow-net",
    "--allow-run",
    "--allow-env",
    script,
    ...args,
  ], {});
}

/**
 * Reads a stream to its end; MB/s from the moment `skip` bytes have arrived
 * (a warm-up, the same as the C baselines skip) to the end. With `byob`, a
 * BYOB reader with one buffer of that many bytes (a byte stream only);
 * otherwise a default reader.
 */
export async function drainStream(
  stream: ReadableStream<Uint8Array>,
  skip: number,
  byob = 0,
): Promise<number> {
  let got = 0, from = -1, t0 = 0;
  const count = (n: number) => {
    got += n;
    if (from < 0 && got >= skip) {
      t0 = performance.now();
      from = got;
    }
  };
  if (byob > 0) {
    const reader = stream.getReader({ mode: "byob" });
    let buf = new Uint8Array(byob);
    for (;;) {
      const { value, done } = await reader.read(buf);
      if (done) break;
      count(value.length);
      buf = new Uint8Array(value.buffer);
    }
  } else {
    for await (const chunk of stream) count(chunk.length);
  }
  return (got - from) / ((performance.now() - t0) / 1000) / 1e6;
}

/** Prints a table: the first column left-aligned, the others right-aligned. */
export function printTable(
  header: string[],
  rows: string[][],
  widths: number[],
): void {
  const line = (cells: string[]) =>
    cells.map((x, i) => i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))
      .join(" ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
