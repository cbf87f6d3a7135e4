/**
 * Unix-domain sockets for everyday use: {@linkcode UnixListener},
 * {@linkcode UnixConnection} and {@linkcode UnixDatagram}. An address is a
 * {@linkcode SockAddr} or a string: `"/run/app.sock"` for a pathname,
 * `"@app"` for an abstract name.
 *
 * @module
 */

import {
  EAFNOSUPPORT,
  EINVAL,
  ENOTCONN,
  ENOTSOCK,
  EPROTOTYPE,
  hasCode,
  IpcError,
} from "../ffi/errors.ts";
import {
  bytes,
  descriptor,
  int,
  knownOptions,
  LIMITS,
  show,
} from "../ffi/validate.ts";
import {
  fileKind,
  fstat,
  isBlocking,
  lstatName,
  ownChecked,
  type OwnedFd,
  restoreBlockingOnClose,
  S_IFMT,
  S_IFSOCK,
  setNonBlocking,
  unlinkName,
} from "../ffi/fd.ts";
import {
  type ControlMessage,
  encodeSockaddr,
  type SockAddr,
} from "../ffi/socket_layout.ts";
import {
  checkWaitOptions,
  laterIfLongTurn,
  syncTimeout,
  type WaitOptions,
  waitPart,
} from "../ffi/wait.ts";
import { readableFrom, writableFrom } from "../ffi/streams.ts";
import { WriteLine } from "../ffi/poll.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  bind,
  checkPath,
  close,
  type Credentials,
  getpeername,
  getsockname,
  getsockopt,
  listen,
  SCM_MAX_FD,
  SHUT_WR,
  shutdown,
  SO_ACCEPTCONN,
  SO_DOMAIN,
  SO_PEERCRED,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  socket,
  socketpair,
  SOL_SOCKET,
  unixOnly,
} from "./socket.ts";
import {
  acceptConnection,
  connectNonBlocking,
  messageReady,
  peekReady,
  readReady,
  receiveDatagram,
  recvmsgAsync,
  recvmsgWhole,
  sendAsync,
  sendmsgAsync,
  sendtoAsync,
} from "./async.ts";
import {
  acceptConnectionSync,
  messageSyncReady,
  receiveDatagramSync,
  recvmsgSyncReady,
  recvmsgWholeSync,
  recvSyncReady,
  sendmsgSyncReady,
  sendSyncReady,
  sendtoSyncReady,
} from "./_sync_ready.ts";

/** A pathname this process bound, and the file the bind made there. */
interface Bound {
  path: string;
  dev: number;
  ino: number;
}

/** Notes the file a bind made at a path, so close removes only that one. */
function bound(addr: SockAddr): Bound | null {
  if (!("path" in addr)) return null;
  const st = lstatName(addr.path);
  return st === null ? null : { path: addr.path, dev: st.dev, ino: st.ino };
}

/**
 * Removes the path a socket of this process bound, if it is still the file
 * that bind made: a newer server's socket at the same path (or anything
 * else put there since) is left alone.
 */
function removeBound(b: Bound | null): void {
  if (b === null) return;
  const st = lstatName(b.path); // null: gone already
  if (
    st !== null && st.dev === b.dev && st.ino === b.ino &&
    (st.mode & S_IFMT) === S_IFSOCK
  ) {
    unlinkName(b.path);
  }
}

/**
 * An address: a {@linkcode SockAddr}, `"/path"`, `"@abstract"`, or a Unix
 * address with its family left out: `{ path }`, `{ abstract }`, or Deno's
 * own `Deno.UnixAddr` (`{ transport: "unix", path }`, as `Deno.listen`'s
 * `addr` gives).
 */
export type UnixAddress =
  | SockAddr
  | string
  | { path: string }
  | { abstract: string }
  | Deno.UnixAddr;

/** The names a Unix address with no `family` may have. */
const FAMILYLESS = new Set(["transport", "path", "abstract"]);

/**
 * A Unix address as the socket calls take it. A string, or an object with
 * no `family` (a path or an abstract name, or Deno's `Deno.UnixAddr`), is
 * checked here for `where`; an object with a family goes on as it is, for
 * the address's own check.
 */
function toAddr(addr: UnixAddress, where: string): SockAddr {
  if (typeof addr === "string") {
    return addr.startsWith("@")
      ? { family: "unix", abstract: addr.slice(1) }
      : { family: "unix", path: addr };
  }
  if (addr === null || typeof addr !== "object" || Array.isArray(addr)) {
    throw new TypeError(
      `Invalid argument "addr" to ${where}: expected a path, "@name", { path }, { abstract } or a socket address with a family, got "${
        show(addr)
      }"`,
    );
  }
  if (Object.hasOwn(addr, "family")) return addr as SockAddr;
  // A Unix address with its family left out: only a path or an abstract
  // name, and Deno's transport of a Unix socket.
  const o = addr as { transport?: unknown; path?: unknown; abstract?: unknown };
  const unknown = Object.keys(o).find((k) => !FAMILYLESS.has(k));
  if (unknown !== undefined) {
    throw new TypeError(
      `Unknown field "addr.${unknown}" to ${where}: a Unix address has "path" or "abstract" (or a "family" of its own)`,
    );
  }
  if (
    o.transport !== undefined && o.transport !== "unix" &&
    o.transport !== "unixpacket"
  ) {
    throw new TypeError(
      `Invalid argument "addr.transport" to ${where}: expected "unix" or "unixpacket", got "${
        show(o.transport)
      }"`,
    );
  }
  if ((o.path === undefined) === (o.abstract === undefined)) {
    throw new TypeError(
      `Invalid argument "addr" to ${where}: expected one of "path" and "abstract", got ${
        o.path === undefined ? "neither" : "both"
      }`,
    );
  }
  return o.path !== undefined
    ? { family: "unix", path: o.path } as SockAddr
    : { family: "unix", abstract: o.abstract } as SockAddr;
}

/**
 * Wraps a descriptor `accept` gave (already non-blocking, and of its
 * listener's type), with none of `fromFd`'s checks.
 */
let accepted: (fd: number, seqpacket: boolean) => UnixConnection;

/** Families other than `AF_UNIX` the classes take, and other families' names. */
const FAMILY_NAMES: Record<number, string> = {
  [AF_INET]: "an AF_INET",
  [AF_INET6]: "an AF_INET6",
  16: "an AF_NETLINK",
  17: "an AF_PACKET",
};

/** The classes' names for socket types, in messages. */
const TYPE_NAMES: Record<number, string> = {
  [SOCK_STREAM]: "a stream",
  [SOCK_DGRAM]: "a datagram",
  [SOCK_SEQPACKET]: "a seqpacket",
};

