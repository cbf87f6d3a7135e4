/**
 * Sealed memfds, the producer: makes a memfd that allows sealing, writes
 * TEXT into it, seals it (`F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE`,
 * then `F_SEAL_SEAL` so no seal can be added or taken away), and sends it
 * over the Unix socket at PATH (`SCM_RIGHTS`) to `memfd_consumer`. With
 * `--unsealed` it sends the memfd without seals, which the consumer
 * refuses.
 *
 * Run: deno run --allow-ffi --allow-read=PATH --allow-write=PATH examples/memfd_producer.ts [--unsealed] PATH TEXT
 *      (or: deno task memfd_producer [--unsealed] PATH TEXT)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, requirePermissions } from "./_permissions.ts";
import {
  AF_UNIX,
  close,
  connect,
  F_ADD_SEALS,
  F_GET_SEALS,
  F_SEAL_GROW,
  F_SEAL_SEAL,
  F_SEAL_SHRINK,
  F_SEAL_WRITE,
  fcntl,
  ftruncate,
  memfd_create,
  MFD_ALLOW_SEALING,
  sealNames,
  sendmsg,
  SOCK_STREAM,
  socket,
  write,
} from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    help: { type: "boolean", short: "h" }, // printed by requirePermissions
    unsealed: { type: "boolean", default: false },
  },
  allowPositionals: true,
});
const [path, text] = positionals;
requirePermissions(
  "examples/memfd_producer.ts",
  [
    FFI,
    { descriptor: { name: "read", path }, flag: "--allow-read" },
    { descriptor: { name: "write", path }, flag: "--allow-write" },
  ],
  "[--unsealed] PATH TEXT",
  "memfd_producer",
);
if (path === undefined || text === undefined) {
  console.error("Usage: deno task memfd_producer [--unsealed] PATH TEXT");
  Deno.exit(1);
}

const bytes = new TextEncoder().encode(text);
const fd = memfd_create("memfd_producer", MFD_ALLOW_SEALING);
const sock = socket(AF_UNIX, SOCK_STREAM);
try {
  ftruncate(fd, bytes.length);
  write(fd, bytes);
  if (!values.unsealed) {
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL);
  }
  console.log(
    `memfd_producer: wrote ${bytes.length} bytes, seals ${
      sealNames(fcntl(fd, F_GET_SEALS))
    }`,
  );
  connect(sock, { family: "unix", path });
  sendmsg(sock, {
    data: new Uint8Array([1]),
    control: [{ type: "rights", fds: [fd] }],
  });
  console.log(`memfd_producer: sent fd ${fd} to ${path}`);
} finally {
  close(sock);
  close(fd); // the consumer has its own copy
}
