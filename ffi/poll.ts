/**
 * Waiting for a descriptor to be ready, shared by the facilities that read
 * and write descriptors (`fifo/`, `socket/`): the {@linkcode BlockingOp} of
 * a call that is tried non-blocking and, if it would block, waits on the
 * engine's reactor before being tried again on the calling thread; and the
 * sync waits: for readiness, and by retrying a call that has no readiness
 * event and no timed form ({@linkcode retrySync}).
 *
 * @module
 */

import { errno, libc, monotonicMs, sizeT } from "./libc.ts";
import {
  EAGAIN,
  EDEADLK,
  EINTR,
  errorFor,
  ETIMEDOUT,
  hasCode,
  IpcError,
  lastError,
  resultOf,
  withWritten,
} from "./errors.ts";
import { encodePollfd } from "./layout.ts";
import { isBlocking } from "./fd.ts";
import {
  type BlockingOp,
  cancelLater,
  checkTimeout,
  checkWaitOptions,
  drained,
  later,
  type LongTimer,
  noteRead,
  timeLeft,
  tryFdAtOnce,
  waitFor,
  type WaitOptions,
} from "./wait.ts";

/** `poll` event: data to read (or end of file, or a connection to accept). */
export const POLLIN = 0x001;
/** `poll` event: room to write (or a connect that finished). */
export const POLLOUT = 0x004;
/** `poll` event: an error condition. */
export const POLLERR = 0x008;
/** `poll` event: the other end hung up. */
export const POLLHUP = 0x010;

/**
 * The error for a wait on a descriptor that timed out.
 *
 * @param syscall the call that waited
 * @param ms the timeout
 * @returns the error
 */
export function timedOut(syscall: string, ms: number): IpcError {
  return new IpcError(ETIMEDOUT, {
    syscall,
    argument: "timeout",
    value: ms,
    hint: `nothing happened within ${ms} ms`,
  });
}

/**
 * The error of a call given what was left of a longer wait (a chunk of a
 * whole write, a write after its turn in line): an `ETIMEDOUT` reports the
 * timeout the caller gave, not the part this call had.
 *
 * @param e what the call threw
 * @param timeout the caller's whole timeout, if any
 * @returns the error to throw
 */
export function wholeTimeout(
  e: unknown,
  timeout: number | null | undefined,
): unknown {
  return timeout === null || timeout === undefined ||
      !(e instanceof IpcError) || e.code !== "ETIMEDOUT" ||
      e.argument !== "timeout"
    ? e
    : e.written === undefined
    ? timedOut(e.syscall, timeout)
    : withWritten(timedOut(e.syscall, timeout), e.written);
}

/**
 * An async write of all of `data`, bounded as a whole by the options'
 * `timeout`: `write` writes some of what it is given and returns how many
 * bytes it wrote; each write is given the time left, and the `signal`. Its
 * first call is given `data` itself (a caller may tell it apart).
 * The options are checked before the first write.
 *
 * @param where the call or method, for an error in the options
 * @param data the bytes
 * @param options `timeout` for the whole, `signal`
 * @param write one write
 * @throws {IpcError} what `write` throws (`ETIMEDOUT` once time is up),
 *   with the bytes written before it as `written`
 */
export async function writeAllWithin(
  where: string,
  data: Uint8Array,
  options: WaitOptions,
  write: (chunk: Uint8Array, options: WaitOptions) => Promise<number>,
): Promise<void> {
  const timeout = checkWaitOptions(options, where);
  const deadline = timeout === null ? null : monotonicMs() + timeout;
  let off = 0;
  try {
    while (off < data.length) {
      off += await write(
        off === 0 ? data : data.subarray(off),
        // Without a deadline the caller's options serve as they are.
        deadline === null ? options : {
          signal: options.signal,
          timeout: timeLeft(deadline, timeout!),
        },
      );
    }
  } catch (e) {
    throw withWritten(wholeTimeout(e, timeout), off);
  }
}

