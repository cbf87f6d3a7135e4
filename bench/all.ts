/**
 * `deno task bench:all`: every facility side by side (TLPI exercises
 * 43-1/43-2), the library against C with one protocol (the child sends, the
 * parent receives; see `bench/c/all_bench.c` and `bench/all_peer.ts`):
 *
 * - one-way bandwidth at 64 B, 1 KiB, 4 KiB, 64 KiB and 1 MiB blocks, where
 *   the facility takes them (datagrams up to 64 KiB, message queues up to
 *   4 KiB);
 * - the round trip of 64 bytes.
 *
 * It shows a progress bar, prints a table, and writes an SVG plot
 * (bandwidth against block size, log scales, a line per facility, C dashed
 * beside the library) and the figures as JSON, with the machine's details.
 *
 * The parent runs on CPU 0 and the child on CPU 1, for C and the library
 * alike (`--no-pin` leaves placement to the kernel).
 *
 * Options: `--quick` (fewer blocks, one run), `--runs N` (default 3: each
 * figure is the median of N alternating runs), `--out FILE.svg` (default
 * `bench-all.svg`; the JSON goes beside it), `--from FILE.json` (draw the
 * table and plot of a recorded run again, measuring nothing).
 *
 * The plot is drawn with Vega-Lite from npm, in the benchmark only: the
 * library itself has no dependencies.
 *
 * @module
 */

import { parseArgs } from "node:util";
import * as vega from "vega";
import { compile } from "vega-lite";
import {
  median,
  printTable,
  ROOT,
  runC,
  runDeno,
  usePinning,
  withCBaseline,
} from "./_util.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    runs: { type: "string" },
    out: { type: "string", default: "bench-all.svg" },
    "no-pin": { type: "boolean", default: false },
    from: { type: "string" },
  },
});
// As the other benchmarks: the parent on CPU 0 and the child on CPU 1, for
// C and the library alike, so that neither gets both on one CPU by chance.
const pin = usePinning(!values["no-pin"]);
const quick = values.quick;
const runs = Number(values.runs ?? (quick ? 1 : 3));
const out = values.out;

/** Facilities, with a label and the largest block each takes. */
const FACILITIES: [string, string, number][] = [
  ["pipe", "pipe", Infinity],
  ["fifo", "FIFO", Infinity],
  ["stream", "Unix stream", Infinity],
  ["dgram", "Unix datagram", 65536],
  ["seqpacket", "Unix seqpacket", 65536],
  ["sysvmsg", "System V messages", 4096],
  ["mq", "POSIX messages", 4096],
  ["sysvshm", "System V shm + semaphores", Infinity],
  ["pshm", "POSIX shm + semaphores", Infinity],
  ["filemap", "shared file mapping", Infinity],
  ["memfd", "memfd", Infinity],
  ["eventfd", "shared memory + eventfd", Infinity],
];
const SIZES = [64, 1024, 4096, 65536, 1048576];
const TOTAL = quick ? 8 << 20 : 64 << 20;
const ROUNDS = quick ? 2_000 : 20_000;

/** Blocks sent for a size: TOTAL bytes, within bounds. */
function blocks(size: number): number {
  return Math.max(
    quick ? 50 : 200,
    Math.min(quick ? 5_000 : 50_000, Math.floor(TOTAL / size)),
  );
}

const peer = `${ROOT}bench/all_peer.ts`;

interface Row {
  facility: string;
  label: string;
  kind: "bandwidth" | "round trip";
  size: number;
  c: number;
  deno: number;
}

/** One line of progress on a terminal, a line per step elsewhere. */
function progress(done: number, total: number, what: string): void {
  const tty = Deno.stderr.isTerminal();
  const width = 30, filled = Math.round(done / total * width);
  const bar = `[${"#".repeat(filled)}${
    " ".repeat(width - filled)
  }] ${done}/${total} ${what}`;
  const text = tty ? `\r\x1b[2K${bar}` : `${bar}\n`;
  Deno.stderr.writeSync(new TextEncoder().encode(text));
}

const jobs: {
  facility: string;
  label: string;
  kind: Row["kind"];
  size: number;
}[] = [];
for (const [facility, label, max] of FACILITIES) {
  for (const size of SIZES) {
    if (size <= max) jobs.push({ facility, label, kind: "bandwidth", size });
  }
  jobs.push({ facility, label, kind: "round trip", size: 64 });
}