/**
 * Checks that a descriptor handed to a class's `fromFd` is what the class
 * works with, before the class takes it over (and makes it non-blocking):
 * a Unix-domain, `AF_INET` or `AF_INET6` socket of one of `types`,
 * listening or not as `listening` says, connected where `connected` is
 * asked. A pipe, a terminal or a netlink socket would otherwise fail
 * later, at the first read, with an error that does not say why.
 */
function adoptable(
  fd: number,
  where: string,
  want: {
    types: readonly number[];
    listening?: boolean;
    connected?: boolean;
    use: string;
  },
): number {
  fd = descriptor(fd, where, "fd");
  const refuse = (errno: number, hint: string) =>
    new IpcError(errno, { syscall: where, argument: "fd", value: fd, hint });
  const st = fstat(fd);
  if ((st.mode & S_IFMT) !== S_IFSOCK) {
    throw refuse(ENOTSOCK, `it is ${fileKind(st.mode)}, not a socket`);
  }
  const domain = getsockopt(fd, SOL_SOCKET, SO_DOMAIN);
  // TCP and UDP sockets are taken too: a connection handed over by
  // another process, or a listener from socket activation, has no other
  // async wrapper in Deno. Only credentials and descriptors are Unix's.
  if (domain !== AF_UNIX && domain !== AF_INET && domain !== AF_INET6) {
    throw refuse(
      EAFNOSUPPORT,
      `it is ${
        FAMILY_NAMES[domain] ?? `a family ${domain}`
      } socket: the classes take Unix-domain, AF_INET and AF_INET6 sockets`,
    );
  }
  const type = getsockopt(fd, SOL_SOCKET, SO_TYPE);
  if (!want.types.includes(type)) {
    throw refuse(
      EPROTOTYPE,
      `it is ${TYPE_NAMES[type] ?? `a type ${type}`} socket: ${want.use}`,
    );
  }
  if (want.listening !== undefined) {
    const listening = getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN) === 1;
    if (listening && !want.listening) {
      throw refuse(EINVAL, "it is listening: use UnixListener.fromFd");
    }
    if (!listening && want.listening) {
      throw refuse(EINVAL, "it is not listening: call listen(fd) first");
    }
  }
  if (want.connected) {
    try {
      getpeername(fd);
    } catch (e) {
      if (!hasCode(e, "ENOTCONN")) throw e;
      throw refuse(ENOTCONN, "it is not connected: connect it first");
    }
  }
  return fd;
}

/** What `recvFds` returns. */
export interface ReceivedFds {
  /** The descriptors that arrived (close-on-exec; yours to close). */
  fds: number[];
  /** The bytes that came with them. */
  data: Uint8Array;
}

/**
 * A connected Unix stream or seqpacket socket: async `read`/`write`, Web
 * Streams, descriptor passing, the peer's credentials, `using`.
 *
 * @example
 * ```ts
 * import { UnixConnection } from "@linux-ipc/ipc";
 * const [a, b] = UnixConnection.pair();
 * await a.write(new TextEncoder().encode("hi"));
 * const buf = new Uint8Array(8);
 * console.log(await b.read(buf), b.peer.pid === Deno.pid); // 2 true
 * a.close();
 * b.close();
 * ```
 */
export class UnixConnection {
  #owner: OwnedFd;
  #line = new WriteLine();
  #peer: Credentials | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  #seqpacket: boolean | undefined;
  /** Known to be Unix-domain (not a TCP connection from `fromFd`). */
  #unix = false;

  private constructor(fd: number, nonBlocking = false, seqpacket?: boolean) {
    if (!nonBlocking) setNonBlocking(fd);
    this.#owner = ownChecked(fd, "connection");
    this.#seqpacket = seqpacket;
  }

