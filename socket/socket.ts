/**
 * The thin layer over `<sys/socket.h>`: `socket`, `socketpair`, `bind`,
 * `listen`, `accept4`, `connect`, `send`, `recv`, `sendto`, `recvfrom`,
 * `sendmsg`, `recvmsg`, `shutdown`, `getsockopt`, `setsockopt`,
 * `getsockname`, `getpeername`, `getaddrinfo`, with their C constants, and
 * async forms of the calls that can block. Re-exported by `socket/mod.ts`.
 *
 * Addresses are typed objects (`{ family: "unix", path }`,
 * `{ family: "unix", abstract }`, `{ family: "inet", address, port }`, ...)
 * encoded with their exact length, so an abstract name is exactly its bytes
 * and a name that does not fit `sun_path` is an error, never truncated.
 * Control messages are typed too: `{ type: "rights", fds }` and
 * `{ type: "credentials", pid, uid, gid }`.
 *
 * Three things the library always does: `send` and friends add
 * `MSG_NOSIGNAL` (a peer that is gone gives `EPIPE`, never SIGPIPE);
 * `recvmsg` adds `MSG_CMSG_CLOEXEC`; and a control message the kernel had
 * to truncate (`MSG_CTRUNC`) closes every descriptor that did arrive before
 * the call throws.
 *
 * @module
 */

import { bufferAddress, libc, pointerAt, sizeT } from "../ffi/libc.ts";
import {
  EAFNOSUPPORT,
  EBADF,
  ECONNREFUSED,
  EINTR,
  EINVAL,
  EMSGSIZE,
  errorFor,
  errorOf,
  IpcError,
  lastError,
  restarted,
  resultOf,
  resultOrErrno,
} from "../ffi/errors.ts";
import { close, fileKind, lstatName, S_IFMT, S_IFSOCK } from "../ffi/fd.ts";
import {
  type AddrInfo,
  cmsgSpace,
  type ControlMessage,
  decodeAddrinfoList,
  decodeCmsgs,
  decodeMsghdr,
  decodeSockaddr,
  decodeUcred,
  encodeAddrinfoHints,
  encodeCmsgs,
  encodeIovec,
  encodeMsghdr,
  encodeSockaddr,
  SOCK_SIZEOF,
  type SockAddr,
  SOCKADDR_STORAGE,
} from "../ffi/socket_layout.ts";
import { requireNet, requirePath } from "../ffi/permissions.ts";
import { showName } from "../ffi/text.ts";
import { eventsNow } from "../ffi/wait.ts";

import {
  boolOption,
  bytes,
  cString,
  descriptor,
  flags as checkFlags,
  int,
  isOptionsObject,
  knownFields,
  LIMITS,
  show,
} from "../ffi/validate.ts";

export type {
  AddrInfo,
  ControlMessage,
  SockAddr,
} from "../ffi/socket_layout.ts";

/** Local (Unix-domain) sockets. */
export const AF_UNIX = 1;
/** IPv4. */
export const AF_INET = 2;
/** IPv6. */
export const AF_INET6 = 10;
/** Any family (for `getaddrinfo`). */
export const AF_UNSPEC = 0;
/** A byte stream with connections. */
export const SOCK_STREAM = 1;
/** Datagrams without connections. */
export const SOCK_DGRAM = 2;
/** Datagrams with connections and boundaries (Unix). */
export const SOCK_SEQPACKET = 5;
/** `socket` type flag: non-blocking. */
export const SOCK_NONBLOCK = 0o4000;
/** `socket` type flag: close on exec (always added). */
export const SOCK_CLOEXEC = 0o2000000;
/** Socket option level. */
export const SOL_SOCKET = 1;
/** Option: allow address reuse. */
export const SO_REUSEADDR = 2;
/** Option (read): the socket type. */
export const SO_TYPE = 3;
/** Option (read): the pending error, cleared by reading it. */
export const SO_ERROR = 4;
/** Option: send buffer size. */
export const SO_SNDBUF = 7;
/** Option: receive buffer size. */
export const SO_RCVBUF = 8;
/** Option: receive `SCM_CREDENTIALS` messages. */
export const SO_PASSCRED = 16;
/** Option (read): the peer's credentials `{ pid, uid, gid }`. */
export const SO_PEERCRED = 17;
/** Option (read): 1 if the socket is listening. */
export const SO_ACCEPTCONN = 30;
/** Option (read): the socket's family (`AF_UNIX`, `AF_INET`, ...). */
export const SO_DOMAIN = 39;
/** Control message: descriptors. */
export const SCM_RIGHTS = 1;
/** Control message: credentials. */
export const SCM_CREDENTIALS = 2;
/** Flag: peek without removing. */
export const MSG_PEEK = 0x2;
/** Flag (out): control data was truncated. */
export const MSG_CTRUNC = 0x8;
/** Flag (out): the datagram was longer than the buffer. */
export const MSG_TRUNC = 0x20;
/** Flag: do not block for this call. */
export const MSG_DONTWAIT = 0x40;
/** Flag: wait for the whole buffer. */
export const MSG_WAITALL = 0x100;
/** Flag: no SIGPIPE (always added by this library). */
export const MSG_NOSIGNAL = 0x4000;
/** Flag: received descriptors are close-on-exec (always added). */
export const MSG_CMSG_CLOEXEC = 0x40000000;
/** `shutdown`: no more receptions. */
export const SHUT_RD = 0;
/** `shutdown`: no more transmissions (the peer reads end of file). */
export const SHUT_WR = 1;
/** `shutdown`: neither. */
export const SHUT_RDWR = 2;
/** The most descriptors one `SCM_RIGHTS` message may carry (`SCM_MAX_FD`). */
export const SCM_MAX_FD = 253;

const SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL | 0x8000 /* MSG_MORE */ |
  0x800 /* MSG_EOR */;
const RECV_FLAGS = MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL | MSG_TRUNC |
  MSG_CMSG_CLOEXEC;
/** Internal to `socket/`: the argument each errno blames. */
export const BLAME = {
  EBADF: "sockfd",
  ENOTSOCK: "sockfd",
  EINVAL: "sockfd",
  EPIPE: "sockfd",
  ECONNRESET: "sockfd",
  ENOTCONN: "sockfd",
  EISCONN: "sockfd",
  EOPNOTSUPP: "sockfd",
  ENOENT: "addr",
  ECONNREFUSED: "addr",
  EADDRINUSE: "addr",
  EADDRNOTAVAIL: "addr",
  EACCES: "addr",
  EAFNOSUPPORT: "addr",
  EDESTADDRREQ: "addr",
  EPROTOTYPE: "addr",
  ENODEV: "addr",
  EMSGSIZE: "buf",
  ETOOMANYREFS: "msg",
  EFAULT: "buf",
} as const;
/** Internal to `socket/`: what each errno means here. */
export const HINTS = {
  EPIPE:
    "the connection is closed for writing: by the peer, or at this end (closeWrite, SHUT_WR)",
  ECONNREFUSED:
    "nothing is listening at this address (or it is not a socket of this type)",
  ENOENT: "no socket exists at this path",
  EADDRINUSE:
    "the address is already bound (a leftover socket file can be removed first)",
  EAGAIN: "the socket is non-blocking and the call would block",
  ENOTCONN: "the socket is not connected",
  EMSGSIZE: "the datagram is too large for the socket",
  EPROTOTYPE:
    "the socket at this address is of another type (stream, seqpacket or datagram)",
  ENODEV:
    "no network interface has this index (addr.scopeId), which a link-local IPv6 address needs",
} as const;

/**
 * Internal to `socket/`: the error for the call that just failed. The
 * kernel gives the same errno for several arguments; where the socket is
 * not the one at fault, the error names what is: a descriptor to pass that
 * is not open (`EBADF`), an unnamed or foreign-family address (`EINVAL`).
 *
 * @param syscall the call
 * @param sockfd the socket
 * @param addr the address it was given, if any
 * @param fds the descriptors it was to pass (`SCM_RIGHTS`), if any
 * @param code the errno, if the caller has read it already; else it is
 *   read now
 * @returns the error
 */
