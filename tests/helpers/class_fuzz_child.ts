// One batch of the seeded fuzz of the classes (tests/class_fuzz_test.ts):
// random lifecycles of every class that holds a descriptor or an object
// (made, used, closed and removed in any order, with async calls pending),
// random timeouts and aborts, and bad arguments and options.
//
//   class_fuzz_child.ts SEED STEPS DIR
//
// Prints "STEP n what" before each call (written at once, so that the last
// one survives a crash), "FAIL ..." for a broken promise, and "DONE n" at
// the end. The promises checked: every error is an IpcError, a TypeError, a
// RangeError, Deno.errors.BadResource (a closed object) or the abort reason;
// an async method never throws, it rejects; once everything is closed and
// removed, every pending call settles; nothing made is left behind.
import * as L from "../../mod.ts";

const [seedArg, stepsArg, dir] = Deno.args;
const STEPS = Number(stepsArg);
let seed = Number(seedArg) >>> 0;
/** 0 to n - 1, from the high bits of a 32-bit LCG. */
const rnd = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const pick = <T>(a: readonly T[]): T => a[rnd(a.length)];
const tag = `linux-ipc-cfuzz-${Deno.pid}`;
const enc = new TextEncoder();
const out = (line: string) => Deno.stdout.writeSync(enc.encode(line + "\n"));
let failures = 0;
const fail = (line: string) => {
  failures++;
  out(`FAIL ${line}`);
};

const ABORT = new Error("aborted by the fuzz");
function allowed(e: unknown): boolean {
  return e instanceof L.IpcError || e instanceof TypeError ||
    e instanceof RangeError || e instanceof Deno.errors.BadResource ||
    e === ABORT || (e instanceof DOMException && e.name === "AbortError");
}
const describe = (e: unknown) =>
  e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);

let step = 0;
/** The calls not settled yet, each with what it was and when it was made. */
const pending = new Map<Promise<void>, string>();
function settle(what: string, p: Promise<unknown>) {
  const q: Promise<void> = p.then(
    () => {},
    (e) => {
      if (!allowed(e)) fail(`${what} rejected with ${describe(e)}`);
    },
  ).finally(() => pending.delete(q));
  pending.set(q, `${what} (step ${step})`);
}
/** A sync call, or a wrapper of several calls. */
function call(what: string, f: () => unknown) {
  out(`STEP ${step} ${what}`);
  try {
    const r = f();
    if (r instanceof Promise) settle(what, r);
  } catch (e) {
    if (!allowed(e)) fail(`${what} threw ${describe(e)}`);
  }
}
/** An async method: it must return a promise, whatever it is given. */
function callAsync(what: string, f: () => unknown) {
  out(`STEP ${step} ${what}`);
  let r: unknown;
  try {
    r = f();
  } catch (e) {
    return fail(`${what} threw instead of rejecting: ${describe(e)}`);
  }
  if (!(r instanceof Promise)) return fail(`${what} returned no promise`);
  settle(what, r);
}

/** Wait options: short timeouts, aborts now or soon, and bad ones. */
function options(): Record<string, unknown> {
  const k = rnd(12);
  if (k < 3) return { timeout: rnd(6) };
  if (k === 3) return {};
  if (k === 4) return { timeout: 50 + rnd(200) };
  if (k === 5) {
    const ac = new AbortController();
    if (rnd(2)) ac.abort(rnd(2) ? ABORT : undefined);
    else setTimeout(() => ac.abort(ABORT), rnd(5));
    return { signal: ac.signal, timeout: rnd(2) ? undefined : 300 };
  }
  if (k === 6) {
    return { timeout: pick([-1, NaN, Infinity, "5", 2 ** 53, 1.5, null]) };
  }
  if (k === 7) return { signal: pick(["x", {}, 1, null]) };
  if (k === 8) return pick([null, 5, "x", [], new Uint8Array(4)]) as never;
  // A misspelling, which must be refused, not waited on for ever.
  if (k === 9) return { timout: rnd(3) };
  return { timeout: rnd(3) };
}
/** Options for a blocking twin: never without a short timeout. */
function syncOptions(): Record<string, unknown> {
  const k = rnd(6);
  if (k === 0) return { timeout: pick([-1, NaN, "5", 1.5]) };
  if (k === 1) return pick([null, 5, []]) as never;
  if (k === 2) return { timeout: 1, signal: "x" };
  if (k === 3) return { timout: 1 };
  return { timeout: rnd(3) };
}
function bytes(): unknown {
  const k = rnd(10);
  if (k === 0) {
    return pick([
      null,
      "text",
      5,
      [1, 2],
      new ArrayBuffer(4),
      new Uint16Array(3),
    ]);
  }
  if (k === 1) return new Uint8Array(0);
  if (k === 2) return new Uint8Array(65536 + rnd(200000));
  if (k === 3) {
    const moved = new Uint8Array(16);
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    return moved;
  }
  return new Uint8Array(1 + rnd(3000));
}
const odd = () => pick([0, 1, 2, -1, 1.5, NaN, 2 ** 31, 2 ** 53, "1", 3, 7]);
/** A size: bad, or small (2 GiB would be valid, and slow to read whole). */
const oddSize = () => pick([0, 1, -1, 1.5, NaN, 2 ** 53, "1", 3, 7]);

