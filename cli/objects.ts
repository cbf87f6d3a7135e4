/**
 * What the `ipc` tool sees: every IPC object of the machine as one typed
 * record, gathered from the kernel (`*_STAT_ANY`), `/dev/shm`,
 * `/dev/mqueue` and `/proc`, with the processes that use each.
 *
 * @module
 */

import {
  GETALL,
  GETPID,
  IPC_RMID,
  IpcError,
  mq_close,
  mq_getattr,
  mq_open,
  mq_unlink,
  MSG_INFO,
  MSG_STAT_ANY,
  msgctl,
  O_NONBLOCK,
  O_RDONLY,
  sem_close,
  sem_getvalue,
  SEM_INFO,
  sem_open,
  SEM_STAT_ANY,
  sem_unlink,
  semctl,
  SHM_INFO,
  SHM_STAT_ANY,
  shm_unlink,
  shmctl,
  statfs,
} from "../mod.ts";
import {
  lstatName,
  readDirNames,
  readTextName,
  S_IFMT,
  S_IFREG,
} from "../ffi/fd.ts";

/**
 * The kinds of object the tool knows: System V `shm`, `sem`, `msg` (as
 * `ipcs` names them), POSIX `pshm`, `psem`, `mq`, and listening Unix
 * `socket`s.
 *
 * @example
 * ```ts
 * import { KINDS } from "@linux-ipc/ipc/cli";
 * console.log(KINDS.includes("mq")); // true
 * ```
 */
export const KINDS = [
  "shm",
  "sem",
  "msg",
  "pshm",
  "psem",
  "mq",
  "socket",
] as const;

/**
 * A kind of object: System V `shm`, `sem`, `msg`; POSIX `pshm` (shared
 * memory), `psem` (named semaphores), `mq` (message queues); listening Unix
 * `socket`s.
 */
export type Kind = typeof KINDS[number];

/** A process that uses an object. */
export interface Holder {
  /** Its process id. */
  pid: number;
  /** Its command name (`/proc/PID/comm`). */
  command: string;
  /** How it uses the object: `"attached"`, `"mapped"` or `"open"`. */
  how: "attached" | "mapped" | "open";
}

/** One IPC object of the machine. */
export interface IpcObject {
  /** What it is. */
  kind: Kind;
  /** System V: its id (as `ipcs` shows it); POSIX and sockets: absent. */
  id?: number;
  /** System V: its key (0 for `IPC_PRIVATE`). */
  key?: number;
  /**
   * POSIX: its name (`/NAME`); sockets: the path, or `@NAME` for an abstract
   * name.
   */
  name?: string;
  /** Owner's user id (-1 where the kernel does not say). */
  uid: number;
  /** Owner's user name, where `/etc/passwd` has one. */
  user?: string;
  /** Permission bits (low 9 bits; -1 where there are none). */
  mode: number;
  /**
   * Bytes for memory, semaphores in the set (`sem`), bytes queued (`msg`,
   * `mq`), 0 for a named semaphore and a socket; -1 for a POSIX queue this
   * process may not read (another user's, listed all the same).
   */
  size: number;
  /** Semaphore values (`sem`: each; `psem`: the one value). */
  values?: number[];
  /** System V segments: how many attaches it has (`shm_nattch`). */
  attaches?: number;
  /** Messages queued (`msg`, `mq`). */
  messages?: number;
  /** POSIX queues: the most messages, and the largest. */
  maxmsg?: number;
  /** POSIX queues: the largest message, in bytes. */
  msgsize?: number;
  /** Times, in seconds since the epoch (0: never). */
  times: Record<string, number>;
  /** Process ids the kernel records: creator, last operations. */
  pids: Record<string, number>;
  /** Processes that have it attached, mapped or open. */
  holders: Holder[];
}

/**
 * The IPC objects of the machine with the processes that use them. Reads
 * `/proc`, `/dev/shm` and `/dev/mqueue`, which Deno grants only to
 * `--allow-all`; System V objects come from the kernel's `*_STAT_ANY`
 * calls (`--allow-ffi`).
 *
 * @param kinds which kinds (default: every kind)
 * @returns one record per object, System V first
 * @throws {Deno.errors.NotCapable} without `--allow-all`
 * @example
 * ```ts ignore
 * import { listObjects } from "@linux-ipc/ipc/cli";
 * for (const o of listObjects(["shm"])) console.log(o.id, o.size, o.holders);
 * ```
 */
