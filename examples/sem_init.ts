/**
 * ALP Listing 5.3 (sem_init.c): allocate a binary semaphore, initialise it
 * to 1 with `SETALL`, show its value, deallocate it.
 *
 * Run: deno run --allow-ffi examples/sem_init.ts   (or: deno task sem_init)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import {
  binarySemaphoreAllocation,
  binarySemaphoreDeallocate,
  binarySemaphoreInitialize,
  GETVAL,
  IPC_CREAT,
  IPC_PRIVATE,
  semctl,
} from "../mod.ts";

requirePermissions("examples/sem_init.ts", [FFI], "", "sem_init");

const semid = binarySemaphoreAllocation(IPC_PRIVATE, IPC_CREAT | 0o600);
console.log(`allocated semid ${semid}: value ${semctl(semid, 0, GETVAL)}`);
binarySemaphoreInitialize(semid);
console.log(`initialized with SETALL: value ${semctl(semid, 0, GETVAL)}`);
binarySemaphoreDeallocate(semid);
console.log(`deallocated semid ${semid}`);
