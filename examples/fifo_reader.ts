/**
 * FIFO reader: create the FIFO at PATH if it is missing, wait for a writer,
 * copy everything that arrives to standard output until end of file, and
 * remove the FIFO if this program created it. Pair it with fifo_writer.ts,
 * or with anything that writes to a path (`echo hi > PATH`).
 *
 * Run: deno run --allow-ffi --allow-read --allow-write examples/fifo_reader.ts PATH
 *      (or: deno task fifo_reader PATH)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import { IpcError, mkfifo, PipeEnd } from "../mod.ts";

const path = Deno.args[0];
requirePermissions(
  "examples/fifo_reader.ts",
  [
    FFI,
    { descriptor: { name: "read", path }, flag: "--allow-read" },
    { descriptor: { name: "write", path }, flag: "--allow-write" },
  ],
  "PATH",
  "fifo_reader",
);
if (path === undefined) {
  console.error("Usage: deno task fifo_reader PATH");
  Deno.exit(1);
}

let created = false;
try {
  mkfifo(path, 0o600);
  created = true;
} catch (e) {
  if (!(e instanceof IpcError && e.code === "EEXIST")) throw e;
  if (!(await Deno.lstat(path)).isFifo) {
    console.error(`${path} exists and is not a FIFO`);
    Deno.exit(1);
  }
}
try {
  console.error(`fifo_reader: waiting for a writer on ${path}`);
  const fifo = await PipeEnd.openFifo(path, "r");
  // Copy to stdout until the last writer closes (end of file).
  await fifo.readable.pipeTo(Deno.stdout.writable, { preventClose: true });
} finally {
  if (created) await Deno.remove(path);
}
