/**
 * Events on a file as a descriptor the reactor can wait on (inotify), for
 * waits that Linux gives no readiness event of their own: a FIFO reader's
 * open waits for a writer, and a writer's `open` is an event on the FIFO's
 * inode.
 *
 * @module
 */

import { libc } from "./libc.ts";
import { ownChecked, type OwnedFd } from "./fd.ts";

/** inotify event: the file was opened. */
export const IN_OPEN = 0x20;
/** inotify event: the file was written to. */
export const IN_MODIFY = 0x2;
/** inotify event: the file, open for writing, was closed. */
export const IN_CLOSE_WRITE = 0x8;
const IN_NONBLOCK = 0o4000;
const IN_CLOEXEC = 0o2000000;

/** Room for the pending events of one watch, read to empty them. */
const events = new Uint8Array(4096);
const ROOM = BigInt(events.length);

/**
 * A non-blocking inotify descriptor watching `path` for `mask`, or null
 * when none can be had (the user's inotify instances or watches used up,
 * no such path): the caller then waits as it would without one. Owned as
 * every descriptor of the library is, so that a Worker terminated while it
 * waits leaves it to the engine's helper threads to close.
 *
 * @param path the path, NUL-terminated
 * @param mask the events (`IN_OPEN`, ...)
 * @returns the descriptor's owner, or null
 */
export function watchPath(path: Uint8Array, mask: number): OwnedFd | null {
  const c = libc();
  const fd = c.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd === -1) return null;
  if (c.inotify_add_watch(fd, path, mask) === -1) {
    c.close(fd);
    return null;
  }
  return ownChecked(fd, "inotify watch");
}

/**
 * Takes the pending events of a watch: only that something happened
 * matters.
 *
 * @param fd the descriptor from {@linkcode watchPath}
 */
export function takeEvents(fd: number): void {
  const c = libc();
  while (c.read(fd, events, ROOM) > 0) {
    // (read until empty: EAGAIN)
  }
}

/**
 * Ends a watch, through the library's `close` (which ends the waits on it
 * first).
 *
 * @param watch the owner from {@linkcode watchPath}, or null
 */
export function unwatch(watch: OwnedFd | null): void {
  watch?.close();
}
