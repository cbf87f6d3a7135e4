/**
 * Mapped memory: `mmap`, `munmap`, `msync`, `mprotect`, `madvise` by their
 * C names with their C constants, the file calls they need (`open`,
 * `ftruncate`, `memfd_create`, ...), and the everyday {@linkcode Mapping}.
 *
 * @example mmap-read (ALP Listing 5.6): read an integer, write its double
 * ```ts
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * await Deno.writeTextFile(path, "21\n".padEnd(0x100, "\0"));
 * {
 *   using map = Mapping.file(path);
 *   const value = parseInt(map.memory.readCString());
 *   map.memory.writeCString(`${2 * value}\n`);
 * }
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

export { MemoryRegion } from "../ffi/memory.ts";
export type { Access } from "../ffi/memory.ts";
export {
  close,
  F_ADD_SEALS,
  F_GET_SEALS,
  F_SEAL_EXEC,
  F_SEAL_FUTURE_WRITE,
  F_SEAL_GROW,
  F_SEAL_SEAL,
  F_SEAL_SHRINK,
  F_SEAL_WRITE,
  fcntl,
  fstat,
  ftruncate,
  memfd_create,
  MFD_ALLOW_SEALING,
  MFD_CLOEXEC,
  MFD_EXEC,
  MFD_HUGE_1GB,
  MFD_HUGE_2MB,
  MFD_HUGE_SHIFT,
  MFD_HUGETLB,
  MFD_NOEXEC_SEAL,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  open,
  OwnedFd,
  requireSeals,
  sealNames,
  statfs,
} from "../ffi/fd.ts";
export type { FileStat, FsInfo } from "../ffi/fd.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
export {
  MADV_DONTNEED,
  MADV_NORMAL,
  MADV_RANDOM,
  MADV_SEQUENTIAL,
  MADV_WILLNEED,
  madvise,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_HUGE_1GB,
  MAP_HUGE_2MB,
  MAP_HUGE_SHIFT,
  MAP_HUGETLB,
  MAP_LOCKED,
  MAP_NONBLOCK,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_STACK,
  MAP_SYNC,
  mmap,
  mprotect,
  MS_ASYNC,
  MS_INVALIDATE,
  MS_SYNC,
  msync,
  munmap,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "./mmap.ts";
export { Mapping } from "./mapping.ts";
export type { MappingFileOptions } from "./mapping.ts";
