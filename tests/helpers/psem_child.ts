// A Deno peer for the POSIX semaphore tests, spawned as a separate process
// (what it checks used to crash the process).
//   protect        narrow a mapping's access while an async wait on a
//                  semaphore in it is under way; print what each gave,
//                  then "alive"
//   overwritten    write over a semaphore an async wait is on (code);
//                  abort a wait a helper thread makes, then, while that
//                  thread makes another wait's call, write over the second
//                  semaphore's memory; abort that wait too; print each
//                  reason, then "alive"
import { type IpcError, Mapping, PosixSemaphore } from "../../mod.ts";

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

if (mode === "overwritten") {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  using map = Mapping.anonymous(4096);
  const a = PosixSemaphore.init(map.memory, 0, 0);
  const b = PosixSemaphore.init(map.memory, 64, 0);
  const reason = (p: Promise<void>) =>
    p.then(() => "done", (e) => (e as Error).message);
  // Written over while its wait is under way: the next look at it, by
  // this thread or a helper thread, refuses it.
  const c = PosixSemaphore.init(map.memory, 128, 0);
  const cWaited = c.wait().then(() => "done", (e) => (e as IpcError).code);
  map.memory.bytes[128 + 8] = 0x7e;
  console.log(await cWaited);
  // The helper thread is up by then, and makes a's call.
  const first = new AbortController();
  const aWaited = reason(a.wait({ signal: first.signal }));
  await sleep(300);
  first.abort(new Error("first aborted"));
  console.log(await aWaited);
  // The same thread makes b's call, which nothing should interrupt.
  const second = new AbortController();
  const bWaited = reason(b.wait({ signal: second.signal }));
  await sleep(50);
  // glibc reads the futex flag (after the 64-bit word) at each call into
  // sem_wait, and aborts the process on one it does not know.
  const flag = map.memory.bytes[64 + 8];
  map.memory.bytes[64 + 8] = 0x7e;
  await sleep(100);
  map.memory.bytes[64 + 8] = flag;
  second.abort(new Error("second aborted"));
  console.log(await bWaited);
  console.log("alive");
}
