/**
 * The Deno processes of `bench/msg.ts`, one per measurement, each a parent
 * (on CPU 0 when pinning) that starts its child (on CPU 1), as the C
 * baseline forks.
 *
 * - `parent sysv|posix SIZE COUNT sync|into|buffer|async|bare|bare-new`: the
 *   child sends COUNT messages of SIZE bytes; the parent receives them with
 *   the sync form (a new array per message), the sync form into one buffer
 *   (`msgrcvInto`/`mq_receiveInto`), or the async form, and prints MB/s from
 *   the first eighth on. `buffer` (System V): both sides send and receive
 *   one `MessageBuffer` each, with no copy. `bare`: both sides call libc through `Deno.dlopen`
 *   themselves, with no library, as the C baseline does: what Deno's FFI
 *   allows at best. `bare-new`: `bare`, copying each message into a new
 *   array as the sync form returns it: the best a form that allocates per
 *   message can do. `bare CBIN`: the same receiver, with the C baseline
 *   `CBIN` as the sending child (`CBIN send ...`).
 * - `parent sysv-rt|posix-rt N W [into|buffer]`: 64-byte round trips through
 *   the async forms on both sides, W untimed, then N; prints ns per round
 *   trip. With `into`, both sides receive into one buffer of their own
 *   (`msgrcvIntoAsync`/`mq_receiveIntoAsync`), as the socket round trip
 *   reads into one; with `buffer` (System V), both send and receive one
 *   `MessageBuffer` of their own.
 * - `send-sysv ID SIZE COUNT`, `send-posix NAME SIZE COUNT` (with a
 *   fourth argument `bare`: through bare FFI),
 *   `echo-sysv ID N [into]`, `echo-posix A B N [into]`: the children.
 *
 * @module
 */

import {
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_RMID,
  MessageBuffer,
  mq_close,
  mq_open,
  mq_receive,
  mq_receiveAsync,
  mq_receiveInto,
  mq_receiveIntoAsync,
  mq_send,
  mq_sendAsync,
  mq_unlink,
  msgctl,
  msgget,
  msgrcv,
  msgrcvAsync,
  msgrcvInto,
  msgrcvIntoAsync,
  msgsnd,
  msgsndAsync,
  O_CREAT,
  O_EXCL,
  O_RDWR,
  O_WRONLY,
} from "../mod.ts";
import { childCommand } from "./_util.ts";

const [mode, ...args] = Deno.args;

/** The children still running, ended if a measurement fails. */
const running = new Set<Deno.ChildProcess>();

/** Keeps `p` in {@linkcode running} until it ends. */
function tracked(p: Deno.ChildProcess): Deno.ChildProcess {
  running.add(p);
  p.status.finally(() => running.delete(p));
  return p;
}

/** Ends the children left (a failed run's peer, blocked in a receive). */
function endChildren(): void {
  for (const p of running) {
    try {
      p.kill("SIGKILL");
    } catch {
      // Ended meanwhile.
    }
  }
}

function child(argv: string[]): Deno.ChildProcess {
  const [cmd, a] = childCommand([
    "run",
    "--allow-ffi",
    "--allow-read=/dev/mqueue",
    "--allow-write=/dev/mqueue",
    import.meta.filename!,
    ...argv,
  ]);
  return tracked(new Deno.Command(cmd, { args: a }).spawn());
}

/**
 * libc's message-queue calls, bare: the `bare` form's ceiling. The sizes
 * `msgrcv` and `mq_receive` return are read as an int, as the library
 * reads them: a 64-bit result leaves FFI's fast path (about 7% of the
 * bandwidth at 64 B here).
 */