export function listObjects(kinds: readonly Kind[] = KINDS): IpcObject[] {
  // Who uses an object is read from every process's maps and descriptors:
  // only when a kind asked for has users to show (sets and queues have none).
  const procs = kinds.some((k) => k !== "sem" && k !== "msg")
    ? processes()
    : [];
  const out: IpcObject[] = [];
  const users = userNames();
  const add = (o: IpcObject) => {
    if (o.uid >= 0) o.user = users.get(o.uid);
    out.push(o);
  };
  if (kinds.includes("shm")) sysvShm(procs).forEach(add);
  if (kinds.includes("sem")) sysvSem().forEach(add);
  if (kinds.includes("msg")) sysvMsg().forEach(add);
  if (kinds.includes("pshm") || kinds.includes("psem")) {
    devShm(procs, kinds).forEach(add);
  }
  if (kinds.includes("mq")) queues(procs).forEach(add);
  if (kinds.includes("socket")) sockets(procs).forEach(add);
  return out;
}

/**
 * Removes an object, as `ipcrm` (System V, by id) or `*_unlink` (POSIX)
 * does. A socket's path is unlinked; the listener goes on until it closes.
 *
 * @param o an object {@linkcode listObjects} returned
 * @throws {IpcError} `EPERM`, `EACCES`, `EINVAL`/`ENOENT` (gone already)
 * @throws {TypeError} for an abstract socket, which has no file
 * @example
 * ```ts ignore
 * import { listObjects, removeObject } from "@linux-ipc/ipc/cli";
 * for (const o of listObjects(["msg"])) if (o.key === 0x1234) removeObject(o);
 * ```
 */
export function removeObject(o: IpcObject): void {
  checkRemovable(o);
  switch (o.kind) {
    case "shm":
      shmctl(o.id!, IPC_RMID);
      return;
    case "sem":
      semctl(o.id!, 0, IPC_RMID);
      return;
    case "msg":
      msgctl(o.id!, IPC_RMID);
      return;
    case "pshm":
      shm_unlink(o.name!);
      return;
    case "psem":
      sem_unlink(o.name!);
      return;
    case "mq":
      mq_unlink(o.name!);
      return;
    case "socket":
      Deno.removeSync(o.name!);
      return;
  }
}

/**
 * Throws if `o` is of a kind nothing can remove (an abstract socket), so
 * that a dry run says what the real one would.
 *
 * @param o the object
 * @throws {TypeError} for an abstract socket
 */
export function checkRemovable(o: IpcObject): void {
  if (o.kind === "socket" && o.name!.startsWith("@")) {
    throw new TypeError(
      `Cannot remove "${o.name}": an abstract socket has no file; it goes when its listener closes`,
    );
  }
}

// ---------------------------------------------------------------------------
// Processes

interface Proc {
  pid: number;
  command: string;
  /** `dev:inode` of every file it maps, with the SysV segment ids. */
  maps: Set<string>;
  shmids: Set<number>;
  /** `dev:inode` of every descriptor it holds, and socket inodes. */
  fds: Set<string>;
  sockets: Set<number>;
}

/** Every process this user may look into (others are left out). */
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const pid = Number(e.name);
    try {
      out.push(processOf(pid));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}

