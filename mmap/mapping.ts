/**
 * {@linkcode Mapping}: mapped memory for everyday use.
 *
 * @module
 */

import {
  close,
  F_SEAL_SHRINK,
  fileKind,
  type FileStat,
  fstat,
  ftruncate,
  memfd_create,
  O_CREAT,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  open,
  ownChecked,
  type OwnedFd,
  requireSeals,
  S_IFMT,
  S_IFREG,
} from "../ffi/fd.ts";
import type { Access, MemoryRegion } from "../ffi/memory.ts";
import { EINVAL, ENODEV, IpcError } from "../ffi/errors.ts";
import {
  boolOption,
  flags as checkFlags,
  int,
  knownOptions,
  LIMITS,
  mapSpan,
  nestedOptions,
  readWrite,
  show,
} from "../ffi/validate.ts";
import {
  MADV_DONTNEED,
  madvise,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  mmap,
  mprotect,
  MS_ALL,
  MS_SYNC,
  msync,
  munmap,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "./mmap.ts";

/** How {@linkcode Mapping.file} maps a file. */
export interface MappingFileOptions {
  /** `"rw"` (default) to read and write, `"r"` to read only. */
  mode?: "r" | "rw";
  /** Copy-on-write (`MAP_PRIVATE`): writes stay in this process. Default false. */
  private?: boolean;
  /** Where in the file to start, a multiple of the page size (default 0). */
  offset?: number;
  /** How many bytes to map (default: to the end of the file). */
  length?: number;
  /**
   * Create the file if missing (with `mode`, permission bits up to `0o777`,
   * default `0o600`) and make it at least `size` bytes long.
   */
  create?: { size: number; mode?: number };
}

/**
 * Internal to the library: {@linkcode Mapping.fromFd}, its errors naming
 * `where`, the method of the class that maps its own descriptor
 * (`"PosixSharedMemory.map"`), which then checks nothing twice.
 */
export let mapFdFor: (
  fd: number,
  options: Omit<MappingFileOptions, "create">,
  where: string,
) => Mapping;

/**
 * Mapped memory: a file, an anonymous region, or a `memfd` that child
 * processes can map too. Its {@linkcode Mapping.memory} gives zero-copy
 * views; closing it unmaps, after detaching them.
 *
 * @example Share a file with another process (ALP 5.3)
 * ```ts
 * import { Mapping } from "@linux-ipc/ipc";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * {
 *   using map = Mapping.file(path, { create: { size: 0x100 } });
 *   map.memory.writeCString("42\n");
 *   map.sync();
 *   console.log((await Deno.readTextFile(path)).slice(0, 3)); // "42\n"
 * }
 * await Deno.remove(path);
 * ```
 */
export class Mapping {
  #memory: MemoryRegion;
  // The memfd of Mapping.memfd, owned as every descriptor is: closing its
  // number elsewhere (thin `close`) ends the ownership, so `close()` never
  // closes whatever the number has come to mean since.
  #fd: OwnedFd | null;

  private constructor(memory: MemoryRegion, fd: number | null) {
    this.#memory = memory;
    this.#fd = fd === null ? null : ownChecked(fd, "memfd");
  }

  static {
    mapFdFor = (fd, options, where) => Mapping.#fromFd(fd, options, where);
  }

  /**
   * Maps a file (needs `--allow-read`, and `--allow-write` for `"rw"` or
   * `create`).
   *
   * @param path the file
   * @param options access, sharing, span, creation
   * @returns the mapping
   * @throws {IpcError} `ENOENT`, `EACCES`, `EINVAL` (offset not page-aligned,
   *   empty file), `ENODEV` (a FIFO, directory, device or socket: only
   *   regular files are mapped)
   * @throws {TypeError} for a `mode` other than `"r"` or `"rw"`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { Mapping } from "@linux-ipc/ipc";
   * using map = Mapping.file("/etc/hostname", { mode: "r" });
   * console.log(map.memory.readCString());
   * ```
   */
  static file(path: string, options: MappingFileOptions = {}): Mapping {
    knownOptions(
      options,
      ["mode", "private", "offset", "length", "create"],
      "Mapping.file",
    );
    const writable = readWrite(options.mode, "rw", "Mapping.file") === "rw";
    const share = sharing(options, "Mapping.file");
    const create = nestedOptions(options.create, "create", "Mapping.file", [
      "size",
      "mode",
    ]);
    if (create !== undefined) {
      int(create.size, "Mapping.file", "create.size", 0, LIMITS.SIZE_MAX);
      if (create.mode !== undefined) {
        int(create.mode, "Mapping.file", "create.mode", 0, 0o777);
      }
    }
    mapSpan(options, "Mapping.file"); // before a file is made

    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
    // writer for ever; it is refused below like any file that is not regular.
    let fd: number;
    try {
      fd = open(
        path,
        (writable || create ? O_RDWR : O_RDONLY) | (create ? O_CREAT : 0) |
          O_NONBLOCK,
        create?.mode ?? 0o600,
      );
    } catch (e) {
      // A directory opened to write: the path is at fault, not the flags.
      if (!(e instanceof IpcError) || e.code !== "EISDIR") throw e;
      throw new IpcError(ENODEV, {
        syscall: "mmap",
        argument: "path",
        value: path,
        hint:
          "it is a directory: only regular files are mapped (Mapping.memfd shares memory without one)",
        cause: e,
      });
    }
    try {
      const st = regularFile(fd, "path", path);
      if (create !== undefined && st.size < create.size) {
        ftruncate(fd, create.size);
      }
      return new Mapping(
        mapFd(fd, options, writable, share, "path", path, "Mapping.file"),
        null,
      );
    } finally {
      close(fd); // the mapping keeps the file open
    }
  }

  /**
   * Maps zero-filled memory that belongs to no file (`MAP_ANONYMOUS`).
   * To share memory with a child process, use {@linkcode Mapping.memfd}.
   *
   * @param length bytes
   * @param options `private: true` for `MAP_PRIVATE` (default `MAP_SHARED`)
   * @returns the mapping
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { Mapping } from "@linux-ipc/ipc";
   * using map = Mapping.anonymous(1 << 20);
   * map.memory.bytes.fill(7);
   * ```
   */
  static anonymous(
    length: number,
    options: { private?: boolean } = {},
  ): Mapping {
    knownOptions(options, ["private"], "Mapping.anonymous");
    const flags = sharing(options, "Mapping.anonymous") | MAP_ANONYMOUS;
    return new Mapping(
      mmap(null, length, PROT_READ | PROT_WRITE, flags, -1),
      null,
    );
  }

  /**
   * Makes shared memory with a descriptor (`memfd_create`, then
   * `MAP_SHARED`): hand {@linkcode Mapping.fd} to a child process (see
   * `spawnWithFds`) and it can map the same memory. The descriptor is closed
   * with the mapping.
   *
   * @param length bytes
   * @param name a name for debugging
   * @returns the mapping
   * @example
   * ```ts
   * import { Mapping } from "@linux-ipc/ipc";
   * using map = Mapping.memfd(4096);
   * console.log(map.fd !== null); // true
   * ```
   */
  static memfd(length: number, name = "linux-ipc"): Mapping {
    const fd = memfd_create(name);
    try {
      ftruncate(fd, length);
      return new Mapping(
        mmap(null, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
        fd,
      );
    } catch (e) {
      close(fd);
      throw e;
    }
  }

  /**
   * Maps a descriptor this process already has (a memfd a parent handed
   * over, a file from `open`). The descriptor stays the caller's.
   *
   * @param fd the descriptor
   * @param options access, sharing and span, as for {@linkcode Mapping.file}
   * @returns the mapping
   * @throws {IpcError} `EBADF`, `EACCES` (`"rw"` on a descriptor opened read-only)
   * @throws {TypeError} for a `mode` other than `"r"` or `"rw"`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { Mapping } from "@linux-ipc/ipc";
   * using a = Mapping.memfd(4096);
   * using b = Mapping.fromFd(a.fd!);
   * a.memory.bytes[0] = 9;
   * console.log(b.memory.bytes[0]); // 9
   * ```
   */
  static fromFd(
    fd: number,
    options: Omit<MappingFileOptions, "create"> = {},
  ): Mapping {
    return Mapping.#fromFd(fd, options, "Mapping.fromFd");
  }

  /** {@linkcode Mapping.fromFd}, its errors naming `where`. */
  static #fromFd(
    fd: number,
    options: Omit<MappingFileOptions, "create">,
    where: string,
  ): Mapping {
    knownOptions(options, ["mode", "private", "offset", "length"], where);
    const writable = readWrite(options.mode, "rw", where) === "rw";
    const share = sharing(options, where);
    return new Mapping(
      mapFd(fd, options, writable, share, "fd", fd, where),
      null,
    );
  }

  /**
   * Maps a memfd received from another process only if it carries the
   * seals asked for, in one call: with `F_SEAL_SHRINK` (the default) the
   * sender can no longer shrink the file under the mapping, so reading it
   * can never fault; add `F_SEAL_WRITE` to be sure the contents stay as
   * they are. Read-only unless `mode: "rw"` is asked for. The descriptor
   * stays the caller's.
   *
   * @param fd the descriptor
   * @param options `seals` required (default `F_SEAL_SHRINK`), `mode`
   *   (default `"r"`), `offset`, `length`
   * @returns the mapping
   * @throws {IpcError} `EPERM` naming the missing seals; `EINVAL` if the
   *   file takes no seals
   * @throws {TypeError} for a `mode` other than `"r"` or `"rw"`
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { F_ADD_SEALS, F_SEAL_GROW, F_SEAL_SHRINK, F_SEAL_WRITE, fcntl, Mapping, MFD_ALLOW_SEALING, memfd_create, close, ftruncate, write } from "@linux-ipc/ipc";
   * const fd = memfd_create("doc", MFD_ALLOW_SEALING);
   * ftruncate(fd, 5);
   * write(fd, new TextEncoder().encode("hello"));
   * fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
   * {
   *   using map = Mapping.fromSealedFd(fd, { seals: F_SEAL_SHRINK | F_SEAL_WRITE });
   *   console.log(new TextDecoder().decode(map.memory.read())); // "hello"
   * }
   * close(fd);
   * ```
   */
  static fromSealedFd(
    fd: number,
    options: Omit<MappingFileOptions, "create" | "private"> & {
      seals?: number;
    } = {},
  ): Mapping {
    knownOptions(
      options,
      ["mode", "offset", "length", "seals"],
      "Mapping.fromSealedFd",
    );
    const writable = readWrite(options.mode, "r", "Mapping.fromSealedFd") ===
      "rw";
    requireSeals(fd, options.seals ?? F_SEAL_SHRINK);
    return new Mapping(
      mapFd(
        fd,
        options,
        writable,
        MAP_SHARED,
        "fd",
        fd,
        "Mapping.fromSealedFd",
      ),
      null,
    );
  }

  /** The mapped memory. */
  get memory(): MemoryRegion {
    return this.#memory;
  }

  /**
   * The memfd of a {@linkcode Mapping.memfd} mapping while it is open, else
   * null.
   */
  get fd(): number | null {
    return this.#fd === null || this.#fd.closed ? null : this.#fd.fd;
  }

  /**
   * Writes changes back to the file (`msync`), by default waiting (`MS_SYNC`).
   *
   * @param flags `MS_SYNC`, `MS_ASYNC`, optionally with `MS_INVALIDATE`
   * @throws {Deno.errors.BadResource} once closed
   * @example
   * ```ts
   * import { Mapping, MS_ASYNC } from "@linux-ipc/ipc";
   * using map = Mapping.anonymous(4096);
   * map.sync(MS_ASYNC);
   * ```
   */
  sync(flags: number = MS_SYNC): void {
    flags = checkFlags(flags, MS_ALL, "Mapping.sync", "flags");
    msync(this.#live(), flags);
  }

  /**
   * Changes what the process may do with the memory (`mprotect`). Views
   * handed out before are detached.
   *
   * @param access `"none"`, `"read"` or `"readwrite"`
   * @throws {Deno.errors.BadResource} once closed
   * @throws {IpcError} as `mprotect`: `EBUSY` when narrowing while an async
   *   wait on a POSIX semaphore in the memory is under way
   * @example
   * ```ts
   * import { Mapping } from "@linux-ipc/ipc";
   * using map = Mapping.anonymous(4096);
   * map.protect("read");
   * ```
   */
  protect(access: Access): void {
    const prot = access === "readwrite"
      ? PROT_READ | PROT_WRITE
      : access === "read"
      ? PROT_READ
      : access === "none"
      ? PROT_NONE
      : -1;
    if (prot === -1) {
      throw new TypeError(
        `Invalid argument "access" to Mapping.protect: expected "none", "read" or "readwrite", got "${
          show(access)
        }"`,
      );
    }
    mprotect(this.#live(), prot);
  }

  /**
   * Advises the kernel how the memory will be used (`madvise`).
   *
   * @param advice an `MADV_*` constant
   * @throws {Deno.errors.BadResource} once closed
   * @example
   * ```ts
   * import { MADV_SEQUENTIAL, Mapping } from "@linux-ipc/ipc";
   * using map = Mapping.anonymous(4096);
   * map.advise(MADV_SEQUENTIAL);
   * ```
   */
  advise(advice: number): void {
    advice = int(advice, "Mapping.advise", "advice", 0, MADV_DONTNEED);
    madvise(this.#live(), advice);
  }

  /**
   * Unmaps (after detaching every view) and closes the memfd, if any. Safe
   * to call twice.
   *
   * @example
   * ```ts
   * import { Mapping } from "@linux-ipc/ipc";
   * const map = Mapping.anonymous(4096);
   * map.close();
   * map.close();
   * ```
   */
  close(): void {
    if (!this.#memory.detached) munmap(this.#memory);
    this.#fd?.close();
  }

  /** The memory, for a call on it: refused once closed, as elsewhere. */
  #live(): MemoryRegion {
    if (this.#memory.detached) {
      throw new Deno.errors.BadResource("The mapping is closed");
    }
    return this.#memory;
  }

  /** Same as {@linkcode Mapping.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Stats a descriptor and refuses anything but a regular file (ENODEV). */
function regularFile(
  fd: number,
  argument: string,
  value: string | number,
): FileStat {
  const st = fstat(fd);
  if ((st.mode & S_IFMT) !== S_IFREG) {
    throw new IpcError(ENODEV, {
      syscall: "mmap",
      argument,
      value: String(value),
      hint: `it is ${
        fileKind(st.mode)
      }: only regular files are mapped (Mapping.memfd shares memory without one)`,
    });
  }
  return st;
}

/**
 * `MAP_PRIVATE` if the `private` option is on, else `MAP_SHARED`.
 *
 * @param options the method's options
 * @param where the method (`"Mapping.file"`)
 * @returns the flag
 * @throws {TypeError} for a `private` that is not a boolean
 */
function sharing(options: { private?: boolean }, where: string): number {
  return boolOption(options.private, false, "private", where)
    ? MAP_PRIVATE
    : MAP_SHARED;
}

/** Maps a descriptor as the options say (by default all of it). */
function mapFd(
  fd: number,
  options: Omit<MappingFileOptions, "create" | "mode" | "private">,
  writable: boolean,
  share: number,
  argument: string,
  value: string | number,
  where: string,
): MemoryRegion {
  let [offset, length] = mapSpan(options, where);
  if (length === undefined) {
    const size = regularFile(fd, argument, value).size;
    if (size <= offset) {
      throw new IpcError(EINVAL, {
        syscall: "mmap",
        argument,
        value: String(value),
        hint: size === 0
          ? "the file is empty, so there is nothing to map: give it a size first (create: { size }, or ftruncate)"
          : `the offset "${offset}" is at or past the end of the file (${size} bytes)`,
      });
    }
    length = size - offset;
  }
  return mmap(
    null,
    length,
    writable ? PROT_READ | PROT_WRITE : PROT_READ,
    share,
    fd,
    offset,
  );
}