function bareLibc() {
  return Deno.dlopen("libc.so.6", {
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
}

const names = [
  `/linux-ipc-bench-${Deno.pid}-a`,
  `/linux-ipc-bench-${Deno.pid}-b`,
];

/** A C program as the child, on the child's CPU when pinning. */
function cChild(binary: string, argv: string[]): Deno.ChildProcess {
  const cpu = Deno.env.get("BENCH_CHILD_CPU");
  return tracked(
    (cpu === undefined
      ? new Deno.Command(binary, { args: argv })
      : new Deno.Command("taskset", { args: ["-c", cpu, binary, ...argv] }))
      .spawn(),
  );
}

async function bandwidth(
  kind: string,
  size: number,
  count: number,
  form: string,
  cSender?: string,
): Promise<number> {
  const posix = kind === "posix";
  const id = posix ? -1 : msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
  const mq = posix
    ? mq_open(names[0], O_RDWR | O_CREAT | O_EXCL, 0o600, {
      maxmsg: 10,
      msgsize: size,
    })
    : -1;
  // Removed however the run ends (a sender that failed included).
  const remove = () => {
    if (posix) {
      mq_close(mq);
      mq_unlink(names[0]);
    } else msgctl(id, IPC_RMID);
  };
  try {
    return await receiveAll();
  } finally {
    endChildren();
    remove();
  }

  async function receiveAll(): Promise<number> {
    const bare = form === "bare" || form === "bare-new";
    const fresh = form === "bare-new";
    const q = posix ? names[0] : String(id);
    const p = cSender !== undefined
      ? cChild(cSender, ["send", kind, q, String(size), String(count)])
      : child(
        [`send-${kind}`, q, String(size), String(count)].concat(
          bare ? ["bare"] : form === "buffer" ? ["buffer"] : [],
        ),
      );
    const mb = new MessageBuffer(size);
    let t0 = 0;
    const into = new Uint8Array(size);
    const raw = bare ? bareLibc() : undefined;
    const msgp = new Uint8Array(8 + size), len = BigInt(size);
    let kept = into;
    for (let i = 0; i < count; i++) {
      if (i === count >> 3) t0 = performance.now();
      if (raw) {
        const r = posix
          ? raw.mq_receive(mq, into, len, null)
          : raw.msgrcv(id, msgp, len, 0n, 0);
        if (r < 0) throw new Error("Bare receive failed");
        if (fresh) {
          kept = posix
            ? into.slice(0, Number(r))
            : msgp.slice(8, 8 + Number(r));
        }
      } else if (posix) {
        if (form === "sync") mq_receive(mq, size);
        else if (form === "into") mq_receiveInto(mq, into);
        else await mq_receiveAsync(mq, size);
      } else {
        if (form === "sync") msgrcv(id, size);
        else if (form === "into") msgrcvInto(id, into);
        else if (form === "buffer") msgrcvInto(id, mb);
        else await msgrcvAsync(id, size);
      }
    }
    const ms = performance.now() - t0;
    if (kept.length !== size || (form === "buffer" && mb.length !== size)) {
      throw new Error("A short message");
    }
    if (!(await p.status).success) throw new Error("The sender failed");
    return (count - (count >> 3)) * size / ms / 1e3;
  }
}

async function roundTrips(
  kind: string,
  n: number,
  warm: number,
  form: string,
) {
  const into = form === "into", mb = new MessageBuffer(64);
  mb.length = 64;
  const posix = kind === "posix-rt";
  const id = posix ? -1 : msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
  const mq = posix
    ? names.map((name) =>
      mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0o600, {
        maxmsg: 10,
        msgsize: 64,
      })
    )
    : [];
  try {
    return await pingPong();
  } finally {
    endChildren();
    if (posix) {
      mq.forEach(mq_close);
      names.forEach(mq_unlink);
    } else msgctl(id, IPC_RMID);
  }

  async function pingPong(): Promise<number> {
    const p = child(
      (posix
        ? ["echo-posix", names[0], names[1], String(n + warm)]
        : ["echo-sysv", String(id), String(n + warm)]).concat(
          form ? [form] : [],
        ),
    );
    const msg = new Uint8Array(64), back = new Uint8Array(64);
    const out = { mtype: 1, mtext: msg };
    let t0 = performance.now();
    for (let i = 0; i < warm + n; i++) {
      if (i === warm) t0 = performance.now();
      if (posix) {
        await mq_sendAsync(mq[0], msg);
        if (into) await mq_receiveIntoAsync(mq[1], back);
        else await mq_receiveAsync(mq[1], 64);
      } else if (form === "buffer") {
        mb.mtype = 1;
        await msgsndAsync(id, mb);
        await msgrcvIntoAsync(id, mb, 2);
      } else {
        await msgsndAsync(id, out);
        if (into) await msgrcvIntoAsync(id, back, 2);
        else await msgrcvAsync(id, 64, 2);
      }
    }
    const ns = (performance.now() - t0) * 1e6 / n;
    await p.status;
    return ns;
  }
}

if (mode === "parent") {
  const [what, ...p] = args;
  const result = what.endsWith("-rt")
    ? await roundTrips(what, Number(p[0]), Number(p[1]), p[2] ?? "")
    : await bandwidth(what, Number(p[0]), Number(p[1]), p[2], p[3]);
  console.log(result.toFixed(1));
} else if (mode === "send-sysv") {
  const [id, size, count] = args.map(Number);
  const mtext = new Uint8Array(size);
  if (args[3] === "bare") {
    const raw = bareLibc(), msgp = new Uint8Array(8 + size);
    msgp[0] = 1; // mtype 1, little-endian
    const len = BigInt(size);
    for (let i = 0; i < count; i++) {
      if (raw.msgsnd(id, msgp, len, 0) !== 0) throw new Error("msgsnd");
    }
  } else if (args[3] === "buffer") {
    const mb = new MessageBuffer(size);
    mb.mtype = 1;
    mb.length = size;
    for (let i = 0; i < count; i++) msgsnd(id, mb);
  } else for (let i = 0; i < count; i++) msgsnd(id, { mtype: 1, mtext });
} else if (mode === "send-posix") {
  const [name, size, count] = [args[0], Number(args[1]), Number(args[2])];
  const mq = mq_open(name, O_WRONLY);
  const msg = new Uint8Array(size);
  if (args[3] === "bare") {
    const raw = bareLibc(), len = BigInt(size);
    for (let i = 0; i < count; i++) {
      if (raw.mq_send(mq, msg, len, 0) !== 0) throw new Error("mq_send");
    }
  } else for (let i = 0; i < count; i++) mq_send(mq, msg);
  mq_close(mq);
} else if (mode === "echo-sysv") {
  const [id, n] = args.map(Number);
  const buf = new Uint8Array(64), back = { mtype: 2, mtext: buf };
  const mb = new MessageBuffer(64);
  for (let i = 0; i < n; i++) {
    if (args[2] === "buffer") {
      await msgrcvIntoAsync(id, mb, 1);
      mb.mtype = 2;
      await msgsndAsync(id, mb);
    } else if (args[2] === "into") {
      await msgrcvIntoAsync(id, buf, 1);
      await msgsndAsync(id, back);
    } else {
      const m = await msgrcvAsync(id, 64, 1);
      await msgsndAsync(id, { mtype: 2, mtext: m.mtext });
    }
  }
} else if (mode === "echo-posix") {
  const [a, b] = [mq_open(args[0], O_RDWR), mq_open(args[1], O_RDWR)];
  const buf = new Uint8Array(64);
  for (let i = 0; i < Number(args[2]); i++) {
    if (args[3] === "into") {
      await mq_receiveIntoAsync(a, buf);
      await mq_sendAsync(b, buf);
    } else {
      const m = await mq_receiveAsync(a, 64);
      await mq_sendAsync(b, m.data);
    }
  }
  mq_close(a);
  mq_close(b);
}
