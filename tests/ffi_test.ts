import assert from "node:assert/strict";
import * as ipc from "../mod.ts";
import { errnoName, errnoNumber, IpcError } from "../mod.ts";
import { layoutFor } from "../ffi/layout.ts";
import { lastError } from "../ffi/errors.ts";
import { errno, libc, monotonicMs } from "../ffi/libc.ts";
import { decodeName, encodeName, encodeUtf8 } from "../ffi/text.ts";
import {
  checkLeaksAtEnd,
  cProgram,
  missingPeer,
  ROOT,
  run,
  runDeno,
  which,
} from "./_helpers.ts";

Deno.test("errno names round-trip and IpcError carries code, syscall, argument", () => {
  assert.equal(errnoName(13), "EACCES");
  assert.equal(errnoName(43), "EIDRM");
  assert.equal(errnoName(11), "EAGAIN");
  assert.equal(errnoName(9999), "E9999");
  assert.equal(errnoNumber("EINTR"), 4);
  assert.equal(errnoNumber("ENOPE"), undefined);
  const e = new IpcError(13, {
    syscall: "shmget",
    argument: "shmflg",
    value: "0o600",
    hint: "the mode does not grant this access",
  });
  assert.ok(e instanceof Error);
  assert.equal(e.name, "IpcError");
  assert.equal(e.code, "EACCES");
  assert.equal(e.errno, 13);
  assert.equal(e.syscall, "shmget");
  assert.equal(e.argument, "shmflg");
  assert.equal(
    e.message,
    'Permission denied (EACCES) in shmget, argument "shmflg" ("0o600"): the mode does not grant this access',
  );
});

