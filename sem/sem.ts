/**
 * The thin layer over `<sys/sem.h>`: one function per C call, C names, C
 * argument order, C constants, plus an async form of each call that can
 * block. Re-exported by `sem/mod.ts`.
 *
 * @module
 */

import { errno, libc } from "../ffi/libc.ts";
import {
  EAGAIN,
  EINTR,
  errorFor,
  errorOf,
  IpcError,
  lastError,
  resultOf,
  resultOrErrno,
} from "../ffi/errors.ts";
import {
  IPC_INFO,
  IPC_NOWAIT,
  IPC_RMID,
  IPC_SET,
  IPC_STAT,
} from "../ffi/ipc.ts";
import { permSetBuffer, removedWhileWaiting } from "../ffi/ipc_set.ts";
import {
  decodeSemidDs,
  decodeSemInfo,
  encodeSembufsFast,
  encodeTimespec,
  type IpcPermSet,
  type SemidDs,
  type SemInfo,
  type SemOp,
  SIZEOF,
} from "../ffi/layout.ts";
import { flags, int, key, knownFields, LIMITS, show } from "../ffi/validate.ts";
import {
  type BlockingOp,
  checkTimeout,
  checkWaitOptions,
  retryOnEintr,
  wait,
  type WaitOptions,
} from "../ffi/wait.ts";

/** `sem_flg` bit: undo the operation when the process exits (`SEM_UNDO`). */
export const SEM_UNDO = 0x1000;
/**
 * `semctl` command: the status of the set at a kernel index (`SEM_STAT`),
 * if this process may read it.
 */
export const SEM_STAT = 18;
/**
 * `semctl` command: the system's use of semaphores (`struct seminfo`:
 * `semusz` sets and `semaem` semaphores in use).
 */
export const SEM_INFO = 19;
/**
 * `semctl` command: the status of the set at a kernel index, whatever its
 * mode (`SEM_STAT_ANY`, Linux 4.17).
 */
export const SEM_STAT_ANY = 20;
/** `semctl` command: pid of the last process to operate on the semaphore. */
export const GETPID = 11;
/** `semctl` command: the semaphore's value. */
export const GETVAL = 12;
/** `semctl` command: every value of the set. */
export const GETALL = 13;
/** `semctl` command: how many processes wait for the value to increase. */
export const GETNCNT = 14;
/** `semctl` command: how many processes wait for the value to become zero. */
export const GETZCNT = 15;
/** `semctl` command: set the semaphore's value. */
export const SETVAL = 16;
/** `semctl` command: set every value of the set. */
export const SETALL = 17;
/** The largest value a semaphore can hold on Linux (`SEMVMX`). */
export const SEMVMX = 32767;

const SEMGET_FLAGS = 0o1000 | 0o2000 | 0o777; // IPC_CREAT | IPC_EXCL | mode
const OP_FLAGS = IPC_NOWAIT | SEM_UNDO;
const NSOPS = Array.from({ length: 64 }, (_, i) => BigInt(i));
let opShorts = new Int16Array(3 * 16);
let opBytes = new Uint8Array(opShorts.buffer);

const SEMBUF = Symbol("SemBuf");
let encoded!: (b: SemBuf) => Uint8Array<ArrayBuffer>;
let count!: (b: SemBuf) => bigint;

/**
 * Semaphore operations checked and encoded once (a C `struct sembuf[]`),
 * for calls made again and again: {@linkcode semop} then skips both steps.
 * Make one with {@linkcode sembuf}.
 *
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, semctl, semget, semop, sembuf } from "@linux-ipc/ipc/sem";
 * const post = sembuf([{ num: 0, op: 1 }]);
 * const semid = semget(IPC_PRIVATE, 1, 0o600);
 * semop(semid, post);
 * console.log(post.length, post.ops[0].op); // 1 1
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export class SemBuf {
  /** The operations, as a frozen copy. */
  readonly ops: readonly Readonly<SemOp>[];
  #bytes: Uint8Array<ArrayBuffer>;
  #nsops: bigint;

  /**
   * Not for callers: use {@linkcode sembuf}.
   *
   * @param token internal
   * @param ops the checked operations
   * @param bytes their encoding
   */
  constructor(
    token: symbol,
    ops: readonly SemOp[],
    bytes: Uint8Array<ArrayBuffer>,
  ) {
    if (token !== SEMBUF) {
      throw new TypeError(
        "SemBuf cannot be constructed directly: use sembuf()",
      );
    }
    this.ops = Object.freeze(ops.map((o) => Object.freeze({ ...o })));
    this.#bytes = bytes;
    this.#nsops = BigInt(ops.length);
  }

  /** How many operations (`nsops`). */
  get length(): number {
    return this.ops.length;
  }

  static {
    encoded = (b) => b.#bytes;
    count = (b) => b.#nsops;
  }
}

