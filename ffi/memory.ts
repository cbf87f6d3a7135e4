/**
 * Zero-copy views over memory the kernel maps into the process (`shmat`,
 * `mmap`), owned by a {@linkcode MemoryRegion} that detaches every view before
 * the memory goes away.
 *
 * The region wraps the memory in one `ArrayBuffer` (no copy). Every view a
 * caller obtains is over that buffer, so `ArrayBuffer.prototype.transfer(0)`
 * at detach time turns all of them, and any `Int32Array` or `DataView` built
 * from `bytes.buffer`, into zero-length views: a stale access reads
 * `undefined` instead of touching unmapped memory.
 *
 * A read-only region never hands out a view at all (a write through one
 * would kill the process with SIGSEGV): it offers copying reads only. A
 * region without access (`PROT_NONE`) refuses reads too. When the access
 * changes (`mprotect`), every view handed out so far is detached first.
 *
 * A buffer can also be moved away from the region: `bytes.buffer.transfer()`
 * or `postMessage(buffer, [buffer])` to a Worker hand the same memory to a
 * new `ArrayBuffer` the region cannot reach, let alone detach. The region
 * then wraps the memory afresh and keeps working, and it never leaves the
 * moved buffer over unmapped memory: it refuses to narrow the access
 * (`protect("read")`), and closing it puts private zero-filled memory where
 * the segment or mapping was (one atomic `mmap` with `MAP_FIXED`, which also
 * detaches a System V segment). The moved buffer then reads and writes that
 * private memory, no longer shared, and the address range stays reserved
 * for as long as the process lives. The same happens when the garbage
 * collector reclaims an unclosed region whose views were handed out, since
 * it cannot tell whether one of them was moved.
 *
 * @module
 */

import { addressOf, libc } from "./libc.ts";
import { EBUSY, IpcError, lastError } from "./errors.ts";
import { ownMapping } from "./owned.ts";
import { bytesOrText, int, show } from "./validate.ts";
import { decodeUtf8, encodeText } from "./text.ts";

/** Undoes a mapping: `shmdt`, `munmap`. Called once, after views are detached. */
export type Unmap = (address: Deno.PointerObject, length: number) => void;

interface Held {
  address: Deno.PointerObject;
  length: number;
  /** The whole range the kernel mapped: `length` rounded up to pages. */
  span: number;
  unmap: Unmap;
  /** A view was handed out, so a buffer may have been moved off it. */
  exposed: boolean;
  /** A buffer was moved away: the memory must never be left unmapped. */
  moved: boolean;
  /**
   * Helper threads that may be using the memory (a semaphore wait), each
   * with what to do when the region is released under it.
   */
  pins: Set<() => void>;
}

/** `mmap` protection: read and write. */
export const PROT_READ_WRITE = 3;
// MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, and the two ways of MAP_FIXED
/** `mmap` flags of private zero-filled memory that reserves no swap. */
export const PRIVATE_ANONYMOUS = 0x02 | 0x20 | 0x4000;
/** `mmap` flag: at exactly this address, replacing what is there. */
export const MAP_FIXED = 0x10;
const MAP_FIXED_NOREPLACE = 0x100000;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

/**
 * Maps private zero-filled memory at exactly `address`, for the memory
 * owners of `ffi/` and the facilities: `"replace"` swaps out whatever is
 * there in one call (`MAP_FIXED`), `"reserve"` fails if any of it is in use
 * (`MAP_FIXED_NOREPLACE`). On failure it returns null with errno as the
 * call left it, for the caller's error.
 *
 * @param address where
 * @param span how many bytes (whole pages)
 * @param prot `PROT_*` bits
 * @param how `"replace"` or `"reserve"`
 * @returns the mapping's address, or null
 */
export function mapPrivateAt(
  address: Deno.PointerObject,
  span: number,
  prot: number,
  how: "replace" | "reserve",
): Deno.PointerObject | null {
  const p = libc().mmap(
    address,
    BigInt(span),
    prot,
    PRIVATE_ANONYMOUS | (how === "replace" ? MAP_FIXED : MAP_FIXED_NOREPLACE),
    -1,
    0n,
  );
  return p === null || BigInt(Deno.UnsafePointer.value(p)) === MAP_FAILED
    ? null
    : p;
}

