/**
 * Web Streams over a descriptor's async read and write, shared by the
 * classes that have `readable` and `writable` (`PipeEnd`,
 * `UnixConnection`), as `Deno.FsFile` has them.
 *
 * @module
 */

/** The largest chunk a default reader is given (and the first one's size). */
const CHUNK_MAX = 64 * 1024;
/** The smallest chunk a default reader is given. */
const CHUNK_MIN = 4 * 1024;

/**
 * A byte stream (`type: "bytes"`, as `Deno.FsFile.readable` is) that pulls
 * with `read` and calls `close` at its end or when cancelled. A BYOB reader
 * (`getReader({ mode: "byob" })`) has the bytes read straight into its own
 * buffer, with no allocation per read. A default reader gets a new chunk per
 * read, sized to what the reads have been bringing: it doubles (up to
 * 64 KiB) after a read that filled it and halves (down to 4 KiB) after one
 * that used less than a quarter of it, since every new chunk is zeroed by the
 * engine whether the read fills it or not.
 *
 * With `peek`, the descriptor carries messages (a seqpacket socket), which
 * a read smaller than the message would cut short: a default reader gets
 * each message whole as one chunk, and a BYOB reader gets a message larger
 * than its buffer over several reads, nothing lost. An empty message is
 * taken and skipped: a byte stream has no empty chunk, and it is not the
 * end.
 *
 * @param read reads into a buffer; null at end of stream
 * @param close closes the descriptor
 * @param peek waits for the next message and gives its length without
 *   taking it (0 for an empty message, null at end of stream)
 * @returns the stream
 */
export function readableFrom(
  read: (buf: Uint8Array) => Promise<number | null>,
  close: () => void,
  peek?: () => Promise<number | null>,
): ReadableStream<Uint8Array> {
  let size = CHUNK_MAX;
  let rest: Uint8Array | null = null; // what a BYOB reader has yet to get
  return new ReadableStream({
    type: "bytes",
    pull: async (controller) => {
      const request = controller.byobRequest;
      const view = request?.view;
      let buf = view
        ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
        : null;
      if (peek !== undefined) {
        if (rest !== null && buf !== null) {
          const n = Math.min(rest.length, buf.length);
          buf.set(rest.subarray(0, n));
          rest = n < rest.length ? rest.subarray(n) : null;
          request!.respond(n);
          return;
        }
        let length = await peek();
        while (length === 0) {
          // An empty message: taken (a byte of room holds it), then the
          // next one. Another reader of the socket may have taken it
          // first: what came in its place is given, not dropped.
          const one = new Uint8Array(1);
          const got = await read(one);
          if (got === null) length = null;
          else if (got === 0) length = await peek();
          else {
            if (request) {
              buf!.set(one);
              request.respond(1);
            } else controller.enqueue(one);
            return;
          }
        }
        if (length === null) {
          close();
          controller.close();
          request?.respond(0);
          return;
        }
        if (buf === null) buf = new Uint8Array(length);
        else if (length > buf.length) {
          const whole = new Uint8Array(length);
          const got = await read(whole);
          const n = Math.min(got ?? 0, buf.length);
          buf.set(whole.subarray(0, n));
          rest = (got ?? 0) > n ? whole.subarray(n, got!) : null;
          request!.respond(n);
          return;
        }
      }
      buf ??= new Uint8Array(size);
      const n = await read(buf);
      if (n === null) {
        close();
        controller.close();
        request?.respond(0);
      } else if (request) {
        request.respond(n);
      } else if (peek !== undefined) {
        controller.enqueue(buf.subarray(0, n));
      } else {
        if (n === size) size = Math.min(size * 2, CHUNK_MAX);
        else if (n < size / 4) size = Math.max(size / 2, CHUNK_MIN);
        controller.enqueue(buf.subarray(0, n));
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
