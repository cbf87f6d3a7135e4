/**
 * The child side of `examples/demo.ts`, spawned by it: `shm ID ANSWER_AT
 * COUNTER_AT` attaches the segment, prints the greeting, writes an answer and
 * adds to the counter. `sem SHM_ID MUTEX_ID N` adds 1 to the counter at
 * offset 0 N times under the mutex. `mmap` maps fd 3 and doubles the number
 * in it. `fifo PATH` opens the FIFO for writing and sends three lines.
 * `msg ID N` takes N jobs from the queue, the lowest type first, and
 * answers each on type 10.
 *
 * @module
 */

import { Mapping, MessageQueue, Mutex, PipeEnd, SharedMemory } from "../mod.ts";

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
} else if (step === "sem") {
  const [shmId, mutexId, n] = args.map(Number);
  using shm = SharedMemory.fromId(shmId);
  using memory = shm.attach();
  const mutex = Mutex.fromId(mutexId);
  const counter = new Int32Array(memory.bytes.buffer, 0, 1);
  for (let i = 0; i < n; i++) {
    using _lock = mutex.acquireSync();
    counter[0] = counter[0] + 1;
  }
  console.log(`  child  (pid ${Deno.pid}): added ${n} under the lock`);
} else if (step === "mmap") {
  using map = Mapping.fromFd(3);
  const value = parseInt(map.memory.readCString(), 10);
  map.memory.writeCString(`${2 * value}\n`);
  console.log(
    `  child  (pid ${Deno.pid}): mapped fd 3, read ${value}, wrote ${
      2 * value
    }`,
  );
} else if (step === "fifo") {
  using fifo = await PipeEnd.openFifo(args[0], "w");
  for (const line of ["first line", "second line", "third line"]) {
    await fifo.writeAll(new TextEncoder().encode(`${line}\n`));
  }
  console.log(
    `  child  (pid ${Deno.pid}): opened the FIFO for writing and sent 3 lines`,
  );
} else if (step === "msg") {
  const [id, n] = args.map(Number);
  const queue = MessageQueue.fromId(id);
  for (let i = 1; i <= n; i++) {
    const job = queue.receiveSync({ type: -3 }); // the lowest type first
    const text = new TextDecoder().decode(job.data);
    queue.sendSync(10, `child did job ${i} (type ${job.type}): ${text}`);
  }
} else {
  console.error(`Unknown demo step "${step}"`);
  Deno.exit(1);
}
