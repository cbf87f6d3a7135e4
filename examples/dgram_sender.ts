/**
 * The Linux Voice datagram sender: send each TEXT as one datagram to the
 * Unix datagram socket at NAME (a path, or with --abstract the abstract
 * name @NAME).
 *
 * Run: deno run --allow-ffi --allow-read --allow-write examples/dgram_sender.ts [--abstract] NAME TEXT...
 *      (or: deno task dgram_sender [--abstract] NAME TEXT...)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, requirePermissions } from "./_permissions.ts";
import { AF_UNIX, close, sendto, SOCK_DGRAM, socket } from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    help: { type: "boolean", short: "h" }, // printed by requirePermissions
    abstract: { type: "boolean", default: false },
  },
});
const [name, ...texts] = positionals;
requirePermissions(
  "examples/dgram_sender.ts",
  values.abstract ? [FFI] : [
    FFI,
    { descriptor: { name: "read", path: name }, flag: "--allow-read" },
    {
      descriptor: { name: "write", path: name },
      flag: "--allow-write",
    },
  ],
  "[--abstract] NAME TEXT...",
  "dgram_sender",
);
if (name === undefined || texts.length === 0) {
  console.error("Usage: deno task dgram_sender [--abstract] NAME TEXT...");
  Deno.exit(1);
}

const fd = socket(AF_UNIX, SOCK_DGRAM);
try {
  const to = values.abstract
    ? { family: "unix" as const, abstract: name }
    : { family: "unix" as const, path: name };
  for (const text of texts) sendto(fd, new TextEncoder().encode(text), 0, to);
} finally {
  close(fd);
}