/**
 * The async writes of one descriptor's owner (a `PipeEnd`, a
 * `UnixConnection`), in line: a `writeAll` holds the line from its first
 * byte to its last, so that no other write of this process lands among its
 * bytes (as Go's `net.Conn.Write` and Node's `socket.write` keep each write
 * whole); a write made meanwhile waits its turn, its timeout and signal
 * counting from when it was made. A plain write made while the line is
 * free goes at once: the engine keeps such writes in the order they were
 * made.
 */
export class WriteLine {
  #busy = false;
  #waiting: (() => void)[] = [];

  /** Whether a write holds the line. */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Refuses a blocking write while an async write holds the line: its
   * bytes would land in the middle of that write's, and it cannot wait
   * for it, since that write goes on only when the event loop runs, which
   * the blocking call holds.
   *
   * @param syscall the call, for the error
   * @param fd the descriptor, for the error
   * @throws {IpcError} `EDEADLK` while the line is held
   */
  refuseSync(syscall: string, fd: number): void {
    if (!this.#busy) return;
    throw new IpcError(EDEADLK, {
      syscall,
      argument: "fd",
      value: fd,
      hint:
        "an async writeAll (or sendFds) of this object is under way, and a blocking write would land among its bytes without being able to wait for it; use the async write, which waits its turn",
    });
  }

  /**
   * Runs `write` once the writes made before it in line are done, holding
   * the line until it settles.
   *
   * @param syscall the call, for the error of a wait that timed out
   * @param options `timeout` (for the wait in line and the write together)
   *   and `signal`
   * @param write the write, given what is left of the options
   * @returns what `write` returns
   * @throws {IpcError} `ETIMEDOUT` if the turn did not come in time
   * @throws {TypeError|RangeError} for bad options
   */
  async run<T>(
    syscall: string,
    options: WaitOptions,
    write: (options: WaitOptions) => Promise<T>,
  ): Promise<T> {
    let whole: number | null = null;
    if (this.#busy) {
      const timeout = whole = checkWaitOptions(options, syscall);
      const start = monotonicMs();
      await this.#turn(syscall, timeout, options.signal);
      if (timeout !== null) {
        options = {
          signal: options.signal,
          timeout: timeLeft(start + timeout, timeout),
        };
      }
    } else this.#busy = true;
    try {
      return await write(options);
    } catch (e) {
      throw wholeTimeout(e, whole);
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#busy = false;
      else next();
    }
  }

  /**
   * A write of all of `data` in line ({@linkcode run} around
   * {@linkcode writeAllWithin}): every `IpcError` it ends with carries the
   * bytes written before it as `written` (0 if it never got its turn).
   *
   * @param syscall the call, for the error of a wait that timed out
   * @param data the bytes
   * @param options `timeout` for the wait in line and the write together,
   *   `signal`
   * @param write one write
   * @throws {IpcError} what `write` throws, `ETIMEDOUT`
   */
  async writeAll(
    syscall: string,
    data: Uint8Array,
    options: WaitOptions,
    write: (chunk: Uint8Array, options: WaitOptions) => Promise<number>,
  ): Promise<void> {
    try {
      await this.run(
        syscall,
        options,
        (o) => writeAllWithin(syscall, data, o, write),
      );
    } catch (e) {
      throw withWritten(e, 0);
    }
  }

  /**
   * A blocking write of all of `data` ({@linkcode writeAllSyncWithin}),
   * refused while an async write holds the line; every `IpcError` it ends
   * with carries the bytes written before it as `written`.
   *
   * @param syscall the call, for the refusal
   * @param fd the descriptor, for the refusal
   * @param data the bytes
   * @param timeout the most milliseconds for the whole, or undefined
   * @param write one write
   * @throws {IpcError} `EDEADLK` while the line is held; what `write` throws
   */
  writeAllSync(
    syscall: string,
    fd: number,
    data: Uint8Array,
    timeout: number | undefined,
    write: (chunk: Uint8Array, timeout: number | undefined) => number,
  ): void {
    try {
      this.refuseSync(syscall, fd);
      writeAllSyncWithin(data, timeout, write);
    } catch (e) {
      throw withWritten(e, 0);
    }
  }

  /** Waits for the line, or rejects (out of line) on timeout or abort. */
  #turn(
    syscall: string,
    timeout: number | null,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let go!: () => void;
    const ready = new Promise<void>((resolve) => go = resolve);
    this.#waiting.push(go);
    return within(ready, syscall, timeout, signal, () => {
      const i = this.#waiting.indexOf(go);
      if (i !== -1) this.#waiting.splice(i, 1);
    });
  }
}

