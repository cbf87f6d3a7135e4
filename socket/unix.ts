/**
 * Unix-domain sockets for everyday use: {@linkcode UnixListener},
 * {@linkcode UnixConnection} and {@linkcode UnixDatagram}. An address is a
 * {@linkcode SockAddr} or a string: `"/run/app.sock"` for a pathname,
 * `"@app"` for an abstract name.
 *
 * @module
 */

import { IpcError } from "../ffi/errors.ts";
import { setNonBlocking } from "../ffi/fd.ts";
import type { ControlMessage, SockAddr } from "../ffi/layout.ts";
import type { WaitOptions } from "../ffi/wait.ts";
import { readableFrom, writableFrom } from "../ffi/streams.ts";
import {
  acceptAsync,
  AF_UNIX,
  bind,
  close,
  connectAsync,
  type Credentials,
  getpeername,
  getsockname,
  getsockopt,
  listen,
  recvfromAsync,
  recvmsgAsync,
  recvReady,
  SCM_MAX_FD,
  sendmsgAsync,
  sendReady,
  sendtoAsync,
  SHUT_WR,
  shutdown,
  SO_PEERCRED,
  SOCK_DGRAM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  socket,
  socketpair,
  SOL_SOCKET,
} from "./socket.ts";

/** Removes the path a socket bound, if any (gone already is fine). */
function removeBound(path: string | null): void {
  if (path === null) return;
  try {
    Deno.removeSync(path);
  } catch {
    // gone already
  }
}

/** An address as a {@linkcode SockAddr}, or `"/path"`, or `"@abstract"`. */
export type UnixAddress = SockAddr | string;

