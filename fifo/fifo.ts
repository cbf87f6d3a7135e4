/**
 * The thin layer for pipes and FIFOs: `pipe`, `pipe2`, `mkfifo`, `read`,
 * `write`, `fcntl`, by their C names with their C constants, and async forms
 * of the calls that can block (`readAsync`, `writeAsync`, `openAsync`) that
 * keep the event loop running. Re-exported by `fifo/mod.ts`.
 *
 * The async forms put the descriptor in non-blocking mode (`O_NONBLOCK`),
 * try the call at once, and only if it would block wait for readiness on
 * the engine's reactor (`ffi/wait.ts`), then make the call again here: data
 * never crosses threads and errno is exact. A FIFO's `open`, which waits
 * for the other side, is made non-blocking too (see {@linkcode openAsync}).
 *
 * @module
 */

import { libc, sizeT } from "../ffi/libc.ts";
import {
  EINTR,
  EINVAL,
  ENOENT,
  ENXIO,
  errorFor,
  errorOf,
  type IpcError,
  lastError,
  resultOf,
} from "../ffi/errors.ts";
import {
  checkOpen,
  fstat,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDONLY,
  ownChecked,
  type OwnedFd,
  S_IFIFO,
  S_IFMT,
  setNonBlocking,
  wrongDirection,
} from "../ffi/fd.ts";
export { setNonBlocking } from "../ffi/fd.ts";
import { requirePath } from "../ffi/permissions.ts";
import {
  IN_CLOSE_WRITE,
  IN_MODIFY,
  IN_OPEN,
  takeEvents,
  unwatch,
  watchPath,
} from "../ffi/watch.ts";
import {
  bytes,
  cString,
  descriptor,
  flags as checkFlags,
  int,
} from "../ffi/validate.ts";
import {
  checkWaitOptions,
  tryWithoutWaiting,
  wait,
  waitFor,
  type WaitOptions,
} from "../ffi/wait.ts";
import {
  bufferIo,
  POLLIN,
  pollOp,
  pollSync,
  retrySync,
  timedOut,
  WOULD_BLOCK,
  writeAllWithin,
} from "../ffi/poll.ts";
export { POLLERR, POLLHUP, POLLIN, POLLOUT, pollSync } from "../ffi/poll.ts";

/** Writes of at most this many bytes to a pipe are atomic. */
export const PIPE_BUF = 4096;

/**
 * Creates a pipe (`pipe2` with `O_CLOEXEC`): data written to the second
 * descriptor can be read from the first.
 *
 * @returns `[readEnd, writeEnd]`
 * @throws {IpcError} `EMFILE`, `ENFILE`
 * @example
 * ```ts
 * import { close, pipe, read, write } from "@linux-ipc/ipc/fifo";
 * const [r, w] = pipe();
 * write(w, new TextEncoder().encode("hi"));
 * const buf = new Uint8Array(2);
 * console.log(read(r, buf)); // 2
 * close(r);
 * close(w);
 * ```
 */
export function pipe(): [number, number] {
  return pipe2(0);
}

/**
 * Creates a pipe with flags (`pipe2`). `O_CLOEXEC` is always added.
 *
 * @param flags `O_NONBLOCK`, `O_CLOEXEC`
 * @returns `[readEnd, writeEnd]`
 * @throws {IpcError} `EMFILE`, `ENFILE`
 * @throws {RangeError} for unknown flag bits
 * @example
 * ```ts
 * import { close, O_NONBLOCK, pipe2 } from "@linux-ipc/ipc/fifo";
 * const [r, w] = pipe2(O_NONBLOCK);
 * close(r);
 * close(w);
 * ```
 */
export function pipe2(flags: number): [number, number] {
  flags = checkFlags(flags, O_NONBLOCK | O_CLOEXEC, "pipe2", "flags");
  const fds = new Int32Array(2);
  if (libc().pipe2(new Uint8Array(fds.buffer), flags | O_CLOEXEC) === -1) {
    throw lastError("pipe2")("pipefd");
  }
  return [fds[0], fds[1]];
}

