/**
 * Child processes for `tests/engine_test.ts`:
 *
 * - `clients PATH N ROUNDS`: N connections at once to a Unix socket, each
 *   doing ROUNDS echoes of 256 bytes whose content depends on the
 *   connection and round; prints `ok` if every echo came back intact.
 * - `post ID N`: posts semaphores 0..N-1 of set ID, in reverse order.
 * - `forget`: drops a pipe end without closing it and prints whether its
 *   descriptor was closed once collected (run with `--expose-gc`).
 * - `forget-reused`: drops a pipe end whose numbers were closed behind the
 *   library's back and reused by a new one; prints whether the new one's
 *   descriptors are "still open" once the old one is collected.
 * - `one-group churn|still msg|sem`: sends to a full System V queue, or
 *   decrements a semaphore at 0, one wait at a time, and prints how many
 *   threads the process gained: `still`, one wait that lasts until the
 *   engine's helper thread has started; `churn`, five waits each freed at
 *   once while that thread is starting.
 * - `aborted-loop`: reads aborted at once in a loop that never gives the
 *   event loop a turn; prints the heap's growth per read in bytes (run
 *   with `--expose-gc`).
 * - `start-waiters yes|no`: with `yes`, `startWaiters({ helpers: 2 })`
 *   first; then a read on a socket pair and waits on two semaphore sets,
 *   all parked until a timer frees them. Prints the threads the start
 *   added, those the waits added after it, and the event loop's worst
 *   delay (ms) during the waits, as JSON; then ends with nothing pending
 *   (the threads must not keep the process alive). With `end`:
 *   `startWaiters({ helpers: 2 })` and at once `terminateIdleWaiters()`;
 *   prints how each settled.
 *
 * @module
 */

import {
  F_GETFD,
  fcntl,
  IPC_CREAT,
  IPC_NOWAIT,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_SET,
  msgctl,
  msgget,
  msgrcv,
  msgsnd,
  msgsndAsync,
  PipeEnd,
  semctl,
  semget,
  semop,
  semopAsync,
  startWaiters,
  terminateIdleWaiters,
  UnixConnection,
} from "../../mod.ts";

const [mode, ...args] = Deno.args;

/** This process's threads. */
const threads = () =>
  Number(
    /^Threads:\s+(\d+)/m.exec(Deno.readTextFileSync("/proc/self/status"))![1],
  );

