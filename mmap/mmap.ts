/**
 * The thin layer over `<sys/mman.h>`: `mmap`, `munmap`, `msync`,
 * `mprotect`, `madvise`, with their C constants. Re-exported by
 * `mmap/mod.ts`.
 *
 * Departures from C, all so that no call can crash the process:
 * - `MAP_FIXED` is passed to the kernel as `MAP_FIXED_NOREPLACE`: an address
 *   already in use fails with `EEXIST` instead of silently replacing memory
 *   the runtime lives in.
 * - `MAP_FIXED` needs an address other than 0: memory at address 0 could not
 *   be viewed (it is JavaScript's null pointer), so it is refused before the
 *   call instead of being mapped and leaked.
 * - `munmap` unmaps a whole mapping or nothing: an `ArrayBuffer` cannot be
 *   partly detached, so a view could outlive a part unmapped on its own.
 * - A file mapping's views end at the end of the file: pages past it would
 *   raise SIGBUS when touched, so they are not part of the region
 *   (`byteLength` is the part backed by the file).
 *
 * @module
 */

import { addressOf, libc, pointerAt } from "../ffi/libc.ts";
import { EINVAL, errorFor, lastError } from "../ffi/errors.ts";
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
/**
 * Shared, and unknown flags fail with `EOPNOTSUPP` instead of being ignored
 * (needed for `MAP_SYNC`).
 */
export const MAP_SHARED_VALIDATE = 0x03;
/** Map at exactly `addr` (applied as `MAP_FIXED_NOREPLACE`, see above). */
export const MAP_FIXED = 0x10;
/** Not backed by a file; zero-filled (`fd` must be -1). */
export const MAP_ANONYMOUS = 0x20;
/** A stack that grows down: the kernel extends it below `addr`. */
export const MAP_GROWSDOWN = 0x100;
/** Lock the pages in memory, as `mlock` does (`ulimit -l` applies). */
export const MAP_LOCKED = 0x2000;
/** Reserve no swap space. */
export const MAP_NORESERVE = 0x4000;
/** Populate (prefault) the pages now. */
export const MAP_POPULATE = 0x8000;
/** With `MAP_POPULATE`: do not wait for pages to be read in. */
export const MAP_NONBLOCK = 0x10000;
/** Memory for a thread's stack. */
export const MAP_STACK = 0x20000;
/** Use huge pages (`ENOMEM` when none are reserved: see `/proc/sys/vm/nr_hugepages`). */
export const MAP_HUGETLB = 0x40000;
/**
 * With `MAP_SHARED_VALIDATE`: writes reach persistent memory synchronously
 * (`EOPNOTSUPP` on a file without DAX).
 */
export const MAP_SYNC = 0x80000;
/** Map at exactly `addr`, failing with `EEXIST` if it is in use. */
export const MAP_FIXED_NOREPLACE = 0x100000;
/** Shift of the huge page size's log2 in the flags (with `MAP_HUGETLB`). */
export const MAP_HUGE_SHIFT = 26;
/** With `MAP_HUGETLB`: 2 MiB pages. */
export const MAP_HUGE_2MB = 21 << MAP_HUGE_SHIFT;
/** With `MAP_HUGETLB`: 1 GiB pages. */
export const MAP_HUGE_1GB = 30 << MAP_HUGE_SHIFT;
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
const MAP_HUGE_MASK = 0x3f << MAP_HUGE_SHIFT;
const MAP_ALL = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS |
  MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |
  MAP_STACK | MAP_HUGETLB | MAP_SYNC | MAP_FIXED_NOREPLACE | MAP_HUGE_MASK;
/** Internal to `mmap/`: every flag `msync` takes. */
export const MS_ALL = MS_ASYNC | MS_INVALIDATE | MS_SYNC;
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

/** The size of the pages a mapping made with these flags is made of. */
function mappingPage(flags: number): number {
  if ((flags & MAP_HUGETLB) === 0) return pageSize();
  const shift = (flags >>> MAP_HUGE_SHIFT) & 0x3f;
  return 2 ** (shift === 0 ? 21 : shift); // 0: the default huge page, 2 MiB
}