/**
 * Makes a FIFO, a named pipe, at a path (`mkfifo`). Needs `--allow-write`
 * for the path.
 *
 * @param pathname where
 * @param mode permission bits (default `0o666`, less the umask)
 * @throws {IpcError} `EEXIST` (the path exists), `ENOENT`, `EACCES`, `ENAMETOOLONG`
 * @throws {Deno.errors.NotCapable} without `--allow-write` for the path
 * @example
 * ```ts
 * import { mkfifo } from "@linux-ipc/ipc/fifo";
 * const dir = await Deno.makeTempDir({ prefix: "linux-ipc-doc-" });
 * mkfifo(`${dir}/fifo`, 0o600);
 * console.log((await Deno.stat(`${dir}/fifo`)).isFifo); // true
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function mkfifo(pathname: string, mode = 0o666): void {
  const path = cString(pathname, "mkfifo", "pathname");
  mode = int(mode, "mkfifo", "mode", 0, 0o7777);
  requirePath("write", pathname);
  if (libc().mkfifo(path, mode) === -1) {
    throw lastError("mkfifo")("pathname", { pathname }, {
      EEXIST: "the path exists already",
      ENOENT: "a directory of the path does not exist",
    });
  }
}

/**
 * Reads up to `buf.length` bytes (`read`). Blocks the thread on a blocking
 * descriptor, as in C; use {@linkcode readAsync} to keep the event loop
 * running. `EINTR` is retried.
 *
 * @param fd the descriptor
 * @param buf where to put the bytes
 * @returns how many were read; 0 at end of file (all writers closed)
 * @throws {IpcError} `EAGAIN` (non-blocking and nothing to read), `EBADF`, `EISDIR`
 * @example
 * ```ts
 * import { close, pipe, read } from "@linux-ipc/ipc/fifo";
 * const [r, w] = pipe();
 * close(w);
 * console.log(read(r, new Uint8Array(10))); // 0: end of file
 * close(r);
 * ```
 */
export function read(fd: number, buf: Uint8Array): number {
  fd = descriptor(fd, "read", "fd");
  bytes(buf, "read", "buf");
  const c = libc();
  const n = sizeT(buf.length);
  // No closure, which would cost an allocation per call; EINTR made again.
  for (;;) {
    const r = resultOf(c.read(fd, buf, n));
    if (r >= 0) return r;
    if (r !== -EINTR) {
      throw wrongDirection(
        errorOf(-r, "read")(
          { EBADF: "fd", EISDIR: "fd", EINVAL: "fd", EFAULT: "buf" },
          { fd },
          {
            EAGAIN:
              "the descriptor is non-blocking and nothing is there to read",
          },
        ),
        fd,
        "read",
      );
    }
  }
}

/**
 * Writes up to `buf.length` bytes (`write`); returns how many went (a pipe
 * may take fewer than asked). Blocks the thread on a blocking descriptor
 * when the pipe is full. `EINTR` is retried.
 *
 * @param fd the descriptor
 * @param buf the bytes
 * @returns how many were written
 * @throws {IpcError} `EPIPE` (no reader: the process is not killed), `EAGAIN`
 *   (non-blocking and full), `EBADF`
 * @example
 * ```ts
 * import { close, pipe, write } from "@linux-ipc/ipc/fifo";
 * const [r, w] = pipe();
 * close(r);
 * try {
 *   write(w, new Uint8Array(1));
 * } catch (e) {
 *   console.log((e as { code: string }).code); // "EPIPE"
 * }
 * close(w);
 * ```
 */
export function write(fd: number, buf: Uint8Array): number {
  fd = descriptor(fd, "write", "fd");
  bytes(buf, "write", "buf");
  const c = libc();
  const n = sizeT(buf.length);
  // As read's: no closure, EINTR made again.
  for (;;) {
    const r = resultOf(c.write(fd, buf, n));
    if (r >= 0) return r;
    if (r !== -EINTR) throw writeError(fd, -r);
  }
}

function readError(fd: number): IpcError {
  return wrongDirection(
    lastError("read")({ EBADF: "fd", EISDIR: "fd", EINVAL: "fd" }, { fd }),
    fd,
    "read",
  );
}

function writeError(fd: number, code?: number): IpcError {
  const error =
    (code === undefined ? lastError("write") : errorOf(code, "write"))(
      {
        EBADF: "fd",
        EPIPE: "fd",
        EINVAL: "fd",
        EFAULT: "buf",
        EFBIG: "buf",
        ENOSPC: "fd",
      },
      { fd },
      {
        EPIPE: "the reading end is closed",
        EAGAIN: "the descriptor is non-blocking and the pipe is full",
      },
    );
  return wrongDirection(error, fd, "write");
}

