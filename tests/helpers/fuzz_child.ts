// One batch of the seeded fuzz of the thin layer (tests/fuzz_test.ts runs
// it): `fuzz_child.ts SEED CALLS DIR NAMESPACE`. It makes CALLS calls of the
// C-named functions with arguments drawn from SEED: valid ones from pools of
// what it made (ids, descriptors, regions, addresses, paths), stale ones
// (removed ids, closed descriptors, detached regions) and hostile ones (huge,
// negative, NaN, wrong types, foreign and zero addresses).
//
// Before each call it prints `CALL <index> <description>`, so that the
// parent can name the call that crashed or hung the process. A call that
// throws something other than an Error prints `FAIL ...` and ends the
// batch. At the end it removes what its pools hold and checks that no
// System V object is left (NAMESPACE=1: the process has an IPC namespace of
// its own, so any object is a leak; otherwise the ids it made must be gone),
// then prints `DONE <calls>`.
//
// Calls that can wait are told not to, as the claim under test says: every
// semaphore operation has IPC_NOWAIT, descriptors are made non-blocking
// before a call that could wait on them, `recv`/`send` flags get
// MSG_DONTWAIT, `open` gets O_NONBLOCK, and async forms get a timeout.
// Descriptor numbers are only ever the batch's own, closed ones that no one
// has reused, or values no descriptor can have: descriptors the runtime owns
// are outside the claim. So are the two ways C itself gets SIGBUS from
// memory (README, "What it cannot promise"), which the batch never takes:
// shrinking a file that is mapped, and huge pages without a reservation.
//
// Beyond the claim's minimum, every throw must be a typed error (IpcError,
// TypeError, RangeError, NotCapable, BadResource, an abort), and a
// TypeError or RangeError must name the argument or option at fault.
import * as ipc from "../../mod.ts";
import { setNonBlocking } from "../../ffi/fd.ts";
import { libc } from "../../ffi/libc.ts";

const [seedArg, callsArg, dir, nsArg] = Deno.args;
const seed = Number(seedArg) >>> 0;
const calls = Number(callsArg);
const namespaced = nsArg === "1";
const page = ipc.getpagesize();
const enc = new TextEncoder();

// mulberry32: small, fast, and the same sequence for the same seed.
let state = seed;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const chance = (p: number) => random() < p;
const below = (n: number) => Math.floor(random() * n);
function pick<T>(items: readonly T[]): T {
  return items[below(items.length)];
}

// ---------------------------------------------------------------- pools --
const shmIds: number[] = [];
const semIds: number[] = [];
const msgIds: number[] = [];
const madeMsg = new Set<number>();
const madeShm = new Set<number>();
const madeSem = new Set<number>();
const staleIds: number[] = [];
const fds: number[] = [];
const staleFds: number[] = [];
const regions: ipc.MemoryRegion[] = [];
const oldRegions: ipc.MemoryRegion[] = [];
const views: Uint8Array[] = [];

function keep<T>(pool: T[], item: T, max: number, drop: (x: T) => void) {
  pool.push(item);
  while (pool.length > max) drop(pool.splice(below(pool.length), 1)[0]);
}
function addFd(fd: number): void {
  keep(fds, fd, 40, closeFd);
}
function closeFd(fd: number): void {
  try {
    ipc.close(fd);
  } catch {
    // already closed by a fuzzed call
  }
  staleFds.push(fd);
  if (staleFds.length > 40) staleFds.shift();
}
function forgetFd(fd: unknown): void {
  const at = fds.indexOf(fd as number);
  if (at >= 0) {
    fds.splice(at, 1);
    staleFds.push(fd as number);
  }
}
function addRegion(region: ipc.MemoryRegion): void {
  keep(regions, region, 12, (r) => {
    try {
      r.close();
    } catch {
      // closed by a fuzzed call
    }
    oldRegions.push(r);
  });
  if (!region.readOnly && chance(0.5)) views.push(region.bytes);
}
/** Files some mapping was made of, as "dev:ino". */
const mapped = new Set<string>();
/** Huge-page memfds (`MFD_HUGETLB`), as "dev:ino". */
const hugeFiles = new Set<string>();
function statOf(fd: number): ipc.FileStat | null {
  try {
    return ipc.fstat(fd);
  } catch {
    return null;
  }
}
function inode(fd: number): string {
  const st = statOf(fd);
  return st ? `${st.dev}:${st.ino}` : "";
}
function isClosed(fd: number): boolean {
  try {
    ipc.fcntl(fd, ipc.F_GETFD);
    return false;
  } catch {
    return true;
  }
}

