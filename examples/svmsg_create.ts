/**
 * TLPI's svmsg_create: make a System V message queue and print its id.
 * `--private` (the default) makes one only its id names; `--key=K` (hex
 * with 0x) or `--path=FILE` (the key `ftok(FILE, 1)`) gives it a key;
 * `--excl` fails if the key has a queue; `--mode=0600` sets its permissions.
 *
 * Run: deno run --allow-ffi examples/svmsg_create.ts [--key=K | --path=FILE] [--excl] [--mode=0600]
 *      (or: deno task svmsg_create ...; --path needs --allow-read)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FFI, integer, octal, requirePermissions } from "./_permissions.ts";
import { ftok, IPC_CREAT, IPC_EXCL, IPC_PRIVATE, msgget } from "../mod.ts";

requirePermissions(
  "examples/svmsg_create.ts",
  [FFI],
  "[--key=K | --path=FILE] [--excl] [--mode=0600]",
  "svmsg_create",
);
const { values } = parseArgs({
  args: Deno.args,
  options: {
    key: { type: "string" },
    path: { type: "string" },
    private: { type: "boolean", default: false },
    excl: { type: "boolean", default: false },
    mode: { type: "string", default: "0600" },
  },
});
const key = values.path !== undefined
  ? ftok(values.path, 1)
  : values.key !== undefined
  ? integer(values.key, "--key")
  : IPC_PRIVATE;
const mode = octal(values.mode, "--mode");
const id = msgget(key, IPC_CREAT | (values.excl ? IPC_EXCL : 0) | mode);
console.log(id);
