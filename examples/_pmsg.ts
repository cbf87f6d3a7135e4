/**
 * Shared by the pmsg_* examples: the grants they need, and a way out with a
 * readable message instead of a stack trace.
 *
 * @module
 */

import type { Needed } from "./_permissions.ts";
import { IpcError } from "../mod.ts";

/** `--allow-read` for the queues (`/dev/mqueue`). */
export const MQUEUE_READ: Needed = {
  descriptor: { name: "read", path: "/dev/mqueue" },
  flag: "--allow-read=/dev/mqueue",
};

/** `--allow-write` for the queues (`/dev/mqueue`). */
export const MQUEUE_WRITE: Needed = {
  descriptor: { name: "write", path: "/dev/mqueue" },
  flag: "--allow-write=/dev/mqueue",
};

/** Runs `fn`; an `IpcError` ends the program with status 1 and its message. */
export async function orExit<T>(
  program: string,
  fn: () => T | Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof IpcError)) throw e;
    console.error(`${program}: ${e.message}`);
    Deno.exit(1);
  }
}
