/**
 * The thin layer over `<sys/msg.h>`: System V message queues by their C
 * names, in C argument order, with their C constants. Re-exported by
 * `msg/mod.ts`.
 *
 * A message is a `struct msgbuf`: a type (a positive C `long`) and its
 * text. Here it is `{ mtype, mtext }`, and the size arguments follow from
 * the text (`msgsnd`) or say how much to take (`msgrcv`).
 *
 * @module
 */

import { libc, PointerCache, sizeT } from "../ffi/libc.ts";
import {
  EAGAIN,
  EINTR,
  EINVAL,
  errorFor,
  errorOf,
  IpcError,
  lastError,
  resultOf,
} from "../ffi/errors.ts";
import { nonBlocking, retrySync, timedOut } from "../ffi/poll.ts";
import {
  IPC_CREAT,
  IPC_EXCL,
  IPC_INFO,
  IPC_NOWAIT,
  IPC_RMID,
  IPC_SET,
  IPC_STAT,
  MSG_COPY,
  MSG_EXCEPT,
  MSG_NOERROR,
} from "../ffi/ipc.ts";
import { permSetBuffer, removedWhileWaiting } from "../ffi/ipc_set.ts";
import {
  decodeMsgInfo,
  decodeMsqidDs,
  encodeMsgQbytes,
  type IpcPermSet,
  type MsgInfo,
  type MsqidDs,
  SIZEOF,
} from "../ffi/layout.ts";
import {
  bytes,
  bytesOrText,
  flags,
  int,
  key,
  knownFields,
  LIMITS,
  show,
} from "../ffi/validate.ts";
import {
  type BlockingOp,
  checkWaitOptions,
  KERNEL_MSG_MAX,
  type KernelCall,
  tryAtOnce,
  wait,
  waitFor,
  type WaitOptions,
} from "../ffi/wait.ts";

export { MSG_COPY, MSG_EXCEPT, MSG_NOERROR } from "../ffi/ipc.ts";
/** `msgctl` command: the status of the queue at a kernel index. */
export const MSG_STAT = 11;
/** `msgctl` command: the system's use of queues (`struct msginfo`). */
export const MSG_INFO = 12;
/**
 * `msgctl` command: as `MSG_STAT`, whatever the queue's mode (Linux 4.17).
 */
export const MSG_STAT_ANY = 13;
/** `ENOMSG`: no message of the asked type (with `IPC_NOWAIT`). */
const ENOMSG = 42;

const MSGGET_FLAGS = IPC_CREAT | IPC_EXCL | 0o777;
const MSGRCV_FLAGS = IPC_NOWAIT | MSG_NOERROR | MSG_EXCEPT | MSG_COPY;
const LONG_MIN = -(2n ** 63n), LONG_MAX = 2n ** 63n - 1n;

/** A message: its type and its text (C's `struct msgbuf`). */
export interface MsgBuf {
  /** The type, a positive C `long` (a bigint beyond 2^53). */
  mtype: number | bigint;
  /** The text: bytes, or a string sent as UTF-8. */
  mtext: Uint8Array | string;
}

/** A message `msgrcv` took. */
export interface MsgReceived {
  /** Its type (a bigint only beyond 2^53). */
  mtype: number | bigint;
  /** Its text (cut to `msgsz` with `MSG_NOERROR`). */
  mtext: Uint8Array<ArrayBuffer>;
}

/** What `msgctl(IPC_SET)` may change: owner, mode and the queue's byte limit. */
export interface MsqidSet extends IpcPermSet {
  /** The most bytes of text the queue may hold (above `msgmnb`: privileged). */
  qbytes?: number;
}

const SEND_BLAME = {
  EAGAIN: "msgflg",
  EACCES: "msqid",
  EIDRM: "msqid",
  EINVAL: "msqid",
  ENOMEM: "msgsz",
} as const;
const SEND_HINTS = {
  EAGAIN: "the queue is full (msg_qbytes) and IPC_NOWAIT was given",
  EIDRM: "the queue was removed",
  EINVAL: "no queue has this id",
} as const;
const RECV_BLAME = {
  E2BIG: "msgsz",
  ENOMSG: "msgtyp",
  EACCES: "msqid",
  EIDRM: "msqid",
  EINVAL: "msqid",
  ENOSYS: "msgflg",
} as const;
const RECV_HINTS = {
  E2BIG: "the message is longer than msgsz: give more room, or MSG_NOERROR",
  ENOMSG: "no message of this type is queued and IPC_NOWAIT was given",
  EIDRM: "the queue was removed",
  EINVAL:
    "no queue has this id (or MSG_COPY without IPC_NOWAIT, or with MSG_EXCEPT)",
  ENOSYS: "MSG_COPY needs a kernel built with CONFIG_CHECKPOINT_RESTORE",
} as const;

/**
 * Gets the id of the queue for a key, creating it with `IPC_CREAT`
 * (`msgget`).
 *
 * @param msgKey a key from `ftok`, any agreed number, or `IPC_PRIVATE`
 * @param msgflg `IPC_CREAT`, `IPC_EXCL` and mode bits
 * @returns the queue id
 * @throws {IpcError} `EEXIST`, `ENOENT`, `EACCES`, `ENOSPC` (`msgmni` queues exist)
 * @example
 * ```ts
 * import { IPC_CREAT, IPC_PRIVATE, IPC_RMID, msgctl, msgget } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgget(msgKey: number, msgflg: number): number {
  const k = key(msgKey, "msgget");
  msgflg = flags(msgflg, MSGGET_FLAGS, "msgget", "msgflg");
  const id = libc().msgget(k, msgflg);
  if (id === -1) {
    throw lastError("msgget")(
      {
        EEXIST: "key",
        ENOENT: "key",
        EACCES: "msgflg",
        ENOSPC: "key",
        ENOMEM: "key",
      },
      { key: `0x${(k >>> 0).toString(16)}`, msgflg: `0o${msgflg.toString(8)}` },
      {
        EEXIST: "a queue with this key exists and IPC_EXCL was given",
        ENOENT: "no queue has this key and IPC_CREAT was not given",
        EACCES: "the queue's mode does not grant this access",
        ENOSPC: "the system's limit of queues (msgmni) is reached",
      },
    );
  }
  return id;
}

const MSGBUF_FIELDS = ["mtype", "mtext"] as const;

/**
 * A `struct msgbuf` for `msgp`: the type, then the text. Into `scratch`
 * (reused by the sync calls, which the kernel has copied from when they
 * return), or a buffer of its own (the async calls, which outlive a call).
 */