  /**
   * Connects to a listening Unix socket without blocking the event loop.
   *
   * @param addr `"/path"`, `"@abstract"` or a `SockAddr`
   * @param options `type` (`"stream"`, the default, or `"seqpacket"`), `timeout`, `signal`
   * @returns the connection
   * @throws {IpcError} `ENOENT`, `ECONNREFUSED`, `ETIMEDOUT`
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { UnixConnection, UnixListener } from "@linux-ipc/ipc";
   * using server = UnixListener.listen(`@linux-ipc-connect-doc-${Deno.pid}`);
   * using conn = await UnixConnection.connect(`@linux-ipc-connect-doc-${Deno.pid}`);
   * using accepted = await server.accept();
   * ```
   */
  static async connect(
    addr: UnixAddress,
    options: WaitOptions & { type?: "stream" | "seqpacket" } = {},
  ): Promise<UnixConnection> {
    checkWaitOptions(options, "UnixConnection.connect", false);
    knownOptions(
      options,
      ["type", "timeout", "signal"],
      "UnixConnection.connect",
    );
    socketType(options.type, "UnixConnection.connect");
    const seqpacket = options.type === "seqpacket";
    // Checked before a socket is made; made non-blocking, of a known type,
    // with no fcntl or getsockopt after (each call counts when a program
    // opens a thousand connections in one go).
    const to = toAddr(addr, "UnixConnection.connect");
    const encoded = encodeSockaddr(to, "connect");
    checkPath(to);
    // A loop of connects, each complete at once, would otherwise hold the
    // event loop for all of them: after TURN_MS of this turn, the socket is
    // made in a later one.
    const later = laterIfLongTurn();
    if (later !== undefined) await later;
    const fd = socket(
      AF_UNIX,
      (seqpacket ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_NONBLOCK,
    );
    try {
      await connectNonBlocking(fd, encoded, to, waitPart(options));
    } catch (e) {
      close(fd);
      throw e;
    }
    return new UnixConnection(fd, true, seqpacket);
  }

  /**
   * A connected pair (`socketpair`), as for a parent and a child.
   *
   * @param type `"stream"` (default) or `"seqpacket"`
   * @returns the two ends
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair("seqpacket");
   * a.close();
   * b.close();
   * ```
   */
  static pair(
    type: "stream" | "seqpacket" = "stream",
  ): [UnixConnection, UnixConnection] {
    socketType(type, "UnixConnection.pair", "argument");
    const seqpacket = type === "seqpacket";
    const [a, b] = socketpair(
      AF_UNIX,
      (seqpacket ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_NONBLOCK,
    );
    return [
      new UnixConnection(a, true, seqpacket),
      new UnixConnection(b, true, seqpacket),
    ];
  }

  /**
   * Takes over a connected socket's descriptor (one received over a socket,
   * or handed by a parent as fd 3); it is closed with this object. A TCP
   * connection handed over this way (`AF_INET`, `AF_INET6`) is taken too:
   * reads, writes and streams work on it; `peer` and descriptor passing
   * need a Unix-domain socket.
   *
   * @param fd the descriptor
   * @returns the connection
   * @throws {IpcError} `ENOTSOCK` (a pipe, a file, a terminal), `EAFNOSUPPORT`
   *   (not Unix-domain, `AF_INET` or `AF_INET6`), `EPROTOTYPE` (a datagram
   *   socket), `EINVAL` (a listening socket), `ENOTCONN`, `EBADF`; the
   *   descriptor stays the caller's, untouched
   * @example
   * ```ts
   * import { AF_UNIX, SOCK_STREAM, socketpair, UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
   * using x = UnixConnection.fromFd(a);
   * using y = UnixConnection.fromFd(b);
   * ```
   */
  static fromFd(fd: number): UnixConnection {
    fd = adoptable(fd, "UnixConnection.fromFd", {
      types: [SOCK_STREAM, SOCK_SEQPACKET],
      listening: false,
      connected: true,
      use: "use UnixDatagram.fromFd",
    });
    const blocking = isBlocking(fd);
    const conn = new UnixConnection(fd);
    if (blocking) restoreBlockingOnClose(conn.#owner);
    return conn;
  }

  static {
    accepted = (fd, seqpacket) => new UnixConnection(fd, true, seqpacket);
  }

  /**
   * The descriptor.
   *
   * @throws {Deno.errors.BadResource} once closed
   */
  get fd(): number {
    return this.#owner.check();
  }

  /** Whether it has been closed. */
  get closed(): boolean {
    return this.#owner.closed;
  }

  /**
   * The peer's process, user and group ids (`SO_PEERCRED`, read once).
   *
   * @throws {IpcError} `EAFNOSUPPORT` on a TCP connection taken over with
   *   `fromFd` (only a Unix-domain socket knows its peer's credentials)
   */
  get peer(): Credentials {
    if (this.#peer !== undefined) return this.#peer;
    // The kernel answers with pid 0 and uid -1 rather than an error.
    this.#unixOnly("getsockopt", "SO_PEERCRED", [
      "knows its peer's credentials",
      "whose kernel would make them up",
    ]);
    return this.#peer = getsockopt(this.fd, SOL_SOCKET, SO_PEERCRED);
  }

  /** This end's address. */
  get localAddr(): SockAddr {
    return getsockname(this.fd);
  }

  /** The other end's address. */
  get remoteAddr(): SockAddr {
    return getpeername(this.fd);
  }

  /**
   * Reads without blocking the event loop. On a seqpacket connection one
   * read takes one message, and a message longer than `buf` is refused
   * (`EMSGSIZE`, the message left in place) rather than cut as C's `recv`
   * would; reads made at once each measure and take their own message.
   * Descriptors sent with the bytes it reads are not taken (the kernel
   * closes them, as with C's `recv`): where they may come, use
   * {@linkcode UnixConnection.recvFds}.
   *
   * @param buf where to put the bytes (an empty one gives 0 at once, as
   *   read(2) and `Deno.Conn` do)
   * @param options `timeout`, `signal`
   * @returns how many bytes arrived, or null at end of stream (on a
   *   seqpacket connection an empty message is 0, not the end)
   * @throws {IpcError} `ECONNRESET`, `ETIMEDOUT`, `EMSGSIZE` (seqpacket)
   * @throws {Deno.errors.BadResource} once closed, or closed while waiting
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * a.close();
   * console.log(await b.read(new Uint8Array(4))); // null
   * b.close();
   * ```
   */
  read(
    buf: Uint8Array,
    options: WaitOptions = {},
  ): Promise<number | null> {
    try {
      checkWaitOptions(options, "UnixConnection.read");
      bytes(buf, "UnixConnection.read", "buf");
      if (buf.length === 0) {
        void this.fd; // throws once closed
        return emptyRead(options);
      }
      if (this.#messages()) return messageReady(this.fd, buf, options);
      return readReady(this.fd, buf, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Whether this is a seqpacket connection (its reads take messages). */
  #messages(): boolean {
    return this.#seqpacket ??=
      getsockopt(this.fd, SOL_SOCKET, SO_TYPE) === SOCK_SEQPACKET;
  }

  /**
   * Reads, blocking the thread until data or the end of the stream.
   * Descriptors sent with the bytes are not taken, as with
   * {@linkcode UnixConnection.read}.
   *
   * @param buf where to put the bytes (an empty one gives 0 at once)
   * @param options `timeout` in milliseconds
   * @returns how many bytes arrived, or null at end of stream
   * @throws {IpcError} `ECONNRESET`, `ETIMEDOUT`
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * a.writeSync(new Uint8Array([1, 2]));
   * console.log(b.readSync(new Uint8Array(4))); // 2
   * ```
   */
  readSync(buf: Uint8Array, options: { timeout?: number } = {}): number | null {
    const timeout = syncTimeout(options, "UnixConnection.readSync");
    bytes(buf, "UnixConnection.readSync", "buf");
    if (buf.length === 0) {
      // As read(2) and Deno.Conn: nothing to wait for (recv(2) of 0
      // bytes on a Unix stream socket would wait for data). Reading the
      // fd throws once the connection is closed.
      void this.fd;
      return 0;
    }
    if (this.#messages()) return messageSyncReady(this.fd, buf, timeout);
    const n = recvSyncReady(this.fd, buf, timeout);
    return n === 0 && buf.length > 0 ? null : n;
  }

  /**
   * Writes some of `data` without blocking the event loop.
   *
   * @param data the bytes
   * @param options `timeout`, `signal`
   * @returns how many bytes went
   * @throws {IpcError} `EPIPE` (peer gone: never a SIGPIPE), `ETIMEDOUT`
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * console.log(await a.write(new Uint8Array(3))); // 3
   * ```
   */
  write(data: Uint8Array, options: WaitOptions = {}): Promise<number> {
    // While a writeAll is under way, in line after it (bad data refused
    // at once, not at its turn).
    try {
      checkWaitOptions(options, "UnixConnection.write");
      bytes(data, "UnixConnection.write", "data");
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#line.busy) {
      return this.#line.run(
        "send",
        options,
        (o) => sendAsync(this.fd, data, o),
      );
    }
    try {
      return sendAsync(this.fd, data, options);
    } catch (e) {
      // Closed (`fd` throws BadResource): a rejection, as from `read`.
      return Promise.reject(e);
    }
  }

  /**
   * Writes some of `data`, blocking the thread until there is room.
   *
   * @param data the bytes
   * @param options `timeout` in milliseconds
   * @returns how many bytes went
   * @throws {IpcError} `EPIPE` (peer gone: never a SIGPIPE), `ETIMEDOUT`;
   *   `EDEADLK` while an async `writeAll` or `sendFds` of this connection
   *   is under way
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * console.log(a.writeSync(new Uint8Array(3))); // 3
   * ```
   */
  writeSync(data: Uint8Array, options: { timeout?: number } = {}): number {
    bytes(data, "UnixConnection.writeSync", "data");
    const fd = this.fd;
    this.#line.refuseSync("send", fd);
    return sendSyncReady(
      fd,
      data,
      syncTimeout(options, "UnixConnection.writeSync"),
    );
  }

  /**
   * Writes all of `data` without blocking the event loop. Its bytes go out
   * whole: a write of this object made while it is under way waits for its
   * last byte (with the time it waits counted in its timeout). A `Sync`
   * write, which cannot wait for it, is refused meanwhile (`EDEADLK`).
   *
   * @param data the bytes
   * @param options `timeout` in milliseconds for the whole write, `signal`
   * @throws {IpcError} `EPIPE`, `ETIMEDOUT`; its `written` says how many
   *   bytes went before it
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * await a.writeAll(new Uint8Array(100));
   * ```
   */
  async writeAll(data: Uint8Array, options: WaitOptions = {}): Promise<void> {
    checkWaitOptions(options, "UnixConnection.writeAll");
    bytes(data, "UnixConnection.writeAll", "data");
    // The descriptor is asked for at each write: a close between two ends
    // the rest with BadResource, never a write to a reused number. The
    // line keeps the writes of this process out of the middle of it.
    await this.#line.writeAll(
      "send",
      data,
      options,
      (chunk, left) => sendAsync(this.fd, chunk, left),
    );
  }

  /**
   * Writes all of `data`, blocking the thread while the socket is full.
   *
   * @param data the bytes
   * @param options `timeout` in milliseconds for the whole write
   * @throws {IpcError} `EPIPE`, `ETIMEDOUT`; `EDEADLK` while an async
   *   `writeAll` or `sendFds` of this connection is under way; its
   *   `written` says how many bytes went before it
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * a.writeAllSync(new Uint8Array(100));
   * ```
   */
  writeAllSync(data: Uint8Array, options: { timeout?: number } = {}): void {
    bytes(data, "UnixConnection.writeAllSync", "data");
    const fd = this.fd;
    this.#line.writeAllSync(
      "send",
      fd,
      data,
      syncTimeout(options, "UnixConnection.writeAllSync"),
      (chunk, timeout) => sendSyncReady(fd, chunk, timeout),
    );
  }

  /**
   * Sends descriptors (`SCM_RIGHTS`) with some bytes (at least one is sent,
   * as stream sockets need data to carry control messages). All the bytes
   * go, whole, as with `writeAll`: a stream may take fewer at once, and the
   * descriptors ride on the first of them.
   *
   * @param fds up to `SCM_MAX_FD` descriptors; the peer gets its own copies
   * @param data bytes to send with them (default one zero byte)
   * @param options `timeout`, `signal`
   * @throws {IpcError} `EBADF` (a descriptor is not open), `EPIPE`;
   *   `EAFNOSUPPORT` on a TCP connection taken over with `fromFd`; its
   *   `written` says how many bytes went before it
   * @throws {RangeError} for no descriptors or more than `SCM_MAX_FD`
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * await a.sendFds([0]);
   * const { fds } = await b.recvFds();
   * console.log(fds.length); // 1
   * ```
   */
  async sendFds(
    fds: readonly number[],
    data: Uint8Array = new Uint8Array(1),
    options: WaitOptions = {},
  ): Promise<void> {
    checkWaitOptions(options, "UnixConnection.sendFds");
    const msg = fdsMessage(fds, data, "UnixConnection.sendFds");
    // The descriptors ride on the first bytes; a stream may take fewer
    // than all of them, and the rest follow, whole, in the write line.
    await this.#line.writeAll(
      "sendmsg",
      msg.data,
      options,
      (chunk, left) =>
        chunk === msg.data
          ? sendmsgAsync(this.fd, msg, left)
          : sendAsync(this.fd, chunk, left),
    );
  }

  /**
   * {@linkcode UnixConnection.sendFds}, blocking the thread until they go.
   *
   * @param fds up to `SCM_MAX_FD` descriptors; the peer gets its own copies
   * @param data bytes to send with them (default one zero byte)
   * @param options `timeout` in milliseconds
   * @throws {IpcError} `EBADF` (a descriptor is not open), `EPIPE`,
   *   `ETIMEDOUT`; `EAFNOSUPPORT` on a TCP connection taken over with
   *   `fromFd`; `EDEADLK` while an async `writeAll` or `sendFds` of this
   *   connection is under way; its `written` says how many bytes went
   *   before it
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * a.sendFdsSync([0]);
   * console.log(b.recvFdsSync().fds.length); // 1
   * ```
   */
  sendFdsSync(
    fds: readonly number[],
    data: Uint8Array = new Uint8Array(1),
    options: { timeout?: number } = {},
  ): void {
    const msg = fdsMessage(fds, data, "UnixConnection.sendFdsSync");
    const fd = this.fd;
    // As sendFds: the descriptors on the first bytes, the rest after them.
    this.#line.writeAllSync(
      "sendmsg",
      fd,
      msg.data,
      syncTimeout(options, "UnixConnection.sendFdsSync"),
      (chunk, timeout) =>
        chunk === msg.data
          ? sendmsgSyncReady(fd, msg, timeout)
          : sendSyncReady(fd, chunk, timeout),
    );
  }

  /**
   * Receives descriptors (`SCM_RIGHTS`) and the bytes that came with them.
   * A message carrying more than `maxFds` closes them all and throws. On a
   * seqpacket connection a message of more than `maxBytes` bytes is
   * refused (`EMSGSIZE`, left in place with its descriptors) rather than
   * cut; on a stream, what does not fit waits for the next read.
   *
   * @param options `maxFds` (default `SCM_MAX_FD`), `maxBytes` (default 4096), `timeout`, `signal`
   * @returns the descriptors (yours to close) and the bytes
   * @throws {IpcError} `EMSGSIZE` for truncated control data, or a
   *   seqpacket message over `maxBytes`; `EAFNOSUPPORT` on a TCP connection
   *   taken over with `fromFd`, before anything is read
   * @throws {RangeError} for a `maxBytes` outside 0 to 2^31 - 1 or a `maxFds`
   *   outside 0 to `SCM_MAX_FD` (`TypeError` if not an integer)
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * await a.sendFds([1], new TextEncoder().encode("stdout"));
   * const got = await b.recvFds();
   * console.log(new TextDecoder().decode(got.data)); // "stdout"
   * ```
   */
  async recvFds(
    options: WaitOptions & { maxFds?: number; maxBytes?: number } = {},
  ): Promise<ReceivedFds> {
    const buf = receiveRoom(options, 4096, "UnixConnection.recvFds");
    checkWaitOptions(options, "UnixConnection.recvFds", false);
    this.#unixOnly();
    const got = this.#messages()
      ? await recvmsgWhole(
        this.fd,
        fdsRoom(buf, options),
        waitPart(options),
        "maxBytes",
      )
      : await recvmsgAsync(this.fd, fdsRoom(buf, options), waitPart(options));
    return receivedFds(got.control, buf.subarray(0, got.n));
  }

  /**
   * {@linkcode UnixConnection.recvFds}, blocking the thread until they come.
   *
   * @param options `maxFds` (default `SCM_MAX_FD`), `maxBytes` (default 4096), `timeout`
   * @returns the descriptors (yours to close) and the bytes
   * @throws {IpcError} `EMSGSIZE` for truncated control data or a seqpacket
   *   message over `maxBytes`, `ETIMEDOUT`; `EAFNOSUPPORT` on a TCP
   *   connection taken over with `fromFd`, before anything is read
   * @throws {RangeError} for a `maxBytes` outside 0 to 2^31 - 1 or a `maxFds`
   *   outside 0 to `SCM_MAX_FD` (`TypeError` if not an integer)
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * a.sendFdsSync([1], new TextEncoder().encode("stdout"));
   * console.log(new TextDecoder().decode(b.recvFdsSync().data)); // "stdout"
   * ```
   */
  recvFdsSync(
    options: { maxFds?: number; maxBytes?: number; timeout?: number } = {},
  ): ReceivedFds {
    const timeout = syncTimeout(options, "UnixConnection.recvFdsSync", false);
    const buf = receiveRoom(options, 4096, "UnixConnection.recvFdsSync");
    this.#unixOnly();
    const got = this.#messages()
      ? recvmsgWholeSync(this.fd, fdsRoom(buf, options), timeout, "maxBytes")
      : recvmsgSyncReady(this.fd, fdsRoom(buf, options), timeout);
    return receivedFds(got.control, buf.subarray(0, got.n));
  }

  /**
   * Refuses what only a Unix-domain socket does (descriptors, the peer's
   * credentials) on a TCP connection taken over with `fromFd`, before
   * anything is read; checked once.
   */
  #unixOnly(
    syscall = "recvmsg",
    argument = "fd",
    why?: [string, string],
  ): void {
    if (this.#unix) return;
    unixOnly(this.fd, syscall, argument, why);
    this.#unix = true;
  }

  /**
   * The bytes as a byte stream, as `Deno.FsFile.readable` is: a default
   * reader gets chunks of up to 64 KiB, a BYOB reader
   * (`getReader({ mode: "byob" })`) has them read into its own buffer. This
   * end is closed when the stream ends or is cancelled.
   *
   * On a seqpacket connection each chunk of a default reader is one message,
   * whole, whatever its size; a BYOB reader gets a message larger than its
   * buffer over several reads. Nothing is cut. An empty message is skipped
   * (a byte stream has no empty chunk), not taken for the end.
   */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= readableFrom(
      (buf) => this.read(buf),
      () => this.close(),
      // A seqpacket message is read whole, whatever the chunk size.
      this.#messages() ? () => peekReady(this.fd, {}) : undefined,
    );
  }

