/**
 * TLPI ch. 43, tables 43-1 and 43-2, live: one object of every facility
 * the library has, with its kind of handle, who can reach it, and its
 * persistence, checked rather than printed from a table. A child process
 * makes each object and exits; this process then looks for it:
 *
 * - objects with a key or a name (System V, POSIX) are still there, so
 *   their persistence is the kernel's; `statfs` says which file system
 *   holds a POSIX name (tmpfs, mqueue: gone at reboot);
 * - a FIFO's and a socket's names stay on their file system, but the data
 *   written into the FIFO and the listening socket went with the process;
 * - a shared file mapping's data is in the file (file system persistence);
 * - a `flock` lock is free again (process persistence);
 * - descriptors (pipe, eventfd, memfd): the child is handed them and
 *   reads them after this process closed its own: they live while any
 *   process holds them.
 *
 * Everything it made is removed at the end.
 *
 * Run: deno run --allow-ffi --allow-run --allow-env --allow-read --allow-write examples/taxonomy.ts
 *      (or: deno task taxonomy)
 *
 * @module
 */

import { FFI, requirePermissions, RUN } from "./_permissions.ts";
import {
  AF_UNIX,
  bind,
  close,
  connect,
  EventFd,
  eventfd_read,
  flock,
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_STAT,
  IpcError,
  listen,
  LOCK_EX,
  LOCK_NB,
  Mapping,
  mkfifo,
  mq_close,
  mq_open,
  mq_unlink,
  msgctl,
  msgget,
  O_CREAT,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  open,
  PipeEnd,
  PosixSemaphore,
  PosixSharedMemory,
  read,
  sem_unlink,
  semctl,
  semget,
  shm_unlink,
  shmctl,
  shmget,
  SOCK_STREAM,
  socket,
  spawnWithFds,
  statfs,
  write,
} from "../mod.ts";

const args = Deno.args;
if (args[0] === "--make") {
  // The child: make every object, print its identifier, exit without
  // removing anything.
  const [, dir, tag] = args;
  const out: Record<string, string | number> = {};
  out.shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600);
  out.sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
  out.msg = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
  mq_close(mq_open(`/${tag}-mq`, O_RDWR | O_CREAT, 0o600));
  PosixSharedMemory.open(`/${tag}-shm`, { create: { size: 4096 } }).close();
  PosixSemaphore.open(`/${tag}-sem`, { create: { value: 1 } }).close();
  mkfifo(`${dir}/fifo`, 0o600);
  const fifo = open(`${dir}/fifo`, O_RDWR);
  write(fifo, new TextEncoder().encode("data in the FIFO"));
  const s = socket(AF_UNIX, SOCK_STREAM);
  bind(s, { family: "unix", path: `${dir}/socket` });
  listen(s);
  {
    using map = Mapping.file(`${dir}/mapped`, { create: { size: 4096 } });
    map.memory.writeCString("data in the mapped file");
  }
  const locked = open(`${dir}/locked`, O_RDWR | O_CREAT, 0o600);
  flock(locked, LOCK_EX);
  console.log(JSON.stringify(out));
  Deno.exit(0); // with the FIFO, the socket and the lock still open
}
if (args[0] === "--hold") {
  // The child that is handed descriptors after the parent closed its own.
  using pipe = PipeEnd.fromFd(3);
  const buf = new Uint8Array(64);
  const n = await pipe.read(buf) ?? 0;
  const text = new TextDecoder().decode(buf.subarray(0, n));
  const count = eventfd_read(4);
  using mem = Mapping.fromFd(5);
  console.log(
    JSON.stringify({
      pipe: text,
      eventfd: String(count),
      memfd: mem.memory.readCString(),
    }),
  );
  Deno.exit(0);
}

requirePermissions(
  "examples/taxonomy.ts",
  [
    FFI,
    RUN,
    { descriptor: { name: "env" }, flag: "--allow-env" },
    { descriptor: { name: "read" }, flag: "--allow-read" },
    { descriptor: { name: "write" }, flag: "--allow-write" },
  ],
  "",
  "taxonomy",
);

const dir = await Deno.makeTempDir({ prefix: "linux-ipc-taxonomy-" });
const tag = `linux-ipc-taxonomy-${Deno.pid}`;
const self = import.meta.filename ?? "";
const flags = [
  "run",
  "--quiet",
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
];
const rows: [string, string, string, string][] = [];
const cleanup: (() => void)[] = [];
const quietly = (f: () => void) => () => {
  try {
    f();
  } catch (e) {
    if (!(e instanceof IpcError)) throw e;
  }
};