export function fail(
  syscall: string,
  sockfd: number,
  addr?: SockAddr,
  fds?: readonly number[],
  code?: number,
): IpcError {
  const error =
    (code === undefined ? lastError(syscall) : errorOf(code, syscall))(
      BLAME,
      { sockfd, addr: addr ? describe(addr) : "" },
      HINTS,
    );
  if (error.errno === EBADF && fds?.length && isOpen(sockfd)) {
    const bad = fds.find((fd) => !isOpen(fd));
    if (bad !== undefined) {
      return errorFor(EBADF, syscall, "fds", { fds: bad }, {
        EBADF: "this descriptor is not open, so it cannot be passed",
      });
    }
  }
  if (error.code === "EADDRINUSE" && addr?.family === "unix") {
    return errorFor(
      error.errno,
      syscall,
      "addr",
      { addr: describe(addr) },
      { EADDRINUSE: whoHolds(sockfd, addr) },
    );
  }
  if (error.errno === EINVAL && addr !== undefined) {
    const why = foreignAddress(sockfd, addr);
    if (why !== null) {
      return errorFor(EINVAL, syscall, "addr", { addr: describe(addr) }, {
        EINVAL: why,
      });
    }
  }
  return error;
}

function isOpen(fd: number): boolean {
  return libc().fcntl(fd, 1, /* F_GETFD */ 0) !== -1;
}

const FAMILIES: Record<number, SockAddr["family"]> = {
  [AF_UNIX]: "unix",
  [AF_INET]: "inet",
  [AF_INET6]: "inet6",
};

/**
 * An integer `SOL_SOCKET` option, or null if it cannot be read: for an
 * error's hint, where a second error must not replace the first.
 */
function optionOrNull(sockfd: number, optname: number): number | null {
  const val = new Int32Array(1);
  const len = new Uint32Array([4]);
  return libc().getsockopt(
      sockfd,
      SOL_SOCKET,
      optname,
      new Uint8Array(val.buffer),
      new Uint8Array(len.buffer),
    ) === 0
    ? val[0]
    : null;
}

/**
 * What holds a Unix address that `bind` found in use: a file that is not a
 * socket, a socket file whose server has gone (nobody accepts a connection
 * there, so it can be removed), or a live socket.
 */
function whoHolds(sockfd: number, addr: SockAddr): string {
  if ("path" in addr) {
    const st = lstatName(addr.path);
    if (st === null) return HINTS.EADDRINUSE;
    const mode = st.mode;
    if ((mode & S_IFMT) !== S_IFSOCK) {
      return `${
        fileKind(mode)
      } is at this path, not a socket: bind makes the socket file itself, so choose a path where nothing is`;
    }
  }
  const type = optionOrNull(sockfd, SO_TYPE);
  if (type === null) return HINTS.EADDRINUSE;
  const c = libc();
  const probe = c.socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe === -1) return HINTS.EADDRINUSE;
  const a = encodeSockaddr(addr, "connect");
  const r = resultOrErrno(() => c.connect(probe, a, a.length));
  const e = r < 0 ? -r : 0;
  c.close(probe);
  if (e === ECONNREFUSED && "path" in addr) {
    return "a socket file is left at this path, but nothing is listening on it (its server has gone): remove it first";
  }
  return "path" in addr
    ? "a socket that is still open (in this process or another) is bound to this path"
    : "a socket that is still open (in this process or another) holds this abstract name";
}

/** Why an address cannot be used with this socket, or null. */
function foreignAddress(sockfd: number, addr: SockAddr): string | null {
  if (addr.family === "unix" && !("path" in addr) && !("abstract" in addr)) {
    return 'the address is unnamed (its socket never bound one), so nothing can be sent to it: a sender that wants answers binds a name (the family alone, { family: "unix" }, has the kernel choose one)';
  }
  const domain = optionOrNull(sockfd, SO_DOMAIN);
  const family = domain === null ? undefined : FAMILIES[domain];
  if (family !== undefined && family !== addr.family) {
    return `an address of family "${addr.family}" cannot be used with a socket of family "${family}"`;
  }
  return null;
}

/**
 * A printable form of an address, as `ss` shows it (`@` for abstract).
 *
 * @param addr the address
 * @returns text
 */
export function describe(addr: SockAddr): string {
  if (addr.family === "unix") {
    return "path" in addr
      ? showName(addr.path)
      : "abstract" in addr
      ? `@${showName(addr.abstract)}`
      : "(unnamed)";
  }
  return addr.family === "inet6"
    ? `[${addr.address}${addr.scopeId ? `%${addr.scopeId}` : ""}]:${addr.port}`
    : `${addr.address}:${addr.port}`;
}

/**
 * Internal to `socket/`: an address needs the access Deno's own sockets
 * need: a pathname `--allow-read` and `--allow-write` for it, an IPv4 or
 * IPv6 address `--allow-net` for its host and port.
 */
export function checkPath(addr: SockAddr): void {
  if (!addr) return;
  if (addr.family === "unix") {
    if ("path" in addr && typeof addr.path === "string") {
      requirePath("read", addr.path);
      requirePath("write", addr.path);
    }
  } else if (addr.family === "inet" || addr.family === "inet6") {
    requireNet(describe(addr));
  }
}

/** Room for the address a call reports (`accept4`, `recvfrom`). */
export interface AddressRoom {
  /** The `sockaddr` buffer to pass. */
  readonly name: Uint8Array;
  /** The `socklen_t` to pass, set to the buffer's size by `reset`. */
  readonly len: Uint8Array;
  /** Sets the length in before a call (the kernel writes the real one). */
  reset(): void;
  /** The address the last call wrote (`accept4`: always one). */
  addr(): SockAddr;
  /**
   * The sender's address the last `recvfrom` wrote, or null if it wrote
   * none (length 0: a stream socket, or a Unix sender that did not bind).
   */
  from(): SockAddr | null;
}

/**
 * Internal to `socket/`: room for the address a call reports.
 *
 * @returns the buffers, reset for a first call
 */
export function addressRoom(): AddressRoom {
  const name = new Uint8Array(SOCKADDR_STORAGE);
  const len = new Uint32Array([SOCKADDR_STORAGE]);
  return {
    name,
    len: new Uint8Array(len.buffer),
    reset: () => void (len[0] = SOCKADDR_STORAGE),
    addr: () => decodeSockaddr(name, len[0]),
    from: () => len[0] === 0 ? null : decodeSockaddr(name, len[0]),
  };
}

/** The byte a seqpacket peek reads into: only the length it returns counts. */
const PROBE = new Uint8Array(1);
const ONE = sizeT(1);

/**
 * Internal to `socket/`: the length of the next message of a seqpacket
 * socket, left in place (`recv` with `MSG_PEEK | MSG_TRUNC`, non-blocking);
 * 0 at the end of the stream, or -1 with errno set.
 *
 * @param sockfd the socket
 * @returns the length, or -1
 */
export function peekLength(sockfd: number): number {
  return libc().recv(
    sockfd,
    PROBE,
    ONE,
    MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT,
  );
}

/** Closes the descriptors that arrived in `control`, for a receive that fails. */
function closeRights(control: readonly ControlMessage[]): void {
  for (const m of control) {
    if (m.type === "rights") m.fds.forEach((fd) => libc().close(fd));
  }
}

/** What a {@linkcode measured} call did: whether it took the message. */
export interface MessageTake {
  /** Whether the message was taken (false: refused, left in place). */
  taken: boolean;
  /** Whether the stream had ended: the 0 the call gave is no message. */
  end?: boolean;
}

/** `poll` event: the peer shut down its writing half, or closed. */
const POLLRDHUP = 0x2000;
/** The buffer of {@linkcode emptyMessageNext}'s peek, which takes no bytes. */
const NO_BYTES = new Uint8Array(0);

