/**
 * The thin layer over `<sys/shm.h>`: one function per C call, C names, C
 * argument order, C constants. Re-exported by `shm/mod.ts`.
 *
 * @module
 */

import { addressOf, libc, pointerAt } from "../ffi/libc.ts";
import {
  IPC_CREAT,
  IPC_EXCL,
  IPC_INFO,
  IPC_RMID,
  IPC_SET,
  IPC_STAT,
} from "../ffi/ipc.ts";
import { permSetBuffer } from "../ffi/ipc_set.ts";
import { EEXIST, EINVAL, errorFor, lastError } from "../ffi/errors.ts";
import {
  decodeShmidDs,
  decodeShmInfo,
  decodeShmUsage,
  type IpcPermSet,
  type ShmidDs,
  type ShmInfo,
  type ShmUsage,
  SIZEOF,
} from "../ffi/layout.ts";
import {
  createRegion,
  mapPrivateAt,
  type MemoryRegion,
} from "../ffi/memory.ts";
import { requirePath } from "../ffi/permissions.ts";
import { cString, flags, int, key, LIMITS, show } from "../ffi/validate.ts";

/** `shmat` flag: attach read-only (`SHM_RDONLY`). */
export const SHM_RDONLY = 0o10000;
/** `shmat` flag: round the address down to `SHMLBA` (`SHM_RND`). */
export const SHM_RND = 0o20000;
/** `shmat` flag: replace a mapping at the address (`SHM_REMAP`). */
export const SHM_REMAP = 0o40000;
/** `shmat` flag: allow executing the segment (`SHM_EXEC`). */
export const SHM_EXEC = 0o100000;
/** `shmget` flag: use huge pages (`SHM_HUGETLB`). */
export const SHM_HUGETLB = 0o4000;
/** `shmget` flag: reserve no swap space (`SHM_NORESERVE`). */
export const SHM_NORESERVE = 0o10000;
/** `shmctl` command: lock the segment in memory (`SHM_LOCK`). */
export const SHM_LOCK = 11;
/** `shmctl` command: unlock the segment (`SHM_UNLOCK`). */
export const SHM_UNLOCK = 12;
/**
 * `shmctl` command: the status of the segment at a kernel index
 * (`SHM_STAT`), if this process may read it.
 */
export const SHM_STAT = 13;
/** `shmctl` command: the system's use of shared memory (`struct shm_info`). */
export const SHM_INFO = 14;
/**
 * `shmctl` command: the status of the segment at a kernel index, whatever
 * its mode (`SHM_STAT_ANY`, Linux 4.17).
 */
export const SHM_STAT_ANY = 15;
/** `perm.mode` bit: the segment is removed once the last process detaches. */
export const SHM_DEST = 0o1000;
/** `perm.mode` bit: the segment is locked in memory. */
export const SHM_LOCKED = 0o2000;

const SHMGET_FLAGS = IPC_CREAT | IPC_EXCL | SHM_HUGETLB | SHM_NORESERVE |
  0o777 | (0x3f << 26); // SHM_HUGE_* page-size bits
const SHMAT_FLAGS = SHM_RDONLY | SHM_RND | SHM_REMAP | SHM_EXEC;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

/**
 * The size of a memory page in bytes (`getpagesize`).
 *
 * @returns the page size, 4096 on most Linux machines
 * @example
 * ```ts
 * import { getpagesize } from "@linux-ipc/ipc/shm";
 * console.log(getpagesize()); // 4096
 * ```
 */
export function getpagesize(): number {
  return libc().getpagesize();
}

/**
 * Makes a System V IPC key from an existing file and a project id (`ftok`).
 * Processes that agree on the file and id get the same key. Needs read
 * access to the path.
 *
 * @param pathname an existing file; only its inode and device are used
 * @param projId a project id; only its low 8 bits are used, and they must not be 0
 * @returns the key
 * @throws {IpcError} `ENOENT` if the path does not exist
 * @throws {Deno.errors.NotCapable} without `--allow-read` for the path
 * @example
 * ```ts
 * import { ftok } from "@linux-ipc/ipc/shm";
 * const key = ftok("/etc/hostname", 903);
 * ```
 */
