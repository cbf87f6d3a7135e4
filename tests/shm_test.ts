import assert from "node:assert/strict";
import {
  ftok,
  getpagesize,
  IPC_CREAT,
  IPC_EXCL,
  IPC_INFO,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_SET,
  IPC_STAT,
  IpcError,
  MemoryRegion,
  SharedMemory,
  SHM_DEST,
  SHM_INFO,
  SHM_LOCK,
  SHM_LOCKED,
  SHM_RDONLY,
  SHM_RND,
  SHM_STAT,
  SHM_STAT_ANY,
  SHM_UNLOCK,
  shmat,
  shmctl,
  shmdt,
  shmget,
} from "../mod.ts";
import {
  checkLeaksAtEnd,
  cProgram,
  isCode,
  ownKey,
  privateKey,
  procFile,
  pythonWithSysvIpc,
  run,
  runDeno,
  sysvIds,
} from "./_helpers.ts";

/** Runs `fn` with a fresh private segment that is removed afterwards. */
async function withSegment(
  size: number,
  fn: (id: number) => void | Promise<void>,
): Promise<void> {
  const id = shmget(IPC_PRIVATE, size, IPC_CREAT | IPC_EXCL | 0o600);
  try {
    await fn(id);
  } finally {
    shmctl(id, IPC_RMID);
  }
}

function assertIpcError(
  fn: () => unknown,
  code: string,
  syscall: string,
  argument?: string,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IpcError, `expected IpcError, got ${e}`);
    assert.equal(e.code, code);
    assert.equal(e.syscall, syscall);
    if (argument !== undefined) assert.equal(e.argument, argument);
    return true;
  });
}

Deno.test("thin layer: Listing 5.1 step by step", () => {
  const id = shmget(IPC_PRIVATE, 0x6400, IPC_CREAT | IPC_EXCL | 0o600);
  let memory = shmat(id);
  assert.ok(memory.address > 0n);
  assert.equal(memory.address % BigInt(getpagesize()), 0n);
  assert.equal(shmctl(id, IPC_STAT).segsz, 25600);
  assert.equal(memory.byteLength, 25600);
  memory.writeCString("Hello, world.");
  shmdt(memory);
  memory = shmat(id, 0x5000000n);
  assert.equal(memory.address, 0x5000000n);
  assert.equal(memory.readCString(), "Hello, world.");
  shmdt(memory);
  shmctl(id, IPC_RMID);
  assertIpcError(() => shmctl(id, IPC_STAT), "EINVAL", "shmctl", "shmid");
  assert.throws(() => shmctl(id, IPC_STAT), /no segment has this id$/);
});

Deno.test("shmctl IPC_STAT reports every shmid_ds field", async () => {
  await withSegment(1000, async (id) => {
    const t0 = Math.floor(Date.now() / 1000);
    let s = shmctl(id, IPC_STAT);
    assert.equal(s.segsz, 1000);
    assert.equal(s.perm.mode & 0o777, 0o600);
    assert.equal(s.perm.key, IPC_PRIVATE);
    assert.equal(s.perm.uid, Deno.uid());
    assert.equal(s.perm.cuid, Deno.uid());
    assert.equal(s.perm.gid, Deno.gid());
    assert.equal(s.perm.cgid, Deno.gid());
    assert.equal(s.cpid, Deno.pid);
    assert.equal(s.nattch, 0);
    assert.equal(s.atime, 0);
    assert.equal(s.dtime, 0);
    assert.ok(Math.abs(s.ctime - t0) <= 2);
    const a = shmat(id);
    const b = shmat(id, null, SHM_RDONLY);
    s = shmctl(id, IPC_STAT);
    assert.equal(s.nattch, 2);
    assert.equal(s.lpid, Deno.pid);
    // The kernel stamps times from its coarse clock, which can trail
    // Date.now() by a tick across a second boundary.
    assert.ok(s.atime >= t0 - 1, `atime ${s.atime}, t0 ${t0}`);
    shmdt(a);
    shmdt(b);
    s = shmctl(id, IPC_STAT);
    assert.equal(s.nattch, 0);
    assert.ok(s.dtime >= t0 - 1, `dtime ${s.dtime}, t0 ${t0}`);
    // A C peer reads the same status.
    const peer = await cProgram("shm_peer");
    if (peer) {
      const { stdout } = await run(peer, ["stat", String(id)]);
      assert.equal(stdout.trim(), `1000 0 ${Deno.pid} 600`);
    }
  });
});

