/**
 * The thin layer over `<mqueue.h>`: POSIX message queues by their C names,
 * in C argument order, with their C constants. Re-exported by `mq/mod.ts`.
 *
 * A queue has a name (`"/jobs"`: one leading slash, no other) and is held
 * through a descriptor, which Linux lets `poll`: the async forms wait on the
 * engine's reactor. Names are checked as Linux checks them, and each call
 * needs the access Deno's own file APIs would need on `/dev/mqueue/NAME`
 * (where the `mqueue` file system shows the queues): `--allow-read` to
 * receive, `--allow-write` to send, create or unlink.
 *
 * @module
 */

import { libc, PointerCache, sizeT } from "../ffi/libc.ts";
import { SIGNAL_NUMBERS } from "../ffi/signals.ts";
import {
  EAGAIN,
  EINTR,
  errorFor,
  type ErrorOf,
  errorOf,
  ETIMEDOUT,
  type IpcError,
  lastError,
  restartOnEintr,
  resultOf,
  resultOrErrno,
} from "../ffi/errors.ts";
import {
  close,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
} from "../ffi/fd.ts";
import {
  decodeMqAttr,
  encodeMqAttr,
  encodeSigevent,
  encodeTimespec,
  type MqAttr,
  SIZEOF,
} from "../ffi/layout.ts";
import { requirePath } from "../ffi/permissions.ts";
import { POLLIN, pollOp, POLLOUT, WOULD_BLOCK } from "../ffi/poll.ts";
import {
  absoluteTime,
  bytes,
  bytesOrText,
  descriptor,
  flags as checkFlags,
  int,
  LIMITS,
  posixName,
  show,
} from "../ffi/validate.ts";
import {
  checkWaitOptions,
  tryFdAtOnce,
  wait,
  waitFor,
  type WaitOptions,
} from "../ffi/wait.ts";
import { decodeUtf8 } from "../ffi/text.ts";

/** Priorities are below this (`MQ_PRIO_MAX` on Linux). */
export const MQ_PRIO_MAX = 32768;
/** `sigev_notify`: deliver a signal (`SIGEV_SIGNAL`). */
export const SIGEV_SIGNAL = 0;
/** `sigev_notify`: register, deliver nothing (`SIGEV_NONE`). */
export const SIGEV_NONE = 1;
/** The longest queue name after its slash (`NAME_MAX`). */
export const MQ_NAME_MAX = 255;

const MQ_OPEN_FLAGS = O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK |
  O_CLOEXEC;

/** A message `mq_receive` took. */
export interface MqMessage {
  /** The message. */
  data: Uint8Array<ArrayBuffer>;
  /** Its priority: higher ones come first. */
  prio: number;
}

/** Attributes of a new queue (`struct mq_attr`'s `mq_maxmsg`, `mq_msgsize`). */
export interface MqCreateAttr {
  /** The most messages it holds (default: `/proc/sys/fs/mqueue/msg_default`). */
  maxmsg?: number;
  /** The largest message in bytes (default: `msgsize_default`). */
  msgsize?: number;
}

/** What `mq_notify` registers: a signal, or nothing delivered. */
export interface MqSigevent {
  /** `SIGEV_SIGNAL` or `SIGEV_NONE` (`SIGEV_THREAD` is not offered). */
  notify: number;
  /**
   * For `SIGEV_SIGNAL`: the signal, as a name (`"SIGUSR2"`) or a number.
   * Never `SIGUSR1`, which starts Deno's inspector.
   */
  signo?: Deno.Signal | number;
}

/** Checks a queue name as Linux does; returns it and `/dev/mqueue/NAME`. */
function checkName(
  name: string,
  syscall: string,
): [Uint8Array<ArrayBuffer>, string] {
  return posixName(name, syscall, "/dev/mqueue/", MQ_NAME_MAX);
}

