/**
 * The Deno side of `deno task bench:all`, through the library's sync calls,
 * with the protocol of `bench/c/all_bench.c` (see there):
 *
 *   all_peer.ts FACILITY bw|rt BLOCK COUNT
 *
 * The parent makes the objects, starts this script again as the child
 * (`child FACILITY MODE BLOCK COUNT ARG`, with descriptors in slots 3 and
 * up where the facility has some), and prints MB/s or microseconds per
 * round trip from the first eighth on.
 *
 * @module
 */

import {
  AF_UNIX,
  close,
  eventfd,
  eventfd_read,
  eventfd_write,
  ftruncate,
  IPC_PRIVATE,
  IPC_RMID,
  MAP_SHARED,
  memfd_create,
  type MemoryRegion,
  mkfifo,
  mmap,
  mq_close,
  mq_open,
  mq_receiveInto,
  mq_send,
  mq_unlink,
  msgctl,
  msgget,
  msgrcvInto,
  msgsnd,
  munmap,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  open,
  pipe,
  PROT_READ,
  PROT_WRITE,
  read,
  recv,
  sem_at,
  sem_init,
  sem_post,
  sem_wait,
  type SemBuf,
  sembuf,
  semctl,
  semget,
  semop,
  type SemT,
  send,
  SETALL,
  shm_open,
  shm_unlink,
  shmat,
  shmctl,
  shmget,
  SOCK_DGRAM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  socketpair,
  spawnWithFds,
  write,
} from "../mod.ts";

const HDR = 128;
const [first, ...rest] = Deno.args;
const isChild = first === "child";
const [fac, mode, blockText, countText, arg] = isChild ? rest : Deno.args;
const block = Number(blockText), count = Number(countText);
const rt = mode === "rt";
const buf = new Uint8Array(block).fill(120);
const is = (...names: string[]) => names.includes(fac);

/** Per direction (0: child to parent, 1: parent to child). */
const fdr = [-1, -1], fdw = [-1, -1];
let sock = -1, msq = -1, semid = -1;
const mq = [-1, -1];
let mem: MemoryRegion | undefined;
let slots: Uint8Array[] = [];
const psems: SemT[] = [];
const efd: number[] = [];
const waits: SemBuf[] = [], posts: SemBuf[] = [];
const childFds: Record<number, number> = {};
let childArg = "";
const cleanups: (() => void)[] = [];

/** Takes `region` as the shared memory: its two slots follow the header. */
function useMemory(region: MemoryRegion): void {
  mem = region;
  slots = [0, 1].map((d) =>
    region.bytes.subarray(HDR + d * block, HDR + (d + 1) * block)
  );
}

function mapShared(fd: number, len: number): void {
  if (!isChild) ftruncate(fd, len);
  useMemory(mmap(null, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
}

function setup(): void {
  const len = HDR + 2 * block;
  if (is("pipe")) {
    const [a0, a1] = pipe(), [b0, b1] = pipe();
    fdr[0] = a0, fdw[0] = a1, fdr[1] = b0, fdw[1] = b1;
    Object.assign(childFds, { 3: a1, 4: b0 });
  } else if (is("fifo")) {
    const base = `/tmp/linux-ipc-bench-${Deno.pid}`;
    mkfifo(`${base}-0`, 0o600);
    mkfifo(`${base}-1`, 0o600);
    childArg = base;
    cleanups.push(() => {
      Deno.removeSync(`${base}-0`);
      Deno.removeSync(`${base}-1`);
    });
  } else if (is("stream", "dgram", "seqpacket")) {
    const type = is("stream")
      ? SOCK_STREAM
      : is("dgram")
      ? SOCK_DGRAM
      : SOCK_SEQPACKET;
    const [a, b] = socketpair(AF_UNIX, type);
    sock = a;
    childFds[3] = b;
  } else if (is("sysvmsg")) {
    msq = msgget(IPC_PRIVATE, 0o600);
    childArg = String(msq);
    cleanups.push(() => msgctl(msq, IPC_RMID));
  } else if (is("mq")) {
    for (const d of [0, 1]) {
      const name = `/linux-ipc-bench-${Deno.pid}-${d}`;
      mq[d] = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600, {
        maxmsg: 10,
        msgsize: block,
      });
      const q = mq[d];
      cleanups.push(() => {
        mq_close(q);
        mq_unlink(name);
      });
    }
    childArg = `/linux-ipc-bench-${Deno.pid}`;
  } else if (is("sysvshm")) {
    const id = shmget(IPC_PRIVATE, len, 0o600);
    useMemory(shmat(id));
    semid = semget(IPC_PRIVATE, 4, 0o600);
    semctl(semid, 0, SETALL, [1, 0, 1, 0]);
    childArg = `${id},${semid}`;
    cleanups.push(() => {
      shmctl(id, IPC_RMID);
      semctl(semid, 0, IPC_RMID);
    });
  } else {
    let fd: number;
    if (is("pshm")) {
      const name = `/linux-ipc-bench-${Deno.pid}`;
      fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600);
      childArg = name;
      cleanups.push(() => shm_unlink(name));
    } else if (is("filemap")) {
      const path = `/tmp/linux-ipc-bench-${Deno.pid}.map`;
      fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0o600);
      childArg = path;
      cleanups.push(() => Deno.removeSync(path));
    } else {
      fd = memfd_create("linux-ipc-bench", 0);
      childFds[3] = fd;
    }
    mapShared(fd, len);
    if (is("eventfd")) {
      for (let i = 0; i < 4; i++) {
        efd.push(eventfd(i % 2 === 0 ? 1 : 0));
        childFds[4 + i] = efd[i];
      }
    } else {
      for (let i = 0; i < 4; i++) {
        psems.push(sem_init(mem!, 32 * i, 1, i % 2 === 0 ? 1 : 0));
      }
    }
    if (!is("memfd", "eventfd")) close(fd);
  }
}