/**
 * Checks and encodes semaphore operations once, for {@linkcode semop},
 * {@linkcode semtimedop} and {@linkcode semopAsync} to reuse.
 *
 * @param sops the operations
 * @returns the prepared operations
 * @throws {RangeError} for an empty list or an out-of-range field
 * @throws {TypeError} for a field that is not an integer
 * @example
 * ```ts
 * import { SEM_UNDO, sembuf } from "@linux-ipc/ipc/sem";
 * const lock = sembuf([{ num: 0, op: -1, flags: SEM_UNDO }]);
 * ```
 */
export function sembuf(sops: readonly SemOp[]): SemBuf {
  const n = sops.length;
  const bytes = encodeOps("sembuf", sops).slice(0, n * SIZEOF.sembuf);
  return new SemBuf(SEMBUF, sops, bytes);
}

const SEMOP_BLAME = {
  E2BIG: "nsops",
  EFBIG: "sops",
  ERANGE: "sops",
  EAGAIN: "sops",
  ENOSPC: "sops",
  EIDRM: "semid",
  EINVAL: "semid",
  EACCES: "semid",
} as const;
const SEMOP_HINTS = {
  E2BIG: "more operations in one call than the kernel allows (SEMOPM)",
  EFBIG: "an operation's sem_num is not a semaphore of this set",
  ERANGE: "an operation would take a value past SEMVMX (32767)",
  EAGAIN: "the operation would block and IPC_NOWAIT was given",
  EIDRM: "the set was removed while waiting",
  EINVAL: "no semaphore set has this id",
  EACCES: "the set's mode does not grant this access",
} as const;

