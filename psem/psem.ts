/**
 * The thin layer over POSIX semaphores (`<semaphore.h>`): `sem_open`,
 * `sem_close`, `sem_unlink` (named), `sem_init`, `sem_destroy` (unnamed,
 * in shared memory), `sem_post`, `sem_wait`, `sem_trywait`,
 * `sem_timedwait`, `sem_getvalue`, by their C names, and `sem_waitAsync`.
 * The semaphore is glibc's own `sem_t`, the object C programs use.
 *
 * A `sem_t *` is a {@linkcode SemT} here: it remembers the memory it lives
 * in, so that no call can touch a semaphore whose memory is gone (closed,
 * unmapped, made read-only): such a call throws instead of crashing the
 * process. Re-exported by `psem/mod.ts`.
 *
 * @module
 */

import {
  addressOf,
  CLOCK_MONOTONIC,
  libc,
  monotonicMs,
  pointerAt,
} from "../ffi/libc.ts";
import {
  EAGAIN,
  EBADF,
  EINTR,
  EINVAL,
  errorFor,
  errorOf,
  ETIMEDOUT,
  IpcError,
  lastError,
  restartOnEintr,
  resultOf,
  resultOrErrno,
} from "../ffi/errors.ts";
import { O_CREAT, O_EXCL } from "../ffi/fd.ts";
import {
  encodeTimespec,
  isSemFlag,
  semFlagView,
  SIZEOF,
} from "../ffi/layout.ts";
import { MemoryRegion, pinRegion } from "../ffi/memory.ts";
import { requirePath } from "../ffi/permissions.ts";
import { timedOut } from "../ffi/poll.ts";
import {
  absoluteTime,
  flags as checkFlags,
  int,
  LIMITS,
  posixName,
  show,
} from "../ffi/validate.ts";
import {
  checkWaitOptions,
  endKeyedWaits,
  tryWithoutWaiting,
  wait,
  type WaitOptions,
} from "../ffi/wait.ts";

/** The largest value a semaphore holds. */
export const SEM_VALUE_MAX = 2147483647;
/** The longest name after the slash (the file is `/dev/shm/sem.NAME`). */
export const SEM_NAME_MAX = 251;
/** `sizeof(sem_t)`: the bytes an unnamed semaphore takes in memory. */
export const SIZEOF_SEM_T = 32;

const OPEN_FLAGS = O_CREAT | O_EXCL;

// Set by SemT's static block: its private parts, for this module only.
let make: (
  address: bigint,
  region: MemoryRegion | null,
  name: string | null,
) => SemT;
let pointer: (sem: SemT, syscall: string) => Deno.PointerObject;
let checkInitialised: (sem: SemT, syscall: string) => void;
let regionOf: (sem: SemT) => MemoryRegion | null;
/** The engine key of a handle's async waits (its own: closing ends them). */
let waitKey: (sem: SemT) => string;
let handles = 0;
let markClosed: (sem: SemT) => void;
let track: (sem: SemT, delta: number) => void;

/**
 * How a handle's async waits name it to the engine
 * ({@linkcode BlockingOp.object}), for `PosixSemaphore`'s `ref()` and
 * `unref()` (`refObject` in `ffi/wait.ts`): the handle's own key.
 *
 * @param sem the handle
 * @returns the name
 */
export function semObject(sem: SemT): string {
  return waitKey(sem);
}

/**
 * A `sem_t *`: a named semaphore from {@linkcode sem_open}, or an unnamed
 * one in shared memory from {@linkcode sem_init} or {@linkcode sem_at}.
 * Opaque: pass it to the `sem_*` calls.
 */
export class SemT {
  #address: bigint;
  #ptr: Deno.PointerObject | undefined;
  /** Its futex flag, read at every call (see `#pointer`). */
  #flag: Int32Array | undefined;
  #region: MemoryRegion | null;
  #name: string | null;
  #closed = false;
  #waits = 0;
  #closeWhenIdle = false;
  #key: string;

