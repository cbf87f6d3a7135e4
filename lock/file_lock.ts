/**
 * Everyday file locks: {@linkcode lockFile} (a whole file, `flock`) and
 * {@linkcode lockRange} (a byte range, `fcntl` open file description or
 * record locks), each async with a `Sync` twin, each giving a hold that
 * `using` releases. Holds of one lock owner add up, where the kernel keeps
 * one lock per byte and owner: a hold nested in another, or a read hold
 * inside a write hold, leaves the outer hold whole when it is released.
 *
 * @module
 */

import {
  checkWaitOptions,
  syncTimeout,
  timeLeft,
  type WaitOptions,
  waitPart,
} from "../ffi/wait.ts";
import { nonBlocking, retrySync, wholeTimeout, within } from "../ffi/poll.ts";
import { EBADF, EDEADLK, hasCode, IpcError } from "../ffi/errors.ts";
import { fstat, onClose } from "../ffi/fd.ts";
import { monotonicMs } from "../ffi/libc.ts";
import { boolOption, descriptor, knownOptions, show } from "../ffi/validate.ts";
import {
  F_GETLK,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_RDLCK,
  F_SETLK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  fcntl_lock,
  fcntl_lockAsync,
  type Flock,
  flock,
  flockAsync,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
  SEEK_SET,
} from "./lock.ts";

/** Options of {@linkcode lockFile}. */
export interface LockFileOptions extends WaitOptions {
  /** `"exclusive"` (default, `LOCK_EX`) or `"shared"` (`LOCK_SH`). */
  mode?: "exclusive" | "shared";
}

/** Options of {@linkcode lockRange} and {@linkcode testRange}. */
export interface LockRangeOptions extends WaitOptions {
  /** `"write"` (default, `F_WRLCK`, exclusive) or `"read"` (`F_RDLCK`, shared). */
  mode?: "write" | "read";
  /** The first byte (default 0). */
  start?: number;
  /** How many bytes (default 0: to the end of the file, however far it grows). */
  length?: number;
  /**
   * An open file description lock (default true: `F_OFD_SETLKW`, owned by
   * the descriptor's open file description, so not dropped when another
   * descriptor of the file is closed), or a classic record lock owned by
   * the process (false: `F_SETLKW`, the only kind whose deadlocks the
   * kernel reports, with `EDEADLK`).
   */
  ofd?: boolean;
}

/** A lock this process holds; `using` releases it. */
export interface LockHold extends Disposable {
  /** Releases the lock (once; later calls do nothing). */
  release(): void;
  /** Whether it has been released. */
  readonly released: boolean;
}

/** The options of `where`, of the `known` names (see `knownOptions`). */
function options<T extends object>(
  value: T | undefined,
  known: readonly string[],
  where: string,
): T {
  if (value === undefined) return {} as T;
  knownOptions(value, known, where);
  return value;
}

// The blocking twins take "signal" only to refuse it with a message of its own.
const FILE_OPTIONS = ["mode", "timeout", "signal"];
const RANGE_OPTIONS = ["mode", "start", "length", "ofd", "timeout", "signal"];
const TEST_OPTIONS = ["mode", "start", "length", "ofd"];

/** The `ofd` option: an open file description lock (the default) or not. */
function useOfd(o: LockRangeOptions, where: string): boolean {
  return boolOption(o.ofd, true, "ofd", where);
}

