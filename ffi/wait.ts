/**
 * The async engine: every call of the library that may wait runs through
 * {@linkcode wait}, which never blocks the event loop (it holds it at most
 * for a spin of {@linkcode SPIN_MAX_US} µs, or a sleep of
 * {@linkcode HOLD_US} µs for a peer that is answering), keeps errors as
 * exact as the sync call's, honours a timeout and an `AbortSignal`, and lets
 * the process exit when nothing is pending. Facilities describe a wait as a
 * {@linkcode BlockingOp}; this file owns every thread, retry and poll.
 *
 * Two paths, chosen by whether the wait has a descriptor:
 *
 * 1. Descriptor waits (accept, connect, read/recv, write/send, and whatever
 *    later facilities add) go to one reactor: an epoll set of the
 *    descriptors, and one helper thread, whatever their number, that sits
 *    in `epoll_wait` on an outer set holding the first one-shot
 *    (`EPOLLONESHOT`). When a descriptor is ready the thread wakes once
 *    and tells the main thread (`Atomics.notify` to a pending
 *    `Atomics.waitAsync`: about 10 µs here, where a `nonblocking` FFI call
 *    took 80 µs), then sleeps in `epoll_wait` again, the inner set
 *    disarmed. The main thread takes the ready descriptors itself, with a
 *    non-blocking `epoll_wait`, and makes the calls, non-blocking, so errno
 *    stays exact. Once what a round set off has run (the replies written,
 *    the next reads parked) it takes a further round, one per turn of the
 *    event loop. When a round that had events is followed by one that finds
 *    none, it waits for one itself, asleep in `epoll_pwait2` for at most
 *    {@linkcode HOLD_US} µs (the peers are likely answering); only when
 *    none comes does it re-arm the inner set (`EPOLL_CTL_MOD`). A busy
 *    server takes events in batches with almost no thread hop (an echo
 *    server with 12 or 100 clients: about 40 hops for 40,000 echoes, where
 *    arming at once made 1,170 with 12), timers run between rounds, and a
 *    hop costs the thread one wake-up, with no job handed to it.
 *    A descriptor is registered once, edge-triggered (`EPOLLET`), when its
 *    first wait parks (for reads; for writes too once a write or connect
 *    has waited on it, one `EPOLL_CTL_MOD`), and leaves the set when the
 *    library closes it: a wait that found `EAGAIN` is woken by the next
 *    change, with no `epoll_ctl` per wait (re-arming a one-shot
 *    registration for every wait cost a tenth of an echo server's time).
 *    Waits parked for {@linkcode SWEEP_MS} have their registration checked
 *    again, in case the descriptor was closed behind the library's back and
 *    its number reused. A stream read that fills less than its buffer has
 *    drained the descriptor (see {@linkcode drained}): the next read parks
 *    without the call that would fail, and is tried anyway before the
 *    thread is armed, or after {@linkcode PRESUMED_MS} while the main
 *    thread stays busy ({@linkcode PRESUMED_FULL_MS} while every round
 *    comes back full, events still piled up behind it), for the reads that
 *    stop short with data left. An eventfd in the outer set ends the
 *    thread's job when the engine is shut down. A write-side wait whose
 *    descriptor polls writable right after `EAGAIN` is on one for which
 *    Linux gives no readiness event (a datagram to a full receiver, a
 *    connect to a full Unix backlog): it moves to the timed retries of
 *    path 3.
 * 2. Waits without a descriptor (System V semaphores and message queues,
 *    POSIX semaphores, file locks; futexes as they come) cannot be waited
 *    on together by any kernel call. At most {@linkcode KERNEL_THREADS}
 *    helper threads block in the real call (`semtimedop`, `msgrcv`,
 *    `msgsnd`, `sem_timedwait`, `flock`, `fcntl` `F_SETLKW`; a message
 *    larger than {@linkcode KERNEL_MSG_MAX} is only retried), each for one
 *    group of
 *    interchangeable waits (same {@linkcode BlockingOp.key}); every other
 *    group is retried from the main thread, non-blocking, on path 3. The
 *    threads are built once, when first needed, and then kept. A wait with
 *    no kernel form at all (a set's initialisation; a FIFO writer's
 *    open, and a reader's that cannot watch its FIFO: see `ffi/watch.ts`)
 *    goes straight to path 3.
 *    The path is built for every call of that kind the next facilities
 *    bring: an op gives its non-blocking form as `attempt` (`IPC_NOWAIT`,
 *    `LOCK_NB`, `sem_trywait`) and, if it has one, its blocking form as a
 *    {@linkcode KernelCall} (`kernel`), which the engine encodes for a
 *    helper thread. A blocking call with no timed form
 *    (`msgrcv`, `msgsnd`, `flock`, `F_SETLKW`) is interrupted at its
 *    deadline as an abort is; one with an absolute deadline
 *    (`sem_timedwait`, on `CLOCK_REALTIME`) gets it from the engine's encoding.
 * 3. Timed retries: one timer for all of them. Each retried wait is tried
 *    after 1 ms, then after twice its last delay, up to
 *    {@linkcode RETRY_MAX_MS}; at most {@linkcode RETRY_BATCH} attempts run
 *    per turn of the event loop. The retried waits of a descriptor keep
 *    their order within a lane (a datagram's receiver): only the first of a
 *    lane makes its call, and the next go as soon as it has.
 *
 * Costs, measured on the development machine (x86_64, 2 CPUs; figures in
 * the README and `deno task bench:concurrency`):
 * - Threads: one for any number of descriptor waits, and at most
 *   {@linkcode KERNEL_THREADS} more for any number of waits without a
 *   descriptor. Building one freezes the event loop once, for 30 to 50 ms
 *   here (Deno builds the isolate on the calling thread); they are then
 *   kept. {@linkcode startWaiters} builds them ahead, when the program
 *   chooses. A thread is built only for a group of waits that no thread
 *   already starting will take.
 *   A thread then takes a while to start (about 25 ms more here; about a
 *   second when built from a Worker), and is given no wait until it has:
 *   meanwhile the engine takes the ready descriptors on a timer, and
 *   retries the other waits, as on path 3, so timeouts and wake-ups keep
 *   their times. Threads built by a Worker end, and the reactor's closes
 *   the engine's descriptors, once that Worker's thread is gone (see
 *   {@linkcode ORPHAN_CHECK_MS}).
 * - Wake latency: a descriptor wait wakes within the reactor thread's hop
 *   (about 10 to 20 µs here), or at once when the main thread is waiting
 *   in its brief hold ({@linkcode HOLD_US}). A wait without a descriptor that holds a
 *   helper thread wakes through `Atomics.waitAsync` (tens of µs); one on the
 *   timed retries within its current delay, at most {@linkcode RETRY_MAX_MS}
 *   ms after the event (median about 0.1 ms, p99 3 to 7 ms for 100 to 1,000
 *   semaphores posted 0.2 ms apart).
 * - Idle CPU: a descriptor wait costs none (threads built by a Worker wake
 *   once per {@linkcode ORPHAN_CHECK_MS}, idle or in a call). A retried wait costs one
 *   non-blocking call (about 1 µs) per {@linkcode RETRY_MAX_MS} ms once its
 *   delay has grown: 1,000 of them cost about 10% of a CPU.
 *
 * Before parking, a wait first tries at once, and, while at most
 * {@linkcode SPIN_WHEN_PARKED} other waits are parked and no other watched
 * descriptor is busy (each has a wait parked), retries for a short
 * while (an adaptive budget of at most {@linkcode SPIN_MAX_US} µs per key):
 * a peer that answers within microseconds is then seen without a thread
 * hop. A key's budget starts at nothing and grows only when one of its
 * waits is woken, soon after parking, while this thread had nothing else
 * to run (through the reactor thread, a helper thread or the main thread's
 * brief hold): a wake in a round of this thread's own work may come from a
 * peer in this same thread (the two ends of a socket pair in one process),
 * which a spin would only hold up. A spin that finds nothing halves the
 * budget. With more waits parked the engine does not spin, so that many
 * waits cannot add up to a stalled event loop. On a one-CPU process each
 * retry yields the CPU first (`sched_yield`), since the peer cannot run
 * while we spin, and so does the first try of a key that has spun before,
 * while a spin would be allowed (not before every read of a busy server,
 * which has other work). A wait made after the current turn of the event
 * loop has run for {@linkcode TURN_MS} ms is tried in the next turn instead
 * (unless its caller has just found it would block), so a loop of waits
 * that all complete at once (a burst of connections to accept, a stream or
 * a queue that always has data) cannot hold timers up.
 *
 * Abort and timeout: a wait on the reactor or the retries simply ends (the
 * call was never in the kernel). A helper thread in the kernel is
 * interrupted by a real-time signal whose handler does nothing (`getpid`),
 * installed without `SA_RESTART`, re-sent every millisecond until the
 * thread answers; the first free one from SIGRTMAX-3 down, or one another
 * isolate of the process already installed the same handler on. A wait that
 * completed before the abort resolves: the operation happened. `EINTR` from
 * any other signal is retried with the remaining time. Timeouts of any
 * length up to `Number.MAX_SAFE_INTEGER` ms are honoured.
 *
 * Closing a descriptor through the library ({@linkcode endWaits}, from
 * `close`) rejects the waits on it and removes it from the epoll set before
 * the number can be reused, so no wait ever retries on another file.
 *
 * A pending wait keeps the process alive (one interval timer for all of
 * them), unless its descriptor or kernel object was unrefed
 * ({@linkcode refDescriptor}, {@linkcode refObject}, from the classes'
 * `unref()`); and the garbage-collection backstop of its
 * descriptor's owner closes the descriptor only once the wait has ended
 * ({@linkcode closeWhenIdle}).
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { Worker } from "node:worker_threads";
import {
  CLOCK_MONOTONIC,
  errno,
  libc,
  monotonicMs,
  workerLibcSource,
} from "./libc.ts";
import {
  decodeEpollEvent,
  decodePollRevents,
  decodePollReventsAt,
  decodeSigactionHandler,
  encodeEpollEvent,
  encodePollfd,
  encodePollfdAt,
  encodeSigaction,
  encodeTimespec,
  FUTEX_PRIVATE_FLAG,
  OFFSETS,
  SEM_PRIVATE_AT,
  SIZEOF,
} from "./layout.ts";
import { IPC_NOWAIT, MSG_COPY } from "./ipc.ts";
import {
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_SETLK,
  F_UNLCK,
  LOCK_UN,
} from "./locks.ts";
import { engineDescriptor, ownedTables, setOwnedWatch } from "./owned.ts";
import { MAP_FIXED, PRIVATE_ANONYMOUS, PROT_READ_WRITE } from "./memory.ts";
import {
  EAGAIN,
  EBADF,
  EEXIST,
  EINTR,
  EINVAL,
  ENOENT,
  EPERM,
  ESRCH,
  ETIMEDOUT,
  IpcError,
  resultOrErrno,
} from "./errors.ts";
import {
  boolOption,
  checkOptions,
  int,
  isOptionsObject,
  knownOptions,
  show,
  unknownOption,
} from "./validate.ts";
import { encodeUtf8 } from "./text.ts";

/** Most helper threads that block in a call without a descriptor. */
export const KERNEL_THREADS = 2;
/** Longest spin on the fast path before parking a wait, in microseconds. */
export const SPIN_MAX_US = 100;
/**
 * A wait spins before parking only while at most this many others are
 * parked (a server's pending accept and a connection, say), and while
 * every other descriptor the engine watches has a wait parked: with more,
 * or with another descriptor busy, a spin would hold up the others and
 * burn, in failed calls, CPU time a busy server needs (an echo server with
 * 12 clients made as many failed reads as echoes).
 */
export const SPIN_WHEN_PARKED = 2;
/** Longest delay between two timed retries of a wait, in milliseconds. */
export const RETRY_MAX_MS = 10;
/** Most timed-retry attempts per turn of the event loop. */
export const RETRY_BATCH = 512;
/** Most ready descriptors the reactor hands over in one batch. */
export const MAX_EVENTS = 64;
/**
 * How long the reactor goes on taking ready descriptors in one turn of the
 * event loop, in milliseconds, before it lets timers and other work run.
 */
export const TURN_MS = 2;

/**
 * How long a wait presumed drained (see {@linkcode BlockingOp.presumed})
 * stays parked without an event before it is tried anyway, in
 * milliseconds: the most a read can be late when a short read did not
 * drain the descriptor (a Unix stream read stops at data that carries
 * descriptors or, with `SO_PASSCRED`, at another writer's data).
 */
export const PRESUMED_MS = 5;

/**
 * {@linkcode PRESUMED_MS} for a round of taking events that came back full
 * ({@linkcode MAX_EVENTS}): more events are waiting, most likely among
 * them those of the waits this would try. Tried after 5 ms, the waits of a
 * server with 1,000 busy connections were nearly all tried, each `poll`ed
 * once (one `poll` of 64 descriptors per round, 18,700 for 600,000 echoes
 * in one process, a cache miss on each socket), only to find what their
 * events were about to report: about 3% of the server's time.
 */
export const PRESUMED_FULL_MS = 50;

/** `epoll` event: readable. */
export const EPOLLIN = 0x001;
/** `epoll` event: writable. */
export const EPOLLOUT = 0x004;
/** `epoll` event: error. */
export const EPOLLERR = 0x008;
/** `epoll` event: hang-up. */
export const EPOLLHUP = 0x010;
/** `epoll` flag: report changes of readiness only (edge-triggered). */
const EPOLLET = 2 ** 31;
/** `epoll` flag: report once, then stay disarmed until `EPOLL_CTL_MOD`. */
const EPOLLONESHOT = 2 ** 30;
const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
const EPOLL_CLOEXEC = 0o2000000, EFD_CLOEXEC = 0o2000000, EFD_NONBLOCK = 0o4000;
/**
 * How long a wait stays parked on the reactor before its descriptor's
 * registration is checked again, in milliseconds.
 */
const SWEEP_MS = 1000;
/** The largest delay `setTimeout` takes as it is. */
const TIMER_MAX = 2 ** 31 - 1;

// Control block of a helper thread: Int32 slots, then a byte area.
const STATE = 0, RESULT = 1, ERRNO = 2, TID = 3, CANCEL = 4, KIND = 5;
/** The reactor thread's count of signals: one for each time it woke. */
const SEQ = 6;
/**
 * The id of the thread that built the helper (its Worker's, or the main
 * thread's, which is the process id): see {@linkcode ORPHAN_CHECK_MS}.
 */
const PARENT = 7;
/** First of the integer argument slots a job uses (`ctrl[ARG + i]`). */
const ARG = 8;
const IDLE = 0, JOB = 1, RUNNING = 2, DONE = 3, EXIT = 4;
/** ERRNO value that says the thread itself failed (no errno is negative). */
const THREAD_FAILED = -1;
const CTRL_BYTES = 64;
const DATA_BYTES = 64 * 1024;
/**
 * How often a helper thread built by a Worker, while idle (and the reactor
 * thread, while it waits), checks that the Worker's thread still runs.
 * `worker.terminate()` runs no more JavaScript in the Worker, and Deno
 * does not end the Workers it built, which sit in a call: once the
 * Worker's thread is gone, the helper closes what the Worker's engine
 * left open (the reactor thread: its two epoll sets and its eventfd) and
 * ends. A helper in a call that waits (`msgrcv`, `semop`, `flock`, ...)
 * has it interrupted after this long by a timer of its own (the engine's
 * signal; where glibc lacks `timer_create`, before 2.34, it stays until
 * the call returns), checks, and, its Worker there, has the engine make
 * the call again. A call that completes once its Worker is gone took
 * what nobody can get any more: the helper gives it back before it ends.
 * A message goes back to the end of its queue (unless `MSG_COPY` only
 * copied it), each semaphore operation is reversed on its own without
 * waiting, a lock is released (a message sent stays sent). The helper
 * that finds its Worker gone also closes the descriptors the Worker's
 * objects still owned, and retires their memory (see `ffi/owned.ts`). Helpers built by
 * the main thread never check (the process ends with it).
 */
