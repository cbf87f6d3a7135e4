/**
 * System V message queues: `msgget`, `msgsnd`, `msgrcv`, `msgctl` by their C
 * names with their C constants (`MSG_NOERROR`, `MSG_EXCEPT`, `MSG_COPY`,
 * `MSG_STAT_ANY`, ...), async forms that wait without blocking the event
 * loop, and the everyday {@linkcode MessageQueue}. Queues made by C
 * programs, `ipcmk -Q` or Python's `sysv_ipc` open by their key. A
 * {@linkcode MessageBuffer} is C's `struct msgbuf` itself, sent and
 * received into with no copy, for loops of many messages.
 *
 * @example A request and its answer between two parts of a program
 * ```ts
 * import { MessageQueue } from "@linux-ipc/ipc/msg";
 * using queue = MessageQueue.create();
 * const answering = queue.receive({ type: 1 }).then((m) =>
 *   queue.send(2, `echo: ${new TextDecoder().decode(m.data)}`)
 * );
 * await queue.send(1, "ping");
 * await answering;
 * const reply = await queue.receive({ type: 2, timeout: 1000 });
 * console.log(new TextDecoder().decode(reply.data)); // "echo: ping"
 * ```
 *
 * @module
 */

export * from "../ffi/ipc.ts";
export type { IpcPerm, IpcPermSet, MsgInfo, MsqidDs } from "../ffi/layout.ts";
export type { WaitOptions } from "../ffi/wait.ts";
export {
  MessageBuffer,
  MSG_COPY,
  MSG_EXCEPT,
  MSG_INFO,
  MSG_NOERROR,
  MSG_STAT,
  MSG_STAT_ANY,
  msgctl,
  msgget,
  msgrcv,
  msgrcvAsync,
  msgrcvInto,
  msgrcvIntoAsync,
  msgsnd,
  msgsndAsync,
} from "./msg.ts";
export type { MsgBuf, MsgReceived, MsqidSet } from "./msg.ts";
export { MessageQueue } from "./message_queue.ts";
export type {
  Message,
  MessageQueueCreateOptions,
  MessageQueueOpenOptions,
  ReceiveOptions,
  SendOptions,
  SyncSendOptions,
} from "./message_queue.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
