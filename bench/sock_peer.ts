// Both sides of the Deno socket benchmarks. bench/socket.ts starts a
// parent, which starts its child as C's sock_bench does with fork, and
// prints one number:
//   parent ours stream|dgram sync|async|byob|bare BLOCK TOTAL
//                                                     MB/s received (byob: the
//                                                     stream through a BYOB reader;
//                                                     bare: both sides calling libc's
//                                                     send/recv through bare Deno.dlopen,
//                                                     no library: Deno's ceiling)
//   parent builtin DIR BLOCK TOTAL                    MB/s, Deno.listen/connect
//   parent ping-ours N W | ping-deno DIR N W          ns per 64-byte round trip
//   parent fd-ours N W                                ns per fd passed + ack
// (round trips: W untimed warm-up rounds, then N timed, as C's sock_bench)
// The children, with the socket as fd 3 (or a path for Deno's own sockets):
//   send-sync BLOCK TOTAL [dgram]   send() in a loop (an empty datagram ends a dgram run)
//   send-bare BLOCK TOTAL [dgram]   the same through bare Deno.dlopen
//   send-async BLOCK TOTAL          UnixConnection.writeAll in a loop
//   pong-async N                    64-byte echo through recvAsync/sendAsync
//   pong-deno PATH N                64-byte echo through Deno.connect
//   write-deno PATH BLOCK TOTAL     Deno.connect and write TOTAL bytes
//   fd-ack N                        receive a descriptor, close it, answer a byte
import {
  AF_UNIX,
  close,
  recv,
  recvAsync,
  send,
  sendAsync,
  SOCK_DGRAM,
  SOCK_STREAM,
  socketpair,
  spawnWithFds,
  UnixConnection,
} from "../mod.ts";
import { childCommand, drainStream } from "./_util.ts";

/** Starts the child side (on the CPU in BENCH_CHILD_CPU, if set). */
function child(args: string[], fd?: number) {
  const [cmd, argv] = childCommand([
    "run",
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    "--allow-net",
    import.meta.filename!,
    ...args,
  ]);
  return spawnWithFds(cmd, {
    args: argv,
    fds: fd === undefined ? {} : { 3: fd },
  });
}

/**
 * libc's `send` and `recv`, bare: the `bare` form's ceiling. Their results
 * are read as an int, as the library reads them: a 64-bit result leaves
 * FFI's fast path.
 */
function bareLibc() {
  return Deno.dlopen("libc.so.6", {
    send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
    recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  }).symbols;
}

/**
 * Reads to the end with sync `recv` (the library's, or libc's through bare
 * FFI); MB/s after the first `skip` bytes.
 */
function drainSync(
  fd: number,
  block: number,
  skip: number,
  bare = false,
): number {
  const buf = new Uint8Array(block);
  const raw = bare ? bareLibc() : undefined, len = BigInt(block);
  let got = 0, from = -1, t0 = 0;
  for (;;) {
    const n = raw ? raw.recv(fd, buf, len, 0) : recv(fd, buf);
    if (n <= 0) break;
    got += n;
    if (from < 0 && got >= skip) {
      t0 = performance.now();
      from = got;
    }
  }
  return (got - from) / ((performance.now() - t0) / 1000) / 1e6;
}

async function ours(
  kind: "stream" | "dgram",
  style: "sync" | "async" | "byob" | "bare",
  block: number,
  total: number,
) {
  const [a, b] = socketpair(
    AF_UNIX,
    kind === "dgram" ? SOCK_DGRAM : SOCK_STREAM,
  );
  const sync = style === "sync" || style === "bare";
  const p = child(
    sync
      ? [
        style === "bare" ? "send-bare" : "send-sync",
        String(block),
        String(total),
        ...(kind === "dgram" ? ["dgram"] : []),
      ]
      : ["send-async", String(block), String(total)],
    b,
  );
  close(b);
  const mbs = sync
    ? drainSync(a, block, total / 8, style === "bare")
    : await drainStream(
      UnixConnection.fromFd(a).readable,
      total / 8,
      style === "byob" ? block : 0,
    );
  if (sync) close(a);
  await p.status;
  return mbs;
}

