/**
 * ALP Listing 5.12 (socket-inet.c): resolve HOST, connect to PORT (80 by
 * default) over TCP, send `GET /`, and print what comes back.
 *
 * Run: deno run --allow-ffi --allow-net examples/socket_inet.ts HOST [PORT]
 *      (the library checks the address HOST resolves to: grant that, or
 *      all hosts, with --allow-net)
 *      (or: deno task socket_inet HOST [PORT])
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import {
  AF_UNSPEC,
  close,
  connectAsync,
  getaddrinfo,
  recvAsync,
  send,
  SOCK_STREAM,
  socket,
} from "../mod.ts";

const [host, port = "80"] = Deno.args;
if (host === undefined) {
  console.error("Usage: deno task socket_inet HOST [PORT]");
  Deno.exit(1);
}
requirePermissions(
  "examples/socket_inet.ts",
  [FFI, {
    descriptor: { name: "net", host: `${host}:${port}` },
    flag: "--allow-net",
  }],
  "HOST [PORT]",
  "socket_inet",
);

// Resolve the host name (the listing's gethostbyname).
const [address] = getaddrinfo(host, port, {
  family: AF_UNSPEC,
  socktype: SOCK_STREAM,
});
const socketFd = socket(address.family, SOCK_STREAM);
try {
  await connectAsync(socketFd, address.address, { timeout: 10_000 });
  send(socketFd, new TextEncoder().encode("GET /\n"));
  // Read from the server and print, until it closes the connection.
  const buffer = new Uint8Array(10000);
  for (;;) {
    const n = await recvAsync(socketFd, buffer, { timeout: 10_000 });
    if (n === 0) break;
    await Deno.stdout.write(buffer.subarray(0, n));
  }
} finally {
  close(socketFd);
}
