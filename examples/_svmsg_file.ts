/**
 * Shared by svmsg_file_server.ts and svmsg_file_client.ts: TLPI's
 * svmsg_file.h, byte for byte, so that its C server and client talk to
 * these. A request is `struct requestMsg { long mtype; int clientId; char
 * pathname[PATH_MAX]; }`; a response `struct responseMsg { long mtype;
 * char data[RESP_MSG_SIZE]; }`.
 *
 * @module
 */

import { integer } from "./_permissions.ts";

/** The server's well-known key (TLPI's `SERVER_KEY`). */
export const SERVER_KEY = 0x1aaaaaa1;
/** `PATH_MAX`. */
export const PATH_MAX = 4096;
/** The text of a request: the client's queue id, then the pathname. */
export const REQ_MSG_SIZE = 4 + PATH_MAX;
/** The most bytes of file data in one response. */
export const RESP_MSG_SIZE = 8192;
/** Response types: the file could not be opened, data, end of file. */
export const RESP_MT_FAILURE = 1, RESP_MT_DATA = 2, RESP_MT_END = 3;

/** Encodes a request's text. */
export function encodeRequest(clientId: number, pathname: string): Uint8Array {
  const text = new Uint8Array(REQ_MSG_SIZE);
  new DataView(text.buffer).setInt32(0, clientId, true);
  const path = new TextEncoder().encode(pathname);
  if (path.length >= PATH_MAX) throw new RangeError("Pathname too long");
  text.set(path, 4);
  return text;
}

/** Decodes a request's text. */
export function decodeRequest(
  text: Uint8Array,
): { clientId: number; pathname: string } {
  const clientId = new DataView(text.buffer, text.byteOffset).getInt32(
    0,
    true,
  );
  let end = text.indexOf(0, 4);
  if (end < 0) end = text.length;
  return {
    clientId,
    pathname: new TextDecoder().decode(text.subarray(4, end)),
  };
}

/** `--key=K` (hex with 0x), else the book's key. */
export function keyOption(args: string[]): [number, string[]] {
  const option = args.find((a) => a.startsWith("--key="));
  const key = option ? integer(option.slice(6), "--key") : SERVER_KEY;
  return [key, args.filter((a) => a !== option)];
}
