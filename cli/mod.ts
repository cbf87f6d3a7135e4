/**
 * `ipc`: look at and clean up the IPC objects of the machine, System V and
 * POSIX alike, and who uses them; what `ipcs`, `lsipc`, `ipcmk` and `ipcrm`
 * do for System V objects, for every kind this library makes.
 *
 * ```sh
 * deno run -A jsr:@linux-ipc/ipc/cli ls            # everything, as a table
 * deno run -A jsr:@linux-ipc/ipc/cli ls --kind shm,pshm --json
 * deno run -A jsr:@linux-ipc/ipc/cli mk shm --size 4096 --mode 640
 * deno run -A jsr:@linux-ipc/ipc/cli stat shm:32769
 * deno run -A jsr:@linux-ipc/ipc/cli rm --dry-run 0x1234 /my-queue
 * ```
 *
 * Commands:
 * - `ls [--kind K,...] [--owner USER|UID] [--key KEY] [--json]`: every
 *   System V segment, semaphore set and message queue (through the
 *   kernel's `*_STAT_ANY` calls), POSIX shared memory and named semaphores
 *   (`/dev/shm`), POSIX message queues with their attributes
 *   (`/dev/mqueue`) and listening Unix sockets (`/proc/net/unix`; abstract
 *   names start with `@`), with the processes that have each attached,
 *   mapped or open (`/proc/PID/maps`, `/proc/PID/fd`; glibc maps a named
 *   semaphore under a temporary name, so files are matched by inode).
 * - `stat TARGET [--kind K] [--json]`: one object in full.
 * - `rm TARGET... [--kind K] [--dry-run] [--json]`: removes (`IPC_RMID`,
 *   `*_unlink`); with `--dry-run`, says what it would remove.
 * - `mk KIND [--key KEY] [--name /NAME] [--size N] [--count N] [--value N]
 *   [--maxmsg N] [--msgsize N] [--mode OCTAL] [--json]`: makes an object
 *   and prints it. A System V set is initialised (every semaphore to
 *   `--value`, default 0), as `SemaphoreSet.create` does.
 * - `watch [--kind K,...] [--interval MS]`: a live view in the terminal,
 *   redrawn every `MS` milliseconds (default 1000, at least 100): objects
 *   appear (`+`), change (`*`) and disappear (`-`); `q` or Ctrl-C ends it.
 *
 * A TARGET is a System V id or key (`32769`, `0x1234`; a key is written in
 * hex), or a name (`/name`, a socket's path, `@abstract`), optionally after
 * its kind (`shm:32769`, `mq:/jobs`). A target that matches objects of
 * several kinds needs the kind, or `--kind`. A POSIX name's byte that is
 * not UTF-8, and a control character, shows as `\xNN` (in `--json`, as the
 * lone surrogate U+DC80 to U+DCFF the library decodes such a byte to); the
 * text shown names the object as a target.
 *
 * Exit codes: 0 done; 1 an object could not be found or handled; 2 a usage
 * error; 3 a missing permission (the message names the flag). Deno grants
 * reading `/proc` and `/dev/shm` only to `--allow-all` (`-A`), so the tool
 * asks for it.
 *
 * @example Listing from a program
 * ```ts ignore
 * import { main } from "@linux-ipc/ipc/cli";
 * const code = await main(["ls", "--kind", "shm", "--json"]);
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  close,
  ftruncate,
  IPC_CREAT,
  IPC_EXCL,
  IPC_PRIVATE,
  IpcError,
  mq_close,
  mq_open,
  msgget,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  sem_close,
  sem_open,
  SEM_VALUE_MAX,
  SemaphoreSet,
  SEMVMX,
  shm_open,
  shmget,
} from "../mod.ts";

/** C's `INT_MAX`: the most a count or a queue's sizes can be. */
const INT_MAX = 2 ** 31 - 1;
import {
  checkRemovable,
  type IpcObject,
  type Kind,
  KINDS,
  listObjects,
  mqueueMounted,
  removeObject,
  userExists,
} from "./objects.ts";
import { describe, keyText, nameText, table } from "./format.ts";

export { KINDS, listObjects, mqueueMounted, removeObject } from "./objects.ts";
export type { Holder, IpcObject, Kind } from "./objects.ts";

