import assert from "node:assert/strict";
import {
  AF_INET,
  AF_UNIX,
  bind,
  close,
  connect,
  EventFd,
  F_ADD_SEALS,
  F_SEAL_SHRINK,
  fcntl,
  ftruncate,
  GETNCNT,
  GETVAL,
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_RMID,
  listen,
  lockFile,
  lockFileSync,
  lockRange,
  lockRangeSync,
  Mapping,
  memfd_create,
  MessageQueue,
  MFD_ALLOW_SEALING,
  msgctl,
  msgget,
  msgrcvAsync,
  msgsnd,
  Mutex,
  O_RDWR,
  open,
  OwnedFd,
  pipe,
  PipeEnd,
  PosixMessageQueue,
  PosixSemaphore,
  PosixSharedMemory,
  readAsync,
  SemaphoreSet,
  semctl,
  semget,
  semop,
  semopAsync,
  sendmsg,
  SharedMemory,
  SOCK_DGRAM,
  SOCK_STREAM,
  socket,
  socketpair,
  spawnWithFds,
  startWaiters,
  terminateIdleWaiters,
  testRange,
  UnixConnection,
  UnixDatagram,
  UnixListener,
  write,
} from "../mod.ts";
import * as thin from "../mod.ts";
import { KERNEL_THREADS, TURN_MS, wait } from "../ffi/wait.ts";
import { isBlocking } from "../ffi/fd.ts";
import { IpcError, MSG_DONTWAIT, recv } from "../socket/mod.ts";
import {
  checkLeaksAtEnd,
  closedUnder,
  isCode,
  mqueueMounted,
  privateKey,
  ROOT,
  run,
  startDeno,
  withDir,
  within,
} from "./_helpers.ts";

/**
 * The event loop's worst lateness against an interval of `every` ms while
 * `fn` runs; with `lastTick`, the interval's first tick after it too (a
 * stall at the very end shows only there).
 */
async function lateness<T>(
  fn: () => Promise<T>,
  every = 5,
  lastTick = false,
): Promise<[T, number]> {
  let last = performance.now(), worst = 0;
  const id = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - every);
    last = now;
  }, every);
  try {
    const result = await fn();
    if (lastTick) await new Promise((r) => setTimeout(r, every * 2));
    return [result, worst];
  } finally {
    clearInterval(id);
  }
}

/** Threads of this process (through `cat`, as /proc needs --allow-all). */
async function threads(): Promise<number> {
  const { stdout } = await run("cat", [`/proc/${Deno.pid}/status`]);
  return Number(stdout.match(/^Threads:\s+(\d+)/m)![1]);
}