Deno.test("shmctl IPC_SET, SHM_LOCK/SHM_UNLOCK and IPC_RMID while attached", async () => {
  await withSegment(4096, (id) => {
    shmctl(id, IPC_SET, { mode: 0o640 });
    assert.equal(shmctl(id, IPC_STAT).perm.mode & 0o777, 0o640);
    shmctl(id, SHM_LOCK);
    assert.ok(shmctl(id, IPC_STAT).perm.mode & SHM_LOCKED);
    shmctl(id, SHM_UNLOCK);
    assert.equal(shmctl(id, IPC_STAT).perm.mode & SHM_LOCKED, 0);
  });
  // Removal while attached: memory stays usable until the last detach.
  const id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600);
  const memory = shmat(id);
  shmctl(id, IPC_RMID);
  const s = shmctl(id, IPC_STAT);
  assert.ok(s.perm.mode & SHM_DEST);
  memory.writeCString("still here");
  assert.equal(memory.readCString(), "still here");
  shmdt(memory);
  assertIpcError(() => shmctl(id, IPC_STAT), "EINVAL", "shmctl");
});

Deno.test("shmat: requested address, SHM_RND, and a misaligned address", async () => {
  await withSegment(4096, (id) => {
    const exact = shmat(id, 0x6000000n);
    assert.equal(exact.address, 0x6000000n);
    shmdt(exact);
    const rounded = shmat(id, 0x6000123n, SHM_RND);
    assert.equal(rounded.address, 0x6000000n);
    shmdt(rounded);
    assertIpcError(() => shmat(id, 0x6000123n), "EINVAL", "shmat", "shmaddr");
  });
});

Deno.test("views are zero-copy and detached with the attachment", async () => {
  await withSegment(8192, (id) => {
    const a = shmat(id);
    const b = shmat(id);
    a.bytes[100] = 42;
    assert.equal(b.bytes[100], 42, "two attachments see the same memory");
    const bytes = a.bytes;
    const ints = new Int32Array(a.bytes.buffer);
    const dv = a.dataView;
    Atomics.store(ints, 10, 7);
    assert.equal(new DataView(b.bytes.buffer).getInt32(40, true), 7);
    shmdt(a);
    assert.equal(bytes.length, 0);
    assert.equal(ints.length, 0);
    assert.ok(dv.buffer.detached);
    assert.throws(() => dv.getInt32(0), TypeError, "a stale DataView throws");
    assert.equal(bytes[100], undefined);
    assert.equal(a.byteLength, 0);
    assert.ok(a.detached);
    // Use after detach and double detach: typed errors, process lives.
    assert.throws(() => a.bytes, Deno.errors.BadResource);
    assert.throws(() => a.read(), Deno.errors.BadResource);
    assert.throws(() => a.readCString(), Deno.errors.BadResource);
    assert.throws(() => a.write("x"), Deno.errors.BadResource);
    assertIpcError(() => shmdt(a), "EINVAL", "shmdt", "shmaddr");
    a.close(); // close stays safe to repeat
    b[Symbol.dispose]();
    assert.ok(b.detached);
    assert.equal(shmctl(id, IPC_STAT).nattch, 0);
  });
});

Deno.test("a read-only attachment never hands out a writable view", async () => {
  await withSegment(4096, (id) => {
    const rw = shmat(id);
    rw.writeCString("read me");
    const ro = shmat(id, null, SHM_RDONLY);
    assert.ok(ro.readOnly);
    assert.throws(() => ro.bytes, TypeError);
    assert.throws(() => ro.dataView, TypeError);
    assert.throws(() => ro.write("no"), TypeError);
    assert.throws(() => ro.writeCString("no"), TypeError);
    assert.equal(ro.readCString(), "read me");
    const copy = ro.read(0, 4);
    copy[0] = 0; // a copy: the segment is unchanged
    assert.equal(ro.readCString(), "read me");
    assert.deepEqual([...ro.read(5, 2)], [0x6d, 0x65]);
    shmdt(ro);
    shmdt(rw);
  });
});

