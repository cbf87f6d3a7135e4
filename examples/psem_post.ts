/**
 * TLPI Listing 53-4 (psem_post.c): add 1 to a named semaphore.
 *
 * Run: deno run --allow-ffi --allow-read=/dev/shm --allow-write=/dev/shm examples/psem_post.ts NAME
 *      (or: deno task psem_post NAME)
 *
 * @module
 */

import {
  FFI,
  requirePermissions,
  SHM_READ,
  SHM_WRITE,
} from "./_permissions.ts";
import { PosixSemaphore } from "../mod.ts";
import { orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/psem_post.ts",
  [FFI, SHM_READ, SHM_WRITE],
  "NAME",
  "psem_post",
);
if (Deno.args.length !== 1) {
  console.error("Usage: psem_post NAME");
  Deno.exit(2);
}
await orExit("psem_post", () => {
  using sem = PosixSemaphore.open(Deno.args[0]);
  sem.post();
});
