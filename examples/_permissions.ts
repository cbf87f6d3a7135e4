/**
 * Shared by the examples: check permissions first and, if any is missing,
 * print the exact command line that grants them instead of a stack trace;
 * read numeric arguments strictly (`integer`, `number`, `octal`), so that a
 * typo is reported with what was typed instead of running on `NaN`; and end
 * with a one-line message, not a stack trace, when the library rejects an
 * argument or a call fails.
 *
 * @module
 */

import { IpcError } from "../mod.ts";

/** A permission an example needs, and the flag that grants it. */
export interface Needed {
  /** What to query. */
  descriptor: Deno.PermissionDescriptor;
  /** The `deno run` flag that grants it, such as `--allow-ffi`. */
  flag: string;
}

/** `--allow-ffi`, which every example needs. */
export const FFI: Needed = { descriptor: { name: "ffi" }, flag: "--allow-ffi" };

/** `--allow-run`, for examples that start child processes. */
export const RUN: Needed = { descriptor: { name: "run" }, flag: "--allow-run" };

/** `--allow-env`, which starting a child with inherited descriptors needs. */
export const ENV: Needed = { descriptor: { name: "env" }, flag: "--allow-env" };

/**
 * Prints the usage line and exits with status 0 for `--help` or `-h` (before
 * any `--`), whatever the permissions; exits with status 2 and a usage line
 * if a permission is missing; and names the program and its usage for the
 * one-line messages of errors the example does not catch.
 *
 * @param script the example's path from the project root
 * @param needed the permissions it needs
 * @param usage the arguments it takes, for the printed command
 * @param task the `deno task` name that runs it
 */
export function requirePermissions(
  script: string,
  needed: Needed[],
  usage = "",
  task?: string,
): void {
  shown.program = task ?? script.replace(/^.*\/|\.ts$/g, "");
  shown.usage = usage;
  const own = Deno.args.indexOf("--");
  const options = own === -1 ? Deno.args : Deno.args.slice(0, own);
  if (options.includes("--help") || options.includes("-h")) {
    const flags = needed.map((n) => n.flag).join(" ");
    const args = usage ? ` ${usage}` : "";
    console.log(
      `Usage: ${shown.program}${args}\n\n  deno run ${flags} ${script}${args}` +
        (task ? `\n  deno task ${task}${args}` : ""),
    );
    Deno.exit(0);
  }
  const missing = needed.filter((n) =>
    Deno.permissions.querySync(n.descriptor).state !== "granted"
  );
  if (missing.length === 0) return;
  const flags = needed.map((n) => n.flag).join(" ");
  const args = usage ? ` ${usage}` : "";
  console.error(
    `This example needs ${
      missing.map((n) => n.flag).join(" ")
    }. Run it as:\n\n  deno run ${flags} ${script}${args}\n` +
      (task ? `\nor: deno task ${task}${args}\n` : ""),
  );
  Deno.exit(2);
}

/**
 * Reads a command-line argument as an integer, written as `Number` reads
 * one (`42`, `-1`, `0x1f`).
 *
 * @param text the argument as typed
 * @param name what the usage line calls it (`ID`, `--count`)
 * @param min the least it may be, if there is one
 * @returns the integer
 * @throws {TypeError} for anything else (the example then prints the
 *   message and its usage line)
 */
export function integer(text: string, name: string, min?: number): number {
  const n = text.trim() === "" ? NaN : Number(text);
  if (!Number.isSafeInteger(n) || (min !== undefined && n < min)) {
    throw new TypeError(
      `Invalid argument "${name}": expected an integer${
        min === undefined ? "" : ` of ${min} or more`
      }, got "${text}"`,
    );
  }
  return n;
}

/**
 * Reads a command-line argument as a number of at least 0 (`0.5`, `200`):
 * a duration.
 *
 * @param text the argument as typed
 * @param name what the usage line calls it (`--interval`)
 * @param max the largest allowed (a timer's pause: 2^31 - 1 ms, past which
 *   it would fire at once)
 * @returns the number
 * @throws {TypeError} for anything else
 */