export function ftok(pathname: string, projId: number): number {
  const path = cString(pathname, "ftok", "pathname");
  projId = int(projId, "ftok", "proj_id", LIMITS.INT_MIN, LIMITS.INT_MAX);
  if ((projId & 0xff) === 0) {
    throw new RangeError(
      `Argument "proj_id" to ftok is out of range: the low 8 bits of "${projId}" are 0`,
    );
  }
  requirePath("read", pathname);
  const k = libc().ftok(path, projId);
  if (k === -1) throw lastError("ftok")("pathname", { pathname });
  return k;
}

/**
 * Gets the id of the segment for a key, creating it with `IPC_CREAT`
 * (`shmget`).
 *
 * @param shmKey a key from `ftok`, any agreed number, or `IPC_PRIVATE`
 * @param size the size in bytes (rounded up to pages by the kernel); 0 to open an existing segment
 * @param shmflg `IPC_CREAT`, `IPC_EXCL`, `SHM_HUGETLB`, `SHM_NORESERVE` and mode bits
 * @returns the segment id
 * @throws {IpcError} `EEXIST`, `ENOENT`, `EACCES`, `EINVAL` (size), `ENOSPC`, `ENOMEM`
 * @throws {RangeError} for a negative size or unknown flag bits
 * @example
 * ```ts
 * import { IPC_CREAT, IPC_RMID, shmctl, shmget } from "@linux-ipc/ipc/shm";
 * const id = shmget(0x1234, 4096, IPC_CREAT | 0o600);
 * console.log(shmget(0x1234, 0, 0) === id); // true: the key names it now
 * shmctl(id, IPC_RMID);
 * ```
 */
export function shmget(shmKey: number, size: number, shmflg: number): number {
  const k = key(shmKey, "shmget");
  size = int(size, "shmget", "size", 0, LIMITS.SIZE_MAX);
  shmflg = flags(shmflg, SHMGET_FLAGS, "shmget", "shmflg");
  const id = libc().shmget(k, BigInt(size), shmflg);
  if (id === -1) {
    throw lastError("shmget")(
      {
        EINVAL: "size",
        ENOMEM: "size",
        ENOSPC: "key",
        EEXIST: "key",
        ENOENT: "key",
        EACCES: "shmflg",
        EPERM: "shmflg",
      },
      { key: hex(k), size, shmflg: `0o${(shmflg >>> 0).toString(8)}` },
      {
        EINVAL:
          "the size is below SHMMIN or above SHMMAX, or larger than the existing segment",
        EEXIST: "a segment with this key exists and IPC_EXCL was given",
        ENOENT: "no segment has this key and IPC_CREAT was not given",
        EACCES: "the segment's mode does not grant this access",
      },
    );
  }
  return id;
}

function statBuffer(
  shmid: number,
  buf = new Uint8Array(SIZEOF.shmid_ds),
): Uint8Array<ArrayBuffer> {
  if (libc().shmctl(shmid, IPC_STAT, buf) === -1) {
    throw lastError("shmctl")(
      {
        EINVAL: "shmid",
        EIDRM: "shmid",
        EACCES: "shmid",
      },
      { shmid },
      {
        EINVAL: "no segment has this id",
        EIDRM: "the segment was removed",
        EACCES: "the segment's mode does not let this process read it",
      },
    );
  }
  return buf;
}

function unmapSegment(address: Deno.PointerObject): void {
  if (libc().shmdt(address) === -1) {
    throw lastError("shmdt")("shmaddr", { shmaddr: pointerHex(address) });
  }
}

