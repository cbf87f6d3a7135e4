// A child for the ref/unref tests of tests/engine_test.ts: each mode leaves
// async calls pending on objects it unrefed and ends its main code; the
// process must then end by itself, at once. Modes that ref again, or reuse
// a closed number, wait on a timeout of 300 ms and print its error code.
import {
  EventFd,
  PipeEnd,
  PosixMessageQueue,
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
