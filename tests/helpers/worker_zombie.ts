/**
 * What a Worker's pending waits on System V objects leave when the Worker
 * is terminated (`tests/engine_test.ts`), in a process of its own. The
 * main module makes a private queue and semaphore set and starts a Worker
 * that waits on both, and another that waits for a `flock` and an
 * `fcntl` lock this process holds (each wait on a helper thread, in
 * `msgrcv`, `semop`, `flock` and `fcntl`), then terminates them while they
 * wait (and a third, on a POSIX semaphore), sends a message, posts the
 * semaphores and releases the locks. The
 * helper threads take them, find their Worker gone and give them back: the
 * message is on the queue again, each semaphore's value is 1, the locks
 * free.
 * It prints what it finds, and the threads and descriptors left, against
 * those a terminated Worker that used nothing of the library leaves.
 *
 * @module
 */

import {
  close,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_UNLCK,
  F_WRLCK,
  fcntl_lock,
  fcntl_lockAsync,
  flock,
  flockAsync,
  GETVAL,
  IPC_CREAT,
  IPC_NOWAIT,
  IPC_PRIVATE,
  IPC_RMID,
  LOCK_EX,
  LOCK_NB,
  LOCK_UN,
  MessageQueue,
  msgctl,
  msgget,
  msgrcv,
  msgsnd,
  O_RDWR,
  open,
  PosixSemaphore,
  SemaphoreSet,
  semctl,
  semget,
  semop,
} from "../../mod.ts";
import { plainBaseline, runWorker, scope, settled, sleep } from "./_workers.ts";

if (scope.name === "waits") {
  scope.onmessage = (e) => {
    const { msqid, semid } = e.data;
    // Never settled: the Worker is terminated while they wait.
    void MessageQueue.fromId(msqid).receive().catch(() => {});
    void SemaphoreSet.fromId(semid).op([{ num: 0, op: -1 }]).catch(() => {});
    scope.postMessage("waiting");
  };
} else if (scope.name === "psem") {
  scope.onmessage = (e) => {
    void PosixSemaphore.open(e.data.name).wait().catch(() => {});
    scope.postMessage("waiting");
  };
} else if (scope.name === "lock") {
  scope.onmessage = (e) => {
    void flockAsync(e.data.fd, LOCK_EX).catch(() => {});
    void fcntl_lockAsync(e.data.range, F_OFD_SETLKW, {
      type: F_WRLCK,
      start: 0,
      len: 10,
    }).catch(() => {});
    scope.postMessage("waiting");
  };
} else if (!scope.name) {
  // The main module (a Worker has a name).
  const plain = await plainBaseline(import.meta.url);

  const msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
  const semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
  const path = Deno.makeTempFileSync({ prefix: "linux-ipc-test-zombie-" });
  const psemName = `/linux-ipc-test-zombie-${Deno.pid}`;
  const psem = PosixSemaphore.open(psemName, { create: { exclusive: true } });
  const mine = open(path, O_RDWR), theirs = open(path, O_RDWR);
  const range = open(path, O_RDWR);
  const tenBytes = { start: 0, len: 10 };
  try {
    flock(mine, LOCK_EX);
    fcntl_lock(mine, F_OFD_SETLK, { type: F_WRLCK, ...tenBytes });
    const workers = await Promise.all([
      runWorker(import.meta.url, "waits", { msqid, semid }),
      runWorker(import.meta.url, "lock", { fd: theirs, range }),
      runWorker(import.meta.url, "psem", { name: psemName }),
    ]);
    // Long enough for the Workers' helper threads to start (about a second
    // from a Worker) and take the waits into the kernel.
    await sleep(3000);
    for (const worker of workers) worker.terminate();
    await sleep(200);
    msgsnd(msqid, { mtype: 7, mtext: "not for a ghost" });
    semop(semid, [{ num: 0, op: 1 }]);
    psem.post();
    flock(mine, LOCK_UN);
    fcntl_lock(mine, F_OFD_SETLK, { type: F_UNLCK, ...tenBytes });
    await sleep(1500);
    let message: string | null = null;
    try {
      const m = msgrcv(msqid, 64, 0, IPC_NOWAIT);
      message = `${m.mtype} ${new TextDecoder().decode(m.mtext)}`;
    } catch {
      // none: taken by nobody
    }
    const value = semctl(semid, 0, GETVAL), posted = psem.value;
    // The locks the Worker waited for are free again.
    let locked = false, rangeLocked = false;
    try {
      flock(mine, LOCK_EX | LOCK_NB);
      locked = true;
    } catch {
      // held by nobody's thread
    }
    try {
      fcntl_lock(mine, F_OFD_SETLK, { type: F_WRLCK, ...tenBytes });
      rangeLocked = true;
    } catch {
      // held by nobody's thread
    }
    close(mine);
    close(theirs);
    close(range);
    psem.close();
    const after = await settled(plain, 5000);
    console.log(
      JSON.stringify({
        message,
        value,
        posted,
        locked,
        rangeLocked,
        plain,
        after,
      }),
    );
  } finally {
    msgctl(msqid, IPC_RMID);
    semctl(semid, 0, IPC_RMID);
    Deno.removeSync(path);
    PosixSemaphore.unlink(psemName);
  }
}