  private constructor(
    address: bigint,
    region: MemoryRegion | null,
    name: string | null,
  ) {
    this.#key = `sem_wait:${address}:${handles++}`;
    this.#address = address;
    this.#region = region;
    this.#name = name;
  }

  static {
    make = (address, region, name) => new SemT(address, region, name);
    pointer = (sem, syscall) => sem.#pointer(syscall);
    checkInitialised = (sem, syscall) => sem.#checkInitialised(syscall);
    regionOf = (sem) => sem.#region;
    waitKey = (sem) => sem.#key;

    markClosed = (sem) => sem.#close();
    track = (sem, delta) => sem.#track(delta);
  }

  /** The name of a named semaphore, else null. */
  get name(): string | null {
    return this.#name;
  }

  /** Whether `sem_close` (or `sem_destroy`) has been called on it. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Where the `sem_t` is in this process's memory. */
  get address(): bigint {
    return this.#address;
  }

  #pointer(syscall: string): Deno.PointerObject {
    if (this.#closed) {
      throw new Deno.errors.BadResource(
        `The semaphore is closed: ${syscall} cannot use it`,
      );
    }
    const r = this.#region;
    if (r !== null) {
      if (r.detached) {
        throw new Deno.errors.BadResource(
          `The memory of the semaphore is unmapped: ${syscall} cannot use it`,
        );
      }
      if (r.access !== "readwrite") {
        throw new TypeError(
          `Invalid argument "sem" to ${syscall}: the memory of the semaphore is not writable ("${r.access}"), and the call needs read and write access`,
        );
      }
    }
    const p = this.#ptr ??= pointerAt(this.#address)!;
    // glibc aborts the process (a futex call with a garbage "private"
    // flag) on memory that holds no semaphore: it must say 0 (one
    // process) or FUTEX_PRIVATE_FLAG (shared) there, as sem_init leaves
    // it. Checked at every call, since the memory may be written over
    // after sem_init (by this process or a peer); a write during a call
    // can still crash it, in C as here.
    const flag = (this.#flag ??= semFlagView(p))[0];
    if (!isSemFlag(flag)) {
      throw new IpcError(EINVAL, {
        syscall,
        argument: "sem",
        hint:
          "the memory holds no semaphore (never initialised by sem_init, or written over since)",
      });
    }
    return p;
  }

  /** Checks that the memory holds a semaphore (see `#pointer`). */
  #checkInitialised(syscall: string): void {
    this.#pointer(syscall);
  }

  /** Marks it closed; unmaps a named one now or once its waits end. */
  #close(): void {
    if (this.#closed) {
      throw new Deno.errors.BadResource("The semaphore is already closed");
    }
    this.#closed = true;
    this.#flag = undefined;
    if (this.#name === null) return;
    if (this.#waits > 0) this.#closeWhenIdle = true;
    else this.#unmap();
  }

  #track(delta: number): void {
    this.#waits += delta;
    if (this.#waits === 0 && this.#closeWhenIdle) {
      this.#closeWhenIdle = false;
      this.#unmap();
    }
  }

  #unmap(): void {
    libc().sem_close(pointerAt(this.#address));
  }
}

function checkSem(sem: unknown, syscall: string): SemT {
  if (!(sem instanceof SemT)) {
    throw new TypeError(
      `Invalid argument "sem" to ${syscall}: expected a SemT from sem_open or sem_init, got "${
        show(sem)
      }"`,
    );
  }
  return sem;
}

function checkName(
  name: string,
  syscall: string,
): [Uint8Array<ArrayBuffer>, string] {
  return posixName(name, syscall, "/dev/shm/sem.", SEM_NAME_MAX);
}

