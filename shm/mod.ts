/**
 * System V shared memory: the calls of `<sys/shm.h>` by their C names, with
 * their C constants, and the everyday {@linkcode SharedMemory} class above them.
 *
 * The thin layer mirrors ALP Listing 5.1 (shm.c) line for line:
 *
 * @example Listing 5.1, shm.c
 * ```ts
 * import {
 *   IPC_CREAT, IPC_EXCL, IPC_PRIVATE, IPC_RMID, IPC_STAT, S_IRUSR, S_IWUSR,
 *   shmat, shmctl, shmdt, shmget,
 * } from "@linux-ipc/ipc/shm";
 *
 * const segmentId = shmget(IPC_PRIVATE, 0x6400, IPC_CREAT | IPC_EXCL | S_IRUSR | S_IWUSR);
 * const memory = shmat(segmentId);
 * console.log("segment size:", shmctl(segmentId, IPC_STAT).segsz);
 * memory.writeCString("Hello, world.");
 * shmdt(memory);
 * shmctl(segmentId, IPC_RMID);
 * ```
 *
 * @module
 */

export type {
  IpcPerm,
  IpcPermSet,
  ShmidDs,
  ShmInfo,
  ShmUsage,
} from "../ffi/layout.ts";
export { MemoryRegion } from "../ffi/memory.ts";
export * from "../ffi/ipc.ts";
export { SharedMemory } from "./shared_memory.ts";
export type {
  SharedMemoryAttachOptions,
  SharedMemoryCreateOptions,
  SharedMemoryOpenOptions,
} from "./shared_memory.ts";

export {
  ftok,
  getpagesize,
  SHM_DEST,
  SHM_EXEC,
  SHM_HUGETLB,
  SHM_INFO,
  SHM_LOCK,
  SHM_LOCKED,
  SHM_NORESERVE,
  SHM_RDONLY,
  SHM_REMAP,
  SHM_RND,
  SHM_STAT,
  SHM_STAT_ANY,
  SHM_UNLOCK,
  shmat,
  shmctl,
  shmdt,
  shmget,
} from "./shm.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
