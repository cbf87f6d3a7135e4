import assert from "node:assert/strict";
import {
  close,
  F_GETFD,
  F_GETFL,
  fcntl,
  fstat,
  type IpcError,
  Mapping,
  mkfifo,
  mq_send,
  msgsnd,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  open,
  openAsync,
  pipe,
  pipe2,
  PipeEnd,
  popen,
  read,
  readAsync,
  spawnWithFds,
  write,
  writeAllAsync,
  writeAsync,
} from "../mod.ts";
import { pattern, sha256 } from "./helpers/fifo_child.ts";
import {
  checkLeaksAtEnd,
  closedUnder,
  isCode,
  openFds,
  run,
  runDeno,
  startDeno,
  withDir,
  within,
} from "./_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("a whole write to a pipe that fails says how many bytes went (written)", async () => {
  const big = new Uint8Array(4 << 20);
  // The reader goes away part way: EPIPE, after at least what it read.
  {
    const [r, w] = PipeEnd.pipe();
    const failed = w.writeAll(big).then(() => undefined, (e) => e as IpcError);
    const buf = new Uint8Array(1 << 16);
    let got = 0;
    while (got < 200_000) got += (await r.read(buf)) ?? 0;
    r.close();
    const e = await failed;
    w.close();
    assert.ok(e, "the write failed");
    assert.equal(e.code, "EPIPE");
    assert.ok(e.written! >= got && e.written! < big.length, `${e.written}`);
  }
  // The thin layer's writeAllAsync and a blocking writeAllSync, timed
  // out: what they wrote is what the pipe holds.
  for (const form of ["thin", "sync"] as const) {
    const [r, w] = pipe();
    let e: IpcError | undefined;
    try {
      if (form === "thin") await writeAllAsync(w, big, { timeout: 30 });
      else {
        using end = PipeEnd.fromFd(w);
        end.writeAllSync(big, { timeout: 30 });
      }
    } catch (err) {
      e = err as IpcError;
    }
    if (form === "thin") close(w);
    assert.equal(e?.code, "ETIMEDOUT", form);
    let held = 0;
    const buf = new Uint8Array(1 << 16);
    for (let n; (n = read(r, buf)) > 0;) held += n;
    close(r);
    assert.ok(e!.written! > 0, form);
    assert.equal(e!.written, held, form);
  }
});

Deno.test("pipe: sync read and write, end of file, EPIPE without dying", () => {
  const [r, w] = pipe();
  assert.equal(fcntl(r, F_GETFD) & 1, 1, "O_CLOEXEC by default");
  assert.equal(write(w, enc.encode("Hello, world.")), 13);
  const buf = new Uint8Array(64);
  assert.equal(dec.decode(buf.subarray(0, read(r, buf))), "Hello, world.");
  close(w);
  assert.equal(read(r, buf), 0, "end of file once every writer is closed");
  close(r);
  const [r2, w2] = pipe();
  close(r2);
  assert.throws(() => write(w2, enc.encode("x")), isCode("EPIPE", "write"));
  close(w2);
});

Deno.test("PipeEnd names a bad buffer as the caller wrote it, under the method called", async () => {
  // They said "buf" to read or write, C's names.
  const [r, w] = PipeEnd.pipe();
  using _r = r, _w = w;
  await assert.rejects(
    () => r.read("x" as never),
    /^TypeError: Invalid argument "buf" to PipeEnd\.read: expected a Uint8Array, got "x"$/,
  );
  assert.throws(
    () => r.readSync(5 as never),
    /^TypeError: Invalid argument "buf" to PipeEnd\.readSync:/,
  );
  await assert.rejects(
    () => w.write("hi" as never),
    /^TypeError: Invalid argument "data" to PipeEnd\.write:/,
  );
  await assert.rejects(
    () => w.writeAll([1] as never),
    /^TypeError: Invalid argument "data" to PipeEnd\.writeAll:/,
  );
  assert.throws(
    () => w.writeSync(null as never),
    /^TypeError: Invalid argument "data" to PipeEnd\.writeSync:/,
  );
  assert.throws(
    () => w.writeAllSync(new Uint16Array(2) as never),
    /^TypeError: Invalid argument "data" to PipeEnd\.writeAllSync: expected a Uint8Array, got "Uint16Array\(2\)"$/,
  );
});

Deno.test("async reads keep the event loop running; timeouts and aborts take nothing", async () => {
  const [r, w] = PipeEnd.pipe();
  // Start the waiter thread first: its one-time start-up stall (ffi/wait.ts,
  // point 9) is not what this test measures.
  const warm = r.read(new Uint8Array(1));
  w.writeSync(new Uint8Array(1));
  await warm;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  setTimeout(() => w.writeSync(enc.encode("late")), 200);
  const buf = new Uint8Array(16);
  const n = await r.read(buf);
  clearInterval(timer);
  assert.equal(dec.decode(buf.subarray(0, n!)), "late");
  assert.ok(ticks >= 12, `only ${ticks} ticks`);
  const t0 = performance.now();
  await assert.rejects(
    r.read(buf, { timeout: 100 }),
    isCode("ETIMEDOUT", "read"),
  );
  assert.ok(performance.now() - t0 >= 95);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(
    r.read(buf, { signal: ac.signal }),
    (e: unknown) => e instanceof DOMException && e.name === "AbortError",
  );
  w.writeSync(enc.encode("kept"));
  assert.equal(dec.decode(buf.subarray(0, r.readSync(buf)!)), "kept");
  assert.throws(() => r.readSync(buf, { timeout: 50 }), isCode("ETIMEDOUT"));
  w.close();
  assert.equal(await r.read(buf), null);
  r.close();
  r.close();
  assert.throws(() => r.fd, Deno.errors.BadResource);
});

