/**
 * TLPI Listing 54-4 (pshm_unlink.c): remove an object's name.
 *
 * Run: deno run --allow-ffi --allow-write=/dev/shm examples/pshm_unlink.ts NAME
 *      (or: deno task pshm_unlink NAME)
 *
 * @module
 */

import { FFI, requirePermissions, SHM_WRITE } from "./_permissions.ts";
import { shm_unlink } from "../mod.ts";
import { orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pshm_unlink.ts",
  [FFI, SHM_WRITE],
  "NAME",
  "pshm_unlink",
);
if (Deno.args.length !== 1) {
  console.error("Usage: pshm_unlink NAME");
  Deno.exit(2);
}
await orExit("pshm_unlink", () => shm_unlink(Deno.args[0]));
