/**
 * {@linkcode SemaphoreSet}: a System V semaphore set for everyday use.
 *
 * @module
 */

import { checkPermSet } from "../ffi/ipc_set.ts";
import {
  IPC_CREAT,
  IPC_EXCL,
  IPC_NOWAIT,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_SET,
  IPC_STAT,
} from "../ffi/ipc.ts";
import {
  ETIMEDOUT,
  hasCode,
  IpcError,
  liveId,
  unlessGone,
} from "../ffi/errors.ts";
import type { IpcPermSet, SemidDs, SemOp } from "../ffi/layout.ts";
import {
  boolOption,
  existingKey,
  ifExists as checkIfExists,
  int,
  key as checkKey,
  knownOptions,
  LIMITS,
  openOptions,
  show,
} from "../ffi/validate.ts";
import {
  checkTimeout,
  checkWaitOptions,
  ClosingWaits,
  ObjectRef,
  syncTimeout,
  wait,
  type WaitOptions,
  waitPart,
} from "../ffi/wait.ts";
import { timedOut } from "../ffi/poll.ts";
import {
  checkOps,
  GETALL,
  GETNCNT,
  GETPID,
  GETVAL,
  GETZCNT,
  semctl,
  semget,
  semop,
  semopAsync,
  semtimedop,
  SEMVMX,
  SETALL,
  setObject,
  SETVAL,
} from "./sem.ts";

/** How {@linkcode SemaphoreSet.create} makes a set. */
export interface SemaphoreSetCreateOptions {
  /** The key (from `ftok` or agreed); default `IPC_PRIVATE`, always a new set. */
  key?: number;
  /** How many semaphores (default 1). */
  count?: number;
  /** Initial values: one number for all, or one per semaphore (default 0). */
  initial?: number | readonly number[];
  /** Permission bits, default `0o600`. */
  mode?: number;
  /**
   * What to do if the key already has a set: `"fail"` (the default) throws
   * `IpcError` `EEXIST`; `"open"` opens it, after waiting until its creator
   * has initialised it.
   */
  ifExists?: "fail" | "open";
  /** Remove the set on dispose. Default: true if this call created it. */
  removeOnDispose?: boolean;
}

/** How {@linkcode SemaphoreSet.open} opens a set. */
export interface SemaphoreSetOpenOptions {
  /** Remove the set on dispose (default false). */
  removeOnDispose?: boolean;
}

/** How {@linkcode SemaphoreSet.openAsync} opens a set. */
export interface SemaphoreSetOpenAsyncOptions extends SemaphoreSetOpenOptions {
  /**
   * Milliseconds to wait for the creator to finish initialising the set
   * (default 5000): until a `semop` has run on it (`sem_otime` is set).
   * The wait rejects with `IpcError` `ETIMEDOUT` when it runs out.
   */
  initTimeout?: number;
  /** Cancels the wait; it then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

// waitSync takes "signal" only to refuse it with a message of its own.
const WAIT_OPTIONS = ["flags", "timeout", "signal"];

/**
 * Internal to `sem/`: {@linkcode SemaphoreSet}'s makers, their errors
 * naming the method of the class the caller used (`Mutex.create`), so a
 * class built on a set checks nothing twice.
 */
export let setsNamedFor: {
  create(options: SemaphoreSetCreateOptions, cls: string): SemaphoreSet;
  open(
    key: number,
    options: SemaphoreSetOpenOptions,
    cls: string,
  ): SemaphoreSet;
  openAsync(
    key: number,
    options: SemaphoreSetOpenAsyncOptions,
    cls: string,
  ): Promise<SemaphoreSet>;
  fromId(
    id: number,
    options: SemaphoreSetOpenOptions,
    cls: string,
  ): SemaphoreSet;
};

/**
 * A System V semaphore set: create or open it by key with race-free
 * initialisation, operate on it (sync, async, or try), read and set values,
 * remove it. Disposing it removes the set if this object created it.
 *
 * Race-free creation: the creator makes the set with `IPC_EXCL`, sets its
 * values with `SETALL`, then runs one `semop` that changes nothing, which
 * sets `sem_otime`. {@linkcode SemaphoreSet.open} opens a set at once (a
 * set made by C, `ipcmk -S` or Python's `sysv_ipc` may never have had a
 * `semop`); {@linkcode SemaphoreSet.openAsync} waits, without blocking the
 * event loop, until `sem_otime` is set, so that it never sees the zeros of
 * a set whose creator is still initialising it.
 *
 * @example
 * ```ts
 * import { SemaphoreSet, SEM_UNDO } from "@linux-ipc/ipc";
 * using set = SemaphoreSet.create({ count: 2, initial: [1, 0] });
 * await set.op([{ num: 0, op: -1, flags: SEM_UNDO }]);
 * set.opSync([{ num: 1, op: 1 }]);
 * console.log(set.values()); // [0, 1]
 * ```
 */
export class SemaphoreSet {
  #id: number;
  #key: number;
  #count: number;
  #created: boolean;
  #removeOnDispose: boolean;
  #removed = false;
  #closed = false;
  #waits = new ClosingWaits();
  #refs: ObjectRef;

