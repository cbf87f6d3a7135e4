// File locks: flock, fcntl record and OFD locks, sync and async, against
// util-linux flock(1), Python's fcntl.flock/fcntl.lockf and a C peer, a
// holder killed with SIGKILL, EDEADLK, and bad input.
import assert from "node:assert/strict";
import {
  close,
  F_GETLK,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_RDLCK,
  F_SETLK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  fcntl_lock,
  fcntl_lockAsync,
  flock,
  flockAsync,
  IpcError,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
  lockFile,
  lockFileSync,
  type LockHold,
  lockRange,
  lockRangeSync,
  O_RDONLY,
  O_RDWR,
  open,
  PipeEnd,
  testRange,
} from "../mod.ts";
import {
  checkLeaksAtEnd,
  cProgram,
  isCode,
  ROOT,
  run,
  seeded,
  which,
  withDir,
  within,
} from "./_helpers.ts";

/** Lines of a child's stdout, one at a time; `close` lets go of the pipe. */
interface Lines {
  (): Promise<string>;
  close(): Promise<void>;
}

function lines(child: Deno.ChildProcess): Lines {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const next = async () => {
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) {
        const rest = buf;
        buf = "";
        return rest;
      }
      buf += value;
    }
  };
  return Object.assign(next, {
    close: async () => {
      // Read to the end: the child's stdout is closed once it exits.
      while (!(await reader.read()).done) { /* drain */ }
    },
  });
}

async function withFile(
  fn: (path: string) => void | Promise<void>,
): Promise<void> {
  await withDir(async (dir) => {
    const path = `${dir}/lockfile`;
    await Deno.writeTextFile(path, "0123456789");
    await fn(path);
  });
}

Deno.test("flock: two open file descriptions contend; LOCK_NB; async waits", async () => {
  await withFile(async (path) => {
    const a = open(path, O_RDWR), b = open(path, O_RDWR);
    try {
      flock(a, LOCK_EX);
      assert.throws(
        () => flock(b, LOCK_SH | LOCK_NB),
        isCode("EAGAIN", "flock"),
      );
      await assert.rejects(
        flockAsync(b, LOCK_EX, { timeout: 30 }),
        isCode("ETIMEDOUT", "flock"),
      );
      const ac = new AbortController();
      const aborted = flockAsync(b, LOCK_EX, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error("stop")), 20);
      await assert.rejects(aborted, /stop/);
      setTimeout(() => flock(a, LOCK_UN), 30);
      await within(flockAsync(b, LOCK_EX, { timeout: 5000 }), 5000);
      assert.throws(() => flock(a, LOCK_EX | LOCK_NB), isCode("EAGAIN"));
      flock(b, LOCK_UN);
      flock(a, LOCK_SH);
      flock(b, LOCK_SH | LOCK_NB); // shared with shared
    } finally {
      close(a);
      close(b);
    }
    assert.throws(() => flock(a, LOCK_EX), isCode("EBADF", "flock", "fd"));
    assert.throws(() => flock(b, 3), RangeError);
    assert.throws(() => flock(b, 16), RangeError);
    await assert.rejects(flockAsync(b, LOCK_EX, { timeout: NaN }), RangeError);
  });
});

Deno.test("closing the descriptor ends a pending lock wait; the number's next file is never locked", async () => {
  await withFile(async (path) => {
    await withFile(async (other) => {
      const holder = open(path, O_RDWR);
      try {
        flock(holder, LOCK_EX);
        fcntl_lock(holder, F_OFD_SETLK, { type: F_WRLCK });
        for (const take of ["flock", "fcntl"]) {
          const fd = open(path, O_RDWR);
          const waiting = take === "flock"
            ? flockAsync(fd, LOCK_EX)
            : fcntl_lockAsync(fd, F_OFD_SETLKW, { type: F_WRLCK });
          await new Promise((r) => setTimeout(r, 20));
          close(fd);
          await assert.rejects(within(waiting, 5000), isCode("EBADF", take));
          // The number now means another file; releasing the holder must
          // not make an ended wait lock it.
          const next = open(other, O_RDWR);
          try {
            assert.equal(next, fd);
            flock(holder, LOCK_UN);
            fcntl_lock(holder, F_OFD_SETLK, { type: F_UNLCK });
            await new Promise((r) => setTimeout(r, 50));
            const probe = open(other, O_RDWR);
            try {
              flock(probe, LOCK_EX | LOCK_NB);
              fcntl_lock(probe, F_OFD_SETLK, { type: F_WRLCK });
            } finally {
              close(probe);
            }
            flock(holder, LOCK_EX);
            fcntl_lock(holder, F_OFD_SETLK, { type: F_WRLCK });
          } finally {
            close(next);
          }
        }
      } finally {
        close(holder);
      }
    });
  });
});

