// The Deno side of the ping-pong benchmarks, spawned by bench/run.ts:
//   ping|pong ID N W sync|async   as bench/c/sem_bench.c (semaphore 2 is the
//   ready barrier; W warm-up rounds, then N timed ones), with sync or async
//   waits, through prepared operations
import { sembuf, semop, semopAsync } from "../mod.ts";

const [role, idText, nText, wText, style] = Deno.args;
const id = Number(idText), n = Number(nText), w = Number(wText);
const post0 = sembuf([{ num: 0, op: 1 }]), post1 = sembuf([{ num: 1, op: 1 }]);
const wait0 = sembuf([{ num: 0, op: -1 }]),
  wait1 = sembuf([{ num: 1, op: -1 }]);

async function rounds(count: number): Promise<void> {
  if (style === "sync") {
    if (role === "ping") {
      for (let i = 0; i < count; i++) {
        semop(id, post0);
        semop(id, wait1);
      }
    } else {
      for (let i = 0; i < count; i++) {
        semop(id, wait0);
        semop(id, post1);
      }
    }
  } else if (role === "ping") {
    for (let i = 0; i < count; i++) {
      semop(id, post0);
      await semopAsync(id, wait1);
    }
  } else {
    for (let i = 0; i < count; i++) {
      await semopAsync(id, wait0);
      semop(id, post1);
    }
  }
}

if (role === "ping") {
  semop(id, [{ num: 2, op: -1 }]);
  await rounds(w);
  const t0 = performance.now();
  await rounds(n);
  console.log(((performance.now() - t0) * 1e6 / n).toFixed(1));
} else {
  semop(id, [{ num: 2, op: 1 }]);
  await rounds(w + n);
}
