/**
 * The async forms of the socket calls (`acceptAsync`, `connectAsync`,
 * `sendAsync`, `recvAsync`, `sendtoAsync`, `recvfromAsync`,
 * `sendmsgAsync`, `recvmsgAsync`): the call is tried at once,
 * non-blocking, and if it would block the engine's reactor waits for the
 * socket to be ready (`ffi/wait.ts`), without blocking the event loop. Part
 * of the thin layer; re-exported by `socket/mod.ts`.
 *
 * @module
 */

import { libc, sizeT } from "../ffi/libc.ts";
import { EAGAIN, EINPROGRESS, EISCONN, resultOrErrno } from "../ffi/errors.ts";
import { setNonBlocking } from "../ffi/fd.ts";
import { encodeSockaddr, type SockAddr } from "../ffi/socket_layout.ts";
import { bufferIo, POLLIN, pollOp, POLLOUT } from "../ffi/poll.ts";
import { bytes, descriptor } from "../ffi/validate.ts";
import {
  checkWaitOptions,
  laterIfLongTurn,
  waitFor,
  type WaitOptions,
} from "../ffi/wait.ts";
import {
  type Accepted,
  addressRoom,
  checkPath,
  datagramCall,
  type DatagramIn,
  describe,
  emptyMessageNext,
  fail,
  getsockopt,
  measured,
  messageCall,
  type MessageIn,
  type MessageOut,
  type MessageReceived,
  type MessageTake,
  messageTaken,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_TRUNC,
  peekLength,
  prepareRecv,
  prepareSend,
  type Received,
  SO_ERROR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOL_SOCKET,
  wholeMessage,
} from "./socket.ts";

/**
 * Internal to `socket/`: a stream read's 0 into a non-empty buffer, the end
 * of the stream, as null.
 *
 * @param n what the read returned
 * @returns `n`, or null for 0
 */
export function endAsNull(n: number): number | null {
  return n === 0 ? null : n;
}

/**
 * A send or recv that waits for readiness, shared by the two (through
 * `bufferIo` in `ffi/poll.ts`). `stream`: a plain recv on a stream socket,
 * where a short read shows the socket drained, so the next read waits for
 * an event without a call that would fail (the engine's `drained`; tokio
 * does the same), and a 0 into a non-empty buffer (the end of the stream)
 * comes back as null, in the same step as the call. Every call has
 * MSG_DONTWAIT: the socket's mode is left alone.
 */
function bufferReady(
  sockfd: number,
  buf: Uint8Array,
  syscall: "send" | "recv",
  options: WaitOptions,
  recvFlags = 0,
  stream = false,
): Promise<number | null> {
  try {
    sockfd = descriptor(sockfd, syscall, "sockfd");
    bytes(buf, syscall, "buf");
  } catch (e) {
    return Promise.reject(e);
  }
  return bufferIo<number | null>(
    sockfd,
    syscall,
    buf,
    syscall === "send" ? MSG_NOSIGNAL | MSG_DONTWAIT : recvFlags | MSG_DONTWAIT,
    fail,
    options,
    stream && buf.length > 0 ? endAsNull : undefined,
    stream,
  );
}

/**
 * Waits until the call on the socket completes: `waitFor` on a `pollOp`,
 * with no promise of its own (an echo server's every read comes here;
 * `wait` checks the options). `call` must never block: `MSG_DONTWAIT`, or
 * a socket made non-blocking.
 */
function ready<T = number>(
  sockfd: number,
  events: number,
  syscall: string,
  call: () => number,
  options: WaitOptions,
  addr?: SockAddr,
  tried: boolean | "presumed" = false,
  fds?: readonly number[],
  done?: (n: number) => T,
): Promise<T> {
  return waitFor(
    pollOp(
      sockfd,
      events,
      syscall,
      call,
      () => fail(syscall, sockfd, addr, fds),
      done,
      tried,
      false,
      // A datagram's receiver is its lane: one that is full holds up no
      // other's.
      addr === undefined ? undefined : () => describe(addr),
    ),
    options,
  );
}

