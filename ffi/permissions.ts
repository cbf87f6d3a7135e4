/**
 * Deno permission checks for paths, made before an FFI call touches them, so
 * that `--allow-ffi` alone is never a way around `--allow-read` and
 * `--allow-write`.
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
  const { state } = Deno.permissions.querySync({ name: kind, path });
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Requires ${kind} access to "${path}", run again with the --allow-${kind} flag`,
    );
  }
}
