import assert from "node:assert/strict";
import {
  close,
  F_ADD_SEALS,
  F_GET_SEALS,
  F_SEAL_EXEC,
  F_SEAL_FUTURE_WRITE,
  F_SEAL_GROW,
  F_SEAL_SEAL,
  F_SEAL_SHRINK,
  F_SEAL_WRITE,
  fcntl,
  ftruncate,
  IpcError,
  MAP_SHARED,
  Mapping,
  memfd_create,
  MFD_ALLOW_SEALING,
  MFD_HUGE_SHIFT,
  MFD_HUGETLB,
  MFD_NOEXEC_SEAL,
  mmap,
  munmap,
  pipe,
  PROT_READ,
  PROT_WRITE,
  requireSeals,
  sealNames,
  write,
} from "../mod.ts";
import { checkLeaksAtEnd, isCode, startDeno, withDir } from "./_helpers.ts";

/** A sealable memfd of `size` bytes, closed after `fn`. */
function withMemfd(
  size: number,
  fn: (fd: number) => void,
  flags = MFD_ALLOW_SEALING,
): void {
  const fd = memfd_create("linux-ipc-test", flags);
  try {
    ftruncate(fd, size);
    fn(fd);
  } finally {
    close(fd);
  }
}

Deno.test("memfd_create: the flags reach the kernel; bad ones are refused before", () => {
  // Without MFD_ALLOW_SEALING the file is born with F_SEAL_SEAL.
  withMemfd(0, (fd) => {
    assert.equal(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
    assert.throws(
      () => fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK),
      isCode("EPERM", "fcntl", "arg"),
    );
  }, 0);
  withMemfd(0, (fd) => assert.equal(fcntl(fd, F_GET_SEALS), 0));
  // MFD_NOEXEC_SEAL (Linux 6.3): sealable, and sealed against exec.
  try {
    withMemfd(0, (fd) => {
      assert.ok((fcntl(fd, F_GET_SEALS) & F_SEAL_EXEC) !== 0);
    }, MFD_NOEXEC_SEAL);
  } catch (e) {
    assert.ok(e instanceof IpcError && e.code === "EINVAL", String(e));
  }
  // Huge pages: made, or a typed error when none are reserved.
  try {
    withMemfd(0, () => {}, MFD_HUGETLB);
  } catch (e) {
    assert.ok(
      e instanceof IpcError && ["ENOMEM", "EINVAL"].includes(e.code),
      String(e),
    );
  }
  // A huge page size no machine has: the kernel's errno, not an FFI error.
  assert.throws(
    () => memfd_create("x", MFD_HUGETLB | (63 << MFD_HUGE_SHIFT)),
    (e: unknown) =>
      e instanceof IpcError && ["ENODEV", "EINVAL"].includes(e.code) &&
      e.syscall === "memfd_create" && e.argument === "flags",
  );
  assert.throws(() => memfd_create("x", 0x100), RangeError);
  assert.throws(() => memfd_create("x\0y"), TypeError);
});

Deno.test("seals: each one forbids what it says, with the kernel's errno", () => {
  const page = new Uint8Array(4096);
  withMemfd(4096, (fd) => {
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
    assert.throws(() => ftruncate(fd, 100), isCode("EPERM", "ftruncate"));
    ftruncate(fd, 8192); // growing is still allowed
    fcntl(fd, F_ADD_SEALS, F_SEAL_GROW);
    assert.throws(() => ftruncate(fd, 16384), isCode("EPERM", "ftruncate"));
    assert.equal(write(fd, new Uint8Array([1, 2, 3])), 3);
    // F_SEAL_WRITE needs no writable shared mapping: EBUSY while one exists.
    const region = mmap(null, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert.throws(
      () => fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE),
      isCode("EBUSY", "fcntl", "arg"),
    );
    munmap(region);
    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE);
    assert.throws(() => write(fd, page), isCode("EPERM", "write"));
    assert.throws(
      () => mmap(null, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
      isCode("EPERM", "mmap"),
    );
    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL);
    assert.throws(
      () => fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE),
      isCode("EPERM", "fcntl"),
    );
    assert.equal(
      sealNames(fcntl(fd, F_GET_SEALS)),
      "F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE",
    );
  });
  // F_SEAL_FUTURE_WRITE: a mapping made before still writes, no new one can.
  withMemfd(4096, (fd) => {
    const before = mmap(null, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE);
    before.bytes[0] = 42;
    assert.throws(() => write(fd, page), isCode("EPERM", "write"));
    assert.throws(
      () => mmap(null, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
      isCode("EPERM", "mmap"),
    );
    using view = Mapping.fromFd(fd, { mode: "r" });
    assert.equal(view.memory.read(0, 1)[0], 42);
    munmap(before);
  });
});

