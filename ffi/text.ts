/**
 * UTF-8 text to and from bytes: one encoder and one decoder for the whole
 * library, made once (making one costs more than most strings it handles).
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes text as UTF-8.
 *
 * @param text the text
 * @returns its bytes, in a new array
 */
export function encodeUtf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/**
 * Decodes UTF-8 bytes (invalid sequences become U+FFFD), whole: no state
 * is kept between calls.
 *
 * @param bytes the bytes
 * @returns the text
 */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