// --------------------------------------------------------------- values --
const HOSTILE: unknown[] = [
  NaN,
  Infinity,
  -Infinity,
  1.5,
  -0,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  "1",
  "",
  null,
  undefined,
  {},
  [],
  1n,
  true,
  Symbol("x"),
  () => 0,
];
function hostile(): unknown {
  return pick(HOSTILE);
}
function int(...likely: number[]): unknown {
  if (chance(0.12)) return hostile();
  if (likely.length && chance(0.6)) return pick(likely);
  return pick([0, 1, -1, 2, 7, 100, 4096, 2 ** 31 - 1, -(2 ** 31), 65535]) +
    (chance(0.3) ? below(16) : 0);
}
/** Queue names of this batch (and hostile ones). */
const mqNames = Array.from(
  { length: 3 },
  (_, i) => `/linux-ipc-fuzz-${Deno.pid}-${i}`,
);
for (const signal of ["SIGUSR2"] as const) {
  Deno.addSignalListener(signal, () => {}); // mq_notify's notices
}
/** Shared memory names of this batch (and hostile ones). */
const shmNames = mqNames.map((n) => `${n}-shm`);
function shmName(): unknown {
  if (chance(0.8)) return pick(shmNames);
  return chance(0.3)
    ? hostile()
    : pick(["noslash", "/", "/a/b", "/..", `/${"x".repeat(300)}`, "/a\0b"]);
}
/** Named semaphores of this batch. */
const semNames = mqNames.map((n) => `${n}-sem`);
function semName(): unknown {
  if (chance(0.8)) return pick(semNames);
  return chance(0.3)
    ? hostile()
    : pick(["noslash", "/", "/a/b", "/..", `/${"x".repeat(300)}`]);
}
const sems: unknown[] = [];
function sem(): unknown {
  if (sems.length && chance(0.8)) return pick(sems);
  return chance(0.5) ? hostile() : pick([{}, null, 0, { address: 0n }]);
}
function mqName(): unknown {
  if (chance(0.8)) return pick(mqNames);
  return chance(0.3)
    ? hostile()
    : pick(["noslash", "/", "/a/b", `/${"x".repeat(300)}`, "/a\0b"]);
}
function fd(): unknown {
  if (fds.length && chance(0.75)) return pick(fds);
  if (staleFds.length && chance(0.5)) {
    const n = pick(staleFds);
    if (isClosed(n)) return n;
  }
  return pick([-1, -100, 2 ** 31 - 1, 999_999, NaN, 1.5, "3", null]);
}
function ownFd(): number | undefined {
  return fds.length ? pick(fds) : undefined;
}
function id(pool: number[]): unknown {
  if (pool.length && chance(0.7)) return pick(pool);
  if (staleIds.length && chance(0.5)) return pick(staleIds);
  // Any id at all only where every object is this batch's.
  if (namespaced && chance(0.5)) return below(70000);
  return pick([-1, 2 ** 31, NaN, "0", null, 1.5]);
}
function key(): unknown {
  if (chance(0.5)) return ipc.IPC_PRIVATE;
  if (chance(0.15)) return hostile();
  // Keys of this batch alone, unless the namespace is ours.
  return namespaced
    ? below(2 ** 31)
    : (0x3f000000 | ((Deno.pid & 0xffff) << 8) | below(256));
}
function flagsOf(valid: number[], garbage = 0.1): unknown {
  if (chance(0.05)) return hostile();
  let f = 0;
  for (const v of valid) if (chance(0.3)) f |= v;
  if (chance(garbage)) f |= 1 << below(31);
  return f;
}
function buffer(): unknown {
  if (chance(0.08)) return hostile();
  if (chance(0.05)) {
    const b = new Uint8Array(8);
    b.buffer.transfer();
    return b; // detached
  }
  // Foreign memory (at most 1 MiB of it: a write of gigabytes to a file is
  // real work, as in C).
  if (views.length && chance(0.1)) {
    const view = pick(views);
    return (view.buffer as ArrayBuffer).detached
      ? view
      : view.subarray(0, 1 << 20);
  }
  if (chance(0.05)) return new DataView(new ArrayBuffer(4));
  const b = new Uint8Array(pick([0, 1, 16, 100, 4096, 65536]));
  if (chance(0.3)) return b.subarray(below(Math.max(1, b.length)));
  return b;
}
function address(): unknown {
  if (chance(0.2)) return null;
  if (chance(0.1)) return hostile();
  if (regions.length && chance(0.3)) {
    return pick(regions).address + BigInt(pick([0, 1, page, -page]));
  }
  return pick([
    0n,
    1n,
    BigInt(page - 1),
    BigInt(page),
    0x5000000n,
    0x7f0000000000n + BigInt(below(1 << 20) * page),
    2n ** 63n,
    -1n,
    2n ** 64n,
  ]);
}
function region(): unknown {
  if (regions.length && chance(0.7)) return pick(regions);
  if (oldRegions.length && chance(0.5)) return pick(oldRegions);
  return pick([null, {}, 42, { address: 0n, detached: false }, "region"]);
}
function path(): unknown {
  if (chance(0.1)) return hostile();
  return pick([
    `${dir}/f${below(4)}`,
    `${dir}/fifo${below(2)}`,
    `${dir}/sock${below(3)}`,
    `${dir}/missing/x`,
    dir,
    "",
    "rel",
    "a\0b",
    "x".repeat(5000),
    "/etc/hostname", // outside the grant: NotCapable
  ]);
}
function sockaddr(): unknown {
  if (chance(0.1)) return hostile();
  return pick<unknown>([
    { family: "unix", path: `${dir}/sock${below(3)}` },
    { family: "unix", abstract: `linux-ipc-fuzz-${Deno.pid}-${below(3)}` },
    { family: "unix" },
    { family: "unix", path: "x".repeat(200) },
    { family: "unix", path: "" },
    { family: "inet", address: "127.0.0.1", port: below(65536) },
    { family: "inet6", address: "::1", port: 7 },
    { family: "inet", address: "999.1.1.1", port: 1 },
    { family: "other" },
    { family: "unix", path: 7 },
  ]);
}
function ops(): unknown {
  if (chance(0.08)) return hostile();
  if (chance(0.03)) return new Array(2000).fill({ num: 0, op: 1 }); // E2BIG
  const list = [];
  for (let i = below(4); i >= 0; i--) {
    // (undefined would mean 0, a wait: never that.)
    const flags = chance(0.05)
      ? pick(HOSTILE.filter((v) => v !== undefined))
      : (chance(0.3) ? ipc.SEM_UNDO : 0) |
        (chance(0.05) ? 1 << below(16) : 0);
    list.push({
      num: chance(0.9) ? below(4) : int(),
      op: chance(0.9) ? below(5) - 2 : int(),
      // Never wait: IPC_NOWAIT on every operation.
      flags: typeof flags === "number" ? flags | ipc.IPC_NOWAIT : flags,
    });
  }
  return list;
}
function waitOptions(): unknown {
  if (chance(0.1)) {
    return pick<unknown>([
      { timeout: -1 },
      { timeout: NaN },
      { signal: "x" },
      { signal: AbortSignal.abort() },
      { timout: 1 }, // a misspelling: refused, never waited on for ever
      null,
      7,
    ]);
  }
  return { timeout: below(3) };
}
function nonBlocking(value: unknown): void {
  if (typeof value === "number" && fds.includes(value)) {
    try {
      setNonBlocking(value);
    } catch {
      // not a descriptor that takes it
    }
  }
}
const dontWait = (f: unknown) =>
  typeof f === "number" ? f | ipc.MSG_DONTWAIT : f;
const noWaitOpen = (f: unknown) =>
  typeof f === "number" ? f | ipc.O_NONBLOCK : f;

// ---------------------------------------------------------------- calls --
type Call = () => [string, unknown[], () => unknown];
const seen = (fn: string, args: unknown[], run: () => unknown) =>
  [fn, args, run] as [string, unknown[], () => unknown];

