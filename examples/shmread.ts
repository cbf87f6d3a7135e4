/**
 * The Linux Voice shmread: attach the segment of key
 * `ftok("/etc/hostname", 903)` read-only and print the string it holds.
 * With `--remove`, remove the segment afterwards (what `ipcrm` would do).
 *
 * Run: deno run --allow-ffi --allow-read=/etc/hostname examples/shmread.ts [--remove]
 *      (or: deno task shmread [--remove])
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  FFI,
  keyPath,
  readKeyFile,
  requirePermissions,
} from "./_permissions.ts";
import {
  ftok,
  IPC_RMID,
  IpcError,
  SHM_RDONLY,
  shmat,
  shmctl,
  shmdt,
  shmget,
} from "../mod.ts";

const PROJ_ID = 903;
/** The key's file: `/etc/hostname`, or `--key-path=PATH`. */
const KEY = keyPath();
const SEG_SIZE = 4096;

requirePermissions(
  "examples/shmread.ts",
  [
    FFI,
    readKeyFile(KEY.path),
  ],
  "[--remove]",
  "shmread",
);

const { values } = parseArgs({
  args: KEY.args,
  options: { remove: { type: "boolean", default: false } },
});

const key = ftok(KEY.path, PROJ_ID);
let shmid: number;
try {
  shmid = shmget(key, SEG_SIZE, 0o600);
} catch (e) {
  if (e instanceof IpcError && e.code === "ENOENT") {
    console.error(
      "No segment yet: run shmwrite first (deno task shmwrite TEXT)",
    );
    Deno.exit(1);
  }
  throw e;
}
const seg = shmat(shmid, null, SHM_RDONLY);
console.log(seg.readCString());
shmdt(seg);
if (values.remove) shmctl(shmid, IPC_RMID);
