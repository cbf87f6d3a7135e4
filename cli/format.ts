/**
 * How the `ipc` tool prints objects: a table with the columns of `lsipc`
 * and `ipcs`, and one object in full.
 *
 * @module
 */

import type { IpcObject } from "./objects.ts";

/** `rw-r-----` for 0o640. */
export function perms(mode: number): string {
  if (mode < 0) return "-";
  let s = "";
  for (let shift = 6; shift >= 0; shift -= 3) {
    const b = (mode >> shift) & 7;
    s += (b & 4 ? "r" : "-") + (b & 2 ? "w" : "-") + (b & 1 ? "x" : "-");
  }
  return s;
}

/** A key as `ipcs` writes it. */
export function keyText(key: number | undefined): string {
  return key === undefined
    ? "-"
    : `0x${(key >>> 0).toString(16).padStart(8, "0")}`;
}

function time(seconds: number | undefined): string {
  if (!seconds) return "-";
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${
    p(d.getHours())
  }:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** What the DETAIL column says for each kind. */
function detail(o: IpcObject): string {
  switch (o.kind) {
    case "shm":
      return `nattch=${o.attaches ?? 0}`;
    case "sem":
      return o.values ? `values=${o.values.join(",")}` : "";
    case "msg":
      return `msgs=${o.messages ?? 0}`;
    case "psem":
      return o.values ? `value=${o.values[0]}` : "";
    case "mq":
      return o.maxmsg === undefined
        ? ""
        : `msgs=${o.messages}/${o.maxmsg} msgsize=${o.msgsize}`;
    default:
      return "";
  }
}

function users(o: IpcObject): string {
  if (o.holders.length === 0) return "-";
  return o.holders.map((h) => `${h.pid}(${h.command})`).join(",");
}

/**
 * A name as the terminal shows it: each byte that is not UTF-8 (kept as
 * U+DC80 to U+DCFF: see `decodeName`) and each control character as
 * `\xNN`, and a backslash as `\\`, so that every name prints on one line,
 * and the text shown, given back as a target, names the object.
 *
 * @param name the name
 * @returns the text to show
 */
export function nameText(name: string): string {
  return name.replace(
    // deno-lint-ignore no-control-regex -- control characters are escaped
    /[\\\x00-\x1f\x7f\u{dc80}-\u{dcff}]/gu,
    (c) =>
      c === "\\"
        ? "\\\\"
        : `\\x${(c.charCodeAt(0) & 0xff).toString(16).padStart(2, "0")}`,
  );
}

/**
 * The objects as a table, one line each.
 *
 * @param objects what to show
 * @param mark a one-character mark before each line (the live view's)
 * @returns the lines, joined
 */
export function table(
  objects: IpcObject[],
  mark?: (o: IpcObject) => string,
): string {
  const head = [
    "KIND",
    "KEY",
    "ID",
    "NAME",
    "OWNER",
    "PERMS",
    "SIZE",
    "DETAIL",
    "CHANGED",
    "USED BY",
  ];
  const rows = objects.map((o) => [
    o.kind,
    keyText(o.key),
    o.id === undefined ? "-" : String(o.id),
    o.name === undefined ? "-" : nameText(o.name),
    o.user ?? (o.uid < 0 ? "-" : String(o.uid)),
    perms(o.mode),
    o.size < 0 ? "-" : String(o.size),
    detail(o) || "-",
    time(o.times.changed),
    users(o),
  ]);
  const width = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const right = new Set([2, 6]);
  const line = (r: string[]) =>
    r.map((c, i) =>
      i === r.length - 1
        ? c
        : right.has(i)
        ? c.padStart(width[i])
        : c.padEnd(width[i])
    ).join(" ");
  const lines = [line(head), ...rows.map(line)];
  if (mark === undefined) return lines.join("\n");
  return [
    "  " + lines[0],
    ...objects.map((o, i) => `${mark(o)} ${lines[i + 1]}`),
  ]
    .join("\n");
}

/** How {@linkcode describe} names a pid of {@linkcode IpcObject.pids}. */
const PID_LABELS: Record<string, string> = {
  creator: "creator pid",
  last: "last pid",
  lastSend: "last sender pid",
  lastReceive: "last receiver pid",
  notify: "notify pid",
};

/** The label of a pid's key: `last[2]` is the last op on semaphore 2. */
function pidLabel(key: string): string {
  const sem = key.match(/^last\[(\d+)\]$/);
  return sem ? `last pid [${sem[1]}]` : PID_LABELS[key] ?? key;
}

/**
 * One object in full, a field per line.
 *
 * @param o the object
 * @returns the lines, joined
 */
export function describe(o: IpcObject): string {
  const lines: [string, string][] = [["kind", o.kind]];
  if (o.id !== undefined) lines.push(["id", String(o.id)]);
  if (o.key !== undefined) lines.push(["key", keyText(o.key)]);
  if (o.name !== undefined) lines.push(["name", nameText(o.name)]);
  lines.push(["owner", o.user ? `${o.user} (${o.uid})` : String(o.uid)]);
  lines.push([
    "perms",
    `${perms(o.mode)} (${
      o.mode < 0 ? "-" : o.mode.toString(8).padStart(4, "0")
    })`,
  ]);
  lines.push(["size", o.size < 0 ? "-" : String(o.size)]);
  if (o.attaches !== undefined) lines.push(["attaches", String(o.attaches)]);
  if (o.values) lines.push(["values", o.values.join(", ")]);
  if (o.messages !== undefined) lines.push(["messages", String(o.messages)]);
  if (o.maxmsg !== undefined) lines.push(["maxmsg", String(o.maxmsg)]);
  if (o.msgsize !== undefined) lines.push(["msgsize", String(o.msgsize)]);
  for (const [k, v] of Object.entries(o.times)) lines.push([k, time(v)]);
  for (const [k, v] of Object.entries(o.pids)) {
    lines.push([pidLabel(k), v === 0 ? "-" : String(v)]);
  }
  lines.push([
    "used by",
    o.holders.length === 0
      ? "-"
      : o.holders.map((h) => `${h.pid} (${h.command}, ${h.how})`).join(", "),
  ]);
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}