Deno.test("a lock call a helper thread may still be making keeps its number until the thread lets go", async () => {
  await withFile(async (path) => {
    await withFile(async (other) => {
      const holder = open(path, O_RDWR);
      try {
        flock(holder, LOCK_EX);
        const fd = open(path, O_RDWR);
        const waiting = flockAsync(fd, LOCK_EX).then(() => null, (e) => e);
        // Long enough for a helper thread to be up and in the call.
        await new Promise((r) => setTimeout(r, 300));
        close(fd);
        // At once, before the thread has let go: the number is not free,
        // so the call it may still be entering cannot reach this file.
        const next = open(other, O_RDWR);
        try {
          assert.notEqual(next, fd);
          assert.throws(() => close(fd), isCode("EBADF", "close"));
          assert.ok(isCode("EBADF", "flock")(await within(waiting, 5000)));
          // Freed by then.
          assert.throws(() => close(fd), isCode("EBADF", "close"));
        } finally {
          close(next);
        }
      } finally {
        close(holder);
      }
    });
  });
});

Deno.test("fcntl locks: record and OFD, GETLK reports the holder, bad input", async () => {
  await withFile(async (path) => {
    const a = open(path, O_RDWR), b = open(path, O_RDWR);
    const ro = open(path, O_RDONLY);
    try {
      // OFD locks of two descriptions conflict within one process.
      fcntl_lock(a, F_OFD_SETLK, { type: F_WRLCK, start: 0, len: 5 });
      assert.throws(
        () => fcntl_lock(b, F_OFD_SETLK, { type: F_RDLCK, start: 4, len: 1 }),
        isCode("EAGAIN", "fcntl", "lock"),
      );
      fcntl_lock(b, F_OFD_SETLK, { type: F_WRLCK, start: 5, len: 5 });
      const seen = fcntl_lock(b, F_OFD_GETLK, {
        type: F_WRLCK,
        start: 0,
        len: 1,
      });
      assert.deepEqual(
        { ...seen },
        { type: F_WRLCK, whence: 0, start: 0, len: 5, pid: -1 },
      );
      const found = testRange(b, { start: 2, length: 1 });
      assert.equal(found?.start, 0);
      assert.equal(testRange(b, { start: 20, length: 1 }), null);
      const later = fcntl_lockAsync(
        b,
        F_OFD_SETLKW,
        { type: F_WRLCK, len: 1 },
        {
          timeout: 5000,
        },
      );
      setTimeout(
        () => fcntl_lock(a, F_OFD_SETLK, { type: F_UNLCK, start: 0, len: 5 }),
        30,
      );
      await within(later, 5000);
      // Record locks are the process's: they never conflict within it.
      fcntl_lock(a, F_SETLK, { type: F_WRLCK, start: 100, len: 10 });
      assert.equal(
        fcntl_lock(b, F_GETLK, { type: F_WRLCK, start: 100, len: 1 }).type,
        F_UNLCK,
      );
      // A write lock needs a descriptor open for writing.
      assert.throws(
        () => fcntl_lock(ro, F_SETLK, { type: F_WRLCK }),
        isCode("EBADF", "fcntl", "fd"),
      );
    } finally {
      close(a);
      close(b);
      close(ro);
    }
    assert.throws(() => fcntl_lock(a, F_SETLK, { type: 7 }), RangeError);
    assert.throws(() => fcntl_lock(a, 99, { type: F_WRLCK }), RangeError);
    assert.throws(() => fcntl_lock(a, F_SETLK, null as never), TypeError);
    assert.throws(
      () => fcntl_lock(a, F_SETLK, { type: F_WRLCK, start: 0.5 }),
      TypeError,
    );
    await assert.rejects(
      fcntl_lockAsync(a, F_SETLK, { type: F_WRLCK }),
      RangeError,
    );
  });
});

