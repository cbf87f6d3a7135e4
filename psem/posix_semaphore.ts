/**
 * {@linkcode PosixSemaphore}: a POSIX semaphore, named or unnamed, for
 * everyday use.
 *
 * @module
 */

import { createOption } from "../ffi/fd.ts";
import type { MemoryRegion } from "../ffi/memory.ts";
import {
  checkWaitOptions,
  ObjectRef,
  syncTimeout,
  type WaitOptions,
} from "../ffi/wait.ts";
import { int, knownOptions } from "../ffi/validate.ts";
import {
  endSemWaits,
  forgetSem,
  sem_at,
  sem_close,
  sem_destroy,
  sem_getvalue,
  sem_init,
  sem_open,
  sem_post,
  sem_trywait,
  sem_unlink,
  SEM_VALUE_MAX,
  sem_wait,
  sem_waitAsync,
  semAddress,
  semObject,
  type SemT,
  semWaitFor,
} from "./psem.ts";

/** How {@linkcode PosixSemaphore.open} opens or makes a named semaphore. */
export interface PosixSemaphoreOpenOptions {
  /**
   * Make it if it does not exist: its first `value` (default 0), its
   * permission bits (default `0o600`), and `exclusive` to fail with
   * `EEXIST` if it exists.
   */
  create?: { value?: number; mode?: number; exclusive?: boolean };
}

/** What {@linkcode PosixSemaphore.acquire} gives: posts again when disposed. */
export interface HeldSemaphore extends Disposable {
  /** Posts the semaphore (once; later calls do nothing). */
  release(): void;
}

/**
 * A POSIX semaphore, glibc's own `sem_t`: named (`sem_open`, reached by any
 * process that knows the name) or unnamed in shared memory (`sem_init`,
 * reached by the processes that map that memory). {@linkcode wait} is
 * async with `timeout` and `signal`; {@linkcode waitSync} blocks the
 * thread; `using held = await sem.acquire()` posts again at the end of the
 * block.
 *
 * @example A lock between processes, by name
 * ```ts
 * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
 * const name = `/linux-ipc-doc-class-${Deno.pid}`;
 * using sem = PosixSemaphore.open(name, { create: { value: 1 } });
 * {
 *   using _held = await sem.acquire({ timeout: 1000 });
 *   console.log(sem.value); // 0
 * }
 * console.log(sem.value); // 1
 * sem.unlink();
 * ```
 */
export class PosixSemaphore {
  #sem: SemT;
  #refs: ObjectRef;

  private constructor(sem: SemT) {
    this.#sem = sem;
    this.#refs = new ObjectRef(semObject(sem));
  }

  /**
   * Opens a named semaphore, or makes it with `create`.
   *
   * @param name `"/"` then a name without slashes
   * @param options `create`
   * @returns the semaphore
   * @throws {IpcError} `ENOENT`, `EEXIST`, `EACCES`
   * @throws {TypeError|RangeError} for a bad name or option
   * @throws {Deno.errors.NotCapable} without `--allow-read` and
   *   `--allow-write` for `/dev/shm/sem.NAME`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * const name = `/linux-ipc-doc-open-${Deno.pid}`;
   * PosixSemaphore.open(name, { create: { value: 3, exclusive: true } }).close();
   * using again = PosixSemaphore.open(name);
   * console.log(again.value); // 3
   * again.unlink();
   * ```
   */
  static open(
    name: string,
    options: PosixSemaphoreOpenOptions = {},
  ): PosixSemaphore {
    const where = "PosixSemaphore.open";
    knownOptions(options, ["create"], where);
    const [c, flags] = createOption(options.create, where, [
      "value",
      "mode",
      "exclusive",
    ]);
    const value = c?.value === undefined
      ? 0
      : int(c.value, where, "create.value", 0, SEM_VALUE_MAX);
    return new PosixSemaphore(sem_open(name, flags, c?.mode ?? 0o600, value));
  }

  /**
   * Makes an unnamed semaphore in shared memory (`sem_init` with pshared
   * 1): every process that maps the memory can use it
   * ({@linkcode PosixSemaphore.at}).
   *
   * @param memory the memory (a System V attachment, a `Mapping`'s memory)
   * @param offset where it goes, a multiple of 8 (32 bytes are used)
   * @param value its first value (default 0)
   * @returns the semaphore
   * @throws {TypeError|RangeError} for memory it cannot use, or a bad value
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * import { Mapping } from "@linux-ipc/ipc/mmap";
   * using map = Mapping.memfd(4096);
   * using sem = PosixSemaphore.init(map.memory, 0, 2);
   * console.log(sem.tryWait(), sem.value); // true 1
   * ```
   */
  static init(memory: MemoryRegion, offset = 0, value = 0): PosixSemaphore {
    // Checked under the method's own name first.
    semAddress(memory, offset, "PosixSemaphore.init", "memory");
    int(value, "PosixSemaphore.init", "value", 0, SEM_VALUE_MAX);
    return new PosixSemaphore(sem_init(memory, offset, 1, value));
  }