/**
 * Internal to `socket/`: whether the next message of a seqpacket socket,
 * which measures 0 bytes, is an empty message rather than the end of the
 * stream, which Linux measures as 0 too. Until the peer shuts down, there
 * is no end: it is a message. After, a message still carries its sender's
 * credentials and the end none: peeked with `SO_PASSCRED` on for that call
 * (then as it was), and any descriptors the peek copied closed.
 *
 * @param sockfd the socket
 * @returns true for an empty message, false at the end of the stream
 */
export function emptyMessageNext(sockfd: number): boolean {
  if ((eventsNow(sockfd, POLLRDHUP) & POLLRDHUP) === 0) return true;
  let had = true;
  try {
    had = getsockopt(sockfd, SOL_SOCKET, SO_PASSCRED) !== 0;
    if (!had) setsockopt(sockfd, SOL_SOCKET, SO_PASSCRED, 1);
    const got = recvmsg(
      sockfd,
      { data: NO_BYTES, credentials: true },
      MSG_PEEK | MSG_DONTWAIT,
    );
    closeRights(got.control);
    return got.control.some((m) => m.type === "credentials");
  } catch {
    // Not ours to report here: the read that follows meets the error.
    return true;
  } finally {
    if (!had) {
      try {
        setsockopt(sockfd, SOL_SOCKET, SO_PASSCRED, 0);
      } catch {
        // as above
      }
    }
  }
}

/**
 * Internal to `socket/`: a call that takes the next message of a seqpacket
 * socket (with `take`) only if it fits in `room` bytes, in one step: it
 * measures the message (`MSG_PEEK | MSG_TRUNC`) and takes it at once, so
 * that no other read of this process can take it between the two. Returns
 * what `take` returns, or the length of a message too long, left in place
 * (`take.taken` false); -1 with errno set.
 *
 * @param sockfd the socket
 * @param room how many bytes the message may have
 * @param take the non-blocking call that takes it
 * @param state where the call records whether it took the message
 * @returns the call
 */
export function measured(
  sockfd: number,
  room: number,
  take: () => number,
  state: MessageTake,
): () => number {
  return () => {
    const size = peekLength(sockfd);
    if (size === -1) return -1;
    state.taken = size <= room;
    state.end = size === 0 && !emptyMessageNext(sockfd);
    return state.taken ? take() : size;
  };
}

/**
 * Internal to `socket/`: a {@linkcode measured} `recv` into `buf`, with
 * `MSG_TRUNC` (its result is the message's real length).
 *
 * @param sockfd the socket
 * @param buf where the message goes
 * @param state where the call records whether it took the message
 * @returns the call
 */
export function messageCall(
  sockfd: number,
  buf: Uint8Array,
  state: MessageTake,
): () => number {
  const n = sizeT(buf.length);
  return measured(
    sockfd,
    buf.length,
    () => libc().recv(sockfd, buf, n, MSG_TRUNC | MSG_DONTWAIT),
    state,
  );
}

/**
 * Internal to `socket/`: the error for a seqpacket message of `size` bytes
 * that did not fit in `room`: refused and left in place, or (when another
 * process took the measured message first and a longer one came in its
 * place) taken and cut, which is said, never silent.
 *
 * @param size the message's length
 * @param room the room there was
 * @param taken whether the message was taken (and cut)
 * @param syscall `recv` or `recvmsg`
 * @param argument what set the room: `buf` or `maxBytes`
 * @returns the error
 */
export function tooLong(
  size: number,
  room: number,
  taken: boolean,
  syscall: string,
  argument: string,
): IpcError {
  return new IpcError(EMSGSIZE, {
    syscall,
    argument,
    value: room,
    hint: taken
      ? `another reader of the socket took the message measured first, and the next one, of ${size} bytes, was cut to fit: its last ${
        size - room
      } bytes are lost`
      : `the next message has ${size} bytes: ${
        argument === "buf"
          ? "read it with a buffer at least that large, or through readable"
          : `allow at least that many with ${argument}`
      } (nothing was taken)`,
  });
}

/**
 * Internal to `socket/`: the length a {@linkcode messageCall} returned (0
 * for an empty message), null at the end of the stream, or `EMSGSIZE`
 * ({@linkcode tooLong}) for a message longer than `buf`.
 *
 * @param r what the call returned
 * @param buf the buffer
 * @param state what the call recorded
 * @returns `r`, or null at the end (for a `buf` with room)
 * @throws {IpcError} `EMSGSIZE`
 */
export function messageTaken(
  r: number,
  buf: Uint8Array,
  state: MessageTake,
): number | null {
  if (r > buf.length) throw tooLong(r, buf.length, state.taken, "recv", "buf");
  return r === 0 && state.end === true && buf.length > 0 ? null : r;
}

/**
 * Internal to `socket/`: what a {@linkcode measured} `recvmsg` (made with
 * `MSG_TRUNC`) brought, or `EMSGSIZE` ({@linkcode tooLong}) for a message
 * longer than the room: left in place, or cut (its descriptors then
 * closed).
 *
 * @param p the prepared `recvmsg`
 * @param n what the call returned
 * @param state what the call recorded
 * @param argument what set the room (`maxBytes`)
 * @returns what arrived
 * @throws {IpcError} `EMSGSIZE`
 */
export function wholeMessage(
  p: ReturnType<typeof prepareRecv>,
  n: number,
  state: MessageTake,
  argument: string,
): MessageReceived {
  if (!state.taken) throw tooLong(n, p.room, false, "recvmsg", argument);
  const got = p.finish(n);
  if (n <= p.room) return got;
  closeRights(got.control);
  throw tooLong(n, p.room, true, "recvmsg", argument);
}

/** A datagram a class received: a copy of its bytes, and who sent it. */
export interface DatagramIn {
  /** The bytes (at most the room's). */
  data: Uint8Array<ArrayBuffer>;
  /** The sender's address. */
  from: SockAddr;
  /** The datagram's real size (`MSG_TRUNC`). */
  size: number;
  /** Whether it was longer than the room, and cut. */
  truncated: boolean;
}

/**
 * The room datagram receives of the classes read into, shared: each call
 * copies its datagram out in the same step, before any other can run, so
 * a receive costs a copy of what came, not a new zeroed buffer as large as
 * the largest datagram it could take (64 KiB by default).
 */
let scratch: Uint8Array<ArrayBuffer> | null = null;
/** The largest room kept between calls; a larger one is made per call. */
const SCRATCH_MAX = 64 * 1024;
let scratchRoom: AddressRoom | null = null;

/**
 * Internal to `socket/`: a non-blocking `recvfrom` of one datagram of up
 * to `maxBytes` bytes (`MSG_TRUNC`: its real size), into shared room, and
 * what makes the result of it: a copy of the bytes and the sender. `done`
 * must run right after a successful `call`, before any other.
 *
 * @param sockfd the socket
 * @param maxBytes the most bytes to keep
 * @returns the call, and what makes its result
 */
export function datagramCall(
  sockfd: number,
  maxBytes: number,
): { call: () => number; done: (n: number) => DatagramIn } {
  const kept = maxBytes <= SCRATCH_MAX;
  const buf = kept
    ? (scratch ??= new Uint8Array(SCRATCH_MAX))
    : new Uint8Array(maxBytes);
  const room = kept ? (scratchRoom ??= addressRoom()) : addressRoom();
  const n = sizeT(maxBytes);
  return {
    call: () => {
      room.reset();
      return libc().recvfrom(
        sockfd,
        buf,
        n,
        MSG_TRUNC | MSG_DONTWAIT,
        room.name,
        room.len,
      );
    },
    done: (size) => ({
      data: buf.slice(0, Math.min(size, maxBytes)),
      // A datagram with no sender's address is from an unbound Unix
      // socket (UDP always has one): unnamed.
      from: room.from() ?? { family: "unix" },
      size,
      truncated: size > maxBytes,
    }),
  };
}

