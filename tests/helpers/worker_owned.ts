/**
 * A connection a Worker holds when it is terminated
 * (`tests/engine_test.ts`), in a process of its own. The main module
 * listens; a Worker connects, holds the connection and is terminated
 * without closing it; the main module reads from its end, which must see
 * the end of the stream once the Worker's helper thread has closed the
 * Worker's descriptor. It prints what the read gave, after how long, and
 * the threads and descriptors left against those a plain Worker leaves.
 *
 * @module
 */

import {
  terminateIdleWaiters,
  UnixConnection,
  UnixListener,
} from "../../mod.ts";
import { plainBaseline, runWorker, scope, settled, sleep } from "./_workers.ts";

if (scope.name === "owner") {
  scope.onmessage = async (e) => {
    // Held, never closed: the Worker is terminated with it open.
    (globalThis as { held?: UnixConnection }).held = await UnixConnection
      .connect(e.data);
    scope.postMessage("connected");
  };
} else if (!scope.name) {
  // The main module (a Worker has a name).
  const plain = await plainBaseline(import.meta.url);
  const addr = `@linux-ipc-test-owned-${Deno.pid}`;
  using listener = UnixListener.listen(addr);
  const accepting = listener.accept();
  const worker = await runWorker(import.meta.url, "owner", addr);
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
  conn.close();
  listener.close();
  // This process's own engine (the reactor of its read) ends too.
  await terminateIdleWaiters();
  const after = await settled(plain, 5000);
  console.log(JSON.stringify({ got, ms, plain, after }));
}