Deno.test("async writes wait for room, and report EPIPE", async () => {
  const [r, w] = PipeEnd.pipe();
  const big = new Uint8Array(1 << 20);
  const writing = w.writeAll(big); // more than the pipe holds
  let got = 0;
  const buf = new Uint8Array(65536);
  while (got < big.length) got += (await r.read(buf))!;
  await writing;
  assert.equal(got, big.length);
  // The blocking twin takes the same timeout, for the whole write.
  const t0 = performance.now();
  assert.throws(
    () => w.writeAllSync(big, { timeout: 50 }),
    isCode("ETIMEDOUT", "write", "timeout"),
  );
  assert.ok(performance.now() - t0 >= 49);
  assert.throws(() => w.writeAllSync(big, { timeout: -1 }), RangeError);
  r.close();
  {
    // Bad options are refused before the first write: nothing goes out.
    const [fr, fw] = PipeEnd.pipe();
    try {
      for (const bad of ["soon", { signal: 5 }, { timeout: NaN }]) {
        await assert.rejects(
          fw.writeAll(enc.encode("no"), bad as never),
          (e: unknown) => e instanceof TypeError || e instanceof RangeError,
        );
      }
      await assert.rejects(
        fr.read(new Uint8Array(8), { timeout: 20 }),
        isCode("ETIMEDOUT"),
      );
    } finally {
      fr.close();
      fw.close();
    }
  }
  await assert.rejects(w.write(new Uint8Array(1)), isCode("EPIPE", "write"));
  assert.throws(() => w.writeSync(new Uint8Array(1)), isCode("EPIPE", "write"));
  w.close();
  // The thin async forms too.
  const [a, b] = pipe2(O_NONBLOCK);
  assert.equal(await writeAsync(b, enc.encode("abc")), 3);
  assert.equal(await readAsync(a, new Uint8Array(8)), 3);
  close(a);
  close(b);
});

Deno.test("streams: readable and writable, as Deno.FsFile has", async () => {
  const [r, w] = PipeEnd.pipe();
  const text = "streamed through a pipe\n".repeat(10_000);
  const [, received] = await Promise.all([
    ReadableStream.from([enc.encode(text)]).pipeTo(w.writable),
    new Response(r.readable).text(),
  ]);
  assert.equal(received, text);
});

Deno.test("streams: readable is a byte stream; a BYOB reader's buffer is filled in place", async () => {
  const [r, w] = PipeEnd.pipe();
  w.writeSync(enc.encode("hello world"));
  w.close();
  const reader = r.readable.getReader({ mode: "byob" });
  let buf = new Uint8Array(4);
  const parts: string[] = [];
  for (;;) {
    const { value, done } = await reader.read(buf);
    if (done) break;
    parts.push(new TextDecoder().decode(value));
    buf = new Uint8Array(value.buffer); // the same memory, handed back
  }
  assert.deepEqual(parts, ["hell", "o wo", "rld"]);
  // The end of the stream closed the pipe end.
  assert.throws(() => r.fd, Deno.errors.BadResource);
  // Cancelling a default reader with a read pending closes the end too.
  const [r2, w2] = PipeEnd.pipe();
  const pending = r2.readable.getReader();
  const read = pending.read();
  await pending.cancel();
  assert.deepEqual(await read, { value: undefined, done: true });
  assert.throws(() => r2.fd, Deno.errors.BadResource);
  w2.close();
});

Deno.test("close ends the async waits on a descriptor; none touches its number again", async () => {
  const [r, w] = PipeEnd.pipe();
  const pending = r.read(new Uint8Array(16));
  await new Promise((res) => setTimeout(res, 20)); // parked on a thread
  r.close();
  await assert.rejects(within(pending, 1000), closedUnder("pipe end"));
  // The next pipe usually gets the same number. Waking the old wait (the
  // writer's end closes) must not make it read from the new pipe.
  const [r2, w2] = PipeEnd.pipe();
  w2.writeSync(enc.encode("x"));
  w.close();
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(r2.readSync(new Uint8Array(16), { timeout: 1000 }), 1);
  r2.close();
  w2.close();
  // The same through the thin layer: readAsync, then close.
  const [a, b] = pipe2(O_NONBLOCK);
  const thin = readAsync(a, new Uint8Array(4));
  close(a);
  await assert.rejects(within(thin, 1000), isCode("EBADF", "read", "fd"));
  close(b);
});

