/**
 * ALP Listings 5.2 to 5.4 as functions: allocate, deallocate, initialise,
 * wait on and post to a binary semaphore, with the listings' names.
 *
 * @module
 */

import { IPC_RMID } from "../ffi/ipc.ts";
import type { WaitOptions } from "../ffi/wait.ts";
import { SEM_UNDO, semctl, semget, semop, semopAsync, SETALL } from "./sem.ts";

/**
 * Listing 5.2: obtains a binary semaphore's id, allocating it if necessary.
 *
 * @param key the key
 * @param semFlags `IPC_CREAT`, `IPC_EXCL` and mode bits
 * @returns the set id
 * @throws {IpcError} as `semget`
 * @example
 * ```ts
 * import { binarySemaphoreAllocation, binarySemaphoreDeallocate, IPC_CREAT, IPC_PRIVATE } from "@linux-ipc/ipc/sem";
 * const semid = binarySemaphoreAllocation(IPC_PRIVATE, IPC_CREAT | 0o600);
 * binarySemaphoreDeallocate(semid);
 * ```
 */
export function binarySemaphoreAllocation(
  key: number,
  semFlags: number,
): number {
  return semget(key, 1, semFlags);
}

/**
 * Listing 5.2: deallocates a binary semaphore. All users must have finished.
 *
 * @param semid the set id
 * @throws {IpcError} as `semctl(IPC_RMID)`
 * @example
 * ```ts
 * import { binarySemaphoreAllocation, binarySemaphoreDeallocate, IPC_PRIVATE } from "@linux-ipc/ipc/sem";
 * binarySemaphoreDeallocate(binarySemaphoreAllocation(IPC_PRIVATE, 0o600));
 * ```
 */
export function binarySemaphoreDeallocate(semid: number): void {
  semctl(semid, 1, IPC_RMID);
}

/**
 * Listing 5.3: initialises a binary semaphore with a value of 1 (`SETALL`).
 *
 * @param semid the set id
 * @throws {IpcError} as `semctl(SETALL)`
 * @example
 * ```ts
 * import { binarySemaphoreAllocation, binarySemaphoreDeallocate, binarySemaphoreInitialize, IPC_PRIVATE } from "@linux-ipc/ipc/sem";
 * const semid = binarySemaphoreAllocation(IPC_PRIVATE, 0o600);
 * binarySemaphoreInitialize(semid);
 * binarySemaphoreDeallocate(semid);
 * ```
 */
export function binarySemaphoreInitialize(semid: number): void {
  semctl(semid, 0, SETALL, [1]);
}

/**
 * Listing 5.4: waits on a binary semaphore, blocking until its value is
 * positive, then decrements it by 1 (with `SEM_UNDO`).
 *
 * @param semid the set id
 * @throws {IpcError} as `semop`
 * @example
 * ```ts
 * import { binarySemaphoreAllocation, binarySemaphoreDeallocate, binarySemaphoreInitialize, binarySemaphoreWait, IPC_PRIVATE } from "@linux-ipc/ipc/sem";
 * const semid = binarySemaphoreAllocation(IPC_PRIVATE, 0o600);
 * binarySemaphoreInitialize(semid);
 * binarySemaphoreWait(semid);
 * binarySemaphoreDeallocate(semid);
 * ```
 */
export function binarySemaphoreWait(semid: number): void {
  semop(semid, [{ num: 0, op: -1, flags: SEM_UNDO }]);
}

/**
 * Listing 5.4, async: as {@linkcode binarySemaphoreWait} without blocking
 * the event loop.
 *
 * @param semid the set id
 * @param options `timeout`, `signal`
 * @returns a promise that resolves once decremented
 * @throws {IpcError} as `semopAsync`
 * @example
 * ```ts
 * import { binarySemaphoreAllocation, binarySemaphoreDeallocate, binarySemaphorePost, binarySemaphoreWaitAsync, IPC_PRIVATE } from "@linux-ipc/ipc/sem";
 * const semid = binarySemaphoreAllocation(IPC_PRIVATE, 0o600);
 * setTimeout(() => binarySemaphorePost(semid), 10);
 * await binarySemaphoreWaitAsync(semid);
 * binarySemaphoreDeallocate(semid);
 * ```
 */
export function binarySemaphoreWaitAsync(
  semid: number,
  options: WaitOptions = {},
): Promise<void> {
  return semopAsync(semid, [{ num: 0, op: -1, flags: SEM_UNDO }], options);
}

/**
 * Listing 5.4: posts to a binary semaphore: increments its value by 1 (with
 * `SEM_UNDO`). Returns at once.
 *
 * @param semid the set id
 * @throws {IpcError} as `semop`
 * @example
 * ```ts
 * import { binarySemaphoreAllocation, binarySemaphoreDeallocate, binarySemaphorePost, IPC_PRIVATE } from "@linux-ipc/ipc/sem";
 * const semid = binarySemaphoreAllocation(IPC_PRIVATE, 0o600);
 * binarySemaphorePost(semid);
 * binarySemaphoreDeallocate(semid);
 * ```
 */
export function binarySemaphorePost(semid: number): void {
  semop(semid, [{ num: 0, op: 1, flags: SEM_UNDO }]);
}
