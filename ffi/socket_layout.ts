/**
 * Socket structures of Linux glibc: `sockaddr_un`, `sockaddr_in`,
 * `sockaddr_in6`, `msghdr`, `iovec`, `cmsghdr` (with `SCM_RIGHTS` and
 * `SCM_CREDENTIALS`), `ucred` and `addrinfo`, with their codecs. One table:
 * these structs are the same on x86_64 and aarch64 (checked against C on
 * both by `tests/ffi_test.ts` and `tests/c/layout.c`). The other families'
 * structs are in `layout.ts`.
 *
 * @module
 */

import { decodeName, encodeName } from "./text.ts";
import { int, knownFields, LIMITS, show } from "./validate.ts";

// Sockets. One table: these structs are the same on x86_64 and aarch64
// (checked against C on both by tests/ffi_test.ts and tests/c/layout.c).

const SOCK = {
  sockaddr_un: { size: 110, family: 0, path: 2 },
  sockaddr_in: { size: 16, port: 2, addr: 4 },
  sockaddr_in6: { size: 28, port: 2, flowinfo: 4, addr: 8, scope: 24 },
  sockaddr_storage: 128,
  msghdr: {
    size: 56,
    name: 0,
    namelen: 8,
    iov: 16,
    iovlen: 24,
    control: 32,
    controllen: 40,
    flags: 48,
  },
  iovec: { size: 16, base: 0, len: 8 },
  cmsghdr: { size: 16, len: 0, level: 8, type: 12 },
  ucred: { size: 12, pid: 0, uid: 4, gid: 8 },
  addrinfo: {
    size: 48,
    flags: 0,
    family: 4,
    socktype: 8,
    protocol: 12,
    addrlen: 16,
    addr: 24,
    next: 40,
  },
} as const;

/** The socket struct table, for the test that compares it with C. */
export const SOCKET_LAYOUT: typeof SOCK = SOCK;

/** Bytes of `sun_path`. A pathname needs one of them for its NUL. */
export const SUN_PATH_MAX: number = SOCK.sockaddr_un.size -
  SOCK.sockaddr_un.path;
/** Size of a `struct sockaddr_storage`, big enough for any address. */
export const SOCKADDR_STORAGE: number = SOCK.sockaddr_storage;
/** Sizes of the socket structs callers allocate. */
export const SOCK_SIZEOF = {
  msghdr: SOCK.msghdr.size,
  iovec: SOCK.iovec.size,
  ucred: SOCK.ucred.size,
  cmsghdr: SOCK.cmsghdr.size,
} as const;

const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;

/**
 * A socket address: a Unix pathname, an abstract Unix name (Linux: no file,
 * the name is exact, including any trailing bytes), an unnamed Unix socket,
 * or an IPv4/IPv6 address and port.
 *
 * A Unix name is UTF-8 text; a byte of another program's name that is not
 * valid UTF-8 comes back as the lone surrogate U+DC80 to U+DCFF (Python's
 * `surrogateescape`): `"\u{dcff}"` for the byte 0xff, so an address the
 * library returned reaches the same socket when given back, and such a
 * name can be written (`{ family: "unix", abstract: "app\u{dcff}" }`).
 */
export type SockAddr =
  | { family: "unix"; path: string }
  | { family: "unix"; abstract: string }
  | { family: "unix" }
  | { family: "inet"; address: string; port: number }
  | {
    family: "inet6";
    address: string;
    port: number;
    flowinfo?: number;
    scopeId?: number;
  };

function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  // No leading zero, as inet_pton and Deno: "010" is octal 8 to inet_aton.
  const bytes = parts.map((p) =>
    /^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : 256
  );
  return bytes.every((b) => b < 256) ? bytes : null;
}