Deno.test("mkfifo: a FIFO on disk; opens wait for the other side", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fifo`;
    mkfifo(path, 0o600);
    const st = await Deno.lstat(path);
    assert.ok(st.isFifo);
    assert.equal(st.mode! & 0o777, 0o600);
    assert.match((await run("ls", ["-l", path])).stdout, /^p/);
    assert.throws(() => mkfifo(path), isCode("EEXIST", "mkfifo"));
    // A writer that may not wait: no reader yet.
    assert.throws(
      () => open(path, O_WRONLY | O_NONBLOCK),
      isCode("ENXIO", "open"),
    );
    // A writer's open waits for a reader.
    let opened = false;
    const writing = PipeEnd.openFifo(path, "w").then((e) => (opened = true, e));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(opened, false);
    const reader = await PipeEnd.openFifo(path, "r");
    const writer = await writing;
    await writer.writeAll(enc.encode("through the FIFO"));
    writer.close();
    assert.equal(
      await new Response(reader.readable).text(),
      "through the FIFO",
    );
    // An open that nobody answers can time out or be aborted.
    await assert.rejects(
      PipeEnd.openFifo(path, "r", { timeout: 100 }),
      (e: unknown) =>
        isCode("ETIMEDOUT", "open")(e) &&
        /no process opened the FIFO for writing within 100 ms$/.test(
          (e as Error).message,
        ),
    );
    // No FIFO at the path: the error says how to make one.
    for (
      const opening of [
        () => PipeEnd.openFifo(`${dir}/none`, "r"),
        () =>
          Promise.resolve().then(() =>
            PipeEnd.openFifoSync(`${dir}/none`, "w")
          ),
      ]
    ) {
      await assert.rejects(
        opening(),
        (e: unknown) =>
          isCode("ENOENT", "open", "path")(e) &&
          /make one with mkfifo, or give the create option$/.test(
            (e as Error).message,
          ),
      );
    }
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(
      openAsync(path, O_WRONLY, 0o666, { signal: ac.signal }),
      (e: unknown) => e instanceof DOMException && e.name === "AbortError",
    );
  });
});

Deno.test("openFifoSync takes timeout and create, as openFifo does", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fifo`;
    const before = openFds().length;
    // Nobody at the other side: each direction gives up on time.
    for (const mode of ["r", "w"] as const) {
      const t0 = performance.now();
      assert.throws(
        () => PipeEnd.openFifoSync(path, mode, { create: 0o600, timeout: 50 }),
        (e: unknown) =>
          isCode("ETIMEDOUT", "open", "timeout")(e) &&
          // Who was not there, not "nothing happened".
          (e as Error).message.endsWith(
            `("50"): no process opened the FIFO for ${
              mode === "r" ? "writing" : "reading"
            } within 50 ms`,
          ),
      );
      const took = performance.now() - t0;
      assert.ok(took >= 49 && took < 5_000, `${mode}: ${took} ms`);
    }
    assert.equal(
      openFds().length,
      before,
      "a timed-out open leaves no descriptor",
    );
    assert.ok((await Deno.lstat(path)).isFifo);
    assert.throws(
      () => PipeEnd.openFifoSync(path, "r", { timeout: -1 }),
      RangeError,
    );
    // create is true or permission bits, checked before mkfifo (07777 made
    // a set-user-ID FIFO; a string was blamed on mkfifo's "mode").
    for (const [create, error] of [[0o7777, RangeError], ["yes", TypeError]]) {
      const options = { create: create as number, timeout: 1000 };
      const named = (where: string) => (e: unknown) =>
        e instanceof (error as typeof Error) &&
        (e as Error).message.includes(`"create" to PipeEnd.${where}`);
      await assert.rejects(
        () => PipeEnd.openFifo(`${dir}/other`, "r", options),
        named("openFifo"),
      );
      assert.throws(
        () => PipeEnd.openFifoSync(`${dir}/other`, "r", options),
        named("openFifoSync"),
      );
    }
    assert.throws(() => Deno.lstatSync(`${dir}/other`), Deno.errors.NotFound);
    // Another process opens the other end while this thread waits.
    for (const [mine, theirs] of [["r", "w"], ["w", "r"]] as const) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `await new Promise((r) => setTimeout(r, 100));
           const f = await Deno.open(${JSON.stringify(path)}, { ${
            theirs === "r" ? "read" : "write"
          }: true });
           ${
            theirs === "w"
              ? 'await f.write(new TextEncoder().encode("hi"));'
              : "await f.read(new Uint8Array(2));"
          }
           f.close();`,
        ],
      }).spawn();
      using end = PipeEnd.openFifoSync(path, mine, { timeout: 20_000 });
      if (mine === "r") {
        const buf = new Uint8Array(2);
        assert.equal(end.readSync(buf, { timeout: 20_000 }), 2);
      } else end.writeAllSync(enc.encode("hi"), { timeout: 20_000 });
      assert.equal((await child.status).code, 0);
    }
  });
});

Deno.test("a reader's open sees a writer that came and went without writing, as C's open does", async () => {
  // `: > fifo`, the shell's way to wake a reader: the writer opens and
  // closes. A blocking open returns for it, and the first read is end of
  // file; the library's waiting opens must not miss it.
  await withDir(async (dir) => {
    const path = `${dir}/fifo`;
    mkfifo(path, 0o600);
    const wake = (delay: number) =>
      new Deno.Command("sh", {
        args: ["-c", `sleep ${delay}; : > "$0"`, path],
      }).spawn().status;
    {
      const woken = wake(0.05);
      using end = await PipeEnd.openFifo(path, "r", { timeout: 10_000 });
      assert.equal(await end.read(new Uint8Array(4), { timeout: 1000 }), null);
      assert.equal((await woken).code, 0);
    }
    {
      const woken = wake(0.05);
      using end = PipeEnd.openFifoSync(path, "r", { timeout: 10_000 });
      assert.equal(end.readSync(new Uint8Array(4), { timeout: 1000 }), null);
      assert.equal((await woken).code, 0);
    }
    // A writer that came and went before this reader opened is not seen:
    // the open waits for the next one, as in C.
    const other = open(path, O_RDONLY | O_NONBLOCK);
    close(open(path, O_WRONLY | O_NONBLOCK));
    close(other);
    await assert.rejects(
      PipeEnd.openFifo(path, "r", { timeout: 50 }),
      isCode("ETIMEDOUT", "open"),
    );
  });
});

