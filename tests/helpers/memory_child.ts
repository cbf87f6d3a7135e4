// A Deno peer for the memory-safety tests: each mode does what used to
// crash the process (a write through a buffer moved off a region after the
// region went away) and prints what it saw. A crash shows as a signal.
//   transfer SHMID   move a shm attachment's buffer, close, write through it
//   worker           post a memfd mapping's buffer to a Worker, close, write
//   protect          move an anonymous mapping's buffer, then protect("read")
//   gc SHMID         move a buffer, drop the region, collect it (--expose-gc)
//   remap SHMID      SHM_REMAP over memory in use, and over a free range
import {
  getpagesize,
  IPC_STAT,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  Mapping,
  mmap,
  munmap,
  PROT_READ,
  PROT_WRITE,
  SHM_REMAP,
  shmat,
  shmctl,
  shmdt,
} from "../../mod.ts";

const [mode, arg] = Deno.args;
const nattch = () => shmctl(Number(arg), IPC_STAT).nattch;
const report = (what: unknown) => console.log(JSON.stringify(what));

if (mode === "transfer") {
  const region = shmat(Number(arg));
  region.bytes[0] = 1;
  const moved = new Uint8Array(region.bytes.buffer.transfer());
  moved[1] = 2;
  const again = region.bytes; // the region keeps working
  const seen = [again.length > 0, again[0], again[1]];
  region.close(); // used to throw, leaving the segment attached
  const after = nattch();
  moved[2] = 3; // used to crash: the range was unmapped
  report({ seen, after, moved: [moved[0], moved[1], moved[2]] });
} else if (mode === "worker") {
  const map = Mapping.memfd(4096);
  const buffer = map.memory.bytes.buffer;
  // The Worker keeps the buffer and writes through it on every message.
  const worker = new Worker(
    `data:text/javascript,let kept; self.onmessage = (e) => { if (e.data.byteLength) kept = new Uint8Array(e.data); kept[0] += 1; postMessage(kept[0]); }`,
    { type: "module" },
  );
  const ask = (message: ArrayBuffer, transfer: ArrayBuffer[]) =>
    new Promise((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage(message, transfer);
    });
  const first = await ask(buffer, [buffer]);
  const viaRegion = map.memory.read(0, 1)[0]; // the region still works
  map.close(); // used to throw; the Worker's buffer would then crash
  const later = await ask(new ArrayBuffer(0), []);
  worker.terminate();
  report({ first, viaRegion, later });
} else if (mode === "protect") {
  const map = Mapping.anonymous(4096);
  const moved = new Uint8Array(map.memory.bytes.buffer.transfer());
  let error = "";
  try {
    map.protect("read");
  } catch (e) {
    error = (e as Error).name;
  }
  moved[0] = 5; // would crash had the protection changed
  map.protect("readwrite"); // widening is always safe
  const access = map.memory.access;
  map.close();
  moved[1] = 6;
  report({ error, access, moved: [moved[0], moved[1]] });
} else if (mode === "gc") {
  let moved: Uint8Array | undefined;
  (() => {
    const region = shmat(Number(arg));
    moved = new Uint8Array(region.bytes.buffer.transfer());
  })();
  const before = nattch();
  const deadline = Date.now() + 10_000;
  while (nattch() !== 0 && Date.now() < deadline) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
  moved![0] = 9; // the backstop retired the range instead of unmapping it
  report({ before, after: nattch(), value: moved![0] });
} else if (mode === "remap") {
  const page = getpagesize();
  const busy = mmap(
    null,
    page,
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS,
    -1,
  );
  busy.bytes[0] = 42;
  let code = "";
  try {
    shmat(Number(arg), busy.address, SHM_REMAP);
  } catch (e) {
    code = (e as { code?: string }).code ?? String(e);
  }
  const intact = busy.bytes[0];
  const address = busy.address;
  munmap(busy);
  // The range is free now: SHM_REMAP attaches there.
  const region = shmat(Number(arg), address, SHM_REMAP);
  const at = region.address === address;
  region.bytes[0] = 1;
  const attached = nattch();
  shmdt(region);
  report({ code, intact, at, attached, after: nattch() });
}
