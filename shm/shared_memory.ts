/**
 * {@linkcode SharedMemory}: a System V shared memory segment for everyday use.
 *
 * @module
 */

import { checkPermSet } from "../ffi/ipc_set.ts";
import {
  IPC_CREAT,
  IPC_EXCL,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_SET,
  IPC_STAT,
} from "../ffi/ipc.ts";
import { hasCode, liveId, removedError, unlessGone } from "../ffi/errors.ts";
import type { IpcPermSet, ShmidDs } from "../ffi/layout.ts";
import type { MemoryRegion } from "../ffi/memory.ts";
import {
  boolOption,
  existingKey,
  ifExists as checkIfExists,
  int,
  isOptionsObject,
  key as checkKey,
  knownOptions,
  LIMITS,
  openOptions,
  show,
} from "../ffi/validate.ts";
import {
  SHM_DEST,
  SHM_LOCK,
  SHM_RDONLY,
  SHM_RND,
  SHM_UNLOCK,
  shmat,
  shmctl,
  shmget,
} from "./shm.ts";

/** How {@linkcode SharedMemory.create} makes a segment. */
export interface SharedMemoryCreateOptions {
  /** The key (from `ftok` or agreed); default `IPC_PRIVATE`, always a new segment. */
  key?: number;
  /** Size in bytes; the kernel rounds the memory up to whole pages. */
  size: number;
  /** Permission bits, default `0o600` (owner read and write). */
  mode?: number;
  /**
   * What to do if the key already has a segment: `"fail"` (the default)
   * throws `IpcError` `EEXIST`; `"open"` opens it instead (race-free).
   */
  ifExists?: "fail" | "open";
  /**
   * Remove the segment when the object is disposed or closed. Default: true
   * if this call created the segment, false if it opened an existing one.
   */
  removeOnDispose?: boolean;
}

/** How {@linkcode SharedMemory.open} opens a segment. */
export interface SharedMemoryOpenOptions {
  /** Remove the segment when the object is disposed or closed (default false). */
  removeOnDispose?: boolean;
}

/** How {@linkcode SharedMemory.attach} attaches a segment. */
export interface SharedMemoryAttachOptions {
  /** Attach read-only (`SHM_RDONLY`): the region then offers copying reads only. */
  readOnly?: boolean;
  /** The address to attach at; default: the kernel chooses. */
  address?: bigint;
  /** Round `address` down to a page boundary (`SHM_RND`). */
  round?: boolean;
}

/**
 * A System V shared memory segment: create or open it by key, attach it as
 * zero-copy memory, read its status, remove it. Disposing it detaches what it
 * attached and, if it created the segment, removes it.
 *
 * @example Create, write, read back
 * ```ts
 * import { SharedMemory } from "@linux-ipc/ipc";
 * using shm = SharedMemory.create({ size: 4096 });
 * using memory = shm.attach();
 * memory.writeCString("Hello, world.");
 * console.log(memory.readCString(), shm.stat().nattch); // "Hello, world." 1
 * ```
 *
 * @example Two handles on one key, as two processes would use it
 * ```ts
 * import { ftok, SharedMemory } from "@linux-ipc/ipc";
 * const path = Deno.makeTempFileSync(); // any file both processes know
 * const key = ftok(path, 42);
 * Deno.removeSync(path); // the key stays valid
 * using writer = SharedMemory.create({ key, size: 4096, ifExists: "open" });
 * writer.attach().writeCString("Hello, IPC world!");
 * using reader = SharedMemory.open(key); // in another process, the same call
 * using memory = reader.attach({ readOnly: true });
 * console.log(memory.readCString()); // "Hello, IPC world!"
 * ```
 */
export class SharedMemory {
  #id: number;
  #key: number;
  #created: boolean;
  #removeOnDispose: boolean;
  #removed = false;
  #closed = false;
  #attachments = new Set<MemoryRegion>();

  private constructor(
    id: number,
    key: number,
    created: boolean,
    removeOnDispose: boolean,
  ) {
    this.#id = id;
    this.#key = key;
    this.#created = created;
    this.#removeOnDispose = removeOnDispose;
  }