/**
 * Opens (or with `O_CREAT` makes) a queue and returns its descriptor
 * (`mq_open`). `O_CLOEXEC` is added.
 *
 * @param name the queue's name: `"/"` then up to 255 bytes without a slash
 * @param oflag `O_RDONLY`, `O_WRONLY` or `O_RDWR`, with `O_CREAT`,
 *   `O_EXCL`, `O_NONBLOCK`
 * @param mode with `O_CREAT`: permission bits (default `0o600`)
 * @param attr with `O_CREAT`: `maxmsg` and `msgsize` (default: the system's)
 * @returns the descriptor (`mqd_t`)
 * @throws {IpcError} `ENOENT`, `EEXIST`, `EACCES`, `EINVAL` (attributes out
 *   of range), `EMFILE`, `ENOSPC` (`queues_max`)
 * @throws {TypeError|RangeError} for a name Linux would refuse
 * @throws {Deno.errors.NotCapable} without `--allow-read`/`--allow-write`
 *   for `/dev/mqueue/NAME`
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_receive, mq_send, mq_unlink, O_CREAT, O_RDWR } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-${Deno.pid}`;
 * const mq = mq_open(name, O_RDWR | O_CREAT, 0o600, { maxmsg: 4, msgsize: 64 });
 * mq_send(mq, "urgent", 9);
 * console.log(mq_receive(mq).prio); // 9
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_open(
  name: string,
  oflag: number,
  mode = 0o600,
  attr?: MqCreateAttr,
): number {
  const [c, path] = checkName(name, "mq_open");
  oflag = checkFlags(oflag, MQ_OPEN_FLAGS, "mq_open", "oflag");
  mode = int(mode, "mq_open", "mode", 0, 0o777);
  let a: Uint8Array | null = null;
  if (attr !== undefined && attr !== null) {
    if (typeof attr !== "object") {
      throw new TypeError(
        `Invalid argument "attr" to mq_open: expected { maxmsg, msgsize }, got "${
          show(attr)
        }"`,
      );
    }
    const maxmsg = int(
      attr.maxmsg,
      "mq_open",
      "attr.maxmsg",
      1,
      LIMITS.INT_MAX,
    );
    const msgsize = int(
      attr.msgsize,
      "mq_open",
      "attr.msgsize",
      1,
      LIMITS.INT_MAX,
    );
    a = encodeMqAttr({ maxmsg, msgsize }, new Uint8Array(SIZEOF.mq_attr));
  }
  const access = oflag & 3;
  if (access !== O_WRONLY) requirePath("read", path);
  if (access !== O_RDONLY || (oflag & O_CREAT) !== 0) {
    requirePath("write", path);
  }
  const fd = libc().mq_open(c, oflag | O_CLOEXEC, mode, a);
  if (fd === -1) {
    throw lastError("mq_open")({
      ENOENT: "name",
      EEXIST: "name",
      EACCES: "name",
      EINVAL: a === null ? "name" : "attr",
      ENAMETOOLONG: "name",
      EMFILE: "name",
      ENFILE: "name",
      ENOSPC: "name",
      ENOMEM: "attr",
    }, {
      name,
      attr: a === null ? "NULL" : JSON.stringify(attr),
    }, {
      ENOENT: "no queue has this name and O_CREAT was not given",
      EEXIST: "a queue has this name and O_EXCL was given",
      EACCES: "the queue's mode does not grant this access",
      EINVAL:
        "maxmsg or msgsize is above the system's limit (/proc/sys/fs/mqueue)",
      ENOSPC: "the system's limit of queues (queues_max) is reached",
    });
  }
  return fd;
}

/**
 * Closes a queue descriptor (`mq_close`, which on Linux is `close`): pending
 * async waits on it end first, with `EBADF`.
 *
 * @param mqdes the descriptor
 * @throws {IpcError} `EBADF`
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_unlink, O_CREAT, O_RDONLY } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-close-${Deno.pid}`;
 * mq_close(mq_open(name, O_RDONLY | O_CREAT));
 * mq_unlink(name);
 * ```
 */
export function mq_close(mqdes: number): void {
  close(mqdes);
}

/**
 * Removes a queue's name (`mq_unlink`); the queue goes once every
 * descriptor of it is closed.
 *
 * @param name the queue's name
 * @throws {IpcError} `ENOENT`, `EACCES`
 * @throws {Deno.errors.NotCapable} without `--allow-write` for `/dev/mqueue/NAME`
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_unlink, O_CREAT, O_WRONLY } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-unlink-${Deno.pid}`;
 * mq_close(mq_open(name, O_WRONLY | O_CREAT));
 * mq_unlink(name);
 * ```
 */
export function mq_unlink(name: string): void {
  const [c, path] = checkName(name, "mq_unlink");
  requirePath("write", path);
  if (libc().mq_unlink(c) === -1) {
    throw lastError("mq_unlink")("name", { name }, {
      ENOENT: "no queue has this name",
      EACCES: "only the owner (or a privileged process) may unlink it",
    });
  }
}

/**
 * Internal to `mq/`: the error of a send that just failed.
 *
 * @param syscall the call
 * @param mqdes the descriptor
 * @param n the message's length
 * @returns the error
 */
export function sendError(
  syscall: string,
  mqdes: number,
  n: number,
  code?: number,
): IpcError {
  return queueError(
    code === undefined ? lastError(syscall) : errorOf(code, syscall),
    mqdes,
    n,
    "msg_prio",
    {
      EAGAIN: "the queue is full and the descriptor is non-blocking",
      EBADF: "not a queue descriptor open for writing",
    },
    "the message is longer than",
  );
}

/**
 * Internal to `mq/`: the error of a receive that just failed.
 *
 * @param syscall the call
 * @param mqdes the descriptor
 * @param n the room given
 * @returns the error
 */
export function recvError(
  syscall: string,
  mqdes: number,
  n: number,
  code?: number,
): IpcError {
  return queueError(
    code === undefined ? lastError(syscall) : errorOf(code, syscall),
    mqdes,
    n,
    "abs_timeout",
    {
      EAGAIN: "the queue is empty and the descriptor is non-blocking",
      EBADF: "not a queue descriptor open for reading",
    },
    "the room is shorter than",
  );
}

