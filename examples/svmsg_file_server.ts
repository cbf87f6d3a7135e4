/**
 * TLPI's svmsg_file_server: a file server over System V message queues. It
 * makes the queue of the well-known key (0x1aaaaaa1, or `--key=K`), and for
 * each request (a client's private queue id and a pathname) sends the
 * file's contents to the client's queue in chunks, then an end message; a
 * file it cannot read is answered with a failure message. Requests are
 * served concurrently. It removes its queue when interrupted, or after
 * `--requests=N` requests.
 *
 * Run: deno run --allow-ffi --allow-read examples/svmsg_file_server.ts [--key=K] [--requests=N]
 *      (or: deno task svmsg_file_server ...)
 *
 * @module
 */

import { FFI, integer, requirePermissions } from "./_permissions.ts";
import { IPC_PRIVATE, MessageQueue, msgsndAsync } from "../mod.ts";
import {
  decodeRequest,
  keyOption,
  REQ_MSG_SIZE,
  RESP_MSG_SIZE,
  RESP_MT_DATA,
  RESP_MT_END,
  RESP_MT_FAILURE,
} from "./_svmsg_file.ts";

requirePermissions(
  "examples/svmsg_file_server.ts",
  [FFI, { descriptor: { name: "read" }, flag: "--allow-read" }],
  "[--key=K] [--requests=N]",
  "svmsg_file_server",
);
const [key, rest] = keyOption(Deno.args);
const requests = rest.find((a) => a.startsWith("--requests="))?.slice(11);
const limit = requests === undefined
  ? Infinity
  : integer(requests, "--requests");
const server = MessageQueue.create({
  key: key === 0 ? IPC_PRIVATE : key,
  mode: 0o622, // clients may write requests
});
const stop = () => {
  server.remove();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
console.log(`serving on queue ${server.id} (key 0x${key.toString(16)})`);

async function serve(clientId: number, pathname: string): Promise<void> {
  const send = (type: number, data: Uint8Array | string) =>
    msgsndAsync(clientId, { mtype: type, mtext: data });
  let file: Uint8Array;
  try {
    file = await Deno.readFile(pathname);
  } catch (e) {
    await send(RESP_MT_FAILURE, `Couldn't open: ${(e as Error).message}`);
    return;
  }
  for (let at = 0; at < file.length; at += RESP_MSG_SIZE) {
    await send(RESP_MT_DATA, file.subarray(at, at + RESP_MSG_SIZE));
  }
  await send(RESP_MT_END, "");
}

const serving: Promise<void>[] = [];
for (let n = 0; n < limit; n++) {
  const m = await server.receive({ maxBytes: REQ_MSG_SIZE });
  const { clientId, pathname } = decodeRequest(m.data);
  // A client that went away leaves nothing to answer to.
  serving.push(serve(clientId, pathname).catch(() => {}));
}
await Promise.all(serving);
server.remove();
