// POSIX shared memory: shm_open/shm_unlink, PosixSharedMemory, a C peer on
// glibc's shm_open and Python's multiprocessing.shared_memory (both
// directions), permissions, and bad input.
import assert from "node:assert/strict";
import {
  close,
  fstat,
  ftruncate,
  IpcError,
  Mapping,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  PosixMessageQueue,
  PosixSemaphore,
  PosixSharedMemory,
  shm_open,
  shm_unlink,
} from "../mod.ts";
import {
  checkLeaksAtEnd,
  cProgram,
  isCode,
  permissionProbe,
  ROOT,
  run,
  which,
} from "./_helpers.ts";

let count = 0;
/** A name of this run's own. */
const fresh = () => `/linux-ipc-test-${Deno.pid}-${count++}`;

/** Unlinks a name that may be gone already (Python unlinks at exit). */
function unlinkIfThere(name: string): void {
  try {
    shm_unlink(name);
  } catch (e) {
    if (!(e instanceof IpcError && e.code === "ENOENT")) throw e;
  }
}

Deno.test("shm_open and shm_unlink: the C calls, with C's errors", () => {
  const name = fresh();
  const fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600);
  try {
    assert.equal(fstat(fd).size, 0);
    ftruncate(fd, 4096);
    assert.equal(fstat(fd).size, 4096);
    assert.equal(fstat(fd).mode & 0o777, 0o600);
    assert.throws(
      () => shm_open(name, O_CREAT | O_EXCL | O_RDWR),
      isCode("EEXIST", "shm_open", "name"),
    );
    const again = shm_open(name, O_RDWR | O_TRUNC);
    assert.equal(fstat(again).size, 0);
    close(again);
    const ro = shm_open(name, O_RDONLY);
    assert.throws(() => ftruncate(ro, 10), isCode("EINVAL", "ftruncate"));
    close(ro);
  } finally {
    close(fd);
    shm_unlink(name);
  }
  assert.throws(
    () => shm_open(name, O_RDWR),
    isCode("ENOENT", "shm_open", "name"),
  );
  assert.throws(() => shm_unlink(name), isCode("ENOENT", "shm_unlink", "name"));
});

Deno.test("shm names and flags are checked as glibc checks them, before the call", () => {
  for (const bad of ["", "noslash", "/", "/a/b", "//x", "/.", "/.."]) {
    assert.throws(() => shm_open(bad, O_RDWR), TypeError, bad);
  }
  assert.throws(() => shm_open(`/${"x".repeat(254)}`, O_RDWR), RangeError);
  assert.throws(() => shm_open("/a\0b", O_RDWR), TypeError);
  assert.throws(() => shm_open(7 as unknown as string, O_RDWR), TypeError);
  assert.throws(() => shm_open(fresh(), 0o10000000), RangeError);
  assert.throws(() => shm_open(fresh(), O_CREAT | O_RDWR, 0o10000), RangeError);
  assert.throws(() => shm_unlink("x"), TypeError);
});

