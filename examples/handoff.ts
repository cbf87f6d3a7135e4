/**
 * Connection hand-off, as Postfix's postscreen hands connections to smtpd
 * (Linux Voice): a front process accepts TCP connections on 127.0.0.1 and
 * passes each connected socket (SCM_RIGHTS) to a worker process, which
 * answers the client itself; the front never reads a byte. The example
 * plays the clients too, with Deno.connect.
 *
 * Run: deno run --allow-ffi --allow-run --allow-env --allow-net examples/handoff.ts [--clients N]
 *      (or: deno task handoff)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ENV, FFI, integer, requirePermissions, RUN } from "./_permissions.ts";
import {
  acceptAsync,
  AF_INET,
  bind,
  close,
  getsockname,
  listen,
  recvAsync,
  sendAsync,
  SOCK_STREAM,
  socket,
  spawnWithFds,
  UnixConnection,
} from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    help: { type: "boolean", short: "h" }, // printed by requirePermissions
    worker: { type: "boolean", default: false },
    clients: { type: "string", default: "3" },
  },
});
const enc = new TextEncoder(), dec = new TextDecoder();

if (values.worker) {
  // The worker: take connections from the front over fd 3 and serve them.
  using front = UnixConnection.fromFd(3);
  for (;;) {
    const { fds } = await front.recvFds().catch(() => ({
      fds: [] as number[],
    }));
    if (fds.length === 0) break; // the front closed its end
    const [conn] = fds;
    const buf = new Uint8Array(1024);
    const n = await recvAsync(conn, buf);
    const request = dec.decode(buf.subarray(0, n)).trim();
    console.log(
      `  worker (pid ${Deno.pid}): got a connection, the client says "${request}"`,
    );
    await sendAsync(
      conn,
      enc.encode(`answered by the worker, pid ${Deno.pid}\n`),
    );
    close(conn);
  }
  Deno.exit(0);
}

requirePermissions(
  "examples/handoff.ts",
  [FFI, RUN, ENV, {
    descriptor: { name: "net" },
    flag: "--allow-net",
  }],
  "[--clients N]",
  "handoff",
);
const clients = integer(values.clients, "--clients");

// The front: a TCP listener, and a worker connected by a socket pair.
const listener = socket(AF_INET, SOCK_STREAM);
bind(listener, { family: "inet", address: "127.0.0.1", port: 0 });
listen(listener);
const addr = getsockname(listener);
const port = addr.family === "inet" ? addr.port : 0;
const [mine, theirs] = UnixConnection.pair();
const worker = spawnWithFds(Deno.execPath(), {
  args: ["run", "--allow-ffi", import.meta.filename ?? "", "--worker"],
  fds: { 3: theirs.fd },
});
theirs.close();
console.log(
  `  front  (pid ${Deno.pid}): listening on 127.0.0.1:${port}, worker is pid ${worker.pid}`,
);

for (let i = 1; i <= clients; i++) {
  const client = Deno.connect({ hostname: "127.0.0.1", port });
  const { fd } = await acceptAsync(listener);
  await mine.sendFds([fd]);
  close(fd); // the worker has its own copy now
  console.log(
    `  front: accepted client ${i} and passed its socket (fd ${fd}) to the worker`,
  );
  const conn = await client;
  await conn.write(enc.encode(`hello from client ${i}`));
  const buf = new Uint8Array(1024);
  const n = await conn.read(buf);
  console.log(`  client ${i}: ${dec.decode(buf.subarray(0, n ?? 0)).trim()}`);
  conn.close();
}
mine.close();
close(listener);
await worker.status;