/**
 * The error of a send or receive, from its errno (`make`): `EINVAL` blames
 * `invalid`; an `EMSGSIZE` says the queue's `mq_msgsize`, asked of the
 * descriptor only then, in bytes (`tooLong`: how the message or room
 * compares with it).
 */
function queueError(
  make: ErrorOf,
  mqdes: number,
  n: number,
  invalid: string,
  hints: Readonly<Record<string, string>>,
  tooLong: string,
): IpcError {
  const blame = {
    EAGAIN: "mqdes",
    EBADF: "mqdes",
    EMSGSIZE: "msg_len",
    EINVAL: invalid,
    ETIMEDOUT: "abs_timeout",
  };
  const values = { mqdes, msg_len: n };
  const e = make(blame, values, hints);
  if (e.code !== "EMSGSIZE") return e;
  let size: number | undefined;
  try {
    size = mq_getattr(mqdes).msgsize;
  } catch {
    // The size is left out.
  }
  return make(blame, values, {
    EMSGSIZE: `${tooLong} the queue's mq_msgsize${
      size === undefined ? "" : `, ${size} bytes`
    }`,
  });
}

/**
 * Internal to `mq/`: a priority, checked.
 *
 * @param value the priority
 * @param syscall the call, for messages
 * @returns the priority
 */
export function prio(
  value: unknown,
  syscall: string,
  argument = "msg_prio",
): number {
  return int(value, syscall, argument, 0, MQ_PRIO_MAX - 1);
}

/** An absolute `CLOCK_REALTIME` deadline from a Date or epoch milliseconds. */
function absTimeout(value: unknown, syscall: string): Uint8Array {
  return encodeTimespec(
    absoluteTime(value, syscall),
    new Uint8Array(SIZEOF.timespec),
  );
}

/**
 * Sends a message (`mq_send`): higher priorities are received first. On a
 * blocking descriptor a full queue blocks the thread, as in C;
 * {@linkcode mq_sendAsync} waits without blocking the event loop.
 *
 * @param mqdes the descriptor (open for writing)
 * @param msg_ptr the message: bytes, or a string sent as UTF-8
 * @param msg_prio its priority, 0 to `MQ_PRIO_MAX - 1` (default 0)
 * @throws {IpcError} `EAGAIN` (full, non-blocking), `EMSGSIZE`, `EBADF`
 * @throws {TypeError} for a message that is neither bytes nor a string, or
 *   text with a lone surrogate (it has no UTF-8 form)
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_send, mq_unlink, O_CREAT, O_WRONLY } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-send-${Deno.pid}`;
 * const mq = mq_open(name, O_WRONLY | O_CREAT);
 * mq_send(mq, new Uint8Array([1, 2, 3]), 1);
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_send(
  mqdes: number,
  msg_ptr: Uint8Array | string,
  msg_prio = 0,
): void {
  mqdes = descriptor(mqdes, "mq_send", "mqdes");
  const b = bytesOrText(msg_ptr, "mq_send", "msg_ptr");
  msg_prio = prio(msg_prio, "mq_send");
  // The call made here, with no closure (a closure in this function would
  // make every call allocate its context); EINTR made again.
  const c = libc(), n = sizeT(b.length), p = sendPointer.of(b);
  for (;;) {
    const r = resultOf(
      p === undefined
        ? c.mq_send(mqdes, b, n, msg_prio)
        : c.mq_send_p(mqdes, p, n, msg_prio),
    );
    if (r >= 0) return;
    if (r !== -EINTR) throw sendError("mq_send", mqdes, b.length, -r);
  }
}

/** The pointers of the sync sends and receives (see `PointerCache`). */
const sendPointer = new PointerCache(), receivePointer = new PointerCache();
const prioPointer = new PointerCache();

// The sync receives' room, reused: the message is copied out.
let recvScratch = new Uint8Array(8192);
/**
 * Internal to `mq/`: where every receive's priority lands (as bytes,
 * `prioBytes`), read right after the call.
 */
export const prioScratch: Uint32Array<ArrayBuffer> = new Uint32Array(1);
/** Internal to `mq/`: {@linkcode prioScratch}'s bytes, the call's argument. */
export const prioBytes: Uint8Array<ArrayBuffer> = new Uint8Array(
  prioScratch.buffer,
);

/**
 * Internal to `mq/`: the room the receives that copy their message out
 * read into, at least `n` bytes, shared (each copies out at once).
 *
 * @param n the room needed
 * @returns the room
 * @throws {RangeError} if no room that large can be made
 */
export function scratch(n: number): Uint8Array<ArrayBuffer> {
  if (recvScratch.length < n) {
    try {
      recvScratch = new Uint8Array(n);
    } catch {
      throw new RangeError(
        `Argument "msg_len" to mq_receive is out of range: no room of "${n}" bytes can be made`,
      );
    }
  }
  return recvScratch;
}

const attrScratch = new Uint8Array(SIZEOF.mq_attr);

