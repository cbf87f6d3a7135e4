/**
 * {@linkcode spawnWithFds}: start a child process with chosen descriptors
 * in chosen slots (its stdin, or fd 3 and up), and {@linkcode popen}.
 *
 * Deno cannot `fork`, so this is how a child gets a pipe end, a FIFO or a
 * memfd from its parent. The descriptors are placed in the child only
 * (`node:child_process` does the `dup2` between fork and exec); the
 * parent's own descriptors are never moved, and low slots of the parent,
 * where Deno keeps its own, are never touched.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import {
  access,
  close,
  descriptorLimit,
  fstat,
  O_CLOEXEC,
  S_IFIFO,
  S_IFMT,
  setNonBlocking,
  X_OK,
} from "../ffi/fd.ts";
import { libc } from "../ffi/libc.ts";
import { ENOENT, errnoNumber, IpcError, lastError } from "../ffi/errors.ts";
import {
  checkOptions,
  int,
  knownOptions,
  LIMITS,
  noNul,
  show,
} from "../ffi/validate.ts";
import { PipeEnd } from "./pipe_end.ts";
import { SIGNAL_NUMBERS } from "../ffi/signals.ts";
import { encodeUtf8 } from "../ffi/text.ts";

/** What goes in one descriptor slot of the child. */
export type FdSlot = number | "inherit" | "null" | "piped";

/** How {@linkcode spawnWithFds} starts the child. */
export interface SpawnWithFdsOptions {
  /** The arguments. */
  args?: string[];
  /**
   * Slot number in the child to what goes there: a descriptor of this
   * process, blocking as programs expect (a pipe or FIFO as a new open file
   * description of the same pipe, so this process's end keeps its own
   * mode),
   * `"inherit"` (slots 0-2 default to it), `"null"`, or `"piped"` (slots 1
   * and 2 only: read it from `stdout`/`stderr`).
   */
  fds?: Record<number, FdSlot>;
  /** The working directory. */
  cwd?: string;
  /** Environment variables to set (added to this process's). */
  env?: Record<string, string>;
}

/** How a child ended. */
export interface ChildStatus {
  /** Whether it exited with status 0. */
  success: boolean;
  /** Its exit status, or null if a signal ended it. */
  code: number | null;
  /** The signal that ended it, or null. */
  signal: string | null;
}

/** A child started by {@linkcode spawnWithFds}. */
export interface SpawnedChild {
  /**
   * Its process id; -1 if the kernel refused to start it for a reason
   * found only then (arguments over `ARG_MAX`: `E2BIG`), which `status`
   * rejects with.
   */
  readonly pid: number;
  /**
   * Resolves when it ends; rejects if it could not start (then no
   * unhandled rejection ends the program if nobody awaits it).
   */
  readonly status: Promise<ChildStatus>;
  /** Its standard output, if slot 1 was `"piped"`. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** Its standard error, if slot 2 was `"piped"`. */
  readonly stderr: ReadableStream<Uint8Array> | null;
  /**
   * Sends it a signal.
   *
   * @param signal default `"SIGTERM"`
   */
  kill(signal?: Deno.Signal): void;
}

/**
 * Starts a child process with descriptors of this process in chosen slots.
 * Needs `--allow-run`, and `--allow-env` (the child inherits the
 * environment, which `node:child_process` reads to pass it on).
 *
 * @param command the program
 * @param options arguments, descriptor slots, working directory, environment
 * @returns the child
 * @throws {IpcError} `ENOENT`/`EACCES` naming `command` (not found, in
 *   `PATH` when it has no slash, or not executable) or `cwd`; `EBADF` for a
 *   slot's descriptor that is not open
 * @throws {TypeError} for a slot that is not a descriptor or a known word,
 *   `args` that are not strings, an `env` value that is not a string, an
 *   option it does not have (a misspelling: `argv` for `args`)
 * @throws {RangeError} for a slot number that is not one, or is at or above
 *   the descriptor limit (`RLIMIT_NOFILE`) the child inherits
 * @throws {Deno.errors.NotCapable} without `--allow-env`
 * @example The child's stdin is the read end of a pipe (ALP Listing 5.8)
 * ```ts
 * import { PipeEnd, spawnWithFds } from "@linux-ipc/ipc";
 * const [r, w] = PipeEnd.pipe();
 * const sort = spawnWithFds("sort", { fds: { 0: r.fd, 1: "piped" } });
 * r.close(); // the child has its own copy
 * await w.writeAll(new TextEncoder().encode("b\na\n"));
 * w.close();
 * console.log(await new Response(sort.stdout).text()); // "a\nb\n"
 * await sort.status;
 * ```
 */