Deno.test("lockFile and lockRange: using releases; Sync twins with timeouts", async () => {
  await withFile(async (path) => {
    const a = open(path, O_RDWR), b = open(path, O_RDWR);
    try {
      {
        using held = await lockFile(a);
        assert.equal(held.released, false);
        assert.throws(
          () => lockFileSync(b, { timeout: 20 }),
          isCode("ETIMEDOUT", "flock"),
        );
        await assert.rejects(lockFile(b, { timeout: 20 }), isCode("ETIMEDOUT"));
        using _shared = lockFileSync(a, { mode: "shared" }); // converts a's lock
      }
      using _b = lockFileSync(b, { timeout: 100 });
      {
        using _r = await lockRange(a, { start: 0, length: 4 });
        assert.throws(
          () =>
            lockRangeSync(b, {
              mode: "read",
              start: 3,
              length: 1,
              timeout: 20,
            }),
          isCode("ETIMEDOUT", "fcntl"),
        );
        using _other = lockRangeSync(b, { start: 4, length: 4, timeout: 100 });
      }
      using _again = lockRangeSync(b, { start: 0, length: 4 });
      assert.throws(
        () => lockFileSync(a, { mode: "x" as "shared" }),
        /Invalid option "mode" to lockFileSync: expected "exclusive" or "shared", got "x"$/,
      );
      // Each kind's words, named when given to the other.
      assert.throws(
        () => lockFileSync(a, { mode: "write" as "shared" }),
        /to lockFileSync: .*\("write" is a range lock's word: a whole-file lock is "exclusive"\)/,
      );
      await assert.rejects(
        lockRange(a, { mode: "shared" as "read" }),
        /to lockRange: .*\("shared" is a whole-file lock's word: a range lock is "read", as F_WRLCK and F_RDLCK\)/,
      );
      await assert.rejects(lockRange(a, null as never), TypeError);
    } finally {
      close(a);
      close(b);
    }
  });
});

/** `count` descriptors of one file, each its own open file description. */
async function withDescriptors(
  count: number,
  fn: (fds: number[]) => Promise<void>,
): Promise<void> {
  await withFile(async (path) => {
    const fds = Array.from({ length: count }, () => open(path, O_RDWR));
    try {
      await fn(fds);
    } finally {
      fds.forEach(close);
    }
  });
}

/** Whether another open file description could `flock` the file now. */
function flockFree(other: number, operation: number): boolean {
  try {
    flock(other, operation | LOCK_NB);
    flock(other, LOCK_UN);
    return true;
  } catch (e) {
    if (e instanceof IpcError && e.code === "EAGAIN") return false;
    throw e;
  }
}

/** Whether another open file description could take these bytes now. */
function free(
  other: number,
  mode: "read" | "write",
  start: number,
  length: number,
) {
  return testRange(other, { mode, start, length }) === null;
}

Deno.test("lockRange: holds of one owner add up; a release keeps what others need", async () => {
  await withDescriptors(2, async ([a, other]) => {
    {
      using outer = await lockRange(a, { start: 0, length: 100 });
      {
        using _inner = await lockRange(a, { start: 10, length: 10 });
      }
      // The inner release left the outer hold whole: no hole at 10..19.
      assert.equal(free(other, "read", 15, 1), false);
      assert.equal(outer.released, false);
      {
        // A read hold inside a write hold asks for nothing: the bytes
        // stay write-locked while it lives and after.
        using _r = lockRangeSync(a, { mode: "read", start: 10, length: 10 });
        assert.equal(free(other, "read", 15, 1), false);
      }
      assert.equal(free(other, "read", 15, 1), false);
    }
    assert.equal(free(other, "write", 0, 0), true);
    {
      using _r = await lockRange(a, { mode: "read", start: 0, length: 100 });
      {
        using _w = await lockRange(a, { start: 40, length: 10 });
        assert.equal(free(other, "read", 45, 1), false);
      }
      // Back to the read lock the outer hold took, not unlocked.
      assert.equal(free(other, "read", 45, 1), true);
      assert.equal(free(other, "write", 45, 1), false);
      {
        // Overlapping on one side: releasing the first keeps the second.
        const first = lockRangeSync(a, { start: 200, length: 100 });
        using _second = await lockRange(a, { start: 250, length: 100 });
        first.release();
        first.release();
        assert.equal(first.released, true);
        assert.equal(free(other, "write", 210, 1), true);
        assert.equal(free(other, "write", 260, 1), false);
        assert.equal(free(other, "write", 340, 1), false);
      }
      assert.equal(free(other, "write", 260, 1), true);
      assert.equal(free(other, "write", 5, 1), false);
    }
    assert.equal(free(other, "write", 0, 0), true);
    // A negative length names the bytes before start, as in C.
    {
      using _back = lockRangeSync(a, { start: 20, length: -10 });
      assert.equal(free(other, "write", 9, 1), true);
      assert.equal(free(other, "write", 10, 1), false);
      assert.equal(free(other, "write", 19, 1), false);
      assert.equal(free(other, "write", 20, 1), true);
    }
    assert.throws(() => lockRangeSync(a, { start: -1 }), RangeError);
    assert.throws(
      () => lockRangeSync(a, { start: 5, length: -6 }),
      RangeError,
    );
    await assert.rejects(lockRange(a, { start: 0.5 }), RangeError);
    assert.equal(free(other, "write", 0, 0), true);
  });
});

Deno.test("lockRange with ofd: false: the process's holds add up across descriptors", async () => {
  await withDescriptors(3, async ([a, b, other]) => {
    const first = await lockRange(a, { start: 0, length: 10, ofd: false });
    {
      using _second = lockRangeSync(b, { start: 5, length: 10, ofd: false });
      first.release();
      assert.equal(free(other, "write", 2, 1), true);
      assert.equal(free(other, "write", 7, 1), false);
    }
    assert.equal(free(other, "write", 0, 0), true);
  });
});

Deno.test("lockFile: holds of one descriptor add up; a failed upgrade keeps the shared lock", async () => {
  await withDescriptors(3, async ([a, b, c]) => {
    const exclusiveFree = () => flockFree(c, LOCK_EX);
    const sharedFree = () => flockFree(c, LOCK_SH);
    {
      using _x = await lockFile(a);
      {
        // Nested shared hold: the lock stays exclusive, during and after.
        using _s = await lockFile(a, { mode: "shared" });
        assert.equal(sharedFree(), false);
      }
      assert.equal(sharedFree(), false);
    }
    assert.equal(exclusiveFree(), true);
    {
      using _s = lockFileSync(a, { mode: "shared" });
      const x = await lockFile(a, { timeout: 1000 });
      x.release();
      // Releasing the exclusive hold leaves the shared one: shared.
      assert.equal(sharedFree(), true);
      assert.equal(exclusiveFree(), false);
    }
    assert.equal(exclusiveFree(), true);
    {
      using s = lockFileSync(a, { mode: "shared" });
      using _b = lockFileSync(b, { mode: "shared" });
      // b's shared lock stops the upgrade; Linux gives a's shared lock
      // up on the way, and the library takes it back.
      await assert.rejects(lockFile(a, { timeout: 20 }), isCode("ETIMEDOUT"));
      assert.throws(
        () => lockFileSync(a, { timeout: 10 }),
        isCode("ETIMEDOUT"),
      );
      assert.equal(s.released, false);
      flock(b, LOCK_UN);
      assert.equal(exclusiveFree(), false);
    }
    assert.equal(exclusiveFree(), true);
  });
});

Deno.test("lock holds: one owner's waits on overlapping bytes go in order", async () => {
  await withDescriptors(2, async ([a, other]) => {
    const blocker = lockRangeSync(other, { start: 0, length: 10 });
    // A read wait, then a write wait over the same bytes: were both
    // granted at once in either order, the read could turn the write
    // hold's bytes into a read lock.
    const read = lockRange(a, { mode: "read", start: 0, length: 10 });
    const write = lockRange(a, { start: 0, length: 20, timeout: 5000 });
    // A blocking wait could keep the pending ones from ever ending.
    assert.throws(
      () => lockRangeSync(a, { start: 5, length: 1, timeout: 10 }),
      isCode("EDEADLK", "fcntl"),
    );
    // One that times out while waiting its turn leaves nothing behind.
    await assert.rejects(
      lockRange(a, { start: 15, length: 1, timeout: 20 }),
      isCode("ETIMEDOUT", "fcntl"),
    );
    const ac = new AbortController();
    const aborted = lockRange(a, { start: 3, length: 1, signal: ac.signal });
    ac.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    using _far = lockRangeSync(a, { start: 1000, length: 1 }); // no overlap
    blocker.release();
    using r = await read;
    using w = await write;
    assert.equal(free(other, "read", 5, 1), false);
    r.release();
    assert.equal(free(other, "read", 5, 1), false);
    w.release();
    assert.equal(free(other, "read", 5, 1), true);
    assert.equal(free(other, "write", 1000, 1), false);
  });
});

Deno.test("a hold whose descriptor was closed never unlocks the number's next file", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/one`, "1");
    await Deno.writeTextFile(`${dir}/two`, "2");
    const a = open(`${dir}/one`, O_RDWR);
    const old = lockRangeSync(a, {});
    const oldFile = lockFileSync(a);
    close(a);
    // The close ended their locks, and the holds say so.
    assert.equal(old.released, true);
    assert.equal(oldFile.released, true);
    const b = open(`${dir}/two`, O_RDWR); // most likely a's number again
    const other = open(`${dir}/two`, O_RDWR);
    try {
      using _range = lockRangeSync(b, {});
      using _file = lockFileSync(b);
      old.release();
      oldFile.release();
      assert.equal(free(other, "write", 0, 0), false);
      assert.throws(() => flock(other, LOCK_EX | LOCK_NB), isCode("EAGAIN"));
    } finally {
      close(b);
      close(other);
    }
  });
});

Deno.test("lockRange holds in a random order: the kernel's locks are always what the live holds need", async () => {
  // A seeded model check: after each hold taken or released, every byte
  // is locked at the highest mode of the live holds over it, seen from
  // another open file description. Record locks mix two descriptors.
  await withDescriptors(3, async ([a, b, other]) => {
    const rnd = seeded(12345);
    const width = 24;
    for (const ofd of [true, false]) {
      const holds: { lo: number; hi: number; level: number; h: LockHold }[] =
        [];
      for (let step = 0; step < 300; step++) {
        if (holds.length > 0 && rnd(3) === 0) {
          holds.splice(rnd(holds.length), 1)[0].h.release();
        } else {
          const lo = rnd(width),
            length = rnd(3) === 0 ? 0 : 1 + rnd(width - lo);
          const level = 1 + rnd(2);
          const fd = ofd || rnd(2) === 0 ? a : b;
          const opts = {
            mode: level === 2 ? "write" as const : "read" as const,
            start: lo,
            length,
            ofd,
          };
          const h = rnd(2) === 0
            ? lockRangeSync(fd, opts)
            : await lockRange(fd, opts);
          holds.push({
            lo,
            hi: length === 0 ? Infinity : lo + length,
            level,
            h,
          });
        }
        for (let x = 0; x < width + 2; x++) {
          let want = 0;
          for (const h of holds) {
            if (h.lo <= x && x < h.hi) want = Math.max(want, h.level);
          }
          const got = !free(other, "read", x, 1)
            ? 2
            : !free(other, "write", x, 1)
            ? 1
            : 0;
          assert.equal(got, want, `ofd ${ofd}, step ${step}, byte ${x}`);
        }
      }
      for (const h of holds) h.h.release();
      assert.equal(free(other, "write", 0, 0), true);
    }
  });
});

Deno.test("a lock left to the close is taken again after the file is reopened", async () => {
  await withFile(async (path) => {
    const other = open(path, O_RDWR);
    try {
      for (let i = 0; i < 3; i++) {
        // The same number for the same file each time: the holds of the
        // last round must not make this round's locks look taken already.
        const fd = open(path, O_RDWR);
        await lockRange(fd, { length: 5 }); // ended by the close
        lockFileSync(fd);
        assert.equal(free(other, "write", 0, 1), false);
        assert.throws(() => flock(other, LOCK_EX | LOCK_NB), isCode("EAGAIN"));
        close(fd);
        assert.equal(free(other, "write", 0, 1), true);
      }
      // Record locks: closing any descriptor of the file ends them all.
      const a = open(path, O_RDWR), b = open(path, O_RDWR);
      const held = lockRangeSync(a, { ofd: false });
      close(b);
      assert.equal(held.released, true);
      assert.equal(free(other, "write", 0, 0), true);
      using again = lockRangeSync(a, { ofd: false });
      assert.equal(free(other, "write", 0, 0), false);
      close(a);
      assert.equal(again.released, true);
    } finally {
      close(other);
    }
  });
});

Deno.test("util-linux flock(1) contends with lockFile, both directions", async () => {
  if (which("flock") === null) return;
  await withFile(async (path) => {
    const fd = open(path, O_RDWR);
    try {
      {
        using _held = await lockFile(fd);
        assert.equal((await run("flock", ["-n", path, "true"])).code, 1);
      }
      assert.equal((await run("flock", ["-n", path, "true"])).code, 0);
      const holder = new Deno.Command("flock", {
        args: [path, "-c", "echo locked; sleep 0.4"],
        stdout: "piped",
      }).spawn();
      const next = lines(holder);
      assert.equal(await next(), "locked");
      const start = performance.now();
      {
        using _held = await lockFile(fd, { timeout: 10_000 });
        assert.ok(performance.now() - start > 100, "waited for flock(1)");
      }
      await holder.status;
      await next.close();
    } finally {
      close(fd);
    }
  });
});

Deno.test("Python's fcntl.flock and fcntl.lockf contend with the library, both directions", async () => {
  if (which("python3") === null) return;
  await withFile(async (path) => {
    const fd = open(path, O_RDWR);
    try {
      const py = (code: string) => run("python3", ["-c", code]);
      {
        using _f = await lockFile(fd);
        using _r = await lockRange(fd, { start: 0, length: 0 });
        const out = await py(`
import fcntl
f = open("${path}", "r+")
for name, call in (("flock", lambda: fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)),
                   ("lockf", lambda: fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB))):
    try:
        call(); print(name, "got")
    except OSError:
        print(name, "busy")
`);
        assert.equal(out.stdout, "flock busy\nlockf busy\n", out.stderr);
      }
      // Python holds both; the library waits for them.
      const holder = new Deno.Command("python3", {
        args: [
          "-c",
          `
import fcntl, sys, time
f = open("${path}", "r+")
fcntl.flock(f, fcntl.LOCK_EX)
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(0.4)
`,
        ],
        stdout: "piped",
      }).spawn();
      const next = lines(holder);
      assert.equal(await next(), "locked");
      assert.throws(() => flock(fd, LOCK_EX | LOCK_NB), isCode("EAGAIN"));
      assert.notEqual(testRange(fd), null);
      using _r = await lockRange(fd, { timeout: 10_000 });
      using _f = await lockFile(fd, { timeout: 10_000 });
      await holder.status;
      await next.close();
    } finally {
      close(fd);
    }
  });
});

Deno.test("a C peer's record and OFD locks contend with the library's", async () => {
  const peer = await cProgram("lock_peer");
  if (peer === null) return;
  await withFile(async (path) => {
    const fd = open(path, O_RDWR);
    try {
      for (const ofd of [false, true]) {
        const tail = ofd ? ["ofd"] : [];
        {
          using _r = await lockRange(fd, { start: 2, length: 3, ofd });
          assert.equal(
            (await run(peer, ["try", path, "r", "4", "1", ...tail])).stdout,
            "busy\n",
          );
          assert.equal(
            (await run(peer, ["try", path, "w", "5", "1", ...tail])).stdout,
            "ok\n",
          );
        }
        assert.equal(
          (await run(peer, ["try", path, "w", "2", "3", ...tail])).stdout,
          "ok\n",
        );
        const holder = new Deno.Command(peer, {
          args: ["hold", path, "w", "0", "0", "0.4", ...tail],
          stdout: "piped",
        }).spawn();
        const next = lines(holder);
        assert.equal(await next(), "locked");
        const seen = testRange(fd, { ofd });
        assert.equal(seen?.type, F_WRLCK);
        assert.equal(seen?.pid, ofd ? -1 : holder.pid);
        using _w = await lockRange(fd, { mode: "read", ofd, timeout: 10_000 });
        await holder.status;
        await next.close();
      }
    } finally {
      close(fd);
    }
  });
});

Deno.test("EDEADLK from F_SETLKW, sync and async (the helper thread's call)", async () => {
  const peer = await cProgram("lock_peer");
  if (peer === null) return;
  for (const form of ["sync", "async"] as const) {
    await withFile(async (path) => {
      const fd = open(path, O_RDWR);
      const child = new Deno.Command(peer, {
        args: ["cross", path],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      try {
        fcntl_lock(fd, F_SETLK, { type: F_WRLCK, start: 0, len: 1 });
        const next = lines(child);
        assert.equal(await next(), "holding");
        const w = child.stdin.getWriter();
        await w.write(new TextEncoder().encode("go\n"));
        await w.close();
        // The peer now waits for byte 0, which this process holds.
        await new Promise((r) => setTimeout(r, 200));
        const want = { type: F_WRLCK, start: 1, len: 1 };
        if (form === "sync") {
          assert.throws(
            () => fcntl_lock(fd, F_SETLKW, want),
            isCode("EDEADLK", "fcntl", "lock"),
          );
        } else {
          await assert.rejects(
            within(
              fcntl_lockAsync(fd, F_SETLKW, want, { timeout: 10_000 }),
              10_000,
            ),
            isCode("EDEADLK", "fcntl", "lock"),
          );
        }
        fcntl_lock(fd, F_SETLK, { type: F_UNLCK, start: 0, len: 1 });
        assert.equal(await next(), "got");
        await next.close();
      } finally {
        close(fd);
        await child.status;
      }
    });
  }
});

Deno.test("a lock held by a process killed with SIGKILL is released", async () => {
  await withFile(async (path) => {
    const dir = path.slice(0, path.lastIndexOf("/"));
    const script = `${dir}/holder.ts`;
    await Deno.writeTextFile(
      script,
      `import { lockFile, lockRange, open, O_RDWR } from "${ROOT}mod.ts";
const fd = open("${path}", O_RDWR);
await lockFile(fd);
await lockRange(fd, { ofd: false });
console.log("locked");
setTimeout(() => {}, 60_000);
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-ffi",
        `--allow-read=${path}`,
        `--allow-write=${path}`,
        script,
      ],
      stdout: "piped",
    }).spawn();
    const next = lines(child);
    assert.equal(await next(), "locked");
    const fd = open(path, O_RDWR);
    try {
      assert.throws(() => flock(fd, LOCK_EX | LOCK_NB), isCode("EAGAIN"));
      assert.equal(testRange(fd, { ofd: false })?.pid, child.pid);
      child.kill("SIGKILL");
      using _f = await lockFile(fd, { timeout: 10_000 });
      using _r = await lockRange(fd, { timeout: 10_000 });
      assert.equal((await child.status).signal, "SIGKILL");
      await next.close();
    } finally {
      close(fd);
    }
  });
});

