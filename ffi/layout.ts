/**
 * Struct layouts of Linux glibc on x86_64 and aarch64, and the codecs that
 * turn them into typed objects. The only file that knows a raw offset.
 *
 * The numbers were read with `offsetof`/`sizeof` from glibc 2.36 headers on
 * both architectures (`tests/c/layout.c` prints them; `tests/ffi_test.ts`
 * compares this table with the machine it runs on). The two agree except for
 * `semid_ds`, which has reserved words after each time field on x86_64 only,
 * and `struct stat`, whose fields are ordered differently.
 *
 * @module
 */

/** A platform this library knows the layouts of. */
type Platform = "x86_64" | "aarch64";

interface Layouts {
  ipc_perm: {
    size: number;
    key: number;
    uid: number;
    gid: number;
    cuid: number;
    cgid: number;
    mode: number;
    seq: number;
  };
  shmid_ds: {
    size: number;
    perm: number;
    segsz: number;
    atime: number;
    dtime: number;
    ctime: number;
    cpid: number;
    lpid: number;
    nattch: number;
  };
  semid_ds: {
    size: number;
    perm: number;
    otime: number;
    ctime: number;
    nsems: number;
  };
  msqid_ds: {
    size: number;
    perm: number;
    stime: number;
    rtime: number;
    ctime: number;
    cbytes: number;
    qnum: number;
    qbytes: number;
    lspid: number;
    lrpid: number;
  };
  /** `struct msginfo` (`IPC_INFO`, `MSG_INFO`): seven ints, then a short. */
  msginfo: { size: number; msgseg: number };
  /** `struct shminfo` (`shmctl` `IPC_INFO`): unsigned longs. */
  shminfo: {
    size: number;
    shmmax: number;
    shmmin: number;
    shmmni: number;
    shmseg: number;
    shmall: number;
  };
  /** `struct shm_info` (`SHM_INFO`): an int, then unsigned longs. */
  shm_info: {
    size: number;
    used_ids: number;
    shm_tot: number;
    shm_rss: number;
    shm_swp: number;
  };
  /** `struct seminfo` (`semctl` `IPC_INFO`, `SEM_INFO`): ten ints. */
  seminfo: { size: number; semaem: number };
  mq_attr: {
    size: number;
    flags: number;
    maxmsg: number;
    msgsize: number;
    curmsgs: number;
  };
  sigevent: {
    size: number;
    value: number;
    signo: number;
    notify: number;
    /** `sigev_notify_thread_id`, for `SIGEV_THREAD_ID`. */
    tid: number;
  };
  /** `struct itimerspec`: two `timespec`s. */
  itimerspec: { size: number; interval: number; value: number };
  sembuf: { size: number; num: number; op: number; flg: number };
  timespec: { size: number; sec: number; nsec: number };
  sigaction: { size: number; handler: number; mask: number; flags: number };
  stat: {
    size: number;
    dev: number;
    ino: number;
    mode: number;
    uid: number;
    st_size: number;
    /** `st_mtim.tv_sec` */
    mtime: number;
    /** `st_ctim.tv_sec` */
    ctime: number;
  };
  /** `struct dirent` (glibc's, of `readdir`): its length and name. */
  dirent: { reclen: number; name: number };
  pollfd: { size: number; fd: number; events: number; revents: number };
  /** `struct statfs` (only `f_type` is read). */
  statfs: { size: number; type: number };
  flock: {
    size: number;
    type: number;
    whence: number;
    start: number;
    len: number;
    pid: number;
  };
  /** `struct epoll_event`: packed on x86_64 only. */
  epoll_event: { size: number; events: number; data: number };
}

