/**
 * `deno task bench:msg`: System V and POSIX message queues (issue 12),
 * against C measured in the same run, a parent and a child process.
 *
 * - one-way bandwidth at 64 B, 1 KiB and 8 KiB messages (Linux's `msgmax`),
 *   System V and POSIX: the sync form >= 0.9x C (paired ratio), both as it
 *   returns a new array per message and into one buffer
 *   (`msgrcvInto`/`mq_receiveInto`, as C's `msgp`), and for System V with
 *   one `MessageBuffer` on each side (no copy); the async form reported;
 *   and both sides calling libc through bare `Deno.dlopen`, no library:
 *   the most Deno's FFI allows, to tell the library's cost from Deno's,
 *   also copying each message into a new array (the most a form that
 *   returns a new array per message can reach in Deno, where allocating
 *   an `ArrayBuffer` costs hundreds of nanoseconds);
 *   at 64 B, bare FFI on one side and C on the other, each way, to tell
 *   which side of a Deno pair falls short; and C with six idle threads in
 *   each process, as a Deno process has about seven: what being multi-threaded
 *   costs C (Linux counts references on each use of a descriptor then) of C
 * - 64-byte round trips through the async forms, both as they return a new
 *   array per message and into one buffer (`msgrcvIntoAsync`,
 *   `mq_receiveIntoAsync`, as the socket round trip reads into one; for
 *   System V also one `MessageBuffer` each side, sent and received),
 *   against C and against the library's own Unix-socket round trip
 *   (`bench/sock_peer.ts ping-ours`, run in the same rounds): target no
 *   slower than that
 *
 * Options: `--runs N` (default 7), `--quick`, `--no-pin`.
 *
 * @module
 */

import {
  benchOptions,
  best,
  median,
  paired,
  printTable,
  ROOT,
  runC,
  runDeno,
  withCBaseline,
} from "./_util.ts";

const opts = benchOptions(7);
const RUNS = opts.runs;
const scale = opts.quick ? 0.1 : 1;
const peer = `${ROOT}bench/msg_peer.ts`;
const rows: string[][] = [];

await withCBaseline("msg_bench", async (_dir, cBench) => {
  for (const kind of ["sysv", "posix"] as const) {
    for (const size of [64, 1024, 8192]) {
      const count = Math.round((size === 64 ? 400_000 : 200_000) * scale);
      const base: number[] = [],
        sync: number[] = [],
        into: number[] = [],
        buffer: number[] = [],
        async: number[] = [],
        bare: number[] = [],
        bareNew: number[] = [],
        cToBare: number[] = [],
        bareToC: number[] = [],
        threaded: number[] = [];
      /** One Deno parent receiving in `form`; `extra` after it. */
      const parent = (form: string, ...extra: string[]) =>
        runDeno(peer, [
          "parent",
          kind,
          String(size),
          String(count),
          form,
          ...extra,
        ]);
      for (let r = 0; r < RUNS; r++) {
        base.push(
          Number(await runC(cBench, [kind, String(size), String(count)])),
        );
        threaded.push(
          Number(
            await runC(cBench, [kind, String(size), String(count)], {
              idleThreads: 6,
            }),
          ),
        );
        into.push(await parent("into"));
        if (kind === "sysv") buffer.push(await parent("buffer"));
        sync.push(await parent("sync"));
        async.push(await parent("async"));
        bare.push(await parent("bare"));
        bareNew.push(await parent("bare-new"));
        if (size === 64) {
          cToBare.push(await parent("bare", cBench));
          bareToC.push(
            Number(
              await runC(cBench, [
                "recv",
                kind,
                String(size),
                String(count),
                Deno.execPath(),
                "run",
                "--allow-ffi",
                "--allow-read=/dev/mqueue",
                "--allow-write=/dev/mqueue",
                peer,
                `send-${kind}`,
                "{Q}",
                String(size),
                String(count),
                "bare",
              ]),
            ),
          );
        }
      }
      const label = `${kind === "sysv" ? "System V" : "POSIX"} ${size} B`;
      /** A row of MB/s against C: best/best and paired. */
      const row = (what: string, xs: number[], target: string) =>
        rows.push([
          `${label}, ${what} (MB/s)`,
          best(base).toFixed(0),
          best(xs).toFixed(0),
          (best(xs) / best(base)).toFixed(3),
          paired(xs, base).toFixed(3),
          target,
        ]);
      row(
        "C, six idle threads per process",
        threaded,
        "(C in a Deno process's shape)",
      );
      row("sync", sync, ">= 0.9x C");
      row("sync into a buffer", into, ">= 0.9x C");
      if (kind === "sysv") {
        row("sync, MessageBuffer (no copy)", buffer, ">= 0.9x C");
      }
      row(
        "bare FFI",
        bare,
        `(Deno's ceiling; into/bare ${paired(into, bare).toFixed(2)})`,
      );
      row(
        "bare FFI, a new array each",
        bareNew,
        `(ceiling of sync; sync/this ${paired(sync, bareNew).toFixed(2)})`,
      );
      if (size === 64) {
        row("C sender, bare FFI receiver", cToBare, "(which side falls short)");
        row("bare FFI sender, C receiver", bareToC, "(which side falls short)");
      }
      row("async", async, "(report)");
    }
  }
  const n = Math.round(20_000 * scale), warm = String(Math.max(1000, n >> 2));
  const socket: number[] = [];
  const forms = [
    ["sysv-rt", ""],
    ["sysv-rt", "into"],
    ["sysv-rt", "buffer"],
    ["posix-rt", ""],
    ["posix-rt", "into"],
  ];
  const rt = new Map(forms.map(([k, f]) => [`${k}${f}`, [] as number[]]));
  const c: Record<string, number[]> = { "sysv-rt": [], "posix-rt": [] };
  for (let r = 0; r < RUNS; r++) {
    for (const kind of ["sysv-rt", "posix-rt"]) {
      c[kind].push(Number(await runC(cBench, [kind, String(n), warm])));
    }
    for (const [kind, form] of forms) {
      rt.get(`${kind}${form}`)!.push(
        await runDeno(
          peer,
          ["parent", kind, String(n), warm].concat(form ? [form] : []),
        ),
      );
    }
    socket.push(
      await runDeno(`${ROOT}bench/sock_peer.ts`, [
        "parent",
        "ping-ours",
        String(n),
        warm,
      ]),
    );
  }
  for (const [kind, form] of forms) {
    const label = `${
      kind === "sysv-rt" ? "System V" : "POSIX"
    } 64-byte round trip, async${
      form === "into"
        ? " into a buffer"
        : form === "buffer"
        ? ", MessageBuffer"
        : ""
    } (ns)`;
    const runs = rt.get(`${kind}${form}`)!;
    const ours = median(runs);
    if (!form) {
      rows.push([
        label,
        `C ${median(c[kind]).toFixed(0)}`,
        ours.toFixed(0),
        (median(c[kind]) / ours).toFixed(3),
        paired(c[kind], runs).toFixed(3),
        "(vs C, which sleeps in the call)",
      ]);
    }
    rows.push([
      label,
      `socket ${median(socket).toFixed(0)}`,
      ours.toFixed(0),
      (median(socket) / ours).toFixed(3),
      paired(socket, runs).toFixed(3),
      ">= 1.0 (no slower than our socket)",
    ]);
  }
});

printTable(
  ["benchmark", "baseline", "ours", "best/best", "paired", "target"],
  rows,
  [52, 14, 10, 9, 8, 36],
);