/**
 * Reads without blocking the event loop: at once if data is there, else
 * when it arrives. Puts `fd` in non-blocking mode.
 *
 * @param fd the descriptor
 * @param buf where to put the bytes
 * @param options `timeout` in ms (rejects with `IpcError` `ETIMEDOUT`),
 *   `signal` (rejects with its reason; nothing is read)
 * @returns how many bytes were read; 0 at end of file
 * @throws {IpcError} `EBADF`, `ETIMEDOUT`
 * @example
 * ```ts
 * import { close, pipe, readAsync, write } from "@linux-ipc/ipc/fifo";
 * const [r, w] = pipe();
 * setTimeout(() => write(w, new TextEncoder().encode("later")), 10);
 * const buf = new Uint8Array(16);
 * const n = await readAsync(r, buf, { timeout: 1000 });
 * console.log(new TextDecoder().decode(buf.subarray(0, n))); // "later"
 * close(r);
 * close(w);
 * ```
 */
export async function readAsync(
  fd: number,
  buf: Uint8Array,
  options: WaitOptions = {},
): Promise<number> {
  checkWaitOptions(options, "readAsync");
  fd = descriptor(fd, "read", "fd");
  bytes(buf, "read", "buf");
  setNonBlocking(fd);
  return await readReady(fd, buf, options);
}

/**
 * {@linkcode readAsync} for a descriptor already checked and non-blocking
 * (a `PipeEnd`'s): no `fcntl` on every call.
 *
 * @param fd the descriptor
 * @param buf where to put the bytes
 * @param options `timeout`, `signal`
 * @returns how many bytes were read; 0 at end of file
 */
export function readReady(
  fd: number,
  buf: Uint8Array,
  options: WaitOptions = {},
): Promise<number> {
  return ioReady(fd, buf, "read", options);
}

/**
 * Writes without blocking the event loop: at once if there is room, else
 * when there is. Resolves with how many bytes went, which may be fewer than
 * asked (see {@linkcode writeAllAsync}). Puts `fd` in non-blocking mode.
 *
 * @param fd the descriptor
 * @param buf the bytes
 * @param options `timeout` in ms, `signal`
 * @returns how many bytes were written (at least 1 unless `buf` is empty)
 * @throws {IpcError} `EPIPE` (no reader), `EBADF`, `ETIMEDOUT`
 * @example
 * ```ts
 * import { close, pipe, writeAsync } from "@linux-ipc/ipc/fifo";
 * const [r, w] = pipe();
 * console.log(await writeAsync(w, new Uint8Array(100))); // 100
 * close(r);
 * close(w);
 * ```
 */
export async function writeAsync(
  fd: number,
  buf: Uint8Array,
  options: WaitOptions = {},
): Promise<number> {
  checkWaitOptions(options, "writeAsync");
  fd = descriptor(fd, "write", "fd");
  bytes(buf, "write", "buf");
  setNonBlocking(fd);
  return await writeReady(fd, buf, options);
}

/**
 * {@linkcode writeAsync} for a descriptor already checked and non-blocking.
 *
 * @param fd the descriptor
 * @param buf the bytes
 * @param options `timeout`, `signal`
 * @returns how many bytes were written
 */
export function writeReady(
  fd: number,
  buf: Uint8Array,
  options: WaitOptions = {},
): Promise<number> {
  return ioReady(fd, buf, "write", options);
}

/**
 * A read or write that waits for readiness, shared by the two (through
 * `bufferIo` in `ffi/poll.ts`).
 */
function ioReady(
  fd: number,
  buf: Uint8Array,
  syscall: "read" | "write",
  options: WaitOptions,
): Promise<number> {
  return bufferIo(fd, syscall, buf, 0, ioError, options);
}

/** The error of a read or write, errno still set. */
function ioError(syscall: string, fd: number): IpcError {
  return syscall === "read" ? readError(fd) : writeError(fd);
}

/**
 * Writes all of `buf`, waiting for room without blocking the event loop.
 *
 * @param fd the descriptor
 * @param buf the bytes
 * @param options `timeout` in ms for the whole write, `signal`
 * @throws {IpcError} `EPIPE`, `EBADF`, `ETIMEDOUT`; its `written` says how
 *   many bytes went before it
 * @example
 * ```ts
 * import { close, pipe, writeAllAsync } from "@linux-ipc/ipc/fifo";
 * const [r, w] = pipe();
 * await writeAllAsync(w, new Uint8Array(1000));
 * close(r);
 * close(w);
 * ```
 */
export async function writeAllAsync(
  fd: number,
  buf: Uint8Array,
  options: WaitOptions = {},
): Promise<void> {
  fd = descriptor(fd, "write", "fd");
  bytes(buf, "write", "buf");
  setNonBlocking(fd);
  return await writeAllReady(fd, buf, options);
}

/**
 * {@linkcode writeAllAsync} for a descriptor already checked and non-blocking.
 *
 * @param fd the descriptor
 * @param buf the bytes
 * @param options `timeout` for the whole write, `signal`
 */
