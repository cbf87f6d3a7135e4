/**
 * The thin layer over file locks: `flock` (whole-file locks of an open
 * file description), and `fcntl` record locks (`F_SETLK`, `F_SETLKW`,
 * `F_GETLK`: byte ranges, owned by the process) and open file description
 * locks (`F_OFD_SETLK`, `F_OFD_SETLKW`, `F_OFD_GETLK`: byte ranges, owned
 * by the open file description), by their C names, with async forms that
 * wait without blocking the event loop. Re-exported by `lock/mod.ts`.
 *
 * The blocking forms (`flock` without `LOCK_NB`, `F_SETLKW`) block the
 * thread, as in C. The async forms first try without blocking; then one of
 * the engine's helper threads makes the blocking call (or, when none is
 * free, the engine retries the non-blocking form on a timer), interrupted
 * at the deadline or on abort.
 *
 * Deadlock (`EDEADLK`): the kernel detects it only for `F_SETLKW` on
 * process-owned record locks, in the blocking call. The sync
 * {@linkcode fcntl_lock} and an async wait whose call a helper thread
 * makes report it; an async wait that is retried on the timer (more waits
 * than helper threads) cannot see it, and waits until its timeout.
 *
 * @module
 */

import { libc } from "../ffi/libc.ts";
import {
  F_GETLK,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_SETLK,
  F_SETLKW,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
} from "../ffi/locks.ts";
import {
  EACCES,
  EINTR,
  errorFor,
  errorOf,
  type IpcError,
  lastError,
  resultOf,
} from "../ffi/errors.ts";
import { decodeFlock, encodeFlock, type Flock, SIZEOF } from "../ffi/layout.ts";
import { timedOut } from "../ffi/poll.ts";
import { descriptor, int, knownFields, show } from "../ffi/validate.ts";
import {
  checkWaitOptions,
  tryWithoutWaiting,
  wait,
  type WaitOptions,
} from "../ffi/wait.ts";

export type { Flock } from "../ffi/layout.ts";

/** A lock to take, release or test: `whence`, `start` and `len` default to 0. */
export interface FlockRequest {
  /** `F_RDLCK`, `F_WRLCK` or `F_UNLCK`. */
  type: number;
  /** `SEEK_SET` (default), `SEEK_CUR` or `SEEK_END`. */
  whence?: number;
  /** The first byte, from `whence` (default 0). */
  start?: number;
  /** How many bytes (default 0: to the end, however far the file grows). */
  len?: number;
}

export {
  F_GETLK,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_RDLCK,
  F_SETLK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
} from "../ffi/locks.ts";

/** `whence`: from the start of the file. */
export const SEEK_SET = 0;
/** `whence`: from the current offset. */
export const SEEK_CUR = 1;
/** `whence`: from the end of the file. */
export const SEEK_END = 2;

const FLOCK_OPS = [LOCK_SH, LOCK_EX, LOCK_UN];
const LOCK_CMDS = [
  F_GETLK,
  F_SETLK,
  F_SETLKW,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
];

function checkOperation(operation: unknown, syscall: string): number {
  const op = int(operation, syscall, "operation", 0, 15);
  if (!FLOCK_OPS.includes(op & ~LOCK_NB)) {
    throw new RangeError(
      `Argument "operation" to ${syscall} is out of range: "${op}" is not LOCK_SH, LOCK_EX or LOCK_UN, optionally with LOCK_NB`,
    );
  }
  return op;
}

function flockError(
  fd: number,
  operation: number,
  code?: number,
): IpcError {
  return (code === undefined ? lastError("flock") : errorOf(code, "flock"))({
    EBADF: "fd",
    EINVAL: "operation",
  }, {
    fd,
    operation,
  }, {
    EWOULDBLOCK: "another open file description holds a conflicting lock",
  });
}