/**
 * Gets the id of the semaphore set for a key, creating it with `IPC_CREAT`
 * (`semget`). New semaphores start at 0.
 *
 * @param semKey a key from `ftok`, an agreed number, or `IPC_PRIVATE`
 * @param nsems how many semaphores the set has (0 to open an existing set)
 * @param semflg `IPC_CREAT`, `IPC_EXCL` and mode bits
 * @returns the set id
 * @throws {IpcError} `EEXIST`, `ENOENT`, `EACCES`, `EINVAL` (nsems), `ENOSPC`
 * @throws {RangeError} for a negative count or unknown flag bits
 * @example
 * ```ts
 * import { IPC_CREAT, IPC_PRIVATE, IPC_RMID, semctl, semget } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0o600);
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semget(semKey: number, nsems: number, semflg: number): number {
  const k = key(semKey, "semget");
  nsems = int(nsems, "semget", "nsems", 0, LIMITS.INT_MAX);
  semflg = flags(semflg, SEMGET_FLAGS, "semget", "semflg");
  const id = libc().semget(k, nsems, semflg);
  if (id === -1) {
    throw lastError("semget")(
      {
        EINVAL: "nsems",
        ENOSPC: "key",
        EEXIST: "key",
        ENOENT: "key",
        EACCES: "semflg",
      },
      { key: `0x${(k >>> 0).toString(16)}`, nsems },
      {
        EINVAL:
          "nsems is 0 or above SEMMSL for a new set, or larger than the existing set's",
        EEXIST: "a set with this key exists and IPC_EXCL was given",
        ENOENT: "no set has this key and IPC_CREAT was not given",
        EACCES: "the set's mode does not grant this access",
      },
    );
  }
  return id;
}

function ctlError(semid: number, semnum: number, cmd: number): IpcError {
  return lastError("semctl")(
    {
      EINVAL: cmd === IPC_STAT || cmd === IPC_RMID || cmd === IPC_SET ||
          cmd === SEM_STAT || cmd === SEM_STAT_ANY
        ? "semid"
        : "semnum",
      EIDRM: "semid",
      EACCES: "semid",
      EPERM: "cmd",
      ERANGE: "arg",
    },
    { semid, semnum, cmd },
    {
      EINVAL: cmd === SEM_STAT || cmd === SEM_STAT_ANY
        ? "no set is at this index"
        : "no such set, or semnum is not a semaphore of it",
      EIDRM: "the set was removed",
      ERANGE: "the value is below 0 or above SEMVMX (32767)",
      EPERM: "only the owner, the creator or a privileged process may do this",
    },
  );
}

function statBuffer(
  semid: number,
  buf = new Uint8Array(SIZEOF.semid_ds),
): Uint8Array<ArrayBuffer> {
  if (libc().semctl_buf(semid, 0, IPC_STAT, buf) === -1) {
    throw ctlError(semid, 0, IPC_STAT);
  }
  return buf;
}

/**
 * Reads one semaphore: its value (`GETVAL`), the pid of the last process to
 * operate on it (`GETPID`), or how many wait for it to grow (`GETNCNT`) or
 * to reach zero (`GETZCNT`).
 *
 * @param semid the set id
 * @param semnum the semaphore's index in the set
 * @param cmd `GETVAL`, `GETPID`, `GETNCNT` or `GETZCNT`
 * @returns the number asked for
 * @throws {IpcError} `EINVAL` (no such set or semaphore), `EIDRM`, `EACCES`
 * @example
 * ```ts
 * import { GETVAL, IPC_PRIVATE, IPC_RMID, semctl, semget, SETVAL } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 1, 0o600);
 * semctl(semid, 0, SETVAL, 3);
 * console.log(semctl(semid, 0, GETVAL)); // 3
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semctl(
  semid: number,
  semnum: number,
  cmd: typeof GETVAL | typeof GETPID | typeof GETNCNT | typeof GETZCNT,
): number;
/**
 * Sets one semaphore's value (`SETVAL`), waking the processes that wait for it.
 *
 * @param semid the set id
 * @param semnum the semaphore's index in the set
 * @param cmd `SETVAL`
 * @param arg the value, 0 to `SEMVMX`
 * @throws {IpcError} `ERANGE` for a value past `SEMVMX`; `EINVAL`, `EIDRM`, `EACCES`
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, semctl, semget, SETVAL } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 1, 0o600);
 * semctl(semid, 0, SETVAL, 1);
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semctl(
  semid: number,
  semnum: number,
  cmd: typeof SETVAL,
  arg: number,
): void;
/**
 * Reads every value of the set (`GETALL`).
 *
 * @param semid the set id
 * @param semnum ignored (0)
 * @param cmd `GETALL`
 * @returns one value per semaphore
 * @throws {IpcError} `EINVAL`, `EIDRM`, `EACCES`
 * @example
 * ```ts
 * import { GETALL, IPC_PRIVATE, IPC_RMID, semctl, semget } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 3, 0o600);
 * console.log(semctl(semid, 0, GETALL)); // [0, 0, 0]
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semctl(
  semid: number,
  semnum: number,
  cmd: typeof GETALL,
): number[];
/**
 * Sets every value of the set at once (`SETALL`), as Listing 5.3 does.
 *
 * @param semid the set id
 * @param semnum ignored (0)
 * @param cmd `SETALL`
 * @param arg one value per semaphore, each 0 to `SEMVMX`
 * @throws {IpcError} `ERANGE`, `EINVAL`, `EIDRM`, `EACCES`
 * @throws {RangeError} if the array's length is not the set's size
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, semctl, semget, SETALL } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 2, 0o600);
 * semctl(semid, 0, SETALL, [1, 0]);
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semctl(
  semid: number,
  semnum: number,
  cmd: typeof SETALL,
  arg: readonly number[],
): void;
/**
 * Reads the set's status (`IPC_STAT`).
 *
 * @param semid the set id
 * @param semnum ignored (0)
 * @param cmd `IPC_STAT`
 * @returns owner, mode, times of the last operation and change, size
 * @throws {IpcError} `EINVAL`, `EIDRM`, `EACCES`
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, IPC_STAT, semctl, semget } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 2, 0o600);
 * console.log(semctl(semid, 0, IPC_STAT).nsems); // 2
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semctl(
  semid: number,
  semnum: number,
  cmd: typeof IPC_STAT,
): SemidDs;
/**
 * Changes the set's owner or mode (`IPC_SET`).
 *
 * @param semid the set id
 * @param semnum ignored (0)
 * @param cmd `IPC_SET`
 * @param arg the fields to change
 * @throws {IpcError} `EPERM` unless this process owns or created the set
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, IPC_SET, semctl, semget } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 1, 0o600);
 * semctl(semid, 0, IPC_SET, { mode: 0o640 });
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semctl(
  semid: number,
  semnum: number,
  cmd: typeof IPC_SET,
  arg: IpcPermSet,
): void;
/**
 * Removes the set at once (`IPC_RMID`): processes waiting on it fail with
 * `EIDRM`.
 *
 * @param semid the set id
 * @param semnum ignored
 * @param cmd `IPC_RMID`
 * @throws {IpcError} `EINVAL`/`EIDRM` (no such set), `EPERM` (not the owner)
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, semctl, semget } from "@linux-ipc/ipc/sem";
 * semctl(semget(IPC_PRIVATE, 1, 0o600), 0, IPC_RMID);
 * ```
 */
