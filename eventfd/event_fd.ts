/**
 * {@linkcode EventFd}: an eventfd for everyday use.
 *
 * @module
 */

import {
  fileKind,
  fstat,
  ownChecked,
  type OwnedFd,
  refuseRuntimeDescriptor,
  S_IFMT,
} from "../ffi/fd.ts";
import { libc, sizeT } from "../ffi/libc.ts";
import { lastError } from "../ffi/errors.ts";
import { callWhenReady, POLLIN, POLLOUT } from "../ffi/poll.ts";
import {
  checkWaitOptions,
  syncTimeout,
  type WaitOptions,
} from "../ffi/wait.ts";
import { boolOption, descriptor, int, knownOptions } from "../ffi/validate.ts";
import {
  counterValue,
  EFD_NONBLOCK,
  EFD_SEMAPHORE,
  eventfd,
  eventfd_readAsync,
  eventfd_writeAsync,
} from "./eventfd.ts";

/** How {@linkcode EventFd.create} makes an eventfd. */
export interface EventFdOptions {
  /** The counter's first value, 0 to 2^32 - 1 (default 0). */
  initial?: number;
  /** Reads take 1 from the counter instead of all of it (`EFD_SEMAPHORE`). */
  semaphore?: boolean;
}

const EIGHT = sizeT(8);

/**
 * An eventfd: a 64-bit counter in the kernel that one side adds to
 * ({@linkcode EventFd.write}) and another takes ({@linkcode EventFd.read}),
 * waiting while it is 0; the lightest wake-up between threads or processes
 * that share the descriptor. The async forms wait on the engine's reactor;
 * the `Sync` twins block the thread in `poll`. Closing ends pending waits
 * (`Deno.errors.BadResource`); `using` closes it.
 *
 * @example Signalled within one program
 * ```ts
 * import { EventFd } from "@linux-ipc/ipc/eventfd";
 * using ev = EventFd.create();
 * setTimeout(() => ev.writeSync(1n), 10);
 * console.log(await ev.read({ timeout: 1000 })); // 1n
 * ```
 */
export class EventFd {
  #owner: OwnedFd;

  private constructor(fd: number) {
    this.#owner = ownChecked(fd, "eventfd");
  }

  /**
   * Makes an eventfd (`eventfd`, non-blocking; the `Sync` methods wait in
   * `poll`).
   *
   * @param options `initial` value, `semaphore` mode
   * @returns the eventfd
   * @throws {IpcError} `EMFILE`, `ENFILE`
   * @throws {TypeError|RangeError} for bad options
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { EventFd } from "@linux-ipc/ipc/eventfd";
   * using ev = EventFd.create({ initial: 2, semaphore: true });
   * console.log(ev.readSync(), ev.readSync()); // 1n 1n
   * ```
   */
  static create(options: EventFdOptions = {}): EventFd {
    knownOptions(options, ["initial", "semaphore"], "EventFd.create");
    const initial = int(
      options.initial ?? 0,
      "EventFd.create",
      "initial",
      0,
      2 ** 32 - 1,
    );
    const semaphore = boolOption(
      options.semaphore,
      false,
      "semaphore",
      "EventFd.create",
    );
    const flags = EFD_NONBLOCK | (semaphore ? EFD_SEMAPHORE : 0);
    return new EventFd(eventfd(initial, flags));
  }

  /**
   * Takes ownership of an eventfd descriptor this process already has (one
   * a parent handed over with `spawnWithFds`, or one received over a Unix
   * socket). Its blocking mode, which the other side shares, is left as it
   * is.
   *
   * @param fd the descriptor
   * @returns the eventfd
   * @throws {IpcError} `EBADF`
   * @throws {TypeError} if `fd` is a file, pipe or socket, or the eventfd
   *   (or epoll instance) of Deno's own event loop, which closing would
   *   make Deno panic
   * @example
   * ```ts
   * import { eventfd, EventFd } from "@linux-ipc/ipc/eventfd";
   * using ev = EventFd.fromFd(eventfd());
   * ev.writeSync(5n);
   * console.log(ev.readSync()); // 5n
   * ```
   */
  static fromFd(fd: number): EventFd {
    fd = descriptor(fd, "EventFd.fromFd", "fd");
    refuseRuntimeDescriptor(fd, "EventFd.fromFd");
    // An eventfd is an anonymous inode: no file type bits. A pipe, socket
    // or file is refused here; another anonymous inode fails its first
    // read or write with EINVAL.
    const { mode } = fstat(fd);
    if ((mode & S_IFMT) !== 0) {
      throw new TypeError(
        `Invalid argument "fd" to EventFd.fromFd: "${fd}" is ${
          fileKind(mode)
        }, not an eventfd`,
      );
    }
    // Its mode is left as it is: the process that handed it over may read
    // it blocking; this side never blocks either way.
    return new EventFd(fd);
  }

  /**
   * The descriptor (to hand to a child with `spawnWithFds`);
   * `BadResource` once closed.
   */
  get fd(): number {
    return this.#owner.check();
  }

  /** Whether it has been closed. */
  get closed(): boolean {
    return this.#owner.closed;
  }

