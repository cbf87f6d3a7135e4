// POSIX semaphores: named and unnamed, sync and async, glibc's own sem_t
// shared with a C peer in both directions, closing while waiting, memory
// that goes away, permissions and bad input.
import assert from "node:assert/strict";
import {
  IPC_PRIVATE,
  Mapping,
  O_CREAT,
  O_EXCL,
  PosixSemaphore,
  PosixSharedMemory,
  sem_at,
  sem_close,
  sem_destroy,
  sem_getvalue,
  sem_init,
  sem_open,
  sem_post,
  sem_timedwait,
  sem_trywait,
  sem_unlink,
  SEM_VALUE_MAX,
  sem_wait,
  sem_waitAsync,
  SharedMemory,
} from "../mod.ts";
import {
  checkLeaksAtEnd,
  closedUnder,
  cProgram,
  endedAtRandom,
  isCode,
  permissionProbe,
  ROOT,
  run,
  runDeno,
  seeded,
  which,
  within,
} from "./_helpers.ts";

let count = 0;
/** A name of this run's own. */
const fresh = () => `/linux-ipc-test-${Deno.pid}-${count++}`;

Deno.test("named: sem_open, post, trywait, getvalue, timedwait, close, unlink", () => {
  const name = fresh();
  const sem = sem_open(name, O_CREAT | O_EXCL, 0o600, 2);
  try {
    assert.equal(sem.name, name);
    assert.throws(
      () => sem_open(name, O_CREAT | O_EXCL),
      isCode("EEXIST", "sem_open", "name"),
    );
    assert.equal(sem_getvalue(sem), 2);
    sem_wait(sem);
    assert.equal(sem_trywait(sem), true);
    assert.equal(sem_trywait(sem), false);
    const start = Date.now();
    assert.throws(
      () => sem_timedwait(sem, Date.now() + 30),
      isCode("ETIMEDOUT", "sem_timedwait", "abs_timeout"),
    );
    assert.ok(Date.now() - start >= 25);
    sem_post(sem);
    sem_timedwait(sem, new Date(Date.now() + 1000));
    // The same semaphore through a second open.
    const again = sem_open(name, 0);
    sem_post(again);
    assert.equal(sem_getvalue(sem), 1);
    sem_close(again);
  } finally {
    sem_close(sem);
    sem_unlink(name);
  }
  assert.throws(() => sem_post(sem), Deno.errors.BadResource);
  assert.throws(() => sem_close(sem), Deno.errors.BadResource);
  assert.throws(() => sem_open(name, 0), isCode("ENOENT", "sem_open", "name"));
  assert.throws(() => sem_unlink(name), isCode("ENOENT", "sem_unlink", "name"));
});

Deno.test("bad input: names, values over SEM_VALUE_MAX, flags, foreign handles", () => {
  for (const bad of ["", "x", "/", "/a/b", "/.."]) {
    assert.throws(() => sem_open(bad, O_CREAT), TypeError, bad);
  }
  assert.throws(() => sem_open(`/${"x".repeat(252)}`, O_CREAT), RangeError);
  assert.throws(
    () => sem_open(fresh(), O_CREAT, 0o600, SEM_VALUE_MAX + 1),
    RangeError,
  );
  assert.throws(() => sem_open(fresh(), O_CREAT, 0o600, -1), RangeError);
  assert.throws(() => sem_open(fresh(), 0o4000), RangeError);
  assert.throws(() => sem_post({} as never), TypeError);
  assert.throws(() => sem_wait(null as never), TypeError);
  assert.throws(() => sem_init({} as never, 0), TypeError);
  using map = Mapping.anonymous(4096);
  assert.throws(() => sem_init(map.memory, 4), RangeError); // misaligned
  assert.throws(() => sem_init(map.memory, 4096 - 16), RangeError); // too near the end
  assert.throws(
    () => sem_init(map.memory, 0, 1, SEM_VALUE_MAX + 1),
    RangeError,
  );
  const sem = sem_init(map.memory, 0, 1, SEM_VALUE_MAX);
  assert.throws(() => sem_post(sem), isCode("EOVERFLOW", "sem_post", "sem"));
  assert.throws(() => sem_close(sem), TypeError); // unnamed: sem_destroy
  assert.throws(
    () => sem_timedwait(sem, "soon" as unknown as number),
    TypeError,
  );
  sem_destroy(sem);
  assert.throws(() => sem_post(sem), Deno.errors.BadResource);
  assert.throws(() => sem_destroy(sem), Deno.errors.BadResource);
});

