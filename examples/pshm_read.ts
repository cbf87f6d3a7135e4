/**
 * TLPI Listing 54-3 (pshm_read.c): open an existing object read-only, map
 * it, and print its contents.
 *
 * Run: deno run --allow-ffi --allow-read=/dev/shm examples/pshm_read.ts NAME
 *      (or: deno task pshm_read NAME)
 *
 * @module
 */

import { FFI, requirePermissions, SHM_READ } from "./_permissions.ts";
import { PosixSharedMemory } from "../mod.ts";
import { orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pshm_read.ts",
  [FFI, SHM_READ],
  "NAME",
  "pshm_read",
);
if (Deno.args.length !== 1) {
  console.error("Usage: pshm_read NAME");
  Deno.exit(2);
}
await orExit("pshm_read", () => {
  using shm = PosixSharedMemory.open(Deno.args[0], { mode: "r" });
  if (shm.size === 0) return;
  using map = shm.map();
  console.log(new TextDecoder().decode(map.memory.read()));
});