/**
 * Opens (or with `O_CREAT` makes) a named semaphore (`sem_open`). glibc
 * maps it into this process; {@linkcode sem_close} unmaps it.
 *
 * @param name `"/"` then up to 251 bytes without a slash
 * @param oflag 0, or `O_CREAT`, with `O_EXCL`
 * @param mode with `O_CREAT`: permission bits (default `0o600`)
 * @param value with `O_CREAT`: the first value, 0 to `SEM_VALUE_MAX` (default 0)
 * @returns the semaphore
 * @throws {IpcError} `ENOENT`, `EEXIST`, `EACCES`, `EMFILE`
 * @throws {TypeError|RangeError} for a bad name, flag or value
 * @throws {Deno.errors.NotCapable} without `--allow-read` and `--allow-write`
 *   for `/dev/shm/sem.NAME`
 * @example
 * ```ts
 * import { O_CREAT, sem_close, sem_getvalue, sem_open, sem_post, sem_unlink } from "@linux-ipc/ipc/psem";
 * const name = `/linux-ipc-doc-${Deno.pid}`;
 * const sem = sem_open(name, O_CREAT, 0o600, 1);
 * sem_post(sem);
 * console.log(sem_getvalue(sem)); // 2
 * sem_close(sem);
 * sem_unlink(name);
 * ```
 */
export function sem_open(
  name: string,
  oflag: number,
  mode = 0o600,
  value = 0,
): SemT {
  const [c, path] = checkName(name, "sem_open");
  oflag = checkFlags(oflag, OPEN_FLAGS, "sem_open", "oflag");
  mode = int(mode, "sem_open", "mode", 0, 0o7777);
  value = int(value, "sem_open", "value", 0, SEM_VALUE_MAX);
  requirePath("read", path);
  requirePath("write", path);
  const p = libc().sem_open(c, oflag, mode, value);
  // SEM_FAILED is (sem_t *) 0.
  if (p === null) {
    throw lastError("sem_open")(
      {
        ENOENT: "name",
        EEXIST: "name",
        EACCES: "name",
        EINVAL: "value",
        ENAMETOOLONG: "name",
        EMFILE: "name",
        ENFILE: "name",
      },
      { name, value },
      {
        ENOENT: "no semaphore has this name and O_CREAT was not given",
        EEXIST: "a semaphore has this name and O_EXCL was given",
        EACCES: "its mode does not grant this process read and write access",
      },
    );
  }
  return make(addressOf(p), null, name);
}

/**
 * Closes a named semaphore (`sem_close`): this process can no longer use
 * it; it stays for others until unlinked. Async waits on it end first
 * (`EBADF`); its memory is unmapped once they have.
 *
 * @param sem the semaphore from {@linkcode sem_open}
 * @throws {TypeError} for an unnamed one (use {@linkcode sem_destroy})
 * @throws {Deno.errors.BadResource} if closed already
 * @example
 * ```ts
 * import { O_CREAT, sem_close, sem_open, sem_unlink } from "@linux-ipc/ipc/psem";
 * const name = `/linux-ipc-doc-close-${Deno.pid}`;
 * sem_close(sem_open(name, O_CREAT));
 * sem_unlink(name);
 * ```
 */
export function sem_close(sem: SemT): void {
  checkSem(sem, "sem_close");
  if (sem.name === null) {
    throw new TypeError(
      'Invalid argument "sem" to sem_close: an unnamed semaphore is ended with sem_destroy',
    );
  }
  endSemWaits(sem);
  markClosed(sem);
}

/**
 * Removes a named semaphore's name (`sem_unlink`); it goes once no
 * process has it open.
 *
 * @param name its name
 * @throws {IpcError} `ENOENT`, `EACCES`
 * @throws {Deno.errors.NotCapable} without `--allow-write` for `/dev/shm/sem.NAME`
 * @example
 * ```ts
 * import { O_CREAT, sem_close, sem_open, sem_unlink } from "@linux-ipc/ipc/psem";
 * const name = `/linux-ipc-doc-unlink-${Deno.pid}`;
 * sem_close(sem_open(name, O_CREAT));
 * sem_unlink(name);
 * ```
 */
