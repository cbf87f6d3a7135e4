/**
 * Sealed memfds, the consumer: waits on a Unix socket at PATH for one
 * memfd (`SCM_RIGHTS`), and maps it only if it is sealed against shrinking,
 * growing and writing (`F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE`): then
 * the producer can neither make this process fault by shrinking the file
 * under the mapping nor change the text while it is read. An unsealed memfd
 * is refused with a clear message (exit status 1).
 *
 * Run: deno run --allow-ffi --allow-read=PATH --allow-write=PATH examples/memfd_consumer.ts PATH
 *      (or: deno task memfd_consumer PATH), then memfd_producer in another terminal.
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
  F_GET_SEALS,
  F_SEAL_GROW,
  F_SEAL_SHRINK,
  F_SEAL_WRITE,
  fcntl,
  IpcError,
  listen,
  Mapping,
  recvmsgAsync,
  sealNames,
  SOCK_STREAM,
  socket,
} from "../mod.ts";

const path = Deno.args[0];
requirePermissions(
  "examples/memfd_consumer.ts",
  [
    FFI,
    { descriptor: { name: "read", path }, flag: "--allow-read" },
    { descriptor: { name: "write", path }, flag: "--allow-write" },
  ],
  "PATH",
  "memfd_consumer",
);
if (path === undefined) {
  console.error("Usage: deno task memfd_consumer PATH");
  Deno.exit(1);
}

const REQUIRED = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
const listener = socket(AF_UNIX, SOCK_STREAM);
bind(listener, { family: "unix", path });
removeOnInterrupt(path);
listen(listener, 1);
console.error(`memfd_consumer: waiting on ${path}`);
let status = 0;
try {
  const { fd: conn } = await acceptAsync(listener);
  try {
    const msg = await recvmsgAsync(conn, {
      data: new Uint8Array(16),
      maxFds: 1,
    });
    const rights = msg.control.find((m) => m.type === "rights");
    if (rights === undefined || rights.type !== "rights") {
      console.error("memfd_consumer: no descriptor arrived");
      Deno.exit(1);
    }
    const [fd] = rights.fds;
    try {
      console.log(
        `memfd_consumer: got fd ${fd}, sealed with ${
          sealNames(fcntl(fd, F_GET_SEALS))
        }`,
      );
      using map = Mapping.fromSealedFd(fd, { seals: REQUIRED });
      const text = new TextDecoder().decode(map.memory.read());
      console.log(
        `memfd_consumer: mapped ${map.memory.byteLength} bytes read-only: "${text}"`,
      );
    } catch (e) {
      if (!(e instanceof IpcError) || e.code !== "EPERM") throw e;
      console.log(`memfd_consumer: refused it: ${e.message}`);
      status = 1;
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
Deno.exit(status);
