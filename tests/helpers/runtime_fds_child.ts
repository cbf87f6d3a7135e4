/**
 * The child of the test "Deno's own event loop descriptors are refused"
 * (`tests/ffi_test.ts`), run with `--allow-all` (only that lets Deno read
 * `/proc/self/fd`): starts the library's async engine and a Worker (whose
 * event loop is another epoll instance and eventfd), then tries `close`,
 * `PipeEnd.fromFd`, `EventFd.fromFd` and `new OwnedFd` on every epoll instance and
 * eventfd of the process. Prints one line per refusal (`refused FD CALL:
 * MESSAGE`) and per descriptor taken (`took FD CALL`), then, if the event
 * loop still works, `alive`. The caller's own eventfd must be taken and
 * closed as any other.
 *
 * @module
 */

import {
  close,
  EventFd,
  eventfd,
  OwnedFd,
  PipeEnd,
  UnixConnection,
} from "../../mod.ts";

// The engine's reactor starts with a read that has to wait.
const [a, b] = UnixConnection.pair();
const read = b.read(new Uint8Array(1));
setTimeout(() => a.writeSync(new Uint8Array([1])), 20);
await read;
// A Worker's own event loop.
const worker = new Worker(
  URL.createObjectURL(
    new Blob(["self.postMessage('up');"], { type: "text/javascript" }),
  ),
  { type: "module" },
);
await new Promise((r) => worker.onmessage = r);
const mine = eventfd();

const anonymous = (fd: number) => {
  try {
    return /^anon_inode:\[?(eventpoll|eventfd)\]?$/.exec(
      Deno.readLinkSync(`/proc/self/fd/${fd}`),
    )?.[1];
  } catch {
    return undefined;
  }
};
const fds = [...Deno.readDirSync("/proc/self/fd")]
  .map((e) => Number(e.name))
  .filter((fd) => fd !== mine && anonymous(fd) !== undefined)
  .sort((x, y) => x - y);
console.log(
  `candidates ${fds.map((fd) => `${fd}:${anonymous(fd)}`).join(" ")}`,
);
for (const fd of fds) {
  for (
    const [name, call] of [
      ["close", () => close(fd)],
      ["PipeEnd.fromFd", () => PipeEnd.fromFd(fd)],
      ["EventFd.fromFd", () => EventFd.fromFd(fd)],
      ["OwnedFd", () => new OwnedFd(fd, "stray number")],
    ] as const
  ) {
    try {
      call();
      console.log(`took ${fd} ${name}`);
    } catch (e) {
      console.log(`refused ${fd} ${name}: ${e}`);
    }
  }
}
// The caller's own eventfd is the caller's.
using own = EventFd.fromFd(eventfd());
own.writeSync(1n);
close(mine);
worker.terminate();
// Still working: a timer, and a read through the engine.
await new Promise((r) => setTimeout(r, 20));
const again = b.read(new Uint8Array(1));
setTimeout(() => a.writeSync(new Uint8Array([2])), 20);
await again;
a.close();
b.close();
console.log(`alive ${own.readSync()}`);