Deno.test("example: t_flock waits for another t_flock, and --nb gives up (TLPI 55-1)", async () => {
  await withFile(async (path) => {
    const flags = ["--allow-ffi", `--allow-read=${path}`];
    const start = (...args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          ...flags,
          `${ROOT}examples/t_flock.ts`,
          ...args,
        ],
        stdout: "piped",
      }).spawn();
    const first = start(path, "x", "0.5");
    const next = lines(first);
    assert.match(await next(), /requesting an exclusive lock/);
    assert.match(await next(), /granted an exclusive lock/);
    const busy = await run(Deno.execPath(), [
      "run",
      "--quiet",
      ...flags,
      `${ROOT}examples/t_flock.ts`,
      "--nb",
      path,
      "s",
    ]);
    assert.equal(busy.code, 1);
    assert.match(busy.stdout, /already locked, bye/);
    const second = await run(Deno.execPath(), [
      "run",
      "--quiet",
      ...flags,
      `${ROOT}examples/t_flock.ts`,
      path,
      "s",
      "0",
    ]);
    assert.equal(second.code, 0);
    assert.match(
      second.stdout,
      /granted a shared lock \(the event loop ticked [1-9]\d* times/,
    );
    await first.status;
    await next.close();
  });
});

Deno.test("fcntl_lock refuses a field a lock does not have: a misspelled len locked the whole file", async () => {
  await withFile((path) => {
    const fd = open(path, O_RDWR);
    try {
      assert.throws(
        () =>
          fcntl_lock(fd, F_OFD_SETLK, {
            type: F_WRLCK,
            whence: 0,
            start: 0,
            length: 4,
          } as never),
        /Unknown field "lock\.length" to fcntl: expected one of "lock\.type", "lock\.whence", "lock\.start", "lock\.len", "lock\.pid"/,
      );
      // Nothing was locked: another description may take all of it.
      const other = open(path, O_RDWR);
      try {
        fcntl_lock(other, F_OFD_SETLK, {
          type: F_WRLCK,
          whence: 0,
          start: 0,
          len: 0,
        });
      } finally {
        close(other);
      }
      // What F_GETLK returns (with its pid) may be given back.
      const got = fcntl_lock(fd, F_OFD_GETLK, {
        type: F_WRLCK,
        whence: 0,
        start: 0,
        len: 0,
      });
      assert.equal(got.type, F_UNLCK);
      fcntl_lock(fd, F_OFD_SETLK, { ...got, type: F_WRLCK });
    } finally {
      close(fd);
    }
  });
});