/** Exit code: an object could not be found or handled. */
export const EXIT_FAILED = 1;
/** Exit code: the command line is wrong. */
export const EXIT_USAGE = 2;
/** Exit code: a Deno permission is missing. */
export const EXIT_PERMISSION = 3;

const USAGE = `Usage: ipc <command> [options]

  ls     [--kind K,...] [--owner USER|UID] [--key KEY] [--json]
  stat   TARGET [--kind K] [--json]
  rm     TARGET... [--kind K] [--dry-run] [--json]
  mk     KIND [--key KEY] [--name /NAME] [--size N] [--count N] [--value N]
         [--maxmsg N] [--msgsize N] [--mode OCTAL] [--json]
  watch  [--kind K,...] [--interval MS]

Kinds: ${KINDS.join(", ")}
Targets: an id, a key (0x...), /name, a socket path, @abstract,
         each optionally after its kind: shm:ID, mq:/NAME, sem:0xKEY`;

/** A failure with the exit code it ends the command with. */
class Exit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/**
 * Runs one `ipc` command line, printing to stdout (results) and stderr
 * (errors).
 *
 * @param args the arguments after the program's name
 * @returns the exit code (0 done, 1 failed, 2 usage, 3 permission)
 * @example
 * ```ts ignore
 * import { main } from "@linux-ipc/ipc/cli";
 * Deno.exit(await main(["ls"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    const [command, ...rest] = args;
    switch (command) {
      case "ls":
        return ls(rest);
      case "stat":
        return stat(rest);
      case "rm":
        return rm(rest);
      case "mk":
        return mk(rest);
      case "watch":
        return await watch(rest);
      case undefined:
      case "help":
      case "-h":
      case "--help":
        console.log(USAGE);
        return command === undefined ? EXIT_USAGE : 0;
      default:
        throw new Exit(EXIT_USAGE, `Unknown command "${command}"\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof Exit) {
      console.error(`ipc: ${e.message}`);
      return e.code;
    }
    if (e instanceof Deno.errors.NotCapable) {
      console.error(
        `ipc: ${
          e.message.split(",")[0]
        }: run with --allow-all (-A); Deno grants /proc and /dev/shm only to it`,
      );
      return EXIT_PERMISSION;
    }
    if (e instanceof IpcError || e instanceof Deno.errors.NotFound) {
      console.error(`ipc: ${e.message}`);
      return EXIT_FAILED;
    }
    if (e instanceof TypeError || e instanceof RangeError) {
      console.error(`ipc: ${e.message}`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

function parse<
  const T extends Record<string, { type: "string" | "boolean" }>,
>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new Exit(EXIT_USAGE, `${(e as Error).message}\n${USAGE}`);
  }
}

/** Checks the permissions the reading commands need, naming the flag. */
function needAll(): void {
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    throw new Exit(
      EXIT_PERMISSION,
      "Requires --allow-ffi for the kernel's calls; run with --allow-all (-A), as /proc and /dev/shm need it too",
    );
  }
  Deno.readTextFileSync("/proc/self/comm"); // NotCapable without -A
}

function kindsOf(text: string | undefined): Kind[] {
  if (text === undefined) return [...KINDS];
  const kinds = text.split(",").map((k) => k.trim());
  for (const k of kinds) {
    if (!(KINDS as readonly string[]).includes(k)) {
      throw new Exit(
        EXIT_USAGE,
        `Unknown kind "${k}": expected one of ${KINDS.join(", ")}`,
      );
    }
  }
  return kinds as Kind[];
}

/** A key as `ipcs` writes it (`0x0000abcd`), or a decimal number. */
function keyOf(text: string): number {
  const n = /^0x[0-9a-f]{1,8}$/i.test(text)
    ? parseInt(text, 16) | 0
    : /^-?\d+$/.test(text)
    ? Number(text)
    : NaN;
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 32) {
    throw new Exit(
      EXIT_USAGE,
      `Invalid key "${text}": expected 0x... or a number`,
    );
  }
  return n | 0;
}

/**
 * Refuses what a command that takes no target was given besides its
 * options (a mistyped option, or a target meant for `stat`).
 */
function noTargets(
  command: string,
  positionals: string[],
  filters: string,
): void {
  if (positionals.length > 0) {
    throw new Exit(
      EXIT_USAGE,
      `${command} takes no target, got "${
        positionals[0]
      }" (filter with ${filters})\n${USAGE}`,
    );
  }
}

