/**
 * The Linux Voice shmwrite: copy TEXT into the one-page segment of key
 * `ftok("/etc/hostname", 903)`, creating it world-readable and writable
 * (0666) if needed. The segment stays for shmread to find.
 *
 * Run: deno run --allow-ffi --allow-read=/etc/hostname examples/shmwrite.ts TEXT
 *      (or: deno task shmwrite TEXT)
 *
 * @module
 */

import {
  FFI,
  keyPath,
  readKeyFile,
  requirePermissions,
} from "./_permissions.ts";
import { ftok, IPC_CREAT, shmat, shmdt, shmget } from "../mod.ts";

const PROJ_ID = 903;
/** The key's file: `/etc/hostname`, or `--key-path=PATH`. */
const KEY = keyPath();
const SEG_SIZE = 4096;

requirePermissions(
  "examples/shmwrite.ts",
  [
    FFI,
    readKeyFile(KEY.path),
  ],
  "TEXT",
  "shmwrite",
);

if (KEY.args.length < 1) {
  console.error("Usage: deno task shmwrite TEXT");
  Deno.exit(1);
}

const key = ftok(KEY.path, PROJ_ID);
const shmid = shmget(key, SEG_SIZE, IPC_CREAT | 0o666);
const seg = shmat(shmid);
// strncpy(seg, argv[1], SEG_SIZE): copy at most a page, NUL-pad the rest.
const text = new TextEncoder().encode(KEY.args[0]).subarray(0, SEG_SIZE);
seg.bytes.fill(0);
seg.write(text);
shmdt(seg);
