/**
 * POSIX semaphores, glibc's own `sem_t`: named (`sem_open`, `sem_close`,
 * `sem_unlink`) and unnamed in shared memory (`sem_init`, `sem_destroy`),
 * with `sem_post`, `sem_wait`, `sem_trywait`, `sem_timedwait`,
 * `sem_getvalue` by their C names, the async `sem_waitAsync`, and the
 * everyday {@linkcode PosixSemaphore}. A named semaphore is the file
 * `/dev/shm/sem.NAME`: its calls need `--allow-read` and `--allow-write`
 * for it.
 *
 * @example Unnamed, in memory shared with a child process
 * ```ts
 * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.memfd(4096); // hand map.fd to a child with spawnWithFds
 * using sem = PosixSemaphore.init(map.memory, 0, 0);
 * setTimeout(() => sem.post(), 10);
 * await sem.wait({ timeout: 1000 });
 * ```
 *
 * @module
 */

export {
  sem_at,
  sem_close,
  sem_destroy,
  sem_getvalue,
  sem_init,
  SEM_NAME_MAX,
  sem_open,
  sem_post,
  sem_timedwait,
  sem_trywait,
  sem_unlink,
  SEM_VALUE_MAX,
  sem_wait,
  sem_waitAsync,
  SemT,
  SIZEOF_SEM_T,
} from "./psem.ts";
export { PosixSemaphore } from "./posix_semaphore.ts";
export type {
  HeldSemaphore,
  PosixSemaphoreOpenOptions,
} from "./posix_semaphore.ts";
export { O_CREAT, O_EXCL } from "../ffi/fd.ts";
export type { WaitOptions } from "../ffi/wait.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
