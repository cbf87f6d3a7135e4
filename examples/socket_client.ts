/**
 * ALP Listing 5.11 (socket-client.c): connect to the local socket at PATH
 * and send TEXT, framed as a native `int` length counting a trailing NUL,
 * then the text and the NUL.
 *
 * Run: deno run --allow-ffi --allow-read --allow-write examples/socket_client.ts PATH TEXT
 *      (or: deno task socket_client PATH TEXT)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import { AF_UNIX, close, connect, send, SOCK_STREAM, socket } from "../mod.ts";

const [path, text] = Deno.args;
requirePermissions(
  "examples/socket_client.ts",
  [
    FFI,
    { descriptor: { name: "read", path }, flag: "--allow-read" },
    { descriptor: { name: "write", path }, flag: "--allow-write" },
  ],
  "PATH TEXT",
  "socket_client",
);
if (path === undefined || text === undefined) {
  console.error("Usage: deno task socket_client PATH TEXT");
  Deno.exit(1);
}

const socketFd = socket(AF_UNIX, SOCK_STREAM);
try {
  connect(socketFd, { family: "unix", path });
  // Write the text to the socket: its length including the NUL, then it.
  const bytes = new TextEncoder().encode(`${text}\0`);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setInt32(0, bytes.length, true);
  for (const part of [length, bytes]) {
    for (let sent = 0; sent < part.length;) {
      sent += send(socketFd, part.subarray(sent));
    }
  }
} finally {
  close(socketFd);
}
