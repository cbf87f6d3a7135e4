// Receives into the same small buffers over and over while the garbage
// collector runs and the buffers' owners transfer them, through the sync
// sends and receives that keep a pointer across calls (PointerCache in
// ffi/libc.ts): every message must land in the buffer it was received
// into, and a detached buffer must get nothing. Run with
// --v8-flags=--expose-gc; prints "ok" at the end.
import {
  IPC_CREAT,
  IPC_NOWAIT,
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
  O_RDWR,
} from "../../mod.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

function check(got: Uint8Array, want: number, what: string) {
  for (const b of got) {
    if (b !== want) throw new Error(`${what}: ${b} where ${want} was sent`);
  }
}

// A small array lives on V8's heap, where the collector moves it.
const name = `/linux-ipc-test-${Deno.pid}-pointer`;
const q = mq_open(name, O_RDWR | O_CREAT, 0o600, { maxmsg: 4, msgsize: 16 });
mq_unlink(name);
const id = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
try {
  for (let round = 0; round < 60; round++) {
    const into = new Uint8Array(16),
      out = new Uint8Array(16).fill(round & 0xff);
    const mb = new MessageBuffer(16);
    for (let i = 0; i < 5; i++) {
      mq_send(q, out);
      const { n } = mq_receiveInto(q, into);
      if (n !== 16) throw new Error(`mq: ${n} bytes`);
      check(into, round & 0xff, "mq");
      msgsnd(id, { mtype: 1, mtext: out });
      msgrcvInto(id, mb);
      check(mb.text, round & 0xff, "msg");
      into.fill(0);
      // Garbage, then a collection: the arrays move if they can.
      for (let j = 0; j < 50; j++) new Uint8Array(32).fill(j);
      gc();
    }
    if (round % 10 === 0) {
      // Detached under the kept pointer: nothing may be written.
      const gone = into.buffer.transfer();
      mq_send(q, out);
      let refused = false;
      try {
        mq_receiveInto(q, into);
      } catch {
        refused = true;
      }
      if (!refused) throw new Error("a detached buffer was received into");
      mq_receiveInto(q, new Uint8Array(gone)); // the message, taken
      const mbGone = mb.bytes.buffer.transfer();
      msgsnd(id, { mtype: 1, mtext: out });
      refused = false;
      try {
        msgrcvInto(id, mb, 0, IPC_NOWAIT);
      } catch {
        refused = true;
      }
      if (!refused) {
        throw new Error("a detached MessageBuffer was received into");
      }
      msgrcvInto(id, new Uint8Array(mbGone.byteLength), 0, IPC_NOWAIT);
    }
  }
} finally {
  mq_close(q);
  msgctl(id, IPC_RMID);
}
console.log("ok");