/**
 * Replaces a range with private zero-filled memory in one call, so that a
 * buffer the library no longer holds never points at unmapped memory. This
 * also ends a System V attachment (the segment's `nattch` drops).
 */
function retire(address: Deno.PointerObject, span: number): void {
  if (mapPrivateAt(address, span, PROT_READ_WRITE, "replace") === null) {
    throw lastError("mmap")("addr", {
      addr: `0x${BigInt(Deno.UnsafePointer.value(address)).toString(16)}`,
    });
  }
}

// Backstop only: the buffer is unreachable. If no view was ever handed out,
// nothing else can reach the memory and it is unmapped; otherwise a view's
// buffer may have been moved, and the memory is retired instead.
const registry = new FinalizationRegistry<Held>((held) => {
  ownMapping(addressOf(held.address), held.span, false);
  try {
    if (held.exposed || held.moved) retire(held.address, held.span);
    else held.unmap(held.address, held.length);
  } catch {
    // Nothing to report to: the owner is gone.
  }
});

/** What the process may do with a region's memory. */
export type Access = "none" | "read" | "readwrite";

let release!: (region: MemoryRegion) => void;
let pin!: (region: MemoryRegion, onRelease: () => void) => () => void;
let reaccess!: (
  region: MemoryRegion,
  access: Access,
  apply: () => void,
) => void;
const NEW = Symbol("MemoryRegion");

/**
 * Memory shared with other processes: a System V shared memory attachment or
 * a memory mapping. Obtain one from `shmat`, `SharedMemory.attach` or `mmap`.
 *
 * @example
 * ```ts
 * import { IPC_PRIVATE, SharedMemory } from "@linux-ipc/ipc";
 * using shm = SharedMemory.create({ key: IPC_PRIVATE, size: 4096 });
 * using region = shm.attach();
 * region.writeCString("Hello, world.");
 * console.log(region.readCString()); // "Hello, world."
 * ```
 */
export class MemoryRegion {
  #address: Deno.PointerObject;
  #length: number;
  #access: Access;
  #kind: string;
  #held: Held;
  #buffer: ArrayBuffer | null;
  #bytes: Uint8Array<ArrayBuffer>;
  #dataView: DataView<ArrayBuffer> | undefined;

  static {
    release = (region) => region.#release();
    pin = (region, onRelease) => region.#pin(onRelease);
    reaccess = (region, access, apply) => region.#reaccess(access, apply);
  }

  /**
   * Not for callers: regions come from `shmat`, `SharedMemory.attach`, `mmap`.
   *
   * @param token internal
   * @param address start of the memory
   * @param length its length in bytes
   * @param access what the process may do with it
   * @param kind what made it, for messages (`"shared memory attachment"`)
   * @param unmap how to undo it
   * @param span the whole range the kernel mapped, in bytes (page-rounded)
   */
  constructor(
    token: symbol,
    address: Deno.PointerObject,
    length: number,
    access: Access,
    kind: string,
    unmap: Unmap,
    span: number,
  ) {
    if (token !== NEW) {
      throw new TypeError(
        "MemoryRegion cannot be constructed directly: use shmat, SharedMemory.attach or mmap",
      );
    }
    this.#address = address;
    this.#length = length;
    this.#access = access;
    this.#kind = kind;
    this.#held = {
      address,
      length,
      span,
      unmap,
      exposed: false,
      moved: false,
      pins: new Set(),
    };
    this.#buffer = this.#wrap();
    this.#bytes = new Uint8Array(this.#buffer);
    registry.register(this.#buffer, this.#held, this);
    ownMapping(addressOf(address), span, true);
  }

