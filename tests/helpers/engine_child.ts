/**
 * Child processes for `tests/engine_test.ts`:
 *
 * - `clients PATH N ROUNDS`: N connections at once to a Unix socket, each
 *   doing ROUNDS echoes of 256 bytes whose content depends on the
 *   connection and round; prints `ok` if every echo came back intact.
 * - `post ID N`: posts semaphores 0..N-1 of set ID, in reverse order.
 * - `forget`: drops a pipe end without closing it and prints whether its
 *   descriptor was closed once collected (run with `--expose-gc`).
 *
 * @module
 */

import { F_GETFD, fcntl, PipeEnd, semop, UnixConnection } from "../../mod.ts";

const [mode, ...args] = Deno.args;

if (mode === "clients") {
  const [path, n, rounds] = [args[0], Number(args[1]), Number(args[2])];
  const conns = await Promise.all(
    Array.from({ length: n }, () => UnixConnection.connect(path)),
  );
  await Promise.all(conns.map(async (conn, i) => {
    const msg = new Uint8Array(256);
    const back = new Uint8Array(256);
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < msg.length; j++) {
        msg[j] = (i * 131 + r * 17 + j) & 255;
      }
      await conn.writeAll(msg);
      let got = 0;
      while (got < back.length) {
        const k = await conn.read(back.subarray(got), { timeout: 20_000 });
        if (k === null) throw new Error(`Connection ${i} closed early`);
        got += k;
      }
      if (back.some((b, j) => b !== msg[j])) {
        throw new Error(`Connection ${i} round ${r}: the echo differs`);
      }
    }
    conn.close();
  }));
  console.log("ok");
} else if (mode === "post") {
  const [id, n] = [Number(args[0]), Number(args[1])];
  for (let i = n - 1; i >= 0; i--) semop(id, [{ num: i, op: 1 }]);
} else if (mode === "forget") {
  // A pipe end dropped without close: the backstop closes its descriptor.
  const [r, w] = (() => PipeEnd.pipe().map((end) => end.fd))();
  for (let i = 0; i < 50 && (isOpen(r) || isOpen(w)); i++) {
    (globalThis as unknown as { gc(): void }).gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(isOpen(r) || isOpen(w) ? "still open" : "closed");
} else {
  throw new Error(`Unknown mode "${mode}"`);
}

function isOpen(fd: number): boolean {
  try {
    fcntl(fd, F_GETFD);
    return true;
  } catch {
    return false;
  }
}
