/**
 * {@linkcode MessageQueue}: a System V message queue for everyday use.
 *
 * @module
 */

import { checkPermSet } from "../ffi/ipc_set.ts";
import {
  IPC_CREAT,
  IPC_EXCL,
  IPC_NOWAIT,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_SET,
  IPC_STAT,
} from "../ffi/ipc.ts";
import {
  errnoNumber,
  errorFor,
  hasCode,
  liveId,
  unlessGone,
} from "../ffi/errors.ts";
import type { MsqidDs } from "../ffi/layout.ts";
import {
  boolOption,
  bytesOrText,
  existingKey,
  ifExists as checkIfExists,
  int,
  key as checkKey,
  knownOptions,
  LIMITS,
  openOptions,
  show,
} from "../ffi/validate.ts";
import {
  checkWaitOptions,
  ClosingWaits,
  ObjectRef,
  syncTimeout,
  type WaitOptions,
} from "../ffi/wait.ts";
import {
  callWithin,
  long,
  MessageBuffer,
  MSG_EXCEPT,
  MSG_NOERROR,
  type MsgBuf,
  msgctl,
  msgget,
  msgrcv,
  msgrcvAsync,
  msgrcvInto,
  msgrcvIntoAsync,
  msgsnd,
  msgsndAsync,
  type MsqidSet,
  queueObject,
} from "./msg.ts";

/** Options of {@linkcode MessageQueue.create}. */
export interface MessageQueueCreateOptions {
  /** The key (default `IPC_PRIVATE`: a new queue only this id names). */
  key?: number;
  /** Permission bits (default `0o600`). */
  mode?: number;
  /** If the key already has a queue: `"fail"` (default, `EEXIST`) or `"open"`. */
  ifExists?: "fail" | "open";
  /**
   * Remove the queue when this object is disposed (default: true if this
   * call made it).
   */
  removeOnDispose?: boolean;
}

/** Options of {@linkcode MessageQueue.open}. */
export interface MessageQueueOpenOptions {
  /** Remove the queue when this object is disposed (default false). */
  removeOnDispose?: boolean;
}

/** Options of {@linkcode MessageQueue.receive}. */
export interface ReceiveOptions extends WaitOptions {
  /**
   * Which message: 0 (default) the first; > 0 the first of this type; < 0
   * the first of the lowest type up to its absolute value.
   */
  type?: number | bigint;
  /** With `type` > 0: the first message of any other type (`MSG_EXCEPT`). */
  except?: boolean;
  /**
   * Cut a message longer than `maxBytes` to that length (`MSG_NOERROR`);
   * without it such a message stays queued and the call fails with `E2BIG`.
   */
  noError?: boolean;
  /** The most bytes of text to take (default 8192, Linux's `msgmax`). */
  maxBytes?: number;
  /** Fail with `ENOMSG` at once if no message is there (`IPC_NOWAIT`). */
  nowait?: boolean;
}

/** Options of {@linkcode MessageQueue.send}. */
export interface SendOptions extends WaitOptions {
  /** Fail with `EAGAIN` at once if the queue is full (`IPC_NOWAIT`). */
  nowait?: boolean;
}

/** Options of {@linkcode MessageQueue.sendSync}. */
export interface SyncSendOptions {
  /** Fail with `EAGAIN` at once if the queue is full (`IPC_NOWAIT`). */
  nowait?: boolean;
  /** The most milliseconds to wait for room (`ETIMEDOUT`). */
  timeout?: number;
}

/** A message a queue gave. */
export interface Message {
  /** Its type (a bigint only beyond 2^53). */
  type: number | bigint;
  /** Its text. */
  data: Uint8Array<ArrayBuffer>;
}

/**
 * The message and options of `send` or `sendSync`, in either form: a type
 * and text, then options; or a `MessageBuffer`, then options.
 *
 * @throws {TypeError} for a `MessageBuffer` followed by text, or by a third
 *   argument
 */