function fileLevel(o: LockFileOptions, where: string): 1 | 2 {
  const mode = o.mode ?? "exclusive";
  if (mode !== "exclusive" && mode !== "shared") {
    throw new TypeError(
      `Invalid option "mode" to ${where}: expected "exclusive" or "shared", got "${
        show(mode)
      }"${
        mode === "write" || mode === "read"
          ? ` ("${mode}" is a range lock's word: a whole-file lock is "${
            mode === "write" ? "exclusive" : "shared"
          }")`
          : ""
      }`,
    );
  }
  return mode === "exclusive" ? 2 : 1;
}

function rangeLevel(o: LockRangeOptions, where: string): 1 | 2 {
  const mode = o.mode ?? "write";
  if (mode !== "write" && mode !== "read") {
    throw new TypeError(
      `Invalid option "mode" to ${where}: expected "write" or "read", got "${
        show(mode)
      }"${
        mode === "exclusive" || mode === "shared"
          ? ` ("${mode}" is a whole-file lock's word: a range lock is "${
            mode === "exclusive" ? "write" : "read"
          }", as F_WRLCK and F_RDLCK)`
          : ""
      }`,
    );
  }
  return mode === "write" ? 2 : 1;
}

/**
 * The bytes a range option names, as `[lo, hi)` (`hi` Infinity: to the end
 * of the file, however far it grows). A negative `length` names the bytes
 * before `start`, as in C.
 */
function byteRange(o: LockRangeOptions, where: string): [number, number] {
  const start = o.start ?? 0, length = o.length ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new RangeError(
      `Option "start" to ${where} is out of range: "${
        show(start)
      }" is not an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  if (
    !Number.isSafeInteger(length) || start + length < 0 ||
    !Number.isSafeInteger(start + length)
  ) {
    throw new RangeError(
      `Option "length" to ${where} is out of range: "${
        show(length)
      }" is not an integer from ${-start} to ${
        Number.MAX_SAFE_INTEGER - start
      }`,
    );
  }
  if (length === 0) return [start, Infinity];
  return length > 0 ? [start, start + length] : [start + length, start];
}

// -- Holds --------------------------------------------------------------
//
// The kernel keeps one lock level per byte and owner (an open file
// description for `flock` and OFD locks, the process for record locks),
// not a count: a second lock of the same owner over the same bytes
// converts them, and an unlock frees them whoever else relied on them.
// So each hold is a claim, and the kernel is only ever asked for what the
// claims together need: a new hold asks for the bytes where its owner is
// below its level (a read hold inside a write hold asks for nothing, and
// so cannot turn it into a read lock), and a release lowers only the bytes
// no other claim still needs at its level. Lowering never waits.

/** 0: no lock, 1: read (shared), 2: write (exclusive). */
type Level = 0 | 1 | 2;

/** One hold's part of its owner's lock. */
interface Claim {
  /** The bytes `[lo, hi)`; `hi` Infinity: to the end of the file. */
  lo: number;
  hi: number;
  level: 1 | 2;
  /** The descriptor it was taken through. */
  fd: number;
  /** The parts the kernel has not granted yet, while it is being taken. */
  waiting: [number, number][];
}

/** An acquisition under way, and a promise settled when it ends. */
interface Pending {
  lo: number;
  hi: number;
  done: Promise<void>;
}

/** A lock owner as the kernel knows it, with the claims of its holds. */
interface Owner {
  key: string;
  /** The file (to notice a descriptor closed and its number reused). */
  dev: number;
  ino: number;
  claims: Set<Claim>;
  pending: Set<Pending>;
}

type Kind = "flock" | "ofd" | "record";

const owners = new Map<string, Owner>();

/** The file a descriptor is open on, or null if it is not open. */
function fileOf(fd: number): { dev: number; ino: number } | null {
  try {
    return fstat(fd);
  } catch {
    return null;
  }
}

/**
 * The owner of the locks taken through `fd`, or null if `fd` is not an
 * open descriptor (the call itself then reports it). The descriptor
 * stands for its open file description.
 */
function ownerOf(kind: Kind, fd: number): Owner | null {
  const file = fileOf(fd);
  if (file === null) return null;
  const key = kind === "record"
    ? `record:${file.dev}:${file.ino}`
    : `${kind}:${fd}`;
  let o = owners.get(key);
  if (o !== undefined && (o.dev !== file.dev || o.ino !== file.ino)) {
    // The descriptor was closed, which ended its locks, and its number
    // was given to another file.
    o.claims.clear();
    o = undefined;
  }
  if (o === undefined) {
    o = { key, ...file, claims: new Set(), pending: new Set() };
    owners.set(key, o);
  }
  return o;
}

