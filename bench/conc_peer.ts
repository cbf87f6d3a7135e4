/**
 * The processes of `bench/concurrency.ts`:
 *
 * - `server ours|deno PATH [quiet]`: an echo server on a Unix socket, either this
 *   library's `UnixListener` or `Deno.listen`, the same protocol. A control
 *   connection (first byte `C`) answers `reset` (clear the lateness
 *   record) and `stats` (JSON: worst event-loop lateness in ms since the
 *   reset and the main thread's CPU time in that interval, the longest the
 *   loop held itself up, threads, RSS in KiB, CPU time in ms).
 * - `clients PATH N ROUNDS`: N connections at once through `Deno.connect`
 *   (the same client program for both servers), each doing ROUNDS echoes of
 *   64 bytes with a checksum; prints the elapsed ms.
 * - `idle PATH N MS`: holds N connections open and idle for MS ms.
 * - `semwait N`: makes a private set of N semaphores, waits on each with
 *   `semopAsync`, has a child post them, and prints JSON: worst lateness
 *   (as `stats` gives it), median and p99 post-to-wake in µs, threads.
 * - `sempost ID N`: posts semaphores 0..N-1 of set ID, 0.2 ms apart, and
 *   prints the monotonic time of each post (JSON).
 *
 * @module
 */

import {
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_RMID,
  semctl,
  semget,
  semop,
  semopAsync,
  UnixListener,
} from "../mod.ts";

const [mode, ...rest] = Deno.args;
const enc = new TextEncoder();
const dec = new TextDecoder();

const clock = Deno.dlopen("libc.so.6", {
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
}).symbols;
const ts = new BigInt64Array(2);
const tsBytes = new Uint8Array(ts.buffer);
/** CLOCK_MONOTONIC in µs, the same clock in every process. */
function monoUs(): number {
  clock.clock_gettime(1, tsBytes);
  return Number(ts[0]) * 1e6 + Number(ts[1]) / 1e3;
}

/** This thread's CPU time in ms (`CLOCK_THREAD_CPUTIME_ID`). */
function threadCpuMs(): number {
  clock.clock_gettime(3, tsBytes);
  return Number(ts[0]) * 1e3 + Number(ts[1]) / 1e6;
}

/** What {@linkcode lateness} recorded since its last reset, in ms. */
interface Lateness {
  /** The worst delay of the 1 ms timer. */
  lateMs: number;
  /**
   * The CPU time the main thread had in that worst interval: the rest of
   * it the thread was not running (descheduled), not holding the loop.
   */
  lateCpuMs: number;
  /**
   * The most CPU time the main thread had in any one interval of the
   * timer, less the 1 ms the interval should take: the longest the event
   * loop held itself up, whatever the scheduler did.
   */
  heldMs: number;
}

/**
 * Records the event loop's worst lateness against a 1 ms interval, and
 * how much of it the main thread spent running.
 */
function lateness(): { reset(): void; worst(): Lateness } {
  let last = performance.now(), lastCpu = threadCpuMs();
  let worst: Lateness = { lateMs: 0, lateCpuMs: 0, heldMs: 0 };
  const id = setInterval(() => {
    const now = performance.now(), cpu = threadCpuMs();
    const late = now - last - 1, ran = cpu - lastCpu;
    if (late > worst.lateMs) {
      worst.lateMs = late;
      worst.lateCpuMs = ran;
    }
    worst.heldMs = Math.max(worst.heldMs, ran - 1);
    last = now;
    lastCpu = cpu;
  }, 1);
  Deno.unrefTimer(id);
  return {
    reset: () => {
      worst = { lateMs: 0, lateCpuMs: 0, heldMs: 0 };
      last = performance.now();
      lastCpu = threadCpuMs();
    },
    worst: () => ({ ...worst }),
  };
}

function procStats(): { threads: number; rssKiB: number; cpuMs: number } {
  const status = Deno.readTextFileSync("/proc/self/status");
  const field = (name: string) =>
    Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, "m"))![1]);
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]); // utime + stime
  return {
    threads: field("Threads"),
    rssKiB: field("VmRSS"),
    cpuMs: ticks * 10,
  };
}

interface Conn {
  read(buf: Uint8Array): Promise<number | null>;
  write(buf: Uint8Array): Promise<number>;
  close(): void;
}

async function writeAll(c: Conn, buf: Uint8Array): Promise<void> {
  for (let off = 0; off < buf.length;) off += await c.write(buf.subarray(off));
}

