/**
 * Web Streams over a descriptor's async read and write, shared by the
 * classes that have `readable` and `writable` (`PipeEnd`,
 * `UnixConnection`), as `Deno.FsFile` has them.
 *
 * @module
 */

/** Bytes read per pull. */
const CHUNK = 64 * 1024;

/**
 * A byte stream that pulls with `read` and calls `close` at its end or when
 * cancelled.
 *
 * @param read reads into a buffer; null at end of stream
 * @param close closes the descriptor
 * @returns the stream
 */
export function readableFrom(
  read: (buf: Uint8Array) => Promise<number | null>,
  close: () => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const buf = new Uint8Array(CHUNK);
      const n = await read(buf);
      if (n === null) {
        controller.close();
        close();
      } else {
        controller.enqueue(buf.subarray(0, n));
      }
    },
    cancel: close,
  }, { highWaterMark: 0 });
}

/**
 * A stream that writes each chunk whole with `writeAll`.
 *
 * @param writeAll writes all of a chunk
 * @param end called when the stream is closed
 * @param abort called when the stream is aborted
 * @returns the stream
 */
export function writableFrom(
  writeAll: (chunk: Uint8Array) => Promise<void>,
  end: () => void,
  abort: () => void,
): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write: (chunk) => writeAll(chunk),
    close: end,
    abort,
  });
}
