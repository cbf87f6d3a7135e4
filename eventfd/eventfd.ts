/**
 * The thin layer over `<sys/eventfd.h>`: `eventfd`, `eventfd_read` and
 * `eventfd_write` by their C names, with their constants, and async forms
 * that wait on the engine's reactor. Re-exported by `eventfd/mod.ts`.
 *
 * An eventfd is a 64-bit counter in the kernel behind a descriptor: a
 * write adds to it, a read takes it (all of it, or 1 with
 * `EFD_SEMAPHORE`) and waits while it is 0. The counter is a `bigint` here,
 * since it can exceed 2^53.
 *
 * @module
 */

import { libc, sizeT } from "../ffi/libc.ts";
import {
  EINTR,
  EINVAL,
  errorFor,
  errorOf,
  lastError,
  resultOf,
} from "../ffi/errors.ts";
import { POLLIN, pollOp, POLLOUT } from "../ffi/poll.ts";
import { checkWaitOptions, wait, type WaitOptions } from "../ffi/wait.ts";
import { descriptor, flags as checkFlags, int, show } from "../ffi/validate.ts";

/** `eventfd` flag: reads take 1 from the counter, not all of it. */
export const EFD_SEMAPHORE = 1;
/** `eventfd` flag: close on exec (always added by this library). */
export const EFD_CLOEXEC = 0o2000000;
/** `eventfd` flag: reads and writes fail with `EAGAIN` instead of waiting. */
export const EFD_NONBLOCK = 0o4000;
/** The largest value the counter can hold (2^64 - 2). */
export const EFD_MAX = 0xfffffffffffffffen;

/**
 * Makes an eventfd and returns its descriptor (`eventfd`). `EFD_CLOEXEC` is
 * added: hand it to a child explicitly (`spawnWithFds`).
 *
 * @param initval the counter's first value, 0 to 2^32 - 1 (default 0)
 * @param flags `EFD_SEMAPHORE`, `EFD_NONBLOCK`, `EFD_CLOEXEC`
 * @returns the descriptor
 * @throws {IpcError} `EMFILE`, `ENFILE`, `ENOMEM`
 * @throws {TypeError|RangeError} for a bad value or flag, before the call
 * @example
 * ```ts
 * import { close, eventfd, eventfd_read, eventfd_write, EFD_NONBLOCK } from "@linux-ipc/ipc/eventfd";
 * const fd = eventfd(0, EFD_NONBLOCK);
 * eventfd_write(fd, 2n);
 * eventfd_write(fd, 3n);
 * console.log(eventfd_read(fd)); // 5n
 * close(fd);
 * ```
 */
export function eventfd(initval = 0, flags = 0): number {
  initval = int(initval, "eventfd", "initval", 0, 0xffffffff);
  flags = checkFlags(
    flags,
    EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK,
    "eventfd",
    "flags",
  );
  const fd = libc().eventfd(initval, flags | EFD_CLOEXEC);
  if (fd === -1) throw lastError("eventfd")("flags", { flags });
  return fd;
}

/**
 * Internal to `eventfd/`: a value to add, checked.
 *
 * @param value a bigint or a safe integer
 * @param syscall the call, for messages
 * @returns the value as a bigint
 */
export function counterValue(value: unknown, syscall: string): bigint {
  if (typeof value === "number" && Number.isSafeInteger(value)) {
    value = BigInt(value);
  }
  if (typeof value === "number" && Number.isInteger(value) && value > 0) {
    throw new RangeError(
      `Argument "value" to ${syscall} is out of range: "${value}" is not a safe integer (a number is not exact beyond 2^53 - 1); pass a bigint`,
    );
  }
  if (typeof value === "number" && Number.isInteger(value)) {
    value = BigInt(value); // below 0: refused as such just below
  }
  if (typeof value !== "bigint") {
    throw new TypeError(
      `Invalid argument "value" to ${syscall}: expected a bigint or an integer, got "${
        show(value)
      }"`,
    );
  }
  if (value < 0n || value > EFD_MAX) {
    throw new RangeError(
      `Argument "value" to ${syscall} is out of range: "${value}" is not between 0 and ${EFD_MAX}`,
    );
  }
  return value;
}

const readBuf = new BigUint64Array(1);
const readBytes = new Uint8Array(readBuf.buffer);
const writeBuf = new BigUint64Array(1);
const writeBytes = new Uint8Array(writeBuf.buffer);
const EIGHT = sizeT(8);

function readError(fd: number, code?: number) {
  return (code === undefined ? lastError("read") : errorOf(code, "read"))(
    "fd",
    { fd },
    {
      EINVAL: "the descriptor is not an eventfd",
    },
  );
}

function writeError(fd: number, code?: number) {
  return (code === undefined ? lastError("write") : errorOf(code, "write"))(
    "fd",
    { fd },
    {
      EINVAL: "the descriptor is not an eventfd",
    },
  );
}

