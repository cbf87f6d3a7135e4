/**
 * The Linux Voice shmread with its read/write lock (see shmwrite_locked.ts):
 * wait until no writer holds the lock and count this reader in, atomically;
 * print the string; count out. `--remove` removes the segment and the
 * semaphore set afterwards.
 *
 * Run: deno run --allow-ffi --allow-read=/etc/hostname examples/shmread_locked.ts [--remove]
 *      (or: deno task shmread_locked [--remove])
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
  IPC_CREAT,
  IPC_RMID,
  IpcError,
  SEM_UNDO,
  semctl,
  semget,
  semop,
  semopAsync,
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
const READERS = 0;
const WRITERS = 1;

requirePermissions(
  "examples/shmread_locked.ts",
  [
    FFI,
    readKeyFile(KEY.path),
  ],
  "[--remove]",
  "shmread_locked",
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
      "No segment yet: run shmwrite_locked first (deno task shmwrite_locked TEXT)",
    );
    Deno.exit(1);
  }
  throw e;
}
const semid = semget(key, 2, IPC_CREAT | 0o666);
const seg = shmat(shmid, null, SHM_RDONLY);

// rlock: wait until no writer holds the lock, and count this reader in.
await semopAsync(semid, [
  { num: WRITERS, op: 0 },
  { num: READERS, op: 1, flags: SEM_UNDO },
]);
console.log(seg.readCString());
// runlock
semop(semid, [{ num: READERS, op: -1, flags: SEM_UNDO }]);
shmdt(seg);
if (values.remove) {
  shmctl(shmid, IPC_RMID);
  semctl(semid, 0, IPC_RMID);
}