/**
 * A descriptor about to be closed ends the locks it stands for: its open
 * file description's (if this is its last descriptor; the library knows
 * no other), and for record locks every lock of the process on the file.
 * Their claims end with it, so a hold never outlives its lock, and a
 * descriptor of the same file given the same number later starts afresh.
 */
onClose((fd) => {
  if (owners.size === 0) return;
  endOwner(`flock:${fd}`);
  endOwner(`ofd:${fd}`);
  for (const key of owners.keys()) {
    if (key.startsWith("record:")) {
      const file = fileOf(fd);
      if (file !== null) endOwner(`record:${file.dev}:${file.ino}`);
      break;
    }
  }
});

/** Ends the claims of an owner whose locks the kernel has ended. */
function endOwner(key: string): void {
  const o = owners.get(key);
  if (o === undefined) return;
  o.claims.clear();
  tidy(o);
}

function tidy(o: Owner): void {
  if (o.claims.size === 0 && o.pending.size === 0 && owners.get(o.key) === o) {
    owners.delete(o.key);
  }
}

function granted(c: Claim, x: number): boolean {
  if (x < c.lo || x >= c.hi) return false;
  for (const [a, b] of c.waiting) if (a <= x && x < b) return false;
  return true;
}

/** The level the owner's claims need at byte `x`. */
function levelAt(o: Owner, x: number): Level {
  let level: Level = 0;
  for (const c of o.claims) {
    if (c.level > level && granted(c, x)) level = c.level;
  }
  return level;
}

/** `[lo, hi)` cut where the level the claims need changes. */
function pieces(o: Owner, lo: number, hi: number): [number, number, Level][] {
  const cuts = [lo, hi];
  const cut = (x: number) => {
    if (x > lo && x < hi) cuts.push(x);
  };
  for (const c of o.claims) {
    cut(c.lo);
    cut(c.hi);
    for (const [a, b] of c.waiting) {
      cut(a);
      cut(b);
    }
  }
  cuts.sort((a, b) => a - b);
  const out: [number, number, Level][] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i], b = cuts[i + 1];
    if (a === b) continue;
    const level = levelAt(o, a);
    const last = out.at(-1);
    if (last !== undefined && last[2] === level) last[1] = b;
    else out.push([a, b, level]);
  }
  return out;
}

/** The parts of `[lo, hi)` below `level`: what a new claim must ask for. */
function needed(o: Owner, lo: number, hi: number, level: 1 | 2) {
  const out: [number, number][] = [];
  for (const [a, b, l] of pieces(o, lo, hi)) {
    if (l >= level) continue;
    const last = out.at(-1);
    if (last !== undefined && last[1] === a) last[1] = b;
    else out.push([a, b]);
  }
  return out;
}

/** The kernel calls of one kind of lock. */
interface Locker {
  syscall: string;
  /** Takes `[a, b)` at `level`, waiting as the options say. */
  take(
    fd: number,
    a: number,
    b: number,
    level: 1 | 2,
    o: WaitOptions,
  ): Promise<void>;
  /** Takes it blocking the thread, for at most `timeout` ms if given. */
  takeSync(
    fd: number,
    a: number,
    b: number,
    level: 1 | 2,
    timeout?: number,
  ): void;
  /** Lowers `[a, b)` to `level` at once (lowering never waits). */
  lower(fd: number, a: number, b: number, level: 0 | 1): void;
}

const FILE_OPS = [LOCK_UN, LOCK_SH, LOCK_EX];

const fileLocker: Locker = {
  syscall: "flock",
  take: (fd, _a, _b, level, o) => flockAsync(fd, FILE_OPS[level], o),
  takeSync(fd, _a, _b, level, timeout) {
    if (timeout === undefined) flock(fd, FILE_OPS[level]);
    else {
      retrySync(
        nonBlocking(() => flock(fd, FILE_OPS[level] | LOCK_NB), "EAGAIN"),
        timeout,
        "flock",
      );
    }
  },
  lower: (fd, _a, _b, level) =>
    flock(fd, level === 0 ? LOCK_UN : LOCK_SH | LOCK_NB),
};

