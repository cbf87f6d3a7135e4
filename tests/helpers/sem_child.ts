// A Deno peer for the semaphore tests, spawned as a separate process.
//   count SHMID MUTEXID BARRIERID N locked|unlocked sync|async
//       add 1 to the Int32 at offset 0 of the segment N times, under the
//       mutex or not, after a start barrier (sem 0: ready count, sem 1: go)
//   hold MUTEXID        acquire the mutex, print "locked", then idle forever
//   block SEMID sync|async
//       wait for sem 0 and print "ok" or the error code
//   abandon SEMID abort|timeout
//       start an async wait that is aborted (or times out) after 50 ms,
//       print the outcome, then end without calling Deno.exit
//   rw SHMID SEMID N writer|reader locked|unlocked
//       the Linux Voice reader/writer loop; a reader prints how many of its
//       N reads were not one uniform string
import { Mutex, SEM_UNDO, semop, semopAsync, SharedMemory } from "../../mod.ts";

const [mode, ...args] = Deno.args;
const code = (e: unknown) => (e as { code?: string }).code ?? String(e);

switch (mode) {
  case "count": {
    const [shmid, mutexId, barrierId, n] = args.slice(0, 4).map(Number);
    const [locking, style] = args.slice(4);
    using shm = SharedMemory.fromId(shmid);
    using memory = shm.attach();
    const counter = new Int32Array(memory.bytes.buffer, 0, 1);
    using mutex = Mutex.fromId(mutexId);
    semop(barrierId, [{ num: 0, op: 1 }]);
    semop(barrierId, [{ num: 1, op: 0 }]);
    for (let i = 0; i < n; i++) {
      const lock = locking === "unlocked"
        ? null
        : style === "async"
        ? await mutex.acquire()
        : mutex.acquireSync();
      const v = counter[0];
      for (let k = 0; k < 100; k++) Atomics.load(counter, 0); // widen the window
      counter[0] = v + 1;
      lock?.release();
    }
    break;
  }
  case "hold": {
    const mutex = Mutex.fromId(Number(args[0]));
    mutex.acquireSync();
    console.log("locked");
    setInterval(() => {}, 1000);
    break;
  }
  case "block": {
    const semid = Number(args[0]);
    try {
      if (args[1] === "async") await semopAsync(semid, [{ num: 0, op: -1 }]);
      else semop(semid, [{ num: 0, op: -1 }]);
      console.log("ok");
    } catch (e) {
      console.log(code(e));
    }
    break;
  }
  case "abandon": {
    const semid = Number(args[0]);
    const started = performance.now();
    try {
      await semopAsync(
        semid,
        [{ num: 0, op: -1 }],
        args[1] === "abort"
          ? { signal: AbortSignal.timeout(50) }
          : { timeout: 50 },
      );
      console.log("resolved");
    } catch (e) {
      console.log(
        `${(e as Error).name} ${code(e)} after ${
          Math.round(performance.now() - started)
        } ms`,
      );
    }
    break;
  }
  case "rw": {
    const [shmid, semid, n] = args.slice(0, 3).map(Number);
    const [role, locking] = args.slice(3);
    using shm = SharedMemory.fromId(shmid);
    using memory = shm.attach();
    const lock = (ops: { num: number; op: number; flags?: number }[]) => {
      if (locking === "locked") semop(semid, ops);
    };
    const READERS = 0, WRITERS = 1;
    let mangled = 0;
    for (let i = 0; i < n; i++) {
      if (role === "writer") {
        lock([{ num: READERS, op: 0 }, {
          num: WRITERS,
          op: 1,
          flags: SEM_UNDO,
        }]);
        memory.writeCString((i % 2 ? "B" : "A").repeat(3000));
        lock([{ num: WRITERS, op: -1, flags: SEM_UNDO }]);
      } else {
        lock([{ num: WRITERS, op: 0 }, {
          num: READERS,
          op: 1,
          flags: SEM_UNDO,
        }]);
        const text = memory.readCString();
        lock([{ num: READERS, op: -1, flags: SEM_UNDO }]);
        if (text !== "" && !/^(A{3000}|B{3000})$/.test(text)) mangled++;
      }
    }
    if (role === "reader") console.log(mangled);
    break;
  }
  default:
    console.error(`Unknown mode "${mode}"`);
    Deno.exit(2);
}