Deno.test("unnamed: memory that goes away or is not writable is refused, never touched", () => {
  const map = Mapping.anonymous(4096);
  const sem = sem_init(map.memory, 64, 1, 1);
  map.protect("read");
  assert.throws(() => sem_post(sem), /not writable/);
  map.protect("readwrite");
  sem_post(sem);
  assert.equal(sem_getvalue(sem), 2);
  // Memory that holds no semaphore: glibc would abort the process in
  // futex; a handle for it is refused.
  map.memory.bytes.fill(0xff, 256, 256 + 32);
  assert.throws(
    () => sem_at(map.memory, 256),
    isCode("EINVAL", "sem_at", "sem"),
  );
  // A semaphore written over after sem_init is refused at every call
  // (the fuzz found sem_post aborting the process on one).
  const over = sem_init(map.memory, 512, 1, 0);
  map.memory.bytes.fill(0xa5, 512, 512 + 32);
  for (
    const [name, call] of [
      ["sem_post", () => sem_post(over)],
      ["sem_wait", () => sem_wait(over)],
      ["sem_trywait", () => sem_trywait(over)],
      ["sem_getvalue", () => sem_getvalue(over)],
    ] as const
  ) assert.throws(call, isCode("EINVAL", name, "sem"));
  map.close();
  assert.throws(() => sem_post(sem), Deno.errors.BadResource);
  assert.throws(() => sem_getvalue(sem), Deno.errors.BadResource);
  // In a System V segment too.
  using shm = SharedMemory.create({ key: IPC_PRIVATE, size: 4096 });
  try {
    using memory = shm.attach();
    const s = sem_init(memory, 0, 1, 0);
    sem_post(sem_at(memory, 0));
    assert.equal(sem_trywait(s), true);
  } finally {
    shm.remove();
  }
});

Deno.test("PosixSemaphore.init and at name a bad argument under their own names", () => {
  // They named sem_init's "sem" (or sem_at's) for the memory.
  using map = Mapping.anonymous(4096);
  for (const method of ["init", "at"] as const) {
    const call = (memory: unknown, offset: number) => () =>
      method === "init"
        ? PosixSemaphore.init(memory as never, offset)
        : PosixSemaphore.at(memory as never, offset);
    assert.throws(
      call(new Uint8Array(32), 0),
      new RegExp(
        `^TypeError: Invalid argument "memory" to PosixSemaphore\\.${method}: expected a MemoryRegion \\(shared memory, a mapping\\), got "Uint8Array\\(32\\)"$`,
      ),
    );
    assert.throws(
      call(map.memory, 3),
      new RegExp(
        `^RangeError: Argument "offset" to PosixSemaphore\\.${method} is out of range: "3" must be a multiple of 8`,
      ),
    );
  }
  assert.throws(
    () => PosixSemaphore.init(map.memory, 0, -1),
    /^RangeError: Argument "value" to PosixSemaphore\.init is out of range/,
  );
});

Deno.test("a mapping cannot be narrowed while a wait on a semaphore in it is under way (EBUSY, not SIGSEGV)", async () => {
  const out = await runDeno("tests/helpers/psem_child.ts", ["protect"]);
  // Before, the helper thread's next poll of the semaphore wrote to
  // memory it could no longer write, and the process died of SIGSEGV.
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(out.stdout.trimEnd().split("\n"), [
    "read: EBUSY",
    "none: EBUSY",
    "waited",
    "read once no wait is under way: done",
    "alive",
  ]);
});

Deno.test("PosixSemaphore.waitSync times out on the monotonic clock, whatever the wall clock says", () => {
  using map = Mapping.anonymous(4096);
  using sem = PosixSemaphore.init(map.memory, 0, 0);
  const wallClock = Date.now;
  for (const offset of [-3_600_000, 3_600_000]) {
    // The wall clock an hour off: set back, a wait on an absolute
    // CLOCK_REALTIME time made from it ended at once; set forward, it
    // would have lasted an hour.
    Date.now = () => wallClock() + offset;
    const start = performance.now();
    try {
      assert.throws(
        () => sem.waitSync({ timeout: 50 }),
        isCode("ETIMEDOUT", "sem_wait", "timeout"),
      );
    } finally {
      Date.now = wallClock;
    }
    const took = performance.now() - start;
    assert.ok(took >= 45 && took < 5_000, `took ${took} ms`);
  }
});