const COMMON = {
  ipc_perm: {
    size: 48,
    key: 0,
    uid: 4,
    gid: 8,
    cuid: 12,
    cgid: 16,
    mode: 20,
    seq: 24,
  },
  shmid_ds: {
    size: 112,
    perm: 0,
    segsz: 48,
    atime: 56,
    dtime: 64,
    ctime: 72,
    cpid: 80,
    lpid: 84,
    nattch: 88,
  },
  msqid_ds: {
    size: 120,
    perm: 0,
    stime: 48,
    rtime: 56,
    ctime: 64,
    cbytes: 72,
    qnum: 80,
    qbytes: 88,
    lspid: 96,
    lrpid: 100,
  },
  msginfo: { size: 32, msgseg: 28 },
  shminfo: {
    size: 72,
    shmmax: 0,
    shmmin: 8,
    shmmni: 16,
    shmseg: 24,
    shmall: 32,
  },
  shm_info: { size: 48, used_ids: 0, shm_tot: 8, shm_rss: 16, shm_swp: 24 },
  seminfo: { size: 40, semaem: 36 },
  mq_attr: { size: 64, flags: 0, maxmsg: 8, msgsize: 16, curmsgs: 24 },
  sigevent: { size: 64, value: 0, signo: 8, notify: 12, tid: 16 },
  itimerspec: { size: 32, interval: 0, value: 16 },
  sembuf: { size: 6, num: 0, op: 2, flg: 4 },
  timespec: { size: 16, sec: 0, nsec: 8 },
  sigaction: { size: 152, handler: 0, mask: 8, flags: 136 },
  pollfd: { size: 8, fd: 0, events: 4, revents: 6 },
  flock: { size: 32, type: 0, whence: 2, start: 8, len: 16, pid: 24 },
  statfs: { size: 120, type: 0 },
  dirent: { reclen: 16, name: 19 },
};

const LAYOUTS: Record<Platform, Layouts> = {
  x86_64: {
    ...COMMON,
    semid_ds: { size: 104, perm: 0, otime: 48, ctime: 64, nsems: 80 },
    stat: {
      size: 144,
      dev: 0,
      ino: 8,
      mode: 24,
      uid: 28,
      st_size: 48,
      mtime: 88,
      ctime: 104,
    },
    epoll_event: { size: 12, events: 0, data: 4 },
  },
  aarch64: {
    ...COMMON,
    semid_ds: { size: 88, perm: 0, otime: 48, ctime: 56, nsems: 64 },
    stat: {
      size: 128,
      dev: 0,
      ino: 8,
      mode: 16,
      uid: 24,
      st_size: 48,
      mtime: 88,
      ctime: 104,
    },
    epoll_event: { size: 16, events: 0, data: 8 },
  },
};

function platform(): Platform | undefined {
  if (Deno.build.os !== "linux") return undefined;
  const arch = Deno.build.arch as string;
  return arch === "x86_64" || arch === "aarch64" ? arch : undefined;
}

/**
 * Throws unless this is Linux on x86_64 or aarch64.
 *
 * @throws {Deno.errors.NotSupported} naming the platform found
 */
export function assertSupportedPlatform(): void {
  if (platform() === undefined) {
    throw new Deno.errors.NotSupported(
      `Unsupported platform "${Deno.build.os}-${Deno.build.arch}": ` +
        "System V and Linux IPC need Linux on x86_64 or aarch64 with glibc",
    );
  }
}

/**
 * The layouts of this platform. Only called once libc is open, which already
 * checked the platform.
 */
const L: Layouts = LAYOUTS[platform() ?? "x86_64"];

/** Sizes of the structs callers allocate buffers for. */
export const SIZEOF = {
  shmid_ds: L.shmid_ds.size,
  semid_ds: L.semid_ds.size,
  msqid_ds: L.msqid_ds.size,
  msginfo: L.msginfo.size,
  shminfo: L.shminfo.size,
  shm_info: L.shm_info.size,
  seminfo: L.seminfo.size,
  mq_attr: L.mq_attr.size,
  sigevent: L.sigevent.size,
  itimerspec: L.itimerspec.size,
  sembuf: L.sembuf.size,
  timespec: L.timespec.size,
  sigaction: L.sigaction.size,
  stat: L.stat.size,
  pollfd: L.pollfd.size,
  epoll_event: L.epoll_event.size,
  flock: L.flock.size,
  statfs: L.statfs.size,
} as const;

/**
 * Field offsets the helper threads of `ffi/wait.ts` use: to undo a call
 * (`sem_op` and `sem_flg` of a `struct sembuf`, `l_type` of a
 * `struct flock`), and for their timer (`struct sigevent` for
 * `SIGEV_THREAD_ID`, `it_value` of a `struct itimerspec`).
 */
export const OFFSETS = {
  sembufOp: L.sembuf.op,
  sembufFlg: L.sembuf.flg,
  flockType: L.flock.type,
  sigeventSigno: L.sigevent.signo,
  sigeventNotify: L.sigevent.notify,
  sigeventTid: L.sigevent.tid,
  itimerspecValue: L.itimerspec.value,
} as const;

