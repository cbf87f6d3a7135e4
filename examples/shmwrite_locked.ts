/**
 * The Linux Voice shmwrite with its read/write lock: a set of two semaphores
 * on the same key as the segment (`ftok("/etc/hostname", 903)`), number 0
 * counting readers and number 1 writers. The writer waits for zero readers
 * and counts itself in, in one atomic `semop`; it counts itself out when
 * done. `SEM_UNDO` on both, so a writer that dies leaves no count behind.
 *
 * Run: deno run --allow-ffi --allow-read=/etc/hostname examples/shmwrite_locked.ts TEXT
 *      (or: deno task shmwrite_locked TEXT)
 *
 * @module
 */

import {
  FFI,
  keyPath,
  readKeyFile,
  requirePermissions,
} from "./_permissions.ts";
import {
  ftok,
  IPC_CREAT,
  SEM_UNDO,
  semget,
  semop,
  semopAsync,
  shmat,
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
  "examples/shmwrite_locked.ts",
  [
    FFI,
    readKeyFile(KEY.path),
  ],
  "TEXT",
  "shmwrite_locked",
);

if (KEY.args.length < 1) {
  console.error("Usage: deno task shmwrite_locked TEXT");
  Deno.exit(1);
}

const key = ftok(KEY.path, PROJ_ID);
const shmid = shmget(key, SEG_SIZE, IPC_CREAT | 0o666);
const semid = semget(key, 2, IPC_CREAT | 0o666);
const seg = shmat(shmid);

// wlock: wait until no reader holds the lock, and count this writer in.
await semopAsync(semid, [
  { num: READERS, op: 0 },
  { num: WRITERS, op: 1, flags: SEM_UNDO },
]);
const text = new TextEncoder().encode(KEY.args[0]).subarray(0, SEG_SIZE);
seg.bytes.fill(0);
seg.write(text);
// wunlock
semop(semid, [{ num: WRITERS, op: -1, flags: SEM_UNDO }]);
shmdt(seg);
