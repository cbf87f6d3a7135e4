/**
 * What the Worker helpers of `tests/engine_test.ts` share: the threads and
 * descriptors of this process, those a terminated Worker that used nothing
 * of the library leaves (the baseline, from a Worker named "plain", which
 * this module answers for), and a wait for the counts to come back to it.
 *
 * @module
 */

/** The global scope, as a Worker's (its name, its messages). */
export const scope = globalThis as unknown as {
  name?: string;
  postMessage(m: unknown): void;
  onmessage: ((e: MessageEvent) => void) | null;
};

// A Worker named "plain" only answers.
if (scope.name === "plain") scope.postMessage("done");

/** Threads and descriptors of a process. */
export interface Counts {
  threads: number;
  fds: number;
}

/** Sleeps `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((r) => setTimeout(r, ms));

/** Threads and descriptors of this process now. */
export function counts(): Counts {
  return {
    threads: [...Deno.readDirSync("/proc/self/task")].length,
    fds: [...Deno.readDirSync("/proc/self/fd")].length,
  };
}

/**
 * Runs the module at `url` as a Worker named `name` (which answers with a
 * message once it has done its part), then terminates it.
 */
export async function runWorker(
  url: string,
  name: string,
  data?: unknown,
): Promise<Worker> {
  const worker = new Worker(url, { type: "module", name });
  const answered = new Promise((resolve, reject) => {
    worker.onmessage = resolve;
    worker.onerror = (e) => reject(e.error ?? e.message);
  });
  if (data !== undefined) worker.postMessage(data);
  await answered;
  return worker;
}

/**
 * The counts once a Worker that only answers (a module whose Worker named
 * `plain` posts a message at once) has been terminated: what Deno itself
 * leaves.
 */
export async function plainBaseline(url: string): Promise<Counts> {
  (await runWorker(url, "plain")).terminate();
  await sleep(500);
  return counts();
}

/** The counts once they are back to `baseline`, or after `ms`. */
export async function settled(baseline: Counts, ms: number): Promise<Counts> {
  const start = performance.now();
  let now = counts();
  while (
    (now.threads > baseline.threads || now.fds > baseline.fds) &&
    performance.now() - start < ms
  ) {
    await sleep(100);
    now = counts();
  }
  return now;
}