// The live objects of each kind; the oldest is closed past six.
type Obj = Record<string | symbol, (...a: unknown[]) => unknown> & {
  memory?: L.MemoryRegion;
};
const pool = new Map<string, Obj[]>();
const made: {
  msg: number[];
  sem: number[];
  shm: number[];
  names: string[];
} = { msg: [], sem: [], shm: [], names: [] };
function add(kind: string, o: unknown) {
  const list = pool.get(kind) ?? [];
  pool.set(kind, list);
  list.push(o as Obj);
  if (list.length > 6) closeIt(kind, list.shift()!);
}
const any = (kind: string) => {
  const list = pool.get(kind);
  return list?.length ? pick(list) : undefined;
};
function closeIt(kind: string, o: Obj) {
  if (kind === "lockfd") {
    // A bare number: never used once closed (the objects are, to check
    // that they refuse).
    const list = pool.get(kind)!;
    if (list.includes(o)) list.splice(list.indexOf(o), 1);
  }
  call(`${kind}.close`, () => {
    if (
      kind === "sem" || kind === "msg" || kind === "mutex" || kind === "shm"
    ) {
      try {
        o.remove();
      } catch { /* removed already */ }
    }
    if (kind === "pmq" || kind === "psemN") {
      try {
        o.unlink();
      } catch { /* unlinked already */ }
    }
    o.close();
  });
}
const name = (kind: string, n: number) => {
  const full = `/${tag}-${kind}${n}`;
  made.names.push(`${kind}:${full}`);
  return full;
};

