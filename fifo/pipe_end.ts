/**
 * {@linkcode PipeEnd}: one end of a pipe or FIFO for everyday use.
 *
 * @module
 */

import {
  close,
  fileKind,
  fstat,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  ownChecked,
  type OwnedFd,
  S_IFIFO,
  S_IFMT,
} from "../ffi/fd.ts";
import { bytes, descriptor, int, knownOptions, show } from "../ffi/validate.ts";
import { libc, sizeT } from "../ffi/libc.ts";
import { IpcError, lastError } from "../ffi/errors.ts";
import {
  checkWaitOptions,
  syncTimeout,
  type WaitOptions,
  waitPart,
} from "../ffi/wait.ts";
import { callWhenReady, WriteLine } from "../ffi/poll.ts";
import { readableFrom, writableFrom } from "../ffi/streams.ts";
import {
  mkfifo,
  openAsync,
  openWithin,
  pipe2,
  POLLIN,
  POLLOUT,
  readReady,
  writeReady,
} from "./fifo.ts";
import {
  isBlocking,
  open,
  refuseRuntimeDescriptor,
  restoreBlockingOnClose,
  setNonBlocking,
} from "../ffi/fd.ts";

/**
 * An error of a FIFO's open, saying what it means for a FIFO: nothing at
 * the path, or no process at the other end in time.
 */
function fifoError(
  e: unknown,
  mode: "r" | "w",
  path: string,
  timeout: number | undefined,
): unknown {
  if (!(e instanceof IpcError)) return e;
  if (e.code === "ENOENT") {
    return new IpcError(e.errno, {
      syscall: e.syscall,
      argument: "path",
      value: path,
      hint:
        "no FIFO is at this path: make one with mkfifo, or give the create option",
      cause: e,
    });
  }
  if (e.code === "ETIMEDOUT") {
    return new IpcError(e.errno, {
      syscall: e.syscall,
      argument: e.argument,
      value: timeout,
      hint: `no process opened the FIFO for ${
        mode === "r" ? "writing" : "reading"
      } within ${timeout} ms`,
      cause: e,
    });
  }
  return e;
}

// openFifoSync takes "signal" only to refuse it with a message of its own.
const OPEN_FIFO_OPTIONS = ["create", "timeout", "signal"];

/** How {@linkcode PipeEnd.openFifo} opens a FIFO. */
export interface OpenFifoOptions extends WaitOptions {
  /**
   * Make the FIFO first if the path does not exist: `true` (mode `0o600`),
   * or its permission bits, up to `0o777` (default no).
   */
  create?: boolean | number;
}

/**
 * One end of a pipe or FIFO: async and sync reads and writes, Web Streams
 * (`readable`, `writable`, as `Deno.FsFile` has), `using`. The descriptor
 * is kept non-blocking; the sync forms wait with `poll`, the async forms on
 * the async engine's reactor, so the event loop keeps running.
 *
 * @example A pipe within one process
 * ```ts
 * import { PipeEnd } from "@linux-ipc/ipc";
 * const [reader, writer] = PipeEnd.pipe();
 * await writer.writeAll(new TextEncoder().encode("Hello, world.\n"));
 * writer.close();
 * console.log(await new Response(reader.readable).text()); // "Hello, world.\n"
 * ```
 */
export class PipeEnd {
  #owner: OwnedFd;
  #line = new WriteLine();
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  private constructor(fd: number) {
    setNonBlocking(fd);
    this.#owner = ownChecked(fd, "pipe end");
  }

  /**
   * Creates a pipe.
   *
   * @returns `[readEnd, writeEnd]`
   * @throws {IpcError} `EMFILE`
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * r.close();
   * w.close();
   * ```
   */
  static pipe(): [PipeEnd, PipeEnd] {
    const [r, w] = pipe2(O_NONBLOCK);
    return [new PipeEnd(r), new PipeEnd(w)];
  }

