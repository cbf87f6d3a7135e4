/**
 * File descriptors as the kernel numbers them: `open`, `close`,
 * `ftruncate`, `fstat`, `memfd_create`, with their C constants. Shared by
 * the facilities that map or stream files (`mmap/`, `fifo/`), which
 * re-export it. Paths are checked against Deno's `--allow-read` and
 * `--allow-write` grants before the call.
 *
 * Descriptors opened here are plain kernel fds: Deno does not track them,
 * so close them (or use the classes that do). `O_CLOEXEC` is added unless
 * asked otherwise, so that no child process inherits one by accident.
 *
 * @module
 */

import { errno, libc, sizeT } from "./libc.ts";
import {
  EBADF,
  EBUSY,
  EPERM,
  errorFor,
  IpcError,
  lastError,
  restarted,
} from "./errors.ts";
import {
  afterThreadsLetGo,
  closeWhenIdle,
  endWaits,
  refDescriptor,
  threadUses,
} from "./wait.ts";
import { isEngineDescriptor, ownDescriptor } from "./owned.ts";
import {
  decodeStat,
  decodeStatfsType,
  direntLayout,
  type FileStat,
  SIZEOF,
  statMode,
} from "./layout.ts";
import { requirePath } from "./permissions.ts";
import {
  boolOption,
  cString,
  descriptor,
  flags as checkFlags,
  int,
  LIMITS,
  nestedOptions,
  show,
} from "./validate.ts";
import { decodeName, decodeUtf8, encodeName, encodeUtf8 } from "./text.ts";

export type { FileStat } from "./layout.ts";

/** `open` flag: read only. */
export const O_RDONLY = 0;
/** `open` flag: write only. */
export const O_WRONLY = 1;
/** `open` flag: read and write. */
export const O_RDWR = 2;
/** `open` flag: create the file if missing. */
export const O_CREAT = 0o100;
/** `open` flag: with `O_CREAT`, fail if it exists. */
export const O_EXCL = 0o200;
/**
 * The `create` option of the classes' POSIX `open`s (`create: { mode,
 * exclusive, ... }`), checked: an object of the `known` options, whose
 * `exclusive` is a boolean and whose `mode` is permission bits. The
 * caller checks the rest, naming them `create.NAME` as here.
 *
 * @param create what the caller passed
 * @param where the method (`"PosixSemaphore.open"`)
 * @param known the options `create` may hold
 * @returns the object (undefined when left out), and the flags it means:
 *   `O_CREAT`, with `O_EXCL` for `exclusive` (0 when left out)
 * @throws {TypeError} for a `create` that is not such an object
 * @throws {RangeError} for a `create.mode` beyond `0o777`
 */
export function createOption<T extends { exclusive?: boolean }>(
  create: T | undefined,
  where: string,
  known: readonly string[],
): [T | undefined, number] {
  const c = nestedOptions(create, "create", where, known);
  if (c === undefined) return [undefined, 0];
  const exclusive = boolOption(c.exclusive, false, "create.exclusive", where);
  const mode = (c as { mode?: unknown }).mode;
  if (mode !== undefined) int(mode, where, "create.mode", 0, 0o777);
  return [c, O_CREAT | (exclusive ? O_EXCL : 0)];
}

/** `open` flag: truncate to length 0. */
export const O_TRUNC = 0o1000;
/** `open` flag: append on each write. */
export const O_APPEND = 0o2000;
/** `open` flag: non-blocking I/O. */
export const O_NONBLOCK = 0o4000;
/** `open` flag: close on exec (the library's default). */
export const O_CLOEXEC = 0o2000000;
/** `st_mode`: the bits of the file type. */
export const S_IFMT = 0o170000;
/** `st_mode` file type: a FIFO (named or not). */
export const S_IFIFO = 0o010000;
/** `st_mode` file type: a regular file. */
export const S_IFREG = 0o100000;
/** `st_mode` file type: a socket. */
export const S_IFSOCK = 0o140000;

const FILE_KINDS: Record<number, string> = {
  0: "an anonymous inode (an eventfd, an epoll instance, ...)",
  [S_IFIFO]: "a FIFO",
  0o020000: "a character device",
  0o040000: "a directory",
  0o060000: "a block device",
  [S_IFREG]: "a regular file",
  0o120000: "a symbolic link",
  [S_IFSOCK]: "a socket",
};

/**
 * What kind of file an `st_mode` says, for messages.
 *
 * @param mode the `st_mode` (as `fstat` gives it)
 * @returns `"a FIFO"`, `"a directory"`, `"a regular file"`, ...
 */
export function fileKind(mode: number): string {
  return FILE_KINDS[mode & S_IFMT] ?? "an unknown kind of file";
}

/** `memfd_create` flag: close on exec (always added by this library). */
export const MFD_CLOEXEC = 1;
/** `memfd_create` flag: allow seals (`F_ADD_SEALS`); else only `F_SEAL_SEAL` is set. */
export const MFD_ALLOW_SEALING = 2;
/** `memfd_create` flag: back the file with huge pages (`ENOMEM`/`EINVAL` without them). */
export const MFD_HUGETLB = 4;
/** `memfd_create` flag: not executable, sealed so (`F_SEAL_EXEC`); Linux 6.3 and later. */
export const MFD_NOEXEC_SEAL = 8;
/** `memfd_create` flag: executable (as before Linux 6.3); Linux 6.3 and later. */
export const MFD_EXEC = 0x10;
/** Shift of the huge page size's log2 in the flags (with `MFD_HUGETLB`). */
export const MFD_HUGE_SHIFT = 26;
/** With `MFD_HUGETLB`: 2 MiB pages. */
export const MFD_HUGE_2MB = 21 << MFD_HUGE_SHIFT;
/** With `MFD_HUGETLB`: 1 GiB pages. */
export const MFD_HUGE_1GB = 30 << MFD_HUGE_SHIFT;
const MFD_FLAGS = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB |
  MFD_NOEXEC_SEAL | MFD_EXEC | (0x3f << MFD_HUGE_SHIFT);