const makers: Record<string, () => void> = {
  efd: () =>
    call("EventFd.create", () =>
      add(
        "efd",
        L.EventFd.create(
          rnd(4)
            ? { semaphore: !!rnd(2), initial: rnd(3) }
            : { initial: odd() as number },
        ),
      )),
  pipe: () =>
    call("PipeEnd.pipe", () => {
      const [r, w] = L.PipeEnd.pipe();
      add("pipe", r);
      add("pipe", w);
    }),
  fifo: () => {
    // Either end of one of two FIFOs, made by the first open that asks.
    const path = `${dir}/fifo${rnd(2)}`;
    const mode = pick(["r", "r", "w", "w", "rw", 5]) as "r";
    const create = rnd(2) ? 0o600 : pick([undefined, -1, "x", 0o7777 + 1]);
    if (rnd(3)) {
      // Never pending for ever (nothing else would end it); options that
      // are no object are passed as they are, to be refused.
      const o = options();
      const plain = o !== null && typeof o === "object" && !Array.isArray(o) &&
        !ArrayBuffer.isView(o);
      const bounded = plain ? { timeout: 100, ...o, create } : o;
      return callAsync(
        "PipeEnd.openFifo",
        () =>
          L.PipeEnd.openFifo(path, mode, bounded as never).then((end) =>
            add("pipe", end)
          ),
      );
    }
    const o = syncOptions();
    call("PipeEnd.openFifoSync", () =>
      add(
        "pipe",
        L.PipeEnd.openFifoSync(
          path,
          mode,
          (o !== null && typeof o === "object" && !Array.isArray(o)
            ? { ...o, create }
            : o) as never,
        ),
      ));
  },
  sealed: () =>
    call("Mapping.fromSealedFd", () => {
      // A sealed memfd, as a peer would hand one over: mapped only with the
      // seals asked for; the descriptor is closed once mapped.
      const fd = L.memfd_create("cfuzz", rnd(4) ? L.MFD_ALLOW_SEALING : 0);
      try {
        L.ftruncate(fd, 4096 * (1 + rnd(2)));
        const seals = [L.F_SEAL_SHRINK, L.F_SEAL_GROW, L.F_SEAL_WRITE]
          .filter(() => rnd(2)).reduce((a, b) => a | b, 0);
        if (seals !== 0) L.fcntl(fd, L.F_ADD_SEALS, seals);
        add(
          "map",
          L.Mapping.fromSealedFd(fd, {
            seals: pick([
              undefined,
              L.F_SEAL_SHRINK,
              L.F_SEAL_WRITE,
              seals,
              -1,
            ]),
            mode: pick(["r", "r", "rw", "bogus"]) as "r",
          }),
        );
      } finally {
        L.close(fd);
      }
    }),
  adopt: () =>
    call("fromFd", () => {
      // Both halves of a socketpair taken over by a class, of the right
      // kind or not: refused, a descriptor stays the caller's, to close.
      const type = pick([L.SOCK_STREAM, L.SOCK_DGRAM, L.SOCK_SEQPACKET]);
      const fds = L.socketpair(L.AF_UNIX, type);
      let failure: unknown;
      for (const fd of fds) {
        const as = pick(["conn", "conn", "dgram", "dgram", "listener"]);
        try {
          add(
            as,
            as === "conn"
              ? L.UnixConnection.fromFd(fd)
              : as === "dgram"
              ? L.UnixDatagram.fromFd(fd)
              : L.UnixListener.fromFd(fd),
          );
        } catch (e) {
          L.close(fd);
          failure ??= e;
        }
      }
      if (failure !== undefined) throw failure;
    }),
  conn: () =>
    call("UnixConnection.pair", () => {
      const [a, b] = L.UnixConnection.pair(rnd(2) ? "stream" : "seqpacket");
      add("conn", a);
      add("conn", b);
    }),
  dgram: () =>
    call("UnixDatagram.bind", () =>
      add(
        "dgram",
        L.UnixDatagram.bind(rnd(3) ? `@${tag}-dg${rnd(3)}` : undefined),
      )),
  listener: () =>
    call(
      "UnixListener.listen",
      () => add("listener", L.UnixListener.listen(`@${tag}-l${rnd(2)}`)),
    ),
  msg: () =>
    call("MessageQueue.create", () => {
      const q = L.MessageQueue.create();
      made.msg.push(q.id);
      add("msg", q);
    }),
  sem: () =>
    call("SemaphoreSet.create", () => {
      const s = L.SemaphoreSet.create({ count: 1 + rnd(3), initial: rnd(2) });
      made.sem.push(s.id);
      add("sem", s);
    }),
  mutex: () =>
    call("Mutex.create", () => {
      const m = L.Mutex.create();
      made.sem.push(m.id);
      add("mutex", m);
    }),
  pmq: () =>
    call("PosixMessageQueue.open", () =>
      add(
        "pmq",
        L.PosixMessageQueue.open(name("mq", rnd(3)), {
          create: { maxmsg: 1 + rnd(5), msgsize: 1 + rnd(200) },
        }),
      )),
  psemN: () =>
    call("PosixSemaphore.open", () =>
      add(
        "psemN",
        L.PosixSemaphore.open(name("sem", rnd(3)), {
          create: { value: rnd(2) },
        }),
      )),
  psemU: () =>
    call("PosixSemaphore.init", () => {
      // In a mapping, or in a System V segment's attachment.
      const map = rnd(2) ? any("map") : any("region");
      if (map === undefined) return;
      add(
        "psemU",
        L.PosixSemaphore.init(
          map.memory ?? map as unknown as L.MemoryRegion,
          rnd(3) ? 0 : pick([8, 4090, -1, 1]),
          rnd(2),
        ),
      );
    }),
  map: () =>
    call("Mapping.anonymous", () =>
      add(
        "map",
        L.Mapping.anonymous(4096 * (1 + rnd(3)), { private: !rnd(2) }),
      )),
  memfd: () =>
    call(
      "Mapping.memfd",
      () => add("map", L.Mapping.memfd(rnd(4) ? 4096 : oddSize() as number)),
    ),
  file: () =>
    call("Mapping.file", () =>
      add(
        "map",
        L.Mapping.file(`${dir}/f${rnd(3)}`, {
          create: { size: 4096 * rnd(3) },
        }),
      )),
  lockfd: () =>
    call("open", () => {
      const fd = L.open(`${dir}/lock${rnd(2)}`, L.O_RDWR | L.O_CREAT, 0o600);
      // Closed once: closing the number again could close a descriptor
      // opened since, the runtime's own included.
      let open = true;
      add("lockfd", {
        fd,
        close: () => {
          if (open) L.close(fd);
          open = false;
        },
      });
    }),
  shm: () =>
    call("SharedMemory.create", () => {
      const shm = L.SharedMemory.create({
        size: rnd(4) ? 4096 : oddSize() as number,
      });
      made.shm.push(shm.id);
      add("shm", shm);
    }),
  pshm: () =>
    call("PosixSharedMemory.open", () =>
      add(
        "pshm",
        L.PosixSharedMemory.open(name("shm", rnd(2)), {
          create: { size: rnd(3) ? 4096 : oddSize() as number },
        }),
      )),
};