export function spawnWithFds(
  command: string,
  options: SpawnWithFdsOptions = {},
): SpawnedChild {
  knownOptions(options, ["args", "fds", "cwd", "env"], "spawnWithFds");
  checkSpawnOptions(command, options);
  if (Deno.permissions.querySync({ name: "env" }).state !== "granted") {
    throw new Deno.errors.NotCapable(
      "Requires env access to start a child with inherited descriptors (node:child_process passes the environment on), run again with the --allow-env flag",
    );
  }
  const slots = options.fds ?? {};
  // An array of slots (as node:child_process takes stdio) is a record too.
  if (!Array.isArray(slots)) {
    checkOptions(slots, "spawnWithFds", 'option "fds"');
  }
  let limit: number | undefined;
  for (const key of Object.keys(slots)) {
    if (!/^\d+$/.test(key) || Number(key) > MAX_SLOT) {
      throw new RangeError(
        `Invalid option "fds" to spawnWithFds: "${key}" is not a descriptor slot (0 to ${MAX_SLOT})`,
      );
    }
    // The child inherits this process's limit: a slot at or above it
    // cannot be made, and the child would not start (EBADF, reported
    // only later, as a child of pid -1).
    limit ??= descriptorLimit();
    if (Number(key) >= limit) {
      throw new RangeError(
        `Invalid option "fds" to spawnWithFds: slot "${key}" is above the descriptor limit a child of this process inherits (RLIMIT_NOFILE ${limit}: slots 0 to ${
          limit - 1
        })`,
      );
    }
  }
  const highest = Math.max(2, ...Object.keys(slots).map(Number));
  const stdio: (number | "inherit" | "ignore" | "pipe")[] = [];
  /** Descriptors opened here for the child alone, closed once it has them. */
  const reopened: number[] = [];
  for (let slot = 0; slot <= highest; slot++) {
    let v = slots[slot] ?? (slot <= 2 ? "inherit" : "null");
    if (typeof v === "number") {
      v = int(v, "spawnWithFds", `fds[${slot}]`, 0, LIMITS.INT_MAX);
      const own = ownDescription(v, `fds[${slot}]`);
      if (own !== v) reopened.push(own);
      stdio.push(own);
    } else if (v === "inherit") stdio.push("inherit");
    else if (v === "null") stdio.push("ignore");
    else if (v === "piped" && (slot === 1 || slot === 2)) stdio.push("pipe");
    else {
      throw new TypeError(
        `Invalid option "fds[${slot}]" to spawnWithFds: expected a descriptor, "inherit", "null" or (for 1 and 2) "piped", got "${
          show(v)
        }"`,
      );
    }
  }
  let child;
  try {
    child = spawnChild(command, options, stdio);
  } finally {
    for (const fd of reopened) close(fd);
  }
  if (child.pid === undefined) {
    // It could not start. node:child_process says why only on the next
    // tick, as an "error" event; the checks exec makes say it now.
    const why = whyNotStarted(command, options);
    if (why !== null) {
      child.once("error", () => {});
      throw why;
    }
    // Any other reason arrives as status's rejection; pid is -1. Noted
    // as handled, so that a caller who never looks at status is not
    // ended by an unhandled rejection.
    const wrapped = wrap(child, command);
    wrapped.status.catch(() => {});
    return wrapped;
  }
  return wrap(child, command);
}

/** The highest slot a child can have (the kernel's `nr_open` default). */
const MAX_SLOT = 1_048_575;

