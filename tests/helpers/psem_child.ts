// A Deno peer for the POSIX semaphore tests, spawned as a separate process
// (what it checks used to crash the process).
//   protect        narrow a mapping's access while an async wait on a
//                  semaphore in it is under way; print what each gave,
//                  then "alive"
import { Mapping, PosixSemaphore } from "../../mod.ts";

const [mode] = Deno.args;
if (mode === "protect") {
  using map = Mapping.anonymous(4096);
  const sem = PosixSemaphore.init(map.memory, 0, 0);
  const waited = sem.wait({ timeout: 2000 });
  for (const access of ["read", "none"] as const) {
    try {
      map.protect(access);
      console.log(`${access}: done`);
    } catch (e) {
      console.log(`${access}: ${(e as { code?: string }).code ?? e}`);
    }
    // The helper thread polls the semaphore meanwhile.
    await new Promise((r) => setTimeout(r, 50));
  }
  sem.post();
  await waited;
  console.log("waited");
  map.protect("read");
  console.log("read once no wait is under way: done");
  console.log("alive");
}