function useStream(kind: string, o: Obj, m: number) {
  const buf = () => rnd(6) ? new Uint8Array(1 + rnd(70000)) : bytes();
  if (m < 4) return callAsync(`${kind}.read`, () => o.read(buf(), options()));
  if (m < 7) {
    return callAsync(`${kind}.write`, () => o.write(bytes(), options()));
  }
  if (m < 9) {
    return callAsync(`${kind}.writeAll`, () => o.writeAll(bytes(), options()));
  }
  if (m === 9) {
    return call(
      `${kind}.readSync`,
      () => o.readSync(new Uint8Array(1 + rnd(5000)), syncOptions()),
    );
  }
  if (m === 10) {
    return call(`${kind}.writeSync`, () => o.writeSync(bytes(), syncOptions()));
  }
  if (m === 11 && kind === "conn") {
    const fds = rnd(5)
      ? [0, 1].slice(0, 1 + rnd(2))
      : pick([[], [-1], [99999], [0.5]]);
    return callAsync(
      "conn.sendFds",
      () => o.sendFds(fds, rnd(2) ? undefined : bytes(), options()),
    );
  }
  if (m === 12 && kind === "conn") {
    return call("conn.recvFds", async () => {
      const got = await o.recvFds({
        ...options(),
        maxFds: rnd(3) ? undefined : rnd(3),
      }) as L.ReceivedFds;
      got.fds.forEach((fd) => L.close(fd));
    });
  }
  if (m === 13) {
    return call(`${kind}.readable`, async () => {
      const reader = (o.readable as unknown as ReadableStream).getReader();
      const read = reader.read();
      setTimeout(() => reader.cancel().catch(() => {}), rnd(5));
      await read;
    });
  }
  if (m === 14) {
    return call(`${kind}.writable`, async () => {
      const writer = (o.writable as unknown as WritableStream).getWriter();
      await writer.write(new Uint8Array(rnd(100)));
      await (rnd(2) ? writer.close() : writer.abort());
    });
  }
  if (m === 15 && kind === "conn") {
    return call("conn.closeWrite", () => o.closeWrite());
  }
  if (m === 16 && kind === "conn") {
    return call(
      "conn.recvFdsSync",
      () =>
        (o.recvFdsSync({ timeout: rnd(2) }) as L.ReceivedFds).fds.forEach((
          fd,
        ) => L.close(fd)),
    );
  }
  if (m === 17) return closeIt(kind, o);
  if (m === 18) return call(`${kind}.dispose`, () => o[Symbol.dispose]());
  if (m === 19 && rnd(2)) {
    // A BYOB read into a buffer of the caller's (or an empty one), cut
    // short by a cancel.
    return call(`${kind}.readable byob`, async () => {
      const reader = (o.readable as unknown as ReadableStream<Uint8Array>)
        .getReader({ mode: "byob" });
      const read = reader.read(new Uint8Array(rnd(4) ? 1 + rnd(70000) : 0));
      setTimeout(() => reader.cancel().catch(() => {}), rnd(5));
      await read;
    });
  }
  if (m === 19) {
    // One object's bytes piped into another's (of either kind), until an
    // abort, an end, or a close of either.
    const other = any(rnd(2) ? "conn" : "pipe");
    if (other === undefined) return;
    const ac = new AbortController();
    setTimeout(() => ac.abort(ABORT), rnd(20));
    // The getters throw at once on a closed object; pipeTo must reject.
    let from: ReadableStream<Uint8Array> | undefined;
    let to: WritableStream<Uint8Array> | undefined;
    call(`${kind}.readable, .writable`, () => {
      from = o.readable as unknown as ReadableStream<Uint8Array>;
      to = other.writable as unknown as WritableStream<Uint8Array>;
    });
    if (from === undefined || to === undefined) return;
    return callAsync(
      `${kind}.readable pipeTo`,
      () => from!.pipeTo(to!, { signal: ac.signal, preventClose: !!rnd(2) }),
    );
  }
}