export function semctl(
  semid: number,
  semnum: number,
  cmd: typeof IPC_RMID,
): void;
/**
 * The system's limits on semaphores (`IPC_INFO`) or its use of them
 * (`SEM_INFO`: `semusz` sets and `semaem` semaphores in use), and the
 * highest kernel index in use (for `SEM_STAT`/`SEM_STAT_ANY`).
 *
 * @param semid ignored (0)
 * @param semnum ignored (0)
 * @param cmd `IPC_INFO` or `SEM_INFO`
 * @returns the `struct seminfo` fields and `maxIndex`
 * @example
 * ```ts
 * import { IPC_INFO, semctl } from "@linux-ipc/ipc/sem";
 * console.log(semctl(0, 0, IPC_INFO).semvmx); // 32767
 * ```
 */
export function semctl(
  semid: number,
  semnum: number,
  cmd: typeof IPC_INFO | typeof SEM_INFO,
): SemInfo & { maxIndex: number };
/**
 * The status of the set at a kernel index (`SEM_STAT`, or `SEM_STAT_ANY`
 * whatever its mode): with `semctl(0, 0, SEM_INFO).maxIndex`, how `ipcs -s`
 * lists every set of the machine.
 *
 * @param index the kernel index, 0 to `maxIndex`
 * @param semnum ignored (0)
 * @param cmd `SEM_STAT` or `SEM_STAT_ANY`
 * @returns the set's id and status
 * @throws {IpcError} `EINVAL` (no set at this index), `EACCES` (`SEM_STAT`)
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, SEM_INFO, SEM_STAT_ANY, semctl, semget } from "@linux-ipc/ipc/sem";
 * const id = semget(IPC_PRIVATE, 1, 0o600);
 * const ids = [];
 * for (let i = 0; i <= semctl(0, 0, SEM_INFO).maxIndex; i++) {
 *   try {
 *     ids.push(semctl(i, 0, SEM_STAT_ANY).id);
 *   } catch {
 *     continue; // no set at this index
 *   }
 * }
 * console.log(ids.includes(id)); // true
 * semctl(id, 0, IPC_RMID);
 * ```
 */
