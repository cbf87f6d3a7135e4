/**
 * ALP Listing 5.10 (socket-server.c): bind a local stream socket at PATH,
 * listen, and serve one client at a time. A client sends texts framed as a
 * native `int` length (counting a trailing NUL) and that many bytes; the
 * server prints each. A client that sends "quit" ends the server, which
 * closes and unlinks PATH.
 *
 * Run: deno run --allow-ffi --allow-read --allow-write examples/socket_server.ts PATH
 *      (or: deno task socket_server PATH)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import { readExact, removeOnInterrupt } from "./_socket_io.ts";
import {
  acceptAsync,
  AF_UNIX,
  bind,
  close,
  listen,
  SOCK_STREAM,
  socket,
} from "../mod.ts";

const path = Deno.args[0];
requirePermissions(
  "examples/socket_server.ts",
  [
    FFI,
    { descriptor: { name: "read", path }, flag: "--allow-read" },
    { descriptor: { name: "write", path }, flag: "--allow-write" },
  ],
  "PATH",
  "socket_server",
);
if (path === undefined) {
  console.error("Usage: deno task socket_server PATH");
  Deno.exit(1);
}

/** Reads texts from the client until it closes; true if it said "quit". */
async function server(clientSocket: number): Promise<boolean> {
  for (;;) {
    // First, the length of the text message (a native int).
    const header = await readExact(clientSocket, 4);
    if (header === null) return false; // the client closed the connection
    const length = new DataView(header.buffer).getInt32(0, true);
    const text = await readExact(clientSocket, length);
    if (text === null) return false;
    const message = new TextDecoder().decode(
      text.subarray(0, text.indexOf(0) >= 0 ? text.indexOf(0) : length),
    );
    console.log(message);
    if (message === "quit") return true;
  }
}

const socketFd = socket(AF_UNIX, SOCK_STREAM);
bind(socketFd, { family: "unix", path });
removeOnInterrupt(path);
listen(socketFd, 5);
try {
  let quit = false;
  while (!quit) {
    const { fd: clientSocket } = await acceptAsync(socketFd);
    try {
      quit = await server(clientSocket);
    } finally {
      close(clientSocket);
    }
  }
} finally {
  close(socketFd);
  await Deno.remove(path);
}