/**
 * Takes or releases a whole-file lock (`flock`). Without `LOCK_NB` a
 * conflicting lock blocks the thread, as in C; {@linkcode flockAsync}
 * waits without blocking the event loop. The lock belongs to the open file
 * description: it is released when the last descriptor of it closes, and
 * by the kernel when the process dies. `EINTR` is retried.
 *
 * @param fd an open descriptor of the file
 * @param operation `LOCK_SH`, `LOCK_EX` or `LOCK_UN`, optionally with `LOCK_NB`
 * @throws {IpcError} `EWOULDBLOCK` (`EAGAIN`) with `LOCK_NB`, `EBADF`
 * @throws {RangeError} for another operation
 * @example
 * ```ts
 * import { close, flock, LOCK_EX, LOCK_NB, LOCK_UN, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * flock(fd, LOCK_EX | LOCK_NB);
 * flock(fd, LOCK_UN);
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export function flock(fd: number, operation: number): void {
  fd = descriptor(fd, "flock", "fd");
  operation = checkOperation(operation, "flock");
  const c = libc();
  // No closure, which would cost an allocation per call; EINTR made again.
  for (;;) {
    const r = resultOf(c.flock(fd, operation));
    if (r >= 0) return;
    if (r !== -EINTR) throw flockError(fd, operation, -r);
  }
}

/**
 * Takes a whole-file lock without blocking the event loop: at once if it
 * is free, else when the holder releases it.
 *
 * @param fd an open descriptor of the file
 * @param operation `LOCK_SH` or `LOCK_EX`
 * @param options `timeout` (then `ETIMEDOUT`), `signal`
 * @throws {IpcError} `ETIMEDOUT`, `EBADF`
 * @throws {RangeError} for another operation (a rejected promise)
 * @example
 * ```ts
 * import { close, flock, flockAsync, LOCK_EX, LOCK_UN, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * await flockAsync(fd, LOCK_EX, { timeout: 1000 });
 * flock(fd, LOCK_UN);
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export async function flockAsync(
  fd: number,
  operation: number,
  options: WaitOptions = {},
): Promise<void> {
  checkWaitOptions(options, "flockAsync");
  fd = descriptor(fd, "flock", "fd");
  operation = checkOperation(operation, "flock") & ~LOCK_NB;
  if (operation === LOCK_UN) {
    flock(fd, LOCK_UN);
    return;
  }
  const c = libc();
  await wait({
    key: `flock:${fd}:${operation}`,
    uses: fd,
    attempt: () =>
      tryWithoutWaiting(
        () => c.flock(fd, operation | LOCK_NB),
        () => flockError(fd, operation),
      ),
    kernel: { call: "flock", fd, operation },
    fail: (code) => errorFor(code, "flock", "fd", { fd }),
    timedOut: (ms) => timedOut("flock", ms),
  }, options);
}

/** Checks a lock description; returns it complete (defaults filled). */
function checkFlock(lock: unknown, syscall: string): Flock {
  if (lock === null || typeof lock !== "object") {
    throw new TypeError(
      `Invalid argument "lock" to ${syscall}: expected { type, whence, start, len }, got "${
        show(lock)
      }"`,
    );
  }
  // `pid` too: what F_GETLK returned may be given back. A misspelled
  // `len` (`length`) would lock to the end of the file and beyond.
  knownFields(lock, ["type", "whence", "start", "len", "pid"], syscall, "lock");
  const l = lock as Partial<Flock>;
  const type = int(l.type, syscall, "lock.type", 0, 2);
  const whence = int(l.whence ?? SEEK_SET, syscall, "lock.whence", 0, 2);
  const start = int(
    l.start ?? 0,
    syscall,
    "lock.start",
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
  );
  const len = int(
    l.len ?? 0,
    syscall,
    "lock.len",
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
  );
  return { type, whence, start, len, pid: 0 };
}

function checkCmd(cmd: unknown, syscall: string): number {
  const c = int(cmd, syscall, "cmd", 0, 64);
  if (!LOCK_CMDS.includes(c)) {
    throw new RangeError(
      `Argument "cmd" to ${syscall} is out of range: "${c}" is not F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK or F_OFD_SETLKW`,
    );
  }
  return c;
}

function lockError(
  fd: number,
  cmd: number,
  lock: Flock,
  code?: number,
): IpcError {
  return (code === undefined ? lastError("fcntl") : errorOf(code, "fcntl"))(
    {
      EBADF: "fd",
      EINVAL: "lock",
      EAGAIN: "lock",
      EACCES: "lock",
      EDEADLK: "lock",
      ENOLCK: "lock",
    },
    { fd, cmd, lock: JSON.stringify(lock) },
    {
      EAGAIN:
        "another process or open file description holds a conflicting lock",
      EACCES:
        "another process or open file description holds a conflicting lock",
      EDEADLK:
        "waiting would deadlock: the holder waits for a lock this process holds",
      EBADF:
        "the descriptor is not open for the access the lock needs (read for F_RDLCK, write for F_WRLCK)",
      EINVAL: "a bad range, or lock.pid not 0 for an OFD lock",
    },
  );
}

