/**
 * The library's one error type for failed system calls, and the argument
 * checks that run before a call.
 *
 * @module
 */

import { errno, libc } from "./libc.ts";

// Linux errno names by number (asm-generic; the same on x86_64 and aarch64).
const NAMES = (
  "- EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN " +
  "ENOMEM EACCES EFAULT ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR " +
  "EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE EROFS EMLINK EPIPE " +
  "EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY ELOOP - ENOMSG " +
  "EIDRM ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE " +
  "EBADR EXFULL ENOANO EBADRQC EBADSLT - EBFONT ENOSTR ENODATA ETIME ENOSR " +
  "ENONET ENOPKG EREMOTE ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT " +
  "EBADMSG EOVERFLOW ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX " +
  "ELIBEXEC EILSEQ ERESTART ESTRPIPE EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE " +
  "EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP " +
  "EPFNOSUPPORT EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN ENETUNREACH " +
  "ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN " +
  "ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY " +
  "EINPROGRESS ESTALE EUCLEAN ENOTNAM ENAVAIL EISNAM EREMOTEIO EDQUOT " +
  "ENOMEDIUM EMEDIUMTYPE ECANCELED ENOKEY EKEYEXPIRED EKEYREVOKED " +
  "EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL EHWPOISON"
).split(" ");

// getaddrinfo's error codes by minus their number (glibc's <netdb.h>): an
// IpcError from getaddrinfo carries one as its errno.
const EAI_NAMES = (
  "- EAI_BADFLAGS EAI_NONAME EAI_AGAIN EAI_FAIL EAI_NODATA EAI_FAMILY " +
  "EAI_SOCKTYPE EAI_SERVICE EAI_ADDRFAMILY EAI_MEMORY EAI_SYSTEM EAI_OVERFLOW"
).split(" ");

const NUMBERS: ReadonlyMap<string, number> = new Map(
  [
    ...NAMES.map((name, i) => [name, i] as [string, number]),
    ...EAI_NAMES.map((name, i) => [name, -i] as [string, number]),
  ].filter(([n]) => n !== "-"),
);

/**
 * The symbolic name of an errno value, or of a `getaddrinfo` error code
 * (negative, as glibc numbers them: -2 is `EAI_NONAME`).
 *
 * @param code an errno number (or `EAI_*` code)
 * @returns the name, such as `"EACCES"`, or `"E<number>"` if unknown
 * @example
 * ```ts
 * import { errnoName } from "@linux-ipc/ipc";
 * console.log(errnoName(13)); // "EACCES"
 * ```
 */
export function errnoName(code: number): string {
  const name = code < 0 ? EAI_NAMES[-code] : NAMES[code];
  return name && name !== "-" ? name : `E${code}`;
}

/**
 * The errno number of a symbolic name (negative for `getaddrinfo`'s
 * `EAI_*` codes).
 *
 * @param name a name such as `"EAGAIN"`
 * @returns the number, or `undefined` if the name is unknown
 * @example
 * ```ts
 * import { errnoNumber } from "@linux-ipc/ipc";
 * console.log(errnoNumber("EIDRM")); // 43
 * ```
 */
export function errnoNumber(name: string): number | undefined {
  return NUMBERS.get(name);
}

function describe(code: number): string {
  try {
    const p = code < 0 ? libc().gai_strerror(code) : libc().strerror(code);
    if (p) return Deno.UnsafePointerView.getCString(p);
  } catch {
    // No libc: fall back to the name alone.
  }
  return errnoName(code);
}

/** What an {@linkcode IpcError} is about, beyond its errno. */
export interface IpcErrorOptions {
  /** The system call that failed, such as `"shmget"`. */
  syscall: string;
  /** The name of the argument at fault, as in the C prototype (`"shmaddr"`). */
  argument?: string;
  /** The value of that argument, shown quoted in the message. */
  value?: string | number | bigint;
  /** A sentence that helps, appended to the message. */
  hint?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * A system call failed: carries its errno, the symbolic `code`, the `syscall`
 * and, where it can be told, the `argument` at fault.
 *
 * @example
 * ```ts
 * import { IpcError, shmget } from "@linux-ipc/ipc";
 * try {
 *   shmget(0x1234, 0, 0);
 * } catch (e) {
 *   if (e instanceof IpcError && e.code === "ENOENT") console.log("no such segment");
 * }
 * ```
 */
export class IpcError extends Error {
  /** The symbolic errno name, such as `"EACCES"`. */
  readonly code: string;
  /** The errno number. */
  readonly errno: number;
  /** The system call that failed. */
  readonly syscall: string;
  /** The argument at fault, named as in the C prototype, if known. */
  readonly argument: string | undefined;
  /**
   * For a whole write that failed (`writeAll`, `writeAllSync`, `sendFds`
   * and their thin-layer forms): how many bytes of the data were written
   * before it failed, so that a caller can tell what the peer may have
   * got, and resume; the bytes after them were not written. Undefined for
   * every other call.
   */
  readonly written: number | undefined = undefined;

