/**
 * TLPI's mq_notify_sig: print each message of the POSIX queue NAME as its
 * notice arrives (`mq_notify` with SIGUSR2, registered again after each),
 * draining the queue each time, since a notice comes only when a message
 * reaches an empty queue. `--count=N` stops after N messages. (TLPI uses
 * SIGUSR1, on which Deno starts its inspector: the library refuses it.)
 *
 * Run: deno run --allow-ffi --allow-read=/dev/mqueue examples/pmsg_notify.ts [--count=N] NAME
 *      (or: deno task pmsg_notify ...)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, integer, requirePermissions } from "./_permissions.ts";
import { IpcError, PosixMessageQueue } from "../mod.ts";
import { MQUEUE_READ, orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pmsg_notify.ts",
  [FFI, MQUEUE_READ],
  "[--count=N] NAME",
  "pmsg_notify",
);
const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { count: { type: "string" } },
});
if (positionals.length !== 1) {
  console.error("Usage: pmsg_notify [--count=N] NAME");
  Deno.exit(2);
}
const limit = values.count === undefined
  ? Infinity
  : integer(values.count, "--count");
const q = await orExit(
  "pmsg_notify",
  () => PosixMessageQueue.open(positionals[0], { mode: "r" }),
);
const stop = new AbortController();
let seen = 0;
console.log("waiting for notices (SIGUSR2)");
await orExit("pmsg_notify", async () => {
  for await (const _ of q.notifications({ signal: stop.signal })) {
    for (;;) {
      let m;
      try {
        m = q.receiveSync({ timeout: 0 });
      } catch (e) {
        if (e instanceof IpcError && e.code === "ETIMEDOUT") break; // drained
        throw e;
      }
      console.log(
        `notice: priority ${m.priority}: ${new TextDecoder().decode(m.data)}`,
      );
      if (++seen >= limit) stop.abort();
    }
  }
});
q.close();