Deno.test("region bounds: reads and writes never leave the segment", async () => {
  await withSegment(16, (id) => {
    using m = shmat(id);
    assert.throws(() => m.write(new Uint8Array(17)), RangeError);
    assert.throws(() => m.write("x", 16), RangeError);
    assert.throws(() => m.read(-1), RangeError);
    assert.throws(() => m.read(0, 17), RangeError);
    // Not an integer: a TypeError naming it, as int() gives everywhere.
    assert.throws(() => m.read(1.5), /^TypeError: .*"offset"/);
    m.write("0123456789abcdef");
    assert.equal(
      m.readCString(),
      "0123456789abcdef",
      "no NUL: stops at the end",
    );
    assert.equal(m.readCString(16), "");
    assert.throws(
      () => new (MemoryRegion as unknown as new () => unknown)(),
      TypeError,
    );
  });
});

Deno.test("bad input: typed errors, and the process lives", async (t) => {
  const cases: [string, () => unknown, ErrorConstructor | string][] = [
    ["negative size", () => shmget(IPC_PRIVATE, -1, IPC_CREAT), RangeError],
    ["fractional size", () => shmget(IPC_PRIVATE, 1.5, IPC_CREAT), TypeError],
    ["huge size", () => shmget(IPC_PRIVATE, 2 ** 60, IPC_CREAT), RangeError],
    [
      "size the kernel refuses",
      () => shmget(IPC_PRIVATE, 2 ** 52, IPC_CREAT),
      "ENOMEM|EINVAL|ENOSPC",
    ],
    ["zero size on create", () => shmget(IPC_PRIVATE, 0, IPC_CREAT), "EINVAL"],
    ["non-integer key", () => shmget(1.5, 4096, IPC_CREAT), TypeError],
    ["string key", () => shmget("7" as unknown as number, 4096, 0), TypeError],
    ["key out of 32 bits", () => shmget(2 ** 33, 4096, 0), RangeError],
    [
      "unknown shmget flags",
      () => shmget(IPC_PRIVATE, 4096, 0x10_0000),
      RangeError,
    ],
    ["unknown shmat flags", () => shmat(0, null, 1), RangeError],
    ["negative id", () => shmat(-1), RangeError],
    ["wrong address type", () => shmat(0, 5 as unknown as bigint), TypeError],
    ["unknown shmctl command", () => shmctl(0, 99), RangeError],
    [
      "IPC_SET without buf",
      () => shmctl(0, IPC_SET, undefined as never),
      TypeError,
    ],
    ["shmdt of a non-region", () => shmdt({} as MemoryRegion), TypeError],
    ["ftok of a missing path", () => ftok("/no/such/file", 1), "ENOENT"],
    ["ftok with proj_id 0", () => ftok("/etc/hostname", 256), RangeError],
    ["ftok path with NUL", () => ftok("/etc\0/x", 1), TypeError],
    ["open of a missing key", () => SharedMemory.open(privateKey()), "ENOENT"],
    ["open of IPC_PRIVATE", () => SharedMemory.open(IPC_PRIVATE), RangeError],
  ];
  for (const [name, fn, expected] of cases) {
    await t.step(name, () => {
      assert.throws(fn, (e: unknown) => {
        if (typeof expected === "string") {
          assert.ok(e instanceof IpcError, `expected IpcError, got ${e}`);
          assert.match(e.code, new RegExp(`^(${expected})$`));
        } else {
          assert.ok(
            e instanceof expected,
            `expected ${expected.name}, got ${e}`,
          );
        }
        assert.match((e as Error).message, /^[A-Z]/);
        assert.doesNotMatch((e as Error).message, /\.$/);
        return true;
      });
    });
  }
  await t.step("a removed id", () => {
    const id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600);
    shmctl(id, IPC_RMID);
    assertIpcError(() => shmat(id), "EINVAL", "shmat", "shmid");
    assertIpcError(() => shmctl(id, IPC_RMID), "EINVAL", "shmctl", "shmid");
  });
  await t.step("EEXIST names the key", () => {
    const key = privateKey();
    using shm = SharedMemory.create({ key, size: 4096 });
    assertIpcError(
      () => shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0o600),
      "EEXIST",
      "shmget",
      "key",
    );
    assert.ok(shm.created);
  });
});

