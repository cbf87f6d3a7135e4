import assert from "node:assert/strict";
import {
  close,
  EFD_MAX,
  EFD_NONBLOCK,
  EFD_SEMAPHORE,
  EventFd,
  eventfd,
  eventfd_read,
  eventfd_readAsync,
  eventfd_write,
  eventfd_writeAsync,
  pipe,
  spawnWithFds,
} from "../mod.ts";
import {
  checkLeaksAtEnd,
  closedUnder,
  isCode,
  ROOT,
  which,
} from "./_helpers.ts";

Deno.test("eventfd: a counter that writes add to and a read takes", () => {
  const fd = eventfd(5, EFD_NONBLOCK);
  try {
    eventfd_write(fd, 2n);
    eventfd_write(fd, 3);
    assert.equal(eventfd_read(fd), 10n);
    assert.throws(() => eventfd_read(fd), isCode("EAGAIN", "read", "fd"));
    // The largest value the counter holds; one more would overflow.
    eventfd_write(fd, EFD_MAX);
    assert.throws(() => eventfd_write(fd, 1n), isCode("EAGAIN", "write"));
    assert.equal(eventfd_read(fd), EFD_MAX);
  } finally {
    close(fd);
  }
});

Deno.test("eventfd: EFD_SEMAPHORE reads take 1 at a time", () => {
  const fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  try {
    assert.equal(eventfd_read(fd), 1n);
    assert.equal(eventfd_read(fd), 1n);
    assert.throws(() => eventfd_read(fd), isCode("EAGAIN"));
  } finally {
    close(fd);
  }
});

Deno.test("eventfd: bad input is a typed error before the call", () => {
  assert.throws(() => eventfd(-1), RangeError);
  assert.throws(() => eventfd(2 ** 32), RangeError);
  assert.throws(() => eventfd(0, 0x40), RangeError);
  const fd = eventfd();
  try {
    assert.throws(() => eventfd_write(fd, -1n), RangeError);
    assert.throws(() => eventfd_write(fd, EFD_MAX + 1n), RangeError);
    assert.throws(() => eventfd_write(fd, 1.5), TypeError);
    assert.throws(() => eventfd_write(fd, "1" as unknown as number), TypeError);
    // An integer past 2^53 - 1 is not exact as a number: a RangeError that
    // says to pass a bigint (it was "expected a bigint or an integer").
    assert.throws(
      () => eventfd_write(fd, 2 ** 60),
      /^RangeError: .*"value" to eventfd_write .*not a safe integer.*pass a bigint$/,
    );
  } finally {
    close(fd);
  }
  assert.throws(() => eventfd_read(fd), isCode("EBADF", "read", "fd"));
  assert.throws(() => eventfd_write(fd, 1n), isCode("EBADF", "write", "fd"));
  assert.throws(() => eventfd_read(-1), RangeError);
});

Deno.test("eventfd: async reads wait on the reactor, with timeout, signal and close", async () => {
  const fd = eventfd();
  try {
    setTimeout(() => eventfd_write(fd, 7n), 20);
    assert.equal(await eventfd_readAsync(fd, { timeout: 5000 }), 7n);
    await assert.rejects(
      eventfd_readAsync(fd, { timeout: 20 }),
      isCode("ETIMEDOUT", "read"),
    );
    const ac = new AbortController();
    const aborted = eventfd_readAsync(fd, { signal: ac.signal });
    ac.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    await assert.rejects(
      eventfd_readAsync(fd, { signal: "no" as unknown as AbortSignal }),
      TypeError,
    );
    // Nothing was taken by the waits that ended.
    eventfd_write(fd, 1n);
    assert.equal(await eventfd_readAsync(fd), 1n);
    // A full counter: the write waits for a read.
    eventfd_write(fd, EFD_MAX);
    const writing = eventfd_writeAsync(fd, 5n, { timeout: 5000 });
    setTimeout(() => eventfd_read(fd), 20);
    await writing;
    assert.equal(eventfd_read(fd), 5n);
    await assert.rejects(eventfd_writeAsync(fd, -1n), RangeError);
  } finally {
    const pending = eventfd_readAsync(fd);
    close(fd);
    await assert.rejects(pending, isCode("EBADF"));
  }
});