/**
 * Where glibc's `sem_t` (`struct new_sem`, 64-bit) keeps its futex flag:
 * after the 64-bit word of value and waiters.
 */
export const SEM_PRIVATE_AT = 8;
/**
 * The futex flag (`FUTEX_PRIVATE_FLAG`), which glibc stores as it is for a
 * semaphore shared between processes (`sem_init` pshared 1), and 0 for one
 * of a single process; each futex call gives the kernel the flag's other
 * value.
 */
export const FUTEX_PRIVATE_FLAG = 128;

/**
 * Whether a `sem_t`'s futex flag is one `sem_init` leaves (0, or
 * {@linkcode FUTEX_PRIVATE_FLAG}): glibc aborts the process on any other,
 * from inside a wait (memory that holds no semaphore, or written over).
 *
 * @param flag the 32-bit value at {@linkcode SEM_PRIVATE_AT}
 * @returns whether a wait may be made on it
 */
export function isSemFlag(flag: number): boolean {
  return flag === 0 || flag === FUTEX_PRIVATE_FLAG;
}

/**
 * A view of the futex flag of the `sem_t` at `sem` (one 32-bit word at
 * {@linkcode SEM_PRIVATE_AT}): reading it costs no call, where an
 * `UnsafePointerView` read costs about 80 ns. Read it only while the
 * caller knows the memory is mapped and readable, and drop it with the
 * semaphore.
 *
 * @param sem the semaphore's address
 * @returns the view
 */
export function semFlagView(sem: Deno.PointerObject): Int32Array {
  return new Int32Array(
    Deno.UnsafePointerView.getArrayBuffer(sem, 4, SEM_PRIVATE_AT),
  );
}

/**
 * The layout table for a platform, for the test that compares it with C.
 *
 * @param arch the architecture
 * @returns the offsets and sizes
 */
export function layoutFor(arch: Platform): Layouts {
  return LAYOUTS[arch];
}

/** `struct ipc_perm`: ownership and permissions of a System V IPC object. */
export interface IpcPerm {
  /** The key the object was created with (`__key`). */
  key: number;
  /** Owner's user id. */
  uid: number;
  /** Owner's group id. */
  gid: number;
  /** Creator's user id. */
  cuid: number;
  /** Creator's group id. */
  cgid: number;
  /** Permission bits (low 9 bits) and, for segments, `SHM_DEST`/`SHM_LOCKED`. */
  mode: number;
  /** Slot usage sequence number (`__seq`). */
  seq: number;
}

/** `struct shmid_ds`: what `shmctl(IPC_STAT)` reports about a segment. */
export interface ShmidDs {
  /** Ownership and permissions. */
  perm: IpcPerm;
  /** Size of the segment in bytes, as requested (not rounded to pages). */
  segsz: number;
  /** Time of the last attach, in seconds since the epoch (0 if never). */
  atime: number;
  /** Time of the last detach, in seconds since the epoch (0 if never). */
  dtime: number;
  /** Time of creation or last `IPC_SET`, in seconds since the epoch. */
  ctime: number;
  /** Process id of the creator. */
  cpid: number;
  /** Process id of the last `shmat`/`shmdt`. */
  lpid: number;
  /** Number of current attaches. */
  nattch: number;
}

/** `struct semid_ds`: what `semctl(IPC_STAT)` reports about a set. */
export interface SemidDs {
  /** Ownership and permissions. */
  perm: IpcPerm;
  /** Time of the last `semop`, in seconds since the epoch (0 if never). */
  otime: number;
  /** Time of creation or last change, in seconds since the epoch. */
  ctime: number;
  /** Number of semaphores in the set. */
  nsems: number;
}

/** `struct msqid_ds`: what `msgctl(IPC_STAT)` reports about a queue. */
export interface MsqidDs {
  /** Ownership and permissions. */
  perm: IpcPerm;
  /** Time of the last `msgsnd`, in seconds since the epoch (0 if never). */
  stime: number;
  /** Time of the last `msgrcv`, in seconds since the epoch (0 if never). */
  rtime: number;
  /** Time of creation or last `IPC_SET`, in seconds since the epoch. */
  ctime: number;
  /** Bytes of message text now in the queue (`__msg_cbytes`). */
  cbytes: number;
  /** Messages now in the queue. */
  qnum: number;
  /** The most bytes of message text the queue may hold. */
  qbytes: number;
  /** Process id of the last `msgsnd`. */
  lspid: number;
  /** Process id of the last `msgrcv`. */
  lrpid: number;
}