function sendForm<O>(
  method: string,
  typeOrMessage: number | bigint | MessageBuffer,
  dataOrOptions: Uint8Array | string | O | undefined,
  options: O | undefined,
): [MsgBuf | MessageBuffer, O | undefined] {
  if (!(typeOrMessage instanceof MessageBuffer)) {
    const where = `MessageQueue.${method}`;
    const mtype = long(typeOrMessage, where, "type");
    if (mtype < 1) {
      throw new RangeError(
        `Argument "type" to ${where} is out of range: "${mtype}" is below 1 (a message's type is 1 or more)`,
      );
    }
    // A string goes on as it is, encoded once, by the send.
    const mtext = typeof dataOrOptions === "string"
      ? dataOrOptions
      : bytesOrText(dataOrOptions, where, "data");
    return [{ mtype, mtext }, options];
  }
  if (
    typeof dataOrOptions === "string" ||
    dataOrOptions instanceof Uint8Array || options !== undefined
  ) {
    throw new TypeError(
      `Invalid arguments to MessageQueue.${method}: a MessageBuffer carries its own type and text, expected options only after it, got "${
        show(options === undefined ? dataOrOptions : options)
      }"`,
    );
  }
  return [typeOrMessage, dataOrOptions as O | undefined];
}

const RECEIVE_OPTIONS = [
  "type",
  "except",
  "noError",
  "nowait",
  "maxBytes",
  "timeout",
  "signal",
];
/** What `receiveInto` takes: no `maxBytes`, the buffer's length is it. */
const RECEIVE_INTO_OPTIONS = RECEIVE_OPTIONS.filter((o) => o !== "maxBytes");
const SEND_OPTIONS = ["nowait", "timeout", "signal"];

function recvArgs(
  options: ReceiveOptions,
  known: readonly string[],
  method: string,
): [number, number | bigint, number] {
  const where = `MessageQueue.${method}`;
  // A misspelled type or except here would take another reader's message.
  knownOptions(options, known, where);
  // The async forms' wait options, named for the method (the Sync twins'
  // timeout is checked where it is read).
  if (!method.endsWith("Sync")) checkWaitOptions(options, where, false);
  const maxBytes = int(
    options.maxBytes ?? 8192,
    where,
    "maxBytes",
    0,
    LIMITS.INT_MAX,
  );
  const flags =
    (boolOption(options.except, false, "except", where) ? MSG_EXCEPT : 0) |
    (boolOption(options.noError, false, "noError", where) ? MSG_NOERROR : 0) |
    (boolOption(options.nowait, false, "nowait", where) ? IPC_NOWAIT : 0);
  return [maxBytes, long(options.type ?? 0, where, "type"), flags];
}

/**
 * `IPC_NOWAIT` if the `nowait` option is on (0 if `options` is none), the
 * send's options checked for names (the rest is checked by the send).
 */
function nowaitFlag(
  options: { nowait?: boolean } | undefined,
  where: string,
): number {
  if (options !== undefined) knownOptions(options, SEND_OPTIONS, where);
  return boolOption(options?.nowait, false, "nowait", where) ? IPC_NOWAIT : 0;
}

const E2BIG = errnoNumber("E2BIG")!;

/** The room a receive into `buf` gives a message's text, in bytes. */
function roomOf(buf: Uint8Array | MessageBuffer): number {
  return buf instanceof MessageBuffer ? buf.size : buf.length;
}

/**
 * `E2BIG` from `msgrcv` as a receiving method's caller sees it: the room
 * they gave (`maxBytes`, or the buffer) and `noError`, not `msgsz` and
 * `MSG_NOERROR`.
 */
function tooLong(
  e: unknown,
  where: string,
  arg: string,
  room: number,
): unknown {
  if (!hasCode(e, "E2BIG")) return e;
  return errorFor(E2BIG, "msgrcv", arg, { [arg]: room }, {
    E2BIG:
      `the message is longer than ${arg} of ${where} (${room} bytes) and stays queued: give more room, or noError: true to take it cut`,
  });
}