  /**
   * Creates a segment, or with `ifExists: "open"` opens the key's existing
   * one. Creation and opening never race: the segment is created with
   * `IPC_EXCL` first and only opened if that reports `EEXIST`.
   *
   * @param options key, size, mode and what to do if it exists
   * @returns the segment
   * @throws {IpcError} `EEXIST` if the key has a segment and `ifExists` is `"fail"`;
   *   `EINVAL` if an existing segment is smaller than `size`; `EACCES`; `ENOSPC`
   * @throws {RangeError} for a negative size or a mode outside `0o777`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * const key = 0x5eed0000 + (Deno.pid & 0xffff); // any key the processes agree on
   * using shm = SharedMemory.create({ key, size: 4096, ifExists: "open" });
   * console.log(shm.created);
   * ```
   */
  static create(options: SharedMemoryCreateOptions): SharedMemory {
    if (!isOptionsObject(options)) {
      throw new TypeError(
        "Invalid argument to SharedMemory.create: expected { size, key?, mode?, ifExists? }",
      );
    }
    knownOptions(options, [
      "key",
      "size",
      "mode",
      "ifExists",
      "removeOnDispose",
    ], "SharedMemory.create");
    const where = "SharedMemory.create";
    const key = checkKey(options.key ?? IPC_PRIVATE, where);
    int(options.size, where, "size", 0, Number.MAX_SAFE_INTEGER);
    const mode = int(options.mode ?? 0o600, where, "mode", 0, 0o777);
    const ifExists = checkIfExists(options.ifExists, "SharedMemory.create");
    const remove = options.removeOnDispose;
    // Checked before anything is made (an opened segment's default differs).
    boolOption(remove, true, "removeOnDispose", "SharedMemory.create");
    for (let attempt = 0;; attempt++) {
      try {
        const id = shmget(key, options.size, IPC_CREAT | IPC_EXCL | mode);
        return new SharedMemory(id, key, true, remove ?? true);
      } catch (e) {
        if (!(ifExists === "open" && hasCode(e, "EEXIST"))) throw e;
      }
      try {
        const id = shmget(key, options.size, mode);
        return new SharedMemory(id, key, false, remove ?? false);
      } catch (e) {
        // Removed between the two calls: try to create it again.
        if (!hasCode(e, "ENOENT") || attempt >= 100) throw e;
      }
    }
  }

  /**
   * Opens the existing segment of a key.
   *
   * @param key the key (from `ftok` or agreed with the creator)
   * @param options whether to remove it on dispose
   * @returns the segment
   * @throws {IpcError} `ENOENT` if the key has no segment; `EACCES`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * const key = 0x5eed0000 + (Deno.pid & 0xffff); // any key the processes agree on
   * using created = SharedMemory.create({ key, size: 4096 });
   * using opened = SharedMemory.open(key);
   * console.log(opened.id === created.id); // true
   * ```
   */
  static open(
    key: number,
    options: SharedMemoryOpenOptions = {},
  ): SharedMemory {
    const remove = openOptions(options, "SharedMemory.open");
    const k = existingKey(
      key,
      "SharedMemory.open",
      "segment",
      "SharedMemory.fromId",
    );
    const id = shmget(k, 0, 0);
    return new SharedMemory(id, k, false, remove);
  }

  /**
   * Wraps a segment id received from another process (as with an
   * `IPC_PRIVATE` segment whose id the creator passes on).
   *
   * @param id the segment id
   * @param options whether to remove it on dispose
   * @returns the segment
   * @throws {IpcError} `EINVAL`/`EIDRM` if no segment has this id
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * using created = SharedMemory.create({ size: 4096 });
   * // The id travels to another process (an argument, a message)...
   * using opened = SharedMemory.fromId(created.id);
   * console.log(opened.size); // 4096
   * ```
   */
  static fromId(
    id: number,
    options: SharedMemoryOpenOptions = {},
  ): SharedMemory {
    const remove = openOptions(options, "SharedMemory.fromId");
    id = int(id, "SharedMemory.fromId", "id", 0, LIMITS.INT_MAX);
    const stat = shmctl(id, IPC_STAT);
    return new SharedMemory(id, stat.perm.key, false, remove);
  }

  /** The segment id (as `ipcs -m` shows it). */
  get id(): number {
    return this.#id;
  }

  /** The key the segment was made with (`IPC_PRIVATE` is 0). */
  get key(): number {
    return this.#key;
  }

  /** Whether this object created the segment (rather than opened it). */
  get created(): boolean {
    return this.#created;
  }

  /** Whether {@linkcode SharedMemory.remove} has run on this object. */
  get removed(): boolean {
    return this.#removed;
  }

  /**
   * The segment's size in bytes, as created.
   *
   * @throws {IpcError} `EINVAL`/`EIDRM` if the segment is gone
   */
  get size(): number {
    return this.stat().segsz;
  }

