/**
 * ALP Listing 5.2 (sem_all_deall.c): allocate a binary semaphore, show it as
 * `ipcs -s` would, and deallocate it.
 *
 * Run: deno run --allow-ffi examples/sem_all_deall.ts   (or: deno task sem_all_deall)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import {
  binarySemaphoreAllocation,
  binarySemaphoreDeallocate,
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_STAT,
  S_IRUSR,
  S_IWUSR,
  semctl,
} from "../mod.ts";

requirePermissions("examples/sem_all_deall.ts", [FFI], "", "sem_all_deall");

const semid = binarySemaphoreAllocation(
  IPC_PRIVATE,
  IPC_CREAT | S_IRUSR | S_IWUSR,
);
const stat = semctl(semid, 0, IPC_STAT);
console.log(`allocated binary semaphore: semid ${semid}`);
console.log(
  `  key 0x${(stat.perm.key >>> 0).toString(16).padStart(8, "0")}, perms ${
    (stat.perm.mode & 0o777).toString(8)
  }, nsems ${stat.nsems}`,
);
binarySemaphoreDeallocate(semid);
console.log(`deallocated semid ${semid}`);