/**
 * A System V message queue: typed messages between processes, kept by the
 * kernel until taken (or the queue is removed). It talks to C programs,
 * `ipcmk -Q` and Python's `sysv_ipc.MessageQueue` on the same key.
 *
 * @example Typed messages, in order of type
 * ```ts
 * import { MessageQueue } from "@linux-ipc/ipc/msg";
 * using queue = MessageQueue.create();
 * await queue.send(2, "second");
 * await queue.send(1, "first");
 * const m = await queue.receive({ type: -2 }); // the lowest type up to 2
 * console.log(m.type, new TextDecoder().decode(m.data)); // 1 "first"
 * ```
 */
export class MessageQueue {
  #id: number;
  #key: number;
  #removeOnDispose: boolean;
  #closed = false;
  #removed = false;
  #waits = new ClosingWaits();
  #refs: ObjectRef;

  private constructor(id: number, key: number, removeOnDispose: boolean) {
    this.#id = id;
    this.#key = key;
    this.#removeOnDispose = removeOnDispose;
    this.#refs = new ObjectRef(queueObject(id));
  }

  /**
   * Makes a queue (`msgget` with `IPC_CREAT | IPC_EXCL`), or opens the key's
   * with `ifExists: "open"`.
   *
   * @param options key, mode, what to do if it exists, removal on dispose
   * @returns the queue
   * @throws {IpcError} `EEXIST` (the key has a queue and `ifExists` is
   *   `"fail"`), `ENOSPC`, `EACCES`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create({ mode: 0o600 });
   * console.log(queue.id >= 0); // true
   * ```
   */
  static create(options: MessageQueueCreateOptions = {}): MessageQueue {
    knownOptions(
      options,
      ["key", "mode", "ifExists", "removeOnDispose"],
      "MessageQueue.create",
    );
    const key = checkKey(options.key ?? IPC_PRIVATE, "MessageQueue.create");
    const mode = int(
      options.mode ?? 0o600,
      "MessageQueue.create",
      "mode",
      0,
      0o777,
    );
    const open =
      checkIfExists(options.ifExists, "MessageQueue.create") === "open";
    const remove = options.removeOnDispose;
    // Checked before anything is made (an opened queue's default differs).
    boolOption(remove, true, "removeOnDispose", "MessageQueue.create");
    try {
      const id = msgget(key, IPC_CREAT | IPC_EXCL | mode);
      return new MessageQueue(id, key, remove ?? true);
    } catch (e) {
      if (!open || key === IPC_PRIVATE || !hasCode(e, "EEXIST")) throw e;
      return new MessageQueue(msgget(key, 0), key, remove ?? false);
    }
  }

  /**
   * Opens the queue of a key, whoever made it (C, `ipcmk -Q`, Python).
   *
   * @param key the key
   * @param options removal on dispose (default false)
   * @returns the queue
   * @throws {IpcError} `ENOENT` (no queue has this key), `EACCES`
   * @throws {RangeError} for `IPC_PRIVATE` (0), which names no existing
   *   queue (`msgget` would make a new one): use {@linkcode MessageQueue.fromId}
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * const key = 0x1e000000 | (Deno.pid & 0xffffff);
   * using made = MessageQueue.create({ key });
   * using opened = MessageQueue.open(key);
   * console.log(opened.id === made.id); // true
   * ```
   */
  static open(
    key: number,
    options: MessageQueueOpenOptions = {},
  ): MessageQueue {
    const remove = openOptions(options, "MessageQueue.open");
    const k = existingKey(
      key,
      "MessageQueue.open",
      "queue",
      "MessageQueue.fromId",
    );
    return new MessageQueue(msgget(k, 0), k, remove);
  }