  /**
   * Uses an unnamed semaphore another process initialised in memory this
   * process maps too.
   *
   * @param memory the shared memory
   * @param offset the semaphore's offset (a multiple of 8)
   * @returns the semaphore
   * @throws {TypeError|RangeError} for memory it cannot use
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * import { Mapping } from "@linux-ipc/ipc/mmap";
   * using map = Mapping.memfd(4096);
   * PosixSemaphore.init(map.memory, 8, 4);
   * using same = PosixSemaphore.at(map.memory, 8);
   * console.log(same.value); // 4
   * ```
   */
  static at(memory: MemoryRegion, offset = 0): PosixSemaphore {
    semAddress(memory, offset, "PosixSemaphore.at", "memory");
    return new PosixSemaphore(sem_at(memory, offset));
  }

  /**
   * Removes a named semaphore's name (`sem_unlink`).
   *
   * @param name its name
   * @throws {IpcError} `ENOENT`
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * const name = `/linux-ipc-doc-unlinks-${Deno.pid}`;
   * PosixSemaphore.open(name, { create: {} }).close();
   * PosixSemaphore.unlink(name);
   * ```
   */
  static unlink(name: string): void {
    sem_unlink(name);
  }

  /** The name of a named semaphore, else null. */
  get name(): string | null {
    return this.#sem.name;
  }

  /** Whether it has been closed. */
  get closed(): boolean {
    return this.#sem.closed;
  }

