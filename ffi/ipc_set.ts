/**
 * Steps every System V facility shares: the `IPC_SET` call (which fields go
 * to the kernel, and how the others are read), and the error of a wait
 * whose object was removed under it. Internal.
 *
 * @module
 */

import { EIDRM, errorFor, IpcError } from "./errors.ts";
import { encodeIpcPermSet, type IpcPermSet } from "./layout.ts";
import { int, knownFields, LIMITS, show } from "./validate.ts";

/**
 * Builds the buffer of an `IPC_SET` call the way a C program does: the
 * fields given, and for the others the object's current values. When `uid`,
 * `gid` and `mode` are all given, nothing is read first, so the kernel alone
 * answers (`EPERM` for a process that neither owns nor created the object,
 * as in C). A missing field is read with `IPC_STAT`; where that needs a
 * read permission the caller lacks (the owner of a mode-0 object), with the
 * facility's `*_STAT_ANY` command instead, which needs none (Linux 4.17).
 *
 * @param set the fields to change, checked here
 * @param syscall the call, for messages (`"shmctl"`)
 * @param argument the argument's name, for messages (`"buf"`)
 * @param size the size of the facility's `*id_ds`
 * @param stat fills a buffer with `IPC_STAT`; throws its `IpcError`
 * @param statAny fills a buffer with `*_STAT_ANY` for a kernel index and
 *   returns the id found there, or -1
 * @param id the object's id
 * @param more whether the facility's own fields (`msg_qbytes`) are given
 *   too, so that nothing need be read (default true)
 * @param fields the fields `set` may have: a misspelled one (`perms`)
 *   would change nothing, silently
 * @returns the buffer to pass with `IPC_SET`
 */
export function permSetBuffer(
  set: IpcPermSet,
  syscall: string,
  argument: string,
  size: number,
  stat: (buf: Uint8Array<ArrayBuffer>) => void,
  statAny: (index: number, buf: Uint8Array<ArrayBuffer>) => number,
  id: number,
  more = true,
  fields: readonly string[] = ["uid", "gid", "mode"],
): Uint8Array<ArrayBuffer> {
  checkPermSet(set, syscall, argument, fields);
  const buf = new Uint8Array(size);
  const complete = more && set.uid !== undefined && set.gid !== undefined &&
    set.mode !== undefined;
  if (!complete) {
    try {
      stat(buf);
    } catch (e) {
      if (!(e instanceof IpcError) || e.code !== "EACCES") throw e;
      // The id's kernel index: its low 15 bits, or 24 with ipcmni_extend.
      if (
        statAny(id & 0x7fff, buf) !== id && statAny(id & 0xffffff, buf) !== id
      ) {
        throw e;
      }
    }
  }
  encodeIpcPermSet(buf, set);
  return buf;
}

/**
 * Checks the fields of an `IPC_SET` (and a facility's own: a queue's
 * `qbytes`), for the thin calls and the classes' `set()` alike.
 *
 * @param set what the caller passed
 * @param syscall the call or method, for messages
 * @param argument the argument's name, for messages (`"buf"`, `"perm"`)
 * @param fields the fields it may have
 * @throws {TypeError} for a value that is not such an object, or a field
 *   it may not have
 * @throws {RangeError} for a field out of range
 */
export function checkPermSet(
  set: unknown,
  syscall: string,
  argument: string,
  fields: readonly string[] = ["uid", "gid", "mode"],
): asserts set is IpcPermSet & { qbytes?: number } {
  if (set === null || typeof set !== "object" || Array.isArray(set)) {
    throw new TypeError(
      `Invalid argument "${argument}" to ${syscall}: IPC_SET needs { ${
        fields.map((f) => `${f}?`).join(", ")
      } }, got "${show(set)}"`,
    );
  }
  knownFields(set, fields, syscall, argument);
  const s = set as IpcPermSet & { qbytes?: unknown };
  for (const f of ["uid", "gid", "qbytes"] as const) {
    if (s[f] !== undefined) {
      int(s[f], syscall, `${argument}.${f}`, 0, LIMITS.UINT_MAX);
    }
  }
  if (s.mode !== undefined) {
    int(s.mode, syscall, `${argument}.mode`, 0, 0o777);
  }
}

/**
 * The error of a wait on a System V object that was there when the wait
 * began: a call blocked in the kernel gets `EIDRM` when the object is
 * removed, but one made after (a retry, or a try before a helper thread
 * blocks) gets `EINVAL`, no such id. Both mean removed while waiting, and
 * both are reported as `EIDRM`.
 *
 * @param e the error of a call made after the wait parked
 * @param syscall the call (`"msgrcv"`, `"semop"`)
 * @param argument the id's argument (`"msqid"`, `"semid"`)
 * @param what the object, for the message (`"queue"`, `"set"`)
 * @returns `e`, or `EIDRM` in its place for an `EINVAL`
 */
export function removedWhileWaiting(
  e: IpcError,
  syscall: string,
  argument: string,
  what: string,
): IpcError {
  if (e.code !== "EINVAL") return e;
  return errorFor(EIDRM, syscall, argument, undefined, {
    EIDRM: `the ${what} was removed while waiting`,
  });
}