/** The queue's `mq_msgsize`: the room `mq_receive` needs by default. */
function msgsize(mqdes: number, syscall: string): number {
  const a = attrScratch;
  if (libc().mq_getattr(mqdes, a) === -1) {
    throw lastError(syscall)("mqdes", { mqdes });
  }
  return decodeMqAttr(a).msgsize;
}

/** The room a receive gives: `msg_len`, or by default the queue's `mq_msgsize`. */
function roomFor(
  mqdes: number,
  msg_len: number | undefined,
  syscall: string,
): number {
  return msg_len === undefined
    ? msgsize(mqdes, syscall)
    : int(msg_len, syscall, "msg_len", 0, LIMITS.INT_MAX);
}

/**
 * The receive loop of `mq_receive`, `mq_timedreceive` (with `abs`) and
 * `mq_receiveInto`: `n` bytes of room in `buf`; `EINTR` is retried.
 */
function receiveInto(
  syscall: string,
  mqdes: number,
  buf: Uint8Array,
  n: number,
  abs: Uint8Array | null,
): number {
  // As mq_send's: no closure, EINTR made again.
  const c = libc(), len = sizeT(n);
  // Pointers for a loop's calls (see PointerCache): both, or neither.
  const p = abs === null ? receivePointer.of(buf) : undefined;
  const q = p === undefined ? undefined : prioPointer.of(prioBytes);
  for (;;) {
    const r = resultOf(
      abs !== null
        ? c.mq_timedreceive(mqdes, buf, len, prioBytes, abs)
        : p === undefined || q === undefined
        ? c.mq_receive(mqdes, buf, len, prioBytes)
        : c.mq_receive_p(mqdes, p, len, q),
    );
    if (r >= 0) return r;
    if (r !== -EINTR) throw recvError(syscall, mqdes, n, -r);
  }
}

