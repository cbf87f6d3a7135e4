/**
 * TLPI Listing 53-5 (psem_getvalue.c): print a named semaphore's value.
 *
 * Run: deno run --allow-ffi --allow-read=/dev/shm --allow-write=/dev/shm examples/psem_getvalue.ts NAME
 *      (or: deno task psem_getvalue NAME)
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
  "examples/psem_getvalue.ts",
  [FFI, SHM_READ, SHM_WRITE],
  "NAME",
  "psem_getvalue",
);
if (Deno.args.length !== 1) {
  console.error("Usage: psem_getvalue NAME");
  Deno.exit(2);
}
await orExit("psem_getvalue", () => {
  using sem = PosixSemaphore.open(Deno.args[0]);
  console.log(sem.value);
});
