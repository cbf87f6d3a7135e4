/**
 * eventfd: `eventfd`, `eventfd_read` and `eventfd_write` by their C names,
 * async forms that wait on the engine's reactor, and the everyday
 * {@linkcode EventFd}. The counter is a `bigint` (up to 2^64 - 2).
 *
 * @example A wake-up across an await
 * ```ts
 * import { EventFd } from "@linux-ipc/ipc/eventfd";
 * using ev = EventFd.create();
 * const woken = ev.read({ timeout: 1000 });
 * ev.writeSync(1n);
 * console.log(await woken); // 1n
 * ```
 *
 * @module
 */

export {
  EFD_CLOEXEC,
  EFD_MAX,
  EFD_NONBLOCK,
  EFD_SEMAPHORE,
  eventfd,
  eventfd_read,
  eventfd_readAsync,
  eventfd_write,
  eventfd_writeAsync,
} from "./eventfd.ts";
export { EventFd } from "./event_fd.ts";
export type { EventFdOptions } from "./event_fd.ts";
export { close } from "../ffi/fd.ts";
export type { WaitOptions } from "../ffi/wait.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
