/**
 * TLPI's pmsg_create: make (or open) the POSIX message queue NAME. `--excl`
 * fails if it exists; `--maxmsg=N` and `--msgsize=N` set its attributes;
 * `--mode=0600` its permissions.
 *
 * Run: deno run --allow-ffi --allow-read=/dev/mqueue --allow-write=/dev/mqueue examples/pmsg_create.ts [--excl] [--maxmsg=N] [--msgsize=N] [--mode=0600] NAME
 *      (or: deno task pmsg_create ...)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, integer, octal, requirePermissions } from "./_permissions.ts";
import { mq_close, mq_open, O_CREAT, O_EXCL, O_RDWR } from "../mod.ts";
import { MQUEUE_READ, MQUEUE_WRITE, orExit } from "./_pmsg.ts";

requirePermissions(
  "examples/pmsg_create.ts",
  [FFI, MQUEUE_READ, MQUEUE_WRITE],
  "[--excl] [--maxmsg=N] [--msgsize=N] [--mode=0600] NAME",
  "pmsg_create",
);
const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    excl: { type: "boolean", default: false },
    maxmsg: { type: "string" },
    msgsize: { type: "string" },
    mode: { type: "string", default: "0600" },
  },
});
if (positionals.length !== 1) {
  console.error("Usage: pmsg_create [options] NAME");
  Deno.exit(2);
}
const attr = values.maxmsg !== undefined || values.msgsize !== undefined
  ? {
    maxmsg: integer(values.maxmsg ?? "10", "--maxmsg"),
    msgsize: integer(values.msgsize ?? "8192", "--msgsize"),
  }
  : undefined;
orExit("pmsg_create", () =>
  mq_close(
    mq_open(
      positionals[0],
      O_RDWR | O_CREAT | (values.excl ? O_EXCL : 0),
      octal(values.mode, "--mode"),
      attr,
    ),
  ));