const RANGE_TYPES = [F_UNLCK, F_RDLCK, F_WRLCK];

function span(a: number, b: number, level: Level): Flock {
  const len = b === Infinity ? 0 : b - a;
  return { type: RANGE_TYPES[level], whence: SEEK_SET, start: a, len, pid: 0 };
}

function rangeLocker(ofd: boolean): Locker {
  const now = ofd ? F_OFD_SETLK : F_SETLK;
  const waiting = ofd ? F_OFD_SETLKW : F_SETLKW;
  return {
    syscall: "fcntl",
    take: (fd, a, b, level, o) =>
      fcntl_lockAsync(fd, waiting, span(a, b, level), o),
    takeSync(fd, a, b, level, timeout) {
      const lock = span(a, b, level);
      if (timeout === undefined) fcntl_lock(fd, waiting, lock);
      else {
        retrySync(
          nonBlocking(() => fcntl_lock(fd, now, lock), "EAGAIN", "EACCES"),
          timeout,
          "fcntl",
        );
      }
    },
    lower: (fd, a, b, level) => void fcntl_lock(fd, now, span(a, b, level)),
  };
}

const ofdLocker = rangeLocker(true), recordLocker = rangeLocker(false);

/**
 * After `claim` has left its owner: lowers the bytes it had where the
 * other claims need less. A read lock is kept through a descriptor of a
 * read claim (record locks may come through several). A shared `flock`
 * that cannot be taken back (a failed upgrade gave it up, and another
 * process took the file meanwhile) ends the shared claims.
 */
function lowerAfter(o: Owner, claim: Claim, locker: Locker): void {
  for (const [a, b, level] of pieces(o, claim.lo, claim.hi)) {
    if (level >= claim.level) continue;
    let fd = claim.fd;
    if (level === 1) {
      for (const c of o.claims) {
        if (c.level === 1 && granted(c, a)) fd = c.fd;
      }
    }
    try {
      locker.lower(fd, a, b, level as 0 | 1);
    } catch (e) {
      if (locker !== fileLocker || !hasCode(e, "EAGAIN")) throw e;
      o.claims.clear();
    }
  }
}

/** Ends a hold's claim: lowers what no other claim needs. */
function release(o: Owner, claim: Claim, locker: Locker): void {
  if (!o.claims.delete(claim)) return;
  const file = fileOf(claim.fd);
  if (file === null || file.dev !== o.dev || file.ino !== o.ino) {
    // The descriptor was closed, and its locks with it (for record locks,
    // every lock of the process on the file): nothing to unlock, and the
    // number may now be another file's.
    o.claims.clear();
  } else lowerAfter(o, claim, locker);
  tidy(o);
}

function hold(
  o: Owner | null,
  claim: Claim | null,
  finish: () => void,
): LockHold {
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    finish();
  };
  return {
    release: done,
    get released() {
      return released || (claim !== null && !o!.claims.has(claim));
    },
    [Symbol.dispose]: done,
  };
}

/**
 * The acquisitions under way on bytes overlapping `[lo, hi)` that began
 * before `self` (all of them without it): a Set keeps the order they began.
 */
function overlapping(
  o: Owner,
  lo: number,
  hi: number,
  self?: Pending,
): Promise<void>[] {
  const out: Promise<void>[] = [];
  for (const p of o.pending) {
    if (p === self) break;
    if (p.lo < hi && lo < p.hi) out.push(p.done);
  }
  return out;
}

/**
 * Takes a hold, async: after the owner's acquisitions under way on
 * overlapping bytes (so that one granted later cannot convert what another
 * took), it asks the kernel for the parts its owner lacks.
 */
