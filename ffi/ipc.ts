/**
 * Constants shared by every System V IPC facility (`<sys/ipc.h>`,
 * `<sys/stat.h>` mode bits), and the `msgrcv` flags, which the engine's
 * helper threads read too (`ffi/wait.ts`). Each facility re-exports them.
 *
 * @module
 */

/** The key that always makes a new object (`IPC_PRIVATE`). */
export const IPC_PRIVATE = 0;
/** Create the object if the key has none (`IPC_CREAT`). */
export const IPC_CREAT = 0o1000;
/** With `IPC_CREAT`: fail with `EEXIST` if the key has one (`IPC_EXCL`). */
export const IPC_EXCL = 0o2000;
/** Fail with `EAGAIN` instead of waiting (`IPC_NOWAIT`). */
export const IPC_NOWAIT = 0o4000;
/** `ctl` command: remove the object (`IPC_RMID`). */
export const IPC_RMID = 0;
/** `ctl` command: set owner and mode (`IPC_SET`). */
export const IPC_SET = 1;
/** `ctl` command: read the object's status (`IPC_STAT`). */
export const IPC_STAT = 2;
/**
 * `ctl` command: the system's limits for the facility (`IPC_INFO`), and the
 * highest kernel index in use.
 */
export const IPC_INFO = 3;

/** Mode bit: owner may read (`S_IRUSR`). */
export const S_IRUSR = 0o400;
/** Mode bit: owner may write (`S_IWUSR`). */
export const S_IWUSR = 0o200;
/** Mode bit: group may read (`S_IRGRP`). */
export const S_IRGRP = 0o40;
/** Mode bit: group may write (`S_IWGRP`). */
export const S_IWGRP = 0o20;
/** Mode bit: others may read (`S_IROTH`). */
export const S_IROTH = 0o4;
/** Mode bit: others may write (`S_IWOTH`). */
export const S_IWOTH = 0o2;

/** `msgrcv` flag: cut a longer message to `msgsz` instead of failing with `E2BIG`. */
export const MSG_NOERROR = 0o10000;
/** `msgrcv` flag: with `msgtyp` > 0, take the first message of another type. */
export const MSG_EXCEPT = 0o20000;
/**
 * `msgrcv` flag: copy the message at index `msgtyp` without taking it (with
 * `IPC_NOWAIT`; `ENOSYS` on a kernel built without checkpoint/restore).
 */
export const MSG_COPY = 0o40000;