/** Compares our table for `arch` with what `tests/c/layout.c` printed. */
async function compareLayouts(
  t: Deno.TestContext,
  arch: "x86_64" | "aarch64",
  printed: string,
): Promise<void> {
  const c = new Map<string, number>();
  for (const line of printed.split("\n")) {
    const [name, offset] = line.split(" ");
    if (/^[a-z_]+(\.[a-z_]+)?$/.test(name)) c.set(name, Number(offset));
  }
  const ours = layoutFor(arch);
  const pairs: [string, number][] = [
    ["ipc_perm", ours.ipc_perm.size],
    ["ipc_perm.__key", ours.ipc_perm.key],
    ["ipc_perm.uid", ours.ipc_perm.uid],
    ["ipc_perm.gid", ours.ipc_perm.gid],
    ["ipc_perm.cuid", ours.ipc_perm.cuid],
    ["ipc_perm.cgid", ours.ipc_perm.cgid],
    ["ipc_perm.mode", ours.ipc_perm.mode],
    ["ipc_perm.__seq", ours.ipc_perm.seq],
    ["shmid_ds", ours.shmid_ds.size],
    ["shmid_ds.shm_segsz", ours.shmid_ds.segsz],
    ["shmid_ds.shm_atime", ours.shmid_ds.atime],
    ["shmid_ds.shm_dtime", ours.shmid_ds.dtime],
    ["shmid_ds.shm_ctime", ours.shmid_ds.ctime],
    ["shmid_ds.shm_cpid", ours.shmid_ds.cpid],
    ["shmid_ds.shm_lpid", ours.shmid_ds.lpid],
    ["shmid_ds.shm_nattch", ours.shmid_ds.nattch],
    ["semid_ds", ours.semid_ds.size],
    ["semid_ds.sem_otime", ours.semid_ds.otime],
    ["semid_ds.sem_ctime", ours.semid_ds.ctime],
    ["semid_ds.sem_nsems", ours.semid_ds.nsems],
    ["msqid_ds", ours.msqid_ds.size],
    ["msqid_ds.msg_perm", ours.msqid_ds.perm],
    ["msqid_ds.msg_stime", ours.msqid_ds.stime],
    ["msqid_ds.msg_rtime", ours.msqid_ds.rtime],
    ["msqid_ds.msg_ctime", ours.msqid_ds.ctime],
    ["msqid_ds.__msg_cbytes", ours.msqid_ds.cbytes],
    ["msqid_ds.msg_qnum", ours.msqid_ds.qnum],
    ["msqid_ds.msg_qbytes", ours.msqid_ds.qbytes],
    ["msqid_ds.msg_lspid", ours.msqid_ds.lspid],
    ["msqid_ds.msg_lrpid", ours.msqid_ds.lrpid],
    ["msginfo", ours.msginfo.size],
    ["msginfo.msgseg", ours.msginfo.msgseg],
    ["shminfo", ours.shminfo.size],
    ["shminfo.shmmax", ours.shminfo.shmmax],
    ["shminfo.shmmin", ours.shminfo.shmmin],
    ["shminfo.shmmni", ours.shminfo.shmmni],
    ["shminfo.shmseg", ours.shminfo.shmseg],
    ["shminfo.shmall", ours.shminfo.shmall],
    ["shm_info", ours.shm_info.size],
    ["shm_info.used_ids", ours.shm_info.used_ids],
    ["shm_info.shm_tot", ours.shm_info.shm_tot],
    ["shm_info.shm_rss", ours.shm_info.shm_rss],
    ["shm_info.shm_swp", ours.shm_info.shm_swp],
    ["seminfo", ours.seminfo.size],
    ["seminfo.semaem", ours.seminfo.semaem],
    ["mq_attr", ours.mq_attr.size],
    ["mq_attr.mq_flags", ours.mq_attr.flags],
    ["mq_attr.mq_maxmsg", ours.mq_attr.maxmsg],
    ["mq_attr.mq_msgsize", ours.mq_attr.msgsize],
    ["mq_attr.mq_curmsgs", ours.mq_attr.curmsgs],
    ["sigevent", ours.sigevent.size],
    ["sigevent.sigev_value", ours.sigevent.value],
    ["sigevent.sigev_signo", ours.sigevent.signo],
    ["sigevent.sigev_notify", ours.sigevent.notify],
    ["sigevent.sigev_notify_thread_id", ours.sigevent.tid],
    ["itimerspec", ours.itimerspec.size],
    ["itimerspec.it_interval", ours.itimerspec.interval],
    ["itimerspec.it_value", ours.itimerspec.value],
    ["sembuf", ours.sembuf.size],
    ["sembuf.sem_num", ours.sembuf.num],
    ["sembuf.sem_op", ours.sembuf.op],
    ["sembuf.sem_flg", ours.sembuf.flg],
    ["timespec", ours.timespec.size],
    ["timespec.tv_nsec", ours.timespec.nsec],
    ["epoll_event", ours.epoll_event.size],
    ["epoll_event.events", ours.epoll_event.events],
    ["epoll_event.data", ours.epoll_event.data],
    ["statfs", ours.statfs.size],
    ["statfs.f_type", ours.statfs.type],
    ["flock", ours.flock.size],
    ["flock.l_type", ours.flock.type],
    ["flock.l_whence", ours.flock.whence],
    ["flock.l_start", ours.flock.start],
    ["flock.l_len", ours.flock.len],
    ["flock.l_pid", ours.flock.pid],
    ["sigaction", ours.sigaction.size],
    ["sigaction.sa_handler", ours.sigaction.handler],
    ["sigaction.sa_mask", ours.sigaction.mask],
    ["sigaction.sa_flags", ours.sigaction.flags],
    ["pollfd", ours.pollfd.size],
    ["pollfd.events", ours.pollfd.events],
    ["pollfd.revents", ours.pollfd.revents],
    ["stat", ours.stat.size],
    ["stat.st_dev", ours.stat.dev],
    ["stat.st_ino", ours.stat.ino],
    ["stat.st_mode", ours.stat.mode],
    ["stat.st_uid", ours.stat.uid],
    ["stat.st_size", ours.stat.st_size],
    ["stat.st_mtim", ours.stat.mtime],
    ["stat.st_ctim", ours.stat.ctime],
    ["dirent.d_reclen", ours.dirent.reclen],
    ["dirent.d_name", ours.dirent.name],
  ];
  // The constants it printed ("NAME value" pairs) against our exports.
  const exported = ipc as unknown as Record<string, unknown>;
  for (const line of printed.split("\n")) {
    const words = line.trim().split(/\s+/);
    for (let i = 0; i + 1 < words.length; i += 2) {
      const [name, value] = [words[i], Number(words[i + 1])];
      if (!/^[A-Z][A-Z0-9_]+$/.test(name) || !(name in exported)) continue;
      pairs.push([name, exported[name] as number]);
      c.set(name, value);
    }
  }
  pairs.push(["MAP_HUGE_2MB", ipc.MAP_HUGE_2MB]);
  c.set("MAP_HUGE_2MB", 21 << c.get("MAP_HUGE_SHIFT")!);
  pairs.push(["MAP_HUGE_1GB", ipc.MAP_HUGE_1GB]);
  c.set("MAP_HUGE_1GB", 30 << c.get("MAP_HUGE_SHIFT")!);
  for (const [name, value] of pairs) {
    await t.step(
      `${arch} ${name}`,
      () => assert.equal(value, c.get(name), name),
    );
  }
}