/**
 * Reads the counter (`eventfd_read`): returns it and resets it to 0, or
 * with `EFD_SEMAPHORE` returns 1 and takes 1. While it is 0 a blocking
 * descriptor blocks the thread, as in C; {@linkcode eventfd_readAsync}
 * waits without blocking the event loop.
 *
 * @param fd the eventfd
 * @returns the value read (at least 1n)
 * @throws {IpcError} `EAGAIN` (0, non-blocking), `EBADF`, `EINVAL` (not an eventfd)
 * @example
 * ```ts
 * import { close, eventfd, eventfd_read, EFD_SEMAPHORE } from "@linux-ipc/ipc/eventfd";
 * const fd = eventfd(3, EFD_SEMAPHORE);
 * console.log(eventfd_read(fd), eventfd_read(fd)); // 1n 1n
 * close(fd);
 * ```
 */
export function eventfd_read(fd: number): bigint {
  fd = descriptor(fd, "eventfd_read", "fd");
  const c = libc();
  // No closure, which would cost an allocation per call; EINTR made again.
  let r: number;
  while ((r = resultOf(c.read(fd, readBytes, EIGHT))) < 0) {
    if (r !== -EINTR) throw readError(fd, -r);
  }
  if (r === 8) return readBuf[0];
  throw errorFor(EINVAL, "read", "fd", { fd });
}

/**
 * Adds to the counter (`eventfd_write`), waking readers. Where the sum
 * would exceed {@linkcode EFD_MAX} a blocking descriptor blocks the thread
 * until a read makes room, as in C.
 *
 * @param fd the eventfd
 * @param value what to add, 0 to {@linkcode EFD_MAX} (a bigint or a safe integer)
 * @throws {IpcError} `EAGAIN` (no room, non-blocking), `EBADF`, `EINVAL`
 * @throws {TypeError|RangeError} for a bad value, before the call
 * @example
 * ```ts
 * import { close, eventfd, eventfd_read, eventfd_write } from "@linux-ipc/ipc/eventfd";
 * const fd = eventfd();
 * eventfd_write(fd, 1);
 * console.log(eventfd_read(fd)); // 1n
 * close(fd);
 * ```
 */
export function eventfd_write(fd: number, value: bigint | number): void {
  fd = descriptor(fd, "eventfd_write", "fd");
  writeBuf[0] = counterValue(value, "eventfd_write");
  const c = libc();
  // As eventfd_read's: no closure.
  let r: number;
  while ((r = resultOf(c.write(fd, writeBytes, EIGHT))) < 0) {
    if (r !== -EINTR) throw writeError(fd, -r);
  }
  if (r !== 8) throw errorFor(EINVAL, "write", "fd", { fd });
}

/**
 * Reads the counter without blocking the event loop: at once if it is
 * above 0, else when the reactor sees a write. The descriptor's mode is
 * left as it is (a child that shares it keeps its blocking reads).
 *
 * @param fd the eventfd
 * @param options `timeout` (then `ETIMEDOUT`), `signal`
 * @returns the value read
 * @throws {IpcError} as for {@linkcode eventfd_read}; `ETIMEDOUT`
 * @example
 * ```ts
 * import { close, eventfd, eventfd_readAsync, eventfd_write } from "@linux-ipc/ipc/eventfd";
 * const fd = eventfd();
 * setTimeout(() => eventfd_write(fd, 7n), 10);
 * console.log(await eventfd_readAsync(fd, { timeout: 1000 })); // 7n
 * close(fd);
 * ```
 */
export async function eventfd_readAsync(
  fd: number,
  options: WaitOptions = {},
): Promise<bigint> {
  checkWaitOptions(options, "eventfd_readAsync");
  fd = descriptor(fd, "eventfd_read", "fd");
  const buf = new BigUint64Array(1);
  const bytes = new Uint8Array(buf.buffer);
  await wait(
    // The mode stays as it is: a child handed the eventfd shares it.
    pollOp(
      fd,
      POLLIN,
      "read",
      () => libc().read(fd, bytes, EIGHT),
      () => readError(fd),
      undefined,
      false,
      true,
    ),
    options,
  );
  return buf[0];
}

/**
 * Adds to the counter without blocking the event loop: at once if there is
 * room, else when a read makes it. The descriptor's mode is left as it is.
 *
 * @param fd the eventfd
 * @param value what to add, 0 to {@linkcode EFD_MAX}
 * @param options `timeout` (then `ETIMEDOUT`), `signal`
 * @throws {IpcError} as for {@linkcode eventfd_write}; `ETIMEDOUT`
 * @throws {TypeError|RangeError} for a bad value (a rejected promise)
 * @example
 * ```ts
 * import { close, eventfd, eventfd_read, eventfd_writeAsync } from "@linux-ipc/ipc/eventfd";
 * const fd = eventfd();
 * await eventfd_writeAsync(fd, 2n);
 * console.log(eventfd_read(fd)); // 2n
 * close(fd);
 * ```
 */
export async function eventfd_writeAsync(
  fd: number,
  value: bigint | number,
  options: WaitOptions = {},
): Promise<void> {
  checkWaitOptions(options, "eventfd_writeAsync");
  fd = descriptor(fd, "eventfd_write", "fd");
  const buf = new BigUint64Array([counterValue(value, "eventfd_write")]);
  const bytes = new Uint8Array(buf.buffer);
  await wait(
    // The mode stays as it is: a child handed the eventfd shares it.
    pollOp(
      fd,
      POLLOUT,
      "write",
      () => libc().write(fd, bytes, EIGHT),
      () => writeError(fd),
      undefined,
      false,
      true,
    ),
    options,
  );
}
