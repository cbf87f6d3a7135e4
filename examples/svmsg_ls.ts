/**
 * TLPI's svmsg_ls: list every message queue of the machine, as `ipcs -q`
 * does: `MSG_INFO` gives the highest kernel index in use, and `MSG_STAT_ANY`
 * the queue at each index (whatever its mode).
 *
 * Run: deno run --allow-ffi examples/svmsg_ls.ts   (or: deno task svmsg_ls)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import { IpcError, MSG_INFO, MSG_STAT_ANY, msgctl } from "../mod.ts";

requirePermissions("examples/svmsg_ls.ts", [FFI], "", "svmsg_ls");
const { maxIndex } = msgctl(0, MSG_INFO);
console.log(`maxind: ${maxIndex}\n`);
console.log("index     id       key      mode  messages     bytes");
for (let index = 0; index <= maxIndex; index++) {
  let ds;
  try {
    ds = msgctl(index, MSG_STAT_ANY);
  } catch (e) {
    if (e instanceof IpcError && e.code === "EINVAL") continue; // no queue here
    throw e;
  }
  console.log(
    `${String(index).padStart(5)} ${String(ds.id).padStart(6)} 0x${
      (ds.perm.key >>> 0).toString(16).padStart(8, "0")
    } ${(ds.perm.mode & 0o777).toString(8).padStart(5)} ${
      String(ds.qnum).padStart(9)
    } ${String(ds.cbytes).padStart(9)}`,
  );
}
