/**
 * TLPI Listing 53-3 (psem_wait.c): take 1 from a named semaphore, waiting
 * (without blocking the event loop) while it is 0; `--timeout=MS` gives up
 * after that long.
 *
 * Run: deno run --allow-ffi --allow-read=/dev/shm --allow-write=/dev/shm examples/psem_wait.ts [--timeout=MS] NAME
 *      (or: deno task psem_wait NAME)
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  FFI,
  number,
  requirePermissions,
  SHM_READ,
  SHM_WRITE,
} from "./_permissions.ts";
import { PosixSemaphore } from "../mod.ts";
import { orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/psem_wait.ts",
  [FFI, SHM_READ, SHM_WRITE],
  "[--timeout=MS] NAME",
  "psem_wait",
);
const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { timeout: { type: "string" } },
});
if (positionals.length !== 1) {
  console.error("Usage: psem_wait [--timeout=MS] NAME");
  Deno.exit(2);
}
await orExit("psem_wait", async () => {
  using sem = PosixSemaphore.open(positionals[0]);
  await sem.wait(
    values.timeout === undefined
      ? {}
      : { timeout: number(values.timeout, "--timeout") },
  );
  console.log(`${Deno.pid} sem_wait() succeeded`);
});
