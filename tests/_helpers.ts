/**
 * Helpers shared by the tests: System V leak snapshots, C peers compiled at
 * test time, Python and Deno children.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { IpcError, statfs } from "../mod.ts";
import { libc } from "../ffi/libc.ts";
import { terminateIdleWaiters } from "../ffi/wait.ts";

/** Whether this run is CI, where every peer must exist (nothing skipped). */
export const CI = Deno.env.get("CI") === "true";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * The ids listed in `/proc/sysvipc/<kind>` (read through `cat`: Deno grants
 * direct reads of `/proc` only to `--allow-all`).
 */
export function sysvIds(kind: "shm" | "sem" | "msg"): number[] {
  const { stdout } = new Deno.Command("cat", {
    args: [`/proc/sysvipc/${kind}`],
  }).outputSync();
  const text = new TextDecoder().decode(stdout);
  return text.split("\n").slice(1).map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 1).map((f) => Number(f[1])).sort((a, b) => a - b);
}

/**
 * Registers, as the file's last test, a check that the file left
 * `/proc/sysvipc/*` and `/dev/shm` exactly as it found them. Call it at the
 * bottom of every test file: the module is evaluated before any of its tests
 * run, so the snapshot taken here is the state before them.
 */
export async function checkLeaksAtEnd(): Promise<void> {
  // The engine's helper threads and epoll set hold descriptors: end them first.
  await terminateIdleWaiters();
  const before = snapshot();
  Deno.test("nothing leaked: /proc/sysvipc, /dev/shm and fds as before", async () => {
    await terminateIdleWaiters();
    // Ended threads give their descriptors back asynchronously: allow up to
    // a second for that; anything still there then is a leak.
    let leaked: Record<string, (number | string)[]> = {};
    for (let attempt = 0; attempt < 50; attempt++) {
      const after = snapshot();
      leaked = Object.fromEntries(
        Object.keys(after).map((k) =>
          [k, after[k].filter((x) => !before[k].includes(x as never))] as const
        ).filter(([, v]) => v.length > 0),
      );
      if (Object.keys(leaked).length === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    leaked = withoutOthers(leaked, before);
    if (Object.keys(leaked).length > 0) {
      const fds = new Set((leaked.fds ?? []).map(String));
      const links = new TextDecoder().decode(
        new Deno.Command("ls", { args: ["-l", `/proc/${Deno.pid}/fd`] })
          .outputSync().stdout,
      ).split("\n").filter((l) =>
        fds.has(l.split(" -> ")[0]?.split(" ").at(-1)!)
      )
        .map((l) => l.slice(l.lastIndexOf(" ", l.indexOf(" -> ") - 1) + 1));
      throw new Error(
        `Left behind: ${JSON.stringify(leaked)}${
          links.length ? `\n${links.join("\n")}` : ""
        }`,
      );
    }
  });
}

/**
 * Drops from what seems left behind the POSIX names and System V objects
 * that are not this run's (see {@linkcode othersName}, {@linkcode ours}),
 * after a grace period (3 s, or `LEAK_GRACE_MS`) for System V objects
 * without a key that this process has not used, and for names that do not
 * carry its pid and whose process has ended: another run's come and go
 * with its tests (its leak-check test leaves some made by a child that
 * has exited, for a second or two); a leak stays.
 */
function withoutOthers(
  leaked: Record<string, (number | string)[]>,
  before: Record<string, (number | string)[]>,
): Record<string, (number | string)[]> {
  const names = ["devShm", "devMqueue"] as const;
  for (const k of names) {
    if (leaked[k] === undefined) continue;
    leaked[k] = leaked[k].filter((name) => !othersName(String(name)));
    if (leaked[k].length === 0) delete leaked[k];
  }
  const kinds = ["shm", "sem", "msg"] as const;
  if (![...kinds, ...names].some((k) => leaked[k]?.length)) return leaked;
  const graceEnd = performance.now() +
    Number(Deno.env.get("LEAK_GRACE_MS") ?? 3000);
  // Wait (synchronously is fine: the file's tests are done) for private
  // objects of other processes, and names of ended ones, to go.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const pending = () => {
    const now = snapshot();
    return kinds.flatMap((k) =>
      sysvObjects(k).filter((o) =>
        (leaked[k] ?? []).includes(o.id) && o.key === 0 &&
        o.cpid !== Deno.pid && !o.pids.includes(Deno.pid)
      )
    ).length + names.flatMap((k) =>
      (leaked[k] ?? []).filter((name) =>
        now[k].includes(name) && namePid(String(name)) !== Deno.pid
      )
    ).length;
  };
  while (pending() > 0 && performance.now() < graceEnd) {
    Atomics.wait(pause, 0, 0, 100);
  }
  const out: Record<string, (number | string)[]> = {};
  const present = snapshot();
  for (const [k, v] of Object.entries(leaked)) {
    if ((names as readonly string[]).includes(k)) {
      const still = v.filter((name) => present[k].includes(name));
      if (still.length > 0) out[k] = still;
      continue;
    }
    if (!(kinds as readonly string[]).includes(k)) {
      out[k] = v;
      continue;
    }
    const now = sysvObjects(k as typeof kinds[number]);
    const mine = v.filter((id) => {
      const o = now.find((x) => x.id === id);
      return o !== undefined && !before[k].includes(id) && ours(o, true);
    });
    if (mine.length > 0) out[k] = mine;
  }
  return out;
}

/**
 * This process's open descriptors, probed with `fcntl(fd, F_GETFD)`, which
 * opens none itself (listing /proc would need --allow-all and a child).
 */
export function openFds(): number[] {
  const c = libc();
  const open: number[] = [];
  for (let fd = 0; fd < 4096; fd++) if (c.fcntl(fd, 1, 0) !== -1) open.push(fd);
  return open;
}

/** A System V object as `/proc/sysvipc/<kind>` lists it. */
interface SysvObject {
  id: number;
  key: number;
  /** The creator's pid (shared memory only; -1 for the others). */
  cpid: number;
  /**
   * The pids the kernel keeps of the object's last users, 0 for none: the
   * last attach and detach of a segment, the last send and receive on a
   * queue, the last operation on each semaphore of a set.
   */
  pids: number[];
}

/** The objects listed in `/proc/sysvipc/<kind>` (read through `cat`). */
function sysvObjects(kind: "shm" | "sem" | "msg"): SysvObject[] {
  const { stdout } = new Deno.Command("cat", {
    args: [`/proc/sysvipc/${kind}`],
  }).outputSync();
  return new TextDecoder().decode(stdout).split("\n").slice(1)
    .map((line) => line.trim().split(/\s+/)).filter((f) => f.length > 1)
    .map((f) => ({
      key: Number(f[0]) | 0,
      id: Number(f[1]),
      cpid: kind === "shm" ? Number(f[4]) : -1,
      pids: kind === "shm"
        ? [Number(f[4]), Number(f[5])]
        : kind === "msg"
        ? [Number(f[5]), Number(f[6])]
        : semPids(Number(f[1]), Number(f[3])),
    }));
}

/** The pid of the last operation on each semaphore of a set (`GETPID`). */
function semPids(id: number, nsems: number): number[] {
  const GETPID = 11;
  return Array.from(
    { length: nsems },
    (_, i) => Math.max(0, libc().semctl_val(id, i, GETPID, 0)),
  );
}

/**
 * Whether a process is alive and is neither this one nor one of its
 * descendants: another program's, another run of the suite included. A
 * process that has ended is not known to be another's.
 */
function foreign(pid: number): boolean {
  for (let p = pid, hops = 0; hops < 64; hops++) {
    if (p === Deno.pid) return false;
    if (p <= 1) return p === pid ? false : true;
    const stat = procFile(`/proc/${p}/stat`);
    // The parent is the second field after the command's closing bracket.
    const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (stat === "" || after.length < 2) return p !== pid;
    p = Number(after[1]);
  }
  return true;
}

/** Keys this run made objects with (see {@linkcode privateKey}, {@linkcode ownKey}). */
const ownKeys = new Set<number>();

/**
 * Marks a key as this run's, for the leak check: an object with it that
 * outlives the file is this run's leak (objects with other keys belong to
 * other processes of the machine, another run of the suite included).
 *
 * @param key the key
 * @returns the key
 */
export function ownKey(key: number): number {
  ownKeys.add(key | 0);
  return key;
}

/**
 * Whether an object that appeared during the run is this run's: its key is
 * one of {@linkcode ownKeys}; or it has none (`IPC_PRIVATE`) and this
 * process created it (shared memory lists the creator), or it is still
 * there after `graceMs` (another run's private objects come and go with
 * its tests; a leak stays).
 */
function ours(o: SysvObject, stillThere: boolean): boolean {
  if (o.key !== 0) return ownKeys.has(o.key);
  if (o.cpid === Deno.pid || o.pids.includes(Deno.pid)) return true;
  // Last used by a live process outside this run: another program's.
  if (o.pids.some(foreign)) return false;
  return stillThere;
}

/**
 * Whether a POSIX name (`linux-ipc-<what>-<pid>...`, as the tests and their
 * children make them) carries the pid of a live process outside this run:
 * another run's, not a leak of this one.
 */
function othersName(name: string): boolean {
  const pid = namePid(name);
  return pid !== undefined && foreign(pid);
}

/** The pid a POSIX name of the tests carries, if any. */
function namePid(name: string): number | undefined {
  const pid = name.match(/-(\d+)(?:-|$)/)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

function snapshot(): Record<string, (number | string)[]> {
  return {
    fds: openFds(),
    shm: sysvIds("shm"),
    sem: sysvIds("sem"),
    msg: sysvIds("msg"),
    // POSIX names of this project's tests and examples only.
    devShm: new TextDecoder().decode(
      new Deno.Command("ls", { args: ["-A", "/dev/shm"] }).outputSync().stdout,
    ).split("\n").filter((name) => name.includes("linux-ipc")).sort(),
    // POSIX queues of this project's tests and examples, where the mqueue
    // file system is mounted.
    devMqueue: new TextDecoder().decode(
      new Deno.Command("ls", { args: ["-A", "/dev/mqueue"], stderr: "null" })
        .outputSync().stdout,
    ).split("\n").filter((name) => name.includes("linux-ipc")).sort(),
  };
}

/** The kernel's table of Unix sockets (read through `cat`, as /proc needs --allow-all). */
export function procNetUnix(): string {
  return procFile("/proc/net/unix");
}

/** A file of /proc, read through `cat` (Deno's own reads need --allow-all). */
export function procFile(path: string): string {
  return new TextDecoder().decode(
    new Deno.Command("cat", { args: [path] }).outputSync().stdout,
  );
}

/**
 * Marks a peer as missing: under CI a failure, elsewhere a skipped test that
 * says why.
 *
 * @param why what is missing and how to get it
 */
export function missingPeer(why: string): void {
  if (CI) throw new Error(`Peer missing under CI: ${why}`);
  console.log(`skipped: ${why}`);
}

let buildDir: string | undefined;
const built = new Map<string, string | null>();

/** Whether a command exists on PATH. */
export function which(command: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const path = `${dir}/${command}`;
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Compiles `tests/c/<name>.c` once per run.
 *
 * @param name the program's name
 * @returns the binary's path, or null (after reporting it) without `cc`
 */
export async function cProgram(name: string): Promise<string | null> {
  if (built.has(name)) return built.get(name)!;
  const cc = which("cc");
  if (cc === null) {
    missingPeer(
      `no C compiler (cc) for tests/c/${name}.c: apt-get install gcc`,
    );
    built.set(name, null);
    return null;
  }
  if (buildDir === undefined) {
    const dir = buildDir = await Deno.makeTempDir({
      prefix: "linux-ipc-test-",
    });
    globalThis.addEventListener("unload", () => {
      Deno.removeSync(dir, { recursive: true });
    });
  }
  const out = `${buildDir}/${name}`;
  const { code, stderr } = await new Deno.Command(cc, {
    args: ["-O2", "-Wall", "-o", out, `${ROOT}tests/c/${name}.c`],
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `cc failed on tests/c/${name}.c: ${new TextDecoder().decode(stderr)}`,
    );
  }
  built.set(name, out);
  return out;
}

/** What a finished child process printed. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion.
 *
 * @param command the program
 * @param args its arguments
 * @param stdin text for its standard input
 */
export async function run(
  command: string,
  args: string[],
  stdin?: string,
): Promise<Output> {
  const child = new Deno.Command(command, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const { code, stdout, stderr } = await child.output();
  const dec = new TextDecoder();
  return { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr) };
}

/**
 * Runs a Deno script of this repository in a child Deno process.
 *
 * @param script path from the repository root
 * @param args its arguments
 * @param permissions `deno run` flags (default `--allow-ffi`)
 */
export function runDeno(
  script: string,
  args: string[] = [],
  permissions: string[] = ["--allow-ffi"],
): Promise<Output> {
  return run(Deno.execPath(), [
    "run",
    "--quiet",
    ...permissions,
    `${ROOT}${script}`,
    ...args,
  ]);
}

/**
 * Starts a Deno script of this repository in a child process and returns it
 * at once (stdout piped, stderr inherited).
 *
 * @param script path from the repository root
 * @param args its arguments
 * @param permissions `deno run` flags (default `--allow-ffi`)
 */
export function startDeno(
  script: string,
  args: string[] = [],
  permissions: string[] = ["--allow-ffi"],
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, `${ROOT}${script}`, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/**
 * Reads a child's stdout until a line equal to `line` arrives, then stops
 * reading it (the pipe is closed).
 *
 * @param child the process
 * @param line the line to wait for
 */
export async function waitForLine(
  child: Deno.ChildProcess,
  line: string,
): Promise<void> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.split("\n").includes(line)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`The child ended before printing "${line}"`);
      text += value;
    }
  } finally {
    await reader.cancel();
  }
}