export function semctl(
  index: number,
  semnum: number,
  cmd: typeof SEM_STAT | typeof SEM_STAT_ANY,
): SemidDs & { id: number };
/**
 * Any `semctl` command chosen at run time.
 *
 * @param semid the set id
 * @param semnum the semaphore's index, for the per-semaphore commands
 * @param cmd the command
 * @param arg the value, values or fields the command takes
 * @returns what the command returns
 * @throws {IpcError} as for the command
 * @throws {RangeError} for an unknown command
 * @example
 * ```ts
 * import { GETVAL, IPC_PRIVATE, IPC_RMID, semctl, semget } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 1, 0o600);
 * const cmd: number = GETVAL;
 * console.log(semctl(semid, 0, cmd)); // 0
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semctl(
  semid: number,
  semnum: number,
  cmd: number,
  arg?: number | readonly number[] | IpcPermSet,
):
  | number
  | number[]
  | SemidDs
  | (SemidDs & { id: number })
  | (SemInfo & { maxIndex: number })
  | void;
export function semctl(
  semid: number,
  semnum: number,
  cmd: number,
  arg?: number | readonly number[] | IpcPermSet,
):
  | number
  | number[]
  | SemidDs
  | (SemidDs & { id: number })
  | (SemInfo & { maxIndex: number })
  | void {
  semid = int(semid, "semctl", "semid", 0, LIMITS.INT_MAX);
  semnum = int(semnum, "semctl", "semnum", 0, LIMITS.INT_MAX);
  cmd = int(cmd, "semctl", "cmd", LIMITS.INT_MIN, LIMITS.INT_MAX);
  const c = libc();
  switch (cmd) {
    case GETVAL:
    case GETPID:
    case GETNCNT:
    case GETZCNT: {
      const r = c.semctl_val(semid, semnum, cmd, 0);
      if (r === -1) throw ctlError(semid, semnum, cmd);
      return r;
    }
    case SETVAL: {
      const v = int(arg, "semctl", "arg", LIMITS.INT_MIN, LIMITS.INT_MAX);
      if (c.semctl_val(semid, semnum, cmd, v) === -1) {
        throw ctlError(semid, semnum, cmd);
      }
      return;
    }
    case GETALL: {
      const n = decodeSemidDs(statBuffer(semid)).nsems;
      const values = new Uint16Array(Math.max(n, 1));
      if (c.semctl_buf(semid, 0, GETALL, values) === -1) {
        throw ctlError(semid, semnum, cmd);
      }
      return Array.from(values.subarray(0, n));
    }
    case SETALL: {
      if (!Array.isArray(arg)) {
        throw new TypeError(
          `Invalid argument "arg" to semctl: SETALL needs an array of values, got "${
            show(arg)
          }"`,
        );
      }
      const n = decodeSemidDs(statBuffer(semid)).nsems;
      if (arg.length !== n) {
        throw new RangeError(
          `Argument "arg" to semctl has ${arg.length} values for a set of ${n} semaphores`,
        );
      }
      const values = new Uint16Array(Math.max(n, 1));
      arg.forEach((v, i) => {
        values[i] = int(v, "semctl", `arg[${i}]`, 0, LIMITS.USHRT_MAX);
      });
      if (c.semctl_buf(semid, 0, SETALL, values) === -1) {
        throw ctlError(semid, semnum, cmd);
      }
      return;
    }
    case IPC_STAT:
      return decodeSemidDs(statBuffer(semid));
    case IPC_SET: {
      const buf = permSetBuffer(
        arg as IpcPermSet,
        "semctl",
        "arg",
        SIZEOF.semid_ds,
        (b) => statBuffer(semid, b),
        (index, b) => c.semctl_buf(index, 0, SEM_STAT_ANY, b),
        semid,
      );
      if (c.semctl_buf(semid, 0, IPC_SET, buf) === -1) {
        throw ctlError(semid, semnum, cmd);
      }
      return;
    }
    case IPC_RMID:
      if (c.semctl_val(semid, 0, IPC_RMID, 0) === -1) {
        throw ctlError(semid, semnum, cmd);
      }
      return;
    case IPC_INFO:
    case SEM_INFO: {
      const b = new Uint8Array(SIZEOF.seminfo);
      const maxIndex = c.semctl_buf(semid, 0, cmd, b);
      if (maxIndex === -1) throw ctlError(semid, semnum, cmd);
      return { ...decodeSemInfo(b), maxIndex };
    }
    case SEM_STAT:
    case SEM_STAT_ANY: {
      const b = new Uint8Array(SIZEOF.semid_ds);
      const id = c.semctl_buf(semid, 0, cmd, b);
      if (id === -1) throw ctlError(semid, semnum, cmd);
      return { ...decodeSemidDs(b), id };
    }
    default:
      throw new RangeError(
        `Argument "cmd" to semctl is out of range: "${
          show(cmd)
        }" is not GETVAL, SETVAL, GETALL, SETALL, GETPID, GETNCNT, GETZCNT, IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO, SEM_INFO, SEM_STAT or SEM_STAT_ANY`,
      );
  }
}

const OP_FIELDS = ["num", "op", "flags"] as const;

/** Validates and encodes operations into the shared scratch buffer. */
function encodeOps(
  syscall: string,
  sops: readonly SemOp[],
  extraFlags = 0,
): Uint8Array {
  if (!Array.isArray(sops) || sops.length === 0) {
    throw new RangeError(
      `Argument "sops" to ${syscall} must be a non-empty array of { num, op, flags? }`,
    );
  }
  const n = sops.length;
  if (opShorts.length < n * 3) {
    opShorts = new Int16Array(n * 3);
    opBytes = new Uint8Array(opShorts.buffer);
  }
  for (let i = 0; i < n; i++) checkOne(sops[i], i, syscall, "sops", 0x10000);
  encodeSembufsFast(sops, opShorts);
  if (extraFlags !== 0) {
    for (let i = 0; i < n; i++) opShorts[i * 3 + 2] |= extraFlags;
  }
  // The whole scratch buffer, not a subarray: the kernel reads nsops
  // entries, and a subarray costs ~30 ns more per FFI call.
  return opBytes;
}

/**
 * Checks operation `i` of a list: `num` below `count`, `op` a C `short`,
 * `flags` of {@linkcode OP_FLAGS}, no other field. The common case costs a
 * few bit tests: these also fail for non-integers, NaN and strings.
 */