const recorded = values.from === undefined
  ? undefined
  : JSON.parse(await Deno.readTextFile(values.from)) as {
    machine: string;
    rows: Row[];
  };
const rows: Row[] = recorded?.rows ?? [];
if (recorded === undefined) {
  await withCBaseline("all_bench", async (_dir, binary) => {
    let done = 0;
    for (const job of jobs) {
      progress(done, jobs.length, `${job.label}, ${job.kind}, ${job.size} B`);
      const args = job.kind === "bandwidth"
        ? [job.facility, "bw", String(job.size), String(blocks(job.size))]
        : [job.facility, "rt", String(job.size), String(ROUNDS)];
      const cs: number[] = [], ds: number[] = [];
      for (let r = 0; r < runs; r++) {
        cs.push(Number(await runC(binary, args)));
        ds.push(await runDeno(peer, args));
      }
      rows.push({ ...job, c: median(cs), deno: median(ds) });
      done++;
    }
    progress(done, jobs.length, "done");
    if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(new Uint8Array([10]));
  });
}

const human = (n: number) =>
  n >= 1 << 20 ? `${n >> 20} MiB` : n >= 1024 ? `${n >> 10} KiB` : `${n} B`;
const f = (x: number, d = 0) => x.toFixed(d);
console.log(
  "One-way bandwidth (MB/s) and 64-byte round trip (µs), C and this library, same run",
);
printTable(
  ["facility", "block", "C", "ours", "ours / C"],
  rows.map((r) => [
    r.label,
    r.kind === "bandwidth" ? human(r.size) : "round trip",
    f(r.c, r.kind === "bandwidth" ? 0 : 1),
    f(r.deno, r.kind === "bandwidth" ? 0 : 1),
    // For a time, lower is better: the ratio is C's over ours.
    (r.kind === "bandwidth" ? r.deno / r.c : r.c / r.deno).toFixed(2),
  ]),
  [26, 11, 8, 8, 9],
);

// The machine, for the plot's subtitle and the JSON.
let cpu = "unknown CPU";
try {
  const info = await Deno.readTextFile("/proc/cpuinfo");
  cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpu;
} catch {
  // Not readable here.
}
const machine =
  `${cpu}, ${navigator.hardwareConcurrency} CPUs, Linux ${Deno.osRelease()}, Deno ${Deno.version.deno}, ${
    new Date().toISOString().slice(0, 10)
  }${quick ? ", --quick" : ""}${
    pin ? ", parent and child on CPUs 0 and 1" : ""
  }`;

const points = rows.filter((r) => r.kind === "bandwidth").flatMap((r) => [
  { facility: r.label, size: r.size, mbps: r.c, side: "C" },
  { facility: r.label, size: r.size, mbps: r.deno, side: "this library" },
]);
// (`encode` on a legend is Vega's, passed through; Vega-Lite's types lack it.)
const spec = compile(
  ({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: "One-way bandwidth by block size: C (dashed) and this library",
      subtitle: machine,
    },
    width: 640,
    height: 420,
    data: { values: points },
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "size",
        type: "quantitative",
        scale: { type: "log", base: 2 },
        axis: { values: SIZES, title: "block size (bytes)" },
      },
      y: {
        field: "mbps",
        type: "quantitative",
        scale: { type: "log" },
        title: "MB/s",
      },
      color: {
        field: "facility",
        type: "nominal",
        title: "facility",
        scale: { scheme: "tableau20" },
        legend: { labelLimit: 300 },
      },
      strokeDash: {
        field: "side",
        type: "nominal",
        scale: { domain: ["this library", "C"], range: [[1, 0], [4, 3]] },
        title: "",
        legend: {
          symbolType: "stroke",
          symbolStrokeWidth: 2,
          encode: { symbols: { update: { stroke: { value: "black" } } } },
        },
      },
      detail: { field: "side" },
    },
  } as unknown) as Parameters<typeof compile>[0],
).spec;
const view = new vega.View(vega.parse(spec), { renderer: "none" });
const svg = await view.toSVG();
await Deno.writeTextFile(out, svg);
const json = out.replace(/\.svg$/, "") + ".json";
if (recorded === undefined) {
  await Deno.writeTextFile(
    json,
    JSON.stringify({ machine, quick, runs, rows }, null, 2) + "\n",
  );
}
console.log(`\nPlot: ${out}; figures: ${json}`);
