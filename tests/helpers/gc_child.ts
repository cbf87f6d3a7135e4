// A child for tests/engine_test.ts, run with --expose-gc: async calls are
// left pending on objects that nothing else refers to, the garbage
// collector runs, and the calls must still complete (the objects'
// backstops must not close the descriptors under them); once they have,
// the backstops close the descriptors. Prints what each call gave and
// whether the descriptors were closed.
import { F_GETFD, fcntl, PipeEnd, UnixConnection } from "../../mod.ts";

const gc = (globalThis as unknown as { gc: () => void }).gc;
const peers: { conn?: UnixConnection; reader?: PipeEnd } = {};
/** The descriptors of the dropped objects. */
const dropped: number[] = [];

/** A read on a connection dropped at once; its peer is kept. */
function pendingRead(): Promise<number | null> {
  const [a, b] = UnixConnection.pair();
  peers.conn = b;
  dropped.push(a.fd);
  return a.read(new Uint8Array(8));
}

/** A write on a full pipe whose writing end is dropped at once. */
function pendingWrite(): Promise<number> {
  const [r, w] = PipeEnd.pipe();
  peers.reader = r;
  dropped.push(w.fd);
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
const closed = dropped.map((fd) => {
  try {
    fcntl(fd, F_GETFD);
    return false;
  } catch {
    return true;
  }
});
console.log(JSON.stringify({ ...results, closed }));
peers.conn!.close();
peers.reader!.close();
