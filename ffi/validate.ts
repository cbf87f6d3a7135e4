/**
 * Argument checks that run before a call reaches libc, so that a wrong type
 * or range is a `TypeError`/`RangeError` naming the argument, never a wrong
 * value silently converted by FFI.
 *
 * @module
 */

import { encodeName, encodeText, urlPath } from "./text.ts";

/**
 * Checks that `value` is an integer in `[min, max]`.
 *
 * @param value what the caller passed
 * @param syscall the call it is for
 * @param argument the argument's C name
 * @param min smallest allowed value
 * @param max largest allowed value
 * @returns the value as a number (`-0` as 0, which FFI refuses)
 * @throws {TypeError} if it is not an integer
 * @throws {RangeError} if it is outside the range
 */
export function int(
  value: unknown,
  syscall: string,
  argument: string,
  min: number,
  max: number,
): number {
  // The common case in a body small enough to be inlined into every call.
  if (
    typeof value === "number" && Number.isInteger(value) && value >= min &&
    value <= max
  ) return value + 0; // -0 is 0 to C (FFI would refuse it)
  return notInt(value, syscall, argument, min, max);
}

/** The error of an {@linkcode int} check that failed, thrown. */
function notInt(
  value: unknown,
  syscall: string,
  argument: string,
  min: number,
  max: number,
): never {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `Invalid argument "${argument}" to ${syscall}: expected an integer, got "${
        show(value)
      }"`,
    );
  }
  throw new RangeError(
    `Argument "${argument}" to ${syscall} is out of range: "${value}" is not in [${min}, ${max}]`,
  );
}

/** Smallest and largest values of C types, for {@linkcode int}. */
export const LIMITS = {
  INT_MIN: -0x8000_0000,
  INT_MAX: 0x7fff_ffff,
  UINT_MAX: 0xffff_ffff,
  SHRT_MIN: -0x8000,
  SHRT_MAX: 0x7fff,
  USHRT_MAX: 0xffff,
  SIZE_MAX: Number.MAX_SAFE_INTEGER,
} as const;

/**
 * Checks a System V key: any 32-bit integer, signed or unsigned, returned as
 * the signed `key_t` the kernel stores.
 *
 * @param value what the caller passed
 * @param syscall the call it is for
 * @returns the key as a signed 32-bit integer
 */
export function key(value: unknown, syscall: string): number {
  return int(value, syscall, "key", LIMITS.INT_MIN, LIMITS.UINT_MAX) | 0;
}

/**
 * Checks the key of a class's `open`, which must name an existing System V
 * object: as {@linkcode key}, and never `IPC_PRIVATE` (0), which makes a
 * new object at every call and so names none (opening it would make one
 * nobody else can reach, left behind unless removed).
 *
 * @param value what the caller passed
 * @param where the method, in its errors (`"SharedMemory.open"`)
 * @param what the kind of object (`"segment"`)
 * @param instead what to use instead (`"SharedMemory.fromId"`)
 * @returns the key as a signed 32-bit integer
 * @throws {TypeError} if it is not an integer
 * @throws {RangeError} if it is out of range, or `IPC_PRIVATE`
 */
export function existingKey(
  value: unknown,
  where: string,
  what: string,
  instead: string,
): number {
  const k = key(value, where);
  if (k === 0) {
    throw new RangeError(
      `Argument "key" to ${where} is IPC_PRIVATE, which never names an existing ${what}: use ${instead}`,
    );
  }
  return k;
}

/**
 * Checks that `value` is an integer whose set bits are all in `allowed`.
 *
 * @param value what the caller passed
 * @param allowed the mask of known bits
 * @param syscall the call it is for
 * @param argument the argument's C name
 * @returns the flags, as a signed 32-bit C int
 * @throws {TypeError} if it is not an integer
 * @throws {RangeError} if unknown bits are set
 */
export function flags(
  value: unknown,
  allowed: number,
  syscall: string,
  argument: string,
): number {
  const v = int(value, syscall, argument, 0, LIMITS.UINT_MAX);
  if ((v & ~allowed) === 0) return v | 0; // as C's int: FFI takes no i32 above 2^31 - 1
  return unknownFlags(v, allowed, syscall, argument);
}

/** The error of a {@linkcode flags} check that found unknown bits, thrown. */
function unknownFlags(
  v: number,
  allowed: number,
  syscall: string,
  argument: string,
): never {
  throw new RangeError(
    `Unknown flag bits "0x${
      ((v & ~allowed) >>> 0).toString(16)
    }" in argument "${argument}" to ${syscall}`,
  );
}