/**
 * Attaches a segment to this process (`shmat`) and returns the memory as a
 * {@linkcode MemoryRegion} of the segment's size. Views over it are detached
 * by {@linkcode shmdt}, so none outlives the attachment.
 *
 * Two departures from C, so that no call can crash the process:
 * `SHM_REMAP` never replaces memory already in use (the address must be
 * free, else `EEXIST`, as `mmap` treats `MAP_FIXED`), and an address that
 * `SHM_RND` would round down to 0 is refused before the call (memory at
 * address 0 cannot be viewed: it is JavaScript's null pointer).
 *
 * @param shmid the segment id from `shmget`
 * @param shmaddr where to attach: `null` or `0n` (the default) lets the
 *   kernel choose; an address must be page-aligned unless `SHM_RND` is given
 * @param shmflg `SHM_RDONLY`, `SHM_RND`, `SHM_REMAP`, `SHM_EXEC`
 * @returns the attached memory; read-only with `SHM_RDONLY`
 * @throws {IpcError} `EINVAL` (bad id or address, or an address in use
 *   without `SHM_REMAP`), `EEXIST` (`SHM_REMAP` on an address in use),
 *   `EIDRM`, `EACCES`, `ENOMEM`
 * @throws {RangeError} for an address below the page size with `SHM_RND`
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, shmat, shmctl, shmdt, shmget } from "@linux-ipc/ipc/shm";
 * const id = shmget(IPC_PRIVATE, 4096, 0o600);
 * const memory = shmat(id, 0x5000000n);
 * console.log(memory.address.toString(16)); // "5000000"
 * shmdt(memory);
 * shmctl(id, IPC_RMID);
 * ```
 */
export function shmat(
  shmid: number,
  shmaddr: bigint | null = null,
  shmflg = 0,
): MemoryRegion {
  shmid = int(shmid, "shmat", "shmid", 0, LIMITS.INT_MAX);
  shmflg = flags(shmflg, SHMAT_FLAGS, "shmat", "shmflg");
  let requested: Deno.PointerValue = null;
  if (shmaddr !== null) {
    if (typeof shmaddr !== "bigint" || shmaddr < 0n || shmaddr >= 1n << 64n) {
      throw new TypeError(
        `Invalid argument "shmaddr" to shmat: expected null or an address as a non-negative bigint, got "${
          show(shmaddr)
        }"`,
      );
    }
    requested = pointerAt(shmaddr);
  }
  const page = getpagesize(); // SHMLBA on x86_64 and aarch64
  if (
    shmaddr !== null && shmaddr !== 0n && (shmflg & SHM_RND) !== 0 &&
    shmaddr < BigInt(page)
  ) {
    throw new RangeError(
      `Argument "shmaddr" to shmat is out of range: SHM_RND would round "${
        hex(shmaddr)
      }" down to address 0, which cannot be viewed (it is JavaScript's null pointer)`,
    );
  }
  let reserved: Reservation | null = null;
  if (requested !== null && (shmflg & SHM_REMAP) !== 0) {
    reserved = reserve(shmid, shmaddr!, shmflg, page);
    if (reserved === null) shmflg &= ~SHM_REMAP; // let the kernel answer
  }
  const address = libc().shmat(shmid, requested, shmflg);
  // errno now, before anything below can allocate (see lastError).
  const failure = lastError("shmat");
  const value = addressOf(address);
  if (address === null || value === MAP_FAILED) {
    const error = failure(
      {
        EINVAL: requested === null ? "shmid" : "shmaddr",
        EIDRM: "shmid",
        EACCES: "shmflg",
      },
      { shmid, shmaddr: shmaddr === null ? "NULL" : hex(shmaddr) },
      {
        EINVAL: requested === null
          ? "no segment has this id"
          : "the address is not page-aligned (use SHM_RND) or is in use, or the id is wrong",
        EACCES: "the segment's mode does not grant this access",
      },
    );
    if (reserved !== null) libc().munmap(reserved.at, BigInt(reserved.span));
    throw error;
  }
  let size: number;
  try {
    size = decodeShmidDs(statBuffer(shmid)).segsz;
  } catch (e) {
    unmapSegment(address);
    throw e;
  }
  const region = createRegion(
    address,
    size,
    (shmflg & SHM_RDONLY) !== 0 ? "read" : "readwrite",
    "shared memory attachment",
    unmapSegment,
    Math.ceil(size / page) * page,
  );
  attachments.add(region);
  return region;
}

