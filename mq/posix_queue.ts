/**
 * {@linkcode PosixMessageQueue}: a POSIX message queue for everyday use.
 *
 * @module
 */

import {
  createOption,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  ownChecked,
  type OwnedFd,
} from "../ffi/fd.ts";
import { hasCode } from "../ffi/errors.ts";
import type { MqAttr } from "../ffi/layout.ts";
import { callWhenReady } from "../ffi/poll.ts";
import { libc, sizeT } from "../ffi/libc.ts";
import {
  bytes,
  bytesOrText,
  int,
  knownOptions,
  LIMITS,
  show,
} from "../ffi/validate.ts";
import {
  checkWaitOptions,
  syncTimeout,
  type WaitOptions,
  waitPart,
} from "../ffi/wait.ts";
import {
  mq_getattr,
  mq_notify,
  mq_open,
  mq_receiveAsync,
  mq_receiveIntoAsync,
  mq_sendAsync,
  mq_unlink,
  type MqMessage,
  type MqSigevent,
  notifiesThisProcess,
  prio,
  prioBytes,
  prioScratch,
  recvError,
  refuseInspectorSignal,
  scratch,
  sendError,
  SIGEV_SIGNAL,
} from "./mq.ts";

/** Options of {@linkcode PosixMessageQueue.open}. */
export interface PosixQueueOpenOptions {
  /** `"r"` to receive, `"w"` to send, `"rw"` (default) for both. */
  mode?: "r" | "w" | "rw";
  /**
   * Make the queue if it does not exist: its permission bits (default
   * `0o600`), `maxmsg` and `msgsize` (both left out: the system's defaults,
   * `/proc/sys/fs/mqueue/msg_default` and `msgsize_default`; one left out:
   * Linux's usual 10 or 8192), and `exclusive` to fail with `EEXIST` if it
   * exists.
   */
  create?: {
    mode?: number;
    maxmsg?: number;
    msgsize?: number;
    exclusive?: boolean;
  };
}

// sendSync takes "signal" only to refuse it with a message of its own.
const SEND_OPTIONS = ["priority", "timeout", "signal"];

/** Options of {@linkcode PosixMessageQueue.send}. */
export interface PosixSendOptions extends WaitOptions {
  /** The priority, 0 to 32767: higher ones are received first (default 0). */
  priority?: number;
}

/** A message a POSIX queue gave. */
export interface PosixMessage {
  /** The message. */
  data: Uint8Array<ArrayBuffer>;
  /** Its priority. */
  priority: number;
}

const ACCESS = { r: O_RDONLY, w: O_WRONLY, rw: O_RDWR } as const;
const POLLIN = 0x1, POLLOUT = 0x4;

/** The sync receives: `mq_receive` into `buf` once the queue is readable. */
function receiveWhenReady(
  fd: number,
  buf: Uint8Array,
  timeout: number | undefined,
): number {
  return callWhenReady(
    fd,
    POLLIN,
    timeout,
    "mq_receive",
    () => libc().mq_receive(fd, buf, sizeT(buf.length), prioBytes),
    () => recvError("mq_receive", fd, buf.length),
  );
}

function message(m: MqMessage): PosixMessage {
  return { data: m.data, priority: m.prio };
}

/**
 * A POSIX message queue: messages with priorities, by name, held through a
 * descriptor. Its methods wait without blocking the event loop (the
 * descriptor is polled by the engine's reactor), with `Sync` twins that
 * block the thread. Needs `--allow-read` and/or `--allow-write` for
 * `/dev/mqueue/NAME`, as the access asks.
 *
 * @example Priorities
 * ```ts
 * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-class-${Deno.pid}`;
 * using q = PosixMessageQueue.open(name, { create: { maxmsg: 8, msgsize: 256 } });
 * await q.send("later", { priority: 1 });
 * await q.send("first", { priority: 7 });
 * console.log(new TextDecoder().decode((await q.receive()).data)); // "first"
 * PosixMessageQueue.unlink(name);
 * ```
 */
export class PosixMessageQueue {
  #owner: OwnedFd;
  #name: string;
  #msgsize: number;
  /** What `close()` wakes: the waits of {@linkcode notifications}. */
  #onClose = new Set<() => void>();
  /** The timers that keep the process alive while notices are awaited. */
  #awaiting = new Set<ReturnType<typeof setInterval>>();
  #unrefed = false;

  private constructor(fd: number, name: string) {
    this.#owner = ownChecked(fd, "POSIX message queue");
    this.#name = name;
    this.#msgsize = mq_getattr(fd).msgsize;
  }