Deno.test("a FIFO writer's waiting open sees a reader that stays 20 ms; a FIFO made anew is waited for", async () => {
  // The writer's tries are at most 10 ms apart.
  await withDir(async (dir) => {
    const path = `${dir}/fifo`;
    mkfifo(path, 0o600);
    let before = 0;
    for (let i = 0; i < 3; i++) {
      // (Counted once the engine's own descriptors are made.)
      if (i === 1) before = openFds().length;
      const writing = openAsync(path, O_WRONLY, 0o666, { timeout: 20_000 });
      await new Promise((r) => setTimeout(r, 200));
      const peek = await runDeno(
        "tests/helpers/fifo_child.ts",
        ["peek", path, "20"],
        [
          "--allow-ffi",
          `--allow-read=${path}`,
        ],
      );
      assert.equal(peek.code, 0, peek.stderr);
      close(await within(writing, 10_000));
    }
    // The FIFO removed and made again while a writer waits: it goes on
    // waiting (as C's open would), and opens the new one.
    {
      const writing = openAsync(path, O_WRONLY, 0o666, { timeout: 20_000 });
      await new Promise((r) => setTimeout(r, 100));
      await Deno.remove(path);
      await new Promise((r) => setTimeout(r, 50));
      mkfifo(path, 0o600);
      await new Promise((r) => setTimeout(r, 100));
      const reader = open(path, O_RDONLY | O_NONBLOCK);
      close(await within(writing, 10_000));
      close(reader);
    }
    // Removed for good: the wait runs out of time, as given.
    const lost = openAsync(path, O_WRONLY, 0o666, { timeout: 300 });
    await new Promise((r) => setTimeout(r, 50));
    await Deno.remove(path);
    await assert.rejects(lost, isCode("ETIMEDOUT", "open", "timeout"));
    assert.match(
      await lost.catch((e) => e.message),
      /within 300 ms/,
    );
    assert.equal(openFds().length, before, "no watch or descriptor left");
  });
});

Deno.test("a FIFO writer's waiting open needs no read access: with only --allow-write it opens once a reader comes", async () => {
  // (A reader's open, which needs read access anyway, is the one that
  // watches the path.)
  await withDir(async (dir) => {
    const path = `${dir}/fifo`;
    mkfifo(path, 0o600);
    const child = startDeno("tests/helpers/fifo_child.ts", ["openw", path], [
      "--allow-ffi",
      `--allow-write=${path}`,
    ]);
    await new Promise((r) => setTimeout(r, 300));
    const reader = open(path, O_RDONLY | O_NONBLOCK);
    try {
      const out = await within(child.output(), 20_000);
      assert.equal(out.code, 0);
      assert.equal(new TextDecoder().decode(out.stdout), "opened\n");
    } finally {
      close(reader);
    }
  });
});

Deno.test("64 MiB through a FIFO between unrelated processes, intact and in order", async (t) => {
  const size = 64 << 20;
  const expected = await sha256(pattern(size, 7));
  await t.step("a Deno child writes, this process reads", async () => {
    await withDir(async (dir) => {
      const path = `${dir}/fifo`;
      mkfifo(path, 0o600);
      const child = startDeno("tests/helpers/fifo_child.ts", [
        "write",
        path,
        String(size),
        "7",
      ], [
        "--allow-ffi",
        "--allow-read",
        "--allow-write",
      ]);
      const reader = await PipeEnd.openFifo(path, "r");
      const all = new Uint8Array(
        await new Response(reader.readable).arrayBuffer(),
      );
      const out = dec.decode((await child.output()).stdout).trim();
      assert.equal(all.length, size);
      assert.equal(await sha256(all), expected);
      assert.equal(out, expected);
    });
  });
  await t.step("this process writes, a Deno child reads", async () => {
    await withDir(async (dir) => {
      const path = `${dir}/fifo`;
      mkfifo(path, 0o600);
      const child = startDeno("tests/helpers/fifo_child.ts", ["read", path], [
        "--allow-ffi",
        "--allow-read",
        "--allow-write",
      ]);
      const writer = await PipeEnd.openFifo(path, "w");
      await writer.writeAll(pattern(size, 7));
      writer.close();
      assert.equal(
        dec.decode((await child.output()).stdout).trim(),
        `${size} ${expected}`,
      );
    });
  });
  await t.step(
    "cat reads what this process writes, and writes what it reads",
    async () => {
      await withDir(async (dir) => {
        const path = `${dir}/fifo`;
        mkfifo(path, 0o600);
        const catIn = new Deno.Command("sh", {
          args: ["-c", `cat ${path} > ${dir}/copy`],
        }).spawn();
        const writer = await PipeEnd.openFifo(path, "w");
        await writer.writeAll(pattern(size, 7));
        writer.close();
        await catIn.status;
        assert.equal(
          await sha256(await Deno.readFile(`${dir}/copy`)),
          expected,
        );
        const catOut = new Deno.Command("sh", {
          args: ["-c", `cat ${dir}/copy > ${path}`],
        }).spawn();
        const reader = await PipeEnd.openFifo(path, "r");
        const all = new Uint8Array(
          await new Response(reader.readable).arrayBuffer(),
        );
        await catOut.status;
        assert.equal(await sha256(all), expected);
      });
    },
  );
});