/** Seal: no more seals may be added. */
export const F_SEAL_SEAL = 0x01;
/** Seal: the file may not shrink (a mapping of it can then never fault). */
export const F_SEAL_SHRINK = 0x02;
/** Seal: the file may not grow. */
export const F_SEAL_GROW = 0x04;
/** Seal: the contents may not change (needs no writable shared mapping). */
export const F_SEAL_WRITE = 0x08;
/** Seal: no new writable mapping or write; existing mappings may still write. */
export const F_SEAL_FUTURE_WRITE = 0x10;
/** Seal: the file's exec bits may not change (Linux 6.3 and later). */
export const F_SEAL_EXEC = 0x20;
const SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
  F_SEAL_FUTURE_WRITE | F_SEAL_EXEC;

/** The `open` flags the library passes on (internal: `open`, `openAsync`). */
export const OPEN_FLAGS = O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_TRUNC |
  O_APPEND | O_NONBLOCK | O_CLOEXEC;

/**
 * Opens a file and returns its descriptor (`open`). `O_CLOEXEC` is added:
 * pass the descriptor to a child explicitly when it should have it.
 *
 * @param pathname the path
 * @param flags `O_RDONLY`, `O_WRONLY` or `O_RDWR`, with `O_CREAT`, `O_EXCL`,
 *   `O_TRUNC`, `O_APPEND`, `O_NONBLOCK`
 * @param mode permission bits for a created file (default `0o666`, less umask)
 * @returns the descriptor
 * @throws {IpcError} `ENOENT`, `EACCES`, `EEXIST`, `ENXIO` (a FIFO with no reader
 *   and `O_NONBLOCK`), `ENAMETOOLONG`; `EBUSY` for `O_TRUNC` on a file that a
 *   mapping in this process shows (touching it once cut would raise SIGBUS)
 * @throws {Deno.errors.NotCapable} without `--allow-read`/`--allow-write` for the path
 * @example
 * ```ts
 * import { close, O_CREAT, O_RDWR, open } from "@linux-ipc/ipc/mmap";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * close(open(path, O_RDWR | O_CREAT, 0o600));
 * await Deno.remove(path);
 * ```
 */
export function open(pathname: string, flags: number, mode = 0o666): number {
  let path: Uint8Array<ArrayBuffer>;
  ({ path, flags, mode } = checkOpen(pathname, flags, mode));
  const fd = libc().open(path, flags | O_CLOEXEC, mode);
  if (fd === -1) {
    throw lastError("open")(
      {
        ENOENT: "pathname",
        EACCES: "pathname",
        EEXIST: "pathname",
        ENAMETOOLONG: "pathname",
        ENOTDIR: "pathname",
        EISDIR: "flags",
        ENXIO: "pathname",
        EINVAL: "flags",
      },
      { pathname },
      {
        ENXIO: "a FIFO opened for writing with O_NONBLOCK has no reader",
      },
    );
  }
  return fd;
}

/**
 * Internal to the opens (`open`, and `fifo/`'s `openAsync`): checks an
 * open's arguments, Deno's permissions for the path (writing for a write
 * access, `O_CREAT` or `O_TRUNC`), and that `O_TRUNC` would cut no file a
 * mapping in this process shows, before the call.
 *
 * @param pathname the path
 * @param flags the `open` flags
 * @param mode the mode of a created file
 * @returns the encoded path and the checked flags and mode
 * @throws {TypeError|RangeError} for bad arguments
 * @throws {Deno.errors.NotCapable} without the permission
 * @throws {IpcError} `EBUSY` (see {@linkcode open})
 */
export function checkOpen(
  pathname: string,
  flags: number,
  mode: number,
): { path: Uint8Array<ArrayBuffer>; flags: number; mode: number } {
  const path = cString(pathname, "open", "pathname");
  flags = checkFlags(flags, OPEN_FLAGS, "open", "flags");
  mode = int(mode, "open", "mode", 0, 0o7777);
  const access = flags & 3;
  if (access === O_RDONLY || access === O_RDWR) requirePath("read", pathname);
  if (access !== O_RDONLY || (flags & (O_CREAT | O_TRUNC)) !== 0) {
    requirePath("write", pathname);
  }
  if ((flags & O_TRUNC) !== 0) {
    refuseTruncatingOpen(path, "open", "flags", { pathname, flags });
  }
  return { path, flags, mode };
}

/** `open` flag: a handle on the path only, for `fstat` (nothing is opened). */
const O_PATH = 0o10000000;
/** `open` flag: a symbolic link is not followed (with `O_PATH`, it is the handle). */
const O_NOFOLLOW = 0o400000;

