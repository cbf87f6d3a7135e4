/**
 * ALP Listing 5.1 (shm.c): exercise shared memory. Allocate a 0x6400-byte
 * private segment, attach it, print its address and size, write a string,
 * detach, reattach at address 0x5000000, print the string, detach, remove.
 *
 * Run: deno run --allow-ffi examples/shm.ts   (or: deno task shm)
 *
 * @module
 */

import { FFI, requirePermissions } from "./_permissions.ts";
import {
  IPC_CREAT,
  IPC_EXCL,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_STAT,
  S_IRUSR,
  S_IWUSR,
  shmat,
  shmctl,
  shmdt,
  shmget,
} from "../mod.ts";

requirePermissions("examples/shm.ts", [FFI], "", "shm");

const sharedSegmentSize = 0x6400;

// Allocate a shared memory segment.
const segmentId = shmget(
  IPC_PRIVATE,
  sharedSegmentSize,
  IPC_CREAT | IPC_EXCL | S_IRUSR | S_IWUSR,
);
try {
  // Attach the shared memory segment.
  let sharedMemory = shmat(segmentId);
  console.log(
    `shared memory attached at address 0x${sharedMemory.address.toString(16)}`,
  );
  // Determine the segment's size.
  const segmentSize = shmctl(segmentId, IPC_STAT).segsz;
  console.log(`segment size: ${segmentSize}`);
  // Write a string to the shared memory segment.
  sharedMemory.writeCString("Hello, world.");
  // Detach the shared memory segment.
  shmdt(sharedMemory);

  // Reattach the shared memory segment, at a different address.
  sharedMemory = shmat(segmentId, 0x5000000n);
  console.log(
    `shared memory reattached at address 0x${
      sharedMemory.address.toString(16)
    }`,
  );
  // Print out the string from shared memory.
  console.log(sharedMemory.readCString());
  // Detach the shared memory segment.
  shmdt(sharedMemory);
} finally {
  // Deallocate the shared memory segment.
  shmctl(segmentId, IPC_RMID);
}