/** CPU time of this process in ms (utime + stime). */
async function cpuMs(): Promise<number> {
  const { stdout } = await run("cat", [`/proc/${Deno.pid}/stat`]);
  const f = stdout.slice(stdout.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

Deno.test("hundreds of connections from other processes, echoed intact, with no thread per connection", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/echo.sock`;
    using listener = UnixListener.listen(path, { backlog: 1024 });
    const serving: Promise<void>[] = [];
    const accepting = (async () => {
      for await (const conn of listener) {
        serving.push((async () => {
          using c = conn;
          const buf = new Uint8Array(4096);
          for (;;) {
            const n = await c.read(buf);
            if (n === null) return;
            await c.writeAll(buf.subarray(0, n));
          }
        })());
      }
    })();
    const before = await threads();
    const [outputs, late] = await lateness(() =>
      Promise.all([0, 1, 2].map(async () => {
        const child = startDeno(
          "tests/helpers/engine_child.ts",
          ["clients", path, "100", "10"],
          ["--allow-ffi", "--allow-read", "--allow-write"],
        );
        const out = await child.output();
        return new TextDecoder().decode(out.stdout).trim();
      }))
    );
    assert.deepEqual(outputs, ["ok", "ok", "ok"]);
    assert.equal(serving.length, 300);
    await Promise.all(serving);
    const after = await threads();
    // Threads do not grow with connections (the runtime may add one or two
    // of its own); before the reactor it was one per pending read.
    assert.ok(after - before <= 3, `threads: ${before} -> ${after}`);
    assert.ok(late < 1000, `event loop late by ${late.toFixed(0)} ms`);
    listener.close();
    await accepting;
  });
});

Deno.test("waits on hundreds of distinct semaphores, posted by another process, all wake; the loop stays free", async () => {
  const n = 300;
  const id = semget(IPC_PRIVATE, n, IPC_CREAT | 0o600);
  try {
    const before = await threads();
    const [, late] = await lateness(async () => {
      const waits = Array.from(
        { length: n },
        (_, i) => semopAsync(id, [{ num: i, op: -1 }], { timeout: 30_000 }),
      );
      await new Promise((r) => setTimeout(r, 100));
      let inKernel = 0;
      for (let i = 0; i < n; i++) inKernel += semctl(id, i, GETNCNT);
      assert.ok(inKernel <= KERNEL_THREADS, `${inKernel} in the kernel`);
      const poster = startDeno("tests/helpers/engine_child.ts", [
        "post",
        String(id),
        String(n),
      ]);
      await Promise.all(waits);
      assert.equal((await poster.output()).code, 0);
    });
    const after = await threads();
    assert.ok(after - before <= KERNEL_THREADS + 2, `${before} -> ${after}`);
    assert.ok(late < 500, `event loop late by ${late.toFixed(0)} ms`);
  } finally {
    semctl(id, 0, IPC_RMID);
  }
});

Deno.test("a wait that gets a helper thread after its key's waits were made anew can still be ended: no post is lost", async () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const k = KERNEL_THREADS;
  const id = semget(IPC_PRIVATE, k + 1, IPC_CREAT | 0o600);
  try {
    // Every helper thread busy, each in a wait of its own.
    const busy = Array.from(
      { length: k },
      (_, i) => semopAsync(id, [{ num: i, op: -1 }], { timeout: 30_000 }),
    );
    await sleep(200);
    // With no thread left, a wait is retried on the timer. This one times
    // out, and the next wait of its key comes while the first one's retry
    // is still due.
    await assert.rejects(
      semopAsync(id, [{ num: k, op: -1 }], { timeout: 5 }),
      isCode("EAGAIN"), // semtimedop's, in the C-named layer
    );
    const ac = new AbortController();
    const again = semopAsync(id, [{ num: k, op: -1 }], { signal: ac.signal });
    await sleep(30);
    semop(id, [{ num: 0, op: 1 }]); // frees a thread, which takes `again`
    await busy[0];
    await sleep(30);
    assert.equal(semctl(id, k, GETNCNT), 1, "the wait is in the kernel");
    ac.abort(new Error("stop"));
    await assert.rejects(again, /stop/);
    assert.equal(semctl(id, k, GETNCNT), 0, "its call was interrupted");
    semop(id, [{ num: k, op: 1 }]);
    await sleep(30);
    assert.equal(semctl(id, k, GETVAL), 1, "the post is still there");
    for (let i = 1; i < k; i++) semop(id, [{ num: i, op: 1 }]);
    await Promise.all(busy);
  } finally {
    semctl(id, 0, IPC_RMID);
  }
});

Deno.test("waits aborted in a loop that never lets the event loop turn keep almost nothing until it does", async () => {
  // Deferred to the next turn, each kept its signal, buffer and promise
  // there: 1.7 KB a read, 35 MB for 20,000.
  const r = await run(Deno.execPath(), [
    "run",
    "--allow-ffi",
    "--v8-flags=--expose-gc",
    `${new URL("./helpers/engine_child.ts", import.meta.url).pathname}`,
    "aborted-loop",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const perRead = Number(r.stdout.trim());
  assert.ok(perRead < 600, `${perRead} bytes kept per aborted read`);
});

Deno.test("waits on one queue or semaphore made anew while the first helper thread starts build no second thread", async () => {
  // Each build freezes the event loop for 25 to 50 ms. A fresh process
  // each: what one thread adds (Deno counts more than the Worker's own),
  // then the same key's waits made anew five times while it starts.
  const gained = async (form: string, kind: string) => {
    const r = await run(Deno.execPath(), [
      "run",
      "-A", // /proc needs it
      `${new URL("./helpers/engine_child.ts", import.meta.url).pathname}`,
      "one-group",
      form,
      kind,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return Number(r.stdout.trim());
  };
  for (const kind of ["msg", "sem"]) {
    const one = await gained("still", kind);
    assert.ok(one >= 1, `one helper thread added ${one}`);
    assert.equal(await gained("churn", kind), one, kind);
  }
});

Deno.test("startWaiters builds the helper threads ahead: the first waits build none, and the process still ends", async () => {
  // A fresh process each, as the engine keeps its threads.
  const child = async (start: string) => {
    const r = await within(
      run(Deno.execPath(), [
        "run",
        "-A", // /proc needs it
        `${new URL("./helpers/engine_child.ts", import.meta.url).pathname}`,
        "start-waiters",
        start,
      ]),
      30_000,
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as {
      built: number;
      more: number;
      worstMs: number;
    };
  };
  const ahead = await child("yes");
  assert.ok(ahead.built >= 3, `startWaiters added ${ahead.built} threads`);
  assert.equal(
    ahead.more,
    0,
    `the waits built threads: ${JSON.stringify(ahead)}`,
  );
  // Without it, the same waits build the threads themselves.
  const lazy = await child("no");
  assert.equal(lazy.built, 0);
  assert.ok(lazy.more >= 3, `the waits added ${lazy.more} threads`);
});

Deno.test("startWaiters and at once terminateIdleWaiters: both settle and the process ends", async () => {
  // The threads end before they have started: what awaits their start
  // must learn it.
  const r = await within(
    run(Deno.execPath(), [
      "run",
      "-A",
      `${new URL("./helpers/engine_child.ts", import.meta.url).pathname}`,
      "start-waiters",
      "end",
    ]),
    30_000,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { start: "resolved", ended: true });
});

Deno.test("startWaiters refuses bad options with a rejected promise, building nothing", async () => {
  const bad: [unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    [null, TypeError, /Invalid options/],
    ["yes", TypeError, /Invalid options/],
    [{ helpers: KERNEL_THREADS + 1 }, RangeError, /"helpers" .*out of range/],
    [{ helpers: -1 }, RangeError, /"helpers" .*out of range/],
    [{ helpers: 1.5 }, TypeError, /"helpers" .*expected an integer/],
    [{ helpers: "1" }, TypeError, /"helpers" .*expected an integer/],
    [
      { reactor: "yes" },
      TypeError,
      /"reactor" to startWaiters: expected a boolean/,
    ],
    [{ helper: 2 }, TypeError, /Unknown option "helper" to startWaiters/],
  ];
  const before = await threads();
  for (const [options, type, message] of bad) {
    let p: Promise<void> | undefined;
    assert.doesNotThrow(() => {
      p = startWaiters(options as Parameters<typeof startWaiters>[0]);
    });
    await assert.rejects(p!, (e: unknown) => {
      assert.ok(e instanceof type, String(e));
      assert.match((e as Error).message, message);
      return true;
    });
  }
  assert.equal(await threads(), before);
});

Deno.test("a Worker's first waits wake and time out on time while its helper threads start; terminateIdleWaiters cleans up", async () => {
  // A thread built from a Worker takes about a second to start here: the
  // waits must not wait for it.
  // (-A: Deno reads the links of /proc/self/fd to epoll sets only so.)
  const out = await startDeno("tests/helpers/worker_waits.ts", [], ["-A"])
    .output();
  assert.equal(out.code, 0);
  const got = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(got.code, "ETIMEDOUT");
  for (const k of ["read", "sem"]) {
    assert.ok(got[k] < 500, `${k}: woken after ${got[k]} ms`);
  }
  assert.ok(got.timeout < 500, `timed out after ${got.timeout} ms`);
  // Before it ends, a Worker can close what the engine opened for it.
  assert.equal(got.ended, true);
  assert.deepEqual(got.left, []);
});

/**
 * Runs a Worker helper of `tests/helpers/` in a process of its own and
 * returns what it printed, once it has checked that the threads and
 * descriptors it left are no more than a terminated Worker that used
 * nothing of the library leaves.
 */
async function afterWorkers(
  helper: string,
): Promise<Record<string, unknown>> {
  const out = await within(
    startDeno(`tests/helpers/${helper}`, [], ["-A"]).output(),
    30_000,
  );
  assert.equal(out.code, 0);
  const got = JSON.parse(new TextDecoder().decode(out.stdout));
  const { plain, after } = got;
  assert.ok(after.fds <= plain.fds, `${helper}: ${JSON.stringify(got)}`);
  assert.ok(
    after.threads <= plain.threads,
    `${helper}: ${JSON.stringify(got)}`,
  );
  return got;
}

Deno.test("a Worker terminated without terminateIdleWaiters leaves no helper thread or descriptor behind", async () => {
  // Deno does not end the Workers a terminated Worker built while they sit
  // in a call: the engine's helper threads find their Worker gone within
  // ORPHAN_CHECK_MS (one in a msgrcv nothing ends included), close what
  // its engine opened, and end.
  await afterWorkers("worker_orphan.ts");
});

Deno.test("what a terminated Worker's helper threads take after it is gone goes back: a message, posts, two locks", async () => {
  // Workers wait in msgrcv, semop, sem_wait, flock and fcntl on helper
  // threads and are terminated; then what each waits for comes. Nobody can
  // get it through the Worker any more: the helper threads give it back.
  const got = await afterWorkers("worker_zombie.ts");
  assert.equal(got.message, "7 not for a ghost");
  assert.equal(got.value, 1);
  assert.equal(got.posted, 1);
  assert.equal(got.locked, true);
  assert.equal(got.rangeLocked, true);
});

Deno.test("what a terminated Worker held is let go of for it: the peer reads the end of the stream, the segment is detached", async () => {
  // worker.terminate() runs no more JavaScript in the Worker; its helper
  // thread closes the descriptors its objects still owned and retires
  // their memory.
  const got = await afterWorkers("worker_owned.ts");
  assert.equal(got.got, "null", JSON.stringify(got));
  assert.equal(got.attached, 1);
  assert.equal(got.nattch, 0);
  assert.equal(got.fifoWriter, "ENXIO", JSON.stringify(got));
});

Deno.test("a pending read or write completes before the backstop of its object, which nothing else refers to, closes the descriptor", async () => {
  // The child drops the objects at once and runs the collector: their
  // backstops must not close the descriptors under the pending calls.
  const out = await within(
    startDeno("tests/helpers/gc_child.ts", [], [
      "--allow-ffi",
      "--v8-flags=--expose-gc",
    ]).output(),
    30_000,
  );
  assert.equal(out.code, 0);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    read: 3,
    write: 16,
    closed: [true, true],
  });
});

Deno.test("unref: terminateIdleWaiters does not end the engine under an unrefed wait", async () => {
  const [a, b] = UnixConnection.pair();
  try {
    a.unref();
    const read = a.read(new Uint8Array(8));
    await new Promise((r) => setTimeout(r, 20)); // parked on the reactor
    assert.equal(await terminateIdleWaiters(), false);
    b.writeSync(new Uint8Array([1, 2]));
    assert.equal(await within(read, 5000), 2);
  } finally {
    a.close();
    b.close();
  }
});

/** Runs tests/helpers/unref_child.ts in `mode`: its output and run time. */
async function unrefChild(...args: string[]) {
  const t0 = performance.now();
  const child = startDeno("tests/helpers/unref_child.ts", args, [
    "--v8-flags=--expose-gc",
    "--allow-ffi",
    "--allow-read=/dev/mqueue,/dev/shm",
    "--allow-write=/dev/mqueue,/dev/shm",
  ]);
  try {
    const out = await within(child.output(), 30_000);
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      ms: performance.now() - t0,
    };
  } catch (e) {
    child.kill();
    await child.status;
    throw e;
  }
}

Deno.test("unref: pending calls on unrefed objects do not keep the process alive, their timeouts included", async () => {
  const mqueue = mqueueMounted(); // else the queue is left out
  // Each child leaves calls with a 600 s timeout pending and must end by
  // itself, long before (30 s is the bound; it takes well under 1 s of
  // its own).
  for (
    const args of [
      ["listener"],
      ["pending"],
      ["kinds", mqueue ? "mqueue" : ""],
      ["retried"],
      ["objects"],
    ]
  ) {
    const out = await unrefChild(...args);
    assert.equal(out.code, 0, args[0]);
    assert.equal(out.stdout, "end of main\n", args[0]);
  }
});

Deno.test("ref: a ref after an unref, and a new owner of an unrefed number, keep the process alive", async () => {
  for (
    const mode of ["ref-again", "reused", "objects-ref-again", "dropped"]
  ) {
    const out = await unrefChild(mode);
    assert.equal(out.code, 0, mode);
    // The wait ran to its timeout before the process ended.
    assert.equal(out.stdout, "end of main\nETIMEDOUT\n", mode);
  }
});

Deno.test("a datagram to a full receiver honours timeout and signal, without spinning a CPU", async () => {
  using rx = UnixDatagram.bind(`@linux-ipc-full-${Deno.pid}`);
  using tx = UnixDatagram.bind();
  const to = `@linux-ipc-full-${Deno.pid}`;
  const data = new Uint8Array(1024);
  // Fill the receiver's queue.
  for (;;) {
    try {
      await tx.send(data, to, { timeout: 0 });
    } catch (e) {
      isCode("ETIMEDOUT")(e);
      break;
    }
  }
  const cpu0 = await cpuMs();
  const t0 = performance.now();
  await assert.rejects(
    tx.send(data, to, { timeout: 300 }),
    isCode("ETIMEDOUT"),
  );
  assert.ok(performance.now() - t0 >= 290);
  const spent = (await cpuMs()) - cpu0;
  assert.ok(spent < 200, `used ${spent} ms of CPU while waiting 300 ms`);
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("stop")), 50);
  await assert.rejects(
    tx.send(data, to, { signal: ac.signal }),
    (e: unknown) => e instanceof Error && e.message === "stop",
  );
  // Room again: a waiting send goes through.
  const sending = tx.send(data, to, { timeout: 5000 });
  setTimeout(() => rx.receive(), 30);
  assert.equal(await sending, 1024);
});

Deno.test("datagrams sent at once to a full receiver arrive in the order they were sent; a full receiver holds up no other", async () => {
  const full = `@linux-ipc-dgram-order-${Deno.pid}`;
  const free = `@linux-ipc-dgram-free-${Deno.pid}`;
  using rx = UnixDatagram.bind(full);
  using other = UnixDatagram.bind(free);
  using tx = UnixDatagram.bind();
  for (let round = 0; round < 3; round++) {
    let queued = 0;
    for (;; queued++) {
      try {
        tx.sendSync(new Uint8Array([0]), full, { timeout: 0 });
      } catch (e) {
        assert.ok(isCode("ETIMEDOUT")(e));
        break;
      }
    }
    // More sends than the queue holds, made at once.
    const sends = [];
    for (let i = 1; i <= 3 * (queued + 1); i++) {
      sends.push(tx.send(new Uint8Array([i]), full, { timeout: 10_000 }));
    }
    // Meanwhile a datagram to another receiver goes at once.
    await tx.send(new Uint8Array([99]), free, { timeout: 2000 });
    assert.deepEqual(
      (await other.receive({ timeout: 2000 })).data,
      new Uint8Array([99]),
    );
    const got: number[] = [];
    while (got.length < sends.length) {
      const d = await rx.receive({ timeout: 5000 });
      if (d.data[0] !== 0) got.push(d.data[0]);
      // A reader that lets the event loop turn: the senders keep finding
      // the queue full, then room for one.
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all(sends);
    assert.deepEqual(got, sends.map((_, i) => i + 1));
  }
});

Deno.test("a connect to a full backlog honours timeout and signal", async () => {
  const name = `@linux-ipc-backlog-${Deno.pid}`;
  using listener = UnixListener.listen(name, { backlog: 0 });
  const held: UnixConnection[] = [];
  let refused = false;
  while (!refused && held.length < 64) {
    try {
      held.push(await UnixConnection.connect(name, { timeout: 50 }));
    } catch (e) {
      isCode("ETIMEDOUT")(e);
      refused = true;
    }
  }
  assert.ok(refused, "the backlog never filled");
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("stop")), 50);
  await assert.rejects(
    UnixConnection.connect(name, { signal: ac.signal }),
    (e: unknown) => e instanceof Error && e.message === "stop",
  );
  // Accepting makes room: a waiting connect gets in.
  const connecting = UnixConnection.connect(name, { timeout: 5000 });
  const accepted = await listener.accept();
  using late = await connecting;
  accepted.close();
  for (const c of held) c.close();
  assert.ok(late.fd >= 0);
});

Deno.test("a descriptor closed behind the library's back: a wait on its reused number still wakes", async () => {
  // A program may close a descriptor with its own libc binding; the kernel
  // then drops it from the engine's epoll set, and the number comes back
  // for the next file. A wait on that new file must still be woken.
  const own = Deno.dlopen("libc.so.6", {
    close: { parameters: ["i32"], result: "i32" },
    pipe: { parameters: ["buffer"], result: "i32" },
    write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  });
  try {
    const [r1, w1] = pipe();
    // A wait that parks registers r1 with the reactor, then completes.
    const first = readAsync(r1, new Uint8Array(4), { timeout: 5000 });
    await new Promise((res) => setTimeout(res, 20));
    write(w1, new Uint8Array([1]));
    assert.equal(await first, 1);
    // Closed without the library: the number is free again.
    assert.equal(own.symbols.close(r1), 0);
    assert.equal(own.symbols.close(w1), 0);
    const fds = new Int32Array(2);
    assert.equal(own.symbols.pipe(new Uint8Array(fds.buffer)), 0);
    assert.equal(fds[0], r1, "the kernel reuses the lowest free number");
    const reading = readAsync(fds[0], new Uint8Array(4), { timeout: 10_000 });
    await new Promise((res) => setTimeout(res, 20));
    own.symbols.write(fds[1], new Uint8Array([2, 3]), 2n);
    const start = performance.now();
    assert.equal(await reading, 2);
    assert.ok(performance.now() - start < 5000);
    close(fds[0]);
    close(fds[1]);
  } finally {
    own.close();
  }
});

Deno.test("an engine that cannot start (no descriptor left) is an IpcError, and starts later", async () => {
  // A fresh process whose descriptors run out before its first async wait.
  const code = `
    import { close, open, O_RDONLY, PipeEnd } from "${ROOT}mod.ts";
    const [r, w] = PipeEnd.pipe();
    const fds = [];
    try { for (;;) fds.push(open("/dev/null", O_RDONLY)); } catch {}
    const first = await r.read(new Uint8Array(1), { timeout: 10 }).then(
      () => "read", (e) => [e.name, e.code, e.syscall].join(" "));
    for (const fd of fds) close(fd);
    const then = await r.read(new Uint8Array(1), { timeout: 10 }).then(
      () => "read", (e) => e.code);
    console.log(JSON.stringify([first, then]));
  `;
  const out = await run("bash", [
    "-c",
    `ulimit -n 256 && exec "$0" eval --ext=ts "$1"`,
    Deno.execPath(),
    code,
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), [
    "IpcError EMFILE epoll_create1",
    "ETIMEDOUT",
  ]);
});

Deno.test("bad wait options are a TypeError or RangeError before anything starts", async () => {
  const [a, b] = UnixConnection.pair();
  try {
    for (
      const [options, type] of [
        [{ signal: "soon" }, TypeError],
        [{ signal: {} }, TypeError],
        [{ timeout: -1 }, RangeError],
        [{ timeout: NaN }, RangeError],
        [{ timeout: Infinity }, RangeError],
        [{ timeout: 2 ** 53 }, RangeError],
        [{ timeout: "5" }, TypeError],
      ] as const
    ) {
      await assert.rejects(
        a.read(new Uint8Array(1), options as never),
        type,
        JSON.stringify(options),
      );
    }
    // Every kind of wait checks first, with nothing started.
    const name = `@linux-ipc-badopts-${Deno.pid}`;
    using listener = UnixListener.listen(name);
    const id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
    try {
      for (
        const call of [
          () => listener.accept({ signal: "x" } as never),
          () => UnixConnection.connect(name, { timeout: -1 }),
          () => b.writeAll(new Uint8Array(1), { timeout: NaN }),
          () => semopAsync(id, [{ num: 0, op: -1 }], { signal: 1 } as never),
          () =>
            PipeEnd.openFifo(`/tmp/linux-ipc-none-${Deno.pid}`, "r", {
              create: true,
              timeout: -5,
            }),
        ]
      ) {
        await assert.rejects(
          call(),
          (e: unknown) => e instanceof TypeError || e instanceof RangeError,
        );
      }
      assert.equal(semctl(id, 0, GETNCNT), 0);
      // The FIFO was not made: the options were refused first.
      await assert.rejects(
        Deno.lstat(`/tmp/linux-ipc-none-${Deno.pid}`),
        Deno.errors.NotFound,
      );
    } finally {
      semctl(id, 0, IPC_RMID);
    }
    // Nothing was left pending: a later write and read work as usual.
    await b.write(new Uint8Array([7]));
    const buf = new Uint8Array(1);
    assert.equal(await a.read(buf, { timeout: 1000 }), 1);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("a misspelled timeout is refused, not waited on for ever: at once or not, thin layer and classes", async () => {
  // `timout` was left unread: a wait that could not complete never ended.
  const stray = (e: unknown) => {
    assert.ok(e instanceof TypeError, String(e));
    assert.match(
      e.message,
      /^Unknown option "timout" to \S+: expected one of "timeout", "signal"$/,
    );
    return true;
  };
  const o = { timout: 50 } as never;
  const [a, b] = UnixConnection.pair();
  const [r, w] = PipeEnd.pipe();
  const name = `@linux-ipc-stray-${Deno.pid}`;
  const listener = UnixListener.listen(name);
  const dgram = UnixDatagram.bind(`${name}-d`);
  const ev = EventFd.create();
  const set = SemaphoreSet.create({ initial: 0 });
  const mutex = Mutex.create();
  const held = await mutex.acquire();
  const queue = MessageQueue.create();
  const id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
  const fds = socketpair(AF_UNIX, SOCK_STREAM);
  try {
    // Calls that would wait.
    const waiting: [string, () => Promise<unknown>][] = [
      ["UnixConnection.read", () => a.read(new Uint8Array(1), o)],
      ["PipeEnd.read", () => r.read(new Uint8Array(1), o)],
      ["UnixListener.accept", () => listener.accept(o)],
      ["EventFd.read", () => ev.read(o)],
      ["SemaphoreSet.op", () => set.op([{ num: 0, op: -1 }], o)],
      ["Mutex.acquire", () => mutex.acquire(o)],
      ["semopAsync", () => semopAsync(id, [{ num: 0, op: -1 }], o)],
      ["msgrcvAsync", () => msgrcvAsync(queue.id, 64, 0, 0, o)],
      ["readAsync", () => readAsync(fds[0], new Uint8Array(1), o)],
    ];
    if (mqueueMounted()) {
      const pq = PosixMessageQueue.open(`/linux-ipc-stray-${Deno.pid}`, {
        create: {},
      });
      PosixMessageQueue.unlink(pq.name);
      waiting.push(
        ["PosixMessageQueue.receive", () => pq.receive(o)],
        ["PosixMessageQueue.close", () => Promise.resolve(pq.close())],
      );
    }
    const psem = PosixSemaphore.open(`/linux-ipc-stray-${Deno.pid}`, {
      create: { value: 0 },
    });
    PosixSemaphore.unlink(`/linux-ipc-stray-${Deno.pid}`);
    waiting.push(
      ["PosixSemaphore.wait", () => psem.wait(o)],
      ["PosixSemaphore.close", () => Promise.resolve(psem.close())],
    );
    for (const [what, call] of waiting) {
      if (what.endsWith(".close")) {
        await call();
        continue;
      }
      await within(assert.rejects(call(), stray, what), 5000);
    }
    // Calls that would complete at once are refused all the same: whether
    // the error comes cannot depend on the peer's timing.
    await b.write(new Uint8Array([1, 2]));
    await w.write(new Uint8Array([1, 2]));
    const now: [string, () => Promise<unknown>][] = [
      ["UnixConnection.read", () => a.read(new Uint8Array(1), o)],
      ["UnixConnection.write", () => a.write(new Uint8Array(1), o)],
      ["UnixConnection.writeAll", () => a.writeAll(new Uint8Array(1), o)],
      ["PipeEnd.read", () => r.read(new Uint8Array(1), o)],
      ["PipeEnd.write", () => w.write(new Uint8Array(1), o)],
      ["EventFd.write", () => ev.write(1n, o)],
      ["SemaphoreSet.waitForZero", () => set.waitForZero(0, o)],
      [
        "UnixDatagram.send",
        () => dgram.send(new Uint8Array(1), `${name}-d`, o),
      ],
    ];
    for (const [what, call] of now) {
      await within(assert.rejects(call(), stray, what), 5000);
    }
    // Nothing was taken, written or left pending.
    assert.throws(() => ev.readSync({ timeout: 0 }), isCode("ETIMEDOUT"));
    assert.throws(() => dgram.receiveSync({ timeout: 0 }), isCode("ETIMEDOUT"));
    const buf = new Uint8Array(8);
    assert.equal(await a.read(buf, { timeout: 1000 }), 2);
    assert.equal(await r.read(buf, { timeout: 1000 }), 2);
    assert.equal(semctl(id, 0, GETNCNT), 0);
    assert.equal(semctl(set.id, 0, GETNCNT), 0);
    await assert.rejects(
      listener.accept({ timeout: 0 }),
      isCode("ETIMEDOUT"),
    );
  } finally {
    held.release();
    for (const x of [a, b, r, w, listener, dgram, ev, set, mutex, queue]) {
      x.close();
    }
    semctl(id, 0, IPC_RMID);
    fds.forEach((fd) => close(fd));
  }
});

Deno.test("an enumerable property on Object.prototype is no option: waits still run", async () => {
  // Some code puts one there; read as a misspelling, every wait threw.
  Object.defineProperty(Object.prototype, "linuxIpcTestStray", {
    value: 1,
    enumerable: true,
    configurable: true,
  });
  const [a, b] = UnixConnection.pair();
  try {
    b.writeSync(new Uint8Array([1, 2]));
    assert.equal(await a.read(new Uint8Array(1)), 1);
    assert.equal(await a.read(new Uint8Array(1), { timeout: 1000 }), 1);
    b.writeSync(new Uint8Array([3]));
    assert.equal(a.readSync(new Uint8Array(1), { timeout: 1000 }), 1);
  } finally {
    delete (Object.prototype as Record<string, unknown>).linuxIpcTestStray;
    a.close();
    b.close();
  }
});

Deno.test("a buffer or an array where the options go is refused, not read as no options", async () => {
  // receive(buf) for receiveInto(buf) used to run as receive() and take a
  // message the caller's buffer never saw.
  using queue = MessageQueue.create();
  queue.sendSync(1, new Uint8Array([1, 2, 3]));
  const [a, b] = UnixConnection.pair();
  try {
    for (
      const options of [new Uint8Array(8), [], new ArrayBuffer(8), [1, 2]]
    ) {
      const refused = (e: unknown) =>
        e instanceof TypeError && /^Invalid options/.test(e.message);
      await assert.rejects(queue.receive(options as never), refused);
      assert.throws(() => queue.receiveSync(options as never), refused);
      await assert.rejects(
        b.read(new Uint8Array(4), options as never),
        refused,
      );
      await assert.rejects(b.recvFds(options as never), refused);
      // A write that could go at once checked no more than null either.
      await assert.rejects(
        a.write(new Uint8Array(1), options as never),
        refused,
      );
    }
    assert.equal(queue.stat().qnum, 1);
    assert.deepEqual(
      (await queue.receive({ timeout: 1000 })).data,
      new Uint8Array([1, 2, 3]),
    );
  } finally {
    a.close();
    b.close();
  }
  // Descriptor slots stay a record that may be an array, as Node's stdio.
  const child = spawnWithFds("true", { fds: ["null", "null", "null"] });
  assert.deepEqual(await child.status, {
    success: true,
    code: 0,
    signal: null,
  });
});

Deno.test("a boolean option given anything but true or false is refused before anything is made", async () => {
  // Read as truthy, removeOnDispose: "false" (from a configuration file)
  // removed the object on dispose, and create: true with the queue's sizes
  // beside it made a queue of the system's default sizes.
  const refused = (option: string, where: string) => (e: unknown) => {
    assert.ok(e instanceof TypeError, String(e));
    assert.equal(
      e.message,
      `Invalid option "${option}" to ${where}: expected a boolean, got "false"`,
    );
    return true;
  };
  const no = "false" as unknown as boolean;
  const key = privateKey();
  for (
    const [make, where] of [
      [
        () => SharedMemory.create({ key, size: 64, removeOnDispose: no }),
        "SharedMemory.create",
      ],
      [
        () => SemaphoreSet.create({ key, removeOnDispose: no }),
        "SemaphoreSet.create",
      ],
      // Under its own name (it was SemaphoreSet.create's).
      [() => Mutex.create({ key, removeOnDispose: no }), "Mutex.create"],
      [
        () => MessageQueue.create({ key, removeOnDispose: no }),
        "MessageQueue.create",
      ],
    ] as const
  ) {
    assert.throws(make, refused("removeOnDispose", where));
  }
  // Nothing was made under the key.
  assert.throws(() => SharedMemory.open(key), isCode("ENOENT"));
  assert.throws(() => SemaphoreSet.open(key), isCode("ENOENT"));
  assert.throws(() => MessageQueue.open(key), isCode("ENOENT"));
  {
    using shm = SharedMemory.create({ size: 64 });
    using set = SemaphoreSet.create();
    using queue = MessageQueue.create();
    assert.throws(
      () => SharedMemory.fromId(shm.id, { removeOnDispose: no }),
      refused("removeOnDispose", "SharedMemory.fromId"),
    );
    assert.throws(
      () => shm.attach({ readOnly: no }),
      refused("readOnly", "SharedMemory.attach"),
    );
    assert.throws(
      () => shm.attach({ round: no }),
      refused("round", "SharedMemory.attach"),
    );
    assert.throws(
      () => SemaphoreSet.fromId(set.id, { removeOnDispose: no }),
      refused("removeOnDispose", "SemaphoreSet.fromId"),
    );
    await assert.rejects(
      SemaphoreSet.openAsync(privateKey(), { removeOnDispose: no }),
      refused("removeOnDispose", "SemaphoreSet.openAsync"),
    );
    assert.throws(
      () => MessageQueue.fromId(queue.id, { removeOnDispose: no }),
      refused("removeOnDispose", "MessageQueue.fromId"),
    );
    queue.sendSync(1, "kept");
    for (const option of ["except", "noError", "nowait"]) {
      await assert.rejects(
        queue.receive({ [option]: no }),
        refused(option, "MessageQueue.receive"),
      );
      assert.throws(
        () => queue.receiveSync({ [option]: no }),
        refused(option, "MessageQueue.receiveSync"),
      );
    }
    await assert.rejects(
      queue.send(2, "x", { nowait: no }),
      refused("nowait", "MessageQueue.send"),
    );
    assert.throws(
      () => queue.sendSync(2, "x", { nowait: no }),
      refused("nowait", "MessageQueue.sendSync"),
    );
    // The message is still there, and nothing was sent.
    assert.equal(queue.stat().qnum, 1);
  }
  assert.throws(
    () => Mapping.anonymous(4096, { private: no }),
    refused("private", "Mapping.anonymous"),
  );
  assert.throws(
    () => EventFd.create({ semaphore: no }),
    refused("semaphore", "EventFd.create"),
  );
  await withDir(async (dir) => {
    const path = `${dir}/locked`;
    Deno.writeFileSync(path, new Uint8Array(16));
    const fd = open(path, O_RDWR);
    try {
      await assert.rejects(
        lockRange(fd, { ofd: no }),
        refused("ofd", "lockRange"),
      );
      assert.throws(
        () => lockRangeSync(fd, { ofd: no }),
        refused("ofd", "lockRangeSync"),
      );
      assert.throws(
        () => testRange(fd, { ofd: no }),
        refused("ofd", "testRange"),
      );
      // An object where options of its own go: create: true made the file
      // in the same call, at the system's defaults.
      assert.throws(
        () => Mapping.file(`${dir}/made`, { create: true as never }),
        /^TypeError: Invalid option "create" to Mapping\.file: expected an object, got "true"$/,
      );
      assert.throws(() => Deno.statSync(`${dir}/made`), Deno.errors.NotFound);
    } finally {
      close(fd);
    }
  });
  if (mqueueMounted()) {
    const name = `/linux-ipc-test-${Deno.pid}-bool`;
    assert.throws(
      () => PosixMessageQueue.open(name, { create: true as never }),
      /^TypeError: Invalid option "create" to PosixMessageQueue\.open: expected an object, got "true"$/,
    );
    assert.throws(
      () => PosixMessageQueue.open(name, { create: { exclusive: no } }),
      refused("create.exclusive", "PosixMessageQueue.open"),
    );
    assert.throws(() => PosixMessageQueue.unlink(name), isCode("ENOENT"));
  }
  const name = `/linux-ipc-test-${Deno.pid}-bool`;
  assert.throws(
    () => PosixSharedMemory.open(name, { create: { exclusive: no } }),
    refused("create.exclusive", "PosixSharedMemory.open"),
  );
  assert.throws(
    () => PosixSharedMemory.open(name, { create: {}, truncate: no }),
    refused("truncate", "PosixSharedMemory.open"),
  );
  assert.throws(
    () => PosixSemaphore.open(name, { create: { exclusive: no } }),
    refused("create.exclusive", "PosixSemaphore.open"),
  );
  assert.throws(() => PosixSharedMemory.unlink(name), isCode("ENOENT"));
  assert.throws(() => PosixSemaphore.unlink(name), isCode("ENOENT"));
});

Deno.test("an option a method does not have is refused, making nothing: making and opening, and options that choose what a call does", async () => {
  // Left unread, a misspelled mode made a segment only its owner could
  // attach, and sizes put beside create made a queue of the defaults.
  const unknown = (where: string, name: string) => (e: unknown) => {
    assert.ok(e instanceof TypeError, String(e));
    assert.match(
      e.message,
      new RegExp(`^Unknown option "${name}" to ${where}: expected `),
    );
    return true;
  };
  const key = privateKey();
  const odd = { perms: 0o666 } as object;
  const cases: [() => unknown, string, string][] = [
    [
      () => SharedMemory.create({ key, size: 64, ...odd }),
      "SharedMemory.create",
      "perms",
    ],
    [
      () => SemaphoreSet.create({ key, ...odd }),
      "SemaphoreSet.create",
      "perms",
    ],
    [() => Mutex.create({ key, count: 2 } as never), "Mutex.create", "count"],
    [
      () => MessageQueue.create({ key, ...odd }),
      "MessageQueue.create",
      "perms",
    ],
    [() => SharedMemory.open(key, odd), "SharedMemory.open", "perms"],
    [() => SemaphoreSet.open(key, odd), "SemaphoreSet.open", "perms"],
    [() => MessageQueue.open(key, odd), "MessageQueue.open", "perms"],
    [() => Mutex.open(key, odd), "Mutex.open", "perms"],
    [() => Mutex.fromId(1, odd), "Mutex.fromId", "perms"],
    [
      () => Mapping.anonymous(4096, { shared: true } as never),
      "Mapping.anonymous",
      "shared",
    ],
    [() => EventFd.create({ init: 3 } as never), "EventFd.create", "init"],
    [
      () =>
        UnixListener.listen(
          `/nonexistent-${Deno.pid}/s`,
          { mode: 0o666 } as never,
        ),
      "UnixListener.listen",
      "mode",
    ],
    // Started without its arguments, the child ran another command.
    [
      () => spawnWithFds("true", { argv: ["x"] } as never),
      "spawnWithFds",
      "argv",
    ],
  ];
  for (const [call, where, name] of cases) {
    assert.throws(call, unknown(where, name));
  }
  await assert.rejects(
    SemaphoreSet.openAsync(key, { timeout: 5 } as never),
    unknown("SemaphoreSet.openAsync", "timeout"),
  );
  assert.throws(() => SharedMemory.open(key), isCode("ENOENT"));
  assert.throws(() => SemaphoreSet.open(key), isCode("ENOENT"));
  assert.throws(() => MessageQueue.open(key), isCode("ENOENT"));
  {
    using shm = SharedMemory.create({ size: 64 });
    assert.throws(
      () => shm.attach({ readonly: true } as never),
      unknown("SharedMemory.attach", "readonly"),
    );
  }
  {
    const pname = `/linux-ipc-test-${Deno.pid}-map`;
    using pshm = PosixSharedMemory.open(pname, { create: { size: 4096 } });
    pshm.unlink();
    // A mapping of the wrong length, or a private one that others never see.
    for (const option of ["size", "private"]) {
      assert.throws(
        () => pshm.map({ [option]: 1 } as never),
        unknown("PosixSharedMemory.map", option),
      );
    }
  }
  const name = `/linux-ipc-test-${Deno.pid}-known`;
  if (mqueueMounted()) {
    assert.throws(
      () => PosixMessageQueue.open(name, { create: {}, maxmsg: 4 } as never),
      unknown("PosixMessageQueue.open", "maxmsg"),
    );
    assert.throws(
      () => PosixMessageQueue.open(name, { create: { maxmsgs: 4 } } as never),
      unknown("PosixMessageQueue.open", "create.maxmsgs"),
    );
    assert.throws(() => PosixMessageQueue.unlink(name), isCode("ENOENT"));
  }
  assert.throws(
    () => PosixSharedMemory.open(name, { create: { length: 64 } } as never),
    unknown("PosixSharedMemory.open", "create.length"),
  );
  assert.throws(
    () => PosixSemaphore.open(name, { create: { initial: 1 } } as never),
    unknown("PosixSemaphore.open", "create.initial"),
  );
  assert.throws(() => PosixSharedMemory.unlink(name), isCode("ENOENT"));
  assert.throws(() => PosixSemaphore.unlink(name), isCode("ENOENT"));
  // Options that choose what a call does: a misspelled type took another
  // reader's message, a misspelled priority sent at 0.
  {
    using queue = MessageQueue.create();
    queue.sendSync(1, "for type 1");
    await assert.rejects(
      queue.receive({ tipe: 2 } as never),
      unknown("MessageQueue.receive", "tipe"),
    );
    assert.throws(
      () => queue.receiveSync({ tipe: 2 } as never),
      unknown("MessageQueue.receiveSync", "tipe"),
    );
    assert.throws(
      () => queue.receiveIntoSync(new Uint8Array(16), { maxBytes: 4 } as never),
      unknown("MessageQueue.receiveIntoSync", "maxBytes"),
    );
    await assert.rejects(
      queue.send(2, "x", { noWait: true } as never),
      unknown("MessageQueue.send", "noWait"),
    );
    assert.throws(
      () => queue.sendSync(2, "x", { noWait: true } as never),
      unknown("MessageQueue.sendSync", "noWait"),
    );
    assert.equal(queue.stat().qnum, 1);
  }
  {
    using set = SemaphoreSet.create();
    await assert.rejects(
      set.wait(0, 1, { flag: 0x1000 } as never),
      unknown("SemaphoreSet.wait", "flag"),
    );
    assert.throws(
      () => set.waitSync(0, 1, { flag: 0x1000 } as never),
      unknown("SemaphoreSet.waitSync", "flag"),
    );
  }
  await assert.rejects(
    UnixConnection.connect(`@linux-ipc-test-${Deno.pid}-none`, {
      typ: "seqpacket",
    } as never),
    unknown("UnixConnection.connect", "typ"),
  );
  {
    const [a, b] = UnixConnection.pair();
    using rx = UnixDatagram.bind();
    try {
      await assert.rejects(
        b.recvFds({ maxfds: 1 } as never),
        unknown("UnixConnection.recvFds", "maxfds"),
      );
      assert.throws(
        () => b.recvFdsSync({ maxfds: 1 } as never),
        unknown("UnixConnection.recvFdsSync", "maxfds"),
      );
      await assert.rejects(
        rx.receive({ maxbytes: 8 } as never),
        unknown("UnixDatagram.receive", "maxbytes"),
      );
      assert.throws(
        () => rx.receiveSync({ maxbytes: 8 } as never),
        unknown("UnixDatagram.receiveSync", "maxbytes"),
      );
    } finally {
      a.close();
      b.close();
    }
  }
  if (mqueueMounted()) {
    using q = PosixMessageQueue.open(name, { create: { exclusive: true } });
    try {
      await assert.rejects(
        q.send("x", { prio: 3 } as never),
        unknown("PosixMessageQueue.send", "prio"),
      );
      assert.throws(
        () => q.sendSync("x", { prio: 3 } as never),
        unknown("PosixMessageQueue.sendSync", "prio"),
      );
      await assert.rejects(
        q.notifications({ signum: "SIGUSR2" } as never).next(),
        unknown("PosixMessageQueue.notifications", "signum"),
      );
      assert.equal(q.attributes.curmsgs, 0);
    } finally {
      PosixMessageQueue.unlink(name);
    }
  }
  await withDir(async (dir) => {
    assert.throws(
      () =>
        Mapping.file(
          `${dir}/made`,
          { create: { size: 8, perms: 0o600 } } as never,
        ),
      unknown("Mapping.file", "create.perms"),
    );
    assert.throws(() => Deno.statSync(`${dir}/made`), Deno.errors.NotFound);
    const fifo = `${dir}/fifo`;
    await assert.rejects(
      PipeEnd.openFifo(fifo, "r", { make: true } as never),
      unknown("PipeEnd.openFifo", "make"),
    );
    assert.throws(
      () => PipeEnd.openFifoSync(fifo, "r", { make: true } as never),
      unknown("PipeEnd.openFifoSync", "make"),
    );
    assert.throws(() => Deno.statSync(fifo), Deno.errors.NotFound);
    const path = `${dir}/locked`;
    Deno.writeFileSync(path, new Uint8Array(16));
    const fd = open(path, O_RDWR);
    try {
      await assert.rejects(
        lockRange(fd, { lenght: 4 } as never),
        unknown("lockRange", "lenght"),
      );
      assert.throws(
        () => lockRangeSync(fd, { lenght: 4 } as never),
        unknown("lockRangeSync", "lenght"),
      );
      assert.throws(
        () => testRange(fd, { timeout: 5 } as never),
        unknown("testRange", "timeout"),
      );
      await assert.rejects(
        lockFile(fd, { shared: true } as never),
        unknown("lockFile", "shared"),
      );
      assert.throws(
        () => lockFileSync(fd, { shared: true } as never),
        unknown("lockFileSync", "shared"),
      );
      assert.equal(testRange(fd), null);
    } finally {
      close(fd);
    }
  });
});

Deno.test("SemaphoreSet.wait rejects options that are not an object, never throws", async () => {
  using set = SemaphoreSet.create({ initial: 1 });
  for (const options of [null, 5, "x", []]) {
    let waited: Promise<void> | undefined;
    assert.doesNotThrow(() => {
      waited = set.wait(0, 1, options as never);
    });
    await assert.rejects(waited!, /^TypeError: Invalid options/);
    assert.throws(
      () => set.waitSync(0, 1, options as never),
      /^TypeError: Invalid options/,
    );
  }
  assert.equal(set.value(0), 1);
});

Deno.test("the blocking twins refuse bad options, a misspelled timeout and a signal at once, instead of blocking", async () => {
  await withDir(async (dir) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "-A",
        `${ROOT}tests/helpers/sync_options_child.ts`,
        dir,
      ],
      stdout: "piped",
      stderr: "piped",
      // A call that blocked instead of throwing would hang the child.
      signal: AbortSignal.timeout(60_000),
    });
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr) + stdout);
    const lines = stdout.trim().split("\n");
    assert.equal(lines.length, 12 * 5);
    for (const line of lines) {
      assert.match(line, /: (TypeError|RangeError)$/, line);
    }
  });
});

Deno.test("a bad signal on a semaphore wait leaves no timer behind to kill the process", async () => {
  const r = await run(Deno.execPath(), [
    "eval",
    `import { IPC_CREAT, IPC_PRIVATE, IPC_RMID, semctl, semget, semopAsync } from "${new URL(
      "../mod.ts",
      import.meta.url,
    )}";
    const id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
    try {
      await semopAsync(id, [{ num: 0, op: -1 }], { signal: "x" }).catch((e) =>
        console.log(e.constructor.name));
      await new Promise((r) => setTimeout(r, 200));
      console.log("alive");
    } finally {
      semctl(id, 0, IPC_RMID);
    }`,
  ]);
  assert.equal(r.stdout.trim(), "TypeError\nalive", r.stderr);
  assert.equal(r.code, 0);
});

Deno.test("timeouts of 2^31 ms and more wait, as any other", async () => {
  const [a, b] = UnixConnection.pair();
  try {
    for (const timeout of [2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      const ac = new AbortController();
      let settled = false;
      const reading = a.read(new Uint8Array(1), { timeout, signal: ac.signal })
        .finally(() => settled = true);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(settled, false, `timeout ${timeout} fired early`);
      ac.abort(new Error("done"));
      await assert.rejects(reading, /done/);
    }
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("timeouts of 2^31 ms and more: the blocking twins and whole writes", async () => {
  const huge = [2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER];
  // The sync forms wait in poll, whose timeout is a C int: each must
  // block (a peer answers it), not fail at once.
  for (const timeout of huge) {
    const [a, b] = UnixConnection.pair();
    const [r, w] = PipeEnd.pipe();
    try {
      const answer = spawnWithFds("/bin/sh", {
        args: ["-c", "sleep 0.1; printf x >&3; printf y >&4"],
        fds: { 3: b.fd, 4: w.fd },
      });
      assert.equal(a.readSync(new Uint8Array(1), { timeout }), 1);
      assert.equal(r.readSync(new Uint8Array(1), { timeout }), 1);
      assert.equal((await answer.status).code, 0);
    } finally {
      [a, b, r, w].forEach((end) => end.close());
    }
  }
  // A write of more than the pipe holds is several writes, each given the
  // time left of the whole: the time left never exceeds the timeout.
  const big = new Uint8Array(1 << 20);
  for (const timeout of huge) {
    for (const make of [() => PipeEnd.pipe(), () => UnixConnection.pair()]) {
      const [r, w] = make();
      try {
        const drain = spawnWithFds("/bin/sh", {
          args: ["-c", "cat <&3 >/dev/null"],
          fds: { 3: r.fd },
        });
        r.close();
        await w.writeAll(big, { timeout });
        w.writeAllSync(big, { timeout });
        w.close();
        assert.equal((await drain.status).code, 0);
      } finally {
        r.close();
        w.close();
      }
    }
  }
});

Deno.test("spawnWithFds leaves the parent's pipe end non-blocking: a timed read does not freeze the loop", async () => {
  const [r, w] = PipeEnd.pipe();
  const [cr, cw] = PipeEnd.pipe();
  try {
    // The child gets the read end too; it only waits for its stdin to close.
    const child = spawnWithFds("sh", {
      args: ["-c", "cat >/dev/null"],
      fds: { 0: cr.fd, 3: r.fd },
    });
    cr.close();
    const [result, late] = await lateness(() =>
      r.read(new Uint8Array(1), { timeout: 200 }).catch((e) => e)
    );
    isCode("ETIMEDOUT")(result);
    assert.ok(late < 150, `event loop late by ${late.toFixed(0)} ms`);
    cw.close();
    await child.status;
  } finally {
    r.close();
    w.close();
    cr.close();
    cw.close();
  }
});

Deno.test("every class that waits has a blocking Sync twin, with timeouts as ETIMEDOUT", async (t) => {
  await t.step("UnixConnection", () => {
    const [a, b] = UnixConnection.pair();
    try {
      assert.throws(
        () => a.readSync(new Uint8Array(1), { timeout: 20 }),
        isCode("ETIMEDOUT", "recv", "timeout"),
      );
      assert.equal(b.writeSync(new Uint8Array([1, 2, 3])), 3);
      const buf = new Uint8Array(8);
      assert.equal(a.readSync(buf), 3);
      // A write larger than the socket buffer needs the reader: writeAllSync
      // waits for room, and times out for the whole write.
      const big = new Uint8Array(4 << 20);
      assert.throws(
        () => b.writeAllSync(big, { timeout: 50 }),
        isCode("ETIMEDOUT", "send"),
      );
      // Drain what writeAllSync got through, then pass a descriptor.
      const sink = new Uint8Array(1 << 20);
      for (;;) {
        try {
          a.readSync(sink, { timeout: 20 });
        } catch (e) {
          isCode("ETIMEDOUT")(e);
          break;
        }
      }
      b.sendFdsSync([0], new TextEncoder().encode("x"), { timeout: 1000 });
      const got = a.recvFdsSync({ timeout: 1000 });
      assert.equal(new TextDecoder().decode(got.data), "x");
      assert.equal(got.fds.length, 1);
      got.fds.forEach((fd) => new OwnedFd(fd, "received").close());
    } finally {
      a.close();
      b.close();
    }
  });
  await t.step("UnixListener and UnixDatagram", async () => {
    const name = `@linux-ipc-sync-${Deno.pid}`;
    using listener = UnixListener.listen(name);
    assert.throws(
      () => listener.acceptSync({ timeout: 20 }),
      isCode("ETIMEDOUT", "accept4"),
    );
    using client = await UnixConnection.connect(name);
    using conn = listener.acceptSync({ timeout: 1000 });
    assert.equal(conn.peer.pid, Deno.pid);
    using rx = UnixDatagram.bind(`${name}-dgram`);
    using tx = UnixDatagram.bind();
    assert.throws(
      () => rx.receiveSync({ timeout: 20 }),
      isCode("ETIMEDOUT", "recvfrom"),
    );
    assert.equal(tx.sendSync(new Uint8Array([5]), `${name}-dgram`), 1);
    assert.deepEqual(rx.receiveSync({ maxBytes: 4 }).data, new Uint8Array([5]));
    // A full receiver: sendSync waits in steps, and times out.
    for (;;) {
      try {
        tx.sendSync(new Uint8Array(1024), `${name}-dgram`, { timeout: 0 });
      } catch (e) {
        isCode("ETIMEDOUT")(e);
        break;
      }
    }
    const t0 = performance.now();
    assert.throws(
      () =>
        tx.sendSync(new Uint8Array(1024), `${name}-dgram`, { timeout: 100 }),
      isCode("ETIMEDOUT", "sendto"),
    );
    assert.ok(performance.now() - t0 >= 95);
    assert.equal(client.closed, false);
  });
});

Deno.test("every option is checked before anything starts: sizes, modes, timeouts, non-objects", async () => {
  const name = `@linux-ipc-opts-${Deno.pid}`;
  using rx = UnixDatagram.bind(name);
  using tx = UnixDatagram.bind();
  const [a, b] = UnixConnection.pair();
  // maxBytes: an integer from 0 up, never a string, a fraction or NaN read
  // as some other size.
  for (
    const [maxBytes, type] of [
      ["2", TypeError],
      [1.5, TypeError],
      [NaN, TypeError],
      [-1, RangeError],
      [2 ** 40, RangeError],
    ] as const
  ) {
    const options = { maxBytes: maxBytes as number, timeout: 10 };
    const named = (e: unknown) =>
      e instanceof type && /"maxBytes"/.test((e as Error).message);
    await assert.rejects(rx.receive(options), named);
    assert.throws(() => rx.receiveSync(options), named);
    await assert.rejects(b.recvFds(options), named);
    assert.throws(() => b.recvFdsSync(options), named);
  }
  for (const options of ["x", null]) {
    await assert.rejects(rx.receive(options as never), /Invalid options/);
    await assert.rejects(b.recvFds(options as never), /Invalid options/);
  }
  // Nothing was taken by the refused calls.
  tx.sendSync(new Uint8Array([1, 2, 3]), name);
  assert.deepEqual(
    (await rx.receive({ maxBytes: 2 })).data,
    new Uint8Array([1, 2]),
  );
  a.close();
  b.close();

  // A mapping's mode is "r" or "rw": anything else was read as "r".
  const file = await Deno.makeTempFile({ prefix: "linux-ipc-test-" });
  try {
    await Deno.writeFile(file, new Uint8Array(4096));
    for (const mode of ["w", "RW", 1]) {
      assert.throws(
        () => Mapping.file(file, { mode: mode as never }),
        /^TypeError: Invalid option "mode" to Mapping\.file/,
      );
    }
    using memfd = Mapping.memfd(4096);
    assert.throws(
      () => Mapping.fromFd(memfd.fd!, { mode: "wr" as never }),
      /"mode" to Mapping\.fromFd/,
    );
    assert.throws(() => Mapping.fromFd(memfd.fd!, "r" as never), /options/);
    // fromSealedFd is read-only by default, also when mode is undefined.
    const fd = memfd_create("opts", MFD_ALLOW_SEALING);
    try {
      ftruncate(fd, 4096);
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
      using sealed = Mapping.fromSealedFd(fd, { mode: undefined });
      assert.throws(() => sealed.memory.bytes, /read-only/);
    } finally {
      close(fd);
    }
  } finally {
    await Deno.remove(file);
  }

  // Options that are not an object, on the opening and attaching calls.
  using shm = SharedMemory.create({ size: 4096 });
  using set = SemaphoreSet.create({ initial: 1 });
  using queue = MessageQueue.create();
  for (const options of ["x", 5, null]) {
    for (
      const call of [
        () => shm.attach(options as never),
        () => SharedMemory.open(0x1234, options as never),
        () => SharedMemory.fromId(shm.id, options as never),
        () => SemaphoreSet.fromId(set.id, options as never),
        () => MessageQueue.fromId(queue.id, options as never),
      ]
    ) {
      assert.throws(call, /^TypeError: Invalid options/, `${call} ${options}`);
    }
    await assert.rejects(
      SemaphoreSet.openAsync(0x1234, options as never),
      /^TypeError: Invalid options/,
    );
  }
  assert.equal(shm.stat().nattch, 0);
  // openAsync checks initTimeout and signal before it looks for the set,
  // and names the option it refuses.
  for (const [initTimeout, type] of [[-1, RangeError], ["1", TypeError]]) {
    await assert.rejects(
      SemaphoreSet.openAsync(0x1234, { initTimeout: initTimeout as never }),
      (e: unknown) =>
        e instanceof (type as typeof Error) &&
        /"initTimeout"/.test((e as Error).message),
    );
  }
  await assert.rejects(
    SemaphoreSet.openAsync(0x1234, { signal: "x" as never }),
    /^TypeError: Invalid option "signal"/,
  );
  // A refused backlog leaves no socket file behind at the path.
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-test-" });
  try {
    for (const backlog of [-1, 1.5, "8"]) {
      assert.throws(
        () =>
          UnixListener.listen(`${dir}/s.sock`, { backlog: backlog as never }),
        /"backlog"/,
      );
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fromFd takes only the sockets its class works with, and leaves others untouched", async () => {
  const [r, w] = pipe();
  const dgram = socket(AF_UNIX, SOCK_DGRAM);
  const stream = socket(AF_UNIX, SOCK_STREAM);
  const inet = socket(AF_INET, SOCK_STREAM);
  const netlink = socket(16, /* AF_NETLINK */ SOCK_DGRAM);
  const listening = socket(AF_UNIX, SOCK_STREAM);
  bind(listening, { family: "unix", abstract: `linux-ipc-adopt-${Deno.pid}` });
  listen(listening);
  try {
    for (
      const [call, code, hint] of [
        [() => UnixConnection.fromFd(r), "ENOTSOCK", /a FIFO, not a socket/],
        [() => UnixListener.fromFd(w), "ENOTSOCK", /a FIFO/],
        [() => UnixDatagram.fromFd(r), "ENOTSOCK", /a FIFO/],
        [
          () => UnixConnection.fromFd(dgram),
          "EPROTOTYPE",
          /a datagram socket: use UnixDatagram\.fromFd/,
        ],
        [() => UnixDatagram.fromFd(stream), "EPROTOTYPE", /a stream socket/],
        [() => UnixListener.fromFd(dgram), "EPROTOTYPE", /datagram/],
        [() => UnixListener.fromFd(stream), "EINVAL", /not listening/],
        [
          () => UnixConnection.fromFd(listening),
          "EINVAL",
          /listening: use UnixListener\.fromFd/,
        ],
        [() => UnixConnection.fromFd(stream), "ENOTCONN", /not connected/],
        [() => UnixConnection.fromFd(inet), "ENOTCONN", /not connected/],
        [
          () => UnixDatagram.fromFd(netlink),
          "EAFNOSUPPORT",
          /an AF_NETLINK socket: the classes take Unix-domain, AF_INET/,
        ],
      ] as const
    ) {
      assert.throws(call, (e: unknown) => {
        isCode(code)(e);
        assert.match((e as Error).message, hint);
        assert.match((e as Error).message, /fromFd, argument "fd"/);
        return true;
      });
    }
    // Refused descriptors stay the caller's: open, and as blocking as before.
    for (const fd of [r, w, dgram, stream, inet, netlink]) {
      assert.equal(isBlocking(fd), true, `fd ${fd}`);
    }
    using server = UnixListener.fromFd(listening);
    assert.equal(server.closed, false);
  } finally {
    for (const fd of [r, w, dgram, stream, inet, netlink]) close(fd);
  }
  // A datagram socketpair, adopted: null sends to the connected peer,
  // and a full peer times out in both forms.
  const [a, b] = socketpair(AF_UNIX, SOCK_DGRAM);
  using x = UnixDatagram.fromFd(a);
  using y = UnixDatagram.fromFd(b);
  assert.equal(await x.send(new Uint8Array([7]), null), 1);
  assert.deepEqual((await y.receive()).data, new Uint8Array([7]));
  assert.equal(x.sendSync(new Uint8Array([8]), null), 1);
  assert.deepEqual(y.receiveSync().data, new Uint8Array([8]));
  for (;;) {
    try {
      x.sendSync(new Uint8Array(1024), null, { timeout: 0 });
    } catch (e) {
      isCode("ETIMEDOUT")(e);
      break;
    }
  }
  await assert.rejects(
    x.send(new Uint8Array(1024), null, { timeout: 50 }),
    isCode("ETIMEDOUT", "send"),
  );
  // TCP, handed over as a descriptor: a listener (socket activation) and a
  // connection are taken; credentials are refused, never made up.
  {
    const lfd = socket(AF_INET, SOCK_STREAM);
    bind(lfd, { family: "inet", address: "127.0.0.1", port: 0 });
    listen(lfd);
    using tcpListener = UnixListener.fromFd(lfd);
    const { port } = tcpListener.addr as { port: number };
    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    using served = await tcpListener.accept({ timeout: 5000 });
    await client.write(new Uint8Array([1, 2, 3]));
    const got = new Uint8Array(8);
    assert.equal(await served.read(got), 3);
    await served.writeAll(new Uint8Array([4, 5]));
    assert.equal(await client.read(got), 2);
    assert.deepEqual(got.subarray(0, 2), new Uint8Array([4, 5]));
    assert.throws(() => served.peer, isCode("EAFNOSUPPORT", "getsockopt"));
    client.close();
    assert.equal(await served.read(got), null);
    const cfd = socket(AF_INET, SOCK_STREAM);
    const echo = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    connect(cfd, {
      family: "inet",
      address: "127.0.0.1",
      port: (echo.addr as Deno.NetAddr).port,
    });
    using tcp = UnixConnection.fromFd(cfd);
    const other = await echo.accept();
    await tcp.writeAll(new Uint8Array([9]));
    assert.equal(await other.read(got), 1);
    // Descriptors cannot ride on TCP (Linux would send the bytes and drop
    // them): every form refuses before anything is sent or read.
    const [px, py] = socketpair(AF_UNIX, SOCK_STREAM);
    await assert.rejects(tcp.sendFds([px]), isCode("EAFNOSUPPORT", "sendmsg"));
    assert.throws(
      () => tcp.sendFdsSync([px]),
      isCode("EAFNOSUPPORT", "sendmsg"),
    );
    assert.throws(
      () =>
        sendmsg(cfd, {
          data: new Uint8Array(1),
          control: [{ type: "rights", fds: [px] }],
        }),
      isCode("EAFNOSUPPORT", "sendmsg"),
    );
    await tcp.writeAll(new Uint8Array([7]));
    assert.equal(await other.read(got), 1);
    assert.equal(got[0], 7);
    await other.write(new Uint8Array([8]));
    await assert.rejects(
      tcp.recvFds({ timeout: 1000 }),
      isCode("EAFNOSUPPORT", "recvmsg"),
    );
    assert.throws(() => tcp.recvFdsSync(), isCode("EAFNOSUPPORT", "recvmsg"));
    assert.equal(await tcp.read(got, { timeout: 1000 }), 1);
    assert.equal(got[0], 8);
    close(px);
    close(py);
    other.close();
    echo.close();
  }
  // A connection whose peer has gone is still taken: its bytes are there.
  const [c, d] = socketpair(AF_UNIX, SOCK_STREAM);
  write(c, new Uint8Array([1, 2]));
  close(c);
  using conn = UnixConnection.fromFd(d);
  assert.equal(await conn.read(new Uint8Array(4)), 2);
  assert.equal(await conn.read(new Uint8Array(4)), null);
});

/**
 * Writes to a connection until it is full (a write of no wait times out).
 *
 * @returns how many bytes it took
 */
function fillUp(c: UnixConnection): number {
  let filled = 0;
  for (;;) {
    try {
      filled += c.writeSync(new Uint8Array(4096), { timeout: 0 });
    } catch (e) {
      isCode("ETIMEDOUT")(e);
      return filled;
    }
  }
}

Deno.test("concurrent reads, writes and queue receives complete in the order they were made", async () => {
  // Reads: the earlier read gets the earlier bytes, with or without a
  // timeout, and a read made after bytes came is not served before an
  // earlier read that waits.
  for (const options of [{}, { timeout: 5000 }]) {
    const [a, b] = UnixConnection.pair();
    const first = new Uint8Array(4), second = new Uint8Array(4);
    const p1 = b.read(first, options);
    const p2 = b.read(second, options);
    a.writeSync(new Uint8Array([1]));
    const p3 = b.read(new Uint8Array(4), options);
    setTimeout(() => a.writeSync(new Uint8Array([2, 3])), 30);
    setTimeout(() => a.writeSync(new Uint8Array([4])), 60);
    assert.deepEqual(await Promise.all([p1, p2, p3]), [1, 2, 1]);
    assert.deepEqual([first[0], second[0], second[1]], [1, 2, 3]);
    a.close();
    b.close();
  }
  // A read deferred to the next turn (this turn ran past TURN_MS) is still
  // first in line: a read made after it, in the same turn, waits behind.
  {
    const [a, b] = UnixConnection.pair();
    // A read that completes at once starts the engine's count of the turn.
    a.writeSync(new Uint8Array([6]));
    assert.equal(await b.read(new Uint8Array(4), { timeout: 5000 }), 1);
    a.writeSync(new Uint8Array([6]));
    assert.equal(await b.read(new Uint8Array(4), { timeout: 5000 }), 1);
    const end = performance.now() + TURN_MS + 5;
    while (performance.now() < end) { /* a long turn */ }
    const first = new Uint8Array(4);
    const p1 = b.read(first, { timeout: 5000 });
    a.writeSync(new Uint8Array([7]));
    const p2 = b.read(new Uint8Array(4));
    setTimeout(() => a.writeSync(new Uint8Array([8, 9])), 30);
    assert.deepEqual(await Promise.all([p1, p2]), [1, 2]);
    assert.equal(first[0], 7);
    a.close();
    b.close();
  }
  // Writes: one made while an earlier write waits for room goes after it,
  // even when room appeared in between.
  {
    const [a, b] = UnixConnection.pair();
    const filled = fillUp(a);
    const w1 = a.write(new Uint8Array(1024).fill(0xa1));
    // Room now, in the same turn, before the reactor has said so.
    const sink = new Uint8Array(65536);
    let got = b.readSync(sink)!;
    const w2 = a.write(new Uint8Array(1024).fill(0xb2));
    const seen: number[] = [];
    const reading = (async () => {
      while (got < filled + 2048) {
        const n = (await b.read(sink, { timeout: 5000 }))!;
        for (let i = 0; i < n; i++) if (sink[i] !== 0) seen.push(sink[i]);
        got += n;
      }
    })();
    assert.deepEqual(await Promise.all([w1, w2]), [1024, 1024]);
    await reading;
    assert.equal(seen.indexOf(0xb2) > seen.lastIndexOf(0xa1), true);
    a.close();
    b.close();
  }
  // A System V queue likewise; a receive that must not wait (nowait) is
  // never held behind the waiting ones.
  {
    using q = MessageQueue.create();
    const dec = new TextDecoder();
    const r1 = q.receive({ timeout: 5000 });
    await assert.rejects(
      q.receive({ nowait: true }),
      isCode("ENOMSG", "msgrcv"),
    );
    q.sendSync(1, "m1");
    const r2 = q.receive({ timeout: 5000 });
    q.sendSync(1, "m2");
    assert.deepEqual(
      (await Promise.all([r1, r2])).map((m) => dec.decode(m.data)),
      ["m1", "m2"],
    );
  }
  // A POSIX queue: the receive that waited first takes the first message.
  {
    const name = `/linux-ipc-order-${Deno.pid}`;
    using q = PosixMessageQueue.open(name, { create: {} });
    try {
      const r1 = q.receive({ timeout: 5000 });
      q.sendSync("m1");
      const r2 = q.receive({ timeout: 5000 });
      q.sendSync("m2");
      const dec = new TextDecoder();
      assert.deepEqual(
        (await Promise.all([r1, r2])).map((m) => dec.decode(m.data)),
        ["m1", "m2"],
      );
    } finally {
      PosixMessageQueue.unlink(name);
    }
  }
});

Deno.test("a socket that has waited only for reads still wakes a write that waits for room, and both sides of a full duplex exchange complete", async () => {
  // Reads first: the engine watches the socket for reads only, then a
  // write finds it full and waits.
  {
    const [a, b] = UnixConnection.pair();
    const reply = a.read(new Uint8Array(4), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 20));
    const filled = fillUp(a);
    // Well within the second after which the engine checks a parked wait's
    // registration again, which would wake it too.
    const more = a.write(new Uint8Array(1024).fill(7), { timeout: 900 });
    await new Promise((r) => setTimeout(r, 20));
    const sink = new Uint8Array(65536);
    let got = 0;
    while (got < filled + 1024) {
      got += (await b.read(sink, { timeout: 5000 }))!;
    }
    assert.equal(await more, 1024);
    b.writeSync(new Uint8Array([9]));
    assert.equal(await reply, 1);
    a.close();
    b.close();
  }
  // Each side writes a MiB while it reads the other's: neither write can
  // finish before the other side reads, so each socket has a read and a
  // write waiting at once, again and again.
  {
    const [a, b] = UnixConnection.pair();
    const size = 1 << 20;
    const side = async (c: UnixConnection, fill: number) => {
      const reading = (async () => {
        const buf = new Uint8Array(8192);
        let got = 0, sum = 0;
        while (got < size) {
          const n = (await c.read(buf, { timeout: 900 }))!;
          for (let i = 0; i < n; i++) sum += buf[i];
          got += n;
        }
        return sum;
      })();
      await c.writeAll(new Uint8Array(size).fill(fill), { timeout: 10000 });
      return await reading;
    };
    assert.deepEqual(await Promise.all([side(a, 1), side(b, 2)]), [
      2 * size,
      size,
    ]);
    a.close();
    b.close();
  }
});

Deno.test("writeAll keeps its bytes whole: concurrent writes of the same end never land among them", async () => {
  const ends = () => {
    const [r, w] = PipeEnd.pipe();
    const [a, b] = UnixConnection.pair();
    return [[r, w], [b, a]] as const;
  };
  const big = 1 << 20;
  for (const [reader, writer] of ends()) {
    const bytesOf = (value: number, n: number) => new Uint8Array(n).fill(value);
    const all = big * 3 + 3;
    const got = (async () => {
      const out = new Uint8Array(all);
      for (let at = 0; at < all;) {
        const n = await reader.read(out.subarray(at));
        if (n === null) break;
        at += n;
      }
      return out;
    })();
    // Three writeAlls and a write made while the first is under way: each
    // goes out whole, in the order they were made.
    await Promise.all([
      writer.writeAll(bytesOf(1, big)),
      writer.writeAll(bytesOf(2, big)),
      writer.write(bytesOf(3, 3)),
      writer.writeAll(bytesOf(4, big)),
    ]);
    const out = await got;
    const runs: [number, number][] = [];
    for (const v of out) {
      if (runs.length > 0 && runs.at(-1)![0] === v) runs.at(-1)![1]++;
      else runs.push([v, 1]);
    }
    assert.deepEqual(runs, [[1, big], [2, big], [3, 3], [4, big]]);
    // A write waiting its turn honours its timeout and signal, writes
    // nothing, and leaves the line to the writes after it.
    const stuck = writer.writeAll(bytesOf(5, big), { timeout: 50 });
    const late = writer.write(bytesOf(6, 1), { timeout: 20 });
    const stop = new AbortController();
    const aborted = writer.writeAll(bytesOf(7, 1), { signal: stop.signal });
    stop.abort(new Error("Stopped"));
    await assert.rejects(aborted, /Stopped/);
    await assert.rejects(late, isCode("ETIMEDOUT"));
    await assert.rejects(stuck, isCode("ETIMEDOUT"));
    // The reader gets what the timed-out writeAll had written, then the
    // next write's bytes: none of the refused ones.
    const next = writer.writeAll(bytesOf(8, 2));
    const seen = new Uint8Array(big + 2);
    let at = 0;
    while (at < 2 || seen[at - 1] !== 8 || seen[at - 2] !== 8) {
      const n = await reader.read(seen.subarray(at), { timeout: 5000 });
      assert.ok(n !== null);
      at += n;
    }
    await next;
    const tail = seen.subarray(0, at);
    assert.ok(tail.every((v) => v === 5 || v === 8));
    assert.deepEqual([...tail.subarray(-2)], [8, 8]);
    // Closed while a write waits in line: it rejects, nothing hangs.
    const held = writer.writeAll(bytesOf(9, big));
    const queued = writer.write(bytesOf(9, 1));
    writer.close();
    await assert.rejects(held);
    await assert.rejects(queued, Deno.errors.BadResource);
    reader.close();
  }
});

Deno.test("a blocking read made while an async read waits takes what is there at once; the async read gets what comes next", async () => {
  for (const kind of ["socket", "pipe"] as const) {
    const [a, b] = kind === "socket" ? UnixConnection.pair() : PipeEnd.pipe();
    const writer = b as { writeSync(d: Uint8Array): number };
    try {
      const first = new Uint8Array(4), now = new Uint8Array(4);
      const waiting = a.read(first);
      await new Promise((r) => setTimeout(r, 10));
      writer.writeSync(new Uint8Array([1, 2]));
      assert.equal(a.readSync(now, { timeout: 1000 }), 2, kind);
      assert.deepEqual([...now.subarray(0, 2)], [1, 2]);
      writer.writeSync(new Uint8Array([3]));
      assert.equal(await within(waiting, 2000), 1, kind);
      assert.equal(first[0], 3);
    } finally {
      a.close();
      b.close();
    }
  }
});

Deno.test("a blocking write while a writeAll is under way is refused (EDEADLK), not put among its bytes", async () => {
  const [r, w] = PipeEnd.pipe();
  const [a, b] = UnixConnection.pair();
  const big = 1 << 20;
  for (const [reader, writer] of [[r, w], [b, a]] as const) {
    const whole = writer.writeAll(new Uint8Array(big).fill(1));
    const refusals: (() => unknown)[] = [
      () => writer.writeSync(new Uint8Array([2]), { timeout: 100 }),
      () => writer.writeAllSync(new Uint8Array([2]), { timeout: 100 }),
    ];
    if (writer instanceof UnixConnection) {
      refusals.push(() =>
        writer.sendFdsSync([0], new Uint8Array([2]), { timeout: 100 })
      );
    }
    for (const refused of refusals) {
      // Before, the byte went into the middle of the writeAll, or (the
      // writeAll having filled the pipe) the call blocked the very event
      // loop the writeAll needed: without a timeout, for ever.
      assert.throws(
        refused,
        (e: unknown) =>
          isCode("EDEADLK")(e) && /async writeAll/.test((e as Error).message),
      );
    }
    const out = new Uint8Array(big);
    for (let at = 0; at < big;) {
      const n = await reader.read(out.subarray(at), { timeout: 5000 });
      assert.ok(n !== null);
      at += n;
    }
    await whole;
    assert.ok(out.every((v) => v === 1));
    // Once it is done, blocking writes go as before.
    assert.equal(writer.writeSync(new Uint8Array([3])), 1);
    assert.equal(await reader.read(out, { timeout: 1000 }), 1);
    assert.equal(out[0], 3);
    writer.close();
    reader.close();
  }
});

Deno.test("a whole write that runs out of time reports the timeout it was given", async () => {
  const [r, w] = PipeEnd.pipe();
  try {
    // The first chunk fills the pipe; the wait for room then runs out.
    const big = new Uint8Array(1 << 20);
    const gave = (ms: number) => (e: unknown) => {
      isCode("ETIMEDOUT", "write")(e);
      assert.match((e as Error).message, new RegExp(`within ${ms} ms$`));
      return true;
    };
    await assert.rejects(w.writeAll(big, { timeout: 30 }), gave(30));
    assert.throws(() => w.writeAllSync(big, { timeout: 20 }), gave(20));
    // Waiting in line behind another whole write, then writing.
    const first = assert.rejects(
      w.writeAll(big, { timeout: 200 }),
      gave(200),
    );
    await assert.rejects(w.write(big, { timeout: 300 }), gave(300));
    await first;
  } finally {
    r.close();
    w.close();
  }
});

Deno.test("one owner per descriptor: closed, close twice, and a backstop for a forgotten one", async () => {
  const [a, b] = UnixConnection.pair();
  assert.equal(a.closed, false);
  a.close();
  a.close();
  assert.equal(a.closed, true);
  assert.throws(() => a.fd, Deno.errors.BadResource);
  b.close();
  /** The collecting child in `mode`: what it prints. */
  const collected = async (mode: string) => {
    const r = await run(Deno.execPath(), [
      "run",
      "--allow-ffi",
      "--allow-read=/proc/self/fd",
      "--v8-flags=--expose-gc",
      `${new URL("./helpers/engine_child.ts", import.meta.url).pathname}`,
      mode,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  // Dropped without close: the backstop closes it once collected.
  assert.equal(await collected("forget"), "closed");
  // Its number closed behind the library's back and given to a new owner:
  // the old one's backstop leaves the new one's descriptor alone.
  assert.equal(await collected("forget-reused"), "still open");
});

Deno.test("bad arguments to the classes are typed errors naming the argument and value", async () => {
  for (
    const [call, type, pattern] of [
      [() => PipeEnd.fromFd(1.5), TypeError, /"fd".*"1.5"/],
      [() => UnixConnection.fromFd(-1), RangeError, /"fd".*"-1"/],
      [() => UnixListener.fromFd(NaN), TypeError, /"fd"/],
      [
        () => UnixConnection.pair("dgram" as never),
        TypeError,
        /^Invalid argument "type" to UnixConnection\.pair: .*"dgram"/,
      ],
      [
        () => UnixListener.listen("@x", { type: "dgram" as never }),
        TypeError,
        /"type".*"dgram"/,
      ],
      [() => UnixConnection.pair("dgram" as never), TypeError, /"dgram"/],
      [
        () => PipeEnd.openFifoSync("/tmp", "rw" as never),
        TypeError,
        /"mode".*"rw"/,
      ],
    ] as const
  ) {
    assert.throws(call, (e: unknown) => {
      assert.ok(e instanceof type, String(e));
      assert.match((e as Error).message, pattern);
      return true;
    });
  }
  await assert.rejects(
    UnixConnection.connect("@x", { type: "dgram" as never }),
    TypeError,
  );
  await assert.rejects(
    PipeEnd.openFifo("/tmp/x", "rw" as never),
    /"mode".*"rw"/,
  );
  // Options that are not an object are refused before anything is made,
  // not read as "no options".
  for (const options of ["x", 5, null]) {
    for (
      const make of [
        () => MessageQueue.create(options as never),
        () => MessageQueue.open(0x1234, options as never),
        () => SemaphoreSet.create(options as never),
        () => Mutex.create(options as never),
        () =>
          UnixListener.listen(`@linux-ipc-opts-${Deno.pid}`, options as never),
        () => Mapping.anonymous(4096, options as never),
        () => Mapping.file("/etc/hostname", options as never),
        () =>
          PosixMessageQueue.open(
            `/linux-ipc-opts-${Deno.pid}`,
            options as never,
          ),
        () => spawnWithFds("true", options as never),
      ]
    ) {
      assert.throws(make, /^TypeError: Invalid options/, `${make} ${options}`);
    }
  }

  // A directory or a regular file is not a FIFO: refused, nothing left open.
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-test-" });
  try {
    await assert.rejects(
      PipeEnd.openFifo(dir, "r", { timeout: 1000 }),
      /is a directory, not a FIFO/,
    );
    assert.throws(
      () => PipeEnd.openFifoSync(dir, "r"),
      /is a directory, not a FIFO/,
    );
    await Deno.writeTextFile(`${dir}/file`, "x");
    assert.throws(
      () => PipeEnd.openFifoSync(`${dir}/file`, "r"),
      /is a regular file, not a FIFO/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a closed object's async methods reject, never throw; buffers are checked by name", async () => {
  const [a, b] = UnixConnection.pair();
  const [r, w] = PipeEnd.pipe();
  const dgram = UnixDatagram.bind();
  const queue = PosixMessageQueue.open(`/linux-ipc-closed-${Deno.pid}`, {
    create: {},
  });
  PosixMessageQueue.unlink(queue.name);
  // Not a Uint8Array: a TypeError naming the argument and the method,
  // before any call.
  for (
    const [call, named] of [
      [() => a.readSync(5 as never), '"buf" to UnixConnection.readSync'],
      [() => a.writeSync("x" as never), '"data" to UnixConnection.writeSync'],
      [
        () => a.writeAllSync(5 as never),
        '"data" to UnixConnection.writeAllSync',
      ],
      [() => r.readSync(null as never), '"buf" to PipeEnd.readSync'],
      [() => w.writeSync([1] as never), '"data" to PipeEnd.writeSync'],
      [() => w.writeAllSync(5 as never), '"data" to PipeEnd.writeAllSync'],
    ] as const
  ) {
    assert.throws(call, (e: unknown) =>
      e instanceof TypeError &&
      e.message.startsWith(`Invalid argument ${named}: `));
  }
  for (
    const [call, named] of [
      [() => w.write([1] as never), '"data" to PipeEnd.write'],
      [() => w.writeAll(5 as never), '"data" to PipeEnd.writeAll'],
      [() => r.read(null as never), '"buf" to PipeEnd.read'],
      [() => a.writeAll(5 as never), '"data" to UnixConnection.writeAll'],
      [() => b.sendFds([0], 5 as never), '"data" to UnixConnection.sendFds'],
    ] as const
  ) {
    await assert.rejects(call(), (e: unknown) =>
      e instanceof TypeError &&
      e.message.startsWith(`Invalid argument ${named}: `));
  }
  [a, b, r, w, dgram, queue].forEach((o) => o.close());
  // Closed: every promise-returning method rejects with BadResource (a
  // synchronous throw would escape a caller's .catch()).
  for (
    const call of [
      () => a.write(new Uint8Array(1)),
      () => a.read(new Uint8Array(1)),
      () => w.write(new Uint8Array(1)),
      () => dgram.send(new Uint8Array(1), "@linux-ipc-nowhere"),
      () => queue.send("x"),
      () => queue.receive(),
    ]
  ) {
    let p: Promise<unknown> | undefined;
    assert.doesNotThrow(() => p = call() as Promise<unknown>, String(call));
    await assert.rejects(p!, Deno.errors.BadResource);
  }
});

Deno.test("a datagram longer than maxBytes is reported truncated, with its real size", async () => {
  const name = `@linux-ipc-trunc-${Deno.pid}`;
  using rx = UnixDatagram.bind(name);
  using tx = UnixDatagram.bind();
  const big = new Uint8Array(100).map((_, i) => i);
  await tx.send(big, name);
  const a = await rx.receive({ maxBytes: 10 });
  assert.deepEqual([a.data.length, a.size, a.truncated], [10, 100, true]);
  assert.deepEqual(a.data, big.subarray(0, 10));
  tx.sendSync(big, name);
  const b = rx.receiveSync({ maxBytes: 10 });
  assert.deepEqual([b.data.length, b.size, b.truncated], [10, 100, true]);
  tx.sendSync(big.subarray(0, 5), name);
  const c = rx.receiveSync({ maxBytes: 10 });
  assert.deepEqual([c.data.length, c.size, c.truncated], [5, 5, false]);
});

Deno.test("datagram receives made at once, on one socket and on several, each get their own datagram", async () => {
  const names = [0, 1].map((i) => `@linux-ipc-dgrams-${Deno.pid}-${i}`);
  using rx0 = UnixDatagram.bind(names[0]);
  using rx1 = UnixDatagram.bind(names[1]);
  using tx = UnixDatagram.bind();
  const sizes = [3, 70_000, 1, 200, 65_536, 9];
  const bytes = (size: number, seed: number) =>
    new Uint8Array(size).map((_, i) => (i * 7 + seed) & 255);
  // Three receives waiting on each socket, with rooms large and small (a
  // room over 64 KiB too), woken together by one turn's datagrams.
  const rooms = [100_000, 50, 65_536];
  const waits = [rx0, rx1].flatMap((rx) =>
    rooms.map((maxBytes) => rx.receive({ maxBytes, timeout: 10_000 }))
  );
  sizes.forEach((size, i) => tx.sendSync(bytes(size, i), names[i % 2]));
  const got = await Promise.all(waits);
  // rx0 got datagrams 0, 2, 4 and rx1 got 1, 3, 5, in order.
  const expect = [0, 2, 4, 1, 3, 5];
  got.forEach((d, k) => {
    const i = expect[k], room = rooms[k % 3];
    assert.equal(d.size, sizes[i]);
    assert.equal(d.truncated, sizes[i] > room);
    assert.deepEqual(d.data, bytes(sizes[i], i).subarray(0, room));
    assert.equal(d.data.byteOffset, 0);
    assert.equal(d.data.buffer.byteLength, Math.min(sizes[i], room));
  });
  // The copies are the receiver's own: a later receive does not touch them.
  const before = got[0].data.slice();
  tx.sendSync(new Uint8Array(10).fill(255), names[0]);
  rx0.receiveSync({ maxBytes: 100 });
  assert.deepEqual(got[0].data, before);
});

Deno.test("close removes a socket path only if it is still the socket this process bound", async () => {
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-test-" });
  try {
    const path = `${dir}/server.sock`;
    const first = UnixListener.listen(path);
    // Another server takes the path over (as after a restart).
    await Deno.remove(path);
    const second = UnixListener.listen(path);
    first.close();
    assert.ok((await Deno.lstat(path)).isSocket, "the newer socket stays");
    using client = await UnixConnection.connect(path, { timeout: 1000 });
    using conn = await second.accept({ timeout: 1000 });
    assert.ok(conn.peer.pid === Deno.pid && client.fd >= 0);
    second.close(); // still its own socket: removed
    await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
    // A listener taken over by descriptor (as from another process)
    // removes nothing: the path is its binder's.
    const fd = socket(AF_UNIX, SOCK_STREAM);
    bind(fd, { family: "unix", path });
    listen(fd);
    UnixListener.fromFd(fd).close();
    assert.ok((await Deno.lstat(path)).isSocket);
    await Deno.remove(path);
    const dgram = UnixDatagram.bind(`${dir}/d.sock`);
    await Deno.remove(`${dir}/d.sock`);
    await Deno.writeTextFile(`${dir}/d.sock`, "not a socket");
    dgram.close();
    assert.equal(await Deno.readTextFile(`${dir}/d.sock`), "not a socket");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a loop of waits that always complete at once lets timers run", async (t) => {
  /** Runs `step` in a loop for 300 ms; returns when a 1 ms timer fired. */
  async function timerDuring(step: () => Promise<unknown>): Promise<number> {
    const start = performance.now();
    let fired = -1;
    setTimeout(() => fired = performance.now() - start, 1);
    while (performance.now() - start < 300) await step();
    return fired;
  }
  await t.step("a stream that always has data", async () => {
    const [a, b] = UnixConnection.pair();
    try {
      const msg = new Uint8Array(64), back = new Uint8Array(64);
      const fired = await timerDuring(async () => {
        await a.write(msg);
        await b.read(back);
      });
      assert.ok(fired >= 0 && fired < 100, `the timer fired at ${fired} ms`);
    } finally {
      a.close();
      b.close();
    }
  });
  await t.step("a message queue that always has a message", async () => {
    const id = msgget(IPC_PRIVATE, 0o600);
    try {
      const fired = await timerDuring(async () => {
        msgsnd(id, { mtype: 1, mtext: "x" });
        await msgrcvAsync(id, 8);
      });
      assert.ok(fired >= 0 && fired < 100, `the timer fired at ${fired} ms`);
    } finally {
      msgctl(id, IPC_RMID);
    }
  });
});

Deno.test("waits deferred to the next turn are taken a few at a time: timers run between", async () => {
  // Waits made once a turn has run for TURN_MS are tried in the next
  // turn. Thousands of them at once (a thousand connections' first reads,
  // after a loop of connects) were each an immediate of its own, and
  // immediates queued together run as one batch: here, 2,000 tries of
  // 0.1 ms each held the event loop for 200 ms.
  const busy = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  const op = (i: number) => ({
    key: `test-deferred:${i}`,
    attempt(): boolean {
      busy(0.1);
      return true;
    },
    fail: (code: number) => new IpcError(code, { syscall: "test" }),
    timedOut: (ms: number) => new IpcError(110, { syscall: "test", value: ms }),
  });
  const [, worst] = await lateness(
    async () => {
      // The first wait starts this turn's clock; the rest come after TURN_MS.
      const waits = [wait(op(0))];
      busy(TURN_MS + 1);
      for (let i = 1; i < 2000; i++) waits.push(wait(op(i)));
      await within(Promise.all(waits), 20_000);
    },
    1,
    true,
  );
  assert.ok(worst < 50, `the event loop was held for ${worst.toFixed(1)} ms`);
});

Deno.test("connects made once a turn has run for TURN_MS make their sockets in a later turn", async () => {
  // Each connect to a Unix listener completes at once, and made its socket
  // and its call before its first await: a thousand made in one loop held
  // the event loop for all of their calls (40 to 80 ms here). Once the turn
  // has run for TURN_MS they are made in later turns, a batch at a time,
  // timers between (as deferred waits are: see the test above).
  await withDir(async (dir) => {
    const path = `${dir}/many.sock`;
    using _listener = UnixListener.listen(path, { backlog: 256 });
    // Counted without ending the turn (through `ls`, as /proc needs
    // --allow-all).
    const fds = () =>
      new TextDecoder().decode(
        new Deno.Command("ls", { args: ["-l", `/proc/${Deno.pid}/fd`] })
          .outputSync().stdout,
      ).split("\n").filter((l) => l.includes("socket:")).length;
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const conns: Promise<UnixConnection>[] = [];
    try {
      // The first starts this turn's clock.
      conns.push(UnixConnection.connect(path));
      busy(TURN_MS + 1);
      const before = fds();
      for (let i = 0; i < 100; i++) conns.push(UnixConnection.connect(path));
      assert.equal(fds(), before, "no socket made in this turn");
      const made = await within(Promise.all(conns), 20_000);
      assert.equal(made.length, 101);
      for (const c of made) assert.equal(c.closed, false);
    } finally {
      for (const c of await Promise.allSettled(conns)) {
        if (c.status === "fulfilled") c.value.close();
      }
    }
  });
});

Deno.test("a wait whose peer is this same thread does not spin for it", async () => {
  // The two ends of a socket pair in one process: while a wait spins, its
  // peer cannot run, so each wait should cost an attempt when made and one
  // when woken, not the hundreds of a spin.
  const [a, b] = UnixConnection.pair();
  try {
    const msg = new Uint8Array(64), buf = new Uint8Array(64);
    let attempts = 0;
    const op = {
      key: `test-recv:${b.fd}`,
      fd: b.fd,
      attempt(): boolean {
        attempts++;
        try {
          recv(b.fd, buf, MSG_DONTWAIT);
          return true;
        } catch (e) {
          if (e instanceof IpcError && e.code === "EAGAIN") return false;
          throw e;
        }
      },
      fail: (code: number) => new IpcError(code, { syscall: "recv" }),
      timedOut: (ms: number) =>
        new IpcError(110, { syscall: "recv", value: ms }),
    };
    const waits = 500;
    for (let i = 0; i < waits; i++) {
      const received = wait(op);
      a.writeSync(msg);
      await received;
    }
    assert.ok(
      attempts <= waits * 3,
      `${attempts} attempts for ${waits} waits`,
    );
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("a read that stopped short at a message carrying descriptors still gets the bytes behind it", async (t) => {
  // A Unix stream read stops after data that carried descriptors (a plain
  // read drops them), with more data queued and no event left to come: a
  // read presumed drained by that short read must still complete, when the
  // loop goes idle, and when it stays busy with one or with 100 other
  // pairs of connections echoing.
  for (const load of [0, 1, 100]) {
    await t.step(
      load === 0
        ? "when the loop goes idle"
        : load === 1
        ? "while the loop stays busy"
        : "while 100 pairs of connections echo",
      async () => {
        const [a, b] = UnixConnection.pair();
        const others = Array.from(
          { length: load },
          () => UnixConnection.pair(),
        );
        const [r, w] = pipe();
        let running = true;
        const loads = others.map(async ([x, y]) => {
          const msg = new Uint8Array(8), back = new Uint8Array(8);
          while (running) {
            await x.write(msg);
            await y.read(back);
          }
        });
        try {
          const buf = new Uint8Array(64);
          // One wait parks first, so the engine watches the socket.
          const first = b.read(buf);
          await a.write(new Uint8Array([1]));
          assert.equal(await first, 1);
          await a.sendFds([r], new Uint8Array([2, 2]));
          await a.write(new Uint8Array([3, 3, 3]));
          // While the others keep the engine taking events, it takes the
          // ones these writes made too: the read of the 3 bytes, after the
          // short read of the 2, has no event left to wake it.
          if (load !== 0) await new Promise((r) => setTimeout(r, 20));
          // Within 500 ms: without the engine's check the bytes would wait
          // for its sweep of old registrations, 1 to 2 s.
          assert.equal(await within(b.read(buf), 500), 2);
          assert.equal(await within(b.read(buf), 500), 3);
          assert.deepEqual([...buf.subarray(0, 3)], [3, 3, 3]);
          // Drained now: bad options are still checked as on any read.
          await assert.rejects(
            b.read(buf, null as unknown as object),
            (e: unknown) =>
              e instanceof TypeError && /Invalid options/.test(e.message),
          );
        } finally {
          running = false;
          await Promise.all(loads);
          for (const c of [a, b, ...others.flat()]) c.close();
          close(r);
          close(w);
        }
      },
    );
  }
});

Deno.test("a bad timeout, signal or options object names the call or method", async () => {
  // These said only 'Option "timeout" is out of range' or 'Invalid
  // options', leaving the caller to find which of their calls it was.
  using ev = EventFd.create();
  using q = MessageQueue.create();
  using map = Mapping.anonymous(64);
  using set = SemaphoreSet.create();
  await withDir(async (dir) => {
    const fd = open(`${dir}/f`, O_RDWR | 0o100, 0o600);
    try {
      const range = (name: string, where: string, value: string) =>
        new RegExp(
          `^RangeError: ${name} to ${
            where.replace(".", "\\.")
          } is out of range: "${value}"`,
        );
      const cases: [string, () => unknown, RegExp][] = [
        [
          "EventFd.readSync",
          () => ev.readSync({ timeout: -1 }),
          range('Option "timeout"', "EventFd.readSync", "-1"),
        ],
        [
          "EventFd.read",
          () => ev.read(null as never),
          /^TypeError: Invalid options to EventFd\.read: expected an object, got "null"$/,
        ],
        [
          "EventFd.read signal",
          () => ev.read({ signal: 5 as never }),
          /^TypeError: Invalid option "signal" to EventFd\.read: expected an AbortSignal, got "5"$/,
        ],
        [
          "EventFd.readSync signal",
          () => ev.readSync({ signal: new AbortController().signal } as never),
          /^TypeError: Invalid option "signal" to EventFd\.readSync: a blocking call cannot be aborted/,
        ],
        [
          "PipeEnd.openFifoSync",
          () => PipeEnd.openFifoSync(`${dir}/x`, "r", { timeout: -1 }),
          range('Option "timeout"', "PipeEnd.openFifoSync", "-1"),
        ],
        [
          "lockFile",
          () => lockFile(fd, { timeout: NaN }),
          range('Option "timeout"', "lockFile", "NaN"),
        ],
        [
          "lockRangeSync",
          () => lockRangeSync(fd, { timeout: -2 }),
          range('Option "timeout"', "lockRangeSync", "-2"),
        ],
        [
          "lockRange start",
          () => lockRange(fd, { start: -1 }),
          range('Option "start"', "lockRange", "-1"),
        ],
        [
          "MessageQueue.receiveSync",
          () => q.receiveSync({ timeout: -5 }),
          range('Option "timeout"', "MessageQueue.receiveSync", "-5"),
        ],
        [
          "MessageQueue.receive",
          () => q.receive({ signal: 5 as never }),
          /^TypeError: Invalid option "signal" to MessageQueue\.receive: /,
        ],
        [
          "MessageQueue.send",
          () => q.send(1, "x", "soon" as never),
          /^TypeError: Invalid options to MessageQueue\.send: .*"soon"$/,
        ],
        [
          "MessageQueue.sendSync",
          () => q.sendSync(1, "x", { timeout: "1" as never }),
          /^TypeError: Invalid option "timeout" to MessageQueue\.sendSync: expected a number of milliseconds, got "1"$/,
        ],
        [
          "SemaphoreSet.openAsync",
          () => SemaphoreSet.openAsync(privateKey(), { initTimeout: -1 }),
          range('Option "initTimeout"', "SemaphoreSet.openAsync", "-1"),
        ],
        [
          "semop thin",
          () => semopAsync(set.id, [{ num: 0, op: 1 }], { timeout: -1 }),
          range('Option "timeout"', "semopAsync", "-1"),
        ],
        [
          "spawnWithFds env",
          () => spawnWithFds("true", { env: 5 as never }),
          /^TypeError: Invalid option "env" to spawnWithFds: expected an object, got "5"$/,
        ],
        [
          "read offset",
          () => map.memory.read(65),
          range('Argument "offset"', "MemoryRegion.read", "65"),
        ],
        [
          "Mapping.protect",
          () => map.protect("x" as never),
          /^TypeError: Invalid argument "access" to Mapping\.protect: .*got "x"$/,
        ],
        [
          "SharedMemory.create",
          () => SharedMemory.create({ size: 1, ifExists: "x" as never }),
          /^TypeError: Invalid option "ifExists" to SharedMemory\.create: /,
        ],
        // An object where a word goes is shown as what it holds (it read
        // "[object Object]"), and a family as what it was.
        [
          "UnixConnection.pair",
          () => UnixConnection.pair({ type: "dgram" } as never),
          /^TypeError: Invalid argument "type" to UnixConnection\.pair: expected "stream" or "seqpacket", got "\{ type: "dgram" \}"$/,
        ],
        [
          "an object with a function",
          () => readAsync({ fd: 3, close() {} } as never, new Uint8Array(1)),
          /^TypeError: Invalid argument "fd" to read: expected an integer, got "\{ fd: 3, close: function close \}"$/,
        ],
        [
          "an object whose getter throws",
          () =>
            readAsync(
              {
                get fd(): number {
                  throw new Error("boom");
                },
              } as never,
              new Uint8Array(1),
            ),
          /^TypeError: Invalid argument "fd" to read: expected an integer, got "\{ fd: \? \}"$/,
        ],
        [
          "addr.family",
          // (the thin layer's address has its family; the file's
          // descriptor is refused only after the address is read)
          () => bind(fd, { abstract: "x" } as never),
          /^TypeError: Invalid argument "addr.family" to bind: expected "unix", "inet" or "inet6", got "undefined"$/,
        ],
        [
          "a field a Unix address has not",
          // (a Unix address with its family left out has only a name: this
          // said "addr.family" to bind)
          () => UnixListener.listen({ abstract: "x", port: 1 } as never),
          /^TypeError: Unknown field "addr.port" to UnixListener.listen: a Unix address has "path" or "abstract" \(or a "family" of its own\)$/,
        ],
      ];
      for (const [name, call, message] of cases) {
        let error: unknown = null;
        try {
          await call();
        } catch (e) {
          error = e;
        }
        assert.match(String(error), message, name);
      }
    } finally {
      close(fd);
    }
  });
});

Deno.test("the async methods name themselves in an options error, as their Sync twins do", async () => {
  // They named the C call under them ("to recv", "to sem_waitAsync").
  const bad = { signal: 5 } as never;
  const [r, w] = PipeEnd.pipe();
  const [a, b] = UnixConnection.pair();
  using listener = UnixListener.listen(`@linux-ipc-names-${Deno.pid}`);
  using dgram = UnixDatagram.bind(`@linux-ipc-names-d-${Deno.pid}`);
  const name = `/linux-ipc-test-${Deno.pid}-names`;
  const mqOk = mqueueMounted();
  using pq = mqOk ? PosixMessageQueue.open(name, { create: {} }) : null;
  if (mqOk) PosixMessageQueue.unlink(name);
  using ps = PosixSemaphore.open(`${name}-s`, { create: {} });
  PosixSemaphore.unlink(`${name}-s`);
  try {
    const calls: [string, () => Promise<unknown>][] = [
      ["PipeEnd.read", () => r.read(new Uint8Array(1), bad)],
      ["PipeEnd.write", () => w.write(new Uint8Array(1), bad)],
      ["PipeEnd.writeAll", () => w.writeAll(new Uint8Array(1), bad)],
      ["UnixConnection.read", () => a.read(new Uint8Array(1), bad)],
      ["UnixConnection.write", () => a.write(new Uint8Array(1), bad)],
      ["UnixConnection.writeAll", () => a.writeAll(new Uint8Array(1), bad)],
      ["UnixConnection.sendFds", () => a.sendFds([0], undefined, bad)],
      ["UnixConnection.recvFds", () => a.recvFds(bad)],
      ["UnixListener.accept", () => listener.accept(bad)],
      ["UnixDatagram.send", () => dgram.send(new Uint8Array(1), null, bad)],
      ["UnixDatagram.receive", () => dgram.receive(bad)],
      ["PosixSemaphore.wait", () => ps.wait(bad)],
      ["PosixSemaphore.acquire", () => ps.acquire(bad)],
    ];
    if (pq !== null) {
      calls.push(
        ["PosixMessageQueue.send", () => pq.send("x", bad)],
        ["PosixMessageQueue.receive", () => pq.receive(bad)],
        [
          "PosixMessageQueue.receiveInto",
          () => pq.receiveInto(new Uint8Array(8192), bad),
        ],
      );
    }
    for (const [where, call] of calls) {
      await assert.rejects(
        Promise.try(call),
        new TypeError(
          `Invalid option "signal" to ${where}: expected an AbortSignal, got "5"`,
        ),
        where,
      );
    }
  } finally {
    r.close();
    w.close();
    a.close();
    b.close();
  }
});

Deno.test("an object's close() ends its own waits with BadResource, as its later calls throw", async () => {
  // They ended with IpcError EBADF (the System V objects' with BadResource
  // since 0.7.0); EBADF stays for a bare number closed through the thin
  // layer, as C's close gives.
  await withDir(async (dir) => {
    const [r, rw] = PipeEnd.pipe();
    const [wr, w] = PipeEnd.pipe();
    const [a, b] = UnixConnection.pair();
    const [c, d] = UnixConnection.pair("seqpacket");
    const listener = UnixListener.listen(`${dir}/l.sock`);
    const dgram = UnixDatagram.bind(`${dir}/d.sock`);
    const ev = EventFd.create();
    const full = EventFd.create();
    full.writeSync(0xfffffffffffffffen); // the most it holds: a write waits
    using map = Mapping.anonymous(4096);
    const sem = PosixSemaphore.init(map.memory, 0, 0);
    const name = `/linux-ipc-test-${Deno.pid}-closeunder`;
    const q = mqueueMounted()
      ? PosixMessageQueue.open(name, { create: {} })
      : undefined;
    if (q !== undefined) PosixMessageQueue.unlink(name);
    // A write that waits for room: the pipe filled first.
    w.writeAllSync(new Uint8Array(65536));
    const cases: [string, () => Promise<unknown>, () => void][] = [
      ["pipe end", () => r.read(new Uint8Array(1)), () => r.close()],
      ["pipe end", () => w.write(new Uint8Array(1)), () => w.close()],
      ["connection", () => a.read(new Uint8Array(8)), () => a.close()],
      ["connection", () => c.recvFds(), () => c.close()],
      ["listener", () => listener.accept(), () => listener.close()],
      ["datagram socket", () => dgram.receive(), () => dgram.close()],
      ["eventfd", () => ev.read(), () => ev.close()],
      ["eventfd", () => full.write(1n), () => full.close()],
      ["semaphore", () => sem.wait(), () => sem.close()],
    ];
    if (q !== undefined) {
      cases.push(["POSIX message queue", () => q.receive(), () => q.close()]);
    }
    for (const [what, start, stop] of cases) {
      const pending = start();
      await new Promise((res) => setTimeout(res, 10));
      stop();
      await assert.rejects(within(pending, 2000), closedUnder(what));
      // And a call made now throws as the wait ended.
      await assert.rejects(start(), Deno.errors.BadResource);
    }
    for (const end of [rw, wr, b, d]) end.close();
  });
});

Deno.test("the thin async forms name themselves in an options error, and reject", async () => {
  // readAsync, writeAsync, the socket forms and semopAsync named the C
  // call ("to recv"), where the others named the function called.
  const bad = { timout: 5 } as never;
  const [r, w] = thin.pipe();
  const [a, b] = thin.socketpair(thin.AF_UNIX, thin.SOCK_STREAM);
  const ev = thin.eventfd(0);
  const to = {
    family: "unix",
    abstract: `linux-ipc-thin-${Deno.pid}`,
  } as const;
  try {
    const calls: [string, () => Promise<unknown>][] = [
      ["readAsync", () => thin.readAsync(r, new Uint8Array(1), bad)],
      ["writeAsync", () => thin.writeAsync(w, new Uint8Array(1), bad)],
      ["writeAllAsync", () => thin.writeAllAsync(w, new Uint8Array(1), bad)],
      ["recvAsync", () => thin.recvAsync(a, new Uint8Array(1), bad)],
      ["sendAsync", () => thin.sendAsync(a, new Uint8Array(1), bad)],
      ["recvfromAsync", () => thin.recvfromAsync(a, new Uint8Array(1), bad)],
      ["sendtoAsync", () => thin.sendtoAsync(a, new Uint8Array(1), to, bad)],
      [
        "recvmsgAsync",
        () => thin.recvmsgAsync(a, { data: new Uint8Array(1) }, bad),
      ],
      [
        "sendmsgAsync",
        () => thin.sendmsgAsync(a, { data: new Uint8Array(1) }, bad),
      ],
      ["acceptAsync", () => thin.acceptAsync(a, bad)],
      ["connectAsync", () => thin.connectAsync(a, to, bad)],
      ["eventfd_readAsync", () => thin.eventfd_readAsync(ev, bad)],
      ["eventfd_writeAsync", () => thin.eventfd_writeAsync(ev, 1n, bad)],
      ["flockAsync", () => thin.flockAsync(r, thin.LOCK_EX, bad)],
      ["semopAsync", () => thin.semopAsync(1, [{ num: 0, op: 1 }], bad)],
      ["msgrcvAsync", () => thin.msgrcvAsync(1, 8, 0, 0, bad)],
    ];
    for (const [where, call] of calls) {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = call();
      }, where);
      await assert.rejects(
        promise!,
        new TypeError(
          `Unknown option "timout" to ${where}: expected one of "timeout", "signal"`,
        ),
        where,
      );
    }
  } finally {
    for (const fd of [r, w, a, b, ev]) thin.close(fd);
  }
});

await checkLeaksAtEnd();

Deno.test("closing a descriptor ends a wait deferred to the next turn; its number reused is left alone", async () => {
  const [a, b] = UnixConnection.pair();
  // A turn that has run for longer than the engine's TURN_MS defers the
  // wait (with a signal: no fast path) to the next turn of the loop. The
  // turn's clock starts at its first wait.
  const [e, f] = UnixConnection.pair();
  const ac = new AbortController();
  const other = e.read(new Uint8Array(8), { signal: ac.signal });
  const until = performance.now() + 10;
  while (performance.now() < until);
  const reading = a.read(new Uint8Array(8), {
    signal: new AbortController().signal,
  });
  const number = a.fd;
  a.close();
  // The number comes back at once for the next descriptor.
  const [c, d] = UnixConnection.pair();
  try {
    const taken = [c.fd, d.fd].includes(number);
    d.writeSync(new Uint8Array([1, 2, 3]));
    c.writeSync(new Uint8Array([4, 5, 6]));
    await assert.rejects(reading, closedUnder("connection"));
    ac.abort();
    await assert.rejects(other, { name: "AbortError" });
    if (taken) {
      // The deferred read took nothing from whichever end got the number.
      const got = new Uint8Array(8);
      assert.equal(c.readSync(got), 3);
      assert.equal(d.readSync(got), 3);
    }
    assert.ok(taken, `the number ${number} was not reused`);
  } finally {
    for (const x of [b, c, d, e, f]) x.close();
  }
});