/**
 * Takes the oldest message of the highest priority (`mq_receive`). On a
 * blocking descriptor an empty queue blocks the thread, as in C;
 * {@linkcode mq_receiveAsync} waits without blocking the event loop.
 *
 * @param mqdes the descriptor (open for reading)
 * @param msg_len room for the message: at least the queue's `mq_msgsize`
 *   (the default)
 * @returns the message and its priority
 * @throws {IpcError} `EAGAIN` (empty, non-blocking), `EMSGSIZE` (`msg_len`
 *   below `mq_msgsize`), `EBADF`
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_receive, mq_send, mq_unlink, O_CREAT, O_RDWR } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-recv-${Deno.pid}`;
 * const mq = mq_open(name, O_RDWR | O_CREAT);
 * mq_send(mq, "low", 1);
 * mq_send(mq, "high", 5);
 * console.log(new TextDecoder().decode(mq_receive(mq).data)); // "high"
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_receive(mqdes: number, msg_len?: number): MqMessage {
  mqdes = descriptor(mqdes, "mq_receive", "mqdes");
  const n = roomFor(mqdes, msg_len, "mq_receive");
  const buf = scratch(n);
  const r = receiveInto("mq_receive", mqdes, buf, n, null);
  return { data: buf.slice(0, r), prio: prioScratch[0] };
}

/**
 * {@linkcode mq_receive} into a buffer of the caller's (C's `msg_ptr`), at
 * least the queue's `mq_msgsize` long: nothing is allocated or copied per
 * message.
 *
 * @param mqdes the descriptor (open for reading)
 * @param msg_ptr where the message goes; its length is `msg_len`
 * @returns how many bytes it filled, and the message's priority
 * @throws {IpcError} as for {@linkcode mq_receive}
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_receiveInto, mq_send, mq_unlink, O_CREAT, O_RDWR } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-into-${Deno.pid}`;
 * const mq = mq_open(name, O_RDWR | O_CREAT, 0o600, { maxmsg: 4, msgsize: 64 });
 * mq_send(mq, "abc", 2);
 * console.log(mq_receiveInto(mq, new Uint8Array(64))); // { n: 3, prio: 2 }
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_receiveInto(
  mqdes: number,
  msg_ptr: Uint8Array,
): { n: number; prio: number } {
  mqdes = descriptor(mqdes, "mq_receive", "mqdes");
  bytes(msg_ptr, "mq_receive", "msg_ptr");
  const n = receiveInto("mq_receive", mqdes, msg_ptr, msg_ptr.length, null);
  return { n, prio: prioScratch[0] };
}

/**
 * `mq_send` with an absolute deadline (`mq_timedsend`): `ETIMEDOUT` if the
 * queue is still full at `abs_timeout` (`CLOCK_REALTIME`).
 *
 * @param mqdes the descriptor
 * @param msg_ptr the message
 * @param msg_prio its priority
 * @param abs_timeout a Date, or milliseconds since the epoch
 * @throws {IpcError} `ETIMEDOUT`, and as for `mq_send`
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_timedsend, mq_unlink, O_CREAT, O_WRONLY } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-tsend-${Deno.pid}`;
 * const mq = mq_open(name, O_WRONLY | O_CREAT, 0o600, { maxmsg: 1, msgsize: 8 });
 * mq_timedsend(mq, "a", 0, Date.now() + 100);
 * try {
 *   mq_timedsend(mq, "b", 0, Date.now() + 10); // full: waits 10 ms
 * } catch (e) {
 *   console.log((e as { code: string }).code); // "ETIMEDOUT"
 * }
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_timedsend(
  mqdes: number,
  msg_ptr: Uint8Array | string,
  msg_prio: number,
  abs_timeout: Date | number,
): void {
  mqdes = descriptor(mqdes, "mq_timedsend", "mqdes");
  const b = bytesOrText(msg_ptr, "mq_timedsend", "msg_ptr");
  msg_prio = prio(msg_prio, "mq_timedsend");
  const t = absTimeout(abs_timeout, "mq_timedsend");
  const c = libc();
  restartOnEintr(
    () => c.mq_timedsend(mqdes, b, sizeT(b.length), msg_prio, t),
    () => sendError("mq_timedsend", mqdes, b.length),
  );
}

/**
 * `mq_receive` with an absolute deadline (`mq_timedreceive`): `ETIMEDOUT`
 * if the queue is still empty at `abs_timeout` (`CLOCK_REALTIME`).
 *
 * @param mqdes the descriptor
 * @param msg_len room for the message (default: the queue's `mq_msgsize`)
 * @param abs_timeout a Date, or milliseconds since the epoch
 * @returns the message and its priority
 * @throws {IpcError} `ETIMEDOUT`, and as for `mq_receive`
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_timedreceive, mq_unlink, O_CREAT, O_RDONLY } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-trecv-${Deno.pid}`;
 * const mq = mq_open(name, O_RDONLY | O_CREAT);
 * try {
 *   mq_timedreceive(mq, undefined, Date.now() + 10);
 * } catch (e) {
 *   console.log((e as { code: string }).code); // "ETIMEDOUT"
 * }
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_timedreceive(
  mqdes: number,
  msg_len: number | undefined,
  abs_timeout: Date | number,
): MqMessage {
  mqdes = descriptor(mqdes, "mq_timedreceive", "mqdes");
  const n = roomFor(mqdes, msg_len, "mq_timedreceive");
  const t = absTimeout(abs_timeout, "mq_timedreceive");
  const buf = scratch(n);
  const r = receiveInto("mq_timedreceive", mqdes, buf, n, t);
  return { data: buf.slice(0, r), prio: prioScratch[0] };
}

/**
 * A queue's attributes (`mq_getattr`).
 *
 * @param mqdes the descriptor
 * @returns `flags` (`O_NONBLOCK` or 0), `maxmsg`, `msgsize`, `curmsgs`
 * @throws {IpcError} `EBADF`
 * @example
 * ```ts
 * import { mq_close, mq_getattr, mq_open, mq_unlink, O_CREAT, O_RDONLY } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-attr-${Deno.pid}`;
 * const mq = mq_open(name, O_RDONLY | O_CREAT, 0o600, { maxmsg: 3, msgsize: 100 });
 * console.log(mq_getattr(mq).maxmsg); // 3
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_getattr(mqdes: number): MqAttr {
  mqdes = descriptor(mqdes, "mq_getattr", "mqdes");
  const a = new Uint8Array(SIZEOF.mq_attr);
  if (libc().mq_getattr(mqdes, a) === -1) {
    throw lastError("mq_getattr")("mqdes", { mqdes });
  }
  return decodeMqAttr(a);
}

/**
 * Sets a descriptor's `O_NONBLOCK` (`mq_setattr`; the other attributes are
 * fixed when the queue is made) and returns the attributes before.
 *
 * @param mqdes the descriptor
 * @param newattr `{ flags: O_NONBLOCK }` or `{ flags: 0 }`
 * @returns the old attributes
 * @throws {IpcError} `EBADF`
 * @example
 * ```ts
 * import { mq_close, mq_getattr, mq_open, mq_setattr, mq_unlink, O_CREAT, O_NONBLOCK, O_RDONLY } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-setattr-${Deno.pid}`;
 * const mq = mq_open(name, O_RDONLY | O_CREAT);
 * mq_setattr(mq, { flags: O_NONBLOCK });
 * console.log(mq_getattr(mq).flags === O_NONBLOCK); // true
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_setattr(
  mqdes: number,
  newattr: { flags: number },
): MqAttr {
  mqdes = descriptor(mqdes, "mq_setattr", "mqdes");
  if (newattr === null || typeof newattr !== "object") {
    throw new TypeError(
      `Invalid argument "newattr" to mq_setattr: expected { flags }, got "${
        show(newattr)
      }"`,
    );
  }
  const f = checkFlags(
    newattr.flags,
    O_NONBLOCK,
    "mq_setattr",
    "newattr.flags",
  );
  const old = new Uint8Array(SIZEOF.mq_attr);
  const a = encodeMqAttr({ flags: f }, new Uint8Array(SIZEOF.mq_attr));
  if (libc().mq_setattr(mqdes, a, old) === -1) {
    throw lastError("mq_setattr")("mqdes", { mqdes });
  }
  return decodeMqAttr(old);
}

/**
 * The signals a notice may use: ones a Deno program can listen for, but
 * `SIGUSR1` (see {@linkcode refuseInspectorSignal}).
 */
