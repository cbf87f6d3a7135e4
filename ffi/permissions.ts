/**
 * Deno permission checks for paths and network addresses, made before an
 * FFI call touches them, so that `--allow-ffi` alone is never a way around
 * `--allow-read`, `--allow-write` or `--allow-net`.
 *
 * @module
 */

/**
 * Throws unless the program may access `path` as `kind`, with the message
 * Deno itself uses for a missing grant.
 *
 * @param kind `"read"` or `"write"`
 * @param path the path the call will touch
 * @throws {Deno.errors.NotCapable} naming the missing `--allow-*` flag
 */
export function requirePath(kind: "read" | "write", path: string): void {
  // The empty path names no file: the kernel answers ENOENT, as in C
  // (Deno's permission query would throw a plain Error for it).
  if (path === "") return;
  const { state } = Deno.permissions.querySync({ name: kind, path });
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Requires ${kind} access to "${path}", run again with the --allow-${kind} flag`,
    );
  }
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