async function acquire(
  kind: Kind,
  locker: Locker,
  fd: number,
  [lo, hi]: [number, number],
  level: 1 | 2,
  opts: WaitOptions,
): Promise<LockHold> {
  const whole = checkWaitOptions(
    opts,
    kind === "flock" ? "lockFile" : "lockRange",
    false,
  );
  // The rest (mode, range) is the caller's; the waits take these two.
  opts = waitPart(opts);
  const o = ownerOf(kind, fd);
  if (o === null) {
    // Not an open descriptor: the call says so (EBADF).
    await locker.take(fd, lo, hi, level, opts);
    return hold(null, null, () => locker.lower(fd, lo, hi, 0));
  }
  const deadline = whole === null ? 0 : monotonicMs() + whole;
  const left = (): WaitOptions =>
    whole === null
      ? opts
      : { signal: opts.signal, timeout: timeLeft(deadline, whole) };
  let settle = () => {};
  const pending: Pending = {
    lo,
    hi,
    done: new Promise<void>((resolve) => settle = resolve),
  };
  o.pending.add(pending);
  let claim: Claim | undefined;
  try {
    for (let before; (before = overlapping(o, lo, hi, pending)).length > 0;) {
      const w = left();
      await within(
        Promise.all(before).then(() => {}),
        locker.syscall,
        w.timeout ?? null,
        w.signal,
      );
    }
    const file = fileOf(fd);
    if (
      owners.get(o.key) !== o || file === null || file.dev !== o.dev ||
      file.ino !== o.ino
    ) {
      throw new IpcError(EBADF, {
        syscall: locker.syscall,
        argument: "fd",
        value: fd,
        hint: "the descriptor was closed while the lock waited its turn",
      });
    }
    const need = needed(o, lo, hi, level);
    claim = { lo, hi, level, fd, waiting: need.slice() };
    o.claims.add(claim);
    for (const [a, b] of need) {
      await locker.take(fd, a, b, level, left());
      claim.waiting.shift();
    }
  } catch (e) {
    if (claim !== undefined && o.claims.delete(claim)) {
      lowerAfter(o, claim, locker);
    }
    throw wholeTimeout(e, whole);
  } finally {
    o.pending.delete(pending);
    settle();
    tidy(o);
  }
  const held = claim;
  return hold(o, held, () => release(o, held, locker));
}

/** {@linkcode acquire}, blocking the thread. */
function acquireSync(
  kind: Kind,
  locker: Locker,
  fd: number,
  [lo, hi]: [number, number],
  level: 1 | 2,
  timeout: number | undefined,
): LockHold {
  const o = ownerOf(kind, fd);
  if (o === null) {
    locker.takeSync(fd, lo, hi, level, timeout);
    return hold(null, null, () => locker.lower(fd, lo, hi, 0));
  }
  if (overlapping(o, lo, hi).length > 0) {
    tidy(o);
    throw new IpcError(EDEADLK, {
      syscall: locker.syscall,
      argument: "fd",
      value: fd,
      hint:
        "an async lock of the same owner on some of these bytes is still waiting, and a blocking wait would keep it from ever ending; use the async form",
    });
  }
  const need = needed(o, lo, hi, level);
  const claim: Claim = { lo, hi, level, fd, waiting: need.slice() };
  o.claims.add(claim);
  const deadline = monotonicMs() + (timeout ?? 0);
  try {
    for (const [a, b] of need) {
      locker.takeSync(
        fd,
        a,
        b,
        level,
        timeout === undefined ? undefined : timeLeft(deadline, timeout),
      );
      claim.waiting.shift();
    }
  } catch (e) {
    if (o.claims.delete(claim)) lowerAfter(o, claim, locker);
    tidy(o);
    throw wholeTimeout(e, timeout);
  }
  return hold(o, claim, () => release(o, claim, locker));
}

const WHOLE_FILE: [number, number] = [0, Infinity];