function parseIPv6(text: string): number[] | null {
  // A dotted IPv4 address may stand for the last two groups
  // (`::ffff:192.0.2.1`, an IPv4-mapped address; RFC 4291 2.2).
  let v4: number[] | null = null;
  if (text.includes(".")) {
    const colon = text.lastIndexOf(":");
    v4 = colon < 0 ? null : parseIPv4(text.slice(colon + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, colon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => h === "" ? [] : h.split(":");
  const head = groups(halves[0]),
    tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [
    ...head,
    ...new Array(halves.length === 2 ? missing : 0).fill("0"),
    ...tail,
  ];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 0xff);
  }
  if (v4 !== null) bytes.splice(12, 4, ...v4);
  return bytes;
}

function formatIPv6(b: Uint8Array): string {
  const groups = Array.from(
    { length: 8 },
    (_, i) => (b[2 * i] << 8) | b[2 * i + 1],
  );
  // An IPv4-mapped address (an IPv4 peer of a dual-stack socket) as
  // `inet_ntop` and Deno write it (RFC 5952 5).
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  // Compress the longest run of two or more zero groups.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${
    hex.slice(best + bestLen).join(":")
  }`;
}

const FIELDS = new Map<unknown, readonly string[]>([
  ["unix", ["family", "path", "abstract"]],
  ["inet", ["family", "address", "port"]],
  ["inet6", ["family", "address", "port", "flowinfo", "scopeId"]],
]);

/**
 * Refuses a field the address's family does not have: a misspelled `path`
 * would leave a Unix address unnamed, which `bind` takes as "choose an
 * abstract name for me", and `sendto` as no destination.
 */
function fieldsOf(addr: object, syscall: string): void {
  const known = FIELDS.get((addr as { family: unknown }).family);
  // An unknown family has its own error, next.
  if (known !== undefined) knownFields(addr, known, syscall, "addr");
}

/**
 * Encodes a socket address with its exact length.
 *
 * @param addr the address
 * @param syscall the call it is for, for errors
 * @returns the bytes, whose length is the `socklen_t` to pass
 * @throws {RangeError} for a Unix name that does not fit `sun_path` (never
 *   truncated) or a port out of range
 * @throws {TypeError} for a NUL inside a pathname, a malformed IP address,
 *   a field of the wrong type, or one the family does not have
 */
export function encodeSockaddr(
  addr: SockAddr,
  syscall: string,
): Uint8Array<ArrayBuffer> {
  if (addr === null || typeof addr !== "object") {
    throw new TypeError(
      `Invalid argument "addr" to ${syscall}: expected a socket address object`,
    );
  }
  fieldsOf(addr, syscall);
  if (addr.family === "unix") {
    const u = SOCK.sockaddr_un;
    let name: Uint8Array;
    let extra = 0;
    if ("path" in addr && "abstract" in addr) {
      throw new TypeError(
        `Invalid argument "addr" to ${syscall}: a Unix address has a "path" or an "abstract" name, not both`,
      );
    }
    if ("path" in addr) {
      if (typeof addr.path !== "string" || addr.path.length === 0) {
        throw new TypeError(
          `Invalid argument "addr.path" to ${syscall}: expected a non-empty string`,
        );
      }
      if (addr.path.includes("\0")) {
        throw new TypeError(
          `Invalid argument "addr.path" to ${syscall}: "${
            addr.path.replaceAll("\0", "\\0")
          }" contains a NUL byte`,
        );
      }
      name = encodeName(addr.path, syscall, "addr.path");
      extra = 1; // the terminating NUL
    } else if ("abstract" in addr) {
      if (typeof addr.abstract !== "string") {
        throw new TypeError(
          `Invalid argument "addr.abstract" to ${syscall}: expected a string, got "${
            show(addr.abstract)
          }"`,
        );
      }
      name = new Uint8Array([
        0,
        ...encodeName(addr.abstract, syscall, "addr.abstract"),
      ]);
    } else {
      name = new Uint8Array(0);
    }
    if (name.length + extra > SUN_PATH_MAX) {
      throw new RangeError(
        `Argument "addr" to ${syscall} is too long: ${
          name.length + extra
        } bytes do not fit sun_path (${SUN_PATH_MAX}), and a name is never truncated`,
      );
    }
    const out = new Uint8Array(u.path + name.length + extra);
    new DataView(out.buffer).setUint16(u.family, AF_UNIX, true);
    out.set(name, u.path);
    return out;
  }
  if (addr.family !== "inet" && addr.family !== "inet6") {
    throw new TypeError(
      `Invalid argument "addr.family" to ${syscall}: expected "unix", "inet" or "inet6", got "${
        show((addr as { family: unknown }).family)
      }"`,
    );
  }
  int(addr.port, syscall, "addr.port", 0, LIMITS.USHRT_MAX);
  if (typeof addr.address !== "string") {
    throw new TypeError(
      `Invalid argument "addr.address" to ${syscall}: expected a string, got "${
        show(addr.address)
      }"`,
    );
  }
  const ip = addr.family === "inet"
    ? parseIPv4(addr.address)
    : parseIPv6(addr.address);
  if (ip === null) {
    throw new TypeError(
      `Invalid argument "addr.address" to ${syscall}: "${addr.address}" is not an ${
        addr.family === "inet" ? "IPv4" : "IPv6"
      } address`,
    );
  }
  if (addr.family === "inet") {
    const a = SOCK.sockaddr_in;
    const out = new Uint8Array(a.size);
    const v = new DataView(out.buffer);
    v.setUint16(0, AF_INET, true);
    v.setUint16(a.port, addr.port, false);
    out.set(ip, a.addr);
    return out;
  }
  // Each as the uint32_t it is stored in, never wrapped or truncated.
  const flowinfo = addr.flowinfo === undefined
    ? 0
    : int(addr.flowinfo, syscall, "addr.flowinfo", 0, LIMITS.UINT_MAX);
  const scopeId = addr.scopeId === undefined
    ? 0
    : int(addr.scopeId, syscall, "addr.scopeId", 0, LIMITS.UINT_MAX);
  const a = SOCK.sockaddr_in6;
  const out = new Uint8Array(a.size);
  const v = new DataView(out.buffer);
  v.setUint16(0, AF_INET6, true);
  v.setUint16(a.port, addr.port, false);
  v.setUint32(a.flowinfo, flowinfo, false);
  out.set(ip, a.addr);
  v.setUint32(a.scope, scopeId, true);
  return out;
}