/**
 * A short printable form of any value for an error message.
 *
 * @param value anything
 * @returns text
 */
export function show(value: unknown): string {
  if (typeof value === "string") {
    // Control characters (a NUL above all) are written out, and a long
    // string is cut: the message stays one readable line.
    let text = "";
    for (const c of value.slice(0, 81)) {
      const n = c.charCodeAt(0);
      text += n === 0
        ? "\\0"
        : n < 0x20 || n === 0x7f
        ? `\\x${n.toString(16).padStart(2, "0")}`
        : c;
    }
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }
  if (Array.isArray(value)) {
    const items = value.slice(0, 4).map((v) => show(v)).join(", ");
    return `[${items}${value.length > 4 ? ", ..." : ""}]`;
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (value === null || value === undefined) return String(value);
  if (value instanceof URL) return show(value.href);
  if (typeof value === "function") return `function ${value.name || "()"}`;
  if (typeof value === "object") {
    // A typed array by its kind and length: `Uint8Array(3)`.
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const name = Object.getPrototypeOf(value)?.constructor?.name;
      const { length } = value as unknown as { length: number };
      return `${typeof name === "string" ? name : "TypedArray"}(${length})`;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      // A plain object, one level deep: `{ type: "dgram" }`.
      const keys = Object.keys(value).slice(0, 5);
      const items = keys.slice(0, 4).map((k) => {
        let v: unknown;
        try {
          v = (value as Record<string, unknown>)[k];
        } catch {
          v = Symbol(); // a getter that throws: shown as "?" below
        }
        const text = typeof v === "symbol"
          ? "?"
          : typeof v === "string"
          ? `"${show(v)}"`
          : typeof v === "object" && v !== null
          ? Array.isArray(v) ? "[...]" : "{...}"
          : show(v);
        return `${
          /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)
        }: ${text}`;
      });
      if (keys.length > 4) items.push("...");
      return items.length === 0 ? "{}" : `{ ${items.join(", ")} }`;
    }
    // An instance of a class of no tag of its own ("[object Object]"):
    // its class's name says more (`FsFile {...}`).
    const tag = Object.prototype.toString.call(value);
    const name = (proto as { constructor?: { name?: unknown } }).constructor
      ?.name;
    return tag === "[object Object]" && typeof name === "string" && name !== ""
      ? `${name} {...}`
      : tag;
  }
  return Object.prototype.toString.call(value);
}

/**
 * Whether a value can be an options argument: an object that is not null,
 * an array or a buffer (see {@linkcode checkOptions}).
 *
 * @param value what the caller passed
 * @returns whether it is such an object
 */
export function isOptionsObject(value: unknown): value is object {
  return value !== null && typeof value === "object" &&
    !Array.isArray(value) && !ArrayBuffer.isView(value) &&
    !(value instanceof ArrayBuffer) && !(value instanceof SharedArrayBuffer);
}

/**
 * Checks that an options argument is an object, before anything is read
 * from it. Arrays and buffers are refused too: passed where the options go
 * (`receive(buf)` for `receiveInto(buf)`), they would otherwise be read as
 * no options at all, and the call would run as if they had not been given.
 *
 * @param options what the caller passed
 * @param where the call or method, for the error
 * @param what what the options are, for the error (`option "env"` for
 *   options held in one)
 * @throws {TypeError} for `null`, an array, a buffer, or anything that is
 *   not an object
 */
export function checkOptions(
  options: unknown,
  where: string,
  what = "options",
): asserts options is object {
  if (!isOptionsObject(options)) {
    throw new TypeError(
      `Invalid ${what} to ${where}: expected an object, got "${show(options)}"`,
    );
  }
}

/**
 * Checks an options argument (see {@linkcode checkOptions}) and refuses an
 * option the method does not have: a misspelled `mode` (`perms: 0o666`)
 * or a size put beside `create` instead of in it would otherwise be left
 * unread, and the object made with the defaults, to fail later and
 * elsewhere (a peer's `EACCES`); a misspelled `type` would take another
 * reader's message. (The options of a wait, `timeout` and `signal`
 * alone, are checked by the engine, see `checkWaitOptions` in
 * `ffi/wait.ts`.)
 *
 * @param options the options
 * @param known the option names the method has
 * @param where the method (`"SharedMemory.create"`)
 * @param within the option that holds these (`"create."`), for the message
 * @throws {TypeError} for options that are not an object, or naming the
 *   first unknown option and the known ones
 */
