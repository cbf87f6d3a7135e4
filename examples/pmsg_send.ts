/**
 * TLPI's pmsg_send: send TEXT to the POSIX queue NAME with priority PRIO
 * (default 0). `--nonblock` fails at once (EAGAIN) if the queue is full.
 *
 * Run: deno run --allow-ffi --allow-write=/dev/mqueue examples/pmsg_send.ts [--nonblock] NAME TEXT [PRIO]
 *      (or: deno task pmsg_send ...)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, integer, requirePermissions } from "./_permissions.ts";
import { mq_close, mq_open, mq_send, O_NONBLOCK, O_WRONLY } from "../mod.ts";
import { MQUEUE_WRITE, orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pmsg_send.ts",
  [FFI, MQUEUE_WRITE],
  "[--nonblock] NAME TEXT [PRIO]",
  "pmsg_send",
);
const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { nonblock: { type: "boolean", default: false } },
});
if (positionals.length < 2) {
  console.error("Usage: pmsg_send [--nonblock] NAME TEXT [PRIO]");
  Deno.exit(2);
}
const [name, text, prioText = "0"] = positionals;
const prio = integer(prioText, "PRIO", 0);
await orExit("pmsg_send", () => {
  const mq = mq_open(name, O_WRONLY | (values.nonblock ? O_NONBLOCK : 0));
  try {
    mq_send(mq, text, prio);
  } finally {
    mq_close(mq);
  }
});