/**
 * Waits for a connection without blocking the event loop (`accept4`).
 *
 * @param sockfd the listening socket (made non-blocking)
 * @param options `timeout`, `signal`
 * @returns the connection (blocking, close-on-exec) and the peer's address
 * @throws {IpcError} `ETIMEDOUT`, `EINVAL` (not listening)
 * @example
 * ```ts
 * import { acceptAsync, AF_UNIX, bind, close, connect, listen, SOCK_STREAM, socket } from "@linux-ipc/ipc/socket";
 * const server = socket(AF_UNIX, SOCK_STREAM);
 * bind(server, { family: "unix", abstract: `linux-ipc-acceptasync-doc-${Deno.pid}` });
 * listen(server);
 * const accepting = acceptAsync(server, { timeout: 1000 });
 * const client = socket(AF_UNIX, SOCK_STREAM);
 * connect(client, { family: "unix", abstract: `linux-ipc-acceptasync-doc-${Deno.pid}` });
 * const { fd } = await accepting;
 * [fd, client, server].forEach(close);
 * ```
 */
export async function acceptAsync(
  sockfd: number,
  options: WaitOptions = {},
): Promise<Accepted> {
  sockfd = descriptor(sockfd, "accept4", "sockfd");
  checkWaitOptions(options, "acceptAsync");
  // accept4 has no per-call flag: another process may take the connection
  // between the event and the call, which must then fail, not block.
  setNonBlocking(sockfd);
  const room = addressRoom();
  const fd = await ready(sockfd, POLLIN, "accept4", () => {
    room.reset();
    return libc().accept4(sockfd, room.name, room.len, SOCK_CLOEXEC);
  }, options);
  return { fd, addr: room.addr() };
}

/**
 * Internal to `socket/`: the accept of `UnixListener`, lean for bursts of
 * connections: no peer address asked for (the class has no use for it), and
 * the connection made non-blocking by `accept4` itself
 * (`SOCK_NONBLOCK`), where {@linkcode acceptAsync} gives C's blocking one.
 *
 * @param sockfd the listening socket, already non-blocking
 * @param options `timeout`, `signal`
 * @returns the connection's descriptor (non-blocking, close-on-exec)
 */
export function acceptConnection(
  sockfd: number,
  options: WaitOptions,
): Promise<number> {
  return ready(
    sockfd,
    POLLIN,
    "accept4",
    () => libc().accept4(sockfd, null, null, SOCK_CLOEXEC | SOCK_NONBLOCK),
    options,
  );
}

/**
 * Connects without blocking the event loop (`connect`, then waiting for it
 * to complete and reading `SO_ERROR`).
 *
 * @param sockfd the socket (made non-blocking)
 * @param addr the address
 * @param options `timeout`, `signal`
 * @throws {IpcError} `ENOENT`, `ECONNREFUSED`, `ETIMEDOUT`
 * @example
 * ```ts
 * import { AF_UNIX, bind, close, connectAsync, listen, SOCK_STREAM, socket } from "@linux-ipc/ipc/socket";
 * const server = socket(AF_UNIX, SOCK_STREAM);
 * bind(server, { family: "unix", abstract: `linux-ipc-connectasync-doc-${Deno.pid}` });
 * listen(server);
 * const client = socket(AF_UNIX, SOCK_STREAM);
 * await connectAsync(client, { family: "unix", abstract: `linux-ipc-connectasync-doc-${Deno.pid}` });
 * close(client);
 * close(server);
 * ```
 */
