// Memory safety of shared memory and mappings: no access through any
// buffer can crash, addresses that cannot be viewed are refused, and every
// mmap flag reaches the kernel with its exact errno.
import assert from "node:assert/strict";
import {
  close,
  getpagesize,
  IPC_CREAT,
  IPC_EXCL,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_STAT,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_HUGE_1GB,
  MAP_HUGE_2MB,
  MAP_HUGETLB,
  MAP_LOCKED,
  MAP_NONBLOCK,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_STACK,
  MAP_SYNC,
  Mapping,
  memfd_create,
  mmap,
  MS_INVALIDATE,
  msgctl,
  msgget,
  msync,
  munmap,
  pipe,
  PROT_READ,
  PROT_WRITE,
  semctl,
  semget,
  SHM_RND,
  shmat,
  shmctl,
  shmdt,
  shmget,
} from "../mod.ts";
import { checkLeaksAtEnd, isCode, ROOT, run, which } from "./_helpers.ts";

const page = getpagesize();

async function withSegment(fn: (id: number) => Promise<void> | void) {
  const id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0o600);
  try {
    await fn(id);
  } finally {
    shmctl(id, IPC_RMID);
  }
}

function child(mode: string, arg?: number, flags: string[] = []) {
  return run(Deno.execPath(), [
    "run",
    "--quiet",
    "--allow-ffi",
    ...flags,
    `${ROOT}tests/helpers/memory_child.ts`,
    mode,
    ...(arg === undefined ? [] : [String(arg)]),
  ]);
}

async function report(mode: string, arg?: number, flags: string[] = []) {
  const out = await child(mode, arg, flags);
  assert.equal(
    out.code,
    0,
    `the child ${mode} ended with ${out.code}: ${out.stderr}`,
  );
  return JSON.parse(out.stdout);
}

Deno.test("a buffer moved off a shm attachment: the region goes on, close detaches, no crash", async () => {
  await withSegment(async (id) => {
    const seen = await report("transfer", id);
    assert.deepEqual(seen.seen, [true, 1, 2]);
    assert.equal(seen.after, 0, "close() detached the attachment");
    // After close the moved buffer reads and writes private zeroed memory.
    assert.deepEqual(seen.moved, [0, 0, 3]);
    assert.equal(shmctl(id, IPC_STAT).nattch, 0);
  });
});

Deno.test("a mapping's buffer posted to a Worker: close never throws, the Worker's writes never crash", async () => {
  const seen = await report("worker");
  assert.deepEqual(seen, { first: 1, viaRegion: 1, later: 1 });
});

Deno.test("protect() refuses to narrow access once a buffer was moved away; widening works", async () => {
  const seen = await report("protect");
  assert.deepEqual(seen, {
    error: "TypeError",
    access: "readwrite",
    moved: [0, 6],
  });
});

Deno.test("the GC backstop retires a region whose buffer was moved: detached, and no crash", async () => {
  await withSegment(async (id) => {
    const seen = await report("gc", id, ["--v8-flags=--expose-gc"]);
    assert.deepEqual(seen, { before: 1, after: 0, value: 9 });
  });
});

Deno.test("SHM_REMAP never replaces memory in use (EEXIST) and attaches at a free address", async () => {
  await withSegment(async (id) => {
    const seen = await report("remap", id);
    assert.deepEqual(seen, {
      code: "EEXIST",
      intact: 42,
      at: true,
      attached: 1,
      after: 0,
    });
  });
});

