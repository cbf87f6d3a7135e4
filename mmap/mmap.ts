/**
 * The thin layer over `<sys/mman.h>`: `mmap`, `munmap`, `msync`,
 * `mprotect`, `madvise`, with their C constants. Re-exported by
 * `mmap/mod.ts`.
 *
 * Two departures from C, both so that no call can crash the process:
 * - `MAP_FIXED` is passed to the kernel as `MAP_FIXED_NOREPLACE`: an address
 *   already in use fails with `EEXIST` instead of silently replacing memory
 *   the runtime lives in.
 * - A file mapping's views end at the end of the file: pages past it would
 *   raise SIGBUS when touched, so they are not part of the region
 *   (`byteLength` is the part backed by the file).
 *
 * @module
 */

import { libc } from "../ffi/libc.ts";
import { errorFor, lastError } from "../ffi/errors.ts";
import { fstat, S_IFMT, S_IFREG } from "../ffi/fd.ts";
import {
  type Access,
  createRegion,
  type MemoryRegion,
  setRegionAccess,
} from "../ffi/memory.ts";
import { flags as checkFlags, int, LIMITS, show } from "../ffi/validate.ts";

/** Pages may not be accessed. */
export const PROT_NONE = 0;
/** Pages may be read. */
export const PROT_READ = 1;
/** Pages may be written. */
export const PROT_WRITE = 2;
/** Pages may be executed. */
export const PROT_EXEC = 4;
/** Share the mapping: writes reach the file and other processes. */
export const MAP_SHARED = 0x01;
/** Private copy-on-write mapping: writes stay in this process. */
export const MAP_PRIVATE = 0x02;
/** Map at exactly `addr` (applied as `MAP_FIXED_NOREPLACE`, see above). */
export const MAP_FIXED = 0x10;
/** Not backed by a file; zero-filled (`fd` must be -1). */
export const MAP_ANONYMOUS = 0x20;
/** Reserve no swap space. */
export const MAP_NORESERVE = 0x4000;
/** Populate (prefault) the pages now. */
export const MAP_POPULATE = 0x8000;
/** Map at exactly `addr`, failing with `EEXIST` if it is in use. */
export const MAP_FIXED_NOREPLACE = 0x100000;
/** `msync`: schedule the write-back and return. */
export const MS_ASYNC = 1;
/** `msync`: invalidate other mappings of the same file. */
export const MS_INVALIDATE = 2;
/** `msync`: write back and wait until done. */
export const MS_SYNC = 4;
/** `madvise`: no special treatment. */
export const MADV_NORMAL = 0;
/** `madvise`: expect random access. */
export const MADV_RANDOM = 1;
/** `madvise`: expect sequential access. */
export const MADV_SEQUENTIAL = 2;
/** `madvise`: expect access soon. */
export const MADV_WILLNEED = 3;
/** `madvise`: do not expect access soon (private pages are dropped). */
export const MADV_DONTNEED = 4;

const PROT_ALL = PROT_READ | PROT_WRITE | PROT_EXEC;
const MAP_ALL = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS |
  MAP_NORESERVE | MAP_POPULATE | MAP_FIXED_NOREPLACE;
const MS_ALL = MS_ASYNC | MS_INVALIDATE | MS_SYNC;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

/** The mapped length of each live region, for `munmap`, `msync`, `mprotect`. */
const mapped = new WeakMap<MemoryRegion, number>();

function accessOf(prot: number): Access {
  if ((prot & PROT_WRITE) !== 0) return "readwrite";
  return (prot & (PROT_READ | PROT_EXEC)) !== 0 ? "read" : "none";
}

function pageSize(): number {
  return libc().getpagesize();
}

/**
 * Maps a file, or anonymous memory, into the process (`mmap`) and returns
 * it as a {@linkcode MemoryRegion}: zero-copy views that are detached before
 * the memory is unmapped.
 *
 * @param addr where to map: `null` (the default, the kernel chooses), or a
 *   page-aligned address with `MAP_FIXED`
 * @param length bytes to map, > 0
 * @param prot `PROT_READ`, `PROT_WRITE`, `PROT_EXEC`, or `PROT_NONE`
 * @param flags `MAP_SHARED` or `MAP_PRIVATE`, with `MAP_ANONYMOUS`,
 *   `MAP_FIXED`, `MAP_NORESERVE`, `MAP_POPULATE`
 * @param fd a descriptor from `open` or `memfd_create`, or -1 with `MAP_ANONYMOUS`
 * @param offset where in the file to start: a multiple of the page size
 * @returns the mapped memory; read-only without `PROT_WRITE`
 * @throws {IpcError} `EINVAL` (offset not page-aligned, neither or both of
 *   `MAP_SHARED`/`MAP_PRIVATE`), `EACCES` (fd not open for what `prot` asks),
 *   `EBADF`, `EEXIST` (a `MAP_FIXED` address in use), `ENODEV`, `ENOMEM`
 * @throws {RangeError} for a length <= 0 or unknown flag bits
 * @example mmap-write (ALP Listing 5.5)
 * ```ts
 * import { close, ftruncate, MAP_SHARED, mmap, munmap, O_CREAT, O_RDWR, open, PROT_READ, PROT_WRITE } from "@linux-ipc/ipc/mmap";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR | O_CREAT, 0o600);
 * ftruncate(fd, 0x100);
 * const memory = mmap(null, 0x100, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
 * close(fd);
 * memory.write("42\n");
 * munmap(memory);
 * await Deno.remove(path);
 * ```
 */
