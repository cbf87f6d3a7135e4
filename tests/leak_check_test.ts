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

/** What tests/helpers/leak_other.ts made: its ids, its pid and its child's. */
interface Other {
  msg: number;
  sem: number;
  shm: number;
  pids: number[];
}

/** Reads the line "made Q S M pids P C" of tests/helpers/leak_other.ts. */
function otherOf(text: string): Other {
  const f = text.trim().split(" ").map(Number);
  return { msg: f[1], sem: f[2], shm: f[3], pids: [f[5], f[6]] };
}

/** Runs tests/helpers/leak_fixture.ts while another process makes objects. */
async function fixtureBesideAnother(
  dir: string,
  own: boolean,
): Promise<{ code: number; out: string; other: Other }> {
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
    env: {
      LEAK_READY: ready,
      LEAK_GO: go,
      LEAK_OWN: own ? "1" : "0",
      // The name only a child's pid marks is reported after the grace.
      ...(own ? { LEAK_GRACE_MS: "1000" } : {}),
    },
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
    assert.match(text, /^made \d+ \d+ \d+ pids \d+ \d+\n/);
    Deno.writeTextFileSync(go, "");
    const { code, stdout, stderr } = await fixture.output();
    ended = true;
    const dec = new TextDecoder();
    return {
      code,
      out: dec.decode(stdout) + dec.decode(stderr),
      other: otherOf(text),
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

Deno.test("leak check: a file's own private queue and its child's names are reported, the other's are not", async () => {
  await withDir(async (dir) => {
    const { code, out, other } = await fixtureBesideAnother(dir, true);
    const own = Number(out.match(/own queue (\d+)/)?.[1]);
    const names = out.match(/own names (\S+) (\S+)/)?.slice(1) ?? [];
    try {
      assert.notEqual(code, 0, out);
      assert.equal(names.length, 2, out);
      const left = out.match(/Left behind: (.*)/)?.[1];
      assert.ok(left !== undefined, out);
      const leaked = JSON.parse(left);
      // The file's own, the name only its ended child's pid marks included.
      assert.ok(leaked.msg?.includes(own), left);
      for (const name of names) assert.ok(leaked.devShm?.includes(name), left);
      // None of the other process's. (What a run of the suite beside this
      // one leaves for a moment may be reported too: this file's grace is
      // short.)
      assert.ok(!leaked.msg?.includes(other.msg), left);
      assert.ok(!leaked.sem?.includes(other.sem), left);
      assert.ok(!leaked.shm?.includes(other.shm), left);
      for (const k of ["devShm", "devMqueue"]) {
        for (const name of leaked[k] ?? []) {
          const pid = Number(name.match(/-(\d+)(?:-|$)/)?.[1]);
          assert.ok(!other.pids.includes(pid), left);
        }
      }
    } finally {
      if (Number.isInteger(own)) msgctl(own, IPC_RMID);
      for (const name of names) {
        await Deno.remove(`/dev/shm/${name}`).catch(() => {});
      }
    }
  });
});

await checkLeaksAtEnd();