/**
 * Creates a socket (`socket`). `SOCK_CLOEXEC` is always added.
 *
 * @param domain `AF_UNIX`, `AF_INET`, `AF_INET6`
 * @param type `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET`, with `SOCK_NONBLOCK`
 * @param protocol 0 for the default
 * @returns the descriptor
 * @throws {IpcError} `EAFNOSUPPORT`, `EINVAL`, `EPROTONOSUPPORT`, `EMFILE`
 * @example
 * ```ts
 * import { AF_UNIX, close, SOCK_DGRAM, socket } from "@linux-ipc/ipc/socket";
 * close(socket(AF_UNIX, SOCK_DGRAM));
 * ```
 */
export function socket(domain: number, type: number, protocol = 0): number {
  domain = int(domain, "socket", "domain", 0, LIMITS.INT_MAX);
  type = int(type, "socket", "type", 0, LIMITS.INT_MAX);
  protocol = int(protocol, "socket", "protocol", 0, LIMITS.INT_MAX);
  const fd = libc().socket(domain, type | SOCK_CLOEXEC, protocol);
  if (fd === -1) {
    throw lastError("socket")({
      EAFNOSUPPORT: "domain",
      EINVAL: "type",
      EPROTONOSUPPORT: "protocol",
    }, {
      domain,
      type,
      protocol,
    });
  }
  return fd;
}

/**
 * Creates a pair of connected sockets (`socketpair`), as for a parent and
 * the child it hands one end to.
 *
 * @param domain `AF_UNIX`
 * @param type `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET`, with `SOCK_NONBLOCK`
 * @param protocol 0
 * @returns the two descriptors
 * @throws {IpcError} `EAFNOSUPPORT`, `EOPNOTSUPP`, `EMFILE`
 * @example
 * ```ts
 * import { AF_UNIX, close, recv, send, SOCK_STREAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * send(a, new TextEncoder().encode("hi"));
 * console.log(recv(b, new Uint8Array(8))); // 2
 * close(a);
 * close(b);
 * ```
 */
export function socketpair(
  domain: number,
  type: number,
  protocol = 0,
): [number, number] {
  domain = int(domain, "socketpair", "domain", 0, LIMITS.INT_MAX);
  type = int(type, "socketpair", "type", 0, LIMITS.INT_MAX);
  const sv = new Int32Array(2);
  if (
    libc().socketpair(
      domain,
      type | SOCK_CLOEXEC,
      protocol,
      new Uint8Array(sv.buffer),
    ) === -1
  ) {
    throw lastError("socketpair")({
      EAFNOSUPPORT: "domain",
      EOPNOTSUPP: "type",
      EPROTONOSUPPORT: "protocol",
    });
  }
  return [sv[0], sv[1]];
}

/**
 * Gives a socket an address (`bind`). A pathname needs `--allow-read` and
 * `--allow-write` for it; an abstract name makes no file.
 *
 * @param sockfd the socket
 * @param addr the address
 * @throws {IpcError} `EADDRINUSE`, `EACCES`, `ENOENT` (directory missing), `EINVAL`
 * @throws {RangeError} for a name longer than `sun_path`
 * @example
 * ```ts
 * import { AF_UNIX, bind, close, getsockname, SOCK_DGRAM, socket } from "@linux-ipc/ipc/socket";
 * const fd = socket(AF_UNIX, SOCK_DGRAM);
 * bind(fd, { family: "unix", abstract: `linux-ipc-doc-${Deno.pid}` });
 * console.log(getsockname(fd)); // { family: "unix", abstract: "linux-ipc-doc-" + pid }
 * close(fd);
 * ```
 */
export function bind(sockfd: number, addr: SockAddr): void {
  sockfd = descriptor(sockfd, "bind", "sockfd");
  const a = encodeSockaddr(addr, "bind");
  checkPath(addr);
  if (libc().bind(sockfd, a, a.length) === -1) throw fail("bind", sockfd, addr);
}

/**
 * Marks a stream or seqpacket socket as accepting connections (`listen`).
 *
 * @param sockfd the bound socket
 * @param backlog pending connections to queue (default 128)
 * @throws {IpcError} `EADDRINUSE`, `EOPNOTSUPP` (a datagram socket)
 * @example
 * ```ts
 * import { AF_UNIX, bind, close, listen, SOCK_STREAM, socket } from "@linux-ipc/ipc/socket";
 * const fd = socket(AF_UNIX, SOCK_STREAM);
 * bind(fd, { family: "unix", abstract: `linux-ipc-listen-doc-${Deno.pid}` });
 * listen(fd);
 * close(fd);
 * ```
 */
export function listen(sockfd: number, backlog = 128): void {
  sockfd = descriptor(sockfd, "listen", "sockfd");
  backlog = int(backlog, "listen", "backlog", 0, LIMITS.INT_MAX);
  if (libc().listen(sockfd, backlog) === -1) throw fail("listen", sockfd);
}

/** A connection `accept4` returned. */
export interface Accepted {
  /** The connected socket. */
  fd: number;
  /** The peer's address (unnamed for most Unix clients). */
  addr: SockAddr;
}

/**
 * Takes a connection from a listening socket (`accept4`); blocks a blocking
 * socket until one comes. `SOCK_CLOEXEC` is always added.
 *
 * @param sockfd the listening socket
 * @param flags `SOCK_NONBLOCK`
 * @returns the connection and the peer's address
 * @throws {IpcError} `EAGAIN` (non-blocking, none pending), `EINVAL` (not listening), `EMFILE`
 * @example
 * ```ts
 * import { accept4, AF_UNIX, bind, close, connect, listen, SOCK_STREAM, socket } from "@linux-ipc/ipc/socket";
 * const server = socket(AF_UNIX, SOCK_STREAM);
 * bind(server, { family: "unix", abstract: `linux-ipc-accept-doc-${Deno.pid}` });
 * listen(server);
 * const client = socket(AF_UNIX, SOCK_STREAM);
 * connect(client, { family: "unix", abstract: `linux-ipc-accept-doc-${Deno.pid}` });
 * const { fd } = accept4(server);
 * [fd, client, server].forEach(close);
 * ```
 */
export function accept4(sockfd: number, flags = 0): Accepted {
  sockfd = descriptor(sockfd, "accept4", "sockfd");
  flags = checkFlags(flags, SOCK_NONBLOCK | SOCK_CLOEXEC, "accept4", "flags");
  const room = addressRoom();
  const fd = restarted(() =>
    libc().accept4(sockfd, room.name, room.len, flags | SOCK_CLOEXEC)
  );
  if (fd === -1) throw fail("accept4", sockfd);
  return { fd, addr: room.addr() };
}

/**
 * Takes a connection (`accept`, as `accept4` with no flags).
 *
 * @param sockfd the listening socket
 * @returns the connection and the peer's address
 * @throws {IpcError} as {@linkcode accept4}
 * @example
 * ```ts
 * import { accept, AF_UNIX, bind, close, connect, listen, SOCK_STREAM, socket } from "@linux-ipc/ipc/socket";
 * const server = socket(AF_UNIX, SOCK_STREAM);
 * bind(server, { family: "unix", abstract: `linux-ipc-accept-doc2-${Deno.pid}` });
 * listen(server);
 * const client = socket(AF_UNIX, SOCK_STREAM);
 * connect(client, { family: "unix", abstract: `linux-ipc-accept-doc2-${Deno.pid}` });
 * const { fd } = accept(server);
 * [fd, client, server].forEach(close);
 * ```
 */
export function accept(sockfd: number): Accepted {
  return accept4(sockfd, 0);
}

/**
 * Connects a socket to an address (`connect`). A pathname needs
 * `--allow-read` and `--allow-write` for it.
 *
 * @param sockfd the socket
 * @param addr the address
 * @throws {IpcError} `ENOENT` (no such path), `ECONNREFUSED`, `EACCES`,
 *   `EAGAIN` (Unix listener's queue full, non-blocking), `EINPROGRESS` (non-blocking inet)
 * @throws {RangeError} for a name longer than `sun_path`
 * @example
 * ```ts
 * import { AF_UNIX, close, connect, IpcError, SOCK_STREAM, socket } from "@linux-ipc/ipc/socket";
 * const fd = socket(AF_UNIX, SOCK_STREAM);
 * try {
 *   connect(fd, { family: "unix", abstract: "nobody-listens-here" });
 * } catch (e) {
 *   console.log((e as IpcError).code); // "ECONNREFUSED"
 * }
 * close(fd);
 * ```
 */