/** A name as the NUL-terminated bytes C takes (see `encodeName`). */
function nameBytes(name: string): Uint8Array<ArrayBuffer> {
  const b = encodeName(name, "open", "pathname");
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

/**
 * Internal to the library: what is at a path, a symbolic link itself
 * rather than what it points to (as `lstat`), or null if nothing is there
 * or it cannot be looked at. Through libc, not `Deno.lstatSync`, so that
 * a name holding bytes that are not UTF-8 (a socket path another program
 * bound, decoded by `decodeName`) is looked up exactly, not as U+FFFD.
 *
 * @param name the path
 * @returns its device, inode, mode and size, or null
 */
export function lstatName(name: string): FileStat | null {
  const c = libc();
  const fd = c.open(nameBytes(name), O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd === -1) return null;
  try {
    const buf = new Uint8Array(SIZEOF.stat);
    return c.fstat(fd, buf) === -1 ? null : decodeStat(buf);
  } finally {
    c.close(fd);
  }
}

/**
 * Internal to the library: removes a path (`unlink`), exactly as
 * {@linkcode lstatName} looks it up.
 *
 * @param name the path
 * @returns whether it was removed
 */
export function unlinkName(name: string): boolean {
  return libc().unlink(nameBytes(name)) === 0;
}

/**
 * Internal to the library: the names in a directory (not `.` and `..`),
 * each decoded as `decodeName` decodes a name, so that one holding bytes
 * that are not UTF-8 comes back as it is and reaches the same file when
 * given back (`Deno.readDirSync` gives it with U+FFFD, a name no file
 * has), or null if the directory cannot be read. Needs `--allow-read` for
 * it, as `Deno.readDirSync` would.
 *
 * @param path the directory
 * @returns the names, or null
 * @throws {Deno.errors.NotCapable} without read permission for `path`
 */
export function readDirNames(path: string): string[] | null {
  requirePath("read", path);
  return dirNames(nameBytes(path));
}

/** The names in a directory, as {@linkcode readDirNames} gives them, with no permission asked. */
function dirNames(path: Uint8Array<ArrayBuffer>): string[] | null {
  const c = libc();
  const dir = c.opendir(path);
  if (dir === null) return null;
  const { reclen, name } = direntLayout();
  try {
    const names: string[] = [];
    for (;;) {
      const entry = c.readdir(dir);
      if (entry === null) return names;
      // The name ends at its NUL, within the record's d_reclen bytes.
      const v = new Deno.UnsafePointerView(entry);
      const bytes = new Uint8Array(v.getUint16(reclen) - name);
      v.copyInto(bytes, name);
      const nul = bytes.indexOf(0);
      const text = decodeName(nul === -1 ? bytes : bytes.subarray(0, nul));
      if (text !== "." && text !== "..") names.push(text);
    }
  } finally {
    c.closedir(dir);
  }
}

/** `getrlimit` resource: how many descriptors a process may have open. */
const RLIMIT_NOFILE = 7;

/**
 * Internal to the library: how many descriptors this process may have
 * open (`RLIMIT_NOFILE`'s soft limit), which a child it starts inherits:
 * every descriptor number is below it. Infinity when there is no limit or
 * it cannot be read.
 *
 * @returns the limit
 */
export function descriptorLimit(): number {
  const rlim = new BigUint64Array(2); // struct rlimit: cur, max
  if (libc().getrlimit(RLIMIT_NOFILE, new Uint8Array(rlim.buffer)) === -1) {
    return Infinity;
  }
  return rlim[0] > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(rlim[0]);
}

/**
 * Internal to the library: a small file's text, read through libc, its
 * path looked up as {@linkcode lstatName} looks it up, or null if it
 * cannot be read. Needs `--allow-read` for it.
 *
 * @param path the file
 * @returns its text, or null
 * @throws {Deno.errors.NotCapable} without read permission for `path`
 */
export function readTextName(path: string): string | null {
  requirePath("read", path);
  return readWhole(nameBytes(path));
}

const MAPS = encodeUtf8("/proc/self/maps\0");

/** This process's memory map (`/proc/self/maps`), or null if unreadable. */
function processMaps(): string | null {
  // Read through libc, not Deno.readTextFile: the library's own check,
  // which must not need (or use) the caller's --allow-read.
  return readWhole(MAPS);
}

/**
 * A file's text, through libc, read `chunk` bytes at a time, or null if it
 * cannot be read.
 */
function readWhole(
  path: Uint8Array<ArrayBuffer>,
  chunk = 64 * 1024,
): string | null {
  const c = libc();
  const fd = c.open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd === -1) return null;
  try {
    // Bytes first, decoded once at the end: a decoder left mid-character
    // by a failed read would garble the next call's text.
    const chunks: Uint8Array[] = [];
    for (;;) {
      const buf = new Uint8Array(chunk);
      const n = restarted(() => c.read(fd, buf, sizeT(buf.length)));
      if (n === -1) return null;
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
    }
    const all = new Uint8Array(chunks.reduce((sum, b) => sum + b.length, 0));
    let at = 0;
    for (const b of chunks) {
      all.set(b, at);
      at += b.length;
    }
    return decodeUtf8(all);
  } finally {
    c.close(fd);
  }
}

/** What an anonymous inode is (`eventpoll`, `eventfd`, ...), or null. */
function anonymousKind(fd: number): string | null {
  const link = new Uint8Array(64);
  const n = libc().readlink(
    encodeUtf8(`/proc/self/fd/${fd}\0`),
    link,
    sizeT(link.length),
  );
  if (n <= 0) return null;
  const m = /^anon_inode:\[?([^\]]*)\]?$/.exec(decodeUtf8(link.subarray(0, n)));
  return m === null ? null : m[1];
}

/** A `struct stat` for {@linkcode isAnonymous}, and its `st_mode`. */
let statScratch: Uint8Array<ArrayBuffer> | undefined;

/**
 * Whether `fd` is an anonymous inode (no file type bits: an eventfd, an
 * epoll instance, ...).
 */
function isAnonymous(fd: number): boolean {
  const buf = statScratch ??= new Uint8Array(SIZEOF.stat);
  return libc().fstat(fd, buf) === 0 && (statMode(buf) & S_IFMT) === 0;
}

/**
 * The epoll instances of this process that the async engine did not make:
 * Deno's event loops, the main thread's and each Worker's.
 */
function foreignEpolls(): number[] {
  // The process's own descriptors: no permission of the caller's is used.
  return (dirNames(encodeUtf8("/proc/self/fd\0")) ?? []).map(Number).filter(
    (fd) =>
      Number.isInteger(fd) && !isEngineDescriptor(fd) && isAnonymous(fd) &&
      anonymousKind(fd) === "eventpoll",
  );
}

/** Whether epoll instance `epfd` watches `fd` (its `/proc/self/fdinfo`). */
function epollWatches(epfd: number, fd: number): boolean {
  const info = readWhole(encodeUtf8(`/proc/self/fdinfo/${epfd}\0`), 4096) ??
    "";
  return new RegExp(`^tfd:\\s+${fd}\\s`, "m").test(info);
}

/**
 * Internal to the library: why `fd` is not the caller's to close or take
 * over, or null. Deno's event loop (the main thread's, and each Worker's)
 * is an epoll instance with an eventfd that wakes it: closing either makes
 * Deno panic ("unexpected error when polling the I/O driver"), and reading
 * the eventfd steals the loop's wake-ups. The async engine's own epoll
 * sets and eventfd are refused too. Only anonymous inodes (no file type
 * bits) are looked up, the kind whose loss makes Deno panic: a file, pipe
 * or socket costs one `fstat`. An anonymous inode costs a look at each
 * epoll instance of the process (`/proc/self/fd`, `/proc/self/fdinfo`;
 * about 0.3 ms here), to tell Deno's eventfd from one of the caller's.
 *
 * @param fd the descriptor
 * @returns what it is, for a message, or null if it may be used
 */
