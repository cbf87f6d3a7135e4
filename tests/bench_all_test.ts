// The protocol of `deno task bench:all` on both sides, in a few blocks per
// facility, and the one-way peer of `deno task bench:msg` in every form:
// every facility carries data and leaves nothing behind (the figures
// themselves belong to the benchmark, not to tests).
import assert from "node:assert/strict";
import {
  checkLeaksAtEnd,
  missingPeer,
  ROOT,
  run,
  which,
  withDir,
} from "./_helpers.ts";

/** Runs a Deno peer of `bench/` with the permissions the benchmarks give. */
function runPeer(script: string, args: string[]) {
  return run(Deno.execPath(), [
    "run",
    "--quiet",
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    "--allow-run",
    "--allow-env",
    `${ROOT}bench/${script}`,
    ...args,
  ]);
}

const FACILITIES = [
  "pipe",
  "fifo",
  "stream",
  "dgram",
  "seqpacket",
  "sysvmsg",
  "mq",
  "sysvshm",
  "pshm",
  "filemap",
  "memfd",
  "eventfd",
];

Deno.test("bench:all: every facility carries blocks and round trips, C and Deno", async (t) => {
  const cc = which("cc");
  if (cc === null) {
    missingPeer("no C compiler for bench/c/all_bench.c: apt-get install gcc");
    return;
  }
  await withDir(async (dir) => {
    const c = `${dir}/all_bench`;
    const built = await run(cc, [
      "-O2",
      "-pthread",
      "-o",
      c,
      `${ROOT}bench/c/all_bench.c`,
    ]);
    assert.equal(built.code, 0, built.stderr);
    for (const f of FACILITIES) {
      await t.step(f, async () => {
        for (const args of [[f, "bw", "4096", "40"], [f, "rt", "64", "40"]]) {
          const fromC = await run(c, args);
          assert.equal(fromC.code, 0, fromC.stderr);
          const fromDeno = await runPeer("all_peer.ts", args);
          assert.equal(fromDeno.code, 0, fromDeno.stderr);
          for (const out of [fromC.stdout, fromDeno.stdout]) {
            assert.ok(Number(out) > 0, `a figure, got "${out}"`);
          }
        }
      });
    }
  });
});

Deno.test("bench:msg: every receive form, bare FFI included, and both round trips carry the messages", async (t) => {
  for (const kind of ["sysv", "posix"]) {
    for (const form of ["sync", "into", "async", "bare"]) {
      await t.step(`${kind} ${form}`, async () => {
        const out = await runPeer("msg_peer.ts", [
          "parent",
          kind,
          "64",
          "800",
          form,
        ]);
        assert.equal(out.code, 0, out.stderr);
        assert.ok(Number(out.stdout) > 0, `a figure, got "${out.stdout}"`);
      });
    }
    for (const form of [[], ["into"]]) {
      await t.step(`${kind} round trips ${form.join("")}`, async () => {
        const out = await runPeer("msg_peer.ts", [
          "parent",
          `${kind}-rt`,
          "200",
          "50",
          ...form,
        ]);
        assert.equal(out.code, 0, out.stderr);
        assert.ok(Number(out.stdout) > 0, `a figure, got "${out.stdout}"`);
      });
    }
  }
});

await checkLeaksAtEnd();