Deno.test("a writer whose reader died gets EPIPE, not a killed process", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fifo`;
    mkfifo(path, 0o600);
    const child = startDeno("tests/helpers/fifo_child.ts", ["readsome", path], [
      "--allow-ffi",
      "--allow-read",
      "--allow-write",
    ]);
    const writer = await PipeEnd.openFifo(path, "w");
    await assert.rejects(
      writer.writeAll(new Uint8Array(16 << 20)),
      isCode("EPIPE", "write"),
    );
    writer.close();
    assert.equal(dec.decode((await child.output()).stdout), "read some\n");
  });
});

Deno.test("spawnWithFds puts descriptors in the child's slots and leaves the parent's alone", async () => {
  const before = [0, 1, 2].map((fd) => fstat(fd).mode);
  const [r, w] = PipeEnd.pipe();
  const child = spawnWithFds("sh", {
    args: ["-c", "cat <&3; echo done >&2"],
    fds: { 0: "null", 1: "piped", 2: "piped", 3: r.fd },
  });
  r.close();
  await w.writeAll(enc.encode("via fd 3\n"));
  w.close();
  const [out, err, status] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.status,
  ]);
  assert.equal(out, "via fd 3\n");
  assert.equal(err, "done\n");
  assert.deepEqual(status, { success: true, code: 0, signal: null });
  assert.deepEqual([0, 1, 2].map((fd) => fstat(fd).mode), before);
  assert.throws(() => spawnWithFds("true", { fds: { 3: "piped" } }), TypeError);
  assert.throws(() => spawnWithFds("true", { fds: { 3: -1 } }), RangeError);
});

Deno.test("fromFd gives a description it shares with its parent back its blocking mode", async () => {
  // The mode is the open file description's, shared with the parent that
  // handed the descriptor over (Python's pass_fds, a shell's 3<&0, a
  // terminal): once the Deno child was done, the parent's next blocking
  // read (or accept) failed with EAGAIN. (spawnWithFds gives a child a
  // description of its own; Python's subprocess shares its own.)
  const mod = new URL("../mod.ts", import.meta.url).href;
  const child = `import * as ipc from ${JSON.stringify(mod)};
const fd = Number(Deno.env.get("FD"));
const kind = Deno.env.get("KIND");
if (kind === "listener") {
  ipc.UnixListener.fromFd(fd).close();
  console.log("closed");
} else if (kind === "dgram") {
  const s = ipc.UnixDatagram.fromFd(fd);
  console.log(new TextDecoder().decode((await s.receive()).data));
  s.close();
} else {
  const end = kind === "pipe" ? ipc.PipeEnd.fromFd(fd) : ipc.UnixConnection.fromFd(fd);
  const buf = new Uint8Array(8);
  const n = await end.read(buf);
  console.log(new TextDecoder().decode(buf.subarray(0, n ?? 0)));
  end.close();
}`;
  const parent = `
import os, socket, subprocess, sys
def pair(kind, flags):
    if kind == "pipe":
        return os.pipe2(flags)
    if kind == "listener":
        s = socket.socket(socket.AF_UNIX)
        s.bind("\\0linux-ipc-test-blocking-%d" % os.getpid())
        s.listen()
        s.setblocking(flags == 0)
        return s.detach(), os.dup(0)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM if kind == "dgram" else socket.SOCK_STREAM)
    a.setblocking(flags == 0)
    return a.detach(), b.detach()
for kind in ("pipe", "stream", "dgram", "listener"):
    for flags in (0, os.O_NONBLOCK):
        r, w = pair(kind, flags)
        before = os.get_blocking(r)
        p = subprocess.Popen([sys.argv[1], "eval", sys.argv[2]], pass_fds=(r,),
                             env=dict(os.environ, FD=str(r), KIND=kind), stdout=subprocess.PIPE)
        if kind != "listener":
            os.write(w, b"hi")
        out = p.communicate()[0].decode()
        print(kind, before, os.get_blocking(r), out.strip(), p.returncode)
        os.close(r)
        os.close(w)
