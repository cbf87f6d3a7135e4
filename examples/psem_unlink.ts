/**
 * TLPI Listing 53-2 (psem_unlink.c): remove a named semaphore's name.
 *
 * Run: deno run --allow-ffi --allow-write=/dev/shm examples/psem_unlink.ts NAME
 *      (or: deno task psem_unlink NAME)
 *
 * @module
 */

import { FFI, requirePermissions, SHM_WRITE } from "./_permissions.ts";
import { sem_unlink } from "../mod.ts";
import { orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/psem_unlink.ts",
  [FFI, SHM_WRITE],
  "NAME",
  "psem_unlink",
);
if (Deno.args.length !== 1) {
  console.error("Usage: psem_unlink NAME");
  Deno.exit(2);
}
await orExit("psem_unlink", () => sem_unlink(Deno.args[0]));
