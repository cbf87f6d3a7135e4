/**
 * {@linkcode PosixSharedMemory}: a POSIX shared memory object for everyday
 * use.
 *
 * @module
 */

import {
  createOption,
  fstat,
  ftruncate,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  ownChecked,
  type OwnedFd,
} from "../ffi/fd.ts";
import { boolOption, int, knownOptions, readWrite } from "../ffi/validate.ts";
import { mapFdFor, type Mapping } from "../mmap/mapping.ts";
import { shm_open, shm_unlink } from "./pshm.ts";

/** How {@linkcode PosixSharedMemory.open} opens or makes an object. */
export interface PosixShmOpenOptions {
  /** `"rw"` (default) to read and write, `"r"` to read only. */
  mode?: "r" | "rw";
  /**
   * Make the object if it does not exist: its permission bits (default
   * `0o600`), `exclusive` to fail with `EEXIST` if it exists, and `size` to
   * make it at least that many bytes long.
   */
  create?: { mode?: number; exclusive?: boolean; size?: number };
  /** Cut it to length 0 first (`O_TRUNC`; needs `mode: "rw"`). */
  truncate?: boolean;
}

/**
 * A POSIX shared memory object (`shm_open`): named memory in `/dev/shm`
 * that any process can open by its name, C and Python
 * (`multiprocessing.shared_memory`) included. It lives until it is
 * unlinked (or the machine restarts), not just while a process has it.
 * Map it with {@linkcode PosixSharedMemory.map}; closing the object does
 * not unmap what was mapped.
 *
 * @example Make, map, write, read back, unlink
 * ```ts
 * import { PosixSharedMemory } from "@linux-ipc/ipc/pshm";
 * const name = `/linux-ipc-doc-class-${Deno.pid}`;
 * using shm = PosixSharedMemory.open(name, { create: { size: 4096 } });
 * using map = shm.map();
 * map.memory.writeCString("hello");
 * console.log(map.memory.readCString(), shm.size); // "hello" 4096
 * shm.unlink();
 * ```
 */
export class PosixSharedMemory {
  #owner: OwnedFd;
  #name: string;
  #mode: "r" | "rw";

  private constructor(fd: number, name: string, mode: "r" | "rw") {
    this.#owner = ownChecked(fd, "shared memory object");
    this.#name = name;
    this.#mode = mode;
  }

  /**
   * Opens an object by name, or makes it with `create`.
   *
   * @param name `"/"` then a name without slashes
   * @param options `mode`, `create`, `truncate`
   * @returns the open object
   * @throws {IpcError} `ENOENT` (none, no `create`), `EEXIST` (exclusive),
   *   `EACCES`
   * @throws {TypeError|RangeError} for a bad name or option
   * @throws {Deno.errors.NotCapable} without `--allow-read`/`--allow-write`
   *   for `/dev/shm/NAME`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { PosixSharedMemory } from "@linux-ipc/ipc/pshm";
   * const name = `/linux-ipc-doc-open-${Deno.pid}`;
   * PosixSharedMemory.open(name, { create: { size: 100, exclusive: true } }).close();
   * using again = PosixSharedMemory.open(name, { mode: "r" });
   * console.log(again.size); // 100
   * again.unlink();
   * ```
   */
  static open(
    name: string,
    options: PosixShmOpenOptions = {},
  ): PosixSharedMemory {
    const where = "PosixSharedMemory.open";
    knownOptions(options, ["mode", "create", "truncate"], where);
    const mode = readWrite(options.mode, "rw", where);
    const [c, creating] = createOption(options.create, where, [
      "mode",
      "exclusive",
      "size",
    ]);
    const truncate = boolOption(options.truncate, false, "truncate", where);
    const size = c?.size === undefined
      ? undefined
      : int(c.size, where, "create.size", 0, Number.MAX_SAFE_INTEGER);
    if (size !== undefined && mode === "r") {
      throw new TypeError(
        'Invalid option "create.size" to PosixSharedMemory.open: sizing needs mode "rw"',
      );
    }
    if (truncate && mode === "r") {
      // POSIX leaves O_TRUNC with O_RDONLY undefined; Linux truncates, so a
      // read-only open would empty the object under every other user.
      throw new TypeError(
        'Invalid option "truncate" to PosixSharedMemory.open: truncating needs mode "rw"',
      );
    }
    const flags = (mode === "rw" ? O_RDWR : O_RDONLY) |
      creating | (truncate ? O_TRUNC : 0);
    const fd = shm_open(name, flags, c?.mode ?? 0o600);
    const shm = new PosixSharedMemory(fd, name, mode);
    try {
      if (size !== undefined && fstat(fd).size < size) ftruncate(fd, size);
    } catch (e) {
      shm.close();
      throw e;
    }
    return shm;
  }