export function connect(sockfd: number, addr: SockAddr): void {
  sockfd = descriptor(sockfd, "connect", "sockfd");
  const a = encodeSockaddr(addr, "connect");
  checkPath(addr);
  if (restarted(() => libc().connect(sockfd, a, a.length)) === -1) {
    throw fail("connect", sockfd, addr);
  }
}

/**
 * Sends bytes on a connected socket (`send`, with `MSG_NOSIGNAL`).
 *
 * @param sockfd the socket
 * @param buf the bytes
 * @param flags `MSG_DONTWAIT`, `MSG_EOR`, `MSG_MORE`
 * @returns how many bytes were sent
 * @throws {IpcError} `EPIPE` (peer gone), `EAGAIN`, `ENOTCONN`, `EMSGSIZE`
 * @example
 * ```ts
 * import { AF_UNIX, close, send, SOCK_STREAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * console.log(send(a, new Uint8Array(3))); // 3
 * close(a);
 * close(b);
 * ```
 */
export function send(sockfd: number, buf: Uint8Array, flags = 0): number {
  sockfd = descriptor(sockfd, "send", "sockfd");
  bytes(buf, "send", "buf");
  flags = checkFlags(flags, SEND_FLAGS, "send", "flags");
  const c = libc(), n = sizeT(buf.length), f = flags | MSG_NOSIGNAL;
  // No closure, which would cost an allocation per call; EINTR made again.
  for (;;) {
    const r = resultOf(c.send(sockfd, buf, n, f));
    if (r >= 0) return r;
    if (r !== -EINTR) throw fail("send", sockfd, undefined, undefined, -r);
  }
}

/**
 * Receives bytes from a connected socket (`recv`).
 *
 * @param sockfd the socket
 * @param buf where to put them
 * @param flags `MSG_PEEK`, `MSG_DONTWAIT`, `MSG_WAITALL`, `MSG_TRUNC`
 * @returns how many bytes arrived; 0 when a stream's peer has shut down
 * @throws {IpcError} `EAGAIN`, `ENOTCONN`, `ECONNRESET`
 * @example
 * ```ts
 * import { AF_UNIX, close, recv, send, SOCK_SEQPACKET, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_SEQPACKET);
 * send(a, new Uint8Array(5));
 * console.log(recv(b, new Uint8Array(100))); // 5: one message, its boundary kept
 * close(a);
 * close(b);
 * ```
 */
export function recv(sockfd: number, buf: Uint8Array, flags = 0): number {
  sockfd = descriptor(sockfd, "recv", "sockfd");
  bytes(buf, "recv", "buf");
  flags = checkFlags(flags, RECV_FLAGS, "recv", "flags");
  const c = libc(), n = sizeT(buf.length);
  // As send's: no closure, EINTR made again.
  for (;;) {
    const r = resultOf(c.recv(sockfd, buf, n, flags));
    if (r >= 0) return r;
    if (r !== -EINTR) throw fail("recv", sockfd, undefined, undefined, -r);
  }
}

/**
 * Sends a datagram to an address (`sendto`, with `MSG_NOSIGNAL`). A
 * pathname needs `--allow-read` and `--allow-write` for it.
 *
 * @param sockfd the socket
 * @param buf the bytes
 * @param flags `MSG_DONTWAIT`
 * @param addr where to
 * @returns how many bytes were sent
 * @throws {IpcError} `ECONNREFUSED`/`ENOENT` (no receiver there), `EMSGSIZE`, `EAGAIN`
 * @example
 * ```ts
 * import { AF_UNIX, bind, close, recvfrom, sendto, SOCK_DGRAM, socket } from "@linux-ipc/ipc/socket";
 * const rx = socket(AF_UNIX, SOCK_DGRAM);
 * bind(rx, { family: "unix", abstract: `linux-ipc-sendto-doc-${Deno.pid}` });
 * const tx = socket(AF_UNIX, SOCK_DGRAM);
 * sendto(tx, new TextEncoder().encode("ping"), 0, { family: "unix", abstract: `linux-ipc-sendto-doc-${Deno.pid}` });
 * console.log(recvfrom(rx, new Uint8Array(16)).n); // 4
 * close(rx);
 * close(tx);
 * ```
 */
export function sendto(
  sockfd: number,
  buf: Uint8Array,
  flags: number,
  addr: SockAddr,
): number {
  sockfd = descriptor(sockfd, "sendto", "sockfd");
  bytes(buf, "sendto", "buf");
  flags = checkFlags(flags, SEND_FLAGS, "sendto", "flags");
  const a = encodeSockaddr(addr, "sendto");
  checkPath(addr);
  const c = libc(), n = sizeT(buf.length), f = flags | MSG_NOSIGNAL;
  const r = restarted(() => c.sendto(sockfd, buf, n, f, a, a.length));
  if (r === -1) throw fail("sendto", sockfd, addr);
  return r;
}

/** What `recvfrom` returns. */
export interface Received {
  /** How many bytes arrived (with `MSG_TRUNC`: the datagram's real length). */
  n: number;
  /**
   * The sender's address, or null where the kernel gives none (C's
   * `addrlen` of 0, Python's `None`): a Unix sender that did not bind, or
   * any stream socket.
   */
  from: SockAddr | null;
}

/**
 * Receives a datagram and its sender's address (`recvfrom`).
 *
 * @param sockfd the socket
 * @param buf where to put it
 * @param flags `MSG_PEEK`, `MSG_DONTWAIT`, `MSG_TRUNC`
 * @returns the length and the sender
 * @throws {IpcError} `EAGAIN`
 * @example
 * ```ts
 * import { AF_UNIX, bind, close, recvfrom, sendto, SOCK_DGRAM, socket } from "@linux-ipc/ipc/socket";
 * const rx = socket(AF_UNIX, SOCK_DGRAM);
 * bind(rx, { family: "unix", abstract: `linux-ipc-recvfrom-doc-${Deno.pid}` });
 * const tx = socket(AF_UNIX, SOCK_DGRAM);
 * bind(tx, { family: "unix", abstract: `linux-ipc-recvfrom-doc-tx-${Deno.pid}` });
 * sendto(tx, new Uint8Array(1), 0, { family: "unix", abstract: `linux-ipc-recvfrom-doc-${Deno.pid}` });
 * console.log(recvfrom(rx, new Uint8Array(4)).from); // { family: "unix", abstract: "linux-ipc-recvfrom-doc-tx-" + pid }
 * close(rx);
 * close(tx);
 * ```
 */
export function recvfrom(sockfd: number, buf: Uint8Array, flags = 0): Received {
  sockfd = descriptor(sockfd, "recvfrom", "sockfd");
  bytes(buf, "recvfrom", "buf");
  flags = checkFlags(flags, RECV_FLAGS, "recvfrom", "flags");
  const room = addressRoom();
  const c = libc(), n = sizeT(buf.length);
  const r = restarted(() =>
    c.recvfrom(sockfd, buf, n, flags, room.name, room.len)
  );
  if (r === -1) throw fail("recvfrom", sockfd);
  return { n: r, from: room.from() };
}

/** A message for {@linkcode sendmsg}. */
export interface MessageOut {
  /** The bytes: one buffer or several, sent as one message. */
  data: Uint8Array | readonly Uint8Array[];
  /** The destination, for an unconnected datagram socket. */
  to?: SockAddr;
  /** Control messages: descriptors and/or credentials. */
  control?: readonly ControlMessage[];
}

