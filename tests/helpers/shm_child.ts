// A Deno peer for the shared memory tests, spawned as a separate process.
//   read ID OFFSET         print the string at OFFSET
//   write ID OFFSET TEXT   write TEXT and a NUL at OFFSET
//   drop ID                attach, drop every reference, collect garbage,
//                          then print the segment's nattch (backstop check)
import { IPC_STAT, SharedMemory, shmat, shmctl } from "../../mod.ts";

const [cmd, idText, offsetText, text] = Deno.args;
const id = Number(idText);
if (cmd === "drop") {
  (() => {
    const region = shmat(id);
    region.bytes[0] = 1;
  })();
  for (let i = 0; i < 5; i++) {
    (globalThis as unknown as { gc(): void }).gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(shmctl(id, IPC_STAT).nattch);
} else {
  using shm = SharedMemory.fromId(id);
  using memory = shm.attach({ readOnly: cmd === "read" });
  if (cmd === "read") console.log(memory.readCString(Number(offsetText)));
  else memory.writeCString(text, Number(offsetText));
}
