/**
 * Web Streams over a descriptor's async read and write, shared by the
 * classes that have `readable` and `writable` (`PipeEnd`,
 * `UnixConnection`), as `Deno.FsFile` has them.
 *
 * @module
 */

/** Bytes read per pull when the reader brings no buffer of its own. */
const CHUNK = 64 * 1024;

/**
 * A byte stream (`type: "bytes"`, as `Deno.FsFile.readable` is) that pulls
 * with `read` and calls `close` at its end or when cancelled. A BYOB reader
 * (`getReader({ mode: "byob" })`) has the bytes read straight into its own
 * buffer, with no allocation per read; a default reader gets a new chunk of
 * up to 64 KiB per read.
 *
 * @param read reads into a buffer; null at end of stream
 * @param close closes the descriptor
 * @returns the stream
 */
export function readableFrom(
  read: (buf: Uint8Array) => Promise<number | null>,
  close: () => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: CHUNK,
    pull: async (controller) => {
      // With autoAllocateChunkSize there is always a request to fill: the
      // reader's own buffer (BYOB) or one allocated for a default reader.
      const request = controller.byobRequest!;
      const view = request.view!;
      const n = await read(
        new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
      );
      if (n === null) {
        close();
        controller.close();
        request.respond(0);
      } else {
        request.respond(n);
      }
    },
    cancel: close,
  }, { highWaterMark: 0 }) as ReadableStream<Uint8Array>;
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