export function runtimeDescriptor(fd: number): string | null {
  if (isEngineDescriptor(fd)) {
    return "the library's async engine's own (its epoll sets and wake-up eventfd)";
  }
  if (!isAnonymous(fd)) return null;
  const kind = anonymousKind(fd);
  if (kind === "eventpoll") return "an epoll instance of Deno's event loop";
  for (const epfd of foreignEpolls()) {
    if (epfd !== fd && epollWatches(epfd, fd)) {
      return `watched by Deno's event loop (its ${kind ?? "anonymous inode"})`;
    }
  }
  return null;
}

/**
 * Internal to the library: throws if `fd` is Deno's own or the engine's
 * (see {@linkcode runtimeDescriptor}).
 *
 * @param fd the descriptor
 * @param where the call, as the error names it
 * @throws {TypeError} if it is
 */
export function refuseRuntimeDescriptor(fd: number, where: string): void {
  const what = runtimeDescriptor(fd);
  if (what !== null) {
    throw new TypeError(
      `Invalid argument "fd" to ${where}: "${fd}" is ${what}, not the caller's: closing it would make Deno panic or its waits hang`,
    );
  }
}

/**
 * Refuses (`EBUSY`) to cut a regular file shorter than a mapping of it in
 * this process reaches: touching a mapped page past a file's end raises
 * SIGBUS, which kills the process, and the views of a mapping stop where
 * the file ended when it was mapped. The kernel's own list of this
 * process's mappings (`/proc/self/maps`) is the judge, so mappings made
 * in Workers count, and memory already unmapped does not. Growing a file,
 * or cutting it within its last page, is never refused.
 *
 * @param fd a descriptor of the file (an `O_PATH` one will do)
 * @param length the length the call would leave
 * @param syscall the call about to be made
 * @param argument its argument that asks for the cut
 * @param values the arguments, for the message
 * @throws {IpcError} `EBUSY` if a mapping reaches past the new end
 */
