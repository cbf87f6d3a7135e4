// A Deno peer for the socket tests, spawned as a separate process.
//   peercred PATH      connect to PATH and wait for the other side to close
//   sendfd PATH FILE   connect to PATH and pass FILE's descriptor
//   inet HOST PORT     connect over TCP (for the --allow-net check)
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
}
close(fd);