Deno.test("struct layouts match the C compiler of this machine", async (t) => {
  const bin = await cProgram("layout");
  if (bin === null) return;
  const { stdout } = await run(bin, []);
  await compareLayouts(t, Deno.build.arch as "x86_64" | "aarch64", stdout);
});

Deno.test("the aarch64 layouts match aarch64 glibc (cross-compiled, run under qemu)", async (t) => {
  if (Deno.build.arch !== "x86_64") return; // the native test covers it
  const cc = which("aarch64-linux-gnu-gcc");
  const qemu = which("qemu-aarch64");
  if (cc === null || qemu === null) {
    missingPeer(
      "no aarch64 cross compiler or qemu-aarch64: apt-get install gcc-aarch64-linux-gnu qemu-user",
    );
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-layout-" });
  try {
    const bin = `${dir}/layout-aarch64`;
    const built = await run(cc, [
      "-static",
      "-o",
      bin,
      `${ROOT}tests/c/layout.c`,
    ]);
    assert.equal(built.code, 0, built.stderr);
    const { code, stdout, stderr } = await run(qemu, [bin]);
    assert.equal(code, 0, stderr);
    await compareLayouts(t, "aarch64", stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("importing without --allow-ffi works; the first call names the flag", async () => {
  const { code, stdout } = await runDeno(
    "tests/helpers/no_ffi_child.ts",
    ["shmget"],
    ["--no-prompt"],
  );
  assert.equal(code, 0);
  assert.match(stdout, /^NotCapable: .*--allow-ffi flag/m);
});

Deno.test("ftok needs --allow-read for its path even with --allow-ffi", async () => {
  const { code, stdout } = await runDeno(
    "tests/helpers/no_ffi_child.ts",
    ["ftok"],
    ["--no-prompt", "--allow-ffi"],
  );
  assert.equal(code, 0);
  assert.equal(
    stdout.trim(),
    'NotCapable: Requires read access to "/etc/hostname", run again with the --allow-read flag',
  );
});

Deno.test("lastError reads errno at once, before the error's arguments are built", () => {
  // Building objects can run the garbage collector, which may leave errno
  // changed: here another failing call stands in for it, between reading
  // errno and building the error.
  const c = libc();
  assert.equal(c.close(-1), -1); // EBADF
  const failure = lastError("close");
  assert.equal(c.open(encodeUtf8("/no/such/file\0"), 0, 0), -1); // ENOENT
  const e = failure("fd", { fd: -1 });
  assert.equal(e.code, "EBADF");
  assert.equal(e.syscall, "close");
  assert.equal(e.argument, "fd");
});

Deno.test("errno reads this thread's errno after each failing call", () => {
  const c = libc();
  for (let i = 0; i < 100; i++) {
    assert.equal(c.close(-1), -1);
    assert.equal(errno(), errnoNumber("EBADF"));
    assert.equal(c.open(encodeUtf8("/no/such/file\0"), 0, 0), -1);
    assert.equal(errno(), errnoNumber("ENOENT"));
  }
});

Deno.test("monotonicMs reads the clock performance.now() reads", async () => {
  // The same clock from another origin: the two move together, so their
  // difference stays put while time passes.
  const before = monotonicMs() - performance.now();
  await new Promise((r) => setTimeout(r, 50));
  const t0 = monotonicMs();
  const after = t0 - performance.now();
  assert.ok(Math.abs(after - before) < 5, `${before} then ${after}`);
  // Fractional milliseconds, never going back.
  let last = t0, fraction = false;
  for (let i = 0; i < 1000; i++) {
    const t = monotonicMs();
    assert.ok(t >= last);
    if (t !== Math.floor(t)) fraction = true;
    last = t;
  }
  assert.ok(fraction);
});

Deno.test("Deno's own event loops and the engine's descriptors are refused: close, fromFd and OwnedFd cannot crash Deno", async () => {
  // close(3) on Deno's epoll instance, or closing its eventfd through a
  // PipeEnd or EventFd taken over by number, made Deno panic ("unexpected
  // error when polling the I/O driver"). In a child: it may panic.
  const { code, stdout, stderr } = await runDeno(
    "tests/helpers/runtime_fds_child.ts",
    [],
    ["--allow-all"],
  );
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /panicked/);
  const lines = stdout.trim().split("\n");
  const candidates = lines[0].split(" ").slice(1);
  // The main thread's loop and the Worker's, and the engine's reactor.
  assert.ok(
    candidates.filter((c) => c.endsWith(":eventpoll")).length >= 4 &&
      candidates.filter((c) => c.endsWith(":eventfd")).length >= 3,
    lines[0],
  );
  assert.deepEqual(lines.filter((l) => l.startsWith("took")), []);
  const refused = lines.filter((l) => l.startsWith("refused"));
  assert.equal(refused.length, candidates.length * 4);
  for (const line of refused) {
    assert.match(
      line,
      /^refused (\d+) (close|PipeEnd\.fromFd|EventFd\.fromFd|OwnedFd): TypeError: Invalid argument "fd" to \2: "\1" is (an epoll instance of Deno's event loop|watched by Deno's event loop \(its eventfd\)|the library's async engine's own .*), not the caller's: closing it would make Deno panic or its waits hang$/,
    );
  }
  // The caller's own eventfd was taken and closed as any other.
  assert.equal(lines.at(-1), "alive 1");
});

await checkLeaksAtEnd();

Deno.test("names that are not UTF-8 decode to lone surrogates and encode back to the same bytes", () => {
  const cases: [number[], string][] = [
    [[0x66, 0xff], "f\u{dcff}"],
    // A surrogate in UTF-8 (ED A0 80), an overlong NUL, a code point
    // over U+10FFFF, and a cut sequence: each byte escaped on its own.
    [[0xed, 0xa0, 0x80], "\u{dced}\u{dca0}\u{dc80}"],
    [[0xc0, 0x80], "\u{dcc0}\u{dc80}"],
    [[0xf4, 0x90, 0x80, 0x80], "\u{dcf4}\u{dc90}\u{dc80}\u{dc80}"],
    [[0xe2, 0x82], "\u{dce2}\u{dc82}"],
    [[0xf0, 0x9f, 0x98, 0x80, 0xff, 0x41], "\u{1f600}\u{dcff}A"],
    [[0xe2, 0x82, 0xac], "\u20ac"],
  ];
  for (const [bytes, text] of cases) {
    assert.equal(decodeName(new Uint8Array(bytes)), text);
    assert.deepEqual([...encodeName(text, "bind", "addr.path")], bytes);
  }
  // Every byte string survives the round trip, and valid UTF-8 decodes
  // as TextDecoder decodes it.
  const strict = new TextDecoder("utf-8", { fatal: true });
  const edges = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef];
  const more = [0xf0, 0xf4, 0xf5, 0xff, 0x8f, 0x90, 0x9f, 0xa0];
  const pick = [...edges, ...more];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
  for (let k = 0; k < 20000; k++) {
    const b = Uint8Array.from(
      { length: next() % 9 },
      () => next() % 2 ? next() % 256 : pick[next() % pick.length],
    );
    const text = decodeName(b);
    assert.deepEqual([...encodeName(text, "bind", "addr.path")], [...b]);
    let valid: string | null = null;
    try {
      valid = strict.decode(b);
    } catch {
      // not UTF-8
    }
    if (valid !== null) assert.equal(text, valid);
  }
  assert.throws(
    () => encodeName("a\u{d800}b", "bind", "addr.abstract"),
    /Invalid argument "addr.abstract" to bind: a lone surrogate U\+D800 at index 1/,
  );
  assert.throws(() => encodeName("\u{dc7f}", "bind", "addr.path"), TypeError);
});
