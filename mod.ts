/**
 * Linux inter-process communication for Deno, through libc and Deno FFI:
 * System V shared memory today, and every other facility of the chapter as
 * it lands (semaphores, mapped memory, pipes and FIFOs, Unix sockets).
 *
 * Two layers per facility: functions named after the C calls (`shmget`,
 * `shmat`, ...) with C constants, and small classes above them
 * (`SharedMemory`) that are `using`-disposable. Failed calls throw
 * {@linkcode IpcError} with the errno `code`, the `syscall` and the argument
 * at fault.
 *
 * Needs `--allow-ffi`; paths a call reads (`ftok`) also need `--allow-read`.
 *
 * @example Share memory with another process
 * ```ts
 * import { ftok, SharedMemory } from "@linux-ipc/ipc";
 *
 * const path = Deno.makeTempFileSync(); // any file both processes know
 * const key = ftok(path, 903);
 * using shm = SharedMemory.create({ key, size: 4096, mode: 0o666, ifExists: "open" });
 * using memory = shm.attach();
 * memory.writeCString("Hello, IPC world!");
 * Deno.removeSync(path);
 * ```
 *
 * @module
 */

export { errnoName, errnoNumber, IpcError } from "./ffi/errors.ts";
export type { IpcErrorOptions } from "./ffi/errors.ts";
export * from "./shm/mod.ts";
export * from "./sem/mod.ts";
export * from "./mmap/mod.ts";
export * from "./fifo/mod.ts";
export * from "./socket/mod.ts";