function checkOne(
  o: SemOp,
  i: number,
  where: string,
  arg: string,
  count: number,
): void {
  if (
    o === null || typeof o !== "object" || typeof o.num !== "number" ||
    (o.num & 0xffff) !== o.num || o.num >= count ||
    typeof o.op !== "number" || (o.op << 16 >> 16) !== o.op ||
    (o.flags !== undefined &&
      (typeof o.flags !== "number" || (o.flags & OP_FLAGS) !== o.flags))
  ) checkOp(o, i, where, arg, count);
  // A misspelled `flags` (C's `sem_flg`) would be left unread: no
  // SEM_UNDO, no IPC_NOWAIT. A few ns: the names are compared as the
  // interned strings they are.
  for (const field in o) {
    if (field !== "num" && field !== "op" && field !== "flags") {
      if (Object.hasOwn(o, field)) {
        knownFields(o, OP_FIELDS, where, `${arg}[${i}]`);
      }
    }
  }
}

/** The slow path of {@linkcode checkOne}: throws the precise error. */
function checkOp(
  o: SemOp,
  i: number,
  where: string,
  arg: string,
  count: number,
): void {
  if (o === null || typeof o !== "object") {
    throw new TypeError(
      `Invalid argument "${arg}[${i}]" to ${where}: expected { num, op, flags? }, got "${
        show(o)
      }"`,
    );
  }
  int(o.num, where, `${arg}[${i}].num`, 0, count - 1);
  int(o.op, where, `${arg}[${i}].op`, LIMITS.SHRT_MIN, LIMITS.SHRT_MAX);
  if (o.flags !== undefined) {
    flags(o.flags, OP_FLAGS, where, `${arg}[${i}].flags`);
  }
}

/**
 * Internal to `sem/`: checks a class's list of operations before the call,
 * under the class method's own names (`ops[0].num` to
 * `SemaphoreSet.opSync`), each `num` against the set's `count` semaphores,
 * where `semop` would give `EFBIG`.
 *
 * @param ops the operations
 * @param where the method, as the error names it
 * @param count how many semaphores the set has
 * @throws {RangeError} for an empty list or a field out of range
 * @throws {TypeError} for a field of the wrong type, or one it does not have
 */
export function checkOps(
  ops: readonly SemOp[],
  where: string,
  count: number,
): void {
  if (!Array.isArray(ops) || ops.length === 0) {
    throw new RangeError(
      `Argument "ops" to ${where} must be a non-empty array of { num, op, flags? }`,
    );
  }
  for (let i = 0; i < ops.length; i++) checkOne(ops[i], i, where, "ops", count);
}

function nsops(n: number): bigint {
  return n < NSOPS.length ? NSOPS[n] : BigInt(n);
}