/** Whether the POSIX message queue file system is mounted at `/dev/mqueue`. */
export function mqueueMounted(): boolean {
  // Through the library's statfs: Deno's own stat of a path under /dev
  // needs --allow-all, which the test task does not give, so it answered
  // false there and the queue parts of the tests were skipped.
  try {
    return statfs("/dev/mqueue").name === "mqueue";
  } catch {
    return false;
  }
}

/** Waits until a file exists (another process's signal), checking every 5 ms. */
export async function untilFile(path: string): Promise<void> {
  for (;;) {
    try {
      Deno.statSync(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** Waits until `predicate` holds, checking every few milliseconds. */
export async function until(
  predicate: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error("Timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

let python: string | null | undefined;

/**
 * A Python 3 that has `sysv_ipc` (Debian's `python3-sysv-ipc` installs it
 * for `/usr/bin/python3`, which another `python3` may shadow on PATH).
 *
 * @returns the interpreter, or null (after reporting it)
 */
export async function pythonWithSysvIpc(): Promise<string | null> {
  if (python !== undefined) return python;
  for (const candidate of ["/usr/bin/python3", which("python3")]) {
    if (candidate === null) continue;
    try {
      const { code } = await run(candidate, ["-c", "import sysv_ipc"]);
      if (code === 0) return python = candidate;
    } catch {
      // not runnable
    }
  }
  missingPeer(
    "Python sysv_ipc not found: apt-get install python3-sysv-ipc",
  );
  return python = null;
}

/** The repository root, as a path ending in a slash. */
export { ROOT };

/**
 * `promise`, or a rejection once `ms` have passed: a test that waits on
 * something that may never settle fails instead of hanging.
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Still pending after ${ms} ms`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * An `assert.throws`/`rejects` validator: an `IpcError` with this code, and
 * this syscall and argument when given.
 */
export function isCode(code: string, syscall?: string, argument?: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof IpcError, `expected IpcError ${code}, got ${e}`);
    assert.equal(e.code, code);
    if (syscall) assert.equal(e.syscall, syscall);
    if (argument) assert.equal(e.argument, argument);
    return true;
  };
}

/**
 * An `assert.rejects` validator: the `BadResource` a wait gets when its own
 * object (`what`: `"pipe end"`) is closed under it.
 */
export function closedUnder(what: string) {
  return (e: unknown): boolean => {
    assert.ok(
      e instanceof Deno.errors.BadResource,
      `expected BadResource, got ${e}`,
    );
    assert.equal(e.message, `The ${what} was closed while the call waited`);
    return true;
  };
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withDir(
  fn: (dir: string) => Promise<void> | void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-test-dir-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

let keys = 0;

/**
 * A System V key for this test run alone: from this process's id and a
 * counter, so that two runs of the suite on one machine never share one
 * (fixed keys such as `ftok("/etc/hostname", 903)` are for the examples).
 */
export function privateKey(): number {
  // 2 tag bits, 22 bits of pid (Linux's pid_max is at most 2^22), a counter.
  return ownKey(
    (1 << 30) | ((Deno.pid & 0x3fffff) << 8) | (keys++ & 0xff),
  );
}

let probes = 0;

/**
 * Runs `action` (statements) in a child Deno with only `flags`, importing
 * `names` from the library; returns "ok\n", or the error's name and
 * message: for the permission tests.
 *
 * @param dir a directory for the child's script
 * @param names what the script imports from `mod.ts`
 * @param flags the child's `deno run` flags
 * @param action the statements to run
 * @returns what the child printed
 */
export async function permissionProbe(
  dir: string,
  names: string[],
  flags: string[],
  action: string,
): Promise<string> {
  const script = `${dir}/probe-${probes++}.ts`;
  await Deno.writeTextFile(
    script,
    `import { ${names.join(", ")} } from "${ROOT}mod.ts";
try {
  ${action}
  console.log("ok");
} catch (e) {
  console.log((e as Error).name + ": " + (e as Error).message);
}
`,
  );
  return (await run(Deno.execPath(), ["run", "--quiet", ...flags, script]))
    .stdout;
}

/**
 * A seeded generator of integers from 0 to `n - 1` for the seeded stress
 * tests: a linear congruential generator, multiplied with `Math.imul` and
 * read from its high bits (its low bits repeat after a few draws).
 *
 * @param seed the seed
 * @returns the generator
 */
export function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 16) % n;
  };
}

/**
 * Starts a wait that ends, at random, on its own, by a timeout of 0 to 3
 * ms, or by an abort (at once, or within 3 ms), for the seeded stress
 * tests.
 *
 * @param rnd the seeded generator
 * @param wait starts the wait with the options it is given
 * @returns the wait's value in a box, or null if it timed out or was aborted
 */
export function endedAtRandom<T>(
  rnd: (n: number) => number,
  wait: (options: { timeout?: number; signal?: AbortSignal }) => Promise<T>,
): Promise<{ value: T } | null> {
  const ac = new AbortController();
  const timed = rnd(2) !== 0;
  const ended = wait(timed ? { timeout: rnd(4) } : { signal: ac.signal }).then(
    (value) => ({ value }),
    (e) => {
      if (e?.code !== "ETIMEDOUT" && e?.message !== "stop") throw e;
      return null;
    },
  );
  if (!timed) {
    if (rnd(2) !== 0) ac.abort(new Error("stop"));
    else setTimeout(() => ac.abort(new Error("stop")), rnd(4));
  }
  return ended;
}

/** What a fuzz run is: `deno task fuzz` (`--long`) or the suite's. */
export interface FuzzRun {
  /** Whether it is the long run of `deno task fuzz`. */
  long: boolean;
  /** The first batch's seed (the next batches add 1 each). */
  seed: number;
  /** How many calls or steps in all. */
  total: number;
}

/**
 * The seed and size of a fuzz run: FUZZ_SEED (default 1, a random one in a
 * long run; "random" asks for one), and `countVariable` (default `short`,
 * or `long` in a long run).
 *
 * @param countVariable the environment variable of the size (`FUZZ_CALLS`)
 * @param short the suite's size
 * @param long the size of `deno task fuzz`
 * @returns the run
 */
export function fuzzRun(
  countVariable: string,
  short: number,
  long: number,
): FuzzRun {
  const isLong = Deno.args.includes("--long");
  const seedEnv = Deno.env.get("FUZZ_SEED") ?? (isLong ? "random" : "1");
  const seed = seedEnv === "random"
    ? crypto.getRandomValues(new Uint32Array(1))[0]
    : Number(seedEnv) >>> 0;
  const total = Number(Deno.env.get(countVariable) ?? (isLong ? long : short));
  if (!Number.isSafeInteger(total) || total < 1) {
    throw new RangeError(
      `${countVariable} must be a positive integer, got "${total}"`,
    );
  }
  return { long: isLong, seed, total };
}

/** How a fuzz batch's child ended. */
export interface FuzzBatch {
  /** Killed after the hang bound. */
  hung: boolean;
  code: number;
  signal: Deno.Signal | null;
  /** Its standard output, by line. */
  lines: string[];
  stderr: string;
}

/**
 * Runs one fuzz batch in a child process, killed if it runs past `hangMs`.
 *
 * @param command the program (`Deno.execPath()`, or `unshare`)
 * @param args its arguments
 * @param cwd where it runs
 * @param hangMs how long it may take
 * @returns how it ended
 */
export async function fuzzBatch(
  command: string,
  args: string[],
  cwd: string,
  hangMs: number,
): Promise<FuzzBatch> {
  const child = new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, hangMs);
  const { code, signal, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    hung,
    code,
    signal,
    lines: dec.decode(stdout).trimEnd().split("\n"),
    stderr: dec.decode(stderr),
  };
}