function toAddr(addr: UnixAddress): SockAddr {
  if (typeof addr !== "string") return addr;
  return addr.startsWith("@")
    ? { family: "unix", abstract: addr.slice(1) }
    : { family: "unix", path: addr };
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
  #fd: number;
  #closed = false;
  #peer: Credentials | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  private constructor(fd: number) {
    this.#fd = fd;
    setNonBlocking(fd);
  }

  /**
   * Connects to a listening Unix socket without blocking the event loop.
   *
   * @param addr `"/path"`, `"@abstract"` or a `SockAddr`
   * @param options `type` (`"stream"`, the default, or `"seqpacket"`), `timeout`, `signal`
   * @returns the connection
   * @throws {IpcError} `ENOENT`, `ECONNREFUSED`, `ETIMEDOUT`
   * @example
   * ```ts
   * import { UnixConnection, UnixListener } from "@linux-ipc/ipc";
   * using server = UnixListener.listen("@linux-ipc-connect-doc");
   * using conn = await UnixConnection.connect("@linux-ipc-connect-doc");
   * using accepted = await server.accept();
   * ```
   */
  static async connect(
    addr: UnixAddress,
    options: WaitOptions & { type?: "stream" | "seqpacket" } = {},
  ): Promise<UnixConnection> {
    const fd = socket(
      AF_UNIX,
      options.type === "seqpacket" ? SOCK_SEQPACKET : SOCK_STREAM,
    );
    try {
      await connectAsync(fd, toAddr(addr), options);
    } catch (e) {
      close(fd);
      throw e;
    }
    return new UnixConnection(fd);
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
    const [a, b] = socketpair(
      AF_UNIX,
      type === "seqpacket" ? SOCK_SEQPACKET : SOCK_STREAM,
    );
    return [new UnixConnection(a), new UnixConnection(b)];
  }

  /**
   * Takes over a connected socket's descriptor (one received over a socket,
   * or handed by a parent as fd 3); it is closed with this object.
   *
   * @param fd the descriptor
   * @returns the connection
   * @example
   * ```ts
   * import { AF_UNIX, SOCK_STREAM, socketpair, UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
   * using x = UnixConnection.fromFd(a);
   * using y = UnixConnection.fromFd(b);
   * ```
   */
  static fromFd(fd: number): UnixConnection {
    return new UnixConnection(fd);
  }

  /**
   * The descriptor.
   *
   * @throws {Deno.errors.BadResource} once closed
   */
  get fd(): number {
    this.#open();
    return this.#fd;
  }

  /** The peer's process, user and group ids (`SO_PEERCRED`, read once). */
  get peer(): Credentials {
    return this.#peer ??= getsockopt(this.fd, SOL_SOCKET, SO_PEERCRED);
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
   * Reads without blocking the event loop.
   *
   * @param buf where to put the bytes
   * @param options `timeout`, `signal`
   * @returns how many bytes arrived, or null at end of stream
   * @throws {IpcError} `ECONNRESET`, `ETIMEDOUT`
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * a.close();
   * console.log(await b.read(new Uint8Array(4))); // null
   * b.close();
   * ```
   */
  async read(
    buf: Uint8Array,
    options: WaitOptions = {},
  ): Promise<number | null> {
    const n = await recvReady(this.fd, buf, options, true);
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
    return sendReady(this.fd, data, options, true);
  }

  /**
   * Writes all of `data` without blocking the event loop.
   *
   * @param data the bytes
   * @param options `timeout`, `signal`
   * @throws {IpcError} `EPIPE`, `ETIMEDOUT`
   * @example
   * ```ts
   * import { UnixConnection } from "@linux-ipc/ipc";
   * const [a, b] = UnixConnection.pair();
   * await a.writeAll(new Uint8Array(100));
   * ```
   */
  async writeAll(data: Uint8Array, options: WaitOptions = {}): Promise<void> {
    for (let off = 0; off < data.length;) {
      off += await sendReady(
        this.fd,
        off === 0 ? data : data.subarray(off),
        options,
        true,
      );
    }
  }

  /**
   * Sends descriptors (`SCM_RIGHTS`) with some bytes (at least one is sent,
   * as stream sockets need data to carry control messages).
   *
   * @param fds up to `SCM_MAX_FD` descriptors; the peer gets its own copies
   * @param data bytes to send with them (default one zero byte)
   * @param options `timeout`, `signal`
   * @throws {IpcError} `EBADF` (a descriptor is not open), `EPIPE`
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
    await sendmsgAsync(this.fd, {
      data: data.length > 0 ? data : new Uint8Array(1),
      control: [{ type: "rights", fds: [...fds] }],
    }, options);
  }

  /**
   * Receives descriptors (`SCM_RIGHTS`) and the bytes that came with them.
   * A message carrying more than `maxFds` closes them all and throws.
   *
   * @param options `maxFds` (default `SCM_MAX_FD`), `maxBytes` (default 4096), `timeout`, `signal`
   * @returns the descriptors (yours to close) and the bytes
   * @throws {IpcError} `EMSGSIZE` for truncated control data
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
    const buf = new Uint8Array(options.maxBytes ?? 4096);
    const got = await recvmsgAsync(this.fd, {
      data: buf,
      maxFds: options.maxFds ?? SCM_MAX_FD,
      credentials: false,
    }, options);
    const fds = got.control.flatMap((m: ControlMessage) =>
      m.type === "rights" ? m.fds : []
    );
    return { fds, data: buf.subarray(0, got.n) };
  }

  /**
   * The bytes as a byte stream, as `Deno.FsFile.readable` is: a default
   * reader gets chunks of up to 64 KiB, a BYOB reader
   * (`getReader({ mode: "byob" })`) has them read into its own buffer. This
   * end is closed when the stream ends or is cancelled.
   */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= readableFrom(
      (buf) => this.read(buf),
      () => this.close(),
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
    if (!this.#closed) shutdown(this.#fd, SHUT_WR);
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
    if (this.#closed) return;
    this.#closed = true;
    close(this.#fd);
  }

  /** Same as {@linkcode UnixConnection.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #open(): void {
    if (this.#closed) {
      throw new Deno.errors.BadResource("The connection is closed");
    }
  }
}

/**
 * A listening Unix stream or seqpacket socket: async `accept` and
 * `for await` over connections. Closing it removes the path it bound.
 *
 * @example
 * ```ts
 * import { UnixConnection, UnixListener } from "@linux-ipc/ipc";
 * using server = UnixListener.listen("@linux-ipc-listener-doc");
 * const client = UnixConnection.connect("@linux-ipc-listener-doc");
 * for await (const conn of server) {
 *   console.log(conn.peer.pid === Deno.pid); // true
 *   conn.close();
 *   break;
 * }
 * (await client).close();
 * ```
 */
export class UnixListener {
  #fd: number;
  #path: string | null;
  #closed = false;
  #stop = new AbortController();

  private constructor(fd: number, path: string | null) {
    this.#fd = fd;
    this.#path = path;
  }

  /**
   * Binds and listens. A pathname needs `--allow-read` and `--allow-write`.
   *
   * @param addr `"/path"`, `"@abstract"` or a `SockAddr`
   * @param options `type` (`"stream"` or `"seqpacket"`), `backlog` (default 128)
   * @returns the listener
   * @throws {IpcError} `EADDRINUSE` (the path exists), `EACCES`
   * @example
   * ```ts
   * import { UnixListener } from "@linux-ipc/ipc";
   * using server = UnixListener.listen("@linux-ipc-listen-doc2");
   * console.log(server.addr); // { family: "unix", abstract: "linux-ipc-listen-doc2" }
   * ```
   */
  static listen(
    addr: UnixAddress,
    options: { type?: "stream" | "seqpacket"; backlog?: number } = {},
  ): UnixListener {
    const a = toAddr(addr);
    const fd = socket(
      AF_UNIX,
      options.type === "seqpacket" ? SOCK_SEQPACKET : SOCK_STREAM,
    );
    try {
      bind(fd, a);
      listen(fd, options.backlog ?? 128);
    } catch (e) {
      close(fd);
      throw e;
    }
    return new UnixListener(fd, "path" in a ? a.path : null);
  }

  /**
   * Takes over a listening socket's descriptor (one received over a socket).
   *
   * @param fd the descriptor
   * @returns the listener (it does not remove any path)
   * @example
   * ```ts
   * import { AF_UNIX, bind, listen, SOCK_STREAM, socket, UnixListener } from "@linux-ipc/ipc";
   * const fd = socket(AF_UNIX, SOCK_STREAM);
   * bind(fd, { family: "unix", abstract: "linux-ipc-fromfd-doc" });
   * listen(fd);
   * using server = UnixListener.fromFd(fd);
   * ```
   */
  static fromFd(fd: number): UnixListener {
    return new UnixListener(fd, null);
  }

  /** The descriptor. */
  get fd(): number {
    if (this.#closed) {
      throw new Deno.errors.BadResource("The listener is closed");
    }
    return this.#fd;
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
   * using server = UnixListener.listen("@linux-ipc-accept-doc3");
   * const pending = server.accept({ timeout: 1000 });
   * using client = await UnixConnection.connect("@linux-ipc-accept-doc3");
   * using conn = await pending;
   * ```
   */
  async accept(options: WaitOptions = {}): Promise<UnixConnection> {
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.#stop.signal])
      : this.#stop.signal;
    try {
      const { fd } = await acceptAsync(this.fd, {
        timeout: options.timeout,
        signal,
      });
      return UnixConnection.fromFd(fd);
    } catch (e) {
      if (this.#stop.signal.aborted) {
        throw new Deno.errors.BadResource("The listener is closed");
      }
      throw e;
    }
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
   * it bound. Safe to call twice.
   *
   * @example
   * ```ts
   * import { UnixListener } from "@linux-ipc/ipc";
   * const server = UnixListener.listen("@linux-ipc-close-doc");
   * server.close();
   * server.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    close(this.#fd);
    removeBound(this.#path);
  }

  /** Same as {@linkcode UnixListener.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** A datagram and its sender. */
export interface Datagram {
  /** The bytes. */
  data: Uint8Array;
  /** The sender's address (unnamed if it did not bind). */
  from: SockAddr;
}

/**
 * A Unix datagram socket: `send` to an address, `receive`, and
 * `for await` over `{ data, from }`. Closing it removes the path it bound.
 *
 * @example
 * ```ts
 * import { UnixDatagram } from "@linux-ipc/ipc";
 * using rx = UnixDatagram.bind("@linux-ipc-dgram-doc");
 * using tx = UnixDatagram.bind();
 * await tx.send(new TextEncoder().encode("one"), "@linux-ipc-dgram-doc");
 * const { data } = await rx.receive();
 * console.log(new TextDecoder().decode(data)); // "one"
 * ```
 */
export class UnixDatagram {
  #fd: number;
  #path: string | null;
  #closed = false;

  private constructor(fd: number, path: string | null) {
    this.#fd = fd;
    this.#path = path;
  }

  /**
   * Creates a datagram socket, bound to `addr` if given.
   *
   * @param addr `"/path"`, `"@abstract"`, a `SockAddr`, or nothing (unnamed)
   * @returns the socket
   * @throws {IpcError} `EADDRINUSE`
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * using s = UnixDatagram.bind("@linux-ipc-bind-doc");
   * ```
   */
  static bind(addr?: UnixAddress): UnixDatagram {
    const fd = socket(AF_UNIX, SOCK_DGRAM);
    let path: string | null = null;
    if (addr !== undefined) {
      const a = toAddr(addr);
      try {
        bind(fd, a);
      } catch (e) {
        close(fd);
        throw e;
      }
      if ("path" in a) path = a.path;
    }
    return new UnixDatagram(fd, path);
  }

  /** The descriptor. */
  get fd(): number {
    if (this.#closed) {
      throw new Deno.errors.BadResource("The datagram socket is closed");
    }
    return this.#fd;
  }

  /**
   * Sends one datagram to `to`.
   *
   * @param data the bytes
   * @param to `"/path"`, `"@abstract"` or a `SockAddr`
   * @param options `timeout`, `signal`
   * @returns how many bytes were sent
   * @throws {IpcError} `ECONNREFUSED`/`ENOENT` (nobody there), `EMSGSIZE`
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * using rx = UnixDatagram.bind("@linux-ipc-send-doc");
   * using tx = UnixDatagram.bind();
   * console.log(await tx.send(new Uint8Array(4), "@linux-ipc-send-doc")); // 4
   * ```
   */
  send(
    data: Uint8Array,
    to: UnixAddress,
    options: WaitOptions = {},
  ): Promise<number> {
    return sendtoAsync(this.fd, data, toAddr(to), options);
  }

  /**
   * Receives one datagram without blocking the event loop.
   *
   * @param options `maxSize` (default 65536), `timeout`, `signal`
   * @returns the bytes and the sender
   * @throws {IpcError} `ETIMEDOUT`
   * @example
   * ```ts
   * import { UnixDatagram } from "@linux-ipc/ipc";
   * using rx = UnixDatagram.bind("@linux-ipc-receive-doc");
   * await rx.receive({ timeout: 10 }).catch((e) => console.log(e.code)); // "ETIMEDOUT"
   * ```
   */
  async receive(
    options: WaitOptions & { maxSize?: number } = {},
  ): Promise<Datagram> {
    const buf = new Uint8Array(options.maxSize ?? 65536);
    const { n, from } = await recvfromAsync(this.fd, buf, options);
    return { data: buf.slice(0, n), from };
  }

  /** Yields datagrams until the socket is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Datagram> {
    while (!this.#closed) {
      try {
        yield await this.receive();
      } catch (e) {
        if (this.#closed || (e instanceof IpcError && e.code === "EBADF")) {
          return;
        }
        throw e;
      }
    }
  }

  /**
   * Closes the socket and removes the path it bound. Safe to call twice.
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
    if (this.#closed) return;
    this.#closed = true;
    close(this.#fd);
    removeBound(this.#path);
  }

  /** Same as {@linkcode UnixDatagram.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