Deno.test("SharedMemory: create, open, fromId, ifExists, dispose and remove", () => {
  const key = privateKey();
  {
    using a = SharedMemory.create({ key, size: 4096, mode: 0o640 });
    assert.ok(a.created);
    assert.equal(a.key, key);
    assert.equal(a.size, 4096);
    assert.equal(a.stat().perm.mode & 0o777, 0o640);
    assert.throws(
      () => SharedMemory.create({ key, size: 4096 }),
      (e: unknown) => e instanceof IpcError && e.code === "EEXIST",
    );
    using b = SharedMemory.create({ key, size: 4096, ifExists: "open" });
    assert.ok(!b.created);
    assert.equal(b.id, a.id);
    using c = SharedMemory.open(key);
    using d = SharedMemory.fromId(a.id);
    assert.equal(d.key, key);
    const m = a.attach();
    m.writeCString("shared");
    using n = c.attach({ readOnly: true });
    assert.equal(n.readCString(), "shared");
    assert.equal(a.stat().nattch, 2);
    a.set({ mode: 0o600 });
    a.lock();
    a.unlock();
    b.close();
    c.close();
    d.close(); // opened handles do not remove
    assert.ok(sysvIds("shm").includes(a.id));
  } // a created it: disposing detached `m` and removed the segment
  assert.throws(
    () => SharedMemory.open(key),
    (e: unknown) => e instanceof IpcError && e.code === "ENOENT",
  );
  const e = SharedMemory.create({ size: 100, removeOnDispose: false });
  assert.equal(e.key, IPC_PRIVATE);
  e.close();
  assert.ok(sysvIds("shm").includes(e.id));
  e.remove();
  e.remove();
  assert.ok(e.removed);
  assert.ok(!sysvIds("shm").includes(e.id));
});

Deno.test("SharedMemory.create and attach name bad options as the caller wrote them", () => {
  // It said shmget for each.
  assert.throws(
    () => SharedMemory.create({ size: -1 }),
    /^RangeError: Argument "size" to SharedMemory\.create is out of range: "-1"/,
  );
  assert.throws(
    () => SharedMemory.create({ size: 1, key: "x" as unknown as number }),
    /^TypeError: Invalid argument "key" to SharedMemory\.create/,
  );
  assert.throws(
    () => SharedMemory.create({ size: 1, mode: 0o7777 }),
    /^RangeError: Argument "mode" to SharedMemory\.create is out of range/,
  );
  // attach said "shmaddr" to shmat for its address option.
  using shm = SharedMemory.create({ size: 4096 });
  for (const address of [4096, -1n, "0x1000"]) {
    assert.throws(
      () => shm.attach({ address: address as bigint }),
      /^TypeError: Invalid option "address" to SharedMemory\.attach: expected an address as a non-negative bigint/,
    );
  }
});

Deno.test("across processes: a Deno child reads and writes the parent's segment", async () => {
  using shm = SharedMemory.create({ size: 4096 });
  using memory = shm.attach();
  memory.writeCString("from the parent");
  const r = await runDeno("tests/helpers/shm_child.ts", [
    "read",
    String(shm.id),
    "0",
  ]);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "from the parent\n");
  const w = await runDeno("tests/helpers/shm_child.ts", [
    "write",
    String(shm.id),
    "512",
    "from the child, ünïcode ✓",
  ]);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(memory.readCString(512), "from the child, ünïcode ✓");
});

Deno.test("the FinalizationRegistry backstop detaches a forgotten attachment", async () => {
  using shm = SharedMemory.create({ size: 4096 });
  const r = await runDeno("tests/helpers/shm_child.ts", [
    "drop",
    String(shm.id),
  ], [
    "--allow-ffi",
    "--v8-flags=--expose-gc",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "0");
});

Deno.test("interop: a C peer reads and writes the same segment byte for byte", async () => {
  const peer = await cProgram("shm_peer");
  if (peer === null) return;
  using shm = SharedMemory.create({ size: 4096 });
  using memory = shm.attach();
  memory.writeCString("Deno to C");
  assert.equal(
    (await run(peer, ["read", String(shm.id), "0"])).stdout,
    "Deno to C\n",
  );
  const w = await run(peer, ["write", String(shm.id), "100", "C to Deno"]);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(memory.readCString(100), "C to Deno");
  assert.deepEqual([...memory.read(100, 10)], [
    ...new TextEncoder().encode("C to Deno\0"),
  ]);
});

Deno.test("interop: Python sysv_ipc reads and writes the same segment by key", async () => {
  const python = await pythonWithSysvIpc();
  if (python === null) return;
  const key = privateKey();
  using shm = SharedMemory.create({ key, size: 4096 });
  using memory = shm.attach();
  memory.write(new Uint8Array([1, 2, 3, 250, 255]));
  const script = `
import sysv_ipc, sys
m = sysv_ipc.SharedMemory(${key})
print(list(m.read(5)))
m.write(b"from python\\0", 200)
m.detach()
`;
  const r = await run(python, ["-c", script]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "[1, 2, 3, 250, 255]");
  assert.equal(memory.readCString(200), "from python");
  // And the key Python computes with ftok is ours.
  const k = await run(python, [
    "-c",
    "import sysv_ipc; print(sysv_ipc.ftok('/etc/hostname', 903))",
  ]);
  assert.equal(Number(k.stdout.trim()), ftok("/etc/hostname", 903));
});

Deno.test("examples: shm.ts prints what shm.c prints", async () => {
  const r = await runDeno("examples/shm.ts");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^shared memory attached at address 0x[0-9a-f]+$/);
  assert.deepEqual(lines.slice(1), [
    "segment size: 25600",
    "shared memory reattached at address 0x5000000",
    "Hello, world.",
  ]);
});