export const ORPHAN_CHECK_MS = 1000;

/** `sigev_notify`: signal one thread (`SIGEV_THREAD_ID`). */
const SIGEV_THREAD_ID = 4;

/** Job kinds the helper threads know. */
const KIND_SEMTIMEDOP = 1;
/**
 * The reactor thread's job, which runs until cancelled: `epoll_wait` on
 * the outer set ARG+0, and for each wake one more `SEQ` and a notify.
 */
const KIND_REACTOR = 2;
/**
 * `msgrcv`: ARG+0 msqid, ARG+1 msgsz, ARG+2/ARG+3 msgtyp (low, high
 * 32 bits), ARG+4 msgflg; the message lands at the start of the data area.
 */
const KIND_MSGRCV = 3;
/** `msgsnd`: ARG+0 msqid, ARG+1 msgsz, ARG+2 msgflg; the message at 0. */
const KIND_MSGSND = 4;
/**
 * `sem_timedwait` (or `sem_wait`): ARG+0/ARG+1 the `sem_t` address (low,
 * high 32 bits), ARG+2 whether there is a deadline; the absolute
 * `CLOCK_REALTIME` timespec at 0.
 */
const KIND_SEM_WAIT = 5;
/** `flock`: ARG+0 fd, ARG+1 operation. */
const KIND_FLOCK = 6;
/** `fcntl` with a `struct flock`: ARG+0 fd, ARG+1 cmd; the struct at 0. */
const KIND_FCNTL_LOCK = 7;
/**
 * The largest message text a helper thread can carry (`msgsz`): what the
 * data area holds after the 8-byte type. Larger waits use the timed retries.
 */
export const KERNEL_MSG_MAX: number = 64 * 1024 - 8;
/** Where a `semtimedop` job's sembufs start in the data area (after the timespec). */
const SEMTIMEDOP_OPS_AT: number = SIZEOF.timespec;

/**
 * The body of a helper thread: one job at a time (`semtimedop`: ARG+0
 * semid, ARG+1 nsops, ARG+2 whether there is a timeout; the timespec at 0
 * and the sembufs at `SEMTIMEDOP_OPS_AT`).
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
${workerLibcSource()}
const errnoCell = new Int32Array(
  Deno.UnsafePointerView.getArrayBuffer(libc.__errno_location(), 4),
);
parentPort.once("message", ({ sab, signo, fds, maps }) => {
  const ctrl = new Int32Array(sab, 0, ${CTRL_BYTES / 4});
  const data = new Uint8Array(sab, ${CTRL_BYTES});
  const pid = libc.getpid();
  const parent = ctrl[${PARENT}];
  // Built by a Worker: check now and then that its thread still runs.
  const check = parent !== pid ? ${ORPHAN_CHECK_MS} : undefined;
  const orphaned = () =>
    libc.tgkill(pid, parent, 0) === -1 && errnoCell[0] === ${ESRCH};
  // The descriptors the Worker's objects owned and never closed: each is
  // claimed by one thread alone, and closed, once the Worker is gone.
  const ownedFds = fds ? new Int32Array(fds) : new Int32Array(0);
  const ownedMaps = maps ? new BigInt64Array(maps) : new BigInt64Array(0);
  const closeOwned = () => {
    for (let i = 0; i < ownedFds.length; i++) {
      const fd = Atomics.exchange(ownedFds, i, -1);
      if (fd >= 0) libc.close(fd);
    }
    // Its memory: private zero-filled pages in its place, as a region's
    // backstop does (a moved buffer may point there).
    for (let i = 0; i < ownedMaps.length; i += 2) {
      const address = Atomics.exchange(ownedMaps, i, 0n);
      if (address === 0n) continue;
      libc.mmap(Deno.UnsafePointer.create(address), ownedMaps[i + 1],
        ${PROT_READ_WRITE}, ${PRIVATE_ANONYMOUS | MAP_FIXED}, -1, 0n);
    }
  };
  // The sem_t of a sem_wait job: its address in ARG+0 (low 32 bits) and
  // ARG+1 (high).
  const semAt = () =>
    Deno.UnsafePointer.create(
      (BigInt(ctrl[${ARG + 1}]) << 32n) | BigInt(ctrl[${ARG}] >>> 0),
    );
  // Undoes the job just done (r: its result), for a Worker gone while it
  // waited.
  const undo = (kind, r) => {
    switch (kind) {
      case ${KIND_MSGRCV}:
        // Back at the end of the queue, unless it was only copied.
        if ((ctrl[${ARG + 4}] & ${MSG_COPY}) === 0) {
          libc.msgsnd(ctrl[${ARG}], data.subarray(0, 8 + r), BigInt(r), 0);
        }
        break;
      case ${KIND_SEM_WAIT}:
        libc.sem_post(semAt());
        break;
      case ${KIND_SEMTIMEDOP}: {
        // Each operation's inverse on its own, never waiting: the values
        // it took come back even if another can no longer be undone.
        const n = ctrl[${ARG + 1}];
        const ops = new DataView(sab, ${
  CTRL_BYTES + SEMTIMEDOP_OPS_AT
}, n * ${SIZEOF.sembuf});
        for (let i = 0; i < n; i++) {
          const at = i * ${SIZEOF.sembuf};
          const op = ops.getInt16(at + ${OFFSETS.sembufOp}, true);
          if (op === 0) continue;
          ops.setInt16(at + ${OFFSETS.sembufOp}, -op, true);
          ops.setInt16(at + ${OFFSETS.sembufFlg},
            ops.getInt16(at + ${OFFSETS.sembufFlg}, true) | ${IPC_NOWAIT}, true);
          libc.semtimedop(ctrl[${ARG}], data.subarray(${SEMTIMEDOP_OPS_AT} + at,
            ${SEMTIMEDOP_OPS_AT} + at + ${SIZEOF.sembuf}), 1n, null);
        }
        break;
      }
      case ${KIND_FLOCK}:
        libc.flock(ctrl[${ARG}], ${LOCK_UN});
        break;
      case ${KIND_FCNTL_LOCK}:
        new DataView(sab, ${CTRL_BYTES}).setInt16(${OFFSETS.flockType}, ${F_UNLCK}, true);
        libc.fcntl_lock(ctrl[${ARG}],
          ctrl[${ARG + 1}] === ${F_OFD_SETLKW} ? ${F_OFD_SETLK} : ${F_SETLK},
          data.subarray(0, ${SIZEOF.flock}));
        break;
    }
  };
  // Built by a Worker: a call that waits is interrupted after ${ORPHAN_CHECK_MS} ms
  // by a timer of this thread's own (the engine's signal), so that a
  // Worker gone while it waits is seen then, not when the call returns;
  // the engine makes an interrupted call again, as for any signal.
  let timer = null;
  const armed = new Uint8Array(${SIZEOF.itimerspec});
  const disarmed = new Uint8Array(${SIZEOF.itimerspec});
  const interruptLater = (on) => {
    if (timer === null) {
      if (!on || check === undefined || libc.timer_create === null) return;
      const ev = new DataView(new ArrayBuffer(${SIZEOF.sigevent}));
      ev.setInt32(${OFFSETS.sigeventSigno}, signo, true);
      ev.setInt32(${OFFSETS.sigeventNotify}, ${SIGEV_THREAD_ID}, true);
      ev.setInt32(${OFFSETS.sigeventTid}, libc.gettid(), true);
      const id = new BigUint64Array(1);
      if (libc.timer_create(${CLOCK_MONOTONIC}, new Uint8Array(ev.buffer),
        new Uint8Array(id.buffer)) !== 0) return;
      timer = id[0];
      const value = new DataView(armed.buffer, ${OFFSETS.itimerspecValue});
      value.setBigInt64(0, ${
  BigInt(Math.floor(ORPHAN_CHECK_MS / 1000))
}n, true);
      value.setBigInt64(8, ${BigInt((ORPHAN_CHECK_MS % 1000) * 1e6)}n, true);
    }
    libc.timer_settime(timer, 0, on ? armed : disarmed, null);
  };
  // Whether the Worker was found gone: what it owned is let go of then.
  let gone = false;
  const end = () => {
    if (timer !== null) libc.timer_delete(timer);
    if (gone) closeOwned();
    globalThis.close();
  };
  Atomics.store(ctrl, ${TID}, libc.gettid());
  Atomics.notify(ctrl, ${TID});
  for (;;) {
    let s = Atomics.load(ctrl, ${STATE});
    while (s !== ${JOB} && s !== ${EXIT}) {
      if (
        Atomics.wait(ctrl, ${STATE}, s, check) === "timed-out" && orphaned()
      ) {
        gone = true;
        s = ${EXIT};
        break;
      }
      s = Atomics.load(ctrl, ${STATE});
    }
    if (s === ${EXIT}) break;
    Atomics.store(ctrl, ${STATE}, ${RUNNING});
    let r = -1, e = ${EINTR}, own = 0;
    if (Atomics.load(ctrl, ${CANCEL}) === 0) {
      const bounded = ctrl[${KIND}] !== ${KIND_REACTOR};
      if (bounded) interruptLater(true);
      switch (ctrl[${KIND}]) {
        case ${KIND_REACTOR}: {
          const outer = ctrl[${ARG}];
          const events = data.subarray(0, ${2 * SIZEOF.epoll_event});
          while (Atomics.load(ctrl, ${CANCEL}) === 0) {
            const n = libc.epoll_wait(outer, events, 2, check ?? -1);
            if (n > 0) {
              Atomics.add(ctrl, ${SEQ}, 1);
              Atomics.notify(ctrl, ${SEQ});
            } else if (n === 0 && orphaned()) {
              // Nobody else will: the engine's epoll sets and eventfd.
              for (let i = 0; i < 3; i++) libc.close(ctrl[${ARG} + i]);
              gone = true;
              end();
              return;
            }
          }
          r = 0;
          break;
        }
        case ${KIND_SEMTIMEDOP}: {
          const n = ctrl[${ARG + 1}];
          r = libc.semtimedop(ctrl[${ARG}],
            data.subarray(${SEMTIMEDOP_OPS_AT}, ${SEMTIMEDOP_OPS_AT} + n * ${SIZEOF.sembuf}),
            BigInt(n), ctrl[${
  ARG + 2
}] ? data.subarray(0, ${SEMTIMEDOP_OPS_AT}) : null);
          break;
        }
        case ${KIND_MSGRCV}: {
          const n = ctrl[${ARG + 1}];
          const type = (BigInt(ctrl[${ARG + 3}]) << 32n) |
            BigInt(ctrl[${ARG + 2}] >>> 0);
          r = Number(libc.msgrcv(ctrl[${ARG}], data.subarray(0, 8 + n),
            BigInt(n), type, ctrl[${ARG + 4}]));
          break;
        }
        case ${KIND_SEM_WAIT}: {
          const sem = semAt();
          // glibc aborts the process on a futex flag it does not know:
          // memory written over since the wait began is refused instead.
          const flag = new Deno.UnsafePointerView(sem).getInt32(${SEM_PRIVATE_AT});
          if (flag !== 0 && flag !== ${FUTEX_PRIVATE_FLAG}) {
            own = ${EINVAL};
            break;
          }
          r = ctrl[${ARG + 2}]
            ? libc.sem_timedwait(sem, data.subarray(0, ${SIZEOF.timespec}))
            : libc.sem_wait(sem);
          break;
        }
        case ${KIND_FLOCK}:
          r = libc.flock(ctrl[${ARG}], ctrl[${ARG + 1}]);
          break;
        case ${KIND_FCNTL_LOCK}:
          r = libc.fcntl_lock(ctrl[${ARG}], ctrl[${ARG + 1}],
            data.subarray(0, ${SIZEOF.flock}));
          break;
        case ${KIND_MSGSND}: {
          const n = ctrl[${ARG + 1}];
          r = libc.msgsnd(ctrl[${ARG}], data.subarray(0, 8 + n), BigInt(n),
            ctrl[${ARG + 2}]);
          break;
        }
        default:
          r = -1;
      }
      e = r === -1 ? own || errnoCell[0] : 0;
      if (bounded) interruptLater(false);
    }
    // The Worker that asked is gone (see ORPHAN_CHECK_MS): what the call
    // took is given back, since nobody will ever get it, and the thread ends.
    if (check !== undefined && orphaned()) {
      if (r !== -1) undo(ctrl[${KIND}], r);
      gone = true;
      break;
    }
    ctrl[${RESULT}] = r;
    ctrl[${ERRNO}] = e;
    Atomics.store(ctrl, ${STATE}, ${DONE});
    Atomics.notify(ctrl, ${STATE});
  }
  end();
});
`;

/**
 * A blocking call a helper thread makes for a wait without a descriptor:
 * the engine encodes it into the thread's job (facilities never touch job
 * slots). `semtimedop` with the operations encoded as `struct sembuf`s; the
 * engine adds the remaining timeout. Later facilities add their calls here.
 */
export type KernelCall = {
  readonly call: "semtimedop";
  readonly semid: number;
  /** The `struct sembuf` array. */
  readonly sops: Uint8Array;
  readonly nsops: number;
} | {
  /** `msgrcv`, which has no timed form: a deadline interrupts it. */
  readonly call: "msgrcv";
  readonly msqid: number;
  /** Room for the text, at most {@linkcode KERNEL_MSG_MAX}. */
  readonly msgsz: number;
  readonly msgtyp: bigint;
  readonly msgflg: number;
  /**
   * Takes the message (`struct msgbuf`, `n` bytes of text) the call got:
   * returns nothing, or the error the wait then rejects with (it must not
   * throw).
   */
  readonly received: (n: number, msgp: Uint8Array) => Error | undefined;
} | {
  /** `msgsnd`, which has no timed form: a deadline interrupts it. */
  readonly call: "msgsnd";
  readonly msqid: number;
  /** The `struct msgbuf`: the type, then the text. */
  readonly msgp: Uint8Array;
  readonly msgflg: number;
} | {
  /**
   * `sem_wait` on a glibc `sem_t`, with the deadline as `sem_timedwait`'s
   * absolute `CLOCK_REALTIME` time. The memory must stay mapped until the
   * wait has settled (the caller defers `sem_close`).
   */
  readonly call: "sem_wait";
  readonly sem: bigint;
} | {
  /** `flock` without `LOCK_NB`, which has no timed form. */
  readonly call: "flock";
  readonly fd: number;
  readonly operation: number;
} | {
  /** `fcntl` `F_SETLKW`/`F_OFD_SETLKW`, which has no timed form. */
  readonly call: "fcntl_lock";
  readonly fd: number;
  readonly cmd: number;
  /** The `struct flock`. */
  readonly lock: Uint8Array;
};

