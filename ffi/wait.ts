/**
 * The async engine: runs a call that may block without blocking the event
 * loop, with errors as exact as the sync call's, a timeout, an
 * `AbortSignal`, and a process that can still exit when nothing else is
 * pending. Facilities describe a wait as a {@linkcode BlockingOp}; this file
 * owns every thread, retry and poll.
 *
 * Design:
 *
 * 1. Fast path. The op is first tried non-blocking on the calling thread
 *    (`IPC_NOWAIT`): no thread hop, exact errno.
 * 2. Waiter threads. A wait that would block goes to a waiter thread: a
 *    `node:worker_threads` worker started from source text (so it needs no
 *    read permission for a file, and works when the library is imported from
 *    a registry). The thread makes the *sync* call and reads errno on its own
 *    thread, so errors stay exact; `nonblocking: true` FFI calls are not
 *    used, since their errno is lost on a pool thread. The thread and the
 *    main thread share a `SharedArrayBuffer` control block: the main thread
 *    posts a job with `Atomics.notify`, the thread answers the same way, and
 *    the main thread awaits the answer with `Atomics.waitAsync`.
 * 3. Coalescing. Waits with the same {@linkcode BlockingOp.key} (the same
 *    semaphore operations on the same set) are interchangeable: they queue
 *    in order behind one thread in the kernel. When it returns, the rest of
 *    the queue is drained through the fast path before the next thread wait.
 *    So a thousand waiters on one semaphore use one thread, and each wakes
 *    exactly once.
 * 3a. Spinning. A wait first retries the fast path for a short while (at
 *    most {@linkcode SPIN_MAX_US} µs) before it parks on a thread: a peer
 *    that answers within microseconds (ping-pong, short critical sections)
 *    is then seen without any thread hop. When this process may run on one
 *    CPU only (a single-CPU machine, or pinned with `taskset`), the peer
 *    cannot run while we spin, so each retry is preceded by `sched_yield`:
 *    the CPU goes to the peer, which posts and blocks, and the next retry
 *    succeeds without a thread wake (there, a wait may hold the event loop
 *    for one scheduler time slice of the peer, while the peer has the only
 *    CPU anyway). A key that has had to spin there before yields once before
 *    even the first try, which then usually succeeds: in a ping-pong that
 *    saves a failed call per wake. The budget adapts per key: it
 *    doubles toward the maximum when spinning succeeds, halves when it
 *    fails, down to none, and grows to cover a parked wait that still
 *    completed within the maximum; a key with no budget probes again every
 *    32 waits.
 *    So long waits cost no CPU, and the event loop is held at most
 *    `SPIN_MAX_US` per wait.
 * 4. Timeouts go to the kernel (`semtimedop`) for the waiter in the kernel,
 *    and to a timer for those queued behind it: exact, nothing to cancel.
 * 5. Abort. An aborted wait that is in the kernel is interrupted: the engine
 *    sets a cancel flag and sends the thread a real-time signal (`tgkill`)
 *    whose handler is a libc function that does nothing harmful (`getpid`),
 *    installed by `sigaction` without `SA_RESTART`, so the call returns
 *    `EINTR`. The signal is the first real-time signal from SIGRTMAX-3 down
 *    that already has this handler (another isolate of the process put it
 *    there) or else is free. The signal is re-sent every millisecond until the thread
 *    answers, which closes the race where it lands just before the thread
 *    enters the call. No thread is left in the kernel after an abort. An
 *    abort that loses the race with the call's success has no effect: the
 *    wait resolves, since the operation happened.
 * 6. `EINTR` from any other signal is retried with the remaining timeout.
 * 7. Exit. Waiter threads are unref'd; while a wait is pending, one ref'd
 *    timer keeps the process alive. With nothing pending the process exits.
 * 8. Bounds. At most {@linkcode MAX_THREADS} threads wait at once (the rest
 *    of a burst of *different* waits polls the fast path with backoff from 1
 *    to 50 ms until a thread frees); at most {@linkcode MAX_IDLE} idle
 *    threads are kept, and those idle for {@linkcode IDLE_MS} end (an
 *    unref'd timer), returning their memory and descriptors.
 * 9. Cost. Starting a thread blocks the event loop for ~25 ms (Deno builds
 *    the worker's isolate on the calling thread; a thread spawned from
 *    another worker avoids that but takes 0.5 to 1 s to start in Deno 2.9,
 *    measured). Threads are reused, so this is paid only when more
 *    different waits are pending at once than before.
 * 10. Close. A wait on a descriptor names it ({@linkcode BlockingOp.fd});
 *    closing the descriptor through the library ({@linkcode endWaits}, from
 *    `close`) rejects its waits and interrupts the one in the kernel, before
 *    the number can be reused, so no wait ever retries on another file.
 *
 * @module
 */