/**
 * Decodes a socket address the kernel returned.
 *
 * @param buf the address buffer
 * @param len the length the kernel reported
 * @returns the address
 */
export function decodeSockaddr(buf: Uint8Array, len: number): SockAddr {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const family = len >= 2 ? v.getUint16(0, true) : AF_UNIX;
  if (family === AF_INET) {
    const a = SOCK.sockaddr_in;
    return {
      family: "inet",
      address: Array.from(buf.subarray(a.addr, a.addr + 4)).join("."),
      port: v.getUint16(a.port, false),
    };
  }
  if (family === AF_INET6) {
    const a = SOCK.sockaddr_in6;
    return {
      family: "inet6",
      address: formatIPv6(buf.subarray(a.addr, a.addr + 16)),
      port: v.getUint16(a.port, false),
      flowinfo: v.getUint32(a.flowinfo, false),
      scopeId: v.getUint32(a.scope, true),
    };
  }
  const u = SOCK.sockaddr_un;
  const name = buf.subarray(u.path, Math.max(u.path, len));
  if (name.length === 0) return { family: "unix" };
  if (name[0] === 0) {
    return { family: "unix", abstract: decodeName(name.subarray(1)) };
  }
  const nul = name.indexOf(0);
  return {
    family: "unix",
    path: decodeName(nul < 0 ? name : name.subarray(0, nul)),
  };
}

/** A control message: descriptors (`SCM_RIGHTS`) or credentials (`SCM_CREDENTIALS`). */
export type ControlMessage =
  | { type: "rights"; fds: number[] }
  | { type: "credentials"; pid: number; uid: number; gid: number };