/**
 * `struct msginfo`: the system's limits (`IPC_INFO`) or its use
 * (`MSG_INFO`: `msgpool` queues in use, `msgmap` messages, `msgtql` bytes).
 */
export interface MsgInfo {
  /** `IPC_INFO`: KiB of buffer pool; `MSG_INFO`: queues in use. */
  msgpool: number;
  /** `IPC_INFO`: entries in the message map; `MSG_INFO`: messages in all queues. */
  msgmap: number;
  /** The largest message text, in bytes (`/proc/sys/kernel/msgmax`). */
  msgmax: number;
  /** The default `qbytes` of a new queue (`/proc/sys/kernel/msgmnb`). */
  msgmnb: number;
  /** The most queues (`/proc/sys/kernel/msgmni`). */
  msgmni: number;
  /** The message segment size (unused by Linux). */
  msgssz: number;
  /** `IPC_INFO`: most messages; `MSG_INFO`: bytes in all queues. */
  msgtql: number;
  /** The most segments (unused by Linux). */
  msgseg: number;
}

/** The fields `IPC_SET` may change. */
export interface IpcPermSet {
  /** New owner's user id. */
  uid?: number;
  /** New owner's group id. */
  gid?: number;
  /** New permission bits (low 9 bits). */
  mode?: number;
}

function decodeIpcPerm(v: DataView, at: number): IpcPerm {
  const p = L.ipc_perm;
  return {
    key: v.getInt32(at + p.key, true),
    uid: v.getUint32(at + p.uid, true),
    gid: v.getUint32(at + p.gid, true),
    cuid: v.getUint32(at + p.cuid, true),
    cgid: v.getUint32(at + p.cgid, true),
    mode: v.getUint32(at + p.mode, true),
    seq: v.getUint16(at + p.seq, true),
  };
}

function u64(v: DataView, at: number): number {
  return Number(v.getBigUint64(at, true));
}