function ls(args: string[]): number {
  const { values, positionals } = parse(args, {
    kind: { type: "string" },
    owner: { type: "string" },
    key: { type: "string" },
    json: { type: "boolean" },
  });
  noTargets("ls", positionals, "--kind, --owner or --key");
  needAll();
  const kinds = kindsOf(values.kind);
  let objects = listObjects(kinds);
  if (kinds.includes("mq") && !mqueueMounted()) {
    console.error(
      "ipc: POSIX message queues are not listed: the mqueue file system is not mounted at /dev/mqueue (as root: mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue)",
    );
  }
  if (values.owner !== undefined) {
    const owner = values.owner;
    if (!/^\d+$/.test(owner) && !userExists(owner)) {
      throw new Exit(EXIT_USAGE, `Unknown user "${owner}"`);
    }
    objects = objects.filter((o) =>
      /^\d+$/.test(owner) ? o.uid === Number(owner) : o.user === owner
    );
  }
  if (values.key !== undefined) {
    const key = keyOf(values.key);
    objects = objects.filter((o) => o.key === key);
  }
  if (values.json) console.log(JSON.stringify(objects, null, 2));
  else console.log(table(objects));
  return 0;
}

/** The objects a target names (see the module doc). */
function resolve(
  target: string,
  kind: string | undefined,
  objects: IpcObject[],
): IpcObject[] {
  let kinds = kindsOf(kind);
  // A kind before the target (`shm:32769`, `mq:/jobs`, `sem:0x1234`)
  // narrows it as --kind does.
  let rest = target;
  const prefix = /^([a-z]+):(.+)$/.exec(target);
  if (prefix && (KINDS as readonly string[]).includes(prefix[1])) {
    kinds = kinds.filter((k) => k === prefix[1]);
    rest = prefix[2];
  }
  let found: IpcObject[];
  if (/^0x[0-9a-f]+$/i.test(rest)) {
    const key = keyOf(rest);
    found = objects.filter((o) => o.key === key && key !== 0);
  } else if (/^\d+$/.test(rest)) {
    found = objects.filter((o) => o.id === Number(rest));
  } else {
    // As given, or as the table shows it (a byte that is not UTF-8 as
    // \xNN: see nameText).
    found = objects.filter((o) =>
      o.name !== undefined && (o.name === rest || nameText(o.name) === rest)
    );
  }
  found = found.filter((o) => kinds.includes(o.kind));
  if (found.length === 0) {
    throw new Exit(EXIT_FAILED, `No object matches "${target}"`);
  }
  if (found.length > 1) {
    throw new Exit(
      EXIT_USAGE,
      `"${target}" matches ${found.length} objects (${
        found.map((o) => o.kind).join(", ")
      }): say which with --kind, or as ${found[0].kind}:${rest}`,
    );
  }
  return found;
}