  /**
   * Wraps a queue id (from `msgget`, `ipcs -q`, another process).
   *
   * @param id the queue id
   * @param options removal on dispose (default false)
   * @returns the queue
   * @throws {IpcError} `EINVAL` (no such queue), `EACCES`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { MessageQueue, msgget, IPC_PRIVATE } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.fromId(msgget(IPC_PRIVATE, 0o600), { removeOnDispose: true });
   * ```
   */
  static fromId(
    id: number,
    options: MessageQueueOpenOptions = {},
  ): MessageQueue {
    const remove = openOptions(options, "MessageQueue.fromId");
    id = int(id, "MessageQueue.fromId", "id", 0, LIMITS.INT_MAX);
    const ds = msgctl(id, IPC_STAT);
    return new MessageQueue(id, ds.perm.key, remove);
  }

  /** The queue id. */
  get id(): number {
    return this.#id;
  }

  /** The key it was made or opened with (`IPC_PRIVATE` is 0). */
  get key(): number {
    return this.#key;
  }

  /**
   * Sends a message without blocking the event loop: when the queue is full
   * it waits for room (`timeout`, `signal`), or fails at once with `nowait`.
   *
   * @param type the message type, > 0
   * @param data the text: bytes, or a string sent as UTF-8
   * @param options `nowait`, `timeout` (`ETIMEDOUT`), `signal`
   * @returns a promise that resolves once the message is queued
   * @throws {IpcError} `EINVAL` (text over `msgmax`), `EAGAIN` (`nowait`,
   *   full), `EIDRM` (removed while waiting), `ETIMEDOUT`
   * @throws {RangeError} for a type below 1 or beyond a C `long`
   * @throws {TypeError} for data that is not a `Uint8Array` or a string
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * await queue.send(7, new Uint8Array([1, 2, 3]));
   * ```
   */
  send(
    type: number | bigint,
    data: Uint8Array | string,
    options?: SendOptions,
  ): Promise<void>;
  /**
   * Sends a `MessageBuffer` as it is (its `mtype`, then `length` bytes of
   * text), without blocking the event loop: a message received into one
   * goes on to another queue without being copied out of it. The buffer is
   * copied once, when the call is made, so it may be reused at once
   * (`sendSync` makes no copy at all).
   *
   * @param message the message
   * @param options `nowait`, `timeout` (`ETIMEDOUT`), `signal`
   * @returns a promise that resolves once the message is queued
   * @throws {IpcError} as for the form with a type and text
   * @throws {TypeError} if the buffer's memory was transferred
   * @example
   * ```ts
   * import { MessageBuffer, MessageQueue } from "@linux-ipc/ipc/msg";
   * using a = MessageQueue.create();
   * using b = MessageQueue.create();
   * a.sendSync(4, "relayed");
   * const m = new MessageBuffer(64);
   * await a.receiveInto(m);
   * await b.send(m); // type 4, "relayed"
   * console.log(b.receiveSync().type); // 4
   * ```
   */
  send(message: MessageBuffer, options?: SendOptions): Promise<void>;
  send(
    typeOrMessage: number | bigint | MessageBuffer,
    dataOrOptions?: Uint8Array | string | SendOptions,
    options?: SendOptions,
  ): Promise<void> {
    let msg: MsgBuf | MessageBuffer, flags: number, id: number;
    try {
      [msg, options] = sendForm("send", typeOrMessage, dataOrOptions, options);
      flags = nowaitFlag(options, "MessageQueue.send");
      if (options !== undefined) {
        checkWaitOptions(options, "MessageQueue.send", false);
      }
      id = this.#live("msgsnd");
    } catch (e) {
      return Promise.reject(e);
    }
    return msgsndAsync(
      id,
      msg,
      flags,
      this.#waits.options(options ?? {}),
    );
  }

