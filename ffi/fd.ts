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

import { libc } from "./libc.ts";
import { EBADF, errorFor, lastError } from "./errors.ts";
import { endWaits } from "./wait.ts";
import { decodeStat, type FileStat, SIZEOF } from "./layout.ts";
import { requirePath } from "./permissions.ts";
import { cString, flags as checkFlags, int, LIMITS } from "./validate.ts";

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

const FILE_KINDS: Record<number, string> = {
  [S_IFIFO]: "a FIFO",
  0o020000: "a character device",
  0o040000: "a directory",
  0o060000: "a block device",
  [S_IFREG]: "a regular file",
  0o120000: "a symbolic link",
  0o140000: "a socket",
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

/** `memfd_create` flag: close on exec. */
export const MFD_CLOEXEC = 1;

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
 *   and `O_NONBLOCK`), `ENAMETOOLONG`
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
  const path = cString(pathname, "open", "pathname");
  flags = checkFlags(flags, OPEN_FLAGS, "open", "flags");
  mode = int(mode, "open", "mode", 0, 0o7777);
  const access = flags & 3;
  if (access === O_RDONLY || access === O_RDWR) requirePath("read", pathname);
  if (access !== O_RDONLY || (flags & (O_CREAT | O_TRUNC)) !== 0) {
    requirePath("write", pathname);
  }
  const fd = libc().open(path, flags | O_CLOEXEC, mode);
  if (fd === -1) {
    throw lastError(
      "open",
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
 * Closes a descriptor (`close`). Async calls of this library still waiting
 * on it end first: they reject with `IpcError` `EBADF`, and none of them
 * touches the descriptor's number again (which the next open may reuse).
 *
 * @param fd the descriptor
 * @throws {IpcError} `EBADF` if it is not open
 * @example
 * ```ts
 * import { close, memfd_create } from "@linux-ipc/ipc/mmap";
 * close(memfd_create("scratch"));
 * ```
 */
export function close(fd: number): void {
  fd = int(fd, "close", "fd", 0, LIMITS.INT_MAX);
  // An object that owns this number no longer does (and its backstop must
  // never close whatever the number comes to mean next).
  owners.get(fd)?.deref()?.disown();
  endWaits(fd, (syscall) =>
    errorFor(EBADF, syscall, "fd", { fd }, {
      EBADF: "the descriptor was closed while the call waited",
    }));
  if (libc().close(fd) === -1) throw lastError("close", "fd", { fd });
}

/**
 * Sets a file's length (`ftruncate`): longer files read zeros at the end.
 *
 * @param fd a descriptor open for writing
 * @param length the new length in bytes
 * @throws {IpcError} `EBADF`, `EINVAL` (not writable, or not a regular file)
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
  if (libc().ftruncate(fd, BigInt(length)) === -1) {
    throw lastError(
      "ftruncate",
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
  if (libc().fstat(fd, buf) === -1) throw lastError("fstat", "fd", { fd });
  return decodeStat(buf);
}

/**
 * Creates an anonymous file in memory and returns its descriptor
 * (`memfd_create`): shareable memory that a child process can map once it
 * is handed the descriptor (Deno cannot `fork`, so this takes the place of
 * an anonymous shared mapping inherited across `fork`).
 *
 * @param name a name for debugging (`/proc/PID/fd` shows `memfd:NAME`)
 * @param flags `MFD_CLOEXEC` (always added)
 * @returns the descriptor, of a file of length 0
 * @throws {IpcError} `EMFILE`, `ENOMEM`
 * @example
 * ```ts
 * import { close, memfd_create } from "@linux-ipc/ipc/mmap";
 * const fd = memfd_create("shared");
 * close(fd);
 * ```
 */
export function memfd_create(name: string, flags = MFD_CLOEXEC): number {
  const n = cString(name, "memfd_create", "name");
  flags = checkFlags(flags, MFD_CLOEXEC, "memfd_create", "flags");
  const fd = libc().memfd_create(n, flags | MFD_CLOEXEC);
  if (fd === -1) throw lastError("memfd_create", "name", { name });
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
    throw lastError("fcntl", { EBADF: "fd", EINVAL: "arg" }, { fd });
  }
  const want = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
  if (want !== fl && c.fcntl(fd, 4, /* F_SETFL */ want) === -1) {
    throw lastError("fcntl", { EBADF: "fd", EINVAL: "arg" }, { fd });
  }
}

/** The owner of each descriptor number that an {@linkcode OwnedFd} holds. */
const owners = new Map<number, WeakRef<OwnedFd>>();

/** Closes the descriptors of owners that were collected without `close`. */
const backstop = new FinalizationRegistry<number>((fd) => {
  owners.delete(fd);
  try {
    close(fd);
  } catch {
    // closed already
  }
});

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
   */
  constructor(fd: number, what: string) {
    fd = int(fd, "OwnedFd", "fd", 0, LIMITS.INT_MAX);
    this.#fd = fd;
    this.#what = what;
    owners.set(fd, new WeakRef(this));
    backstop.register(this, fd, this);
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
   * Closes the descriptor, ending its waits first. Safe to call twice.
   *
   * @returns true if this call closed it, false if it was closed already
   * @throws {IpcError} `EBADF` if the number was not open any more
   */
  close(): boolean {
    if (this.#closed) return false;
    this.disown();
    close(this.#fd);
    return true;
  }

  /** Marks it closed without closing (the number was closed elsewhere). */
  disown(): void {
    if (this.#closed) return;
    this.#closed = true;
    backstop.unregister(this);
    if (owners.get(this.#fd)?.deref() === this) owners.delete(this.#fd);
  }

  /** Same as {@linkcode OwnedFd.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