Deno.test("EventFd: create, read and write in both forms, fromFd, close twice", async () => {
  using ev = EventFd.create({ initial: 3, semaphore: true });
  assert.equal(ev.readSync(), 1n);
  assert.equal(await ev.read(), 1n);
  ev.writeSync(4);
  await ev.write();
  let sum = 0n;
  for (let i = 0; i < 6; i++) sum += ev.readSync({ timeout: 100 });
  assert.equal(sum, 6n);
  assert.throws(() => ev.readSync({ timeout: 10 }), isCode("ETIMEDOUT"));
  await assert.rejects(ev.read({ timeout: 10 }), isCode("ETIMEDOUT"));
  assert.throws(() => ev.writeSync(-1), RangeError);
  await assert.rejects(ev.write(EFD_MAX + 1n), RangeError);
  assert.throws(() => EventFd.create({ initial: -1 }), RangeError);
  assert.throws(
    () => EventFd.create(null as unknown as Record<string, never>),
    TypeError,
  );

  const [r, w] = pipe();
  try {
    assert.throws(() => EventFd.fromFd(r), /a FIFO, not an eventfd/);
  } finally {
    close(r);
    close(w);
  }
  const other = EventFd.fromFd(eventfd(9));
  assert.equal(await other.read(), 9n);
  const waiting = other.read();
  other.close();
  other.close();
  assert.equal(other.closed, true);
  await assert.rejects(waiting, closedUnder("eventfd"));
  assert.throws(() => other.readSync(), Deno.errors.BadResource);
  assert.throws(() => other.fd, Deno.errors.BadResource);
});

Deno.test("EventFd names a bad value or initial value under the method called", async () => {
  // They said "value" to eventfd_write and "initval" to eventfd.
  assert.throws(
    () => EventFd.create({ initial: -1 }),
    /^RangeError: Argument "initial" to EventFd\.create is out of range: "-1"/,
  );
  using ev = EventFd.create();
  await assert.rejects(
    () => ev.write(-1n),
    /^RangeError: Argument "value" to EventFd\.write is out of range/,
  );
  assert.throws(
    () => ev.writeSync(1.5),
    /^TypeError: Invalid argument "value" to EventFd\.writeSync: expected a bigint or an integer, got "1\.5"$/,
  );
});

Deno.test("eventfd: signalled across processes, by a Deno child and by Python", async (t) => {
  await t.step("a Deno child writes to the eventfd it was handed", async () => {
    using ev = EventFd.create();
    const child = spawnWithFds(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-ffi",
        "--allow-run",
        "--allow-env",
        `${ROOT}examples/eventfd.ts`,
        "--child",
        "--interval=5",
      ],
      fds: { 3: ev.fd },
    });
    let total = 0n;
    while (total < 103n) total += await ev.read({ timeout: 30_000 });
    assert.equal(total, 103n);
    assert.equal((await child.status).code, 0);
  });
  await t.step(
    "Python's os.eventfd_read takes what this process writes, and back",
    async () => {
      if (which("python3") === null) return;
      // The value is there before the child starts: the description is
      // shared, and this process's async calls make it non-blocking.
      using ev = EventFd.create({ initial: 21 });
      const child = spawnWithFds("python3", {
        args: [
          "-c",
          "import os\nv = os.eventfd_read(3)\nos.eventfd_write(3, v * 2)\n",
        ],
        fds: { 3: ev.fd },
      });
      assert.equal((await child.status).code, 0);
      assert.equal(await ev.read({ timeout: 5000 }), 42n);
    },
  );
});

Deno.test("eventfd: a child's blocking reads keep working while this process waits asynchronously", async () => {
  if (which("python3") === null) return;
  using a = EventFd.create(), b = EventFd.create();
  // spawnWithFds hands them over in blocking mode, as C and Python expect;
  // the async calls here must not switch the shared description back.
  const child = spawnWithFds("python3", {
    args: [
      "-c",
      "import os, time\ntime.sleep(0.3)\nv = os.eventfd_read(3)\nos.eventfd_write(4, v * 2)\n",
    ],
    fds: { 3: a.fd, 4: b.fd },
  });
  await assert.rejects(a.read({ timeout: 10 }), isCode("ETIMEDOUT"));
  const answer = b.read({ timeout: 10_000 });
  await new Promise((r) => setTimeout(r, 600));
  a.writeSync(5n);
  assert.equal(await answer, 10n);
  assert.equal((await child.status).code, 0);
  // A sync read with a timeout on a blocking description still times out.
  assert.throws(() => a.readSync({ timeout: 20 }), isCode("ETIMEDOUT"));
});

await checkLeaksAtEnd();