  /**
   * {@linkcode MessageQueue.send}, blocking the thread while the queue is
   * full (as C's `msgsnd`), or failing at once with `nowait`. With a
   * `timeout` it gives up with `ETIMEDOUT`; `msgsnd` has no timed form, so
   * it then retries without blocking, every 0.1 ms at first and at most
   * every 10 ms.
   *
   * @param type the message type, > 0
   * @param data the text
   * @param options `nowait`, `timeout` in milliseconds
   * @throws {IpcError} as for `send`
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * queue.sendSync(1, "now", { nowait: true });
   * ```
   */
  sendSync(
    type: number | bigint,
    data: Uint8Array | string,
    options?: SyncSendOptions,
  ): void;
  /**
   * Sends a `MessageBuffer` as it is, with no copy, blocking the thread
   * while the queue is full (as C's `msgsnd` with a `struct msgbuf`), or
   * failing at once with `nowait`.
   *
   * @param message the message
   * @param options `nowait`, `timeout` in milliseconds
   * @throws {IpcError} as for `send`
   * @throws {TypeError} if the buffer's memory was transferred
   * @example
   * ```ts
   * import { MessageBuffer, MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * const m = new MessageBuffer(16);
   * m.mtype = 2;
   * m.mtext.set([1, 2, 3]);
   * m.length = 3;
   * queue.sendSync(m);
   * console.log(queue.receiveSync().data); // Uint8Array(3) [ 1, 2, 3 ]
   * ```
   */
  sendSync(message: MessageBuffer, options?: SyncSendOptions): void;
  sendSync(
    typeOrMessage: number | bigint | MessageBuffer,
    dataOrOptions?: Uint8Array | string | SyncSendOptions,
    options?: SyncSendOptions,
  ): void {
    let msg: MsgBuf | MessageBuffer;
    [msg, options] = sendForm(
      "sendSync",
      typeOrMessage,
      dataOrOptions,
      options,
    );
    const timeout = syncTimeout(
      options === undefined ? {} : options,
      "MessageQueue.sendSync",
      false,
    );
    callWithin(
      "msgsnd",
      nowaitFlag(options, "MessageQueue.sendSync"),
      timeout,
      (flags) => msgsnd(this.#live("msgsnd"), msg, flags),
    );
  }

  /**
   * Takes a message without blocking the event loop: when none of the asked
   * type is there it waits (`timeout`, `signal`), or fails at once with
   * `nowait`.
   *
   * @param options `type`, `except`, `noError`, `maxBytes`, `nowait`,
   *   `timeout` (`ETIMEDOUT`), `signal`
   * @returns the message
   * @throws {IpcError} `E2BIG` (longer than `maxBytes`, without `noError`;
   *   it stays queued), `ENOMSG` (`nowait`, none), `EIDRM` (removed while
   *   waiting), `ETIMEDOUT`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * queue.sendSync(3, "three");
   * console.log((await queue.receive({ type: 3, timeout: 1000 })).type); // 3
   * ```
   */
  async receive(options: ReceiveOptions = {}): Promise<Message> {
    const [maxBytes, type, flags] = recvArgs(
      options,
      RECEIVE_OPTIONS,
      "receive",
    );
    let m;
    try {
      m = await msgrcvAsync(
        this.#live("msgrcv"),
        maxBytes,
        type,
        flags,
        this.#waits.options(options),
      );
    } catch (e) {
      throw tooLong(e, "MessageQueue.receive", "maxBytes", maxBytes);
    }
    return { type: m.mtype, data: m.mtext };
  }

  /**
   * {@linkcode MessageQueue.receive}, blocking the thread until a message
   * comes (as C's `msgrcv`), or failing at once with `nowait`. With a
   * `timeout` it gives up with `ETIMEDOUT`; `msgrcv` has no timed form, so
   * it then retries without blocking, every 0.1 ms at first and at most
   * every 10 ms.
   *
   * @param options `type`, `except`, `noError`, `maxBytes`, `nowait`,
   *   `timeout` in milliseconds
   * @returns the message
   * @throws {IpcError} as for `receive`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * queue.sendSync(1, "x");
   * console.log(queue.receiveSync({ nowait: true }).data.length); // 1
   * ```
   */
  receiveSync(
    options: Omit<ReceiveOptions, "signal"> = {},
  ): Message {
    const [maxBytes, type, flags] = recvArgs(
      options,
      RECEIVE_OPTIONS,
      "receiveSync",
    );
    const timeout = syncTimeout(options, "MessageQueue.receiveSync", false);
    let m;
    try {
      m = callWithin(
        "msgrcv",
        flags,
        timeout,
        (f) => msgrcv(this.#live("msgrcv"), maxBytes, type, f),
      );
    } catch (e) {
      throw tooLong(e, "MessageQueue.receiveSync", "maxBytes", maxBytes);
    }
    return { type: m.mtype, data: m.mtext };
  }

  /**
   * {@linkcode MessageQueue.receive} into a buffer of yours: the text lands
   * in `buf` (its length is the most bytes taken, as `maxBytes`), and a loop
   * of receives allocates no array per message. A `MessageBuffer` is
   * received into with no copy, its `mtype` and `length` set. Leave `buf`
   * alone while the receive waits (if it loses its room, the receive rejects
   * with a `RangeError` and no message is lost: see `msgrcvIntoAsync`).
   *
   * @param buf where the text goes: a `Uint8Array`, or a `MessageBuffer`
   *   (its `size` the most bytes taken)
   * @param options `type`, `except`, `noError`, `nowait`, `timeout`
   *   (`ETIMEDOUT`), `signal`
   * @returns the message's type and how many bytes of `buf` it filled
   * @throws {IpcError} as for `receive`, with `buf`'s length as `maxBytes`
   * @throws {TypeError} if `buf` is neither a `Uint8Array` nor a
   *   `MessageBuffer`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * queue.sendSync(7, "seven");
   * console.log(await queue.receiveInto(new Uint8Array(64))); // { type: 7, n: 5 }
   * ```
   */
  async receiveInto(
    buf: Uint8Array | MessageBuffer,
    options: Omit<ReceiveOptions, "maxBytes"> = {},
  ): Promise<{ type: number | bigint; n: number }> {
    const [, type, flags] = recvArgs(
      options,
      RECEIVE_INTO_OPTIONS,
      "receiveInto",
    );
    let r;
    try {
      r = await msgrcvIntoAsync(
        this.#live("msgrcv"),
        buf,
        type,
        flags,
        this.#waits.options(options),
      );
    } catch (e) {
      throw tooLong(e, "MessageQueue.receiveInto", "buf", roomOf(buf));
    }
    return { type: r.mtype, n: r.n };
  }

  /**
   * {@linkcode MessageQueue.receiveInto}, blocking the thread until a
   * message comes, or failing at once with `nowait`.
   *
   * @param buf where the text goes: a `Uint8Array`, or a `MessageBuffer`
   *   (received into with no copy)
   * @param options `type`, `except`, `noError`, `nowait`, `timeout` (as
   *   for `receiveSync`)
   * @returns the message's type and how many bytes of `buf` it filled
   * @throws {IpcError} as for `receiveInto`
   * @throws {TypeError} if `buf` is neither a `Uint8Array` nor a
   *   `MessageBuffer`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * queue.sendSync(1, "ab");
   * console.log(queue.receiveIntoSync(new Uint8Array(8), { nowait: true }).n); // 2
   * ```
   */
  receiveIntoSync(
    buf: Uint8Array | MessageBuffer,
    options: Omit<ReceiveOptions, "maxBytes" | "signal"> = {},
  ): { type: number | bigint; n: number } {
    const [, type, flags] = recvArgs(
      options,
      RECEIVE_INTO_OPTIONS,
      "receiveIntoSync",
    );
    const timeout = syncTimeout(
      options,
      "MessageQueue.receiveIntoSync",
      false,
    );
    let r;
    try {
      r = callWithin(
        "msgrcv",
        flags,
        timeout,
        (f) => msgrcvInto(this.#live("msgrcv"), buf, type, f),
      );
    } catch (e) {
      throw tooLong(e, "MessageQueue.receiveIntoSync", "buf", roomOf(buf));
    }
    return { type: r.mtype, n: r.n };
  }

  /**
   * Every message as it comes, of any type, until the queue is removed
   * (then the iteration ends).
   *
   * @returns an async iterator of messages
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * queue.sendSync(1, "a");
   * for await (const m of queue) {
   *   console.log(m.type); // 1
   *   break;
   * }
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Message, void, undefined> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (e) {
        if (hasCode(e, "EIDRM", "EINVAL") || this.#closed) return;
        throw e;
      }
    }
  }

  /**
   * The queue's status: owner, mode, counts, limits, times, last pids.
   *
   * @returns every field of `struct msqid_ds`
   * @throws {IpcError} `EINVAL`/`EIDRM` (removed), `EACCES`
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * queue.sendSync(1, "abc");
   * console.log(queue.stat().qnum); // 1
   * ```
   */
  stat(): MsqidDs {
    return msgctl(this.#live("msgctl"), IPC_STAT);
  }

  /**
   * Changes owner, mode or the byte limit (`IPC_SET`).
   *
   * @param fields what to change
   * @throws {IpcError} `EPERM`
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * queue.set({ qbytes: 4096 });
   * console.log(queue.stat().qbytes); // 4096
   * ```
   */
  set(fields: MsqidSet): void {
    checkPermSet(fields, "MessageQueue.set", "fields", [
      "uid",
      "gid",
      "mode",
      "qbytes",
    ]);
    msgctl(this.#live("msgctl"), IPC_SET, fields);
  }

  /**
   * Removes the queue now: waiting processes get `EIDRM`. Safe if it is
   * already gone.
   *
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * const queue = MessageQueue.create();
   * queue.remove();
   * ```
   */
  remove(): void {
    if (this.#removed) return;
    this.ref();
    unlessGone(() => msgctl(this.#id, IPC_RMID));
    this.#removed = true;
  }

  /**
   * The id, for a call on the queue: refused once this object removed the
   * queue (its id could by then name a queue made since) or was closed.
   */
  #live(syscall: string): number {
    return liveId(
      this.#id,
      this.#closed,
      this.#removed,
      syscall,
      "msqid",
      "message queue",
      "queue",
    );
  }

  /**
   * Ends this object's use: removes the queue if `removeOnDispose`. Its
   * async calls under way reject with `Deno.errors.BadResource` (those of
   * other objects and of the thin layer on the same queue go on), calls
   * made afterwards throw it (`remove()` still removes the queue), and an
   * iteration over it ends. Safe twice.
   *
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * const queue = MessageQueue.create();
   * queue.close();
   * queue.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.ref();
    this.#closed = true;
    if (this.#removeOnDispose) this.remove();
    this.#waits.close(
      new Deno.errors.BadResource(
        "The message queue was closed while the call waited",
      ),
    );
  }

  /**
   * Lets the process end while async calls on this queue are pending (a
   * `receive` or a `for await` over the queue included), as
   * `Deno.Conn.unref()` does: they, and those made until
   * {@linkcode MessageQueue.ref}, no longer keep it alive, their timeouts
   * included. It counts for the queue in this process, so it holds for
   * every object and thin-layer call on the same queue too, until this
   * object's `ref()`, `close()` or `remove()`, or its garbage collection.
   * Does nothing once closed.
   *
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * // Take jobs as they come, without keeping the program alive for
   * // them: it ends when the rest of it has.
   * queue.unref();
   * void (async () => {
   *   for await (const job of queue) console.log(job.type);
   * })();
   * ```
   */
  unref(): void {
    if (!this.#closed) this.#refs.unref();
  }

  /**
   * Makes the async calls on this queue keep the process alive again, as
   * they do at first (see {@linkcode MessageQueue.unref}). Does nothing once
   * closed.
   *
   * @example
   * ```ts
   * import { MessageQueue } from "@linux-ipc/ipc/msg";
   * using queue = MessageQueue.create();
   * queue.unref();
   * queue.ref();
   * ```
   */
  ref(): void {
    this.#refs.ref();
  }

  /** Same as {@linkcode MessageQueue.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