  private constructor(
    id: number,
    key: number,
    count: number,
    created: boolean,
    removeOnDispose: boolean,
  ) {
    this.#id = id;
    this.#key = key;
    this.#count = count;
    this.#created = created;
    this.#removeOnDispose = removeOnDispose;
    this.#refs = new ObjectRef(setObject(id));
  }

  static {
    setsNamedFor = {
      create: (options, cls) => SemaphoreSet.#create(options, cls),
      open: (key, options, cls) => SemaphoreSet.#open(key, options, cls),
      openAsync: (key, options, cls) =>
        SemaphoreSet.#openAsync(key, options, cls),
      fromId: (id, options, cls) => SemaphoreSet.#fromId(id, options, cls),
    };
  }

  /**
   * Creates a set and initialises it, or with `ifExists: "open"` opens the
   * key's existing one once it is initialised.
   *
   * @param options key, count, initial values, mode, what to do if it exists
   * @returns the set
   * @throws {IpcError} `EEXIST` if the key has a set and `ifExists` is `"fail"`;
   *   `EINVAL` if an existing set is smaller than `count`; `ERANGE`; `EACCES`; `ENOSPC`
   * @throws {RangeError} for a bad count, initial value or mode
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * const key = 0x5e4a0000 + (Deno.pid & 0xffff); // any key the processes agree on
   * using set = SemaphoreSet.create({ key, initial: 1, ifExists: "open" });
   * console.log(set.value(0)); // 1
   * ```
   */
  static create(options: SemaphoreSetCreateOptions = {}): SemaphoreSet {
    return SemaphoreSet.#create(options, "SemaphoreSet");
  }

