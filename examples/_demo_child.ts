/**
 * The child side of `examples/demo.ts`, spawned by it: `shm ID ANSWER_AT
 * COUNTER_AT` attaches the segment, prints the greeting, writes an answer and
 * adds to the counter.
 *
 * @module
 */

import { SharedMemory } from "../mod.ts";

const [step, ...args] = Deno.args;
if (step === "shm") {
  const [id, answerAt, counterAt] = args.map(Number);
  using shm = SharedMemory.fromId(id);
  using memory = shm.attach();
  console.log(
    `  child  (pid ${Deno.pid}): attached segment ${id} at 0x${
      memory.address.toString(16)
    } and read "${memory.readCString()}"`,
  );
  memory.writeCString(`Hello back from the child, pid ${Deno.pid}`, answerAt);
  const counter = new Int32Array(memory.bytes.buffer, counterAt, 1);
  for (let i = 0; i < 1_000_000; i++) Atomics.add(counter, 0, 1);
  console.log(
    "  child: wrote an answer at offset 1024 and added 1,000,000 to the shared counter",
  );
} else {
  console.error(`Unknown demo step "${step}"`);
  Deno.exit(1);
}