Deno.test("PosixSharedMemory: make, size, map twice, read-only, unlink", () => {
  const name = fresh();
  {
    using shm = PosixSharedMemory.open(name, {
      create: { size: 8192, exclusive: true, mode: 0o640 },
    });
    assert.equal(shm.name, name);
    assert.equal(shm.size, 8192);
    using a = shm.map();
    using b = shm.map({ offset: 4096 });
    a.memory.bytes[4096] = 0x5a;
    assert.equal(b.memory.bytes[0], 0x5a);
    assert.throws(
      () => PosixSharedMemory.open(name, { create: { exclusive: true } }),
      isCode("EEXIST"),
    );
    // create without exclusive opens it, and only grows it.
    using same = PosixSharedMemory.open(name, { create: { size: 100 } });
    assert.equal(same.size, 8192);
  }
  {
    using ro = PosixSharedMemory.open(name, { mode: "r" });
    using view = ro.map();
    assert.equal(view.memory.read(4096, 1)[0], 0x5a);
    assert.throws(() => ro.map({ mode: "rw" }), isCode("EACCES", "mmap"));
    // Named for the method called (it said Mapping.fromFd); an undefined
    // mode is the object's, as a missing one is.
    assert.throws(
      () => ro.map({ mode: "x" as never }),
      /^TypeError: Invalid option "mode" to PosixSharedMemory\.map: expected "r" or "rw", got "x"$/,
    );
    ro.map({ mode: undefined }).close();
    assert.throws(() => ro.truncate(10), isCode("EINVAL"));
    ro.unlink();
    assert.throws(() => ro.unlink(), isCode("ENOENT"));
    // The mapping outlives both the name and the descriptor.
    ro.close();
    ro.close();
    assert.equal(ro.closed, true);
    assert.equal(view.memory.read(4096, 1)[0], 0x5a);
    assert.throws(() => ro.size, Deno.errors.BadResource);
    assert.throws(() => ro.fd, Deno.errors.BadResource);
  }
  assert.throws(() => PosixSharedMemory.open(name), isCode("ENOENT"));
  assert.throws(
    () => PosixSharedMemory.open(name, { mode: "x" as "r" }),
    TypeError,
  );
  assert.throws(
    () => PosixSharedMemory.open(name, { mode: "r", create: { size: 1 } }),
    TypeError,
  );
  assert.throws(
    () => PosixSharedMemory.open(name, { create: { size: -1 } }),
    RangeError,
  );
  assert.throws(
    () =>
      PosixSharedMemory.open(name, null as unknown as Record<string, never>),
    TypeError,
  );
  {
    using empty = PosixSharedMemory.open(name, { create: {} });
    assert.throws(() => empty.map(), /length 0|ENODEV|EINVAL|empty/);
    empty.unlink();
  }
  // Truncating needs "rw": Linux truncates on a read-only open with
  // O_TRUNC, which would empty the object under every other user.
  {
    using shm = PosixSharedMemory.open(name, { create: { size: 4096 } });
    assert.throws(
      () => PosixSharedMemory.open(name, { mode: "r", truncate: true }),
      /^TypeError: Invalid option "truncate".*"rw"/,
    );
    assert.equal(shm.size, 4096);
    using again = PosixSharedMemory.open(name, { truncate: true });
    assert.equal(shm.size, 0);
    again.unlink();
  }
});

Deno.test("the POSIX classes' create options are named in their errors, before the call", () => {
  // Each said the C call's argument ("length" to ftruncate, "attr.maxmsg"
  // to mq_open, "value" to sem_open) for an option the caller named
  // otherwise, in a call the caller did not make.
  const name = fresh();
  const cases: [() => unknown, RegExp][] = [
    [
      () => PosixSharedMemory.open(name, { create: { size: -1 } }),
      /^RangeError: Argument "create\.size" to PosixSharedMemory\.open is out of range: "-1"/,
    ],
    [
      () => PosixSharedMemory.open(name, { create: { mode: 0o1777 } }),
      /^RangeError: Argument "create\.mode" to PosixSharedMemory\.open is out of range: "1023"/,
    ],
    [
      () => PosixMessageQueue.open(name, { create: { maxmsg: 0 } }),
      /^RangeError: Argument "create\.maxmsg" to PosixMessageQueue\.open is out of range: "0"/,
    ],
    [
      () => PosixMessageQueue.open(name, { create: { msgsize: 1.5 } }),
      /^TypeError: Invalid argument "create\.msgsize" to PosixMessageQueue\.open: expected an integer, got "1\.5"/,
    ],
    [
      () => PosixMessageQueue.open(name, { create: { mode: "x" as never } }),
      /^TypeError: Invalid argument "create\.mode" to PosixMessageQueue\.open/,
    ],
    [
      () => PosixSemaphore.open(name, { create: { value: -1 } }),
      /^RangeError: Argument "create\.value" to PosixSemaphore\.open is out of range: "-1"/,
    ],
    [
      () => PosixSemaphore.open(name, { create: { mode: -1 } }),
      /^RangeError: Argument "create\.mode" to PosixSemaphore\.open is out of range: "-1"/,
    ],
  ];
  const file = `${Deno.makeTempDirSync()}/mapped`;
  cases.push([
    () => Mapping.file(file, { create: { size: 1, mode: 0o7777 } }),
    /^RangeError: Argument "create\.mode" to Mapping\.file is out of range: "4095"/,
  ]);
  for (const [call, message] of cases) assert.throws(call, message);
  // (Mapping.file made a file of mode 07777, setuid and all.)
  assert.throws(() => Deno.statSync(file), Deno.errors.NotFound);
  Deno.removeSync(file.slice(0, -"/mapped".length));
  // Nothing was made.
  assert.throws(() => PosixSharedMemory.open(name), isCode("ENOENT"));
  assert.throws(() => PosixMessageQueue.open(name), isCode("ENOENT"));
  assert.throws(() => PosixSemaphore.open(name), isCode("ENOENT"));
});