Deno.test("fcntl and requireSeals: bad input and files without seals", () => {
  withMemfd(0, (fd) => {
    assert.throws(() => fcntl(fd, F_ADD_SEALS, 0x40), RangeError);
    assert.throws(() => fcntl(fd, 9999), RangeError);
    assert.throws(() => requireSeals(fd, 0x80), RangeError);
    assert.throws(
      () => requireSeals(fd),
      (e: unknown) =>
        e instanceof IpcError && e.code === "EPERM" &&
        /lacks F_SEAL_SHRINK \(it has none\)/.test(e.message),
    );
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
    assert.equal(requireSeals(fd, F_SEAL_SHRINK), F_SEAL_SHRINK | F_SEAL_GROW);
    assert.throws(
      () => requireSeals(fd, F_SEAL_SHRINK | F_SEAL_WRITE),
      /lacks F_SEAL_WRITE/,
    );
  });
  const [r, w] = pipe();
  try {
    assert.throws(() => fcntl(r, F_GET_SEALS), isCode("EINVAL", "fcntl", "fd"));
    assert.throws(() => Mapping.fromSealedFd(r), isCode("EINVAL"));
  } finally {
    close(r);
    close(w);
  }
  assert.throws(() => fcntl(r, F_GET_SEALS), isCode("EBADF", "fcntl", "fd"));
});

Deno.test("memfd_create: a name over 249 bytes is a RangeError on the name, not the EINVAL of a flag", () => {
  // Linux says EINVAL, which blamed the flags.
  const fd = memfd_create("n".repeat(249));
  close(fd);
  for (const name of ["n".repeat(250), "\u00e9".repeat(125)]) {
    assert.throws(
      () => memfd_create(name),
      (e: unknown) =>
        e instanceof RangeError &&
        /^Argument "name" to memfd_create is out of range: 250 bytes, the most is 249$/
          .test(e.message),
    );
  }
  assert.throws(
    () => Mapping.memfd(4096, "n".repeat(300)),
    RangeError,
  );
});

Deno.test("Mapping.fromSealedFd maps a sealed memfd read-only and refuses an unsealed one", () => {
  withMemfd(5, (fd) => {
    write(fd, new TextEncoder().encode("hello"));
    assert.throws(
      () => Mapping.fromSealedFd(fd),
      isCode("EPERM", "fcntl", "fd"),
    );
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    using map = Mapping.fromSealedFd(fd, {
      seals: F_SEAL_SHRINK | F_SEAL_WRITE,
    });
    assert.equal(new TextDecoder().decode(map.memory.read()), "hello");
    assert.throws(() => map.memory.bytes, TypeError); // read-only
    assert.throws(
      () => Mapping.fromSealedFd(fd, null as unknown as Record<string, never>),
      TypeError,
    );
  });
});

Deno.test("examples: memfd_producer sends a sealed memfd that memfd_consumer maps; an unsealed one is refused", async () => {
  for (const sealed of [true, false]) {
    await withDir(async (dir) => {
      const path = `${dir}/sock`;
      const perms = [
        "--allow-ffi",
        `--allow-read=${path}`,
        `--allow-write=${path}`,
      ];
      const consumer = startDeno("examples/memfd_consumer.ts", [path], perms);
      const ready = (async () => {
        for (let i = 0; i < 200; i++) {
          try {
            await Deno.lstat(path);
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 25));
          }
        }
      })();
      await ready;
      const producer = startDeno(
        "examples/memfd_producer.ts",
        [...(sealed ? [] : ["--unsealed"]), path, "sealed hello"],
        perms,
      );
      const p = await producer.output();
      assert.equal(p.code, 0);
      const c = await consumer.output();
      const out = new TextDecoder().decode(c.stdout);
      if (sealed) {
        assert.equal(c.code, 0, out);
        assert.match(out, /mapped 12 bytes read-only: "sealed hello"/);
      } else {
        assert.equal(c.code, 1, out);
        assert.match(out, /refused it: .*EPERM.*lacks F_SEAL_SHRINK/);
      }
    });
  }
});

await checkLeaksAtEnd();