  /**
   * Removes an object's name (`shm_unlink`); the memory goes once no
   * process has it open or mapped.
   *
   * @param name the object's name
   * @throws {IpcError} `ENOENT`, `EACCES`
   * @example
   * ```ts
   * import { PosixSharedMemory } from "@linux-ipc/ipc/pshm";
   * const name = `/linux-ipc-doc-unlinks-${Deno.pid}`;
   * PosixSharedMemory.open(name, { create: {} }).close();
   * PosixSharedMemory.unlink(name);
   * ```
   */
  static unlink(name: string): void {
    shm_unlink(name);
  }

  /** The object's name. */
  get name(): string {
    return this.#name;
  }

  /**
   * The descriptor (to hand to a child; it stays this object's);
   * `BadResource` once closed.
   */
  get fd(): number {
    return this.#owner.check();
  }

  /** Whether it has been closed. */
  get closed(): boolean {
    return this.#owner.closed;
  }

  /**
   * Its length in bytes now (`fstat`): another process may have changed it.
   *
   * @throws {Deno.errors.BadResource} once closed
   */
  get size(): number {
    return fstat(this.#owner.check()).size;
  }

  /**
   * Sets its length (`ftruncate`): new bytes read as zeros. Shrinking it
   * while a process has the end mapped makes touching that end fault there
   * (`SIGBUS`), as in C.
   *
   * @param size the new length in bytes
   * @throws {IpcError} `EINVAL` (opened read-only), `EPERM` (sealed),
   *   `EBUSY` (a mapping in this process reaches past `size`: unmap it first)
   * @throws {RangeError} for a size below 0 or beyond 2^53 - 1
   * @throws {Deno.errors.BadResource} once closed
   * @example
   * ```ts
   * import { PosixSharedMemory } from "@linux-ipc/ipc/pshm";
   * const name = `/linux-ipc-doc-trunc-${Deno.pid}`;
   * using shm = PosixSharedMemory.open(name, { create: {} });
   * shm.truncate(8192);
   * console.log(shm.size); // 8192
   * shm.unlink();
   * ```
   */
  truncate(size: number): void {
    size = int(
      size,
      "PosixSharedMemory.truncate",
      "size",
      0,
      Number.MAX_SAFE_INTEGER,
    );
    ftruncate(this.#owner.check(), size);
  }

  /**
   * Maps it (`mmap` with `MAP_SHARED`): writes are seen by every process
   * that maps it. The mapping outlives {@linkcode PosixSharedMemory.close};
   * close it on its own (`using`).
   *
   * @param options `mode` (default: the object's), `offset`, `length`
   *   (default: to the end)
   * @returns the mapping
   * @throws {IpcError} `EACCES` (`"rw"` on an object opened `"r"`), `ENODEV`
   *   (length 0: size it first)
   * @throws {Deno.errors.BadResource} once closed
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { PosixSharedMemory } from "@linux-ipc/ipc/pshm";
   * const name = `/linux-ipc-doc-map-${Deno.pid}`;
   * using shm = PosixSharedMemory.open(name, { create: { size: 4096 } });
   * using a = shm.map();
   * using b = shm.map({ mode: "r" });
   * a.memory.bytes[0] = 7;
   * console.log(b.memory.read(0, 1)[0]); // 7
   * shm.unlink();
   * ```
   */
  map(
    options: { mode?: "r" | "rw"; offset?: number; length?: number } = {},
  ): Mapping {
    knownOptions(
      options,
      ["mode", "offset", "length"],
      "PosixSharedMemory.map",
    );
    const where = "PosixSharedMemory.map";
    const mode = readWrite(options.mode, this.#mode, where);
    return mapFdFor(this.#owner.check(), { ...options, mode }, where);
  }

  /**
   * Removes its name (`shm_unlink`): processes that have it keep it.
   *
   * @throws {IpcError} `ENOENT` if the name is gone already
   * @example
   * ```ts
   * import { PosixSharedMemory } from "@linux-ipc/ipc/pshm";
   * using shm = PosixSharedMemory.open(`/linux-ipc-doc-u-${Deno.pid}`, { create: {} });
   * shm.unlink();
   * ```
   */
  unlink(): void {
    shm_unlink(this.#name);
  }

  /**
   * Closes the descriptor (the object and its mappings stay). Safe to call
   * twice.
   */
  close(): void {
    this.#owner.close();
  }

  /** Same as {@linkcode PosixSharedMemory.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