function encodeMsg(
  msgp: MsgBuf | MessageBuffer,
  syscall: string,
  scratch = false,
): Uint8Array<ArrayBuffer> {
  if (msgp instanceof MessageBuffer) {
    // Its own struct for a call made now; a copy for a wait.
    const struct = structOf(msgp, syscall);
    return scratch
      ? struct.subarray(0, 8 + msgp.length)
      : struct.slice(0, 8 + msgp.length);
  }
  if (msgp === null || typeof msgp !== "object") {
    throw new TypeError(
      `Invalid argument "msgp" to ${syscall}: expected { mtype, mtext }, got "${
        show(msgp)
      }"`,
    );
  }
  knownFields(msgp, MSGBUF_FIELDS, syscall, "msgp");
  const type = long(msgp.mtype, syscall, "msgp.mtype");
  const text = bytesOrText(msgp.mtext, syscall, "msgp.mtext");
  let buf: Uint8Array<ArrayBuffer>, view: DataView;
  if (scratch) {
    if (sendScratch.length < 8 + text.length) {
      sendScratch = new Uint8Array(8 + text.length);
      sendView = new DataView(sendScratch.buffer);
      sendSlice = sendScratch.subarray(0, 0);
    }
    // The view of the last length is kept: a stream of messages of one
    // size makes no view per message.
    if (sendSlice.length !== 8 + text.length) {
      sendSlice = sendScratch.subarray(0, 8 + text.length);
    }
    buf = sendSlice;
    view = sendView;
  } else {
    buf = new Uint8Array(8 + text.length);
    view = new DataView(buf.buffer);
  }
  writeType(view, type);
  if (text.length > 0) buf.set(text, 8); // (a detached view is empty)
  return buf;
}

let sendScratch = new Uint8Array(8 + 8192);
let sendView = new DataView(sendScratch.buffer);
let sendSlice = sendScratch.subarray(0, 0);
/** The pointers of the sync sends and receives (see `PointerCache`). */
const sendPointer = new PointerCache(), receivePointer = new PointerCache();

let recvScratch = new Uint8Array(8 + 8192);
let recvView = new DataView(recvScratch.buffer);

/** Writes a C long at 0: two 32-bit halves for a number (no BigInt). */
function writeType(view: DataView, type: number | bigint): void {
  if (typeof type === "bigint") {
    view.setBigInt64(0, type, true);
    return;
  }
  view.setUint32(0, type >>> 0, true);
  view.setInt32(4, Math.floor(type / 4294967296), true);
}

/** Reads the C long at 0: a number when it is a safe integer. */
function readType(view: DataView, at: number): number | bigint {
  const low = view.getUint32(at, true), high = view.getInt32(at + 4, true);
  const value = high * 4294967296 + low;
  return Number.isSafeInteger(value) ? value : view.getBigInt64(at, true);
}

let lastType: number | bigint = 0, lastTypeBig = 0n;

/** A type as the bigint FFI takes for a C long, reusing the last one's. */
function typeArg(type: number | bigint): bigint {
  if (typeof type === "bigint") return type;
  if (type !== lastType) {
    lastTypeBig = BigInt(type);
    lastType = type;
  }
  return lastTypeBig;
}

/**
 * Internal to `msg/`: checks a C `long`, an integer number or a bigint
 * that fits.
 *
 * @param value what the caller passed
 * @param syscall the call or method, for errors
 * @param argument the argument's name, for errors
 * @returns the value
 * @throws {TypeError|RangeError} for anything else
 */
export function long(
  value: unknown,
  syscall: string,
  argument: string,
): number | bigint {
  if (typeof value === "bigint") {
    if (value < LONG_MIN || value > LONG_MAX) {
      throw new RangeError(
        `Argument "${argument}" to ${syscall} is out of range: "${value}" does not fit a C long`,
      );
    }
    return value;
  }
  if (
    typeof value === "number" && Number.isInteger(value) &&
    !Number.isSafeInteger(value)
  ) {
    throw new RangeError(
      `Argument "${argument}" to ${syscall} is out of range: "${value}" is not a safe integer (a number is not exact beyond ±(2^53 - 1)); pass a bigint`,
    );
  }
  return int(
    value,
    syscall,
    argument,
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
  );
}

/**
 * Sets the length of what a receive into `m` took (the type is already in
 * place), and returns the receive's result.
 */
let received: (
  m: MessageBuffer,
  r: number,
) => { mtype: number | bigint; n: number };
/** `m`'s struct for a call, checked not to be detached. */
let structOf: (m: MessageBuffer, syscall: string) => Uint8Array<ArrayBuffer>;

/**
 * A C `struct msgbuf` in one buffer of its own: the type (a C `long`), then
 * room for `size` bytes of text, laid out as the kernel reads and writes
 * it. {@linkcode msgsnd} sends it and {@linkcode msgrcvInto} receives into
 * it with no copy on either side, as a C program does with its own struct:
 * the fastest form, for a loop of messages. The async forms take it too;
 * what waits is copied, since a wait outlives the call.
 *
 * Write the text into {@linkcode MessageBuffer.mtext} and say how much of
 * it to send with {@linkcode MessageBuffer.length}; a receive sets `mtype`
 * and `length`, so a message received can be sent on as it is.
 *
 * @example Echo a message with no copy
 * ```ts
 * import { IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, MessageBuffer, msgctl, msgget, msgrcvInto, msgsnd } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * const m = new MessageBuffer(64);
 * m.mtype = 1;
 * m.length = new TextEncoder().encodeInto("ping", m.mtext).written;
 * msgsnd(id, m);
 * console.log(msgrcvInto(id, m, 0, IPC_NOWAIT)); // { mtype: 1, n: 4 }
 * m.mtype = 2;
 * msgsnd(id, m); // the text received, sent on
 * console.log(new TextDecoder().decode(m.text)); // "ping"
 * msgctl(id, IPC_RMID);
 * ```
 */
export class MessageBuffer {
  #bytes: Uint8Array<ArrayBuffer>;
  #view: DataView<ArrayBuffer>;
  #length = 0;
  /**
   * The room for text: `size` bytes, after the type. What a send sends is
   * its first {@linkcode MessageBuffer.length} bytes.
   */
  readonly mtext: Uint8Array<ArrayBuffer>;