  /**
   * Attaches the segment and returns its memory. The attachment is detached
   * when the region is disposed, or when this object is.
   *
   * @param options read-only, and where to attach
   * @returns the attached memory
   * @throws {IpcError} `EACCES`, `EINVAL` (bad address), `EIDRM` (segment removed)
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * using shm = SharedMemory.create({ size: 4096 });
   * using memory = shm.attach();
   * new Int32Array(memory.bytes.buffer)[0] = 42;
   * ```
   */
  attach(options: SharedMemoryAttachOptions = {}): MemoryRegion {
    knownOptions(
      options,
      ["readOnly", "address", "round"],
      "SharedMemory.attach",
    );
    const where = "SharedMemory.attach";
    const flags =
      (boolOption(options.readOnly, false, "readOnly", where)
        ? SHM_RDONLY
        : 0) |
      (boolOption(options.round, false, "round", where) ? SHM_RND : 0);
    const address: unknown = options.address ?? null;
    if (
      address !== null &&
      (typeof address !== "bigint" || address < 0n || address >= 1n << 64n)
    ) {
      throw new TypeError(
        `Invalid option "address" to ${where}: expected an address as a non-negative bigint, got "${
          show(address)
        }"`,
      );
    }
    const region = shmat(this.#live("shmat"), address, flags);
    for (const r of this.#attachments) {
      if (r.detached) this.#attachments.delete(r);
    }
    this.#attachments.add(region);
    return region;
  }

  /**
   * Reads the segment's status (`shmctl(IPC_STAT)`).
   *
   * @returns the status: owner, mode, size, times, creator and last pids, attach count
   * @throws {IpcError} `EINVAL`/`EIDRM` if the segment is gone
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * using shm = SharedMemory.create({ size: 100 });
   * console.log(shm.stat().segsz); // 100
   * ```
   */
  stat(): ShmidDs {
    return shmctl(this.#live("shmctl"), IPC_STAT);
  }

  /**
   * Changes the segment's owner or mode (`shmctl(IPC_SET)`).
   *
   * @param perm the fields to change
   * @throws {IpcError} `EPERM` unless this process owns or created the segment
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * using shm = SharedMemory.create({ size: 4096 });
   * shm.set({ mode: 0o640 });
   * ```
   */
  set(perm: IpcPermSet): void {
    checkPermSet(perm, "SharedMemory.set", "perm");
    shmctl(this.#live("shmctl"), IPC_SET, perm);
  }

  /**
   * Locks the segment in memory so it is never swapped (`SHM_LOCK`).
   *
   * @throws {IpcError} `EPERM` or `ENOMEM` beyond `RLIMIT_MEMLOCK` without privilege
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * using shm = SharedMemory.create({ size: 4096 });
   * shm.lock();
   * shm.unlock();
   * ```
   */
  lock(): void {
    shmctl(this.#live("shmctl"), SHM_LOCK);
  }

  /**
   * Undoes {@linkcode SharedMemory.lock} (`SHM_UNLOCK`).
   *
   * @throws {IpcError} `EPERM` without privilege
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * using shm = SharedMemory.create({ size: 4096 });
   * shm.lock();
   * shm.unlock();
   * ```
   */
  unlock(): void {
    shmctl(this.#live("shmctl"), SHM_UNLOCK);
  }

  /**
   * Marks the segment for removal (`shmctl(IPC_RMID)`): it goes once the last
   * process detaches. Safe to call twice, and if another process removed it.
   *
   * @throws {IpcError} `EPERM` unless this process owns or created the segment
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * const shm = SharedMemory.create({ size: 4096 });
   * shm.remove();
   * shm.remove(); // no-op
   * ```
   */
  remove(): void {
    if (this.#removed) return;
    unlessGone(() => shmctl(this.#id, IPC_RMID));
    this.#removed = true;
  }

  /**
   * Detaches every attachment made through this object and, if it is to be
   * removed on dispose, removes the segment. Calls made on the object
   * afterwards throw `Deno.errors.BadResource` (`remove()` still removes
   * the segment). Safe to call twice.
   *
   * @example
   * ```ts
   * import { SharedMemory } from "@linux-ipc/ipc";
   * const shm = SharedMemory.create({ size: 4096 });
   * shm.attach();
   * shm.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    for (const region of this.#attachments) region.close();
    this.#attachments.clear();
    if (this.#removeOnDispose) this.remove();
    this.#closed = true;
  }

  /**
   * The id, for a call on the segment: refused once this object was
   * closed. Once it removed the segment, the segment lives on while
   * attached (and Linux lets it be attached again), marked `SHM_DEST`;
   * without that mark the id is gone, or names a segment made since (ids
   * are reused), which no call must touch.
   */
  #live(syscall: string): number {
    liveId(
      this.#id,
      this.#closed,
      false,
      syscall,
      "shmid",
      "shared memory segment",
      "segment",
    );
    if (this.#removed) {
      let mode = 0;
      try {
        mode = shmctl(this.#id, IPC_STAT).perm.mode;
      } catch (e) {
        if (!hasCode(e, "EINVAL", "EIDRM")) throw e;
      }
      if ((mode & SHM_DEST) === 0) {
        throw removedError(syscall, "shmid", this.#id, "segment");
      }
    }
    return this.#id;
  }

  /** Same as {@linkcode SharedMemory.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
