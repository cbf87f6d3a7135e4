/**
 * Pipes and FIFOs: `pipe`, `pipe2`, `mkfifo`, `read`, `write`, `fcntl` by
 * their C names, async forms that keep the event loop running
 * (`readAsync`, `writeAsync`, `openAsync`), the everyday
 * {@linkcode PipeEnd} with Web Streams, and {@linkcode spawnWithFds} and
 * {@linkcode popen} to hand descriptors to child processes.
 *
 * @example ALP Listing 5.7: a pipe to a child process
 * ```ts
 * import { PipeEnd, spawnWithFds } from "@linux-ipc/ipc/fifo";
 * const [r, w] = PipeEnd.pipe();
 * const child = spawnWithFds("cat", { fds: { 0: r.fd, 1: "piped" } });
 * r.close();
 * await w.writeAll(new TextEncoder().encode("Hello, world.\n"));
 * w.close();
 * console.log(await new Response(child.stdout).text()); // "Hello, world.\n"
 * ```
 *
 * @module
 */

export {
  close,
  F_GETFD,
  F_GETFL,
  F_SETFD,
  F_SETFL,
  fcntl,
  FD_CLOEXEC,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  open,
  OwnedFd,
} from "../ffi/fd.ts";
export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
export type { WaitOptions } from "../ffi/wait.ts";
export {
  mkfifo,
  openAsync,
  pipe,
  pipe2,
  PIPE_BUF,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  read,
  readAsync,
  write,
  writeAllAsync,
  writeAsync,
} from "./fifo.ts";
export { PipeEnd } from "./pipe_end.ts";
export type { OpenFifoOptions } from "./pipe_end.ts";
export { popen, spawnWithFds } from "./spawn.ts";
export type {
  ChildStatus,
  FdSlot,
  Popen,
  SpawnedChild,
  SpawnWithFdsOptions,
} from "./spawn.ts";
