/**
 * Shared by the socket examples: read exactly N bytes, and remove a socket
 * path when the program ends or is interrupted.
 *
 * @module
 */

import { recvAsync } from "../mod.ts";

/** Reads exactly `n` bytes, or returns null at end of stream. */
export async function readExact(
  fd: number,
  n: number,
): Promise<Uint8Array | null> {
  const buf = new Uint8Array(n);
  for (let got = 0; got < n;) {
    const r = await recvAsync(fd, buf.subarray(got));
    if (r === 0) return null;
    got += r;
  }
  return buf;
}

/** Removes `path` on Ctrl-C too, then exits. */
export function removeOnInterrupt(path: string): void {
  Deno.addSignalListener("SIGINT", () => {
    try {
      Deno.removeSync(path);
    } catch {
      // already gone
    }
    Deno.exit(130);
  });
}
