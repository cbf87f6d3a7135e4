/**
 * The thin layer over POSIX shared memory (`<sys/mman.h>`): `shm_open` and
 * `shm_unlink` by their C names. An object is a file in `/dev/shm`, sized
 * with `ftruncate` and mapped with `mmap` (or `Mapping.fromFd`).
 * Re-exported by `pshm/mod.ts`.
 *
 * @module
 */

import { libc } from "../ffi/libc.ts";
import { lastError } from "../ffi/errors.ts";
import {
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_NONBLOCK,
  O_RDWR,
  O_TRUNC,
  refuseTruncatingOpen,
} from "../ffi/fd.ts";
import { requirePath } from "../ffi/permissions.ts";
import {
  cString,
  flags as checkFlags,
  int,
  posixName,
} from "../ffi/validate.ts";

/**
 * The longest name after the slash glibc takes (`NAME_MAX` less the NUL
 * and one more).
 */
export const SHM_NAME_MAX = 253;
const SHM_OPEN_FLAGS = O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_NONBLOCK |
  O_CLOEXEC;

/**
 * Checks an object's name; returns the C string and `/dev/shm/NAME`.
 *
 * @param name the name
 * @param syscall the call, for messages
 * @returns the C string and the path
 */
function checkName(
  name: string,
  syscall: string,
): [Uint8Array<ArrayBuffer>, string] {
  return posixName(name, syscall, "/dev/shm/", SHM_NAME_MAX);
}

/**
 * Opens (or with `O_CREAT` makes) a POSIX shared memory object and returns
 * its descriptor (`shm_open`). A new object has length 0: size it with
 * `ftruncate`. `O_CLOEXEC` is added (as glibc does).
 *
 * @param name the object's name: `"/"` then up to 253 bytes without a slash
 * @param oflag `O_RDONLY` or `O_RDWR`, with `O_CREAT`, `O_EXCL`, `O_TRUNC`
 * @param mode with `O_CREAT`: permission bits (default `0o600`)
 * @returns the descriptor
 * @throws {IpcError} `ENOENT`, `EEXIST`, `EACCES`, `EINVAL`, `EMFILE`;
 *   `EBUSY` for `O_TRUNC` on an object a mapping in this process shows
 * @throws {TypeError|RangeError} for a name glibc would refuse, or bad flags
 * @throws {Deno.errors.NotCapable} without `--allow-read` (and, to write,
 *   create or truncate, `--allow-write`) for `/dev/shm/NAME`
 * @example
 * ```ts
 * import { close, ftruncate, O_CREAT, O_RDWR, shm_open, shm_unlink } from "@linux-ipc/ipc/pshm";
 * const name = `/linux-ipc-doc-${Deno.pid}`;
 * const fd = shm_open(name, O_CREAT | O_RDWR, 0o600);
 * ftruncate(fd, 4096);
 * close(fd);
 * shm_unlink(name);
 * ```
 */
export function shm_open(name: string, oflag: number, mode = 0o600): number {
  const [c, path] = checkName(name, "shm_open");
  oflag = checkFlags(oflag, SHM_OPEN_FLAGS, "shm_open", "oflag");
  mode = int(mode, "shm_open", "mode", 0, 0o7777);
  requirePath("read", path);
  if ((oflag & O_RDWR) !== 0 || (oflag & (O_CREAT | O_TRUNC)) !== 0) {
    requirePath("write", path);
  }
  if ((oflag & O_TRUNC) !== 0) {
    refuseTruncatingOpen(
      cString(path, "shm_open", "name"),
      "shm_open",
      "oflag",
      {
        name,
        oflag,
      },
    );
  }
  const fd = libc().shm_open(c, oflag | O_CLOEXEC, mode);
  if (fd === -1) {
    throw lastError("shm_open")(
      {
        ENOENT: "name",
        EEXIST: "name",
        EACCES: "name",
        EINVAL: "oflag",
        ENAMETOOLONG: "name",
        EMFILE: "name",
        ENFILE: "name",
      },
      { name, oflag },
      {
        ENOENT: "no object has this name and O_CREAT was not given",
        EEXIST: "an object has this name and O_EXCL was given",
        EACCES:
          "the object's mode does not grant this access (or O_TRUNC without O_RDWR)",
      },
    );
  }
  return fd;
}

/**
 * Removes an object's name (`shm_unlink`); the memory goes once no process
 * has it open or mapped.
 *
 * @param name the object's name
 * @throws {IpcError} `ENOENT`, `EACCES`
 * @throws {Deno.errors.NotCapable} without `--allow-write` for `/dev/shm/NAME`
 * @example
 * ```ts
 * import { close, O_CREAT, O_RDWR, shm_open, shm_unlink } from "@linux-ipc/ipc/pshm";
 * const name = `/linux-ipc-doc-unlink-${Deno.pid}`;
 * close(shm_open(name, O_CREAT | O_RDWR));
 * shm_unlink(name);
 * ```
 */
export function shm_unlink(name: string): void {
  const [c, path] = checkName(name, "shm_unlink");
  requirePath("write", path);
  if (libc().shm_unlink(c) === -1) {
    throw lastError("shm_unlink")("name", { name }, {
      ENOENT: "no object has this name",
      EACCES: "the directory's permissions do not let this process remove it",
    });
  }
}
