/**
 * The Deno side of `bench/posix.ts`, with the protocol of
 * `bench/c/posix_bench.c`; prints one number (ns per pair or round trip).
 *
 *   sem-uncontended N            sem_post + sem_wait on one unnamed semaphore
 *   sem-bare N                   the same through a bare Deno.dlopen of the
 *                                two calls (no checks): the cost of FFI alone
 *   sem-pingpong N WARM MODE     parent: two unnamed semaphores in a memfd
 *                                shared with a child; MODE sync, async, or
 *                                bare (a bare Deno.dlopen of sem_post and
 *                                sem_wait on both sides: FFI alone)
 *   eventfd-pingpong N WARM MODE parent: two eventfds shared with a child
 *   flock-pair N                 flock LOCK_EX + LOCK_UN
 *   child-sem N WARM MODE / child-eventfd N WARM MODE   the child sides
 *
 * @module
 */

import {
  close,
  EventFd,
  eventfd,
  eventfd_read,
  eventfd_write,
  flock,
  LOCK_EX,
  LOCK_UN,
  Mapping,
  O_CREAT,
  O_RDWR,
  open,
  sem_at,
  sem_init,
  sem_post,
  sem_wait,
  sem_waitAsync,
  spawnWithFds,
} from "../mod.ts";
import { childCommand } from "./_util.ts";

const [what, nArg, warmArg, mode] = Deno.args;
const n = Number(nArg), warm = Number(warmArg ?? 0);
const async = mode === "async";

/**
 * `sem_post` and `sem_wait` of the two semaphores at 0 and 32 of `map`, by
 * a bare `Deno.dlopen` (mode bare), or the library's sync or async calls.
 */
function pingPong(map: Mapping): {
  post(at: 0 | 32): void;
  wait(at: 0 | 32): Promise<void> | void;
} {
  if (mode === "bare") {
    const lib = Deno.dlopen("libc.so.6", {
      sem_post: { parameters: ["pointer"], result: "i32" },
      sem_wait: { parameters: ["pointer"], result: "i32" },
    });
    const p = {
      0: Deno.UnsafePointer.create(BigInt(map.memory.address)),
      32: Deno.UnsafePointer.create(BigInt(map.memory.address) + 32n),
    };
    return {
      post: (at) => void lib.symbols.sem_post(p[at]),
      wait: (at) => void lib.symbols.sem_wait(p[at]),
    };
  }
  const s = { 0: sem_at(map.memory, 0), 32: sem_at(map.memory, 32) };
  return {
    post: (at) => sem_post(s[at]),
    wait: (at) => async ? sem_waitAsync(s[at]) : sem_wait(s[at]),
  };
}

function child(
  role: string,
  fds: Record<number, number>,
): { status: Promise<unknown> } {
  const [cmd, argv] = childCommand([
    "run",
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    import.meta.filename!,
    role,
    nArg,
    String(warm),
    mode,
  ]);
  return spawnWithFds(cmd, { args: argv, fds });
}

if (what === "sem-uncontended") {
  using map = Mapping.anonymous(4096);
  const s = sem_init(map.memory, 0, 1, 0);
  for (let i = 0; i < 1000; i++) {
    sem_post(s);
    sem_wait(s);
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    sem_post(s);
    sem_wait(s);
  }
  console.log(((performance.now() - t0) * 1e6 / n).toFixed(1));
} else if (what === "sem-bare") {
  using map = Mapping.anonymous(4096);
  sem_init(map.memory, 0, 1, 0);
  const lib = Deno.dlopen("libc.so.6", {
    sem_post: { parameters: ["pointer"], result: "i32" },
    sem_wait: { parameters: ["pointer"], result: "i32" },
  });
  const p = Deno.UnsafePointer.create(map.memory.address);
  for (let i = 0; i < 1000; i++) {
    lib.symbols.sem_post(p);
    lib.symbols.sem_wait(p);
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    lib.symbols.sem_post(p);
    lib.symbols.sem_wait(p);
  }
  console.log(((performance.now() - t0) * 1e6 / n).toFixed(1));
  lib.close();
} else if (what === "sem-pingpong") {
  using map = Mapping.memfd(4096, "bench");
  sem_init(map.memory, 0, 1, 0);
  sem_init(map.memory, 32, 1, 0);
  const kid = child("child-sem", { 3: map.fd! });
  const { post, wait } = pingPong(map);
  let t0 = 0;
  for (let i = 0; i < n + warm; i++) {
    if (i === warm) t0 = performance.now();
    post(0);
    if (async) await wait(32);
    else wait(32);
  }
  console.log(((performance.now() - t0) * 1e6 / n).toFixed(1));
  await kid.status;
} else if (what === "child-sem") {
  using map = Mapping.fromFd(3);
  const { post, wait } = pingPong(map);
  for (let i = 0; i < n + warm; i++) {
    if (async) await wait(0);
    else wait(0);
    post(32);
  }
} else if (what === "eventfd-pingpong") {
  const a = eventfd(0, 0), b = eventfd(0, 0);
  const kid = child("child-eventfd", { 3: a, 4: b });
  if (async) {
    using ea = EventFd.fromFd(a), eb = EventFd.fromFd(b);
    let t0 = 0;
    for (let i = 0; i < n + warm; i++) {
      if (i === warm) t0 = performance.now();
      ea.writeSync(1n);
      await eb.read();
    }
    console.log(((performance.now() - t0) * 1e6 / n).toFixed(1));
  } else {
    let t0 = 0;
    for (let i = 0; i < n + warm; i++) {
      if (i === warm) t0 = performance.now();
      eventfd_write(a, 1n);
      eventfd_read(b);
    }
    console.log(((performance.now() - t0) * 1e6 / n).toFixed(1));
    close(a);
    close(b);
  }
  await kid.status;
} else if (what === "child-eventfd") {
  if (async) {
    using ea = EventFd.fromFd(3), eb = EventFd.fromFd(4);
    for (let i = 0; i < n + warm; i++) {
      await ea.read();
      eb.writeSync(1n);
    }
  } else {
    for (let i = 0; i < n + warm; i++) {
      eventfd_read(3);
      eventfd_write(4, 1n);
    }
  }
} else if (what === "flock-pair") {
  const path = await Deno.makeTempFile({ prefix: "linux-ipc-bench-" });
  const fd = open(path, O_RDWR | O_CREAT);
  await Deno.remove(path);
  for (let i = 0; i < 1000; i++) {
    flock(fd, LOCK_EX);
    flock(fd, LOCK_UN);
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    flock(fd, LOCK_EX);
    flock(fd, LOCK_UN);
  }
  console.log(((performance.now() - t0) * 1e6 / n).toFixed(1));
  close(fd);
}