/**
 * Locks a whole file (`flock`), waiting without blocking the event loop
 * while another open file description holds a conflicting lock. The lock
 * goes with the open file description: closing the last descriptor of it,
 * or the process dying, releases it.
 *
 * Holds of one descriptor add up: a shared hold taken while an exclusive
 * one is held asks for nothing and leaves the lock exclusive, and a
 * release keeps what the other holds still need (the file stays locked
 * until the last is released; releasing the exclusive hold while shared
 * ones remain makes the lock shared). An exclusive hold taken while only
 * shared ones are held converts the lock, which Linux does not do
 * atomically: while it waits, the shared lock is given up, so another
 * process may take the file first. If the wait fails, the shared lock is
 * taken back; should another process hold the file by then, the shared
 * holds end (their `released` becomes true).
 *
 * @param fd an open descriptor of the file
 * @param opts `mode`, `timeout` (then `IpcError` `ETIMEDOUT`), `signal`
 * @returns the hold
 * @throws {IpcError} `ETIMEDOUT`, `EBADF`
 * @throws {TypeError} for an option it does not have (a misspelling)
 * @example
 * ```ts
 * import { close, lockFile, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * {
 *   using _lock = await lockFile(fd, { timeout: 1000 });
 *   // ... the file is ours ...
 * }
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export async function lockFile(
  fd: number,
  opts?: LockFileOptions,
): Promise<LockHold> {
  fd = descriptor(fd, "lockFile", "fd");
  const o = options(opts, FILE_OPTIONS, "lockFile");
  return await acquire(
    "flock",
    fileLocker,
    fd,
    WHOLE_FILE,
    fileLevel(o, "lockFile"),
    o,
  );
}

/**
 * {@linkcode lockFile}, blocking the thread: in `flock` without a
 * timeout, retrying `LOCK_NB` every 0.1 to 10 ms with one. Holds add up
 * as for {@linkcode lockFile}.
 *
 * @param fd an open descriptor of the file
 * @param opts `mode`, `timeout` in ms
 * @returns the hold
 * @throws {IpcError} `ETIMEDOUT`, `EBADF`; `EDEADLK` while an async
 *   {@linkcode lockFile} of the same descriptor is still waiting
 * @throws {TypeError} for an option it does not have (a misspelling)
 * @example
 * ```ts
 * import { close, lockFileSync, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * {
 *   using _lock = lockFileSync(fd, { mode: "shared", timeout: 100 });
 * }
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export function lockFileSync(
  fd: number,
  opts?: Omit<LockFileOptions, "signal">,
): LockHold {
  fd = descriptor(fd, "lockFileSync", "fd");
  const o = options(opts, FILE_OPTIONS, "lockFileSync");
  const level = fileLevel(o, "lockFileSync");
  const timeout = syncTimeout(o, "lockFileSync", false);
  return acquireSync("flock", fileLocker, fd, WHOLE_FILE, level, timeout);
}

/**
 * Locks a byte range (`fcntl` `F_OFD_SETLKW`, or `F_SETLKW` with
 * `ofd: false`), waiting without blocking the event loop while a
 * conflicting lock is held. C programs, Python's `fcntl.lockf` and other
 * processes using either kind contend with it.
 *
 * Holds of one owner (the descriptor's open file description; with
 * `ofd: false`, this process, for the file) add up, where the kernel keeps
 * one lock per byte: a hold asks only for the bytes its owner does not
 * already hold at its level (a read hold inside a write hold leaves it a
 * write lock), and a release lowers only the bytes no other hold still
 * needs, so nested holds on overlapping ranges each keep what they took.
 * The owner's waits on overlapping bytes are granted in the order they
 * were made. A record lock is still lost, as in C, when this process
 * closes any descriptor of the file.
 *
 * @param fd an open descriptor of the file (writable for `"write"`)
 * @param opts `mode`, `start`, `length`, `ofd`, `timeout`, `signal`
 * @returns the hold
 * @throws {IpcError} `ETIMEDOUT`, `EDEADLK` (record locks), `EBADF`
 * @throws {RangeError} for a `start` below 0, or a `length` reaching
 *   before byte 0
 * @throws {TypeError} for an option it does not have (a misspelling), or a
 *   boolean option that is not `true` or `false`
 * @example
 * ```ts
 * import { close, lockRange, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * {
 *   using _lock = await lockRange(fd, { start: 100, length: 10 });
 * }
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export async function lockRange(
  fd: number,
  opts?: LockRangeOptions,
): Promise<LockHold> {
  fd = descriptor(fd, "lockRange", "fd");
  const o = options(opts, RANGE_OPTIONS, "lockRange");
  const level = rangeLevel(o, "lockRange"), range = byteRange(o, "lockRange");
  const ofd = useOfd(o, "lockRange");
  return await acquire(
    ofd ? "ofd" : "record",
    ofd ? ofdLocker : recordLocker,
    fd,
    range,
    level,
    o,
  );
}

/**
 * {@linkcode lockRange}, blocking the thread: in `fcntl` without a
 * timeout, retrying the non-blocking form every 0.1 to 10 ms with one.
 * Holds add up as for {@linkcode lockRange}.
 *
 * @param fd an open descriptor of the file
 * @param opts `mode`, `start`, `length`, `ofd`, `timeout` in ms
 * @returns the hold
 * @throws {IpcError} `ETIMEDOUT`, `EDEADLK` (record locks, without a
 *   timeout; or while an async {@linkcode lockRange} of the same owner on
 *   some of the bytes is still waiting)
 * @throws {RangeError} for a `start` below 0, or a `length` reaching
 *   before byte 0
 * @throws {TypeError} for an option it does not have (a misspelling), or a
 *   boolean option that is not `true` or `false`
 * @example
 * ```ts
 * import { close, lockRangeSync, open, O_RDWR } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * lockRangeSync(fd, { mode: "read", length: 1 }).release();
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export function lockRangeSync(
  fd: number,
  opts?: Omit<LockRangeOptions, "signal">,
): LockHold {
  fd = descriptor(fd, "lockRangeSync", "fd");
  const o = options(opts, RANGE_OPTIONS, "lockRangeSync");
  const level = rangeLevel(o, "lockRangeSync"),
    range = byteRange(o, "lockRangeSync");
  const ofd = useOfd(o, "lockRangeSync");
  const timeout = syncTimeout(o, "lockRangeSync", false);
  return acquireSync(
    ofd ? "ofd" : "record",
    ofd ? ofdLocker : recordLocker,
    fd,
    range,
    level,
    timeout,
  );
}

/**
 * Who would stop this process from locking a range (`F_OFD_GETLK`, or
 * `F_GETLK` with `ofd: false`).
 *
 * @param fd an open descriptor of the file
 * @param opts `mode`, `start`, `length`, `ofd`
 * @returns the conflicting lock (its `pid` is -1 for an OFD lock), or null
 * @throws {TypeError} for an option it does not have (a misspelling), or a
 *   boolean option that is not `true` or `false`
 * @example
 * ```ts
 * import { close, open, O_RDWR, testRange } from "@linux-ipc/ipc/lock";
 * const path = await Deno.makeTempFile({ prefix: "linux-ipc-doc-" });
 * const fd = open(path, O_RDWR);
 * console.log(testRange(fd)); // null
 * close(fd);
 * await Deno.remove(path);
 * ```
 */
export function testRange(
  fd: number,
  opts?: Omit<LockRangeOptions, "signal" | "timeout">,
): Flock | null {
  fd = descriptor(fd, "testRange", "fd");
  const o = options(opts, TEST_OPTIONS, "testRange");
  const found = fcntl_lock(
    fd,
    useOfd(o, "testRange") ? F_OFD_GETLK : F_GETLK,
    span(...byteRange(o, "testRange"), rangeLevel(o, "testRange")),
  );
  return found.type === F_UNLCK ? null : found;
}