function refuseShrinkUnderMapping(
  fd: number,
  length: number,
  syscall: string,
  argument: string,
  values: Readonly<Record<string, string | number | bigint>>,
): void {
  const buf = new Uint8Array(SIZEOF.stat);
  // Unreadable: the call itself will say what is wrong.
  if (libc().fstat(fd, buf) === -1) return;
  const st = decodeStat(buf);
  if ((st.mode & S_IFMT) !== S_IFREG) return;
  const page = libc().getpagesize();
  // Pages up to the new end stay backed; only those after it vanish.
  const kept = Math.ceil(length / page) * page;
  if (kept >= st.size) return;
  const maps = processMaps();
  if (maps === null) return;
  const dev = BigInt(st.dev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const device = `${major.toString(16).padStart(2, "0")}:${
    minor.toString(16).padStart(2, "0")
  }`;
  for (const line of maps.split("\n")) {
    // start-end perms offset major:minor inode path
    const [range, , off, dv, ino] = line.split(/\s+/, 5);
    if (ino === undefined || Number(ino) !== st.ino || dv !== device) continue;
    const [start, end] = range.split("-").map((x) => parseInt(x, 16));
    const from = parseInt(off, 16);
    const reach = Math.min(from + (end - start), st.size);
    if (reach > Math.max(from, kept)) {
      throw errorFor(EBUSY, syscall, argument, values, {
        EBUSY:
          `a mapping in this process shows the file up to byte ${reach}, and touching it past the new end would kill the process (SIGBUS): unmap it first`,
      });
    }
  }
}

/**
 * As {@linkcode refuseShrinkUnderMapping}, for an open with `O_TRUNC` of
 * `path` (a NUL-terminated path), before it is made.
 */
export function refuseTruncatingOpen(
  path: Uint8Array,
  syscall: string,
  argument: string,
  values: Readonly<Record<string, string | number | bigint>>,
): void {
  const fd = libc().open(path, O_PATH | O_CLOEXEC, 0);
  if (fd === -1) return; // no file yet, or one the open will refuse
  try {
    refuseShrinkUnderMapping(fd, 0, syscall, argument, values);
  } finally {
    libc().close(fd);
  }
}

/** What must hear of a descriptor before {@linkcode close} closes it. */
const closing = new Set<(fd: number) => void>();

/**
 * Has `hook` called with each descriptor {@linkcode close} is about to
 * close, while it is still open: for state that the close ends in the
 * kernel (a file lock's holds), so that it never outlives the descriptor
 * and is never taken for that of the next file given the number.
 *
 * @param hook called with the descriptor; it must not throw
 */
export function onClose(hook: (fd: number) => void): void {
  closing.add(hook);
}

/** Descriptors closed while a helper thread may still use them (see close). */
const closingLater = new Set<number>();

/**
 * Closes a descriptor (`close`). Async calls of this library still waiting
 * on it end first: they reject with `IpcError` `EBADF`, and none of them
 * touches the descriptor's number again (which the next open may reuse).
 * A lock call that one of the library's helper threads is making on it is
 * interrupted, and the number is freed once the thread has let go (before
 * that wait rejects), so that the call can never land on the next file
 * given the number.
 *
 * Deno's own event loop is refused: its epoll instance and the eventfd
 * that wakes it (the main thread's, or a Worker's), and the async engine's
 * own, which a stray number could otherwise close, making Deno panic.
 *
 * @param fd the descriptor
 * @throws {IpcError} `EBADF` if it is not open
 * @throws {TypeError} for a descriptor of Deno's event loop or of the
 *   library's async engine
 * @example
 * ```ts
 * import { close, memfd_create } from "@linux-ipc/ipc/mmap";
 * close(memfd_create("scratch"));
 * ```
 */
export function close(fd: number): void {
  fd = int(fd, "close", "fd", 0, LIMITS.INT_MAX);
  const owner = owners.get(fd)?.deref();
  // A descriptor an object of the library owns is one it opened or was
  // given (and checked then); another is checked now (an fstat, and more
  // only for an anonymous inode: Deno's own event loop must never be
  // closed).
  if (owner === undefined) refuseRuntimeDescriptor(fd, "close");
  // An object that owns this number no longer does (and its backstop must
  // never close whatever the number comes to mean next).
  owner?.disown();
  closeDescriptor(fd);
}

/**
 * What {@linkcode close} does once the number is known to be the
 * caller's: the hooks, the waits ended, the number freed (once no helper
 * thread uses it).
 */
function closeDescriptor(fd: number): void {
  if (closingLater.has(fd)) throw errorFor(EBADF, "close", "fd", { fd });
  for (const hook of closing) hook(fd);
  endWaits(fd, (syscall) =>
    errorFor(EBADF, syscall, "fd", { fd }, {
      EBADF: "the descriptor was closed while the call waited",
    }));
  // A helper thread told to stop a lock call on it may not have let go
  // yet: the number is freed once it has (before that wait rejects), so
  // that the call cannot reach the next file given the number.
  if (threadUses(fd)) {
    if (libc().fcntl(fd, F_GETFD, 0) === -1) {
      throw lastError("close")("fd", { fd });
    }
    closingLater.add(fd);
    afterThreadsLetGo(fd, () => {
      closingLater.delete(fd);
      libc().close(fd);
    });
    return;
  }
  if (libc().close(fd) === -1) throw lastError("close")("fd", { fd });
}

/** `access` mode: may be executed (a directory: entered). */
export const X_OK = 1;

/**
 * Checks that this process may use a file as `mode` says (`access`),
 * without Deno's permissions: for reporting why something the kernel
 * refused failed, not for deciding what to open.
 *
 * @param pathname the file
 * @param mode `X_OK`
 * @returns 0 if it may, else the errno (`ENOENT`, `EACCES`, `ENOTDIR`, ...)
 * @throws {TypeError} for a path with a NUL inside
 */
export function access(pathname: string, mode: number): number {
  const path = cString(pathname, "access", "pathname");
  return libc().access(path, mode) === -1 ? errno() : 0;
}

/**
 * Sets a file's length (`ftruncate`): longer files read zeros at the end.
 * Cutting a file shorter than a mapping of it in this process reaches is
 * refused before the call (`EBUSY`): touching the mapping past the new end
 * would raise SIGBUS and kill the process, where C would let it.
 *
 * @param fd a descriptor open for writing
 * @param length the new length in bytes
 * @throws {IpcError} `EBADF`, `EINVAL` (not writable, or not a regular file);
 *   `EBUSY` if a mapping in this process reaches past `length`
 * @example
 * ```ts
 * import { close, ftruncate, memfd_create } from "@linux-ipc/ipc/mmap";
 * const fd = memfd_create("scratch");
 * ftruncate(fd, 4096);
 * close(fd);
 * ```
 */
export function ftruncate(fd: number, length: number): void {
  fd = int(fd, "ftruncate", "fd", 0, LIMITS.INT_MAX);
  length = int(length, "ftruncate", "length", 0, Number.MAX_SAFE_INTEGER);
  // Read-only, the kernel refuses the call (EINVAL) whatever is mapped.
  if ((libc().fcntl(fd, F_GETFL, 0) & 3) !== O_RDONLY) {
    refuseShrinkUnderMapping(fd, length, "ftruncate", "length", { fd, length });
  }
  if (libc().ftruncate(fd, BigInt(length)) === -1) {
    throw lastError("ftruncate")(
      { EBADF: "fd", EINVAL: "fd", EFBIG: "length" },
      {
        fd,
        length,
      },
    );
  }
}

/**
 * A descriptor's type, mode and size (`fstat`).
 *
 * @param fd the descriptor
 * @returns `mode` (`st_mode`) and `size` (`st_size`)
 * @throws {IpcError} `EBADF`
 * @example
 * ```ts
 * import { close, fstat, ftruncate, memfd_create } from "@linux-ipc/ipc/mmap";
 * const fd = memfd_create("scratch");
 * ftruncate(fd, 100);
 * console.log(fstat(fd).size); // 100
 * close(fd);
 * ```
 */
export function fstat(fd: number): FileStat {
  fd = int(fd, "fstat", "fd", 0, LIMITS.INT_MAX);
  const buf = new Uint8Array(SIZEOF.stat);
  if (libc().fstat(fd, buf) === -1) throw lastError("fstat")("fd", { fd });
  return decodeStat(buf);
}

/** File system magic numbers {@linkcode statfs} names. */
const FS_NAMES: Record<number, string> = {
  0x01021994: "tmpfs",
  0x19800202: "mqueue",
  0xef53: "ext4",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x794c7630: "overlayfs",
  0x6969: "nfs",
  0x9fa0: "proc",
  0x62656572: "sysfs",
  0x1cd1: "devpts",
  0x858458f6: "ramfs",
  0x73717368: "squashfs",
  0x65735546: "fuse",
  0x01021997: "9p",
  0x62646576: "bdev",
  0x50495045: "pipefs",
  0x534f434b: "sockfs",
  0x09041934: "anon_inode_fs",
};

/** What {@linkcode statfs} tells about a file system. */
export interface FsInfo {
  /** `f_type`, the file system's magic number. */
  type: number;
  /** Its usual name (`"tmpfs"`, `"mqueue"`, `"ext4"`, ...), or the number in hex. */
  name: string;
}

/**
 * Which file system holds a path (`statfs`): whether a name lives in
 * memory (`tmpfs`, `mqueue`) and goes with the machine, or on a disk.
 *
 * @param path the path
 * @returns the type's magic number and name
 * @throws {IpcError} `ENOENT`, `EACCES`
 * @throws {Deno.errors.NotCapable} without `--allow-read` for the path
 * @example
 * ```ts
 * import { statfs } from "@linux-ipc/ipc/mmap";
 * console.log(statfs("/dev/shm").name); // "tmpfs"
 * ```
 */
export function statfs(path: string): FsInfo {
  const c = cString(path, "statfs", "path");
  requirePath("read", path);
  const buf = new Uint8Array(SIZEOF.statfs);
  if (libc().statfs(c, buf) === -1) {
    throw lastError("statfs")("path", { path });
  }
  const type = decodeStatfsType(buf) >>> 0;
  return { type, name: FS_NAMES[type] ?? `0x${type.toString(16)}` };
}

/** The longest name `memfd_create` takes, in bytes (`NAME_MAX` less "memfd:"). */
const MFD_NAME_MAX = 249;

/**
 * Creates an anonymous file in memory and returns its descriptor
 * (`memfd_create`): shareable memory that a child process can map once it
 * is handed the descriptor (Deno cannot `fork`, so this takes the place of
 * an anonymous shared mapping inherited across `fork`).
 *
 * @param name a name for debugging (`/proc/PID/fd` shows `memfd:NAME`)
 * @param flags `MFD_CLOEXEC` (always added), `MFD_ALLOW_SEALING`,
 *   `MFD_HUGETLB` (with `MFD_HUGE_2MB`, ...), `MFD_NOEXEC_SEAL`, `MFD_EXEC`
 * @returns the descriptor, of a file of length 0
 * @throws {IpcError} `EMFILE`, `ENOMEM`, `EINVAL` (flags this kernel
 *   does not know), `ENODEV` (a huge page size this machine does not have)
 * @throws {RangeError} for a name over 249 bytes
 * @example
 * ```ts
 * import { close, F_GET_SEALS, fcntl, memfd_create, MFD_ALLOW_SEALING } from "@linux-ipc/ipc/mmap";
 * const fd = memfd_create("shared", MFD_ALLOW_SEALING);
 * console.log(fcntl(fd, F_GET_SEALS)); // 0
 * close(fd);
 * ```
 */
export function memfd_create(name: string, flags = MFD_CLOEXEC): number {
  const n = cString(name, "memfd_create", "name");
  // Linux refuses a longer name with the EINVAL of an unknown flag.
  if (n.length - 1 > MFD_NAME_MAX) {
    throw new RangeError(
      `Argument "name" to memfd_create is out of range: ${
        n.length - 1
      } bytes, the most is ${MFD_NAME_MAX}`,
    );
  }
  // An unsigned int in C: `MFD_HUGETLB | (63 << MFD_HUGE_SHIFT)` is
  // negative in JavaScript, and means the same bits.
  if (typeof flags === "number" && flags < 0 && flags >= -(2 ** 31)) {
    flags >>>= 0;
  }
  flags = checkFlags(flags, MFD_FLAGS, "memfd_create", "flags");
  const fd = libc().memfd_create(n, (flags | MFD_CLOEXEC) >>> 0);
  if (fd === -1) {
    throw lastError("memfd_create")(
      {
        EINVAL: "flags",
        ENODEV: "flags",
        ENOMEM: "flags",
      },
      { name, flags },
      {
        EINVAL: "this kernel does not know a flag",
        ENODEV: "this machine has no huge pages of this size",
        ENOMEM: "no huge pages are reserved (/proc/sys/vm/nr_hugepages)",
      },
    );
  }
  return fd;
}

/**
 * Puts a descriptor in non-blocking mode (or back), as the async forms of
 * `fifo/` and `socket/` need: `fcntl(F_GETFL)`, then `F_SETFL` if it changes.
 *
 * @param fd the descriptor
 * @param on true for non-blocking
 * @throws {IpcError} `EBADF`
 */
export function setNonBlocking(fd: number, on = true): void {
  const c = libc();
  const fl = c.fcntl(fd, 3, /* F_GETFL */ 0);
  if (fl === -1) {
    throw lastError("fcntl")({ EBADF: "fd", EINVAL: "arg" }, { fd });
  }
  const want = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
  if (want !== fl && c.fcntl(fd, 4, /* F_SETFL */ want) === -1) {
    throw lastError("fcntl")({ EBADF: "fd", EINVAL: "arg" }, { fd });
  }
}

/**
 * Whether a descriptor's open file description is in blocking mode (a
 * process it is shared with may have made it so).
 *
 * @param fd the descriptor
 * @returns true if blocking; false if non-blocking or not open
 */
export function isBlocking(fd: number): boolean {
  const fl = libc().fcntl(fd, 3, /* F_GETFL */ 0);
  return fl !== -1 && (fl & O_NONBLOCK) === 0;
}

/** The owner of each descriptor number that an {@linkcode OwnedFd} holds. */
const owners = new Map<number, WeakRef<OwnedFd>>();

/**
 * Closes the descriptors of owners that were collected without `close`,
 * unless the number has another owner now: it was closed behind the
 * library's back and given to a new owner, whose descriptor it is (and
 * whose own backstop closes it, should that owner be dropped too). A call
 * still waiting on the descriptor ends first.
 */
const backstop = new FinalizationRegistry<
  { fd: number; ref: WeakRef<OwnedFd> }
>(({ fd, ref }) => {
  if (owners.get(fd) !== ref) return;
  owners.delete(fd);
  ownDescriptor(fd, false);
  // A call still waiting on it (a read whose connection nothing else
  // refers to) completes first.
  closeWhenIdle(fd, () => {
    // Unless a new owner took the number meanwhile.
    if (owners.has(fd)) return;
    try {
      close(fd);
    } catch {
      // closed already
    }
  });
});

/** Owners that make their descriptor blocking again as they close it. */
const restoringBlocking = new WeakSet<OwnedFd>();

/**
 * Internal to the library: `owner`'s descriptor was blocking when it was
 * taken over by number (a class's `fromFd`, which makes it non-blocking),
 * so closing the owner makes it blocking again first. The mode belongs to
 * the open file description, which the process that handed the descriptor
 * over may share (Python's `pass_fds`, a shell's `3<&0`, a terminal): left
 * non-blocking, its next blocking read fails with `EAGAIN`.
 *
 * @param owner the owner
 */
export function restoreBlockingOnClose(owner: OwnedFd): void {
  restoringBlocking.add(owner);
}

/** Set while {@linkcode ownChecked} builds an owner. */
let checked = false;

/**
 * Internal to the library: an {@linkcode OwnedFd} for a descriptor the
 * library made itself, or checked with {@linkcode refuseRuntimeDescriptor}
 * as it was taken over, with no second check.
 *
 * @param fd the descriptor
 * @param what what it is, for the error once closed
 * @returns its owner
 */
export function ownChecked(fd: number, what: string): OwnedFd {
  checked = true;
  try {
    return new OwnedFd(fd, what);
  } finally {
    checked = false;
  }
}

/**
 * The one owner of a descriptor, which every class that holds one builds
 * on: `close()` is safe to call twice and ends the async waits on the
 * descriptor first (see {@linkcode close}), `closed` tells whether it has
 * been, and a `FinalizationRegistry` closes a descriptor whose owner was
 * dropped without being closed (a backstop only: close what you open).
 * Closing the number through the thin {@linkcode close} also ends the
 * ownership, so the backstop never closes a reused number.
 *
 * @example
 * ```ts
 * import { memfd_create, OwnedFd } from "@linux-ipc/ipc/mmap";
 * const owned = new OwnedFd(memfd_create("scratch"), "memfd");
 * owned.close();
 * owned.close();
 * console.log(owned.closed); // true
 * ```
 */
export class OwnedFd {
  #fd: number;
  #what: string;
  #closed = false;

  /**
   * Takes ownership of `fd`.
   *
   * @param fd the descriptor
   * @param what what it is, for the error once closed (`"pipe end"`)
   * @throws {TypeError} for a descriptor of Deno's own event loop or of the
   *   library's async engine (see {@linkcode close})
   */
  constructor(fd: number, what: string) {
    fd = int(fd, "OwnedFd", "fd", 0, LIMITS.INT_MAX);
    // The library's classes own what they made or checked as they took it
    // over (see ownChecked); a number given here is checked now.
    if (!checked) refuseRuntimeDescriptor(fd, "OwnedFd");
    this.#fd = fd;
    this.#what = what;
    const ref = new WeakRef(this);
    owners.set(fd, ref);
    backstop.register(this, { fd, ref }, this);
    refDescriptor(fd, true);
    ownDescriptor(fd, true);
  }

  /** The descriptor number (also once closed). */
  get fd(): number {
    return this.#fd;
  }

  /** Whether it has been closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The descriptor, for a call about to be made on it.
   *
   * @returns the descriptor
   * @throws {Deno.errors.BadResource} once closed
   */
  check(): number {
    if (this.#closed) {
      throw new Deno.errors.BadResource(`The ${this.#what} is closed`);
    }
    return this.#fd;
  }

  /**
   * Closes the descriptor, ending its waits first (they reject with
   * `Deno.errors.BadResource`, as calls made afterwards throw). Safe to
   * call twice.
   *
   * @returns true if this call closed it, false if it was closed already
   * @throws {IpcError} `EBADF` if the number was not open any more
   */
  close(): boolean {
    if (this.#closed) return false;
    if (restoringBlocking.delete(this)) {
      try {
        setNonBlocking(this.#fd, false);
      } catch {
        // closed behind this object's back: the close below says so
      }
    }
    this.disown();
    // This object's own close: its waits end as its calls from now on
    // fail (BadResource), as the System V objects' waits do; the thin
    // close below would end them with EBADF, as for a bare number.
    const what = this.#what;
    endWaits(this.#fd, () =>
      new Deno.errors.BadResource(
        `The ${what} was closed while the call waited`,
      ));
    closeDescriptor(this.#fd);
    return true;
  }

  /**
   * Makes the async waits on the descriptor keep the process alive again,
   * as they do at first (see {@linkcode OwnedFd.unref}). Does nothing once
   * closed.
   */
  ref(): void {
    if (!this.#closed) refDescriptor(this.#fd, true);
  }

  /**
   * Lets the process end while async waits on the descriptor are pending,
   * as Deno's `unref()` of a listener or connection does: the waits
   * already pending and those to come, until {@linkcode OwnedFd.ref}. A
   * wait's timeout no longer keeps the process alive either. Does nothing
   * once closed.
   */
  unref(): void {
    if (!this.#closed) refDescriptor(this.#fd, false);
  }

  /** Marks it closed without closing (the number was closed elsewhere). */
  disown(): void {
    if (this.#closed) return;
    this.#closed = true;
    backstop.unregister(this);
    if (owners.get(this.#fd)?.deref() === this) {
      owners.delete(this.#fd);
      ownDescriptor(this.#fd, false);
    }
  }

  /** Same as {@linkcode OwnedFd.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** `fcntl` command: read the descriptor flags (`FD_CLOEXEC`). */
export const F_GETFD = 1;
/** `fcntl` command: set the descriptor flags. */
export const F_SETFD = 2;
/** `fcntl` command: read the status flags (`O_NONBLOCK`, `O_APPEND`, ...). */
export const F_GETFL = 3;
/** `fcntl` command: set the status flags. */
export const F_SETFL = 4;
/** Descriptor flag: close on exec. */
export const FD_CLOEXEC = 1;
/** `fcntl` command: add seals to a memfd (`arg`: `F_SEAL_*`). */
export const F_ADD_SEALS = 1033;
/** `fcntl` command: read a memfd's seals. */
export const F_GET_SEALS = 1034;

/**
 * Reads or changes descriptor and status flags, and a memfd's seals
 * (`fcntl` with `F_GETFD`, `F_SETFD`, `F_GETFL`, `F_SETFL`, `F_ADD_SEALS`,
 * `F_GET_SEALS`). Record locks have `fcntl_lock`.
 *
 * @param fd the descriptor
 * @param cmd `F_GETFD`, `F_SETFD`, `F_GETFL`, `F_SETFL`, `F_ADD_SEALS` or
 *   `F_GET_SEALS`
 * @param arg the flags for the `SET` commands, the seals for `F_ADD_SEALS`
 * @returns the flags or seals for the `GET` commands, else 0
 * @throws {IpcError} `EBADF`; `EPERM` (a seal forbids it, or `F_SEAL_SEAL`),
 *   `EBUSY` (`F_SEAL_WRITE` while a writable shared mapping exists),
 *   `EINVAL` (seals on a file that takes none)
 * @throws {RangeError} for another command
 * @example
 * ```ts
 * import { close, F_GETFL, fcntl, O_NONBLOCK, pipe2 } from "@linux-ipc/ipc/fifo";
 * const [r, w] = pipe2(O_NONBLOCK);
 * console.log((fcntl(r, F_GETFL) & O_NONBLOCK) !== 0); // true
 * close(r);
 * close(w);
 * ```
 */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  fd = descriptor(fd, "fcntl", "fd");
  if (
    ![F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_ADD_SEALS, F_GET_SEALS].includes(
      cmd,
    )
  ) {
    throw new RangeError(
      `Argument "cmd" to fcntl is out of range: "${
        show(cmd)
      }" is not F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_ADD_SEALS or F_GET_SEALS`,
    );
  }
  arg = cmd === F_ADD_SEALS
    ? checkFlags(arg, SEALS, "fcntl", "arg")
    : int(arg, "fcntl", "arg", 0, LIMITS.INT_MAX);
  const r = libc().fcntl(fd, cmd, arg);
  if (r === -1) {
    const sealing = cmd === F_ADD_SEALS || cmd === F_GET_SEALS;
    throw lastError("fcntl")(
      {
        EBADF: "fd",
        EINVAL: sealing ? "fd" : "arg",
        EPERM: "arg",
        EBUSY: "arg",
      },
      { fd, arg },
      sealing
        ? {
          EINVAL: "the file takes no seals (only memfds and shmem files do)",
          EPERM:
            "the file is sealed with F_SEAL_SEAL, or was made without MFD_ALLOW_SEALING",
          EBUSY: "F_SEAL_WRITE needs no writable shared mapping of the file",
        }
        : undefined,
    );
  }
  return r;
}

/** What {@linkcode requireSeals} found. */
const SEAL_NAMES: [number, string][] = [
  [F_SEAL_SEAL, "F_SEAL_SEAL"],
  [F_SEAL_SHRINK, "F_SEAL_SHRINK"],
  [F_SEAL_GROW, "F_SEAL_GROW"],
  [F_SEAL_WRITE, "F_SEAL_WRITE"],
  [F_SEAL_FUTURE_WRITE, "F_SEAL_FUTURE_WRITE"],
  [F_SEAL_EXEC, "F_SEAL_EXEC"],
];

/**
 * The names of a set of seals, for messages and printing.
 *
 * @param seals `F_SEAL_*` bits
 * @returns their names joined by `" | "`, or `"none"`
 * @example
 * ```ts
 * import { F_SEAL_GROW, F_SEAL_SHRINK, sealNames } from "@linux-ipc/ipc/mmap";
 * console.log(sealNames(F_SEAL_SHRINK | F_SEAL_GROW)); // "F_SEAL_SHRINK | F_SEAL_GROW"
 * ```
 */
export function sealNames(seals: number): string {
  const names = SEAL_NAMES.filter(([bit]) => (seals & bit) !== 0).map((
    [, name],
  ) => name);
  return names.length > 0 ? names.join(" | ") : "none";
}

/**
 * Checks that a descriptor (a memfd received from another process, say)
 * carries every seal in `seals`, before it is mapped: with `F_SEAL_SHRINK`
 * the sender can no longer shrink the file under the mapping (which would
 * make reading it fault), with `F_SEAL_WRITE` it can no longer change the
 * contents.
 *
 * @param fd the descriptor
 * @param seals the seals it must carry (default `F_SEAL_SHRINK`)
 * @returns the seals it carries
 * @throws {IpcError} `EPERM` naming the missing seals; `EINVAL` if the file
 *   takes no seals (not a memfd); `EBADF`
 * @example
 * ```ts
 * import { close, F_ADD_SEALS, F_SEAL_SHRINK, fcntl, memfd_create, MFD_ALLOW_SEALING, requireSeals } from "@linux-ipc/ipc/mmap";
 * const fd = memfd_create("doc", MFD_ALLOW_SEALING);
 * fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
 * console.log(requireSeals(fd, F_SEAL_SHRINK)); // 2
 * close(fd);
 * ```
 */
export function requireSeals(
  fd: number,
  seals: number = F_SEAL_SHRINK,
): number {
  fd = descriptor(fd, "requireSeals", "fd");
  seals = checkFlags(seals, SEALS, "requireSeals", "seals");
  const have = fcntl(fd, F_GET_SEALS);
  const missing = seals & ~have;
  if (missing !== 0) {
    throw new IpcError(EPERM, {
      syscall: "fcntl",
      argument: "fd",
      value: fd,
      hint: `the file lacks ${sealNames(missing)} (it has ${
        sealNames(have)
      }): the sender must seal it before handing it over`,
    });
  }
  return have;
}

/**
 * An `EBADF` of a `read` or `write` on a descriptor that is open, but for
 * the other direction only (a pipe's other end, say), rebuilt to say so:
 * the bare code reads as if the descriptor were not open. Any other error
 * is returned as it is.
 *
 * @param error the call's error (its errno read already)
 * @param fd the descriptor
 * @param want what the call did
 * @returns the error, with the hint when it applies
 */
export function wrongDirection(
  error: IpcError,
  fd: number,
  want: "read" | "write",
): IpcError {
  if (error.errno !== EBADF) return error;
  const fl = libc().fcntl(fd, F_GETFL, 0);
  const access = fl === -1 ? -1 : fl & 3;
  const only = want === "read" && access === O_WRONLY
    ? "writing"
    : want === "write" && access === O_RDONLY
    ? "reading"
    : null;
  if (only === null) return error;
  return errorFor(EBADF, error.syscall, "fd", { fd }, {
    EBADF: `the descriptor is open for ${only} only (the ${
      only === "reading" ? "read" : "write"
    } end of a pipe or FIFO?)`,
  });
}