/** Checks what node:child_process would misread or report in its own words. */
function checkSpawnOptions(command: string, options: SpawnWithFdsOptions) {
  if (typeof command !== "string" || command === "") {
    throw new TypeError(
      `Invalid argument "command" to spawnWithFds: expected a non-empty string, got "${
        show(command)
      }"`,
    );
  }
  const { args, env, cwd } = options;
  if (args !== undefined && !Array.isArray(args)) {
    throw new TypeError(
      `Invalid option "args" to spawnWithFds: expected an array of strings, got "${
        show(args)
      }"`,
    );
  }
  const bad = (args ?? []).findIndex((a) => typeof a !== "string");
  if (bad !== -1) {
    throw new TypeError(
      `Invalid option "args[${bad}]" to spawnWithFds: expected a string, got "${
        show(args![bad])
      }"`,
    );
  }
  // A C string ends at a NUL: the rest would be cut off.
  args?.forEach((a, i) => noNul(a, "spawnWithFds", `option "args[${i}]"`));
  if (env !== undefined) {
    checkOptions(env, "spawnWithFds", 'option "env"');
    for (const [k, v] of Object.entries(env)) {
      if (typeof v !== "string") {
        throw new TypeError(
          `Invalid option "env.${k}" to spawnWithFds: expected a string, got "${
            show(v)
          }"`,
        );
      }
      // "NAME=value" is how the child gets it: a name with "=" (or none)
      // would set another variable than the one named.
      if (k === "" || k.includes("=") || k.includes("\0")) {
        throw new TypeError(
          `Invalid option "env" to spawnWithFds: "${
            show(k)
          }" is no variable name (empty, or with "=" or a NUL byte)`,
        );
      }
      noNul(v, "spawnWithFds", `option "env.${k}"`);
    }
  }
  if (cwd !== undefined && (typeof cwd !== "string" || cwd === "")) {
    throw new TypeError(
      `Invalid option "cwd" to spawnWithFds: expected a non-empty string, got "${
        show(cwd)
      }"`,
    );
  }
  noNul(command, "spawnWithFds", 'argument "command"');
  if (cwd !== undefined) noNul(cwd, "spawnWithFds", 'option "cwd"');
}

/**
 * Why a child did not start, found as `execvp` would: a working directory
 * that cannot be entered, or a command that is not there or may not be
 * run (searched in `PATH` when it has no slash).
 */
function whyNotStarted(
  command: string,
  options: SpawnWithFdsOptions,
): IpcError | null {
  const refuse = (e: number, argument: string, value: string, hint: string) =>
    new IpcError(e, { syscall: "spawnWithFds", argument, value, hint });
  if (options.cwd !== undefined) {
    // With "/." a file that is not a directory gives ENOTDIR, as chdir does.
    const e = access(`${options.cwd}/.`, X_OK);
    if (e !== 0) {
      return refuse(e, "cwd", options.cwd, "the child's working directory");
    }
  }
  if (command.includes("/")) {
    const e = access(command, X_OK);
    if (e !== 0) return refuse(e, "command", command, "it cannot be run");
  } else {
    const path = options.env?.PATH ?? Deno.env.get("PATH") ?? "";
    const found = path.split(":").some((dir) =>
      access(`${dir || "."}/${command}`, X_OK) === 0
    );
    if (!found) {
      return refuse(
        ENOENT,
        "command",
        command,
        "no program of this name in PATH",
      );
    }
  }
  return null;
}

function spawnChild(
  command: string,
  options: SpawnWithFdsOptions,
  stdio: (number | "inherit" | "ignore" | "pipe")[],
) {
  return spawn(command, options.args ?? [], {
    stdio,
    cwd: options.cwd,
    env: options.env ? { ...Deno.env.toObject(), ...options.env } : undefined,
  });
}

function wrap(
  child: ReturnType<typeof spawnChild>,
  command: string,
): SpawnedChild {
  const status = new Promise<ChildStatus>((resolve, reject) => {
    child.once("error", (e: Error & { code?: string }) => {
      const n = errnoNumber(e.code ?? "");
      reject(
        n === undefined ? e : new IpcError(n, {
          syscall: "spawnWithFds",
          argument: "command",
          value: command,
          hint: "the child could not be started",
          cause: e,
        }),
      );
    });
    child.once(
      "close",
      (code: number | null, signal: string | null) =>
        resolve({ success: code === 0, code, signal }),
    );
  });
  const web = (s: Readable | null) =>
    s ? Readable.toWeb(s) as unknown as ReadableStream<Uint8Array> : null;
  return {
    pid: child.pid ?? -1,
    status,
    stdout: web(child.stdout),
    stderr: web(child.stderr),
    kill: (signal: Deno.Signal = "SIGTERM") => {
      child.kill(signal as Parameters<typeof child.kill>[0]);
    },
  };
}

