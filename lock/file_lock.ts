/**
 * Everyday file locks: {@linkcode lockFile} (a whole file, `flock`) and
 * {@linkcode lockRange} (a byte range, `fcntl` open file description or
 * record locks), each async with a `Sync` twin, each giving a hold that
 * `using` releases.
 *
 * @module
 */

import { syncTimeout, type WaitOptions } from "../ffi/wait.ts";
import { nonBlocking, retrySync } from "../ffi/poll.ts";
import { checkOptions, show } from "../ffi/validate.ts";
import {
  F_GETLK,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_RDLCK,
  F_SETLK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  fcntl_lock,
  fcntl_lockAsync,
  type Flock,
  flock,
  flockAsync,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
  SEEK_SET,
} from "./lock.ts";

/** Options of {@linkcode lockFile}. */
export interface LockFileOptions extends WaitOptions {
  /** `"exclusive"` (default, `LOCK_EX`) or `"shared"` (`LOCK_SH`). */
  mode?: "exclusive" | "shared";
}

/** Options of {@linkcode lockRange} and {@linkcode testRange}. */
export interface LockRangeOptions extends WaitOptions {
  /** `"write"` (default, `F_WRLCK`, exclusive) or `"read"` (`F_RDLCK`, shared). */
  mode?: "write" | "read";
  /** The first byte (default 0). */
  start?: number;
  /** How many bytes (default 0: to the end of the file, however far it grows). */
  length?: number;
  /**
   * An open file description lock (default true: `F_OFD_SETLKW`, owned by
   * the descriptor's open file description, so not dropped when another
   * descriptor of the file is closed), or a classic record lock owned by
   * the process (false: `F_SETLKW`, the only kind whose deadlocks the
   * kernel reports, with `EDEADLK`).
   */
  ofd?: boolean;
}

/** A lock this process holds; `using` releases it. */
export interface LockHold extends Disposable {
  /** Releases the lock (once; later calls do nothing). */
  release(): void;
  /** Whether it has been released. */
  readonly released: boolean;
}

function options<T extends object>(value: T | undefined): T {
  if (value === undefined) return {} as T;
  checkOptions(value);
  return value;
}

function fileOperation(o: LockFileOptions): number {
  const mode = o.mode ?? "exclusive";
  if (mode !== "exclusive" && mode !== "shared") {
    throw new TypeError(
      `Invalid option "mode": expected "exclusive" or "shared", got "${
        show(mode)
      }"`,
    );
  }
  return mode === "exclusive" ? LOCK_EX : LOCK_SH;
}

function rangeLock(o: LockRangeOptions, type?: number): Flock {
  const mode = o.mode ?? "write";
  if (mode !== "write" && mode !== "read") {
    throw new TypeError(
      `Invalid option "mode": expected "write" or "read", got "${show(mode)}"`,
    );
  }
  return {
    type: type ?? (mode === "write" ? F_WRLCK : F_RDLCK),
    whence: SEEK_SET,
    start: o.start ?? 0,
    len: o.length ?? 0,
    pid: 0,
  };
}

function hold(release: () => void): LockHold {
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    release();
  };
  return {
    release: done,
    get released() {
      return released;
    },
    [Symbol.dispose]: done,
  };
}