  /**
   * Makes a message buffer, its type 0 and its text empty.
   *
   * @param size the most bytes of text it holds (a receive's `msgsz`)
   * @throws {TypeError} if `size` is not an integer
   * @throws {RangeError} if `size` is negative, or no such room can be made
   */
  constructor(size: number) {
    size = int(size, "MessageBuffer", "size", 0, LIMITS.INT_MAX);
    this.#bytes = room(size, "MessageBuffer");
    this.#view = new DataView(this.#bytes.buffer);
    this.mtext = this.#bytes.subarray(8);
  }

  static {
    received = (m, r) => {
      m.#length = r;
      return { mtype: m.mtype, n: r };
    };
    structOf = (m, syscall) => {
      if (m.#bytes.length === 0) {
        throw new TypeError(
          `Invalid argument "msgp" to ${syscall}: the MessageBuffer's memory was transferred (detached)`,
        );
      }
      return m.#bytes;
    };
  }

  /** The whole `struct msgbuf`: 8 bytes of type, then the text's room. */
  get bytes(): Uint8Array<ArrayBuffer> {
    return this.#bytes;
  }

  /** The most bytes of text it holds. */
  get size(): number {
    return this.mtext.length;
  }

  /**
   * The type: set it before a send (the kernel takes 1 or more); a receive
   * sets it. A number, or a bigint beyond 2^53.
   *
   * @throws {TypeError} (setting) for a value that is not an integer
   * @throws {RangeError} (setting) for one that does not fit a C `long`
   */
  get mtype(): number | bigint {
    return readType(this.#view, 0);
  }
  set mtype(value: number | bigint) {
    writeType(this.#view, long(value, "MessageBuffer", "mtype"));
  }

  /**
   * How many bytes of {@linkcode MessageBuffer.mtext} are the message: a
   * send sends that many; a receive sets it.
   *
   * @throws {TypeError} (setting) for a value that is not an integer
   * @throws {RangeError} (setting) for one outside `[0, size]`
   */
  get length(): number {
    return this.#length;
  }
  set length(value: number) {
    this.#length = int(value, "MessageBuffer", "length", 0, this.size);
  }

  /** The message's text: the first `length` bytes of `mtext` (a view). */
  get text(): Uint8Array<ArrayBuffer> {
    return this.mtext.subarray(0, this.#length);
  }
}

/**
 * Sends a message (`msgsnd`). Without `IPC_NOWAIT` a full queue blocks the
 * thread until there is room, as in C; {@linkcode msgsndAsync} waits
 * without blocking the event loop.
 *
 * @param msqid the queue id
 * @param msgp the message: `{ mtype, mtext }` (`mtype` > 0), or a
 *   {@linkcode MessageBuffer}, whose type and first `length` bytes of text
 *   are sent with no copy
 * @param msgflg `IPC_NOWAIT`, or 0
 * @throws {IpcError} `EAGAIN` (full, with `IPC_NOWAIT`), `EINVAL` (type < 1,
 *   text over `msgmax`, no such queue), `EIDRM`, `EACCES`
 * @throws {TypeError} for a message that is neither `{ mtype, mtext }` nor
 *   a `MessageBuffer`, a `MessageBuffer` whose memory was transferred, or
 *   text with a lone surrogate (it has no UTF-8 form)
 * @example
 * ```ts
 * import { IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, msgctl, msgget, msgrcv, msgsnd } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * msgsnd(id, { mtype: 1, mtext: "hello" }, IPC_NOWAIT);
 * console.log(new TextDecoder().decode(msgrcv(id, 64, 0, 0).mtext)); // "hello"
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgsnd(
  msqid: number,
  msgp: MsgBuf | MessageBuffer,
  msgflg = 0,
): void {
  msqid = int(msqid, "msgsnd", "msqid", 0, LIMITS.INT_MAX);
  msgflg = flags(msgflg, IPC_NOWAIT, "msgsnd", "msgflg");
  let buf: Uint8Array<ArrayBuffer>, msgsz: number;
  if (msgp instanceof MessageBuffer) {
    buf = structOf(msgp, "msgsnd");
    msgsz = msgp.length;
  } else {
    buf = encodeMsg(msgp, "msgsnd", true);
    msgsz = buf.length - 8;
  }
  const n = sizeT(msgsz), c = libc(), p = sendPointer.of(buf);
  // The call made here, with no closure (a closure in this function would
  // make every call allocate its context); EINTR made again.
  for (;;) {
    const r = resultOf(
      p === undefined
        ? c.msgsnd(msqid, buf, n, msgflg)
        : c.msgsnd_p(msqid, p, n, msgflg),
    );
    if (r >= 0) return;
    if (r !== -EINTR) throw sendFailure(-r, msqid, buf, msgsz);
  }
}

/**
 * The error of a `msgsnd` that failed with `code`. Linux gives `EINVAL` for
 * three faults: it names the one at hand (a type below 1, a text over
 * `msgmax`, or else the queue id).
 */
function sendFailure(
  code: number,
  msqid: number,
  buf: Uint8Array,
  msgsz = buf.length - 8,
): IpcError {
  if (code === EINVAL) {
    const mtype = readType(new DataView(buf.buffer, buf.byteOffset), 0);
    if (mtype < 1) {
      return errorFor(code, "msgsnd", "msgp.mtype", { "msgp.mtype": mtype }, {
        EINVAL: "a message's type must be 1 or more",
      });
    }
    const max = msgmax();
    if (max !== undefined && msgsz > max) {
      return errorFor(code, "msgsnd", "msgsz", { msgsz }, {
        EINVAL: `the text is longer than msgmax, ${max} bytes`,
      });
    }
  }
  return errorFor(code, "msgsnd", SEND_BLAME, { msqid, msgsz }, SEND_HINTS);
}

/** The system's largest message text (`msgmax`), if it can be read. */
function msgmax(): number | undefined {
  const info = new Uint8Array(SIZEOF.msginfo);
  if (libc().msgctl(0, IPC_INFO, info) < 0) return undefined;
  return decodeMsgInfo(info).msgmax;
}

/** Room for a message of `msgsz` bytes of text: 8 for the type first. */
function room(msgsz: number, syscall: string): Uint8Array<ArrayBuffer> {
  msgsz = int(msgsz, syscall, "msgsz", 0, LIMITS.INT_MAX);
  try {
    return new Uint8Array(8 + msgsz);
  } catch {
    throw new RangeError(
      `Argument "msgsz" to ${syscall} is out of range: no room of "${msgsz}" bytes can be made`,
    );
  }
}

function decodeMsg(buf: Uint8Array, n: number): MsgReceived {
  return { mtype: typeOf(buf), mtext: buf.slice(8, 8 + n) };
}

/** The type of the `struct msgbuf` in `buf`. */
function typeOf(buf: Uint8Array): number | bigint {
  return readType(
    buf === recvScratch ? recvView : new DataView(buf.buffer, buf.byteOffset),
    0,
  );
}

/** The sync calls' receive room, grown to hold `msgsz` bytes of text. */
function scratchRoom(msgsz: number): Uint8Array<ArrayBuffer> {
  msgsz = int(msgsz, "msgrcv", "msgsz", 0, LIMITS.INT_MAX);
  if (recvScratch.length < 8 + msgsz) {
    const grown = room(msgsz, "msgrcv");
    recvScratch = grown;
    recvView = new DataView(grown.buffer);
  }
  return recvScratch;
}

/**
 * Takes a message (`msgrcv`): with `msgtyp` 0 the first in the queue, > 0
 * the first of that type (of another type with `MSG_EXCEPT`), < 0 the first
 * of the lowest type up to its absolute value. Without `IPC_NOWAIT` it
 * blocks the thread until one comes, as in C; {@linkcode msgrcvAsync} waits
 * without blocking the event loop.
 *
 * @param msqid the queue id
 * @param msgsz the most bytes of text to take
 * @param msgtyp which message (see above); with `MSG_COPY`, its index
 * @param msgflg `IPC_NOWAIT`, `MSG_NOERROR`, `MSG_EXCEPT`, `MSG_COPY`
 * @returns the message's type and text
 * @throws {IpcError} `ENOMSG` (none, with `IPC_NOWAIT`), `E2BIG` (longer
 *   than `msgsz`), `EIDRM`, `EINVAL`, `EACCES`, `ENOSYS` (`MSG_COPY`)
 * @example
 * ```ts
 * import { IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, msgctl, msgget, msgrcv, msgsnd } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * msgsnd(id, { mtype: 2, mtext: "two" });
 * msgsnd(id, { mtype: 1, mtext: "one" });
 * console.log(msgrcv(id, 64, -2, IPC_NOWAIT).mtype); // 1: the lowest type first
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgrcv(
  msqid: number,
  msgsz: number,
  msgtyp: number | bigint = 0,
  msgflg = 0,
): MsgReceived {
  msqid = int(msqid, "msgrcv", "msqid", 0, LIMITS.INT_MAX);
  const type = long(msgtyp, "msgrcv", "msgtyp");
  msgflg = flags(msgflg, MSGRCV_FLAGS, "msgrcv", "msgflg");
  const r = receiveScratch(msqid, msgsz, type, msgflg);
  return decodeMsg(recvScratch, r);
}

/**
 * The receive loop of `msgrcv` and `msgrcvInto`: into the sync calls'
 * scratch room (grown to `msgsz`), `EINTR` retried; returns the text's
 * length.
 */
function receiveScratch(
  msqid: number,
  msgsz: number,
  type: number | bigint,
  msgflg: number,
): number {
  return receiveNow(msqid, scratchRoom(msgsz), msgsz, type, msgflg, false);
}

/**
 * Copies a received text (`r` bytes after the 8-byte type of `msgp`) into
 * `mtext`, through a view of `msgp` kept from the last call while the
 * length stays the same (making a view per message would cost more than
 * copying a short text).
 */
function copyText(msgp: Uint8Array, r: number, mtext: Uint8Array): void {
  // (Nothing to copy into a detached mtext, where set would throw: its
  // length is 0, so r is 0.)
  if (r === 0) return;
  // The view of the last text is kept (the sends keep theirs the same
  // way): a stream of messages of one size copies with no view made.
  if (textFrom !== msgp || textView.length !== r) {
    textFrom = msgp;
    textView = msgp.subarray(8, 8 + r);
  }
  mtext.set(textView);
}

let textFrom: Uint8Array = new Uint8Array(0);
let textView: Uint8Array = textFrom;

/**
 * {@linkcode msgrcv} into a buffer of the caller's (C's `msgp`): the text
 * lands in `mtext`, and only the type and length come back, so a loop of
 * receives allocates nothing per message. A {@linkcode MessageBuffer} is
 * received into with no copy (the kernel writes it), its `mtype` and
 * `length` set.
 *
 * @param msqid the queue id
 * @param mtext where the text goes, its length `msgsz`; or a
 *   `MessageBuffer`, its `size` `msgsz`
 * @param msgtyp which message (as for {@linkcode msgrcv})
 * @param msgflg `IPC_NOWAIT`, `MSG_NOERROR`, `MSG_EXCEPT`, `MSG_COPY`
 * @returns the message's type and how many bytes of `mtext` it filled
 * @throws {IpcError} as {@linkcode msgrcv}
 * @throws {TypeError} if `mtext` is neither a `Uint8Array` nor a
 *   `MessageBuffer`, or is a `MessageBuffer` whose memory was transferred
 * @example
 * ```ts
 * import { IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, msgctl, msgget, msgrcvInto, msgsnd } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * msgsnd(id, { mtype: 3, mtext: "abc" });
 * const buf = new Uint8Array(64);
 * console.log(msgrcvInto(id, buf, 0, IPC_NOWAIT)); // { mtype: 3, n: 3 }
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgrcvInto(
  msqid: number,
  mtext: Uint8Array | MessageBuffer,
  msgtyp: number | bigint = 0,
  msgflg = 0,
): { mtype: number | bigint; n: number } {
  msqid = int(msqid, "msgrcv", "msqid", 0, LIMITS.INT_MAX);
  if (mtext instanceof MessageBuffer) {
    const buf = structOf(mtext, "msgrcv");
    const type = long(msgtyp, "msgrcv", "msgtyp");
    msgflg = flags(msgflg, MSGRCV_FLAGS, "msgrcv", "msgflg");
    return received(
      mtext,
      receiveNow(msqid, buf, mtext.size, type, msgflg, false),
    );
  }
  bytes(mtext, "msgrcv", "msgp");
  const type = long(msgtyp, "msgrcv", "msgtyp");
  msgflg = flags(msgflg, MSGRCV_FLAGS, "msgrcv", "msgflg");
  const r = receiveScratch(msqid, mtext.length, type, msgflg);
  // (A detached mtext has length 0, so r is 0.)
  copyText(recvScratch, r, mtext);
  return { mtype: readType(recvView, 0), n: r };
}

function recvError(
  msqid: number,
  msgsz: number,
  type: number | bigint,
  code?: number,
): IpcError {
  return (code === undefined ? lastError("msgrcv") : errorOf(code, "msgrcv"))(
    RECV_BLAME,
    { msqid, msgsz, msgtyp: type },
    RECV_HINTS,
  );
}

/**
 * How a queue's waits name it to the engine ({@linkcode BlockingOp.object}),
 * for its `ref()` and `unref()` (`refObject` in `ffi/wait.ts`).
 *
 * @param msqid the queue id
 * @returns the name
 */
export function queueObject(msqid: number): string {
  return `msg:${msqid}`;
}

/** A wait whose queue was there when it began: `EINVAL` later means removed. */
function queueRemoved(e: IpcError, syscall: string): IpcError {
  return removedWhileWaiting(e, syscall, "msqid", "queue");
}

/**
 * A sync `msgrcv` or `msgsnd` bounded by `timeout`, a bound the kernel's
 * calls lack: `call` is retried with `IPC_NOWAIT` ({@linkcode retrySync})
 * until it succeeds or the time is up (`ETIMEDOUT`). Without a timeout, or
 * with `IPC_NOWAIT` in `msgflg`, it is one call, blocking as in C. A queue
 * removed while it waits gives `EIDRM`, as the blocking call does.
 *
 * @param syscall the call, for errors
 * @param msgflg the caller's flags
 * @param timeout the most milliseconds to wait, or undefined for no bound
 * @param call the call with the flags to use
 * @returns what the call returned
 */
export function callWithin<T>(
  syscall: "msgrcv" | "msgsnd",
  msgflg: number,
  timeout: number | undefined,
  call: (msgflg: number) => T,
): T {
  if (timeout === undefined || (msgflg & IPC_NOWAIT) !== 0) return call(msgflg);
  let result: T | undefined, waited = false;
  const attempt = nonBlocking(
    () => result = call(msgflg | IPC_NOWAIT),
    syscall === "msgrcv" ? "ENOMSG" : "EAGAIN",
  );
  try {
    retrySync(() => attempt() || (waited = true, false), timeout, syscall);
  } catch (e) {
    throw waited && e instanceof IpcError ? queueRemoved(e, syscall) : e;
  }
  return result as T;
}

/**
 * One non-blocking `msgsnd` of an async send, `EINTR` retried.
 *
 * @returns true if the queue took the message; false if it is full and the
 *   caller waits (the caller's flags lack `IPC_NOWAIT`)
 * @throws {IpcError} any other failure, `EAGAIN` with `IPC_NOWAIT`
 */
function sendNow(
  msqid: number,
  buf: Uint8Array<ArrayBuffer>,
  n: bigint,
  msgflg: number,
): boolean {
  const c = libc(), f = msgflg | IPC_NOWAIT;
  // No closure, which would cost an allocation per call; EINTR made again.
  for (;;) {
    const r = resultOf(c.msgsnd(msqid, buf, n, f));
    if (r === 0) return true;
    if (r === -EINTR) continue;
    if (r === -EAGAIN && (msgflg & IPC_NOWAIT) === 0) return false;
    throw sendFailure(-r, msqid, buf);
  }
}

/**
 * One `msgrcv` into `buf` (type first, then `msgsz` bytes of text), `EINTR`
 * retried: blocking as `msgflg` asks (the sync calls), or, `parkable`,
 * non-blocking for an async receive.
 *
 * @param parkable whether the caller parks a wait when no message is there
 * @returns the text's length; -1 (only `parkable`) if no message is there
 *   and the caller waits (the caller's flags lack `IPC_NOWAIT`)
 * @throws {IpcError} any other failure, `ENOMSG` with `IPC_NOWAIT`
 */
function receiveNow(
  msqid: number,
  buf: Uint8Array<ArrayBuffer>,
  msgsz: number,
  type: number | bigint,
  msgflg: number,
  parkable: boolean,
): number {
  const c = libc(), n = sizeT(msgsz), p = receivePointer.of(buf);
  const t = typeArg(type), f = parkable ? msgflg | IPC_NOWAIT : msgflg;
  // No closure, which would cost an allocation per call; EINTR made again.
  for (;;) {
    const r = resultOf(
      p === undefined
        ? c.msgrcv(msqid, buf, n, t, f)
        : c.msgrcv_p(msqid, p, n, t, f),
    );
    if (r >= 0) return r;
    if (r === -EINTR) continue;
    if (parkable && r === -ENOMSG && (msgflg & IPC_NOWAIT) === 0) return -1;
    throw recvError(msqid, msgsz, type, -r);
  }
}

/**
 * Sends a message without blocking the event loop: at once if there is
 * room, else when there is (a helper thread in `msgsnd`, or retries; see
 * `ffi/wait.ts`). With `IPC_NOWAIT`, a full queue rejects with `EAGAIN` at
 * once, as in C.
 *
 * @param msqid the queue id
 * @param msgp the message, as for {@linkcode msgsnd} (a `MessageBuffer`'s
 *   is taken when the call is made: it may be reused at once)
 * @param msgflg `IPC_NOWAIT`, or 0
 * @param options `timeout` in ms (`ETIMEDOUT`), `signal`
 * @returns a promise that resolves once the message is queued
 * @throws {IpcError} as {@linkcode msgsnd}; `EIDRM` when the queue is
 *   removed while waiting; `ETIMEDOUT`
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, msgctl, msgget, msgrcvAsync, msgsndAsync } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * await msgsndAsync(id, { mtype: 5, mtext: "five" });
 * console.log((await msgrcvAsync(id, 64, 5)).mtype); // 5
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgsndAsync(
  msqid: number,
  msgp: MsgBuf | MessageBuffer,
  msgflg = 0,
  options: WaitOptions = {},
): Promise<void> {
  try {
    checkWaitOptions(options, "msgsndAsync");
    msqid = int(msqid, "msgsnd", "msqid", 0, LIMITS.INT_MAX);
    msgflg = flags(msgflg, IPC_NOWAIT, "msgsnd", "msgflg");
    const nowait = (msgflg & IPC_NOWAIT) !== 0;
    if (tryAtOnce("msgsnd", msqid, options, !nowait)) {
      // The first attempt, as wait() would make it, from the sync calls'
      // buffer: a queue with room takes the message with no op built.
      const now = encodeMsg(msgp, "msgsnd", true);
      if (sendNow(msqid, now, sizeT(now.length - 8), msgflg)) {
        return Promise.resolve();
      }
    }
    const buf = encodeMsg(msgp, "msgsnd");
    const n = sizeT(buf.length - 8);
    let parked = false;
    const op: BlockingOp = {
      key: `msgsnd:${msqid}`,
      object: queueObject(msqid),
      // Sends to one queue go in the order made; one that must not wait
      // goes at once.
      ordered: !nowait,
      queued(): void {
        parked = true;
      },
      attempt(): boolean {
        try {
          if (sendNow(msqid, buf, n, msgflg)) return true;
        } catch (e) {
          throw parked ? queueRemoved(e as IpcError, "msgsnd") : e;
        }
        parked = true;
        return false;
      },
      kernel: nowait ? undefined : { call: "msgsnd", msqid, msgp: buf, msgflg },
      fail(code: number): IpcError {
        const error = sendFailure(code, msqid, buf);
        return parked ? queueRemoved(error, "msgsnd") : error;
      },
      timedOut: (ms: number) => timedOut("msgsnd", ms),
    };
    return wait(op, options);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Takes a message without blocking the event loop: at once if one is
 * queued, else when one comes (a helper thread in `msgrcv`, or retries; see
 * `ffi/wait.ts`). With `IPC_NOWAIT`, an empty queue rejects with `ENOMSG` at
 * once, as in C.
 *
 * @param msqid the queue id
 * @param msgsz the most bytes of text to take
 * @param msgtyp which message (as for {@linkcode msgrcv})
 * @param msgflg `IPC_NOWAIT`, `MSG_NOERROR`, `MSG_EXCEPT`
 * @param options `timeout` in ms (`ETIMEDOUT`), `signal`
 * @returns the message
 * @throws {IpcError} as {@linkcode msgrcv}; `EIDRM` when the queue is
 *   removed while waiting; `ETIMEDOUT`
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, msgctl, msgget, msgrcvAsync } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * await msgrcvAsync(id, 64, 0, 0, { timeout: 10 }).catch((e) => console.log(e.code)); // "ETIMEDOUT"
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgrcvAsync(
  msqid: number,
  msgsz: number,
  msgtyp: number | bigint = 0,
  msgflg = 0,
  options: WaitOptions = {},
): Promise<MsgReceived> {
  return receiveAsync(
    msqid,
    msgsz,
    msgtyp,
    msgflg,
    options,
    null,
  ) as Promise<MsgReceived>;
}

/**
 * {@linkcode msgrcvAsync} into a buffer of the caller's, as
 * {@linkcode msgrcvInto}: the text lands in `mtext` as the promise
 * resolves, and a loop of receives allocates no array per message. Leave
 * `mtext` alone while the receive waits: if it loses its room (its buffer
 * transferred or shrunk), the receive rejects with a `RangeError`, before
 * taking a message, or with the message taken as its `cause`.
 *
 * @param msqid the queue id
 * @param mtext where the text goes, its length `msgsz`; or a
 *   {@linkcode MessageBuffer}, its `size` `msgsz`, its `mtype` and `length`
 *   set as the promise resolves
 * @param msgtyp which message (as for {@linkcode msgrcv})
 * @param msgflg `IPC_NOWAIT`, `MSG_NOERROR`, `MSG_EXCEPT`
 * @param options `timeout` in ms (`ETIMEDOUT`), `signal`
 * @returns the message's type and how many bytes of `mtext` it filled
 * @throws {IpcError} as {@linkcode msgrcvAsync}
 * @throws {TypeError} if `mtext` is neither a `Uint8Array` nor a
 *   `MessageBuffer`, or is a `MessageBuffer` whose memory was transferred
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, msgctl, msgget, msgrcvIntoAsync, msgsnd } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * const buf = new Uint8Array(64);
 * const got = msgrcvIntoAsync(id, buf);
 * msgsnd(id, { mtype: 5, mtext: "hello" });
 * console.log(await got); // { mtype: 5, n: 5 }
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgrcvIntoAsync(
  msqid: number,
  mtext: Uint8Array | MessageBuffer,
  msgtyp: number | bigint = 0,
  msgflg = 0,
  options: WaitOptions = {},
): Promise<{ mtype: number | bigint; n: number }> {
  try {
    if (mtext instanceof MessageBuffer) structOf(mtext, "msgrcv");
    else bytes(mtext, "msgrcv", "msgp");
  } catch (e) {
    return Promise.reject(e);
  }
  return receiveAsync(
    msqid,
    mtext instanceof MessageBuffer ? mtext.size : mtext.length,
    msgtyp,
    msgflg,
    options,
    mtext,
  ) as Promise<{ mtype: number | bigint; n: number }>;
}

/**
 * The op of an async receive that must wait. Its closures are made here,
 * only for a receive that waits: `out` makes the result from the buffer
 * the message landed in (the sync calls' scratch, or a helper thread's),
 * in the same step as the call; `check` runs before each attempt.
 *
 * @param into the caller's buffer or message buffer (`msgrcvIntoAsync`),
 *   or null for a new array per message (`msgrcvAsync`)
 */
function receiveOp(
  msqid: number,
  size: number,
  type: number | bigint,
  msgflg: number,
  into: Uint8Array | MessageBuffer | null,
): ReceiveOp<unknown> {
  if (into === null) {
    return new ReceiveOp(msqid, size, type, msgflg, decodeMsg, undefined, null);
  }
  const mb = into instanceof MessageBuffer ? into : null;
  const mtext = mb === null ? into as Uint8Array : mb.mtext;
  return new ReceiveOp(
    msqid,
    size,
    type,
    msgflg,
    (buf, r) => {
      // A MessageBuffer's own struct, which the attempts receive into,
      // needs no copy; a helper thread's buffer does.
      if (mb !== null && buf === mb.bytes) return received(mb, r);
      if (mtext.length < r || mb?.bytes.length === 0) {
        throw new RangeError(
          `Argument "msgp" to msgrcv lost its room while the receive waited: "${r}" bytes came, it holds "${mtext.length}"; the message is this error's cause`,
          { cause: decodeMsg(buf, r) },
        );
      }
      copyText(buf, r, mtext);
      if (mb === null) return { mtype: typeOf(buf), n: r };
      mb.mtype = typeOf(buf);
      return received(mb, r);
    },
    () => {
      // (A detached struct is empty, even one with no room for text.)
      if (mtext.length < size || mb?.bytes.length === 0) {
        throw new RangeError(
          `Argument "msgp" to msgrcv lost its room while the receive waited: it holds "${mtext.length}" bytes of "${size}" (transferred or shrunk); no message was taken`,
        );
      }
    },
    mb === null ? null : mb.bytes,
  );
}

/**
 * The wait of an async receive: one object per wait, its methods shared,
 * the helper thread's call built only if the wait goes to one. Each attempt
 * receives into the sync calls' buffer (or a `MessageBuffer`'s own struct)
 * and makes the result (`out`) before returning: nothing else runs in
 * between, and a wait has no room of its own.
 */
class ReceiveOp<T> implements BlockingOp {
  readonly key: string;
  /** The queue, named as for {@linkcode refObject} (made only if asked). */
  get object(): string {
    return queueObject(this.#msqid);
  }
  /** Receives of one queue and type take messages in the order made. */
  readonly ordered: boolean;
  /** The result, once the message came. */
  value: T | undefined;
  #msqid: number;
  #size: number;
  #type: number | bigint;
  #msgflg: number;
  #out: (buf: Uint8Array, r: number) => T;
  #check: (() => void) | undefined;
  #into: Uint8Array<ArrayBuffer> | null;
  #parked = false;
  #kernel: KernelCall | undefined;

  /**
   * @param into the struct the attempts receive into, if not the sync
   *   calls' buffer (a `MessageBuffer`'s: `check` throws if it is gone)
   */
  constructor(
    msqid: number,
    size: number,
    type: number | bigint,
    msgflg: number,
    out: (buf: Uint8Array, r: number) => T,
    check: (() => void) | undefined,
    into: Uint8Array<ArrayBuffer> | null,
  ) {
    this.key = `msgrcv:${msqid}:${type}:${msgflg}`;
    this.ordered = (msgflg & IPC_NOWAIT) === 0;
    this.#msqid = msqid;
    this.#size = size;
    this.#type = type;
    this.#msgflg = msgflg;
    this.#out = out;
    this.#check = check;
    this.#into = into;
  }

  queued(): void {
    this.#parked = true;
  }

  attempt(): boolean {
    this.#check?.();
    const buf = this.#into ?? recvScratch;
    let r: number;
    try {
      r = receiveNow(
        this.#msqid,
        buf,
        this.#size,
        this.#type,
        this.#msgflg,
        true,
      );
    } catch (e) {
      throw this.#parked ? queueRemoved(e as IpcError, "msgrcv") : e;
    }
    if (r === -1) return this.#parked = true, false;
    this.value = this.#out(buf, r);
    return true;
  }

  get kernel(): KernelCall | undefined {
    if (
      (this.#msgflg & IPC_NOWAIT) !== 0 || this.#size > KERNEL_MSG_MAX
    ) return undefined;
    return this.#kernel ??= {
      call: "msgrcv",
      msqid: this.#msqid,
      msgsz: this.#size,
      msgtyp: BigInt(this.#type),
      msgflg: this.#msgflg,
      // The engine's step must not throw: an error is returned, and the
      // wait rejects with it.
      received: (r, msgp) => {
        try {
          this.value = this.#out(msgp, r);
        } catch (e) {
          return e as Error;
        }
      },
    };
  }

  fail(code: number): IpcError {
    const error = errorFor(code, "msgrcv", RECV_BLAME, {
      msqid: this.#msqid,
      msgsz: this.#size,
    }, RECV_HINTS);
    return this.#parked ? queueRemoved(error, "msgrcv") : error;
  }

  timedOut(timeoutMs: number): IpcError {
    return timedOut("msgrcv", timeoutMs);
  }
}

/**
 * The async receive of `msgrcvAsync` (`mtext` null: a new array per
 * message) and `msgrcvIntoAsync` (into `mtext`). Its first attempt is made
 * as `wait()` would make it, into the sync calls' buffer: a queued message
 * is taken with no op and no closure built.
 */
function receiveAsync(
  msqid: number,
  msgsz: number,
  msgtyp: number | bigint,
  msgflg: number,
  options: WaitOptions,
  mtext: Uint8Array | MessageBuffer | null,
): Promise<unknown> {
  try {
    checkWaitOptions(
      options,
      mtext === null ? "msgrcvAsync" : "msgrcvIntoAsync",
    );
    msqid = int(msqid, "msgrcv", "msqid", 0, LIMITS.INT_MAX);
    const type = long(msgtyp, "msgrcv", "msgtyp");
    msgflg = flags(msgflg, MSGRCV_FLAGS, "msgrcv", "msgflg");
    // msgsz checked, and room made for it in the sync calls' buffer, which
    // every attempt receives into.
    const now = scratchRoom(msgsz);
    if (
      tryAtOnce(
        "msgrcv",
        msqid,
        options,
        (msgflg & IPC_NOWAIT) === 0,
        type,
        msgflg,
      )
    ) {
      if (mtext instanceof MessageBuffer) {
        // Straight into the caller's struct, with no copy.
        const struct = structOf(mtext, "msgrcv");
        const r = receiveNow(msqid, struct, msgsz, type, msgflg, true);
        if (r !== -1) return Promise.resolve(received(mtext, r));
      } else {
        const r = receiveNow(msqid, now, msgsz, type, msgflg, true);
        if (r !== -1) {
          if (mtext === null) return Promise.resolve(decodeMsg(now, r));
          copyText(now, r, mtext);
          return Promise.resolve({ mtype: readType(recvView, 0), n: r });
        }
      }
    }
    return waitFor(
      receiveOp(msqid, msgsz, type, msgflg, mtext),
      options,
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

function statInto(msqid: number, buf: Uint8Array<ArrayBuffer>): void {
  if (libc().msgctl(msqid, IPC_STAT, buf) === -1) {
    throw ctlError(msqid, IPC_STAT);
  }
}

/**
 * Reads a queue's status (`msgctl(msqid, IPC_STAT, &buf)`).
 *
 * @param msqid the queue id
 * @param cmd `IPC_STAT`
 * @returns every field of `struct msqid_ds`
 * @throws {IpcError} `EINVAL`/`EIDRM` (no such queue), `EACCES`
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, IPC_STAT, msgctl, msgget, msgsnd } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * msgsnd(id, { mtype: 1, mtext: "abc" });
 * const ds = msgctl(id, IPC_STAT);
 * console.log(ds.qnum, ds.cbytes, ds.lspid === Deno.pid); // 1 3 true
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgctl(msqid: number, cmd: typeof IPC_STAT): MsqidDs;
/**
 * Changes a queue's owner, mode or byte limit (`IPC_SET`): the fields given;
 * the others keep their values (read first unless all four are given).
 *
 * @param msqid the queue id
 * @param cmd `IPC_SET`
 * @param buf the fields to change
 * @throws {IpcError} `EPERM` (not the owner or creator; or `qbytes` above
 *   `msgmnb` without privilege)
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, IPC_SET, msgctl, msgget } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * msgctl(id, IPC_SET, { mode: 0o640, qbytes: 1024 });
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgctl(
  msqid: number,
  cmd: typeof IPC_SET,
  buf: MsqidSet,
): void;
/**
 * Removes a queue at once (`IPC_RMID`): its messages are gone, and every
 * process waiting on it gets `EIDRM`.
 *
 * @param msqid the queue id
 * @param cmd `IPC_RMID`
 * @throws {IpcError} `EINVAL`/`EIDRM` (no such queue), `EPERM`
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, msgctl, msgget } from "@linux-ipc/ipc/msg";
 * msgctl(msgget(IPC_PRIVATE, 0o600), IPC_RMID);
 * ```
 */
export function msgctl(msqid: number, cmd: typeof IPC_RMID): void;
/**
 * The system's limits (`IPC_INFO`) or its use of queues (`MSG_INFO`), and
 * the highest kernel index in use (for `MSG_STAT`/`MSG_STAT_ANY`).
 *
 * @param msqid ignored (0)
 * @param cmd `IPC_INFO` or `MSG_INFO`
 * @returns the `struct msginfo` fields and `maxIndex`
 * @example
 * ```ts
 * import { IPC_INFO, msgctl } from "@linux-ipc/ipc/msg";
 * console.log(msgctl(0, IPC_INFO).msgmax > 0); // true: the largest message
 * ```
 */
export function msgctl(
  msqid: number,
  cmd: typeof IPC_INFO | typeof MSG_INFO,
): MsgInfo & { maxIndex: number };
/**
 * The status of the queue at a kernel index (`MSG_STAT`, or `MSG_STAT_ANY`
 * whatever its mode): with `msgctl(0, MSG_INFO).maxIndex`, how `ipcs -q`
 * lists every queue of the machine.
 *
 * @param index the kernel index, 0 to `maxIndex`
 * @param cmd `MSG_STAT` or `MSG_STAT_ANY`
 * @returns the queue's id and status
 * @throws {IpcError} `EINVAL` (no queue at this index), `EACCES` (`MSG_STAT`)
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, MSG_INFO, MSG_STAT_ANY, msgctl, msgget } from "@linux-ipc/ipc/msg";
 * const id = msgget(IPC_PRIVATE, 0o600);
 * const ids = [];
 * for (let i = 0; i <= msgctl(0, MSG_INFO).maxIndex; i++) {
 *   try {
 *     ids.push(msgctl(i, MSG_STAT_ANY).id);
 *   } catch {
 *     continue; // no queue at this index
 *   }
 * }
 * console.log(ids.includes(id)); // true
 * msgctl(id, IPC_RMID);
 * ```
 */
export function msgctl(
  index: number,
  cmd: typeof MSG_STAT | typeof MSG_STAT_ANY,
): MsqidDs & { id: number };
/**
 * Any `msgctl` command chosen at run time.
 *
 * @param msqid the queue id (an index for `MSG_STAT`/`MSG_STAT_ANY`)
 * @param cmd the command
 * @param buf for `IPC_SET`: the fields to change
 * @returns as for the command
 * @throws {IpcError} as for the command
 * @throws {RangeError} for an unknown command
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, msgctl, msgget } from "@linux-ipc/ipc/msg";
 * const cmd: number = IPC_RMID;
 * msgctl(msgget(IPC_PRIVATE, 0o600), cmd);
 * ```
 */
export function msgctl(
  msqid: number,
  cmd: number,
  buf?: MsqidSet,
):
  | MsqidDs
  | (MsqidDs & { id: number })
  | (MsgInfo & { maxIndex: number })
  | void;
export function msgctl(
  msqid: number,
  cmd: number,
  buf?: MsqidSet,
):
  | MsqidDs
  | (MsqidDs & { id: number })
  | (MsgInfo & { maxIndex: number })
  | void {
  msqid = int(msqid, "msgctl", "msqid", 0, LIMITS.INT_MAX);
  cmd = int(cmd, "msgctl", "cmd", LIMITS.INT_MIN, LIMITS.INT_MAX);
  const c = libc();
  switch (cmd) {
    case IPC_STAT: {
      const b = new Uint8Array(SIZEOF.msqid_ds);
      statInto(msqid, b);
      return decodeMsqidDs(b);
    }
    case IPC_SET: {
      const set = buf as MsqidSet;
      const b = permSetBuffer(
        set,
        "msgctl",
        "buf",
        SIZEOF.msqid_ds,
        (into) => statInto(msqid, into),
        (index, into) => c.msgctl(index, MSG_STAT_ANY, into),
        msqid,
        set !== null && typeof set === "object" && set.qbytes !== undefined,
        ["uid", "gid", "mode", "qbytes"],
      );
      // (qbytes was checked with the other fields.)
      if (set.qbytes !== undefined) encodeMsgQbytes(b, set.qbytes);
      if (c.msgctl(msqid, IPC_SET, b) === -1) throw ctlError(msqid, cmd);
      return;
    }
    case IPC_RMID:
      if (c.msgctl(msqid, IPC_RMID, null) === -1) throw ctlError(msqid, cmd);
      return;
    case IPC_INFO:
    case MSG_INFO: {
      const b = new Uint8Array(SIZEOF.msginfo);
      const r = c.msgctl(msqid, cmd, b);
      if (r === -1) throw ctlError(msqid, cmd);
      return { ...decodeMsgInfo(b), maxIndex: r };
    }
    case MSG_STAT:
    case MSG_STAT_ANY: {
      const b = new Uint8Array(SIZEOF.msqid_ds);
      const r = c.msgctl(msqid, cmd, b);
      if (r === -1) throw ctlError(msqid, cmd);
      return { ...decodeMsqidDs(b), id: r };
    }
    default:
      throw new RangeError(
        `Argument "cmd" to msgctl is out of range: "${
          show(cmd)
        }" is not IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO, MSG_INFO, MSG_STAT or MSG_STAT_ANY`,
      );
  }
}

function ctlError(msqid: number, cmd: number): IpcError {
  return lastError("msgctl")(
    {
      EINVAL: "msqid",
      EIDRM: "msqid",
      EACCES: "msqid",
      EPERM: "cmd",
    },
    { msqid, cmd },
    {
      EINVAL: cmd === MSG_STAT || cmd === MSG_STAT_ANY
        ? "no queue is at this index"
        : "no queue has this id",
      EIDRM: "the queue was removed",
      EACCES: "the queue's mode does not let this process read it",
      EPERM:
        "only the owner, the creator or a privileged process may do this (raising qbytes above msgmnb needs privilege)",
    },
  );
}
