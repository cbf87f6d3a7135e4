/**
 * TLPI's svmsg_rm: remove the queues with the given ids (`IPC_RMID`).
 *
 * Run: deno run --allow-ffi examples/svmsg_rm.ts ID...   (or: deno task svmsg_rm ID...)
 *
 * @module
 */

import { FFI, integer, requirePermissions } from "./_permissions.ts";
import { IPC_RMID, msgctl } from "../mod.ts";

requirePermissions("examples/svmsg_rm.ts", [FFI], "ID...", "svmsg_rm");
if (Deno.args.length === 0) {
  console.error("Usage: svmsg_rm ID...");
  Deno.exit(2);
}
for (const id of Deno.args) msgctl(integer(id, "ID"), IPC_RMID);