export async function connectAsync(
  sockfd: number,
  addr: SockAddr,
  options: WaitOptions = {},
): Promise<void> {
  sockfd = descriptor(sockfd, "connect", "sockfd");
  checkWaitOptions(options, "connectAsync");
  const a = encodeSockaddr(addr, "connect");
  checkPath(addr);
  setNonBlocking(sockfd);
  // A loop of connects, each complete at once, would otherwise hold the
  // event loop for all of them.
  const later = laterIfLongTurn();
  if (later !== undefined) await later;
  await connectNonBlocking(sockfd, a, addr, options);
}

/**
 * Internal to `socket/`: {@linkcode connectAsync} of a socket made
 * non-blocking (`SOCK_NONBLOCK`), its arguments checked: no `fcntl` calls.
 * The caller defers it when the turn is long (`laterIfLongTurn`), as
 * {@linkcode connectAsync} does.
 *
 * @param sockfd the socket, non-blocking
 * @param a the address, encoded
 * @param addr the address, for errors
 * @param options `timeout`, `signal`, checked
 * @throws {IpcError} as {@linkcode connectAsync}
 */
export async function connectNonBlocking(
  sockfd: number,
  a: Uint8Array,
  addr: SockAddr,
  options: WaitOptions,
): Promise<void> {
  const c = libc();
  const r = resultOrErrno(() => c.connect(sockfd, a, a.length));
  if (r === 0) return;
  const e = -r;
  if (e === EINPROGRESS) {
    // Wait until writable, then the outcome is in SO_ERROR.
    await ready(sockfd, POLLOUT, "connect", () => 0, options, addr);
    const err = getsockopt(sockfd, SOL_SOCKET, SO_ERROR);
    if (err !== 0) {
      throw fail("connect", sockfd, addr, undefined, err);
    }
    return;
  }
  if (e !== EAGAIN) {
    throw fail("connect", sockfd, addr, undefined, e);
  }
  // A Unix listener's queue is full: try again when there is room.
  await ready(
    sockfd,
    POLLOUT,
    "connect",
    () => {
      const r = resultOrErrno(() => c.connect(sockfd, a, a.length));
      // Any other failure: -1, with errno still set for the engine.
      return r === 0 || r === -EISCONN ? 0 : -1;
    },
    options,
    addr,
  );
}

/**
 * Sends without blocking the event loop (`send`).
 *
 * @param sockfd the socket (its mode is left alone: every call has
 *   `MSG_DONTWAIT`)
 * @param buf the bytes
 * @param options `timeout`, `signal`
 * @returns how many bytes were sent
 * @throws {IpcError} `EPIPE`, `ETIMEDOUT`
 * @example
 * ```ts
 * import { AF_UNIX, close, sendAsync, SOCK_STREAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * console.log(await sendAsync(a, new Uint8Array(10))); // 10
 * close(a);
 * close(b);
 * ```
 */
export function sendAsync(
  sockfd: number,
  buf: Uint8Array,
  options: WaitOptions = {},
): Promise<number> {
  try {
    checkWaitOptions(options, "sendAsync");
  } catch (e) {
    return Promise.reject(e);
  }
  return bufferReady(sockfd, buf, "send", options) as Promise<number>;
}

/**
 * Receives without blocking the event loop (`recv`).
 *
 * @param sockfd the socket (its mode is left alone: every call has
 *   `MSG_DONTWAIT`)
 * @param buf where to put the bytes
 * @param options `timeout`, `signal`
 * @returns how many bytes arrived; 0 at end of stream
 * @throws {IpcError} `ETIMEDOUT`, `ECONNRESET`
 * @example
 * ```ts
 * import { AF_UNIX, close, recvAsync, send, SOCK_STREAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * setTimeout(() => send(a, new Uint8Array(4)), 10);
 * console.log(await recvAsync(b, new Uint8Array(8), { timeout: 1000 })); // 4
 * close(a);
 * close(b);
 * ```
 */
export function recvAsync(
  sockfd: number,
  buf: Uint8Array,
  options: WaitOptions = {},
): Promise<number> {
  try {
    checkWaitOptions(options, "recvAsync");
  } catch (e) {
    return Promise.reject(e);
  }
  return recvReady(sockfd, buf, options);
}