async function denoBuiltin(
  dir: string,
  block: number,
  total: number,
): Promise<number> {
  const path = `${dir}/builtin.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const p = child(["write-deno", path, String(block), String(total)]);
  const conn = await listener.accept();
  const mbs = await drainStream(conn.readable, total / 8);
  listener.close();
  await p.status;
  await Deno.remove(path).catch(() => {});
  return mbs;
}

/**
 * Runs `warm` untimed rounds, then `n` timed ones; ns per timed round.
 */
async function rounds(
  n: number,
  warm: number,
  round: () => Promise<void>,
): Promise<number> {
  let t0 = performance.now();
  for (let i = 0; i < warm + n; i++) {
    if (i === warm) t0 = performance.now();
    await round();
  }
  return (performance.now() - t0) * 1e6 / n;
}

async function pingOurs(n: number, warm: number): Promise<number> {
  const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
  const p = child(["pong-async", String(warm + n)], b);
  close(b);
  const buf = new Uint8Array(64);
  const ns = await rounds(n, warm, async () => {
    await sendAsync(a, buf);
    for (let got = 0; got < 64;) got += await recvAsync(a, buf.subarray(got));
  });
  close(a);
  await p.status;
  return ns;
}

async function pingDeno(
  dir: string,
  n: number,
  warm: number,
): Promise<number> {
  const path = `${dir}/ping.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const p = child(["pong-deno", path, String(warm + n)]);
  const conn = await listener.accept();
  const buf = new Uint8Array(64);
  const ns = await rounds(n, warm, async () => {
    await conn.write(buf);
    for (let got = 0; got < 64;) got += (await conn.read(buf.subarray(got)))!;
  });
  conn.close();
  listener.close();
  await p.status;
  await Deno.remove(path).catch(() => {});
  return ns;
}

async function fdOurs(n: number, warm: number): Promise<number> {
  const [a, b] = UnixConnection.pair();
  const p = child(["fd-ack", String(warm + n)], b.fd);
  b.close();
  const ack = new Uint8Array(1);
  const ns = await rounds(n, warm, async () => {
    await a.sendFds([0]);
    await a.read(ack);
  });
  a.close();
  await p.status;
  return ns;
}

const [mode, ...args] = Deno.args;

if (mode === "parent") {
  const [what, ...p] = args;
  let result: number;
  if (what === "ours") {
    result = await ours(
      p[0] as "stream" | "dgram",
      p[1] as "sync" | "async" | "byob" | "bare",
      Number(p[2]),
      Number(p[3]),
    );
  } else if (what === "builtin") {
    result = await denoBuiltin(p[0], Number(p[1]), Number(p[2]));
  } else if (what === "ping-ours") {
    result = await pingOurs(Number(p[0]), Number(p[1]));
  } else if (what === "ping-deno") {
    result = await pingDeno(p[0], Number(p[1]), Number(p[2]));
  } else {
    result = await fdOurs(Number(p[0]), Number(p[1]));
  }
  console.log(result.toFixed(1));
} else if (mode === "send-sync") {
  const block = new Uint8Array(Number(args[0])).fill(120);
  const total = Number(args[1]);
  for (let sent = 0; sent < total;) sent += send(3, block);
  if (args[2] === "dgram") send(3, new Uint8Array(0));
} else if (mode === "send-bare") {
  const block = new Uint8Array(Number(args[0])).fill(120);
  const total = Number(args[1]), raw = bareLibc(), len = BigInt(block.length);
  for (let sent = 0; sent < total;) {
    const k = raw.send(3, block, len, 0);
    if (k < 0) throw new Error("Bare send failed");
    sent += k;
  }
  if (args[2] === "dgram") raw.send(3, block, 0n, 0);
} else if (mode === "send-async") {
  const block = new Uint8Array(Number(args[0])).fill(120);
  using conn = UnixConnection.fromFd(3);
  const total = Number(args[1]);
  for (let sent = 0; sent < total; sent += block.length) {
    await conn.writeAll(block);
  }
} else if (mode === "pong-async") {
  const buf = new Uint8Array(64);
  for (let i = 0, n = Number(args[0]); i < n; i++) {
    for (let got = 0; got < 64;) got += await recvAsync(3, buf.subarray(got));
    await sendAsync(3, buf);
  }
} else if (mode === "pong-deno") {
  const conn = await Deno.connect({ transport: "unix", path: args[0] });
  const buf = new Uint8Array(64);
  for (let i = 0, n = Number(args[1]); i < n; i++) {
    for (let got = 0; got < 64;) got += (await conn.read(buf.subarray(got)))!;
    await conn.write(buf);
  }
  conn.close();
} else if (mode === "write-deno") {
  const conn = await Deno.connect({ transport: "unix", path: args[0] });
  const block = new Uint8Array(Number(args[1])).fill(120);
  const total = Number(args[2]);
  for (let sent = 0; sent < total; sent += block.length) {
    for (let off = 0; off < block.length;) {
      off += await conn.write(block.subarray(off));
    }
  }
  conn.close();
} else if (mode === "fd-ack") {
  using conn = UnixConnection.fromFd(3);
  for (let i = 0, n = Number(args[0]); i < n; i++) {
    const { fds } = await conn.recvFds({ maxFds: 1 });
    fds.forEach(close);
    await conn.write(new Uint8Array(1));
  }
}