/**
 * The descriptor to give the child for `fd`, so that its blocking mode is
 * the child's alone. A pipe or FIFO is opened again through
 * `/proc/self/fd`, which makes a new open file description of the same pipe
 * (blocking, as programs expect), so this process's own end keeps its
 * non-blocking mode whatever the child does. Other descriptors (sockets,
 * files, memfds) cannot be opened again: they are given in blocking mode,
 * which this process shares, and the library's socket calls ask for
 * non-blocking behaviour per call (`MSG_DONTWAIT`), so that mode does not
 * matter to them.
 */
function ownDescription(fd: number, argument: string): number {
  const { mode } = fstatOf(fd, argument);
  if ((mode & S_IFMT) !== S_IFIFO) {
    // Shared as it is, in blocking mode as programs expect; the library's
    // own socket calls do not depend on the shared mode (MSG_DONTWAIT).
    setNonBlocking(fd, false);
    return fd;
  }
  const flags = libc().fcntl(fd, 3, /* F_GETFL */ 0);
  if (flags === -1) throw lastError("fcntl")(argument, { fd });
  const path = encodeUtf8(`/proc/self/fd/${fd}\0`);
  const own = libc().open(path, (flags & 3) | O_CLOEXEC, 0);
  if (own === -1) throw lastError("open")(argument, { fd });
  return own;
}

function fstatOf(fd: number, argument: string): { mode: number } {
  try {
    return fstat(fd);
  } catch (e) {
    if (e instanceof IpcError) {
      throw new IpcError(e.errno, {
        syscall: "spawnWithFds",
        argument,
        value: fd,
        hint: e.code === "EBADF"
          ? "this descriptor is not open, so the child cannot have it"
          : undefined,
      });
    }
    throw e;
  }
}

/** A command started by {@linkcode popen}, with a pipe to or from it. */
export interface Popen {
  /** The pipe end: write to the command (`"w"`) or read from it (`"r"`). */
  readonly pipe: PipeEnd;
  /** The command's process id. */
  readonly pid: number;
  /**
   * Closes the pipe and waits for the command to end (`pclose`).
   *
   * @returns its exit status (or 128 + signal number if a signal ended it)
   */
  pclose(): Promise<number>;
  /** Same as `pclose()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Runs a shell command with a pipe to its stdin (`"w"`) or from its stdout
 * (`"r"`), as C's `popen`. Needs `--allow-run` and `--allow-env`.
 *
 * @param command a command for `/bin/sh -c`
 * @param mode `"w"` to write to it, `"r"` to read from it
 * @returns the command and its pipe
 * @throws {TypeError} for a command that is not a string (or holds a NUL
 *   byte), or a mode other than `"r"` or `"w"`
 * @throws {Deno.errors.NotCapable} without `--allow-run` or `--allow-env`
 * @example ALP Listing 5.9
 * ```ts
 * import { popen } from "@linux-ipc/ipc";
 * const sort = popen("sort", "w");
 * await sort.pipe.writeAll(new TextEncoder().encode("b\na\n"));
 * await sort.pclose(); // sort prints a, b
 * ```
 */
export function popen(command: string, mode: "r" | "w"): Popen {
  if (typeof command !== "string") {
    throw new TypeError(
      `Invalid argument "command" to popen: expected a string, got "${
        show(command)
      }"`,
    );
  }
  noNul(command, "popen", 'argument "command"');
  if (mode !== "r" && mode !== "w") {
    throw new TypeError(
      `Invalid argument "mode" to popen: expected "r" or "w", got "${
        show(mode)
      }"`,
    );
  }
  const [r, w] = PipeEnd.pipe();
  const [mine, theirs] = mode === "w" ? [w, r] : [r, w];
  let child: SpawnedChild;
  try {
    child = spawnWithFds("/bin/sh", {
      args: ["-c", command],
      fds: { [mode === "w" ? 0 : 1]: theirs.fd },
    });
  } finally {
    theirs.close();
  }
  let closing: Promise<number> | undefined;
  const pclose = () =>
    closing ??= (async () => {
      mine.close();
      const s = await child.status;
      // Killed by a signal: the shell's status, 128 and its number.
      return s.code ??
        128 + (SIGNAL_NUMBERS[s.signal as Deno.Signal] ?? 0);
    })();
  return {
    pipe: mine,
    pid: child.pid,
    pclose,
    [Symbol.asyncDispose]: async () => {
      await pclose();
    },
  };
}
