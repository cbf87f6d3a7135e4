/**
 * `deno task bench:socket`: Unix socket benchmarks (issue 5), each against
 * C (or Deno's built-in unix sockets) measured in the same run, as ratios
 * (medians of several alternating runs). A parent and a child process.
 *
 * - stream and datagram bandwidth, 4 KiB and 64 KiB: sync `send`/`recv`
 *   >= 0.9x C; at 64 KiB the async/stream form >= `Deno.connect`'s
 * - 64-byte ping-pong through the async form, no slower than Deno's
 *   built-in unix sockets
 * - passing one descriptor and getting an ack, against C
 *
 * Options: `--runs N` (default 5), `--quick`.
 *
 * @module
 */

import {
  AF_UNIX,
  close,
  recv,
  recvAsync,
  sendAsync,
  SOCK_DGRAM,
  SOCK_STREAM,
  socketpair,
  spawnWithFds,
  UnixConnection,
} from "../mod.ts";
import {
  benchOptions,
  drainStream,
  median,
  printTable,
  ROOT,
  runC,
  withCBaseline,
} from "./_util.ts";

const opts = benchOptions();
const RUNS = opts.runs;
const scale = opts.quick ? 0.125 : 1;
const peer = `${ROOT}bench/sock_peer.ts`;
const MB = 1e6;

function child(args: string[], fd?: number) {
  return spawnWithFds(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      peer,
      ...args,
    ],
    fds: fd === undefined ? {} : { 3: fd },
  });
}

async function c(cBench: string, args: string[]): Promise<number> {
  return Number(await runC(cBench, args));
}

/** Reads to the end with sync recv, timing from the first byte. */
function drainSync(fd: number, block: number): number {
  const buf = new Uint8Array(block);
  let got = 0, t0 = 0;
  for (;;) {
    const n = recv(fd, buf);
    if (n <= 0) break;
    if (got === 0) t0 = performance.now();
    got += n;
  }
  return got / ((performance.now() - t0) / 1000) / MB;
}

async function ours(
  kind: "stream" | "dgram",
  style: "sync" | "async",
  block: number,
  total: number,
) {
  const [a, b] = socketpair(
    AF_UNIX,
    kind === "dgram" ? SOCK_DGRAM : SOCK_STREAM,
  );
  const p = child(
    style === "sync"
      ? [
        "send-sync",
        String(block),
        String(total),
        ...(kind === "dgram" ? ["dgram"] : []),
      ]
      : ["send-async", String(block), String(total)],
    b,
  );
  close(b);
  const mbs = style === "sync"
    ? drainSync(a, block)
    : await drainStream(UnixConnection.fromFd(a).readable);
  if (style === "sync") close(a);
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
  const mbs = await drainStream(conn.readable);
  listener.close();
  await p.status;
  await Deno.remove(path).catch(() => {});
  return mbs;
}

async function pingOurs(n: number): Promise<number> {
  const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
  const p = child(["pong-async", String(n)], b);
  close(b);
  const buf = new Uint8Array(64);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await sendAsync(a, buf);
    for (let got = 0; got < 64;) got += await recvAsync(a, buf.subarray(got));
  }
  const ns = (performance.now() - t0) * 1e6 / n;
  close(a);
  await p.status;
  return ns;
}

async function pingDeno(dir: string, n: number): Promise<number> {
  const path = `${dir}/ping.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const p = child(["pong-deno", path, String(n)]);
  const conn = await listener.accept();
  const buf = new Uint8Array(64);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await conn.write(buf);
    for (let got = 0; got < 64;) got += (await conn.read(buf.subarray(got)))!;
  }
  const ns = (performance.now() - t0) * 1e6 / n;
  conn.close();
  listener.close();
  await p.status;
  await Deno.remove(path).catch(() => {});
  return ns;
}

async function fdOurs(n: number): Promise<number> {
  const [a, b] = UnixConnection.pair();
  const p = child(["fd-ack", String(n)], b.fd);
  b.close();
  const ack = new Uint8Array(1);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await a.sendFds([0]);
    await a.read(ack);
  }
  const ns = (performance.now() - t0) * 1e6 / n;
  a.close();
  await p.status;
  return ns;
}

const rows: string[][] = [];
function row(
  name: string,
  ours: number,
  base: number,
  target: string,
  higherIsBetter = true,
) {
  const ratio = higherIsBetter ? ours / base : base / ours;
  rows.push([name, base.toFixed(0), ours.toFixed(0), ratio.toFixed(3), target]);
}

await withCBaseline("sock_bench", async (dir, cBench) => {
  for (const kind of ["stream", "dgram"] as const) {
    for (const block of [4096, 65536]) {
      const total = Math.round((block === 4096 ? 128 : 512) * 2 ** 20 * scale);
      const base: number[] = [],
        sync: number[] = [],
        async: number[] = [],
        builtin: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        base.push(await c(cBench, [kind, String(block), String(total)]));
        sync.push(await ours(kind, "sync", block, total));
        if (kind === "stream" && block === 65536) {
          async.push(await ours(kind, "async", block, total));
          builtin.push(await denoBuiltin(dir, block, total));
        }
      }
      const kb = `${block / 1024} KiB`;
      row(
        `unix ${kind} ${kb}, sync (MB/s)`,
        median(sync),
        median(base),
        ">= 0.9x C",
      );
      if (async.length) {
        row(
          `unix stream ${kb}, stream form (MB/s)`,
          median(async),
          median(builtin),
          ">= Deno.connect",
        );
        row(
          `unix stream ${kb}, Deno.connect (MB/s)`,
          median(builtin),
          median(base),
          "(vs C)",
        );
      }
    }
  }
  const n = Math.round(20_000 * scale);
  const cPing: number[] = [],
    oPing: number[] = [],
    dPing: number[] = [],
    cFd: number[] = [],
    oFd: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    cPing.push(await c(cBench, ["pingpong", String(n)]));
    oPing.push(await pingOurs(n));
    dPing.push(await pingDeno(dir, n));
    cFd.push(await c(cBench, ["fdpass", String(n)]));
    oFd.push(await fdOurs(n));
  }
  row(
    "64-byte ping-pong, async form (ns/rt)",
    median(oPing),
    median(dPing),
    ">= Deno built-in",
    false,
  );
  row(
    "64-byte ping-pong, Deno built-in (ns/rt)",
    median(dPing),
    median(cPing),
    "(vs C)",
    false,
  );
  row(
    "64-byte ping-pong, async form (ns/rt)",
    median(oPing),
    median(cPing),
    "(vs C)",
    false,
  );
  row(
    "pass one fd + ack, async form (ns/rt)",
    median(oFd),
    median(cFd),
    "report",
    false,
  );

  printTable(["benchmark", "baseline", "ours", "ratio", "target"], rows, [
    42,
    10,
    10,
    8,
    16,
  ]);
  console.log(
    `ratio > 1 is better for us (MB/s ours/baseline; ns baseline/ours); medians of ${RUNS} runs`,
  );
});