import { Worker } from "node:worker_threads";
import { libc, workerLibcSource } from "./libc.ts";
import { decodeSigactionHandler, encodeSigaction, SIZEOF } from "./layout.ts";
import { EAGAIN, EINTR, type IpcError } from "./errors.ts";

/** Most waiter threads alive at once. */
export const MAX_THREADS = 64;
/** Most idle waiter threads kept for the next wait. */
export const MAX_IDLE = 8;
/** Longest spin on the fast path before parking a wait, in microseconds. */
export const SPIN_MAX_US = 100;
/** Idle waiter threads end after this many milliseconds without work. */
export const IDLE_MS = 2000;

// Control block: Int32 slots, then a byte area for the call's arguments.
const STATE = 0, RESULT = 1, ERRNO = 2, TID = 3, CANCEL = 4, KIND = 5;
/** First of the integer argument slots a job may use (`ctrl[ARG + i]`). */
export const ARG = 8;
const IDLE = 0, JOB = 1, RUNNING = 2, DONE = 3, EXIT = 4;
/** ERRNO value that says the thread itself failed (no errno is negative). */
const THREAD_FAILED = -1;
const CTRL_BYTES = 64;
const DATA_BYTES = 64 * 1024;

/** Job kinds the waiter threads know. */
export const KIND_SEMTIMEDOP = 1;
/**
 * `poll` one descriptor: the op encodes its `struct pollfd` at the start of
 * the data area; ARG+0 is the timeout in ms (-1: none). A timeout answers
 * `EAGAIN`.
 */
export const KIND_POLL = 2;
/** `open`: ARG+0 flags, ARG+1 mode; the NUL-terminated path in the data area. */
export const KIND_OPEN = 3;
/** Where a `semtimedop` job's sembufs start in the data area (after the timespec). */
export const SEMTIMEDOP_OPS_AT: number = SIZEOF.timespec;