function i64(v: DataView, at: number): number {
  return Number(v.getBigInt64(at, true));
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Decodes a `struct shmid_ds`.
 *
 * @param buf at least `SIZEOF.shmid_ds` bytes filled by the kernel
 * @returns the typed object
 */
export function decodeShmidDs(buf: Uint8Array): ShmidDs {
  const v = view(buf);
  const s = L.shmid_ds;
  return {
    perm: decodeIpcPerm(v, s.perm),
    segsz: u64(v, s.segsz),
    atime: i64(v, s.atime),
    dtime: i64(v, s.dtime),
    ctime: i64(v, s.ctime),
    cpid: v.getInt32(s.cpid, true),
    lpid: v.getInt32(s.lpid, true),
    nattch: u64(v, s.nattch),
  };
}

/**
 * Decodes a `struct msqid_ds`.
 *
 * @param buf at least `SIZEOF.msqid_ds` bytes filled by the kernel
 * @returns the typed object
 */
export function decodeMsqidDs(buf: Uint8Array): MsqidDs {
  const v = view(buf);
  const m = L.msqid_ds;
  return {
    perm: decodeIpcPerm(v, m.perm),
    stime: i64(v, m.stime),
    rtime: i64(v, m.rtime),
    ctime: i64(v, m.ctime),
    cbytes: u64(v, m.cbytes),
    qnum: u64(v, m.qnum),
    qbytes: u64(v, m.qbytes),
    lspid: v.getInt32(m.lspid, true),
    lrpid: v.getInt32(m.lrpid, true),
  };
}

/**
 * Sets `msg_qbytes` in a `struct msqid_ds` for `IPC_SET`.
 *
 * @param buf the struct's bytes
 * @param qbytes the new limit
 */
export function encodeMsgQbytes(buf: Uint8Array, qbytes: number): void {
  view(buf).setBigUint64(L.msqid_ds.qbytes, BigInt(qbytes), true);
}

/**
 * Decodes a `struct msginfo`.
 *
 * @param buf at least `SIZEOF.msginfo` bytes filled by the kernel
 * @returns the typed object
 */
export function decodeMsgInfo(buf: Uint8Array): MsgInfo {
  const v = view(buf);
  const int = (i: number) => v.getInt32(i * 4, true);
  return {
    msgpool: int(0),
    msgmap: int(1),
    msgmax: int(2),
    msgmnb: int(3),
    msgmni: int(4),
    msgssz: int(5),
    msgtql: int(6),
    msgseg: v.getUint16(L.msginfo.msgseg, true),
  };
}

/**
 * `struct shminfo`: the system's limits on shared memory (`shmctl`
 * `IPC_INFO`; the files of `/proc/sys/kernel`).
 */
export interface ShmInfo {
  /** The largest segment, in bytes (`shmmax`; a bigint: often near 2^64). */
  shmmax: bigint;
  /** The smallest segment, in bytes (`shmmin`, 1). */
  shmmin: number;
  /** The most segments (`shmmni`). */
  shmmni: number;
  /** The most segments one process may attach (`shmseg`, unused by Linux). */
  shmseg: number;
  /** The most pages of shared memory in all (`shmall`; a bigint). */
  shmall: bigint;
}

/** `struct shm_info`: the system's use of shared memory (`SHM_INFO`). */
export interface ShmUsage {
  /** Segments in use (`used_ids`). */
  usedIds: number;
  /** Pages of shared memory in all segments (`shm_tot`). */
  tot: number;
  /** Pages of it resident in memory (`shm_rss`). */
  rss: number;
  /** Pages of it swapped out (`shm_swp`). */
  swp: number;
}

/**
 * `struct seminfo`: the system's limits on semaphores (`IPC_INFO`), or with
 * `SEM_INFO` its use: `semusz` sets in use and `semaem` semaphores in them.
 */
export interface SemInfo {
  /** Entries in the semaphore map (unused by Linux). */
  semmap: number;
  /** The most sets (`SEMMNI`). */
  semmni: number;
  /** The most semaphores in all sets (`SEMMNS`). */
  semmns: number;
  /** The most undo structures (unused by Linux). */
  semmnu: number;
  /** The most semaphores in one set (`SEMMSL`). */
  semmsl: number;
  /** The most operations in one `semop` (`SEMOPM`). */
  semopm: number;
  /** The most undo entries per process (unused by Linux). */
  semume: number;
  /** `IPC_INFO`: size of an undo structure; `SEM_INFO`: sets in use. */
  semusz: number;
  /** The largest value of a semaphore (`SEMVMX`). */
  semvmx: number;
  /** `IPC_INFO`: the largest undo value; `SEM_INFO`: semaphores in use. */
  semaem: number;
}

/**
 * Decodes `struct shminfo`.
 *
 * @param buf the bytes `shmctl(IPC_INFO)` filled
 * @returns the limits
 */
export function decodeShmInfo(buf: Uint8Array): ShmInfo {
  const v = view(buf), f = L.shminfo;
  return {
    shmmax: v.getBigUint64(f.shmmax, true),
    shmmin: u64(v, f.shmmin),
    shmmni: u64(v, f.shmmni),
    shmseg: u64(v, f.shmseg),
    shmall: v.getBigUint64(f.shmall, true),
  };
}

/**
 * Decodes `struct shm_info`.
 *
 * @param buf the bytes `shmctl(SHM_INFO)` filled
 * @returns the use
 */
export function decodeShmUsage(buf: Uint8Array): ShmUsage {
  const v = view(buf), f = L.shm_info;
  return {
    usedIds: v.getInt32(f.used_ids, true),
    tot: u64(v, f.shm_tot),
    rss: u64(v, f.shm_rss),
    swp: u64(v, f.shm_swp),
  };
}

/**
 * Decodes `struct seminfo`.
 *
 * @param buf the bytes `semctl(IPC_INFO)` or `semctl(SEM_INFO)` filled
 * @returns its ten fields
 */
export function decodeSemInfo(buf: Uint8Array): SemInfo {
  const v = view(buf);
  const int = (i: number) => v.getInt32(i * 4, true);
  return {
    semmap: int(0),
    semmni: int(1),
    semmns: int(2),
    semmnu: int(3),
    semmsl: int(4),
    semopm: int(5),
    semume: int(6),
    semusz: int(7),
    semvmx: int(8),
    semaem: v.getInt32(L.seminfo.semaem, true),
  };
}

/** `struct mq_attr`: a POSIX queue's attributes. */
export interface MqAttr {
  /** `O_NONBLOCK` or 0 (the only flag `mq_setattr` changes). */
  flags: number;
  /** The most messages the queue holds. */
  maxmsg: number;
  /** The largest message, in bytes. */
  msgsize: number;
  /** Messages now in the queue. */
  curmsgs: number;
}

/**
 * Encodes a `struct mq_attr`.
 *
 * @param attr the attributes (`curmsgs` is ignored by the kernel)
 * @param out at least `SIZEOF.mq_attr` bytes
 * @returns `out`
 */
export function encodeMqAttr(
  attr: Partial<MqAttr>,
  out: Uint8Array,
): Uint8Array {
  const v = view(out);
  const a = L.mq_attr;
  v.setBigInt64(a.flags, BigInt(attr.flags ?? 0), true);
  v.setBigInt64(a.maxmsg, BigInt(attr.maxmsg ?? 0), true);
  v.setBigInt64(a.msgsize, BigInt(attr.msgsize ?? 0), true);
  v.setBigInt64(a.curmsgs, BigInt(attr.curmsgs ?? 0), true);
  return out;
}

/**
 * Decodes a `struct mq_attr`.
 *
 * @param buf at least `SIZEOF.mq_attr` bytes filled by the kernel
 * @returns the typed object
 */
export function decodeMqAttr(buf: Uint8Array): MqAttr {
  const v = view(buf);
  const a = L.mq_attr;
  return {
    flags: i64(v, a.flags),
    maxmsg: i64(v, a.maxmsg),
    msgsize: i64(v, a.msgsize),
    curmsgs: i64(v, a.curmsgs),
  };
}

/**
 * Encodes a `struct sigevent` for `SIGEV_SIGNAL` (or `SIGEV_NONE`).
 *
 * @param notify `SIGEV_SIGNAL` (0) or `SIGEV_NONE` (1)
 * @param signo the signal number
 * @param out at least `SIZEOF.sigevent` bytes
 * @returns `out`
 */
export function encodeSigevent(
  notify: number,
  signo: number,
  out: Uint8Array,
): Uint8Array {
  const v = view(out);
  v.setInt32(L.sigevent.signo, signo, true);
  v.setInt32(L.sigevent.notify, notify, true);
  return out;
}

/**
 * Decodes a `struct semid_ds`.
 *
 * @param buf at least `SIZEOF.semid_ds` bytes filled by the kernel
 * @returns the typed object
 */
export function decodeSemidDs(buf: Uint8Array): SemidDs {
  const v = view(buf);
  const s = L.semid_ds;
  return {
    perm: decodeIpcPerm(v, s.perm),
    otime: i64(v, s.otime),
    ctime: i64(v, s.ctime),
    nsems: u64(v, s.nsems),
  };
}

/**
 * Applies `IPC_SET` changes to a buffer that holds the object's current
 * `IPC_STAT` result, whose `ipc_perm` starts at `permOffset`.
 *
 * @param buf the stat buffer, changed in place
 * @param set the fields to change
 */
export function encodeIpcPermSet(buf: Uint8Array, set: IpcPermSet): void {
  const v = view(buf);
  const p = L.ipc_perm;
  if (set.uid !== undefined) v.setUint32(p.uid, set.uid, true);
  if (set.gid !== undefined) v.setUint32(p.gid, set.gid, true);
  if (set.mode !== undefined) v.setUint32(p.mode, set.mode, true);
}

/** One operation of a `semop` call (`struct sembuf`). */
export interface SemOp {
  /** Index of the semaphore in the set. */
  num: number;
  /** Positive: add; negative: wait until it can be subtracted; zero: wait for zero. */
  op: number;
  /** `IPC_NOWAIT` and/or `SEM_UNDO` (default 0). */
  flags?: number;
}

/**
 * Encodes an array of `struct sembuf` fast, without checks: for the hot
 * path of `semop`, whose caller has range-checked every field. A sembuf is
 * three native shorts on both platforms (sem_num, sem_op, sem_flg).
 *
 * @param ops the operations
 * @param out a native-endian view with room for `ops.length * 3` shorts
 */
export function encodeSembufsFast(
  ops: readonly SemOp[],
  out: Int16Array,
): void {
  for (let i = 0, j = 0; i < ops.length; i++, j += 3) {
    const o = ops[i];
    out[j] = o.num;
    out[j + 1] = o.op;
    out[j + 2] = o.flags ?? 0;
  }
}

/**
 * Encodes a `struct timespec` from milliseconds.
 *
 * @param ms a non-negative duration in milliseconds
 * @param out a buffer of at least `SIZEOF.timespec` bytes
 * @returns `out`
 */
export function encodeTimespec(ms: number, out: Uint8Array): Uint8Array {
  const v = view(out);
  const sec = Math.floor(ms / 1000);
  const nsec = Math.round((ms - sec * 1000) * 1e6);
  v.setBigInt64(L.timespec.sec, BigInt(sec), true);
  v.setBigInt64(L.timespec.nsec, BigInt(Math.min(nsec, 999_999_999)), true);
  return out;
}

/**
 * Decodes a `struct timespec` into milliseconds, from a view of it as
 * 32-bit words (little-endian): with no `BigInt` made, for a clock read on
 * every wait.
 *
 * @param words the struct, as an `Int32Array` over its bytes
 * @returns the time in ms, with its fraction
 */
export function decodeTimespecWords(words: Int32Array): number {
  const sec = L.timespec.sec >> 2, nsec = L.timespec.nsec >> 2;
  return (words[sec + 1] * 4294967296 + (words[sec] >>> 0)) * 1000 +
    words[nsec] / 1e6;
}

/**
 * Encodes a `struct sigaction` with a handler, an empty mask and no flags
 * (in particular no `SA_RESTART`, so a blocked call returns `EINTR`).
 *
 * @param handler the handler's address
 * @returns the struct's bytes
 */
export function encodeSigaction(handler: bigint): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(L.sigaction.size);
  view(out).setBigUint64(L.sigaction.handler, handler, true);
  return out;
}