export function mmap(
  addr: bigint | null,
  length: number,
  prot: number,
  flags: number,
  fd: number,
  offset: number | bigint = 0,
): MemoryRegion {
  int(length, "mmap", "length", 1, LIMITS.SIZE_MAX);
  checkFlags(prot, PROT_ALL, "mmap", "prot");
  checkFlags(flags, MAP_ALL, "mmap", "flags");
  int(fd, "mmap", "fd", -1, LIMITS.INT_MAX);
  const off = typeof offset === "bigint" ? offset : BigInt(
    int(offset, "mmap", "offset", 0, Number.MAX_SAFE_INTEGER),
  );
  if (off < 0n) {
    throw new RangeError(
      `Argument "offset" to mmap is out of range: "${off}" is negative`,
    );
  }
  let at: Deno.PointerValue = null;
  if (addr !== null) {
    if (typeof addr !== "bigint" || addr < 0n || addr >= 1n << 64n) {
      throw new TypeError(
        `Invalid argument "addr" to mmap: expected null or an address as a non-negative bigint, got "${
          show(addr)
        }"`,
      );
    }
    at = Deno.UnsafePointer.create(addr);
  }
  const anonymous = (flags & MAP_ANONYMOUS) !== 0;
  // Never replace memory the process already uses.
  const kernelFlags = (flags & MAP_FIXED) !== 0
    ? (flags & ~MAP_FIXED) | MAP_FIXED_NOREPLACE
    : flags;
  // A file's pages past its end raise SIGBUS: the views stop at the end.
  let visible = length;
  if (!anonymous && fd >= 0) {
    const st = fstat(fd);
    if ((st.mode & S_IFMT) === S_IFREG) {
      visible = Math.max(0, Math.min(length, st.size - Number(off)));
    }
  }
  const address = libc().mmap(at, BigInt(length), prot, kernelFlags, fd, off);
  if (
    address === null || BigInt(Deno.UnsafePointer.value(address)) === MAP_FAILED
  ) {
    throw lastError("mmap", {
      EINVAL: "offset",
      EACCES: "fd",
      EBADF: "fd",
      ENODEV: "fd",
      EEXIST: "addr",
      ENOMEM: "length",
      EPERM: "prot",
      EOVERFLOW: "offset",
    }, {
      offset: String(off),
      fd,
      addr: addr === null ? "NULL" : `0x${addr.toString(16)}`,
      length,
    }, {
      EINVAL:
        `the offset must be a multiple of the page size (${pageSize()}), exactly one of MAP_SHARED and MAP_PRIVATE must be given, and the address must be page-aligned`,
      EACCES:
        "the descriptor is not open for the access that prot and MAP_SHARED ask for",
      EEXIST:
        "the address is already in use (MAP_FIXED never replaces a mapping here)",
    });
  }
  const region = createRegion(
    address,
    visible,
    accessOf(prot),
    anonymous ? "anonymous mapping" : "file mapping",
    (a) => {
      if (libc().munmap(a, BigInt(length)) === -1) {
        throw lastError("munmap", "addr");
      }
    },
  );
  mapped.set(region, length);
  return region;
}

function check(region: MemoryRegion, syscall: string): number {
  const length = region instanceof Object ? mapped.get(region) : undefined;
  if (length === undefined) {
    throw new TypeError(
      `Invalid argument "addr" to ${syscall}: expected a region that mmap returned, got "${
        show(region)
      }"`,
    );
  }
  if (region.detached) {
    throw errorFor(22, syscall, "addr", {
      addr: `0x${region.address.toString(16)}`,
    }, { EINVAL: "this mapping is already unmapped" });
  }
  return length;
}

/**
 * Unmaps memory mapped by {@linkcode mmap} (`munmap`): first every view of
 * it (they become empty), then the memory.
 *
 * @param addr the region `mmap` returned
 * @throws {IpcError} `EINVAL` if it is already unmapped
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, mmap, munmap, PROT_READ, PROT_WRITE } from "@linux-ipc/ipc/mmap";
 * const memory = mmap(null, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
 * const view = memory.bytes;
 * munmap(memory);
 * console.log(view.length); // 0
 * ```
 */
