/**
 * The Linux Voice unix_recv_fd: listen on the Unix socket at PATH, accept
 * one connection, receive one descriptor (SCM_RIGHTS), print what it reads
 * from it, and remove PATH.
 *
 * Run: deno run --allow-ffi --allow-read --allow-write examples/recv_fd.ts PATH
 *      (or: deno task recv_fd PATH)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import { removeOnInterrupt } from "./_socket_io.ts";
import {
  acceptAsync,
  AF_UNIX,
  bind,
  close,
  listen,
  readAsync,
  recvmsgAsync,
  SOCK_STREAM,
  socket,
} from "../mod.ts";

const path = Deno.args[0];
requirePermissions(
  "examples/recv_fd.ts",
  [
    FFI,
    { descriptor: { name: "read", path }, flag: "--allow-read" },
    { descriptor: { name: "write", path }, flag: "--allow-write" },
  ],
  "PATH",
  "recv_fd",
);
if (path === undefined) {
  console.error("Usage: deno task recv_fd PATH");
  Deno.exit(1);
}

const listener = socket(AF_UNIX, SOCK_STREAM);
bind(listener, { family: "unix", path });
removeOnInterrupt(path);
listen(listener, 1);
console.error(`recv_fd: waiting on ${path}`);
try {
  const { fd: conn } = await acceptAsync(listener);
  try {
    const name = new Uint8Array(4096);
    const msg = await recvmsgAsync(conn, { data: name, maxFds: 1 });
    const rights = msg.control.find((m) => m.type === "rights");
    if (rights === undefined || rights.type !== "rights") {
      console.error("recv_fd: no descriptor arrived");
      Deno.exit(1);
    }
    const [fd] = rights.fds;
    console.error(
      `recv_fd: got fd ${fd} for ${
        new TextDecoder().decode(name.subarray(0, msg.n))
      }`,
    );
    try {
      const buf = new Uint8Array(65536);
      for (let n; (n = await readAsync(fd, buf)) > 0;) {
        await Deno.stdout.write(buf.subarray(0, n));
      }
    } finally {
      close(fd);
    }
  } finally {
    close(conn);
  }
} finally {
  close(listener);
  await Deno.remove(path);
}
