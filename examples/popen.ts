/**
 * ALP Listing 5.9 (popen.c): the same five lines written to `sort`, through
 * `popen` and `pclose`.
 *
 * Run: deno run --allow-ffi --allow-run --allow-env examples/popen.ts   (or: deno task popen)
 *
 * @module
 */

import { ENV, FFI, requirePermissions, RUN } from "./_permissions.ts";
import { popen } from "../mod.ts";

requirePermissions(
  "examples/popen.ts",
  [FFI, RUN, ENV],
  "",
  "popen",
);

const stream = popen("sort", "w");
const lines = [
  "This is a test.",
  "Hello, world.",
  "My dog has fleas.",
  "This program is great.",
  "One fish, two fish.",
];
for (const line of lines) {
  await stream.pipe.writeAll(new TextEncoder().encode(`${line}\n`));
}
const status = await stream.pclose();
Deno.exit(status);