  /**
   * Takes the counter (or 1 in semaphore mode), waiting without blocking
   * the event loop while it is 0.
   *
   * @param options `timeout` (then `ETIMEDOUT`), `signal`
   * @returns the value taken
   * @throws {IpcError} `ETIMEDOUT`
   * @throws {Deno.errors.BadResource} once closed, or closed while waiting
   * @example
   * ```ts
   * import { EventFd } from "@linux-ipc/ipc/eventfd";
   * using ev = EventFd.create({ initial: 4 });
   * console.log(await ev.read()); // 4n
   * ```
   */
  async read(options: WaitOptions = {}): Promise<bigint> {
    checkWaitOptions(options, "EventFd.read");
    return await eventfd_readAsync(this.#owner.check(), options);
  }

  /**
   * {@linkcode EventFd.read}, blocking the thread (in `poll`) while the
   * counter is 0.
   *
   * @param options `timeout` in ms (then `ETIMEDOUT`)
   * @returns the value taken
   * @throws {IpcError} `ETIMEDOUT`
   * @throws {Deno.errors.BadResource} once closed
   * @example
   * ```ts
   * import { EventFd } from "@linux-ipc/ipc/eventfd";
   * using ev = EventFd.create();
   * try {
   *   ev.readSync({ timeout: 1 });
   * } catch (e) {
   *   console.log((e as { code: string }).code); // "ETIMEDOUT"
   * }
   * ```
   */
  readSync(options: { timeout?: number } = {}): bigint {
    const buf = new BigUint64Array(1);
    this.#sync(
      POLLIN,
      "read",
      new Uint8Array(buf.buffer),
      syncTimeout(options, "EventFd.readSync"),
    );
    return buf[0];
  }

  /**
   * Adds to the counter, waking a reader; waits without blocking the event
   * loop if the sum would exceed 2^64 - 2.
   *
   * @param value what to add (default 1n)
   * @param options `timeout`, `signal`
   * @throws {IpcError} `ETIMEDOUT`
   * @throws {TypeError|RangeError} for a bad value
   * @example
   * ```ts
   * import { EventFd } from "@linux-ipc/ipc/eventfd";
   * using ev = EventFd.create();
   * await ev.write(3n);
   * console.log(ev.readSync()); // 3n
   * ```
   */
  async write(
    value: bigint | number = 1n,
    options: WaitOptions = {},
  ): Promise<void> {
    checkWaitOptions(options, "EventFd.write");
    counterValue(value, "EventFd.write");
    await eventfd_writeAsync(this.#owner.check(), value, options);
  }

  /**
   * {@linkcode EventFd.write}, blocking the thread if there is no room.
   *
   * @param value what to add (default 1n)
   * @param options `timeout` in ms
   * @throws {IpcError} `ETIMEDOUT`
   * @throws {TypeError|RangeError} for a bad value
   * @example
   * ```ts
   * import { EventFd } from "@linux-ipc/ipc/eventfd";
   * using ev = EventFd.create();
   * ev.writeSync();
   * ev.writeSync(2);
   * console.log(ev.readSync()); // 3n
   * ```
   */
  writeSync(
    value: bigint | number = 1n,
    options: { timeout?: number } = {},
  ): void {
    const v = counterValue(value, "EventFd.writeSync");
    const buf = new BigUint64Array([v]);
    this.#sync(
      POLLOUT,
      "write",
      new Uint8Array(buf.buffer),
      syncTimeout(options, "EventFd.writeSync"),
    );
  }

  /** A read or write of the counter that blocks the thread until it can be made. */
  #sync(
    events: number,
    syscall: "read" | "write",
    bytes: Uint8Array,
    timeout: number | undefined,
  ): void {
    const fd = this.#owner.check();
    const c = libc();
    callWhenReady(
      fd,
      events,
      timeout,
      syscall,
      syscall === "read"
        ? () => c.read(fd, bytes, EIGHT)
        : () => c.write(fd, bytes, EIGHT),
      () => lastError(syscall)("fd", { fd }),
      // A child handed the eventfd shares its mode, which may be blocking.
      true,
    );
  }

  /**
   * Closes the descriptor; pending reads and writes reject with
   * `Deno.errors.BadResource`.
   * Safe to call twice.
   *
   * @example
   * ```ts
   * import { EventFd } from "@linux-ipc/ipc/eventfd";
   * const ev = EventFd.create();
   * ev.close();
   * ev.close();
   * ```
   */
  close(): void {
    this.#owner.close();
  }

  /**
   * Lets the process end while async calls on this eventfd are pending (a
   * pending `read` or `write` included): they, and those made until {@linkcode
   * EventFd.ref}, no longer keep it alive, their timeouts included. Does
   * nothing once closed.
   *
   * @example
   * ```ts
   * import { EventFd } from "@linux-ipc/ipc/eventfd";
   * const ev = EventFd.create();
   * ev.unref();
   * const read = ev.read().catch(() => null);
   * ev.close(); // (here, so that the example ends at once)
   * console.log(await read); // null
   * ```
   */
  unref(): void {
    this.#owner.unref();
  }

  /**
   * Makes the async calls on this eventfd keep the process alive again, as they
   * do at first (see {@linkcode EventFd.unref}). Does nothing once closed.
   */
  ref(): void {
    this.#owner.ref();
  }

  /** Same as {@linkcode EventFd.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