const SOL_SOCKET = 1, SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;

function cmsgAlign(n: number): number {
  return (n + 7) & ~7;
}

/**
 * The control buffer space that `count` descriptors and, optionally,
 * credentials need (`CMSG_SPACE` summed).
 *
 * @param fds how many descriptors
 * @param credentials whether to make room for credentials
 * @returns bytes
 */
export function cmsgSpace(fds: number, credentials: boolean): number {
  const h = SOCK.cmsghdr.size;
  return (fds > 0 ? h + cmsgAlign(4 * fds) : 0) +
    (credentials ? h + cmsgAlign(SOCK.ucred.size) : 0);
}

/**
 * Encodes control messages into `out` (`CMSG_FIRSTHDR`/`CMSG_NXTHDR`).
 *
 * @param msgs the messages
 * @param out a zeroed buffer of at least the space they need
 * @returns the bytes used (`msg_controllen`)
 */
export function encodeCmsgs(
  msgs: readonly ControlMessage[],
  out: Uint8Array,
): number {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const h = SOCK.cmsghdr;
  let at = 0;
  for (const m of msgs) {
    const dataLen = m.type === "rights" ? 4 * m.fds.length : SOCK.ucred.size;
    v.setBigUint64(at + h.len, BigInt(h.size + dataLen), true);
    v.setInt32(at + h.level, SOL_SOCKET, true);
    v.setInt32(
      at + h.type,
      m.type === "rights" ? SCM_RIGHTS : SCM_CREDENTIALS,
      true,
    );
    const d = at + h.size;
    if (m.type === "rights") {
      m.fds.forEach((fd, i) => v.setInt32(d + 4 * i, fd, true));
    } else {
      v.setInt32(d + SOCK.ucred.pid, m.pid, true);
      v.setUint32(d + SOCK.ucred.uid, m.uid, true);
      v.setUint32(d + SOCK.ucred.gid, m.gid, true);
    }
    at += h.size + cmsgAlign(dataLen);
  }
  return at;
}

/**
 * Decodes the control messages the kernel filled in.
 *
 * @param buf the control buffer
 * @param len `msg_controllen` after the call
 * @returns the messages (unknown kinds are skipped)
 */
export function decodeCmsgs(buf: Uint8Array, len: number): ControlMessage[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const h = SOCK.cmsghdr;
  const out: ControlMessage[] = [];
  for (let at = 0; at + h.size <= len;) {
    const clen = Number(v.getBigUint64(at + h.len, true));
    if (clen < h.size) break;
    const level = v.getInt32(at + h.level, true),
      type = v.getInt32(at + h.type, true);
    const d = at + h.size, dataLen = Math.min(clen, len - at) - h.size;
    if (level === SOL_SOCKET && type === SCM_RIGHTS) {
      const fds: number[] = [];
      for (let i = 0; i + 4 <= dataLen; i += 4) {
        fds.push(v.getInt32(d + i, true));
      }
      out.push({ type: "rights", fds });
    } else if (
      level === SOL_SOCKET && type === SCM_CREDENTIALS &&
      dataLen >= SOCK.ucred.size
    ) {
      out.push({
        type: "credentials",
        pid: v.getInt32(d + SOCK.ucred.pid, true),
        uid: v.getUint32(d + SOCK.ucred.uid, true),
        gid: v.getUint32(d + SOCK.ucred.gid, true),
      });
    }
    at += h.size + cmsgAlign(clen - h.size);
  }
  return out;
}

/**
 * Encodes a `struct msghdr` that points at buffers outside the V8 heap.
 *
 * @param out the msghdr buffer
 * @param name the address buffer's pointer and length (0n, 0 for none)
 * @param iov the iovec array's pointer and count
 * @param control the control buffer's pointer and length
 */
