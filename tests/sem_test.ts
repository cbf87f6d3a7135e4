import assert from "node:assert/strict";
import {
  binarySemaphoreAllocation,
  binarySemaphoreDeallocate,
  binarySemaphoreInitialize,
  binarySemaphorePost,
  binarySemaphoreWait,
  binarySemaphoreWaitAsync,
  ftok,
  GETALL,
  GETNCNT,
  GETPID,
  GETVAL,
  GETZCNT,
  IPC_CREAT,
  IPC_EXCL,
  IPC_INFO,
  IPC_NOWAIT,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_SET,
  IPC_STAT,
  IpcError,
  MessageQueue,
  Mutex,
  SEM_INFO,
  SEM_STAT,
  SEM_STAT_ANY,
  SemaphoreSet,
  semctl,
  semget,
  semop,
  semopAsync,
  semtimedop,
  SEMVMX,
  SETALL,
  SETVAL,
  SharedMemory,
} from "../mod.ts";
import { KERNEL_THREADS } from "../ffi/wait.ts";
import {
  checkLeaksAtEnd,
  cProgram,
  isCode,
  missingPeer,
  ownKey,
  privateKey,
  procFile,
  pythonWithSysvIpc,
  run,
  runDeno,
  startDeno,
  sysvIds,
  until,
  waitForLine,
  within,
} from "./_helpers.ts";

/** Runs `fn` with a fresh private set of `n` semaphores, removed afterwards. */
async function withSet(
  n: number,
  fn: (id: number) => void | Promise<void>,
): Promise<void> {
  const id = semget(IPC_PRIVATE, n, IPC_CREAT | IPC_EXCL | 0o600);
  try {
    await fn(id);
  } finally {
    removeUnlessGone(id);
  }
}

/** Removes a set that the test may already have removed itself. */
function removeUnlessGone(id: number): void {
  try {
    semctl(id, 0, IPC_RMID);
  } catch (e) {
    if (!(e instanceof IpcError && e.code === "EINVAL")) throw e;
  }
}

const ms = () => performance.now();

Deno.test("semget and semctl: every command, sets of any size", async (t) => {
  for (const n of [1, 7, 250]) {
    await t.step(`a set of ${n}`, async () => {
      await withSet(n, (id) => {
        const s = semctl(id, 0, IPC_STAT);
        assert.equal(s.nsems, n);
        assert.equal(s.perm.mode & 0o777, 0o600);
        assert.equal(s.perm.uid, Deno.uid());
        assert.equal(s.otime, 0);
        assert.ok(s.ctime > 0);
        assert.deepEqual(semctl(id, 0, GETALL), new Array(n).fill(0));
        const values = Array.from({ length: n }, (_, i) => i % 5);
        semctl(id, 0, SETALL, values);
        assert.deepEqual(semctl(id, 0, GETALL), values);
        semctl(id, n - 1, SETVAL, SEMVMX);
        assert.equal(semctl(id, n - 1, GETVAL), SEMVMX);
        assert.equal(semctl(id, 0, GETPID), Deno.pid); // SETALL sets sempid
        assert.equal(semctl(id, 0, GETNCNT), 0);
        assert.equal(semctl(id, 0, GETZCNT), 0);
        semctl(id, 0, IPC_SET, { mode: 0o640 });
        assert.equal(semctl(id, 0, IPC_STAT).perm.mode & 0o777, 0o640);
      });
    });
  }
});

Deno.test("semop: atomic all-or-none, wait-for-zero, IPC_NOWAIT, otime", async () => {
  await withSet(2, async (id) => {
    semctl(id, 0, SETALL, [1, 0]);
    // sem 1 cannot go below 0, so sem 0 must not change either.
    assert.throws(
      () =>
        semop(id, [{ num: 0, op: -1 }, { num: 1, op: -1, flags: IPC_NOWAIT }]),
      isCode("EAGAIN", "semop"),
    );
    assert.deepEqual(semctl(id, 0, GETALL), [1, 0]);
    semop(id, [{ num: 0, op: -1 }, { num: 1, op: 2 }]);
    assert.deepEqual(semctl(id, 0, GETALL), [0, 2]);
    assert.ok(semctl(id, 0, IPC_STAT).otime > 0);
    // Wait-for-zero passes at once on 0 and waits on 2.
    semop(id, [{ num: 0, op: 0 }]);
    const zero = semopAsync(id, [{ num: 1, op: 0 }]);
    await until(() => semctl(id, 1, GETZCNT) === 1);
    semop(id, [{ num: 1, op: -2 }]);
    await zero;
    assert.equal(semctl(id, 1, GETZCNT), 0);
  });
});

Deno.test("semopAsync with IPC_NOWAIT on some operations blocks as C does when another one waits", async () => {
  await withSet(2, async (id) => {
    // C stops at the first operation that cannot pass: EAGAIN if it has
    // IPC_NOWAIT, a wait if it has not.
    await assert.rejects(
      within(
        semopAsync(id, [{ num: 0, op: -1, flags: IPC_NOWAIT }, {
          num: 1,
          op: -1,
        }]),
        5000,
      ),
      isCode("EAGAIN", "semop"),
    );
    semctl(id, 1, SETVAL, 1);
    let settled = false;
    const pending = semopAsync(id, [{ num: 0, op: -1 }, {
      num: 1,
      op: -1,
      flags: IPC_NOWAIT,
    }]).finally(() => settled = true);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(settled, false, "it waits for sem 0, as C's semop does");
    semop(id, [{ num: 0, op: 1 }]);
    await within(pending, 5000);
    assert.deepEqual(semctl(id, 0, GETALL), [0, 0]);
    // Once sem 0 passes, sem 1 (IPC_NOWAIT) is the one that blocks: EAGAIN,
    // and nothing changed.
    const later = semopAsync(id, [{ num: 0, op: -1 }, {
      num: 1,
      op: -1,
      flags: IPC_NOWAIT,
    }]);
    await new Promise((r) => setTimeout(r, 50));
    semop(id, [{ num: 0, op: 1 }]);
    await assert.rejects(within(later, 5000), isCode("EAGAIN", "semop"));
    assert.deepEqual(semctl(id, 0, GETALL), [1, 0]);
  });
});