const SIGNALS: Partial<Record<Deno.Signal, number>> = Object.fromEntries(
  ([
    "SIGUSR2",
    "SIGHUP",
    "SIGALRM",
    "SIGWINCH",
    "SIGIO",
    "SIGPOLL",
  ] as const)
    .map((name) => [name, SIGNAL_NUMBERS[name]]),
);

/**
 * Internal to `mq/`: refuses `SIGUSR1` (by name or number) as a notice's
 * signal. Since 2.9.2, Deno starts its inspector when the process gets
 * `SIGUSR1` (as Node does), a listener of its own or not: a debugger
 * server on 127.0.0.1:9229 that any local program may connect to and run
 * code in the process through, whatever its permissions. A notice by
 * `SIGUSR1` would open it the first time a message came.
 *
 * @param signo the signal asked for
 * @param where the call, as the error names it
 * @param arg the argument, as the error names it
 * @throws {RangeError} for `SIGUSR1`
 */
export function refuseInspectorSignal(
  signo: unknown,
  where: string,
  arg: string,
): void {
  if (signo === "SIGUSR1" || signo === SIGNAL_NUMBERS.SIGUSR1) {
    throw new RangeError(
      `Argument "${arg}" to ${where} is out of range: "${
        show(signo)
      }" starts Deno's inspector (a debugger server on 127.0.0.1:9229 that any local program can run code through) when the process gets it: use "SIGUSR2"`,
    );
  }
}

/**
 * Registers (or with `null` unregisters) this process for one notice when a
 * message arrives in the empty queue and no one is waiting to receive it
 * (`mq_notify`). The notice is a signal a Deno program can listen for
 * (`Deno.addSignalListener`); it is one-shot, so register again after each.
 *
 * `SIGUSR1` is refused: a Deno process that gets it starts its inspector
 * (a debugger open to local connections), as Node does.
 *
 * @param mqdes the descriptor
 * @param sevp `{ notify: SIGEV_SIGNAL, signo: "SIGUSR2" }`,
 *   `{ notify: SIGEV_NONE }`, or null to unregister
 * @throws {IpcError} `EBUSY` (another process is registered), `EBADF`
 * @throws {RangeError} for a notify kind other than `SIGEV_SIGNAL` or
 *   `SIGEV_NONE`, a signal Deno cannot listen for, or `SIGUSR1`
 * @example
 * ```ts
 * import { mq_close, mq_notify, mq_open, mq_unlink, O_CREAT, O_RDONLY, SIGEV_SIGNAL } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-notify-${Deno.pid}`;
 * const mq = mq_open(name, O_RDONLY | O_CREAT);
 * mq_notify(mq, { notify: SIGEV_SIGNAL, signo: "SIGUSR2" });
 * mq_notify(mq, null); // unregister
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_notify(mqdes: number, sevp: MqSigevent | null): void {
  mqdes = descriptor(mqdes, "mq_notify", "mqdes");
  let buf: Uint8Array | null = null;
  if (sevp !== null) {
    if (typeof sevp !== "object") {
      throw new TypeError(
        `Invalid argument "sevp" to mq_notify: expected { notify, signo } or null, got "${
          show(sevp)
        }"`,
      );
    }
    if (sevp.notify !== SIGEV_SIGNAL && sevp.notify !== SIGEV_NONE) {
      throw new RangeError(
        `Argument "sevp.notify" to mq_notify is out of range: "${
          show(sevp.notify)
        }" is not SIGEV_SIGNAL or SIGEV_NONE`,
      );
    }
    let signo = 0;
    if (sevp.notify === SIGEV_SIGNAL) {
      refuseInspectorSignal(sevp.signo, "mq_notify", "sevp.signo");
      signo = typeof sevp.signo === "number"
        ? int(sevp.signo, "mq_notify", "sevp.signo", 1, 64)
        // Own names only: "toString" is no signal (it registered signal 0).
        : Object.hasOwn(SIGNALS, sevp.signo as string)
        ? SIGNALS[sevp.signo as Deno.Signal]!
        : -1;
      if (signo === -1) {
        throw new RangeError(
          `Argument "sevp.signo" to mq_notify is out of range: "${
            show(sevp.signo)
          }" is not one of ${Object.keys(SIGNALS).join(", ")}`,
        );
      }
    }
    buf = encodeSigevent(
      sevp.notify,
      signo,
      new Uint8Array(SIZEOF.sigevent),
    );
  }
  if (libc().mq_notify(mqdes, buf) === -1) {
    const error = lastError("mq_notify")({ EBADF: "mqdes", EBUSY: "mqdes" }, {
      mqdes,
    }, {
      EBUSY: "another process is registered for this queue's notice",
    });
    if (error.code === "EBUSY" && notifiesThisProcess(mqdes)) {
      throw errorFor(error.errno, "mq_notify", "mqdes", { mqdes }, {
        EBUSY: "this process is registered for this queue's notice already",
      });
    }
    throw error;
  }
}

/**
 * A `struct timespec` of zero: a deadline long past, so that the timed
 * calls never block, whatever the descriptor's mode (Linux returns at once
 * for a zero deadline). The async calls' attempts use it, and leave the
 * descriptor's `O_NONBLOCK` alone, with no `fcntl` per call.
 */