function processOf(pid: number): Proc {
  const base = `/proc/${pid}`;
  const p: Proc = {
    pid,
    command: Deno.readTextFileSync(`${base}/comm`).trim(),
    maps: new Set(),
    shmids: new Set(),
    fds: new Set(),
    sockets: new Set(),
  };
  for (const line of Deno.readTextFileSync(`${base}/maps`).split("\n")) {
    // address perms offset dev inode path
    const f = line.split(/\s+/);
    if (f.length < 6 || f[4] === "0") continue;
    if (f[5].startsWith("/SYSV")) p.shmids.add(Number(f[4]));
    else p.maps.add(`${devNumber(f[3])}:${f[4]}`);
  }
  try {
    for (const e of Deno.readDirSync(`${base}/fd`)) {
      try {
        const link = Deno.readLinkSync(`${base}/fd/${e.name}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m) {
          p.sockets.add(Number(m[1]));
          continue;
        }
        if (!link.startsWith("/")) continue;
        const st = Deno.statSync(`${base}/fd/${e.name}`);
        p.fds.add(`${st.dev}:${st.ino}`);
      } catch {
        // Closed meanwhile.
      }
    }
  } catch {
    // Descriptors of another user's process.
  }
  return p;
}

/** `/proc/PID/maps` writes a device as `major:minor` in hex. */
function devNumber(text: string): number {
  const [major, minor] = text.split(":").map((x) => parseInt(x, 16));
  // As the kernel's new_encode_dev, which stat's st_dev reports.
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

/**
 * Whether `/etc/passwd` has a user of this name.
 *
 * @param name the user name
 * @returns true if it has
 */
export function userExists(name: string): boolean {
  return [...userNames().values()].includes(name);
}

function userNames(): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const f = line.split(":");
      if (f.length > 2) m.set(Number(f[2]), f[0]);
    }
  } catch {
    // No names, only numbers.
  }
  return m;
}

// ---------------------------------------------------------------------------
// System V

/** Every kernel index up to `maxIndex` that holds an object. */
function* indices<T>(
  maxIndex: number,
  stat: (index: number) => T,
): Generator<T> {
  for (let i = 0; i <= maxIndex; i++) {
    try {
      yield stat(i);
    } catch (e) {
      if (!(e instanceof IpcError) || e.code !== "EINVAL") throw e;
    }
  }
}

/** The fields every System V object has, from its `ipc_perm`. */
function sysv(
  kind: "shm" | "sem" | "msg",
  ds: { id: number; perm: { key: number; uid: number; mode: number } },
) {
  return {
    kind,
    id: ds.id,
    key: ds.perm.key,
    uid: ds.perm.uid,
    mode: ds.perm.mode & 0o777,
  };
}

function sysvShm(procs: Proc[]): IpcObject[] {
  const out: IpcObject[] = [];
  for (
    const ds of indices(
      shmctl(0, SHM_INFO).maxIndex,
      (i) => shmctl(i, SHM_STAT_ANY),
    )
  ) {
    out.push({
      ...sysv("shm", ds),
      size: ds.segsz,
      times: { attached: ds.atime, detached: ds.dtime, changed: ds.ctime },
      attaches: ds.nattch,
      pids: { creator: ds.cpid, last: ds.lpid },
      holders: procs.filter((p) => p.shmids.has(ds.id)).map((p) => ({
        pid: p.pid,
        command: p.command,
        how: "attached" as const,
      })),
    });
  }
  return out;
}

function sysvSem(): IpcObject[] {
  const out: IpcObject[] = [];
  for (
    const ds of indices(
      semctl(0, 0, SEM_INFO).maxIndex,
      (i) => semctl(i, 0, SEM_STAT_ANY),
    )
  ) {
    const o: IpcObject = {
      ...sysv("sem", ds),
      size: ds.nsems,
      times: { operated: ds.otime, changed: ds.ctime },
      pids: {},
      holders: [],
    };
    try {
      // GETALL and GETPID need read permission; without it, no values.
      o.values = semctl(ds.id, 0, GETALL);
      for (let n = 0; n < ds.nsems; n++) {
        const pid = semctl(ds.id, n, GETPID);
        if (pid !== 0) o.pids[`last[${n}]`] = pid;
      }
    } catch {
      // Left out.
    }
    out.push(o);
  }
  return out;
}

function sysvMsg(): IpcObject[] {
  const out: IpcObject[] = [];
  for (
    const ds of indices(
      msgctl(0, MSG_INFO).maxIndex,
      (i) => msgctl(i, MSG_STAT_ANY),
    )
  ) {
    out.push({
      ...sysv("msg", ds),
      size: ds.cbytes,
      messages: ds.qnum,
      times: { sent: ds.stime, received: ds.rtime, changed: ds.ctime },
      pids: { lastSend: ds.lspid, lastReceive: ds.lrpid },
      holders: [],
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// POSIX and sockets

function holdersOf(procs: Proc[], dev: number, ino: number): Holder[] {
  const k = `${dev}:${ino}`;
  const out: Holder[] = [];
  for (const p of procs) {
    const how = p.maps.has(k) ? "mapped" : p.fds.has(k) ? "open" : null;
    if (how !== null) out.push({ pid: p.pid, command: p.command, how });
  }
  return out;
}

function epoch(d: Date | null): number {
  return d === null ? 0 : Math.floor(d.getTime() / 1000);
}

function devShm(procs: Proc[], kinds: readonly Kind[]): IpcObject[] {
  const out: IpcObject[] = [];
  // Names as their bytes are (one that is not UTF-8 included, which
  // Deno.readDirSync would give with U+FFFD, and its stat then miss).
  for (const entry of readDirNames("/dev/shm") ?? []) {
    const st = lstatName(`/dev/shm/${entry}`);
    if (st === null) continue; // Removed meanwhile.
    if ((st.mode & S_IFMT) !== S_IFREG) continue;
    const sem = entry.startsWith("sem.");
    const kind: Kind = sem ? "psem" : "pshm";
    if (!kinds.includes(kind)) continue;
    const name = `/${sem ? entry.slice(4) : entry}`;
    const o: IpcObject = {
      kind,
      name,
      uid: st.uid,
      mode: st.mode & 0o777,
      size: sem ? 0 : st.size,
      times: { modified: st.mtime, changed: st.ctime },
      pids: {},
      holders: holdersOf(procs, st.dev, st.ino),
    };
    if (sem) {
      try {
        const s = sem_open(name, 0);
        try {
          o.values = [sem_getvalue(s)];
        } finally {
          sem_close(s);
        }
      } catch {
        // Not ours to open: no value.
      }
    }
    out.push(o);
  }
  return out;
}

/**
 * Whether the mqueue file system is mounted at `/dev/mqueue`, where POSIX
 * queues show: without it they exist but cannot be listed.
 *
 * @returns true if it is
 * @example
 * ```ts ignore
 * import { mqueueMounted } from "@linux-ipc/ipc/cli";
 * if (!mqueueMounted()) console.log("mount -t mqueue none /dev/mqueue");
 * ```
 */
export function mqueueMounted(): boolean {
  try {
    return statfs("/dev/mqueue").name === "mqueue";
  } catch {
    return false;
  }
}

function queues(procs: Proc[]): IpcObject[] {
  const out: IpcObject[] = [];
  if (!mqueueMounted()) return out;
  // As in /dev/shm: names as their bytes are.
  for (const entry of readDirNames("/dev/mqueue") ?? []) {
    const path = `/dev/mqueue/${entry}`;
    const st = lstatName(path);
    if (st === null) continue; // Removed meanwhile.
    // "QSIZE:0 NOTIFY:0 SIGNO:0 NOTIFY_PID:0"; null for a queue this
    // process may not read, which is listed with what its inode says.
    const info = readTextName(path);
    const field = (f: string) =>
      info === null
        ? -1
        : Number(new RegExp(`${f}:(\\d+)`).exec(info)?.[1] ?? 0);
    const o: IpcObject = {
      kind: "mq",
      name: `/${entry}`,
      uid: st.uid,
      mode: st.mode & 0o777,
      size: field("QSIZE"),
      times: { modified: st.mtime, changed: st.ctime },
      pids: field("NOTIFY_PID") > 0 ? { notify: field("NOTIFY_PID") } : {},
      holders: holdersOf(procs, st.dev, st.ino),
    };
    try {
      const q = mq_open(o.name!, O_RDONLY | O_NONBLOCK);
      try {
        const a = mq_getattr(q);
        o.messages = a.curmsgs;
        o.maxmsg = a.maxmsg;
        o.msgsize = a.msgsize;
      } finally {
        mq_close(q);
      }
    } catch {
      // Not ours to open: the sizes /dev/mqueue gives.
    }
    out.push(o);
  }
  return out;
}

/** `/proc/net/unix` flag of a listening socket (`__SO_ACCEPTCON`). */
const ACCEPTING = 0x10000;

function sockets(procs: Proc[]): IpcObject[] {
  const out: IpcObject[] = [];
  const lines = Deno.readTextFileSync("/proc/net/unix").split("\n").slice(1);
  for (const line of lines) {
    // Num RefCount Protocol Flags Type St Inode Path
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    if ((parseInt(f[3], 16) & ACCEPTING) === 0) continue;
    const inode = Number(f[6]);
    const name = f.slice(7).join(" ");
    const holders = procs.filter((p) => p.sockets.has(inode)).map((p) => ({
      pid: p.pid,
      command: p.command,
      how: "open" as const,
    }));
    let uid = -1, mode = -1, changed = 0;
    if (!name.startsWith("@")) {
      try {
        const st = Deno.statSync(name);
        uid = st.uid ?? -1;
        mode = (st.mode ?? 0) & 0o777;
        changed = epoch(st.ctime);
      } catch {
        // Its file was removed; the listener goes on.
      }
    }
    if (uid === -1 && holders.length > 0) uid = ownerOf(holders[0].pid);
    out.push({
      kind: "socket",
      name,
      uid,
      mode,
      size: 0,
      times: changed ? { changed } : {},
      pids: {},
      holders,
    });
  }
  return out;
}

function ownerOf(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
  } catch {
    return -1;
  }
}
