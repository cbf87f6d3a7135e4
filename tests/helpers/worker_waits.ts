/**
 * A Worker's first waits (`tests/engine_test.ts`), in a process of their
 * own (a terminated Worker's runtime leaves descriptors to the process).
 * Run as the main module, it starts itself as a Worker and prints what
 * the Worker posts back: how long a descriptor wait and a semaphore wait,
 * each woken after 30 ms, and a semaphore wait that times out after
 * 100 ms took. The Worker builds its own helper threads, which takes far
 * longer than from the main thread.
 *
 * @module
 */

import { SemaphoreSet, UnixConnection } from "../../mod.ts";

const scope = globalThis as unknown as {
  name?: string;
  postMessage(m: unknown): void;
};

if (scope.name !== "waits") {
  const worker = new Worker(import.meta.url, { type: "module", name: "waits" });
  const got = await new Promise((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => reject(e.error ?? e.message);
  });
  console.log(JSON.stringify(got));
  worker.terminate();
} else {
  const [a, b] = UnixConnection.pair();
  const set = SemaphoreSet.create();
  try {
    let t0 = performance.now();
    setTimeout(() => a.writeSync(new Uint8Array([1])), 30);
    await b.read(new Uint8Array(4), { timeout: 10_000 });
    const read = performance.now() - t0;
    t0 = performance.now();
    setTimeout(() => set.post(0), 30);
    await set.op([{ num: 0, op: -1 }], { timeout: 10_000 });
    const sem = performance.now() - t0;
    t0 = performance.now();
    const code = await set.op([{ num: 0, op: -1 }], { timeout: 100 }).then(
      () => "ok",
      (e) => e.code,
    );
    const timeout = performance.now() - t0;
    scope.postMessage({ read, sem, timeout, code });
  } finally {
    set.remove();
    a.close();
    b.close();
  }
}
