/**
 * POSIX shared memory: `shm_open` and `shm_unlink` by their C names, the
 * file calls that size and map an object (`ftruncate`, `fstat`, `mmap`
 * through `Mapping`), and the everyday {@linkcode PosixSharedMemory}.
 * Objects are named `"/NAME"` and live in `/dev/shm`; each call needs
 * `--allow-read`/`--allow-write` for `/dev/shm/NAME`, as its access asks.
 *
 * @example Shared with any process that knows the name
 * ```ts
 * import { PosixSharedMemory } from "@linux-ipc/ipc/pshm";
 * const name = `/linux-ipc-doc-mod-${Deno.pid}`;
 * using shm = PosixSharedMemory.open(name, { create: { size: 4096 } });
 * using map = shm.map();
 * map.memory.writeCString("visible to every process that opens the name");
 * shm.unlink();
 * ```
 *
 * @module
 */

export { SHM_NAME_MAX, shm_open, shm_unlink } from "./pshm.ts";
export { PosixSharedMemory } from "./posix_shm.ts";
export type { PosixShmOpenOptions } from "./posix_shm.ts";
export {
  close,
  fstat,
  ftruncate,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
} from "../ffi/fd.ts";
export { Mapping } from "../mmap/mod.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
