/**
 * TLPI Listing 54-1 (pshm_create.c): make a POSIX shared memory object of
 * SIZE bytes (`shm_open` with `O_CREAT`, then `ftruncate`).
 *
 * Run: deno run --allow-ffi --allow-read=/dev/shm --allow-write=/dev/shm examples/pshm_create.ts [--excl] [--mode=0600] NAME SIZE
 *      (or: deno task pshm_create NAME SIZE)
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
import { close, ftruncate, O_CREAT, O_EXCL, O_RDWR, shm_open } from "../mod.ts";
import { orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pshm_create.ts",
  [FFI, SHM_READ, SHM_WRITE],
  "[--excl] [--mode=0600] NAME SIZE",
  "pshm_create",
);
const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    excl: { type: "boolean", default: false },
    mode: { type: "string", default: "0600" },
  },
});
if (positionals.length !== 2) {
  console.error("Usage: pshm_create [--excl] [--mode=0600] NAME SIZE");
  Deno.exit(2);
}
const [name, sizeText] = positionals;
const size = integer(sizeText, "SIZE", 0);
const mode = octal(values.mode, "--mode");
await orExit("pshm_create", () => {
  const fd = shm_open(
    name,
    O_RDWR | O_CREAT | (values.excl ? O_EXCL : 0),
    mode,
  );
  try {
    ftruncate(fd, size);
  } finally {
    close(fd);
  }
  console.log(`pshm_create: ${name} is ${size} bytes (/dev/shm${name})`);
});