`;
  const { stdout, stderr, code } = await run("python3", [
    "-c",
    parent,
    Deno.execPath(),
    child,
  ]);
  assert.equal(code, 0, stderr);
  // Blocking again; one that was non-blocking stays so.
  assert.equal(
    stdout,
    [
      "pipe True True hi 0",
      "pipe False False hi 0",
      "stream True True hi 0",
      "stream False False hi 0",
      "dgram True True hi 0",
      "dgram False False hi 0",
      "listener True True closed 0",
      "listener False False closed 0",
      "",
    ].join("\n"),
  );
});

Deno.test("spawnWithFds: a child that cannot start is an IpcError naming why, at once", async () => {
  const fdsBefore = await openFds();
  // Not there, not in PATH, not executable, or a working directory that is
  // not there: thrown by the call itself, naming the argument, instead of a
  // rejected status promise with node's message (or a crash if nobody
  // awaited it).
  const [r, w] = PipeEnd.pipe();
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/plain`, "echo hi\n", { mode: 0o644 });
    for (
      const [command, options, code, argument] of [
        ["/no/such/program", {}, "ENOENT", "command"],
        ["linux-ipc-no-such-program", {}, "ENOENT", "command"],
        ["true", { env: { PATH: `${dir}/empty` } }, "ENOENT", "command"],
        ["true", { cwd: `${dir}/none` }, "ENOENT", "cwd"],
        ["true", { cwd: `${dir}/plain` }, "ENOTDIR", "cwd"],
        // The descriptor placed in a slot is closed again on the way out.
        ["/no/such/program", { fds: { 3: r.fd } }, "ENOENT", "command"],
      ] as const
    ) {
      assert.throws(
        () => spawnWithFds(command, options),
        isCode(code, "spawnWithFds", argument),
        `${command} ${JSON.stringify(options)}`,
      );
    }
  });
  r.close();
  w.close();
  assert.deepEqual(await openFds(), fdsBefore);
  // Options node:child_process would misread are refused by name.
  for (
    const [options, pattern] of [
      [{ args: "x" }, /"args"/],
      [{ args: ["a", 1] }, /"args\[1\]".*"1"/],
      [{ env: { X: 5 } }, /"env\.X".*"5"/],
      [{ cwd: 5 }, /"cwd"/],
      [{ fds: { x: 1 } }, /"fds".*"x"/],
      [{ fds: "x" }, /Invalid option "fds" to spawnWithFds: .*"x"/],
      // A name with "=" set another variable ("A=B=x" is A, to "B=x").
      [{ env: { "A=B": "x" } }, /"env".*"A=B" is no variable name/],
      [{ env: { "": "x" } }, /"env".*"" is no variable name/],
      // NULs were node:child_process's ERR_INVALID_ARG_VALUE.
      [{ env: { X: "a\0b" } }, /"env\.X".*contains a NUL byte/],
      [{ args: ["a", "b\0c"] }, /"args\[1\]".*contains a NUL byte/],
      [{ cwd: "/t\0mp" }, /"cwd".*contains a NUL byte/],
    ] as const
  ) {
    assert.throws(
      () => spawnWithFds("true", options as never),
      (e: unknown) =>
        (e instanceof TypeError || e instanceof RangeError) &&
        pattern.test(e.message),
      JSON.stringify(options),
    );
  }
  assert.throws(
    () => spawnWithFds("tr\0ue", {}),
    /Invalid argument "command" to spawnWithFds: "tr\\0ue" contains a NUL byte/,
  );
  // A descriptor that is not open is named, with the call that took it.
  assert.throws(
    () => spawnWithFds("true", { fds: { 3: 987 } }),
    (e: unknown) =>
      isCode("EBADF", "spawnWithFds", "fds[3]")(e) &&
      /not open/.test((e as Error).message),
  );
  // A child that starts and fails is still a status, not an error.
  const sh = spawnWithFds("sh", { args: ["-c", "exit 3"] });
  assert.deepEqual(await sh.status, { success: false, code: 3, signal: null });
});

Deno.test("popen and pclose, both directions", async () => {
  const sort = popen("sort > /dev/null; exit 3", "w");
  await sort.pipe.writeAll(enc.encode("b\na\n"));
  assert.equal(await sort.pclose(), 3);
  assert.equal(await sort.pclose(), 3, "pclose twice is safe");
  await using echo = popen("printf 'from the shell'", "r");
  assert.equal(await new Response(echo.pipe.readable).text(), "from the shell");
  // A command killed by a signal: 128 and its number, as a shell says.
  const killedBy: [string, number][] = [
    ["SEGV", 139],
    ["TERM", 143],
    ["USR1", 138],
  ];
  for (const [signal, status] of killedBy) {
    const killed = popen(`kill -${signal} $$`, "r");
    assert.equal(await killed.pclose(), status, signal);
  }
  // A command that is not a string was blamed on spawnWithFds's "args[1]".
  for (
    const [command, why] of [[null, 'expected a string, got "null"'], [
      "echo a\0b",
      '"echo a\\0b" contains a NUL byte',
    ]]
  ) {
    assert.throws(
      () => popen(command as string, "r"),
      (e: unknown) =>
        e instanceof TypeError &&
        e.message === `Invalid argument "command" to popen: ${why}`,
    );
  }
});

Deno.test("examples: pipe, dup2 and popen", async (t) => {
  const perms = ["--allow-ffi", "--allow-run", "--allow-env"];
  const sorted =
    "Hello, world.\nMy dog has fleas.\nOne fish, two fish.\nThis is a test.\nThis program is great.\n";
  await t.step("pipe.ts: five lines arrive, one by one", async () => {
    const r = await runDeno("examples/pipe.ts", ["--interval", "100"], perms);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.filter((l) => l === "child: Hello, world.").length, 5);
    // Lines arrive as they are written: the child prints the first one
    // before the parent's last write.
    const firstChild = lines.indexOf("child: Hello, world.");
    const lastParent = lines.findLastIndex((l) => l.startsWith("parent"));
    assert.ok(firstChild >= 0 && firstChild < lastParent, r.stdout);
  });
  await t.step("dup2.ts: sort reads the pipe as its stdin", async () => {
    const r = await runDeno("examples/dup2.ts", [], perms);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, sorted);
  });
  await t.step("popen.ts", async () => {
    const r = await runDeno("examples/popen.ts", [], perms);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, sorted);
  });
});