function roundUp(n: number, page: number): number {
  return Math.ceil(n / page) * page;
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
 * @param flags `MAP_SHARED`, `MAP_SHARED_VALIDATE` or `MAP_PRIVATE`, with
 *   any of `MAP_ANONYMOUS`, `MAP_FIXED`, `MAP_FIXED_NOREPLACE`,
 *   `MAP_GROWSDOWN`, `MAP_LOCKED`, `MAP_NORESERVE`, `MAP_POPULATE`,
 *   `MAP_NONBLOCK`, `MAP_STACK`, `MAP_HUGETLB` (with `MAP_HUGE_2MB` or
 *   `MAP_HUGE_1GB`), `MAP_SYNC`; the kernel's answer to each comes back as
 *   its errno
 * @param fd a descriptor from `open` or `memfd_create`, or -1 with `MAP_ANONYMOUS`
 * @param offset where in the file to start: a multiple of the page size
 * @returns the mapped memory; read-only without `PROT_WRITE`
 * @throws {IpcError} `EINVAL` (offset or address not page-aligned, neither
 *   `MAP_SHARED` nor `MAP_PRIVATE`), `EACCES` (fd not open for what `prot`
 *   asks), `EBADF`, `EEXIST` (a `MAP_FIXED` address in use), `ENODEV`,
 *   `ENOMEM` (also: no huge pages reserved), `EAGAIN` (`MAP_LOCKED` over the
 *   lock limit), `EOPNOTSUPP` (`MAP_SYNC` without DAX)
 * @throws {RangeError} for a length <= 0, unknown flag bits, or `MAP_FIXED`
 *   without an address or at address 0
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
  length = int(length, "mmap", "length", 1, LIMITS.SIZE_MAX);
  prot = checkFlags(prot, PROT_ALL, "mmap", "prot");
  flags = checkFlags(flags, MAP_ALL, "mmap", "flags");
  fd = int(fd, "mmap", "fd", -1, LIMITS.INT_MAX);
  const off = typeof offset === "bigint" ? offset : BigInt(
    offset = int(offset, "mmap", "offset", 0, Number.MAX_SAFE_INTEGER),
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
    at = pointerAt(addr);
  }
  if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0 && at === null) {
    throw new RangeError(
      `Argument "addr" to mmap is out of range: MAP_FIXED needs an address other than 0, got "${
        addr === null ? "NULL" : "0x0"
      }" (memory at address 0 cannot be viewed: it is JavaScript's null pointer)`,
    );
  }
  const anonymous = (flags & MAP_ANONYMOUS) !== 0;
  // Never replace memory the process already uses.
  const kernelFlags = (flags & MAP_FIXED) !== 0
    ? (flags & ~MAP_FIXED) | MAP_FIXED_NOREPLACE
    : flags | 0;
  // A file's pages past its end raise SIGBUS: the views stop at the end.
  let visible = length;
  if (!anonymous && fd >= 0) {
    const st = fstat(fd);
    if ((st.mode & S_IFMT) === S_IFREG) {
      visible = Math.max(0, Math.min(length, st.size - Number(off)));
    }
  }
  const address = libc().mmap(at, BigInt(length), prot, kernelFlags, fd, off);
  // errno now, before anything below can allocate (see lastError).
  const failure = lastError("mmap");
  if (
    address === null || addressOf(address) === MAP_FAILED
  ) {
    const page = pageSize();
    const fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
    const invalid: [string, string] = off % BigInt(page) !== 0n
      ? ["offset", `the offset must be a multiple of the page size (${page})`]
      : fixed && addr !== null && addr % BigInt(page) !== 0n
      ? [
        "addr",
        `a MAP_FIXED address must be a multiple of the page size (${page})`,
      ]
      : (flags & MAP_SHARED_VALIDATE) === 0
      ? [
        "flags",
        "one of MAP_SHARED, MAP_SHARED_VALIDATE and MAP_PRIVATE must be given",
      ]
      : ["flags", "the kernel refused this combination of flags and length"];
    throw failure({
      EINVAL: invalid[0],
      EACCES: "fd",
      EBADF: "fd",
      ENODEV: "fd",
      EEXIST: "addr",
      ENOMEM: "length",
      EPERM: "prot",
      EAGAIN: "flags",
      EOPNOTSUPP: "flags",
      EOVERFLOW: "offset",
    }, {
      offset: String(off),
      fd,
      addr: addr === null ? "NULL" : `0x${addr.toString(16)}`,
      length,
      flags: `0x${(flags >>> 0).toString(16)}`,
    }, {
      EINVAL: invalid[1],
      EACCES:
        "the descriptor is not open for the access that prot and MAP_SHARED ask for",
      EEXIST:
        "the address is already in use (MAP_FIXED never replaces a mapping here)",
      EAGAIN: "MAP_LOCKED would pass the limit of locked memory (ulimit -l)",
      EOPNOTSUPP:
        "MAP_SHARED_VALIDATE found a flag this file does not support (MAP_SYNC needs a DAX file)",
    });
  }
  const region = createRegion(
    address,
    visible,
    accessOf(prot),
    anonymous ? "anonymous mapping" : "file mapping",
    (a) => {
      if (libc().munmap(a, BigInt(length)) === -1) {
        throw lastError("munmap")("addr");
      }
    },
    roundUp(length, mappingPage(flags)),
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
    throw errorFor(EINVAL, syscall, "addr", {
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
 * @param length as in C, the mapping's length (or any length that rounds up
 *   to the same pages); by default the whole mapping. A part cannot be
 *   unmapped: an `ArrayBuffer` cannot be partly detached.
 * @throws {IpcError} `EINVAL` if it is already unmapped, or for a length of 0
 *   (as in C)
 * @throws {RangeError} for a length that is not the whole mapping's
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, mmap, munmap, PROT_READ, PROT_WRITE } from "@linux-ipc/ipc/mmap";
 * const memory = mmap(null, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
 * const view = memory.bytes;
 * munmap(memory);
 * console.log(view.length); // 0
 * ```
 */
export function munmap(addr: MemoryRegion, length?: number): void {
  const total = check(addr, "munmap");
  if (length !== undefined) {
    length = int(length, "munmap", "length", 0, LIMITS.SIZE_MAX);
    if (length === 0) {
      throw errorFor(EINVAL, "munmap", "length", { length }, {
        EINVAL: "a length of 0 unmaps nothing",
      });
    }
    const page = pageSize();
    if (roundUp(length, page) !== roundUp(total, page)) {
      throw new RangeError(
        `Argument "length" to munmap is out of range: "${length}" is not the mapping's length (${total}); a part of a mapping cannot be unmapped, since its views could not be partly detached`,
      );
    }
  }
  addr.close();
}