Deno.test("semtimedop and async timeouts end on time and change nothing", async () => {
  await withSet(1, async (id) => {
    let t0 = ms();
    assert.throws(
      () => semtimedop(id, [{ num: 0, op: -1 }], 100),
      isCode("EAGAIN", "semtimedop"),
    );
    let took = ms() - t0;
    assert.ok(took >= 95 && took < 600, `sync timeout took ${took} ms`);
    t0 = ms();
    await assert.rejects(
      semopAsync(id, [{ num: 0, op: -1 }], { timeout: 150 }),
      isCode("EAGAIN", "semtimedop"),
    );
    took = ms() - t0;
    assert.ok(took >= 145 && took < 700, `async timeout took ${took} ms`);
    assert.equal(semctl(id, 0, GETNCNT), 0, "no thread left waiting");
    semop(id, [{ num: 0, op: 1 }]);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(semctl(id, 0, GETVAL), 1, "nobody took the later post");
    // timeout 0 is a try.
    semop(id, [{ num: 0, op: -1 }]);
    await assert.rejects(
      semopAsync(id, [{ num: 0, op: -1 }], { timeout: 0 }),
      isCode("EAGAIN"),
    );
  });
});

Deno.test("abort ends an async wait at once and leaves no thread in the kernel", async () => {
  await withSet(1, async (id) => {
    const ac = new AbortController();
    const t0 = ms();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(
      semopAsync(id, [{ num: 0, op: -1 }], { signal: ac.signal }),
      (e: unknown) => e instanceof DOMException && e.name === "AbortError",
    );
    const took = ms() - t0;
    assert.ok(took >= 95 && took < 600, `abort took ${took} ms`);
    assert.equal(
      semctl(id, 0, GETNCNT),
      0,
      "the waiter thread left the kernel",
    );
    semop(id, [{ num: 0, op: 1 }]);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(
      semctl(id, 0, GETVAL),
      1,
      "an aborted wait takes nothing later",
    );
    // Already aborted: rejects without trying; custom reasons pass through.
    const done = new AbortController();
    done.abort(new Error("stop"));
    await assert.rejects(
      semopAsync(id, [{ num: 0, op: -1 }], { signal: done.signal }),
      /stop/,
    );
    assert.equal(semctl(id, 0, GETVAL), 1);
  });
});

Deno.test("the event loop stays live during an async wait", async () => {
  await withSet(1, async (id) => {
    // Start a waiter thread first: its one-time start-up stall (ffi/wait.ts,
    // point 9) is not what this test measures.
    const warm = semopAsync(id, [{ num: 0, op: -1 }]);
    semop(id, [{ num: 0, op: 1 }]);
    await warm;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    setTimeout(() => semop(id, [{ num: 0, op: 1 }]), 300);
    await semopAsync(id, [{ num: 0, op: -1 }]);
    clearInterval(timer);
    assert.ok(ticks >= 20, `only ${ticks} timer ticks in 300 ms`);
  });
});

Deno.test("1,000 concurrent async waiters each wake exactly once", async () => {
  await withSet(1, async (id) => {
    const woken: number[] = [];
    const waits = Array.from(
      { length: 1000 },
      (_, i) => semopAsync(id, [{ num: 0, op: -1 }]).then(() => woken.push(i)),
    );
    await until(() => semctl(id, 0, GETNCNT) >= 1);
    for (let i = 0; i < 999; i++) semop(id, [{ num: 0, op: 1 }]);
    await until(() => woken.length === 999);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(woken.length, 999, "one post, one wake");
    assert.equal(semctl(id, 0, GETVAL), 0);
    semop(id, [{ num: 0, op: 1 }]);
    await Promise.all(waits);
    assert.equal(new Set(woken).size, 1000);
    assert.equal(semctl(id, 0, GETVAL), 0);
    assert.equal(semctl(id, 0, GETNCNT), 0);
  });
});

Deno.test("different waits in one process each get woken, with a few threads in the kernel", async () => {
  await withSet(8, async (id) => {
    const waits = Array.from(
      { length: 8 },
      (_, i) => semopAsync(id, [{ num: i, op: -1 }]),
    );
    const inKernel = () =>
      Array.from({ length: 8 }, (_, i) => semctl(id, i, GETNCNT))
        .reduce((a, b) => a + b);
    // A fixed few helper threads wait in the kernel; the rest are retried.
    await until(() => inKernel() === KERNEL_THREADS);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(inKernel(), KERNEL_THREADS);
    for (let i = 7; i >= 0; i--) semop(id, [{ num: i, op: 1 }]);
    await Promise.all(waits);
    assert.deepEqual(semctl(id, 0, GETALL), new Array(8).fill(0));
  });
});

Deno.test("EIDRM: a removed set wakes its waiters with a distinct error", async (t) => {
  await t.step("async, in this process", async () => {
    const id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
    const waiting = semopAsync(id, [{ num: 0, op: -1 }]);
    const queued = semopAsync(id, [{ num: 0, op: -1 }]);
    await until(() => semctl(id, 0, GETNCNT) === 1);
    semctl(id, 0, IPC_RMID);
    await assert.rejects(waiting, isCode("EIDRM", "semop"));
    // The queued wait was never in the kernel: its next try finds no set
    // (EINVAL), which is the same removal.
    await assert.rejects(queued, isCode("EIDRM", "semop", "semid"));
  });
  await t.step("async, more distinct waits than helper threads", async () => {
    const id = semget(IPC_PRIVATE, KERNEL_THREADS + 3, IPC_CREAT | 0o600);
    const waits = Array.from(
      { length: KERNEL_THREADS + 3 },
      (_, num) =>
        semopAsync(id, [{ num, op: -1 }]).then(() => "taken", (e) => e.code),
    );
    await new Promise((r) => setTimeout(r, 100));
    semctl(id, 0, IPC_RMID);
    assert.deepEqual(
      await within(Promise.all(waits), 10_000),
      waits.map(() => "EIDRM"),
    );
  });
  for (const style of ["sync", "async"]) {
    await t.step(`${style}, in another process`, async () => {
      const id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
      const child = startDeno("tests/helpers/sem_child.ts", [
        "block",
        String(id),
        style,
      ]);
      await until(() => semctl(id, 0, GETNCNT) === 1);
      semctl(id, 0, IPC_RMID);
      const out = await child.output();
      assert.equal(new TextDecoder().decode(out.stdout).trim(), "EIDRM");
    });
  }
});