async function serve(
  c: Conn,
  late: ReturnType<typeof lateness>,
): Promise<void> {
  const buf = new Uint8Array(4096);
  try {
    let n = await c.read(buf);
    if (n === null || n === 0) return;
    if (buf[0] === 67 /* C */) {
      // Control connection: line commands.
      let text = dec.decode(buf.subarray(1, n));
      for (;;) {
        while (text.includes("\n")) {
          const line = text.slice(0, text.indexOf("\n"));
          text = text.slice(line.length + 1);
          if (line === "reset") late.reset();
          const reply = line === "stats"
            ? JSON.stringify({ ...late.worst(), ...procStats() })
            : "ok";
          await writeAll(c, enc.encode(reply + "\n"));
        }
        n = await c.read(buf);
        if (n === null || n === 0) return;
        text += dec.decode(buf.subarray(0, n));
      }
    }
    for (;;) {
      await writeAll(c, buf.subarray(0, n));
      n = await c.read(buf);
      if (n === null || n === 0) return;
    }
  } catch {
    // A client that went away.
  } finally {
    c.close();
  }
}

async function server(
  kind: string,
  path: string,
  quiet: boolean,
): Promise<void> {
  // Quiet: no lateness timer, whose 1 ms ticks would be the CPU measured.
  const late = quiet
    ? { reset() {}, worst: () => ({ lateMs: 0, lateCpuMs: 0, heldMs: 0 }) }
    : lateness();
  if (kind === "ours") {
    using listener = UnixListener.listen(path, { backlog: 4096 });
    console.log("ready");
    for (;;) {
      const conn = await listener.accept();
      void serve(conn, late);
    }
  } else {
    const listener = Deno.listen({ transport: "unix", path });
    console.log("ready");
    for await (const conn of listener) void serve(conn, late);
  }
}

async function clients(path: string, n: number, rounds: number) {
  const conns = await Promise.all(
    Array.from(
      { length: n },
      () => Deno.connect({ transport: "unix", path }),
    ),
  );
  const t0 = performance.now();
  await Promise.all(conns.map(async (conn, i) => {
    const msg = new Uint8Array(64);
    const back = new Uint8Array(64);
    for (let r = 0; r < rounds; r++) {
      let sum = 0;
      // Byte 0 is never "C", which opens a control connection.
      for (let j = 0; j < 64; j++) {
        sum += msg[j] = j === 0 ? 68 : (i * 31 + r * 7 + j) & 255;
      }
      await writeAll(conn, msg);
      let got = 0;
      while (got < 64) {
        const k = await conn.read(back.subarray(got));
        if (k === null) throw new Error("The server closed the connection");
        got += k;
      }
      let check = 0;
      for (let j = 0; j < 64; j++) check += back[j];
      if (check !== sum) {
        throw new Error(`Checksum mismatch on connection ${i}`);
      }
    }
  }));
  const elapsed = performance.now() - t0;
  for (const c of conns) c.close();
  console.log(elapsed.toFixed(3));
}

async function idle(path: string, n: number, ms: number) {
  const conns = await Promise.all(
    Array.from(
      { length: n },
      () => Deno.connect({ transport: "unix", path }),
    ),
  );
  console.log("connected");
  await new Promise((r) => setTimeout(r, ms));
  for (const c of conns) c.close();
}

async function semwait(n: number) {
  const late = lateness();
  const id = semget(IPC_PRIVATE, n, IPC_CREAT | 0o600);
  try {
    const woke = new Float64Array(n);
    const waits = Array.from(
      { length: n },
      (_, i) =>
        semopAsync(id, [{ num: i, op: -1 }]).then(() => woke[i] = monoUs()),
    );
    // Let every wait park, then measure from here.
    await new Promise((r) => setTimeout(r, 200));
    late.reset();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "sempost",
        String(id),
        String(n),
      ],
      stdout: "piped",
    }).spawn();
    await Promise.all(waits);
    const posted: number[] = JSON.parse(
      dec.decode((await child.output()).stdout),
    );
    const lat = Array.from(woke, (w, i) => w - posted[i]).sort((a, b) => a - b);
    console.log(JSON.stringify({
      ...late.worst(),
      medianUs: lat[Math.floor(n / 2)],
      p99Us: lat[Math.min(n - 1, Math.floor(n * 0.99))],
      threads: procStats().threads,
    }));
  } finally {
    semctl(id, 0, IPC_RMID);
  }
}

function sempost(id: number, n: number) {
  const posted: number[] = [];
  for (let i = 0; i < n; i++) {
    posted.push(monoUs());
    semop(id, [{ num: i, op: 1 }]);
    // A little apart, as independent events would come.
    const until = performance.now() + 0.2;
    while (performance.now() < until);
  }
  console.log(JSON.stringify(posted));
}

if (mode === "server") await server(rest[0], rest[1], rest[2] === "quiet");
else if (mode === "clients") {
  await clients(rest[0], Number(rest[1]), Number(rest[2]));
} else if (mode === "idle") {
  await idle(rest[0], Number(rest[1]), Number(rest[2]));
} else if (mode === "semwait") await semwait(Number(rest[0]));
else if (mode === "sempost") sempost(Number(rest[0]), Number(rest[1]));
else throw new Error(`Unknown mode "${mode}"`);
