/**
 * TLPI Listing 55-1 (t_flock.c): lock FILE shared (`s`) or exclusive
 * (`x`) with `flock`, hold it SECONDS (default 10), and release it; with
 * `--nb` fail at once instead of waiting. Run two at once to watch one wait
 * for the other (or try `flock(1)` beside it). The wait does not block the
 * event loop: a ticker shows it.
 *
 * Run: deno run --allow-ffi --allow-read=FILE --allow-write=FILE examples/t_flock.ts [--nb] FILE s|x [SECONDS]
 *      (or: deno task t_flock FILE s|x [SECONDS])
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  FFI,
  number,
  requirePermissions,
  TIMER_MAX_MS,
} from "./_permissions.ts";
import {
  close,
  flock,
  IpcError,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  lockFile,
  O_RDONLY,
  open,
} from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    help: { type: "boolean", short: "h" }, // printed by requirePermissions
    nb: { type: "boolean", default: false },
  },
});
const [file, kind, seconds = "10"] = positionals;
requirePermissions(
  "examples/t_flock.ts",
  [
    FFI,
    { descriptor: { name: "read", path: file }, flag: "--allow-read" },
  ],
  "[--nb] FILE s|x [SECONDS]",
  "t_flock",
);
if (file === undefined || (kind !== "s" && kind !== "x")) {
  console.error("Usage: t_flock [--nb] FILE s|x [SECONDS]");
  Deno.exit(2);
}
const hold = number(seconds, "SECONDS", TIMER_MAX_MS / 1000);
const mode = kind === "s" ? "shared" : "exclusive";
const article = kind === "s" ? "a shared" : "an exclusive";
const stamp = () => new Date().toISOString().slice(11, 23);
const fd = open(file, O_RDONLY);
try {
  console.log(`${stamp()} ${Deno.pid}: requesting ${article} lock`);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 100);
  try {
    if (values.nb) {
      flock(fd, (kind === "s" ? LOCK_SH : LOCK_EX) | LOCK_NB);
    } else {
      await lockFile(fd, { mode });
    }
  } catch (e) {
    if (e instanceof IpcError && e.code === "EAGAIN") {
      console.log(`${stamp()} ${Deno.pid}: already locked, bye`);
      Deno.exit(1);
    }
    throw e;
  } finally {
    clearInterval(ticker);
  }
  console.log(
    `${stamp()} ${Deno.pid}: granted ${article} lock (the event loop ticked ${ticks} times while waiting)`,
  );
  await new Promise((r) => setTimeout(r, hold * 1000));
  console.log(`${stamp()} ${Deno.pid}: releasing the lock`);
} finally {
  close(fd); // closing the last descriptor releases a flock lock
}
