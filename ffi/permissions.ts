/**
 * Deno permission checks for paths and network addresses, made before an
 * FFI call touches them, so that `--allow-ffi` alone is never a way around
 * `--allow-read`, `--allow-write` or `--allow-net`.
 *
 * @module
 */

import { loneSurrogateAt, showName, urlPath } from "./text.ts";

/**
 * Throws unless the program may access `path` as `kind`, with the message
 * Deno itself uses for a missing grant.
 *
 * @param kind `"read"` or `"write"`
 * @param path the path the call will touch
 * @throws {Deno.errors.NotCapable} naming the missing `--allow-*` flag
 */
export function requirePath(
  kind: "read" | "write",
  path: string | URL,
): void {
  if (path instanceof URL) path = urlPath(path);
  // The empty path names no file: the kernel answers ENOENT, as in C
  // (Deno's permission query would throw a plain Error for it).
  if (path === "") return;
  const { state } = Deno.permissions.querySync({
    name: kind,
    path: checkable(path),
  });
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Requires ${kind} access to "${
        showName(path)
      }", run again with the --allow-${kind} flag`,
    );
  }
}

/**
 * The path Deno's permission query is asked about. A path with a byte
 * that is not UTF-8 (a lone surrogate, see `decodeName`) would reach Deno
 * with U+FFFD in its place, a path a grant might name while the call
 * touches another; the directory above the first such name is asked
 * about instead, whose grant covers every path under it.
 */
function checkable(path: string): string {
  const bad = loneSurrogateAt(path);
  if (bad === -1) return path;
  const slash = path.lastIndexOf("/", bad);
  return slash === -1 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}

/**
 * Throws unless the program may reach `host` (`address:port`, or
 * `[address]:port` for IPv6) over the network, as Deno's own
 * `Deno.connect` and `Deno.listen` require.
 *
 * @param host the address and port the call will connect, bind or send to
 * @throws {Deno.errors.NotCapable} naming `--allow-net`
 */
export function requireNet(host: string): void {
  const { state } = Deno.permissions.querySync({ name: "net", host });
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Requires net access to "${host}", run again with the --allow-net flag`,
    );
  }
}
