/**
 * ALP Listing 5.7 (pipe.c): the parent creates a pipe and a child; the
 * parent writes "Hello, world." five times, one second apart; the child
 * reads lines and prints them as they arrive. The child is a spawned Deno
 * process that gets the read end as its fd 3 (Deno cannot fork).
 *
 * Run: deno run --allow-ffi --allow-run --allow-env examples/pipe.ts [--interval MS]
 *      (or: deno task pipe)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ENV, FFI, pauseMs, requirePermissions, RUN } from "./_permissions.ts";
import { PipeEnd, spawnWithFds } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    help: { type: "boolean", short: "h" }, // printed by requirePermissions
    child: { type: "boolean", default: false },
    interval: { type: "string", default: "1000" },
  },
});
if (values.child) {
  // The child: read from fd 3 and print each line as it arrives.
  using stream = PipeEnd.fromFd(3);
  const lines = stream.readable.pipeThrough(new TextDecoderStream());
  let pending = "";
  for await (const text of lines) {
    pending += text;
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      console.log(`child: ${pending.slice(0, nl)}`);
      pending = pending.slice(nl + 1);
    }
  }
  Deno.exit(0);
}

requirePermissions(
  "examples/pipe.ts",
  [FFI, RUN, ENV],
  "[--interval MS]",
  "pipe",
);
const interval = pauseMs(values.interval, "--interval");

// Create a pipe. The file descriptors for the two ends go in PipeEnds.
const [reader, writer] = PipeEnd.pipe();
const child = spawnWithFds(Deno.execPath(), {
  args: ["run", "--allow-ffi", import.meta.filename ?? "", "--child"],
  fds: { 3: reader.fd },
});
// This is the parent: close our copy of the read end.
reader.close();
// Write the message five times, pausing between them.
const message = new TextEncoder().encode("Hello, world.\n");
for (let count = 5; count > 0; count--) {
  await writer.writeAll(message);
  console.log(`parent: wrote "Hello, world." (${count - 1} to go)`);
  if (count > 1) {
    await new Promise((r) => setTimeout(r, interval));
  }
}
// Close the write end: the child reads end of file and exits.
writer.close();
await child.status;