export function knownOptions(
  options: unknown,
  known: readonly string[],
  where: string,
  within = "",
): asserts options is object {
  checkOptions(
    options,
    where,
    within === "" ? "options" : `option "${within.slice(0, -1)}"`,
  );
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw unknownOption(name, known, where, within);
    }
  }
}

/**
 * The error for an option a method does not have (see
 * {@linkcode knownOptions}).
 *
 * @param name the option given
 * @param known the option names the method has
 * @param where the method (`"SharedMemory.create"`)
 * @param within the option that holds these (`"create."`), for the message
 * @returns the TypeError, naming the option and the known ones
 */
export function unknownOption(
  name: string,
  known: readonly string[],
  where: string,
  within = "",
): TypeError {
  // A blocking twin shares its async form's names, but refuses a `signal`
  // (see `syncTimeout` in `ffi/wait.ts`): it is not offered.
  const shown = where.endsWith("Sync")
    ? known.filter((k) => k !== "signal")
    : known;
  return new TypeError(
    `Unknown option "${within}${name}" to ${where}: expected ${
      oneOf(shown, within)
    }`,
  );
}

/** `"a"`, or `one of "a", "b"`: the names an option or field may have. */
function oneOf(names: readonly string[], prefix: string): string {
  return `${names.length === 1 ? "" : "one of "}${
    names.map((k) => `"${prefix}${k}"`).join(", ")
  }`;
}

/**
 * Refuses a field a struct-like argument does not have (`{ num, op, flg }`
 * for `{ num, op, flags }`, `{ len }` misspelled `length`): left unread, a
 * misspelled field is its default, and the call does something else than
 * asked, silently (no `SEM_UNDO`; a lock on the whole file). Only own
 * properties count, as for options: one put on `Object.prototype` does not
 * make every call throw.
 *
 * @param value the argument, an object already
 * @param known the fields it may have
 * @param syscall the call it is for
 * @param argument the argument's C name (`"sops[0]"`, `"lock"`)
 * @throws {TypeError} naming the first unknown field and the known ones
 */
export function knownFields(
  value: object,
  known: readonly string[],
  syscall: string,
  argument: string,
): void {
  for (const field in value) {
    if (!known.includes(field) && Object.hasOwn(value, field)) {
      throw new TypeError(
        `Unknown field "${argument}.${field}" to ${syscall}: expected ${
          oneOf(known, `${argument}.`)
        }`,
      );
    }
  }
}

/**
 * Reads a boolean option: `true` or `false`, or the default when it is
 * left out. Anything else is refused rather than read as truthy or falsy:
 * the string `"false"` from a configuration file would otherwise turn the
 * option on (`removeOnDispose: "false"` removing the object).
 *
 * @param value what the caller passed
 * @param fallback the default
 * @param option the option's name (`"removeOnDispose"`, `"create.exclusive"`)
 * @param where the method it is for (`"SharedMemory.create"`)
 * @returns the boolean
 * @throws {TypeError} for anything but a boolean or `undefined`
 */
export function boolOption(
  value: unknown,
  fallback: boolean,
  option: string,
  where: string,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(
      `Invalid option "${option}" to ${where}: expected a boolean, got "${
        show(value)
      }"`,
    );
  }
  return value;
}

/**
 * The options of a method that opens an object someone else may have made
 * (`open`, `fromId`): an object of `removeOnDispose` and the `others` (see
 * {@linkcode knownOptions}).
 *
 * @param options the method's options
 * @param where the method (`"SemaphoreSet.open"`)
 * @param others the other options it takes
 * @returns whether disposing of the object removes it: off unless asked for
 * @throws {TypeError} for options that are not an object, an option it does
 *   not have, or a `removeOnDispose` that is not a boolean
 */
export function openOptions(
  options: { removeOnDispose?: boolean },
  where: string,
  others: readonly string[] = [],
): boolean {
  knownOptions(options, ["removeOnDispose", ...others], where);
  return boolOption(options.removeOnDispose, false, "removeOnDispose", where);
}

/**
 * Reads an option that holds options of its own (`create: { mode }`): an
 * object of the `known` options (see {@linkcode knownOptions}), or
 * `undefined` when it is left out.
 *
 * @param value what the caller passed
 * @param option the option's name (`"create"`)
 * @param where the method it is for (`"PosixSemaphore.open"`)
 * @param known the option names it may hold
 * @returns the object, or undefined
 * @throws {TypeError} for anything else (`create: true` included), or an
 *   option it does not have
 */
export function nestedOptions<T extends object>(
  value: T | undefined,
  option: string,
  where: string,
  known: readonly string[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!isOptionsObject(value)) {
    throw new TypeError(
      `Invalid option "${option}" to ${where}: expected an object, got "${
        show(value)
      }"`,
    );
  }
  knownOptions(value, known, where, `${option}.`);
  return value;
}

