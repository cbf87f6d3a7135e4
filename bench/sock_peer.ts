// The other side of the socket benchmarks, spawned by bench/socket.ts with
// the socket as fd 3 (or a path for Deno's own unix sockets):
//   send-sync BLOCK TOTAL [dgram]   send() in a loop (an empty datagram ends a dgram run)
//   send-async BLOCK TOTAL          UnixConnection.writeAll in a loop
//   pong-async N                    64-byte echo through recvAsync/sendAsync
//   pong-deno PATH N                64-byte echo through Deno.connect
//   write-deno PATH BLOCK TOTAL     Deno.connect and write TOTAL bytes
//   fd-ack N                        receive a descriptor, close it, answer a byte
import { close, recvAsync, send, sendAsync, UnixConnection } from "../mod.ts";

const [mode, ...args] = Deno.args;
if (mode === "send-sync") {
  const block = new Uint8Array(Number(args[0])).fill(120);
  for (let sent = 0; sent < Number(args[1]);) sent += send(3, block);
  if (args[2] === "dgram") send(3, new Uint8Array(0));
} else if (mode === "send-async") {
  const block = new Uint8Array(Number(args[0])).fill(120);
  using conn = UnixConnection.fromFd(3);
  for (let sent = 0; sent < Number(args[1]); sent += block.length) {
    await conn.writeAll(block);
  }
} else if (mode === "pong-async") {
  const buf = new Uint8Array(64);
  for (let i = 0; i < Number(args[0]); i++) {
    for (let got = 0; got < 64;) got += await recvAsync(3, buf.subarray(got));
    await sendAsync(3, buf);
  }
} else if (mode === "pong-deno") {
  const conn = await Deno.connect({ transport: "unix", path: args[0] });
  const buf = new Uint8Array(64);
  for (let i = 0; i < Number(args[1]); i++) {
    for (let got = 0; got < 64;) got += (await conn.read(buf.subarray(got)))!;
    await conn.write(buf);
  }
  conn.close();
} else if (mode === "write-deno") {
  const conn = await Deno.connect({ transport: "unix", path: args[0] });
  const block = new Uint8Array(Number(args[1])).fill(120);
  for (let sent = 0; sent < Number(args[2]); sent += block.length) {
    for (let off = 0; off < block.length;) {
      off += await conn.write(block.subarray(off));
    }
  }
  conn.close();
} else if (mode === "fd-ack") {
  using conn = UnixConnection.fromFd(3);
  for (let i = 0; i < Number(args[0]); i++) {
    const { fds } = await conn.recvFds({ maxFds: 1 });
    fds.forEach(close);
    await conn.write(new Uint8Array(1));
  }
}
