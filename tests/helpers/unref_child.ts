// A child for the ref/unref tests of tests/engine_test.ts: each mode leaves
// async calls pending on objects it unrefed and ends its main code; the
// process must then end by itself, at once. Modes that ref again, or reuse
// a closed number, wait on a timeout of 300 ms and print its error code.
import {
  EventFd,
  MessageQueue,
  Mutex,
  PipeEnd,
  PosixMessageQueue,
  PosixSemaphore,
  SemaphoreSet,
  UnixConnection,
  UnixDatagram,
  UnixListener,
} from "../../mod.ts";

const LONG = 600_000;
const code = (e: unknown) => (e as { code?: string }).code ?? String(e);
const tag = `linux-ipc-unref-${Deno.pid}`;
// Every object stays reachable (through a global: a module's own top-level
// variable may not outlive its code): one the garbage collector took would
// be closed by its backstop, and its peer's pending read would end at EOF.
const keep: unknown[] = [];
Object.assign(globalThis, { unrefChildKeeps: keep });

switch (Deno.args[0]) {
  case "listener": {
    // Unrefed before its accept loop starts.
    const server = UnixListener.listen(`@${tag}`);
    server.unref();
    void (async () => {
      for await (const conn of server) conn.close();
    })();
    keep.push(server);
    break;
  }
  case "pending": {
    // Unrefed while its calls (accept, read with a timeout, a write in
    // line behind one that fills the socket) are pending.
    const server = UnixListener.listen(`@${tag}`);
    void server.accept({ timeout: LONG });
    const [a, b] = UnixConnection.pair();
    void a.read(new Uint8Array(8), { timeout: LONG });
    void a.writeAll(new Uint8Array(8 << 20), { timeout: LONG });
    void a.writeAll(new Uint8Array(8), { timeout: LONG });
    await new Promise((r) => setTimeout(r, 50));
    server.unref();
    a.unref();
    keep.push(server, a, b);
    break;
  }
  case "kinds": {
    const dg = UnixDatagram.bind(`@${tag}-dg`);
    dg.unref();
    void dg.receive({ timeout: LONG });
    const [r, w] = PipeEnd.pipe();
    r.unref();
    void r.read(new Uint8Array(8), { timeout: LONG });
    keep.push(dg, r, w);
    const ev = EventFd.create();
    ev.unref();
    void ev.read({ timeout: LONG });
    keep.push(ev);
    if (Deno.args[1] === "mqueue") {
      const name = `/${tag}`;
      const q = PosixMessageQueue.open(name, { create: {} });
      q.unref();
      void q.receive({ timeout: LONG });
      // A second descriptor of the queue awaits notices.
      const notices = PosixMessageQueue.open(name, { create: {} });
      void notices.notifications().next();
      notices.unref();
      // Another queue, unrefed before its notices are awaited.
      const other = PosixMessageQueue.open(`${name}-b`, { create: {} });
      other.unref();
      void other.notifications().next();
      keep.push(notices, other);
      PosixMessageQueue.unlink(name);
      PosixMessageQueue.unlink(`${name}-b`);
      keep.push(q);
    }
    break;
  }
  case "retried": {
    // A datagram to a full receiver: no event announces room, so the send
    // waits in the engine's timed retries, whose timer must not keep the
    // process alive for it.
    const rx = UnixDatagram.bind(`@${tag}-full`);
    const tx = UnixDatagram.bind();
    for (;;) {
      try {
        tx.sendSync(new Uint8Array(1024), `@${tag}-full`, { timeout: 0 });
      } catch {
        break;
      }
    }
    tx.unref();
    void tx.send(new Uint8Array(1024), `@${tag}-full`, { timeout: LONG });
    keep.push(rx, tx);
    break;
  }
  case "objects": {
    // Waits without a descriptor, on objects unrefed before their calls
    // and while they are pending (some on the engine's helper threads, some
    // in its timed retries for want of one).
    const q = MessageQueue.create();
    q.unref();
    void q.receive({ timeout: LONG });
    const full = MessageQueue.create();
    full.set({ qbytes: 16 });
    full.sendSync(1, new Uint8Array(16));
    void full.send(1, new Uint8Array(16), { timeout: LONG });
    const sets = Array.from({ length: 4 }, () => SemaphoreSet.create());
    for (const set of sets) void set.wait(0, 1, { timeout: LONG });
    const mutex = Mutex.create();
    const held = mutex.tryAcquire();
    void mutex.acquire({ timeout: LONG });
    const name = `/${tag}`;
    const sem = PosixSemaphore.open(name, { create: {} });
    sem.unlink();
    void sem.wait({ timeout: LONG });
    // Two objects for one queue: one's ref undoes only its own unref.
    const shared = MessageQueue.create();
    const again = MessageQueue.fromId(shared.id);
    shared.unref();
    again.unref();
    again.ref();
    void shared.receive({ timeout: LONG });
    await new Promise((r) => setTimeout(r, 50));
    full.unref();
    for (const set of sets) set.unref();
    mutex.unref();
    sem.unref();
    keep.push(q, full, sets, mutex, held, sem, shared, again);
    // Nothing left behind once the process ends by itself.
    addEventListener("unload", () => {
      for (const o of [q, full, shared, mutex, ...sets]) o.remove();
      sem.close();
    });
    break;
  }
  case "objects-ref-again": {
    // A ref after an unref, and an unref undone by the object's removal
    // (the queue's id then names no unrefed object).
    const set = SemaphoreSet.create();
    set.unref();
    set.ref();
    set.wait(0, 1, { timeout: 300 }).catch((e) => console.log(code(e)));
    addEventListener("unload", () => set.remove());
    const gone = MessageQueue.create();
    gone.unref();
    gone.remove();
    keep.push(set);
    break;
  }
  case "dropped": {
    // An object unrefed and dropped without ref(), close() or remove():
    // once it is collected, a later object's waits on the same queue keep
    // the process alive again.
    const q = MessageQueue.create();
    (() => {
      MessageQueue.fromId(q.id).unref();
    })();
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) throw new Error("Run with --expose-gc");
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    q.receive({ timeout: 300 }).catch((e) => console.log(code(e)));
    // (Removed however the process ends.)
    addEventListener("unload", () => q.remove());
    keep.push(q);
    break;
  }
  case "ref-again": {
    const server = UnixListener.listen(`@${tag}`);
    server.unref();
    server.ref();
    server.accept({ timeout: 300 }).catch((e) => console.log(code(e)));
    keep.push(server);
    break;
  }
  case "reused": {
    // A closed unrefed number, given to a new object: that one's waits
    // keep the process alive.
    const [a, b] = UnixConnection.pair();
    a.unref();
    const fd = a.fd;
    a.close();
    b.close();
    const [c, d] = UnixConnection.pair();
    if (c.fd !== fd && d.fd !== fd) {
      throw new Error("The number was not reused");
    }
    const reused = c.fd === fd ? c : d;
    keep.push(c, d);
    reused.read(new Uint8Array(8), { timeout: 300 }).catch((e) =>
      console.log(code(e))
    );
    break;
  }
}
console.log("end of main");