/** How {@linkcode recvmsg} receives. */
export interface MessageIn {
  /** Where to put the bytes: one buffer or several, filled in order. */
  data: Uint8Array | readonly Uint8Array[];
  /**
   * Room for at least this many descriptors (default `SCM_MAX_FD`); more
   * than fit are a truncation: the call closes those that came and throws.
   */
  maxFds?: number;
  /** Room for credentials (`SO_PASSCRED` must be on to get them). Default true. */
  credentials?: boolean;
}

/** What {@linkcode recvmsg} returns. */
export interface MessageReceived {
  /** How many bytes arrived. */
  n: number;
  /**
   * The sender's address, or null where the kernel gives none, as
   * {@linkcode Received.from}.
   */
  from: SockAddr | null;
  /** The control messages; received descriptors are close-on-exec. */
  control: ControlMessage[];
  /** Whether the datagram was longer than the buffers (`MSG_TRUNC`). */
  truncated: boolean;
}

function buffers(
  data: Uint8Array | readonly Uint8Array[],
  syscall: string,
): readonly Uint8Array[] {
  const list = data instanceof Uint8Array ? [data] : data;
  if (!Array.isArray(list) || !list.every((b) => b instanceof Uint8Array)) {
    throw new TypeError(
      `Invalid argument "msg.data" to ${syscall}: expected a Uint8Array or an array of them, got "${
        show(data)
      }"`,
    );
  }
  // A view of a detached buffer holds nothing, as a zero-length one.
  return list.filter((b) => b.length > 0);
}

function message(
  msg: unknown,
  syscall: string,
  known: readonly string[],
): void {
  if (!isOptionsObject(msg)) {
    throw new TypeError(
      `Invalid argument "msg" to ${syscall}: expected { data, ... }, got "${
        show(msg)
      }"`,
    );
  }
  // A misspelled field (`name` for `to`) would be left unread, and the
  // message sent as if it were not there (to the peer, or ENOTCONN).
  knownFields(msg, known, syscall, "msg");
}

/** A buffer outside the V8 heap, so that its address stays put. */
function offHeap(n: number): [Uint8Array<ArrayBuffer>, bigint] {
  const b = new Uint8Array(new ArrayBuffer(Math.max(n, 1)));
  return [b, bufferAddress(b)];
}

function checkControl(
  control: readonly ControlMessage[],
  syscall: string,
): void {
  for (const [i, m] of control.entries()) {
    if (m?.type === "rights") {
      knownFields(m, ["type", "fds"], syscall, `msg.control[${i}]`);
      if (
        !Array.isArray(m.fds) || m.fds.length === 0 || m.fds.length > SCM_MAX_FD
      ) {
        throw new RangeError(
          `Argument "msg.control[${i}].fds" to ${syscall} must hold 1 to ${SCM_MAX_FD} descriptors (SCM_MAX_FD), got ${m.fds?.length}`,
        );
      }
      m.fds.forEach((fd, j) =>
        fd = int(fd, syscall, `msg.control[${i}].fds[${j}]`, 0, LIMITS.INT_MAX)
      );
    } else if (m?.type === "credentials") {
      knownFields(
        m,
        ["type", "pid", "uid", "gid"],
        syscall,
        `msg.control[${i}]`,
      );
      int(m.pid, syscall, `msg.control[${i}].pid`, 0, LIMITS.INT_MAX);
      int(m.uid, syscall, `msg.control[${i}].uid`, 0, LIMITS.UINT_MAX);
      int(m.gid, syscall, `msg.control[${i}].gid`, 0, LIMITS.UINT_MAX);
    } else {
      throw new TypeError(
        `Invalid argument "msg.control[${i}]" to ${syscall}: expected { type: "rights", fds } or { type: "credentials", pid, uid, gid }`,
      );
    }
  }
}

/**
 * Internal to `socket/`: refuses, before the call, what only a Unix-domain
 * socket does. Linux takes a TCP or UDP `sendmsg` with `SCM_RIGHTS` and
 * sends the bytes without the descriptors, without a word, and answers
 * `SO_PEERCRED` there with made-up ids. A descriptor that is not open is
 * left to the call, which names it.
 *
 * @param sockfd the socket
 * @param syscall the call, for the error
 * @param argument what asks for it
 * @param why what only a Unix-domain socket does, and what the kernel
 *   would do instead (default: for control data)
 * @throws {IpcError} `EAFNOSUPPORT`
 */
export function unixOnly(
  sockfd: number,
  syscall: string,
  argument: string,
  why: [string, string] = [
    "passes descriptors and credentials",
    "whose kernel would send the bytes and drop them",
  ],
): void {
  const domain = optionOrNull(sockfd, SO_DOMAIN);
  if (domain === null || domain === AF_UNIX) return;
  throw new IpcError(EAFNOSUPPORT, {
    syscall,
    argument,
    hint: `only a Unix-domain socket ${why[0]}; this is ${
      FAMILIES[domain] === undefined
        ? `a family ${domain}`
        : `an "${FAMILIES[domain]}"`
    } socket, ${why[1]}`,
  });
}

/** A prepared `sendmsg`. */
export interface Prepared {
  call: () => number;
  after?: () => void;
  /** The descriptors the message passes, for the error's blame. */
  fds?: readonly number[];
}

/** Internal to `socket/`: a `sendmsg` made ready to call (and call again). */
export function prepareSend(
  sockfd: number,
  msg: MessageOut,
  flags: number,
): Prepared {
  message(msg, "sendmsg", ["data", "to", "control"]);
  const list = buffers(msg.data, "sendmsg");
  const control = msg.control ?? [];
  if (!Array.isArray(control)) {
    throw new TypeError(
      `Invalid argument "msg.control" to sendmsg: expected an array of control messages, got "${
        show(control)
      }"`,
    );
  }
  checkControl(control, "sendmsg");
  if (control.length > 0) unixOnly(sockfd, "sendmsg", "msg.control");
  const total = list.reduce((n, b) => n + b.length, 0);
  const [data, dataPtr] = offHeap(total);
  let at = 0;
  for (const b of list) {
    data.set(b, at);
    at += b.length;
  }
  const [iov, iovPtr] = offHeap(SOCK_SIZEOF.iovec);
  encodeIovec(iov, 0, dataPtr, total);
  let name: [bigint, number] = [0n, 0];
  let keepName: Uint8Array | undefined;
  if (msg.to !== undefined) {
    const a = encodeSockaddr(msg.to, "sendmsg");
    checkPath(msg.to);
    const [nb, np] = offHeap(a.length);
    nb.set(a);
    keepName = nb;
    name = [np, a.length];
  }
  const space = control.reduce(
    (n, m) =>
      n +
      (m.type === "rights"
        ? cmsgSpace(m.fds.length, false)
        : cmsgSpace(0, true)),
    0,
  );
  const [ctl, ctlPtr] = offHeap(space);
  const ctlLen = encodeCmsgs(control, ctl);
  const hdr = new Uint8Array(SOCK_SIZEOF.msghdr);
  encodeMsghdr(hdr, name, [iovPtr, 1], [ctlLen ? ctlPtr : 0n, ctlLen]);
  const f = flags | MSG_NOSIGNAL;
  return {
    call: () => {
      // Keep the off-heap buffers alive across the call.
      void data, iov, ctl, keepName;
      return libc().sendmsg(sockfd, hdr, f);
    },
    fds: control.flatMap((m) => m.type === "rights" ? m.fds : []),
  };
}