Deno.test("map, truncate and the Mapping methods name a bad offset, length or size under their own names", () => {
  // They said "length" to mmap, or "length" to ftruncate for a size.
  const name = fresh();
  using shm = PosixSharedMemory.open(name, { create: { size: 8192 } });
  shm.unlink();
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/f`;
    const cases: [() => unknown, RegExp][] = [
      [
        () => shm.map({ length: 0 }),
        /^RangeError: Argument "length" to PosixSharedMemory\.map is out of range: "0" is not in \[1, /,
      ],
      [
        () => shm.map({ offset: -4096 }),
        /^RangeError: Argument "offset" to PosixSharedMemory\.map is out of range/,
      ],
      [
        () => shm.truncate(-1),
        /^RangeError: Argument "size" to PosixSharedMemory\.truncate is out of range/,
      ],
      [
        () => Mapping.fromFd(shm.fd, { length: -1 }),
        /^RangeError: Argument "length" to Mapping\.fromFd is out of range/,
      ],
      [
        () => Mapping.file(file, { create: { size: 4096 }, offset: 1.5 }),
        /^TypeError: Invalid argument "offset" to Mapping\.file: expected an integer, got "1\.5"$/,
      ],
    ];
    using map = Mapping.anonymous(4096);
    cases.push(
      [
        () => map.sync(-1),
        /^RangeError: Argument "flags" to Mapping\.sync is out of range/,
      ],
      [
        () => map.advise(99),
        /^RangeError: Argument "advice" to Mapping\.advise is out of range: "99" is not in \[0, 4\]$/,
      ],
    );
    for (const [call, message] of cases) assert.throws(call, message);
    // Checked before the file was made.
    assert.throws(() => Deno.statSync(file), Deno.errors.NotFound);
    assert.equal(shm.size, 8192);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("byte for byte with a C peer on glibc's shm_open, both directions", async () => {
  const peer = await cProgram("posix_peer");
  if (peer === null) return;
  const name = fresh();
  try {
    assert.equal(
      (await run(peer, ["shm-write", name, "written by C"])).code,
      0,
    );
    {
      using shm = PosixSharedMemory.open(name, { mode: "r" });
      using map = shm.map();
      assert.equal(map.memory.readCString(), "written by C");
      assert.equal(shm.size, 4096);
    }
    {
      using shm = PosixSharedMemory.open(name);
      using map = shm.map();
      map.memory.writeCString("written by Deno, é");
    }
    const out = await run(peer, ["shm-read", name]);
    assert.equal(out.stdout, "written by Deno, é\n");
  } finally {
    unlinkIfThere(name);
  }
});

Deno.test("byte for byte with Python's multiprocessing.shared_memory, both directions", async () => {
  if (which("python3") === null) return;
  const name = fresh();
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  try {
    // Python makes it and writes; this process reads.
    const made = await run("python3", [
      "-c",
      `
from multiprocessing import shared_memory, resource_tracker
s = shared_memory.SharedMemory(name="${name.slice(1)}", create=True, size=4096)
s.buf[:256] = bytes(range(256))
# Keep it after exit: this test removes it.
resource_tracker.unregister(s._name, "shared_memory")
s.close()
print("made")
`,
    ]);
    assert.equal(made.stdout, "made\n", made.stderr);
    {
      using shm = PosixSharedMemory.open(name);
      using map = shm.map();
      assert.deepEqual(map.memory.read(0, 256), bytes);
      // This process writes; Python reads.
      map.memory.bytes.set(bytes.slice().reverse(), 256);
    }
    const read = await run("python3", [
      "-c",
      `
from multiprocessing import shared_memory
s = shared_memory.SharedMemory(name="${name.slice(1)}")
print(bytes(s.buf[256:512]) == bytes(reversed(range(256))), s.size >= 4096)
s.close()
`,
    ]);
    assert.equal(read.stdout, "True True\n", read.stderr);
  } finally {
    // Debian's Python 3.11 unlinks what it attached when it exits.
    unlinkIfThere(name);
  }
});

Deno.test("permissions: /dev/shm/NAME needs --allow-read to open and --allow-write to write, create or unlink", async () => {
  const name = fresh();
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-test-" });
  using shm = PosixSharedMemory.open(name, { create: { size: 4096 } });
  try {
    const child = (flags: string[], action: string) =>
      permissionProbe(dir, ["PosixSharedMemory"], flags, action);
    const path = `/dev/shm${name}`;
    const read =
      `using s = PosixSharedMemory.open("${name}", { mode: "r" }); using m = s.map(); m.memory.read(0, 1);`;
    assert.match(
      await child(["--allow-ffi"], read),
      /NotCapable: .*read access to "\/dev\/shm\/.*--allow-read/,
    );
    assert.equal(
      await child(["--allow-ffi", `--allow-read=${path}`], read),
      "ok\n",
    );
    const write =
      `using s = PosixSharedMemory.open("${name}"); s.truncate(8192);`;
    assert.match(
      await child(["--allow-ffi", `--allow-read=${path}`], write),
      /NotCapable: .*--allow-write/,
    );
    assert.equal(
      await child([
        "--allow-ffi",
        `--allow-read=${path}`,
        `--allow-write=${path}`,
      ], write),
      "ok\n",
    );
    assert.match(
      await child(
        ["--allow-ffi", "--allow-read"],
        `PosixSharedMemory.unlink("${name}");`,
      ),
      /NotCapable: .*--allow-write/,
    );
  } finally {
    shm.unlink();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples: pshm_create, pshm_write, pshm_read, pshm_unlink (TLPI 54-1 to 54-4)", async () => {
  const name = fresh();
  const rw = ["--allow-ffi", "--allow-read=/dev/shm", "--allow-write=/dev/shm"];
  const ex = (script: string, flags: string[], ...args: string[]) =>
    run(Deno.execPath(), [
      "run",
      "--quiet",
      ...flags,
      `${ROOT}examples/${script}.ts`,
      ...args,
    ]);
  try {
    assert.match(
      (await ex("pshm_create", rw, name, "100")).stdout,
      /is 100 bytes/,
    );
    assert.match(
      (await ex("pshm_write", rw, name, "hello, shm")).stdout,
      /copied 10 bytes/,
    );
    const read = await ex(
      "pshm_read",
      ["--allow-ffi", "--allow-read=/dev/shm"],
      name,
    );
    assert.equal(read.stdout, "hello, shm\n");
    // Without the grant: the command line to run instead, no stack trace.
    const denied = await ex("pshm_read", ["--allow-ffi"], name);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /--allow-read=\/dev\/shm/);
    assert.equal(
      (await ex("pshm_unlink", ["--allow-ffi", "--allow-write=/dev/shm"], name))
        .code,
      0,
    );
    const gone = await ex(
      "pshm_read",
      ["--allow-ffi", "--allow-read=/dev/shm"],
      name,
    );
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /ENOENT/);
  } finally {
    unlinkIfThere(name);
  }
});

await checkLeaksAtEnd();