/**
 * Internal to `socket/`: {@linkcode recvAsync} with `recv` flags, for the
 * classes.
 *
 * @param sockfd the socket
 * @param buf the buffer
 * @param options `timeout`, `signal`
 * @param flags more `recv` flags (`MSG_PEEK | MSG_TRUNC`: a seqpacket
 *   message's length, the message left in place)
 * @returns how many bytes went
 */
export function recvReady(
  sockfd: number,
  buf: Uint8Array,
  options: WaitOptions,
  flags = 0,
): Promise<number> {
  return bufferReady(sockfd, buf, "recv", options, flags) as Promise<number>;
}

/**
 * Internal to `socket/`: a plain read on a stream socket, for
 * `UnixConnection.read`. A short read marks the socket drained, so the
 * next read waits for an event without a call that would fail; a 0 into a
 * non-empty buffer, the end of the stream, comes back as null.
 *
 * @param sockfd the socket
 * @param buf the buffer
 * @param options `timeout`, `signal`
 * @returns how many bytes arrived, or null at the end of the stream
 */
export function readReady(
  sockfd: number,
  buf: Uint8Array,
  options: WaitOptions,
): Promise<number | null> {
  return bufferReady(sockfd, buf, "recv", options, 0, true);
}

/**
 * Internal to `socket/`: a read of one message of a seqpacket socket, for
 * `UnixConnection.read`: measured and taken in one step when the socket is
 * readable ({@linkcode messageCall}), so that concurrent reads each get a
 * whole message, in the order they were made.
 *
 * @param sockfd the socket
 * @param buf where the message goes
 * @param options `timeout`, `signal`
 * @returns the message's length, or null at the end of the stream
 * @throws {IpcError} `EMSGSIZE` for a message longer than `buf` (left in place)
 */
export function messageReady(
  sockfd: number,
  buf: Uint8Array,
  options: WaitOptions,
): Promise<number | null> {
  try {
    sockfd = descriptor(sockfd, "recv", "sockfd");
    bytes(buf, "recv", "buf");
  } catch (e) {
    return Promise.reject(e);
  }
  const take: MessageTake = { taken: false };
  return ready<number | null>(
    sockfd,
    POLLIN,
    "recv",
    messageCall(sockfd, buf, take),
    options,
    undefined,
    false,
    undefined,
    (r) => messageTaken(r, buf, take),
  );
}

/**
 * Internal to `socket/`: {@linkcode recvmsgAsync} of one whole message of
 * a seqpacket socket, measured and taken in one step (`measured`): a
 * message longer than `msg.data` is refused, left in place.
 *
 * @param sockfd the socket
 * @param msg the room
 * @param options `timeout`, `signal`
 * @param argument what set the room, for the error (`maxBytes`)
 * @returns what arrived
 * @throws {IpcError} `EMSGSIZE` for a message longer than the room
 */
export async function recvmsgWhole(
  sockfd: number,
  msg: MessageIn,
  options: WaitOptions,
  argument: string,
): Promise<MessageReceived> {
  sockfd = descriptor(sockfd, "recvmsg", "sockfd");
  const p = prepareRecv(sockfd, msg, MSG_DONTWAIT | MSG_TRUNC);
  const state = { taken: false };
  const n = await ready(
    sockfd,
    POLLIN,
    "recvmsg",
    measured(sockfd, p.room, p.call, state),
    options,
  );
  return wholeMessage(p, n, state, argument);
}

/**
 * Internal to `socket/`: waits for the next message of a seqpacket socket
 * and gives its length without taking it (0 for an empty message, null at
 * the end of the stream: see `emptyMessageNext`).
 *
 * @param sockfd the socket
 * @param options `timeout`, `signal`
 * @returns the length, or null at the end
 */
