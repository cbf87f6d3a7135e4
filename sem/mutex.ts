/**
 * {@linkcode Mutex}: a lock shared by processes, on one System V semaphore
 * with `SEM_UNDO`, so that a holder that dies releases it.
 *
 * @module
 */

import { unlessGone } from "../ffi/errors.ts";
import { knownOptions } from "../ffi/validate.ts";
import {
  checkWaitOptions,
  syncTimeout,
  type WaitOptions,
} from "../ffi/wait.ts";
import { SEM_UNDO } from "./sem.ts";
import {
  type SemaphoreSet,
  type SemaphoreSetOpenAsyncOptions,
  type SemaphoreSetOpenOptions,
  setsNamedFor,
} from "./semaphore_set.ts";

/** How {@linkcode Mutex.create} makes a lock. */
export interface MutexCreateOptions {
  /** The key; default `IPC_PRIVATE`. */
  key?: number;
  /** Permission bits, default `0o600`. */
  mode?: number;
  /** `"fail"` (default) or `"open"` if the key has a set already. */
  ifExists?: "fail" | "open";
  /** Remove the semaphore on dispose. Default: true if this call created it. */
  removeOnDispose?: boolean;
}

const ACQUIRE = [{ num: 0, op: -1, flags: SEM_UNDO }] as const;
const RELEASE = [{ num: 0, op: 1, flags: SEM_UNDO }] as const;

/**
 * A held {@linkcode Mutex}: release it, or let `using` do it.
 *
 * @example
 * ```ts
 * import { Mutex } from "@linux-ipc/ipc";
 * using mutex = Mutex.create();
 * {
 *   using _lock = await mutex.acquire();
 *   // only one process at a time runs here
 * }
 * ```
 */
export class MutexLock {
  #set: SemaphoreSet | null;

  /**
   * Not for callers: locks come from `Mutex.acquire`.
   *
   * @param set the semaphore set that was decremented
   */
  constructor(set: SemaphoreSet) {
    this.#set = set;
  }

  /** Whether the lock has been released. */
  get released(): boolean {
    return this.#set === null;
  }

  /**
   * Releases the lock. Safe to call twice; a lock whose semaphore was
   * removed meanwhile is simply gone.
   *
   * @throws {IpcError} for an unexpected failure of `semop`
   */
  release(): void {
    const set = this.#set;
    if (set === null) return;
    this.#set = null;
    unlessGone(() => set.opSync(RELEASE));
  }

  /** Same as {@linkcode MutexLock.release}. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * A lock shared by processes: one System V semaphore that starts at 1,
 * decremented to acquire and incremented to release, both with `SEM_UNDO`,
 * so the kernel releases the lock of a holder that exits or is killed.
 *
 * @example
 * ```ts
 * import { Mutex } from "@linux-ipc/ipc";
 * const key = 0x10c40000 + (Deno.pid & 0xffff); // any key the processes agree on
 * using mutex = Mutex.create({ key, ifExists: "open" });
 * using lock = await mutex.acquire({ timeout: 5000 });
 * // ... touch the shared memory ...
 * ```
 */
export class Mutex {
  #set: SemaphoreSet;

  private constructor(set: SemaphoreSet) {
    // A lock's semaphore is 1 (free) or 0 (held): any other value would let
    // that many holders in at once.
    const value = set.value(0);
    if (value > 1) {
      throw new RangeError(
        `Semaphore set "${set.id}" is not a lock: semaphore 0 is "${value}", where a Mutex holds 0 or 1`,
      );
    }
    this.#set = set;
  }

  /**
   * Creates a lock (or opens the key's with `ifExists: "open"`), released.
   *
   * @param options key, mode, what to do if it exists
   * @returns the lock
   * @throws {IpcError} `EEXIST` if the key has a set and `ifExists` is `"fail"`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * using mutex = Mutex.create();
   * ```
   */
  static create(options: MutexCreateOptions = {}): Mutex {
    knownOptions(
      options,
      ["key", "mode", "ifExists", "removeOnDispose"],
      "Mutex.create",
    );
    // The set's own checks name Mutex.create.
    return new Mutex(
      setsNamedFor.create({ ...options, count: 1, initial: 1 }, "Mutex"),
    );
  }

  /**
   * Opens the lock of a key.
   *
   * @param key the key
   * @param options whether to remove it on dispose
   * @returns the lock
   * @throws {IpcError} `ENOENT` if the key has none
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * const key = 0x10c50000 + (Deno.pid & 0xffff); // any key the processes agree on
   * using created = Mutex.create({ key });
   * using opened = Mutex.open(key);
   * ```
   */
  static open(key: number, options: SemaphoreSetOpenOptions = {}): Mutex {
    return new Mutex(setsNamedFor.open(key, options, "Mutex"));
  }