Deno.test("examples: a missing permission prints the command line, not a stack trace", async () => {
  const r = await runDeno("examples/shm.ts", [], ["--no-prompt"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /deno run --allow-ffi examples\/shm\.ts/);
  assert.doesNotMatch(r.stderr, /\bat /);
  const w = await runDeno("examples/shmwrite.ts", ["x"], [
    "--no-prompt",
    "--allow-ffi",
  ]);
  assert.equal(w.code, 2);
  assert.match(
    w.stderr,
    /deno run --allow-ffi --allow-read=\/etc\/hostname examples\/shmwrite\.ts TEXT/,
  );
});

Deno.test("examples: shmwrite/shmread interoperate with the article's C programs", async (t) => {
  // The article's key, ftok(PATH, 903), made from a file of this run alone
  // (the examples and C programs take the path), so that another run of
  // the suite on this machine never shares the segment.
  const keyFile = await Deno.makeTempFile({ prefix: "linux-ipc-key-" });
  const key = ownKey(ftok(keyFile, 903));
  const perms = ["--allow-ffi", `--allow-read=${keyFile}`];
  const at = `--key-path=${keyFile}`;
  try {
    await t.step("Deno writes, Deno reads", async () => {
      assert.equal(
        (await runDeno(
          "examples/shmwrite.ts",
          [at, "Hello, IPC world!"],
          perms,
        ))
          .code,
        0,
      );
      const r = await runDeno("examples/shmread.ts", [at], perms);
      assert.equal(r.stdout, "Hello, IPC world!\n");
      assert.equal(
        shmctl(shmget(key, 0, 0), IPC_STAT).perm.mode & 0o777,
        0o666,
      );
    });
    const cWrite = await cProgram("shmwrite");
    const cRead = await cProgram("shmread");
    if (cWrite === null || cRead === null) return;
    await t.step("Deno writes, C reads", async () => {
      await runDeno("examples/shmwrite.ts", [at, "written by Deno"], perms);
      assert.equal((await run(cRead, [keyFile])).stdout, "written by Deno\n");
    });
    await t.step("C writes, Deno reads", async () => {
      assert.equal((await run(cWrite, ["written by C", keyFile])).code, 0);
      assert.equal(
        (await runDeno("examples/shmread.ts", [at], perms)).stdout,
        "written by C\n",
      );
    });
    await t.step(
      "a shorter text is not mixed with the previous one",
      async () => {
        await runDeno("examples/shmwrite.ts", [at, "short"], perms);
        assert.equal((await run(cRead, [keyFile])).stdout, "short\n");
      },
    );
  } finally {
    const r = await runDeno("examples/shmread.ts", [at, "--remove"], perms);
    await Deno.remove(keyFile);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
  }
});

Deno.test("demo: runs across two processes and cleans up", async () => {
  const r = await runDeno("examples/demo.ts", [], [
    "--allow-ffi",
    "--allow-run",
    "--allow-env",
    "--allow-read",
    "--allow-write",
    "--allow-net",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /child .*read "Hello from the parent/);
  assert.match(r.stdout, /parent: read "Hello back from the child/);
  assert.match(r.stdout, /the shared counter is 1000000/);
  assert.match(r.stdout, /the counter is 40000 \(exactly 40000\)/);
  assert.match(r.stdout, /the mapping now holds 42/);
  assert.match(r.stdout, /read "third line"/);
  assert.match(r.stdout, /client 2: answered by the worker, pid \d+/);
  // The message queue step: the most urgent jobs (lowest type) first.
  assert.match(
    r.stdout,
    /job 1 \(type 1\).*\n.*job 2 \(type 1\).*\n.*job 3 \(type 2\).*\n.*job 4 \(type 3\)/,
  );
  assert.match(r.stdout, /^Done\.$/m);
});

Deno.test("shmctl IPC_SET refuses a field it does not have", async () => {
  // `perms` for `mode` changed nothing, silently.
  await withSegment(4096, (id) => {
    assert.throws(
      () => shmctl(id, IPC_SET, { perms: 0o640 } as never),
      /Unknown field "buf\.perms" to shmctl: expected one of "buf\.uid", "buf\.gid", "buf\.mode"/,
    );
    assert.equal(shmctl(id, IPC_STAT).perm.mode & 0o777, 0o600);
  });
});

Deno.test("SharedMemory: calls after close are BadResource; after remove, the segment is used while it lives, then EIDRM", () => {
  // After close, calls went on working; after remove and the last detach,
  // they asked the kernel with an id that a segment made since could have.
  const shm = SharedMemory.create({ size: 4096, removeOnDispose: false });
  shm.close();
  shm.close();
  for (
    const call of [
      () => shm.attach(),
      () => shm.stat(),
      () => shm.size,
      () => shm.set({ mode: 0o600 }),
    ]
  ) {
    assert.throws(
      call,
      new Deno.errors.BadResource("The shared memory segment is closed"),
    );
  }
  shm.remove();
  shm.remove();
  assert.ok(!sysvIds("shm").includes(shm.id));
  // Removed while attached: it lives on (Linux lets it be stat'd and
  // attached again) until the last detach, then it is gone.
  const other = SharedMemory.create({ size: 4096 });
  const first = other.attach();
  first.bytes[0] = 42;
  other.remove();
  assert.equal(other.stat().perm.mode & SHM_DEST, SHM_DEST);
  const second = other.attach();
  assert.equal(second.bytes[0], 42);
  first.close();
  second.close();
  for (
    const [call, syscall] of [
      [() => other.attach(), "shmat"],
      [() => other.stat(), "shmctl"],
    ] as const
  ) {
    assert.throws(call, (e: unknown) => {
      assert.ok(isCode("EIDRM", syscall, "shmid")(e), String(e));
      assert.match(String(e), /this object removed the segment/);
      return true;
    });
  }
  other.close();
});

await checkLeaksAtEnd();

Deno.test("shmctl: IPC_INFO, SHM_INFO, SHM_STAT and SHM_STAT_ANY list the machine's segments", () => {
  const read = (name: string) =>
    BigInt(procFile(`/proc/sys/kernel/${name}`).trim());
  const pageSize = getpagesize();
  const id = shmget(IPC_PRIVATE, 3 * pageSize, 0o600);
  const locked = shmget(IPC_PRIVATE, 5000, 0);
  try {
    const limits = shmctl(0, IPC_INFO);
    assert.equal(limits.shmmax, read("shmmax"));
    assert.equal(limits.shmall, read("shmall"));
    assert.equal(BigInt(limits.shmmni), read("shmmni"));
    assert.equal(limits.shmmin, 1);
    const use = shmctl(0, SHM_INFO);
    assert.ok(use.usedIds >= 2, "segments in use");
    const found = new Map<number, number>();
    for (let i = 0; i <= use.maxIndex; i++) {
      try {
        const ds = shmctl(i, SHM_STAT_ANY);
        found.set(ds.id, ds.segsz);
      } catch (e) {
        assert.ok(e instanceof IpcError && e.code === "EINVAL");
        assert.equal(e.argument, "shmid");
      }
    }
    assert.equal(found.get(id), 3 * pageSize);
    assert.equal(
      found.get(locked),
      5000,
      "SHM_STAT_ANY reads a mode-0 segment",
    );
    assert.equal(shmctl(id & 0x7fff, SHM_STAT).id, id);
    assert.throws(
      () => shmctl(use.maxIndex + 1, SHM_STAT_ANY),
      (e) => e instanceof IpcError && e.code === "EINVAL",
    );
  } finally {
    shmctl(id, IPC_RMID);
    shmctl(locked, IPC_RMID);
  }
});
