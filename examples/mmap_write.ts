/**
 * ALP Listing 5.5 (mmap-write): create FILE (owner read and write) with a
 * length of 0x100 bytes, map it shared and writable, print a random integer
 * in [-100, 100] and a newline into the mapping as text, unmap.
 *
 * Run: deno run --allow-ffi --allow-read --allow-write examples/mmap_write.ts FILE
 *      (or: deno task mmap_write FILE)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import {
  close,
  ftruncate,
  MAP_SHARED,
  mmap,
  munmap,
  O_CREAT,
  O_RDWR,
  open,
  PROT_READ,
  PROT_WRITE,
  S_IRUSR,
  S_IWUSR,
} from "../mod.ts";

const FILE_LENGTH = 0x100;
const file = Deno.args[0];

requirePermissions(
  "examples/mmap_write.ts",
  [
    FFI,
    { descriptor: { name: "read", path: file }, flag: "--allow-read" },
    { descriptor: { name: "write", path: file }, flag: "--allow-write" },
  ],
  "FILE",
  "mmap_write",
);

if (file === undefined) {
  console.error("Usage: deno task mmap_write FILE");
  Deno.exit(1);
}

/** A random integer in [low, high], as the listing's random_range. */
function randomRange(low: number, high: number): number {
  return low + Math.floor(Math.random() * (high - low + 1));
}

// Prepare a file large enough to hold an unsigned integer.
const fd = open(file, O_RDWR | O_CREAT, S_IRUSR | S_IWUSR);
ftruncate(fd, FILE_LENGTH);
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
// Write a random integer to memory-mapped area.
const value = randomRange(-100, 100);
fileMemory.writeCString(`${value}\n`);
// Release the memory (unnecessary because the program exits).
munmap(fileMemory);
console.log(`wrote ${value} into ${file}`);
