/**
 * Internal to `socket/`: the blocking forms the classes' `...Sync` methods
 * use. Each makes its call with `MSG_DONTWAIT` (or on a non-blocking
 * listener), waiting in `poll` while it would block, with a timeout
 * (`ETIMEDOUT`). Not re-exported by `socket/mod.ts`.
 *
 * @module
 */

import { libc, sizeT } from "../ffi/libc.ts";
import { EAGAIN, EINTR, resultOf } from "../ffi/errors.ts";
import { checkTimeout } from "../ffi/wait.ts";

import { encodeSockaddr, type SockAddr } from "../ffi/socket_layout.ts";
import { callWhenReady, POLLIN, POLLOUT } from "../ffi/poll.ts";
import { bytes } from "../ffi/validate.ts";

import {
  checkPath,
  datagramCall,
  type DatagramIn,
  fail,
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
  prepareRecv,
  prepareSend,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  wholeMessage,
} from "./socket.ts";

/**
 * `recv`, blocking the thread until data, end of stream, or `timeout`.
 *
 * @param sockfd the socket
 * @param buf where to put the bytes
 * @param timeout milliseconds, or undefined for none
 * @param flags more `recv` flags (`MSG_PEEK | MSG_TRUNC`)
 * @returns how many bytes arrived (0 at end of stream)
 */
export function recvSyncReady(
  sockfd: number,
  buf: Uint8Array,
  timeout: number | undefined,
  flags = 0,
): number {
  bytes(buf, "recv", "buf");
  checkTimeout(timeout, "recv");
  const n = sizeT(buf.length);
  // At once when it can: no closure is made on this path (the wait's are
  // in a function of their own, or every call would allocate them).
  const r = resultOf(libc().recv(sockfd, buf, n, flags | MSG_DONTWAIT));
  if (r >= 0) return r;
  if (r !== -EAGAIN && r !== -EINTR) {
    throw fail("recv", sockfd, undefined, undefined, -r);
  }
  return recvWhenReady(sockfd, buf, n, flags, timeout);
}

function recvWhenReady(
  sockfd: number,
  buf: Uint8Array,
  n: bigint,
  flags: number,
  timeout: number | undefined,
): number {
  return callWhenReady(
    sockfd,
    POLLIN,
    timeout,
    "recv",
    () => libc().recv(sockfd, buf, n, flags | MSG_DONTWAIT),
    () => fail("recv", sockfd),
  );
}

/**
 * One message of a seqpacket socket, measured and taken in one step
 * (`messageCall`), blocking the thread until one comes or `timeout`.
 *
 * @param sockfd the socket
 * @param buf where the message goes
 * @param timeout milliseconds, or undefined for none
 * @returns the message's length (0 for an empty one), or null at the end
 *   of the stream
 * @throws {IpcError} `EMSGSIZE` for a message longer than `buf` (left in place)
 */
export function messageSyncReady(
  sockfd: number,
  buf: Uint8Array,
  timeout: number | undefined,
): number | null {
  bytes(buf, "recv", "buf");
  const take: MessageTake = { taken: false };
  const r = callWhenReady(
    sockfd,
    POLLIN,
    timeout,
    "recv",
    messageCall(sockfd, buf, take),
    () => fail("recv", sockfd),
  );
  return messageTaken(r, buf, take);
}

/**
 * `send` (never a SIGPIPE), blocking the thread until there is room.
 *
 * @param sockfd the socket
 * @param buf the bytes
 * @param timeout milliseconds, or undefined for none
 * @returns how many bytes went
 */
export function sendSyncReady(
  sockfd: number,
  buf: Uint8Array,
  timeout: number | undefined,
): number {
  bytes(buf, "send", "buf");
  checkTimeout(timeout, "send");
  const n = sizeT(buf.length);
  // As recvSyncReady: at once with no closure when it can.
  const r = resultOf(libc().send(sockfd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT));
  if (r >= 0) return r;
  if (r !== -EAGAIN && r !== -EINTR) {
    throw fail("send", sockfd, undefined, undefined, -r);
  }
  return sendWhenReady(sockfd, buf, n, timeout);
}

function sendWhenReady(
  sockfd: number,
  buf: Uint8Array,
  n: bigint,
  timeout: number | undefined,
): number {
  return callWhenReady(
    sockfd,
    POLLOUT,
    timeout,
    "send",
    () => libc().send(sockfd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT),
    () => fail("send", sockfd),
  );
}