/**
 * Waits for a turn (`ready`, a promise that never rejects: a line's or a
 * lock owner's), bounded as a wait is: it rejects with `IpcError`
 * `ETIMEDOUT` after `timeout` ms, or with the signal's reason on abort,
 * calling `leave` first so the caller can drop its place.
 *
 * @param ready resolves when the turn comes
 * @param syscall the call that waits, for the `ETIMEDOUT` error
 * @param timeout the most milliseconds, or null for no bound
 * @param signal ends the wait
 * @param leave called when the wait gives up
 * @throws {IpcError} `ETIMEDOUT`
 */
export function within(
  ready: Promise<void>,
  syscall: string,
  timeout: number | null,
  signal: AbortSignal | undefined,
  leave?: () => void,
): Promise<void> {
  if (signal?.aborted) {
    leave?.();
    return Promise.reject(signal.reason);
  }
  if (timeout === null && signal === undefined) return ready;
  return new Promise<void>((resolve, reject) => {
    let timer: LongTimer | undefined;
    let over = false;
    const end = (then: () => void) => {
      if (over) return;
      over = true;
      cancelLater(timer);
      signal?.removeEventListener("abort", onAbort);
      then();
    };
    const give = (reason: unknown) =>
      end(() => {
        leave?.();
        reject(reason);
      });
    const onAbort = () => give(signal!.reason);
    // The write that holds the line keeps the process alive while it is
    // pending (or, on an unrefed descriptor, does not): this timer need not.
    if (timeout !== null) {
      timer = later(timeout, () => give(timedOut(syscall, timeout)), false);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    ready.then(() => end(resolve));
  });
}

/**
 * A blocking write of all of `data`, bounded as a whole by `timeout`:
 * `write` writes some of what it is given, waiting at most the time it is
 * given (none for no bound), and returns how many bytes it wrote. Its first
 * call is given `data` itself, as {@linkcode writeAllWithin}'s is.
 *
 * @param data the bytes
 * @param timeout the most milliseconds for the whole, or undefined for no
 *   bound
 * @param write one write
 * @throws {IpcError} what `write` throws (`ETIMEDOUT` once time is up),
 *   with the bytes written before it as `written`
 */
export function writeAllSyncWithin(
  data: Uint8Array,
  timeout: number | undefined,
  write: (chunk: Uint8Array, timeout: number | undefined) => number,
): void {
  const deadline = timeout === undefined ? null : monotonicMs() + timeout;
  let off = 0;
  try {
    while (off < data.length) {
      off += write(
        off === 0 ? data : data.subarray(off),
        deadline === null ? undefined : timeLeft(deadline, timeout!),
      );
    }
  } catch (e) {
    throw withWritten(wholeTimeout(e, timeout), off);
  }
}

/**
 * An attempt for {@linkcode retrySync} made of a call that throws when it
 * would block (a non-blocking `flock`, `msgrcv` with `IPC_NOWAIT`): true
 * once `call` returns, false for an `IpcError` with one of `codes`.
 *
 * @param call the non-blocking call
 * @param codes the errno names that mean "would block"
 * @returns the attempt
 */
export function nonBlocking(
  call: () => unknown,
  ...codes: string[]
): () => boolean {
  return () => {
    try {
      call();
      return true;
    } catch (e) {
      if (hasCode(e, ...codes)) return false;
      throw e;
    }
  };
}

/**
 * The blocking wait with a timeout of a call that has neither a readiness
 * event nor a timed form (`msgrcv`, `msgsnd`, `flock`, `F_SETLKW`): tries
 * the call's non-blocking form, and while it would block sleeps 0.1 ms,
 * then twice as long each time up to 10 ms, until the deadline.
 *
 * @param attempt one non-blocking try: true if it succeeded, false if it
 *   would block; it throws for any other failure
 * @param timeout the most milliseconds to wait
 * @param syscall the call, for the `ETIMEDOUT` error
 * @throws {IpcError} `ETIMEDOUT` once the deadline passes
 */
export function retrySync(
  attempt: () => boolean,
  timeout: number,
  syscall: string,
): void {
  const deadline = monotonicMs() + timeout;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let delay = 0.1;; delay = Math.min(delay * 2, 10)) {
    if (attempt()) return;
    const left = deadline - monotonicMs();
    if (left <= 0) throw timedOut(syscall, timeout);
    Atomics.wait(pause, 0, 0, Math.min(delay, left));
  }
}