function stat(args: string[]): number {
  const { values, positionals } = parse(args, {
    kind: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length !== 1) {
    throw new Exit(EXIT_USAGE, `stat takes one target\n${USAGE}`);
  }
  needAll();
  // Only the kinds the target may be (resolve keeps no others).
  const [o] = resolve(
    positionals[0],
    values.kind,
    listObjects(kindsOf(values.kind)),
  );
  console.log(values.json ? JSON.stringify(o, null, 2) : describe(o));
  return 0;
}

function rm(args: string[]): number {
  const { values, positionals } = parse(args, {
    kind: { type: "string" },
    "dry-run": { type: "boolean" },
    json: { type: "boolean" },
  });
  if (positionals.length === 0) {
    throw new Exit(EXIT_USAGE, `rm takes at least one target\n${USAGE}`);
  }
  needAll();
  const objects = listObjects(kindsOf(values.kind));
  let code = 0;
  const done: { target: string; object?: IpcObject; error?: string }[] = [];
  for (const target of positionals) {
    try {
      const [o] = resolve(target, values.kind, objects);
      if (values["dry-run"]) checkRemovable(o);
      else removeObject(o);
      done.push({ target, object: o });
      if (!values.json) {
        console.log(
          `${values["dry-run"] ? "would remove" : "removed"} ${label(o)}`,
        );
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      done.push({ target, error: message });
      if (!values.json) console.error(`ipc: ${message}`);
      code = Math.max(code, e instanceof Exit ? e.code : EXIT_FAILED);
    }
  }
  if (values.json) console.log(JSON.stringify(done, null, 2));
  return code;
}

function label(o: IpcObject): string {
  return o.id !== undefined
    ? `${o.kind} ${o.id} (key ${keyText(o.key)})`
    : `${o.kind} ${nameText(o.name ?? "-")}`;
}

function number(
  text: string | undefined,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER
      ? `, ${min} or more`
      : ` from ${min} to ${max}`;
    throw new Exit(
      EXIT_USAGE,
      `Invalid --${name} "${text}": expected a whole number${range}`,
    );
  }
  return n;
}

/** The options `mk` takes for each kind, besides `--mode` and `--json`. */
const MK_OPTIONS: Record<Kind, string[]> = {
  shm: ["key", "size"],
  sem: ["key", "count", "value"],
  msg: ["key"],
  pshm: ["name", "size"],
  psem: ["name", "value"],
  mq: ["name", "maxmsg", "msgsize"],
  socket: [],
};

function mk(args: string[]): number {
  const { values, positionals } = parse(args, {
    key: { type: "string" },
    name: { type: "string" },
    size: { type: "string" },
    count: { type: "string" },
    value: { type: "string" },
    maxmsg: { type: "string" },
    msgsize: { type: "string" },
    mode: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length !== 1) {
    throw new Exit(EXIT_USAGE, `mk takes one kind\n${USAGE}`);
  }
  const [kind] = kindsOf(positionals[0]);
  if (kind === "socket") {
    throw new Exit(
      EXIT_USAGE,
      "mk makes no sockets: a listening socket lives as long as its process",
    );
  }
  const given = Object.keys(values).filter((k) =>
    k !== "json" && k !== "mode" &&
    values[k as keyof typeof values] !== undefined
  );
  const takes = MK_OPTIONS[kind];
  const stray = given.filter((k) => !takes.includes(k));
  if (stray.length > 0) {
    throw new Exit(
      EXIT_USAGE,
      `mk ${kind} takes no --${stray[0]}${
        takes.length > 0 ? ` (it takes --${takes.join(", --")}, --mode)` : ""
      }`,
    );
  }
  const modeText = values.mode ?? "600";
  if (!/^0?[0-7]{1,3}$/.test(modeText)) {
    throw new Exit(
      EXIT_USAGE,
      `Invalid --mode "${modeText}": expected octal, as 640`,
    );
  }
  const mode = parseInt(modeText, 8);
  const key = values.key === undefined ? IPC_PRIVATE : keyOf(values.key);
  const flags = IPC_CREAT | IPC_EXCL | mode;
  const posix = kind === "pshm" || kind === "psem" || kind === "mq";
  if (posix && values.name === undefined) {
    throw new Exit(EXIT_USAGE, `mk ${kind} needs --name /NAME`);
  }
  needAll();
  let made: { kind: Kind; id?: number; name?: string };
  switch (kind) {
    case "shm":
      made = {
        kind,
        // SHMMIN is 1: a size of 0 is refused here, not by shmget.
        id: shmget(key, number(values.size, "size", 4096, 1), flags),
      };
      break;
    case "sem": {
      // Initialised as the library's sets are (a semop has run), so a
      // program that waits for its creator to finish finds it ready.
      const set = SemaphoreSet.create({
        key,
        count: number(values.count, "count", 1, 1, INT_MAX),
        initial: number(values.value, "value", 0, 0, SEMVMX),
        mode,
        removeOnDispose: false,
      });
      set.close();
      made = { kind, id: set.id };
      break;
    }
    case "msg":
      made = { kind, id: msgget(key, flags) };
      break;
    case "pshm": {
      // Read before the object is made: a bad size must not leave one.
      const size = number(values.size, "size", 4096);
      const fd = shm_open(values.name!, O_CREAT | O_EXCL | O_RDWR, mode);
      try {
        ftruncate(fd, size);
      } finally {
        close(fd);
      }
      made = { kind, name: values.name };
      break;
    }
    case "psem":
      sem_close(
        sem_open(
          values.name!,
          O_CREAT | O_EXCL,
          mode,
          number(values.value, "value", 0, 0, SEM_VALUE_MAX),
        ),
      );
      made = { kind, name: values.name };
      break;
    case "mq": {
      const attr = values.maxmsg !== undefined || values.msgsize !== undefined
        ? {
          maxmsg: number(values.maxmsg, "maxmsg", 10, 1, INT_MAX),
          msgsize: number(values.msgsize, "msgsize", 8192, 1, INT_MAX),
        }
        : undefined;
      mq_close(mq_open(values.name!, O_CREAT | O_EXCL | O_RDONLY, mode, attr));
      made = { kind, name: values.name };
      break;
    }
    default:
      throw new Exit(EXIT_USAGE, `mk makes no ${kind}`);
  }
  const o = listObjects([made.kind]).find((x) =>
    made.id !== undefined ? x.id === made.id : x.name === made.name
  );
  if (values.json) console.log(JSON.stringify(o ?? made, null, 2));
  else console.log(`made ${o === undefined ? made.kind : label(o)}`);
  return 0;
}

/** The shortest pause between two screens of `watch`, as `watch(1)`'s. */
const WATCH_MIN_MS = 100;
/** The longest a timer can wait. */
const TIMER_MAX_MS = 2 ** 31 - 1;

/** A line per object, with what changed, until `q` or Ctrl-C. */
async function watch(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    kind: { type: "string" },
    interval: { type: "string" },
  });
  noTargets("watch", positionals, "--kind");
  const kinds = kindsOf(values.kind);
  const interval = number(values.interval, "interval", 1000);
  // Each turn reads every process's descriptors and maps: 0 would do it
  // without pause, a CPU's worth; a timer cannot wait longer than
  // 2^31 - 1 ms (it would fire at once, as 0).
  if (interval < WATCH_MIN_MS || interval > TIMER_MAX_MS) {
    throw new Exit(
      EXIT_USAGE,
      `Invalid --interval "${interval}": expected ${WATCH_MIN_MS} to ${TIMER_MAX_MS} ms`,
    );
  }
  needAll();
  const keyOfObject = (o: IpcObject) => `${o.kind}:${o.id ?? o.name}`;
  let before = new Map<string, string>();
  let gone = new Map<string, IpcObject>();
  let stop = false;
  const ac = new AbortController();
  const onSignal = () => {
    stop = true;
    ac.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  let raw = false;
  if (Deno.stdin.isTerminal()) {
    Deno.stdin.setRaw(true);
    raw = true;
    (async () => {
      const b = new Uint8Array(16);
      for (;;) {
        const n = await Deno.stdin.read(b);
        if (n === null || b.subarray(0, n).some((c) => c === 113 || c === 3)) {
          onSignal();
          return;
        }
      }
    })();
  }
  try {
    let first = true;
    while (!stop) {
      const objects = listObjects(kinds);
      const now = new Map(objects.map((o) => [keyOfObject(o), o]));
      // What an object is, times aside: a change of it is marked.
      const texts = new Map(
        objects.map((o) => [
          keyOfObject(o),
          JSON.stringify({ ...o, times: undefined }),
        ]),
      );
      const marks = new Map<string, string>();
      for (const [k, text] of texts) {
        if (!before.has(k)) marks.set(k, first ? " " : "+");
        else if (before.get(k) !== text) marks.set(k, "*");
        else marks.set(k, " ");
      }
      const vanished = [...before.keys()].filter((k) => !now.has(k));
      const shown = [
        ...objects,
        ...vanished.map((k) => gone.get(k)!).filter((o) => o !== undefined),
      ];
      for (const k of vanished) marks.set(k, "-");
      const screen = table(shown, (o) => marks.get(keyOfObject(o)) ?? " ");
      const stamp = new Date().toLocaleTimeString();
      // Clear the screen and home the cursor; in raw mode lines need \r.
      const text = `\x1b[H\x1b[2JEvery ${interval} ms, ${stamp} ` +
        `(+ new, * changed, - gone; q quits)\n\n${screen}\n`;
      await Deno.stdout.write(
        new TextEncoder().encode(raw ? text.replaceAll("\n", "\r\n") : text),
      );
      before = texts;
      gone = now;
      first = false;
      // One listener at a time: one added per turn and never removed
      // would pile up for as long as the view runs.
      // (Ctrl-C or q may have come while the screen was written.)
      if (ac.signal.aborted) break;
      await new Promise<void>((r) => {
        const onAbort = () => {
          clearTimeout(t);
          r();
        };
        const t = setTimeout(() => {
          ac.signal.removeEventListener("abort", onAbort);
          r();
        }, interval);
        ac.signal.addEventListener("abort", onAbort, { once: true });
      });
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    if (raw) Deno.stdin.setRaw(false);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
