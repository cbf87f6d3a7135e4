/**
 * eventfd across processes: the parent makes an eventfd and hands it to a
 * child as its fd 3; the child does some work in three steps and signals
 * each one by adding to the counter; the parent waits on the counter
 * (asynchronously: its event loop stays free meanwhile) and prints what it
 * took. A final write of 100 tells the parent the child is done.
 *
 * Run: deno run --allow-ffi --allow-run --allow-env examples/eventfd.ts [--interval MS]
 *      (or: deno task eventfd)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ENV, FFI, pauseMs, requirePermissions, RUN } from "./_permissions.ts";
import { EventFd, spawnWithFds } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    help: { type: "boolean", short: "h" }, // printed by requirePermissions
    child: { type: "boolean", default: false },
    interval: { type: "string", default: "300" },
  },
});
if (values.child) {
  // The child: fd 3 is the parent's eventfd.
  const interval = pauseMs(values.interval, "--interval");
  using ev = EventFd.fromFd(3);
  for (let step = 1; step <= 3; step++) {
    await new Promise((r) => setTimeout(r, interval));
    console.log(`child  (pid ${Deno.pid}): step ${step} done, adding 1`);
    await ev.write(1n);
  }
  await ev.write(100n);
  Deno.exit(0);
}

requirePermissions(
  "examples/eventfd.ts",
  [FFI, RUN, ENV],
  "[--interval MS]",
  "eventfd",
);
const interval = pauseMs(values.interval, "--interval");

using ev = EventFd.create();
console.log(`parent (pid ${Deno.pid}): made eventfd ${ev.fd}, counter 0`);
const child = spawnWithFds(Deno.execPath(), {
  args: [
    "run",
    "--allow-ffi",
    import.meta.filename ?? "",
    "--child",
    `--interval=${interval}`,
  ],
  fds: { 3: ev.fd },
});
let ticks = 0;
const ticker = setInterval(() => ticks++, 10);
let total = 0n;
while (total < 100n) {
  const n = await ev.read({ timeout: 30_000 });
  total += n;
  console.log(
    `parent: read ${n} (total ${total}); the event loop ticked ${ticks} times meanwhile`,
  );
}
clearInterval(ticker);
const status = await child.status;
console.log(`parent: the child exited with code ${status.code}. Done.`);