export function sem_unlink(name: string): void {
  const [c, path] = checkName(name, "sem_unlink");
  requirePath("write", path);
  if (libc().sem_unlink(c) === -1) {
    throw lastError("sem_unlink")("name", { name }, {
      ENOENT: "no semaphore has this name",
    });
  }
}

/** Checks that `SIZEOF_SEM_T` bytes at `offset` fit the region, aligned. */
/**
 * Internal to `psem/`: where a semaphore at `offset` of `region` goes,
 * checked (a region of this library, mapped, writable, room for it at an
 * aligned offset).
 *
 * @param region the memory
 * @param offset the offset in it
 * @param syscall the call or method, for errors
 * @param argument the memory's name in `syscall`, for errors
 * @returns the region and the semaphore's address
 * @throws {TypeError|RangeError|Deno.errors.BadResource} for memory it
 *   cannot use
 */
export function semAddress(
  region: unknown,
  offset: unknown,
  syscall: string,
  argument = "sem",
): [MemoryRegion, bigint] {
  // Only a region this library mapped: its address and length are known
  // to be real, and it says when the memory goes.
  if (!(region instanceof MemoryRegion)) {
    throw new TypeError(
      `Invalid argument "${argument}" to ${syscall}: expected a MemoryRegion (shared memory, a mapping), got "${
        show(region)
      }"`,
    );
  }
  const r = region;
  if (r.detached) {
    throw new Deno.errors.BadResource(
      `The memory for the semaphore is unmapped: ${syscall} cannot use it`,
    );
  }
  const at = int(offset, syscall, "offset", 0, LIMITS.INT_MAX);
  if (at % 8 !== 0 || at + SIZEOF_SEM_T > r.byteLength) {
    throw new RangeError(
      `Argument "offset" to ${syscall} is out of range: "${at}" must be a multiple of 8 with ${SIZEOF_SEM_T} bytes after it inside the region's ${r.byteLength}`,
    );
  }
  if (r.access !== "readwrite") {
    throw new TypeError(
      `Invalid argument "${argument}" to ${syscall}: the memory for the semaphore is not writable ("${r.access}"), and the call needs read and write access`,
    );
  }
  return [r, r.address + BigInt(at)];
}

/**
 * Initialises an unnamed semaphore in memory (`sem_init`): with `pshared`
 * 1 and memory shared with other processes (a System V segment, POSIX
 * shared memory, a shared mapping or memfd), they can use it too, once
 * they reach it with {@linkcode sem_at}. The semaphore lives as long as
 * the memory.
 *
 * @param sem the memory, and the semaphore's offset in it (a multiple of 8)
 * @param offset where in the region the `sem_t` goes
 * @param pshared 1 to share it between processes (default), 0 for this one
 * @param value its first value, 0 to `SEM_VALUE_MAX`
 * @returns the semaphore
 * @throws {IpcError} `EINVAL`
 * @throws {TypeError|RangeError} for memory it cannot use, or a bad value
 * @example
 * ```ts
 * import { sem_destroy, sem_getvalue, sem_init, sem_trywait } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.memfd(4096);
 * const sem = sem_init(map.memory, 0, 1, 2);
 * sem_trywait(sem);
 * console.log(sem_getvalue(sem)); // 1
 * sem_destroy(sem);
 * ```
 */
export function sem_init(
  sem: MemoryRegion,
  offset: number,
  pshared = 1,
  value = 0,
): SemT {
  const [region, address] = semAddress(sem, offset, "sem_init");
  pshared = int(pshared, "sem_init", "pshared", 0, LIMITS.INT_MAX);
  value = int(value, "sem_init", "value", 0, SEM_VALUE_MAX);
  const p = pointerAt(address);
  if (libc().sem_init(p, pshared, value) === -1) {
    throw lastError("sem_init")("value", { value });
  }
  return make(address, region, null);
}