/**
 * A record lock or an open file description lock (`fcntl` with a
 * `struct flock`). `F_SETLK`/`F_OFD_SETLK` take or release it or fail at
 * once; `F_SETLKW`/`F_OFD_SETLKW` block the thread while it conflicts, as
 * in C ({@linkcode fcntl_lockAsync} waits without blocking the event
 * loop); `F_GETLK`/`F_OFD_GETLK` report the first conflicting lock, or a
 * lock of type `F_UNLCK` if none. `EINTR` is retried.
 *
 * @param fd an open descriptor of the file (readable for `F_RDLCK`,
 *   writable for `F_WRLCK`)
 * @param cmd the command
 * @param lock `type`, `whence` (default `SEEK_SET`), `start` (default 0),
 *   `len` (default 0: to the end, however far the file grows)
 * @returns the lock as the kernel left it (for the `GETLK` commands, the
 *   conflicting one with its `pid`: -1 for an OFD lock)
 * @throws {IpcError} `EAGAIN`/`EACCES` (conflict, `SETLK`), `EDEADLK`
 *   (`F_SETLKW`), `EBADF`, `EINVAL`, `ENOLCK`
 * @throws {TypeError|RangeError} for a bad command or lock, before the call
 * @example
 * ```ts
 * import { close, F_GETLK, F_SETLK, F_UNLCK, F_WRLCK, fcntl_lock, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * fcntl_lock(fd, F_SETLK, { type: F_WRLCK, start: 0, len: 10 });
 * // This process's own locks never conflict with it:
 * console.log(fcntl_lock(fd, F_GETLK, { type: F_WRLCK }).type === F_UNLCK); // true
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export function fcntl_lock(
  fd: number,
  cmd: number,
  lock: FlockRequest,
): Flock {
  fd = descriptor(fd, "fcntl", "fd");
  cmd = checkCmd(cmd, "fcntl");
  const l = checkFlock(lock, "fcntl");
  const buf = encodeFlock(l, new Uint8Array(SIZEOF.flock));
  const c = libc();
  // As flock's: no closure.
  for (;;) {
    const r = resultOf(c.fcntl_lock(fd, cmd, buf));
    if (r >= 0) return decodeFlock(buf);
    if (r !== -EINTR) throw lockError(fd, cmd, l, -r);
  }
}

/**
 * Takes a record lock (`F_SETLKW`) or an open file description lock
 * (`F_OFD_SETLKW`) without blocking the event loop: at once if it is free,
 * else when the conflicting holder lets go. See the module doc for
 * `EDEADLK`.
 *
 * @param fd an open descriptor of the file
 * @param cmd `F_SETLKW` or `F_OFD_SETLKW`
 * @param lock the lock (`type` `F_RDLCK` or `F_WRLCK`)
 * @param options `timeout` (then `ETIMEDOUT`), `signal`
 * @throws {IpcError} `ETIMEDOUT`, `EDEADLK`, `EBADF`
 * @example
 * ```ts
 * import { close, F_OFD_SETLKW, F_WRLCK, fcntl_lockAsync, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * await fcntl_lockAsync(fd, F_OFD_SETLKW, { type: F_WRLCK, start: 0, len: 0 }, { timeout: 1000 });
 * close(fd); // releases it
 * await Deno.remove(path);
 * ```
 */
export async function fcntl_lockAsync(
  fd: number,
  cmd: number,
  lock: FlockRequest,
  options: WaitOptions = {},
): Promise<void> {
  checkWaitOptions(options, "fcntl_lockAsync");
  fd = descriptor(fd, "fcntl", "fd");
  cmd = checkCmd(cmd, "fcntl");
  if (cmd !== F_SETLKW && cmd !== F_OFD_SETLKW) {
    throw new RangeError(
      `Argument "cmd" to fcntl_lockAsync is out of range: "${cmd}" is not F_SETLKW or F_OFD_SETLKW`,
    );
  }
  const l = checkFlock(lock, "fcntl");
  const now = cmd === F_SETLKW ? F_SETLK : F_OFD_SETLK;
  const buf = encodeFlock(l, new Uint8Array(SIZEOF.flock));
  const c = libc();
  await wait({
    key: `fcntl:${fd}:${cmd}:${l.type}:${l.whence}:${l.start}:${l.len}`,
    uses: fd,
    attempt: () =>
      tryWithoutWaiting(
        () => c.fcntl_lock(fd, now, buf),
        () => lockError(fd, cmd, l),
        EACCES,
      ),
    kernel: { call: "fcntl_lock", fd, cmd, lock: buf },
    fail: (code) =>
      errorFor(code, "fcntl", "lock", { lock: JSON.stringify(l) }, {
        EDEADLK:
          "waiting would deadlock: the holder waits for a lock this process holds",
      }),
    timedOut: (ms) => timedOut("fcntl", ms),
  }, options);
}