  /** A stream to write to; closing it shuts down the writing half. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= writableFrom(
      (chunk) => this.writeAll(chunk),
      () => this.closeWrite(),
      () => this.close(),
    );
  }

  /**
   * Shuts down the writing half: the peer reads end of stream.
   *
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * a.closeWrite();
   * console.log(await b.read(new Uint8Array(1))); // null
   * ```
   */
  closeWrite(): void {
    if (!this.#owner.closed) shutdown(this.#owner.fd, SHUT_WR);
  }

  /**
   * Closes the connection. Safe to call twice.
   *
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * a.close();
   * a.close();
   * b.close();
   * ```
   */
  close(): void {
    this.#owner.close();
  }

  /**
   * Lets the process end while async calls on this connection are pending (a
   * pending `read` or `write` included), as `Deno.Conn.unref()` does: they, and
   * those made until {@linkcode UnixConnection.ref}, no longer keep it alive,
   * their timeouts included. Does nothing once closed.
   *
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * // A read that waits for a peer that may never write, without keeping
   * // the program alive: it ends when the rest of the program has.
   * a.unref();
   * const read = a.read(new Uint8Array(16)).catch(() => null);
   * a.close(); // (here, so that the example ends at once)
   * console.log(await read); // null
   * b.close();
   * ```
   */
  unref(): void {
    this.#owner.unref();
  }

  /**
   * Makes the async calls on this connection keep the process alive again, as
   * they do at first (see {@linkcode UnixConnection.unref}). Does nothing once
   * closed.
   */
  ref(): void {
    this.#owner.ref();
  }

  /** Same as {@linkcode UnixConnection.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A read into an empty buffer: 0 at once, as read(2) and `Deno.Conn` give
 * (recv(2) of 0 bytes on a Unix stream socket would wait for data), once
 * the options are checked as any read's are.
 */
function emptyRead(options: WaitOptions): Promise<number> {
  checkWaitOptions(options, "UnixConnection.read");
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return Promise.resolve(0);
}

/**
 * A message carrying descriptors, with at least one byte; `fds` and `data`
 * checked for `where`.
 */
function fdsMessage(fds: readonly number[], data: Uint8Array, where: string) {
  if (!Array.isArray(fds)) {
    throw new TypeError(
      `Invalid argument "fds" to ${where}: expected an array of descriptors, got "${
        show(fds)
      }"`,
    );
  }
  if (fds.length === 0 || fds.length > SCM_MAX_FD) {
    throw new RangeError(
      `Argument "fds" to ${where} must hold 1 to ${SCM_MAX_FD} descriptors (SCM_MAX_FD), got ${fds.length}`,
    );
  }
  fds.forEach((fd, i) => descriptor(fd, where, `fds[${i}]`));
  bytes(data, where, "data");
  return {
    data: data.length > 0 ? data : new Uint8Array(1),
    control: [{ type: "rights" as const, fds: [...fds] }],
  };
}

/**
 * A buffer of `options.maxBytes` bytes (`fallback` when absent), checked
 * before anything starts, as `options.maxFds` is.
 */
function receiveRoom(
  options: { maxBytes?: number; maxFds?: number },
  fallback: number,
  where: string,
): Uint8Array {
  const n = maxBytes(options, fallback, where, FDS_OPTIONS);
  if (options.maxFds !== undefined) {
    int(options.maxFds, where, "maxFds", 0, SCM_MAX_FD);
  }
  return new Uint8Array(n);
}

// The blocking twins take "signal" only to refuse it with a message of its own.
const DATAGRAM_OPTIONS = ["maxBytes", "timeout", "signal"];
const FDS_OPTIONS = ["maxFds", ...DATAGRAM_OPTIONS];

/**
 * `options.maxBytes` (`fallback` when absent), checked, with the names of
 * the options (see `knownOptions`).
 */
function maxBytes(
  options: { maxBytes?: number },
  fallback: number,
  where: string,
  known = DATAGRAM_OPTIONS,
): number {
  knownOptions(options, known, where);
  return int(
    options.maxBytes ?? fallback,
    where,
    "maxBytes",
    0,
    LIMITS.INT_MAX,
  );
}

/** Room for a message that may carry descriptors. */
function fdsRoom(buf: Uint8Array, options: { maxFds?: number }) {
  return {
    data: buf,
    maxFds: options.maxFds ?? SCM_MAX_FD,
    credentials: false,
  };
}

/** The descriptors of the control messages that arrived, and the bytes. */
function receivedFds(
  control: ControlMessage[],
  data: Uint8Array,
): ReceivedFds {
  const fds = control.flatMap((m) => m.type === "rights" ? m.fds : []);
  return { fds, data };
}

/**
 * A listening Unix stream or seqpacket socket: async `accept` and
 * `for await` over connections. Closing it removes the path it bound.
 *
 * @example
 * ```ts
 * import { UnixConnection, UnixListener } from "@linux-ipc/ipc";
 * using server = UnixListener.listen(`@linux-ipc-listener-doc-${Deno.pid}`);
 * const client = UnixConnection.connect(`@linux-ipc-listener-doc-${Deno.pid}`);
 * for await (const conn of server) {
 *   console.log(conn.peer.pid === Deno.pid); // true
 *   conn.close();
 *   break;
 * }
 * (await client).close();
 * ```
 */
export class UnixListener {
  #owner: OwnedFd;
  #bound: Bound | null;
  /** Whether its connections are seqpacket ones (they are of its type). */
  #seqpacket: boolean;

  private constructor(fd: number, path: Bound | null, seqpacket: boolean) {
    setNonBlocking(fd);
    this.#owner = ownChecked(fd, "listener");
    this.#bound = path;
    this.#seqpacket = seqpacket;
  }

  /**
   * Binds and listens. A pathname needs `--allow-read` and `--allow-write`.
   *
   * @param addr `"/path"`, `"@abstract"` or a `SockAddr`
   * @param options `type` (`"stream"` or `"seqpacket"`), `backlog` (default 128)
   * @returns the listener
   * @throws {IpcError} `EADDRINUSE` (the path exists), `EACCES`
   * @throws {TypeError} for an option it does not have (a misspelling)
   * @example
   * ```ts
   * import { UnixListener } from "@linux-ipc/ipc";
   * using server = UnixListener.listen(`@linux-ipc-listen-doc2-${Deno.pid}`);
   * console.log(server.addr); // { family: "unix", abstract: "linux-ipc-listen-doc2-" + pid }
   * ```
   */
  static listen(
    addr: UnixAddress,
    options: { type?: "stream" | "seqpacket"; backlog?: number } = {},
  ): UnixListener {
    knownOptions(options, ["type", "backlog"], "UnixListener.listen");
    socketType(options.type, "UnixListener.listen");
    const backlog = int(
      options.backlog ?? 128,
      "UnixListener.listen",
      "backlog",
      0,
      LIMITS.INT_MAX,
    );
    const a = toAddr(addr, "UnixListener.listen");
    const fd = socket(
      AF_UNIX,
      options.type === "seqpacket" ? SOCK_SEQPACKET : SOCK_STREAM,
    );
    try {
      bind(fd, a);
    } catch (e) {
      close(fd);
      throw e;
    }
    const made = bound(a);
    try {
      listen(fd, backlog);
    } catch (e) {
      // The path bind made goes with the socket: nothing is left behind.
      close(fd);
      removeBound(made);
      throw e;
    }
    return new UnixListener(fd, made, options.type === "seqpacket");
  }

  /**
   * Takes over a listening socket's descriptor (one received over a socket,
   * or passed by a service manager such as systemd's socket activation; a
   * TCP listener is taken too, and accepts TCP connections).
   *
   * @param fd the descriptor
   * @returns the listener (it does not remove any path)
   * @throws {IpcError} `ENOTSOCK`, `EAFNOSUPPORT` (not Unix-domain,
   *   `AF_INET` or `AF_INET6`), `EPROTOTYPE` (a datagram
   *   socket), `EINVAL` (not listening), `EBADF`; the descriptor stays the
   *   caller's, untouched
   * @example
   * ```ts
   * import { AF_UNIX, bind, listen, SOCK_STREAM, socket, UnixListener } from "@linux-ipc/ipc";
   * const fd = socket(AF_UNIX, SOCK_STREAM);
   * bind(fd, { family: "unix", abstract: `linux-ipc-fromfd-doc-${Deno.pid}` });
   * listen(fd);
   * using server = UnixListener.fromFd(fd);
   * ```
   */
  static fromFd(fd: number): UnixListener {
    fd = adoptable(fd, "UnixListener.fromFd", {
      types: [SOCK_STREAM, SOCK_SEQPACKET],
      listening: true,
      use: "only stream and seqpacket sockets listen",
    });
    const blocking = isBlocking(fd);
    const listener = new UnixListener(
      fd,
      null,
      getsockopt(fd, SOL_SOCKET, SO_TYPE) === SOCK_SEQPACKET,
    );
    if (blocking) restoreBlockingOnClose(listener.#owner);
    return listener;
  }

  /** The descriptor. */
  get fd(): number {
    return this.#owner.check();
  }

  /** Whether it has been closed. */
  get closed(): boolean {
    return this.#owner.closed;
  }

  /** The address it listens on. */
  get addr(): SockAddr {
    return getsockname(this.fd);
  }

  /**
   * Waits for a connection without blocking the event loop.
   *
   * @param options `timeout`, `signal`
   * @returns the connection
   * @throws {IpcError} `ETIMEDOUT`
   * @throws {Deno.errors.BadResource} if the listener is closed meanwhile
   * @example
   * ```ts
   * import { UnixConnection, UnixListener } from "@linux-ipc/ipc";
   * using server = UnixListener.listen(`@linux-ipc-accept-doc3-${Deno.pid}`);
   * const pending = server.accept({ timeout: 1000 });
   * using client = await UnixConnection.connect(`@linux-ipc-accept-doc3-${Deno.pid}`);
   * using conn = await pending;
   * ```
   */
  async accept(options: WaitOptions = {}): Promise<UnixConnection> {
    checkWaitOptions(options, "UnixListener.accept");
    try {
      return accepted(
        await acceptConnection(this.fd, options),
        this.#seqpacket,
      );
    } catch (e) {
      // Closing the listener ends the wait (BadResource from its owner;
      // EBADF if its number was closed through the thin layer).
      if (this.#owner.closed && !(e instanceof Deno.errors.BadResource)) {
        throw new Deno.errors.BadResource("The listener is closed");
      }
      throw e;
    }
  }

  /**
   * Waits for a connection, blocking the thread.
   *
   * @param options `timeout` in milliseconds
   * @returns the connection
   * @throws {IpcError} `ETIMEDOUT`
   * @example
   * ```ts
   * import { UnixConnection, UnixListener } from "@linux-ipc/ipc";
   * using server = UnixListener.listen(`@linux-ipc-acceptsync-doc-${Deno.pid}`);
   * using client = await UnixConnection.connect(`@linux-ipc-acceptsync-doc-${Deno.pid}`);
   * using conn = server.acceptSync({ timeout: 1000 });
   * ```
   */
  acceptSync(options: { timeout?: number } = {}): UnixConnection {
    return accepted(
      acceptConnectionSync(
        this.fd,
        syncTimeout(options, "UnixListener.acceptSync"),
      ),
      this.#seqpacket,
    );
  }

  /** Yields connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<UnixConnection> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (e) {
        if (e instanceof Deno.errors.BadResource) return;
        throw e;
      }
    }
  }

  /**
   * Stops listening (a pending `accept` ends), closes, and removes the path
   * it bound if that is still the socket its bind made (a newer server's
   * socket at the same path is left alone; a listener taken over with
   * `fromFd` removes nothing). Safe to call twice.
   *
   * @example
   * ```ts
   * import { UnixListener } from "@linux-ipc/ipc";
   * const server = UnixListener.listen(`@linux-ipc-close-doc-${Deno.pid}`);
   * server.close();
   * server.close();
   * ```
   */
  close(): void {
    if (this.#owner.closed) return;
    this.#owner.close();
    removeBound(this.#bound);
  }

  /**
   * Lets the process end while async calls on this listener are pending (a
   * pending `accept`, and an accept loop included), as `Deno.Listener.unref()`
   * does: they, and those made until {@linkcode UnixListener.ref}, no longer
   * keep it alive, their timeouts included. Does nothing once closed.
   *
   * @example
   * ```ts
   * import { UnixListener } from "@linux-ipc/ipc";
   * const server = UnixListener.listen(`@linux-ipc-unref-doc-${Deno.pid}`);
   * // A control socket that does not keep the program alive: its accept
   * // loop ends with the rest of the program.
   * server.unref();
   * const loop = (async () => {
   *   for await (const conn of server) conn.close();
   * })();
   * server.close(); // (here, so that the example ends at once)
   * await loop;
   * ```
   */
  unref(): void {
    this.#owner.unref();
  }

  /**
   * Makes the async calls on this listener keep the process alive again, as
   * they do at first (see {@linkcode UnixListener.unref}). Does nothing once
   * closed.
   */
  ref(): void {
    this.#owner.ref();
  }

  /** Same as {@linkcode UnixListener.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** A datagram and its sender. */
export interface Datagram {
  /** The bytes (at most `maxBytes` of them). */
  data: Uint8Array;
  /** The sender's address (unnamed if it did not bind). */
  from: SockAddr;
  /** The datagram's real size, which is more than `data` holds if truncated. */
  size: number;
  /**
   * True if the datagram was longer than `maxBytes` and its end was cut
   * (C's `MSG_TRUNC`): `size` says how long it was.
   */
  truncated: boolean;
}

/**
 * A Unix datagram socket: `send` to an address, `receive`, and
 * `for await` over `{ data, from }`. Closing it removes the path it bound.
 *
 * @example
 * ```ts
 * import { UnixDatagram } from "@linux-ipc/ipc";
 * using rx = UnixDatagram.bind(`@linux-ipc-dgram-doc-${Deno.pid}`);
 * using tx = UnixDatagram.bind();
 * await tx.send(new TextEncoder().encode("one"), `@linux-ipc-dgram-doc-${Deno.pid}`);
 * const { data } = await rx.receive();
 * console.log(new TextDecoder().decode(data)); // "one"
 * ```
 */
export class UnixDatagram {
  #owner: OwnedFd;
  #bound: Bound | null;

  private constructor(fd: number, path: Bound | null) {
    setNonBlocking(fd);
    this.#owner = ownChecked(fd, "datagram socket");
    this.#bound = path;
  }

  /**
   * Creates a datagram socket, bound to `addr` if given.
   *
   * A socket left unnamed can send but not be answered: a datagram from it
   * comes with no address to reply to. `{ family: "unix" }` (the family
   * alone) has the kernel choose an abstract name for it (autobind), which
   * `localAddr` gives.
   *
   * @param addr `"/path"`, `"@abstract"`, a `SockAddr` (`{ family: "unix" }`
   *   for a name the kernel chooses), or nothing (unnamed)
   * @returns the socket
   * @throws {IpcError} `EADDRINUSE`
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * using s = UnixDatagram.bind(`@linux-ipc-bind-doc-${Deno.pid}`);
   * using client = UnixDatagram.bind({ family: "unix" });
   * console.log(client.localAddr); // { family: "unix", abstract: "0001b" }, say
   * ```
   */
  static bind(addr?: UnixAddress): UnixDatagram {
    // The address checked before a socket is made.
    const a = addr === undefined
      ? undefined
      : toAddr(addr, "UnixDatagram.bind");
    const fd = socket(AF_UNIX, SOCK_DGRAM);
    let path: Bound | null = null;
    if (a !== undefined) {
      try {
        bind(fd, a);
      } catch (e) {
        close(fd);
        throw e;
      }
      path = bound(a);
    }
    return new UnixDatagram(fd, path);
  }

  /**
   * Takes over a datagram socket's descriptor (one half of
   * `socketpair(AF_UNIX, SOCK_DGRAM)` handed to a child, one received over a
   * socket, or a UDP socket, sent to with an inet `SockAddr`); it is closed
   * with this object, and never removes a path.
   *
   * @param fd the descriptor
   * @returns the socket
   * @throws {IpcError} `ENOTSOCK`, `EAFNOSUPPORT`, `EPROTOTYPE` (a stream or
   *   seqpacket socket), `EBADF`; the descriptor stays the caller's, untouched
   * @example
   * ```ts
   * import { AF_UNIX, SOCK_DGRAM, socketpair, UnixDatagram } from "@linux-ipc/ipc";
   * const [a, b] = socketpair(AF_UNIX, SOCK_DGRAM);
   * using x = UnixDatagram.fromFd(a);
   * using y = UnixDatagram.fromFd(b);
   * x.sendSync(new Uint8Array([1]), null); // to the connected peer
   * console.log(y.receiveSync().data); // Uint8Array(1) [ 1 ]
   * ```
   */
  static fromFd(fd: number): UnixDatagram {
    fd = adoptable(fd, "UnixDatagram.fromFd", {
      types: [SOCK_DGRAM],
      use: "use UnixConnection.fromFd or UnixListener.fromFd",
    });
    const blocking = isBlocking(fd);
    const dgram = new UnixDatagram(fd, null);
    if (blocking) restoreBlockingOnClose(dgram.#owner);
    return dgram;
  }

  /** The descriptor. */
  get fd(): number {
    return this.#owner.check();
  }

  /** Whether it has been closed. */
  get closed(): boolean {
    return this.#owner.closed;
  }

  /**
   * This socket's address (`getsockname`): the path or abstract name it was
   * bound to, the one the kernel chose for `{ family: "unix" }`, or
   * `{ family: "unix" }` alone for an unnamed socket.
   *
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * using s = UnixDatagram.bind(`@linux-ipc-addr-doc-${Deno.pid}`);
   * console.log(s.localAddr); // { family: "unix", abstract: "linux-ipc-addr-doc-..." }
   * ```
   */
  get localAddr(): SockAddr {
    return getsockname(this.fd);
  }

  /**
   * Sends one datagram to `to`.
   *
   * @param data the bytes
   * @param to `"/path"`, `"@abstract"` or a `SockAddr`; `null` for the peer
   *   the socket is connected to (the other half of a `socketpair`)
   * @param options `timeout`, `signal`
   * @returns how many bytes were sent
   * @throws {IpcError} `ECONNREFUSED`/`ENOENT` (nobody there), `EMSGSIZE`
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * using rx = UnixDatagram.bind(`@linux-ipc-send-doc-${Deno.pid}`);
   * using tx = UnixDatagram.bind();
   * console.log(await tx.send(new Uint8Array(4), `@linux-ipc-send-doc-${Deno.pid}`)); // 4
   * ```
   */
  send(
    data: Uint8Array,
    to: UnixAddress | null,
    options: WaitOptions = {},
  ): Promise<number> {
    try {
      checkWaitOptions(options, "UnixDatagram.send");
      bytes(data, "UnixDatagram.send", "data");
      return to === null
        ? sendAsync(this.fd, data, options)
        : sendtoAsync(this.fd, data, toAddr(to, "UnixDatagram.send"), options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Sends one datagram to `to`, blocking the thread while the receiver's
   * queue is full.
   *
   * @param data the bytes
   * @param to `"/path"`, `"@abstract"` or a `SockAddr`; `null` for the peer
   *   the socket is connected to (the other half of a `socketpair`)
   * @param options `timeout` in milliseconds
   * @returns how many bytes were sent
   * @throws {IpcError} `ECONNREFUSED`/`ENOENT` (nobody there), `EMSGSIZE`, `ETIMEDOUT`
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * using rx = UnixDatagram.bind(`@linux-ipc-sendsync-doc-${Deno.pid}`);
   * using tx = UnixDatagram.bind();
   * console.log(tx.sendSync(new Uint8Array(4), `@linux-ipc-sendsync-doc-${Deno.pid}`)); // 4
   * ```
   */
  sendSync(
    data: Uint8Array,
    to: UnixAddress | null,
    options: { timeout?: number } = {},
  ): number {
    const timeout = syncTimeout(options, "UnixDatagram.sendSync");
    bytes(data, "UnixDatagram.sendSync", "data");
    return to === null
      ? sendSyncReady(this.fd, data, timeout)
      : sendtoSyncReady(
        this.fd,
        data,
        toAddr(to, "UnixDatagram.sendSync"),
        timeout,
      );
  }

  /**
   * Receives one datagram without blocking the event loop.
   *
   * @param options `maxBytes` (default 65536), `timeout`, `signal`
   * @returns the bytes, the sender, and the datagram's real `size`
   *   (`truncated` if it was longer than `maxBytes`: never cut silently)
   * @throws {IpcError} `ETIMEDOUT`
   * @throws {RangeError} for a `maxBytes` outside 0 to 2^31 - 1 (`TypeError` if not an integer)
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * using rx = UnixDatagram.bind(`@linux-ipc-receive-doc-${Deno.pid}`);
   * await rx.receive({ timeout: 10 }).catch((e) => console.log(e.code)); // "ETIMEDOUT"
   * ```
   */
  receive(
    options: WaitOptions & { maxBytes?: number } = {},
  ): Promise<Datagram> {
    try {
      const max = maxBytes(options, 65536, "UnixDatagram.receive");
      checkWaitOptions(options, "UnixDatagram.receive", false);
      return receiveDatagram(this.fd, max, waitPart(options));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Receives one datagram, blocking the thread until one arrives.
   *
   * @param options `maxBytes` (default 65536), `timeout` in milliseconds
   * @returns the bytes, the sender, the real `size` and `truncated`
   * @throws {IpcError} `ETIMEDOUT`
   * @throws {RangeError} for a `maxBytes` outside 0 to 2^31 - 1 (`TypeError` if not an integer)
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * using rx = UnixDatagram.bind(`@linux-ipc-receivesync-doc-${Deno.pid}`);
   * using tx = UnixDatagram.bind();
   * tx.sendSync(new Uint8Array([9]), `@linux-ipc-receivesync-doc-${Deno.pid}`);
   * console.log(rx.receiveSync({ timeout: 1000 }).data); // Uint8Array(1) [ 9 ]
   * ```
   */
  receiveSync(
    options: { maxBytes?: number; timeout?: number } = {},
  ): Datagram {
    const timeout = syncTimeout(options, "UnixDatagram.receiveSync", false);
    const max = maxBytes(options, 65536, "UnixDatagram.receiveSync");
    return receiveDatagramSync(this.fd, max, timeout);
  }

  /** Yields datagrams until the socket is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Datagram> {
    while (!this.#owner.closed) {
      try {
        yield await this.receive();
      } catch (e) {
        if (
          this.#owner.closed || e instanceof Deno.errors.BadResource ||
          (e instanceof IpcError && e.code === "EBADF")
        ) {
          return;
        }
        throw e;
      }
    }
  }

  /**
   * Closes the socket and removes the path it bound, if that is still the
   * socket its bind made. Safe to call twice.
   *
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * const s = UnixDatagram.bind();
   * s.close();
   * s.close();
   * ```
   */
  close(): void {
    if (this.#owner.close()) removeBound(this.#bound);
  }

  /**
   * Lets the process end while async calls on this socket are pending (a
   * pending `receive` or `send` included): they, and those made until
   * {@linkcode UnixDatagram.ref}, no longer keep it alive, their timeouts
   * included. Does nothing once closed.
   *
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * const socket = UnixDatagram.bind(`@linux-ipc-unref-dg-doc-${Deno.pid}`);
   * socket.unref();
   * const got = socket.receive().catch(() => null);
   * socket.close(); // (here, so that the example ends at once)
   * console.log(await got); // null
   * ```
   */
  unref(): void {
    this.#owner.unref();
  }

  /**
   * Makes the async calls on this socket keep the process alive again, as they
   * do at first (see {@linkcode UnixDatagram.unref}). Does nothing once closed.
   */
  ref(): void {
    this.#owner.ref();
  }

  /** Same as {@linkcode UnixDatagram.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Checks a `type`: `"stream"` or `"seqpacket"` (or none), an option or
 * (`UnixConnection.pair`'s) an argument.
 */
function socketType(
  type: unknown,
  where: string,
  kind: "option" | "argument" = "option",
): void {
  if (type === undefined || type === "stream" || type === "seqpacket") return;
  throw new TypeError(
    `Invalid ${kind} "type" to ${where}: expected "stream" or "seqpacket", got "${
      show(type)
    }"`,
  );
}