  /**
   * Opens the lock of a key once its creator has initialised it, waiting
   * without blocking the event loop (see {@linkcode SemaphoreSet.openAsync}).
   *
   * @param key the key
   * @param options `initTimeout` (default 5000 ms), `signal`, `removeOnDispose`
   * @returns the lock
   * @throws {IpcError} `ENOENT` if the key has none; `ETIMEDOUT`
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * const key = 0x10c60000 + (Deno.pid & 0xffff); // any key the processes agree on
   * using created = Mutex.create({ key });
   * using opened = await Mutex.openAsync(key);
   * ```
   */
  static async openAsync(
    key: number,
    options: SemaphoreSetOpenAsyncOptions = {},
  ): Promise<Mutex> {
    return new Mutex(await setsNamedFor.openAsync(key, options, "Mutex"));
  }

  /**
   * Wraps the lock of a set id received from another process.
   *
   * @param id the semaphore set id
   * @param options whether to remove it on dispose
   * @returns the lock
   * @throws {IpcError} `EINVAL`/`EIDRM` if no set has this id
   * @throws {RangeError} if its semaphore 0 is above 1: not a lock
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * using created = Mutex.create();
   * using opened = Mutex.fromId(created.id);
   * ```
   */
  static fromId(id: number, options: SemaphoreSetOpenOptions = {}): Mutex {
    return new Mutex(setsNamedFor.fromId(id, options, "Mutex"));
  }

  /** The semaphore set id. */
  get id(): number {
    return this.#set.id;
  }

  /** Whether the lock is free right now (a snapshot). */
  get free(): boolean {
    return this.#set.value(0) > 0;
  }

  /**
   * Acquires the lock without blocking the event loop.
   *
   * @param options `timeout` in milliseconds, `signal` to cancel
   * @returns the held lock
   * @throws {IpcError} `ETIMEDOUT` on timeout; `EIDRM` if the lock is removed meanwhile
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * using mutex = Mutex.create();
   * using lock = await mutex.acquire();
   * ```
   */
  async acquire(options: WaitOptions = {}): Promise<MutexLock> {
    checkWaitOptions(options, "Mutex.acquire"); // named for its caller
    await this.#set.op(ACQUIRE, options);
    return new MutexLock(this.#set);
  }

  /**
   * Acquires the lock, blocking this thread until it is free.
   *
   * @param options `timeout` in milliseconds
   * @returns the held lock
   * @throws {IpcError} `ETIMEDOUT` on timeout; `EIDRM`
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * using mutex = Mutex.create();
   * using lock = mutex.acquireSync();
   * ```
   */
  acquireSync(options: { timeout?: number } = {}): MutexLock {
    syncTimeout(options, "Mutex.acquireSync"); // named for its caller
    this.#set.opSync(ACQUIRE, options);
    return new MutexLock(this.#set);
  }

  /**
   * Acquires the lock if it is free now.
   *
   * @returns the held lock, or null if another holds it
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * using mutex = Mutex.create();
   * using lock = mutex.tryAcquire();
   * console.log(lock !== null); // true
   * ```
   */
  tryAcquire(): MutexLock | null {
    return this.#set.tryOp(ACQUIRE) ? new MutexLock(this.#set) : null;
  }

  /**
   * Removes the lock's semaphore: waiters fail with `EIDRM`. Safe twice.
   *
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * const mutex = Mutex.create();
   * mutex.remove();
   * ```
   */
  remove(): void {
    this.#set.remove();
  }

  /**
   * Removes the semaphore if this object created it. Safe to call twice.
   *
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * const mutex = Mutex.create();
   * mutex.close();
   * ```
   */
  close(): void {
    this.#set.close();
  }

  /**
   * Lets the process end while `acquire` calls on this lock are pending, as
   * {@linkcode SemaphoreSet.unref} does for the lock's set (for every
   * object on the same lock in this process, until `ref()`, `close()` or
   * `remove()`).
   *
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * using mutex = Mutex.create();
   * mutex.unref();
   * mutex.ref();
   * ```
   */
  unref(): void {
    this.#set.unref();
  }

  /**
   * Makes the `acquire` calls on this lock keep the process alive again,
   * as they do at first (see {@linkcode Mutex.unref}).
   *
   * @example
   * ```ts
   * import { Mutex } from "@linux-ipc/ipc";
   * using mutex = Mutex.create();
   * mutex.unref();
   * mutex.ref();
   * ```
   */
  ref(): void {
    this.#set.ref();
  }

  /** Same as {@linkcode Mutex.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