/**
 * The body of a waiter thread. `semtimedop` job: ARG+0 semid, ARG+1 nsops,
 * ARG+2 whether there is a timeout; data holds the timespec at 0 and the
 * sembufs at `SEMTIMEDOP_OPS_AT`.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
${workerLibcSource()}
const errnoView = new Deno.UnsafePointerView(libc.__errno_location());
parentPort.once("message", (sab) => {
  const ctrl = new Int32Array(sab, 0, ${CTRL_BYTES / 4});
  const data = new Uint8Array(sab, ${CTRL_BYTES});
  Atomics.store(ctrl, ${TID}, libc.gettid());
  for (;;) {
    let s = Atomics.load(ctrl, ${STATE});
    while (s !== ${JOB} && s !== ${EXIT}) {
      Atomics.wait(ctrl, ${STATE}, s);
      s = Atomics.load(ctrl, ${STATE});
    }
    if (s === ${EXIT}) break;
    Atomics.store(ctrl, ${STATE}, ${RUNNING});
    let r = -1, e = ${EINTR}, timedOut = false;
    if (Atomics.load(ctrl, ${CANCEL}) === 0) {
      switch (ctrl[${KIND}]) {
        case ${KIND_SEMTIMEDOP}: {
          const n = ctrl[${ARG + 1}];
          r = libc.semtimedop(ctrl[${ARG}],
            data.subarray(${SEMTIMEDOP_OPS_AT}, ${SEMTIMEDOP_OPS_AT} + n * ${SIZEOF.sembuf}),
            BigInt(n), ctrl[${
  ARG + 2
}] ? data.subarray(0, ${SEMTIMEDOP_OPS_AT}) : null);
          break;
        }
        case ${KIND_POLL}:
          r = libc.poll(data.subarray(0, ${SIZEOF.pollfd}), 1n, ctrl[${ARG}]);
          if (r === 0) { r = -1; timedOut = true; }
          break;
        case ${KIND_OPEN}:
          r = libc.open(data, ctrl[${ARG}], ctrl[${ARG + 1}]);
          break;
        default:
          r = -1;
      }
      e = timedOut ? ${EAGAIN} : r === -1 ? errnoView.getInt32(0) : 0;
    }
    ctrl[${RESULT}] = r;
    ctrl[${ERRNO}] = e;
    Atomics.store(ctrl, ${STATE}, ${DONE});
    Atomics.notify(ctrl, ${STATE});
  }
});
`;

/** The control block of a job, for {@linkcode BlockingOp.encode}. */
export interface Job {
  /** Integer slots; a job writes its kind's arguments from `ARG` on. */
  readonly ctrl: Int32Array<SharedArrayBuffer>;
  /** Byte area for struct arguments. */
  readonly data: Uint8Array<SharedArrayBuffer>;
}

/** A wait, described so that the engine can try it, park it and report it. */
export interface BlockingOp {
  /** Waits with equal keys are interchangeable and share one thread. */
  readonly key: string;
  /**
   * The descriptor the op waits on, if any: closing it through the library
   * ends the wait (see {@linkcode endWaits}).
   */
  readonly fd?: number;
  /**
   * Tries the call without blocking, on the calling thread.
   *
   * @returns true if it completed, false if it would block
   * @throws {IpcError} for any other failure
   */
  attempt(): boolean;
  /**
   * Writes the blocking call into a job.
   *
   * @param job the control block
   * @param timeoutMs the remaining timeout, or null for none
   * @returns the job kind
   */
  encode(job: Job, timeoutMs: number | null): number;
  /**
   * The error for an errno the blocking call returned.
   *
   * @param errno the errno
   * @returns the error
   */
  fail(errno: number): IpcError;
  /**
   * True if the thread's call only tells that the op may now succeed
   * (`poll`): the engine then tries it again on the calling thread. False
   * or absent if the call performs the op itself (`semtimedop`, `open`).
   */
  readonly wakeOnly?: boolean;
  /**
   * False if the thread's call cannot time out by itself (`open`): the
   * engine then interrupts it at the deadline, as it does for an abort.
   */
  readonly kernelTimeout?: boolean;
  /**
   * Receives the result of a thread's call that performed the op (the fd of
   * an `open`).
   *
   * @param result the call's return value
   */
  complete?(result: number): void;
  /**
   * The error for a wait that timed out.
   *
   * @param timeoutMs the timeout that ran out
   * @returns the error
   */
  timedOut(timeoutMs: number): Error;
}

/** When an async wait gives up. */
export interface WaitOptions {
  /** Milliseconds to wait at most; default: no limit. */
  timeout?: number;
  /** Cancels the wait; it then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

interface Thread {
  worker: Worker;
  ctrl: Int32Array<SharedArrayBuffer>;
  data: Uint8Array<SharedArrayBuffer>;
  /** Set if the thread died; it is then never used again. */
  failure: unknown;
}