/** Writes a kernel call into a thread's job; returns the job kind. */
function encodeJob(
  job: Job,
  k: KernelCall,
  timeoutMs: number | null,
): number {
  if (k.call === "msgrcv") {
    job.ctrl[ARG] = k.msqid;
    job.ctrl[ARG + 1] = k.msgsz;
    job.ctrl[ARG + 2] = Number(BigInt.asIntN(32, k.msgtyp));
    job.ctrl[ARG + 3] = Number(BigInt.asIntN(32, k.msgtyp >> 32n));
    job.ctrl[ARG + 4] = k.msgflg;
    return KIND_MSGRCV;
  }
  if (k.call === "sem_wait") {
    job.ctrl[ARG] = Number(BigInt.asIntN(32, k.sem));
    job.ctrl[ARG + 1] = Number(BigInt.asIntN(32, k.sem >> 32n));
    job.ctrl[ARG + 2] = timeoutMs === null ? 0 : 1;
    if (timeoutMs !== null) {
      encodeTimespec(
        Date.now() + timeoutMs,
        job.data.subarray(0, SIZEOF.timespec),
      );
    }
    return KIND_SEM_WAIT;
  }
  if (k.call === "flock") {
    job.ctrl[ARG] = k.fd;
    job.ctrl[ARG + 1] = k.operation;
    return KIND_FLOCK;
  }
  if (k.call === "fcntl_lock") {
    job.ctrl[ARG] = k.fd;
    job.ctrl[ARG + 1] = k.cmd;
    job.data.set(k.lock);
    return KIND_FCNTL_LOCK;
  }
  if (k.call === "msgsnd") {
    job.ctrl[ARG] = k.msqid;
    job.ctrl[ARG + 1] = k.msgp.length - 8;
    job.ctrl[ARG + 2] = k.msgflg;
    job.data.set(k.msgp);
    return KIND_MSGSND;
  }
  job.ctrl[ARG] = k.semid;
  job.ctrl[ARG + 1] = k.nsops;
  job.ctrl[ARG + 2] = timeoutMs === null ? 0 : 1;
  if (timeoutMs !== null) {
    encodeTimespec(timeoutMs, job.data.subarray(0, SEMTIMEDOP_OPS_AT));
  }
  job.data.set(k.sops, SEMTIMEDOP_OPS_AT);
  return KIND_SEMTIMEDOP;
}

/** The control block of a job. */
interface Job {
  /** Integer slots; a job writes its kind's arguments from `ARG` on. */
  readonly ctrl: Int32Array<SharedArrayBuffer>;
  /** Byte area for struct arguments. */
  readonly data: Uint8Array<SharedArrayBuffer>;
}

/** A wait, described so that the engine can try it, park it and report it. */
export interface BlockingOp {
  /**
   * Waits with equal keys are interchangeable: they queue in order and
   * share one helper thread (waits without a descriptor), or one spin
   * budget.
   */
  readonly key: string;
  /**
   * The descriptor the op waits on, if any: the wait then goes to the
   * reactor, and closing the descriptor through the library ends it (see
   * {@linkcode endWaits}).
   */
  readonly fd?: number;
  /**
   * For a wait without a readiness event whose call still names a
   * descriptor (`flock`, `fcntl` locks): that descriptor. Closing it
   * through the library ends the wait, as for `fd`, so that no retry is
   * ever made on whatever the number comes to mean next.
   */
  readonly uses?: number;
  /**
   * For a wait without a descriptor: the kernel object it waits on, named
   * by the facility (`msg:ID` for a System V queue, say), so that the
   * object's `unref()` can find its waits (see {@linkcode refObject}).
   */
  readonly object?: string;
  /** With `fd`: the readiness the op needs, `EPOLLIN` or `EPOLLOUT`. */
  readonly events?: number;
  /**
   * True if the caller has just made the call and found it would block
   * (its first attempt then says so without a second call). Such a wait
   * parks at once: it is never deferred to the next turn (see `TURN_MS`).
   */
  readonly tried?: boolean;
  /**
   * True if the caller did not make the call because a short read found
   * the descriptor drained (see {@linkcode drained}): its first attempt
   * says it would block without a call, as with `tried`, and the engine
   * tries it anyway if no event comes for its descriptor before the main
   * thread would sleep, or within {@linkcode PRESUMED_MS} (at most
   * {@linkcode PRESUMED_FULL_MS} while events pile up).
   */
  readonly presumed?: boolean;
  /**
   * For a wait without a descriptor: whether waits of its key are served in
   * the order they were made (receives from one queue, say). One made while
   * an earlier one of the key waits then queues behind it, with no try of
   * its own. Not for a call that must not wait (`IPC_NOWAIT`).
   */
  readonly ordered?: boolean;
  /**
   * For a write on a descriptor: the stream of writes it belongs to (a
   * datagram's receiver). Writes waiting in the timed retries (a datagram
   * to a full receiver, which no event announces) keep their order within
   * a lane, and one receiver that is full holds up no other's. Absent: the
   * descriptor's one lane.
   */
  readonly lane?: string;
  /**
   * Called when the wait queues behind an earlier one without a try of its
   * own: from then on it has waited (an `EINVAL` later means the object was
   * removed, as after a try that would have blocked).
   */
  queued?(): void;
  /**
   * Tries the call without blocking, on the calling thread.
   *
   * @returns true if it completed, false if it would block
   * @throws {IpcError} for any other failure
   */
  attempt(): boolean;
  /**
   * For a wait without a descriptor: the blocking call a helper thread can
   * make in the kernel. Without it, the wait is retried on a timer.
   */
  readonly kernel?: KernelCall;
  /**
   * The error for an errno the helper thread's call returned.
   *
   * @param errno the errno
   * @returns the error
   */
  fail(errno: number): IpcError;
  /**
   * The error for a wait that timed out.
   *
   * @param timeoutMs the timeout that ran out
   * @returns the error
   */
  timedOut(timeoutMs: number): Error;
  /**
   * What the call gave, once {@linkcode attempt} has returned true: the
   * value the wait's promise resolves with (see {@linkcode waitFor}).
   */
  readonly value?: unknown;
}

/**
 * When an async wait gives up. A call that waits takes these two options
 * and no other: any other name (a misspelled `timeout`) is refused with a
 * `TypeError`, whether the call would have waited or not; a `Sync` twin
 * takes `timeout` alone.
 */
export interface WaitOptions {
  /**
   * Milliseconds to wait at most (0 to `Number.MAX_SAFE_INTEGER`); default:
   * no limit. A wait that runs out rejects with `IpcError` `ETIMEDOUT`.
   */
  timeout?: number;
  /** Cancels the wait; it then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Checks the options of a wait before anything starts: an object of
 * `timeout` and `signal` only. A misspelled `timeout` (`timout`) would
 * otherwise be left unread, and the wait never end.
 *
 * @param options the options, as the caller gave them
 * @param where the call or method, for the error
 * @param names false when the caller has checked the names (options that
 *   hold more than these)
 * @returns the timeout in ms, or null for none
 * @throws {TypeError} if options is not an object, has an option a wait
 *   does not have, or `signal` is not an `AbortSignal`
 * @throws {RangeError} if `timeout` is not a number from 0 to `Number.MAX_SAFE_INTEGER`
 */
export function checkWaitOptions(
  options: WaitOptions,
  where: string,
  names = true,
): number | null {
  if (names && fineWaitOptions(options)) return options.timeout ?? null;
  checkOptions(options, where);
  if (names) {
    const stray = strayOption(options);
    if (stray !== undefined) throw unknownOption(stray, WAIT_OPTIONS, where);
  }
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Invalid option "signal" to ${where}: expected an AbortSignal, got "${
        show(signal)
      }"`,
    );
  }
  return checkTimeout(options.timeout, where);
}

/**
 * The milliseconds left of a wait of `timeout` ms that ends at `deadline`
 * (a `monotonicMs()` time): never below 0, nor above `timeout`. Near
 * `Number.MAX_SAFE_INTEGER` the sum and the difference round, and could
 * otherwise give back more than the caller asked for, which the next
 * call's check refuses.
 *
 * @param deadline when the wait ends
 * @param timeout the whole wait
 * @returns the time left
 */
export function timeLeft(deadline: number, timeout: number): number {
  return Math.min(timeout, Math.max(0, deadline - monotonicMs()));
}

/**
 * Checks the options of a blocking (`Sync`) call, as
 * {@linkcode checkWaitOptions} checks an async one's: an object, with a
 * valid `timeout` if any, and no `signal`, which a call that blocks the
 * thread could never see. Without this, options that are not an object (a
 * string, say) would read as "no timeout", and a `signal` would seem to
 * bound a wait it cannot end: both would block for ever, as would a
 * misspelled `timeout`, which is refused too.
 *
 * @param options the options, as the caller gave them
 * @param where the method, for the error
 * @param names false when the caller has checked the names (options that
 *   hold more than `timeout`)
 * @returns the timeout in ms, or undefined for none
 * @throws {TypeError} if options is not an object, `timeout` is not a
 *   number, a `signal` is given, or an option a wait does not have
 * @throws {RangeError} if `timeout` is out of range
 */
export function syncTimeout(
  options: { timeout?: number },
  where: string,
  names = true,
): number | undefined {
  checkOptions(options, where);
  if ((options as { signal?: unknown }).signal !== undefined) {
    throw new TypeError(
      `Invalid option "signal" to ${where}: a blocking call cannot be aborted; use "timeout", or the async form with "signal"`,
    );
  }
  if (names) {
    const stray = strayOption(options);
    if (stray !== undefined) {
      throw unknownOption(stray, SYNC_WAIT_OPTIONS, where);
    }
  }
  return checkTimeout(options.timeout, where) ?? undefined;
}

/**
 * The wait's part of a method's options, `timeout` and `signal`, for a
 * method whose options hold more (checked by `knownOptions`) to pass on to
 * a call that takes a wait's options only, and checks them.
 *
 * @param options the method's options, their names checked
 * @returns a new object of `timeout` and `signal` alone, or `options`
 *   itself if it is not an object
 */
export function waitPart<T extends WaitOptions | undefined>(
  options: T,
): T | WaitOptions {
  // Anything else is passed on as it is, for the call's check to refuse.
  return isOptionsObject(options)
    ? { timeout: options.timeout, signal: options.signal }
    : options;
}

/**
 * Ends the async waits an object made once the object is closed, for the
 * objects with no descriptor whose closing would end them (a System V
 * queue or set): each wait is given a signal that `close` aborts, beside
 * the caller's own.
 */
export class ClosingWaits {
  #controller: AbortController | undefined;

