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
 * Encodes text a caller gave as UTF-8, refusing a string that is not
 * well-formed: a lone surrogate has no UTF-8 form, and `TextEncoder` would
 * write U+FFFD in its place without a word (Python's `str.encode` raises
 * for it too).
 *
 * @param text the text
 * @param syscall the call it is for, in an error
 * @param argument the argument it is, in an error
 * @returns its bytes, in a new array
 * @throws {TypeError} for a lone surrogate, naming its index
 */
export function encodeText(
  text: string,
  syscall: string,
  argument: string,
): Uint8Array<ArrayBuffer> {
  const bad = loneSurrogateAt(text);
  if (bad !== -1) {
    throw new TypeError(
      `Invalid argument "${argument}" to ${syscall}: a lone surrogate U+${
        text.charCodeAt(bad).toString(16).toUpperCase()
      } at index ${bad} has no UTF-8 form`,
    );
  }
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

const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a name the kernel returned (a socket's path or abstract name)
 * without losing a byte: valid UTF-8 as text, and each byte that is not
 * part of valid UTF-8 as the lone surrogate U+DC80 to U+DCFF (Python's
 * `surrogateescape`, PEP 383), which {@linkcode encodeName} turns back
 * into that byte. Decoded with U+FFFD instead, a name of another
 * program's could not be given back to reach it.
 *
 * @param bytes the name's bytes
 * @returns the text
 */
export function decodeName(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeEscaped(bytes);
  }
}

/** The length of the valid UTF-8 sequence at `i`, or 0. */
function sequenceAt(b: Uint8Array, i: number): number {
  const lead = b[i];
  if (lead < 0x80) return 1;
  let n: number, max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) n = 2;
  else if (lead >= 0xe0 && lead <= 0xef) n = 3;
  else if (lead >= 0xf0 && lead <= 0xf4) n = 4;
  else return 0;
  // The second byte's range rules out overlong forms, surrogates and
  // code points above U+10FFFF (RFC 3629 4).
  const min = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
  if (lead === 0xed) max = 0x9f;
  if (lead === 0xf4) max = 0x8f;
  if (i + n > b.length || b[i + 1] < min || b[i + 1] > max) return 0;
  for (let k = 2; k < n; k++) {
    if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  }
  return n;
}

function decodeEscaped(b: Uint8Array): string {
  let text = "";
  for (let i = 0; i < b.length;) {
    const n = sequenceAt(b, i);
    if (n === 0) {
      text += String.fromCharCode(0xdc00 + b[i]);
      i += 1;
    } else {
      text += strict.decode(b.subarray(i, i + n));
      i += n;
    }
  }
  return text;
}

/**
 * Encodes a name for the kernel: as UTF-8, except that a lone surrogate
 * U+DC80 to U+DCFF stands for the byte it escapes (see
 * {@linkcode decodeName}).
 *
 * @param text the name
 * @param syscall the call it is for, in an error
 * @param argument the argument it is, in an error
 * @returns its bytes, in a new array
 * @throws {TypeError} for any other lone surrogate, which stands for no
 *   byte (UTF-8 would write U+FFFD, a name nobody asked for)
 */
export function encodeName(
  text: string,
  syscall: string,
  argument: string,
): Uint8Array<ArrayBuffer> {
  if (text.isWellFormed()) return encoder.encode(text);
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc80 && unit <= 0xdcff) {
      out.push(unit - 0xdc00);
      continue;
    }
    const cp = text.codePointAt(i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      throw new TypeError(
        `Invalid argument "${argument}" to ${syscall}: a lone surrogate U+${
          cp.toString(16).toUpperCase()
        } at index ${i} stands for no byte (only U+DC80 to U+DCFF do, one byte each)`,
      );
    }
    const ch = String.fromCodePoint(cp);
    out.push(...encoder.encode(ch));
    i += ch.length - 1;
  }
  return new Uint8Array(out);
}

/**
 * The path of a `file:` URL, each percent-escape as its byte, decoded as
 * {@linkcode decodeName} decodes (Deno's own conversion throws a
 * `URIError` for an escape that is not UTF-8, as `%FF`).
 *
 * @param url a `file:` URL
 * @returns its path
 */
export function urlPath(url: URL): string {
  const path = url.pathname;
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const hex = path.slice(i + 1, i + 3);
    if (path[i] === "%" && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(path.charCodeAt(i));
  }
  return decodeName(new Uint8Array(bytes));
}

/**
 * The index of the first lone surrogate in `text`, or -1.
 *
 * @param text the text
 * @returns the index, or -1 when the text is well-formed
 */
export function loneSurrogateAt(text: string): number {
  if (text.isWellFormed()) return -1;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) return i;
    if (cp > 0xffff) i++;
  }
  return -1;
}

/**
 * A name for a message: each byte that is not UTF-8 (U+DC80 to U+DCFF,
 * see {@linkcode decodeName}) written as `\xff`.
 *
 * @param name the name
 * @returns the name, printable
 */
export function showName(name: string): string {
  return name.replace(
    /[\u{dc80}-\u{dcff}]/gu,
    (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16)}`,
  );
}