Deno.test("a wait on a semaphore written over rejects (EINVAL); an aborted wait's interrupt does not reach the helper thread's next call", async () => {
  const out = await runDeno("tests/helpers/psem_child.ts", ["overwritten"]);
  // Before, the interrupt for the first wait went on every millisecond
  // while the thread made the second wait's call: each restarted it, and
  // a restart into sem_wait over the written-over memory aborted the
  // process ("The futex facility returned an unexpected error code").
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(out.stdout.trimEnd().split("\n"), [
    "EINVAL",
    "first aborted",
    "second aborted",
    "alive",
  ]);
});

Deno.test("async waits: timeout, signal, close while waiting, and the loop stays free", async () => {
  const name = fresh();
  const sem = sem_open(name, O_CREAT | O_EXCL, 0o600, 0);
  try {
    await assert.rejects(
      sem_waitAsync(sem, { timeout: 30 }),
      isCode("ETIMEDOUT", "sem_wait"),
    );
    const ac = new AbortController();
    const aborted = sem_waitAsync(sem, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error("stop")), 20);
    await assert.rejects(aborted, /stop/);
    await assert.rejects(
      sem_waitAsync(sem, { signal: "x" as unknown as AbortSignal }),
      TypeError,
    );
    await assert.rejects(sem_waitAsync(sem, { timeout: -1 }), RangeError);
    assert.equal(sem_getvalue(sem), 0, "nothing taken by the waits that ended");
    // A post wakes it; the event loop ticks meanwhile.
    let ticks = 0;
    const tick = setInterval(() => ticks++, 5);
    setTimeout(() => sem_post(sem), 60);
    await within(sem_waitAsync(sem, { timeout: 5000 }), 5000);
    clearInterval(tick);
    assert.ok(ticks >= 5, `the loop ticked ${ticks} times`);
  } finally {
    // Closed while a wait is in the kernel: it ends with EBADF, and the
    // memory is unmapped only after.
    const pending = sem_waitAsync(sem);
    await new Promise((r) => setTimeout(r, 20));
    sem_close(sem);
    await assert.rejects(within(pending, 5000), isCode("EBADF"));
    sem_unlink(name);
  }
  // Unnamed: a helper thread waits in the kernel on memory this process
  // maps; closing the handle ends the wait.
  const map = Mapping.memfd(4096);
  using un = PosixSemaphore.init(map.memory, 0, 0);
  setTimeout(() => un.post(), 20);
  await within(un.wait({ timeout: 5000 }), 5000);
  const waiting = un.wait();
  await new Promise((r) => setTimeout(r, 20));
  un.close();
  await assert.rejects(within(waiting, 5000), closedUnder("semaphore"));
  // A wait made once the turn of the event loop has run long is deferred
  // to the next turn: closing ends it too, before it tries the semaphore.
  const late = PosixSemaphore.init(map.memory, 128, 0);
  const first = late.wait({ timeout: 5000 }); // starts the turn's clock
  const until = performance.now() + 10;
  while (performance.now() < until);
  const deferred = late.wait({ timeout: 5000 });
  late.close();
  for (const r of await Promise.allSettled([first, deferred])) {
    assert.equal(r.status, "rejected");
    closedUnder("semaphore")((r as PromiseRejectedResult).reason);
  }
  // Unmapping the memory under a waiting thread: the wait ends, the
  // process lives, and the memory is unmapped once the thread let go.
  using again = PosixSemaphore.init(map.memory, 64, 0);
  const unmapped = again.wait();
  await new Promise((r) => setTimeout(r, 20));
  map.close();
  await assert.rejects(within(unmapped, 5000), Deno.errors.BadResource);
  assert.throws(() => again.post(), Deno.errors.BadResource);
});

Deno.test("PosixSemaphore: open, acquire and release with using, waitSync, unlink", async () => {
  const name = fresh();
  using sem = PosixSemaphore.open(name, {
    create: { value: 1, exclusive: true },
  });
  try {
    assert.equal(sem.name, name);
    {
      using _held = await sem.acquire({ timeout: 1000 });
      assert.equal(sem.value, 0);
      await assert.rejects(sem.acquire({ timeout: 20 }), isCode("ETIMEDOUT"));
    }
    assert.equal(sem.value, 1);
    {
      using held = sem.acquireSync({ timeout: 100 });
      held.release();
      held.release();
      assert.equal(sem.value, 1);
    }
    assert.equal(sem.value, 1);
    sem.waitSync();
    // The blocking twins report a timeout as the async forms do: the
    // caller's timeout, not the absolute time sem_timedwait was given.
    for (
      const twin of [
        () => sem.waitSync({ timeout: 10 }),
        () => sem.acquireSync({ timeout: 10 }),
      ]
    ) {
      assert.throws(
        twin,
        (e: unknown) =>
          isCode("ETIMEDOUT", "sem_wait", "timeout")(e) &&
          /"10"\): nothing happened within 10 ms$/.test((e as Error).message),
      );
    }
    assert.equal(sem.tryWait(), false);
    sem.post();
    assert.throws(
      () => PosixSemaphore.open(name, { create: { exclusive: true } }),
      isCode("EEXIST"),
    );
    assert.throws(
      () => PosixSemaphore.open(name, null as unknown as Record<string, never>),
      TypeError,
    );
  } finally {
    sem.unlink();
  }
  sem.close();
  sem.close();
  assert.equal(sem.closed, true);
  using map = Mapping.anonymous(4096);
  using un = PosixSemaphore.init(map.memory, 8, 0);
  assert.equal(un.name, null);
  assert.throws(() => un.unlink(), TypeError);
  un.destroy();
  assert.throws(() => un.post(), Deno.errors.BadResource);
});