  /**
   * The options to wait with: the caller's `timeout`, and a signal that
   * aborts with the caller's or at `close`. Options that are not an
   * object are passed on as they are, for the call's check to refuse.
   *
   * @param options the caller's options, their names checked (only
   *   `timeout` and `signal` are read, so no `waitPart` is needed first)
   * @returns the options to pass to the wait
   */
  options(options: WaitOptions): WaitOptions {
    if (!isOptionsObject(options)) return options;
    const own = (this.#controller ??= new AbortController()).signal;
    const theirs = options.signal;
    return {
      timeout: options.timeout,
      signal: theirs instanceof AbortSignal
        ? AbortSignal.any([theirs, own])
        : theirs === undefined
        ? own
        : theirs, // not a signal: for the wait's check to refuse
    };
  }

  /**
   * Ends every wait made with {@linkcode ClosingWaits.options}: each
   * rejects with `reason`.
   *
   * @param reason the error the waits reject with
   */
  close(reason: unknown): void {
    this.#controller?.abort(reason);
  }
}

/** The options of a wait. */
const WAIT_OPTIONS = ["timeout", "signal"] as const;
/** The options of a blocking wait. */
const SYNC_WAIT_OPTIONS = ["timeout"] as const;

/**
 * The first own name of `options` that a wait does not have, if any: a
 * loop over its keys, a few nanoseconds for the usual one or none. Own
 * names only, as `knownOptions` reads them: an enumerable property put on
 * `Object.prototype` by some other code must not make every wait throw.
 *
 * @param options the options, an object
 * @returns the name, or undefined when all are `timeout` or `signal`
 */
function strayOption(options: object): string | undefined {
  for (const name in options) {
    if (
      name !== "timeout" && name !== "signal" && Object.hasOwn(options, name)
    ) return name;
  }
  return undefined;
}

/**
 * Whether wait options are fine as they are (the common case, checked
 * without building anything): an object of a valid `timeout` and an
 * `AbortSignal`, each optional, and nothing else.
 */
function fineWaitOptions(options: unknown): options is WaitOptions {
  if (!isOptionsObject(options)) return false;
  const { timeout: t, signal } = options as WaitOptions;
  return (t === undefined ||
    (typeof t === "number" && t >= 0 && t <= Number.MAX_SAFE_INTEGER)) &&
    (signal === undefined || signal instanceof AbortSignal) &&
    strayOption(options) === undefined;
}

/**
 * Validates a timeout option.
 *
 * @param timeout milliseconds, or undefined for none
 * @param where the call or method, for the error
 * @param name what the timeout is, for the error: `option "timeout"`, or
 *   `argument "timeout"` for a C call's
 * @returns the timeout, or null for none
 * @throws {TypeError} if it is not a number
 * @throws {RangeError} if negative, NaN or above `Number.MAX_SAFE_INTEGER`
 */
export function checkTimeout(
  timeout: unknown,
  where: string,
  name = 'option "timeout"',
): number | null {
  if (timeout === undefined) return null;
  if (typeof timeout !== "number") {
    throw new TypeError(
      `Invalid ${name} to ${where}: expected a number of milliseconds, got "${
        show(timeout)
      }"`,
    );
  }
  if (!(timeout >= 0 && timeout <= Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(
      `${name[0].toUpperCase()}${
        name.slice(1)
      } to ${where} is out of range: "${timeout}" is not a number of milliseconds from 0 to ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return timeout;
}

/** A timer that may run longer than `setTimeout` allows. */
export interface LongTimer {
  id: ReturnType<typeof setTimeout> | undefined;
  /** Whether it keeps the process alive (see {@linkcode refLater}). */
  ref: boolean;
}

/**
 * Runs `fn` after `ms` milliseconds, any number up to
 * `Number.MAX_SAFE_INTEGER`, chaining timers past `setTimeout`'s limit.
 *
 * @param ms when
 * @param fn what
 * @param ref whether the timer keeps the process alive until it fires
 * @returns the timer, for {@linkcode cancelLater}
 */
export function later(ms: number, fn: () => void, ref = true): LongTimer {
  const t: LongTimer = { id: undefined, ref };
  const end = monotonicMs() + ms;
  const arm = (left: number) => {
    t.id = setTimeout(() => {
      const rest = end - monotonicMs();
      if (rest > 1) arm(rest);
      else fn();
    }, Math.min(Math.max(0, left), TIMER_MAX));
    if (!t.ref) Deno.unrefTimer(t.id);
  };
  arm(ms);
  return t;
}

/**
 * Makes a timer of {@linkcode later} keep the process alive, or not.
 *
 * @param t the timer, if any
 * @param ref whether it keeps the process alive
 */
function refLater(t: LongTimer | undefined, ref: boolean): void {
  if (t === undefined || t.ref === ref) return;
  t.ref = ref;
  if (t.id === undefined) return;
  if (ref) Deno.refTimer(t.id);
  else Deno.unrefTimer(t.id);
}

/**
 * Cancels a timer of {@linkcode later}.
 *
 * @param t the timer, if any
 */
export function cancelLater(t: LongTimer | undefined): void {
  if (t?.id !== undefined) clearTimeout(t.id);
}

interface Thread {
  worker: Worker;
  ctrl: Int32Array<SharedArrayBuffer>;
  data: Uint8Array<SharedArrayBuffer>;
  /** Set if the thread died; it is then never used again. */
  failure: unknown;
}

type Place = "new" | "deferred" | "reactor" | "group" | "retry";

interface Entry {
  op: BlockingOp;
  timeout: number | null;
  deadline: number | null;
  signal: AbortSignal | undefined;
  resolve: (value: unknown) => void;
  reject: (e: unknown) => void;
  settled: boolean;
  where: Place;
  /**
   * When the wait parked (monotonicMs()), read only where a spin
   * could follow (see {@linkcode succeed}); else -Infinity.
   */
  parkedAt: number;
  /** Set when the call in the kernel is being interrupted, with the error. */
  cancel: { error: unknown } | undefined;
  /**
   * Whether the wait keeps the process alive: false for a wait on a
   * descriptor or kernel object that was unrefed (see
   * {@linkcode refDescriptor}, {@linkcode refObject}).
   */
  held: boolean;
  timer: LongTimer | undefined;
  onAbort: (() => void) | undefined;
  /**
   * Its place in {@linkcode presumed} (counted from the first wait ever
   * put there), or -1: it leaves the list as it ends.
   */
  slot: number;
}

/** Interchangeable waits without a descriptor, in order. */
interface Group {
  key: string;
  queue: Entry[];
  running: Entry | null;
  thread: Thread | null;
}

/** A descriptor's registration in the epoll set. */
interface Watch {
  fd: number;
  entries: Entry[];
  /** Whether the descriptor is in the epoll set. */
  added: boolean;
  /**
   * Whether a stream read on it came back short and no read-side event
   * has come since (see {@linkcode drained}).
   */
  drained: boolean;
  /**
   * Whether it is registered for write-side events too: only once a write
   * (or connect) has waited on it (see {@linkcode register}).
   */
  out: boolean;
  /**
   * The sweep (see {@linkcode sweep}) during which its oldest parked wait
   * was last woken or checked: a count, where a clock would cost a read
   * for every wait.
   */
  parkedAt: number;
}

/** Something retried on the timer: a wait, or a group's queue. */
interface Retry {
  due: number;
  delay: number;
  run(): void;
  done(): boolean;
  /** The wait, when one wait is retried (not a group's queue). */
  entry?: Entry;
}

interface Spin {
  budget: number;
}

const spins = new Map<string, Spin>();
const CPUS = navigator.hardwareConcurrency ?? 1;
const groups = new Map<string, Group>();
/**
 * A table by descriptor with the few methods of a `Map` the engine uses:
 * an array indexed by the number (descriptors are small and dense). Its
 * lookups, several per echo of a server, cost less than a `Map`'s: with
 * 1,000 pairs of connections echoing in one process, about 11.6 µs an
 * echo against 12.7 to 13.3 with a `Map` (this and the rounds that come
 * back full, see {@linkcode PRESUMED_FULL_MS}, together).
 */
class FdTable<T> {
  #slots: (T | undefined)[] = [];
  /** How many descriptors have an entry. */
  size = 0;
  get(fd: number): T | undefined {
    return this.#slots[fd];
  }
  set(fd: number, value: T): void {
    if (this.#slots[fd] === undefined) this.size++;
    this.#slots[fd] = value;
  }
  delete(fd: number): boolean {
    if (this.#slots[fd] === undefined) return false;
    this.#slots[fd] = undefined;
    this.size--;
    return true;
  }
  /** The entries, by descriptor number. */
  *values(): IterableIterator<T> {
    for (const value of this.#slots) if (value !== undefined) yield value;
  }
  clear(): void {
    this.#slots = [];
    this.size = 0;
  }
}

const watches = new FdTable<Watch>();
const retries = new Set<Retry>();
/**
 * Waits deferred to the next turn of the event loop (see
 * {@linkcode deferToNextTurn}), so that closing their descriptor ends them.
 */
const deferred = new Set<Entry>();
/**
 * How many of the {@linkcode deferred} waits each descriptor side
 * ({@linkcode lineKey}) and each key without a descriptor has: a burst of
 * waits on many descriptors (a thousand first reads) then finds its own
 * line empty at once, instead of scanning every deferred wait for each.
 */
const deferredIndex = new Map<number | string, number>();

/** Where a deferred wait counts in {@linkcode deferredIndex}. */
function deferredTag(entry: Entry): number | string {
  const { op } = entry;
  return op.fd === undefined ? op.key : lineKey(op.fd, sideOf(op));
}

/** Adds a wait to {@linkcode deferred}, counted. */
function deferAdd(entry: Entry): void {
  deferred.add(entry);
  const tag = deferredTag(entry);
  deferredIndex.set(tag, (deferredIndex.get(tag) ?? 0) + 1);
}

/** Takes a wait out of {@linkcode deferred}, if it is there. */
function deferDelete(entry: Entry): void {
  if (!deferred.delete(entry)) return;
  const tag = deferredTag(entry);
  const n = deferredIndex.get(tag)! - 1;
  if (n === 0) deferredIndex.delete(tag);
  else deferredIndex.set(tag, n);
}
/** The pending waits of ops with {@linkcode BlockingOp.uses}, by descriptor. */
const usesFd = new Map<number, Set<Entry>>();
const idle: Thread[] = [];
/** Helper threads built but not started yet (see {@linkcode takeThread}). */
const starting = new Set<Thread>();
/** Groups waiting for a helper thread, oldest first. */
const starving = new Set<Group>();
let threads = 0;
/** The waits that keep the process alive (see {@linkcode hold}). */
let pending = 0;
/** Every pending wait, unrefed ones included. */
let waits = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;
let signalNumber = 0;

/**
 * Whether a wait may spin: few enough others parked, and every watched
 * descriptor but one (the wait's own) has a wait parked on it, so none is
 * busy with work a spin would hold up.
 */
function spinAllowed(): boolean {
  return waits <= SPIN_WHEN_PARKED && watches.size - reactorWaits <= 1;
}

/** What {@linkcode spin} did: nothing, called in vain, or completed. */
const NOT_SPUN = 0, SPUN = 1, SPUN_DONE = 2;

/**
 * Retries the fast path for the key's spin budget.
 *
 * @returns {@linkcode SPUN_DONE} if the op completed while spinning,
 *   {@linkcode SPUN} if it made the call and would still block, or
 *   {@linkcode NOT_SPUN} if the key has no budget (no call made)
 */
function spin(op: BlockingOp): number {
  let s = spins.get(op.key);
  if (s === undefined) {
    // No budget until a wait of this key is seen to be woken soon enough
    // (succeed): a peer in this same thread would never answer a spin.
    if (spins.size >= 1024) spins.clear();
    spins.set(op.key, s = { budget: 0 });
  }
  if (s.budget === 0) return NOT_SPUN;
  const c = libc();
  let end = 0;
  for (let i = 0;; i++) {
    if (CPUS < 2) c.sched_yield();
    if (op.attempt()) {
      s.budget = Math.min(SPIN_MAX_US, s.budget * 2);
      return SPUN_DONE;
    }
    // The clock is read from the first miss on: most spins succeed at once.
    const now = monotonicMs();
    if (i === 0) end = now + s.budget / 1000;
    else if (now >= end) break;
  }
  s.budget = s.budget < 4 ? 0 : s.budget / 2;
  return SPUN;
}

/**
 * Whether a caller may make the first attempt of a wait itself, before
 * building the op, exactly as {@linkcode wait} would make it (not once this
 * turn of the event loop has run for {@linkcode TURN_MS}): a descriptor
 * wait (`pollOp`'s key, `syscall:fd`), or one on an id whose op's key is
 * `syscall:id`, or `syscall:id:detail` with `detail`. Not with a signal or a
 * timeout, which {@linkcode wait} checks first; nor when this process has
 * one CPU and the key has had to spin (while a spin would be allowed),
 * where {@linkcode wait} yields to the peer first. Lets a hot path skip the
 * op's closures when the call goes through at once.
 *
 * @param syscall the call's name
 * @param fd the descriptor, or the object's id
 * @param options the wait's options
 * @param ordered whether the op is `ordered` (see {@linkcode BlockingOp})
 * @param detail the rest of the op's key, if it has more: `detail` and
 *   `detail2` joined by `:` (plain values, so that the key is built only
 *   if it is asked for, with no closure made per call)
 * @param detail2 its second part
 * @returns whether the caller may make the call itself now
 */
export function tryAtOnce(
  syscall: string,
  fd: number,
  options: WaitOptions,
  ordered = false,
  detail?: number | bigint,
  detail2?: number,
): boolean {
  if (!fastPath(syscall, fd, options, detail, detail2)) return false;
  // An ordered wait behind an earlier one of its key (a receive of the same
  // queue and type): it goes the long way, and parks behind that one.
  return !ordered || groups.size === 0 ||
    !queuedKey(keyOf(syscall, fd, detail, detail2));
}

/** The key of {@linkcode tryAtOnce}'s op. */
function keyOf(
  syscall: string,
  fd: number,
  detail: number | bigint | undefined,
  detail2: number | undefined,
): string {
  return detail === undefined
    ? `${syscall}:${fd}`
    : `${syscall}:${fd}:${detail}:${detail2}`;
}

/** {@linkcode tryAtOnce} but for the line: what may skip the op's making. */
function fastPath(
  syscall: string,
  fd: number,
  options: WaitOptions,
  detail?: number | bigint,
  detail2?: number,
): boolean {
  // Anything but a plain object with no option but these two, left
  // undefined, goes the long way, where it is checked; a turn that has
  // run for TURN_MS too, where the wait is deferred. The clock is read
  // every 16th call (it costs 140 ns here, a tenth of a whole read): a
  // loop of calls that complete at once is still seen within 16 calls of
  // the turn's TURN_MS. On one CPU, the key is built only when a spin is
  // allowed and some key has spun.
  return isOptionsObject(options) &&
    options.signal === undefined && options.timeout === undefined &&
    strayOption(options) === undefined &&
    ((++fastCalls & 15) !== 0 || !longTurn()) &&
    (CPUS >= 2 || spins.size === 0 || !spinAllowed() ||
      !yieldsFirst(keyOf(syscall, fd, detail, detail2)));
}

/**
 * Whether a wait of `key` lets the peer run before its first try: on one
 * CPU, where a peer cannot answer while this thread runs, for a key with
 * spin state (it has had to spin before), and only while a spin would be
 * allowed. With more waits parked, the thread has other work, and a yield
 * before every read cost a server its batches: with 12 echo clients sharing
 * one CPU with it, 2.5 times as many context switches as `Deno.listen`, at
 * 0.72 of its throughput; 0.88 with the yield kept to few waits (one client:
 * 0.95 either way).
 *
 * @param key the wait's key
 * @returns whether it yields first
 */
function yieldsFirst(key: string): boolean {
  return CPUS < 2 && spinAllowed() && spins.has(key);
}

/**
 * {@linkcode tryAtOnce} for a call on a descriptor that waits for `events`
 * (`EPOLLIN` or `EPOLLOUT`): not while an earlier wait of that direction is
 * parked on it, so that concurrent reads take the bytes, and concurrent
 * writes send theirs, in the order they were made.
 *
 * @param syscall the call's name
 * @param fd the descriptor
 * @param events `EPOLLIN` or `EPOLLOUT`
 * @param options the wait's options
 * @returns whether the caller may make the call itself now
 */
export function tryFdAtOnce(
  syscall: string,
  fd: number,
  events: number,
  options: WaitOptions,
): boolean {
  return fastPath(syscall, fd, options) && !queuedOn(fd, events);
}

/**
 * Whether a wait for `events` (its read or write side) is parked on `fd`:
 * a new wait of that side then queues behind it instead of trying at once.
 * A wait parked in the reactor is woken in the order it parked, so order
 * holds once it is there.
 */
function queuedOn(
  fd: number,
  events: number,
  withDeferred = true,
  lane?: string,
): boolean {
  const side = events & EPOLLIN;
  // One deferred to the next turn (see TURN_MS) is in line too.
  if (
    withDeferred && deferred.size > 0 && deferredIndex.has(lineKey(fd, side))
  ) {
    for (const entry of deferred) if (onSide(entry, fd, side)) return true;
  }
  // One in the timed retries (a datagram to a full receiver) is too.
  if (retryLines.size > 0 && inRetryLine(fd, side, lane)) return true;
  const w = watches.get(fd);
  if (w === undefined || w.entries.length === 0) return false;
  for (const entry of w.entries) {
    if (entry.where === "reactor" && onSide(entry, fd, side)) return true;
  }
  return false;
}

/** The side of a descriptor an op waits on: its `EPOLLIN` bit (0: a write). */
function sideOf(op: BlockingOp): number {
  return (op.events ?? EPOLLIN) & EPOLLIN;
}

/** Whether `entry` waits, unsettled, on `fd`'s side `side` (its `EPOLLIN` bit). */
function onSide(entry: Entry, fd: number, side: number): boolean {
  return !entry.settled && entry.op.fd === fd &&
    sideOf(entry.op) === side;
}

/**
 * Whether a wait without a descriptor is queued, or running on a helper
 * thread, under `key`: a new one of the key then goes behind it.
 */
function queuedKey(key: string, withDeferred = true): boolean {
  if (withDeferred && deferred.size > 0 && deferredIndex.has(key)) {
    for (const entry of deferred) {
      if (!entry.settled && entry.op.key === key) return true;
    }
  }
  const g = groups.get(key);
  return g !== undefined && g.queue.some((entry) => !entry.settled);
}

/**
 * Whether an earlier wait is in line before `op`: on its descriptor's side,
 * or (for an `ordered` op) of its key; with `withDeferred`, counting the
 * waits deferred to the next turn.
 */
function isBehind(op: BlockingOp, withDeferred: boolean): boolean {
  return op.fd !== undefined
    ? queuedOn(op.fd, op.events ?? EPOLLIN, withDeferred, op.lane)
    : op.ordered === true && queuedKey(op.key, withDeferred);
}

/** Whether no wait of the same side parked on its descriptor before it. */
function firstInLine(entry: Entry): boolean {
  const fd = entry.op.fd!;
  const w = watches.get(fd);
  if (w === undefined) return true;
  const side = sideOf(entry.op);
  for (const other of w.entries) {
    if (other === entry) return true;
    if (other.where === "reactor" && onSide(other, fd, side)) return false;
  }
  return true;
}

/**
 * Runs a wait: at once, then (when nothing else waits) a short spin, then
 * the reactor, a helper thread or the timed retries.
 *
 * @param op the wait
 * @param options timeout and abort signal
 * @returns a promise that resolves when the call completed
 * @throws {IpcError} as the call fails, or the op's timeout error
 * @throws {TypeError} for a `signal` that is not an `AbortSignal`
 * @throws {RangeError} for a negative, NaN or too large timeout
 */
export function wait(op: BlockingOp, options: WaitOptions = {}): Promise<void> {
  let timeout: number | null;
  try {
    // Checked in full, with the errors named after the op's call (its
    // key's first part), only when something is wrong.
    timeout = fineWaitOptions(options)
      ? options.timeout ?? null
      : checkWaitOptions(options, op.key.split(":")[0]);
  } catch (e) {
    return Promise.reject(e);
  }
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  let defer = false, behind = false;
  let spun = NOT_SPUN;
  try {
    if (yieldsFirst(op.key)) libc().sched_yield();
    // Behind an earlier wait of its side on the same descriptor: it parks
    // behind that one without a try of its own, to keep their order (a
    // caller that tried already found the line empty).
    behind = !op.tried && !op.presumed && isBehind(op, true);
    if (behind) op.queued?.();
    // A wait made after this turn of the event loop has run for TURN_MS is
    // tried in the next turn, even when it could complete at once: a loop
    // of waits that all succeed at once (a burst of connections to accept,
    // a stream or a queue that always has data) cannot hold timers up.
    defer = !behind && !op.tried && !op.presumed && timeout !== 0 &&
      longTurn();
    if (behind) {
      if (timeout === 0) return Promise.reject(op.timedOut(0));
    } else if (!defer) {
      if (op.attempt()) return Promise.resolve(op.value as undefined);
      if (timeout === 0) return Promise.reject(op.timedOut(0));
      // No spin once this turn has run for TURN_MS: a loop whose waits
      // all succeed by spinning would otherwise never let timers run.
      if (spinAllowed() && !longTurn()) spun = spin(op);
      if (spun === SPUN_DONE) return Promise.resolve(op.value as undefined);
    }
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise<unknown>((resolve, reject) => {
    const fd = op.fd ?? op.uses;
    const entry: Entry = {
      op,
      timeout,
      deadline: timeout === null ? null : monotonicMs() + timeout,
      signal,
      resolve,
      reject,
      settled: false,
      where: "new",
      parkedAt: spins.size > 0 && spinAllowed() ? monotonicMs() : -Infinity,
      cancel: undefined,
      held: fd === undefined
        ? unrefedObjects.size === 0 || op.object === undefined ||
          !unrefedObjects.has(op.object)
        : unrefed.size === 0 || !unrefed.has(fd),
      timer: undefined,
      onAbort: undefined,
      slot: -1,
    };
    waits++;
    if (entry.held) hold();
    if (op.uses !== undefined) {
      let s = usesFd.get(op.uses);
      if (s === undefined) usesFd.set(op.uses, s = new Set());
      s.add(entry);
    }
    if (timeout !== null) {
      entry.timer = later(
        timeout,
        () => stop(entry, op.timedOut(timeout)),
        entry.held,
      );
    }
    if (signal) {
      entry.onAbort = () => stop(entry, signal.reason);
      signal.addEventListener("abort", entry.onAbort, { once: true });
    }
    try {
      // Behind while others are deferred: deferred too, after them, since
      // the next turn takes deferred waits in the order they came.
      if (defer || (behind && deferred.size > 0)) deferToNextTurn(entry);
      else park(entry, spun === SPUN, behind);
    } catch (e) {
      failWith(entry, e);
    }
  }) as Promise<void>;
}

/**
 * {@linkcode wait} for an op that gives a value: the promise resolves with
 * the op's `value` once the call completed, with no promise of the
 * caller's own around it (an echo server's read and write each save one).
 *
 * @param op the wait, with the `value` its successful attempt sets
 * @param options timeout and abort signal
 * @returns the op's value
 * @throws {IpcError} as {@linkcode wait}
 */
export function waitFor<T>(
  op: BlockingOp & { readonly value: T },
  options: WaitOptions = {},
): Promise<T> {
  return wait(op, options) as Promise<unknown> as Promise<T>;
}

/** The op of {@linkcode laterIfLongTurn}: it completes at its first try. */
const TURN_OP: BlockingOp = {
  key: "turn:0",
  attempt: () => true,
  fail: (code: number) => new IpcError(code, { syscall: "wait" }),
  timedOut: (ms: number) =>
    new IpcError(ETIMEDOUT, { syscall: "wait", value: ms }),
};

/**
 * For a call that never waits but may come by the thousand in one turn of
 * the event loop (making a socket and connecting it, say): nothing while
 * this turn has run for less than {@linkcode TURN_MS}, else a promise that
 * resolves in a later turn, taken in order with the deferred waits, so that
 * timers run between.
 *
 * @returns undefined, or the promise to await first
 */
export function laterIfLongTurn(): Promise<void> | undefined {
  return longTurn() ? wait(TURN_OP) : undefined;
}

/** Calls of {@linkcode tryAtOnce}, for reading the clock now and then. */
let fastCalls = 0;
/** When this turn of the event loop began (0: not yet asked). */
let turnStart = 0;
/** When the immediate was set that shows the event loop went round, 0 if none. */
let timersMark = 0;

/**
 * Sets the immediate whose running shows that timers have run, once; it
 * ends the turn.
 */
function markTimers(now: number): void {
  if (timersMark !== 0) return;
  timersMark = now;
  // An immediate runs once the event loop has gone round, timers included
  // (measured: a due timer fires between immediates), within microseconds
  // when the loop is idle, where a zero-delay timer takes over 2 ms here.
  setImmediate(() => {
    timersMark = 0;
    turnStart = 0;
  });
}

/** Whether this turn of the event loop has run for TURN_MS already. */
function longTurn(): boolean {
  const now = monotonicMs();
  markTimers(now);
  if (turnStart === 0) {
    turnStart = now;
    return false;
  }
  return now - turnStart > TURN_MS;
}

/**
 * Marks the start of a turn of the event loop: the engine's own callbacks
 * (a reactor batch, a helper thread's answer, the timed retries) each run
 * as a task of their own, after which timers have had their chance.
 */
function newTurn(): void {
  turnStart = 0;
}

/**
 * Puts a wait where it will be woken.
 *
 * @param entry the wait
 * @param spun whether it has just spun, making its call in vain
 * @param behind whether an earlier wait of its side is parked on its
 *   descriptor: it then makes no call until that one is served
 */
function park(entry: Entry, spun = false, behind = false): void {
  const { op } = entry;
  if (op.fd !== undefined) {
    // Behind waits of its side in the timed retries: in line after them
    // there, where no event would wake it in their stead.
    if (
      behind && retryLines.size > 0 &&
      inRetryLine(op.fd, sideOf(op), op.lane)
    ) {
      toRetry(entry);
      return;
    }
    // Linux reports no readiness for a write that finds a full datagram
    // receiver or a full Unix backlog: both poll as writable. A write-side
    // wait that polls ready, is tried again and still finds EAGAIN goes to
    // the timed retries.
    if (
      !behind && (op.events ?? EPOLLIN) & EPOLLOUT && writableNow(op.fd)
    ) {
      if (tryEntry(entry)) return;
      if (writableNow(op.fd)) {
        toRetry(entry);
        return;
      }
    }
    entry.where = "reactor";
    // A presumed wait that has spun made the call already.
    if (op.presumed && !spun) {
      entry.slot = presumedBase + presumed.length / 2;
      presumed.push(entry, roundTime);
    }
    watch(op.fd, entry);
    return;
  }
  entry.where = "group";
  let g = groups.get(op.key);
  if (g === undefined) {
    g = { key: op.key, queue: [], running: null, thread: null };
    groups.set(op.key, g);
  }
  g.queue.push(entry);
  pump(g);
}

/**
 * Ends a wait with `error` (a timeout or an abort): one whose call a helper
 * thread is making in the kernel is interrupted there first, since the call
 * may still complete.
 */
function stop(entry: Entry, error: unknown): void {
  if (entry.settled) return;
  const g = entry.where === "group" ? groups.get(entry.op.key) : undefined;
  if (g?.running === entry && g.thread) {
    entry.cancel ??= { error };
    kick(g, entry);
    return;
  }
  failWith(entry, error);
  if (g) pump(g);
}

/**
 * Ends every wait of a key (waits without a descriptor, such as those on
 * a semaphore that is being closed), as {@linkcode endWaits} does for a
 * descriptor: each rejects with `error`; one whose call a helper thread is
 * making in the kernel is interrupted there first, and settles once the
 * thread has let go.
 *
 * @param key the waits' {@linkcode BlockingOp.key}
 * @param error the error they reject with
 */
export function endKeyedWaits(key: string, error: unknown): void {
  if (deferredIndex.has(key)) {
    for (const entry of deferred) {
      if (entry.op.fd === undefined && entry.op.key === key) {
        deferDelete(entry);
        failWith(entry, error);
      }
    }
  }
  const g = groups.get(key);
  if (g === undefined) return;
  for (const entry of g.queue.slice()) stop(entry, error);
}

/** What runs once the helper threads making calls on a descriptor let go. */
const onLetGo = new Map<number, (() => void)[]>();
/** How many helper threads are making a call on each descriptor. */
const inCall = new Map<number, number>();

/**
 * Whether a helper thread is making (or is on its way into) a call on
 * `fd`: a lock wait's `flock` or `fcntl`, which {@linkcode endWaits}
 * interrupts. Until it has let go, the number must stay open, or the call
 * could land on the next file given the number.
 *
 * @param fd the descriptor
 * @returns whether one is
 */
export function threadUses(fd: number): boolean {
  return inCall.has(fd);
}

/**
 * Runs `then` once every helper thread making a call on `fd` has let go
 * (see {@linkcode threadUses}), before the wait it made settles.
 *
 * @param fd the descriptor
 * @param then what to run (it must not throw)
 */
export function afterThreadsLetGo(fd: number, then: () => void): void {
  const list = onLetGo.get(fd);
  if (list === undefined) onLetGo.set(fd, [then]);
  else list.push(then);
}

/** The call a wait makes: its key up to the first colon (`recv:12`). */
function syscallOf(entry: Entry): string {
  const { key } = entry.op;
  return key.slice(0, key.indexOf(":"));
}

/**
 * Ends every wait on a descriptor that is being closed: each rejects with
 * `error`, and the descriptor leaves the epoll set. Without this, a wait
 * would go on after the close and, once woken, retry its call on whatever
 * the descriptor's number had come to mean by then (a newly opened pipe or
 * socket), taking data that was not its own.
 *
 * @param fd the descriptor
 * @param error makes the error each ended wait rejects with
 */
export function endWaits(
  fd: number,
  error: (syscall: string) => unknown,
): void {
  // The next owner of the number starts with waits that keep the process
  // alive (an ending wait releases the process by its own `held`); an
  // orphan's close is being made.
  unrefed.delete(fd);
  orphans.delete(fd);
  const w = watches.get(fd);
  if (w !== undefined) {
    watches.delete(fd);
    for (const entry of w.entries) {
      failWith(entry, error(syscallOf(entry)));
    }
    w.entries.length = 0;
    if (w.added && epfd !== -1) {
      libc().epoll_ctl(epfd, EPOLL_CTL_DEL, fd, null);
    }
  }
  if (
    deferredIndex.has(lineKey(fd, EPOLLIN)) || deferredIndex.has(lineKey(fd, 0))
  ) {
    for (const entry of deferred) {
      if (entry.op.fd === fd) {
        deferDelete(entry);
        failWith(entry, error(syscallOf(entry)));
      }
    }
  }
  const using = usesFd.get(fd);
  if (using !== undefined) {
    usesFd.delete(fd);
    for (const entry of using) stop(entry, error(syscallOf(entry)));
  }
  retryLines.delete(lineKey(fd, EPOLLIN));
  retryLines.delete(lineKey(fd, 0));
  if (retries.size === 0) return;
  for (const r of retries) {
    const entry = r.entry;
    if (entry?.op.fd === fd) {
      failWith(entry, error(syscallOf(entry)));
    }
  }
}

/** Ends a wait; returns false if it had already ended. */
function end(entry: Entry): boolean {
  if (entry.settled) return false;
  entry.settled = true;
  if (entry.where === "reactor") reactorWaits--;
  if (entry.slot >= presumedBase) {
    // Out of the list at once: kept there until it aged out, every wait of
    // the last PRESUMED_MS survived a scavenge or two with its op, promise
    // and closures (800 of them with 12 busy echo connections).
    presumed[(entry.slot - presumedBase) * 2] = null;
  }
  if (entry.op.uses !== undefined) {
    const s = usesFd.get(entry.op.uses);
    if (s?.delete(entry) && s.size === 0) usesFd.delete(entry.op.uses);
  }
  cancelLater(entry.timer);
  if (entry.onAbort) entry.signal!.removeEventListener("abort", entry.onAbort);
  waits--;
  if (entry.held) release();
  if (orphans.size !== 0) closeOrphan(entry);
  return true;
}

/**
 * Whether the waits now completing were woken while this thread had
 * nothing else to run (a reactor thread's batch, a helper thread's answer).
 */
let idleWake = false;

function succeed(entry: Entry): void {
  if (!end(entry)) return;
  // A parked wait woken, while this thread was idle, within the spin
  // maximum would have been caught by spinning that long: let the next
  // wait of its key spin so. Not one woken in a round of this thread's own
  // work: its peer may be this thread (the two ends of a socket pair in
  // one process), which cannot run while it spins.
  if (idleWake) {
    const s = spins.get(entry.op.key);
    if (s !== undefined) {
      const waited = (monotonicMs() - entry.parkedAt) * 1000;
      if (waited < SPIN_MAX_US) {
        s.budget = Math.min(SPIN_MAX_US, Math.max(s.budget, waited * 1.5));
      }
    }
  }
  entry.resolve(entry.op.value);
}

function failWith(entry: Entry, error: unknown): void {
  if (!end(entry)) return;
  entry.reject(error);
  if (entry.where === "deferred") letGo(entry);
}

/** Does nothing: an ended wait's promise functions. */
function ignore(): void {}

/**
 * A deferred wait that ended (aborted, timed out, closed) stays in
 * `deferredLine` until its turn comes, there skipped: it leaves the index
 * at once, and lets go of its op (the caller's buffer), signal and promise.
 * A loop of aborted waits that never gives the event loop a turn kept
 * every one of them whole until the next turn (1.7 KB each).
 */
function letGo(entry: Entry): void {
  deferDelete(entry);
  entry.op = TURN_OP; // an op of the engine's own, holding nothing
  entry.signal = entry.onAbort = undefined;
  entry.resolve = entry.reject = ignore;
}

/**
 * Tries a parked wait once.
 *
 * @returns true if it has ended (done or failed), false if it would block
 */
function tryEntry(entry: Entry): boolean {
  if (entry.settled) return true;
  try {
    if (!entry.op.attempt()) return false;
    succeed(entry);
  } catch (e) {
    failWith(entry, e);
  }
  return true;
}

/**
 * Descriptors whose owner was garbage collected while waits on them were
 * pending, each with the close to run once the last has ended (see
 * {@linkcode closeWhenIdle}).
 */
const orphans = new Map<number, () => void>();

/**
 * For the backstop of a descriptor's owner, collected unclosed: runs
 * `close` once no wait on the descriptor is pending. A connection whose
 * read is pending, and which nothing else refers to, is not forgotten: the
 * read completes (or times out) first. The engine keeps no reference to
 * owners, which would cost every wait a `WeakRef` lookup.
 *
 * @param fd the descriptor
 * @param close closes it
 */
export function closeWhenIdle(fd: number, close: () => void): void {
  if (waitingOn(fd)) orphans.set(fd, close);
  else close();
}

/** Runs the close of an orphaned descriptor once its last wait has ended. */
function closeOrphan(entry: Entry): void {
  const fd = entry.op.fd ?? entry.op.uses;
  if (fd === undefined || !orphans.has(fd)) return;
  if (waitingOn(fd)) return;
  const close = orphans.get(fd)!;
  orphans.delete(fd);
  // After the wait's own ending, outside the engine's loops.
  queueMicrotask(close);
}

/** Descriptors whose waits do not keep the process alive (see {@linkcode refDescriptor}). */
const unrefed = new Set<number>();

/**
 * Makes the async waits on a descriptor keep the process alive, as every
 * wait does at first, or not (Deno's `ref()` and `unref()` of a listener or
 * connection): a program whose only pending work is unrefed waits (an
 * accept loop of a control socket, say) ends as if they were not there.
 * It holds for the waits already pending and for those to come, until
 * the descriptor is closed through the library (a later owner of the
 * number starts anew).
 *
 * @param fd the descriptor
 * @param ref whether its waits keep the process alive
 */
export function refDescriptor(fd: number, ref: boolean): void {
  if (ref ? !unrefed.delete(fd) : unrefed.has(fd)) return;
  if (!ref) unrefed.add(fd);
  for (const entry of waitsOn(fd)) setHeld(entry, ref);
}

/**
 * Kernel objects without a descriptor whose waits do not keep the process
 * alive, each with how many objects unrefed it (see {@linkcode refObject}).
 */
const unrefedObjects = new Map<string, number>();

/**
 * {@linkcode refDescriptor} for the waits without a descriptor on one
 * kernel object (a System V queue or semaphore set, a POSIX semaphore),
 * named as their ops' {@linkcode BlockingOp.object}: from the classes'
 * `ref()` and `unref()`. Several objects of the library may stand for one
 * kernel object, so unrefs are counted: each `false` is undone by one
 * `true` (an object's `ref()`, or its close or removal after an
 * `unref()`), and the waits keep the process alive again once all are.
 * It holds for the waits already pending and for those to come.
 *
 * @param object the kernel object, as its waits name it
 * @param ref false for an unref, true to undo one
 */
export function refObject(object: string, ref: boolean): void {
  const was = unrefedObjects.get(object) ?? 0;
  const now = ref ? was - 1 : was + 1;
  if (now < 0) return;
  if (now === 0) unrefedObjects.delete(object);
  else unrefedObjects.set(object, now);
  if ((was === 0) === (now === 0)) return;
  const found = new Set<Entry>();
  for (const g of groups.values()) {
    for (const entry of g.queue) {
      if (entry.op.object === object) found.add(entry);
    }
  }
  for (const entry of deferred) {
    if (entry.op.object === object) found.add(entry);
  }
  for (const r of retries) {
    if (r.entry?.op.object === object) found.add(r.entry);
  }
  for (const entry of found) setHeld(entry, ref);
}

/**
 * Undoes the unref of an {@linkcode ObjectRef} whose owner was garbage
 * collected without `ref()`, `close()` or removal: else the kernel object's
 * waits would stay unrefed for every later object of this process.
 */
const droppedUnrefs = new FinalizationRegistry<string>((object) =>
  refObject(object, true)
);

/**
 * One object's `ref()`/`unref()` of a kernel object's waits
 * ({@linkcode refObject}): it counts at most one unref, and undoes it on
 * `ref()` (the owner also calls `ref()` when it is closed or removes the
 * object), or when it is garbage collected unrefed.
 */
export class ObjectRef {
  #object: string;
  #unrefed = false;

  /** @param object the kernel object, as its waits name it */
  constructor(object: string) {
    this.#object = object;
  }

  /** Lets the object's waits no longer keep the process alive. */
  unref(): void {
    if (this.#unrefed) return;
    this.#unrefed = true;
    refObject(this.#object, false);
    droppedUnrefs.register(this, this.#object, this);
  }

  /** Undoes this owner's {@linkcode ObjectRef.unref}, if any. */
  ref(): void {
    if (!this.#unrefed) return;
    this.#unrefed = false;
    droppedUnrefs.unregister(this);
    refObject(this.#object, true);
  }
}

/** Makes a pending wait keep the process alive, or not. */
function setHeld(entry: Entry, ref: boolean): void {
  if (entry.settled || entry.held === ref) return;
  entry.held = ref;
  refLater(entry.timer, ref);
  if (ref) hold();
  else release();
}

/** Whether a wait on a descriptor is pending. */
function waitingOn(fd: number): boolean {
  return waitsOn(fd).some((entry) => !entry.settled);
}

/** The pending waits on a descriptor, wherever they are parked. */
function waitsOn(fd: number): Entry[] {
  const found = new Set<Entry>(watches.get(fd)?.entries);
  for (const entry of usesFd.get(fd) ?? []) found.add(entry);
  for (const entry of deferred) if (entry.op.fd === fd) found.add(entry);
  for (const r of retries) if (r.entry?.op.fd === fd) found.add(r.entry);
  return [...found];
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

// ---------------------------------------------------------------------------
// The reactor: one epoll set, one helper thread in epoll_wait.

/** The epoll set of the watched descriptors. */
let epfd = -1;
/**
 * The set the reactor thread sits in: `epfd`, one-shot (armed by the main
 * thread when it has nothing left to take), and `wakeFd`.
 */
let outerFd = -1;
/** An eventfd in the outer set that ends the thread's job. */
let wakeFd = -1;
/** Whether `epfd` is armed in the outer set and its signal awaited. */
let armed = false;
/** Whether a round of the main thread's own `epoll_wait` is due. */
let draining = false;
/** The thread that sits in `epoll_wait` on the outer set. */
let reactor: Thread | null = null;
/** Reactor waits parked now. */
let reactorWaits = 0;
const syncEvents = new Uint8Array(MAX_EVENTS * SIZEOF.epoll_event);
const syncView = new DataView(syncEvents.buffer);
/**
 * Waits parked as presumed drained that no event has woken yet, each
 * followed by the time of the round it parked in, oldest first.
 */
const presumed: (Entry | number | null)[] = [];
/**
 * Where the pairs of `presumed` still to look at begin: those before it
 * are done with (cleared), and cut off in bulk (see
 * {@linkcode dropPresumed}).
 */
let presumedHead = 0;
/** The slot of `presumed[0]` (see {@linkcode Entry.slot}). */
let presumedBase = 0;
/** When the main thread's latest round of taking events began. */
let roundTime = 0;

/**
 * Whether the last stream read on `fd` came back short (a read that fills
 * less than its buffer has emptied the descriptor) and no read-side event
 * has come since: the next read would find nothing, and can wait for the
 * event without the call (see {@linkcode BlockingOp.presumed}). Only for a
 * descriptor the reactor watches.
 *
 * @param fd the descriptor
 * @returns true if a read can skip its first call
 */
export function drained(fd: number): boolean {
  return watches.get(fd)?.drained === true;
}

/**
 * Notes what a stream read on `fd` got, for {@linkcode drained}.
 *
 * @param fd the descriptor
 * @param n the bytes read
 * @param len the bytes asked for
 */
export function noteRead(fd: number, n: number, len: number): void {
  if (n > 0 && n < len) {
    const w = watches.get(fd);
    if (w !== undefined) w.drained = true;
  }
}

/** Most presumed waits one `poll` checks (see {@linkcode verifyPresumed}). */
const PRESUMED_POLL = 64;
/**
 * Most presumed waits one {@linkcode verifyPresumed} completes: the rest
 * stay for the next round. Unbounded, a busy server's round woke every
 * connection whose reply had come while the events piled up (384 of 1,000
 * in one round, measured), and the replies those wakes set off held the
 * event loop for over 10 ms.
 */
const PRESUMED_MAX = MAX_EVENTS;
const presumedFds = new Uint8Array(PRESUMED_POLL * SIZEOF.pollfd);
const presumedView = new DataView(presumedFds.buffer);
const presumedBatch: Entry[] = [];

/**
 * Tries once the presumed waits that parked before `before` (all of them
 * with Infinity) and no event has woken: a short read that left data
 * behind then still completes. One `poll` tells which of them can read
 * (a call each would cost as many failed reads as there are connections,
 * at every sleep of the reactor thread). It stops once
 * {@linkcode PRESUMED_MAX} have completed; the waits it has not looked at
 * stay, oldest first, for the next round.
 *
 * @returns true if one of them completed
 */
function verifyPresumed(before: number): boolean {
  let k = presumedHead, done = 0;
  const batch = presumedBatch;
  const due = () =>
    k < presumed.length && (presumed[k + 1] as number) <= before;
  while (done < PRESUMED_MAX && due()) {
    while (batch.length < PRESUMED_POLL && due()) {
      const entry = presumed[k] as Entry | null;
      // One behind an earlier wait on its descriptor is left to the event,
      // which tries them in order: trying it here would let it overtake.
      if (
        entry !== null && !entry.settled && entry.where === "reactor" &&
        firstInLine(entry)
      ) {
        batch.push(entry);
      }
      presumed[k] = null;
      k += 2;
    }
    const n = batch.length;
    for (let j = 0; j < n; j++) {
      encodePollfdAt(presumedView, j, batch[j].op.fd!, EPOLLIN);
    }
    // (EPOLLIN and POLLIN are the same bit.) On failure (EINTR, ENOMEM),
    // every wait is tried, as a lone one is.
    const r = n <= 1 ? -1 : libc().poll(presumedFds, BigInt(n), 0);
    if (r !== 0) {
      for (let j = 0; j < n; j++) {
        if (r > 0 && decodePollReventsAt(presumedView, j) === 0) continue;
        if (tryEntry(batch[j])) done++;
      }
    }
    batch.length = 0;
  }
  if (k > presumedHead) dropPresumed(k);
  return done > 0;
}

/**
 * Marks the pairs of `presumed` before `k` done with; they leave the array
 * in bulk (see {@linkcode cutFront}).
 *
 * @param k the index of the first pair still to look at
 */
function dropPresumed(k: number): void {
  const cut = cutFront(presumed, k);
  presumedBase += cut / 2;
  presumedHead = k - cut;
}

/**
 * Cuts the first `k` elements, done with, off a list read from the front,
 * once they are all of it or at least half of it: taken off the front one
 * round at a time, they moved the whole list every time (`splice`: about
 * 2.7 µs a round with the 600 or so presumed waits a busy echo server with
 * 12 connections keeps listed, in 250,000 of its rounds over 1.4 million
 * echoes); left there until the list emptied, a list never quite emptied
 * would grow for ever.
 *
 * @param list the list
 * @param k how many elements at its front are done with
 * @returns how many it cut: `k`, or 0 (the caller keeps its head at `k`)
 */
function cutFront(list: unknown[], k: number): number {
  if (k === list.length) {
    list.length = 0;
    return k;
  }
  if (k >= 64 && k * 2 >= list.length) {
    list.copyWithin(0, k);
    list.length -= k;
    return k;
  }
  return 0;
}
const ctlEvent = new Uint8Array(16);
const wakeBuf = new BigUint64Array([1n]);
const wakeBytes = new Uint8Array(wakeBuf.buffer);

/** Adds a wait to its descriptor's registration, registering it once. */
function watch(fd: number, entry: Entry): void {
  let w = watches.get(fd);
  if (w === undefined) {
    w = {
      fd,
      entries: [],
      added: false,
      drained: false,
      out: false,
      parkedAt: 0,
    };
    watches.set(fd, w);
  } else if (w.entries.length > 0) {
    // Settled waits leave at once: kept until eight had piled up, each held
    // its op, closures and promise past the next scavenge, and with 1,000
    // connections V8 copied and promoted 12 MB of them in one pause.
    compact(w);
  }
  if (w.entries.length === 0) w.parkedAt = sweeps;
  w.entries.push(entry);
  reactorWaits++;
  if (!w.out && (entry.op.events ?? EPOLLIN) & EPOLLOUT) {
    w.out = true;
    // (A registration changed reports the readiness the file has now, so
    // room that came since the call found none still wakes the wait.)
    if (w.added) register(w, EPOLL_CTL_MOD);
  }
  if (!w.added) register(w, EPOLL_CTL_ADD);
  if (sweepTimer === undefined && reactorWaits > 0) startSweep();
  poll();
}

/** Drops the settled waits of a registration. */
function compact(w: Watch): void {
  let k = 0;
  for (const entry of w.entries) {
    if (!entry.settled && entry.where === "reactor") w.entries[k++] = entry;
  }
  w.entries.length = k;
}

const pollScratch = new Uint8Array(SIZEOF.pollfd);

/**
 * The events `poll` reports for a descriptor now, without waiting.
 *
 * @param fd the descriptor
 * @param events the `poll` events asked about (`POLLRDHUP`, ...)
 * @returns the events it reports (0 for none, or when `poll` fails)
 */
export function eventsNow(fd: number, events: number): number {
  encodePollfd(fd, events, pollScratch);
  return libc().poll(pollScratch, 1n, 0) === 1
    ? decodePollRevents(pollScratch)
    : 0;
}

/** Whether `poll` says the descriptor is writable now. */
function writableNow(fd: number): boolean {
  // (EPOLLOUT and POLLOUT are the same bit.)
  return (eventsNow(fd, EPOLLOUT) & EPOLLOUT) !== 0;
}

/**
 * Registers a descriptor, edge-triggered, once: a wait that found `EAGAIN`
 * is then woken by the next change, with no `epoll_ctl` per wait. `op` is
 * `EPOLL_CTL_ADD`, or `EPOLL_CTL_MOD` to check a registration again (see
 * {@linkcode sweep}) or to add the write side. Read-side events only, until
 * a write waits on the descriptor ({@linkcode Watch.out}): registered for
 * both from the start, an echo server's every reply, once read by its
 * peer, reported the room it left (with 12 echo clients, 1.76 events per
 * echo instead of 1, and rounds of taking events with nothing to do).
 */
function register(w: Watch, op: number): void {
  startReactor();
  const c = libc();
  encodeEpollEvent(EPOLLIN | EPOLLET | (w.out ? EPOLLOUT : 0), w.fd, ctlEvent);
  let r = c.epoll_ctl(epfd, op, w.fd, ctlEvent);
  let e = r === -1 ? errno() : 0;
  if (e === ENOENT || e === EEXIST) {
    // Closed behind the library's back and the number reused, or still in
    // the set through another descriptor of the same file: say it afresh.
    r = c.epoll_ctl(
      epfd,
      e === ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
      w.fd,
      ctlEvent,
    );
    e = r === -1 ? errno() : 0;
  }
  if (r === 0) {
    w.added = true;
    return;
  }
  // EPERM: a file epoll cannot watch (a regular file is always ready);
  // anything else fails the waits with the call's own error.
  for (const entry of w.entries.splice(0)) {
    if (entry.settled) continue;
    reactorWaits--;
    if (e === EPERM) toRetry(entry);
    else failWith(entry, entry.op.fail(e === 0 ? EBADF : e));
  }
}

// A descriptor closed behind the library's back (not through `close`, so
// not through endWaits) leaves the epoll set, and its number may come to
// mean another file that was never registered. Waits parked for a while
// have their registration checked again, one `epoll_ctl` each per
// SWEEP_MS: 1,000 idle connections cost about a millisecond a second.
let sweepTimer: ReturnType<typeof setTimeout> | undefined;
/** Sweeps so far: the clock of {@linkcode Watch.parkedAt}. */
let sweeps = 0;

function startSweep(): void {
  const t = setTimeout(sweep, SWEEP_MS);
  Deno.unrefTimer(t);
  sweepTimer = t;
}

function sweep(): void {
  sweepTimer = undefined;
  if (epfd === -1) return;
  // Parked since before the last sweep: for SWEEP_MS at least.
  const old = sweeps++;
  for (const w of watches.values()) {
    if (w.entries.length === 0) continue;
    compact(w);
    if (w.entries.length > 0 && w.parkedAt < old) {
      w.parkedAt = sweeps;
      register(w, EPOLL_CTL_MOD);
    }
  }
  if (reactorWaits > 0) startSweep();
}

/** Handles one batch of ready descriptors. */
function dispatch(view: DataView, n: number): void {
  for (let i = 0; i < n; i++) {
    const { events, fd } = decodeEpollEvent(view, i);
    const w = watches.get(fd);
    if (w === undefined) continue;
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) w.drained = false;
    if (w.entries.length === 0) continue;
    let blockedIn = 0, blockedOut = 0;
    const ready = events | ((events & (EPOLLERR | EPOLLHUP)) ? -1 : 0);
    for (const entry of w.entries) {
      if (entry.settled || entry.where !== "reactor") continue;
      const want = entry.op.events ?? EPOLLIN;
      if ((want & ready) === 0) continue;
      // In order: once one wait of a direction would block, the later ones
      // of that direction stay parked behind it.
      if ((want & EPOLLIN ? blockedIn : blockedOut) !== 0) continue;
      if (tryEntry(entry)) continue;
      // Still EAGAIN (the event was for data another wait took, or a stale
      // edge): it stays parked until the next change.
      if (want & EPOLLIN) blockedIn = 1;
      else blockedOut = 1;
    }
    compact(w);
    if (w.entries.length > 0) w.parkedAt = sweeps;
  }
}

/** Makes the epoll sets and the wake-up eventfd, once. */
function startReactor(): void {
  if (epfd !== -1) return;
  const c = libc();
  const ep = c.epoll_create1(EPOLL_CLOEXEC);
  const outer = ep === -1 ? -1 : c.epoll_create1(EPOLL_CLOEXEC);
  const ev = outer === -1 ? -1 : c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  // The inner set starts disarmed: one-shot with no event.
  if (
    ev === -1 ||
    c.epoll_ctl(
      outer,
      EPOLL_CTL_ADD,
      ev,
      encodeEpollEvent(EPOLLIN, ev, ctlEvent),
    ) ||
    c.epoll_ctl(
      outer,
      EPOLL_CTL_ADD,
      ep,
      encodeEpollEvent(EPOLLONESHOT, ep, ctlEvent),
    )
  ) {
    const e = errno();
    for (const fd of [ep, outer, ev]) if (fd !== -1) c.close(fd);
    throw new IpcError(e, {
      syscall: ev !== -1
        ? "epoll_ctl"
        : outer !== -1
        ? "eventfd"
        : "epoll_create1",
      hint: "the async engine could not start",
    });
  }
  epfd = ep;
  outerFd = outer;
  wakeFd = ev;
  for (const fd of [ep, outer, ev]) engineDescriptor(fd, true);
}

/**
 * Arms the reactor thread while reactor waits are parked and the main
 * thread has nothing ready: `epfd` is re-armed, one-shot, in the set the
 * thread sits in, so the thread wakes once when a descriptor is ready and
 * then stays asleep while the main thread takes the events itself (see
 * {@linkcode drainLater}). The thread never waits for a job: a hop costs
 * it one wake-up.
 */
function poll(): void {
  if (draining || reactorWaits <= 0 || epfd === -1) return;
  // Before this thread sleeps, the presumed waits make their call (one that
  // parks while the reactor thread is already armed too).
  if (presumed.length > presumedHead && verifyPresumed(Infinity)) {
    drainLater();
    return;
  }
  if (armed) return;
  const t = reactorThread();
  armed = true;
  const seen = Atomics.load(t.ctrl, SEQ);
  encodeEpollEvent(EPOLLIN | EPOLLONESHOT, epfd, ctlEvent);
  libc().epoll_ctl(outerFd, EPOLL_CTL_MOD, epfd, ctlEvent);
  signalled(t, seen).then(() => {
    armed = false;
    newTurn();
    if (t.failure !== undefined && reactor === t) reactor = null;
    if (epfd === -1) return;
    take(true);
  });
  if (Atomics.load(t.ctrl, TID) === 0) pollWhileStarting(t, 1);
}

/**
 * The reactor thread, built (and given its job: sleeping in `epoll_wait`
 * on the outer set) if there is none. `startReactor` has made the sets.
 */
function reactorThread(): Thread {
  let t = reactor;
  if (t === null) {
    t = reactor = spawn();
    t.ctrl[KIND] = KIND_REACTOR;
    t.ctrl[ARG] = outerFd;
    t.ctrl[ARG + 1] = epfd;
    t.ctrl[ARG + 2] = wakeFd;
    Atomics.store(t.ctrl, CANCEL, 0);
    Atomics.store(t.ctrl, STATE, JOB);
    Atomics.notify(t.ctrl, STATE);
  }
  return t;
}

/** The timer of {@linkcode pollWhileStarting}, if one is set. */
let startTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Takes the ready descriptors on a timer while the reactor thread is
 * starting (about 25 ms here; about a second for a thread built from a
 * Worker), after 1 ms, then twice as long each time up to
 * {@linkcode RETRY_MAX_MS}: a wait parked meanwhile wakes within that, not
 * once the thread is up.
 */
function pollWhileStarting(t: Thread, delay: number): void {
  if (startTimer !== undefined) return;
  startTimer = setTimeout(() => {
    startTimer = undefined;
    if (
      reactor !== t || !armed || epfd === -1 || t.failure !== undefined ||
      Atomics.load(t.ctrl, TID) !== 0
    ) return;
    // A round already due takes the events itself.
    if (!draining && reactorWaits > 0) {
      newTurn();
      take(false);
    }
    pollWhileStarting(t, Math.min(delay * 2, RETRY_MAX_MS));
  }, delay);
  // The pending waits keep the process alive, not this.
  Deno.unrefTimer(startTimer);
}

/** Resolves once the thread has signalled again after `seen`. */
async function signalled(t: Thread, seen: number): Promise<void> {
  while (Atomics.load(t.ctrl, SEQ) === seen && t.failure === undefined) {
    const r = Atomics.waitAsync(t.ctrl, SEQ, seen);
    if (r.async) await r.value;
  }
}

/**
 * One round of taking ready descriptors on the main thread: a non-blocking
 * `epoll_wait`; then another round, or the reactor thread armed when none
 * was ready.
 *
 * @param idle whether the thread was idle until now (woken by the reactor
 *   thread), for the spin budget
 */
function take(idle: boolean): void {
  if (reactorWaits <= 0) return;
  roundTime = monotonicMs();
  let m = libc().epoll_wait(epfd, syncEvents, MAX_EVENTS, 0);
  let woken = idle;
  if (m === 0 && emptyRounds < EMPTY_ROUNDS && !idle) {
    // Nothing yet, after a round that had events: the peers are likely
    // answering now. A hop to the reactor thread costs it a wake-up (about
    // 30 µs of its CPU here) and the main thread a second one, so wait
    // for them here first, a bounded HOLD_US, asleep in the kernel.
    emptyRounds++;
    m = waitBriefly();
    if (m < 0) {
      drainLater();
      return;
    }
    // Woken while this thread slept: by another thread or process, as
    // through the reactor thread (for the spin budget).
    woken = true;
    roundTime = monotonicMs();
  }
  if (m > 0) {
    idleWake = woken;
    try {
      dispatch(syncView, m);
    } finally {
      idleWake = false;
    }
    if (presumed.length > presumedHead) {
      verifyPresumed(
        roundTime - (m < MAX_EVENTS ? PRESUMED_MS : PRESUMED_FULL_MS),
      );
    }
    emptyRounds = 0;
    drainLater();
  } else poll();
}

/**
 * How long the main thread waits in `epoll_pwait2` for a descriptor to be
 * ready, after a round that had events found nothing more, before it arms
 * the reactor thread, in microseconds: with 12 echo clients, the thread
 * hops fell from 1,170 to about 40 per 40,000 echoes (25 µs did as well).
 * The event loop is held no longer than this, asleep: less than a wait's
 * spin may take.
 */
export const HOLD_US = 50;
/**
 * Rounds that find nothing ready the main thread takes, after a round
 * that had events, before it arms the reactor thread.
 */
const EMPTY_ROUNDS = 1;
/** Rounds that found nothing since the last that had events. */
let emptyRounds = 0;
const holdTs = encodeTimespec(HOLD_US / 1000, new Uint8Array(SIZEOF.timespec));
/** Whether `epoll_pwait2` is there (glibc 2.35 and Linux 5.11 on). */
let canHold = true;

/**
 * Waits up to {@linkcode HOLD_US} for a watched descriptor to be ready.
 *
 * @returns how many are ready (0: none in time), or -1 where
 *   `epoll_pwait2` is missing: the caller then takes one more round in
 *   the next turn of the event loop instead
 */
function waitBriefly(): number {
  const c = libc();
  if (canHold && c.epoll_pwait2 !== null) {
    const n = c.epoll_pwait2(epfd, syncEvents, MAX_EVENTS, holdTs, null);
    if (n >= 0) return n;
    const e = errno();
    if (e === EINTR) return 0;
    // ENOSYS: an older kernel.
    canHold = false;
  }
  return -1;
}

/**
 * Takes further ready descriptors on the main thread once what the last
 * round set off has run (its microtasks: the replies written, the next
 * reads parked). Meanwhile the reactor thread stays disarmed, so events
 * that come while the main thread is busy pile up and are taken in one
 * round, with no thread hop; only when none is ready is the thread armed
 * again. Each round is an immediate of its own, so timers run between
 * rounds.
 */
function drainLater(): void {
  draining = true;
  setImmediate(() => {
    draining = false;
    if (epfd === -1) return;
    newTurn();
    take(false);
  });
}

// ---------------------------------------------------------------------------
// Timed retries: one timer for every wait that has no event to wake it.

let retryTimer: ReturnType<typeof setTimeout> | undefined;
let retryImmediate = false;
let retryAt = Infinity;

function addRetry(r: Retry): void {
  retries.add(r);
  schedule(r.due);
}

function schedule(at: number): void {
  if (retryTimer !== undefined && retryAt <= at) return;
  if (retryTimer !== undefined) clearTimeout(retryTimer);
  retryAt = at;
  const delay = at - monotonicMs();
  if (delay <= 0) {
    // Due now (a batch cut short): the next round of the event loop, not a
    // zero-delay timer's 2 ms.
    retryTimer = undefined;
    if (!retryImmediate) {
      retryImmediate = true;
      setImmediate(() => {
        retryImmediate = false;
        runRetries();
      });
    }
    return;
  }
  retryTimer = setTimeout(runRetries, delay);
  // The waits it retries keep the process alive themselves (see hold), so
  // that an unrefed one does not.
  Deno.unrefTimer(retryTimer);
}

function runRetries(): void {
  newTurn();
  if (retryTimer !== undefined) clearTimeout(retryTimer);
  retryTimer = undefined;
  retryAt = Infinity;
  let budget = RETRY_BATCH;
  let next = Infinity;
  const now = monotonicMs();
  for (const r of retries) {
    if (r.done()) {
      retries.delete(r);
      continue;
    }
    if (r.due <= now && budget > 0) {
      budget--;
      r.run();
      if (r.done()) {
        retries.delete(r);
        continue;
      }
      r.delay = Math.min(RETRY_MAX_MS, r.delay * 2);
      r.due = monotonicMs() + r.delay;
    }
    next = Math.min(next, r.due);
  }
  if (next !== Infinity) schedule(budget === 0 ? now : next);
}

/** Waits deferred to the next turn, in the order they came. */
const deferredLine: Entry[] = [];
/** The first of {@linkcode deferredLine} not yet taken. */
let deferredHead = 0;
/** Whether {@linkcode runDeferred} is set to run. */
let deferredSet = false;
/**
 * How many deferred waits {@linkcode runDeferred} takes at most in a turn:
 * as many as fit in {@linkcode TURN_MS}, by what the last batch cost each,
 * what their completion set off included (a connect's socket and call, a
 * read's reply: they run after the batch, as microtasks). Kept from one
 * burst to the next; 16 at first.
 */
let deferredBatch = 16;
/** How deep in microtasks a batch's cost is followed. */
const DEFERRED_DEPTH = 4;

/**
 * Tries a deferred wait once the event loop has gone round (timers and I/O
 * had their turn), then parks it as any other wait if it would block. (On
 * the timed retries it would have stayed there, backing off to 10 ms.)
 */
function deferToNextTurn(entry: Entry): void {
  entry.where = "deferred";
  deferAdd(entry);
  deferredLine.push(entry);
  if (!deferredSet) {
    deferredSet = true;
    setImmediate(runDeferred);
  }
}

/**
 * Takes the deferred waits in the order they came, a batch per turn of the
 * event loop, the rest after timers have run. One immediate for them all:
 * immediates set in one turn run together, with no timer between, so an
 * immediate per wait let a thousand connections' first reads hold the
 * event loop for as long as all their calls took. A batch ends after
 * {@linkcode TURN_MS} of its own calls, or at {@linkcode deferredBatch}
 * waits, since what a completed wait sets off runs after the batch.
 */
function runDeferred(): void {
  deferredSet = false;
  newTurn();
  longTurn(); // this turn's clock starts now
  const start = turnStart;
  const end = Math.min(deferredLine.length, deferredHead + deferredBatch);
  let taken = 0;
  while (deferredHead < end) {
    // The clock is read every 8th wait: each makes a call of its own.
    if (taken > 0 && (taken & 7) === 0 && longTurn()) break;
    taken++;
    const entry = deferredLine[deferredHead++];
    deferDelete(entry);
    if (entry.settled) continue;
    // The deferred waits made before this one have run by now; those still
    // deferred came after it.
    const behind = isBehind(entry.op, false);
    if (behind) entry.op.queued?.();
    else if (tryEntry(entry)) continue;
    try {
      park(entry, false, behind);
    } catch (e) {
      failWith(entry, e);
    }
  }
  // What the batch's waits set off runs next, as microtasks, and some of
  // it sets off more: followed DEFERRED_DEPTH deep (each measure queued
  // behind what ran before it), the batch's cost per wait sizes the next.
  let depth = 0;
  const measure = () => {
    if (++depth < DEFERRED_DEPTH) {
      queueMicrotask(measure);
      return;
    }
    const each = (monotonicMs() - start) / taken;
    deferredBatch = Math.max(
      1,
      Math.min(4096, Math.floor(TURN_MS / Math.max(each, 1e-4))),
    );
  };
  if (taken > 0) queueMicrotask(measure);
  deferredHead -= cutFront(deferredLine, deferredHead);
  if (deferredLine.length === 0) return;
  if (!deferredSet) {
    // Set from within this immediate: it runs in the next turn.
    deferredSet = true;
    setImmediate(runDeferred);
  }
}

/** Moves a wait to the timed retries (its first try after `first` ms). */
function toRetry(entry: Entry, first = 1): void {
  if (entry.where === "reactor") reactorWaits--;
  entry.where = "retry";
  const { fd } = entry.op;
  let line: Entry[] | undefined;
  let key = 0;
  if (fd !== undefined) {
    key = lineKey(fd, sideOf(entry.op));
    line = retryLines.get(key);
    if (line === undefined) retryLines.set(key, line = []);
    line.push(entry);
  }
  const r: Retry = {
    entry,
    due: monotonicMs() + first,
    delay: 1,
    run: line === undefined
      ? () => void tryEntry(entry)
      : () => runLine(key, line),
    done: () => entry.settled,
  };
  addRetry(r);
}

/**
 * The waits of each descriptor's side in the timed retries, in the order
 * they came (keyed by {@linkcode lineKey}): only the first of each lane
 * makes its call, so datagrams sent at once to a full receiver go in the
 * order they were made, as the kernel keeps them once sent.
 */
const retryLines = new Map<number, Entry[]>();

/** The key of a descriptor's side (`EPOLLIN` bit, or 0 for writes). */
function lineKey(fd: number, side: number): number {
  return fd * 2 + (side === 0 ? 1 : 0);
}

/** Whether an unsettled wait of `fd`'s side and `lane` is in the timed retries. */
function inRetryLine(fd: number, side: number, lane?: string): boolean {
  const key = lineKey(fd, side);
  const line = retryLines.get(key);
  if (line === undefined) return false;
  while (line.length > 0 && line[0].settled) line.shift();
  if (line.length === 0) {
    retryLines.delete(key);
    return false;
  }
  return line.some((entry) => !entry.settled && entry.op.lane === lane);
}

/**
 * Tries a retry line's waits in order: in each lane, the first, then the
 * next for as long as each completes.
 */
function runLine(key: number, line: Entry[]): void {
  let held: Set<string | undefined> | undefined;
  for (const entry of line) {
    if (entry.settled) continue;
    const lane = entry.op.lane;
    if (held?.has(lane)) continue;
    if (!tryEntry(entry)) (held ??= new Set()).add(lane);
  }
  let k = 0;
  for (const entry of line) if (!entry.settled) line[k++] = entry;
  line.length = k;
  if (k === 0 && retryLines.get(key) === line) retryLines.delete(key);
}

// ---------------------------------------------------------------------------
// Waits without a descriptor: a few helper threads, the rest retried.

/** Tries the queued waits in order through the fast path. */
function drain(g: Group): void {
  for (const entry of g.queue) {
    if (entry === g.running) continue;
    if (!tryEntry(entry)) return;
  }
}

/**
 * Drops a group that has no waits left, if it is still its key's: a
 * retry of an older group of the same key, ending late, must not drop the
 * newer one (whose running wait could then not be interrupted).
 */
function forgetGroup(g: Group): void {
  if (groups.get(g.key) === g) groups.delete(g.key);
}

function pump(g: Group): void {
  while (g.queue.length > 0 && g.queue[0].settled) g.queue.shift();
  if (g.queue.length === 0) {
    if (g.thread === null) {
      forgetGroup(g);
      starving.delete(g);
    }
    return;
  }
  if (g.thread !== null || starving.has(g)) return;
  const head = g.queue[0];
  const k = head.op.kernel;
  const fits = k === undefined
    ? false
    : k.call === "msgrcv"
    ? k.msgsz <= KERNEL_MSG_MAX
    : k.call === "msgsnd"
    ? k.msgp.length <= KERNEL_MSG_MAX + 8
    : true;
  const thread = fits ? takeThread() : null;
  if (thread === null) {
    // No thread for it: retried on the timer until one frees.
    starving.add(g);
    addRetry({
      due: monotonicMs() + 1,
      delay: 1,
      run: () => drain(g),
      done: () => {
        while (g.queue.length > 0 && g.queue[0].settled) g.queue.shift();
        if (g.queue.length > 0 && starving.has(g)) return false;
        if (g.queue.length === 0 && g.thread === null) {
          forgetGroup(g);
          starving.delete(g);
        }
        return true;
      },
    });
    return;
  }
  starving.delete(g);
  g.thread = thread;
  g.running = head;
  const remaining = head.deadline === null
    ? null
    : Math.max(0, head.deadline - monotonicMs());
  const kind = encodeJob(thread, head.op.kernel!, remaining);
  thread.ctrl[KIND] = kind;
  // Counted once the job is certain to be handed over (finish uncounts).
  const uses = head.op.uses;
  if (uses !== undefined) inCall.set(uses, (inCall.get(uses) ?? 0) + 1);
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
  newTurn();
  const result = t.ctrl[RESULT];
  const errno = t.ctrl[ERRNO];
  Atomics.store(t.ctrl, STATE, IDLE);
  g.thread = null;
  g.running = null;
  const uses = head.op.uses;
  if (uses !== undefined) {
    const n = inCall.get(uses)! - 1;
    if (n > 0) inCall.set(uses, n);
    else {
      inCall.delete(uses);
      const waiting = onLetGo.get(uses);
      onLetGo.delete(uses);
      if (waiting !== undefined) { for (const then of waiting) then(); }
    }
  }
  // A received message is taken out of the thread's data area before the
  // thread is given back: the next job starts at once, and its call (a
  // receive from another queue, a send) writes over that area.
  const k = head.op.kernel;
  const error = errno !== THREAD_FAILED && result !== -1 &&
      k?.call === "msgrcv"
    ? k.received(result, t.data)
    : undefined;
  if (t.failure === undefined) giveBack(t);
  else threads--;
  if (errno === THREAD_FAILED) {
    failWith(
      head,
      new Error("The helper thread of an async wait failed", {
        cause: t.failure,
      }),
    );
  } else if (result !== -1) {
    idleWake = true;
    if (error === undefined) succeed(head);
    else failWith(head, error);
    idleWake = false;
    drain(g);
  } else if (head.cancel) {
    // Interrupted (or failed as it was): it ends as asked, now, since a
    // restarted call would no longer be interrupted.
    failWith(head, head.cancel.error);
  } else if (errno === EINTR) {
    // Another signal interrupted it: the pump retries.
  } else if (
    (errno === EAGAIN || errno === ETIMEDOUT) && head.timeout !== null
  ) {
    if (monotonicMs() >= head.deadline! - 1) {
      failWith(head, head.op.timedOut(head.timeout));
    }
  } else {
    failWith(head, head.op.fail(errno));
    drain(g);
  }
  pump(g);
}

/**
 * An idle helper thread, or null. A thread is built when fewer than
 * {@linkcode KERNEL_THREADS} exist, but given no job until it has started:
 * that takes about 25 ms here, and about a second for a thread built from
 * a Worker, during which a job handed over would wait, its timeout and
 * wake-up with it. The waits are retried meanwhile (the caller's group
 * starves), and the thread goes to the oldest of them once it is up.
 */
function takeThread(): Thread | null {
  const t = idle.pop();
  if (t) return t;
  if (threads >= KERNEL_THREADS) return null;
  // A thread is starting that no starving group waits for (the caller
  // becomes one): it goes to the caller once up. Building another would
  // freeze the event loop again, for a group whose waits came back while
  // the first was starting (a full queue's sends, each freed at once).
  if (starting.size > starving.size) return null;
  buildThread();
  return null;
}

/**
 * Builds a helper thread for waits without a descriptor: it goes to the
 * oldest group waiting for one once it has started, or to the idle ones.
 *
 * @returns the thread, starting
 */
function buildThread(): Thread {
  threads++;
  const fresh = spawn();
  starting.add(fresh);
  started(fresh).then(() => {
    if (!starting.delete(fresh)) return; // ended meanwhile
    if (fresh.failure === undefined) giveBack(fresh);
    else threads--;
  });
  return fresh;
}

/** Resolves once a thread has started (or failed to). */
async function started(t: Thread): Promise<void> {
  while (Atomics.load(t.ctrl, TID) === 0 && t.failure === undefined) {
    const r = Atomics.waitAsync(t.ctrl, TID, 0);
    if (r.async) await r.value;
  }
}

function giveBack(t: Thread): void {
  for (const g of starving) {
    // The oldest group retried for want of a thread gets this one at once.
    starving.delete(g);
    idle.push(t);
    pump(g);
    return;
  }
  idle.push(t);
}

function endThread(t: Thread): Promise<unknown> {
  t.failure ??= "ended";
  Atomics.store(t.ctrl, STATE, EXIT);
  Atomics.notify(t.ctrl, STATE);
  // Whoever awaits its start (see `started`) learns it ended.
  Atomics.notify(t.ctrl, TID);
  return t.worker.terminate();
}

/**
 * Builds the async engine's helper threads now, rather than at the first
 * waits that need them, and resolves once they have started. Deno builds a
 * thread's isolate on the thread that asks for it, which freezes the event
 * loop once per thread (30 to 50 ms on the development machine); a program
 * to which that matters (a server whose first connection should not wait
 * for it) calls this at start, when nothing else is waiting. The threads
 * are kept as those built by waits are, and do not keep the process alive;
 * {@linkcode terminateIdleWaiters} ends them. Threads already there are not
 * built again, so calling it twice costs nothing more.
 *
 * @param options `reactor`: whether to build the reactor thread, which waits
 *   on every descriptor (default true); `helpers`: how many helper threads
 *   for waits without a descriptor (System V semaphores and queues, POSIX
 *   semaphores, file locks) there should be, from 0 (the default) to
 *   {@linkcode KERNEL_THREADS}
 * @returns once every thread built has started
 * @throws {TypeError} for options that are not an object, a `reactor` that
 *   is not a boolean, a `helpers` that is not an integer, or an option it
 *   does not have (a rejected promise)
 * @throws {RangeError} for a `helpers` out of range (a rejected promise)
 * @throws {IpcError} if the engine's descriptors cannot be made (`EMFILE`)
 * @example At the start of a server
 * ```ts
 * import { startWaiters, terminateIdleWaiters } from "@linux-ipc/ipc";
 * await startWaiters({ helpers: 1 });
 * // ... serve: the first waits build no thread
 * console.log(await terminateIdleWaiters()); // true
 * ```
 */
export function startWaiters(
  options: { reactor?: boolean; helpers?: number } = {},
): Promise<void> {
  let helpers: number, withReactor: boolean;
  try {
    knownOptions(options, ["reactor", "helpers"], "startWaiters");
    withReactor = boolOption(options.reactor, true, "reactor", "startWaiters");
    helpers = int(
      options.helpers ?? 0,
      "startWaiters",
      "helpers",
      0,
      KERNEL_THREADS,
    );
    if (withReactor) startReactor();
  } catch (e) {
    return Promise.reject(e);
  }
  const building: Thread[] = [];
  if (withReactor) {
    const t = reactorThread();
    if (Atomics.load(t.ctrl, TID) === 0) building.push(t);
  }
  if (helpers > 0) building.push(...starting);
  while (threads < helpers) building.push(buildThread());
  if (building.length === 0) return Promise.resolve();
  // Atomics.waitAsync keeps no event loop alive: a timer does, meanwhile.
  const alive = setInterval(() => {}, 1 << 30);
  return Promise.all(building.map(started)).then(() => {
    clearInterval(alive);
    // Ended by terminateIdleWaiters meanwhile, as its caller asked: not a
    // failure.
    const failed = building.find((t) =>
      t.failure !== undefined && t.failure !== "ended"
    );
    if (failed === undefined) return;
    if (reactor === failed) reactor = null;
    throw new Error("A helper thread of the async engine failed to start", {
      cause: failed.failure,
    });
  });
}

/**
 * Ends the async engine's helper threads and closes its descriptors (two
 * epoll sets and an eventfd) when no wait is pending; the engine starts
 * them again when next needed. A Worker that used async waits may call
 * it before it ends, to free them at once: otherwise the helper threads it
 * built find its thread gone within {@linkcode ORPHAN_CHECK_MS} and then
 * close them and end, giving back what a call of theirs took after it
 * was gone. Also for tests that count descriptors and threads.
 *
 * @returns whether the engine was idle, and has now ended (false: a wait
 *   is pending, and nothing was done)
 * @example In a Worker, before it is terminated
 * ```ts
 * import { terminateIdleWaiters, UnixConnection } from "@linux-ipc/ipc";
 * const [a, b] = UnixConnection.pair();
 * a.writeSync(new Uint8Array([1]));
 * await b.read(new Uint8Array(1));
 * a.close();
 * b.close();
 * console.log(await terminateIdleWaiters()); // true
 * ```
 */
export async function terminateIdleWaiters(): Promise<boolean> {
  if (waits !== 0) return false;
  const ending = [...idle.splice(0), ...starting].map((t) => {
    threads--;
    return endThread(t);
  });
  starting.clear();
  if (epfd !== -1) {
    // The reactor thread's job ends through the eventfd first.
    const fds = [epfd, outerFd, wakeFd];
    const t = reactor;
    epfd = outerFd = wakeFd = -1;
    reactor = null;
    watches.clear();
    presumedBase += presumed.length / 2;
    presumed.length = 0;
    presumedHead = 0;
    const c = libc();
    ending.push((async () => {
      if (t !== null) {
        Atomics.store(t.ctrl, CANCEL, 1);
        c.write(fds[2], wakeBytes, 8n);
        // A timer, not Atomics.waitAsync, which keeps no event loop alive.
        while (
          Atomics.load(t.ctrl, STATE) !== DONE && t.failure === undefined
        ) {
          await new Promise((r) => setTimeout(r, 1));
        }
        await endThread(t);
      }
      for (const fd of fds) {
        engineDescriptor(fd, false);
        c.close(fd);
      }
    })());
  }
  await Promise.all(ending);
  return true;
}

// A Worker that owns something gets a helper thread to let go of it
// once the Worker is gone (see ORPHAN_CHECK_MS), if it has none.
setOwnedWatch(() => {
  if (reactor === null && threads === 0) takeThread();
});

function spawn(): Thread {
  installSignal();
  const sab = new SharedArrayBuffer(CTRL_BYTES + DATA_BYTES);
  const ctrl = new Int32Array(sab, 0, CTRL_BYTES / 4);
  ctrl[PARENT] = libc().gettid();
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  const owned = ownedTables();
  worker.postMessage({
    sab,
    signo: signalNumber,
    fds: owned?.fds.buffer,
    maps: owned?.maps.buffer,
  });
  const thread: Thread = {
    worker,
    ctrl,
    data: new Uint8Array(sab, CTRL_BYTES),
    failure: undefined,
  };
  // Should a thread ever die, its wait fails instead of hanging.
  const died = (cause: unknown) => {
    if (thread.failure !== undefined) return;
    thread.failure = cause ?? new Error("The helper thread exited");
    const s = Atomics.load(thread.ctrl, STATE);
    if (s === JOB || s === RUNNING) {
      thread.ctrl[RESULT] = -1;
      thread.ctrl[ERRNO] = THREAD_FAILED;
      Atomics.store(thread.ctrl, STATE, DONE);
      Atomics.notify(thread.ctrl, STATE);
    }
    // The reactor's job: its signal is awaited.
    Atomics.add(thread.ctrl, SEQ, 1);
    Atomics.notify(thread.ctrl, SEQ);
    // Its start may be awaited too.
    Atomics.notify(thread.ctrl, TID);
  };
  worker.once("error", died);
  worker.once("exit", () => died(undefined));
  return thread;
}

/** Interrupts the call a thread is in, until it answers. */
function kick(g: Group, entry: Entry): void {
  const t = g.thread!;
  Atomics.store(t.ctrl, CANCEL, 1);
  const again = () => {
    // Only while the thread makes this wait's call: once it has let go,
    // it may be making another wait's call, which a late signal would
    // interrupt (and restart) every millisecond.
    if (entry.settled || g.running !== entry || g.thread !== t) return;
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
    c.dlsym(null, encodeUtf8("getpid\0")),
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
 * Makes a call that does not wait (`IPC_NOWAIT`, `LOCK_NB`, `sem_trywait`,
 * `F_SETLK`), retrying it on `EINTR`: the `attempt` of a
 * {@linkcode BlockingOp} without a descriptor, and the `try` forms of the
 * thin layer.
 *
 * @param call makes the call; -1 on failure with errno set
 * @param fail the error for a failure other than "would block"
 * @param busy a second errno that means "would block" besides `EAGAIN`
 *   (`F_SETLK` gives `EACCES` on some systems)
 * @returns true if the call completed, false if it would block
 * @throws whatever `fail` returns
 */
export function tryWithoutWaiting(
  call: () => number,
  fail: () => unknown,
  busy = EAGAIN,
): boolean {
  const r = resultOrErrno(call);
  if (r >= 0) return true;
  if (r === -EAGAIN || r === -busy) return false;
  throw fail();
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
  const deadline = timeout === null ? null : monotonicMs() + timeout;
  for (;;) {
    const remaining = deadline === null
      ? null
      : Math.max(0, deadline - monotonicMs());
    const r = call(remaining);
    if (r !== -1 || errno() !== EINTR) return r;
  }
}