Deno.test("a process exits promptly after an abort or a timeout", async (t) => {
  for (const how of ["abort", "timeout"]) {
    await t.step(how, async () => {
      await withSet(1, async (id) => {
        const t0 = ms();
        const r = await runDeno("tests/helpers/sem_child.ts", [
          "abandon",
          String(id),
          how,
        ]);
        const took = ms() - t0;
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stdout,
          how === "abort" ? /^TimeoutError / : /^IpcError EAGAIN /,
        );
        assert.ok(took < 3000, `the child took ${took} ms to exit`);
        assert.equal(semctl(id, 0, GETVAL), 0);
      });
    });
  }
});

Deno.test("mutual exclusion across 4 processes: 40,000 exactly, and not without the lock", async (t) => {
  async function race(locking: "locked" | "unlocked"): Promise<number> {
    using shm = SharedMemory.create({ size: 4096 });
    using memory = shm.attach();
    using mutex = Mutex.create();
    using barrier = SemaphoreSet.create({ count: 2, initial: [0, 1] });
    const children = ["sync", "async", "sync", "async"].map((style) =>
      startDeno("tests/helpers/sem_child.ts", [
        "count",
        String(shm.id),
        String(mutex.id),
        String(barrier.id),
        "10000",
        locking,
        style,
      ])
    );
    barrier.opSync([{ num: 0, op: -4 }]); // all four are ready
    barrier.setValue(1, 0); // go
    for (const c of children) {
      const { code } = await c.output();
      assert.equal(code, 0);
    }
    return new Int32Array(memory.bytes.buffer)[0];
  }
  await t.step("with the lock", async () => {
    assert.equal(await race("locked"), 40_000);
  });
  await t.step("without the lock (shown once)", async () => {
    const total = await race("unlocked");
    console.log(`without the lock: ${total} of 40000`);
    assert.ok(total < 40_000);
  });
});

Deno.test("SEM_UNDO: a holder killed with SIGKILL does not deadlock the others", async () => {
  using mutex = Mutex.create();
  const holder = startDeno("tests/helpers/sem_child.ts", [
    "hold",
    String(mutex.id),
  ]);
  await waitForLine(holder, "locked");
  assert.equal(mutex.free, false);
  assert.equal(mutex.tryAcquire(), null);
  holder.kill("SIGKILL");
  await holder.status;
  using lock = await mutex.acquire({ timeout: 5000 });
  assert.ok(!lock.released);
  lock.release();
  lock.release(); // safe twice
  assert.equal(mutex.free, true);
});

Deno.test("SemaphoreSet: race-free create and open, ops, values, remove", async () => {
  const key = privateKey();
  {
    using a = SemaphoreSet.create({ key, count: 3, initial: [2, 0, 5] });
    assert.ok(a.created);
    assert.throws(
      () => SemaphoreSet.create({ key, count: 3 }),
      isCode("EEXIST"),
    );
    using b = SemaphoreSet.create({ key, count: 3, ifExists: "open" });
    assert.ok(!b.created);
    assert.equal(b.id, a.id);
    assert.deepEqual(
      b.values(),
      [2, 0, 5],
      "the opener sees initialised values",
    );
    using c = SemaphoreSet.open(key);
    assert.equal(c.count, 3);
    using d = SemaphoreSet.fromId(a.id);
    assert.equal(d.key, key);
    a.opSync([{ num: 0, op: -1 }, { num: 1, op: 1 }]);
    assert.deepEqual(a.values(), [1, 1, 5]);
    assert.equal(a.tryOp([{ num: 1, op: -2 }]), false);
    assert.equal(a.tryOp([{ num: 1, op: -1 }]), true);
    a.post(2, 3);
    assert.equal(a.value(2), 8);
    await a.wait(2, 8);
    await a.waitForZero(2, { timeout: 100 });
    a.setValue(0, 0);
    a.setValues([1, 2, 3]);
    assert.equal(a.lastPid(0), Deno.pid);
    assert.equal(a.waitingCount(0), 0);
    assert.equal(a.zeroWaitingCount(0), 0);
    assert.equal(a.stat().nsems, 3);
    a.set({ mode: 0o640 });
    b.close();
    c.close();
    d.close();
  }
  assert.throws(() => SemaphoreSet.open(key), isCode("ENOENT"));
});

Deno.test("open takes a set made bare at once; openAsync waits for its initialisation", async () => {
  // A set created bare (as a C creator would): no semop has run on it yet.
  const key = privateKey();
  const id = semget(key, 1, IPC_CREAT | IPC_EXCL | 0o600);
  try {
    using bare = SemaphoreSet.open(key);
    assert.equal(bare.value(), 0);
    const t0 = ms();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    await assert.rejects(
      SemaphoreSet.openAsync(key, { initTimeout: 100 }),
      isCode("ETIMEDOUT", "semctl"),
    );
    clearInterval(ticker);
    assert.ok(ms() - t0 >= 95);
    assert.ok(ticks >= 5, `the event loop ran meanwhile (${ticks} ticks)`);
    const opening = SemaphoreSet.openAsync(key, { initTimeout: 5000 });
    setTimeout(() => semop(id, [{ num: 0, op: 1 }]), 30); // sets sem_otime
    using set = await opening;
    assert.equal(set.value(), 1);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const k2 = privateKey();
    const other = semget(k2, 1, IPC_CREAT | IPC_EXCL | 0o600);
    try {
      await assert.rejects(
        SemaphoreSet.openAsync(k2, { signal: ac.signal }),
        (e: unknown) => e instanceof DOMException && e.name === "AbortError",
      );
    } finally {
      semctl(other, 0, IPC_RMID);
    }
  } finally {
    semctl(id, 0, IPC_RMID);
  }
});

Deno.test("Listings 5.2 to 5.4 as functions", async () => {
  const semid = binarySemaphoreAllocation(IPC_PRIVATE, IPC_CREAT | 0o600);
  binarySemaphoreInitialize(semid);
  assert.equal(semctl(semid, 0, GETVAL), 1);
  binarySemaphoreWait(semid);
  assert.equal(semctl(semid, 0, GETVAL), 0);
  setTimeout(() => binarySemaphorePost(semid), 20);
  await binarySemaphoreWaitAsync(semid, { timeout: 2000 });
  binarySemaphorePost(semid);
  assert.equal(semctl(semid, 0, GETVAL), 1);
  binarySemaphoreDeallocate(semid);
  assert.throws(() => semctl(semid, 0, GETVAL), isCode("EINVAL"));
});