Deno.test("address 0 is refused before the call: shmat with SHM_RND, mmap with MAP_FIXED", async () => {
  await withSegment((id) => {
    assert.throws(() => shmat(id, 1n, SHM_RND), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /"shmaddr".*address 0/);
      return true;
    });
    assert.throws(() => shmat(id, BigInt(page - 1), SHM_RND), RangeError);
    assert.equal(shmctl(id, IPC_STAT).nattch, 0, "nothing was attached");
    // 0n without SHM_RND lets the kernel choose, as NULL does in C.
    const region = shmat(id, 0n);
    assert.notEqual(region.address, 0n);
    shmdt(region);
  });
  for (const addr of [0n, null]) {
    for (const fixed of [MAP_FIXED, MAP_FIXED_NOREPLACE]) {
      assert.throws(
        () =>
          mmap(
            addr,
            page,
            PROT_READ,
            MAP_PRIVATE | MAP_ANONYMOUS | fixed,
            -1,
          ),
        (e: unknown) => e instanceof RangeError && /"addr"/.test(e.message),
      );
    }
  }
});

Deno.test("munmap takes C's length: 0 is EINVAL, a part is refused, the whole unmaps", () => {
  const region = mmap(
    null,
    3 * page,
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS,
    -1,
  );
  assert.throws(() => munmap(region, 0), isCode("EINVAL", "munmap", "length"));
  assert.throws(() => munmap(region, page), RangeError);
  assert.throws(() => munmap(region, 4 * page), RangeError);
  assert.equal(region.detached, false);
  munmap(region, 3 * page - 100); // rounds up to the same pages, as in C
  assert.equal(region.detached, true);
  const other = mmap(null, 100, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  munmap(other, 100);
});

Deno.test("every mmap flag reaches the kernel, and its answer comes back as the exact errno", async () => {
  const anon = MAP_PRIVATE | MAP_ANONYMOUS;
  for (
    const flag of [
      MAP_LOCKED,
      MAP_POPULATE,
      MAP_NORESERVE,
      MAP_POPULATE | MAP_NONBLOCK,
      MAP_STACK,
      MAP_GROWSDOWN,
    ]
  ) {
    const region = mmap(null, page, PROT_READ | PROT_WRITE, anon | flag, -1);
    region.bytes[0] = 1;
    munmap(region);
  }
  // Locked pages cannot be invalidated: EBUSY, as in C.
  const locked = mmap(
    null,
    page,
    PROT_READ | PROT_WRITE,
    MAP_SHARED | MAP_ANONYMOUS | MAP_LOCKED,
    -1,
  );
  assert.throws(
    () => msync(locked, MS_INVALIDATE),
    isCode("EBUSY", "msync"),
  );
  munmap(locked);
  // Huge pages: ENOMEM when none are reserved (1 GiB pages: EINVAL where
  // the CPU has none).
  // (Deno lets only --allow-all read /proc/sys: ask cat.)
  const reserved = Number(
    (await run("cat", ["/proc/sys/vm/nr_hugepages"])).stdout.trim(),
  );
  for (const size of [0, MAP_HUGE_2MB, MAP_HUGE_1GB]) {
    try {
      munmap(mmap(null, 1 << 30, PROT_READ, anon | MAP_HUGETLB | size, -1));
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (reserved === 0 && size !== MAP_HUGE_1GB) {
        assert.ok(isCode("ENOMEM", "mmap", "length")(e));
      } else {
        assert.ok(code === "ENOMEM" || code === "EINVAL", String(e));
      }
    }
  }
  // MAP_SYNC needs a DAX file: a memfd is not one.
  const fd = memfd_create("linux-ipc-test");
  try {
    assert.throws(
      () =>
        mmap(
          null,
          page,
          PROT_READ | PROT_WRITE,
          MAP_SHARED_VALIDATE | MAP_SYNC,
          fd,
        ),
      isCode("EOPNOTSUPP", "mmap", "flags"),
    );
  } finally {
    close(fd);
  }
});

Deno.test("mmap's EINVAL blames the argument at fault", () => {
  assert.throws(
    () =>
      mmap(
        BigInt(page * 1000 + 1),
        page,
        PROT_READ,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
        -1,
      ),
    isCode("EINVAL", "mmap", "addr"),
  );
  assert.throws(
    () => mmap(null, page, PROT_READ, MAP_ANONYMOUS, -1),
    isCode("EINVAL", "mmap", "flags"),
  );
  const fd = memfd_create("linux-ipc-test");
  try {
    assert.throws(
      () => mmap(null, page, PROT_READ, MAP_SHARED, fd, 100),
      isCode("EINVAL", "mmap", "offset"),
    );
  } finally {
    close(fd);
  }
});

Deno.test("shmdt refuses a mapping and munmap an attachment; an empty file or a pipe is named as such", async () => {
  const region = mmap(null, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  assert.throws(() => shmdt(region), TypeError);
  munmap(region);
  await withSegment((id) => {
    const attached = shmat(id);
    assert.throws(() => munmap(attached), TypeError);
    shmdt(attached);
  });
  const path = await Deno.makeTempFile({ prefix: "linux-ipc-test-" });
  try {
    assert.throws(() => Mapping.file(path), (e: unknown) => {
      assert.ok(isCode("EINVAL", "mmap", "path")(e));
      assert.match((e as Error).message, /empty/);
      return true;
    });
  } finally {
    await Deno.remove(path);
  }
  const [r, w] = pipe();
  try {
    assert.throws(() => Mapping.fromFd(r), (e: unknown) => {
      assert.ok(isCode("ENODEV", "mmap", "fd")(e));
      assert.match((e as Error).message, /a pipe or FIFO|FIFO/);
      return true;
    });
  } finally {
    close(r);
    close(w);
  }
});

Deno.test("IPC_SET is C's: EPERM for a non-owner, and the owner of a mode-0 object may change it", async () => {
  if (Deno.uid() !== 0 || which("setpriv") === null) {
    console.log("skipped: needs root and setpriv to act as another user");
    return;
  }
  // Deno from npm lives under a 0700 home: copy it, and the library, where
  // user 65534 can read them.
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-test-user-" });
  const shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600);
  const semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
  const msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
  try {
    await Deno.chmod(dir, 0o755);
    await Deno.copyFile(Deno.execPath(), `${dir}/deno`);
    await Deno.chmod(`${dir}/deno`, 0o755);
    // Every folder the package publishes (mod.ts imports them all).
    const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
    const folders = (config.publish.include as string[])
      .filter((f) => f.endsWith("/"))
      .map((f) => f.slice(0, -1));
    for (const folder of folders) {
      await run("cp", ["-r", `${ROOT}${folder}`, dir]);
    }
    await run("cp", [`${ROOT}mod.ts`, dir]);
    await Deno.mkdir(`${dir}/tests/helpers`, { recursive: true });
    await Deno.copyFile(
      `${ROOT}tests/helpers/ipc_set_child.ts`,
      `${dir}/tests/helpers/ipc_set_child.ts`,
    );
    await run("chmod", ["-R", "a+rX", dir]);
    await Deno.mkdir(`${dir}/cache`, { mode: 0o777 });
    await Deno.chmod(`${dir}/cache`, 0o777);
    const out = await run("env", [
      `DENO_DIR=${dir}/cache`,
      `HOME=${dir}/cache`,
      "NO_COLOR=1",
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      `${dir}/deno`,
      "run",
      "--quiet",
      "--no-config",
      "--allow-ffi",
      `${dir}/tests/helpers/ipc_set_child.ts`,
      String(shmid),
      String(semid),
      String(msqid),
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), {
      shmFull: "EPERM",
      shmPart: "EPERM",
      semFull: "EPERM",
      semPart: "EPERM",
      ownShm: "ok",
      ownSem: "ok",
      ownSemMode: 0o600,
      shmMode: 0o600,
      msgPart: "EPERM",
      ownMsg: "ok",
      ownMsgMode: 0o600,
    });
    assert.equal(shmctl(shmid, IPC_STAT).perm.mode & 0o777, 0o600);
  } finally {
    shmctl(shmid, IPC_RMID);
    semctl(semid, 0, IPC_RMID);
    msgctl(msqid, IPC_RMID);
    await Deno.remove(dir, { recursive: true });
  }
});

await checkLeaksAtEnd();
