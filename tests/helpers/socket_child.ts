// A Deno peer for the socket tests, spawned as a separate process.
//   peercred PATH      connect to PATH and wait for the other side to close
//   sendfd PATH FILE   connect to PATH and pass FILE's descriptor
//   inet HOST PORT     connect over TCP (for the --allow-net check)
//   sendfdsbig PATH N  connect to PATH and send stdin's descriptor with N
//                      bytes of 5 (sendFdsSync), then close
import {
  AF_INET,
  AF_UNIX,
  close,
  connect,
  O_RDONLY,
  open,
  recv,
  sendmsg,
  SOCK_STREAM,
  socket,
  UnixConnection,
} from "../../mod.ts";

const [mode, path, file] = Deno.args;
const fd = socket(mode === "inet" ? AF_INET : AF_UNIX, SOCK_STREAM);
if (mode === "inet") {
  connect(fd, { family: "inet", address: path, port: Number(file) });
} else {
  connect(fd, { family: "unix", path });
}
if (mode === "peercred") {
  recv(fd, new Uint8Array(1));
} else if (mode === "sendfd") {
  const f = open(file, O_RDONLY);
  sendmsg(fd, {
    data: new Uint8Array([1]),
    control: [{ type: "rights", fds: [f] }],
  });
  close(f);
} else if (mode === "sendfdsbig") {
  using conn = UnixConnection.fromFd(fd);
  conn.sendFdsSync([0], new Uint8Array(Number(file)).fill(5));
  Deno.exit(0);
}
close(fd);
