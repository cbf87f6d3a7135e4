/**
 * The constants of `flock(2)` and of `fcntl(2)` record and open file
 * description locks: `lock/` re-exports them, and the engine's helper
 * threads use them to release a lock (`ffi/wait.ts`).
 *
 * @module
 */

/** `flock`: a shared lock (many holders). */
export const LOCK_SH = 1;
/** `flock`: an exclusive lock (one holder). */
export const LOCK_EX = 2;
/** `flock`: fail with `EWOULDBLOCK` instead of waiting. */
export const LOCK_NB = 4;
/** `flock`: release the lock. */
export const LOCK_UN = 8;

/** `fcntl`: report a lock that would block this one (process-owned). */
export const F_GETLK = 5;
/** `fcntl`: take or release a record lock, failing if it would block. */
export const F_SETLK = 6;
/** `fcntl`: take a record lock, waiting while it would block. */
export const F_SETLKW = 7;
/** `fcntl`: report a lock that would block this OFD lock. */
export const F_OFD_GETLK = 36;
/** `fcntl`: take or release an open file description lock, failing if it would block. */
export const F_OFD_SETLK = 37;
/** `fcntl`: take an open file description lock, waiting while it would block. */
export const F_OFD_SETLKW = 38;

/** Lock type: a read (shared) lock. */
export const F_RDLCK = 0;
/** Lock type: a write (exclusive) lock. */
export const F_WRLCK = 1;
/** Lock type: unlock. */
export const F_UNLCK = 2;