/**
 * The `offset` and `length` options of a mapping, checked under the
 * method's name (`mmap` checks them again, under its own): an offset of 0
 * or more, and a length of 1 or more when given.
 *
 * @param options the method's options
 * @param where the method (`"Mapping.fromFd"`)
 * @returns the offset (0 when left out) and the length (undefined: to the
 *   end of the file)
 * @throws {TypeError} for one that is not an integer
 * @throws {RangeError} for one out of range
 */
export function mapSpan(
  options: { offset?: number; length?: number },
  where: string,
): [number, number | undefined] {
  return [
    int(options.offset ?? 0, where, "offset", 0, LIMITS.SIZE_MAX),
    options.length === undefined
      ? undefined
      : int(options.length, where, "length", 1, LIMITS.SIZE_MAX),
  ];
}

/**
 * Refuses a string with a NUL byte inside: C would take it as ending
 * there.
 *
 * @param text the string
 * @param where the call or method, for the message
 * @param what what the string is, as the message names it
 *   (`'argument "command"'`, `'option "args[0]"'`)
 * @throws {TypeError} if it has one
 */
export function noNul(text: string, where: string, what: string): void {
  if (text.includes("\0")) {
    throw new TypeError(
      `Invalid ${what} to ${where}: "${show(text)}" contains a NUL byte`,
    );
  }
}

/**
 * Encodes a path as a NUL-terminated C string. A lone surrogate U+DC80 to
 * U+DCFF stands for the byte it escapes, as in the names the library
 * decodes (see `decodeName`); a `file:` URL is taken as its path, each
 * percent-escape as its byte.
 *
 * @param path the path
 * @param syscall the call it is for
 * @param argument the argument's C name
 * @returns the bytes, ending in NUL
 * @throws {TypeError} if it is not a string or a `file:` URL, has a NUL
 *   inside, or has another lone surrogate (which stands for no byte)
 */
export function cString(
  path: unknown,
  syscall: string,
  argument: string,
): Uint8Array<ArrayBuffer> {
  let text: string;
  if (typeof path === "string") text = path;
  else if (path instanceof URL && path.protocol === "file:") {
    text = urlPath(path);
  } else {
    throw new TypeError(
      `Invalid argument "${argument}" to ${syscall}: expected a string${
        path instanceof URL ? " or a file: URL" : ""
      }, got "${show(path)}"`,
    );
  }
  if (text.includes("\0")) {
    throw new TypeError(
      `Invalid argument "${argument}" to ${syscall}: "${
        text.replaceAll("\0", "\\0")
      }" contains a NUL byte`,
    );
  }
  const encoded = encodeName(text, syscall, argument);
  const out = new Uint8Array(encoded.length + 1);
  out.set(encoded);
  return out;
}

/**
 * Checks an absolute `CLOCK_REALTIME` deadline (`abs_timeout` of
 * `mq_timedsend`, `sem_timedwait`, ...): a `Date`, or milliseconds since the
 * epoch.
 *
 * @param value what the caller passed
 * @param syscall the call it is for
 * @returns milliseconds since the epoch
 * @throws {TypeError} for anything else, or a time before the epoch
 */
export function absoluteTime(value: unknown, syscall: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new TypeError(
      `Invalid argument "abs_timeout" to ${syscall}: expected a Date or milliseconds since the epoch, got "${
        show(value)
      }"`,
    );
  }
  return ms;
}

/**
 * Checks the name of a POSIX IPC object (a message queue, shared memory
 * object or named semaphore) as Linux and glibc check it: one leading
 * slash, then 1 to `max` bytes without a slash. Returns the C string and
 * the file the object is (under `/dev/mqueue` or `/dev/shm`), for Deno's
 * permission checks.
 *
 * @param name the name, as `"/jobs"`
 * @param syscall the call it is for
 * @param dir where the object lives, with its prefix (`"/dev/shm/sem."`)
 * @param max the most bytes after the slash
 * @returns the C string and the object's path
 * @throws {TypeError} for a name that is not one slash and then a name
 * @throws {RangeError} for a name too long
 */