export function munmap(addr: MemoryRegion): void {
  check(addr, "munmap");
  addr.close();
}

function span(
  region: MemoryRegion,
  length: number,
  syscall: string,
  offset: number,
  size: number | undefined,
): [Deno.PointerObject, bigint] {
  int(offset, syscall, "offset", 0, length);
  const n = size ?? length - offset;
  int(n, syscall, "length", 0, length - offset);
  const p = Deno.UnsafePointer.create(region.address + BigInt(offset))!;
  return [p, BigInt(n)];
}

/**
 * Flushes changes to a shared file mapping back to the file (`msync`).
 *
 * @param addr the region
 * @param flags `MS_SYNC` (wait) or `MS_ASYNC` (schedule), optionally with `MS_INVALIDATE`
 * @param offset where to start, a multiple of the page size (default 0)
 * @param length how many bytes (default: to the end of the mapping)
 * @throws {IpcError} `EINVAL` (offset not page-aligned, or both `MS_SYNC` and `MS_ASYNC`), `EBUSY`
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_SHARED, mmap, MS_SYNC, msync, munmap, PROT_READ, PROT_WRITE } from "@linux-ipc/ipc/mmap";
 * const memory = mmap(null, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
 * msync(memory, MS_SYNC);
 * munmap(memory);
 * ```
 */
export function msync(
  addr: MemoryRegion,
  flags: number,
  offset = 0,
  length?: number,
): void {
  const total = check(addr, "msync");
  checkFlags(flags, MS_ALL, "msync", "flags");
  const [p, n] = span(addr, total, "msync", offset, length);
  if (libc().msync(p, n, flags) === -1) {
    throw lastError("msync", {
      EINVAL: offset % pageSize() ? "offset" : "flags",
      EBUSY: "flags",
      ENOMEM: "length",
    }, {
      offset,
      flags,
    }, {
      EINVAL:
        "the offset must be a multiple of the page size, and MS_SYNC and MS_ASYNC exclude each other",
    });
  }
}

/**
 * Changes what the process may do with a whole mapping (`mprotect`). Every
 * view handed out before is detached first, so none can outlive its access.
 *
 * @param addr the region
 * @param prot `PROT_NONE`, or `PROT_READ`/`PROT_WRITE`/`PROT_EXEC`
 * @throws {IpcError} `EACCES` (more access than the file was opened for), `ENOMEM`
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, mmap, mprotect, munmap, PROT_READ, PROT_WRITE } from "@linux-ipc/ipc/mmap";
 * const memory = mmap(null, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
 * mprotect(memory, PROT_READ);
 * console.log(memory.readOnly); // true
 * munmap(memory);
 * ```
 */
export function mprotect(addr: MemoryRegion, prot: number): void {
  const total = check(addr, "mprotect");
  checkFlags(prot, PROT_ALL, "mprotect", "prot");
  const p = Deno.UnsafePointer.create(addr.address)!;
  if (libc().mprotect(p, BigInt(total), prot) === -1) {
    throw lastError("mprotect", {
      EACCES: "prot",
      EINVAL: "prot",
      ENOMEM: "addr",
    }, {
      prot,
    }, { EACCES: "the file was not opened for this access" });
  }
  setRegionAccess(addr, accessOf(prot));
}

/**
 * Advises the kernel how the memory will be used (`madvise`).
 *
 * @param addr the region
 * @param advice `MADV_NORMAL`, `MADV_RANDOM`, `MADV_SEQUENTIAL`, `MADV_WILLNEED`, `MADV_DONTNEED`
 * @param offset where to start, a multiple of the page size (default 0)
 * @param length how many bytes (default: to the end)
 * @throws {IpcError} `EINVAL` (unknown advice, offset not page-aligned)
 * @example
 * ```ts
 * import { MADV_SEQUENTIAL, MAP_ANONYMOUS, MAP_PRIVATE, madvise, mmap, munmap, PROT_READ } from "@linux-ipc/ipc/mmap";
 * const memory = mmap(null, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
 * madvise(memory, MADV_SEQUENTIAL);
 * munmap(memory);
 * ```
 */
export function madvise(
  addr: MemoryRegion,
  advice: number,
  offset = 0,
  length?: number,
): void {
  const total = check(addr, "madvise");
  int(advice, "madvise", "advice", 0, MADV_DONTNEED);
  const [p, n] = span(addr, total, "madvise", offset, length);
  if (libc().madvise(p, n, advice) === -1) {
    throw lastError("madvise", { EINVAL: "offset", ENOMEM: "length" }, {
      offset,
    }, {
      EINVAL: "the offset must be a multiple of the page size",
    });
  }
}
