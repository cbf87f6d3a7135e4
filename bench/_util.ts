/**
 * Shared by the benchmark drivers (`run.ts`, `io.ts`, `socket.ts`): their
 * options, compiling and running the C baseline, medians, reading a stream
 * to its end, and the result table.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The repository root, ending in a slash. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

const dec = new TextDecoder();

/** `--runs N` (default 5) and `--quick` (a short run). */
export function benchOptions(): { runs: number; quick: boolean } {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "5" },
      quick: { type: "boolean", default: false },
    },
  });
  return { runs: Number(values.runs), quick: values.quick };
}

/** The median of some measurements. */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

/**
 * Makes a temporary directory, compiles `bench/c/<name>.c` into it with
 * `cc -O2`, runs `fn`, and removes the directory.
 *
 * @param name the C baseline's name
 * @param fn the benchmark, given the directory and the binary
 */
export async function withCBaseline(
  name: string,
  fn: (dir: string, binary: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-bench-" });
  try {
    const binary = `${dir}/${name}`;
    const cc = await new Deno.Command("cc", {
      args: ["-O2", "-o", binary, `${ROOT}bench/c/${name}.c`],
    }).output();
    if (cc.code !== 0) throw new Error(dec.decode(cc.stderr));
    await fn(dir, binary);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs a C baseline and returns what it printed, trimmed. */
export async function runC(binary: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(binary, { args }).output();
  if (out.code !== 0) throw new Error(dec.decode(out.stderr));
  return dec.decode(out.stdout).trim();
}

/** Reads a stream to its end; MB/s from the first chunk on. */
export async function drainStream(
  stream: ReadableStream<Uint8Array>,
): Promise<number> {
  let got = 0, t0 = 0;
  for await (const chunk of stream) {
    if (got === 0) t0 = performance.now();
    got += chunk.length;
  }
  return got / ((performance.now() - t0) / 1000) / 1e6;
}

/** Prints a table: the first column left-aligned, the others right-aligned. */
export function printTable(
  header: string[],
  rows: string[][],
  widths: number[],
): void {
  const line = (cells: string[]) =>
    cells.map((x, i) => i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))
      .join(" ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