export function encodeMsghdr(
  out: Uint8Array,
  name: [bigint, number],
  iov: [bigint, number],
  control: [bigint, number],
): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const m = SOCK.msghdr;
  v.setBigUint64(m.name, name[0], true);
  v.setUint32(m.namelen, name[1], true);
  v.setBigUint64(m.iov, iov[0], true);
  v.setBigUint64(m.iovlen, BigInt(iov[1]), true);
  v.setBigUint64(m.control, control[0], true);
  v.setBigUint64(m.controllen, BigInt(control[1]), true);
  v.setInt32(m.flags, 0, true);
}

/**
 * Reads back what `recvmsg` wrote into a `struct msghdr`.
 *
 * @param buf the msghdr buffer
 * @returns the address length, control length and flags
 */
export function decodeMsghdr(
  buf: Uint8Array,
): { namelen: number; controllen: number; flags: number } {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const m = SOCK.msghdr;
  return {
    namelen: v.getUint32(m.namelen, true),
    controllen: Number(v.getBigUint64(m.controllen, true)),
    flags: v.getInt32(m.flags, true),
  };
}

/**
 * Encodes one `struct iovec` at index `i` of an array.
 *
 * @param out the iovec array
 * @param i the index
 * @param base the buffer's address
 * @param len its length
 */
export function encodeIovec(
  out: Uint8Array,
  i: number,
  base: bigint,
  len: number,
): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const at = i * SOCK.iovec.size;
  v.setBigUint64(at + SOCK.iovec.base, base, true);
  v.setBigUint64(at + SOCK.iovec.len, BigInt(len), true);
}

/**
 * Decodes a `struct ucred` (`SO_PEERCRED`).
 *
 * @param buf the struct
 * @returns pid, uid and gid
 */
export function decodeUcred(
  buf: Uint8Array,
): { pid: number; uid: number; gid: number } {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    pid: v.getInt32(SOCK.ucred.pid, true),
    uid: v.getUint32(SOCK.ucred.uid, true),
    gid: v.getUint32(SOCK.ucred.gid, true),
  };
}

/** One result of `getaddrinfo`. */
export interface AddrInfo {
  /** `AF_INET` or `AF_INET6`. */
  family: number;
  /** `SOCK_STREAM`, `SOCK_DGRAM`, ... */
  socktype: number;
  /** The protocol number. */
  protocol: number;
  /** The address. */
  address: SockAddr;
}

/**
 * Walks a `struct addrinfo` list the C library allocated.
 *
 * @param first the list's first node
 * @returns the entries
 */
export function decodeAddrinfoList(first: Deno.PointerObject): AddrInfo[] {
  const a = SOCK.addrinfo;
  const out: AddrInfo[] = [];
  for (let p: Deno.PointerValue = first; p !== null;) {
    const node: Deno.UnsafePointerView = new Deno.UnsafePointerView(p);
    const len = node.getUint32(a.addrlen);
    const addrPtr = node.getPointer(a.addr);
    const bytes = new Uint8Array(Math.max(len, 2));
    if (addrPtr) Deno.UnsafePointerView.copyInto(addrPtr, bytes);
    out.push({
      family: node.getInt32(a.family),
      socktype: node.getInt32(a.socktype),
      protocol: node.getInt32(a.protocol),
      address: decodeSockaddr(bytes, len),
    });
    p = node.getPointer(a.next);
  }
  return out;
}

/**
 * Encodes the hints of a `getaddrinfo` call.
 *
 * @param family `AF_UNSPEC` (0), `AF_INET` or `AF_INET6`
 * @param socktype 0 or a socket type
 * @returns the struct
 */
export function encodeAddrinfoHints(
  family: number,
  socktype: number,
): Uint8Array<ArrayBuffer> {
  const a = SOCK.addrinfo;
  const out = new Uint8Array(a.size);
  const v = new DataView(out.buffer);
  v.setInt32(a.family, family, true);
  v.setInt32(a.socktype, socktype, true);
  return out;
}