  /** {@linkcode SemaphoreSet.create}, its errors naming `cls`'s method. */
  static #create(
    options: SemaphoreSetCreateOptions,
    cls: string,
  ): SemaphoreSet {
    const where = `${cls}.create`;
    knownOptions(options, [
      "key",
      "count",
      "initial",
      "mode",
      "ifExists",
      "removeOnDispose",
    ], where);
    const key = checkKey(options.key ?? IPC_PRIVATE, where);
    const count = int(options.count ?? 1, where, "count", 1, LIMITS.INT_MAX);
    const mode = int(options.mode ?? 0o600, where, "mode", 0, 0o777);
    const given: unknown = options.initial;
    let initial: unknown[];
    if (given === undefined || typeof given === "number") {
      initial = new Array<number>(count).fill(given ?? 0);
    } else if (Array.isArray(given) || ArrayBuffer.isView(given)) {
      initial = Array.from(given as ArrayLike<unknown>);
    } else {
      throw new TypeError(
        `Invalid option "initial" to ${where}: expected a number or an array of numbers, got "${
          show(given)
        }"`,
      );
    }
    if (initial.length !== count) {
      throw new RangeError(
        `Option "initial" to ${where} has ${initial.length} values for ${count} semaphores`,
      );
    }
    const values = initial.map((v, i) =>
      int(v, where, `initial[${i}]`, 0, SEMVMX)
    );
    const ifExists = checkIfExists(options.ifExists, where);
    const remove = options.removeOnDispose;
    // Checked before anything is made (an opened set's default differs).
    boolOption(remove, true, "removeOnDispose", where);
    let id: number;
    try {
      id = semget(key, count, IPC_CREAT | IPC_EXCL | mode);
    } catch (e) {
      if (ifExists === "open" && hasCode(e, "EEXIST")) {
        return SemaphoreSet.#open(key, { removeOnDispose: remove }, cls);
      }
      throw e;
    }
    try {
      semctl(id, 0, SETALL, values);
      // A semop that changes nothing marks the set initialised (sem_otime).
      const first = values[0] > 0 ? [-1, 1] : [1, -1];
      semop(id, first.map((op) => ({ num: 0, op, flags: IPC_NOWAIT })));
    } catch (e) {
      semctl(id, 0, IPC_RMID);
      throw e;
    }
    return new SemaphoreSet(id, key, count, true, remove ?? true);
  }

  /**
   * Opens the existing set of a key, at once, whoever made it and whether
   * or not a `semop` has run on it yet. To wait for a creator that is still
   * initialising the set, use {@linkcode SemaphoreSet.openAsync}.
   *
   * @param key the key
   * @param options whether to remove it on dispose
   * @returns the set
   * @throws {IpcError} `ENOENT` if the key has no set; `EACCES`
   * @throws {RangeError} for `IPC_PRIVATE`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * const key = 0x5e4b0000 + (Deno.pid & 0xffff); // any key the processes agree on
   * using created = SemaphoreSet.create({ key, initial: 3 });
   * using opened = SemaphoreSet.open(key);
   * console.log(opened.value(0)); // 3
   * ```
   */
  static open(
    key: number,
    options: SemaphoreSetOpenOptions = {},
  ): SemaphoreSet {
    return SemaphoreSet.#open(key, options, "SemaphoreSet");
  }

