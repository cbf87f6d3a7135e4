// The suite's leak check (checkLeaksAtEnd in _helpers.ts) counts only its
// own run's objects: another program of the machine (another run of the
// suite, a benchmark) that makes private System V objects and POSIX names
// while a test file runs does not fail that file, and the file's own
// leaks, its children's included, are still reported.
import assert from "node:assert/strict";
import {
  checkLeaksAtEnd,
  mqueueMounted,
  ROOT,
  untilFile,
  withDir,
} from "./_helpers.ts";
import { IPC_RMID, msgctl } from "../mod.ts";

// Without the mqueue file system, the queue names are left out.
const mqueue = mqueueMounted();

/** Runs tests/helpers/leak_fixture.ts while another process makes objects. */
async function fixtureBesideAnother(
  dir: string,
  own: boolean,
): Promise<{ code: number; out: string; other: string[] }> {
  const other = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "-A",
      `${ROOT}tests/helpers/leak_other.ts`,
      mqueue ? "mqueue" : "",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const otherOut = other.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  const writer = other.stdin.getWriter();
  const ready = `${dir}/ready-${own}`, go = `${dir}/go-${own}`;
  const fixture = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", `${ROOT}tests/helpers/leak_fixture.ts`],
    env: { LEAK_READY: ready, LEAK_GO: go, LEAK_OWN: own ? "1" : "0" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let ended = false;
  try {
    // Once the file has its snapshot, the other process makes its objects.
    await untilFile(ready);
    await writer.write(new TextEncoder().encode("make\n"));
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await otherOut.read();
      if (done) throw new Error("The other process ended");
      text += value;
    }
    assert.match(text, /^made \d+ \d+ \d+\n/);
    Deno.writeTextFileSync(go, "");
    const { code, stdout, stderr } = await fixture.output();
    ended = true;
    const dec = new TextDecoder();
    return {
      code,
      out: dec.decode(stdout) + dec.decode(stderr),
      other: text.trim().split(" ").slice(1),
    };
  } finally {
    if (!ended) {
      fixture.kill();
      await fixture.output();
    }
    await writer.close();
    await otherOut.cancel();
    assert.ok((await other.status).success, "The other process failed");
  }
}

Deno.test("leak check: another process's private objects and names made during a file are not its leaks", async () => {
  await withDir(async (dir) => {
    const { code, out } = await fixtureBesideAnother(dir, false);
    assert.equal(code, 0, out);
  });
});

Deno.test("leak check: a file's own private queue and its child's name are reported, the other's are not", async () => {
  await withDir(async (dir) => {
    const { code, out, other } = await fixtureBesideAnother(dir, true);
    const own = Number(out.match(/own queue (\d+)/)?.[1]);
    const names = [...out.matchAll(/linux-ipc-leakcheck-\d+-1/g)].map((m) =>
      m[0]
    );
    try {
      assert.notEqual(code, 0, out);
      const left = out.match(/Left behind: (.*)/)?.[1];
      assert.ok(left !== undefined, out);
      const leaked = JSON.parse(left);
      assert.deepEqual(leaked.msg, [own]);
      assert.equal(leaked.sem, undefined);
      assert.equal(leaked.shm, undefined);
      assert.equal(leaked.devShm.length, 1);
      assert.match(leaked.devShm[0], /^linux-ipc-leakcheck-\d+-1$/);
      assert.equal(leaked.devMqueue, undefined);
      for (const id of other) assert.ok(!left.includes(id), left);
    } finally {
      if (Number.isInteger(own)) msgctl(own, IPC_RMID);
      for (const name of new Set(names)) {
        await Deno.remove(`/dev/shm/${name}`).catch(() => {});
      }
    }
  });
});

await checkLeaksAtEnd();