function use(kind: string, o: Obj) {
  // Now and then the object stops keeping the process alive, or starts
  // again (the end checks that the engine's counts came back to nothing).
  if (typeof o.unref === "function" && rnd(25) === 0) {
    return call(`${kind}.${rnd(2) ? "unref" : "ref"}`, () => {
      if (rnd(2)) o.unref();
      else o.ref();
    });
  }
  const m = rnd(20);
  switch (kind) {
    case "efd":
      if (m < 6) return callAsync("efd.read", () => o.read(options()));
      if (m < 10) {
        const v = rnd(4)
          ? BigInt(rnd(5))
          : pick([-1n, 2n ** 64n - 1n, 2n ** 64n - 2n, 1, "x"]);
        return callAsync("efd.write", () => o.write(v, options()));
      }
      if (m < 12) return call("efd.readSync", () => o.readSync(syncOptions()));
      if (m < 14) {
        return call(
          "efd.writeSync",
          () => o.writeSync(BigInt(rnd(3)), syncOptions()),
        );
      }
      if (m === 14) return closeIt(kind, o);
      return;
    case "pipe":
    case "conn":
      return useStream(kind, o, m);
    case "dgram": {
      const to = rnd(4)
        ? `@${tag}-dg${rnd(3)}`
        : pick([undefined, "", 5, `${dir}/nosocket`, "@" + "x".repeat(200)]);
      if (m < 6) {
        return callAsync(
          "dgram.send",
          () =>
            o.send(rnd(5) ? new Uint8Array(rnd(3000)) : bytes(), to, options()),
        );
      }
      if (m < 11) {
        return callAsync(
          "dgram.receive",
          () =>
            o.receive({
              ...options(),
              maxBytes: rnd(3) ? undefined : rnd(100),
            }),
        );
      }
      if (m === 11) {
        return call(
          "dgram.sendSync",
          () => o.sendSync(new Uint8Array(rnd(100)), to, syncOptions()),
        );
      }
      if (m === 12) {
        return call("dgram.receiveSync", () => o.receiveSync(syncOptions()));
      }
      if (m === 13) {
        return call("dgram.iterate", async () => {
          for await (const _ of o as unknown as AsyncIterable<unknown>) {
            if (rnd(2)) break;
          }
        });
      }
      if (m === 14) return closeIt(kind, o);
      return;
    }
    case "listener":
      if (m < 6) {
        return call(
          "listener.accept",
          async () => add("conn", await o.accept(options())),
        );
      }
      if (m < 10) {
        const path = rnd(4)
          ? `@${tag}-l${rnd(2)}`
          : pick(["", `${dir}/none`, 5]);
        return call("UnixConnection.connect", async () =>
          add(
            "conn",
            await L.UnixConnection.connect(path as string, options()),
          ));
      }
      if (m === 10) {
        return call(
          "listener.acceptSync",
          () => add("conn", o.acceptSync(syncOptions())),
        );
      }
      if (m === 11) return closeIt(kind, o);
      if (m === 12) {
        return call("listener.iterate", async () => {
          for await (const conn of o as unknown as AsyncIterable<unknown>) {
            add("conn", conn);
            if (rnd(2)) break;
          }
        });
      }
      return;
    case "msg":
      if (m < 6) {
        return callAsync("msg.send", () =>
          o.send(
            rnd(5) ? 1 + rnd(3) : odd(),
            rnd(4) ? new Uint8Array(rnd(9000)) : bytes(),
            options(),
          ));
      }
      if (m < 11) {
        return callAsync("msg.receive", () =>
          o.receive({
            ...options(),
            type: rnd(3) ? rnd(4) : odd(),
            maxBytes: rnd(3) ? undefined : rnd(100),
            noError: !!rnd(2),
          }));
      }
      if (m === 11) {
        return call(
          "msg.sendSync",
          () => o.sendSync(1, new Uint8Array(rnd(100)), syncOptions()),
        );
      }
      if (m === 12) {
        return call("msg.receiveSync", () => o.receiveSync(syncOptions()));
      }
      if (m === 13) return call("msg.stat", () => o.stat());
      if (m === 14) {
        return call("msg.iterate", async () => {
          for await (const _ of o as unknown as AsyncIterable<unknown>) {
            if (rnd(2)) break;
          }
        });
      }
      if (m === 15) return call("msg.remove", () => o.remove());
      if (m === 16) return closeIt(kind, o);
      if (m === 17) {
        // A MessageBuffer received into and sent on, sync or async; now and
        // then its memory transferred while a call waits, or refused forms.
        const mb = new L.MessageBuffer(rnd(3) ? rnd(200) : 0);
        mb.mtype = 1 + rnd(3);
        mb.length = rnd(mb.size + 1);
        if (rnd(6) === 0) mb.bytes.buffer.transfer();
        const p = rnd(2)
          ? callAsync(
            "msg.send(MessageBuffer)",
            () =>
              rnd(8) ? o.send(mb, options()) : o.send(mb, bytes(), options()),
          )
          : callAsync(
            "msg.receiveInto(MessageBuffer)",
            () => o.receiveInto(mb, options()),
          );
        if (rnd(6) === 0) {
          setTimeout(() => {
            if (!mb.bytes.buffer.detached) mb.bytes.buffer.transfer();
          }, rnd(5));
        }
        return p;
      }
      if (m === 18) {
        return call("msg.sendSync(MessageBuffer)", () => {
          const mb = new L.MessageBuffer(rnd(100));
          mb.mtype = (rnd(5) ? 1 : odd()) as number;
          return rnd(2)
            ? o.sendSync(mb, syncOptions())
            : o.receiveIntoSync(mb, syncOptions());
        });
      }
      return;
    case "sem":
      if (m < 5) {
        return callAsync(
          "sem.wait",
          () => o.wait(rnd(4) ? rnd(3) : odd(), rnd(4) ? 1 : odd(), options()),
        );
      }
      if (m < 8) {
        return call("sem.post", () => o.post(rnd(3), rnd(3) ? 1 : odd()));
      }
      if (m === 8) {
        const ops = [{ num: rnd(3), op: rnd(3) - 1 }];
        if (rnd(2)) ops.push({ num: rnd(3), op: 1 });
        return callAsync("sem.op", () => o.op(ops, options()));
      }
      if (m === 9) {
        return callAsync(
          "sem.waitForZero",
          () => o.waitForZero(rnd(3), options()),
        );
      }
      if (m === 10) {
        return call("sem.waitSync", () => o.waitSync(rnd(3), 1, syncOptions()));
      }
      if (m === 11) return call("sem.values", () => o.values());
      if (m === 12) {
        return call(
          "sem.setValue",
          () => o.setValue(rnd(3), rnd(4) ? rnd(5) : odd()),
        );
      }
      if (m === 13) return call("sem.remove", () => o.remove());
      if (m === 14) return closeIt(kind, o);
      return;
    case "mutex":
      if (m < 8) {
        return call("mutex.acquire", async () => {
          const lock = await o.acquire(options()) as L.MutexLock;
          setTimeout(
            () => call("MutexLock.release", () => lock.release()),
            rnd(4),
          );
        });
      }
      if (m < 10) {
        return call("mutex.tryAcquire", () => {
          const lock = o.tryAcquire() as L.MutexLock | null;
          if (lock) {
            setTimeout(
              () => call("MutexLock.release", () => lock.release()),
              rnd(3),
            );
          }
        });
      }
      if (m === 10) {
        return call(
          "mutex.acquireSync",
          () => (o.acquireSync({ timeout: 0 }) as L.MutexLock).release(),
        );
      }
      if (m === 11) return call("mutex.remove", () => o.remove());
      if (m === 12) return closeIt(kind, o);
      return;
    case "pmq":
      if (m < 6) {
        return callAsync("pmq.send", () =>
          o.send(
            rnd(5) ? new Uint8Array(rnd(250)) : bytes(),
            rnd(4) ? rnd(5) : odd(),
            options(),
          ));
      }
      if (m < 11) return callAsync("pmq.receive", () => o.receive(options()));
      if (m === 11) {
        return call(
          "pmq.sendSync",
          () => o.sendSync(new Uint8Array(rnd(10)), 0, syncOptions()),
        );
      }
      if (m === 12) {
        return call("pmq.receiveSync", () => o.receiveSync(syncOptions()));
      }
      if (m === 13) return call("pmq.attributes", () => o.attributes);
      if (m === 17) {
        // Notices until an abort or the queue's close; another batch step
        // may send meanwhile.
        const ac = new AbortController();
        setTimeout(() => ac.abort(), rnd(30));
        return call("pmq.notifications", async () => {
          const notices = o.notifications({
            signal: ac.signal,
            signo: pick(["SIGUSR2", "SIGUSR1", "SIGUSR2", "BOGUS"]),
          }) as unknown as AsyncIterable<void>;
          for await (const _ of notices) if (rnd(3) === 0) break;
        });
      }
      if (m === 14) {
        return call("pmq.iterate", async () => {
          for await (const _ of o as unknown as AsyncIterable<unknown>) {
            if (rnd(2)) break;
          }
        });
      }
      if (m === 15) {
        return callAsync(
          "pmq.receiveInto",
          () =>
            o.receiveInto(
              rnd(3) ? new Uint8Array(1 + rnd(300)) : bytes(),
              options(),
            ),
        );
      }
      if (m === 16) return closeIt(kind, o);
      return;
    case "psemN":
    case "psemU":
      if (m < 6) return callAsync(`${kind}.wait`, () => o.wait(options()));
      if (m < 10) return call(`${kind}.post`, () => o.post());
      if (m === 10) {
        return call(`${kind}.waitSync`, () => o.waitSync(syncOptions()));
      }
      if (m === 11) {
        return call(`${kind}.acquire`, async () => {
          const held = await o.acquire(options()) as L.HeldSemaphore;
          setTimeout(
            () => call("HeldSemaphore.release", () => held.release()),
            rnd(3),
          );
        });
      }
      if (m === 12) return call(`${kind}.value`, () => o.value);
      if (m === 13) return call(`${kind}.tryWait`, () => o.tryWait());
      if (m === 14) return closeIt(kind, o);
      return;
    case "region":
    case "map": {
      // A mapping's memory, or a region (a System V attach) itself.
      const mem = kind === "map" ? o.memory! : o as unknown as L.MemoryRegion;
      if (kind === "region" && m >= 8 && m <= 14 && m !== 10 && m !== 11) {
        return m === 12 ? closeIt(kind, o) : undefined;
      }
      if (m < 4) {
        return call("memory.write", () =>
          mem.write(
            (rnd(3) ? new Uint8Array(rnd(5000)) : bytes()) as Uint8Array,
            rnd(3) ? rnd(5000) : odd() as number,
          ));
      }
      if (m < 7) {
        return call(
          "memory.read",
          () =>
            mem.read(
              rnd(3) ? rnd(5000) : odd() as number,
              rnd(2) ? undefined : rnd(6000),
            ),
        );
      }
      if (m === 7) {
        // A view kept past the mapping's end must be empty, not a crash.
        return call("memory.bytes", () => {
          const view = mem.bytes;
          setTimeout(() => {
            view[0] = 1;
            view[view.length - 1] = 2;
          }, rnd(5));
        });
      }
      if (m === 8) {
        return call(
          "mapping.protect",
          () => o.protect(pick(["read", "readwrite", "none", "bogus"])),
        );
      }
      if (m === 9) return call("mapping.sync", () => o.sync());
      if (m === 10) {
        return call("memory.dataView", () => mem.dataView.getUint32(rnd(4096)));
      }
      if (m === 11) {
        return call(
          "memory.writeCString",
          () => mem.writeCString("hello", rnd(4100)),
        );
      }
      if (m === 12) return closeIt(kind, o);
      if (m === 13) return call("memory.close", () => mem.close());
      if (m === 14 && o.fd !== null) {
        return call(
          "ftruncate",
          () => L.ftruncate(o.fd as unknown as number, rnd(3) * 2048),
        );
      }
      if (m === 15 && kind === "map") {
        // A second mapping of a memfd's descriptor, which stays the first's.
        return call("Mapping.fromFd", () =>
          add(
            "map",
            L.Mapping.fromFd(
              (o.fd ?? odd()) as unknown as number,
              {
                mode: pick(["r", "rw", "x"]) as "r",
                length: pick([undefined, 4096, 1]),
              },
            ),
          ));
      }
      if (m === 16 && o.fd !== null && kind === "map") {
        return call("fcntl F_ADD_SEALS", () =>
          L.fcntl(
            o.fd as unknown as number,
            L.F_ADD_SEALS,
            pick([L.F_SEAL_SHRINK, L.F_SEAL_WRITE, L.F_SEAL_GROW, 0x1234]),
          ));
      }
      return;
    }
    case "lockfd": {
      const fd = o.fd as unknown as number;
      const later = (hold: L.LockHold) =>
        setTimeout(
          () => call("LockHold.release", () => hold.release()),
          rnd(4),
        );
      const range = () => ({
        mode: pick(["write", "read", "write", "bogus"]) as "write",
        start: rnd(4) ? rnd(100) : odd() as number,
        length: rnd(4) ? rnd(100) : odd() as number,
        ofd: rnd(3) !== 0,
      });
      if (m < 5) {
        return callAsync("lockFile", () =>
          L.lockFile(fd, {
            ...options(),
            mode: pick(["exclusive", "shared", "exclusive", "x"]) as "shared",
          }).then(later));
      }
      if (m < 10) {
        return callAsync(
          "lockRange",
          () => L.lockRange(fd, { ...options(), ...range() }).then(later),
        );
      }
      if (m === 10) {
        return call(
          "lockFileSync",
          () => later(L.lockFileSync(fd, { timeout: rnd(3), mode: "shared" })),
        );
      }
      if (m === 11) {
        return call(
          "lockRangeSync",
          () => later(L.lockRangeSync(fd, { timeout: rnd(3), ...range() })),
        );
      }
      if (m === 12) return call("testRange", () => L.testRange(fd, range()));
      if (m === 13) return closeIt(kind, o);
      return;
    }
    case "shm":
      if (m < 6) {
        return call(
          "SharedMemory.attach",
          () => add("region", o.attach(rnd(4) ? {} : { readOnly: true })),
        );
      }
      if (m === 9) {
        // At an address: one in use (a region's, a mapping's), a low or
        // odd one, rounded down or not.
        const inUse = (any("region") as unknown as L.MemoryRegion | undefined)
          ?.address ?? any("map")?.memory?.address;
        return call("SharedMemory.attach at", () =>
          add(
            "region",
            o.attach({
              readOnly: !!rnd(2),
              round: !!rnd(2),
              address: pick([
                inUse,
                inUse === undefined ? undefined : inUse + 4096n * 64n,
                0n,
                1n,
                0x1000n,
                0x7e0000000000n + BigInt(rnd(3) * 2048),
                -1n,
              ]),
            }),
          ));
      }
      if (m === 6) return call("shm.stat", () => o.stat());
      if (m === 7) return call("shm.remove", () => o.remove());
      if (m === 8) return closeIt(kind, o);
      return;
    case "pshm":
      if (m < 4) {
        return call(
          "pshm.truncate",
          () => o.truncate(rnd(3) ? 4096 * rnd(3) : oddSize()),
        );
      }
      if (m < 8) {
        return call(
          "pshm.map",
          () => add("map", o.map(rnd(3) ? undefined : { length: oddSize() })),
        );
      }
      if (m === 8) return call("pshm.size", () => o.size);
      if (m === 9) return closeIt(kind, o);
      return;
  }
}