/**
 * Locks a whole file (`flock`), waiting without blocking the event loop
 * while another open file description holds a conflicting lock. The lock
 * goes with the open file description: closing the last descriptor of it,
 * or the process dying, releases it.
 *
 * @param fd an open descriptor of the file
 * @param opts `mode`, `timeout` (then `IpcError` `ETIMEDOUT`), `signal`
 * @returns the hold
 * @throws {IpcError} `ETIMEDOUT`, `EBADF`
 * @example
 * ```ts
 * import { close, lockFile, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * {
 *   using _lock = await lockFile(fd, { timeout: 1000 });
 *   // ... the file is ours ...
 * }
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export async function lockFile(
  fd: number,
  opts?: LockFileOptions,
): Promise<LockHold> {
  const o = options(opts);
  const op = fileOperation(o);
  await flockAsync(fd, op, o);
  return hold(() => flock(fd, LOCK_UN));
}

/**
 * {@linkcode lockFile}, blocking the thread: in `flock` without a
 * timeout, retrying `LOCK_NB` every 0.1 to 10 ms with one.
 *
 * @param fd an open descriptor of the file
 * @param opts `mode`, `timeout` in ms
 * @returns the hold
 * @throws {IpcError} `ETIMEDOUT`, `EBADF`
 * @example
 * ```ts
 * import { close, lockFileSync, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * {
 *   using _lock = lockFileSync(fd, { mode: "shared", timeout: 100 });
 * }
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export function lockFileSync(
  fd: number,
  opts?: Omit<LockFileOptions, "signal">,
): LockHold {
  const o = options(opts);
  const op = fileOperation(o);
  const timeout = syncTimeout(o);
  if (timeout === undefined) flock(fd, op);
  else {
    retrySync(
      nonBlocking(() => flock(fd, op | LOCK_NB), "EAGAIN", "EACCES"),
      timeout,
      "flock",
    );
  }
  return hold(() => flock(fd, LOCK_UN));
}

/**
 * Locks a byte range (`fcntl` `F_OFD_SETLKW`, or `F_SETLKW` with
 * `ofd: false`), waiting without blocking the event loop while a
 * conflicting lock is held. C programs, Python's `fcntl.lockf` and other
 * processes using either kind contend with it.
 *
 * @param fd an open descriptor of the file (writable for `"write"`)
 * @param opts `mode`, `start`, `length`, `ofd`, `timeout`, `signal`
 * @returns the hold
 * @throws {IpcError} `ETIMEDOUT`, `EDEADLK` (record locks), `EBADF`
 * @example
 * ```ts
 * import { close, lockRange, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * {
 *   using _lock = await lockRange(fd, { start: 100, length: 10 });
 * }
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export async function lockRange(
  fd: number,
  opts?: LockRangeOptions,
): Promise<LockHold> {
  const o = options(opts);
  const lock = rangeLock(o);
  const ofd = o.ofd ?? true;
  await fcntl_lockAsync(fd, ofd ? F_OFD_SETLKW : F_SETLKW, lock, o);
  return hold(() =>
    fcntl_lock(fd, ofd ? F_OFD_SETLK : F_SETLK, { ...lock, type: F_UNLCK })
  );
}

/**
 * {@linkcode lockRange}, blocking the thread: in `fcntl` without a
 * timeout, retrying the non-blocking form every 0.1 to 10 ms with one.
 *
 * @param fd an open descriptor of the file
 * @param opts `mode`, `start`, `length`, `ofd`, `timeout` in ms
 * @returns the hold
 * @throws {IpcError} `ETIMEDOUT`, `EDEADLK` (record locks, without a timeout)
 * @example
 * ```ts
 * import { close, lockRangeSync, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * lockRangeSync(fd, { mode: "read", length: 1 }).release();
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export function lockRangeSync(
  fd: number,
  opts?: Omit<LockRangeOptions, "signal">,
): LockHold {
  const o = options(opts);
  const lock = rangeLock(o);
  const ofd = o.ofd ?? true;
  const now = ofd ? F_OFD_SETLK : F_SETLK;
  const timeout = syncTimeout(o);
  if (timeout === undefined) {
    fcntl_lock(fd, ofd ? F_OFD_SETLKW : F_SETLKW, lock);
  } else {
    retrySync(
      nonBlocking(() => fcntl_lock(fd, now, lock), "EAGAIN", "EACCES"),
      timeout,
      "fcntl",
    );
  }
  return hold(() => fcntl_lock(fd, now, { ...lock, type: F_UNLCK }));
}

/**
 * Who would stop this process from locking a range (`F_OFD_GETLK`, or
 * `F_GETLK` with `ofd: false`).
 *
 * @param fd an open descriptor of the file
 * @param opts `mode`, `start`, `length`, `ofd`
 * @returns the conflicting lock (its `pid` is -1 for an OFD lock), or null
 * @example
 * ```ts
 * import { close, open, O_RDWR, testRange } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * console.log(testRange(fd)); // null
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export function testRange(
  fd: number,
  opts?: Omit<LockRangeOptions, "signal" | "timeout">,
): Flock | null {
  const o = options(opts);
  const found = fcntl_lock(
    fd,
    (o.ofd ?? true) ? F_OFD_GETLK : F_GETLK,
    rangeLock(o),
  );
  return found.type === F_UNLCK ? null : found;
}