export function number(
  text: string,
  name: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = text.trim() === "" ? NaN : Number(text);
  if (!(Number.isFinite(n) && n >= 0 && n <= max)) {
    throw new TypeError(
      `Invalid argument "${name}": expected a number from 0 to ${max}, got "${text}"`,
    );
  }
  return n;
}

/** The longest pause of a timer, in ms. */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/**
 * Reads a command-line argument as a pause in milliseconds that a timer
 * can keep (see {@linkcode number}).
 *
 * @param text the argument as typed
 * @param name what the usage line calls it (`--interval`)
 * @returns the number of milliseconds
 * @throws {TypeError} for anything else
 */
export function pauseMs(text: string, name: string): number {
  return number(text, name, TIMER_MAX_MS);
}

/**
 * Reads a command-line argument as an octal permission mode (`600`, `0644`).
 *
 * @param text the argument as typed
 * @param name what the usage line calls it (`--mode`)
 * @returns the mode
 * @throws {TypeError} for anything else
 */
export function octal(text: string, name: string): number {
  if (!/^0?[0-7]{1,4}$/.test(text)) {
    throw new TypeError(
      `Invalid argument "${name}": expected an octal mode such as 0600, got "${text}"`,
    );
  }
  return parseInt(text, 8);
}

/**
 * The file the article's key is made from: `ftok(PATH, 903)`. The article
 * uses `/etc/hostname`; `--key-path=PATH` picks another file, so that two
 * runs (of the test suite, say) on one machine do not share one segment.
 *
 * @returns the path, and the arguments without the option
 */
export function keyPath(): { path: string; args: string[] } {
  const option = Deno.args.find((a) => a.startsWith("--key-path="));
  return {
    path: option?.slice("--key-path=".length) ?? "/etc/hostname",
    args: Deno.args.filter((a) => a !== option),
  };
}

/**
 * `--allow-read` for the key's file.
 *
 * @param path the file `ftok` reads
 * @returns the permission
 */
export function readKeyFile(path: string): Needed {
  return {
    descriptor: { name: "read", path },
    flag: `--allow-read=${path}`,
  };
}

/** `--allow-read` for POSIX shared memory and named semaphores (`/dev/shm`). */
export const SHM_READ: Needed = {
  descriptor: { name: "read", path: "/dev/shm" },
  flag: "--allow-read=/dev/shm",
};

/** `--allow-write` for POSIX shared memory and named semaphores (`/dev/shm`). */
export const SHM_WRITE: Needed = {
  descriptor: { name: "write", path: "/dev/shm" },
  flag: "--allow-write=/dev/shm",
};

/**
 * Whether an error is a bad argument from the user: the library's check of
 * an argument or option (a `TypeError` or `RangeError` that names it), or
 * `parseArgs`'s for an unknown or malformed option.
 */
function isUsageError(e: unknown): e is Error {
  if (!(e instanceof TypeError || e instanceof RangeError)) return false;
  const code = (e as { code?: unknown }).code;
  return (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) ||
    /^(Invalid (argument|option)s?\b|Argument "|Option ")/.test(e.message);
}

/** What the one-line messages name: the program and its arguments. */
const shown = {
  program: Deno.mainModule.replace(/^.*\/|\.ts$/g, ""),
  usage: undefined as string | undefined,
};

/**
 * Ends the example, when an error reaches the top, with its message instead
 * of a stack trace: an `IpcError` with status 1, a bad argument with the
 * usage line and status 2. Anything else (a bug) keeps its stack trace.
 * Set up as soon as an example imports this module, so that it covers the
 * example's `parseArgs`.
 */
function handle(error: unknown, event: Event): void {
  const { program, usage } = shown;
  if (error instanceof IpcError) {
    event.preventDefault();
    console.error(`${program}: ${error.message}`);
    Deno.exit(1);
  }
  if (isUsageError(error)) {
    event.preventDefault();
    console.error(
      `${program}: ${error.message}` +
        (usage === undefined ? "" : `\nUsage: ${program} ${usage}`),
    );
    Deno.exit(2);
  }
}
addEventListener("error", (e) => handle(e.error, e));
addEventListener("unhandledrejection", (e) => handle(e.reason, e));