/**
 * What a {@linkcode pollOp} call may return, instead of -1 with `EAGAIN`,
 * to say it would block: a timed call given a deadline already past (which
 * never blocks, whatever the descriptor's mode) fails with `ETIMEDOUT`.
 */
export const WOULD_BLOCK = -2;

/**
 * A call tried non-blocking on the calling thread that, when it would
 * block, waits on the engine's reactor until `fd` is ready for `events` and
 * is tried again (on the calling thread, so errno stays exact). The op's
 * `value` is the call's result: {@linkcode waitFor} resolves with it.
 *
 * @param fd the descriptor
 * @param events `POLLIN` or `POLLOUT`
 * @param syscall the call's name, for the queue key and errors
 * @param call makes the call; -1 on failure with errno set, or
 *   {@linkcode WOULD_BLOCK}
 * @param fail the error for a failure other than `EAGAIN`/`EINTR`
 * @param done makes the op's `value` from the call's result, in the same
 *   step as the call (before anything else can touch a shared buffer);
 *   without it, the value is the result
 * @param tried true if the caller has just made the call and it would
 *   block: the op's first attempt then reports that without a second call;
 *   `"presumed"` if it did not make it because the descriptor was drained
 *   (see `drained` in `ffi/wait.ts`)
 * @param shared true for a descriptor whose mode the library must not
 *   change (an eventfd handed to a child shares its open file description,
 *   and the child may read it blocking): in blocking mode, each attempt
 *   polls first and makes the call only if it can complete (another process
 *   that takes what was ready in between makes it wait, as in C)
 * @param lane for a write, what names its stream of writes (a datagram's
 *   receiver), made when first asked: see `lane` in `BlockingOp`
 * @returns the op
 */
export function pollOp<T = number>(
  fd: number,
  events: number,
  syscall: string,
  call: () => number,
  fail: () => IpcError,
  done?: (n: number) => T,
  tried: boolean | "presumed" = false,
  shared = false,
  lane?: () => string,
): PollOp<T> {
  return new PollOp(fd, events, syscall, call, fail, done, tried, shared, lane);
}

/**
 * The op {@linkcode pollOp} makes: one object per wait, its methods shared
 * (a server makes one for every read that has to wait).
 */
export class PollOp<T = number> implements BlockingOp {
  /** The descriptor. */
  readonly fd: number;
  /** `POLLIN` or `POLLOUT`. */
  readonly events: number;
  /** Whether the caller has just found the call would block. */
  readonly tried: boolean;
  /** Whether the caller skipped the call, the descriptor drained. */
  readonly presumed: boolean;
  /** The call's result (or what `done` made of it), once an attempt completed. */
  value = 0 as T;
  #syscall: string;
  #call: (() => number) | undefined;
  #onError: (() => IpcError) | undefined;
  #done: ((n: number) => T) | undefined;
  #shared: boolean;
  #key: string | undefined;
  #skip: boolean;
  #lane: string | (() => string) | undefined;

