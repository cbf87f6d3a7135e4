/**
 * TLPI's svmsg_receive: take one message from the queue ID and print its
 * type and text. `--type=N` chooses by type (N > 0: that type; N < 0: the
 * lowest type up to |N|), `--except` takes any type but N, `--noerror`
 * cuts a message longer than `--max` (default 8192) instead of failing,
 * `--nowait` fails at once (ENOMSG) when none is there.
 *
 * Run: deno run --allow-ffi examples/svmsg_receive.ts [--type=N] [--except] [--noerror] [--nowait] [--max=N] ID
 *      (or: deno task svmsg_receive ...)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, integer, requirePermissions } from "./_permissions.ts";
import { IpcError, MessageQueue } from "../mod.ts";

requirePermissions(
  "examples/svmsg_receive.ts",
  [FFI],
  "[--type=N] [--except] [--noerror] [--nowait] [--max=N] ID",
  "svmsg_receive",
);
const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    type: { type: "string", default: "0" },
    except: { type: "boolean", default: false },
    noerror: { type: "boolean", default: false },
    nowait: { type: "boolean", default: false },
    max: { type: "string", default: "8192" },
  },
});
if (positionals.length !== 1) {
  console.error("Usage: svmsg_receive [options] ID");
  Deno.exit(2);
}
const id = integer(positionals[0], "ID");
const type = integer(values.type, "--type");
const maxBytes = integer(values.max, "--max", 0);
let m;
try {
  const queue = MessageQueue.fromId(id);
  m = await queue.receive({
    type,
    except: values.except,
    noError: values.noerror,
    nowait: values.nowait,
    maxBytes,
  });
} catch (e) {
  if (!(e instanceof IpcError)) throw e;
  console.error(`svmsg_receive: ${e.message}`);
  Deno.exit(1);
}
console.log(
  `received: type=${m.type}; length=${m.data.length}; body=${
    new TextDecoder().decode(m.data)
  }`,
);