  /** {@linkcode SemaphoreSet.open}, its errors naming `cls`'s method. */
  static #open(
    key: number,
    options: SemaphoreSetOpenOptions,
    cls: string,
  ): SemaphoreSet {
    const remove = openOptions(options, `${cls}.open`);
    const k = openableKey(key, cls, "open");
    const id = semget(k, 0, 0);
    return new SemaphoreSet(
      id,
      k,
      semctl(id, 0, IPC_STAT).nsems,
      false,
      remove,
    );
  }

  /**
   * Opens the existing set of a key once its creator has initialised it
   * (a `semop` has run on it, as {@linkcode SemaphoreSet.create} does
   * last), waiting without blocking the event loop: the set's state is
   * asked again on the async engine's timer (within 10 ms of the change).
   *
   * @param key the key
   * @param options `initTimeout` (default 5000 ms), `signal`, `removeOnDispose`
   * @returns the set
   * @throws {IpcError} `ENOENT` if the key has no set; `EACCES`; `ETIMEDOUT`
   *   if it is not initialised in time
   * @throws {RangeError} for `IPC_PRIVATE` or a bad `initTimeout`
   * @throws {TypeError} for a `signal` that is not an `AbortSignal`
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * const key = 0x5e4c0000 + (Deno.pid & 0xffff); // any key the processes agree on
   * using created = SemaphoreSet.create({ key, initial: 2 });
   * using opened = await SemaphoreSet.openAsync(key, { initTimeout: 1000 });
   * console.log(opened.value(0)); // 2
   * ```
   */
  static openAsync(
    key: number,
    options: SemaphoreSetOpenAsyncOptions = {},
  ): Promise<SemaphoreSet> {
    return SemaphoreSet.#openAsync(key, options, "SemaphoreSet");
  }

  /** {@linkcode SemaphoreSet.openAsync}, its errors naming `cls`'s method. */
  static async #openAsync(
    key: number,
    options: SemaphoreSetOpenAsyncOptions,
    cls: string,
  ): Promise<SemaphoreSet> {
    const where = `${cls}.openAsync`;
    const remove = openOptions(options, where, ["initTimeout", "signal"]);
    const timeout =
      checkTimeout(options.initTimeout, where, 'option "initTimeout"') ?? 5000;
    checkWaitOptions({ signal: options.signal }, where);
    const k = openableKey(key, cls, "openAsync");
    const id = semget(k, 0, 0);
    let nsems = 0;
    await wait({
      key: `semopen:${id}`,
      attempt(): boolean {
        const stat = semctl(id, 0, IPC_STAT);
        nsems = stat.nsems;
        return stat.otime !== 0;
      },
      fail: (errno) => new IpcError(errno, { syscall: "semctl", value: id }),
      timedOut: (ms) =>
        new IpcError(ETIMEDOUT, {
          syscall: "semctl",
          argument: "semid",
          value: id,
          hint: `the set's creator did not initialise it within ${ms} ms`,
        }),
    }, { timeout, signal: options.signal });
    return new SemaphoreSet(id, k, nsems, false, remove);
  }

  /**
   * Wraps a set id received from another process.
   *
   * @param id the set id
   * @param options whether to remove it on dispose
   * @returns the set
   * @throws {IpcError} `EINVAL`/`EIDRM` if no set has this id
   * @throws {TypeError} for an option it does not have (a misspelling), or a
   *   boolean option that is not `true` or `false`
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using created = SemaphoreSet.create({ count: 2 });
   * using opened = SemaphoreSet.fromId(created.id);
   * console.log(opened.count); // 2
   * ```
   */
  static fromId(
    id: number,
    options: SemaphoreSetOpenOptions = {},
  ): SemaphoreSet {
    return SemaphoreSet.#fromId(id, options, "SemaphoreSet");
  }

  /** {@linkcode SemaphoreSet.fromId}, its errors naming `cls`'s method. */
  static #fromId(
    id: number,
    options: SemaphoreSetOpenOptions,
    cls: string,
  ): SemaphoreSet {
    const remove = openOptions(options, `${cls}.fromId`);
    id = int(id, `${cls}.fromId`, "id", 0, LIMITS.INT_MAX);
    const stat = semctl(id, 0, IPC_STAT);
    return new SemaphoreSet(id, stat.perm.key, stat.nsems, false, remove);
  }

  /** The set id (as `ipcs -s` shows it). */
  get id(): number {
    return this.#id;
  }

  /** The key the set was made with. */
  get key(): number {
    return this.#key;
  }

  /** How many semaphores the set has. */
  get count(): number {
    return this.#count;
  }

  /** Whether this object created the set. */
  get created(): boolean {
    return this.#created;
  }

  /** Whether {@linkcode SemaphoreSet.remove} has run on this object. */
  get removed(): boolean {
    return this.#removed;
  }

  /**
   * Performs operations atomically, blocking this thread until they can all
   * be done (`semop`), or until `timeout` ms (`semtimedop`).
   *
   * @param ops the operations: `num` a semaphore of this set, `op` a C
   *   `short`, `flags` `SEM_UNDO` and `IPC_NOWAIT`
   * @param options `timeout` in milliseconds
   * @throws {IpcError} `ETIMEDOUT` on timeout; `EAGAIN` with `IPC_NOWAIT`; `EIDRM`; `ERANGE`
   * @throws {RangeError} for an empty list, or a `num` outside the set (checked
   *   before the call)
   * @throws {TypeError} for a field of the wrong type, or a field it does not have
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create({ initial: 1 });
   * set.opSync([{ num: 0, op: -1 }]);
   * ```
   */
  opSync(ops: readonly SemOp[], options: { timeout?: number } = {}): void {
    const timeout = syncTimeout(options, "SemaphoreSet.opSync");
    checkOps(ops, "SemaphoreSet.opSync", this.#count);
    if (timeout === undefined) semop(this.#live("semop"), ops);
    else {
      try {
        semtimedop(this.#live("semtimedop"), ops, timeout);
      } catch (e) {
        // semtimedop says EAGAIN for both; only a wait that could block
        // (no IPC_NOWAIT) can have run out of time.
        const nowait = ops.some((o) => ((o.flags ?? 0) & IPC_NOWAIT) !== 0);
        throw nowait ? e : asTimedOut(e, "semtimedop", timeout);
      }
    }
  }

  /**
   * Performs operations atomically without blocking the event loop.
   *
   * @param ops the operations, as {@linkcode SemaphoreSet.opSync} takes them
   * @param options `timeout` in milliseconds, `signal` to cancel
   * @returns a promise that resolves once they are done
   * @throws {IpcError} `ETIMEDOUT` on timeout; `EIDRM` if the set is removed meanwhile
   * @throws {RangeError} (a rejected promise) for an empty list, or a `num`
   *   outside the set
   * @throws {TypeError} (a rejected promise) for a field of the wrong type
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * setTimeout(() => set.post(), 10);
   * await set.op([{ num: 0, op: -1 }], { timeout: 1000 });
   * ```
   */
  op(ops: readonly SemOp[], options: WaitOptions = {}): Promise<void> {
    let id: number;
    try {
      checkWaitOptions(options, "SemaphoreSet.op");
      checkOps(ops, "SemaphoreSet.op", this.#count);
      id = this.#live("semop");
    } catch (e) {
      return Promise.reject(e);
    }
    return semopAsync(id, ops, this.#waits.options(options)).catch((e) => {
      // The engine's timeout (the C layer keeps semtimedop's EAGAIN).
      throw e instanceof IpcError && e.argument === "timeout"
        ? asTimedOut(e, "semtimedop", options.timeout!)
        : e;
    });
  }

  /**
   * Performs operations if that can be done at once (`IPC_NOWAIT`).
   *
   * @param ops the operations, as {@linkcode SemaphoreSet.opSync} takes them
   * @returns true if done, false if they would have blocked
   * @throws {IpcError} for any failure other than "would block"
   * @throws {RangeError} for an empty list, or a `num` outside the set
   * @throws {TypeError} for a field of the wrong type
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * console.log(set.tryOp([{ num: 0, op: -1 }])); // false
   * ```
   */
  tryOp(ops: readonly SemOp[]): boolean {
    checkOps(ops, "SemaphoreSet.tryOp", this.#count);
    try {
      semop(
        this.#live("semop"),
        ops.map((o) => ({ ...o, flags: (o.flags ?? 0) | IPC_NOWAIT })),
      );
      return true;
    } catch (e) {
      if (hasCode(e, "EAGAIN")) return false;
      throw e;
    }
  }

  /**
   * Adds `n` to semaphore `num` (V, post). Never blocks.
   *
   * @param num the semaphore (default 0)
   * @param n how much to add (default 1)
   * @param flags `SEM_UNDO` to have it undone at exit (default 0)
   * @throws {IpcError} `ERANGE` past `SEMVMX`; `EIDRM`
   * @throws {RangeError} for a `num` outside the set, or an `n` below 1 or
   *   above 32767 (`SEMVMX`)
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * set.post();
   * console.log(set.value()); // 1
   * ```
   */
  post(num = 0, n = 1, flags = 0): void {
    // 0 would wait for zero, and a negative n would take instead.
    num = this.#num(num, "post");
    n = int(n, "SemaphoreSet.post", "n", 1, SEMVMX);
    semop(this.#live("semop"), [{ num, op: n, flags }]);
  }

  /**
   * Subtracts `n` from semaphore `num` (P, wait), waiting without blocking
   * the event loop until it can.
   *
   * @param num the semaphore (default 0)
   * @param n how much to subtract (default 1)
   * @param options `timeout`, `signal`, and `flags` (`SEM_UNDO`)
   * @returns a promise that resolves once subtracted
   * @throws {IpcError} `ETIMEDOUT` on timeout; `EIDRM`
   * @throws {RangeError} for a `num` outside the set, or an `n` below 1
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create({ initial: 1 });
   * await set.wait();
   * ```
   */
  wait(
    num = 0,
    n = 1,
    options: WaitOptions & { flags?: number } = {},
  ): Promise<void> {
    try {
      knownOptions(options, WAIT_OPTIONS, "SemaphoreSet.wait");
      num = this.#num(num, "wait");
      // 0 would wait for zero; < 0 would post
      n = int(n, "SemaphoreSet.wait", "n", 1, SEMVMX);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.op(
      [{ num, op: -n, flags: options.flags ?? 0 }],
      waitPart(options),
    );
  }

  /**
   * Subtracts `n` from semaphore `num` (P, wait), blocking the thread until
   * it can.
   *
   * @param num the semaphore (default 0)
   * @param n how much to subtract (default 1)
   * @param options `timeout` in milliseconds, and `flags` (`SEM_UNDO`)
   * @throws {IpcError} `ETIMEDOUT` on timeout; `EIDRM`
   * @throws {RangeError} for a `num` outside the set, or an `n` below 1
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create({ initial: 1 });
   * set.waitSync();
   * ```
   */
  waitSync(
    num = 0,
    n = 1,
    options: { timeout?: number; flags?: number } = {},
  ): void {
    knownOptions(options, WAIT_OPTIONS, "SemaphoreSet.waitSync");
    num = this.#num(num, "waitSync");
    // 0 would wait for zero; < 0 would post
    n = int(n, "SemaphoreSet.waitSync", "n", 1, SEMVMX);
    this.opSync(
      [{ num, op: -n, flags: options.flags ?? 0 }],
      waitPart(options),
    );
  }

  /**
   * Waits, without blocking the event loop, until semaphore `num` is zero.
   *
   * @param num the semaphore (default 0)
   * @param options `timeout`, `signal`
   * @returns a promise that resolves once it is zero
   * @throws {IpcError} `ETIMEDOUT` on timeout; `EIDRM`
   * @throws {RangeError} for a `num` outside the set
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * await set.waitForZero();
   * ```
   */
  waitForZero(num = 0, options: WaitOptions = {}): Promise<void> {
    try {
      num = this.#num(num, "waitForZero");
    } catch (e) {
      return Promise.reject(e);
    }
    return this.op([{ num, op: 0 }], options);
  }

  /**
   * Blocks the thread until semaphore `num` is zero.
   *
   * @param num the semaphore (default 0)
   * @param options `timeout` in milliseconds
   * @throws {IpcError} `ETIMEDOUT` on timeout; `EIDRM`
   * @throws {RangeError} for a `num` outside the set
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * set.waitForZeroSync();
   * ```
   */
  waitForZeroSync(num = 0, options: { timeout?: number } = {}): void {
    num = this.#num(num, "waitForZeroSync");
    this.opSync([{ num, op: 0 }], options);
  }

  /**
   * The value of semaphore `num` (`GETVAL`).
   *
   * @param num the semaphore (default 0)
   * @returns its value
   * @throws {IpcError} `EIDRM`
   * @throws {RangeError} for a `num` outside the set
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create({ initial: 2 });
   * console.log(set.value()); // 2
   * ```
   */
  value(num = 0): number {
    num = this.#num(num, "value");
    return semctl(this.#live("semctl"), num, GETVAL);
  }

  /**
   * Every value of the set (`GETALL`).
   *
   * @returns one value per semaphore
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create({ count: 2, initial: [1, 2] });
   * console.log(set.values()); // [1, 2]
   * ```
   */
  values(): number[] {
    return semctl(this.#live("semctl"), 0, GETALL);
  }

  /**
   * Sets semaphore `num` (`SETVAL`).
   *
   * @param num the semaphore
   * @param value 0 to `SEMVMX`
   * @throws {IpcError} `EIDRM`
   * @throws {RangeError} for a `num` outside the set, or a `value` below 0
   *   or above 32767 (`SEMVMX`)
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * set.setValue(0, 5);
   * ```
   */
  setValue(num: number, value: number): void {
    num = this.#num(num, "setValue");
    value = int(value, "SemaphoreSet.setValue", "value", 0, SEMVMX);
    semctl(this.#live("semctl"), num, SETVAL, value);
  }

  /**
   * Sets every value at once (`SETALL`).
   *
   * @param values one per semaphore
   * @throws {IpcError} `EIDRM`
   * @throws {RangeError} if the count differs from the set's, or for a value
   *   below 0 or above 32767 (`SEMVMX`)
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create({ count: 2 });
   * set.setValues([3, 4]);
   * ```
   */
  setValues(values: readonly number[]): void {
    const where = "SemaphoreSet.setValues";
    if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
      throw new TypeError(
        `Invalid argument "values" to ${where}: expected an array of numbers, got "${
          show(values)
        }"`,
      );
    }
    const all = Array.from(
      values as ArrayLike<unknown>,
      (v, i) => int(v, where, `values[${i}]`, 0, SEMVMX),
    );
    if (all.length !== this.#count) {
      throw new RangeError(
        `Argument "values" to ${where} has ${all.length} values for a set of ${this.#count} semaphores`,
      );
    }
    semctl(this.#live("semctl"), 0, SETALL, all);
  }

  /**
   * The pid of the last process to operate on semaphore `num` (`GETPID`).
   *
   * @param num the semaphore (default 0)
   * @returns the pid, 0 if none yet
   * @throws {RangeError} for a `num` outside the set
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * set.post();
   * console.log(set.lastPid() === Deno.pid); // true
   * ```
   */
  lastPid(num = 0): number {
    num = this.#num(num, "lastPid");
    return semctl(this.#live("semctl"), num, GETPID);
  }

  /**
   * How many processes wait for semaphore `num` to grow (`GETNCNT`).
   *
   * @param num the semaphore (default 0)
   * @returns the count
   * @throws {RangeError} for a `num` outside the set
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * console.log(set.waitingCount()); // 0
   * ```
   */
  waitingCount(num = 0): number {
    num = this.#num(num, "waitingCount");
    return semctl(this.#live("semctl"), num, GETNCNT);
  }

  /**
   * How many processes wait for semaphore `num` to be zero (`GETZCNT`).
   *
   * @param num the semaphore (default 0)
   * @returns the count
   * @throws {RangeError} for a `num` outside the set
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create({ initial: 1 });
   * console.log(set.zeroWaitingCount()); // 0
   * ```
   */
  zeroWaitingCount(num = 0): number {
    num = this.#num(num, "zeroWaitingCount");
    return semctl(this.#live("semctl"), num, GETZCNT);
  }

  /**
   * The set's status (`IPC_STAT`).
   *
   * @returns owner, mode, times, size
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create({ count: 3 });
   * console.log(set.stat().nsems); // 3
   * ```
   */
  stat(): SemidDs {
    return semctl(this.#live("semctl"), 0, IPC_STAT);
  }

  /**
   * Changes owner or mode (`IPC_SET`).
   *
   * @param perm the fields to change
   * @throws {IpcError} `EPERM` unless owner or creator
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * set.set({ mode: 0o640 });
   * ```
   */
  set(perm: IpcPermSet): void {
    checkPermSet(perm, "SemaphoreSet.set", "perm");
    semctl(this.#live("semctl"), 0, IPC_SET, perm);
  }

  /**
   * Removes the set (`IPC_RMID`): waiters everywhere fail with `EIDRM`.
   * Safe to call twice, and if another process removed it.
   *
   * @throws {IpcError} `EPERM` unless owner or creator
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * const set = SemaphoreSet.create();
   * set.remove();
   * set.remove();
   * ```
   */
  remove(): void {
    if (this.#removed) return;
    this.ref();
    unlessGone(() => semctl(this.#id, 0, IPC_RMID));
    this.#removed = true;
  }

  /**
   * The id, for a call on the set: refused once this object removed the
   * set (its id could by then name a set made since) or was closed.
   */
  /** A semaphore number of this set, checked for `method`. */
  #num(num: unknown, method: string): number {
    return int(num, `SemaphoreSet.${method}`, "num", 0, this.#count - 1);
  }

  #live(syscall: string): number {
    return liveId(
      this.#id,
      this.#closed,
      this.#removed,
      syscall,
      "semid",
      "semaphore set",
      "set",
    );
  }

  /**
   * Ends this object's use, and removes the set if it is to be removed on
   * dispose. Its async calls under way reject with
   * `Deno.errors.BadResource` (those of other objects and of the thin layer
   * on the same set go on), and calls made afterwards throw it (`remove()`
   * still removes the set). Safe to call twice.
   *
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * const set = SemaphoreSet.create();
   * set.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.ref();
    if (this.#removeOnDispose) this.remove();
    this.#closed = true;
    this.#waits.close(
      new Deno.errors.BadResource(
        "The semaphore set was closed while the call waited",
      ),
    );
  }

  /**
   * Lets the process end while async calls on this set are pending (`op`,
   * `wait`, `waitForZero`), as `Deno.Conn.unref()` does: they, and those
   * made until {@linkcode SemaphoreSet.ref}, no longer keep it alive, their
   * timeouts included. It counts for the set in this process, so it holds
   * for every object and thin-layer call on the same set too, until this
   * object's `ref()`, `close()` or `remove()`, or its garbage collection.
   * Does nothing once removed.
   *
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * // Wait for a post that may never come, without keeping the program
   * // alive for it.
   * set.unref();
   * const posted = set.wait(0).catch(() => "removed");
   * set.remove(); // (here, so that the example ends at once)
   * console.log(await posted); // "removed"
   * ```
   */
  unref(): void {
    if (!this.#removed) this.#refs.unref();
  }

  /**
   * Makes the async calls on this set keep the process alive again, as
   * they do at first (see {@linkcode SemaphoreSet.unref}).
   *
   * @example
   * ```ts
   * import { SemaphoreSet } from "@linux-ipc/ipc";
   * using set = SemaphoreSet.create();
   * set.unref();
   * set.ref();
   * ```
   */
  ref(): void {
    this.#refs.ref();
  }

  /** Same as {@linkcode SemaphoreSet.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A timeout as every class reports it: `IpcError` `ETIMEDOUT`, where the C
 * layer gives `semtimedop`'s `EAGAIN`.
 */
function asTimedOut(e: unknown, syscall: string, timeout: number): unknown {
  if (!(e instanceof IpcError) || e.code !== "EAGAIN") return e;
  return timedOut(syscall, timeout);
}

/**
 * A key that may name an existing set, checked for the `open` or
 * `openAsync` of `cls` (`"SemaphoreSet"` or `"Mutex"`).
 *
 * @param key what the caller passed
 * @param cls the class
 * @param method the method
 * @returns the key
 */
function openableKey(
  key: unknown,
  cls: string,
  method: "open" | "openAsync",
): number {
  return existingKey(key, `${cls}.${method}`, "set", `${cls}.fromId`);
}