export function posixName(
  name: unknown,
  syscall: string,
  dir: string,
  max: number,
): [Uint8Array<ArrayBuffer>, string] {
  if (typeof name !== "string") {
    throw new TypeError(
      `Invalid argument "name" to ${syscall}: expected a string, got "${
        show(name)
      }"`,
    );
  }
  const c = cString(name, syscall, "name");
  const text = name;
  const rest = text.slice(1);
  if (!text.startsWith("/") || rest.length === 0 || rest.includes("/")) {
    throw new TypeError(
      `Invalid argument "name" to ${syscall}: "${text}" must be one slash and then a name without slashes, as "/jobs"`,
    );
  }
  if (c.length - 2 > max) {
    throw new RangeError(
      `Argument "name" to ${syscall} is out of range: ${
        c.length - 2
      } bytes after the slash, the most is ${max}`,
    );
  }
  if (rest === "." || rest === "..") {
    throw new TypeError(
      `Invalid argument "name" to ${syscall}: "${text}" names a directory`,
    );
  }
  return [c, `${dir}${rest}`];
}

/**
 * Checks a `mode` option that is `"r"` or `"rw"` (mappings, POSIX shared
 * memory).
 *
 * @param value what the caller passed
 * @param fallback the mode when none is given
 * @param where the method, for the error
 * @returns `"r"` or `"rw"`
 * @throws {TypeError} for anything else
 */
export function readWrite(
  value: unknown,
  fallback: "r" | "rw",
  where: string,
): "r" | "rw" {
  const mode = value ?? fallback;
  if (mode !== "r" && mode !== "rw") {
    throw new TypeError(
      `Invalid option "mode" to ${where}: expected "r" or "rw", got "${
        show(mode)
      }"`,
    );
  }
  return mode;
}

/**
 * Checks the `ifExists` option of the `create` methods.
 *
 * @param value what the caller passed
 * @param where the method, for the error
 * @returns `"fail"` (the default) or `"open"`
 * @throws {TypeError} for anything else
 */
export function ifExists(value: unknown, where: string): "fail" | "open" {
  if (value === undefined) return "fail";
  if (value !== "fail" && value !== "open") {
    throw new TypeError(
      `Invalid option "ifExists" to ${where}: expected "fail" or "open", got "${
        show(value)
      }"`,
    );
  }
  return value;
}

/**
 * Checks a file descriptor: a non-negative 32-bit integer. The common case
 * costs one comparison (it is on the hot path of every read and write).
 *
 * @param value what the caller passed
 * @param syscall the call it is for
 * @param argument the argument's C name (`"fd"`, `"sockfd"`)
 * @returns the descriptor (`-0` as 0)
 * @throws {TypeError} if it is not an integer
 * @throws {RangeError} if it is negative
 */
export function descriptor(
  value: number,
  syscall: string,
  argument: string,
): number {
  if ((value | 0) !== value || value < 0) {
    if ((value as unknown) instanceof Deno.FsFile) {
      throw new TypeError(
        `Invalid argument "${argument}" to ${syscall}: expected a descriptor number, got a Deno.FsFile, whose number Deno does not give: open the file with open() from this library${
          /lock/i.test(syscall)
            ? " (or lock a whole file with Deno.FsFile.lock)"
            : ""
        }`,
      );
    }
    int(value, syscall, argument, 0, LIMITS.INT_MAX);
  }
  return value + 0; // -0 is 0 to C (FFI would refuse it)
}

/**
 * Checks that a buffer argument is a `Uint8Array`.
 *
 * @param value what the caller passed
 * @param syscall the call it is for
 * @param argument the argument's C name (`"buf"`)
 * @returns the buffer
 * @throws {TypeError} otherwise
 */
export function bytes(
  value: unknown,
  syscall: string,
  argument: string,
): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return notBytes(value, syscall, argument);
}

/**
 * Checks that `value` is a `Uint8Array` or a string, and gives its bytes
 * (a string as UTF-8).
 *
 * @param value what the caller passed
 * @param syscall the call or method, for messages
 * @param argument the argument's name, for messages
 * @returns the bytes
 * @throws {TypeError} for anything else, or a string with a lone surrogate
 *   (it has no UTF-8 form)
 */
export function bytesOrText(
  value: unknown,
  syscall: string,
  argument: string,
): Uint8Array {
  if (typeof value === "string") return encodeText(value, syscall, argument);
  if (value instanceof Uint8Array) return value;
  throw new TypeError(
    `Invalid argument "${argument}" to ${syscall}: expected a Uint8Array or a string, got "${
      show(value)
    }"`,
  );
}

/** The error of a {@linkcode bytes} check that failed, thrown. */
function notBytes(value: unknown, syscall: string, argument: string): never {
  throw new TypeError(
    `Invalid argument "${argument}" to ${syscall}: expected a Uint8Array, got "${
      show(value)
    }"`,
  );
}
