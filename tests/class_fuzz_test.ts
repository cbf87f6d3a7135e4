// The seeded fuzz of the classes (README: "What the library guarantees"):
// random lifecycles of every class that holds a descriptor or an object,
// with async calls pending when their object is closed or removed, random
// timeouts and aborts, and bad arguments and options. Each batch runs in a
// child process (tests/helpers/class_fuzz_child.ts) and fails on a crash
// (a signal), a hang, an error that is not a typed one, an async method
// that throws instead of rejecting, a call still pending once everything
// is closed, or an object left behind; it prints the seed and the step.
//
// FUZZ_SEED (default 1; "random" for a fresh one) and FUZZ_STEPS (default
// 6,000) change the run; `deno task fuzz` makes a long one (60,000 steps
// from a random seed).
import { checkLeaksAtEnd, fuzzBatch, fuzzRun, ROOT } from "./_helpers.ts";

const { seed: baseSeed, total: totalSteps } = fuzzRun(
  "FUZZ_STEPS",
  6_000,
  60_000,
);
const BATCH = 1_500;
const HANG_MS = 60_000;

Deno.test(`class fuzz: ${totalSteps} steps, seed ${baseSeed}, no crash, hang, untyped error, pending call or leak`, async () => {
  const batches = Math.ceil(totalSteps / BATCH);
  for (let b = 0; b < batches; b++) {
    const seed = (baseSeed + b) >>> 0;
    const steps = Math.min(BATCH, totalSteps - b * BATCH);
    const dir = await Deno.makeTempDir({ prefix: "linux-ipc-cfuzz-" });
    try {
      const { hung, code, signal, lines, stderr } = await fuzzBatch(
        Deno.execPath(),
        [
          "run",
          "--quiet",
          "--allow-ffi",
          `--allow-read=${dir},/dev/mqueue,/dev/shm`,
          `--allow-write=${dir},/dev/mqueue,/dev/shm`,
          `${ROOT}tests/helpers/class_fuzz_child.ts`,
          String(seed),
          String(steps),
          dir,
        ],
        dir,
        HANG_MS,
      );
      const last = lines.findLast((l) => l.startsWith("STEP ")) ?? "(none)";
      const failed = lines.filter((l) => l.startsWith("FAIL "));
      if (hung || code !== 0 || signal !== null || failed.length > 0) {
        const why = hung
          ? `hung for ${HANG_MS} ms`
          : signal !== null
          ? `crashed with ${signal}`
          : failed.length > 0
          ? failed.slice(0, 5).join("\n")
          : `ended with code ${code}`;
        throw new Error(
          `Class fuzz batch ${b} (FUZZ_SEED=${seed}, FUZZ_STEPS=${steps}): ${why}\nlast step: ${
            last.replace(/^STEP /, "")
          }\n${failed.length > 0 ? "" : stderr.slice(-2000)}`,
        );
      }
      if (!lines.includes(`DONE ${steps}`)) {
        throw new Error(`Class fuzz batch ${b} (seed ${seed}) did not finish`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

await checkLeaksAtEnd();