  /**
   * Makes the error for an errno value; the message is built from
   * `strerror`, the code, the call and the argument.
   *
   * @param errno the errno value
   * @param options the call and argument it is about
   */
  constructor(errno: number, options: IpcErrorOptions) {
    const code = errnoName(errno);
    let message = `${describe(errno)} (${code}) in ${options.syscall}`;
    if (options.argument !== undefined) {
      message += `, argument "${options.argument}"`;
      if (options.value !== undefined) message += ` ("${options.value}")`;
    }
    if (options.hint) message += `: ${options.hint}`;
    super(message, { cause: options.cause });
    this.name = "IpcError";
    this.code = code;
    this.errno = errno;
    this.syscall = options.syscall;
    this.argument = options.argument;
  }
}

/**
 * Gives the error of a whole write that failed part way the count of the
 * bytes written before it ({@linkcode IpcError.written}). Other errors (an
 * abort's reason, which is the caller's own object) are left as they are.
 *
 * @param e what the write threw
 * @param written the bytes of the data written before it failed
 * @returns `e`
 */
export function withWritten(e: unknown, written: number): unknown {
  if (e instanceof IpcError && e.written === undefined) {
    Object.defineProperty(e, "written", { value: written, enumerable: true });
  }
  return e;
}

/** Which argument a given errno code blames, per call. */
export type Blame = string | Readonly<Record<string, string>>;

/** Builds the error of a failed call whose errno has been read. */
export type ErrorOf = (
  blame?: Blame,
  values?: Readonly<Record<string, string | number | bigint>>,
  hints?: Readonly<Record<string, string>>,
) => IpcError;

/**
 * The error of a sync call that just returned -1, in two steps: this reads
 * errno at once, before anything else runs, and returns what builds the
 * error from it: `throw lastError("msgget")({ EEXIST: "key" }, { key })`.
 * The arguments of a one-step call would be built first, and building
 * objects can run the garbage collector, which may leave errno changed
 * (measured: `EAGAIN` after about one collection in two, in Deno 2).
 *
 * @param syscall the call that failed
 * @returns a function of the argument at fault (or a map from code to
 *   argument), the call's argument values by name and extra sentences by
 *   code, which returns the error to throw
 */
export function lastError(syscall: string): ErrorOf {
  return errorOf(errno(), syscall);
}

/**
 * What builds the error of a failed call from its errno (read earlier).
 *
 * @param code the errno
 * @param syscall the call that failed
 * @returns the builder, as {@linkcode lastError} gives it
 */
export function errorOf(code: number, syscall: string): ErrorOf {
  return (blame, values, hints) =>
    errorFor(code, syscall, blame, values, hints);
}

/**
 * Makes a sync call again while it fails with `EINTR`, as C programs loop
 * (PEP 475): a signal never surfaces as an error.
 *
 * @param call the call; -1 with errno set on failure
 * @param fail builds the error for any other failure, given its errno
 *   (errno is still set: {@linkcode lastError} may read it)
 * @returns the call's result
 * @throws what `fail` returns
 */
export function restartOnEintr(
  call: () => number,
  fail: (code: number) => unknown,
): number {
  const r = resultOrErrno(call);
  if (r < 0) throw fail(-r);
  return r;
}

/**
 * The result of a call just made, or, if it failed (-1), minus its errno,
 * read at once: for a hot path that makes its call itself, with no
 * closure, and handles `-EINTR` by making it again.
 *
 * @param r what the call returned
 * @returns `r`, or `-errno`
 */
export function resultOf(r: number): number {
  return r !== -1 ? r : -errno();
}

/**
 * Makes a sync call again while it fails with `EINTR`.
 *
 * @param call the call; -1 with errno set on failure
 * @returns its result, or -1 with errno still set for any other failure
 */
export function restarted(call: () => number): number {
  return Math.max(resultOrErrno(call), -1);
}

/**
 * Makes a sync call again while it fails with `EINTR`, and says how it
 * ended without the caller reading errno: its result, or, for a failure,
 * minus the errno (C's results here are never below -1).
 *
 * @param call the call; -1 with errno set on failure
 * @returns the result, or `-errno`
 */
export function resultOrErrno(call: () => number): number {
  for (;;) {
    const r = resultOf(call());
    if (r !== -EINTR) return r;
  }
}

/**
 * Builds the error for a known errno value (as {@linkcode lastError} does for
 * the current one).
 *
 * @param code the errno value
 * @param syscall the call that failed
 * @param blame the argument at fault, or a map from code to argument
 * @param values the call's argument values by name
 * @param hints extra sentences by code
 * @returns the error to throw
 */
export function errorFor(
  code: number,
  syscall: string,
  blame?: Blame,
  values?: Readonly<Record<string, string | number | bigint>>,
  hints?: Readonly<Record<string, string>>,
): IpcError {
  const name = errnoName(code);
  const argument = typeof blame === "string" ? blame : blame?.[name];
  return new IpcError(code, {
    syscall,
    argument,
    value: argument === undefined ? undefined : values?.[argument],
    hint: hints?.[name],
  });
}

/**
 * Whether `e` is an {@linkcode IpcError} with one of the given codes.
 *
 * @param e anything caught
 * @param codes the codes to accept, such as `"EINVAL"`, `"EIDRM"`
 * @returns true if it matches
 */
export function hasCode(e: unknown, ...codes: string[]): boolean {
  return e instanceof IpcError && codes.includes(e.code);
}

/**
 * Runs a call on a System V object that may have been removed meanwhile (by
 * this process or another): `EINVAL` and `EIDRM`, the kernel's words for a
 * gone object, are not errors then.
 *
 * @param call the call (`IPC_RMID`, the release of a lock)
 * @throws {IpcError} for any other failure
 */
export function unlessGone(call: () => unknown): void {
  try {
    call();
  } catch (e) {
    if (!hasCode(e, "EINVAL", "EIDRM")) throw e;
  }
}

/**
 * The error of a call on a System V object that the calling object removed
 * itself: `EIDRM`, as the kernel gives a process that waited on it, made
 * without asking the kernel, where the id might by then name an object
 * made since (ids are reused) and the call would act on that instead.
 *
 * @param syscall the call it would have made
 * @param argument the id's argument (`"msqid"`, `"semid"`)
 * @param id the id
 * @param what the kind of object, for the hint (`"queue"`)
 * @returns the error
 */
export function removedError(
  syscall: string,
  argument: string,
  id: number,
  what: string,
): IpcError {
  return new IpcError(EIDRM, {
    syscall,
    argument,
    value: id,
    hint: `this object removed the ${what} (remove()), so it is gone`,
  });
}

/**
 * The id of a System V object, for a call a class makes on it: refused
 * with `BadResource` once the object was closed, and with
 * {@linkcode removedError} once it removed what the id names.
 *
 * @param id the id
 * @param closed whether the object was closed
 * @param removed whether the object removed it
 * @param syscall the call it would make
 * @param argument the id's argument (`"msqid"`)
 * @param noun the object, for the closed error (`"message queue"`)
 * @param what the kernel object, for the removed error (`"queue"`)
 * @returns the id
 */
export function liveId(
  id: number,
  closed: boolean,
  removed: boolean,
  syscall: string,
  argument: string,
  noun: string,
  what: string,
): number {
  if (closed) throw new Deno.errors.BadResource(`The ${noun} is closed`);
  if (removed) throw removedError(syscall, argument, id, what);
  return id;
}

// The errno numbers the library compares with on its hot paths (one place,
// instead of a copy per module; x86_64 and aarch64 share them).

/** `EPERM`: not permitted. */
export const EPERM = 1;
/** `ENOENT`: no such file or object. */
export const ENOENT = 2;
/** `ESRCH`: no such process or thread. */
export const ESRCH = 3;
/** `EINTR`: interrupted by a signal. */
export const EINTR = 4;
/** `ENXIO`: no such device (a FIFO's writer with no reader, non-blocking). */
export const ENXIO = 6;
/** `EBADF`: not an open descriptor. */
export const EBADF = 9;
/** `EAGAIN`, the same number as `EWOULDBLOCK`. */
export const EAGAIN = 11;
/** `EACCES`: permission denied (also a conflicting `fcntl` lock). */
export const EACCES = 13;
/** `EEXIST`: already exists. */
export const EEXIST = 17;
/** `ENODEV`: the file cannot be mapped (not a regular file). */
export const ENODEV = 19;
/** `EBUSY`: in use. */
export const EBUSY = 16;
/** `EINVAL`: an argument is invalid. */
export const EINVAL = 22;
/** `EDEADLK`: waiting would deadlock. */
export const EDEADLK = 35;
/** `EIDRM`: the System V object was removed. */
export const EIDRM = 43;
/** `ENOTSOCK`: the descriptor is not a socket. */
export const ENOTSOCK = 88;
/** `EMSGSIZE`: message too long. */
export const EMSGSIZE = 90;
/** `EPROTOTYPE`: the socket is of the wrong type. */
export const EPROTOTYPE = 91;
/** `EAFNOSUPPORT`: the socket or address is of the wrong family. */
export const EAFNOSUPPORT = 97;
/** `EISCONN`: already connected. */
export const EISCONN = 106;
/** `ENOTCONN`: the socket is not connected. */
export const ENOTCONN = 107;
/** `ETIMEDOUT`. */
export const ETIMEDOUT = 110;
/** `ECONNREFUSED`: nothing accepts connections at the address. */
export const ECONNREFUSED = 111;
/** `EINPROGRESS`. */
export const EINPROGRESS = 115;