const kinds = Object.keys(makers);
for (step = 0; step < STEPS; step++) {
  const live = [...pool].filter(([, list]) => list.length > 0);
  if (rnd(6) === 0 || live.length === 0) makers[pick(kinds)]();
  else {
    const [kind, list] = pick(live);
    use(kind, pick(list));
  }
  if (rnd(8) === 0) await new Promise((r) => setTimeout(r, rnd(3)));
}

// The end: everything closed and removed; every pending call must settle.
out(`STEP ${step} closing everything`);
const closeAll = () => {
  for (const [kind, list] of pool) {
    for (const o of list.splice(0)) closeIt(kind, o);
  }
};
closeAll();
let bound: ReturnType<typeof setTimeout> | undefined;
const settled = await Promise.race([
  Promise.all([...pending.keys()]).then(() => true),
  new Promise<boolean>((r) => bound = setTimeout(() => r(false), 10_000)),
]);
clearTimeout(bound);
if (!settled) {
  fail(
    `${pending.size} calls still pending 10 s after everything closed: ${
      [...pending.values()].join(", ")
    }`,
  );
}
closeAll(); // what settled meanwhile (an accept, a connect) and added
for (const id of made.msg) {
  try {
    L.msgctl(id, L.IPC_STAT);
    fail(`message queue ${id} left behind`);
    L.msgctl(id, L.IPC_RMID);
  } catch { /* removed, as it should be */ }
}
for (const id of made.sem) {
  try {
    L.semctl(id, 0, L.IPC_STAT);
    fail(`semaphore set ${id} left behind`);
    L.semctl(id, 0, L.IPC_RMID);
  } catch { /* removed */ }
}
for (const id of made.shm) {
  try {
    const ds = L.shmctl(id, L.IPC_STAT);
    // Removed with segments still attached (regions not closed yet) is
    // fine: the kernel frees it at the last detach, below.
    if ((ds.perm.mode & L.SHM_DEST) === 0) {
      fail(`shared memory segment ${id} left behind`);
      L.shmctl(id, L.IPC_RMID);
    }
  } catch { /* removed */ }
}
for (const entry of new Set(made.names)) {
  const [kind, full] = entry.split(":");
  try {
    if (kind === "mq") L.mq_unlink(full);
    else if (kind === "sem") L.sem_unlink(full);
    else L.shm_unlink(full);
  } catch { /* unlinked by the fuzz */ }
}
// Nothing waits: the engine must know it, unrefed waits included.
if (!(await L.terminateIdleWaiters())) {
  fail("the engine still counts a wait once every call has settled");
}
out(`DONE ${STEPS}`);
if (failures > 0) Deno.exit(1);
// With nothing pending, the process must end by itself (a wait the engine
// still counted would keep it alive).
const alive = setTimeout(() => {
  fail("the process is kept alive once everything has ended");
  Deno.exit(1);
}, 5000);
Deno.unrefTimer(alive);