/** The child's side of setup: the same objects, by name, id or slot. */
function attach(): void {
  const len = HDR + 2 * block;
  if (is("pipe")) fdw[0] = 3, fdr[1] = 4;
  else if (is("fifo")) {
    fdw[0] = open(`${arg}-0`, O_WRONLY);
    fdr[1] = open(`${arg}-1`, O_RDONLY);
  } else if (is("stream", "dgram", "seqpacket")) sock = 3;
  else if (is("sysvmsg")) msq = Number(arg);
  else if (is("mq")) {
    for (const d of [0, 1]) mq[d] = mq_open(`${arg}-${d}`, O_RDWR);
  } else if (is("sysvshm")) {
    const [id, sid] = arg.split(",").map(Number);
    useMemory(shmat(id));
    semid = sid;
  } else {
    const fd = is("pshm")
      ? shm_open(arg, O_RDWR)
      : is("filemap")
      ? open(arg, O_RDWR)
      : 3;
    mapShared(fd, len);
    if (is("eventfd")) { for (let i = 0; i < 4; i++) efd.push(4 + i); }
    else for (let i = 0; i < 4; i++) psems.push(sem_at(mem!, 32 * i));
  }
}

/** The System V semaphore operations, encoded once. */
for (let i = 0; i < 4; i++) {
  waits.push(sembuf([{ num: i, op: -1 }]));
  posts.push(sembuf([{ num: i, op: 1 }]));
}

function waitSig(i: number): void {
  if (is("sysvshm")) semop(semid, waits[i]);
  else if (is("eventfd")) eventfd_read(efd[i]);
  else sem_wait(psems[i]);
}

function postSig(i: number): void {
  if (is("sysvshm")) semop(semid, posts[i]);
  else if (is("eventfd")) eventfd_write(efd[i], 1);
  else sem_post(psems[i]);
}

function sendBlock(d: number): void {
  if (is("pipe", "fifo")) {
    for (let off = 0; off < block;) off += write(fdw[d], buf.subarray(off));
  } else if (is("stream", "dgram", "seqpacket")) {
    for (let off = 0; off < block;) {
      off += send(sock, off === 0 ? buf : buf.subarray(off));
    }
  } else if (is("sysvmsg")) msgsnd(msq, { mtype: d + 1, mtext: buf });
  else if (is("mq")) mq_send(mq[d], buf);
  else {
    waitSig(2 * d);
    slots[d].set(buf);
    postSig(2 * d + 1);
  }
}

function recvBlock(d: number): void {
  if (is("pipe", "fifo", "stream")) {
    const fd = is("stream") ? sock : fdr[d];
    for (let off = 0; off < block;) {
      const n = is("stream")
        ? recv(fd, off === 0 ? buf : buf.subarray(off))
        : read(fd, off === 0 ? buf : buf.subarray(off));
      if (n === 0) throw new Error("Early end of file");
      off += n;
    }
  } else if (is("dgram", "seqpacket")) recv(sock, buf);
  else if (is("sysvmsg")) msgrcvInto(msq, buf, d + 1);
  else if (is("mq")) mq_receiveInto(mq[d], buf);
  else {
    waitSig(2 * d + 1);
    buf.set(slots[d]);
    postSig(2 * d);
  }
}

if (isChild) {
  attach();
  for (let i = 0; i < count; i++) {
    if (rt) recvBlock(1);
    sendBlock(0);
  }
} else {
  setup();
  const cpu = Deno.env.get("BENCH_CHILD_CPU");
  const argv = [
    "run",
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    new URL(import.meta.url).pathname,
    "child",
    fac,
    mode,
    String(block),
    String(count),
    childArg,
  ];
  const child = cpu === undefined
    ? spawnWithFds(Deno.execPath(), { args: argv, fds: childFds })
    : spawnWithFds("taskset", {
      args: ["-c", cpu, Deno.execPath(), ...argv],
      fds: childFds,
    });
  // The parent's copies of the child's ends: closed, so that an end of file
  // is seen if the child dies.
  if (is("pipe")) close(fdw[0]), close(fdr[1]);
  if (is("stream", "dgram", "seqpacket")) close(childFds[3]);
  if (is("fifo")) {
    fdr[0] = open(`${childArg}-0`, O_RDONLY);
    fdw[1] = open(`${childArg}-1`, O_WRONLY);
  }
  const skip = Math.floor(count / 8);
  let t0 = 0;
  for (let i = 0; i < count; i++) {
    if (i === skip) t0 = performance.now();
    if (rt) sendBlock(1);
    recvBlock(0);
  }
  const t = (performance.now() - t0) / 1000;
  await child.status;
  for (const f of cleanups) f();
  if (mem !== undefined && !is("sysvshm")) munmap(mem);
  const n = count - skip;
  console.log((rt ? t / n * 1e6 : n * block / t / 1e6).toFixed(3));
}