export async function writeAllReady(
  fd: number,
  buf: Uint8Array,
  options: WaitOptions = {},
): Promise<void> {
  await writeAllWithin(
    "writeAllAsync",
    buf,
    options,
    (chunk, o) => writeReady(fd, chunk, o),
  );
}

let opens = 0;

/**
 * Opens a path without blocking the event loop: for a FIFO, the open waits
 * for the other side unless `O_NONBLOCK` is given, as C's does. A reader's
 * open takes the FIFO at once, non-blocking (so that a writer's open goes
 * through), and completes once a writer is there, asked with a `tee` that
 * takes no data; a writer's open is an event on the FIFO (inotify), so the
 * reader waits on a watch of the FIFO it opened, through the engine's
 * reactor, tried again as soon as something happens to it. A writer's open
 * is tried
 * until a reader is there, on the engine's timer (within 10 ms): a reader
 * blocked in C's `open` makes no event until a writer comes, and one that
 * comes and goes between two tries is missed, where C's blocking open would
 * return. The reader's tries are timed too without a watch (no inotify
 * instance left, or no `/proc`). A FIFO removed and made again while a
 * writer's open waits is waited for, as C's open would go on waiting. Needs
 * the same permissions as `open`.
 *
 * @param pathname the path
 * @param flags `O_RDONLY`, `O_WRONLY` or `O_RDWR`, with the `open` flags
 * @param mode permission bits for a created file
 * @param options `timeout` in ms (`IpcError` `ETIMEDOUT`), `signal`
 * @returns the descriptor (with `O_CLOEXEC`; blocking unless `O_NONBLOCK`
 *   was asked for)
 * @throws {IpcError} `ENOENT`, `EACCES`, `ENXIO` (writer, `O_NONBLOCK`, no reader)
 * @throws {TypeError} for options that are not an object, or a `signal`
 *   that is not an `AbortSignal`
 * @throws {RangeError} for a negative or NaN `timeout`
 * @example
 * ```ts
 * import { close, mkfifo, O_RDONLY, O_WRONLY, openAsync } from "@linux-ipc/ipc/fifo";
 * const dir = await Deno.makeTempDir({ prefix: "linux-ipc-doc-" });
 * mkfifo(`${dir}/f`);
 * const [r, w] = await Promise.all([
 *   openAsync(`${dir}/f`, O_RDONLY), // waits for the writer
 *   openAsync(`${dir}/f`, O_WRONLY), // waits for the reader
 * ]);
 * close(r);
 * close(w);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openAsync(
  pathname: string,
  flags: number,
  mode = 0o666,
  options: WaitOptions = {},
): Promise<number> {
  checkWaitOptions(options, "openAsync");
  const opening = fifoOpener(pathname, flags, mode);
  let watch: OwnedFd | null = null;
  try {
    // A writer's open (or its write, or its close) is an event on the
    // FIFO: once a reader's first try finds no writer, its wait is on a
    // watch of the FIFO it opened, through the reactor, tried again as soon
    // as something happens. Without one (a writer's open, or no inotify
    // instance left), the tries are timed.
    if (!opening.attempt()) {
      watch = opening.watch();
      if (watch === null) {
        await wait({
          key: `open:${++opens}`,
          attempt: opening.attempt,
          fail: (code) => errorFor(code, "open", "pathname", { pathname }),
          timedOut: (ms) => timedOut("open", ms),
        }, options);
      } else if (!opening.attempt()) {
        // (Tried again once watched: a writer may have come between.)
        const w = watch.fd;
        await waitFor(
          pollOp(w, POLLIN, "open", () => {
            takeEvents(w);
            return opening.attempt() ? 0 : WOULD_BLOCK;
          }, () => errorFor(EINVAL, "open", "pathname", { pathname })),
          options,
        );
      }
    }
    // The open won the race with the abort: no fd nobody wants.
    if (options.signal?.aborted) throw options.signal.reason;
  } catch (e) {
    opening.abandon();
    throw e;
  } finally {
    unwatch(watch);
  }
  return opening.done();
}

/**
 * Internal to `fifo/`: {@linkcode openAsync}'s open as a blocking call
 * bounded by `timeout` (`ETIMEDOUT`), retrying on the calling thread.
 *
 * @param pathname the path
 * @param flags `O_RDONLY` or `O_WRONLY` (and `O_NONBLOCK`)
 * @param timeout the most milliseconds to wait for the other side
 * @returns the descriptor, in the mode `flags` asks for
 */