  /**
   * Opens a queue by name, or makes it with `create`.
   *
   * @param name `"/"` then a name without slashes
   * @param options access and creation
   * @returns the queue (its descriptor non-blocking and close-on-exec)
   * @throws {IpcError} `ENOENT` (no such queue, no `create`), `EEXIST`
   *   (`exclusive`), `EACCES`, `EINVAL` (attributes above the system's limits)
   * @throws {Deno.errors.NotCapable} without the grants for `/dev/mqueue/NAME`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-open-${Deno.pid}`;
   * using writer = PosixMessageQueue.open(name, { mode: "w", create: {} });
   * using reader = PosixMessageQueue.open(name, { mode: "r" });
   * writer.sendSync("x");
   * console.log(reader.receiveSync().data.length); // 1
   * PosixMessageQueue.unlink(name);
   * ```
   */
  static open(
    name: string,
    options: PosixQueueOpenOptions = {},
  ): PosixMessageQueue {
    const where = "PosixMessageQueue.open";
    knownOptions(options, ["mode", "create"], where);
    const mode = options.mode ?? "rw";
    // Own names only: "toString" is no mode (it opened the queue read-only).
    if (!Object.hasOwn(ACCESS, mode)) {
      throw new TypeError(
        `Invalid option "mode" to ${where}: expected "r", "w" or "rw", got "${
          show(mode)
        }"`,
      );
    }
    const access = ACCESS[mode];
    const [c, creating] = createOption(options.create, where, [
      "mode",
      "maxmsg",
      "msgsize",
      "exclusive",
    ]);
    const flags = access | O_NONBLOCK | creating;
    const [maxmsg, msgsize] = [c?.maxmsg, c?.msgsize].map((v, i) =>
      v === undefined ? undefined : int(
        v,
        where,
        i ? "create.msgsize" : "create.maxmsg",
        1,
        LIMITS.INT_MAX,
      )
    );
    const attr = maxmsg !== undefined || msgsize !== undefined
      ? { maxmsg: maxmsg ?? 10, msgsize: msgsize ?? 8192 }
      : undefined;
    return new PosixMessageQueue(
      mq_open(name, flags, c?.mode ?? 0o600, attr),
      name,
    );
  }

  /**
   * Removes a queue's name (`mq_unlink`); it goes once no one holds it.
   *
   * @param name the queue's name
   * @throws {IpcError} `ENOENT`, `EACCES`
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-unlinkc-${Deno.pid}`;
   * PosixMessageQueue.open(name, { create: {} }).close();
   * PosixMessageQueue.unlink(name);
   * ```
   */
  static unlink(name: string): void {
    mq_unlink(name);
  }