Deno.test("waits with random timeouts and aborts on several semaphores take no post for nobody", async () => {
  // Seeded, as the message-queue test: more semaphores than helper
  // threads, each wait ending by a post, a timeout or an abort. Every post
  // is taken by a wait that resolved, or is still there: before 4e72ab7,
  // 11 to 27 of about 950 went to nobody.
  const rnd = seeded(3);
  const names = [fresh(), fresh(), fresh()];
  const sems = names.map((name) =>
    PosixSemaphore.open(name, { create: { value: 0, exclusive: true } })
  );
  try {
    let posts = 0, taken = 0;
    const ops: Promise<void>[] = [];
    for (let step = 0; step < 3000; step++) {
      const sem = sems[rnd(sems.length)];
      if (rnd(3) === 0) {
        sem.post();
        posts++;
        continue;
      }
      ops.push(
        endedAtRandom(rnd, (o) => sem.wait(o)).then((got) => {
          if (got) taken++;
        }),
      );
      if (rnd(40) === 0) await new Promise((r) => setTimeout(r, rnd(3)));
    }
    await within(Promise.all(ops), 60_000);
    const left = sems.reduce((n, sem) => n + sem.value, 0);
    assert.equal(taken + left, posts, `${posts - taken - left} posts lost`);
  } finally {
    for (const sem of sems) sem.close();
    for (const name of names) PosixSemaphore.unlink(name);
  }
});

Deno.test("glibc's own sem_t: a C peer posts and waits, named and unnamed, both directions", async () => {
  const peer = await cProgram("posix_peer");
  if (peer === null) return;
  // Named, made by C.
  const name = fresh();
  assert.equal((await run(peer, ["sem-create", name, "2"])).code, 0);
  try {
    using sem = PosixSemaphore.open(name);
    assert.equal(sem.value, 2);
    await sem.wait();
    await sem.wait();
    // C posts 200 times while this process waits asynchronously.
    const posting = run(peer, ["sem-post", name, "200"]);
    for (let i = 0; i < 200; i++) await sem.wait({ timeout: 10_000 });
    assert.equal((await posting).code, 0);
    // This process posts; C waits.
    const waiting = run(peer, ["sem-wait", name, "50"]);
    for (let i = 0; i < 50; i++) sem.post();
    assert.equal((await waiting).stdout, "took 50\n");
    assert.equal((await run(peer, ["sem-value", name])).stdout, "0\n");
  } finally {
    sem_unlink(name);
  }
  // Unnamed, in a POSIX shared memory object: C initialises it.
  const shmName = fresh();
  assert.equal((await run(peer, ["unnamed-init", shmName, "0"])).code, 0);
  try {
    using shm = PosixSharedMemory.open(shmName);
    using map = shm.map();
    using sem = PosixSemaphore.at(map.memory, 0);
    const posting = run(peer, ["unnamed-post", shmName, "100"]);
    for (let i = 0; i < 100; i++) await sem.wait({ timeout: 10_000 });
    assert.equal((await posting).code, 0);
    // This process initialises it afresh; C waits on it.
    using mine = PosixSemaphore.init(map.memory, 0, 0);
    const waiting = run(peer, ["unnamed-wait", shmName, "20"]);
    for (let i = 0; i < 20; i++) mine.post();
    assert.equal((await waiting).stdout, "took 20\n");
  } finally {
    PosixSharedMemory.unlink(shmName);
  }
});