  /**
   * Its value now (`sem_getvalue`).
   *
   * @throws {Deno.errors.BadResource} once closed, or its memory is gone
   */
  get value(): number {
    return sem_getvalue(this.#sem);
  }

  /**
   * Adds 1 (`sem_post`), waking a waiter.
   *
   * @throws {IpcError} `EOVERFLOW` at `SEM_VALUE_MAX`
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * import { Mapping } from "@linux-ipc/ipc/mmap";
   * using map = Mapping.anonymous(4096);
   * using sem = PosixSemaphore.init(map.memory);
   * sem.post();
   * console.log(sem.value); // 1
   * ```
   */
  post(): void {
    sem_post(this.#sem);
  }

  /**
   * Takes 1, waiting without blocking the event loop while the value is 0.
   *
   * @param options `timeout` (then `IpcError` `ETIMEDOUT`), `signal`
   * @throws {IpcError} `ETIMEDOUT`
   * @throws {Deno.errors.BadResource} once closed, or closed while waiting
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * import { Mapping } from "@linux-ipc/ipc/mmap";
   * using map = Mapping.anonymous(4096);
   * using sem = PosixSemaphore.init(map.memory);
   * setTimeout(() => sem.post(), 10);
   * await sem.wait({ timeout: 1000 });
   * ```
   */
  async wait(options: WaitOptions = {}): Promise<void> {
    checkWaitOptions(options, "PosixSemaphore.wait");
    await sem_waitAsync(this.#sem, options);
  }

  /**
   * Takes 1, blocking the thread while the value is 0 (`sem_wait`, or
   * with a timeout `sem_clockwait` on the monotonic clock, which setting
   * the wall clock does not move).
   *
   * @param options `timeout` in ms (then `IpcError` `ETIMEDOUT`)
   * @throws {IpcError} `ETIMEDOUT`
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * import { Mapping } from "@linux-ipc/ipc/mmap";
   * using map = Mapping.anonymous(4096);
   * using sem = PosixSemaphore.init(map.memory, 0, 1);
   * sem.waitSync({ timeout: 100 });
   * ```
   */
  waitSync(options: { timeout?: number } = {}): void {
    const timeout = syncTimeout(options, "PosixSemaphore.waitSync");
    if (timeout === undefined) return sem_wait(this.#sem);
    semWaitFor(this.#sem, timeout);
  }

  /**
   * Takes 1 if the value is above 0 (`sem_trywait`).
   *
   * @returns whether it took 1
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * import { Mapping } from "@linux-ipc/ipc/mmap";
   * using map = Mapping.anonymous(4096);
   * using sem = PosixSemaphore.init(map.memory);
   * console.log(sem.tryWait()); // false
   * ```
   */
  tryWait(): boolean {
    return sem_trywait(this.#sem);
  }

  /**
   * Waits (as {@linkcode wait}) and returns a hold that posts again when
   * disposed: `using held = await sem.acquire();`.
   *
   * @param options `timeout`, `signal`
   * @returns the hold
   * @throws {IpcError} `ETIMEDOUT`
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * import { Mapping } from "@linux-ipc/ipc/mmap";
   * using map = Mapping.anonymous(4096);
   * using sem = PosixSemaphore.init(map.memory, 0, 1);
   * {
   *   using _held = await sem.acquire();
   *   console.log(sem.value); // 0
   * }
   * console.log(sem.value); // 1
   * ```
   */
  async acquire(options: WaitOptions = {}): Promise<HeldSemaphore> {
    checkWaitOptions(options, "PosixSemaphore.acquire");
    await this.wait(options);
    return this.#hold();
  }

  /**
   * {@linkcode acquire}, blocking the thread.
   *
   * @param options `timeout` in ms
   * @returns the hold
   * @throws {IpcError} `ETIMEDOUT`
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * import { Mapping } from "@linux-ipc/ipc/mmap";
   * using map = Mapping.anonymous(4096);
   * using sem = PosixSemaphore.init(map.memory, 0, 1);
   * {
   *   using _held = sem.acquireSync();
   * }
   * console.log(sem.value); // 1
   * ```
   */
  acquireSync(options: { timeout?: number } = {}): HeldSemaphore {
    this.waitSync(options);
    return this.#hold();
  }

  #hold(): HeldSemaphore {
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      if (!this.#sem.closed) this.post();
    };
    return { release, [Symbol.dispose]: release };
  }

  /**
   * Removes a named semaphore's name (`sem_unlink`).
   *
   * @throws {TypeError} for an unnamed one
   * @throws {IpcError} `ENOENT`
   */
  unlink(): void {
    const name = this.#sem.name;
    if (name === null) {
      throw new TypeError("An unnamed semaphore has no name to unlink");
    }
    sem_unlink(name);
  }

  /**
   * Stops using it: `sem_close` for a named one (after its pending waits
   * end with `Deno.errors.BadResource`, as calls made afterwards throw); an
   * unnamed one (its waits end the same way) is left as it is in the shared memory
   * for the other processes (see {@linkcode destroy}). Safe to call twice.
   */
  close(): void {
    if (this.#sem.closed) return;
    this.ref();
    endSemWaits(
      this.#sem,
      new Deno.errors.BadResource(
        "The semaphore was closed while the call waited",
      ),
    );
    if (this.#sem.name !== null) sem_close(this.#sem);
    else forgetSem(this.#sem);
  }

  /**
   * Ends an unnamed semaphore for every process (`sem_destroy`), after its
   * pending waits here end with `EBADF`.
   *
   * @throws {TypeError} for a named one
   */
  destroy(): void {
    sem_destroy(this.#sem);
    this.ref();
  }

  /**
   * Lets the process end while async calls on this semaphore are pending
   * (`wait`, `acquire`), as `Deno.Conn.unref()` does: they, and those made
   * until {@linkcode PosixSemaphore.ref}, no longer keep it alive, their
   * timeouts included. Does nothing once closed.
   *
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * const name = `/linux-ipc-doc-unref-${Deno.pid}`;
   * const sem = PosixSemaphore.open(name, { create: {} });
   * sem.unlink();
   * // Wait for a post that may never come, without keeping the program
   * // alive for it.
   * sem.unref();
   * const posted = sem.wait().catch(() => "closed");
   * sem.close(); // (here, so that the example ends at once)
   * console.log(await posted); // "closed"
   * ```
   */
  unref(): void {
    if (!this.#sem.closed) this.#refs.unref();
  }

  /**
   * Makes the async calls on this semaphore keep the process alive again,
   * as they do at first (see {@linkcode PosixSemaphore.unref}).
   *
   * @example
   * ```ts
   * import { PosixSemaphore } from "@linux-ipc/ipc/psem";
   * const name = `/linux-ipc-doc-ref-${Deno.pid}`;
   * using sem = PosixSemaphore.open(name, { create: {} });
   * sem.unlink();
   * sem.unref();
   * sem.ref();
   * ```
   */
  ref(): void {
    this.#refs.ref();
  }

  /** Same as {@linkcode PosixSemaphore.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
