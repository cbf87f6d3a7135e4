/**
 * TLPI's svmsg_file_client: ask the file server (svmsg_file_server.ts, or
 * TLPI's C one) for PATHNAME, through a private queue of its own, and copy
 * what comes back to standard output. A failure the server reports goes to
 * standard error, with exit status 1.
 *
 * Run: deno run --allow-ffi examples/svmsg_file_client.ts [--key=K] PATHNAME
 *      (or: deno task svmsg_file_client ...)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import { MessageQueue } from "../mod.ts";
import {
  encodeRequest,
  keyOption,
  RESP_MSG_SIZE,
  RESP_MT_DATA,
  RESP_MT_FAILURE,
} from "./_svmsg_file.ts";

requirePermissions(
  "examples/svmsg_file_client.ts",
  [FFI],
  "[--key=K] PATHNAME",
  "svmsg_file_client",
);
const [key, rest] = keyOption(Deno.args);
if (rest.length !== 1) {
  console.error("Usage: svmsg_file_client [--key=K] PATHNAME");
  Deno.exit(2);
}
using server = MessageQueue.open(key);
using mine = MessageQueue.create({ mode: 0o622 }); // the server writes here
await server.send(1, encodeRequest(mine.id, rest[0]));
let bytes = 0, messages = 0;
for (;;) {
  const m = await mine.receive({ maxBytes: RESP_MSG_SIZE });
  if (m.type === RESP_MT_FAILURE) {
    console.error(new TextDecoder().decode(m.data));
    mine.remove();
    Deno.exit(1);
  }
  if (m.type !== RESP_MT_DATA) break; // RESP_MT_END
  // A write to a pipe may take part of the data: write it all.
  for (let at = 0; at < m.data.length;) {
    at += await Deno.stdout.write(m.data.subarray(at));
  }
  bytes += m.data.length;
  messages++;
}
console.error(`Received ${bytes} bytes (${messages} messages)`);