export function peekReady(
  sockfd: number,
  options: WaitOptions,
): Promise<number | null> {
  let end = false;
  return ready<number | null>(
    sockfd,
    POLLIN,
    "recv",
    () => {
      const size = peekLength(sockfd);
      end = size === 0 && !emptyMessageNext(sockfd);
      return size;
    },
    options,
    undefined,
    false,
    undefined,
    (size) => end ? null : size,
  );
}

/**
 * Sends a datagram without blocking the event loop (`sendto`).
 *
 * @param sockfd the socket (its mode is left alone: every call has
 *   `MSG_DONTWAIT`)
 * @param buf the bytes
 * @param addr where to
 * @param options `timeout`, `signal`
 * @returns how many bytes were sent
 * @throws {IpcError} `ECONNREFUSED`, `ENOENT`, `ETIMEDOUT`
 * @example
 * ```ts
 * import { AF_UNIX, bind, close, recvfromAsync, sendtoAsync, SOCK_DGRAM, socket } from "@linux-ipc/ipc/socket";
 * const rx = socket(AF_UNIX, SOCK_DGRAM);
 * bind(rx, { family: "unix", abstract: `linux-ipc-sendtoasync-doc-${Deno.pid}` });
 * const tx = socket(AF_UNIX, SOCK_DGRAM);
 * await sendtoAsync(tx, new Uint8Array(2), { family: "unix", abstract: `linux-ipc-sendtoasync-doc-${Deno.pid}` });
 * console.log((await recvfromAsync(rx, new Uint8Array(8))).n); // 2
 * close(rx);
 * close(tx);
 * ```
 */
export function sendtoAsync(
  sockfd: number,
  buf: Uint8Array,
  addr: SockAddr,
  options: WaitOptions = {},
): Promise<number> {
  let a: Uint8Array;
  try {
    checkWaitOptions(options, "sendtoAsync");
    sockfd = descriptor(sockfd, "sendto", "sockfd");
    bytes(buf, "sendto", "buf");
    a = encodeSockaddr(addr, "sendto");
    checkPath(addr);
  } catch (e) {
    return Promise.reject(e);
  }
  const n = sizeT(buf.length);
  return ready(
    sockfd,
    POLLOUT,
    "sendto",
    () =>
      libc().sendto(sockfd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT, a, a.length),
    options,
    addr,
  );
}

/**
 * Receives a datagram without blocking the event loop (`recvfrom`).
 *
 * @param sockfd the socket (its mode is left alone: every call has
 *   `MSG_DONTWAIT`)
 * @param buf where to put it
 * @param options `timeout`, `signal`
 * @returns the length and the sender
 * @throws {IpcError} `ETIMEDOUT`
 * @example
 * ```ts
 * import { AF_UNIX, close, recvfromAsync, SOCK_DGRAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_DGRAM);
 * await recvfromAsync(b, new Uint8Array(8), { timeout: 10 }).catch((e) => console.log(e.code)); // "ETIMEDOUT"
 * close(a);
 * close(b);
 * ```
 */
export async function recvfromAsync(
  sockfd: number,
  buf: Uint8Array,
  options: WaitOptions = {},
): Promise<Received> {
  checkWaitOptions(options, "recvfromAsync");
  return await recvfromReady(sockfd, buf, 0, options);
}

/**
 * {@linkcode recvfromAsync} with `recvfrom` flags
 * (`MSG_TRUNC`, for the datagram's real length).
 *
 * @param sockfd the socket
 * @param buf where to put the bytes
 * @param flags `recvfrom` flags
 * @param options `timeout`, `signal`
 * @returns the call's result and the sender
 */
async function recvfromReady(
  sockfd: number,
  buf: Uint8Array,
  flags: number,
  options: WaitOptions,
): Promise<Received> {
  sockfd = descriptor(sockfd, "recvfrom", "sockfd");
  bytes(buf, "recvfrom", "buf");
  const room = addressRoom();
  const bn = sizeT(buf.length);
  const f = flags | MSG_DONTWAIT;
  const n = await ready(sockfd, POLLIN, "recvfrom", () => {
    room.reset();
    return libc().recvfrom(sockfd, buf, bn, f, room.name, room.len);
  }, options);
  return { n, from: room.from() };
}