/**
 * The handler address in a `struct sigaction` (0 is `SIG_DFL`, 1 `SIG_IGN`).
 *
 * @param buf the struct's bytes
 * @returns the handler address
 */
export function decodeSigactionHandler(buf: Uint8Array): bigint {
  return view(buf).getBigUint64(L.sigaction.handler, true);
}

/** What `fstat` tells that the library uses. */
export interface FileStat {
  /** The device the file is on (`st_dev`). */
  dev: number;
  /** The file's inode number (`st_ino`): with `dev`, which file it is. */
  ino: number;
  /** File type and permission bits (`st_mode`). */
  mode: number;
  /** Size in bytes (`st_size`). */
  size: number;
  /** The owner's user id (`st_uid`). */
  uid: number;
  /** Last change of its data, in seconds since the epoch (`st_mtime`). */
  mtime: number;
  /** Last change of its inode, in seconds since the epoch (`st_ctime`). */
  ctime: number;
}

/**
 * Decodes the fields of a `struct stat` the library uses.
 *
 * @param buf at least `SIZEOF.stat` bytes filled by the kernel
 * @returns device, inode, mode, size, owner and times
 */
export function decodeStat(buf: Uint8Array): FileStat {
  const v = view(buf);
  return {
    dev: u64(v, L.stat.dev),
    ino: u64(v, L.stat.ino),
    mode: v.getUint32(L.stat.mode, true),
    size: i64(v, L.stat.st_size),
    uid: v.getUint32(L.stat.uid, true),
    mtime: i64(v, L.stat.mtime),
    ctime: i64(v, L.stat.ctime),
  };
}