interface Entry {
  op: BlockingOp;
  timeout: number | null;
  deadline: number | null;
  signal: AbortSignal | undefined;
  resolve: () => void;
  reject: (e: unknown) => void;
  settled: boolean;
  /** When the wait parked (performance.now()). */
  parkedAt: number;
  /** Set when the call in the kernel is being interrupted, with the error. */
  cancel: { error: unknown } | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  onAbort: (() => void) | undefined;
}

interface Group {
  key: string;
  queue: Entry[];
  running: Entry | null;
  thread: Thread | null;
  pollTimer: ReturnType<typeof setTimeout> | undefined;
  pollDelay: number;
}

interface Spin {
  budget: number;
  parked: number;
}

const spins = new Map<string, Spin>();
const CPUS = navigator.hardwareConcurrency ?? 1;

/**
 * Retries the fast path for the key's spin budget.
 *
 * @returns true if the op completed while spinning
 */
function spin(op: BlockingOp): boolean {
  let s = spins.get(op.key);
  if (s === undefined) {
    if (spins.size >= 1024) spins.clear();
    spins.set(op.key, s = { budget: SPIN_MAX_US, parked: 0 });
  }
  if (s.budget === 0) {
    if (++s.parked % 32 !== 0) return false;
    s.budget = SPIN_MAX_US / 4; // probe again now and then
  }
  const c = libc();
  let end = 0;
  for (let i = 0;; i++) {
    if (CPUS < 2) c.sched_yield();
    if (op.attempt()) {
      s.budget = Math.min(SPIN_MAX_US, s.budget * 2);
      return true;
    }
    // The clock is read from the first miss on: most spins succeed at once.
    const now = performance.now();
    if (i === 0) end = now + s.budget / 1000;
    else if (now >= end) break;
  }
  s.budget = s.budget < 4 ? 0 : s.budget / 2;
  return false;
}

/**
 * Whether a caller may make the first attempt of a descriptor wait
 * (`pollOp`'s key, `syscall:fd`) itself, before building the op, exactly as
 * {@linkcode wait} would make it. Not with a signal or a timeout, which
 * {@linkcode wait} checks first; nor when this process has one CPU and the
 * key has had to spin, where {@linkcode wait} yields to the peer first. Lets
 * a hot path skip the op's closures when the call goes through at once.
 *
 * @param syscall the call's name
 * @param fd the descriptor
 * @param options the wait's options
 */
export function tryAtOnce(
  syscall: string,
  fd: number,
  options: WaitOptions,
): boolean {
  return options.signal === undefined && options.timeout === undefined &&
    (CPUS >= 2 || !spins.has(`${syscall}:${fd}`));
}

/**
 * Ends every wait on a descriptor that is being closed: each rejects with
 * `error`, and one that has a thread in the kernel interrupts it. Without
 * this, a wait would go on after the close and, once woken, retry its call
 * on whatever the descriptor's number had come to mean by then (a newly
 * opened pipe or socket), taking data that was not its own.
 *
 * @param fd the descriptor
 * @param error makes the error each ended wait rejects with
 */
export function endWaits(
  fd: number,
  error: (syscall: string) => unknown,
): void {
  if (groups.size === 0) return;
  for (const g of groups.values()) {
    for (const entry of g.queue) {
      if (entry.settled || entry.op.fd !== fd) continue;
      // Settled first, so that nothing tries the call again, whatever the
      // thread reports; then the thread is sent out of the kernel.
      failWith(entry, error(entry.op.key.slice(0, entry.op.key.indexOf(":"))));
      if (g.running === entry && g.thread) kick(g.thread);
    }
  }
}

const groups = new Map<string, Group>();
const idle: Thread[] = [];
const starving = new Set<Group>();
let threads = 0;
let pending = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;
let signalNumber = 0;

/**
 * Runs a wait: the fast path first, then a waiter thread.
 *
 * @param op the wait
 * @param options timeout and abort signal
 * @returns a promise that resolves when the call completed
 * @throws {IpcError} as the call fails, or the op's timeout error
 * @throws {RangeError} for a negative or non-finite timeout
 */
