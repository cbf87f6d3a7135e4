/**
 * A Worker's first waits (`tests/engine_test.ts`), in a process of their
 * own (a terminated Worker's runtime leaves descriptors to the process).
 * Run as the main module, it starts itself as a Worker and prints what
 * the Worker posts back: how long a descriptor wait and a semaphore wait,
 * each woken after 30 ms, and a semaphore wait that times out after
 * 100 ms took, and which of the engine's descriptors (epoll sets,
 * eventfds) are still open after `terminateIdleWaiters`. The Worker
 * builds its own helper threads, which takes far longer than from the
 * main thread.
 *
 * @module
 */

import {
  SemaphoreSet,
  terminateIdleWaiters,
  UnixConnection,
} from "../../mod.ts";
import { libc } from "../../ffi/libc.ts";

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
  /** The epoll sets and eventfds open now (the engine's kind). */
  const anon = () =>
    Array.from({ length: 1024 }, (_, fd) => fd).flatMap((fd) => {
      if (libc().fcntl(fd, 1, 0) === -1) return []; // F_GETFD: not open
      try {
        const link = Deno.readLinkSync(`/proc/self/fd/${fd}`);
        return link.startsWith("anon_inode:") ? [`${fd} ${link}`] : [];
      } catch {
        return [];
      }
    });
  const before = anon();
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
    set.remove();
    a.close();
    b.close();
    const ended = await terminateIdleWaiters();
    // The helper threads' own runtimes close theirs a little later.
    let left = anon().filter((fd) => !before.includes(fd));
    for (let i = 0; i < 40 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = anon().filter((fd) => !before.includes(fd));
    }
    scope.postMessage({ read, sem, timeout, code, ended, left });
  } catch (e) {
    set.remove();
    throw e;
  }
}