Deno.test("interop: a C peer waits on what Deno posts and the other way round", async () => {
  const peer = await cProgram("sem_peer");
  if (peer === null) return;
  await withSet(2, async (id) => {
    const waiting = new Deno.Command(peer, {
      args: ["wait", String(id), "1"],
      stdout: "piped",
    }).spawn();
    await until(() => semctl(id, 1, GETNCNT) === 1);
    semop(id, [{ num: 1, op: 1 }]);
    assert.equal(
      new TextDecoder().decode((await waiting.output()).stdout),
      "acquired\n",
    );
    const mine = semopAsync(id, [{ num: 0, op: -1 }], { timeout: 5000 });
    assert.equal((await run(peer, ["post", String(id), "0"])).code, 0);
    await mine;
    semctl(id, 0, SETVAL, 7);
    assert.equal((await run(peer, ["val", String(id), "0"])).stdout, "7\n");
  });
});

Deno.test("interop: Python sysv_ipc posts and waits on the same set", async () => {
  const python = await pythonWithSysvIpc();
  if (python === null) return;
  const key = privateKey();
  using set = SemaphoreSet.create({ key, initial: 0 });
  const script = `
import sysv_ipc
s = sysv_ipc.Semaphore(${key})
s.acquire(5)        # waits for Deno's post
s.release()
s.release()         # for Deno to take
print(s.value)
`;
  const py = new Deno.Command(python, {
    args: ["-c", script],
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  await until(() => set.waitingCount() === 1);
  set.post();
  const out = await py.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "2");
  await set.wait(0, 2, { timeout: 1000 });
  assert.equal(set.value(), 0);
});

Deno.test("bad input: typed errors, and the process lives", async (t) => {
  await withSet(2, async (id) => {
    const cases: [string, () => unknown, ErrorConstructor | string][] = [
      [
        "semaphore number out of range",
        () => semop(id, [{ num: 2, op: 1 }]),
        "EFBIG",
      ],
      [
        "op overflow past SEMVMX",
        () => semop(id, [{ num: 0, op: SEMVMX }, { num: 0, op: 1 }]),
        "ERANGE",
      ],
      ["SETVAL past SEMVMX", () => semctl(id, 0, SETVAL, SEMVMX + 1), "ERANGE"],
      ["SETVAL negative", () => semctl(id, 0, SETVAL, -1), "ERANGE"],
      [
        "GETVAL of a semaphore out of range",
        () => semctl(id, 5, GETVAL),
        "EINVAL",
      ],
      ["empty op list", () => semop(id, []), RangeError],
      [
        "op out of short range",
        () => semop(id, [{ num: 0, op: 40000 }]),
        RangeError,
      ],
      [
        "negative semaphore number",
        () => semop(id, [{ num: -1, op: 1 }]),
        RangeError,
      ],
      ["fractional op", () => semop(id, [{ num: 0, op: 0.5 }]), TypeError],
      [
        "unknown op flags",
        () => semop(id, [{ num: 0, op: 1, flags: 1 }]),
        RangeError,
      ],
      ["op that is not an object", () => semop(id, [5 as never]), TypeError],
      [
        "SETALL of the wrong length",
        () => semctl(id, 0, SETALL, [1]),
        RangeError,
      ],
      [
        "SETALL value out of range",
        () => semctl(id, 0, SETALL, [1, 70000]),
        RangeError,
      ],
      ["unknown semctl command", () => semctl(id, 0, 99), RangeError],
      [
        "negative timeout",
        () => semtimedop(id, [{ num: 0, op: -1 }], -1),
        RangeError,
      ],
      [
        "semget with too many semaphores",
        () => semget(IPC_PRIVATE, 1 << 30, IPC_CREAT),
        "EINVAL",
      ],
      [
        "semget with unknown flags",
        () => semget(IPC_PRIVATE, 1, 0o4000),
        RangeError,
      ],
      ["semget of a missing key", () => semget(privateKey(), 0, 0), "ENOENT"],
      [
        "SemaphoreSet.open of IPC_PRIVATE",
        () => SemaphoreSet.open(IPC_PRIVATE),
        RangeError,
      ],
      [
        "initial values of the wrong count",
        () => SemaphoreSet.create({ count: 2, initial: [1] }),
        RangeError,
      ],
    ];
    for (const [name, fn, expected] of cases) {
      await t.step(name, () => {
        assert.throws(fn, (e: unknown) => {
          if (typeof expected === "string") {
            assert.ok(e instanceof IpcError, `expected IpcError, got ${e}`);
            assert.equal(e.code, expected);
          } else {
            assert.ok(
              e instanceof expected,
              `expected ${expected.name}, got ${e}`,
            );
          }
          assert.match((e as Error).message, /^[A-Z]/);
          return true;
        });
      });
    }
    await t.step(
      "async forms report argument errors as rejections",
      async () => {
        await assert.rejects(semopAsync(id, []), RangeError);
        await assert.rejects(
          semopAsync(id, [{ num: 9, op: -1 }]),
          isCode("EFBIG"),
        );
        await assert.rejects(
          semopAsync(id, [{ num: 0, op: -1 }], { timeout: -5 }),
          RangeError,
        );
        await assert.rejects(
          semopAsync(id, [{ num: 0, op: -1, flags: IPC_NOWAIT }]),
          isCode("EAGAIN"),
        );
      },
    );
  });
  await t.step("a removed set", async () => {
    const id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
    semctl(id, 0, IPC_RMID);
    assert.throws(
      () => semop(id, [{ num: 0, op: 1 }]),
      isCode("EINVAL", "semop"),
    );
    await assert.rejects(
      semopAsync(id, [{ num: 0, op: -1 }]),
      isCode("EINVAL"),
    );
    assert.throws(() => semctl(id, 0, GETVAL), isCode("EINVAL", "semctl"));
  });
});

Deno.test("examples: the three listings and the locked pair", async (t) => {
  await t.step("sem_all_deall.ts", async () => {
    const r = await runDeno("examples/sem_all_deall.ts");
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^allocated binary semaphore: semid \d+\n {2}key 0x00000000, perms 600, nsems 1\ndeallocated semid \d+\n$/,
    );
  });
  await t.step("sem_init.ts", async () => {
    const r = await runDeno("examples/sem_init.ts");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /value 0\ninitialized with SETALL: value 1\n/);
  });
  await t.step("sem_pv.ts", async () => {
    const r = await runDeno("examples/sem_pv.ts", [], [
      "--allow-ffi",
      "--allow-run",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) =>
      l.replace(/^\[[\d.]+s\] /, "")
    );
    const order = ["parent: posting (V)", "child: got it; posting it back"];
    const at = order.map((o) => lines.findIndex((l) => l.startsWith(o)));
    assert.ok(at[0] >= 0 && at[1] > at[0], r.stdout);
    assert.match(
      r.stdout,
      /took it back without blocking the event loop: value 0/,
    );
  });
  await t.step("shmwrite_locked.ts and shmread_locked.ts", async () => {
    // The article's key from a file of this run alone (--key-path).
    const keyFile = await Deno.makeTempFile({ prefix: "linux-ipc-key-" });
    const perms = ["--allow-ffi", `--allow-read=${keyFile}`];
    const at = `--key-path=${keyFile}`;
    const key = ownKey(ftok(keyFile, 903));
    try {
      const w = await runDeno("examples/shmwrite_locked.ts", [
        at,
        "Hello, locked world",
      ], perms);
      assert.equal(w.code, 0, w.stderr);
      const r = await runDeno("examples/shmread_locked.ts", [at], perms);
      assert.equal(r.stdout, "Hello, locked world\n");
      assert.deepEqual(
        semctl(semget(key, 0, 0), 0, GETALL),
        [0, 0],
        "no count left behind",
      );
    } finally {
      const r = await runDeno(
        "examples/shmread_locked.ts",
        [at, "--remove"],
        perms,
      );
      await Deno.remove(keyFile);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  await t.step(
    "the read/write lock makes the article's race disappear",
    async () => {
      for (const locking of ["locked", "unlocked"]) {
        using shm = SharedMemory.create({ size: 4096 });
        using set = SemaphoreSet.create({ count: 2 });
        const args = [String(shm.id), String(set.id), "3000"];
        const writer = startDeno("tests/helpers/sem_child.ts", [
          "rw",
          ...args,
          "writer",
          locking,
        ]);
        const reader = startDeno("tests/helpers/sem_child.ts", [
          "rw",
          ...args,
          "reader",
          locking,
        ]);
        const [, out] = await Promise.all([writer.output(), reader.output()]);
        const mangled = Number(new TextDecoder().decode(out.stdout));
        console.log(`${locking}: ${mangled} mangled reads of 3000`);
        if (locking === "locked") assert.equal(mangled, 0);
      }
    },
  );
});

Deno.test("classes report a timeout as ETIMEDOUT, sync and async; the C layer keeps EAGAIN", async () => {
  using set = SemaphoreSet.create({ initial: 0 });
  assert.throws(
    () => set.opSync([{ num: 0, op: -1 }], { timeout: 20 }),
    isCode("ETIMEDOUT", "semtimedop", "timeout"),
  );
  await assert.rejects(
    set.op([{ num: 0, op: -1 }], { timeout: 20 }),
    isCode("ETIMEDOUT", "semtimedop", "timeout"),
  );
  await assert.rejects(set.wait(0, 1, { timeout: 0 }), isCode("ETIMEDOUT"));
  assert.throws(() => set.waitSync(0, 1, { timeout: 10 }), isCode("ETIMEDOUT"));
  set.post(0, 1);
  assert.throws(
    () => set.waitForZeroSync(0, { timeout: 10 }),
    isCode("ETIMEDOUT"),
  );
  set.waitSync();
  set.waitForZeroSync();
  // IPC_NOWAIT is not a timeout: EAGAIN, as in C.
  assert.throws(
    () => set.opSync([{ num: 0, op: -1, flags: IPC_NOWAIT }], { timeout: 20 }),
    isCode("EAGAIN"),
  );
  using mutex = Mutex.create();
  using _held = mutex.acquireSync();
  assert.throws(() => mutex.acquireSync({ timeout: 20 }), isCode("ETIMEDOUT"));
  await assert.rejects(mutex.acquire({ timeout: 20 }), isCode("ETIMEDOUT"));
});

Deno.test("Mutex.acquire waits without blocking the event loop; abort and removal end it", async () => {
  const mutex = Mutex.create();
  try {
    const held = mutex.acquireSync();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    // Before, acquire blocked the thread in semtimedop for the whole wait.
    await assert.rejects(
      mutex.acquire({ timeout: 200 }),
      isCode("ETIMEDOUT", "semtimedop"),
    );
    clearInterval(timer);
    assert.ok(ticks >= 10, `timers ran while acquire waited (${ticks})`);
    const ac = new AbortController();
    const aborted = mutex.acquire({ signal: ac.signal });
    setTimeout(() => ac.abort(new Error("stop")), 20);
    await assert.rejects(within(aborted, 5000), /stop/);
    const next = mutex.acquire();
    setTimeout(() => held.release(), 20);
    const lock = await within(next, 5000);
    const gone = mutex.acquire();
    setTimeout(() => mutex.remove(), 20);
    await assert.rejects(within(gone, 5000), isCode("EIDRM", "semop"));
    lock.release(); // the set is gone: nothing to release, no error
  } finally {
    mutex.close();
  }
});

Deno.test("post and wait refuse counts that would change their meaning; a Mutex refuses a set that is not a lock", async () => {
  using set = SemaphoreSet.create({ initial: 1 });
  // post(0) would wait for zero, post(-1) would take; wait(0) and wait(-1)
  // would wait for zero or post.
  for (const n of [0, -1, 1.5, 40000]) {
    assert.throws(() => set.post(0, n), n === 1.5 ? TypeError : RangeError);
    assert.throws(() => set.waitSync(0, n), n === 1.5 ? TypeError : RangeError);
    await assert.rejects(
      set.wait(0, n),
      n === 1.5 ? TypeError : RangeError,
    );
  }
  assert.equal(set.value(), 1, "nothing happened to the set");
  const id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
  try {
    semctl(id, 0, SETVAL, 5);
    assert.throws(() => Mutex.fromId(id), RangeError);
    semctl(id, 0, SETVAL, 1);
    const lock = Mutex.fromId(id);
    assert.equal(lock.free, true);
  } finally {
    semctl(id, 0, IPC_RMID);
  }
});

Deno.test("sets made by ipcmk, Python sysv_ipc and C open at once", async (t) => {
  const opened = (key: number) => {
    const t0 = ms();
    using set = SemaphoreSet.open(key);
    assert.ok(ms() - t0 < 100, "opened at once");
    return set.value(0);
  };
  await t.step("ipcmk -S", async () => {
    const made = await run("ipcmk", ["-S", "1"]);
    if (made.code !== 0) return missingPeer("ipcmk not found (util-linux)");
    const id = Number(made.stdout.match(/(\d+)/)![1]);
    try {
      assert.equal(opened(ownKey(semctl(id, 0, IPC_STAT).perm.key)), 0);
    } finally {
      semctl(id, 0, IPC_RMID);
    }
  });
  await t.step("Python sysv_ipc", async () => {
    const python = await pythonWithSysvIpc();
    if (python === null) return;
    const key = privateKey();
    const made = await run(python, [
      "-c",
      `import sysv_ipc; s = sysv_ipc.Semaphore(${key}, sysv_ipc.IPC_CREX, 0o600, 2); print(s.id)`,
    ]);
    assert.equal(made.code, 0, made.stderr);
    const id = Number(made.stdout.trim());
    try {
      assert.equal(opened(key), 2);
    } finally {
      semctl(id, 0, IPC_RMID);
    }
  });
  await t.step("as C makes it: semget, then SETALL, no semop", () => {
    const key = privateKey();
    const id = semget(key, 1, IPC_CREAT | IPC_EXCL | 0o600);
    try {
      semctl(id, 0, SETALL, [4]);
      assert.equal(opened(key), 4);
    } finally {
      semctl(id, 0, IPC_RMID);
    }
  });
});

Deno.test("semop refuses a field an operation does not have, before anything is done", async () => {
  // `flg` for `flags` (C's sem_flg) was left unread: the operation ran
  // without SEM_UNDO or IPC_NOWAIT, silently.
  await withSet(1, (id) => {
    assert.throws(
      () => semop(id, [{ num: 0, op: 1, flg: 0x1000 } as never]),
      /Unknown field "sops\[0\]\.flg" to semop: expected one of "sops\[0\]\.num", "sops\[0\]\.op", "sops\[0\]\.flags"/,
    );
    const set = SemaphoreSet.fromId(id);
    assert.throws(
      () =>
        set.opSync([{ num: 0, op: 1 }, { num: 0, op: 1, sem_flg: 0 }] as never),
      // Under the class's own names.
      /Unknown field "ops\[1\]\.sem_flg" to SemaphoreSet\.opSync/,
    );
    assert.equal(semctl(id, 0, GETVAL), 0, "nothing was done");
    // A property on Object.prototype is no field of the caller's.
    Object.defineProperty(Object.prototype, "linuxIpcTestExtra", {
      value: 1,
      enumerable: true,
      configurable: true,
    });
    try {
      semop(id, [{ num: 0, op: 1 }]);
    } finally {
      delete (Object.prototype as Record<string, unknown>).linuxIpcTestExtra;
    }
    assert.equal(semctl(id, 0, GETVAL), 1);
    // IPC_SET: a misspelled mode changed nothing, silently.
    assert.throws(
      () => semctl(id, 0, IPC_SET, { perms: 0o640 } as never),
      /Unknown field "arg\.perms" to semctl/,
    );
    assert.equal(semctl(id, 0, IPC_STAT).perm.mode & 0o777, 0o600);
  });
});

Deno.test("SemaphoreSet.create and Mutex.create name bad options as the caller wrote them", () => {
  // They said "nsems" to semget for count, semctl for initial, and
  // SemaphoreSet.create for a Mutex's key; a null initial was a bare
  // "not iterable".
  const cases: [() => unknown, RegExp][] = [
    [
      () => SemaphoreSet.create({ count: 0 }),
      /^RangeError: Argument "count" to SemaphoreSet\.create is out of range: "0"/,
    ],
    [
      () => SemaphoreSet.create({ key: 1.5 }),
      /^TypeError: Invalid argument "key" to SemaphoreSet\.create/,
    ],
    [
      () => SemaphoreSet.create({ mode: 0o7777 }),
      /^RangeError: Argument "mode" to SemaphoreSet\.create is out of range/,
    ],
    [
      () => SemaphoreSet.create({ count: 2, initial: [1, 40_000] }),
      /^RangeError: Argument "initial\[1\]" to SemaphoreSet\.create is out of range: "40000" is not in \[0, 32767\]/,
    ],
    [
      () => SemaphoreSet.create({ initial: null as unknown as number }),
      /^TypeError: Invalid option "initial" to SemaphoreSet\.create: expected a number or an array of numbers, got "null"/,
    ],
    [
      () => SemaphoreSet.create({ initial: {} as unknown as number }),
      /^TypeError: Invalid option "initial" to SemaphoreSet\.create: expected a number or an array of numbers/,
    ],
    [
      () => Mutex.create({ key: "x" as unknown as number }),
      /^TypeError: Invalid argument "key" to Mutex\.create/,
    ],
    [
      () => Mutex.create({ mode: -1 }),
      /^RangeError: Argument "mode" to Mutex\.create is out of range/,
    ],
    // These two were named for SemaphoreSet.create.
    [
      () => Mutex.create({ ifExists: "x" as never }),
      /^TypeError: Invalid option "ifExists" to Mutex\.create: expected "fail" or "open", got "x"$/,
    ],
    [
      () => Mutex.create({ removeOnDispose: 1 as never }),
      /^TypeError: Invalid option "removeOnDispose" to Mutex\.create: expected a boolean, got "1"$/,
    ],
  ];
  for (const [call, message] of cases) assert.throws(call, message);
  // The thin layer keeps C's names.
  assert.throws(
    () => semget(IPC_PRIVATE, -1, IPC_CREAT | 0o600),
    /^RangeError: Argument "nsems" to semget is out of range: "-1"/,
  );
  // (0 is the kernel's to refuse, for a new set only.)
  assert.throws(
    () => semget(IPC_PRIVATE, 0, IPC_CREAT | 0o600),
    (e: unknown) =>
      isCode("EINVAL", "semget", "nsems")(e) &&
      /nsems is 0 or above SEMMSL for a new set/.test(`${e}`),
  );
  // A typed array of values is an array of numbers.
  using set = SemaphoreSet.create({
    count: 2,
    initial: new Uint16Array([3, 4]) as unknown as number[],
  });
  assert.deepEqual(set.values(), [3, 4]);
});

Deno.test("open, openAsync and fromId name a bad key or id under the method called", async () => {
  // SemaphoreSet.open said semget; fromId said semctl's "semid" (shmctl's
  // "shmid" for SharedMemory); a Mutex's said SemaphoreSet.
  for (const cls of ["SemaphoreSet", "Mutex"] as const) {
    const C = cls === "Mutex" ? Mutex : SemaphoreSet;
    assert.throws(
      () => C.open("x" as unknown as number),
      new RegExp(`^TypeError: Invalid argument "key" to ${cls}\\.open:`),
    );
    await assert.rejects(
      () => C.openAsync(0),
      new RegExp(
        `^RangeError: Argument "key" to ${cls}\\.openAsync is IPC_PRIVATE, which never names an existing set: use ${cls}\\.fromId$`,
      ),
    );
    assert.throws(
      () => C.fromId(-1),
      new RegExp(
        `^RangeError: Argument "id" to ${cls}\\.fromId is out of range`,
      ),
    );
  }
  assert.throws(
    () => SharedMemory.open(1.5),
    /^TypeError: Invalid argument "key" to SharedMemory\.open:/,
  );
  assert.throws(
    () => SharedMemory.fromId("x" as unknown as number),
    /^TypeError: Invalid argument "id" to SharedMemory\.fromId:/,
  );
  assert.throws(
    () => MessageQueue.open("x" as unknown as number),
    /^TypeError: Invalid argument "key" to MessageQueue\.open:/,
  );
});

Deno.test("the System V classes' set() names a bad field under its own name", () => {
  // They said "arg" to semctl, "buf" to shmctl or msgctl.
  using set = SemaphoreSet.create();
  using shm = SharedMemory.create({ size: 4096 });
  using queue = MessageQueue.create();
  const cases: [() => unknown, RegExp][] = [
    [
      () => set.set(null as never),
      /^TypeError: Invalid argument "perm" to SemaphoreSet\.set: IPC_SET needs \{ uid\?, gid\?, mode\? \}, got "null"$/,
    ],
    [
      () => shm.set({ perms: 0o600 } as never),
      /^TypeError: Unknown field "perm\.perms" to SharedMemory\.set: expected one of "perm\.uid", "perm\.gid", "perm\.mode"$/,
    ],
    [
      () => set.set({ mode: 0o1777 }),
      /^RangeError: Argument "perm\.mode" to SemaphoreSet\.set is out of range/,
    ],
    [
      () => queue.set({ qbytes: -1 }),
      /^RangeError: Argument "fields\.qbytes" to MessageQueue\.set is out of range/,
    ],
    [
      () => queue.set("x" as never),
      /^TypeError: Invalid argument "fields" to MessageQueue\.set: IPC_SET needs \{ uid\?, gid\?, mode\?, qbytes\? \}, got "x"$/,
    ],
  ];
  for (const [call, message] of cases) assert.throws(call, message);
  // Nothing changed.
  assert.equal(set.stat().perm.mode & 0o777, 0o600);
});

Deno.test("SemaphoreSet methods check num, n and values against the set before the call", async () => {
  // A num outside the set was the kernel's EFBIG or EINVAL, named for
  // semop's "sops" or semctl's "semnum"; a value past SEMVMX was ERANGE.
  using set = SemaphoreSet.create({ count: 2 });
  const outside = (method: string, num: number) =>
    new RegExp(
      `^RangeError: Argument "num" to SemaphoreSet\\.${method} is out of range: "${num}" is not in \\[0, 1\\]$`,
    );
  assert.throws(() => set.post(2), outside("post", 2));
  assert.throws(() => set.waitSync(-1), outside("waitSync", -1));
  await assert.rejects(() => set.wait(2), outside("wait", 2));
  await assert.rejects(() => set.waitForZero(5), outside("waitForZero", 5));
  assert.throws(() => set.waitForZeroSync(5), outside("waitForZeroSync", 5));
  assert.throws(() => set.value(9), outside("value", 9));
  assert.throws(() => set.setValue(2, 1), outside("setValue", 2));
  assert.throws(() => set.lastPid(2), outside("lastPid", 2));
  assert.throws(() => set.waitingCount(2), outside("waitingCount", 2));
  assert.throws(() => set.zeroWaitingCount(2), outside("zeroWaitingCount", 2));
  assert.throws(
    () => set.post(0, 0),
    /^RangeError: Argument "n" to SemaphoreSet\.post is out of range/,
  );
  assert.throws(
    () => set.setValue(0, 40_000),
    /^RangeError: Argument "value" to SemaphoreSet\.setValue is out of range: "40000" is not in \[0, 32767\]$/,
  );
  assert.throws(
    () => set.setValues([1]),
    /^RangeError: Argument "values" to SemaphoreSet\.setValues has 1 values for a set of 2 semaphores$/,
  );
  assert.throws(
    () => set.setValues([1, -1]),
    /^RangeError: Argument "values\[1\]" to SemaphoreSet\.setValues is out of range/,
  );
  assert.throws(
    () => set.setValues(null as unknown as number[]),
    /^TypeError: Invalid argument "values" to SemaphoreSet\.setValues: expected an array of numbers, got "null"$/,
  );
  // The operation lists too, named as written: they were semop's "sops",
  // and a num outside the set the kernel's EFBIG.
  const opOutside = (method: string, num: number) =>
    new RegExp(
      `^RangeError: Argument "ops\\[1\\]\\.num" to SemaphoreSet\\.${method} is out of range: "${num}" is not in \\[0, 1\\]$`,
    );
  const ok = { num: 0, op: 1 };
  assert.throws(
    () => set.opSync([ok, { num: 2, op: 1 }]),
    opOutside("opSync", 2),
  );
  assert.throws(
    () => set.opSync([ok, { num: 2, op: 1 }], { timeout: 10 }),
    opOutside("opSync", 2),
  );
  await assert.rejects(
    () => set.op([ok, { num: 7, op: -1 }]),
    opOutside("op", 7),
  );
  assert.throws(
    () => set.tryOp([ok, { num: -1, op: -1 }]),
    opOutside("tryOp", -1),
  );
  assert.throws(
    () => set.opSync([ok, { num: 1, op: 0.5 }]),
    /^TypeError: Invalid argument "ops\[1\]\.op" to SemaphoreSet\.opSync: expected an integer, got "0\.5"$/,
  );
  assert.throws(
    () => set.tryOp([ok, { num: 1, op: 1, undo: true } as never]),
    /^TypeError: Unknown field "ops\[1\]\.undo" to SemaphoreSet\.tryOp/,
  );
  for (const bad of [[], null, ok]) {
    await assert.rejects(
      () => set.op(bad as never),
      /^RangeError: Argument "ops" to SemaphoreSet\.op must be a non-empty array of \{ num, op, flags\? \}$/,
    );
  }
  // Nothing was changed, and what is in range works.
  assert.deepEqual(set.values(), [0, 0]);
  set.setValues(new Uint16Array([2, 3]) as unknown as number[]);
  set.post(1);
  assert.deepEqual([set.value(0), set.value(1)], [2, 4]);
});

Deno.test("SemaphoreSet: calls after close are BadResource, after remove EIDRM without a call", async () => {
  // After close they went on working; after remove they asked the kernel
  // with an id that a set made since could have (ids are reused).
  const set = SemaphoreSet.create({ count: 2, removeOnDispose: false });
  set.close();
  set.close();
  const calls = (s: SemaphoreSet): [() => unknown, string][] => [
    [() => s.post(), "semop"],
    [() => s.tryOp([{ num: 0, op: 1 }]), "semop"],
    [() => s.opSync([{ num: 0, op: 1 }]), "semop"],
    [() => s.opSync([{ num: 0, op: 1 }], { timeout: 5 }), "semtimedop"],
    [() => s.op([{ num: 0, op: 1 }]), "semop"],
    [() => s.wait(0), "semop"],
    [() => s.waitForZero(1), "semop"],
    [() => s.value(), "semctl"],
    [() => s.values(), "semctl"],
    [() => s.setValue(0, 1), "semctl"],
    [() => s.stat(), "semctl"],
  ];
  for (const [call] of calls(set)) {
    await assert.rejects(
      Promise.try(call),
      new Deno.errors.BadResource("The semaphore set is closed"),
    );
  }
  // remove() still removes it.
  const id = set.id;
  set.remove();
  assert.ok(!sysvIds("sem").includes(id));
  const other = SemaphoreSet.create({ count: 2 });
  other.remove();
  for (const [call, syscall] of calls(other)) {
    await assert.rejects(Promise.try(call), (e: unknown) => {
      assert.ok(isCode("EIDRM", syscall, "semid")(e), `${call}: ${e}`);
      assert.match((e as Error).message, /this object removed the set/);
      return true;
    });
  }
  // A Mutex is a set of one: the same once closed.
  const mutex = Mutex.create();
  mutex.close();
  await assert.rejects(mutex.acquire(), Deno.errors.BadResource);
});

Deno.test("SemaphoreSet: close() ends the object's waits under way; another object's go on", async () => {
  const set = SemaphoreSet.create({ removeOnDispose: false });
  const id = set.id;
  try {
    const other = SemaphoreSet.fromId(id, { removeOnDispose: false });
    const mine = Promise.allSettled([
      set.wait(0, 1, { timeout: 10_000 }),
      set.waitForZero(0, { timeout: 10_000 }).then(() => "zero"),
      set.op([{ num: 0, op: -2 }], {
        timeout: 10_000,
        signal: new AbortController().signal,
      }),
    ]);
    const theirs = other.wait(0, 1, { timeout: 10_000 });
    const thin = semopAsync(id, [{ num: 0, op: -1 }], { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 20));
    set.close();
    const results = await within(mine, 5000);
    // waitForZero found the value 0 at once: it was not waiting.
    assert.deepEqual(results[1], { status: "fulfilled", value: "zero" });
    for (const r of [results[0], results[2]]) {
      assert.equal(r.status, "rejected");
      const e = (r as PromiseRejectedResult).reason;
      assert.ok(e instanceof Deno.errors.BadResource);
      assert.equal(
        e.message,
        "The semaphore set was closed while the call waited",
      );
    }
    // The other object's wait and the thin layer's go on, and complete.
    semop(id, [{ num: 0, op: 2 }]);
    await within(Promise.all([theirs, thin]), 5000);
    other.close();
  } finally {
    semctl(id, 0, IPC_RMID);
  }
});

await checkLeaksAtEnd();

Deno.test("semctl: IPC_INFO, SEM_INFO, SEM_STAT and SEM_STAT_ANY list the machine's sets", () => {
  const id = semget(IPC_PRIVATE, 3, 0o600);
  const locked = semget(IPC_PRIVATE, 2, 0);
  try {
    const limits = semctl(0, 0, IPC_INFO);
    const [msl, mns, opm, mni] = procFile("/proc/sys/kernel/sem").trim()
      .split(/\s+/).map(Number);
    assert.deepEqual(
      [limits.semmsl, limits.semmns, limits.semopm, limits.semmni],
      [msl, mns, opm, mni],
    );
    assert.equal(limits.semvmx, SEMVMX);
    const use = semctl(0, 0, SEM_INFO);
    assert.ok(use.semusz >= 2, "sets in use");
    assert.ok(use.semaem >= 5, "semaphores in use");
    const found = new Map<number, number>();
    for (let i = 0; i <= use.maxIndex; i++) {
      try {
        const ds = semctl(i, 0, SEM_STAT_ANY);
        found.set(ds.id, ds.nsems);
      } catch (e) {
        assert.ok(isCode("EINVAL", "semctl", "semid")(e));
      }
    }
    assert.equal(found.get(id), 3);
    assert.equal(found.get(locked), 2, "SEM_STAT_ANY reads a mode-0 set");
    // SEM_STAT needs read permission; root has it whatever the mode.
    const index = id & 0x7fff;
    assert.equal(semctl(index, 0, SEM_STAT).id, id);
    assert.throws(
      () => semctl(use.maxIndex + 1, 0, SEM_STAT_ANY),
      isCode("EINVAL", "semctl", "semid"),
    );
  } finally {
    semctl(id, 0, IPC_RMID);
    semctl(locked, 0, IPC_RMID);
  }
});
