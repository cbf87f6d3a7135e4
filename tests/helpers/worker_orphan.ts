/**
 * A Worker that used async waits and is terminated without
 * `terminateIdleWaiters` (`tests/engine_test.ts`), in a process of its
 * own. Run as the main module, it first runs and terminates a Worker that
 * uses nothing of the library, for the threads and descriptors a
 * terminated Worker leaves in Deno itself; then a Worker that builds the
 * reactor thread and two helper threads for semaphore waits, which it
 * terminates once they are idle but for one, in a `msgrcv` that nothing
 * will end. It prints those counts, and the counts once the helper threads
 * have found their Worker gone (or after 10 s).
 *
 * @module
 */

import {
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_RMID,
  MessageQueue,
  msgctl,
  msgget,
  SemaphoreSet,
  UnixConnection,
} from "../../mod.ts";

const scope = globalThis as unknown as {
  name?: string;
  postMessage(m: unknown): void;
};

/** Threads and descriptors of this process now. */
function counts(): { threads: number; fds: number } {
  return {
    threads: [...Deno.readDirSync("/proc/self/task")].length,
    fds: [...Deno.readDirSync("/proc/self/fd")].length,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runWorker(name: string, data?: unknown): Promise<void> {
  const worker = new Worker(import.meta.url, { type: "module", name });
  if (data !== undefined) worker.postMessage(data);
  await new Promise((resolve, reject) => {
    worker.onmessage = resolve;
    worker.onerror = (e) => reject(e.error ?? e.message);
  });
  worker.terminate();
}

if (scope.name === "plain") {
  scope.postMessage("done");
} else if (scope.name === "waits") {
  const msqid = await new Promise<number>((resolve) =>
    (scope as unknown as { onmessage: (e: MessageEvent) => void })
      .onmessage = (e) => resolve(e.data)
  );
  // A descriptor wait (the reactor thread) and two semaphore waits at once
  // (two helper threads), all done before the Worker is terminated.
  const [a, b] = UnixConnection.pair();
  setTimeout(() => a.writeSync(new Uint8Array([1])), 30);
  await b.read(new Uint8Array(1), { timeout: 10_000 });
  const set = SemaphoreSet.create({ count: 2 });
  const waits = [0, 1].map((num) =>
    set.op([{ num, op: -1 }], { timeout: 10_000 })
  );
  // Long enough for both helper threads to start and take their waits.
  await sleep(1500);
  set.post(0);
  set.post(1);
  await Promise.all(waits);
  set.remove();
  a.close();
  b.close();
  // And one that never ends: a helper thread is in msgrcv, with no time
  // limit, when the Worker is terminated.
  void MessageQueue.fromId(msqid).receive().catch(() => {});
  await sleep(500);
  scope.postMessage("done");
} else {
  await runWorker("plain");
  await sleep(500);
  const plain = counts();
  const msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
  try {
    await runWorker("waits", msqid);
    const start = performance.now();
    let after = counts();
    while (
      (after.threads > plain.threads || after.fds > plain.fds) &&
      performance.now() - start < 10_000
    ) {
      await sleep(100);
      after = counts();
    }
    console.log(JSON.stringify({ plain, after }));
  } finally {
    msgctl(msqid, IPC_RMID);
  }
}