/**
 * Internal to `socket/`: one datagram of up to `maxBytes` bytes, copied
 * out of shared room as it is received (`datagramCall`), without blocking
 * the event loop; for `UnixDatagram.receive`.
 *
 * @param sockfd the socket
 * @param maxBytes the most bytes to keep (the real size is reported)
 * @param options `timeout`, `signal`
 * @returns the datagram
 */
export function receiveDatagram(
  sockfd: number,
  maxBytes: number,
  options: WaitOptions,
): Promise<DatagramIn> {
  try {
    sockfd = descriptor(sockfd, "recvfrom", "sockfd");
  } catch (e) {
    return Promise.reject(e);
  }
  const d = datagramCall(sockfd, maxBytes);
  return ready(
    sockfd,
    POLLIN,
    "recvfrom",
    d.call,
    options,
    undefined,
    false,
    undefined,
    d.done,
  );
}

/**
 * {@linkcode sendmsg} without blocking the event loop.
 *
 * @param sockfd a Unix socket (its mode is left alone: every call has
 *   `MSG_DONTWAIT`)
 * @param msg the data, destination and control messages
 * @param options `timeout`, `signal`
 * @returns how many bytes were sent
 * @throws {IpcError} as {@linkcode sendmsg}, and `ETIMEDOUT`
 * @example
 * ```ts
 * import { AF_UNIX, close, recvmsgAsync, sendmsgAsync, SOCK_STREAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * await sendmsgAsync(a, { data: new Uint8Array([7]), control: [{ type: "rights", fds: [a] }] });
 * const got = await recvmsgAsync(b, { data: new Uint8Array(1) });
 * for (const m of got.control) if (m.type === "rights") m.fds.forEach(close);
 * close(a);
 * close(b);
 * ```
 */
export async function sendmsgAsync(
  sockfd: number,
  msg: MessageOut,
  options: WaitOptions = {},
): Promise<number> {
  checkWaitOptions(options, "sendmsgAsync");
  sockfd = descriptor(sockfd, "sendmsg", "sockfd");
  const p = prepareSend(sockfd, msg, MSG_DONTWAIT);
  return await ready(
    sockfd,
    POLLOUT,
    "sendmsg",
    p.call,
    options,
    msg.to,
    false,
    p.fds,
  );
}

/**
 * {@linkcode recvmsg} without blocking the event loop.
 *
 * @param sockfd a Unix socket (its mode is left alone: every call has
 *   `MSG_DONTWAIT`)
 * @param msg where to put the bytes, and room for descriptors/credentials
 * @param options `timeout`, `signal`
 * @returns the length, sender, control messages and truncation
 * @throws {IpcError} as {@linkcode recvmsg}, and `ETIMEDOUT`
 * @example
 * ```ts
 * import { AF_UNIX, close, recvmsgAsync, sendmsg, SOCK_STREAM, socketpair } from "@linux-ipc/ipc/socket";
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * setTimeout(() => sendmsg(a, { data: new Uint8Array(1) }), 10);
 * console.log((await recvmsgAsync(b, { data: new Uint8Array(4) })).n); // 1
 * close(a);
 * close(b);
 * ```
 */
export async function recvmsgAsync(
  sockfd: number,
  msg: MessageIn,
  options: WaitOptions = {},
): Promise<MessageReceived> {
  checkWaitOptions(options, "recvmsgAsync");
  sockfd = descriptor(sockfd, "recvmsg", "sockfd");
  const p = prepareRecv(sockfd, msg, MSG_DONTWAIT);
  const n = await ready(sockfd, POLLIN, "recvmsg", p.call, options);
  return p.finish(n);
}
