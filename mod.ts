/**
 * Linux inter-process communication for Deno, through libc and Deno FFI:
 * System V shared memory, semaphores and message queues; POSIX shared
 * memory, semaphores and message queues; mapped memory (files, anonymous,
 * sealed memfds); pipes and FIFOs; Unix-domain sockets with descriptor
 * passing and credentials; eventfd; and file locks (`flock`, `fcntl`
 * record and open file description locks).
 *
 * Two layers per facility: functions named after the C calls (`shmget`,
 * `semop`, `msgrcv`, `mmap`, `mkfifo`, `sendmsg`, ...) with C arguments in C
 * order and the C constants, and small classes above them (`SharedMemory`,
 * `SemaphoreSet`, `Mutex`, `MessageQueue`, `PosixMessageQueue`, `Mapping`,
 * `PipeEnd`, `UnixListener`,
 * `UnixConnection`, `UnixDatagram`) that are `using`-disposable, with an
 * async method and a `Sync` twin wherever a call can wait. Failed calls
 * throw {@linkcode IpcError} with the errno `code`, the `syscall` and the
 * argument at fault. Each facility is also its own export
 * (`@linux-ipc/ipc/shm`, `/sem`, `/msg`, `/mq`, `/mmap`, `/fifo`, `/socket`,
 * `/eventfd`, `/pshm`, `/psem`, `/lock`), and `/cli` is the `ipc` tool.
 *
 * Async waits run through one engine ({@linkcode terminateIdleWaiters}
 * ends its threads and descriptors when nothing waits).
 *
 * Needs `--allow-ffi`; paths and network addresses are also checked against
 * `--allow-read`, `--allow-write` and `--allow-net`, as Deno's own APIs are.
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
export { startWaiters, terminateIdleWaiters } from "./ffi/wait.ts";
export type { IpcErrorOptions } from "./ffi/errors.ts";
export * from "./shm/mod.ts";
export * from "./sem/mod.ts";
export * from "./msg/mod.ts";
export * from "./mq/mod.ts";
export * from "./mmap/mod.ts";
export * from "./fifo/mod.ts";
export * from "./socket/mod.ts";
export * from "./eventfd/mod.ts";
export * from "./pshm/mod.ts";
export * from "./psem/mod.ts";
export * from "./lock/mod.ts";
