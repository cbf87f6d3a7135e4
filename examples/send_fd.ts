/**
 * The Linux Voice unix_send_fd: open FILE, connect to the Unix socket at
 * PATH, and send the open descriptor (SCM_RIGHTS). The receiver reads the
 * file through it without ever opening FILE itself.
 *
 * Run: deno run --allow-ffi --allow-read --allow-write examples/send_fd.ts PATH FILE
 *      (or: deno task send_fd PATH FILE)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import {
  AF_UNIX,
  close,
  connect,
  O_RDONLY,
  open,
  sendmsg,
  SOCK_STREAM,
  socket,
} from "../mod.ts";

const [path, file] = Deno.args;
requirePermissions(
  "examples/send_fd.ts",
  [
    FFI,
    { descriptor: { name: "read" }, flag: "--allow-read" },
    { descriptor: { name: "write", path }, flag: "--allow-write" },
  ],
  "PATH FILE",
  "send_fd",
);
if (path === undefined || file === undefined) {
  console.error("Usage: deno task send_fd PATH FILE");
  Deno.exit(1);
}

const fileFd = open(file, O_RDONLY);
const socketFd = socket(AF_UNIX, SOCK_STREAM);
try {
  connect(socketFd, { family: "unix", path });
  sendmsg(socketFd, {
    data: new TextEncoder().encode(file),
    control: [{ type: "rights", fds: [fileFd] }],
  });
  console.log(
    `send_fd: sent the descriptor of ${file} (fd ${fileFd}) to ${path}`,
  );
} finally {
  close(socketFd);
  close(fileFd); // the receiver has its own copy
}