/**
 * A `struct stat`'s `st_mode` alone, with no object made.
 *
 * @param buf the bytes `fstat` filled
 * @returns the mode
 */
export function statMode(buf: Uint8Array): number {
  return view(buf).getUint32(L.stat.mode, true);
}

/**
 * Where glibc's `struct dirent` keeps its record length (`d_reclen`) and
 * name (`d_name`, NUL-terminated within the record).
 *
 * @returns the two offsets
 */
export function direntLayout(): { reclen: number; name: number } {
  return L.dirent;
}

/**
 * Encodes one `struct pollfd`.
 *
 * @param fd the descriptor
 * @param events `POLLIN`, `POLLOUT`, ...
 * @param out a buffer of at least `SIZEOF.pollfd` bytes
 * @returns `out`
 */
export function encodePollfd<T extends Uint8Array>(
  fd: number,
  events: number,
  out: T,
): T {
  const v = view(out);
  v.setInt32(L.pollfd.fd, fd, true);
  v.setInt16(L.pollfd.events, events, true);
  v.setInt16(L.pollfd.revents, 0, true);
  return out;
}

/**
 * The `revents` of a `struct pollfd` the kernel filled.
 *
 * @param buf the struct
 * @returns the returned events
 */
export function decodePollRevents(buf: Uint8Array): number {
  return view(buf).getInt16(L.pollfd.revents, true);
}