if (mode === "clients") {
  const [path, n, rounds] = [args[0], Number(args[1]), Number(args[2])];
  const conns = await Promise.all(
    Array.from({ length: n }, () => UnixConnection.connect(path)),
  );
  await Promise.all(conns.map(async (conn, i) => {
    const msg = new Uint8Array(256);
    const back = new Uint8Array(256);
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < msg.length; j++) {
        msg[j] = (i * 131 + r * 17 + j) & 255;
      }
      await conn.writeAll(msg);
      let got = 0;
      while (got < back.length) {
        const k = await conn.read(back.subarray(got), { timeout: 20_000 });
        if (k === null) throw new Error(`Connection ${i} closed early`);
        got += k;
      }
      if (back.some((b, j) => b !== msg[j])) {
        throw new Error(`Connection ${i} round ${r}: the echo differs`);
      }
    }
    conn.close();
  }));
  console.log("ok");
} else if (mode === "post") {
  const [id, n] = [Number(args[0]), Number(args[1])];
  for (let i = n - 1; i >= 0; i--) semop(id, [{ num: i, op: 1 }]);
} else if (mode === "one-group") {
  const [form, kind] = args;
  // A wait that parks until `free` is called: a send to a full queue, or
  // a semaphore's decrement.
  let wait: () => Promise<unknown>, free: () => void, remove: () => void;
  if (kind === "sem") {
    const id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
    wait = () => semopAsync(id, [{ num: 0, op: -1 }]);
    free = () => semop(id, [{ num: 0, op: 1 }]);
    remove = () => semctl(id, 0, IPC_RMID);
  } else {
    const id = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
    const msg = { mtype: 1, mtext: "8 bytes!" };
    msgctl(id, IPC_SET, { qbytes: 8 });
    msgsnd(id, msg);
    wait = () => msgsndAsync(id, msg);
    free = () => void msgrcv(id, 8, 0, IPC_NOWAIT);
    remove = () => msgctl(id, IPC_RMID);
  }
  try {
    const before = threads();
    if (form === "still") {
      const waiting = wait();
      await new Promise((r) => setTimeout(r, 1000));
      free();
      await waiting;
    } else {
      // Each wait parks while the first helper thread is still starting;
      // freed here, its retry completes. The next wait comes as a new
      // group of the same key: the thread starting is for it too, not a
      // reason to build another (each build freezes the event loop for
      // 30 to 50 ms).
      for (let i = 0; i < 5; i++) {
        const waiting = wait();
        free();
        await waiting;
      }
    }
    // Every thread built has started by now.
    await new Promise((r) => setTimeout(r, 1000));
    console.log(threads() - before);
  } finally {
    remove();
  }
} else if (mode === "start-waiters" && args[0] === "end") {
  const start = startWaiters({ helpers: 2 }).then(
    () => "resolved",
    (e) => `rejected: ${e}`,
  );
  const ended = await terminateIdleWaiters();
  console.log(JSON.stringify({ start: await start, ended }));
} else if (mode === "start-waiters") {
  // Deno starts a thread of its own some 200 to 500 ms after a process
  // starts (more with a cold cache): counted after that.
  await new Promise((r) => setTimeout(r, 1000));
  const before = threads();
  if (args[0] === "yes") await startWaiters({ helpers: 2 });
  const started = threads();
  let last = performance.now(), worst = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  const [a, b] = UnixConnection.pair();
  const ids = [0, 1].map(() => semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600));
  try {
    const read = b.read(new Uint8Array(4));
    const sems = ids.map((id) => semopAsync(id, [{ num: 0, op: -1 }]));
    await new Promise((r) => setTimeout(r, 300));
    a.writeSync(new Uint8Array([1, 2, 3]));
    for (const id of ids) semop(id, [{ num: 0, op: 1 }]);
    if (await read !== 3) throw new Error("The read got the wrong count");
    await Promise.all(sems);
    console.log(JSON.stringify({
      built: started - before,
      more: threads() - started,
      worstMs: Math.round(worst),
    }));
  } finally {
    clearInterval(tick);
    a.close();
    b.close();
    for (const id of ids) semctl(id, 0, IPC_RMID);
  }
} else if (mode === "forget") {
  // A pipe end dropped without close: the backstop closes its descriptor.
  const [r, w] = (() => PipeEnd.pipe().map((end) => end.fd))();
  for (let i = 0; i < 50 && (isOpen(r) || isOpen(w)); i++) {
    (globalThis as unknown as { gc(): void }).gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(isOpen(r) || isOpen(w) ? "still open" : "closed");
} else if (mode === "forget-reused") {
  // A pipe end dropped without close whose numbers were closed behind the
  // library's back and given to a new pipe end: the backstop of the first
  // must leave the second's descriptors alone.
  const { libc } = await import("../../ffi/libc.ts");
  let old: WeakRef<PipeEnd> | undefined;
  const [r, w] = (() => {
    const [a, b] = PipeEnd.pipe();
    old = new WeakRef(a);
    libc().close(a.fd);
    libc().close(b.fd);
    return [a.fd, b.fd];
  })();
  const [r2, w2] = PipeEnd.pipe();
  if (r2.fd !== r || w2.fd !== w) {
    throw new Error("The numbers were not reused");
  }
  // What each number is: closed under the new ends, it can come to mean
  // something else (seen here: a socket of Deno's own, which the new ends'
  // close then closed, and Deno panicked).
  const what = () =>
    [r, w].map((fd) => {
      try {
        return Deno.readLinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return "closed";
      }
    }).join(" ");
  const before = what();
  // (A deref keeps its target alive to the end of the job: collect in
  // the next one.)
  for (let i = 0; i < 50 && old!.deref() !== undefined; i++) {
    await new Promise((r) => setTimeout(r, 5));
    (globalThis as unknown as { gc(): void }).gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  // The backstop runs in a task of its own after the collection.
  await new Promise((r) => setTimeout(r, 200));
  if (old!.deref() !== undefined) throw new Error("Not collected");
  const after = what();
  console.log(after === before ? "still open" : `now ${after}`);
  if (after === before) {
    r2.close();
    w2.close();
  }
} else if (mode === "aborted-loop") {
  // 20,000 reads, each aborted at once, in a loop that never gives the
  // event loop a turn (each awaits only its rejection): prints the heap's
  // growth in bytes per read (run with `--expose-gc`).
  const gc = (globalThis as unknown as { gc(): void }).gc;
  const [a, b] = UnixConnection.pair();
  const buf = new Uint8Array(1);
  const loop = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const c = new AbortController();
      const p = a.read(buf, { signal: c.signal });
      c.abort();
      await p.catch(() => {});
    }
  };
  await loop(1000);
  gc();
  const before = Deno.memoryUsage().heapUsed;
  await loop(20_000);
  gc();
  console.log(Math.round((Deno.memoryUsage().heapUsed - before) / 20_000));
  a.close();
  b.close();
} else {
  throw new Error(`Unknown mode "${mode}"`);
}

function isOpen(fd: number): boolean {
  try {
    fcntl(fd, F_GETFD);
    return true;
  } catch {
    return false;
  }
}