/** The regions `shmat` made, which `shmdt` alone may detach. */
const attachments = new WeakSet<MemoryRegion>();

interface Reservation {
  at: Deno.PointerObject;
  span: number;
}

/**
 * Makes `SHM_REMAP` safe: reserves the range the segment will take with a
 * no-replace mapping, which fails with `EEXIST` if any of it is in use, so
 * that `shmat` replaces nothing but the reservation. Returns null when the
 * segment cannot be read or the address is not aligned: `shmat` itself then
 * gives the kernel's errno.
 */
function reserve(
  shmid: number,
  shmaddr: bigint,
  shmflg: number,
  page: number,
): Reservation | null {
  const at = (shmflg & SHM_RND) !== 0
    ? shmaddr - shmaddr % BigInt(page)
    : shmaddr;
  if (at % BigInt(page) !== 0n) return null;
  const st = new Uint8Array(SIZEOF.shmid_ds);
  if (libc().shmctl(shmid, IPC_STAT, st) === -1) return null;
  const span = Math.ceil(decodeShmidDs(st).segsz / page) * page;
  const p = mapPrivateAt(pointerAt(at)!, span, 0, "reserve");
  if (p === null) {
    throw lastError("shmat")({ EEXIST: "shmaddr" }, {
      shmaddr: hex(shmaddr),
    }, {
      EEXIST:
        "the address is already in use (SHM_REMAP never replaces memory here)",
    });
  }
  if (addressOf(p) !== at) {
    // A kernel before 4.17 takes the flag as a hint.
    libc().munmap(p, BigInt(span));
    throw errorFor(EEXIST, "shmat", "shmaddr", { shmaddr: hex(shmaddr) }, {
      EEXIST:
        "the address is already in use (SHM_REMAP never replaces memory here)",
    });
  }
  return { at: p, span };
}

/**
 * Detaches memory attached by {@linkcode shmat} (`shmdt`): first every view
 * of it (they become empty), then the memory itself.
 *
 * @param shmaddr the region `shmat` returned
 * @throws {IpcError} `EINVAL` if it is already detached
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, shmat, shmctl, shmdt, shmget } from "@linux-ipc/ipc/shm";
 * const id = shmget(IPC_PRIVATE, 4096, 0o600);
 * const memory = shmat(id);
 * const view = memory.bytes;
 * shmdt(memory);
 * console.log(view.length); // 0
 * shmctl(id, IPC_RMID);
 * ```
 */
export function shmdt(shmaddr: MemoryRegion): void {
  if (!attachments.has(shmaddr)) {
    throw new TypeError(
      `Invalid argument "shmaddr" to shmdt: expected the region shmat returned, got "${
        show(shmaddr)
      }"`,
    );
  }
  if (shmaddr.detached) {
    throw errorFor(EINVAL, "shmdt", "shmaddr", {
      shmaddr: hex(shmaddr.address),
    }, { EINVAL: "this attachment is already detached" });
  }
  shmaddr.close();
}

/**
 * Reads a segment's status (`shmctl(shmid, IPC_STAT, &buf)`).
 *
 * @param shmid the segment id
 * @param cmd `IPC_STAT`
 * @returns the status: owner, mode, size, times, creator and last pids, attach count
 * @throws {IpcError} `EINVAL`/`EIDRM` if no segment has this id; `EACCES`
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, IPC_STAT, shmctl, shmget } from "@linux-ipc/ipc/shm";
 * const id = shmget(IPC_PRIVATE, 25600, 0o600);
 * console.log(shmctl(id, IPC_STAT).segsz); // 25600
 * shmctl(id, IPC_RMID);
 * ```
 */
