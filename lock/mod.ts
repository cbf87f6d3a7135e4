/**
 * File locks as synchronization between processes: `flock` (whole files)
 * and `fcntl` record and open file description locks (byte ranges) by
 * their C names, their async forms, and the everyday
 * {@linkcode lockFile}/{@linkcode lockRange} whose holds `using` releases.
 * util-linux `flock(1)`, Python's `fcntl.flock`/`fcntl.lockf` and C
 * programs contend with them. A lock held by a process that dies is
 * released by the kernel.
 *
 * @example One writer at a time, across processes
 * ```ts
 * import { close, lockFile, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * {
 *   using _lock = await lockFile(fd, { timeout: 5000 });
 *   await Deno.writeTextFile(path, "mine\n");
 * }
 * close(fd);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

export {
  F_GETLK,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_RDLCK,
  F_SETLK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  fcntl_lock,
  fcntl_lockAsync,
  flock,
  flockAsync,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
} from "./lock.ts";
export type { Flock, FlockRequest } from "./lock.ts";
export {
  lockFile,
  lockFileSync,
  lockRange,
  lockRangeSync,
  testRange,
} from "./file_lock.ts";
export type {
  LockFileOptions,
  LockHold,
  LockRangeOptions,
} from "./file_lock.ts";
export { close, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, open } from "../ffi/fd.ts";
export type { WaitOptions } from "../ffi/wait.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