const PAST = new Uint8Array(SIZEOF.timespec);

/**
 * A timed call with {@linkcode PAST} (`EINTR` restarted): its result,
 * `WOULD_BLOCK` if it timed out, or -1 with errno set.
 */
function pastDue(call: () => number): number {
  const r = resultOrErrno(call);
  return r >= 0 ? r : r === -ETIMEDOUT ? WOULD_BLOCK : -1;
}

/**
 * Sends without blocking the event loop: at once if there is room, else
 * when the reactor sees room (a queue descriptor can be polled on Linux).
 * The descriptor's mode is left as it is: each attempt is `mq_timedsend`
 * with a deadline already past, which never blocks.
 *
 * @param mqdes the descriptor
 * @param msg_ptr the message
 * @param msg_prio its priority (default 0)
 * @param options `timeout` (`ETIMEDOUT`), `signal`
 * @returns a promise that resolves once the message is queued
 * @throws {IpcError} as for `mq_send`; `ETIMEDOUT`
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_receiveAsync, mq_sendAsync, mq_unlink, O_CREAT, O_RDWR } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-async-${Deno.pid}`;
 * const mq = mq_open(name, O_RDWR | O_CREAT);
 * await mq_sendAsync(mq, "hi", 3);
 * console.log((await mq_receiveAsync(mq)).prio); // 3
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_sendAsync(
  mqdes: number,
  msg_ptr: Uint8Array | string,
  msg_prio = 0,
  options: WaitOptions = {},
): Promise<void> {
  try {
    checkWaitOptions(options, "mq_sendAsync");
    mqdes = descriptor(mqdes, "mq_send", "mqdes");
    const b = bytesOrText(msg_ptr, "mq_send", "msg_ptr");
    msg_prio = prio(msg_prio, "mq_send");
    const n = sizeT(b.length);
    // The first try, as `wait` would make it, without the op's closures: a
    // queue with room takes the message here.
    let tried = false;
    if (tryFdAtOnce("mq_send", mqdes, POLLOUT, options)) {
      const r = resultOrErrno(() =>
        libc().mq_timedsend(mqdes, b, n, msg_prio, PAST)
      );
      if (r >= 0) return Promise.resolve();
      if (r !== -EAGAIN && r !== -ETIMEDOUT) {
        throw sendError("mq_send", mqdes, b.length, -r);
      }
      tried = true;
    }
    return wait(
      pollOp(
        mqdes,
        POLLOUT,
        "mq_send",
        () => pastDue(() => libc().mq_timedsend(mqdes, b, n, msg_prio, PAST)),
        () => sendError("mq_send", mqdes, b.length),
        undefined,
        tried,
      ),
      options,
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Receives without blocking the event loop: at once if a message is there,
 * else when the reactor sees one. The descriptor's mode is left as it is:
 * each attempt is `mq_timedreceive` with a deadline already past.
 *
 * @param mqdes the descriptor
 * @param msg_len room (default: the queue's `mq_msgsize`)
 * @param options `timeout` (`ETIMEDOUT`), `signal`
 * @returns the message and its priority
 * @throws {IpcError} as for `mq_receive`; `ETIMEDOUT`
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_receiveAsync, mq_unlink, O_CREAT, O_RDONLY } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-rasync-${Deno.pid}`;
 * const mq = mq_open(name, O_RDONLY | O_CREAT);
 * await mq_receiveAsync(mq, undefined, { timeout: 10 }).catch((e) => console.log(e.code)); // "ETIMEDOUT"
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_receiveAsync(
  mqdes: number,
  msg_len?: number,
  options: WaitOptions = {},
): Promise<MqMessage> {
  try {
    checkWaitOptions(options, "mq_receiveAsync");
    mqdes = descriptor(mqdes, "mq_receive", "mqdes");
    const len = roomFor(mqdes, msg_len, "mq_receive");
    return receiveAsync(mqdes, len, options, null, newMessage);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * {@linkcode mq_receiveAsync} into a buffer of the caller's, as
 * {@linkcode mq_receiveInto}: the message lands in `msg_ptr` as the promise
 * resolves, and a loop of receives allocates no array per message. Leave
 * `msg_ptr` alone while the receive waits: if it loses its room (its buffer
 * transferred or shrunk), the receive rejects with a `RangeError` and takes
 * no message.
 *
 * @param mqdes the descriptor (open for reading)
 * @param msg_ptr where the message goes, at least the queue's `mq_msgsize`
 *   long
 * @param options `timeout` in ms (`ETIMEDOUT`), `signal`
 * @returns how many bytes it filled, and the message's priority
 * @throws {IpcError} as for {@linkcode mq_receiveAsync}
 * @throws {TypeError} if `msg_ptr` is not a `Uint8Array`
 * @example
 * ```ts
 * import { mq_close, mq_open, mq_receiveIntoAsync, mq_send, mq_unlink, O_CREAT, O_RDWR } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-into-async-${Deno.pid}`;
 * const mq = mq_open(name, O_RDWR | O_CREAT, 0o600, { maxmsg: 4, msgsize: 64 });
 * const buf = new Uint8Array(64);
 * const got = mq_receiveIntoAsync(mq, buf);
 * mq_send(mq, "abc", 2);
 * console.log(await got); // { n: 3, prio: 2 }
 * mq_close(mq);
 * mq_unlink(name);
 * ```
 */