Deno.test("Python's multiprocessing semaphores (SemLock): one Python made, posted and taken both ways", async () => {
  const python = which("python3");
  if (python === null) return;
  const name = fresh();
  // _multiprocessing.SemLock is the sem_t behind multiprocessing.Semaphore
  // (kind 1 = SEMAPHORE); made directly, no resource tracker unlinks it.
  const open = `import _multiprocessing, sys, time
s = _multiprocessing.SemLock._rebuild(0, 1, ${SEM_VALUE_MAX}, "${name}")
`;
  try {
    const made = await run(python, [
      "-c",
      `import _multiprocessing
s = _multiprocessing.SemLock(1, 2, ${SEM_VALUE_MAX}, "${name}", False)
print("made", s._get_value())`,
    ]);
    assert.equal(made.stdout, "made 2\n", made.stderr);
    using sem = PosixSemaphore.open(name);
    assert.equal(sem.value, 2);
    await sem.wait();
    sem.waitSync();
    // Python releases 100 times while this process waits asynchronously.
    const posting = run(python, [
      "-c",
      open + `for i in range(100):
    s.release()
    if i % 10 == 0: time.sleep(0.002)
print("posted")`,
    ]);
    for (let i = 0; i < 100; i++) await sem.wait({ timeout: 10_000 });
    assert.equal((await posting).stdout, "posted\n");
    // This process posts; Python takes them, and finds no more.
    for (let i = 0; i < 30; i++) sem.post();
    const taking = await run(python, [
      "-c",
      open + `took = sum(1 for _ in range(30) if s.acquire(True, 5.0))
print("took", took, s.acquire(False))`,
    ]);
    assert.equal(taking.stdout, "took 30 False\n", taking.stderr);
    assert.equal(sem.value, 0);
  } finally {
    sem_unlink(name);
  }
});

Deno.test("many named semaphores waited on at once, posted by another process, all wake", async () => {
  const peer = await cProgram("posix_peer");
  if (peer === null) return;
  const names = Array.from({ length: 50 }, fresh);
  const sems = names.map((n) =>
    PosixSemaphore.open(n, { create: { exclusive: true } })
  );
  try {
    const waits = sems.map((s) => s.wait({ timeout: 20_000 }));
    for (const n of names) {
      assert.equal((await run(peer, ["sem-post", n, "1"])).code, 0);
    }
    await within(Promise.all(waits), 20_000);
  } finally {
    for (const s of sems) {
      s.unlink();
      s.close();
    }
  }
});

Deno.test("permissions: /dev/shm/sem.NAME needs --allow-read and --allow-write", async () => {
  const name = fresh();
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-test-" });
  using sem = PosixSemaphore.open(name, { create: { value: 1 } });
  try {
    const child = (flags: string[], action: string) =>
      permissionProbe(dir, ["PosixSemaphore"], flags, action);
    const path = `/dev/shm/sem.${name.slice(1)}`;
    const use = `using s = PosixSemaphore.open("${name}"); s.post();`;
    assert.match(
      await child(["--allow-ffi"], use),
      /NotCapable: .*read access to "\/dev\/shm\/sem\..*--allow-read/,
    );
    assert.match(
      await child(["--allow-ffi", `--allow-read=${path}`], use),
      /NotCapable: .*--allow-write/,
    );
    assert.equal(
      await child([
        "--allow-ffi",
        `--allow-read=${path}`,
        `--allow-write=${path}`,
      ], use),
      "ok\n",
    );
    assert.equal(sem.value, 2);
  } finally {
    sem.unlink();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples: psem_create, psem_wait, psem_post, psem_getvalue, psem_unlink (TLPI 53-1 to 53-5)", async () => {
  const name = fresh();
  const rw = ["--allow-ffi", "--allow-read=/dev/shm", "--allow-write=/dev/shm"];
  const ex = (script: string, ...args: string[]) =>
    run(Deno.execPath(), [
      "run",
      "--quiet",
      ...rw,
      `${ROOT}examples/${script}.ts`,
      ...args,
    ]);
  try {
    assert.equal((await ex("psem_create", "--excl", name, "0")).code, 0);
    const waiting = ex("psem_wait", "--timeout=20000", name);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await ex("psem_post", name)).code, 0);
    assert.match((await waiting).stdout, /sem_wait\(\) succeeded/);
    assert.equal((await ex("psem_getvalue", name)).stdout, "0\n");
    const late = await ex("psem_wait", "--timeout=50", name);
    assert.equal(late.code, 1);
    assert.match(late.stderr, /ETIMEDOUT/);
    assert.equal((await ex("psem_unlink", name)).code, 0);
    assert.match((await ex("psem_getvalue", name)).stderr, /ENOENT/);
  } finally {
    try {
      sem_unlink(name);
    } catch {
      // gone, as it should be
    }
  }
});

await checkLeaksAtEnd();