function span(
  region: MemoryRegion,
  length: number,
  syscall: string,
  offset: number,
  size: number | undefined,
): [Deno.PointerObject, bigint] {
  offset = int(offset, syscall, "offset", 0, length);
  const n = int(size ?? length - offset, syscall, "length", 0, length - offset);
  const p = pointerAt(region.address + BigInt(offset))!;
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
  flags = checkFlags(flags, MS_ALL, "msync", "flags");
  const [p, n] = span(addr, total, "msync", offset, length);
  if (libc().msync(p, n, flags) === -1) {
    throw lastError("msync")({
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
 * @throws {IpcError} `EACCES` (more access than the file was opened for),
 *   `ENOMEM`; `EBUSY` when narrowing the access while an async wait on a
 *   POSIX semaphore in the region is under way (its helper thread writes
 *   the memory: narrowed, the write would crash)
 * @throws {TypeError} when narrowing the access of a region a buffer was
 *   moved off (`transfer`, `postMessage`): a write through it would crash
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
  prot = checkFlags(prot, PROT_ALL, "mprotect", "prot");
  const p = pointerAt(addr.address)!;
  setRegionAccess(addr, accessOf(prot), () => {
    if (libc().mprotect(p, BigInt(total), prot) === -1) {
      throw lastError("mprotect")({
        EACCES: "prot",
        EINVAL: "prot",
        ENOMEM: "addr",
      }, {
        prot,
      }, { EACCES: "the file was not opened for this access" });
    }
  });
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
  advice = int(advice, "madvise", "advice", 0, MADV_DONTNEED);
  const [p, n] = span(addr, total, "madvise", offset, length);
  if (libc().madvise(p, n, advice) === -1) {
    throw lastError("madvise")({ EINVAL: "offset", ENOMEM: "length" }, {
      offset,
    }, {
      EINVAL: "the offset must be a multiple of the page size",
    });
  }
}