/**
 * Reaches an unnamed semaphore another process initialised in shared
 * memory (`sem_t *` at `offset`): no call, only the address.
 *
 * @param sem the shared memory
 * @param offset the semaphore's offset in it (a multiple of 8)
 * @returns the semaphore
 * @throws {TypeError|RangeError} for memory it cannot use
 * @throws {IpcError} `EINVAL` if the memory holds no initialised semaphore
 * @example
 * ```ts
 * import { sem_at, sem_getvalue, sem_init, sem_post } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.memfd(4096);
 * sem_init(map.memory, 64, 1, 0);
 * const again = sem_at(map.memory, 64);
 * sem_post(again);
 * console.log(sem_getvalue(again)); // 1
 * ```
 */
export function sem_at(sem: MemoryRegion, offset: number): SemT {
  const [region, address] = semAddress(sem, offset, "sem_at");
  const handle = make(address, region, null);
  checkInitialised(handle, "sem_at");
  return handle;
}

/**
 * Ends an unnamed semaphore (`sem_destroy`): this handle can no longer be
 * used. Destroying one another process still waits on is undefined in
 * POSIX; glibc leaves the waiters waiting.
 *
 * @param sem the semaphore from {@linkcode sem_init}
 * @throws {TypeError} for a named one (use {@linkcode sem_close})
 * @throws {Deno.errors.BadResource} if destroyed already, or its memory is gone
 * @example
 * ```ts
 * import { sem_destroy, sem_init } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.anonymous(4096);
 * sem_destroy(sem_init(map.memory, 0, 0, 1));
 * ```
 */
export function sem_destroy(sem: SemT): void {
  checkSem(sem, "sem_destroy");
  if (sem.name !== null) {
    throw new TypeError(
      'Invalid argument "sem" to sem_destroy: a named semaphore is closed with sem_close',
    );
  }
  const p = pointer(sem, "sem_destroy");
  endSemWaits(sem);
  if (libc().sem_destroy(p) === -1) throw lastError("sem_destroy")("sem");
  markClosed(sem);
}

/**
 * Adds 1 to the semaphore (`sem_post`), waking a waiter.
 *
 * @param sem the semaphore
 * @throws {IpcError} `EOVERFLOW` at `SEM_VALUE_MAX`
 * @throws {Deno.errors.BadResource} once closed, or its memory is gone
 * @example
 * ```ts
 * import { sem_getvalue, sem_init, sem_post } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.anonymous(4096);
 * const sem = sem_init(map.memory, 0, 0, 0);
 * sem_post(sem);
 * console.log(sem_getvalue(sem)); // 1
 * ```
 */
export function sem_post(sem: SemT): void {
  const p = pointer(checkSem(sem, "sem_post"), "sem_post");
  if (libc().sem_post(p) === -1) {
    throw lastError("sem_post")("sem", undefined, {
      EOVERFLOW: "the value is at SEM_VALUE_MAX",
    });
  }
}

/**
 * Takes 1 from the semaphore, blocking the thread while it is 0
 * (`sem_wait`), as in C; {@linkcode sem_waitAsync} waits without blocking
 * the event loop. `EINTR` from a signal is retried.
 *
 * @param sem the semaphore
 * @throws {Deno.errors.BadResource} once closed, or its memory is gone
 * @example
 * ```ts
 * import { sem_init, sem_wait } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.anonymous(4096);
 * sem_wait(sem_init(map.memory, 0, 0, 1)); // returns at once: it was 1
 * ```
 */
export function sem_wait(sem: SemT): void {
  const p = pointer(checkSem(sem, "sem_wait"), "sem_wait");
  const c = libc();
  // No closure, which would cost an allocation per call; EINTR made again.
  for (;;) {
    const r = resultOf(c.sem_wait(p));
    if (r >= 0) return;
    if (r !== -EINTR) throw errorOf(-r, "sem_wait")("sem");
  }
}

