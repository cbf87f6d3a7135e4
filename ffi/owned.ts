/**
 * What a Worker's objects own, for the engine's helper threads to let go
 * of once the Worker is gone: `worker.terminate()` runs no more
 * JavaScript in it, so neither `close()` nor the collection backstop ever
 * runs, and Deno closes only its own resources. Descriptors of `OwnedFd`s
 * are closed (a peer then reads the end of the stream instead of waiting
 * on a connection nobody holds); memory regions are replaced with private
 * zero-filled memory, as a region's own backstop does (a System V segment
 * is detached and freed once removed, and a buffer moved off the region
 * never points at unmapped memory). On the main thread nothing is kept:
 * the process ends with it.
 *
 * Two tables in shared memory, one slot per thing owned: an owner takes
 * its slot off before it lets go itself (so a helper never touches what
 * another owns by then), and a helper claims each slot with
 * `Atomics.exchange` (so only one lets go of it). `ffi/wait.ts` hands the
 * tables to its helper threads and lets go of what is in them.
 *
 * @module
 */

import { libc } from "./libc.ts";

/** Descriptors a Worker's helper threads can close; more are not followed. */
export const OWNED_FDS_MAX = 16_384;
/** Memory regions a Worker's helper threads can retire; more are not followed. */
export const OWNED_MAPS_MAX = 4_096;

/** The tables of this Worker, shared with its helper threads. */
export interface OwnedTables {
  /** Descriptors (-1: a free slot). */
  fds: Int32Array<SharedArrayBuffer>;
  /** Pairs of address (0: a free slot) and length in bytes. */
  maps: BigInt64Array<SharedArrayBuffer>;
}

let inWorker: boolean | undefined;
let tables: OwnedTables | null = null;

/**
 * The tables, made at the first call in a Worker; null on the main thread.
 *
 * @returns the tables, or null
 */
export function ownedTables(): OwnedTables | null {
  inWorker ??= libc().gettid() !== libc().getpid();
  if (!inWorker) return null;
  tables ??= {
    fds: new Int32Array(new SharedArrayBuffer(OWNED_FDS_MAX * 4)).fill(-1),
    maps: new BigInt64Array(new SharedArrayBuffer(OWNED_MAPS_MAX * 16)),
  };
  return tables;
}

let watch: () => void = () => {};

/**
 * Sets what makes sure a helper thread is there to let go of what is
 * owned (the engine's, in `ffi/wait.ts`, which imports this module).
 *
 * @param fn called whenever something is owned
 */
export function setOwnedWatch(fn: () => void): void {
  watch = fn;
}

/** Slots in use and free, per table. */
class Slots<K> {
  #of = new Map<K, number>();
  #free: number[] = [];
  #end = 0;
  constructor(readonly max: number) {}
  /** A slot for `key`, or -1 when full or already there. */
  take(key: K): number {
    if (this.#of.has(key)) return -1;
    const slot = this.#free.pop() ?? (this.#end < this.max ? this.#end++ : -1);
    if (slot !== -1) this.#of.set(key, slot);
    return slot;
  }
  /** The slot `key` had, now free, or -1. */
  give(key: K): number {
    const slot = this.#of.get(key);
    if (slot === undefined) return -1;
    this.#of.delete(key);
    this.#free.push(slot);
    return slot;
  }
}

const fdSlots = new Slots<number>(OWNED_FDS_MAX);
const mapSlots = new Slots<bigint>(OWNED_MAPS_MAX);

/**
 * Internal to `ffi/`: `fd` is owned by an object of this isolate (its
 * `OwnedFd`), or no longer (`false`, before it is closed).
 *
 * @param fd the descriptor
 * @param owns whether it is owned now
 */
export function ownDescriptor(fd: number, owns: boolean): void {
  const t = ownedTables();
  if (t === null) return;
  if (!owns) {
    const slot = fdSlots.give(fd);
    if (slot !== -1) Atomics.store(t.fds, slot, -1);
    return;
  }
  const slot = fdSlots.take(fd);
  if (slot === -1) return;
  Atomics.store(t.fds, slot, fd);
  watch();
}

/**
 * Internal to `ffi/`: the memory at `address` (`span` bytes) is a region
 * of this isolate's, or no longer (`false`, before it is unmapped).
 *
 * @param address where it is mapped
 * @param span its whole length in bytes
 * @param owns whether it is owned now
 */
export function ownMapping(address: bigint, span: number, owns: boolean): void {
  const t = ownedTables();
  if (t === null) return;
  if (!owns) {
    const slot = mapSlots.give(address);
    if (slot !== -1) Atomics.store(t.maps, 2 * slot, 0n);
    return;
  }
  const slot = mapSlots.take(address);
  if (slot === -1) return;
  // The length first: a helper reads it once it has claimed the address.
  Atomics.store(t.maps, 2 * slot + 1, BigInt(span));
  Atomics.store(t.maps, 2 * slot, address);
  watch();
}

/** The async engine's own descriptors (see {@linkcode engineDescriptor}). */
const engineFds = new Set<number>();

/**
 * Internal to `ffi/`: `fd` is one of the async engine's own descriptors
 * (its epoll sets and the eventfd that wakes its thread), or no longer
 * (`false`, before the engine closes it). No call of the library may
 * close or take one over (see `runtimeDescriptor` in `ffi/fd.ts`).
 *
 * @param fd the descriptor
 * @param own whether it is the engine's now
 */
export function engineDescriptor(fd: number, own: boolean): void {
  if (own) engineFds.add(fd);
  else engineFds.delete(fd);
}

/**
 * Internal to `ffi/`: whether `fd` is one of the async engine's own.
 *
 * @param fd the descriptor
 * @returns whether it is
 */
export function isEngineDescriptor(fd: number): boolean {
  return engineFds.has(fd);
}
