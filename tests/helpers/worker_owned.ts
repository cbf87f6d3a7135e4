/**
 * A connection a Worker holds when it is terminated
 * (`tests/engine_test.ts`), in a process of its own. The main module
 * listens; a Worker connects, holds the connection and is terminated
 * without closing it; the main module reads from its end, which must see
 * the end of the stream once the Worker's helper thread has closed the
 * Worker's descriptor; the System V segment the Worker had attached must
 * be detached. It prints what the read gave, after how long, the
 * segment's attachments, and the threads and descriptors left against
 * those a plain Worker leaves. The Worker also waits in a FIFO reader's
 * `openAsync` with no writer: once it is gone the FIFO must have no reader
 * left (a writer's non-blocking open gives `ENXIO`), neither its read end
 * nor the watch it waits on may stay open.
 *
 * @module
 */

import {
  close,
  mkfifo,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  open,
  openAsync,
  SharedMemory,
  terminateIdleWaiters,
  UnixConnection,
  UnixListener,
} from "../../mod.ts";
import { plainBaseline, runWorker, scope, settled, sleep } from "./_workers.ts";

if (scope.name === "owner") {
  scope.onmessage = async (e) => {
    // Held, never closed: the Worker is terminated with them open.
    const held = globalThis as { conn?: UnixConnection; memory?: unknown };
    held.conn = await UnixConnection.connect(e.data.addr);
    held.memory = SharedMemory.fromId(e.data.shmid).attach();
    // A reader's open that waits for a writer who never comes.
    void openAsync(e.data.fifo, O_RDONLY).catch(() => {});
    scope.postMessage("connected");
  };
} else if (!scope.name) {
  // The main module (a Worker has a name).
  const plain = await plainBaseline(import.meta.url);
  const addr = `@linux-ipc-test-owned-${Deno.pid}`;
  using listener = UnixListener.listen(addr);
  using shm = SharedMemory.create({ size: 4096 });
  const dir = Deno.makeTempDirSync({ prefix: "linux-ipc-test-owned-" });
  const fifo = `${dir}/fifo`;
  mkfifo(fifo, 0o600);
  const accepting = listener.accept();
  const worker = await runWorker(import.meta.url, "owner", {
    addr,
    shmid: shm.id,
    fifo,
  });
  const attached = shm.stat().nattch;
  using conn = await accepting;
  // Long enough for the Worker's helper thread to start (about a second
  // from a Worker).
  await sleep(2000);
  worker.terminate();
  const start = performance.now();
  let got: string;
  try {
    got = String(await conn.read(new Uint8Array(8), { timeout: 5000 }));
  } catch (e) {
    got = (e as { code?: string }).code ?? String(e);
  }
  const ms = Math.round(performance.now() - start);
  // The segment the Worker had attached is detached for it.
  let nattch = shm.stat().nattch;
  for (let i = 0; i < 30 && nattch > 0; i++) {
    await sleep(100);
    nattch = shm.stat().nattch;
  }
  shm.remove();
  // The FIFO's read end the Worker's open held is closed for it: a
  // writer that does not wait finds no reader.
  let fifoWriter = "opened";
  for (let i = 0; i < 30; i++) {
    try {
      const w = open(fifo, O_WRONLY | O_NONBLOCK);
      close(w);
      fifoWriter = "opened";
      await sleep(100);
    } catch (e) {
      fifoWriter = (e as { code?: string }).code ?? String(e);
      break;
    }
  }
  Deno.removeSync(dir, { recursive: true });
  conn.close();
  listener.close();
  // This process's own engine (the reactor of its read) ends too.
  await terminateIdleWaiters();
  const after = await settled(plain, 5000);
  console.log(
    JSON.stringify({ got, ms, attached, nattch, fifoWriter, plain, after }),
  );
}
