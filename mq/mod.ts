/**
 * POSIX message queues: `mq_open`, `mq_send`, `mq_receive`, their timed
 * forms, `mq_getattr`/`mq_setattr`, `mq_notify`, `mq_close` and `mq_unlink`
 * by their C names, async forms that wait on the engine's reactor (a queue
 * descriptor can be polled on Linux), and the everyday
 * {@linkcode PosixMessageQueue}. Queues are named `"/NAME"`; each call needs
 * `--allow-read`/`--allow-write` for `/dev/mqueue/NAME`, as its access asks.
 *
 * @example Priorities, between two parts of a program
 * ```ts
 * import { PosixMessageQueue } from "@linux-ipc/ipc/mq";
 * const name = `/linux-ipc-doc-mod-${Deno.pid}`;
 * using q = PosixMessageQueue.open(name, { create: { maxmsg: 4, msgsize: 64 } });
 * const receiving = q.receive({ timeout: 1000 });
 * await q.send("hello", { priority: 3 });
 * const m = await receiving;
 * console.log(new TextDecoder().decode(m.data), m.priority); // "hello" 3
 * PosixMessageQueue.unlink(name);
 * ```
 *
 * @module
 */

export type { MqAttr } from "../ffi/layout.ts";
export type { WaitOptions } from "../ffi/wait.ts";
export {
  O_CREAT,
  O_EXCL,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
} from "../ffi/fd.ts";
export {
  mq_close,
  mq_getattr,
  MQ_NAME_MAX,
  mq_notify,
  mq_open,
  MQ_PRIO_MAX,
  mq_receive,
  mq_receiveAsync,
  mq_receiveInto,
  mq_receiveIntoAsync,
  mq_send,
  mq_sendAsync,
  mq_setattr,
  mq_timedreceive,
  mq_timedsend,
  mq_unlink,
  SIGEV_NONE,
  SIGEV_SIGNAL,
} from "./mq.ts";
export type { MqCreateAttr, MqMessage, MqSigevent } from "./mq.ts";
export { PosixMessageQueue } from "./posix_queue.ts";
export type {
  PosixMessage,
  PosixQueueOpenOptions,
  PosixSendOptions,
} from "./posix_queue.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
