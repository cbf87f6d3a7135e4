import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  close,
  fstat,
  ftruncate,
  getpagesize,
  MADV_DONTNEED,
  MADV_SEQUENTIAL,
  madvise,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  MAP_SHARED,
  Mapping,
  memfd_create,
  mkfifo,
  mmap,
  mprotect,
  MS_ASYNC,
  MS_INVALIDATE,
  MS_SYNC,
  msync,
  munmap,
  O_CREAT,
  O_RDONLY,
  O_RDWR,
  open,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "../mod.ts";
import {
  checkLeaksAtEnd,
  cProgram,
  isCode,
  ROOT,
  run,
  runDeno,
} from "./_helpers.ts";

const PAGE = getpagesize();
const RW = PROT_READ | PROT_WRITE;

async function withFile(
  size: number,
  fn: (path: string) => void | Promise<void>,
): Promise<void> {
  const path = await Deno.makeTempFile({ prefix: "linux-ipc-mmap-" });
  try {
    if (size > 0) await Deno.truncate(path, size);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("examples: write, read, read prints N then 2N; the file holds the double", async () => {
  await withFile(0, async (file) => {
    const perms = ["--allow-ffi", "--allow-read", "--allow-write"];
    const w = await runDeno("examples/mmap_write.ts", [file], perms);
    assert.equal(w.code, 0, w.stderr);
    const n = Number(w.stdout.match(/^wrote (-?\d+) into /)![1]);
    assert.ok(n >= -100 && n <= 100);
    assert.equal((await Deno.stat(file)).size, 0x100);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.equal(
      (await runDeno("examples/mmap_read.ts", [file], perms)).stdout,
      `value: ${n}\n`,
    );
    assert.equal(
      (await runDeno("examples/mmap_read.ts", [file], perms)).stdout,
      `value: ${2 * n}\n`,
    );
    const text = new TextDecoder().decode(await Deno.readFile(file));
    assert.equal(text.slice(0, text.indexOf("\0")), `${4 * n}\n`);
  });
});

Deno.test("interop: the C mmap-read reads what mmap_write.ts wrote, and the other way round", async () => {
  const cWrite = await cProgram("mmap_write");
  const cRead = await cProgram("mmap_read");
  if (cWrite === null || cRead === null) return;
  const perms = ["--allow-ffi", "--allow-read", "--allow-write"];
  await withFile(0, async (file) => {
    const w = await runDeno("examples/mmap_write.ts", [file], perms);
    const n = Number(w.stdout.match(/^wrote (-?\d+)/)![1]);
    assert.equal((await run(cRead, [file])).stdout, `value: ${n}\n`);
    assert.equal(
      (await runDeno("examples/mmap_read.ts", [file], perms)).stdout,
      `value: ${2 * n}\n`,
    );
  });
  await withFile(0, async (file) => {
    assert.equal((await run(cWrite, [file, "-37"])).code, 0);
    assert.equal(
      (await runDeno("examples/mmap_read.ts", [file], perms)).stdout,
      "value: -37\n",
    );
    assert.equal((await run(cRead, [file])).stdout, "value: -74\n");
  });
});

Deno.test("views are zero-copy, shared mappings share, and munmap detaches them", async () => {
  await withFile(2 * PAGE, (path) => {
    const fd = open(path, O_RDWR);
    const a = mmap(null, 2 * PAGE, RW, MAP_SHARED, fd, 0);
    const b = mmap(null, PAGE, RW, MAP_SHARED, fd, PAGE);
    close(fd);
    a.bytes[PAGE + 5] = 42;
    assert.equal(b.bytes[5], 42, "offset PAGE of a is offset 0 of b");
    const ints = new Int32Array(a.bytes.buffer);
    Atomics.store(ints, 0, 7);
    msync(a, MS_SYNC);
    assert.equal(
      new DataView(Deno.readFileSync(path).buffer).getInt32(0, true),
      7,
    );
    munmap(a);
    assert.equal(ints.length, 0);
    assert.throws(() => munmap(a), isCode("EINVAL", "munmap"));
    assert.throws(() => a.bytes, Deno.errors.BadResource);
    b.close();
    b.close();
  });
});

Deno.test("MAP_PRIVATE is copy-on-write: not in the file, not in other mappings", async () => {
  await withFile(PAGE, (path) => {
    Deno.writeFileSync(path, new TextEncoder().encode("original"));
    using priv = Mapping.file(path, { private: true, length: PAGE });
    using shared = Mapping.file(path, { length: PAGE });
    priv.memory.write("PRIVATE!");
    assert.equal(priv.memory.readCString().slice(0, 8), "PRIVATE!");
    assert.equal(shared.memory.readCString().slice(0, 8), "original");
    assert.equal(
      new TextDecoder().decode(Deno.readFileSync(path).subarray(0, 8)),
      "original",
    );
  });
});

Deno.test("msync with MS_SYNC, MS_ASYNC and MS_INVALIDATE", async () => {
  await withFile(PAGE, (path) => {
    using map = Mapping.file(path);
    map.memory.write("sync");
    map.sync(MS_SYNC);
    map.sync(MS_ASYNC);
    map.sync(MS_SYNC | MS_INVALIDATE);
    msync(map.memory, MS_ASYNC, 0, PAGE);
    assert.equal(
      new TextDecoder().decode(Deno.readFileSync(path).subarray(0, 4)),
      "sync",
    );
    assert.throws(
      () => map.sync(MS_SYNC | MS_ASYNC),
      isCode("EINVAL", "msync"),
    );
    assert.throws(
      () => msync(map.memory, MS_SYNC, 1),
      isCode("EINVAL", "msync", "offset"),
    );
  });
});

Deno.test("anonymous mappings and /dev/zero", () => {
  using anon = Mapping.anonymous(3 * PAGE);
  assert.equal(anon.memory.byteLength, 3 * PAGE);
  assert.ok(anon.memory.bytes.every((b) => b === 0));
  anon.memory.bytes.fill(1);
  const priv = mmap(null, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  priv.bytes.fill(9);
  madvise(priv, MADV_DONTNEED); // private anonymous pages are dropped: zeros again
  assert.equal(priv.bytes[0], 0);
  madvise(priv, MADV_SEQUENTIAL);
  munmap(priv);
  const fd = open("/dev/zero", O_RDWR);
  const zero = mmap(null, PAGE, RW, MAP_SHARED, fd, 0);
  close(fd);
  assert.equal(zero.byteLength, PAGE, "a device is not clamped to a file size");
  zero.write("zeros, then this");
  assert.equal(zero.readCString(), "zeros, then this");
  munmap(zero);
});

Deno.test("an anonymous shared memfd is shared with a child process that gets the fd", async () => {
  using map = Mapping.memfd(PAGE);
  map.memory.writeCString("from the parent");
  const child = spawn(Deno.execPath(), [
    "run",
    "--quiet",
    "--allow-ffi",
    `${ROOT}tests/helpers/mmap_child.ts`,
    "fd3",
  ], { stdio: ["ignore", "pipe", "inherit", map.fd!] });
  let out = "";
  child.stdout!.on("data", (d) => out += d);
  const code = await new Promise((r) => child.on("close", r));
  assert.equal(code, 0);
  assert.equal(out, "from the parent\n");
  assert.equal(map.memory.readCString(100), "child was here");
});

Deno.test("a memfd mapping whose descriptor was closed elsewhere never closes the number's next file", () => {
  const map = Mapping.memfd(PAGE);
  const n = map.fd!;
  close(n);
  assert.equal(map.fd, null);
  // The next file opened takes the number; closing the mapping leaves it.
  const other = memfd_create("linux-ipc-test-reused");
  try {
    assert.equal(other, n);
    map.close();
    assert.equal(fstat(other).size, 0);
  } finally {
    close(other);
  }
  map.memory.close();
  const closed = Mapping.memfd(PAGE);
  closed.close();
  assert.equal(closed.fd, null);
});

Deno.test("cutting a file short under a live mapping is refused (EBUSY), never a SIGBUS", async () => {
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-shrink-" });
  try {
    const out = await runDeno("tests/helpers/mmap_child.ts", ["shrink", dir], [
      "--allow-ffi",
      `--allow-read=${dir},/dev/shm`,
      `--allow-write=${dir},/dev/shm`,
    ]);
    // Before, the child died of SIGBUS at the first touch after a cut.
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trimEnd().split("\n"), [
      "ftruncate: EBUSY",
      "open O_TRUNC: EBUSY",
      "openAsync O_TRUNC: EBUSY",
      "ftruncate within the last page: cut",
      "ftruncate longer: cut",
      "truncate: EBUSY",
      "open truncate: EBUSY",
      "shm_open O_TRUNC: EBUSY",
      "truncate once unmapped: cut",
      "ftruncate once unmapped: cut",
      "alive",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MAP_FIXED maps at a page-aligned address and never replaces a mapping", () => {
  const probe = mmap(null, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  const free = probe.address;
  munmap(probe);
  const fixed = mmap(
    free,
    PAGE,
    RW,
    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
    -1,
  );
  assert.equal(fixed.address, free);
  assert.throws(
    () => mmap(free, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1),
    isCode("EEXIST", "mmap", "addr"),
  );
  assert.throws(
    () =>
      mmap(free + 1n, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1),
    isCode("EINVAL", "mmap"),
  );
  fixed.bytes[0] = 1; // still ours, still usable
  munmap(fixed);
});

Deno.test("mprotect: lowering access detaches old views; PROT_NONE refuses reads", () => {
  using map = Mapping.anonymous(PAGE);
  const old = map.memory.bytes;
  map.memory.write("kept");
  map.protect("read");
  assert.equal(old.length, 0, "a writable view cannot outlive write access");
  assert.throws(() => map.memory.bytes, TypeError);
  assert.throws(() => map.memory.write("x"), TypeError);
  assert.equal(map.memory.readCString(), "kept");
  mprotect(map.memory, PROT_NONE);
  assert.equal(map.memory.access, "none");
  assert.throws(() => map.memory.read(), TypeError);
  assert.throws(() => map.memory.readCString(), TypeError);
  map.protect("readwrite");
  map.memory.bytes[0] = 75;
  assert.equal(map.memory.readCString(), "Kept");
});

Deno.test("a mapping longer than its file stops at the end of the file", async () => {
  await withFile(100, (path) => {
    const fd = open(path, O_RDWR);
    const m = mmap(null, 4 * PAGE, RW, MAP_SHARED, fd, 0);
    close(fd);
    assert.equal(m.byteLength, 100, "pages past the end would raise SIGBUS");
    assert.throws(() => m.write("x", 2 * PAGE), RangeError);
    assert.throws(() => m.read(0, 101), RangeError);
    assert.equal(m.bytes.length, 100);
    m.write("fits", 96);
    munmap(m);
  });
});

Deno.test("bad input: typed errors, and the process lives", async (t) => {
  await withFile(PAGE, async (path) => {
    const rdonly = open(path, O_RDONLY);
    const cases: [
      string,
      () => unknown,
      ErrorConstructor | [string, string?],
    ][] = [
      ["zero length", () => mmap(null, 0, RW, MAP_SHARED, rdonly), RangeError],
      [
        "negative length",
        () => mmap(null, -4096, RW, MAP_SHARED, rdonly),
        RangeError,
      ],
      [
        "offset not page-aligned",
        () => mmap(null, 100, PROT_READ, MAP_SHARED, rdonly, 100),
        ["EINVAL", "offset"],
      ],
      [
        "negative offset",
        () => mmap(null, 100, PROT_READ, MAP_SHARED, rdonly, -4096),
        RangeError,
      ],
      [
        "unknown prot bits",
        () => mmap(null, 100, 0x40, MAP_SHARED, rdonly),
        RangeError,
      ],
      [
        "unknown flag bits",
        () => mmap(null, 100, PROT_READ, 0x8, rdonly),
        RangeError,
      ],
      [
        "neither MAP_SHARED nor MAP_PRIVATE",
        () => mmap(null, 100, PROT_READ, 0, rdonly),
        ["EINVAL"],
      ],
      [
        "a descriptor that is not open",
        () => mmap(null, 100, PROT_READ, MAP_SHARED, 987),
        ["EBADF", "fd"],
      ],
      [
        "writable shared map of a read-only fd",
        () => mmap(null, 100, RW, MAP_SHARED, rdonly),
        ["EACCES", "fd"],
      ],
      [
        "fd not an integer",
        () => mmap(null, 100, PROT_READ, MAP_SHARED, 1.5),
        TypeError,
      ],
      ["munmap of a non-region", () => munmap({} as never), TypeError],
      ["open of a missing file", () => open(`${path}.missing`, O_RDWR), [
        "ENOENT",
        "pathname",
      ]],
      [
        "open of a path too long",
        () => open(`/tmp/${"x".repeat(5000)}`, O_RDWR | O_CREAT),
        ["ENAMETOOLONG", "pathname"],
      ],
      [
        "open with a NUL in the path",
        () => open("/tmp/a\0b", O_RDONLY),
        TypeError,
      ],
      ["open with unknown flags", () => open(path, 0x40000000), RangeError],
      ["close of a closed fd", () => close(987), ["EBADF", "fd"]],
      ["ftruncate of a read-only fd", () => ftruncate(rdonly, 10), [
        "EINVAL",
        "fd",
      ]],
      ["fstat of a closed fd", () => fstat(987), ["EBADF", "fd"]],
      ["memfd name with NUL", () => memfd_create("a\0b"), TypeError],
    ];
    try {
      for (const [name, fn, expected] of cases) {
        await t.step(name, () => {
          if (Array.isArray(expected)) {
            assert.throws(fn, isCode(expected[0], undefined, expected[1]));
          } else {
            assert.throws(fn, expected);
          }
        });
      }
    } finally {
      close(rdonly);
    }
  });
});

Deno.test("paths honour --allow-read and --allow-write even with --allow-ffi", async () => {
  await withFile(10, async (path) => {
    const r = await runDeno("tests/helpers/mmap_child.ts", ["open", path], [
      "--no-prompt",
      "--allow-ffi",
      `--allow-read=${path}`,
    ]);
    assert.equal(
      r.stdout.trim(),
      `NotCapable: Requires write access to "${path}", run again with the --allow-write flag`,
    );
    const ok = await runDeno("tests/helpers/mmap_child.ts", ["open", path], [
      "--allow-ffi",
      `--allow-read=${path}`,
      `--allow-write=${path}`,
    ]);
    assert.equal(ok.stdout.trim(), "opened");
  });
});

Deno.test("writeCString with a field size refuses text that would not fit, NUL included", () => {
  using map = Mapping.anonymous(4096);
  const m = map.memory;
  m.bytes.fill(0x41, 0, 64);
  assert.equal(m.writeCString("worker-1", 16, 16), 9);
  assert.equal(m.readCString(16), "worker-1");
  // 16 bytes of text need 17 with the NUL: refused, nothing written.
  assert.throws(() => m.writeCString("x".repeat(16), 32, 16), RangeError);
  assert.equal(m.bytes[32], 0x41);
  assert.equal(m.bytes[48], 0x41);
  assert.equal(m.writeCString("x".repeat(15), 32, 16), 16);
  assert.throws(() => m.writeCString("a", 0, 0), RangeError);
  assert.throws(() => m.writeCString("a", 0, 1.5), TypeError);
});

Deno.test("a region's reads and writes refuse what is not bytes, text or an integer", () => {
  using map = Mapping.anonymous(64);
  const m = map.memory;
  m.bytes.fill(0x41);
  // A NUL inside would end the string for C: refused, nothing written.
  assert.throws(
    () => m.writeCString("a\0b"),
    /^TypeError: .*"text" to MemoryRegion\.writeCString.*"a\\0b"/,
  );
  assert.throws(() => m.writeCString(5 as never), /"text"/);
  assert.equal(m.bytes[0], 0x41);
  // Only a Uint8Array or a string is written (an array of numbers or an
  // object with a length was written as whatever it coerced to).
  for (const data of [null, [1, 2], { length: 3 }, 7]) {
    assert.throws(
      () => m.write(data as never),
      /^TypeError: Invalid argument "data" to MemoryRegion\.write: expected a Uint8Array or a string, got "/,
    );
  }
  assert.equal(m.bytes[0], 0x41);
  // Offsets and lengths that are not integers are a TypeError naming them;
  // integers outside the region stay a RangeError.
  for (
    const [call, name] of [
      [() => m.read("1" as never), "offset"],
      [() => m.read(1.5), "offset"],
      [() => m.read(0, NaN), "length"],
      [() => m.write(new Uint8Array(1), 0.5), "offset"],
      [() => m.readCString("0" as never), "offset"],
    ] as const
  ) {
    assert.throws(call, new RegExp(`^TypeError: .*"${name}"`));
  }
  assert.throws(() => m.read(65), RangeError);
  assert.throws(() => m.read(0, 65), RangeError);
});

Deno.test("Mapping.file refuses a FIFO at once (it used to block for ever), and other files that are not regular", async () => {
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-test-" });
  try {
    mkfifo(`${dir}/fifo`, 0o600);
    const t0 = performance.now();
    assert.throws(
      () => Mapping.file(`${dir}/fifo`, { mode: "r" }),
      isCode("ENODEV", "mmap", "path"),
    );
    assert.throws(
      () => Mapping.file(`${dir}/fifo`),
      isCode("ENODEV", "mmap", "path"),
    );
    assert.ok(performance.now() - t0 < 1000);
    assert.throws(
      () => Mapping.file(dir, { mode: "r" }),
      isCode("ENODEV", "mmap", "path"),
    );
    // Opened to write, a directory was EISDIR blaming "flags".
    for (const options of [{}, { create: { size: 10 } }]) {
      assert.throws(
        () => Mapping.file(dir, options),
        (e: unknown) =>
          isCode("ENODEV", "mmap", "path")(e) &&
          /it is a directory: only regular files are mapped/.test(
            (e as Error).message,
          ),
      );
    }
    assert.throws(
      () => Mapping.file("/dev/null", { mode: "r" }),
      isCode("ENODEV", "mmap", "path"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Mapping: sync, protect and advise after close are BadResource", () => {
  // protect said EINVAL "already unmapped", unlike every other object's
  // calls once closed.
  const map = Mapping.anonymous(4096);
  map.close();
  map.close();
  for (
    const call of [
      () => map.sync(),
      () => map.protect("read"),
      () => map.advise(0),
      () => map.memory.bytes,
    ]
  ) {
    assert.throws(call, Deno.errors.BadResource);
  }
});

Deno.test("MemoryRegion's errors name its methods", () => {
  // They named "read" and "write", as if the C calls, and writeCString's
  // range error named write.
  using map = Mapping.anonymous(4096);
  const m = map.memory;
  const cases: [() => unknown, RegExp][] = [
    [
      () => m.read(4000, 200),
      /^RangeError: Argument "length" to MemoryRegion\.read is out of range/,
    ],
    [
      () => m.readCString(5000),
      /^RangeError: Argument "offset" to MemoryRegion\.readCString is out of range/,
    ],
    [
      // The data's length: there is no argument "length" to write.
      () => m.write("xy", 4095),
      /^RangeError: Argument "data" to MemoryRegion\.write is out of range: "2" bytes at offset "4095" do not fit/,
    ],
    [
      () => m.write(7 as never),
      /^TypeError: Invalid argument "data" to MemoryRegion\.write: expected a Uint8Array or a string, got "7"$/,
    ],
    [
      () => m.writeCString("0123456789", 4090),
      /^RangeError: Argument "text" to MemoryRegion\.writeCString is out of range: "11" bytes at offset "4090" do not fit/,
    ],
    [
      () => m.writeCString("abc", 0, 2),
      /^RangeError: Argument "text" to MemoryRegion\.writeCString is too long/,
    ],
  ];
  for (const [call, message] of cases) {
    assert.throws(call, (e: unknown) => {
      assert.match(String(e), message);
      return true;
    });
  }
});

await checkLeaksAtEnd();
