/**
 * TLPI's pmsg_receive: take the highest-priority message from the POSIX
 * queue NAME and print its length, priority and text. `--nonblock` fails at
 * once (EAGAIN) when it is empty; otherwise it waits, keeping the event loop
 * free.
 *
 * Run: deno run --allow-ffi --allow-read=/dev/mqueue examples/pmsg_receive.ts [--nonblock] NAME
 *      (or: deno task pmsg_receive ...)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, requirePermissions } from "./_permissions.ts";
import {
  mq_close,
  mq_open,
  mq_receive,
  O_NONBLOCK,
  O_RDONLY,
  PosixMessageQueue,
} from "../mod.ts";
import { MQUEUE_READ, orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pmsg_receive.ts",
  [FFI, MQUEUE_READ],
  "[--nonblock] NAME",
  "pmsg_receive",
);
const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { nonblock: { type: "boolean", default: false } },
});
if (positionals.length !== 1) {
  console.error("Usage: pmsg_receive [--nonblock] NAME");
  Deno.exit(2);
}
const m = await orExit("pmsg_receive", async () => {
  if (values.nonblock) {
    // As in C: a non-blocking descriptor, and EAGAIN from an empty queue.
    const mq = mq_open(positionals[0], O_RDONLY | O_NONBLOCK);
    try {
      const got = mq_receive(mq);
      return { data: got.data, priority: got.prio };
    } finally {
      mq_close(mq);
    }
  }
  using q = PosixMessageQueue.open(positionals[0], { mode: "r" });
  return await q.receive();
});
console.log(
  `Read ${m.data.length} bytes; priority = ${m.priority}\n${
    new TextDecoder().decode(m.data)
  }`,
);
