/**
 * ALP Listing 5.8 (dup2.c): the parent creates a pipe; the child's standard
 * input becomes the read end and it runs `sort`; the parent writes five
 * lines and waits; the sorted lines appear. The slot is set in the child
 * only: the parent never `dup2`s onto its own low descriptors.
 *
 * Run: deno run --allow-ffi --allow-run --allow-env examples/dup2.ts   (or: deno task dup2)
 *
 * @module
 */

import { ENV, FFI, requirePermissions, RUN } from "./_permissions.ts";
import { PipeEnd, spawnWithFds } from "../mod.ts";

requirePermissions(
  "examples/dup2.ts",
  [FFI, RUN, ENV],
  "",
  "dup2",
);

const [reader, writer] = PipeEnd.pipe();
// The child: connect the read end to its standard input and run sort.
const sort = spawnWithFds("sort", { fds: { 0: reader.fd } });
reader.close();
// The parent: write the lines, close, and wait for the child.
await writer.writeAll(new TextEncoder().encode(
  "This is a test.\n" +
    "Hello, world.\n" +
    "My dog has fleas.\n" +
    "This program is great.\n" +
    "One fish, two fish.\n",
));
writer.close();
await sort.status;
