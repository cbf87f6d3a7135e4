/**
 * TLPI Listing 53-1 (psem_create.c): make a named semaphore with a value.
 *
 * Run: deno run --allow-ffi --allow-read=/dev/shm --allow-write=/dev/shm examples/psem_create.ts [--excl] [--mode=0600] NAME [VALUE]
 *      (or: deno task psem_create NAME [VALUE])
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  FFI,
  integer,
  octal,
  requirePermissions,
  SHM_READ,
  SHM_WRITE,
} from "./_permissions.ts";
import { O_CREAT, O_EXCL, sem_close, sem_open } from "../mod.ts";
import { orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/psem_create.ts",
  [FFI, SHM_READ, SHM_WRITE],
  "[--excl] [--mode=0600] NAME [VALUE]",
  "psem_create",
);
const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    excl: { type: "boolean", default: false },
    mode: { type: "string", default: "0600" },
  },
});
if (positionals.length < 1 || positionals.length > 2) {
  console.error("Usage: psem_create [--excl] [--mode=0600] NAME [VALUE]");
  Deno.exit(2);
}
const [name, value = "0"] = positionals;
await orExit("psem_create", () => {
  sem_close(
    sem_open(
      name,
      O_CREAT | (values.excl ? O_EXCL : 0),
      octal(values.mode, "--mode"),
      integer(value, "VALUE"),
    ),
  );
  console.log(`psem_create: ${name} (/dev/shm/sem.${name.slice(1)})`);
});