const CALLS: [number, Call][] = [
  [4, () => {
    const a = [
      key(),
      int(0, 1, 4096, page * 3, 2 ** 40),
      flagsOf([
        ipc.IPC_CREAT,
        ipc.IPC_EXCL,
        0o600,
        0o066,
        ipc.SHM_NORESERVE,
        ipc.SHM_HUGETLB,
      ]),
    ];
    // Huge pages without a reservation fault with SIGBUS when none are
    // free, as in C: outside the claim (README), so never asked for here.
    if (typeof a[2] === "number" && (a[2] & ipc.SHM_HUGETLB) !== 0) {
      a[2] &= ~ipc.SHM_NORESERVE;
    }
    return seen("shmget", a, () => {
      const r = ipc.shmget(...(a as [number, number, number]));
      madeShm.add(r);
      keep(shmIds, r, 10, removeShm);
      return r;
    });
  }],
  [4, () => {
    const a = [
      id(shmIds),
      address(),
      flagsOf([
        ipc.SHM_RDONLY,
        ipc.SHM_RND,
        ipc.SHM_REMAP,
      ]),
    ];
    return seen("shmat", a, () => {
      const r = ipc.shmat(...(a as [number, bigint, number]));
      addRegion(r);
      return r.address;
    });
  }],
  [2, () => {
    const a = [region()];
    return seen("shmdt", a, () => ipc.shmdt(a[0] as ipc.MemoryRegion));
  }],
  [3, () => {
    const cmd = chance(0.9)
      ? pick([
        ipc.IPC_STAT,
        ipc.IPC_SET,
        ipc.IPC_RMID,
        ipc.SHM_LOCK,
        ipc.SHM_UNLOCK,
        ipc.IPC_INFO,
        ipc.SHM_INFO,
        ipc.SHM_STAT,
        ipc.SHM_STAT_ANY,
      ])
      : int();
    const a = [
      cmd === ipc.SHM_STAT || cmd === ipc.SHM_STAT_ANY
        ? int(0, 1, 2)
        : id(shmIds),
      cmd,
      chance(0.8)
        ? { mode: int(0o600, 0o644, 0o777) }
        : chance(0.5)
        ? { uid: int(0), gid: int(0), mode: int(0o600) }
        : hostile(),
    ];
    return seen("shmctl", a, () => {
      const r = ipc.shmctl(...(a as [number, number, ipc.IpcPermSet]));
      if (a[1] === ipc.IPC_RMID) forgetId(shmIds, a[0]);
      return r === undefined ? r : "stat";
    });
  }],
  [4, () => {
    const a = [
      key(),
      int(1, 2, 4, 0, 40000),
      flagsOf([
        ipc.IPC_CREAT,
        ipc.IPC_EXCL,
        0o600,
      ]),
    ];
    return seen("semget", a, () => {
      const r = ipc.semget(...(a as [number, number, number]));
      madeSem.add(r);
      keep(semIds, r, 10, removeSem);
      return r;
    });
  }],
  [5, () => {
    const a = [id(semIds), ops()];
    return seen("semop", a, () => ipc.semop(...(a as [number, ipc.SemOp[]])));
  }],
  [2, () => {
    const a = [id(semIds), ops(), chance(0.9) ? below(3) : int()];
    return seen(
      "semtimedop",
      a,
      () => ipc.semtimedop(...(a as [number, ipc.SemOp[], number])),
    );
  }],
  [2, () => {
    const a = [id(semIds), ops(), waitOptions()];
    return seen(
      "semopAsync",
      a,
      () => ipc.semopAsync(...(a as [number, ipc.SemOp[], ipc.WaitOptions])),
    );
  }],
  [4, () => {
    const cmd = chance(0.9)
      ? pick([
        ipc.IPC_STAT,
        ipc.IPC_SET,
        ipc.IPC_RMID,
        ipc.GETVAL,
        ipc.SETVAL,
        ipc.GETALL,
        ipc.SETALL,
        ipc.GETPID,
        ipc.GETNCNT,
        ipc.GETZCNT,
        ipc.IPC_INFO,
        ipc.SEM_INFO,
        ipc.SEM_STAT,
        ipc.SEM_STAT_ANY,
      ])
      : int();
    const arg = cmd === ipc.SETALL
      ? (chance(0.8) ? [int(0, 1), int(0, 1), int(0)] : hostile())
      : cmd === ipc.IPC_SET
      ? (chance(0.8) ? { mode: int(0o600) } : hostile())
      : int(0, 1, 32767, 32768);
    const a = [
      cmd === ipc.SEM_STAT || cmd === ipc.SEM_STAT_ANY
        ? int(0, 1, 2)
        : id(semIds),
      int(0, 1, 2, 3),
      cmd,
      arg,
    ];
    return seen("semctl", a, () => {
      const r = (ipc.semctl as (...x: unknown[]) => unknown)(...a);
      if (cmd === ipc.IPC_RMID) forgetId(semIds, a[0]);
      return typeof r === "object" ? "object" : r;
    });
  }],
  [3, () => {
    const a = [key(), flagsOf([ipc.IPC_CREAT, ipc.IPC_EXCL, 0o600, 0o066])];
    return seen("msgget", a, () => {
      const r = (ipc.msgget as (...x: unknown[]) => number)(...a);
      madeMsg.add(r);
      keep(msgIds, r, 10, removeMsg);
      return r;
    });
  }],
  [3, () => {
    const msgp = chance(0.1) ? hostile() : {
      mtype: chance(0.8)
        ? int(1, 2, 3)
        : pick<unknown>([0, -1, 2n ** 62n, 2n ** 64n, "1"]),
      mtext: chance(0.8) ? buffer() : pick<unknown>(["text", 7, null]),
    };
    // Never wait: IPC_NOWAIT always (undefined would mean 0).
    const f = flagsOf([ipc.IPC_NOWAIT]);
    const a = [
      id(msgIds),
      msgp,
      typeof f === "number" ? f | ipc.IPC_NOWAIT : f ?? ipc.IPC_NOWAIT,
    ];
    return seen(
      "msgsnd",
      a,
      () => (ipc.msgsnd as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [3, () => {
    const f = flagsOf([ipc.MSG_NOERROR, ipc.MSG_EXCEPT, ipc.MSG_COPY]);
    const a = [
      id(msgIds),
      int(0, 1, 16, 8192, 65536),
      chance(0.8)
        ? int(0, 1, 2, -3)
        : pick<unknown>([2n ** 62n, -(2n ** 63n), 2n ** 64n]),
      typeof f === "number" ? f | ipc.IPC_NOWAIT : f ?? ipc.IPC_NOWAIT,
    ];
    return seen("msgrcv", a, () => {
      (ipc.msgrcv as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [1, () => {
    const a = [
      id(msgIds),
      chance(0.9) ? buffer() : hostile(),
      chance(0.9) ? int(0, 1, 2) : hostile(),
      int(0),
      waitOptions(),
    ];
    return seen("msgrcvAsync", a, async () => {
      await (ipc.msgrcvAsync as (...x: unknown[]) => Promise<unknown>)(
        a[0],
        64,
        a[2],
        a[3],
        a[4],
      );
    });
  }],
  [2, () => {
    // A MessageBuffer sent and received into, no copy: hostile sizes,
    // types, lengths; sometimes detached before the calls.
    const f = flagsOf([ipc.MSG_NOERROR, ipc.MSG_EXCEPT]);
    const a = [
      id(msgIds),
      int(0, 1, 16, 8192),
      chance(0.8)
        ? int(1, 2, 3)
        : pick<unknown>([0, -1, 2n ** 62n, 2n ** 64n, "1"]),
      int(0, 1, 16),
      typeof f === "number" ? f | ipc.IPC_NOWAIT : f ?? ipc.IPC_NOWAIT,
      chance(0.05),
    ];
    return seen("MessageBuffer", a, () => {
      const m = new ipc.MessageBuffer(a[1] as number);
      m.mtype = a[2] as number;
      m.length = a[3] as number;
      if (a[5]) m.bytes.buffer.transfer();
      ipc.msgsnd(a[0] as number, m, ipc.IPC_NOWAIT);
      return ipc.msgrcvInto(a[0] as number, m, 0, a[4] as number);
    });
  }],
  [1, () => {
    const a = [
      id(msgIds),
      { mtype: int(1), mtext: buffer() },
      int(0),
      waitOptions(),
    ];
    return seen(
      "msgsndAsync",
      a,
      () => (ipc.msgsndAsync as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [3, () => {
    const cmd = chance(0.9)
      ? pick([
        ipc.IPC_STAT,
        ipc.IPC_SET,
        ipc.IPC_RMID,
        ipc.IPC_INFO,
        ipc.MSG_INFO,
        ipc.MSG_STAT,
        ipc.MSG_STAT_ANY,
      ])
      : int();
    const a = [
      cmd === ipc.MSG_STAT || cmd === ipc.MSG_STAT_ANY
        ? int(0, 1, 2)
        : id(msgIds),
      cmd,
      chance(0.8)
        ? {
          mode: int(0o600),
          qbytes: chance(0.5) ? int(0, 16, 16384) : undefined,
        }
        : hostile(),
    ];
    return seen("msgctl", a, () => {
      const r = (ipc.msgctl as (...x: unknown[]) => unknown)(...a);
      if (cmd === ipc.IPC_RMID) forgetId(msgIds, a[0]);
      return typeof r === "object" ? "object" : r;
    });
  }],
  [1, () => {
    const f = flagsOf([ipc.MSG_NOERROR, ipc.MSG_EXCEPT]);
    const a = [
      id(msgIds),
      buffer(),
      int(0, 1, -2),
      typeof f === "number" ? f | ipc.IPC_NOWAIT : f ?? ipc.IPC_NOWAIT,
    ];
    return seen("msgrcvInto", a, () => {
      (ipc.msgrcvInto as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [1, () => {
    const a = [fd(), buffer()];
    nonBlocking(a[0]);
    return seen("mq_receiveInto", a, () => {
      (ipc.mq_receiveInto as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [1, () => {
    const a = [
      id(msgIds),
      buffer(),
      chance(0.9) ? int(0, 1, -2) : hostile(),
      flagsOf([ipc.MSG_NOERROR, ipc.MSG_EXCEPT, ipc.IPC_NOWAIT]) ?? 0,
      waitOptions(),
    ];
    return seen("msgrcvIntoAsync", a, async () => {
      await (ipc.msgrcvIntoAsync as (...x: unknown[]) => Promise<unknown>)(
        ...a,
      );
    });
  }],
  [1, () => {
    const a = [fd(), buffer(), waitOptions()];
    return seen("mq_receiveIntoAsync", a, async () => {
      await (ipc.mq_receiveIntoAsync as (...x: unknown[]) => Promise<unknown>)(
        ...a,
      );
    });
  }],
  [2, () => {
    const a = [
      chance(0.9) ? int(0, 1, 2 ** 32 - 1, 2 ** 32) : hostile(),
      noWaitOpen(flagsOf([ipc.EFD_SEMAPHORE, ipc.EFD_CLOEXEC])),
    ];
    return seen("eventfd", a, () => {
      const r = (ipc.eventfd as (...x: unknown[]) => number)(...a);
      addFd(r);
      return r;
    });
  }],
  [2, () => {
    const a = [fd()];
    nonBlocking(a[0]);
    return seen("eventfd_read", a, () => {
      (ipc.eventfd_read as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [2, () => {
    const a = [
      fd(),
      chance(0.8)
        ? pick<unknown>([0n, 1n, 7, ipc.EFD_MAX, ipc.EFD_MAX + 1n, -1n, 1.5])
        : hostile(),
    ];
    nonBlocking(a[0]);
    return seen("eventfd_write", a, () => {
      (ipc.eventfd_write as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [3, () => {
    const a = [
      mqName(),
      noWaitOpen(flagsOf([ipc.O_RDWR, ipc.O_WRONLY, ipc.O_CREAT, ipc.O_EXCL])),
      int(0o600, 0o644),
      chance(0.5)
        ? undefined
        : chance(0.8)
        ? { maxmsg: int(1, 4, 10, 11), msgsize: int(1, 64, 8192, 8193) }
        : hostile(),
    ];
    return seen("mq_open", a, () => {
      const r = (ipc.mq_open as (...x: unknown[]) => number)(...a);
      addFd(r);
      return r;
    });
  }],
  [3, () => {
    const a = [
      fd(),
      chance(0.9) ? buffer() : hostile(),
      int(0, 1, 32767, 32768),
    ];
    nonBlocking(a[0]);
    return seen(
      "mq_send",
      a,
      () => (ipc.mq_send as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [3, () => {
    const a = chance(0.5) ? [fd()] : [fd(), int(0, 64, 8192, 8193)];
    nonBlocking(a[0]);
    return seen("mq_receive", a, () => {
      (ipc.mq_receive as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [1, () => {
    const a = [
      fd(),
      buffer(),
      int(0, 1),
      chance(0.9) ? Date.now() + below(3) : hostile(),
    ];
    return seen(
      "mq_timedsend",
      a,
      () => (ipc.mq_timedsend as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [
      fd(),
      chance(0.5) ? undefined : int(8192),
      chance(0.9) ? new Date(Date.now() + below(3)) : hostile(),
    ];
    return seen("mq_timedreceive", a, () => {
      (ipc.mq_timedreceive as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [2, () => {
    const a = [fd()];
    return seen("mq_getattr", a, () => {
      ipc.mq_getattr(a[0] as number);
    });
  }],
  [1, () => {
    const a = [
      fd(),
      chance(0.8) ? { flags: pick([0, ipc.O_NONBLOCK, 1]) } : hostile(),
    ];
    return seen("mq_setattr", a, () => {
      (ipc.mq_setattr as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [1, () => {
    // Signals this batch listens for, or values refused before the call:
    // a signal it did not ask to handle would end it, as in C.
    const a = [
      fd(),
      chance(0.3) ? null : chance(0.8)
        ? {
          notify: pick<unknown>([ipc.SIGEV_SIGNAL, ipc.SIGEV_NONE, 2, -1]),
          signo: pick<unknown>(["SIGUSR1", "SIGUSR2", "SIGKILLX", 0, 65]),
        }
        : hostile(),
    ];
    return seen(
      "mq_notify",
      a,
      () => (ipc.mq_notify as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [
      semName(),
      flagsOf([ipc.O_CREAT, ipc.O_EXCL]),
      int(0o600, 0o644, 0o10000),
      int(0, 1, ipc.SEM_VALUE_MAX, ipc.SEM_VALUE_MAX + 1),
    ];
    return seen("sem_open", a, () => {
      sems.push((ipc.sem_open as (...x: unknown[]) => unknown)(...a));
    });
  }],
  [2, () => {
    const a = [
      region(),
      int(0, 8, 4, 4096 - 32, 4096 - 16),
      int(0, 1),
      int(0, 1, ipc.SEM_VALUE_MAX),
    ];
    return seen("sem_init", a, () => {
      sems.push((ipc.sem_init as (...x: unknown[]) => unknown)(...a));
    });
  }],
  [1, () => {
    const a = [region(), int(0, 8, 4, 4096 - 32)];
    return seen("sem_at", a, () => {
      sems.push((ipc.sem_at as (...x: unknown[]) => unknown)(...a));
    });
  }],
  [3, () => {
    const a = [sem()];
    const fn = pick(["sem_post", "sem_trywait", "sem_getvalue"] as const);
    return seen(fn, a, () => (ipc[fn] as (...x: unknown[]) => unknown)(...a));
  }],
  [1, () => {
    // A deadline in the past, or a bad one: never a wait (a hostile
    // number in the future would be a real deadline, as in C).
    const bad = hostile();
    const a = [
      sem(),
      chance(0.8)
        ? pick<unknown>([0, new Date(0), Date.now() - 1])
        : typeof bad === "number" && bad > Date.now()
        ? -bad
        : bad,
    ];
    return seen(
      "sem_timedwait",
      a,
      () => (ipc.sem_timedwait as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [sem(), { timeout: below(2) }];
    return seen(
      "sem_waitAsync",
      a,
      () =>
        (ipc.sem_waitAsync as (...x: unknown[]) => Promise<unknown>)(...a)
          .catch(() => {}),
    );
  }],
  [1, () => {
    const a = [sem()];
    const fn = pick(["sem_close", "sem_destroy"] as const);
    return seen(fn, a, () => (ipc[fn] as (...x: unknown[]) => unknown)(...a));
  }],
  [1, () => {
    const a = [semName()];
    return seen(
      "sem_unlink",
      a,
      () => (ipc.sem_unlink as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    // Always LOCK_NB: never a wait.
    const op = chance(0.9)
      ? pick([ipc.LOCK_SH, ipc.LOCK_EX, ipc.LOCK_UN])
      : int();
    const a = [fd(), typeof op === "number" ? op | ipc.LOCK_NB : op];
    return seen(
      "flock",
      a,
      () => (ipc.flock as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    // Never a waiting command: a random one may be F_SETLKW (7), which
    // waits for ever on an OFD lock of this same process, as in C.
    const file = fd();
    const cmd = chance(0.9)
      ? pick([ipc.F_GETLK, ipc.F_SETLK, ipc.F_OFD_GETLK, ipc.F_OFD_SETLK])
      : int();
    const a = [
      file,
      cmd === ipc.F_SETLKW
        ? ipc.F_SETLK
        : cmd === ipc.F_OFD_SETLKW
        ? ipc.F_OFD_SETLK
        : cmd,
      chance(0.8)
        ? {
          type: int(0, 1, 2, 3),
          whence: int(0, 1, 2, 3),
          start: int(0, 10, -1),
          len: int(0, 5, -5),
          ...(chance(0.1) ? { pid: int(0, 1) } : {}),
        }
        : hostile(),
    ];
    return seen(
      "fcntl_lock",
      a,
      () => (ipc.fcntl_lock as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [fd(), pick([ipc.F_SETLKW, ipc.F_OFD_SETLKW, ipc.F_SETLK]), {
      type: int(0, 1),
    }, { timeout: below(2) }];
    return seen(
      "fcntl_lockAsync",
      a,
      () =>
        (ipc.fcntl_lockAsync as (...x: unknown[]) => Promise<unknown>)(...a)
          .catch(() => {}),
    );
  }],
  [2, () => {
    // Never O_TRUNC: shrinking an object this batch has mapped makes the
    // next touch past its new end raise SIGBUS, as in C (see ftruncate).
    const a = [
      shmName(),
      flagsOf([ipc.O_RDWR, ipc.O_CREAT, ipc.O_EXCL]),
      int(0o600, 0o644, 0o10000),
    ];
    return seen("shm_open", a, () => {
      const r = (ipc.shm_open as (...x: unknown[]) => number)(...a);
      addFd(r);
      return r;
    });
  }],
  [1, () => {
    const a = [shmName()];
    return seen(
      "shm_unlink",
      a,
      () => (ipc.shm_unlink as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [mqName()];
    return seen(
      "mq_unlink",
      a,
      () => (ipc.mq_unlink as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [fd(), buffer(), int(0, 3), waitOptions()];
    return seen(
      "mq_sendAsync",
      a,
      () => (ipc.mq_sendAsync as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [fd(), chance(0.7) ? undefined : int(8192), waitOptions()];
    return seen("mq_receiveAsync", a, async () => {
      await (ipc.mq_receiveAsync as (...x: unknown[]) => Promise<unknown>)(
        ...a,
      );
    });
  }],
  [4, () => {
    const sensible = chance(0.6);
    const extra = flagsOf([
      ipc.MAP_NORESERVE,
      ipc.MAP_POPULATE,
      ipc.MAP_FIXED,
      ipc.MAP_LOCKED,
    ], 0);
    const flags = sensible && typeof extra === "number"
      ? pick([
        ipc.MAP_PRIVATE | ipc.MAP_ANONYMOUS,
        ipc.MAP_SHARED | ipc.MAP_ANONYMOUS,
        ipc.MAP_SHARED,
        ipc.MAP_PRIVATE,
      ]) | (chance(0.3) ? extra : 0)
      : flagsOf([
        ipc.MAP_SHARED,
        ipc.MAP_PRIVATE,
        ipc.MAP_ANONYMOUS,
        ipc.MAP_FIXED,
        ipc.MAP_FIXED_NOREPLACE,
        ipc.MAP_NORESERVE,
        ipc.MAP_GROWSDOWN,
        ipc.MAP_STACK,
        ipc.MAP_HUGETLB,
        ipc.MAP_SHARED_VALIDATE,
        ipc.MAP_SYNC,
        ipc.MAP_POPULATE,
        ipc.MAP_LOCKED,
      ]);
    let length = int(1, 100, page, 4 * page, 1 << 20, 2 ** 40, 2 ** 47);
    // Populating or locking is real work: keep those small, as C would.
    if (
      typeof flags === "number" &&
      (flags & (ipc.MAP_POPULATE | ipc.MAP_LOCKED)) !== 0 &&
      typeof length === "number" && length > 1 << 20
    ) length = 1 << 20;
    const a = [
      address(),
      length,
      sensible
        ? pick([ipc.PROT_READ | ipc.PROT_WRITE, ipc.PROT_READ])
        : flagsOf([ipc.PROT_READ, ipc.PROT_WRITE, ipc.PROT_EXEC]),
      flags,
      typeof flags === "number" && (flags & ipc.MAP_ANONYMOUS) !== 0 &&
        chance(0.8)
        ? -1
        : fd(),
      int(0, page, 2 * page),
    ];
    // Huge pages without a reservation (MAP_HUGETLB, or a mapping of a
    // huge-page memfd) fault with SIGBUS when none are free, as for shmget.
    if (
      typeof a[3] === "number" &&
      ((a[3] & ipc.MAP_HUGETLB) !== 0 ||
        (typeof a[4] === "number" && a[4] >= 0 && hugeFiles.has(inode(a[4]))))
    ) {
      a[3] &= ~ipc.MAP_NORESERVE;
    }
    return seen("mmap", a, () => {
      const r = (ipc.mmap as (...x: unknown[]) => ipc.MemoryRegion)(...a);
      if (typeof a[4] === "number" && a[4] >= 0) mapped.add(inode(a[4]));
      addRegion(r);
      return r.address;
    });
  }],
  [2, () => {
    const a = chance(0.5) ? [region()] : [region(), int(0, page, 4 * page)];
    return seen(
      "munmap",
      a,
      () => (ipc.munmap as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [
      region(),
      flagsOf([ipc.MS_ASYNC, ipc.MS_SYNC, ipc.MS_INVALIDATE]),
      int(0, page),
      chance(0.5) ? undefined : int(0, page),
    ];
    return seen(
      "msync",
      a,
      () => (ipc.msync as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [region(), flagsOf([ipc.PROT_READ, ipc.PROT_WRITE])];
    return seen(
      "mprotect",
      a,
      () => (ipc.mprotect as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [region(), int(0, 1, 2, 3, 4), int(0, page), int(0, page)];
    return seen(
      "madvise",
      a,
      () => (ipc.madvise as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [3, () => {
    const a = [
      path(),
      noWaitOpen(
        flagsOf([
          ipc.O_RDWR,
          ipc.O_WRONLY,
          ipc.O_CREAT,
          ipc.O_EXCL,
          ipc.O_TRUNC,
          ipc.O_APPEND,
        ]),
      ),
      int(0o600, 0o644),
    ];
    if (typeof a[0] === "string" && typeof a[1] === "number") {
      try {
        const st = Deno.statSync(a[0]);
        if (mapped.has(`${st.dev}:${st.ino}`)) a[1] &= ~ipc.O_TRUNC; // as above
      } catch {
        // no such file, or not ours to stat
      }
    }
    return seen("open", a, () => {
      const r = (ipc.open as (...x: unknown[]) => number)(...a);
      addFd(r);
      return r;
    });
  }],
  [1, () => {
    const a = [path(), int(0o600)];
    return seen(
      "mkfifo",
      a,
      () => (ipc.mkfifo as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [path(), int(903, 1, 256)];
    return seen(
      "ftok",
      a,
      () => (ipc.ftok as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = chance(0.5) ? [] : [flagsOf([ipc.O_NONBLOCK, ipc.O_CLOEXEC])];
    return seen("pipe2", a, () => {
      const r = a.length ? ipc.pipe2(a[0] as number) : ipc.pipe();
      r.forEach(addFd);
      return r;
    });
  }],
  [2, () => {
    const a = [
      chance(0.1) ? hostile() : "linux-ipc-fuzz",
      flagsOf([
        ipc.MFD_CLOEXEC,
        ipc.MFD_ALLOW_SEALING,
        ipc.MFD_NOEXEC_SEAL,
        ipc.MFD_EXEC,
        ipc.MFD_HUGETLB,
      ]),
    ];
    return seen("memfd_create", a, () => {
      const r = (ipc.memfd_create as (...x: unknown[]) => number)(...a);
      if (typeof a[1] === "number" && (a[1] & ipc.MFD_HUGETLB) !== 0) {
        hugeFiles.add(inode(r));
      }
      addFd(r);
      return r;
    });
  }],
  [2, () => {
    const a = [fd(), int(0, page, 1 << 20, 2 ** 40)];
    // Shrinking a mapped file makes the next touch past its new end raise
    // SIGBUS, as in C: outside the claim (README), so never done here.
    if (typeof a[0] === "number" && typeof a[1] === "number") {
      const st = statOf(a[0]);
      if (st && mapped.has(`${st.dev}:${st.ino}`)) {
        a[1] = Math.max(a[1], st.size);
      }
    }
    return seen(
      "ftruncate",
      a,
      () => (ipc.ftruncate as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [fd()];
    return seen("fstat", a, () => {
      ipc.fstat(a[0] as number);
      return "stat";
    });
  }],
  [2, () => {
    const a = [
      fd(),
      chance(0.9)
        ? pick([1, 2, 3, 4, ipc.F_ADD_SEALS, ipc.F_GET_SEALS])
        : int(),
      chance(0.5) ? int(0, ipc.O_NONBLOCK) : flagsOf([
        ipc.F_SEAL_SEAL,
        ipc.F_SEAL_SHRINK,
        ipc.F_SEAL_GROW,
        ipc.F_SEAL_WRITE,
        ipc.F_SEAL_FUTURE_WRITE,
        ipc.F_SEAL_EXEC,
      ]),
    ];
    return seen(
      "fcntl",
      a,
      () => (ipc.fcntl as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const own = ownFd();
    const a = [chance(0.8) && own !== undefined ? own : fd()];
    return seen("close", a, () => {
      ipc.close(a[0] as number);
      forgetFd(a[0]);
    });
  }],
  [4, () => {
    const a = [fd(), buffer()];
    nonBlocking(a[0]);
    return seen(
      "read",
      a,
      () => (ipc.read as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [4, () => {
    const a = [fd(), buffer()];
    nonBlocking(a[0]);
    return seen(
      "write",
      a,
      () => (ipc.write as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [fd(), buffer(), waitOptions()];
    return seen(
      "readAsync",
      a,
      () => (ipc.readAsync as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [fd(), buffer(), waitOptions()];
    return seen(
      "writeAsync",
      a,
      () => (ipc.writeAsync as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [path(), flagsOf([ipc.O_WRONLY, ipc.O_RDWR]), 0o600, {
      timeout: below(3),
    }];
    return seen("openAsync", a, async () => {
      const r = await (ipc.openAsync as (...x: unknown[]) => Promise<number>)(
        ...a,
      );
      addFd(r);
      return r;
    });
  }],
  [3, () => {
    const a = [
      chance(0.9) ? pick([ipc.AF_UNIX, ipc.AF_INET, ipc.AF_INET6]) : int(),
      chance(0.9)
        ? pick([ipc.SOCK_STREAM, ipc.SOCK_DGRAM, ipc.SOCK_SEQPACKET]) |
          (chance(0.3) ? ipc.SOCK_NONBLOCK : 0)
        : int(),
      chance(0.9) ? 0 : int(),
    ];
    return seen("socket", a, () => {
      const r = (ipc.socket as (...x: unknown[]) => number)(...a);
      addFd(r);
      return r;
    });
  }],
  [2, () => {
    const a = [
      chance(0.9) ? ipc.AF_UNIX : int(),
      chance(0.9)
        ? pick([ipc.SOCK_STREAM, ipc.SOCK_DGRAM, ipc.SOCK_SEQPACKET])
        : int(),
    ];
    return seen("socketpair", a, () => {
      const r = (ipc.socketpair as (...x: unknown[]) => number[])(...a);
      r.forEach(addFd);
      return r;
    });
  }],
  [2, () => {
    const a = [fd(), sockaddr()];
    return seen(
      "bind",
      a,
      () => (ipc.bind as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [fd(), int(0, 1, 128)];
    return seen(
      "listen",
      a,
      () => (ipc.listen as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [fd(), flagsOf([ipc.SOCK_NONBLOCK, ipc.SOCK_CLOEXEC])];
    nonBlocking(a[0]);
    return seen("accept4", a, () => {
      const r = (ipc.accept4 as (...x: unknown[]) => { fd: number })(...a);
      addFd(r.fd);
      return r.fd;
    });
  }],
  [2, () => {
    const a = [fd(), sockaddr()];
    nonBlocking(a[0]);
    return seen(
      "connect",
      a,
      () => (ipc.connect as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [fd(), sockaddr(), waitOptions()];
    return seen(
      "connectAsync",
      a,
      () => (ipc.connectAsync as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [fd(), waitOptions()];
    return seen("acceptAsync", a, async () => {
      const r = await (ipc.acceptAsync as (
        ...x: unknown[]
      ) => Promise<{ fd: number }>)(...a);
      addFd(r.fd);
      return r.fd;
    });
  }],
  [3, () => {
    const a = [
      fd(),
      buffer(),
      dontWait(flagsOf([ipc.MSG_PEEK, ipc.MSG_TRUNC])),
    ];
    nonBlocking(a[0]);
    return seen(
      "recv",
      a,
      () => (ipc.recv as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [3, () => {
    const a = [fd(), buffer(), dontWait(flagsOf([ipc.MSG_NOSIGNAL]))];
    nonBlocking(a[0]);
    return seen(
      "send",
      a,
      () => (ipc.send as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [fd(), buffer(), dontWait(flagsOf([])), sockaddr()];
    nonBlocking(a[0]);
    return seen(
      "sendto",
      a,
      () => (ipc.sendto as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [
      fd(),
      buffer(),
      dontWait(flagsOf([ipc.MSG_PEEK, ipc.MSG_TRUNC])),
    ];
    nonBlocking(a[0]);
    return seen("recvfrom", a, () => {
      (ipc.recvfrom as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [2, () => {
    const pass = fds.length ? [pick(fds)] : [];
    const msg = chance(0.1) ? hostile() : {
      data: chance(0.2) ? [buffer(), buffer()] : buffer(),
      to: chance(0.2) ? sockaddr() : undefined,
      control: chance(0.5)
        ? [{
          type: "rights",
          fds: chance(0.8) ? pass : [fd(), fd()],
        }]
        : chance(0.2)
        ? [{ type: "credentials", pid: Deno.pid, uid: 0, gid: 0 }]
        : chance(0.1)
        ? [{ type: "other" }]
        : undefined,
    };
    const a = [fd(), msg, dontWait(flagsOf([]))];
    nonBlocking(a[0]);
    return seen(
      "sendmsg",
      a,
      () => (ipc.sendmsg as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const msg = chance(0.1) ? hostile() : {
      data: buffer(),
      maxFds: chance(0.8) ? undefined : int(0, 1, 2),
    };
    const a = [fd(), msg, dontWait(flagsOf([ipc.MSG_PEEK]))];
    nonBlocking(a[0]);
    return seen("recvmsg", a, () => {
      const r = (ipc.recvmsg as (...x: unknown[]) => ipc.MessageReceived)(
        ...a,
      );
      for (const m of r.control) if (m.type === "rights") m.fds.forEach(addFd);
      return r.n;
    });
  }],
  [1, () => {
    const a = [fd(), buffer(), waitOptions()];
    return seen(
      "recvAsync",
      a,
      () => (ipc.recvAsync as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [fd(), buffer(), waitOptions()];
    return seen(
      "sendAsync",
      a,
      () => (ipc.sendAsync as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [fd(), chance(0.9) ? pick([0, 1, 2]) : int()];
    return seen(
      "shutdown",
      a,
      () => (ipc.shutdown as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [2, () => {
    const a = [
      fd(),
      chance(0.9) ? ipc.SOL_SOCKET : int(),
      chance(0.9)
        ? pick([
          ipc.SO_TYPE,
          ipc.SO_ERROR,
          ipc.SO_SNDBUF,
          ipc.SO_RCVBUF,
          ipc.SO_PEERCRED,
          ipc.SO_PASSCRED,
        ])
        : int(),
    ];
    return seen("getsockopt", a, () => {
      (ipc.getsockopt as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [1, () => {
    const a = [
      fd(),
      ipc.SOL_SOCKET,
      pick([ipc.SO_SNDBUF, ipc.SO_RCVBUF, ipc.SO_PASSCRED, int()]),
      chance(0.2) ? hostile() : int(0, 1, 4096),
    ];
    return seen(
      "setsockopt",
      a,
      () => (ipc.setsockopt as (...x: unknown[]) => unknown)(...a),
    );
  }],
  [1, () => {
    const a = [fd()];
    return seen("getsockname", a, () => {
      (ipc.getsockname as (...x: unknown[]) => unknown)(...a);
    });
  }],
  [1, () => {
    const a = [fd()];
    return seen("getpeername", a, () => {
      (ipc.getpeername as (...x: unknown[]) => unknown)(...a);
    });
  }],
  // Through the views: an old view of memory since detached must read
  // undefined and write nothing, never crash.
  [4, () => {
    const view = views.length ? pick(views) : new Uint8Array(0);
    const at = below(Math.max(1, view.length + 2));
    return seen("view[i] = 7", [view.length, at], () => {
      view[at] = 7;
      return view[at];
    });
  }],
  [1, () => {
    const r = regions.length ? pick(regions) : null;
    return seen("region.bytes.buffer.transfer()", [r?.address], () => {
      if (r && !r.readOnly && !r.detached) {
        views.push(new Uint8Array(r.bytes.buffer.transfer()));
      }
    });
  }],
];

const total = CALLS.reduce((n, [w]) => n + w, 0);
function choose(): Call {
  let n = random() * total;
  for (const [w, c] of CALLS) if ((n -= w) < 0) return c;
  return CALLS[0][1];
}

function forgetId(pool: number[], value: unknown): void {
  const at = pool.indexOf(value as number);
  if (at >= 0) {
    pool.splice(at, 1);
    staleIds.push(value as number);
  }
}
function removeShm(shmid: number): void {
  try {
    ipc.shmctl(shmid, ipc.IPC_RMID);
  } catch {
    // removed by a fuzzed call
  }
  staleIds.push(shmid);
}
function removeMsg(msqid: number): void {
  try {
    ipc.msgctl(msqid, ipc.IPC_RMID);
  } catch {
    // removed by a fuzzed call
  }
  staleIds.push(msqid);
}
function removeSem(semid: number): void {
  try {
    ipc.semctl(semid, 0, ipc.IPC_RMID);
  } catch {
    // removed by a fuzzed call
  }
  staleIds.push(semid);
}

function describe(values: unknown[]): string {
  return values.map((v) => {
    if (typeof v === "bigint") return `0x${v.toString(16)}n`;
    if (typeof v === "symbol" || typeof v === "function") return String(v);
    if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
    if (v instanceof ipc.MemoryRegion) {
      return `region(0x${v.address.toString(16)}, ${v.byteLength})`;
    }
    try {
      return JSON.stringify(
        v,
        (_, x) =>
          typeof x === "bigint"
            ? `${x}n`
            : x instanceof Uint8Array
            ? `Uint8Array(${x.length})`
            : x,
      ) ?? String(v);
    } catch {
      return String(v);
    }
  }).join(", ");
}

const stats: Record<string, Record<string, number>> = {};
const TYPED = [
  ipc.IpcError,
  TypeError,
  RangeError,
  Deno.errors.NotCapable,
  Deno.errors.BadResource,
  DOMException, // an abort
];
const NAMED = /[Aa]rgument "|[Oo]ption "|Invalid options|cannot be made "/;
const out = (line: string) => Deno.stdout.writeSync(enc.encode(line + "\n"));

for (let i = 0; i < calls; i++) {
  const [fn, args, run] = choose()();
  out(`CALL ${i} ${fn}(${describe(args)})`);
  const tally = stats[fn] ??= {};
  try {
    await run();
    tally.ok = (tally.ok ?? 0) + 1;
  } catch (e) {
    const name = e instanceof Error
      ? (e as { code?: string }).code ?? e.name
      : "non-Error";
    tally[name] = (tally[name] ?? 0) + 1;
    if (!(e instanceof Error)) {
      out(`FAIL ${i} ${fn} threw a non-Error: ${String(e)}`);
      Deno.exit(1);
    }
    // Beyond the claim's minimum: every error is of a kind a caller can
    // tell apart (not a bare Error).
    if (!TYPED.some((t) => e instanceof t)) {
      out(`FAIL ${i} ${fn} threw an untyped ${e.name}: ${e.message}`);
      Deno.exit(1);
    }
    // An argument error names the argument (or option) at fault; a raw
    // TypeError from FFI or the engine ("Invalid FFI i32 type") does not.
    if (
      (e instanceof TypeError || e instanceof RangeError) &&
      !NAMED.test(e.message)
    ) {
      out(
        `FAIL ${i} ${fn} threw a ${e.name} that names no argument: ${e.message}`,
      );
      Deno.exit(1);
    }
  }
}

// Clean up what the pools hold, then look for what was left behind.
for (const r of regions) {
  try {
    r.close();
  } catch {
    // closed already
  }
}
shmIds.forEach(removeShm);
semIds.forEach(removeSem);
msgIds.forEach(removeMsg);
fds.forEach(closeFd);
// Every object still in the kernel: with its own IPC namespace, whatever
// the *_STAT_ANY commands find at any index (the namespace started empty);
// otherwise, each id this batch made that IPC_STAT still finds.
for (const name of mqNames) {
  try {
    ipc.mq_unlink(name);
  } catch {
    // not there
  }
}
for (const name of semNames) {
  try {
    ipc.sem_unlink(name);
  } catch {
    // not there
  }
}
for (const name of shmNames) {
  try {
    ipc.shm_unlink(name);
  } catch {
    // not there
  }
}
const left: string[] = [];
const c = libc();
const statBuf = new Uint8Array(256);
if (namespaced) {
  for (let index = 0; index < 4096; index++) {
    const shm = c.shmctl(index, ipc.SHM_STAT_ANY, statBuf);
    if (shm >= 0) left.push(`shm id ${shm}`);
    const msg = c.msgctl(index, ipc.MSG_STAT_ANY, statBuf);
    if (msg >= 0) left.push(`msg id ${msg}`);
    const sem = c.semctl_buf(index, 0, ipc.SEM_STAT_ANY, statBuf);
    if (sem >= 0) left.push(`sem id ${sem}`);
  }
} else {
  for (const shmid of madeShm) {
    if (c.shmctl(shmid, ipc.IPC_STAT, statBuf) === 0) {
      left.push(`shm id ${shmid}`);
    }
  }
  for (const msqid of madeMsg) {
    if (c.msgctl(msqid, ipc.IPC_STAT, statBuf) === 0) {
      left.push(`msg id ${msqid}`);
    }
  }
  for (const semid of madeSem) {
    if (c.semctl_buf(semid, 0, ipc.IPC_STAT, statBuf) === 0) {
      left.push(`sem id ${semid}`);
    }
  }
}
if (left.length) {
  out(`FAIL leak: System V objects left behind:\n${left.join("\n")}`);
  Deno.exit(1);
}
out(`STATS ${JSON.stringify(stats)}`);
out(`DONE ${calls}`);