export function openWithin(
  pathname: string,
  flags: number,
  timeout: number,
): number {
  const opening = fifoOpener(pathname, flags, 0o666);
  try {
    retrySync(opening.attempt, timeout, "open");
  } catch (e) {
    opening.abandon();
    throw e;
  }
  return opening.done();
}

/**
 * The tries of an open that must not block the thread, as a blocking open
 * of a FIFO would until the other side comes: `attempt` is true once the
 * open has what a blocking open waits for. Writing, it retries with
 * `O_NONBLOCK`, which fails with `ENXIO` while no reader is there. Reading,
 * it opens at once and then asks whether a writer is there: Linux gives no
 * event for a writer's arrival.
 */
function fifoOpener(pathname: string, flags: number, mode: number) {
  let path: Uint8Array<ArrayBuffer>;
  ({ path, flags, mode } = checkOpen(pathname, flags, mode));
  let tried = false;
  const access = flags & 3;
  const all = flags | O_CLOEXEC | O_NONBLOCK;
  const blocking = (flags & O_NONBLOCK) === 0;
  let fd = -1;
  // Owned while the open waits, so that a Worker terminated meanwhile
  // leaves it to the engine's helper threads to close.
  let owner: OwnedFd | undefined;
  let awaitWriter = false;
  return {
    attempt(): boolean {
      if (fd === -1) {
        const r = libc().open(path, all, mode);
        if (r === -1) {
          const e = openError(pathname);
          // No reader yet; or the FIFO there when the wait began is gone
          // (`rm` and `mkfifo` again): the wait goes on, as C's blocking
          // open would.
          if (
            blocking && (e.errno === ENXIO || (tried && e.errno === ENOENT))
          ) {
            tried = true;
            return false;
          }
          throw e;
        }
        fd = r;
        owner = ownChecked(fd, "FIFO");
        awaitWriter = access === O_RDONLY && blocking &&
          (fstat(fd).mode & S_IFMT) === S_IFIFO;
      }
      return !awaitWriter || hasWriter(fd);
    },
    /**
     * For a reader waiting for a writer, a watch (see `ffi/watch.ts`) of
     * what a writer does to the FIFO it opened: opens it, writes, closes
     * its end; or -1. (A writer waits for a reader whose blocking open,
     * C's, makes no event until the writer is there.) The FIFO is named by
     * the reader's own descriptor, so a path made anew meanwhile does not
     * matter; the reader needed read access to the path to open it.
     */
    watch(): OwnedFd | null {
      if (!awaitWriter) return null;
      return watchPath(
        cString(`/proc/self/fd/${fd}`, "inotify_add_watch", "pathname"),
        IN_OPEN | IN_MODIFY | IN_CLOSE_WRITE,
      );
    },
    /** Closes what was opened, for a wait that ended without it. */
    abandon(): void {
      owner?.close();
      fd = -1;
    },
    /**
     * The descriptor, blocking again if the caller asked for that, now the
     * caller's own.
     */
    done(): number {
      owner?.disown();
      if (blocking) setNonBlocking(fd, false);
      return fd;
    },
  };
}

/**
 * Whether a FIFO read end has had a writer since it was opened, as a
 * blocking open waits for, asked without taking any data:
 * - `poll` reports `POLLIN` for data a writer left, and `POLLHUP` for a
 *   writer that opened and closed since this end was opened, even with no
 *   data (`: > fifo`, the shell's way to wake a reader): a blocking open
 *   would have returned then, and the first read gives end of file;
 * - else `tee` of one byte into a scratch pipe, non-blocking, answers
 *   `EAGAIN` while a writer is there with no data yet, and 0 with none.
 */
function hasWriter(fd: number): boolean {
  if (pollSync(fd, POLLIN, 0)) return true;
  const c = libc();
  const scratch = new Int32Array(2);
  if (c.pipe2(new Uint8Array(scratch.buffer), O_NONBLOCK | O_CLOEXEC) === -1) {
    throw lastError("pipe2")("pipefd", {});
  }
  try {
    let r = 0;
    const done = tryWithoutWaiting(
      () => r = c.tee(fd, scratch[1], 1n, 2 /* SPLICE_F_NONBLOCK */),
      () => lastError("tee")("fd_in", { fd }),
    );
    // EAGAIN: nothing to take at once, yet a writer is there.
    return !done || r > 0;
  } finally {
    c.close(scratch[0]);
    c.close(scratch[1]);
  }
}

function openError(pathname: string): IpcError {
  return lastError("open")("pathname", { pathname }, {
    ENXIO: "a FIFO opened for writing with O_NONBLOCK has no reader",
  });
}
