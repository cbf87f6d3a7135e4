/**
 * The Linux Voice datagram receiver: bind a Unix datagram socket at NAME
 * (a path such as /tmp/coretech, or with --abstract the abstract name
 * @NAME, which leaves no file) and print each datagram on its own line.
 * With --count N it exits after N datagrams; a path it bound is removed.
 *
 * Run: deno run --allow-ffi --allow-read --allow-write examples/dgram_receiver.ts [--abstract] [--count N] NAME
 *      (or: deno task dgram_receiver [--abstract] NAME)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, integer, requirePermissions } from "./_permissions.ts";
import { removeOnInterrupt } from "./_socket_io.ts";
import {
  AF_UNIX,
  bind,
  close,
  recvfromAsync,
  SOCK_DGRAM,
  socket,
} from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    help: { type: "boolean", short: "h" }, // printed by requirePermissions
    abstract: { type: "boolean", default: false },
    count: { type: "string" },
  },
});
const name = positionals[0];
requirePermissions(
  "examples/dgram_receiver.ts",
  values.abstract ? [FFI] : [
    FFI,
    { descriptor: { name: "read", path: name }, flag: "--allow-read" },
    {
      descriptor: { name: "write", path: name },
      flag: "--allow-write",
    },
  ],
  "[--abstract] [--count N] NAME",
  "dgram_receiver",
);
if (name === undefined) {
  console.error(
    "Usage: deno task dgram_receiver [--abstract] [--count N] NAME",
  );
  Deno.exit(1);
}
const count = values.count === undefined
  ? Infinity
  : integer(values.count, "--count");

const fd = socket(AF_UNIX, SOCK_DGRAM);
bind(
  fd,
  values.abstract
    ? { family: "unix", abstract: name }
    : { family: "unix", path: name },
);
if (!values.abstract) removeOnInterrupt(name);
console.error(
  `dgram_receiver: listening on ${values.abstract ? "@" : ""}${name}`,
);
try {
  const buf = new Uint8Array(65536);
  for (let i = 0; i < count; i++) {
    const { n } = await recvfromAsync(fd, buf);
    console.log(new TextDecoder().decode(buf.subarray(0, n)));
  }
} finally {
  close(fd);
  if (!values.abstract) await Deno.remove(name);
}
