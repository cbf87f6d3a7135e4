/**
 * TLPI's pmsg_unlink: remove the POSIX queue NAME.
 *
 * Run: deno run --allow-ffi --allow-write=/dev/mqueue examples/pmsg_unlink.ts NAME   (or: deno task pmsg_unlink NAME)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import { mq_unlink } from "../mod.ts";
import { MQUEUE_WRITE, orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pmsg_unlink.ts",
  [FFI, MQUEUE_WRITE],
  "NAME",
  "pmsg_unlink",
);
if (Deno.args.length !== 1) {
  console.error("Usage: pmsg_unlink NAME");
  Deno.exit(2);
}
await orExit("pmsg_unlink", () => mq_unlink(Deno.args[0]));