export function shmctl(shmid: number, cmd: typeof IPC_STAT): ShmidDs;
/**
 * Changes a segment's owner or mode (`shmctl(shmid, IPC_SET, &buf)`).
 *
 * @param shmid the segment id
 * @param cmd `IPC_SET`
 * @param buf the fields to change
 * @throws {IpcError} `EPERM` unless this process owns or created the segment
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, IPC_SET, shmctl, shmget } from "@linux-ipc/ipc/shm";
 * const id = shmget(IPC_PRIVATE, 4096, 0o600);
 * shmctl(id, IPC_SET, { mode: 0o640 });
 * shmctl(id, IPC_RMID);
 * ```
 */
export function shmctl(
  shmid: number,
  cmd: typeof IPC_SET,
  buf: IpcPermSet,
): void;
/**
 * Removes a segment once the last process detaches (`IPC_RMID`), or locks
 * it in memory (`SHM_LOCK`) or unlocks it (`SHM_UNLOCK`).
 *
 * @param shmid the segment id
 * @param cmd `IPC_RMID`, `SHM_LOCK` or `SHM_UNLOCK`
 * @throws {IpcError} `EINVAL`/`EIDRM` (no such segment), `EPERM` (not the owner), `ENOMEM` (lock limit)
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, shmctl, shmget } from "@linux-ipc/ipc/shm";
 * const id = shmget(IPC_PRIVATE, 4096, 0o600);
 * shmctl(id, IPC_RMID);
 * ```
 */
export function shmctl(
  shmid: number,
  cmd: typeof IPC_RMID | typeof SHM_LOCK | typeof SHM_UNLOCK,
): void;
/**
 * The system's limits on shared memory (`IPC_INFO`: `struct shminfo`), and
 * the highest kernel index in use (for `SHM_STAT`/`SHM_STAT_ANY`).
 *
 * @param shmid ignored (0)
 * @param cmd `IPC_INFO`
 * @returns the `struct shminfo` fields and `maxIndex`
 * @example
 * ```ts
 * import { IPC_INFO, shmctl } from "@linux-ipc/ipc/shm";
 * console.log(shmctl(0, IPC_INFO).shmmni > 0); // true: the most segments
 * ```
 */
export function shmctl(
  shmid: number,
  cmd: typeof IPC_INFO,
): ShmInfo & { maxIndex: number };
/**
 * The system's use of shared memory (`SHM_INFO`: `struct shm_info`, in
 * pages), and the highest kernel index in use.
 *
 * @param shmid ignored (0)
 * @param cmd `SHM_INFO`
 * @returns the `struct shm_info` fields and `maxIndex`
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, SHM_INFO, shmctl, shmget } from "@linux-ipc/ipc/shm";
 * const id = shmget(IPC_PRIVATE, 4096, 0o600);
 * console.log(shmctl(0, SHM_INFO).usedIds > 0); // true
 * shmctl(id, IPC_RMID);
 * ```
 */
export function shmctl(
  shmid: number,
  cmd: typeof SHM_INFO,
): ShmUsage & { maxIndex: number };
/**
 * The status of the segment at a kernel index (`SHM_STAT`, or
 * `SHM_STAT_ANY` whatever its mode): with `shmctl(0, SHM_INFO).maxIndex`,
 * how `ipcs -m` lists every segment of the machine.
 *
 * @param index the kernel index, 0 to `maxIndex`
 * @param cmd `SHM_STAT` or `SHM_STAT_ANY`
 * @returns the segment's id and status
 * @throws {IpcError} `EINVAL` (no segment at this index), `EACCES` (`SHM_STAT`)
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, SHM_INFO, SHM_STAT_ANY, shmctl, shmget } from "@linux-ipc/ipc/shm";
 * const id = shmget(IPC_PRIVATE, 4096, 0o600);
 * const ids = [];
 * for (let i = 0; i <= shmctl(0, SHM_INFO).maxIndex; i++) {
 *   try {
 *     ids.push(shmctl(i, SHM_STAT_ANY).id);
 *   } catch {
 *     continue; // no segment at this index
 *   }
 * }
 * console.log(ids.includes(id)); // true
 * shmctl(id, IPC_RMID);
 * ```
 */
