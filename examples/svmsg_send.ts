/**
 * TLPI's svmsg_send: send TEXT as one message of TYPE to the queue ID.
 * `--nowait` fails at once (EAGAIN) instead of waiting when the queue is
 * full.
 *
 * Run: deno run --allow-ffi examples/svmsg_send.ts [--nowait] ID TYPE TEXT   (or: deno task svmsg_send ...)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, integer, requirePermissions } from "./_permissions.ts";
import { IPC_NOWAIT, IpcError, msgsndAsync } from "../mod.ts";

requirePermissions(
  "examples/svmsg_send.ts",
  [FFI],
  "[--nowait] ID TYPE TEXT",
  "svmsg_send",
);
const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { nowait: { type: "boolean", default: false } },
});
if (positionals.length < 3) {
  console.error("Usage: svmsg_send [--nowait] ID TYPE TEXT");
  Deno.exit(2);
}
const [id, type, ...words] = positionals;
try {
  await msgsndAsync(
    integer(id, "ID"),
    { mtype: integer(type, "TYPE"), mtext: words.join(" ") },
    values.nowait ? IPC_NOWAIT : 0,
  );
} catch (e) {
  if (!(e instanceof IpcError)) throw e;
  console.error(`svmsg_send: ${e.message}`);
  Deno.exit(1);
}