/**
 * Takes 1 if the value is above 0 (`sem_trywait`).
 *
 * @param sem the semaphore
 * @returns true if it took 1, false if the value was 0 (C's `EAGAIN`)
 * @throws {Deno.errors.BadResource} once closed, or its memory is gone
 * @example
 * ```ts
 * import { sem_init, sem_trywait } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.anonymous(4096);
 * const sem = sem_init(map.memory, 0, 0, 1);
 * console.log(sem_trywait(sem), sem_trywait(sem)); // true false
 * ```
 */
export function sem_trywait(sem: SemT): boolean {
  const p = pointer(checkSem(sem, "sem_trywait"), "sem_trywait");
  const c = libc();
  // As sem_wait's: no closure.
  for (;;) {
    const r = resultOf(c.sem_trywait(p));
    if (r >= 0) return true;
    if (r === -EAGAIN) return false;
    if (r !== -EINTR) throw errorOf(-r, "sem_trywait")("sem");
  }
}

/**
 * Takes 1, blocking the thread until the value is above 0 or the absolute
 * time `abs_timeout` (on `CLOCK_REALTIME`, as in C) has passed
 * (`sem_timedwait`).
 *
 * @param sem the semaphore
 * @param abs_timeout a `Date`, or milliseconds since the epoch
 * @throws {IpcError} `ETIMEDOUT` once the time has passed
 * @throws {Deno.errors.BadResource} once closed, or its memory is gone
 * @example
 * ```ts
 * import { sem_init, sem_timedwait } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.anonymous(4096);
 * const sem = sem_init(map.memory, 0, 0, 0);
 * try {
 *   sem_timedwait(sem, Date.now() + 10);
 * } catch (e) {
 *   console.log((e as { code: string }).code); // "ETIMEDOUT"
 * }
 * ```
 */
export function sem_timedwait(sem: SemT, abs_timeout: Date | number): void {
  const p = pointer(checkSem(sem, "sem_timedwait"), "sem_timedwait");
  const ts = encodeTimespec(
    absoluteTime(abs_timeout, "sem_timedwait"),
    new Uint8Array(SIZEOF.timespec),
  );
  const c = libc();
  restartOnEintr(
    () => c.sem_timedwait(p, ts),
    () =>
      lastError("sem_timedwait")({ ETIMEDOUT: "abs_timeout" }, {
        abs_timeout: String(abs_timeout),
      }),
  );
}

/**
 * Takes 1, blocking the thread for at most `ms` ms, measured on the
 * monotonic clock: `sem_clockwait` on `CLOCK_MONOTONIC` (glibc 2.30 on),
 * so that setting the wall clock neither cuts the wait short nor stretches
 * it; with an older glibc, `sem_timedwait`, made again for the time left
 * when it ends early. For the class's `waitSync`.
 *
 * @param sem the semaphore
 * @param ms the timeout
 * @throws {IpcError} `ETIMEDOUT` on `"timeout"`, with `ms`
 */
export function semWaitFor(sem: SemT, ms: number): void {
  const p = pointer(checkSem(sem, "sem_wait"), "sem_wait");
  const c = libc();
  const ts = new Uint8Array(SIZEOF.timespec);
  const deadline = monotonicMs() + ms;
  for (;;) {
    const r = resultOrErrno(() =>
      c.sem_clockwait !== null
        ? c.sem_clockwait(p, CLOCK_MONOTONIC, encodeTimespec(deadline, ts))
        : c.sem_timedwait(
          p,
          encodeTimespec(
            Date.now() + Math.max(0, deadline - monotonicMs()),
            ts,
          ),
        )
    );
    if (r === 0) return;
    if (r !== -ETIMEDOUT) throw lastError("sem_wait")("sem");
    if (monotonicMs() >= deadline) throw timedOut("sem_wait", ms);
  }
}

const valueScratch = new Int32Array(1);
const valueBytes = new Uint8Array(valueScratch.buffer);