export function wait(op: BlockingOp, options: WaitOptions = {}): Promise<void> {
  const { signal } = options;
  const timeout = checkTimeout(options.timeout);
  if (signal?.aborted) return Promise.reject(signal.reason);
  try {
    // One CPU: a key with spin state has had to spin before, so let the
    // peer run first.
    if (CPUS < 2 && spins.has(op.key)) libc().sched_yield();
    if (op.attempt()) return Promise.resolve();
    if (timeout === 0) return Promise.reject(op.timedOut(0));
    if (!groups.has(op.key) && spin(op)) return Promise.resolve();
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise<void>((resolve, reject) => {
    const entry: Entry = {
      op,
      timeout,
      deadline: timeout === null ? null : performance.now() + timeout,
      signal,
      resolve,
      reject,
      settled: false,
      parkedAt: performance.now(),
      cancel: undefined,
      timer: undefined,
      onAbort: undefined,
    };
    let group = groups.get(op.key);
    if (group === undefined) {
      group = {
        key: op.key,
        queue: [],
        running: null,
        thread: null,
        pollTimer: undefined,
        pollDelay: 1,
      };
      groups.set(op.key, group);
    }
    const g = group;
    g.queue.push(entry);
    hold();
    if (timeout !== null) {
      entry.timer = setTimeout(() => {
        // The one in the kernel times out there, unless its call cannot.
        if (g.running !== entry) failWith(entry, op.timedOut(timeout));
        else if (op.kernelTimeout === false && g.thread) {
          entry.cancel ??= { error: op.timedOut(timeout) };
          kick(g.thread);
        }
      }, timeout);
    }
    if (signal) {
      entry.onAbort = () => {
        if (g.running === entry && g.thread) {
          entry.cancel ??= { error: signal.reason };
          kick(g.thread);
        } else {
          failWith(entry, signal.reason);
        }
      };
      signal.addEventListener("abort", entry.onAbort, { once: true });
    }
    pump(g);
  });
}

/**
 * Validates a timeout option.
 *
 * @param timeout milliseconds, or undefined for none
 * @returns the timeout, or null for none
 * @throws {RangeError} if negative, NaN or infinite
 */
export function checkTimeout(timeout: number | undefined): number | null {
  if (timeout === undefined) return null;
  if (typeof timeout !== "number" || !(timeout >= 0) || timeout === Infinity) {
    throw new RangeError(
      `Option "timeout" is out of range: "${timeout}" is not a finite number of milliseconds >= 0`,
    );
  }
  return timeout;
}

/** Ends a wait; returns false if it had already ended. */
function end(entry: Entry): boolean {
  if (entry.settled) return false;
  entry.settled = true;
  if (entry.timer !== undefined) clearTimeout(entry.timer);
  if (entry.onAbort) entry.signal!.removeEventListener("abort", entry.onAbort);
  release();
  return true;
}

function succeed(entry: Entry): void {
  if (!end(entry)) return;
  // A parked wait that completed within the spin maximum would have been
  // caught by spinning that long: let the next wait of its key spin so.
  const waited = (performance.now() - entry.parkedAt) * 1000;
  if (waited < SPIN_MAX_US) {
    const s = spins.get(entry.op.key);
    if (s !== undefined) {
      s.budget = Math.min(SPIN_MAX_US, Math.max(s.budget, waited * 1.5));
    }
  }
  entry.resolve();
}

function failWith(entry: Entry, error: unknown): void {
  if (end(entry)) entry.reject(error);
}

function hold(): void {
  if (pending++ === 0) keepAlive = setInterval(() => {}, 1 << 30);
}

function release(): void {
  if (--pending === 0) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/** Tries the queued waits in order through the fast path. */
function drain(g: Group): void {
  for (const entry of g.queue) {
    if (entry.settled) continue;
    try {
      if (!entry.op.attempt()) return;
      succeed(entry);
    } catch (e) {
      failWith(entry, e);
    }
  }
}

function pump(g: Group): void {
  while (g.queue.length > 0 && g.queue[0].settled) g.queue.shift();
  if (g.queue.length === 0) {
    if (g.thread === null && g.pollTimer === undefined) {
      groups.delete(g.key);
      starving.delete(g);
    }
    return;
  }
  if (g.thread !== null || g.pollTimer !== undefined) return;
  const thread = takeThread();
  if (thread === null) {
    starving.add(g);
    g.pollTimer = setTimeout(() => {
      g.pollTimer = undefined;
      drain(g);
      pump(g);
    }, g.pollDelay);
    g.pollDelay = Math.min(g.pollDelay * 2, 50);
    return;
  }
  starving.delete(g);
  g.pollDelay = 1;
  const head = g.queue[0];
  g.thread = thread;
  g.running = head;
  const remaining = head.deadline === null
    ? null
    : Math.max(0, head.deadline - performance.now());
  const kind = head.op.encode(thread, remaining);
  thread.ctrl[KIND] = kind;
  Atomics.store(thread.ctrl, CANCEL, 0);
  Atomics.store(thread.ctrl, STATE, JOB);
  Atomics.notify(thread.ctrl, STATE);
  done(thread).then(() => finish(g, thread, head));
}

async function done(t: Thread): Promise<void> {
  for (;;) {
    const s = Atomics.load(t.ctrl, STATE);
    if (s === DONE) return;
    const r = Atomics.waitAsync(t.ctrl, STATE, s);
    if (r.async) await r.value;
  }
}

function finish(g: Group, t: Thread, head: Entry): void {
  const result = t.ctrl[RESULT];
  const errno = t.ctrl[ERRNO];
  Atomics.store(t.ctrl, STATE, IDLE);
  g.thread = null;
  g.running = null;
  if (t.failure === undefined) giveBack(t);
  else threads--;
  if (errno === THREAD_FAILED) {
    failWith(
      head,
      new Error("The waiter thread of an async wait failed", {
        cause: t.failure,
      }),
    );
  } else if (result !== -1) {
    if (!head.op.wakeOnly) {
      head.op.complete?.(result);
      succeed(head);
    }
    drain(g); // a wakeOnly head is tried again here, in order
  } else if (errno === EINTR) {
    if (head.cancel) failWith(head, head.cancel.error);
    // Otherwise another signal interrupted it: the pump retries.
  } else if (errno === EAGAIN && head.timeout !== null) {
    if (performance.now() >= head.deadline! - 1) {
      failWith(head, head.op.timedOut(head.timeout));
    }
  } else {
    failWith(head, head.op.fail(errno));
    drain(g);
  }
  pump(g);
}

function takeThread(): Thread | null {
  const t = idle.pop();
  if (t) return t;
  if (threads >= MAX_THREADS) return null;
  threads++;
  return spawn();
}

function giveBack(t: Thread): void {
  for (const g of starving) {
    // A wait polling for want of a thread gets this one at once.
    starving.delete(g);
    if (g.pollTimer !== undefined) {
      clearTimeout(g.pollTimer);
      g.pollTimer = undefined;
    }
    idle.push(t);
    pump(g);
    return;
  }
  if (idle.length < MAX_IDLE) {
    idle.push(t);
    scheduleTrim();
  } else {
    endThread(t);
  }
}

function endThread(t: Thread): Promise<unknown> {
  threads--;
  t.failure ??= "ended";
  Atomics.store(t.ctrl, STATE, EXIT);
  Atomics.notify(t.ctrl, STATE);
  return t.worker.terminate();
}

let trimTimer: ReturnType<typeof setTimeout> | undefined;

/** Ends the idle threads once none has had work for `IDLE_MS`. */
function scheduleTrim(): void {
  if (trimTimer !== undefined) clearTimeout(trimTimer);
  trimTimer = setTimeout(() => {
    trimTimer = undefined;
    terminateIdleWaiters();
  }, IDLE_MS);
  Deno.unrefTimer(trimTimer as unknown as number);
}

/**
 * Ends every idle waiter thread now (the engine starts new ones as needed).
 *
 * @returns a promise that resolves once they have ended
 */
export async function terminateIdleWaiters(): Promise<void> {
  await Promise.all(idle.splice(0).map(endThread));
}

function spawn(): Thread {
  installSignal();
  const sab = new SharedArrayBuffer(CTRL_BYTES + DATA_BYTES);
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  worker.postMessage(sab);
  const thread: Thread = {
    worker,
    ctrl: new Int32Array(sab, 0, CTRL_BYTES / 4),
    data: new Uint8Array(sab, CTRL_BYTES),
    failure: undefined,
  };
  // Should a thread ever die, its wait fails instead of hanging.
  const died = (cause: unknown) => {
    if (thread.failure !== undefined) return;
    thread.failure = cause ?? new Error("The waiter thread exited");
    const s = Atomics.load(thread.ctrl, STATE);
    if (s === JOB || s === RUNNING) {
      thread.ctrl[RESULT] = -1;
      thread.ctrl[ERRNO] = THREAD_FAILED;
      Atomics.store(thread.ctrl, STATE, DONE);
      Atomics.notify(thread.ctrl, STATE);
    }
  };
  worker.once("error", died);
  worker.once("exit", () => died(undefined));
  return thread;
}

/** Interrupts the call a thread is in, until it answers. */
function kick(t: Thread): void {
  Atomics.store(t.ctrl, CANCEL, 1);
  const again = () => {
    const s = Atomics.load(t.ctrl, STATE);
    if (s !== JOB && s !== RUNNING) return;
    const tid = Atomics.load(t.ctrl, TID);
    if (tid !== 0) libc().tgkill(libc().getpid(), tid, signalNumber);
    setTimeout(again, 1);
  };
  again();
}

/**
 * Installs the no-op handler for the interrupt signal: the highest real-time
 * signal from SIGRTMAX-3 down whose disposition is still the default.
 */
function installSignal(): void {
  if (signalNumber !== 0) return;
  const c = libc();
  const handler = BigInt(Deno.UnsafePointer.value(
    c.dlsym(null, new TextEncoder().encode("getpid\0")),
  ));
  const old = new Uint8Array(SIZEOF.sigaction);
  const max = c.__libc_current_sigrtmax();
  let free = 0;
  for (let sig = max - 3; sig > max - 16; sig--) {
    if (c.sigaction(sig, null, old) !== 0) continue;
    const current = decodeSigactionHandler(old);
    if (current === handler) {
      // Another isolate of this process (a worker, a test module) installed
      // the same no-op handler already: share its signal.
      signalNumber = sig;
      return;
    }
    if (current === 0n && free === 0) free = sig;
  }
  if (free !== 0 && c.sigaction(free, encodeSigaction(handler), null) === 0) {
    signalNumber = free;
    return;
  }
  throw new Error(
    "Cannot install the interrupt signal for async waits: no free real-time signal",
  );
}

/**
 * Runs a sync call that takes a timeout, retrying it on `EINTR` with the
 * time that remains (PEP 475 style), as every sync wrapper should.
 *
 * @param call makes the call with the remaining timeout (null: none);
 *   returns the C result, -1 on failure with errno set
 * @param timeout the whole timeout in milliseconds, or null
 * @param errno reads errno right after the call
 * @returns the call's result, or -1 with errno still set for a failure
 *   other than `EINTR`
 */
export function retryOnEintr(
  call: (remaining: number | null) => number,
  timeout: number | null,
  errno: () => number,
): number {
  const deadline = timeout === null ? null : performance.now() + timeout;
  for (;;) {
    const remaining = deadline === null
      ? null
      : Math.max(0, deadline - performance.now());
    const r = call(remaining);
    if (r !== -1 || errno() !== EINTR) return r;
  }
}