try {
  const made = await new Deno.Command(Deno.execPath(), {
    args: [...flags, self, "--make", dir, tag],
    stderr: "inherit",
  }).output();
  if (made.code !== 0) throw new Error("The child could not make the objects");
  const ids = JSON.parse(new TextDecoder().decode(made.stdout));
  cleanup.push(
    quietly(() => shmctl(ids.shm, IPC_RMID)),
    quietly(() => semctl(ids.sem, 0, IPC_RMID)),
    quietly(() => msgctl(ids.msg, IPC_RMID)),
    quietly(() => mq_unlink(`/${tag}-mq`)),
    quietly(() => shm_unlink(`/${tag}-shm`)),
    quietly(() => sem_unlink(`/${tag}-sem`)),
  );
  const alive = (check: () => unknown) => {
    try {
      check();
      return true;
    } catch {
      return false;
    }
  };
  const kernel = (there: boolean, fs?: string) =>
    there
      ? `kernel: outlived its maker${fs ? ` (${fs}: gone at reboot)` : ""}`
      : "gone with its maker?";

  rows.push([
    "System V message queue",
    "key -> id",
    "permissions mask",
    kernel(alive(() => msgctl(ids.msg, IPC_STAT))),
  ]);
  rows.push([
    "System V semaphore set",
    "key -> id",
    "permissions mask",
    kernel(alive(() => semctl(ids.sem, 0, IPC_STAT))),
  ]);
  rows.push([
    "System V shared memory",
    "key -> id",
    "permissions mask",
    kernel(alive(() => shmctl(ids.shm, IPC_STAT))),
  ]);
  rows.push([
    "POSIX message queue",
    "name -> descriptor",
    "permissions mask",
    kernel(
      alive(() => mq_close(mq_open(`/${tag}-mq`, O_RDONLY))),
      statfs("/dev/mqueue").name,
    ),
  ]);
  rows.push([
    "POSIX shared memory",
    "name -> descriptor",
    "permissions mask",
    kernel(
      alive(() => PosixSharedMemory.open(`/${tag}-shm`, { mode: "r" }).close()),
      statfs("/dev/shm").name,
    ),
  ]);
  rows.push([
    "POSIX named semaphore",
    "name -> sem_t *",
    "permissions mask",
    kernel(
      alive(() => PosixSemaphore.open(`/${tag}-sem`).close()),
      statfs("/dev/shm").name,
    ),
  ]);

  // The FIFO: the name stays, the data does not.
  const fifo = open(`${dir}/fifo`, O_RDONLY | O_NONBLOCK);
  let fifoData = 0;
  try {
    fifoData = read(fifo, new Uint8Array(64));
  } catch (e) {
    if (!(e instanceof IpcError && e.code === "EAGAIN")) throw e;
  } finally {
    close(fifo);
  }
  rows.push([
    "FIFO",
    "pathname -> descriptor",
    "permissions mask",
    `process: the name stays on ${statfs(dir).name}, the ${
      fifoData === 0 ? "data went with its maker" : "data stayed?"
    }`,
  ]);
  // The socket: the file stays, nothing listens.
  const s = socket(AF_UNIX, SOCK_STREAM);
  let refused = false;
  try {
    connect(s, { family: "unix", path: `${dir}/socket` });
  } catch (e) {
    refused = e instanceof IpcError && e.code === "ECONNREFUSED";
  } finally {
    close(s);
  }
  rows.push([
    "Unix domain socket",
    "pathname -> descriptor",
    "permissions mask",
    `process: the file stays on ${statfs(dir).name}, ${
      refused ? "connect is refused" : "still listening?"
    }`,
  ]);
  // The mapped file: the data is in the file.
  const text = new TextDecoder().decode(await Deno.readFile(`${dir}/mapped`))
    .replace(/\0+$/, "");
  rows.push([
    "shared file mapping",
    "pathname -> descriptor",
    "permissions mask",
    text === "data in the mapped file"
      ? `file system: the data is in the file (${statfs(dir).name})`
      : "the data went?",
  ]);
  // The lock: free again.
  const lockFd = open(`${dir}/locked`, O_RDWR);
  const free = alive(() => flock(lockFd, LOCK_EX | LOCK_NB));
  close(lockFd);
  rows.push([
    "flock lock",
    "descriptor of an open file",
    "permissions to open the file",
    free ? "process: released when its holder exited" : "still held?",
  ]);

  // Descriptors: they live while some process holds them.
  const [r, w] = PipeEnd.pipe();
  await w.writeAll(new TextEncoder().encode("data in the pipe"));
  w.close();
  const ev = EventFd.create({ initial: 7 });
  const mem = Mapping.memfd(4096, "taxonomy");
  mem.memory.writeCString("data in the memfd");
  const holder = spawnWithFds(Deno.execPath(), {
    args: [...flags, self, "--hold"],
    fds: { 3: r.fd, 4: ev.fd, 5: mem.fd!, 1: "piped" },
  });
  r.close();
  ev.close();
  mem.close();
  const held = JSON.parse(await new Response(holder.stdout).text());
  await holder.status;
  const lives = (ok: boolean) =>
    ok
      ? "process: lived on in the child after this process closed it"
      : "lost?";
  rows.push([
    "pipe",
    "descriptor",
    "related processes (inherited, passed)",
    lives(held.pipe === "data in the pipe"),
  ]);
  rows.push([
    "eventfd",
    "descriptor",
    "related processes (inherited, passed)",
    lives(held.eventfd === "7"),
  ]);
  rows.push([
    "memfd (anonymous shared memory)",
    "descriptor",
    "related processes (inherited, passed)",
    lives(held.memfd === "data in the memfd"),
  ]);
} finally {
  for (const f of cleanup) f();
  await Deno.remove(dir, { recursive: true });
}

const widths = [32, 27, 38];
console.log(
  ["facility", "handle", "accessibility", "persistence (checked live)"]
    .map((h, i) => i < 3 ? h.padEnd(widths[i]) : h).join(" "),
);
for (const row of rows) {
  console.log(row.map((c, i) => i < 3 ? c.padEnd(widths[i]) : c).join(" "));
}
console.log(
  "Everything it made is removed (the System V objects had the key IPC_PRIVATE).",
);
