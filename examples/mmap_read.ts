/**
 * ALP Listing 5.6 (mmap-read): map FILE shared, read the integer that
 * mmap_write put there, print `value: N`, write 2N and a newline back, unmap.
 * Running write, read, read prints N, then 2N; `cat FILE` shows the double.
 *
 * Run: deno run --allow-ffi --allow-read --allow-write examples/mmap_read.ts FILE
 *      (or: deno task mmap_read FILE)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import {
  close,
  MAP_SHARED,
  mmap,
  munmap,
  O_RDWR,
  open,
  PROT_READ,
  PROT_WRITE,
} from "../mod.ts";

const FILE_LENGTH = 0x100;
const file = Deno.args[0];

requirePermissions(
  "examples/mmap_read.ts",
  [
    FFI,
    { descriptor: { name: "read", path: file }, flag: "--allow-read" },
    { descriptor: { name: "write", path: file }, flag: "--allow-write" },
  ],
  "FILE",
  "mmap_read",
);

if (file === undefined) {
  console.error("Usage: deno task mmap_read FILE");
  Deno.exit(1);
}

// Open the file.
const fd = open(file, O_RDWR, 0o600);
// Create the memory mapping.
const fileMemory = mmap(
  null,
  FILE_LENGTH,
  PROT_READ | PROT_WRITE,
  MAP_SHARED,
  fd,
  0,
);
close(fd);
// Read the integer, print it out, and double it.
const integer = parseInt(fileMemory.readCString(), 10);
if (Number.isNaN(integer)) {
  console.error(`${file} holds no integer: run mmap_write first`);
  munmap(fileMemory);
  Deno.exit(1);
}
console.log(`value: ${integer}`);
fileMemory.writeCString(`${2 * integer}\n`);
// Release the memory (unnecessary because the program exits).
munmap(fileMemory);