  /**
   * Removes this queue's name (`mq_unlink`), as the static
   * {@linkcode PosixMessageQueue.unlink} does: processes that have it open
   * keep it, and it goes once none does. Works once closed too.
   *
   * @throws {IpcError} `ENOENT` if the name is gone already, `EACCES`
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * using q = PosixMessageQueue.open(`/linux-ipc-doc-unlinki-${Deno.pid}`, {
   *   create: {},
   * });
   * q.unlink();
   * q.sendSync("still open");
   * console.log(q.receiveSync().data.length); // 10
   * ```
   */
  unlink(): void {
    mq_unlink(this.#name);
  }

  /** The queue's name. */
  get name(): string {
    return this.#name;
  }

  /** The descriptor (`mqd_t`); `BadResource` once closed. */
  get fd(): number {
    return this.#owner.check();
  }

  /** Whether `close()` has run. */
  get closed(): boolean {
    return this.#owner.closed;
  }

  /** Its attributes now: `maxmsg`, `msgsize`, `curmsgs`, `flags`. */
  get attributes(): MqAttr {
    return mq_getattr(this.fd);
  }

  /**
   * Sends a message, waiting (without blocking the event loop) while the
   * queue is full.
   *
   * @param data the message: bytes, or a string sent as UTF-8
   * @param options `priority`, `timeout` (`ETIMEDOUT`), `signal`
   * @returns a promise that resolves once it is queued
   * @throws {IpcError} `EMSGSIZE` (longer than `msgsize`), `EBADF` (not
   *   open for sending), `ETIMEDOUT`
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-sendc-${Deno.pid}`;
   * using q = PosixMessageQueue.open(name, { create: {} });
   * await q.send(new Uint8Array([1]), { priority: 2, timeout: 1000 });
   * PosixMessageQueue.unlink(name);
   * ```
   */
  send(
    data: Uint8Array | string,
    options: PosixSendOptions = {},
  ): Promise<void> {
    try {
      const where = "PosixMessageQueue.send";
      knownOptions(options, SEND_OPTIONS, where);
      checkWaitOptions(options, where, false);
      return mq_sendAsync(
        this.fd,
        bytesOrText(data, where, "data"),
        prio(options.priority ?? 0, where, "priority"),
        waitPart(options),
      );
    } catch (e) {
      // Closed (`fd` throws BadResource): a rejection, as from `receive`.
      return Promise.reject(e);
    }
  }

  /**
   * {@linkcode PosixMessageQueue.send}, blocking the thread while the
   * queue is full.
   *
   * @param data the message
   * @param options `priority`, `timeout` (`ETIMEDOUT`)
   * @throws {IpcError} as for `send`
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-sendsync-${Deno.pid}`;
   * using q = PosixMessageQueue.open(name, { create: {} });
   * q.sendSync("now", { priority: 1 });
   * PosixMessageQueue.unlink(name);
   * ```
   */
  sendSync(
    data: Uint8Array | string,
    options: { priority?: number; timeout?: number } = {},
  ): void {
    const timeout = syncTimeout(options, "PosixMessageQueue.sendSync", false);
    knownOptions(options, SEND_OPTIONS, "PosixMessageQueue.sendSync");
    const fd = this.fd;
    const where = "PosixMessageQueue.sendSync";
    const b = bytesOrText(data, where, "data");
    const priority = prio(options.priority ?? 0, where, "priority");
    const n = sizeT(b.length);
    callWhenReady(
      fd,
      POLLOUT,
      timeout,
      "mq_send",
      () => libc().mq_send(fd, b, n, priority),
      () => sendError("mq_send", fd, b.length),
    );
  }

  /**
   * Takes the oldest message of the highest priority, waiting (without
   * blocking the event loop) while the queue is empty.
   *
   * @param options `timeout` (`ETIMEDOUT`), `signal`
   * @returns the message and its priority
   * @throws {IpcError} `EBADF` (not open for receiving), `ETIMEDOUT`
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-recvc-${Deno.pid}`;
   * using q = PosixMessageQueue.open(name, { create: {} });
   * q.sendSync("m", { priority: 4 });
   * console.log((await q.receive({ timeout: 1000 })).priority); // 4
   * PosixMessageQueue.unlink(name);
   * ```
   */
  async receive(options: WaitOptions = {}): Promise<PosixMessage> {
    checkWaitOptions(options, "PosixMessageQueue.receive");
    return message(await mq_receiveAsync(this.fd, this.#msgsize, options));
  }

  /**
   * {@linkcode PosixMessageQueue.receive}, blocking the thread while the
   * queue is empty.
   *
   * @param options `timeout` (`ETIMEDOUT`)
   * @returns the message and its priority
   * @throws {IpcError} as for `receive`
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-recvsync-${Deno.pid}`;
   * using q = PosixMessageQueue.open(name, { create: {} });
   * q.sendSync("m");
   * console.log(q.receiveSync({ timeout: 1000 }).data.length); // 1
   * PosixMessageQueue.unlink(name);
   * ```
   */
  receiveSync(options: { timeout?: number } = {}): PosixMessage {
    const fd = this.fd;
    const timeout = syncTimeout(options, "PosixMessageQueue.receiveSync");
    // Shared room, copied out at once: no zeroed msgsize buffer per message.
    const buf = scratch(this.#msgsize);
    const n = receiveWhenReady(fd, buf, timeout);
    return { data: buf.slice(0, n), priority: prioScratch[0] };
  }

  /**
   * {@linkcode PosixMessageQueue.receive} into a buffer of yours, at least
   * the queue's `msgsize` long: a loop of receives allocates no array per
   * message. Leave `buf` alone while the receive waits (if it loses its
   * room, the receive rejects with a `RangeError` and takes nothing).
   *
   * @param buf where the message goes
   * @param options `timeout` (`ETIMEDOUT`), `signal`
   * @returns how many bytes of `buf` it filled, and its priority
   * @throws {IpcError} `EMSGSIZE` (`buf` shorter than `msgsize`), and as
   *   for `receive`
   * @throws {TypeError} if `buf` is not a `Uint8Array`
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-recvinto-${Deno.pid}`;
   * using q = PosixMessageQueue.open(name, { create: { msgsize: 64 } });
   * q.sendSync("four", { priority: 2 });
   * console.log(await q.receiveInto(new Uint8Array(64))); // { n: 4, priority: 2 }
   * PosixMessageQueue.unlink(name);
   * ```
   */
  async receiveInto(
    buf: Uint8Array,
    options: WaitOptions = {},
  ): Promise<{ n: number; priority: number }> {
    checkWaitOptions(options, "PosixMessageQueue.receiveInto");
    bytes(buf, "PosixMessageQueue.receiveInto", "buf");
    const r = await mq_receiveIntoAsync(this.fd, buf, options);
    return { n: r.n, priority: r.prio };
  }

  /**
   * {@linkcode PosixMessageQueue.receiveInto}, blocking the thread while the
   * queue is empty.
   *
   * @param buf where the message goes, at least `msgsize` long
   * @param options `timeout` (`ETIMEDOUT`)
   * @returns how many bytes of `buf` it filled, and its priority
   * @throws {IpcError} as for `receiveInto`
   * @throws {TypeError} if `buf` is not a `Uint8Array`
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-recvintosync-${Deno.pid}`;
   * using q = PosixMessageQueue.open(name, { create: { msgsize: 64 } });
   * q.sendSync("four");
   * console.log(q.receiveIntoSync(new Uint8Array(64), { timeout: 1000 }).n); // 4
   * PosixMessageQueue.unlink(name);
   * ```
   */
  receiveIntoSync(
    buf: Uint8Array,
    options: { timeout?: number } = {},
  ): { n: number; priority: number } {
    bytes(buf, "PosixMessageQueue.receiveIntoSync", "buf");
    const n = receiveWhenReady(
      this.fd,
      buf,
      syncTimeout(options, "PosixMessageQueue.receiveIntoSync"),
    );
    return { n, priority: prioScratch[0] };
  }

  /**
   * Every message as it comes, highest priority first, until the queue is
   * closed.
   *
   * @returns an async iterator of messages
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-iter-${Deno.pid}`;
   * using q = PosixMessageQueue.open(name, { create: {} });
   * q.sendSync("a", { priority: 1 });
   * for await (const m of q) {
   *   console.log(m.priority); // 1
   *   break;
   * }
   * PosixMessageQueue.unlink(name);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<
    PosixMessage,
    void,
    undefined
  > {
    while (!this.closed) {
      try {
        yield await this.receive();
      } catch (e) {
        if (
          this.closed &&
          (e instanceof Deno.errors.BadResource || hasCode(e, "EBADF"))
        ) return;
        throw e;
      }
    }
  }

  /**
   * A notice each time a message arrives in the empty queue while no one
   * waits to receive (`mq_notify` with a signal, registered again after
   * each notice). Only one process may be registered for a queue. The
   * iteration ends when `signal` aborts or the queue is closed.
   *
   * The signal is `SIGUSR2` unless `signo` says otherwise; never
   * `SIGUSR1`, on which Deno (2.9.2 and later, as Node) starts its
   * inspector, a debugger any local program could connect to.
   *
   * @param options the signal to use (default `"SIGUSR2"`), and an
   *   `AbortSignal` that ends the iteration
   * @returns an async iterator that yields once per notice
   * @throws {IpcError} `EBUSY` (another process is registered)
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @throws {RangeError} for `signo` `"SIGUSR1"`
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-notices-${Deno.pid}`;
   * using q = PosixMessageQueue.open(name, { create: {} });
   * const stop = new AbortController();
   * const notices = q.notifications({ signal: stop.signal });
   * const first = notices.next();
   * await new Promise((r) => setTimeout(r, 10));
   * q.sendSync("wake up");
   * await first;
   * console.log(q.receiveSync().data.length); // 7
   * stop.abort();
   * await notices.next();
   * PosixMessageQueue.unlink(name);
   * ```
   */
  async *notifications(
    options: { signo?: Deno.Signal; signal?: AbortSignal } = {},
  ): AsyncGenerator<void, void, undefined> {
    checkWaitOptions(options, "PosixMessageQueue.notifications", false);
    knownOptions(
      options,
      ["signo", "signal"],
      "PosixMessageQueue.notifications",
    );
    const signo = options.signo ?? "SIGUSR2";
    refuseInspectorSignal(signo, "PosixMessageQueue.notifications", "signo");
    const stop = options.signal;
    let wake: (() => void) | null = null;
    let pending = 0;
    const onSignal = () => {
      pending++;
      wake?.();
    };
    const onAbort = () => wake?.();
    try {
      Deno.addSignalListener(signo, onSignal);
    } catch (e) {
      // Deno's words (a name it does not know, or SIGKILL), named here.
      throw new TypeError(
        `Invalid option "signo" to PosixMessageQueue.notifications: ${
          (e as Error).message
        }`,
      );
    }
    stop?.addEventListener("abort", onAbort);
    this.#onClose.add(onAbort);
    const sevp = { notify: SIGEV_SIGNAL, signo } as const;
    let registered = false;
    try {
      for (;;) {
        if (stop?.aborted || this.closed) return;
        if (!registered) {
          mq_notify(this.fd, sevp);
          registered = true;
        }
        // A signal listener does not keep the event loop alive: this does,
        // while a notice is awaited (unless the queue is unrefed).
        const alive = setInterval(() => {}, 1 << 30);
        if (this.#unrefed) Deno.unrefTimer(alive);
        this.#awaiting.add(alive);
        try {
          while (pending === 0 && !stop?.aborted && !this.closed) {
            await new Promise<void>((r) => wake = r);
            wake = null;
          }
        } finally {
          clearInterval(alive);
          this.#awaiting.delete(alive);
        }
        if (stop?.aborted || this.closed) return;
        pending = 0;
        // The signal may be another queue's (two queues may notify with
        // one signal) or anyone's. The kernel drops a registration as it
        // notifies, so registering again succeeds only after a notice for
        // this queue; and registering before the caller drains the queue
        // is the order that misses no message.
        if (!renotify(this.fd, sevp)) continue;
        yield;
      }
    } finally {
      this.#onClose.delete(onAbort);
      stop?.removeEventListener("abort", onAbort);
      // Only this iteration's registration is removed: one that failed
      // (EBUSY: another iteration of this process holds the queue) must
      // not remove the other's. And it goes before the listener does: once
      // a signal has no listener left, Deno gives it its default action,
      // which for SIGUSR2 ends the process.
      if (registered && !this.closed) {
        try {
          mq_notify(this.fd, null);
        } catch {
          // not registered any more
        }
      }
      Deno.removeSignalListener(signo, onSignal);
    }
  }

  /**
   * Closes the descriptor (the queue stays until unlinked). Safe twice;
   * pending waits end with `Deno.errors.BadResource`.
   *
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-closec-${Deno.pid}`;
   * const q = PosixMessageQueue.open(name, { create: {} });
   * q.close();
   * q.close();
   * PosixMessageQueue.unlink(name);
   * ```
   */
  close(): void {
    if (this.#owner.close()) { for (const wake of this.#onClose) wake(); }
  }

  /**
   * Lets the process end while async calls on this queue are pending (a pending
   * `receive` or `send`, and `notifications` awaiting a notice included): they,
   * and those made until {@linkcode PosixMessageQueue.ref}, no longer keep it
   * alive, their timeouts included. Does nothing once closed.
   *
   * @example
   * ```ts
   * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
   * const name = `/linux-ipc-doc-unref-${Deno.pid}`;
   * const q = PosixMessageQueue.open(name, { create: {} });
   * q.unref();
   * const got = q.receive().catch(() => null);
   * q.close(); // (here, so that the example ends at once)
   * console.log(await got); // null
   * PosixMessageQueue.unlink(name);
   * ```
   */
  unref(): void {
    if (this.closed) return;
    this.#owner.unref();
    this.#unrefed = true;
    for (const t of this.#awaiting) Deno.unrefTimer(t);
  }

  /**
   * Makes the async calls on this queue keep the process alive again, as they
   * do at first (see {@linkcode PosixMessageQueue.unref}). Does nothing once
   * closed.
   */
  ref(): void {
    if (this.closed) return;
    this.#owner.ref();
    this.#unrefed = false;
    for (const t of this.#awaiting) Deno.refTimer(t);
  }

  /** Same as {@linkcode PosixMessageQueue.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Registers `mqdes`'s notification again after a signal: true if it was
 * this queue's notice (the kernel had dropped the registration), false if
 * this process is still registered (the signal was for something else).
 */
function renotify(mqdes: number, sevp: MqSigevent): boolean {
  try {
    mq_notify(mqdes, sevp);
    return true;
  } catch (e) {
    // Another process registered since this queue's notice: that is EBUSY
    // for the caller, as when it first asked.
    if (hasCode(e, "EBUSY") && notifiesThisProcess(mqdes) !== false) {
      return false;
    }
    throw e;
  }
}