  /**
   * Opens a FIFO without blocking the event loop: a reader waits for a
   * writer, a writer for a reader.
   *
   * @param path the FIFO
   * @param mode `"r"` to read, `"w"` to write
   * @param options `create` (make it if missing: `true`, or its permission
   *   bits up to `0o777`),
   *   `timeout`, `signal`
   * @returns the open end
   * @throws {IpcError} `ENOENT`, `EACCES`, `ETIMEDOUT`
   * @throws {Deno.errors.NotCapable} without `--allow-read`/`--allow-write`
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const dir = await Deno.makeTempDir({ prefix: "linux-ipc-doc-" });
   * const [r, w] = await Promise.all([
   *   PipeEnd.openFifo(`${dir}/fifo`, "r", { create: 0o600 }),
   *   PipeEnd.openFifo(`${dir}/fifo`, "w"),
   * ]);
   * r.close();
   * w.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async openFifo(
    path: string,
    mode: "r" | "w",
    options: OpenFifoOptions = {},
  ): Promise<PipeEnd> {
    checkWaitOptions(options, "PipeEnd.openFifo", false);
    knownOptions(options, OPEN_FIFO_OPTIONS, "PipeEnd.openFifo");
    const flags = fifoMode(mode, "PipeEnd.openFifo");
    createFifo(path, options.create, "PipeEnd.openFifo");
    let fd: number;
    try {
      fd = await openAsync(path, flags, 0o666, waitPart(options));
    } catch (e) {
      throw fifoError(e, mode, path, options.timeout);
    }
    return new PipeEnd(onlyFifo(fd, path, "PipeEnd.openFifo"));
  }

  /**
   * Opens a FIFO, blocking the thread until the other side opens it (as
   * `open` does in C). With a `timeout` it gives up with `ETIMEDOUT`: it
   * then opens without blocking and retries, every 0.1 ms at first and at
   * most every 10 ms, until the other side is there.
   *
   * @param path the FIFO
   * @param mode `"r"` or `"w"`
   * @param options `create` (make the FIFO first if the path does not
   *   exist: `true`, or its permission bits), `timeout` in milliseconds
   * @returns the open end
   * @throws {IpcError} `ENOENT`, `EACCES`, `ETIMEDOUT`
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts ignore
   * import { PipeEnd } from "@linux-ipc/ipc";
   * // Blocks until another process opens "/tmp/fifo" for writing.
   * using reader = PipeEnd.openFifoSync("/tmp/fifo", "r");
   * ```
   */
  static openFifoSync(
    path: string,
    mode: "r" | "w",
    options: Omit<OpenFifoOptions, "signal"> = {},
  ): PipeEnd {
    const timeout = syncTimeout(options, "PipeEnd.openFifoSync", false);
    knownOptions(options, OPEN_FIFO_OPTIONS, "PipeEnd.openFifoSync");
    const flags = fifoMode(mode, "PipeEnd.openFifoSync");
    createFifo(path, options.create, "PipeEnd.openFifoSync");
    let fd: number;
    try {
      fd = timeout === undefined
        ? open(path, flags)
        : openWithin(path, flags, timeout);
    } catch (e) {
      throw fifoError(e, mode, path, timeout);
    }
    return new PipeEnd(onlyFifo(fd, path, "PipeEnd.openFifoSync"));
  }

