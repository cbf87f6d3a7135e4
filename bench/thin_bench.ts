/**
 * `deno bench`: the thin layer's hot calls in one process, each beside the
 * same call made through a bare `Deno.dlopen` (the FFI floor), so the
 * library's own cost per call shows as the difference. The cross-process
 * figures against C are in `deno task bench` (bench/run.ts, io.ts,
 * socket.ts).
 *
 * Run: deno task bench:thin
 *
 * @module
 */

import {
  AF_UNIX,
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_RMID,
  MessageBuffer,
  mq_close,
  mq_open,
  mq_receiveInto,
  mq_send,
  mq_unlink,
  msgctl,
  msgget,
  msgrcvInto,
  msgsnd,
  O_CREAT,
  O_EXCL,
  O_RDWR,
  pipe,
  read,
  recv,
  sembuf,
  semctl,
  semget,
  semop,
  send,
  SOCK_STREAM,
  socketpair,
  write,
} from "../mod.ts";

// The floor: the same calls through a bare dlopen, for comparison only,
// with the result types the library gives them (a size read as an int: a
// 64-bit result leaves FFI's fast path).
const raw = Deno.dlopen("libc.so.6", {
  semop: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  msgsnd: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  msgrcv: {
    parameters: ["i32", "buffer", "usize", "i64", "i32"],
    result: "i32",
  },
  mq_send: { parameters: ["i32", "buffer", "usize", "u32"], result: "i32" },
  mq_receive: {
    parameters: ["i32", "buffer", "usize", "buffer"],
    result: "i32",
  },
}).symbols;

// The objects of the kernel the benches use, all made here, before any
// bench, and removed at exit; if making one fails (a permission left out),
// those made already are removed before the error goes on, since the
// runner then ends without an unload event.
const mqName = `/linux-ipc-thin-bench-${Deno.pid}`;
const removals: (() => void)[] = [];
const removeAll = () => {
  for (const remove of removals.splice(0).reverse()) remove();
};
globalThis.addEventListener("unload", removeAll);
let semid: number, msqid: number, mq: number;
try {
  semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600);
  removals.push(() => semctl(semid, 0, IPC_RMID));
  msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
  removals.push(() => msgctl(msqid, IPC_RMID));
  mq = mq_open(mqName, O_RDWR | O_CREAT | O_EXCL, 0o600, {
    maxmsg: 1,
    msgsize: 64,
  });
  removals.push(() => {
    mq_close(mq);
    mq_unlink(mqName);
  });
} catch (e) {
  removeAll();
  throw e;
}

const post = [{ num: 0, op: 1 }], wait = [{ num: 0, op: -1 }];
const postBuf = sembuf(post), waitBuf = sembuf(wait);
const rawPost = new Uint8Array(new Int16Array([0, 1, 0]).buffer);
const rawWait = new Uint8Array(new Int16Array([0, -1, 0]).buffer);

Deno.bench(
  "semop post+wait, bare dlopen",
  { group: "semop", baseline: true },
  () => {
    raw.semop(semid, rawPost, 1n);
    raw.semop(semid, rawWait, 1n);
  },
);
Deno.bench("semop post+wait, op arrays", { group: "semop" }, () => {
  semop(semid, post);
  semop(semid, wait);
});
Deno.bench("semop post+wait, sembuf", { group: "semop" }, () => {
  semop(semid, postBuf);
  semop(semid, waitBuf);
});

const [r, w] = pipe();
const block = new Uint8Array(4096), into = new Uint8Array(4096);
Deno.bench("pipe 4 KiB write+read, bare dlopen", {
  group: "pipe",
  baseline: true,
}, () => {
  raw.write(w, block, 4096n);
  raw.read(r, into, 4096n);
});
Deno.bench("pipe 4 KiB write+read", { group: "pipe" }, () => {
  write(w, block);
  read(r, into);
});

const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
Deno.bench("unix stream 4 KiB send+recv, bare dlopen", {
  group: "socket",
  baseline: true,
}, () => {
  raw.write(a, block, 4096n);
  raw.read(b, into, 4096n);
});
Deno.bench("unix stream 4 KiB send+recv", { group: "socket" }, () => {
  send(a, block);
  recv(b, into);
});

const rawMsg = new Uint8Array(8 + 64);
rawMsg[0] = 1; // mtype 1, little-endian
const message = new MessageBuffer(64);
message.mtype = 1;
message.length = 64;
const text = new Uint8Array(64);
Deno.bench("System V 64 B msgsnd+msgrcv, bare dlopen", {
  group: "msg",
  baseline: true,
}, () => {
  raw.msgsnd(msqid, rawMsg, 64n, 0);
  raw.msgrcv(msqid, rawMsg, 64n, 0n, 0);
});
Deno.bench("System V 64 B msgsnd+msgrcvInto, MessageBuffer", {
  group: "msg",
}, () => {
  msgsnd(msqid, message);
  msgrcvInto(msqid, message);
});
Deno.bench("System V 64 B msgsnd+msgrcvInto, { mtype, mtext }", {
  group: "msg",
}, () => {
  msgsnd(msqid, { mtype: 1, mtext: text });
  msgrcvInto(msqid, text);
});

const prio = new Uint8Array(4);
Deno.bench("POSIX 64 B mq_send+mq_receive, bare dlopen", {
  group: "mq",
  baseline: true,
}, () => {
  raw.mq_send(mq, text, 64n, 0);
  raw.mq_receive(mq, text, 64n, prio);
});
Deno.bench("POSIX 64 B mq_send+mq_receiveInto", { group: "mq" }, () => {
  mq_send(mq, text);
  mq_receiveInto(mq, text);
});
