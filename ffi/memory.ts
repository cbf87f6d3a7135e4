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
 * @module
 */

import { int } from "./validate.ts";

/** Undoes a mapping: `shmdt`, `munmap`. Called once, after views are detached. */
export type Unmap = (address: Deno.PointerObject, length: number) => void;

interface Held {
  address: Deno.PointerObject;
  length: number;
  unmap: Unmap;
}

// Backstop only: the buffer (and with it every view) is unreachable, so the
// memory can go without a view outliving it.
const registry = new FinalizationRegistry<Held>((held) => {
  try {
    held.unmap(held.address, held.length);
  } catch {
    // Nothing to report to: the owner is gone.
  }
});

/** What the process may do with a region's memory. */
export type Access = "none" | "read" | "readwrite";

let release!: (region: MemoryRegion) => void;
let reaccess!: (region: MemoryRegion, access: Access) => void;
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
  #unmap: Unmap;
  #buffer: ArrayBuffer | null;
  #bytes: Uint8Array<ArrayBuffer>;
  #dataView: DataView<ArrayBuffer> | undefined;

  static {
    release = (region) => region.#release();
    reaccess = (region, access) => region.#reaccess(access);
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
   */
  constructor(
    token: symbol,
    address: Deno.PointerObject,
    length: number,
    access: Access,
    kind: string,
    unmap: Unmap,
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
    this.#unmap = unmap;
    this.#buffer = length === 0
      ? new ArrayBuffer(0)
      : Deno.UnsafePointerView.getArrayBuffer(address, length);
    this.#bytes = new Uint8Array(this.#buffer);
    registry.register(this.#buffer, { address, length, unmap }, this);
  }

  /** The address the memory is mapped at in this process. */
  get address(): bigint {
    return BigInt(Deno.UnsafePointer.value(this.#address));
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
    const end = this.#span(offset, length);
    return this.#bytes.slice(offset, end);
  }

  /**
   * Reads a NUL-terminated UTF-8 string, stopping at the first NUL or at the
   * end of the region (never beyond it).
   *
   * @param offset where the string starts (default 0)
   * @returns the text
   * @throws {RangeError} if the offset is outside the region
   * @throws {Deno.errors.BadResource} if the region is detached
   */
  readCString(offset = 0): string {
    this.#readable();
    const end = this.#span(offset, undefined);
    let nul = this.#bytes.indexOf(0, offset);
    if (nul < 0 || nul > end) nul = end;
    return new TextDecoder().decode(this.#bytes.subarray(offset, nul));
  }

  /**
   * Copies bytes or UTF-8 text into the region.
   *
   * @param data what to write
   * @param offset where to write it (default 0)
   * @returns the number of bytes written
   * @throws {RangeError} if it does not fit
   * @throws {TypeError} if the region is read-only
   * @throws {Deno.errors.BadResource} if the region is detached
   */
  write(data: Uint8Array | string, offset = 0): number {
    this.#writable();
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    this.#span(offset, bytes.length);
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
   * @throws {TypeError} if the region is read-only
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
    const encoded = new TextEncoder().encode(text);
    if (size !== undefined) {
      int(size, "writeCString", "size", 1, Number.MAX_SAFE_INTEGER);
      if (encoded.length + 1 > size) {
        throw new RangeError(
          `Argument "text" to writeCString is too long: ${
            encoded.length + 1
          } bytes with its NUL do not fit a field of "${size}" bytes`,
        );
      }
    }
    const bytes = new Uint8Array(encoded.length + 1);
    bytes.set(encoded);
    return this.write(bytes, offset);
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
    registry.unregister(this);
    this.#buffer = null;
    this.#dataView = undefined;
    // Detach every view over the memory without copying it.
    buffer.transfer(0);
    this.#bytes = new Uint8Array(0);
    this.#unmap(this.#address, this.#length);
  }

  #alive(): void {
    if (this.#buffer === null) {
      throw new Deno.errors.BadResource(
        `The ${this.#kind} is detached: it can no longer be used`,
      );
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

  #reaccess(access: Access): void {
    this.#alive();
    const old = this.#buffer!;
    registry.unregister(this);
    this.#dataView = undefined;
    old.transfer(0); // every view handed out so far goes empty
    this.#buffer = Deno.UnsafePointerView.getArrayBuffer(
      this.#address,
      this.#length,
    );
    this.#bytes = new Uint8Array(this.#buffer);
    this.#access = access;
    registry.register(this.#buffer, {
      address: this.#address,
      length: this.#length,
      unmap: this.#unmap,
    }, this);
  }

  #span(offset: number, length: number | undefined): number {
    this.#alive();
    const size = this.#length;
    if (!Number.isInteger(offset) || offset < 0 || offset > size) {
      throw new RangeError(
        `Offset "${offset}" is outside the ${this.#kind} of ${size} bytes`,
      );
    }
    const end = length === undefined ? size : offset + length;
    if (!Number.isInteger(end) || end < offset || end > size) {
      throw new RangeError(
        `Length "${length}" at offset "${offset}" does not fit in the ${this.#kind} of ${size} bytes`,
      );
    }
    return end;
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
 * @returns the region
 */
export function createRegion(
  address: Deno.PointerObject,
  length: number,
  access: Access,
  kind: string,
  unmap: Unmap,
): MemoryRegion {
  return new MemoryRegion(NEW, address, length, access, kind, unmap);
}

/**
 * Records a change of a region's access (after `mprotect`): every view
 * handed out so far is detached, and new ones follow the new access.
 *
 * @param region the region
 * @param access the new access
 * @throws {Deno.errors.BadResource} if the region is detached
 */
export function setRegionAccess(region: MemoryRegion, access: Access): void {
  reaccess(region, access);
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
