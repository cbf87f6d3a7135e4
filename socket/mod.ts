/**
 * Sockets: Unix-domain stream, datagram and seqpacket sockets (pathname,
 * abstract and unnamed), descriptor passing and credentials as typed
 * control messages, and IPv4/IPv6 for the book's Listing 5.12; by their C
 * names with their C constants, with async forms that keep the event loop
 * running.
 *
 * @example Hand a descriptor to another process (Linux Voice, as Postfix does)
 * ```ts
 * import { AF_UNIX, close, pipe, read, recvmsg, sendmsg, SOCK_DGRAM, socketpair, write } from "@linux-ipc/ipc";
 * const [mine, theirs] = socketpair(AF_UNIX, SOCK_DGRAM);
 * const [r, w] = pipe();
 * write(w, new TextEncoder().encode("through a passed fd"));
 * sendmsg(mine, { data: new Uint8Array(1), control: [{ type: "rights", fds: [r] }] });
 * const got = recvmsg(theirs, { data: new Uint8Array(1) });
 * const [received] = got.control[0].type === "rights" ? got.control[0].fds : [];
 * const buf = new Uint8Array(64);
 * console.log(new TextDecoder().decode(buf.subarray(0, read(received, buf))));
 * [received, r, w, mine, theirs].forEach(close);
 * ```
 *
 * @module
 */

export { errnoName, errnoNumber, IpcError } from "../ffi/errors.ts";
export type { WaitOptions } from "../ffi/wait.ts";
export {
  acceptAsync,
  connectAsync,
  recvAsync,
  recvfromAsync,
  recvmsgAsync,
  sendAsync,
  sendmsgAsync,
  sendtoAsync,
} from "./async.ts";
export {
  accept,
  accept4,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AF_UNSPEC,
  bind,
  close,
  connect,
  getaddrinfo,
  getpeername,
  getsockname,
  getsockopt,
  listen,
  MSG_CMSG_CLOEXEC,
  MSG_CTRUNC,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_PEEK,
  MSG_TRUNC,
  MSG_WAITALL,
  recv,
  recvfrom,
  recvmsg,
  SCM_CREDENTIALS,
  SCM_MAX_FD,
  SCM_RIGHTS,
  send,
  sendmsg,
  sendto,
  setsockopt,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  shutdown,
  SO_ACCEPTCONN,
  SO_DOMAIN,
  SO_ERROR,
  SO_PASSCRED,
  SO_PEERCRED,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  socket,
  socketpair,
  SOL_SOCKET,
} from "./socket.ts";
export type {
  AddrInfo,
  ControlMessage,
  SockAddr,
} from "../ffi/socket_layout.ts";
export type {
  Accepted,
  Credentials,
  MessageIn,
  MessageOut,
  MessageReceived,
  Received,
} from "./socket.ts";
export { UnixConnection, UnixDatagram, UnixListener } from "./unix.ts";
export type { Datagram, ReceivedFds, UnixAddress } from "./unix.ts";
