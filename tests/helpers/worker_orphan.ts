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
import { plainBaseline, runWorker, scope, settled, sleep } from "./_workers.ts";

if (scope.name === "waits") {
  const msqid = await new Promise<number>((resolve) =>
    scope.onmessage = (e) => resolve(e.data)
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
} else if (!scope.name) {
  // The main module (a Worker has a name).
  const plain = await plainBaseline(import.meta.url);
  const msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
  try {
    (await runWorker(import.meta.url, "waits", msqid)).terminate();
    const after = await settled(plain, 10_000);
    console.log(JSON.stringify({ plain, after }));
  } finally {
    msgctl(msqid, IPC_RMID);
  }
}