Deno.test("examples: fifo_reader and fifo_writer between processes", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fifo`;
    const perms = ["--allow-ffi", "--allow-read", "--allow-write"];
    const reader = startDeno("examples/fifo_reader.ts", [path], perms);
    for (let i = 0; i < 200 && !(await exists(path)); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const w = await run(Deno.execPath(), [
      "run",
      ...perms,
      `${Deno.cwd()}/examples/fifo_writer.ts`,
      path,
    ], "one\ntwo\nthree\n");
    assert.equal(w.code, 0, w.stderr);
    const out = await reader.output();
    assert.equal(dec.decode(out.stdout), "one\ntwo\nthree\n");
    assert.equal(
      await exists(path),
      false,
      "the reader removed the FIFO it made",
    );
  });
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("bad input: typed errors, and the process lives", async (t) => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "x");
    const cases: [string, () => unknown, ErrorConstructor | string][] = [
      ["mkfifo on an existing path", () => mkfifo(`${dir}/file`), "EEXIST"],
      [
        "mkfifo with a path too long",
        () => mkfifo(`${dir}/${"x".repeat(5000)}`),
        "ENAMETOOLONG",
      ],
      [
        "mkfifo in a missing directory",
        () => mkfifo(`${dir}/no/fifo`),
        "ENOENT",
      ],
      ["mkfifo with a NUL in the path", () => mkfifo(`${dir}/a\0b`), TypeError],
      ["mkfifo with a bad mode", () => mkfifo(`${dir}/m`, -1), RangeError],
      ["read of a closed fd", () => read(987, new Uint8Array(1)), "EBADF"],
      [
        "read into something not a Uint8Array",
        () => read(0, [] as never),
        TypeError,
      ],
      ["write to a closed fd", () => write(987, new Uint8Array(1)), "EBADF"],
      ["read of a negative fd", () => read(-1, new Uint8Array(1)), RangeError],
      ["pipe2 with unknown flags", () => pipe2(1), RangeError],
      ["fcntl with an unknown command", () => fcntl(0, 99), RangeError],
      ["fcntl of a closed fd", () => fcntl(987, F_GETFL), "EBADF"],
      ["popen with a bad mode", () => popen("true", "x" as never), TypeError],
    ];
    for (const [name, fn, expected] of cases) {
      await t.step(name, () => {
        if (typeof expected === "string") assert.throws(fn, isCode(expected));
        else assert.throws(fn, expected);
      });
    }
    await t.step("async forms reject the same way", async () => {
      await assert.rejects(readAsync(987, new Uint8Array(1)), isCode("EBADF"));
      await assert.rejects(
        openAsync(`${dir}/missing`, 0),
        isCode("ENOENT", "open"),
      );
    });
    await t.step("mkfifo honours --allow-write", async () => {
      const r = await runDeno("tests/helpers/no_ffi_child.ts", [
        "mkfifo",
        `${dir}/denied`,
      ], [
        "--no-prompt",
        "--allow-ffi",
      ]);
      assert.equal(
        r.stdout.trim(),
        `NotCapable: Requires write access to "${dir}/denied", run again with the --allow-write flag`,
      );
    });
    await t.step(
      "openAsync with O_CREAT needs --allow-write, as open does",
      async () => {
        // It used to create the file with --allow-read alone.
        const r = await runDeno("tests/helpers/no_ffi_child.ts", [
          "openAsync",
          `${dir}/created`,
        ], ["--no-prompt", "--allow-ffi", `--allow-read=${dir}`]);
        assert.equal(
          r.stdout.trim(),
          `NotCapable: Requires write access to "${dir}/created", run again with the --allow-write flag`,
        );
        await assert.rejects(
          Deno.lstat(`${dir}/created`),
          Deno.errors.NotFound,
        );
      },
    );
  });
});

Deno.test("paths: bytes that are not UTF-8, file URLs and lone surrogates", async (t) => {
  await withDir(async (dir) => {
    /** The names in `dir` as `ls -b` prints them (octal escapes). */
    const names = async () =>
      (await run("ls", ["-b", dir])).stdout.trim().split("\n").sort();
    await t.step("U+DC80..U+DCFF stands for the byte it escapes", async () => {
      // It used to become U+FFFD (EF BF BD): a file nobody named.
      mkfifo(`${dir}/f\u{dcff}`);
      assert.deepEqual(await names(), ["f\\377"]);
      await Deno.remove(dir, { recursive: true });
      await Deno.mkdir(dir);
    });
    await t.step("a file: URL's percent-escapes are its bytes", async () => {
      // Deno's own conversion throws a URIError for %FF.
      mkfifo(new URL(`file://${dir}/g%FF%20h`) as unknown as string);
      assert.deepEqual(await names(), ["g\\377\\ h"]);
    });
    await t.step("another lone surrogate or URL is a TypeError", async () => {
      assert.throws(
        () => mkfifo(`${dir}/a\u{d800}b`),
        new TypeError(
          `Invalid argument "pathname" to mkfifo: a lone surrogate U+D800 at index ${
            dir.length + 2
          } stands for no byte (only U+DC80 to U+DCFF do, one byte each)`,
        ),
      );
      assert.throws(
        () => mkfifo(new URL(`http://host${dir}/x`) as unknown as string),
        new TypeError(
          `Invalid argument "pathname" to mkfifo: expected a string or a file: URL, got "http://host${dir}/x"`,
        ),
      );
      assert.deepEqual(await names(), ["g\\377\\ h"]);
    });
    await t.step(
      "a grant for the U+FFFD name does not cover the byte's",
      async () => {
        const child = (grant: string) =>
          runDeno("tests/helpers/no_ffi_child.ts", [
            "mkfifo-json",
            JSON.stringify(`${dir}/f\u{dcff}`),
          ], ["--no-prompt", "--allow-ffi", `--allow-write=${grant}`]);
        // Deno would have asked about "f\uFFFD", which this grant names.
        const r = await child(`${dir}/f\u{fffd}`);
        assert.equal(
          r.stdout.trim(),
          `NotCapable: Requires write access to "${dir}/f\\xff", run again with the --allow-write flag`,
        );
        assert.deepEqual(await names(), ["g\\377\\ h"]);
        // A grant for the directory covers every name in it.
        assert.equal((await child(dir)).stdout.trim(), "no error");
        assert.deepEqual(await names(), ["f\\377", "g\\377\\ h"]);
      },
    );
  });
});