/**
 * The semaphore's value now (`sem_getvalue`; 0 while processes wait, on
 * Linux).
 *
 * @param sem the semaphore
 * @returns its value
 * @throws {Deno.errors.BadResource} once closed, or its memory is gone
 * @example
 * ```ts
 * import { sem_getvalue, sem_init } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.anonymous(4096);
 * console.log(sem_getvalue(sem_init(map.memory, 0, 0, 5))); // 5
 * ```
 */
export function sem_getvalue(sem: SemT): number {
  const p = pointer(checkSem(sem, "sem_getvalue"), "sem_getvalue");
  if (libc().sem_getvalue(p, valueBytes) === -1) {
    throw lastError("sem_getvalue")("sem");
  }
  return valueScratch[0];
}

/**
 * Internal to `psem/`: stops using an unnamed semaphore without destroying
 * it (its pending waits here end with `EBADF`).
 *
 * @param sem the semaphore
 */
export function forgetSem(sem: SemT): void {
  endSemWaits(sem);
  markClosed(sem);
}

/**
 * Ends the async waits on a semaphore that is being closed, with `reason`
 * (by default `EBADF`, as for the thin layer's `sem_close`).
 *
 * @param sem the semaphore
 * @param reason what they reject with
 */
export function endSemWaits(
  sem: SemT,
  reason: unknown = errorFor(EBADF, "sem_wait", "sem", undefined, {
    EBADF: "the semaphore was closed while the call waited",
  }),
): void {
  endKeyedWaits(waitKey(sem), reason);
}

/**
 * Takes 1 without blocking the event loop: at once if the value is above
 * 0, else when another process (or this one) posts: one of the engine's
 * helper threads waits in `sem_timedwait` (or, when none is free, the
 * engine retries `sem_trywait` on a timer). The semaphore's memory stays
 * mapped until that wait has ended: memory unmapped meanwhile ends it with
 * `Deno.errors.BadResource`.
 *
 * @param sem the semaphore
 * @param options `timeout` (then `ETIMEDOUT`), `signal`
 * @throws {IpcError} `ETIMEDOUT`; `EBADF` if closed while waiting
 * @throws {Deno.errors.BadResource} once closed, or its memory is gone
 * @example
 * ```ts
 * import { sem_init, sem_post, sem_waitAsync } from "@linux-ipc/ipc/psem";
 * import { Mapping } from "@linux-ipc/ipc/mmap";
 * using map = Mapping.anonymous(4096);
 * const sem = sem_init(map.memory, 0, 0, 0);
 * setTimeout(() => sem_post(sem), 10);
 * await sem_waitAsync(sem, { timeout: 1000 });
 * ```
 */
export async function sem_waitAsync(
  sem: SemT,
  options: WaitOptions = {},
): Promise<void> {
  checkWaitOptions(options, "sem_waitAsync");
  checkSem(sem, "sem_wait");
  pointer(sem, "sem_wait");
  const c = libc();
  const key = waitKey(sem);
  track(sem, 1);
  // An unnamed semaphore's memory stays mapped under a helper thread's
  // wait: released meanwhile, it ends the wait and is retired instead.
  const region = regionOf(sem);
  const unpin = region === null
    ? undefined
    : pinRegion(region, () =>
      endKeyedWaits(
        key,
        new Deno.errors.BadResource(
          "The memory of the semaphore was unmapped while the call waited",
        ),
      ));
  try {
    await wait({
      key,
      object: key,
      attempt() {
        const p = pointer(sem, "sem_wait");
        return tryWithoutWaiting(
          () => c.sem_trywait(p),
          () => lastError("sem_wait")("sem"),
        );
      },
      kernel: { call: "sem_wait", sem: sem.address },
      fail: (code) =>
        errorFor(code, "sem_wait", "sem", undefined, {
          EINVAL:
            "the memory holds no semaphore any more (written over while the call waited)",
        }),
      timedOut: (ms) => timedOut("sem_wait", ms),
    }, options);
  } finally {
    unpin?.();
    track(sem, -1);
  }
}
