/**
 * FIFO writer: wait for a reader on the FIFO at PATH, then copy standard
 * input into it; closing it gives the reader end of file.
 *
 * Run: echo hello | deno run --allow-ffi --allow-read --allow-write examples/fifo_writer.ts PATH
 *      (or: echo hello | deno task fifo_writer PATH)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import { PipeEnd } from "../mod.ts";

const path = Deno.args[0];
requirePermissions(
  "examples/fifo_writer.ts",
  [
    FFI,
    { descriptor: { name: "read", path }, flag: "--allow-read" },
    { descriptor: { name: "write", path }, flag: "--allow-write" },
  ],
  "PATH",
  "fifo_writer",
);
if (path === undefined) {
  console.error("Usage: deno task fifo_writer PATH < input");
  Deno.exit(1);
}

const fifo = await PipeEnd.openFifo(path, "w");
await Deno.stdin.readable.pipeTo(fifo.writable);