/**
 * Performs semaphore operations atomically: all of them or none (`semop`).
 * Blocks the calling thread, as in C, until they can all be done; use
 * {@linkcode semopAsync} to keep the event loop running meanwhile.
 *
 * @param semid the set id
 * @param sops the operations: `op` > 0 adds, `op` < 0 waits until it can
 *   subtract, `op` = 0 waits for zero; `flags` `SEM_UNDO`, `IPC_NOWAIT`.
 *   Or a {@linkcode SemBuf} from {@linkcode sembuf}, checked and encoded once
 * @throws {IpcError} `EAGAIN` (would block with `IPC_NOWAIT`), `EIDRM` (set removed
 *   while waiting), `EFBIG` (no such semaphore), `ERANGE` (past `SEMVMX`), `E2BIG`, `EINVAL`
 * @throws {RangeError} for an empty list or an out-of-range field
 * @example Listing 5.4: wait and post on a binary semaphore
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, SEM_UNDO, semctl, semget, semop } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 1, 0o600);
 * semop(semid, [{ num: 0, op: 1, flags: SEM_UNDO }]); // post
 * semop(semid, [{ num: 0, op: -1, flags: SEM_UNDO }]); // wait
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semop(semid: number, sops: readonly SemOp[] | SemBuf): void {
  if ((semid | 0) !== semid || semid < 0) {
    semid = int(semid, "semop", "semid", 0, LIMITS.INT_MAX);
  }
  let buf: Uint8Array, n: bigint;
  if (sops instanceof SemBuf) {
    buf = encoded(sops);
    n = count(sops);
  } else {
    buf = encodeOps("semop", sops);
    n = nsops(sops.length);
  }
  const c = libc();
  // No closure, which would cost an allocation per call; EINTR made again.
  for (;;) {
    const r = resultOf(c.semop(semid, buf, n));
    if (r >= 0) return;
    if (r !== -EINTR) {
      throw errorOf(-r, "semop")(
        SEMOP_BLAME,
        { semid, nsops: sops.length },
        SEMOP_HINTS,
      );
    }
  }
}

/**
 * Like {@linkcode semop}, but gives up after `timeout` milliseconds
 * (`semtimedop`), with `IpcError` `EAGAIN`. Blocks the calling thread.
 *
 * @param semid the set id
 * @param sops the operations
 * @param timeout milliseconds at most, or null to wait without limit
 * @throws {IpcError} `EAGAIN` when the time runs out; otherwise as {@linkcode semop}
 * @throws {RangeError} for a negative timeout
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, IpcError, semctl, semget, semtimedop } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 1, 0o600);
 * try {
 *   semtimedop(semid, [{ num: 0, op: -1 }], 10);
 * } catch (e) {
 *   console.log(e instanceof IpcError && e.code); // "EAGAIN": timed out
 * }
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semtimedop(
  semid: number,
  sops: readonly SemOp[] | SemBuf,
  timeout: number | null,
): void {
  semid = int(semid, "semtimedop", "semid", 0, LIMITS.INT_MAX);
  const t = timeout === null
    ? null
    : checkTimeout(timeout, "semtimedop", 'argument "timeout"');
  const list = sops instanceof SemBuf ? sops.ops : sops;
  const buf = encodeOps("semtimedop", list);
  const c = libc();
  const n = nsops(list.length);
  const ts = new Uint8Array(SIZEOF.timespec);
  const r = retryOnEintr(
    (remaining) =>
      c.semtimedop(
        semid,
        buf,
        n,
        remaining === null ? null : encodeTimespec(remaining, ts),
      ),
    t,
    errno,
  );
  if (r === -1) {
    throw lastError("semtimedop")(
      SEMOP_BLAME,
      { semid, nsops: list.length },
      {
        ...SEMOP_HINTS,
        EAGAIN: `timed out after ${t} ms, or would block with IPC_NOWAIT`,
      },
    );
  }
}

/**
 * Performs semaphore operations atomically without blocking the event loop:
 * tried at once, and if they would block, waited for by one of the async
 * engine's two helper threads or its timed retries (see `ffi/wait.ts` for
 * the design). Errors are as exact as
 * {@linkcode semop}'s.
 *
 * @param semid the set id
 * @param sops the operations
 * @param options `timeout` in milliseconds (rejects with `IpcError` `EAGAIN`)
 *   and `signal` (rejects with `signal.reason`; the semaphores are unchanged)
 * @returns a promise that resolves once the operations are done
 * @throws {IpcError} `EIDRM` if the set is removed while waiting; as {@linkcode semop}
 * @example
 * ```ts
 * import { IPC_PRIVATE, IPC_RMID, semctl, semget, semop, semopAsync } from "@linux-ipc/ipc/sem";
 * const semid = semget(IPC_PRIVATE, 1, 0o600);
 * setTimeout(() => semop(semid, [{ num: 0, op: 1 }]), 10);
 * await semopAsync(semid, [{ num: 0, op: -1 }], { timeout: 1000 }); // the timer keeps firing meanwhile
 * semctl(semid, 0, IPC_RMID);
 * ```
 */
export function semopAsync(
  semid: number,
  sops: readonly SemOp[] | SemBuf,
  options: WaitOptions = {},
): Promise<void> {
  try {
    checkWaitOptions(options, "semopAsync");
    return wait(blockingOpFor(semid, sops), options);
  } catch (e) {
    return Promise.reject(e);
  }
}

interface AsyncForm {
  bytes: Uint8Array<ArrayBuffer>;
  nowait: Uint8Array<ArrayBuffer>;
  signature: string;
  userNowait: boolean;
  /** The op last built from prepared operations, and its set. */
  op?: BlockingOp;
  semid?: number;
}

const asyncForms = new WeakMap<SemBuf, AsyncForm>();

/** The encodings a wait needs: as given, with IPC_NOWAIT, and a key. */
function asyncForm(sops: readonly SemOp[] | SemBuf): AsyncForm {
  if (sops instanceof SemBuf) {
    let form = asyncForms.get(sops);
    if (form === undefined) asyncForms.set(sops, form = asyncForm(sops.ops));
    return form;
  }
  const bytes = encodeOps("semop", sops).slice(0, sops.length * SIZEOF.sembuf);
  return {
    bytes,
    nowait: encodeOps("semop", sops, IPC_NOWAIT).slice(0, bytes.length),
    signature: bytes.join(","),
    userNowait: sops.some((o) => ((o.flags ?? 0) & IPC_NOWAIT) !== 0),
  };
}

