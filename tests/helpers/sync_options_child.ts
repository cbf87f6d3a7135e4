// For tests/engine_test.ts: every blocking (Sync) twin, called with bad
// options while it would block, must throw a TypeError or RangeError at
// once. Prints one line per call ("name: TypeError"), or exits non-zero.
// Run in a child process, so that a call that blocks instead is killed
// by the test's deadline rather than hanging the suite.
import {
  close,
  EventFd,
  lockFileSync,
  MessageQueue,
  Mutex,
  O_RDWR,
  open,
  PipeEnd,
  PosixMessageQueue,
  PosixSemaphore,
  SemaphoreSet,
  UnixConnection,
  UnixDatagram,
  UnixListener,
} from "../../mod.ts";

const dir = Deno.args[0];
const tag = `linux-ipc-syncopts-${Deno.pid}`;
const [a, b] = UnixConnection.pair();
const [r, w] = PipeEnd.pipe();
const ev = EventFd.create();
const queue = MessageQueue.create();
const pq = PosixMessageQueue.open(`/${tag}`, { create: {} });
PosixMessageQueue.unlink(pq.name);
const set = SemaphoreSet.create({ initial: 0 });
const mutex = Mutex.create();
const held = mutex.acquireSync();
const psem = PosixSemaphore.open(`/${tag}`, { create: { value: 0 } });
PosixSemaphore.unlink(`/${tag}`);
const dgram = UnixDatagram.bind(`@${tag}-d`);
const listener = UnixListener.listen(`@${tag}-l`);
const lockPath = `${dir}/lock`;
Deno.writeTextFileSync(lockPath, "");
const holder = open(lockPath, O_RDWR), waiter = open(lockPath, O_RDWR);
const holding = lockFileSync(holder);

const calls: [string, (options: never) => unknown][] = [
  ["UnixConnection.readSync", (o) => a.readSync(new Uint8Array(1), o)],
  ["PipeEnd.readSync", (o) => r.readSync(new Uint8Array(1), o)],
  ["EventFd.readSync", (o) => ev.readSync(o)],
  ["MessageQueue.receiveSync", (o) => queue.receiveSync(o)],
  ["PosixMessageQueue.receiveSync", (o) => pq.receiveSync(o)],
  ["SemaphoreSet.waitSync", (o) => set.waitSync(0, 1, o)],
  ["Mutex.acquireSync", (o) => mutex.acquireSync(o)],
  ["PosixSemaphore.waitSync", (o) => psem.waitSync(o)],
  ["UnixDatagram.receiveSync", (o) => dgram.receiveSync(o)],
  ["UnixListener.acceptSync", (o) => listener.acceptSync(o)],
  ["lockFileSync", (o) => lockFileSync(waiter, o)],
  ["PipeEnd.openFifoSync", (o) => PipeEnd.openFifoSync(`${dir}/fifo`, "r", o)],
];
const bad: unknown[] = [
  "soon",
  { signal: AbortSignal.timeout(1) },
  { timeout: -1 },
  { timeout: "5" },
  { timout: 5 },
];
try {
  for (const [name, call] of calls) {
    for (const options of bad) {
      try {
        call(options as never);
        console.log(`${name}: returned`);
      } catch (e) {
        console.log(`${name}: ${(e as Error).constructor.name}`);
      }
    }
  }
} finally {
  holding.release();
  close(holder);
  close(waiter);
  held.release();
  for (
    const o of [a, b, r, w, ev, queue, pq, set, mutex, psem, dgram, listener]
  ) {
    o.close();
  }
}