/**
 * Encodes the `i`-th `struct pollfd` of an array, for one `poll` on many
 * descriptors.
 *
 * @param v a view of the array
 * @param i the index
 * @param fd the descriptor
 * @param events `POLLIN`, `POLLOUT`, ...
 */
export function encodePollfdAt(
  v: DataView,
  i: number,
  fd: number,
  events: number,
): void {
  const at = i * L.pollfd.size;
  v.setInt32(at + L.pollfd.fd, fd, true);
  v.setInt16(at + L.pollfd.events, events, true);
  v.setInt16(at + L.pollfd.revents, 0, true);
}

/**
 * The `revents` of the `i`-th `struct pollfd` of an array the kernel
 * filled.
 *
 * @param v a view of the array
 * @param i the index
 * @returns the returned events
 */
export function decodePollReventsAt(v: DataView, i: number): number {
  return v.getInt16(i * L.pollfd.size + L.pollfd.revents, true);
}

/**
 * Encodes one `struct epoll_event` whose data is a descriptor number.
 *
 * @param events `EPOLLIN`, `EPOLLOUT`, `EPOLLET`, ...
 * @param fd the descriptor, stored in `data`
 * @param out a buffer of at least `SIZEOF.epoll_event` bytes
 * @returns `out`
 */
export function encodeEpollEvent<T extends Uint8Array>(
  events: number,
  fd: number,
  out: T,
): T {
  const v = view(out);
  v.setUint32(L.epoll_event.events, events, true);
  v.setUint32(L.epoll_event.data, fd, true);
  v.setUint32(L.epoll_event.data + 4, 0, true);
  return out;
}

/**
 * Decodes the `i`-th `struct epoll_event` of an array the kernel filled.
 *
 * @param v a view of the array
 * @param i the index
 * @returns the events and the descriptor stored in `data`
 */
export function decodeEpollEvent(
  v: DataView,
  i: number,
): { events: number; fd: number } {
  const at = i * L.epoll_event.size;
  return {
    events: v.getUint32(at + L.epoll_event.events, true),
    fd: v.getUint32(at + L.epoll_event.data, true),
  };
}

/** `struct flock`: a record lock, as `fcntl` takes and reports it. */
export interface Flock {
  /** `F_RDLCK`, `F_WRLCK` or `F_UNLCK`. */
  type: number;
  /** Where `start` counts from: `SEEK_SET` (default), `SEEK_CUR`, `SEEK_END`. */
  whence: number;
  /** The first byte, from `whence`. */
  start: number;
  /** How many bytes; 0 to the end of the file, however far it grows. */
  len: number;
  /** With `F_GETLK`: the process that holds the conflicting lock (-1 for an OFD lock). */
  pid: number;
}

/**
 * Encodes a `struct flock`.
 *
 * @param lock the lock
 * @param out a buffer of at least `SIZEOF.flock` bytes
 * @returns `out`
 */
export function encodeFlock<T extends Uint8Array>(lock: Flock, out: T): T {
  const v = view(out);
  v.setInt16(L.flock.type, lock.type, true);
  v.setInt16(L.flock.whence, lock.whence, true);
  v.setBigInt64(L.flock.start, BigInt(lock.start), true);
  v.setBigInt64(L.flock.len, BigInt(lock.len), true);
  v.setInt32(L.flock.pid, lock.pid, true);
  return out;
}

/**
 * Decodes a `struct flock`.
 *
 * @param buf its bytes
 * @returns the lock
 */
export function decodeFlock(buf: Uint8Array): Flock {
  const v = view(buf);
  return {
    type: v.getInt16(L.flock.type, true),
    whence: v.getInt16(L.flock.whence, true),
    start: i64(v, L.flock.start),
    len: i64(v, L.flock.len),
    pid: v.getInt32(L.flock.pid, true),
  };
}

/**
 * The file system type (`f_type`, a magic number) in a `struct statfs`.
 *
 * @param buf its bytes
 * @returns the magic number
 */
export function decodeStatfsType(buf: Uint8Array): number {
  return i64(view(buf), L.statfs.type);
}
