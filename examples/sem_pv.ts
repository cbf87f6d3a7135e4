/**
 * ALP Listing 5.4 (sem_pv.c): wait (P) and post (V) on a binary semaphore,
 * across two processes. The parent takes the semaphore, starts a child that
 * waits on it, holds it for a second, then posts; only then does the
 * child's wait return.
 *
 * Run: deno run --allow-ffi --allow-run examples/sem_pv.ts   (or: deno task sem_pv)
 *
 * @module
 */

import { FFI, requirePermissions, RUN } from "./_permissions.ts";
import {
  binarySemaphoreAllocation,
  binarySemaphoreDeallocate,
  binarySemaphoreInitialize,
  binarySemaphorePost,
  binarySemaphoreWait,
  binarySemaphoreWaitAsync,
  GETNCNT,
  GETVAL,
  IPC_CREAT,
  IPC_PRIVATE,
  semctl,
} from "../mod.ts";

// One clock for both processes: the child gets the parent's start time.
const since = Deno.args[0] === "--child" ? Number(Deno.args[2]) : Date.now();
const t = () => `${((Date.now() - since) / 1000).toFixed(2)}s`;

if (Deno.args[0] === "--child") {
  // The child: wait on the parent's semaphore, then post it back.
  const semid = Number(Deno.args[1]);
  console.log(`[${t()}] child  (pid ${Deno.pid}): waiting on the semaphore`);
  binarySemaphoreWait(semid);
  console.log(`[${t()}] child: got it; posting it back`);
  binarySemaphorePost(semid);
  Deno.exit(0);
}

requirePermissions(
  "examples/sem_pv.ts",
  [FFI, RUN],
  "",
  "sem_pv",
);

const semid = binarySemaphoreAllocation(IPC_PRIVATE, IPC_CREAT | 0o600);
try {
  binarySemaphoreInitialize(semid);
  console.log(`[${t()}] parent (pid ${Deno.pid}): semaphore ${semid} = 1`);
  binarySemaphoreWait(semid);
  console.log(
    `[${t()}] parent: waited (P): value ${semctl(semid, 0, GETVAL)}`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      import.meta.filename ?? "",
      "--child",
      String(semid),
      String(since),
    ],
    stdout: "inherit",
  }).spawn();
  // Wait until the child is blocked in its wait, then hold on a second.
  while (semctl(semid, 0, GETNCNT) === 0) {
    await new Promise((r) => setTimeout(r, 10));
  }
  console.log(`[${t()}] parent: the child is blocked; holding for 1 second`);
  await new Promise((r) => setTimeout(r, 1000));
  console.log(`[${t()}] parent: posting (V)`);
  binarySemaphorePost(semid);
  await child.status;
  await binarySemaphoreWaitAsync(semid, { timeout: 1000 });
  console.log(
    `[${t()}] parent: took it back without blocking the event loop: value ${
      semctl(semid, 0, GETVAL)
    }`,
  );
  binarySemaphorePost(semid);
} finally {
  binarySemaphoreDeallocate(semid);
}
console.log(`[${t()}] parent: deallocated`);
