/**
 * TLPI Listing 54-2 (pshm_write.c): open an existing object, resize it to
 * the length of TEXT, map it and copy TEXT in.
 *
 * Run: deno run --allow-ffi --allow-read=/dev/shm --allow-write=/dev/shm examples/pshm_write.ts NAME TEXT
 *      (or: deno task pshm_write NAME TEXT)
 *
 * @module
 */

import {
  FFI,
  requirePermissions,
  SHM_READ,
  SHM_WRITE,
} from "./_permissions.ts";
import { PosixSharedMemory } from "../mod.ts";
import { orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pshm_write.ts",
  [FFI, SHM_READ, SHM_WRITE],
  "NAME TEXT",
  "pshm_write",
);
if (Deno.args.length !== 2) {
  console.error("Usage: pshm_write NAME TEXT");
  Deno.exit(2);
}
const [name, text] = Deno.args;
await orExit("pshm_write", () => {
  const bytes = new TextEncoder().encode(text);
  using shm = PosixSharedMemory.open(name);
  shm.truncate(bytes.length);
  if (bytes.length === 0) return;
  using map = shm.map();
  map.memory.bytes.set(bytes);
  console.log(`pshm_write: copied ${bytes.length} bytes into ${name}`);
});
