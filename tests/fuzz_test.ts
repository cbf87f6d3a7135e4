// The seeded fuzz of the thin layer (README: "What the library
// guarantees"). Each batch runs in a child process (tests/helpers/
// fuzz_child.ts), in an IPC namespace of its own where `unshare --ipc`
// works, and fails on a crash (a signal), a hang, a throw that is not a
// typed Error, or a System V object left behind, printing the seed and the
// call that did it.
//
// FUZZ_SEED (default 1; "random" for a fresh one) and FUZZ_CALLS (default
// 20,000) change the run; `deno task fuzz` makes a long one (500,000 calls
// from a random seed).
import {
  checkLeaksAtEnd,
  fuzzBatch,
  fuzzRun,
  ROOT,
  run,
  which,
} from "./_helpers.ts";

const { seed: baseSeed, total: totalCalls } = fuzzRun(
  "FUZZ_CALLS",
  20_000,
  500_000,
);
const BATCH = 2_500;
const HANG_MS = 60_000;

async function ownNamespace(): Promise<boolean> {
  if (which("unshare") === null) return false;
  try {
    return (await run("unshare", ["--ipc", "true"])).code === 0;
  } catch {
    return false;
  }
}

Deno.test(`fuzz: ${totalCalls} calls of the thin layer, seed ${baseSeed}, no crash, hang, untyped throw or leak`, async () => {
  const namespaced = await ownNamespace();
  if (!namespaced) {
    console.log(
      "no IPC namespace (unshare --ipc needs root): ids are the batch's own",
    );
  }
  const batches = Math.ceil(totalCalls / BATCH);
  for (let b = 0; b < batches; b++) {
    const seed = (baseSeed + b) >>> 0;
    const calls = Math.min(BATCH, totalCalls - b * BATCH);
    const dir = await Deno.makeTempDir({ prefix: "linux-ipc-fuzz-" });
    try {
      const args = [
        "run",
        "--quiet",
        "--allow-ffi",
        `--allow-read=${dir},/dev/mqueue,/dev/shm`,
        `--allow-write=${dir},/dev/mqueue,/dev/shm`,
        `${ROOT}tests/helpers/fuzz_child.ts`,
        String(seed),
        String(calls),
        dir,
        namespaced ? "1" : "0",
      ];
      const { hung, code, signal, lines, stderr } = await fuzzBatch(
        namespaced ? "unshare" : Deno.execPath(),
        namespaced ? ["--ipc", Deno.execPath(), ...args] : args,
        dir,
        HANG_MS,
      );
      const last = lines.findLast((l) => l.startsWith("CALL ")) ?? "(none)";
      const failed = lines.find((l) => l.startsWith("FAIL "));
      if (hung || code !== 0 || signal !== null || !failed === false) {
        const why = hung
          ? `hung for ${HANG_MS} ms`
          : signal !== null
          ? `crashed with ${signal}`
          : failed ?? `ended with code ${code}`;
        throw new Error(
          `Fuzz batch ${b} (FUZZ_SEED=${seed}, its call ${
            last.split(" ")[1]
          }): ${why}\nthe call: ${last.replace(/^CALL \d+ /, "")}\n${
            failed ? "" : stderr.slice(-2000)
          }`,
        );
      }
      if (!lines.includes(`DONE ${calls}`)) {
        throw new Error(`Fuzz batch ${b} (seed ${seed}) did not finish`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

await checkLeaksAtEnd();
