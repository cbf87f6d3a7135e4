/**
 * The tour: a parent and a spawned child process talk through the library.
 * Run it first: `deno task demo` (or `npx -y deno@2 task demo`).
 *
 * Step 1, System V shared memory: the parent creates a private segment and
 * writes a greeting; the child attaches it by id, reads the greeting, answers
 * in the same memory and bumps a shared counter with `Atomics`; the parent
 * reads the answer, checks the segment's status, and removes it.
 *
 * Step 2, System V semaphores: parent and child add to one counter in that
 * kind of memory, 20,000 times each, under a cross-process `Mutex`
 * (`SEM_UNDO`); the parent waits with `await`, the child with a sync call.
 *
 * Step 3, mapped memory: the parent maps a memfd and writes a number; a
 * child gets the descriptor as its fd 3, maps it and doubles the number in
 * place (as mmap-read does), and the parent reads the double.
 *
 * Step 4, a FIFO: the parent makes a named pipe; a child opens it for
 * writing and sends three lines; the parent reads them as a stream until
 * end of file, then removes the FIFO.
 *
 * Step 5, sockets and descriptor passing: examples/handoff.ts runs as a
 * front process that accepts TCP connections and hands each connected
 * socket to a worker process over a Unix socket (SCM_RIGHTS).
 *
 * Step 6, a System V message queue: the parent queues jobs of three
 * priorities, as message types (1 urgent, 2 normal, 3 low), in mixed order;
 * a child takes them lowest type first (`msgrcv` with a negative type) and
 * answers each on type 10; the parent prints the answers in the order the
 * child did the jobs, then removes the queue.
 *
 * @module
 */

import { ENV, FFI, requirePermissions, RUN } from "./_permissions.ts";
import {
  Mapping,
  MessageQueue,
  mkfifo,
  Mutex,
  PipeEnd,
  SharedMemory,
  spawnWithFds,
} from "../mod.ts";

requirePermissions(
  "examples/demo.ts",
  [
    FFI,
    RUN,
    ENV,
    { descriptor: { name: "read" }, flag: "--allow-read" },
    { descriptor: { name: "write" }, flag: "--allow-write" },
  ],
  "",
  "demo",
);

const child = new URL("./_demo_child.ts", import.meta.url).href;
const ANSWER_AT = 1024;
const COUNTER_AT = 2048;

async function runChild(...args: string[]): Promise<void> {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-read",
      "--allow-write",
      child,
      ...args,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    throw new Error(`The child process failed with status ${code}`);
  }
}

console.log("Step 1: System V shared memory between two processes");
{
  using shm = SharedMemory.create({ size: 4096 });
  using memory = shm.attach();
  console.log(
    `  parent (pid ${Deno.pid}): created a private segment of ${shm.size} bytes, id ${shm.id}`,
  );
  memory.writeCString(`Hello from the parent, pid ${Deno.pid}`);
  const counter = new Int32Array(memory.bytes.buffer, COUNTER_AT, 1);
  Atomics.store(counter, 0, 0);
  console.log("  parent: wrote a greeting at offset 0 and spawned a child");

  await runChild("shm", String(shm.id), String(ANSWER_AT), String(COUNTER_AT));

  console.log(`  parent: read "${memory.readCString(ANSWER_AT)}"`);
  console.log(`  parent: the shared counter is ${Atomics.load(counter, 0)}`);
  const stat = shm.stat();
  console.log(
    `  parent: segment status: ${stat.nattch} attach (this one), last attach/detach by pid ${stat.lpid} (the child), mode 0${
      stat.perm.mode.toString(8)
    }`,
  );
}
console.log(
  "  parent: detached and removed the segment (ipcs -m no longer lists it)",
);
console.log("Step 2: a lock shared by two processes (System V semaphores)");
{
  using shm = SharedMemory.create({ size: 4096 });
  using memory = shm.attach();
  using mutex = Mutex.create();
  const counter = new Int32Array(memory.bytes.buffer, 0, 1);
  console.log(
    `  parent: created a lock (semaphore set ${mutex.id}) and a counter; the child and I each add 1 to it 20,000 times`,
  );
  const started = performance.now();
  const childDone = runChild("sem", String(shm.id), String(mutex.id), "20000");
  for (let i = 0; i < 20_000; i++) {
    using _lock = await mutex.acquire();
    counter[0] = counter[0] + 1; // a plain read-modify-write, safe under the lock
  }
  await childDone;
  console.log(
    `  parent: the counter is ${counter[0]} (exactly 40000) after ${
      Math.round(performance.now() - started)
    } ms`,
  );
}
console.log("  parent: removed the lock and the segment");

console.log("Step 3: mapped memory shared through a descriptor");
{
  using map = Mapping.memfd(4096, "demo");
  map.memory.writeCString("21\n");
  console.log(
    `  parent: mapped a memfd of 4096 bytes and wrote 21; the child gets it as fd 3`,
  );
  const mapper = spawnWithFds(Deno.execPath(), {
    args: ["run", "--allow-ffi", child, "mmap"],
    fds: { 3: map.fd! },
  });
  await mapper.status;
  console.log(
    `  parent: the mapping now holds ${map.memory.readCString().trim()}`,
  );
}

console.log("Step 4: a FIFO (named pipe) between two processes");
{
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-demo-" });
  const path = `${dir}/fifo`;
  try {
    mkfifo(path, 0o600);
    console.log(`  parent: made the FIFO ${path} and waits for a writer`);
    const failed = new AbortController();
    const writer = runChild("fifo", path);
    writer.catch((e) => failed.abort(e)); // a dead writer ends our wait
    const fifo = await PipeEnd.openFifo(path, "r", { signal: failed.signal });
    const text = await new Response(fifo.readable).text();
    await writer;
    for (const line of text.trimEnd().split("\n")) {
      console.log(`  parent: read "${line}"`);
    }
    console.log("  parent: end of file: the writer closed its end");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log("  parent: removed the FIFO");
}

console.log("Step 5: handing connections to another process (SCM_RIGHTS)");
{
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-run",
      "--allow-env",
      "--allow-net",
      new URL("./handoff.ts", import.meta.url).href,
      "--clients",
      "2",
    ],
  }).output().then(async (o) => {
    await Deno.stdout.write(o.stdout);
    await Deno.stderr.write(o.stderr);
    return o;
  });
  if (code !== 0) {
    throw new Error(`The hand-off step failed with status ${code}`);
  }
}
console.log("Step 6: typed messages between two processes (System V queue)");
{
  using queue = MessageQueue.create();
  const jobs: [number, string][] = [
    [3, "tidy the logs"],
    [1, "restart the service"],
    [2, "send the report"],
    [1, "page the on-call"],
  ];
  for (const [type, job] of jobs) await queue.send(type, job);
  console.log(
    `  parent: queued ${jobs.length} jobs on queue ${queue.id}, types 3, 1, 2, 1 (1 is the most urgent)`,
  );
  await runChild("msg", String(queue.id), String(jobs.length));
  for (let i = 0; i < jobs.length; i++) {
    const m = await queue.receive({ type: 10, timeout: 10_000 });
    console.log(`  parent: ${new TextDecoder().decode(m.data)}`);
  }
}
console.log("  parent: removed the queue");
console.log("Done.");