Deno.test("text with a lone surrogate is refused, not written as U+FFFD", () => {
  using map = Mapping.anonymous(4096);
  const bad = "ok\u{d800}";
  const refused = (syscall: string, argument: string) =>
    new TypeError(
      `Invalid argument "${argument}" to ${syscall}: a lone surrogate U+D800 at index 2 has no UTF-8 form`,
    );
  assert.throws(
    () => map.memory.write(bad),
    refused("MemoryRegion.write", "data"),
  );
  assert.throws(
    () => map.memory.writeCString(bad),
    refused("MemoryRegion.writeCString", "text"),
  );
  assert.deepEqual(map.memory.read(0, 4), new Uint8Array(4));
  // Refused before the call: no queue is needed to see it.
  assert.throws(
    () => msgsnd(0, { mtype: 1, mtext: bad }, 0),
    refused("msgsnd", "msgp.mtext"),
  );
  assert.throws(() => mq_send(987, bad), refused("mq_send", "msg_ptr"));
  // A pair of surrogates is one code point, and well-formed.
  assert.equal(map.memory.writeCString("\u{1f600}"), 5);
});

Deno.test("a read of a write end, or a write of a read end, says which end it is", async () => {
  // The EBADF said only "Bad file descriptor", as if it were not open.
  const [r, w] = pipe();
  const [reader, writer] = PipeEnd.pipe();
  try {
    const wrongEnd = (syscall: string, only: string) => (e: unknown) =>
      isCode("EBADF", syscall, "fd")(e) &&
      String(e).endsWith(
        `the descriptor is open for ${only} only (the ${
          only === "reading" ? "read" : "write"
        } end of a pipe or FIFO?)`,
      );
    assert.throws(
      () => read(w, new Uint8Array(1)),
      wrongEnd("read", "writing"),
    );
    assert.throws(
      () => write(r, new Uint8Array(1)),
      wrongEnd("write", "reading"),
    );
    await assert.rejects(
      readAsync(w, new Uint8Array(1)),
      wrongEnd("read", "writing"),
    );
    await assert.rejects(
      writeAsync(r, new Uint8Array(1)),
      wrongEnd("write", "reading"),
    );
    await assert.rejects(
      writer.read(new Uint8Array(1)),
      wrongEnd("read", "writing"),
    );
    await assert.rejects(
      reader.write(new Uint8Array(1)),
      wrongEnd("write", "reading"),
    );
    // A descriptor that is not open says nothing of ends.
    assert.throws(
      () => read(987, new Uint8Array(1)),
      (e: unknown) => isCode("EBADF", "read", "fd")(e) && !/only/.test(`${e}`),
    );
  } finally {
    close(r);
    close(w);
    reader.close();
    writer.close();
  }
});

Deno.test("spawnWithFds: a slot above the descriptor limit is refused; a child that fails later never ends the program", async () => {
  // Slot 100000 (above RLIMIT_NOFILE) gave a child of pid -1 whose status
  // rejected unobserved (EBADF), which ended the program.
  const [r, w] = PipeEnd.pipe();
  try {
    assert.throws(
      () => spawnWithFds("true", { fds: { 1_000_000: r.fd } }),
      (e: unknown) =>
        e instanceof RangeError &&
        /slot "1000000" is above the descriptor limit a child of this process inherits \(RLIMIT_NOFILE \d+: slots 0 to \d+\)$/
          .test(e.message),
    );
  } finally {
    r.close();
    w.close();
  }
  // A failure found only by the kernel (arguments over ARG_MAX): pid -1,
  // and status rejects with its errno for whoever asks, later too.
  const child = spawnWithFds("true", { args: ["x".repeat(4 << 20)] });
  assert.equal(child.pid, -1);
  await new Promise((res) => setTimeout(res, 50)); // unobserved meanwhile
  await assert.rejects(child.status, isCode("E2BIG", "spawnWithFds"));
});

await checkLeaksAtEnd();