export function mq_receiveIntoAsync(
  mqdes: number,
  msg_ptr: Uint8Array,
  options: WaitOptions = {},
): Promise<{ n: number; prio: number }> {
  try {
    checkWaitOptions(options, "mq_receiveIntoAsync");
    mqdes = descriptor(mqdes, "mq_receive", "mqdes");
    bytes(msg_ptr, "mq_receive", "msg_ptr");
    return receiveAsync(mqdes, msg_ptr.length, options, msg_ptr, intoMessage);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * The async receive of `mq_receiveAsync` and `mq_receiveIntoAsync`: each
 * attempt receives into `into` (or the sync calls' buffer), and `out` makes
 * the result in the same step, before anything else can use the buffer.
 */
function receiveAsync<T>(
  mqdes: number,
  len: number,
  options: WaitOptions,
  into: Uint8Array | null,
  out: (buf: Uint8Array, r: number) => T,
): Promise<T> {
  const n = sizeT(len);
  // The first try, without the op's closures (they are in `receiveWait`:
  // closures here would make every call allocate their context): a queued
  // message is taken here.
  let tried = false;
  if (tryFdAtOnce("mq_receive", mqdes, POLLIN, options)) {
    const buf = receiveRoom(into, len);
    const r = resultOf(libc().mq_timedreceive(mqdes, buf, n, prioBytes, PAST));
    if (r >= 0) return Promise.resolve(out(buf, r));
    // EINTR: the engine makes the call again.
    if (r !== -EAGAIN && r !== -ETIMEDOUT && r !== -EINTR) {
      throw recvError("mq_receive", mqdes, len, -r);
    }
    tried = r !== -EINTR;
  }
  return receiveWait(mqdes, len, options, into, out, n, tried);
}

/** The wait of {@linkcode receiveAsync}, apart (see there). */
function receiveWait<T>(
  mqdes: number,
  len: number,
  options: WaitOptions,
  into: Uint8Array | null,
  out: (buf: Uint8Array, r: number) => T,
  n: bigint,
  tried: boolean,
): Promise<T> {
  let buf: Uint8Array;
  return waitFor(
    pollOp(
      mqdes,
      POLLIN,
      "mq_receive",
      () =>
        pastDue(() =>
          libc().mq_timedreceive(
            mqdes,
            buf = receiveRoom(into, len),
            n,
            prioBytes,
            PAST,
          )
        ),
      () => recvError("mq_receive", mqdes, len),
      (r) => out(buf, r),
      tried,
    ),
    options,
  );
}

/**
 * Where an async receive lands: `into`, or the sync calls' buffer.
 *
 * @throws {RangeError} if `into` lost its room while the receive waited
 */
function receiveRoom(into: Uint8Array | null, len: number): Uint8Array {
  if (into === null) return scratch(len);
  if (into.length < len) {
    throw new RangeError(
      `Argument "msg_ptr" to mq_receive lost its room while the receive waited: it holds "${into.length}" bytes of "${len}" (transferred or shrunk); no message was taken`,
    );
  }
  return into;
}

/** The result of {@linkcode mq_receiveAsync}: the message copied out. */
function newMessage(buf: Uint8Array, r: number): MqMessage {
  return { data: buf.slice(0, r), prio: prioScratch[0] };
}

/** The result of {@linkcode mq_receiveIntoAsync}. */
function intoMessage(_: Uint8Array, r: number): { n: number; prio: number } {
  return { n: r, prio: prioScratch[0] };
}

/**
 * Internal to `mq/`: whether this process holds the queue's notification,
 * from the status a read of the queue gives (`NOTIFY_PID:`, as
 * `cat /dev/mqueue/NAME` shows); undefined if the descriptor cannot be
 * read (open for writing only).
 *
 * @param mqdes the queue descriptor
 * @returns true if this process is registered, false if none or another
 */
export function notifiesThisProcess(mqdes: number): boolean | undefined {
  const buf = new Uint8Array(128);
  const n = libc().pread(mqdes, buf, 128n, 0n);
  if (n <= 0) return undefined;
  const pid = /NOTIFY_PID:(\d+)/.exec(
    decodeUtf8(buf.subarray(0, n)),
  );
  return pid === null ? undefined : Number(pid[1]) === Deno.pid;
}