export function shmctl(
  index: number,
  cmd: typeof SHM_STAT | typeof SHM_STAT_ANY,
): ShmidDs & { id: number };
/**
 * Any `shmctl` command chosen at run time.
 *
 * @param shmid the segment id (an index for `SHM_STAT`/`SHM_STAT_ANY`)
 * @param cmd the command
 * @param buf for `IPC_SET`: the fields to change
 * @returns as for the command
 * @throws {IpcError} as for the command
 * @throws {RangeError} for an unknown command
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, shmctl, shmget } from "@linux-ipc/ipc/shm";
 * const cmd: number = IPC_RMID;
 * shmctl(shmget(IPC_PRIVATE, 4096, 0o600), cmd);
 * ```
 */
export function shmctl(
  shmid: number,
  cmd: number,
  buf?: IpcPermSet,
):
  | ShmidDs
  | (ShmidDs & { id: number })
  | (ShmInfo & { maxIndex: number })
  | (ShmUsage & { maxIndex: number })
  | void;
export function shmctl(
  shmid: number,
  cmd: number,
  buf?: IpcPermSet,
):
  | ShmidDs
  | (ShmidDs & { id: number })
  | (ShmInfo & { maxIndex: number })
  | (ShmUsage & { maxIndex: number })
  | void {
  shmid = int(shmid, "shmctl", "shmid", 0, LIMITS.INT_MAX);
  cmd = int(cmd, "shmctl", "cmd", LIMITS.INT_MIN, LIMITS.INT_MAX);
  switch (cmd) {
    case IPC_STAT:
      return decodeShmidDs(statBuffer(shmid));
    case IPC_SET:
      control(
        shmid,
        IPC_SET,
        permSetBuffer(
          buf!,
          "shmctl",
          "buf",
          SIZEOF.shmid_ds,
          (b) => statBuffer(shmid, b),
          (index, b) => libc().shmctl(index, SHM_STAT_ANY, b),
          shmid,
        ),
      );
      return;
    case IPC_RMID:
    case SHM_LOCK:
    case SHM_UNLOCK:
      control(shmid, cmd, null);
      return;
    case IPC_INFO: {
      const b = new Uint8Array(SIZEOF.shminfo);
      const maxIndex = control(shmid, cmd, b);
      return { ...decodeShmInfo(b), maxIndex };
    }
    case SHM_INFO: {
      const b = new Uint8Array(SIZEOF.shm_info);
      const maxIndex = control(shmid, cmd, b);
      return { ...decodeShmUsage(b), maxIndex };
    }
    case SHM_STAT:
    case SHM_STAT_ANY: {
      const b = new Uint8Array(SIZEOF.shmid_ds);
      const id = control(shmid, cmd, b);
      return { ...decodeShmidDs(b), id };
    }
    default:
      throw new RangeError(
        `Argument "cmd" to shmctl is out of range: "${
          show(cmd)
        }" is not IPC_STAT, IPC_SET, IPC_RMID, SHM_LOCK, SHM_UNLOCK, IPC_INFO, SHM_INFO, SHM_STAT or SHM_STAT_ANY`,
      );
  }
}

/** Makes the call; returns what it returned (an index or an id). */
function control(shmid: number, cmd: number, buf: Uint8Array | null): number {
  const r = libc().shmctl(shmid, cmd, buf);
  if (r === -1) {
    const byIndex = cmd === SHM_STAT || cmd === SHM_STAT_ANY;
    throw lastError("shmctl")(
      {
        EINVAL: "shmid",
        EIDRM: "shmid",
        EACCES: "shmid",
        EPERM: "cmd",
        ENOMEM: "cmd",
      },
      { shmid, cmd },
      {
        EINVAL: byIndex
          ? "no segment is at this index"
          : "no segment has this id",
        EPERM:
          "only the owner, the creator or a privileged process may do this",
      },
    );
  }
  return r;
}

function hex(n: number | bigint): string {
  const v = typeof n === "bigint" ? n : BigInt(n >>> 0);
  return `0x${v.toString(16)}`;
}

function pointerHex(p: Deno.PointerObject): string {
  return hex(addressOf(p));
}
