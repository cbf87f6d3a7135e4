/**
 * System V semaphores: the calls of `<sys/sem.h>` by their C names, with
 * their C constants and async forms that keep the event loop running.
 *
 * @module
 */

export * from "../ffi/ipc.ts";
export type {
  IpcPerm,
  IpcPermSet,
  SemidDs,
  SemInfo,
  SemOp,
} from "../ffi/layout.ts";
export type { WaitOptions } from "../ffi/wait.ts";
export {
  GETALL,
  GETNCNT,
  GETPID,
  GETVAL,
  GETZCNT,
  SEM_INFO,
  SEM_STAT,
  SEM_STAT_ANY,
  SEM_UNDO,
  semctl,
  semget,
  semop,
  semopAsync,
  semtimedop,
  SEMVMX,
  SETALL,
  SETVAL,
} from "./sem.ts";
export {
  binarySemaphoreAllocation,
  binarySemaphoreDeallocate,
  binarySemaphoreInitialize,
  binarySemaphorePost,
  binarySemaphoreWait,
  binarySemaphoreWaitAsync,
} from "./binary.ts";
export { SemaphoreSet } from "./semaphore_set.ts";
export type {
  SemaphoreSetCreateOptions,
  SemaphoreSetOpenAsyncOptions,
  SemaphoreSetOpenOptions,
} from "./semaphore_set.ts";
export { Mutex, MutexLock } from "./mutex.ts";
export type { MutexCreateOptions } from "./mutex.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
export { SemBuf, sembuf } from "./sem.ts";