  /**
   * Takes over a descriptor this process has (fd 3 handed by a parent, an
   * end from `pipe`): it is made non-blocking and closed with this object.
   * The mode belongs to the open file description, which the process that
   * handed it over may share: one that was blocking is made blocking again
   * as it is closed.
   *
   * @param fd the descriptor
   * @returns the end
   * @throws {TypeError} for a descriptor of Deno's own event loop (its epoll
   *   instance or wake-up eventfd), which closing would make Deno panic
   * @example
   * ```ts
   * import { pipe, PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = pipe();
   * using reader = PipeEnd.fromFd(r);
   * using writer = PipeEnd.fromFd(w);
   * ```
   */
  static fromFd(fd: number): PipeEnd {
    fd = descriptor(fd, "PipeEnd.fromFd", "fd");
    refuseRuntimeDescriptor(fd, "PipeEnd.fromFd");
    const blocking = isBlocking(fd);
    const end = new PipeEnd(fd);
    if (blocking) restoreBlockingOnClose(end.#owner);
    return end;
  }

  /**
   * The descriptor.
   *
   * @throws {Deno.errors.BadResource} once closed
   */
  get fd(): number {
    return this.#owner.check();
  }

  /** Whether it has been closed. */
  get closed(): boolean {
    return this.#owner.closed;
  }

  /**
   * Reads into `buf` without blocking the event loop.
   *
   * @param buf where to put the bytes
   * @param options `timeout`, `signal`
   * @returns how many bytes were read, or null at end of file
   * @throws {IpcError} `ETIMEDOUT`, `EBADF` (the write end of a pipe)
   * @throws {Deno.errors.BadResource} once closed, or closed while waiting
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * w.close();
   * console.log(await r.read(new Uint8Array(8))); // null
   * r.close();
   * ```
   */
  async read(
    buf: Uint8Array,
    options: WaitOptions = {},
  ): Promise<number | null> {
    checkWaitOptions(options, "PipeEnd.read");
    bytes(buf, "PipeEnd.read", "buf");
    const n = await readReady(this.#owner.check(), buf, options);
    return n === 0 && buf.length > 0 ? null : n;
  }

  /**
   * Reads into `buf`, blocking the thread until data or end of file.
   *
   * @param buf where to put the bytes
   * @param options `timeout` in milliseconds
   * @returns how many bytes were read, or null at end of file
   * @throws {IpcError} `ETIMEDOUT`, `EBADF`
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * w.writeSync(new Uint8Array([1, 2]));
   * console.log(r.readSync(new Uint8Array(8))); // 2
   * ```
   */
  readSync(buf: Uint8Array, options: { timeout?: number } = {}): number | null {
    bytes(buf, "PipeEnd.readSync", "buf");
    const fd = this.#owner.check();
    const n = callWhenReady(
      fd,
      POLLIN,
      syncTimeout(options, "PipeEnd.readSync"),
      "read",
      () => libc().read(fd, buf, sizeT(buf.length)),
      () => lastError("read")("fd", { fd }),
    );
    return n === 0 && buf.length > 0 ? null : n;
  }

  /**
   * Writes some of `data` without blocking the event loop.
   *
   * @param data the bytes
   * @param options `timeout`, `signal`
   * @returns how many bytes were written
   * @throws {IpcError} `EPIPE` (no reader), `ETIMEDOUT`
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * console.log(await w.write(new Uint8Array(3))); // 3
   * ```
   */
  write(data: Uint8Array, options: WaitOptions = {}): Promise<number> {
    try {
      checkWaitOptions(options, "PipeEnd.write");
      bytes(data, "PipeEnd.write", "data");
      // While a writeAll is under way, in line after it.
      if (this.#line.busy) {
        return this.#line.run(
          "write",
          options,
          (o) => writeReady(this.#owner.check(), data, o),
        );
      }
      return writeReady(this.#owner.check(), data, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Writes all of `data` without blocking the event loop. Its bytes go out
   * whole: a write of this object made while it is under way waits for its
   * last byte (with the time it waits counted in its timeout). A `Sync`
   * write, which cannot wait for it, is refused meanwhile (`EDEADLK`).
   *
   * @param data the bytes
   * @param options `timeout` for the whole write, `signal`
   * @throws {IpcError} `EPIPE` (no reader), `ETIMEDOUT`; its `written`
   *   says how many bytes went before it
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * await w.writeAll(new TextEncoder().encode("all of it"));
   * ```
   */
  async writeAll(data: Uint8Array, options: WaitOptions = {}): Promise<void> {
    checkWaitOptions(options, "PipeEnd.writeAll");
    bytes(data, "PipeEnd.writeAll", "data");
    // The descriptor is asked for at each write: a close between two ends
    // the rest with BadResource, never a write to a reused number.
    // The line keeps the writes of this process out of the middle of it.
    await this.#line.writeAll(
      "write",
      data,
      options,
      (chunk, left) => writeReady(this.#owner.check(), chunk, left),
    );
  }

  /**
   * Writes some of `data`, blocking the thread until there is room.
   *
   * @param data the bytes
   * @param options `timeout` in milliseconds
   * @returns how many bytes were written
   * @throws {IpcError} `EPIPE` (no reader), `ETIMEDOUT`; `EDEADLK` while an
   *   async `writeAll` of this pipe end is under way
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * console.log(w.writeSync(new Uint8Array(5))); // 5
   * ```
   */
  writeSync(data: Uint8Array, options: { timeout?: number } = {}): number {
    bytes(data, "PipeEnd.writeSync", "data");
    const fd = this.#owner.check();
    this.#line.refuseSync("write", fd);
    return callWhenReady(
      fd,
      POLLOUT,
      syncTimeout(options, "PipeEnd.writeSync"),
      "write",
      () => libc().write(fd, data, sizeT(data.length)),
      () =>
        lastError("write")("fd", { fd }, {
          EPIPE: "the reading end is closed",
        }),
    );
  }

  /**
   * Writes all of `data`, blocking the thread while the pipe is full.
   *
   * @param data the bytes
   * @param options `timeout` in milliseconds for the whole write
   * @throws {IpcError} `EPIPE` (no reader), `ETIMEDOUT`; `EDEADLK` while an
   *   async `writeAll` of this pipe end is under way; its `written` says
   *   how many bytes went before it
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * w.writeAllSync(new Uint8Array(10));
   * ```
   */
  writeAllSync(data: Uint8Array, options: { timeout?: number } = {}): void {
    bytes(data, "PipeEnd.writeAllSync", "data");
    this.#line.writeAllSync(
      "write",
      this.#owner.check(),
      data,
      syncTimeout(options, "PipeEnd.writeAllSync"),
      (chunk, timeout) => this.writeSync(chunk, { timeout }),
    );
  }

  /**
   * The bytes as a byte stream, as `Deno.FsFile.readable` is: a default
   * reader gets chunks of up to 64 KiB, a BYOB reader
   * (`getReader({ mode: "byob" })`) has them read into its own buffer. The
   * end is closed when the stream ends or is cancelled.
   *
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * w.writeSync(new TextEncoder().encode("streamed"));
   * w.close();
   * console.log(await new Response(r.readable).text()); // "streamed"
   * ```
   */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= readableFrom(
      (buf) => this.read(buf),
      () => this.close(),
    );
  }

  /**
   * A stream to write to; the end is closed when the stream is closed or
   * aborted.
   *
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * const writer = w.writable.getWriter();
   * await writer.write(new TextEncoder().encode("hi"));
   * await writer.close();
   * ```
   */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= writableFrom(
      (chunk) => this.writeAll(chunk),
      () => this.close(),
      () => this.close(),
    );
  }

  /**
   * Closes the descriptor. Safe to call twice.
   *
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * r.close();
   * r.close();
   * w.close();
   * ```
   */
  close(): void {
    this.#owner.close();
  }

  /**
   * Lets the process end while async calls on this pipe end are pending (a
   * pending `read` or `write` included): they, and those made until {@linkcode
   * PipeEnd.ref}, no longer keep it alive, their timeouts included. Does
   * nothing once closed.
   *
   * @example
   * ```ts
   * import { PipeEnd } from "@linux-ipc/ipc";
   * const [r, w] = PipeEnd.pipe();
   * r.unref();
   * const read = r.read(new Uint8Array(16)).catch(() => null);
   * r.close(); // (here, so that the example ends at once)
   * console.log(await read); // null
   * w.close();
   * ```
   */
  unref(): void {
    this.#owner.unref();
  }

  /**
   * Makes the async calls on this pipe end keep the process alive again, as
   * they do at first (see {@linkcode PipeEnd.unref}). Does nothing once closed.
   */
  ref(): void {
    this.#owner.ref();
  }

  /** Same as {@linkcode PipeEnd.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Makes the FIFO for a `create` option (`true`, or its permission bits),
 * unless the path exists.
 */
function createFifo(
  path: string,
  create: boolean | number | undefined,
  where: string,
): void {
  if (create === undefined || create === false) return;
  const mode = create === true ? 0o600 : int(create, where, "create", 0, 0o777);
  try {
    mkfifo(path, mode);
  } catch (e) {
    if (!(e instanceof IpcError && e.code === "EEXIST")) throw e;
  }
}

/** The `open` flags of a FIFO's mode, which must be `"r"` or `"w"`. */
function fifoMode(mode: unknown, where: string): number {
  if (mode === "r") return O_RDONLY;
  if (mode === "w") return O_WRONLY;
  throw new TypeError(
    `Invalid argument "mode" to ${where}: expected "r" or "w", got "${
      show(mode)
    }"`,
  );
}

/** The descriptor if it is a FIFO; otherwise it is closed and refused. */
function onlyFifo(fd: number, path: string, where: string): number {
  const { mode } = fstat(fd);
  if ((mode & S_IFMT) === S_IFIFO) return fd;
  close(fd);
  throw new TypeError(
    `Invalid argument "path" to ${where}: "${path}" is ${
      fileKind(mode)
    }, not a FIFO (make one with mkfifo, or the create option)`,
  );
}
