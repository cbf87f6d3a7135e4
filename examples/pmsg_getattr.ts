/**
 * TLPI's pmsg_getattr: print the attributes of the POSIX queue NAME.
 *
 * Run: deno run --allow-ffi --allow-read=/dev/mqueue examples/pmsg_getattr.ts NAME   (or: deno task pmsg_getattr NAME)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import { mq_close, mq_getattr, mq_open, O_RDONLY } from "../mod.ts";
import { MQUEUE_READ, orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pmsg_getattr.ts",
  [FFI, MQUEUE_READ],
  "NAME",
  "pmsg_getattr",
);
if (Deno.args.length !== 1) {
  console.error("Usage: pmsg_getattr NAME");
  Deno.exit(2);
}
const attr = await orExit("pmsg_getattr", () => {
  const mq = mq_open(Deno.args[0], O_RDONLY);
  try {
    return mq_getattr(mq);
  } finally {
    mq_close(mq);
  }
});
console.log(`Maximum # of messages on queue:   ${attr.maxmsg}`);
console.log(`Maximum message size:             ${attr.msgsize}`);
console.log(`# of messages currently on queue: ${attr.curmsgs}`);