Deno.test("a Deno.FsFile where a descriptor goes says why it cannot be, and what to do", async () => {
  // It said: expected an integer, got "[object Object]".
  await withDir(async (dir) => {
    const path = `${dir}/f`;
    await Deno.writeTextFile(path, "x");
    using file = await Deno.open(path, { read: true, write: true });
    const given = file as unknown as number;
    // Named for the function called (it said flock), each of them.
    // (testRange takes no lock: Deno.FsFile.lock is no way to do it.)
    const why = (where: string) =>
      new TypeError(
        `Invalid argument "fd" to ${where}: expected a descriptor number, got a Deno.FsFile, whose number Deno does not give: open the file with open() from this library${
          where === "testRange"
            ? ""
            : " (or lock a whole file with Deno.FsFile.lock)"
        }`,
      );
    await assert.rejects(lockFile(given), why("lockFile"));
    await assert.rejects(lockRange(given), why("lockRange"));
    assert.throws(() => lockFileSync(given), why("lockFileSync"));
    assert.throws(() => lockRangeSync(given), why("lockRangeSync"));
    assert.throws(() => testRange(given), why("testRange"));
    assert.throws(
      () => lockFileSync(-1),
      /^RangeError: Argument "fd" to lockFileSync is out of range/,
    );
    assert.throws(
      () => PipeEnd.fromFd(given),
      new TypeError(
        'Invalid argument "fd" to PipeEnd.fromFd: expected a descriptor number, got a Deno.FsFile, whose number Deno does not give: open the file with open() from this library',
      ),
    );
    // Another class's instance is shown by its class's name.
    class Handle {}
    assert.throws(
      () => PipeEnd.fromFd(new Handle() as unknown as number),
      /got "Handle \{\.\.\.\}"$/,
    );
  });
});

await checkLeaksAtEnd();
