// A child for tests/engine_test.ts, run with --expose-gc: async calls are
// left pending on objects that nothing else refers to, the garbage
// collector runs, and the calls must still complete (the objects'
// backstops must not close the descriptors under them); once they have,
// the backstops close the descriptors. Prints what each call gave and
// whether the peers saw the descriptors closed.
import { PipeEnd, UnixConnection } from "../../mod.ts";

const gc = (globalThis as unknown as { gc: () => void }).gc;
const peers: { conn?: UnixConnection; reader?: PipeEnd } = {};

/** A read on a connection dropped at once; its peer is kept. */
function pendingRead(): Promise<number | null> {
  const [a, b] = UnixConnection.pair();
  peers.conn = b;
  return a.read(new Uint8Array(8));
}

/** A write on a full pipe whose writing end is dropped at once. */
function pendingWrite(): Promise<number> {
  const [r, w] = PipeEnd.pipe();
  peers.reader = r;
  const fill = new Uint8Array(1 << 20);
  while (true) {
    try {
      w.writeSync(fill, { timeout: 0 });
    } catch {
      break;
    }
  }
  return w.write(new Uint8Array(16));
}

const read = pendingRead();
const write = pendingWrite();
for (let i = 0; i < 5; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 20));
}
await peers.conn!.write(new Uint8Array([1, 2, 3]));
const drain = new Uint8Array(1 << 16);
// Room for the write, from its reader.
peers.reader!.readSync(drain);
const results = { read: await read, write: await write };
for (let i = 0; i < 5; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 20));
}
// Closed, as the peers see it: the end of the stream. (Not by probing the
// numbers: Deno opens files of its own meanwhile, its caches, and may be
// given a number the backstop freed.)
const endOfStream = (end: UnixConnection | PipeEnd) => {
  try {
    for (;;) {
      if (end.readSync(drain, { timeout: 0 }) === null) return true;
    }
  } catch {
    return false; // ETIMEDOUT: still open
  }
};
const closed = [endOfStream(peers.conn!), endOfStream(peers.reader!)];
console.log(JSON.stringify({ ...results, closed }));
peers.conn!.close();
peers.reader!.close();