/**
 * Sends a message with control data (`sendmsg`, with `MSG_NOSIGNAL`):
 * descriptors as `{ type: "rights", fds }` (the receiver gets its own
 * copies; close yours when done), credentials as `{ type: "credentials" }`.
 *
 * @param sockfd a Unix socket
 * @param msg the data, destination and control messages
 * @param flags `MSG_DONTWAIT`
 * @returns how many bytes were sent
 * @throws {IpcError} `EBADF` (a descriptor to pass is not open), `EPIPE`,
 *   `ETOOMANYREFS`, `EAGAIN`; `EAFNOSUPPORT` for control data on a socket
 *   that is not Unix-domain, before the call
 * @throws {RangeError} for more than `SCM_MAX_FD` descriptors
 * @throws {TypeError} for a field `msg` does not have (`name` for `to`)
 * @example Pass a descriptor (the Linux Voice unix_send_fd)
 * ```ts
 * import { AF_UNIX, close, recvmsg, sendmsg, SOCK_STREAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * const [x, y] = socketpair(AF_UNIX, SOCK_STREAM);
 * sendmsg(a, { data: new Uint8Array([1]), control: [{ type: "rights", fds: [x] }] });
 * const got = recvmsg(b, { data: new Uint8Array(1) });
 * console.log(got.control[0].type); // "rights"
 * for (const m of got.control) if (m.type === "rights") m.fds.forEach(close);
 * [a, b, x, y].forEach(close);
 * ```
 */
export function sendmsg(sockfd: number, msg: MessageOut, flags = 0): number {
  sockfd = descriptor(sockfd, "sendmsg", "sockfd");
  flags = checkFlags(flags, SEND_FLAGS, "sendmsg", "flags");
  const { call, fds } = prepareSend(sockfd, msg, flags);
  const r = restarted(call);
  if (r === -1) throw fail("sendmsg", sockfd, msg.to, fds);
  return r;
}

/** Internal to `socket/`: a `recvmsg` made ready to call, and its decoding. */
export function prepareRecv(sockfd: number, msg: MessageIn, flags: number) {
  message(msg, "recvmsg", ["data", "maxFds", "credentials"]);
  const list = buffers(msg.data, "recvmsg");
  const maxFds = int(
    msg.maxFds ?? SCM_MAX_FD,
    "recvmsg",
    "msg.maxFds",
    0,
    SCM_MAX_FD,
  );
  const total = list.reduce((n, b) => n + b.length, 0);
  const [data, dataPtr] = offHeap(total);
  const [iov, iovPtr] = offHeap(SOCK_SIZEOF.iovec);
  encodeIovec(iov, 0, dataPtr, total);
  const [name, namePtr] = offHeap(SOCKADDR_STORAGE);
  const space = cmsgSpace(
    maxFds,
    boolOption(msg.credentials, true, "msg.credentials", "recvmsg"),
  );
  const [ctl, ctlPtr] = offHeap(space);
  const hdr = new Uint8Array(SOCK_SIZEOF.msghdr);
  encodeMsghdr(hdr, [namePtr, SOCKADDR_STORAGE], [iovPtr, 1], [
    space ? ctlPtr : 0n,
    space,
  ]);
  const f = flags | MSG_CMSG_CLOEXEC;
  return {
    room: total,
    call: () => {
      void iov;
      return libc().recvmsg(sockfd, hdr, f);
    },
    finish: (n: number): MessageReceived => {
      const h = decodeMsghdr(hdr);
      const control = decodeCmsgs(ctl, h.controllen);
      if ((h.flags & MSG_CTRUNC) !== 0) {
        closeRights(control);
        throw new IpcError(EMSGSIZE, {
          syscall: "recvmsg",
          argument: "msg.maxFds",
          value: maxFds,
          hint:
            "the control data was truncated (MSG_CTRUNC): every descriptor that arrived was closed; allow more with maxFds",
        });
      }
      let at = 0;
      for (const b of list) {
        const take = Math.min(b.length, Math.max(0, Math.min(n, total) - at));
        b.set(data.subarray(at, at + take));
        at += take;
      }
      return {
        n,
        from: h.namelen > 0 ? decodeSockaddr(name, h.namelen) : null,
        control,
        truncated: (h.flags & MSG_TRUNC) !== 0,
      };
    },
  };
}

/**
 * Receives a message with control data (`recvmsg`, with
 * `MSG_CMSG_CLOEXEC`). Received descriptors are yours to close. If the
 * kernel had to truncate the control data, every descriptor that arrived is
 * closed and the call throws.
 *
 * @param sockfd a Unix socket
 * @param msg where to put the bytes, and room for descriptors/credentials
 * @param flags `MSG_PEEK`, `MSG_DONTWAIT`, `MSG_WAITALL`
 * @returns the length, sender, control messages and truncation
 * @throws {IpcError} `EMSGSIZE` for truncated control data; `EAGAIN`, `ENOTCONN`
 * @throws {TypeError} for a field `msg` does not have (`maxfds` for `maxFds`)
 * @example
 * ```ts
 * import { AF_UNIX, close, recvmsg, sendmsg, SOCK_DGRAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_DGRAM);
 * sendmsg(a, { data: [new Uint8Array([1, 2]), new Uint8Array([3])] });
 * const buf = new Uint8Array(8);
 * console.log(recvmsg(b, { data: buf }).n, buf[2]); // 3 3
 * close(a);
 * close(b);
 * ```
 */
export function recvmsg(
  sockfd: number,
  msg: MessageIn,
  flags = 0,
): MessageReceived {
  sockfd = descriptor(sockfd, "recvmsg", "sockfd");
  flags = checkFlags(flags, RECV_FLAGS, "recvmsg", "flags");
  const p = prepareRecv(sockfd, msg, flags);
  const r = restarted(p.call);
  if (r === -1) throw fail("recvmsg", sockfd);
  return p.finish(r);
}

/**
 * Shuts down part of a full-duplex connection (`shutdown`).
 *
 * @param sockfd the socket
 * @param how `SHUT_RD`, `SHUT_WR` (the peer reads end of file) or `SHUT_RDWR`
 * @throws {IpcError} `ENOTCONN`
 * @example
 * ```ts
 * import { AF_UNIX, close, recv, SHUT_WR, shutdown, SOCK_STREAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * shutdown(a, SHUT_WR);
 * console.log(recv(b, new Uint8Array(1))); // 0: end of file
 * close(a);
 * close(b);
 * ```
 */
export function shutdown(sockfd: number, how: number): void {
  sockfd = descriptor(sockfd, "shutdown", "sockfd");
  how = int(how, "shutdown", "how", SHUT_RD, SHUT_RDWR);
  if (libc().shutdown(sockfd, how) === -1) throw fail("shutdown", sockfd);
}

/** A peer's credentials (`SO_PEERCRED`). */
export interface Credentials {
  /** Process id. */
  pid: number;
  /** User id. */
  uid: number;
  /** Group id. */
  gid: number;
}

/**
 * Reads the peer's credentials (`getsockopt(SO_PEERCRED)`).
 *
 * @param sockfd the socket
 * @param level `SOL_SOCKET`
 * @param optname `SO_PEERCRED`
 * @returns pid, uid and gid of the process at the other end
 * @throws {IpcError} `ENOTCONN`, `ENOPROTOOPT`
 * @example
 * ```ts
 * import { AF_UNIX, close, getsockopt, SO_PEERCRED, SOCK_STREAM, socketpair, SOL_SOCKET } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * console.log(getsockopt(a, SOL_SOCKET, SO_PEERCRED).pid === Deno.pid); // true
 * close(a);
 * close(b);
 * ```
 */
export function getsockopt(
  sockfd: number,
  level: typeof SOL_SOCKET,
  optname: typeof SO_PEERCRED,
): Credentials;
/**
 * Reads an integer socket option (`getsockopt`): `SO_SNDBUF`, `SO_RCVBUF`,
 * `SO_ERROR`, `SO_PASSCRED`, `SO_TYPE`, `SO_REUSEADDR`.
 *
 * @param sockfd the socket
 * @param level `SOL_SOCKET`
 * @param optname the option
 * @returns its value
 * @throws {IpcError} `ENOPROTOOPT`, `EBADF`
 * @example
 * ```ts
 * import { AF_UNIX, close, getsockopt, SO_SNDBUF, SOCK_STREAM, socket, SOL_SOCKET } from "@linux-ipc/ipc/socket";
 * const fd = socket(AF_UNIX, SOCK_STREAM);
 * console.log(getsockopt(fd, SOL_SOCKET, SO_SNDBUF) > 0); // true
 * close(fd);
 * ```
 */
