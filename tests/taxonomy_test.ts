// examples/taxonomy.ts: every facility's persistence, checked live, and
// nothing left behind.
import assert from "node:assert/strict";
import { checkLeaksAtEnd, ROOT, run } from "./_helpers.ts";

Deno.test("example: taxonomy prints every facility with its checked persistence, and removes all it made", async () => {
  const out = await run(Deno.execPath(), [
    "run",
    "--quiet",
    "--allow-ffi",
    "--allow-run",
    "--allow-env",
    "--allow-read",
    "--allow-write",
    `${ROOT}examples/taxonomy.ts`,
  ]);
  assert.equal(out.code, 0, out.stderr);
  const expect: [RegExp, RegExp][] = [
    [/^System V message queue /m, /kernel: outlived its maker$/m],
    [/^System V semaphore set /m, /kernel: outlived its maker$/m],
    [/^System V shared memory /m, /kernel: outlived its maker$/m],
    [/^POSIX message queue .*/m, /\(mqueue: gone at reboot\)/],
    [/^POSIX shared memory .*/m, /\(tmpfs: gone at reboot\)/],
    [/^POSIX named semaphore .*/m, /\(tmpfs: gone at reboot\)/],
    [/^FIFO .*/m, /the data went with its maker/],
    [/^Unix domain socket .*/m, /connect is refused/],
    [/^shared file mapping .*/m, /file system: the data is in the file/],
    [/^flock lock .*/m, /released when its holder exited/],
    [/^pipe .*/m, /lived on in the child/],
    [/^eventfd .*/m, /lived on in the child/],
    [/^memfd .*/m, /lived on in the child/],
  ];
  const lines = out.stdout.split("\n");
  for (const [row, persistence] of expect) {
    const line = lines.find((l) => row.test(l));
    assert.ok(line, `no row ${row}`);
    assert.match(line, persistence);
  }
  assert.doesNotMatch(out.stdout, /\?/);
});

await checkLeaksAtEnd();