  /**
   * See {@linkcode pollOp} for the parameters. A subclass may give no
   * `call` and `onError` and override {@linkcode PollOp.call} and
   * {@linkcode PollOp.error} instead: an op whose state sits in its own
   * fields then needs no closures (a socket read that waits makes one).
   */
  constructor(
    fd: number,
    events: number,
    syscall: string,
    call: (() => number) | undefined,
    onError: (() => IpcError) | undefined,
    done: ((n: number) => T) | undefined,
    tried: boolean | "presumed",
    shared: boolean,
    lane?: () => string,
  ) {
    this.#lane = lane;
    this.fd = fd;
    this.events = events;
    this.tried = tried === true;
    this.presumed = tried === "presumed";
    this.#syscall = syscall;
    this.#call = call;
    this.#onError = onError;
    this.#done = done;
    this.#shared = shared;
    this.#skip = tried !== false;
  }

  /** `syscall:fd`, made when first asked. */
  get key(): string {
    return this.#key ??= `${this.#syscall}:${this.fd}`;
  }

  /** The write's lane (see `BlockingOp`), made when first asked. */
  get lane(): string | undefined {
    const lane = this.#lane;
    return typeof lane === "function" ? (this.#lane = lane()) : lane;
  }

  /** Makes the call, non-blocking; true if it completed. */
  attempt(): boolean {
    if (this.#skip) {
      this.#skip = false;
      return false;
    }
    const fd = this.fd;
    if (this.#shared && isBlocking(fd) && !pollSync(fd, this.events, 0)) {
      return false;
    }
    for (;;) {
      const r = this.call();
      if (r === WOULD_BLOCK) return false;
      if (r !== -1) {
        this.value = this.#done === undefined ? r as T : this.#done(r);
        return true;
      }
      const e = errno();
      if (e === EAGAIN) return false;
      if (e !== EINTR) throw this.error();
    }
  }

  /**
   * Makes the call once, non-blocking: its result, -1 with errno set, or
   * {@linkcode WOULD_BLOCK}.
   *
   * @returns the result
   */
  protected call(): number {
    return this.#call!();
  }

  /**
   * The error for a failure other than `EAGAIN` or `EINTR`, errno still set.
   *
   * @returns the error
   */
  protected error(): IpcError {
    return this.#onError!();
  }

  /** The error for an errno. */
  fail(code: number): IpcError {
    return errorFor(code, this.#syscall, "fd", { fd: this.fd });
  }

  /** The error for a wait that ran out of time. */
  timedOut(ms: number): IpcError {
    return timedOut(this.#syscall, ms);
  }
}

/** The call of a {@linkcode BufferOp}. */
export type BufferCall = "read" | "write" | "send" | "recv";

/**
 * The op of a `read`, `write`, `send` or `recv` that waits for its
 * descriptor, its state in fields, with no closures: a server makes one for
 * every read that has to wait, and keeps it until the read completes (with
 * 1,000 connections in one process, closures made V8 keep 17% more alive
 * through its young-generation collections).
 */
class BufferOp<T = number> extends PollOp<T> {
  #call: BufferCall;
  #buf: Uint8Array;
  #n: bigint;
  #flags: number;
  #stream: boolean;
  #onError: (syscall: BufferCall, fd: number) => IpcError;

  /**
   * @param fd the descriptor, non-blocking (or `flags` with `MSG_DONTWAIT`)
   * @param call which call
   * @param buf the bytes, or where they go
   * @param n `buf`'s length
   * @param flags the flags of `send` or `recv`
   * @param onError the error for a failure other than `EAGAIN`/`EINTR`,
   *   errno still set: a function of the module, not a closure
   * @param done see {@linkcode pollOp}
   * @param tried see {@linkcode pollOp}
   * @param stream a stream socket's `recv`, whose short reads show the
   *   descriptor drained (see `noteRead` in `ffi/wait.ts`)
   */
  constructor(
    fd: number,
    call: BufferCall,
    buf: Uint8Array,
    n: bigint,
    flags: number,
    onError: (syscall: BufferCall, fd: number) => IpcError,
    done: ((n: number) => T) | undefined,
    tried: boolean | "presumed",
    stream = false,
  ) {
    super(
      fd,
      eventsOf(call),
      call,
      undefined,
      undefined,
      done,
      tried,
      false,
    );
    this.#call = call;
    this.#buf = buf;
    this.#n = n;
    this.#flags = flags;
    this.#stream = stream;
    this.#onError = onError;
  }

  protected override call(): number {
    return bufferCall(
      this.#call,
      this.fd,
      this.#buf,
      this.#n,
      this.#flags,
      this.#stream,
    );
  }

  protected override error(): IpcError {
    return this.#onError(this.#call, this.fd);
  }
}

/** What a {@linkcode BufferCall} waits for: `POLLOUT` to write, else `POLLIN`. */
function eventsOf(call: BufferCall): number {
  return call === "write" || call === "send" ? POLLOUT : POLLIN;
}

/**
 * Makes a `read`, `write`, `send` or `recv` once: its result, or -1 with
 * errno set. A stream socket's `recv` notes what it got (see `noteRead` in
 * `ffi/wait.ts`).
 */
function bufferCall(
  call: BufferCall,
  fd: number,
  buf: Uint8Array,
  n: bigint,
  flags: number,
  stream: boolean,
): number {
  const c = libc();
  switch (call) {
    case "read":
      return c.read(fd, buf, n);
    case "write":
      return c.write(fd, buf, n);
    case "send":
      return c.send(fd, buf, n, flags);
    default: {
      const r = c.recv(fd, buf, n, flags);
      if (stream) noteRead(fd, r, buf.length);
      return r;
    }
  }
}

/**
 * A `read`, `write`, `send` or `recv` without blocking the event loop, for
 * `fifo/` and `socket/`: tried at once, as `wait` would (with no closure, so
 * that a call that completes allocates nothing but its promise), and if it
 * would block, a {@linkcode BufferOp} on the engine's reactor. A stream
 * socket's `recv` into a non-empty buffer whose last read came back short
 * (the descriptor drained, see `drained` in `ffi/wait.ts`) waits for the
 * event without the call that would fail.
 *
 * @param fd the descriptor, non-blocking (or `flags` with `MSG_DONTWAIT`)
 * @param call which call
 * @param buf the bytes, or where they go
 * @param flags the flags of `send` or `recv`
 * @param onError the error for a failure other than `EAGAIN`/`EINTR`,
 *   errno still set: a function of the module, not a closure
 * @param options `timeout`, `signal`
 * @param done makes the value from the call's result, as for
 *   {@linkcode pollOp}
 * @param stream a stream socket's `recv`
 * @returns the call's result, or what `done` made of it
 */
export function bufferIo<T = number>(
  fd: number,
  call: BufferCall,
  buf: Uint8Array,
  flags: number,
  onError: (syscall: BufferCall, fd: number) => IpcError,
  options: WaitOptions,
  done?: (n: number) => T,
  stream = false,
): Promise<T> {
  const n = sizeT(buf.length);
  const events = eventsOf(call);
  let tried: boolean | "presumed" = false;
  if (!tryFdAtOnce(call, fd, events, options)) {
    // The long way: `wait` checks the options and makes the first try.
  } else if (stream && buf.length > 0 && drained(fd)) {
    tried = "presumed";
  } else {
    const r = resultOf(bufferCall(call, fd, buf, n, flags, stream));
    if (r >= 0) return Promise.resolve(done === undefined ? r as T : done(r));
    // EINTR: the engine makes the call again.
    if (r !== -EAGAIN && r !== -EINTR) {
      return Promise.reject(onError(call, fd));
    }
    tried = r === -EAGAIN;
  }
  return waitFor(
    new BufferOp(fd, call, buf, n, flags, onError, done, tried, stream),
    options,
  );
}

/**
 * Blocks the thread until `fd` is ready for `events`, or the timeout passes
 * (`poll` on one descriptor). For the sync forms of the classes.
 *
 * @param fd the descriptor
 * @param events `POLLIN` or `POLLOUT`
 * @param timeout milliseconds, or null for none
 * @returns true if ready, false on timeout
 * @throws {IpcError} `EBADF`, `EINVAL`
 */
export function pollSync(
  fd: number,
  events: number,
  timeout: number | null,
): boolean {
  const t = checkTimeout(timeout ?? undefined, "poll");
  const pfd = encodePollfd(fd, events, new Uint8Array(8));
  const c = libc();
  const deadline = t === null ? null : monotonicMs() + t;
  for (;;) {
    const remaining = deadline === null
      ? null
      : Math.max(0, deadline - monotonicMs());
    // poll takes an int of milliseconds: a longer wait is made of several.
    const slice = remaining === null
      ? -1
      : Math.min(Math.ceil(remaining), POLL_MAX_MS);
    const r = c.poll(pfd, 1n, slice);
    if (r > 0) return true;
    if (r === 0) {
      if (remaining! <= POLL_MAX_MS) return false;
    } else if (errno() !== EINTR) throw lastError("poll")("fd", { fd });
  }
}

/** The longest wait one `poll` takes (its timeout is a C `int` of ms). */
const POLL_MAX_MS = 2 ** 31 - 1;

/**
 * Makes a call on a non-blocking descriptor, blocking the thread in `poll`
 * while it would block, until it completes or `timeout` runs out: the sync
 * twin of {@linkcode pollOp}, for the `...Sync` methods of the classes.
 *
 * @param fd the descriptor
 * @param events `POLLIN` or `POLLOUT`
 * @param timeout milliseconds, or undefined for none
 * @param syscall the call's name, for errors
 * @param call makes the call; -1 on failure with errno set
 * @param fail the error for a failure other than `EAGAIN`/`EINTR`
 * @param shared as for {@linkcode pollOp}: with a timeout and a blocking
 *   description, the call is made only once `poll` says it can complete
 *   within the time left (it would otherwise block past it)
 * @returns the call's result
 * @throws {IpcError} `ETIMEDOUT` when the time runs out, or `fail()`
 * @throws {TypeError | RangeError} for a bad timeout
 */
export function callWhenReady(
  fd: number,
  events: number,
  timeout: number | undefined,
  syscall: string,
  call: () => number,
  fail: () => IpcError,
  shared = false,
): number {
  const t = checkTimeout(timeout, syscall);
  const deadline = t === null ? null : monotonicMs() + t;
  for (let misses = 0, delay = 1;;) {
    if (
      shared && deadline !== null && isBlocking(fd) &&
      !pollSync(fd, events, timeLeft(deadline, t!))
    ) {
      throw timedOut(syscall, t!);
    }
    const r = call();
    if (r !== -1) return r;
    const e = errno();
    if (e === EINTR) continue;
    if (e !== EAGAIN) throw fail();
    const remaining = deadline === null ? null : timeLeft(deadline, t!);
    if (remaining === 0) throw timedOut(syscall, t!);
    if (misses < 3) {
      if (!pollSync(fd, events, remaining)) throw timedOut(syscall, t!);
      misses++;
    } else {
      // Reported ready and still EAGAIN, again and again: Linux gives no
      // readiness event here (a full datagram receiver, a full backlog),
      // so sleep in steps from 1 to 10 ms, as the async engine retries.
      pollSync(fd, 0, remaining === null ? delay : Math.min(delay, remaining));
      delay = Math.min(delay * 2, 10);
    }
  }
}