export function getsockopt(
  sockfd: number,
  level: number,
  optname: number,
): number;
export function getsockopt(
  sockfd: number,
  level: number,
  optname: number,
): number | Credentials {
  sockfd = descriptor(sockfd, "getsockopt", "sockfd");
  level = int(level, "getsockopt", "level", 0, LIMITS.INT_MAX);
  optname = int(optname, "getsockopt", "optname", 0, LIMITS.INT_MAX);
  const peer = level === SOL_SOCKET && optname === SO_PEERCRED;
  const size = peer ? SOCK_SIZEOF.ucred : 4;
  const val = new Uint8Array(size);
  const len = new Uint32Array([size]);
  if (
    libc().getsockopt(
      sockfd,
      level,
      optname,
      val,
      new Uint8Array(len.buffer),
    ) === -1
  ) {
    throw lastError("getsockopt")({
      EBADF: "sockfd",
      ENOTSOCK: "sockfd",
      ENOPROTOOPT: "optname",
    }, {
      sockfd,
      optname,
    });
  }
  return peer ? decodeUcred(val) : new DataView(val.buffer).getInt32(0, true);
}

/**
 * Sets an integer socket option (`setsockopt`): `SO_PASSCRED`,
 * `SO_SNDBUF`, `SO_RCVBUF`, `SO_REUSEADDR`.
 *
 * @param sockfd the socket
 * @param level `SOL_SOCKET`
 * @param optname the option
 * @param value an integer, or a boolean for on/off options
 * @throws {IpcError} `ENOPROTOOPT`, `EINVAL`
 * @example
 * ```ts
 * import { AF_UNIX, close, setsockopt, SO_PASSCRED, SOCK_DGRAM, socket, SOL_SOCKET } from "@linux-ipc/ipc/socket";
 * const fd = socket(AF_UNIX, SOCK_DGRAM);
 * setsockopt(fd, SOL_SOCKET, SO_PASSCRED, true);
 * close(fd);
 * ```
 */
export function setsockopt(
  sockfd: number,
  level: number,
  optname: number,
  value: number | boolean,
): void {
  sockfd = descriptor(sockfd, "setsockopt", "sockfd");
  level = int(level, "setsockopt", "level", 0, LIMITS.INT_MAX);
  optname = int(optname, "setsockopt", "optname", 0, LIMITS.INT_MAX);
  const v = typeof value === "boolean"
    ? (value ? 1 : 0)
    : int(value, "setsockopt", "optval", LIMITS.INT_MIN, LIMITS.INT_MAX);
  const val = new Uint8Array(new Int32Array([v]).buffer);
  if (libc().setsockopt(sockfd, level, optname, val, 4) === -1) {
    throw lastError("setsockopt")({
      EBADF: "sockfd",
      ENOTSOCK: "sockfd",
      ENOPROTOOPT: "optname",
      EINVAL: "optval",
    }, {
      sockfd,
      optname,
    });
  }
}

function nameOf(
  syscall: "getsockname" | "getpeername",
  sockfd: number,
): SockAddr {
  sockfd = descriptor(sockfd, syscall, "sockfd");
  const name = new Uint8Array(SOCKADDR_STORAGE);
  const len = new Uint32Array([SOCKADDR_STORAGE]);
  if (libc()[syscall](sockfd, name, new Uint8Array(len.buffer)) === -1) {
    throw fail(syscall, sockfd);
  }
  return decodeSockaddr(name, len[0]);
}

/**
 * The socket's own address (`getsockname`).
 *
 * @param sockfd the socket
 * @returns the address (unnamed if not bound)
 * @throws {IpcError} `EBADF`, `ENOTSOCK`
 * @example
 * ```ts
 * import { AF_UNIX, close, getsockname, SOCK_STREAM, socket } from "@linux-ipc/ipc/socket";
 * const fd = socket(AF_UNIX, SOCK_STREAM);
 * console.log(getsockname(fd)); // { family: "unix" }
 * close(fd);
 * ```
 */
export function getsockname(sockfd: number): SockAddr {
  return nameOf("getsockname", sockfd);
}

/**
 * The connected peer's address (`getpeername`).
 *
 * @param sockfd the socket
 * @returns the address
 * @throws {IpcError} `ENOTCONN`
 * @example
 * ```ts
 * import { AF_UNIX, close, getpeername, SOCK_STREAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * console.log(getpeername(a)); // { family: "unix" }: socketpair ends are unnamed
 * close(a);
 * close(b);
 * ```
 */
export function getpeername(sockfd: number): SockAddr {
  return nameOf("getpeername", sockfd);
}

// getaddrinfo's error codes (glibc's <netdb.h>) that choose the argument
// blamed.
const EAI_BADFLAGS = -1;
const EAI_FAMILY = -6;
const EAI_SOCKTYPE = -7;
const EAI_SERVICE = -8;
const EAI_SYSTEM = -11;

/**
 * Resolves a host and service to addresses (`getaddrinfo`). Looking up a
 * name may block the thread (DNS); Deno's `Deno.resolveDns` is async.
 *
 * @param node a host name or address
 * @param service a port number or service name; left out (or null), the
 *   addresses have port 0, as C's `NULL` service gives
 * @param hints `family` (`AF_UNSPEC`, `AF_INET`, `AF_INET6`) and `socktype`
 * @returns the addresses, in the order the C library prefers
 * @throws {IpcError} with the resolver's code (`EAI_NONAME`, `EAI_AGAIN`,
 *   `EAI_SERVICE`, ...: `errno` is its negative number) and message
 *   (`gai_strerror`), or errno's for `EAI_SYSTEM`
 * @example
 * ```ts
 * import { AF_INET, getaddrinfo, SOCK_STREAM } from "@linux-ipc/ipc/socket";
 * const [first] = getaddrinfo("127.0.0.1", "80", { family: AF_INET, socktype: SOCK_STREAM });
 * console.log(first.address); // { family: "inet", address: "127.0.0.1", port: 80 }
 * ```
 */
export function getaddrinfo(
  node: string,
  service?: string | null,
  hints: { family?: number; socktype?: number } = {},
): AddrInfo[] {
  const n = cString(node, "getaddrinfo", "node");
  const s = service === undefined || service === null
    ? null
    : cString(service, "getaddrinfo", "service");
  if (!isOptionsObject(hints)) {
    throw new TypeError(
      `Invalid argument "hints" to getaddrinfo: expected { family?, socktype? }, got "${
        show(hints)
      }"`,
    );
  }
  // A misspelled field (`sockettype`) would ask for every kind of socket.
  knownFields(hints, ["family", "socktype"], "getaddrinfo", "hints");
  const h = encodeAddrinfoHints(
    int(hints.family ?? AF_UNSPEC, "getaddrinfo", "hints.family", 0, 0xffff),
    int(hints.socktype ?? 0, "getaddrinfo", "hints.socktype", 0, 0xffff),
  );
  const res = new BigUint64Array(1);
  const c = libc();
  const rc = c.getaddrinfo(n, s, h, new Uint8Array(res.buffer));
  if (rc !== 0) {
    // EAI_SYSTEM: the reason is in errno, which only ffi/ reads.
    const code = rc === EAI_SYSTEM ? lastError("getaddrinfo")().errno : rc;
    const argument = rc === EAI_SERVICE
      ? "service"
      : rc === EAI_FAMILY || rc === EAI_SOCKTYPE || rc === EAI_BADFLAGS
      ? "hints"
      : "node";
    throw new IpcError(code, {
      syscall: "getaddrinfo",
      argument,
      value: argument === "hints" ? JSON.stringify(hints) : undefined,
      hint: s === null
        ? `cannot resolve "${node}"`
        : `cannot resolve "${node}" port "${service}"`,
    });
  }
  const first = pointerAt(res[0])!;
  try {
    return decodeAddrinfoList(first);
  } finally {
    c.freeaddrinfo(first);
  }
}

export { close };