/**
 * `sendto`, blocking the thread until the datagram goes.
 *
 * @param sockfd the socket
 * @param buf the bytes
 * @param addr where to
 * @param timeout milliseconds, or undefined for none
 * @returns how many bytes went
 */
export function sendtoSyncReady(
  sockfd: number,
  buf: Uint8Array,
  addr: SockAddr,
  timeout: number | undefined,
): number {
  bytes(buf, "sendto", "buf");
  const a = encodeSockaddr(addr, "sendto");
  checkPath(addr);
  const n = sizeT(buf.length);
  return callWhenReady(
    sockfd,
    POLLOUT,
    timeout,
    "sendto",
    () =>
      libc().sendto(sockfd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT, a, a.length),
    () => fail("sendto", sockfd, addr),
  );
}

/**
 * `sendmsg`, blocking the thread until it goes.
 *
 * @param sockfd the socket
 * @param msg the data and control messages
 * @param timeout milliseconds, or undefined for none
 * @returns how many bytes went
 */
export function sendmsgSyncReady(
  sockfd: number,
  msg: MessageOut,
  timeout: number | undefined,
): number {
  const p = prepareSend(sockfd, msg, MSG_DONTWAIT);
  return callWhenReady(
    sockfd,
    POLLOUT,
    timeout,
    "sendmsg",
    p.call,
    () => fail("sendmsg", sockfd, msg.to, p.fds),
  );
}

/**
 * `recvmsg`, blocking the thread until a message arrives.
 *
 * @param sockfd the socket
 * @param msg where to put the bytes, and room for descriptors
 * @param timeout milliseconds, or undefined for none
 * @returns the length, control messages and truncation
 */
export function recvmsgSyncReady(
  sockfd: number,
  msg: MessageIn,
  timeout: number | undefined,
): MessageReceived {
  const p = prepareRecv(sockfd, msg, MSG_DONTWAIT);
  const n = callWhenReady(
    sockfd,
    POLLIN,
    timeout,
    "recvmsg",
    p.call,
    () => fail("recvmsg", sockfd),
  );
  return p.finish(n);
}

/**
 * {@linkcode recvmsgSyncReady} of one whole message of a seqpacket socket,
 * measured and taken in one step (`measured`): a message longer than
 * `msg.data` is refused, left in place.
 *
 * @param sockfd the socket
 * @param msg the room
 * @param timeout milliseconds, or undefined for none
 * @param argument what set the room, for the error (`maxBytes`)
 * @returns what arrived
 * @throws {IpcError} `EMSGSIZE` for a message longer than the room
 */
export function recvmsgWholeSync(
  sockfd: number,
  msg: MessageIn,
  timeout: number | undefined,
  argument: string,
): MessageReceived {
  const p = prepareRecv(sockfd, msg, MSG_DONTWAIT | MSG_TRUNC);
  const state = { taken: false };
  const n = callWhenReady(
    sockfd,
    POLLIN,
    timeout,
    "recvmsg",
    measured(sockfd, p.room, p.call, state),
    () => fail("recvmsg", sockfd),
  );
  return wholeMessage(p, n, state, argument);
}

/**
 * One datagram of up to `maxBytes` bytes, copied out of shared room as it
 * is received (`datagramCall`), blocking the thread until one comes or
 * `timeout`.
 *
 * @param sockfd the socket
 * @param maxBytes the most bytes to keep (the real size is reported)
 * @param timeout milliseconds, or undefined for none
 * @returns the datagram
 */
export function receiveDatagramSync(
  sockfd: number,
  maxBytes: number,
  timeout: number | undefined,
): DatagramIn {
  const d = datagramCall(sockfd, maxBytes);
  return d.done(
    callWhenReady(
      sockfd,
      POLLIN,
      timeout,
      "recvfrom",
      d.call,
      () => fail("recvfrom", sockfd),
    ),
  );
}

/**
 * `accept4` on a non-blocking listener, blocking the thread until a
 * connection comes: the sync twin of `acceptConnection` (no peer address,
 * the connection non-blocking and close-on-exec).
 *
 * @param sockfd the listening socket (non-blocking)
 * @param timeout milliseconds, or undefined for none
 * @returns the connection's descriptor
 */
export function acceptConnectionSync(
  sockfd: number,
  timeout: number | undefined,
): number {
  return callWhenReady(
    sockfd,
    POLLIN,
    timeout,
    "accept4",
    () => libc().accept4(sockfd, null, null, SOCK_CLOEXEC | SOCK_NONBLOCK),
    () => fail("accept4", sockfd),
  );
}