/**
 * Which operation the kernel would stop at, given the set's values now
 * (read atomically with `GETALL`), taking them in order as `semop` does:
 * `"nowait"` if it has `IPC_NOWAIT` (C gives `EAGAIN`), `"wait"` if it does
 * not (C blocks), `"none"` if all would pass. A set this process may not
 * read counts as `"nowait"`, the answer C gives when in doubt.
 */
function wouldBlock(
  semid: number,
  ops: readonly SemOp[],
): "nowait" | "wait" | "none" {
  const c = libc();
  const stat = new Uint8Array(SIZEOF.semid_ds);
  if (c.semctl_buf(semid, 0, IPC_STAT, stat) === -1) return "nowait";
  const nsems = decodeSemidDs(stat).nsems;
  const values = new Uint16Array(Math.max(nsems, 1));
  if (c.semctl_buf(semid, 0, GETALL, values) === -1) return "nowait";
  for (const o of ops) {
    const v = values[o.num];
    const blocks = o.op < 0 ? v < -o.op : o.op === 0 && v !== 0;
    if (blocks) {
      return ((o.flags ?? 0) & IPC_NOWAIT) !== 0 ? "nowait" : "wait";
    }
    values[o.num] = v + o.op;
  }
  return "none";
}

/**
 * How a set's waits name it to the engine ({@linkcode BlockingOp.object}),
 * for its `ref()` and `unref()` (`refObject` in `ffi/wait.ts`).
 *
 * @param semid the set id
 * @returns the name
 */
export function setObject(semid: number): string {
  return `sem:${semid}`;
}

/** The wait for operations; prepared ones reuse theirs on the same set. */
function blockingOpFor(
  semid: number,
  sops: readonly SemOp[] | SemBuf,
): BlockingOp {
  const form = asyncForm(sops);
  if (!(sops instanceof SemBuf)) return semBlockingOp(semid, sops, form);
  if (form.semid !== semid || form.op === undefined) {
    form.op = semBlockingOp(semid, sops, form);
    form.semid = semid;
  }
  return form.op;
}

function semBlockingOp(
  semid: number,
  sops: readonly SemOp[] | SemBuf,
  form: AsyncForm,
): BlockingOp {
  semid = int(semid, "semop", "semid", 0, LIMITS.INT_MAX);
  const { bytes, nowait: nowaitBytes, signature, userNowait } = form;
  const n = nsops(sops.length);
  const ops = sops instanceof SemBuf ? sops.ops : sops;
  // Once the wait has had to wait, EINVAL means the set was removed.
  let parked = false;
  const removed = (e: IpcError) =>
    parked ? removedWhileWaiting(e, "semop", "semid", "set") : e;
  return {
    key: `semop:${semid}:${signature}`,
    object: setObject(semid),
    attempt(): boolean {
      const c = libc();
      for (let tries = 0;; tries++) {
        const r = resultOrErrno(() => c.semop(semid, nowaitBytes, n));
        if (r === 0) return true;
        const e = -r;
        if (e === EAGAIN && !userNowait) return parked = true, false;
        if (e === EAGAIN) {
          // Every operation was tried with IPC_NOWAIT: C gives EAGAIN only
          // if the one that would block has it, and otherwise blocks.
          const blocker = wouldBlock(semid, ops);
          if (blocker === "wait" || (blocker === "none" && tries >= 2)) {
            return parked = true, false;
          }
          if (blocker === "none") continue; // the values moved: try again
          throw errorFor(
            EAGAIN,
            "semop",
            SEMOP_BLAME,
            { semid, nsops: sops.length },
            SEMOP_HINTS,
          );
        }
        throw removed(
          errorFor(
            e,
            "semop",
            SEMOP_BLAME,
            { semid, nsops: sops.length },
            SEMOP_HINTS,
          ),
        );
      }
    },
    // With IPC_NOWAIT on some operations, the retries above decide which
    // one blocks; a thread in the kernel could not tell its EAGAIN apart.
    kernel: userNowait
      ? undefined
      : { call: "semtimedop", semid, sops: bytes, nsops: sops.length },
    fail(code: number): IpcError {
      return removed(
        errorFor(
          code,
          "semop",
          SEMOP_BLAME,
          { semid, nsops: sops.length },
          SEMOP_HINTS,
        ),
      );
    },
    timedOut(timeoutMs: number): IpcError {
      return new IpcError(EAGAIN, {
        syscall: "semtimedop",
        argument: "timeout",
        value: timeoutMs,
        hint: `timed out after ${timeoutMs} ms`,
      });
    },
  };
}