  /** The address the memory is mapped at in this process. */
  get address(): bigint {
    return addressOf(this.#address);
  }

  /** Its length in bytes (0 once detached). */
  get byteLength(): number {
    return this.#buffer === null ? 0 : this.#length;
  }

  /** Whether the memory is mapped without write access. */
  get readOnly(): boolean {
    return this.#access !== "readwrite";
  }

  /** What the process may do with the memory: `"none"`, `"read"` or `"readwrite"`. */
  get access(): Access {
    return this.#access;
  }

  /** Whether it has been detached (unmapped); then every view is empty. */
  get detached(): boolean {
    return this.#buffer === null;
  }

  /**
   * A zero-copy view of the whole region. Views made from `bytes.buffer`
   * (`Int32Array` for `Atomics`, `DataView`) are detached with it.
   *
   * @throws {TypeError} if the region is read-only
   * @throws {Deno.errors.BadResource} if the region is detached
   */
  get bytes(): Uint8Array<ArrayBuffer> {
    this.#writable();
    this.#held.exposed = true;
    return this.#bytes;
  }

  /**
   * A zero-copy `DataView` of the whole region.
   *
   * @throws {TypeError} if the region is read-only
   * @throws {Deno.errors.BadResource} if the region is detached
   */
  get dataView(): DataView<ArrayBuffer> {
    this.#writable();
    this.#held.exposed = true;
    return this.#dataView ??= new DataView(this.#buffer!);
  }

  /**
   * Copies bytes out of the region (works on read-only regions).
   *
   * @param offset where to start (default 0)
   * @param length how many bytes (default: to the end)
   * @returns a new array with a copy of the bytes
   * @throws {RangeError} if the span is outside the region
   * @throws {Deno.errors.BadResource} if the region is detached
   */
  read(offset = 0, length?: number): Uint8Array<ArrayBuffer> {
    this.#readable();
    const end = this.#span("MemoryRegion.read", offset, length);
    return this.#bytes.slice(offset, end);
  }

  /**
   * Reads a NUL-terminated UTF-8 string, stopping at the first NUL or at the
   * end of the region (never beyond it). Bytes that are not UTF-8 read as
   * U+FFFD, as `TextDecoder` reads them; {@linkcode MemoryRegion.read}
   * gives the bytes themselves.
   *
   * @param offset where the string starts (default 0)
   * @returns the text
   * @throws {RangeError} if the offset is outside the region
   * @throws {Deno.errors.BadResource} if the region is detached
   */
  readCString(offset = 0): string {
    this.#readable();
    const end = this.#span("MemoryRegion.readCString", offset, undefined);
    let nul = this.#bytes.indexOf(0, offset);
    if (nul < 0 || nul > end) nul = end;
    return decodeUtf8(this.#bytes.subarray(offset, nul));
  }

  /**
   * Copies bytes or UTF-8 text into the region.
   *
   * @param data what to write
   * @param offset where to write it (default 0)
   * @returns the number of bytes written
   * @throws {RangeError} if it does not fit
   * @throws {TypeError} if the region is read-only, `data` is neither a
   *   `Uint8Array` nor a string, is text with a lone surrogate (it has no
   *   UTF-8 form), or `offset` is not an integer
   * @throws {Deno.errors.BadResource} if the region is detached
   */
  write(data: Uint8Array | string, offset = 0): number {
    const where = "MemoryRegion.write";
    this.#writable();
    return this.#put(bytesOrText(data, where, "data"), offset, where, "data");
  }

  /**
   * Copies `bytes` in at `offset`, checked for `where`, whose argument `arg`
   * they come from.
   */
  #put(
    bytes: Uint8Array,
    offset: number,
    where: string,
    arg: string,
  ): number {
    this.#span(where, offset, bytes.length, arg);
    this.#bytes.set(bytes, offset);
    return bytes.length;
  }

  /**
   * Writes UTF-8 text followed by a NUL byte, as C's `sprintf`/`strcpy` do.
   * With `size`, the text goes into a fixed field of that many bytes (a C
   * struct's `char name[16]`): text that would not fit with its NUL is
   * refused, never cut and never written past the field.
   *
   * @param text the text
   * @param offset where to write it (default 0)
   * @param size the field's size in bytes, NUL included (default: the rest
   *   of the region)
   * @returns the number of bytes written, NUL included
   * @throws {RangeError} if it does not fit the field or the region
   * @throws {TypeError} if the region is read-only, or `text` is not a string
   *   or has a NUL inside (C would read it as ending there) or a lone
   *   surrogate (it has no UTF-8 form)
   * @throws {Deno.errors.BadResource} if the region is detached
   * @example
   * ```ts
   * import { Mapping } from "@linux-ipc/ipc";
   * using map = Mapping.anonymous(4096);
   * map.memory.writeCString("worker-1", 64, 16); // a char[16] at offset 64
   * console.log(map.memory.readCString(64)); // "worker-1"
   * ```
   */
  writeCString(text: string, offset = 0, size?: number): number {
    const where = "MemoryRegion.writeCString";
    if (typeof text !== "string" || text.includes("\0")) {
      throw new TypeError(
        `Invalid argument "text" to ${where}: expected a string without NUL, got "${
          show(text)
        }"`,
      );
    }
    const encoded = encodeText(text, where, "text");
    if (size !== undefined) {
      size = int(size, where, "size", 1, Number.MAX_SAFE_INTEGER);
      if (encoded.length + 1 > size) {
        throw new RangeError(
          `Argument "text" to ${where} is too long: ${
            encoded.length + 1
          } bytes with its NUL do not fit a field of "${size}" bytes`,
        );
      }
    }
    this.#writable();
    const bytes = new Uint8Array(encoded.length + 1);
    bytes.set(encoded);
    return this.#put(bytes, offset, where, "text");
  }

  /**
   * Detaches every view, then unmaps the memory. Safe to call twice.
   */
  close(): void {
    if (this.#buffer !== null) release(this);
  }

  /** Same as {@linkcode MemoryRegion.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #release(): void {
    const buffer = this.#buffer;
    if (buffer === null) {
      throw new Deno.errors.BadResource(
        `The ${this.#kind} is already detached`,
      );
    }
    const held = this.#held;
    ownMapping(addressOf(held.address), held.span, false);
    if (buffer.detached) held.moved = true;
    // A thread may be in a call on this memory (a semaphore wait): it is
    // told to stop, and the memory stays mapped (private and zeroed) under
    // it until it has; see pinRegion.
    const pinned = held.pins.size > 0;
    for (const onRelease of held.pins) onRelease();
    // A moved buffer may still point here: never leave it over nothing.
    if (held.moved || pinned) retire(held.address, held.span);
    registry.unregister(this);
    this.#buffer = null;
    this.#dataView = undefined;
    // Detach every view over the memory without copying it.
    if (!buffer.detached) buffer.transfer(0);
    this.#bytes = new Uint8Array(0);
    if (!held.moved && !pinned) held.unmap(held.address, held.length);
  }

  #pin(onRelease: () => void): () => void {
    this.#alive();
    const held = this.#held;
    const entry = () => onRelease();
    held.pins.add(entry);
    return () => {
      if (!held.pins.delete(entry)) return;
      // Released while pinned: the retired range goes once nothing uses it
      // (unless a moved buffer may still point at it).
      if (this.#buffer === null && held.pins.size === 0 && !held.moved) {
        libc().munmap(held.address, BigInt(held.span));
      }
    };
  }

  #wrap(): ArrayBuffer {
    return this.#length === 0
      ? new ArrayBuffer(0)
      : Deno.UnsafePointerView.getArrayBuffer(this.#address, this.#length);
  }

  #alive(): void {
    if (this.#buffer === null) {
      throw new Deno.errors.BadResource(
        `The ${this.#kind} is detached: it can no longer be used`,
      );
    }
    if (this.#buffer.detached) {
      // Moved away by the caller (transfer, postMessage): wrap the memory
      // afresh and remember that another buffer may still point at it.
      this.#held.moved = true;
      registry.unregister(this);
      this.#buffer = this.#wrap();
      this.#bytes = new Uint8Array(this.#buffer);
      this.#dataView = undefined;
      registry.register(this.#buffer, this.#held, this);
    }
  }

  #writable(): void {
    this.#readable();
    if (this.#access !== "readwrite") {
      throw new TypeError(
        `The ${this.#kind} is read-only: use read() or readCString() to copy data out`,
      );
    }
  }

  #readable(): void {
    this.#alive();
    if (this.#access === "none") {
      throw new TypeError(
        `The ${this.#kind} has no access (PROT_NONE): it cannot be read or written`,
      );
    }
  }

  #reaccess(access: Access, apply: () => void): void {
    this.#alive();
    if (this.#held.moved && access !== "readwrite") {
      throw new TypeError(
        `The ${this.#kind} cannot be made "${access}": a buffer over it was moved away (ArrayBuffer.transfer or postMessage), and a write through that buffer would then crash the process`,
      );
    }
    // A helper thread in a call on this memory (a semaphore wait) writes
    // it without asking: narrowed under it, the call would crash the
    // process. Unlike unmapping, which leaves zeroed memory under such a
    // call, narrowing has nothing to put there instead.
    if (this.#held.pins.size > 0 && access !== "readwrite") {
      throw new IpcError(EBUSY, {
        syscall: "mprotect",
        argument: "addr",
        hint:
          `a wait on a semaphore in this ${this.#kind} is under way, and a thread writes the memory while it waits: end the wait first`,
      });
    }
    apply();
    const old = this.#buffer!;
    registry.unregister(this);
    this.#dataView = undefined;
    old.transfer(0); // every view handed out so far goes empty
    this.#buffer = this.#wrap();
    this.#bytes = new Uint8Array(this.#buffer);
    this.#access = access;
    registry.register(this.#buffer, this.#held, this);
  }

  #span(
    where: string,
    offset: number,
    length: number | undefined,
    lengthArg = "length",
  ): number {
    this.#alive();
    integer(offset, "offset", where);
    if (length !== undefined) integer(length, "length", where);
    const size = this.#length;
    if (offset < 0 || offset > size) {
      throw new RangeError(
        `Argument "offset" to ${where} is out of range: "${offset}" is outside the ${this.#kind} of ${size} bytes`,
      );
    }
    const end = length === undefined ? size : offset + length;
    if (!Number.isInteger(end) || end < offset || end > size) {
      throw new RangeError(
        `Argument "${lengthArg}" to ${where} is out of range: "${length}" bytes at offset "${offset}" do not fit in the ${this.#kind} of ${size} bytes`,
      );
    }
    return end;
  }
}

/** Checks that an offset or length is an integer (a `TypeError` names it). */
function integer(value: unknown, name: string, where: string): void {
  if (!Number.isInteger(value)) {
    throw new TypeError(
      `Invalid argument "${name}" to ${where}: expected an integer, got "${
        show(value)
      }"`,
    );
  }
}

/**
 * Wraps kernel-mapped memory in a region. For the facility thin layers only.
 *
 * @param address start of the memory
 * @param length its length in bytes
 * @param access what the process may do with it
 * @param kind what made it, for messages
 * @param unmap how to undo it
 * @param span the whole range the kernel mapped, in bytes (page-rounded)
 * @returns the region
 */
export function createRegion(
  address: Deno.PointerObject,
  length: number,
  access: Access,
  kind: string,
  unmap: Unmap,
  span: number,
): MemoryRegion {
  return new MemoryRegion(NEW, address, length, access, kind, unmap, span);
}

/**
 * Changes a region's access: checks that no moved buffer would be left with
 * more access than the memory, runs `apply` (the `mprotect` call), then
 * detaches every view handed out so far; new ones follow the new access.
 *
 * @param region the region
 * @param access the new access
 * @param apply makes the change in the kernel; throws to abandon it
 * @throws {TypeError} if a buffer was moved off the region and `access` is
 *   narrower than `"readwrite"`
 * @throws {Deno.errors.BadResource} if the region is detached
 */
export function setRegionAccess(
  region: MemoryRegion,
  access: Access,
  apply: () => void,
): void {
  reaccess(region, access, apply);
}

/**
 * Detaches the views of a region and unmaps it; unlike `close()`, throws if
 * it was already detached (as a second `shmdt` of the same address fails in C).
 *
 * @param region the region
 * @throws {Deno.errors.BadResource} if it was already detached
 */
export function releaseRegion(region: MemoryRegion): void {
  release(region);
}

/**
 * Pins a region while a helper thread may use its memory (a semaphore
 * wait in the kernel): if the region is released meanwhile, `onRelease`
 * is called (to end the wait) and the memory is retired (private, zeroed)
 * instead of unmapped, so the thread never touches unmapped memory; it is
 * unmapped once unpinned.
 *
 * @param region the region
 * @param onRelease called if the region is released while pinned
 * @returns the function that unpins it
 * @throws {Deno.errors.BadResource} if the region is detached
 */
export function pinRegion(
  region: MemoryRegion,
  onRelease: () => void,
): () => void {
  return pin(region, onRelease);
}
