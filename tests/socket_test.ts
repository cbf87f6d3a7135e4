import assert from "node:assert/strict";
import {
  accept,
  accept4,
  acceptAsync,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  bind,
  close,
  connect,
  connectAsync,
  F_GETFD,
  F_GETFL,
  fcntl,
  FD_CLOEXEC,
  getaddrinfo,
  getpeername,
  getsockname,
  getsockopt,
  type IpcError,
  listen,
  MSG_DONTWAIT,
  O_NONBLOCK,
  pipe,
  PipeEnd,
  read,
  recv,
  recvAsync,
  recvfrom,
  recvfromAsync,
  recvmsg,
  recvmsgAsync,
  SCM_MAX_FD,
  send,
  sendAsync,
  sendmsg,
  sendmsgAsync,
  sendto,
  setsockopt,
  SHUT_WR,
  shutdown,
  SO_PASSCRED,
  SO_PEERCRED,
  SO_RCVBUF,
  SO_SNDBUF,
  SOCK_DGRAM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  socket,
  socketpair,
  SOL_SOCKET,
  UnixConnection,
  UnixDatagram,
  UnixListener,
  write,
} from "../mod.ts";
import type { SockAddr } from "../mod.ts";
import { isBlocking } from "../ffi/fd.ts";
import {
  checkLeaksAtEnd,
  closedUnder,
  cProgram,
  isCode,
  missingPeer,
  openFds,
  procNetUnix,
  pythonWithSysvIpc,
  run,
  runDeno,
  startDeno,
  until,
  which,
  withDir,
  within,
} from "./_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const RW = ["--allow-ffi", "--allow-read", "--allow-write"];

function listener(
  addr: Parameters<typeof bind>[1],
  type = SOCK_STREAM,
): number {
  const fd = socket(AF_UNIX, type);
  bind(fd, addr);
  if (type !== SOCK_DGRAM) listen(fd);
  return fd;
}

Deno.test("a plain read does not take descriptors sent with the bytes: the kernel closes them", async () => {
  const [a, b] = UnixConnection.pair();
  const [r, w] = PipeEnd.pipe();
  try {
    const before = openFds().length;
    await a.sendFds([r.fd], new Uint8Array([7]));
    r.close();
    const buf = new Uint8Array(8);
    assert.equal(await b.read(buf, { timeout: 1000 }), 1);
    assert.equal(buf[0], 7);
    // No descriptor arrived here, and the copy in flight is closed: the
    // pipe has no reader left.
    assert.equal(openFds().length, before - 1);
    assert.throws(() => w.writeSync(new Uint8Array(1)), isCode("EPIPE"));
  } finally {
    w.close();
    a.close();
    b.close();
  }
});

Deno.test("a whole write that fails says how many bytes went (written), and they are the ones the peer got", async () => {
  /** Reads what is there without waiting; returns how many bytes. */
  const drain = async (c: UnixConnection) => {
    const buf = new Uint8Array(1 << 16);
    let total = 0;
    for (;;) {
      try {
        const n = await c.read(buf, { timeout: 20 });
        if (n === null) return total;
        total += n;
      } catch (e) {
        if ((e as IpcError).code === "ETIMEDOUT") return total;
        throw e;
      }
    }
  };
  const big = new Uint8Array(4 << 20);
  for (const form of ["async", "sync", "fds"] as const) {
    const [a, b] = UnixConnection.pair();
    try {
      let error: IpcError | undefined;
      try {
        if (form === "async") await a.writeAll(big, { timeout: 50 });
        else if (form === "sync") a.writeAllSync(big, { timeout: 50 });
        else await a.sendFds([0], big, { timeout: 50 });
      } catch (e) {
        error = e as IpcError;
      }
      assert.ok(error, `${form}: the write failed`);
      assert.equal(error.code, "ETIMEDOUT", form);
      assert.ok(
        error.written! > 0 && error.written! < big.length,
        `${form}: written ${error.written}`,
      );
      if (form === "fds") {
        const got = await b.recvFds({ maxBytes: 1 << 16, timeout: 1000 });
        for (const fd of got.fds) close(fd);
        assert.equal(got.data.length + await drain(b), error.written, form);
      } else assert.equal(await drain(b), error.written, form);
    } finally {
      a.close();
      b.close();
    }
  }
  // One that never got its turn, behind another, wrote nothing.
  const [a, b] = UnixConnection.pair();
  try {
    const first = a.writeAll(big, { timeout: 100 }).catch((e) => e);
    const second = await a.writeAll(new Uint8Array(10), { timeout: 20 })
      .catch((e) => e);
    assert.equal(second.code, "ETIMEDOUT");
    assert.equal(second.written, 0);
    assert.ok((await first).written > 0);
  } finally {
    a.close();
    b.close();
  }
  // Not a whole write: no count.
  const [c, d] = UnixConnection.pair();
  await assert.rejects(
    d.read(new Uint8Array(1), { timeout: 1 }),
    (e: unknown) =>
      (e as IpcError).code === "ETIMEDOUT" &&
      (e as IpcError).written === undefined,
  );
  c.close();
  d.close();
});

Deno.test("stream, datagram and seqpacket pairs; shutdown gives end of file; EPIPE not SIGPIPE", () => {
  for (const type of [SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET]) {
    const [a, b] = socketpair(AF_UNIX, type);
    assert.equal(send(a, enc.encode("hello")), 5);
    const buf = new Uint8Array(16);
    assert.equal(dec.decode(buf.subarray(0, recv(b, buf))), "hello");
    close(a);
    close(b);
  }
  const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
  shutdown(a, SHUT_WR);
  assert.equal(recv(b, new Uint8Array(4)), 0);
  close(b);
  assert.throws(() => send(a, new Uint8Array(1)), isCode("EPIPE", "send"));
  close(a);
});

Deno.test("pathname, abstract and unnamed addresses", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/same-name`;
    const name = `linux-ipc-test-${Deno.pid}`;
    const byPath = listener({ family: "unix", path });
    const byAbstract = listener({ family: "unix", abstract: path });
    assert.ok((await Deno.lstat(path)).isSocket);
    assert.deepEqual(getsockname(byPath), { family: "unix", path });
    assert.deepEqual(getsockname(byAbstract), {
      family: "unix",
      abstract: path,
    });
    // The same text as pathname and abstract name: two different sockets.
    const c1 = socket(AF_UNIX, SOCK_STREAM);
    connect(c1, { family: "unix", abstract: path });
    const accepted = accept4(byAbstract).fd;
    assert.ok(
      procNetUnix().includes(`@${path}`),
      "ss and /proc show it with @",
    );
    // An abstract name leaves no file; its length is exact.
    const ab = listener({ family: "unix", abstract: name }, SOCK_DGRAM);
    assert.equal(
      await Deno.lstat(`/${name}`).then(() => true, () => false),
      false,
    );
    const tx = socket(AF_UNIX, SOCK_DGRAM);
    assert.throws(
      () =>
        sendto(tx, new Uint8Array(1), 0, {
          family: "unix",
          abstract: `${name}\0`,
        }),
      isCode("ECONNREFUSED", "sendto"),
    );
    sendto(tx, enc.encode("x"), 0, { family: "unix", abstract: name });
    // An unbound sender has no address: addrlen 0 in C, None in Python,
    // null here, as recvmsg has always said.
    assert.equal(recvfrom(ab, new Uint8Array(4)).from, null);
    sendto(tx, enc.encode("x"), 0, { family: "unix", abstract: name });
    assert.equal(recvmsg(ab, { data: new Uint8Array(4) }).from, null);
    [byPath, byAbstract, c1, accepted, ab, tx].forEach(close);
  });
});

Deno.test("autobind, IPv6 addresses, and close-on-exec for received descriptors", () => {
  // Binding an unnamed address makes the kernel choose an abstract name.
  const auto = socket(AF_UNIX, SOCK_DGRAM);
  bind(auto, { family: "unix" });
  const name = getsockname(auto);
  assert.ok(
    "abstract" in name && /^[0-9a-f]{5}$/.test(name.abstract),
    JSON.stringify(name),
  );
  close(auto);
  // IPv6: parsed and printed back in the usual compressed form.
  for (
    const text of [
      "::1",
      "2001:db8::1",
      "fe80::1:2:3:4",
      "::",
      "::ffff:192.0.2.1",
    ]
  ) {
    const [first] = getaddrinfo(text, "443", {
      family: AF_INET6,
      socktype: SOCK_STREAM,
    });
    assert.deepEqual(
      {
        address: (first.address as { address: string }).address,
        port: (first.address as { port: number }).port,
      },
      { address: text, port: 443 },
    );
  }
  // Descriptors arrive with FD_CLOEXEC (MSG_CMSG_CLOEXEC).
  const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
  sendmsg(a, {
    data: new Uint8Array(1),
    control: [{ type: "rights", fds: [0] }],
  });
  const got = recvmsg(b, { data: new Uint8Array(1) });
  const rights = got.control[0];
  assert.ok(rights.type === "rights");
  assert.equal(fcntl(rights.fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  rights.fds.forEach(close);
  close(a);
  close(b);
});

Deno.test("IPv4-mapped IPv6 addresses: taken in dotted form, and an IPv4 peer of a dual-stack socket shown so", () => {
  // "::ffff:127.0.0.1" was refused as no IPv6 address, and such a peer
  // printed as "::ffff:7f00:1".
  const mapped = socket(AF_INET6, SOCK_STREAM);
  bind(mapped, { family: "inet6", address: "::ffff:127.0.0.1", port: 0 });
  assert.equal(
    (getsockname(mapped) as { address: string }).address,
    "::ffff:127.0.0.1",
  );
  close(mapped);
  for (
    const bad of ["::ffff:127.0.0", "::ffff:1.2.3.4.5", "1.2.3.4", ":1.2.3.4x"]
  ) {
    const fd = socket(AF_INET6, SOCK_STREAM);
    try {
      assert.throws(
        () => bind(fd, { family: "inet6", address: bad, port: 0 }),
        TypeError,
        bad,
      );
    } finally {
      close(fd);
    }
  }
  const server = socket(AF_INET6, SOCK_STREAM);
  bind(server, { family: "inet6", address: "::", port: 0 });
  listen(server, 1);
  const { port } = getsockname(server) as { port: number };
  const client = socket(AF_INET, SOCK_STREAM);
  connect(client, { family: "inet", address: "127.0.0.1", port });
  const accepted = accept(server);
  try {
    assert.equal(
      (accepted.addr as { address: string }).address,
      "::ffff:127.0.0.1",
    );
  } finally {
    [accepted.fd, client, server].forEach(close);
  }
});

Deno.test("socket addresses of the wrong shape are refused before the call, naming the field", () => {
  // Each was taken: an abstract name of 123 bound "@123", one left out
  // bound the empty name, a flowinfo of -1 was stored as 0xffffffff and a
  // scopeId of "x" as 0; an address that is not a string threw "text.split
  // is not a function".
  const cases: [string, SockAddr, ErrorConstructor, string][] = [
    [
      "an abstract name that is not a string",
      { family: "unix", abstract: 123 } as never,
      TypeError,
      "addr.abstract",
    ],
    [
      "an abstract name left out",
      { family: "unix", abstract: undefined } as never,
      TypeError,
      "addr.abstract",
    ],
    [
      "both a path and an abstract name",
      { family: "unix", path: "/tmp/x", abstract: "x" } as never,
      TypeError,
      "not both",
    ],
    [
      // Left unread, it made the address unnamed: bind chose an abstract
      // name itself.
      "a misspelled path",
      { family: "unix", pth: "/tmp/x" } as never,
      TypeError,
      "addr.pth",
    ],
    [
      "a field of another family",
      { family: "unix", address: "::1", port: 0 } as never,
      TypeError,
      "addr.address",
    ],
    [
      "an address that is not a string",
      { family: "inet6", address: 5, port: 0 } as never,
      TypeError,
      "addr.address",
    ],
    [
      "an address left out",
      { family: "inet6", port: 0 } as never,
      TypeError,
      "addr.address",
    ],
    [
      "a port given as text",
      { family: "inet6", address: "::1", port: "80" } as never,
      TypeError,
      "addr.port",
    ],
    [
      "a negative flowinfo",
      { family: "inet6", address: "::1", port: 0, flowinfo: -1 },
      RangeError,
      "addr.flowinfo",
    ],
    [
      "a flowinfo over 32 bits",
      { family: "inet6", address: "::1", port: 0, flowinfo: 2 ** 32 },
      RangeError,
      "addr.flowinfo",
    ],
    [
      "a scopeId given as text",
      { family: "inet6", address: "::1", port: 0, scopeId: "x" } as never,
      TypeError,
      "addr.scopeId",
    ],
    [
      "a fractional scopeId",
      { family: "inet6", address: "::1", port: 0, scopeId: 1.5 },
      TypeError,
      "addr.scopeId",
    ],
  ];
  for (const [name, addr, type, field] of cases) {
    const fd = socket(
      addr.family === "unix" ? AF_UNIX : AF_INET6,
      SOCK_DGRAM,
    );
    try {
      assert.throws(() => bind(fd, addr), (e: unknown) => {
        assert.ok(e instanceof type, `${name}: ${e}`);
        assert.match((e as Error).message, new RegExp(field), name);
        return true;
      });
      // Nothing was bound.
      const got = getsockname(fd);
      if (got.family === "unix") assert.deepEqual(got, { family: "unix" });
      else assert.equal((got as { port: number }).port, 0, name);
    } finally {
      close(fd);
    }
  }
  // A link-local address with an interface index no interface has: the
  // error names the address and says why, the index shown as "%99999".
  const fd = socket(AF_INET6, SOCK_DGRAM);
  try {
    assert.throws(
      () =>
        bind(fd, {
          family: "inet6",
          address: "fe80::1",
          port: 0,
          scopeId: 99999,
        }),
      (e: unknown) =>
        isCode("ENODEV", "bind", "addr")(e) &&
        /\[fe80::1%99999\]:0/.test((e as Error).message) &&
        /interface/.test((e as Error).message),
    );
  } finally {
    close(fd);
  }
});

Deno.test("sendmsg and recvmsg refuse a message field they do not have", () => {
  // Left unread, a misspelled field sent the message as if it were not
  // there: `name` for `to` went to the connected peer (or failed with
  // ENOTCONN), `maxfds` left room for every descriptor, and a
  // `credentials` of "false" asked for credentials.
  const [a, b] = socketpair(AF_UNIX, SOCK_DGRAM);
  try {
    const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
      [
        "a misspelled destination",
        () =>
          sendmsg(a, {
            data: new Uint8Array(1),
            name: { family: "unix", abstract: "x" },
          } as never),
        TypeError,
        /Unknown field "msg\.name" to sendmsg: .*"msg\.to"/,
      ],
      [
        "control messages not in an array",
        () =>
          sendmsg(a, {
            data: new Uint8Array(1),
            control: { type: "rights", fds: [0] },
          } as never),
        TypeError,
        /"msg\.control" to sendmsg/,
      ],
      [
        "a control message with a field it does not have",
        () =>
          sendmsg(a, {
            data: new Uint8Array(1),
            control: [{ type: "rights", fds: [0], cloexec: true }],
          } as never),
        TypeError,
        /Unknown field "msg\.control\[0\]\.cloexec" to sendmsg/,
      ],
      [
        "a misspelled maxFds",
        () => recvmsg(b, { data: new Uint8Array(1), maxfds: 0 } as never),
        TypeError,
        /Unknown field "msg\.maxfds" to recvmsg: .*"msg\.maxFds"/,
      ],
      [
        "credentials given as text",
        () =>
          recvmsg(b, {
            data: new Uint8Array(1),
            credentials: "false",
          } as never),
        TypeError,
        /"msg\.credentials" to recvmsg/,
      ],
    ];
    for (const [name, fn, type, message] of cases) {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof type, `${name}: ${e}`);
        assert.match((e as Error).message, message, name);
        return true;
      });
    }
    // Nothing was sent, and nothing taken.
    assert.throws(
      () => recv(b, new Uint8Array(1), MSG_DONTWAIT),
      isCode("EAGAIN"),
    );
  } finally {
    close(a);
    close(b);
  }
});

Deno.test("recvfrom on a TCP stream gives no sender, not a Unix one", async () => {
  // The kernel writes no address (addrlen 0) and the length-0 buffer was
  // read as { family: "unix" }: a made-up address on an inet socket.
  const l = socket(AF_INET, SOCK_STREAM);
  const c = socket(AF_INET, SOCK_STREAM);
  try {
    bind(l, { family: "inet", address: "127.0.0.1", port: 0 });
    listen(l, 1);
    connect(c, getsockname(l));
    const { fd } = accept(l);
    try {
      send(c, enc.encode("abc"));
      assert.deepEqual(recvfrom(fd, new Uint8Array(8)), { n: 3, from: null });
      send(c, enc.encode("abc"));
      assert.deepEqual(
        await recvfromAsync(fd, new Uint8Array(8), { timeout: 5000 }),
        { n: 3, from: null },
      );
    } finally {
      close(fd);
    }
  } finally {
    close(c);
    close(l);
  }
  // The class keeps its word: an unbound Unix sender is unnamed.
  using rx = UnixDatagram.bind(`@linux-ipc-test-from-${Deno.pid}`);
  const tx = socket(AF_UNIX, SOCK_DGRAM);
  try {
    sendto(tx, enc.encode("x"), 0, {
      family: "unix",
      abstract: `linux-ipc-test-from-${Deno.pid}`,
    });
    assert.deepEqual((await rx.receive({ timeout: 5000 })).from, {
      family: "unix",
    });
  } finally {
    close(tx);
  }
});

Deno.test("examples: socket_server with socket_client and with the C client", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/server.sock`;
    const server = startDeno("examples/socket_server.ts", [path], RW);
    await until(() => {
      try {
        return Deno.lstatSync(path).isSocket === true;
      } catch {
        return false;
      }
    });
    assert.equal(
      (await runDeno("examples/socket_client.ts", [path, "Hello, world."], RW))
        .code,
      0,
    );
    const cClient = await cProgram("socket_client");
    if (cClient) assert.equal((await run(cClient, [path, "from C"])).code, 0);
    assert.equal(
      (await runDeno("examples/socket_client.ts", [path, "quit"], RW)).code,
      0,
    );
    const out = dec.decode((await server.output()).stdout);
    assert.equal(
      out,
      cClient ? "Hello, world.\nfrom C\nquit\n" : "Hello, world.\nquit\n",
    );
    assert.equal(
      await Deno.lstat(path).then(() => true, () => false),
      false,
      "the server unlinked its path",
    );
  });
});

Deno.test("interop with Deno's own unix sockets, both ways", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/ours.sock`;
    const ours = listener({ family: "unix", path });
    const accepting = acceptAsync(ours, { timeout: 5000 });
    const conn = await Deno.connect({ transport: "unix", path });
    await conn.write(enc.encode("from Deno.connect"));
    const { fd } = await accepting;
    const buf = new Uint8Array(64);
    assert.equal(
      dec.decode(buf.subarray(0, await recvAsync(fd, buf, { timeout: 5000 }))),
      "from Deno.connect",
    );
    await sendAsync(fd, enc.encode("to Deno.connect"));
    const n = await conn.read(buf);
    assert.equal(dec.decode(buf.subarray(0, n!)), "to Deno.connect");
    conn.close();
    close(fd);
    close(ours);

    const theirsPath = `${dir}/theirs.sock`;
    const theirs = Deno.listen({ transport: "unix", path: theirsPath });
    const client = socket(AF_UNIX, SOCK_STREAM);
    await connectAsync(client, { family: "unix", path: theirsPath });
    const accepted = await theirs.accept();
    send(client, enc.encode("to Deno.listen"));
    const m = await accepted.read(buf);
    assert.equal(dec.decode(buf.subarray(0, m!)), "to Deno.listen");
    accepted.close();
    theirs.close();
    close(client);
  });
});

Deno.test("interop with socat: pathname and abstract, stream and datagram", async (t) => {
  if (which("socat") === null) {
    missingPeer("socat not found: apt-get install socat");
    return;
  }
  await withDir(async (dir) => {
    await t.step("stream, pathname", async () => {
      const path = `${dir}/s.sock`;
      const l = listener({ family: "unix", path });
      const sending = run(
        "socat",
        ["-", `UNIX-CONNECT:${path}`],
        "via socat\n",
      );
      const { fd } = await acceptAsync(l, { timeout: 5000 });
      const buf = new Uint8Array(64);
      let text = "";
      for (let n; (n = await recvAsync(fd, buf, { timeout: 5000 })) > 0;) {
        text += dec.decode(buf.subarray(0, n));
      }
      assert.equal(text, "via socat\n");
      await sending;
      close(fd);
      close(l);
    });
    await t.step("stream, abstract", async () => {
      const name = `linux-ipc-socat-${Deno.pid}`;
      const l = listener({ family: "unix", abstract: name });
      const sending = run(
        "socat",
        ["-", `ABSTRACT-CONNECT:${name}`],
        "abstract via socat\n",
      );
      const { fd } = await acceptAsync(l, { timeout: 5000 });
      const buf = new Uint8Array(64);
      const n = await recvAsync(fd, buf, { timeout: 5000 });
      assert.equal(dec.decode(buf.subarray(0, n)), "abstract via socat\n");
      await sending;
      close(fd);
      close(l);
    });
    await t.step("datagram, pathname, socat receives", async () => {
      const path = `${dir}/d.sock`;
      const receiving = new Deno.Command("socat", {
        args: ["-u", `UNIX-RECV:${path}`, "-"],
        stdout: "piped",
      }).spawn();
      await until(() => {
        try {
          return Deno.lstatSync(path).isSocket === true;
        } catch {
          return false;
        }
      }, 5000);
      const tx = socket(AF_UNIX, SOCK_DGRAM);
      sendto(tx, enc.encode("datagram to socat\n"), 0, {
        family: "unix",
        path,
      });
      close(tx);
      const reader = receiving.stdout.getReader();
      const { value } = await reader.read();
      assert.equal(dec.decode(value), "datagram to socat\n");
      receiving.kill();
      reader.releaseLock();
      await receiving.stdout.cancel();
      await receiving.status;
    });
    await t.step("datagram, abstract, socat sends", async () => {
      const name = `linux-ipc-socat-dg-${Deno.pid}`;
      const rx = listener({ family: "unix", abstract: name }, SOCK_DGRAM);
      await run(
        "socat",
        ["-u", "-", `ABSTRACT-SENDTO:${name}`],
        "abstract datagram",
      );
      const buf = new Uint8Array(64);
      const { n } = await recvfromAsync(rx, buf, { timeout: 5000 });
      assert.equal(dec.decode(buf.subarray(0, n)), "abstract datagram");
      close(rx);
    });
  });
});

Deno.test("fd passing: a received descriptor is usable: a file, a connection, a listener", async () => {
  const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
  const take = async () => {
    const got = await recvmsgAsync(b, { data: new Uint8Array(1), maxFds: 4 }, {
      timeout: 5000,
    });
    const m = got.control.find((c) => c.type === "rights");
    assert.ok(m && m.type === "rights");
    return m.fds;
  };
  // A pipe's read end (as a received file would be).
  const [r, w] = pipe();
  write(w, enc.encode("read through a received fd"));
  close(w);
  sendmsg(a, {
    data: new Uint8Array([1]),
    control: [{ type: "rights", fds: [r] }],
  });
  close(r);
  const [fr] = await take();
  const buf = new Uint8Array(64);
  assert.equal(
    dec.decode(buf.subarray(0, read(fr, buf))),
    "read through a received fd",
  );
  close(fr);
  // A connected socket: serve it.
  const [x, y] = socketpair(AF_UNIX, SOCK_STREAM);
  sendmsg(a, {
    data: new Uint8Array([1]),
    control: [{ type: "rights", fds: [y] }],
  });
  close(y);
  const [fy] = await take();
  send(x, enc.encode("ping"));
  assert.equal(dec.decode(buf.subarray(0, recv(fy, buf))), "ping");
  send(fy, enc.encode("pong"));
  assert.equal(dec.decode(buf.subarray(0, recv(x, buf))), "pong");
  close(fy);
  close(x);
  // A listening socket: accept on it.
  const name = `linux-ipc-passed-listener-${Deno.pid}`;
  const l = listener({ family: "unix", abstract: name });
  sendmsg(a, {
    data: new Uint8Array([1]),
    control: [{ type: "rights", fds: [l] }],
  });
  close(l);
  const [fl] = await take();
  const c = socket(AF_UNIX, SOCK_STREAM);
  connect(c, { family: "unix", abstract: name });
  const { fd } = await acceptAsync(fl, { timeout: 5000 });
  [fd, c, fl, a, b].forEach(close);
});

Deno.test("sendFds sends all of its bytes, however many a stream takes at once", async () => {
  const big = 1 << 20;
  /** Reads what comes after the first recvFds, to the end of the stream. */
  const drain = async (conn: UnixConnection) => {
    const first = await conn.recvFds({ maxBytes: 65536 });
    first.fds.forEach((fd) => close(fd));
    let n = first.data.length, fives = first.data.every((v) => v === 5);
    const buf = new Uint8Array(65536);
    for (;;) {
      const k = await conn.read(buf, { timeout: 10_000 });
      if (k === null) break;
      fives &&= buf.subarray(0, k).every((v) => v === 5);
      n += k;
    }
    return { n, fds: first.fds.length, fives };
  };
  // Async, a reader in this process.
  {
    const [a, b] = UnixConnection.pair();
    const got = drain(b);
    await a.sendFds([0], new Uint8Array(big).fill(5), { timeout: 10_000 });
    a.close();
    assert.deepEqual(await got, { n: big, fds: 1, fives: true });
    b.close();
  }
  // Sync, from another process.
  await withDir(async (dir) => {
    const path = `${dir}/big.sock`;
    using server = UnixListener.listen(path);
    const child = startDeno(
      "tests/helpers/socket_child.ts",
      ["sendfdsbig", path, String(big)],
      RW,
    );
    using conn = await server.accept({ timeout: 10_000 });
    assert.deepEqual(await drain(conn), { n: big, fds: 1, fives: true });
    assert.equal((await child.status).code, 0);
    await child.stdout.cancel();
  });
});

Deno.test("fd passing between processes: the send_fd and recv_fd examples", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fd.sock`;
    const file = `${dir}/payload.txt`;
    await Deno.writeTextFile(
      file,
      "the contents of a file the receiver never opened\n",
    );
    const receiver = startDeno("examples/recv_fd.ts", [path], RW);
    await until(() => {
      try {
        return Deno.lstatSync(path).isSocket === true;
      } catch {
        return false;
      }
    });
    const s = await runDeno("examples/send_fd.ts", [path, file], RW);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(
      dec.decode((await receiver.output()).stdout),
      "the contents of a file the receiver never opened\n",
    );
    assert.equal(await Deno.lstat(path).then(() => true, () => false), false);
  });
});

Deno.test("interop with Python's socket module: send_fds, recv_fds and SO_PEERCRED", async () => {
  const python = await pythonWithSysvIpc();
  if (python === null) return;
  await withDir(async (dir) => {
    const path = `${dir}/py.sock`;
    const l = listener({ family: "unix", path });
    const script = `
import socket, os, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(${JSON.stringify(path)})
r, w = os.pipe()
os.write(w, b"from python through a passed pipe")
os.close(w)
socket.send_fds(s, [b"x"], [r])
msg, fds, flags, addr = socket.recv_fds(s, 16, 4)
print(os.read(fds[0], 100).decode())
import struct
pid, uid, gid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
print(pid)
`;
    const py = new Deno.Command(python, {
      args: ["-c", script],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const { fd } = await acceptAsync(l, { timeout: 5000 });
    const creds = getsockopt(fd, SOL_SOCKET, SO_PEERCRED);
    assert.equal(creds.pid, py.pid);
    assert.equal(creds.uid, Deno.uid());
    const got = await recvmsgAsync(fd, { data: new Uint8Array(1) }, {
      timeout: 5000,
    });
    const rights = got.control.find((m) => m.type === "rights");
    assert.ok(rights && rights.type === "rights");
    const buf = new Uint8Array(64);
    assert.equal(
      dec.decode(buf.subarray(0, read(rights.fds[0], buf))),
      "from python through a passed pipe",
    );
    close(rights.fds[0]);
    const [r, w] = pipe();
    write(w, enc.encode("from Deno through a passed pipe"));
    close(w);
    sendmsg(fd, {
      data: new Uint8Array([1]),
      control: [{ type: "rights", fds: [r] }],
    });
    close(r);
    const out = await py.output();
    assert.equal(out.code, 0, dec.decode(out.stderr));
    assert.equal(
      dec.decode(out.stdout),
      `from Deno through a passed pipe\n${Deno.pid}\n`,
    );
    close(fd);
    close(l);
  });
});

Deno.test("Unix names that are not UTF-8 come back exactly, as Python's surrogateescape, and reach the same socket", async () => {
  // Decoded with U+FFFD, a peer's name with a byte such as 0xff could not
  // be given back to reach it, and a path the library bound could not be
  // found again to be removed at close.
  const python = await pythonWithSysvIpc();
  if (python === null) return;
  await withDir(async (dir) => {
    const prefix = `linux-ipc-test-name-${Deno.pid}-`;
    const script = `
import os, socket, sys
prefix, d = sys.argv[1].encode(), sys.argv[2].encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(b"\\0" + prefix + b"py\\xff")
print("ready", flush=True)
data, addr = s.recvfrom(100)
print(addr.hex(), flush=True)
s.sendto(data + b"!", addr)
line = sys.stdin.readline()
print([n.hex() for n in os.listdir(d)], flush=True)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(d + b"/srv-\\xfd")
c.sendall(b"hi")
print(c.recv(10).decode(), flush=True)
`;
    const py = new Deno.Command(python, {
      args: ["-c", script, prefix, dir],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdin = py.stdin.getWriter();
    const lines = py.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    const line = async () => {
      while (!pending.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`python ended: "${pending}"`);
        pending += value;
      }
      const at = pending.indexOf("\n");
      const got = pending.slice(0, at);
      pending = pending.slice(at + 1);
      return got;
    };
    const hex = (s: string) =>
      Array.from(
        new TextEncoder().encode(s),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
    let ok = false;
    try {
      assert.equal(await line(), "ready");
      // An abstract name with the byte 0xfe, written as U+DCFE.
      using me = UnixDatagram.bind({
        family: "unix",
        abstract: `${prefix}deno\u{dcfe}`,
      });
      await me.send(enc.encode("ping"), {
        family: "unix",
        abstract: `${prefix}py\u{dcff}`,
      }, { timeout: 5000 });
      assert.equal(await line(), `00${hex(prefix)}64656e6ffe`);
      const reply = await me.receive({ timeout: 5000 });
      assert.equal(dec.decode(reply.data), "ping!");
      assert.deepEqual(reply.from, {
        family: "unix",
        abstract: `${prefix}py\u{dcff}`,
      });
      // A pathname with the byte 0xfd: bound, listed by Python with it,
      // reached by Python, and removed at close.
      using l = UnixListener.listen(`${dir}/srv-\u{dcfd}`);
      assert.deepEqual(l.addr, { family: "unix", path: `${dir}/srv-\u{dcfd}` });
      await stdin.write(enc.encode("go\n"));
      assert.equal(await line(), `['${hex("srv-")}fd']`);
      using c = await l.accept({ timeout: 5000 });
      const buf = new Uint8Array(2);
      for (let n = 0; n < 2;) {
        n += (await c.read(buf.subarray(n), { timeout: 5000 })) ?? 2;
      }
      assert.equal(dec.decode(buf), "hi");
      await c.write(enc.encode("ok"), { timeout: 5000 });
      assert.equal(await line(), "ok");
      l.close();
      assert.deepEqual([...Deno.readDirSync(dir)], []);
      // A lone surrogate that stands for no byte is refused, not sent as
      // U+FFFD.
      assert.throws(
        () => UnixListener.listen(`@${prefix}\u{d800}`),
        (e: unknown) =>
          e instanceof TypeError && /lone surrogate U\+D800/.test(e.message),
      );
      ok = true;
    } finally {
      // Python waits for a datagram or a line that a failed step never
      // sent: it is ended, not waited for.
      if (!ok) py.kill();
      await stdin.close().catch(() => {});
      await lines.cancel();
      const [status, stderr] = await Promise.all([
        py.status,
        new Response(py.stderr).text(),
      ]);
      if (ok) assert.equal(status.code, 0, stderr);
    }
  });
});

Deno.test("credentials: SO_PEERCRED of a child, SCM_CREDENTIALS with SO_PASSCRED", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/cred.sock`;
    const l = listener({ family: "unix", path });
    const child = startDeno(
      "tests/helpers/socket_child.ts",
      ["peercred", path],
      RW,
    );
    const { fd } = await acceptAsync(l, { timeout: 5000 });
    assert.equal(getsockopt(fd, SOL_SOCKET, SO_PEERCRED).pid, child.pid);
    close(fd);
    await child.output();
    close(l);
  });
  const [a, b] = socketpair(AF_UNIX, SOCK_DGRAM);
  setsockopt(b, SOL_SOCKET, SO_PASSCRED, true);
  assert.equal(getsockopt(b, SOL_SOCKET, SO_PASSCRED), 1);
  sendmsg(a, {
    data: new Uint8Array([1]),
    control: [{
      type: "credentials",
      pid: Deno.pid,
      uid: Deno.uid()!,
      gid: Deno.gid()!,
    }],
  });
  const got = recvmsg(b, { data: new Uint8Array(1) });
  assert.deepEqual(got.control, [{
    type: "credentials",
    pid: Deno.pid,
    uid: Deno.uid()!,
    gid: Deno.gid()!,
  }]);
  setsockopt(a, SOL_SOCKET, SO_SNDBUF, 65536);
  assert.ok(getsockopt(a, SOL_SOCKET, SO_SNDBUF) >= 65536);
  assert.ok(getsockopt(a, SOL_SOCKET, SO_RCVBUF) > 0);
  close(a);
  close(b);
});

Deno.test("a truncated control message closes what arrived and throws", () => {
  const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
  const before = openFds();
  sendmsg(a, {
    data: new Uint8Array([1]),
    control: [{ type: "rights", fds: [0, 1, 2] }],
  });
  assert.throws(
    () =>
      recvmsg(b, { data: new Uint8Array(1), maxFds: 1, credentials: false }),
    isCode("EMSGSIZE", "recvmsg"),
  );
  assert.deepEqual(openFds(), before, "no received descriptor is left open");
  // Up to the kernel's limit in one message.
  const many = new Array(SCM_MAX_FD).fill(0);
  sendmsg(a, {
    data: new Uint8Array([1]),
    control: [{ type: "rights", fds: many }],
  });
  const got = recvmsg(b, { data: new Uint8Array(1) });
  const rights = got.control[0];
  assert.ok(rights.type === "rights" && rights.fds.length === SCM_MAX_FD);
  rights.fds.forEach(close);
  assert.throws(
    () =>
      sendmsg(a, {
        data: new Uint8Array([1]),
        control: [{ type: "rights", fds: [...many, 0] }],
      }),
    RangeError,
  );
  close(a);
  close(b);
});

Deno.test("examples: dgram sender and receiver, pathname and abstract", async () => {
  await withDir(async (dir) => {
    for (const abstract of [false, true]) {
      const name = abstract
        ? `linux-ipc-coretech-${Deno.pid}`
        : `${dir}/coretech`;
      const flag = abstract ? ["--abstract"] : [];
      const rx = startDeno("examples/dgram_receiver.ts", [
        ...flag,
        "--count",
        "3",
        name,
      ], RW);
      await until(() =>
        procNetUnix().includes(
          abstract ? `@${name}` : name,
        )
      );
      const s = await runDeno("examples/dgram_sender.ts", [
        ...flag,
        name,
        "one",
        "two",
        "three",
      ], RW);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(dec.decode((await rx.output()).stdout), "one\ntwo\nthree\n");
      assert.equal(
        await Deno.lstat(`${dir}/coretech`).then(() => true, () => false),
        false,
      );
    }
  });
});

Deno.test("examples: socket_inet fetches from a server on 127.0.0.1", async () => {
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await server.accept();
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    assert.equal(dec.decode(buf.subarray(0, n!)), "GET /\n");
    await conn.write(enc.encode("<html>hello from 127.0.0.1</html>\n"));
    conn.close();
  })();
  const port = String((server.addr as Deno.NetAddr).port);
  // --allow-ffi alone does not get around --allow-net (as Deno.connect).
  const denied = await runDeno("tests/helpers/socket_child.ts", [
    "inet",
    "127.0.0.1",
    port,
  ], ["--no-prompt", "--allow-ffi"]);
  assert.match(
    denied.stderr,
    new RegExp(
      `NotCapable: Requires net access to "127\\.0\\.0\\.1:${port}", run again with the --allow-net flag`,
    ),
  );
  const r = await runDeno("examples/socket_inet.ts", [
    "127.0.0.1",
    port,
  ], ["--allow-ffi", `--allow-net=127.0.0.1:${port}`]);
  await serving;
  server.close();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "<html>hello from 127.0.0.1</html>\n");
  assert.deepEqual(
    getaddrinfo("127.0.0.1", "80", {
      family: AF_INET,
      socktype: SOCK_STREAM,
    })[0].address,
    {
      family: "inet",
      address: "127.0.0.1",
      port: 80,
    },
  );
  const fd = socket(AF_INET, SOCK_STREAM);
  await assert.rejects(
    connectAsync(fd, { family: "inet", address: "127.0.0.1", port: 1 }),
    isCode("ECONNREFUSED", "connect"),
  );
  close(fd);
});

Deno.test("bad input: typed errors, no descriptor leaked, the process lives", async (t) => {
  const before = openFds();
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/plain-file`, "x");
    const fd = socket(AF_UNIX, SOCK_STREAM);
    const cases: [
      string,
      () => unknown,
      ErrorConstructor | string | ((e: unknown) => boolean),
    ][] = [
      [
        "a path longer than sun_path",
        () => bind(fd, { family: "unix", path: `/tmp/${"x".repeat(120)}` }),
        RangeError,
      ],
      [
        "a path of exactly 108 bytes (no room for the NUL)",
        () => bind(fd, { family: "unix", path: "/".repeat(108) }),
        RangeError,
      ],
      [
        "an abstract name longer than 107 bytes",
        () => bind(fd, { family: "unix", abstract: "x".repeat(108) }),
        RangeError,
      ],
      [
        "a NUL inside a path",
        () => connect(fd, { family: "unix", path: "/tmp/a\0b" }),
        TypeError,
      ],
      [
        "connect to a missing path",
        () => connect(fd, { family: "unix", path: `${dir}/missing` }),
        "ENOENT",
      ],
      [
        "connect to a path that is not a socket",
        () => connect(fd, { family: "unix", path: `${dir}/plain-file` }),
        "ECONNREFUSED",
      ],
      [
        "sending a descriptor that is not open",
        () =>
          sendmsg(fd, {
            data: new Uint8Array(1),
            control: [{ type: "rights", fds: [987] }],
          }),
        "EBADF",
      ],
      [
        "no descriptors in a rights message",
        () =>
          sendmsg(fd, {
            data: new Uint8Array(1),
            control: [{ type: "rights", fds: [] }],
          }),
        RangeError,
      ],
      [
        "an unknown control message",
        () =>
          sendmsg(fd, {
            data: new Uint8Array(1),
            control: [{ type: "x" } as never],
          }),
        TypeError,
      ],
      ["recv on a closed socket", () => recv(987, new Uint8Array(1)), "EBADF"],
      [
        "send on something not a socket",
        () => send(0, new Uint8Array(1)),
        "ENOTSOCK",
      ],
      [
        "listen on a datagram socket",
        () => listen(socket(AF_UNIX, SOCK_DGRAM)),
        "EOPNOTSUPP",
      ],
      ["an unknown family", () => socket(12345, SOCK_STREAM), "EAFNOSUPPORT"],
      [
        "a bad port",
        () =>
          connect(fd, { family: "inet", address: "127.0.0.1", port: 70000 }),
        RangeError,
      ],
      [
        "a bad IPv4 address",
        () => connect(fd, { family: "inet", address: "1.2.3", port: 80 }),
        TypeError,
      ],
      [
        // 8.0.0.1 to inet_aton, 10.0.0.1 to a reader: refused, as by
        // inet_pton and Deno.
        "an IPv4 address with a leading zero",
        () => connect(fd, { family: "inet", address: "010.0.0.1", port: 80 }),
        TypeError,
      ],
      ["unknown send flags", () => send(fd, new Uint8Array(1), 1), RangeError],
      [
        "getpeername of an unconnected socket",
        () => getpeername(fd),
        "ENOTCONN",
      ],
      [
        "a host that does not resolve",
        () => getaddrinfo("no-such-host.invalid", "80"),
        (e: unknown) =>
          // EAI_NONAME, or EAI_AGAIN where no resolver answers.
          isCode((e as IpcError).code, "getaddrinfo", "node")(e) &&
          /^EAI_(NONAME|AGAIN|NODATA)$/.test((e as IpcError).code),
      ],
      [
        "a service that does not exist",
        () => getaddrinfo("127.0.0.1", "no-such-service", { socktype: 1 }),
        (e: unknown) => isCode("EAI_SERVICE", "getaddrinfo", "service")(e),
      ],
      [
        // Left unread, it asked for every kind of socket.
        "a misspelled hint",
        () => getaddrinfo("127.0.0.1", "80", { sockettype: 1 } as never),
        (e: unknown) =>
          e instanceof TypeError &&
          /Unknown field "hints\.sockettype" to getaddrinfo/.test(e.message),
      ],
      [
        "a hint that is not a number",
        () => getaddrinfo("127.0.0.1", "80", { family: "inet" } as never),
        (e: unknown) =>
          e instanceof TypeError && /"hints\.family"/.test(e.message),
      ],
      [
        "a family getaddrinfo does not take",
        () => getaddrinfo("127.0.0.1", "80", { family: 1 }),
        (e: unknown) => isCode("EAI_FAMILY", "getaddrinfo", "hints")(e),
      ],
    ];
    try {
      for (const [name, fn, expected] of cases) {
        await t.step(name, () => {
          if (typeof expected === "string") assert.throws(fn, isCode(expected));
          else assert.throws(fn, expected);
        });
      }
    } finally {
      close(fd);
    }
    await t.step("async forms reject the same way", async () => {
      await assert.rejects(recvAsync(987, new Uint8Array(1)), isCode("EBADF"));
      const s = socket(AF_UNIX, SOCK_STREAM);
      await assert.rejects(
        connectAsync(s, { family: "unix", path: `${dir}/missing` }),
        isCode("ENOENT", "connect"),
      );
      close(s);
    });
    await t.step(
      "pathname sockets honour --allow-read and --allow-write",
      async () => {
        const r = await runDeno("tests/helpers/socket_child.ts", [
          "peercred",
          `${dir}/denied.sock`,
        ], [
          "--no-prompt",
          "--allow-ffi",
        ]);
        assert.match(
          r.stderr,
          /NotCapable: Requires read access to ".*denied\.sock", run again with the --allow-read flag/,
        );
      },
    );
  });
  // The listen case made a datagram socket inline: close it, and nothing else.
  const leaked = openFds().filter((fd) => !before.includes(fd));
  leaked.forEach(close);
  assert.equal(
    leaked.length,
    1,
    "only the datagram socket made inside the listen case",
  );
});

Deno.test("the thin async sends and receives leave a blocking socket blocking and never block the loop", async () => {
  const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
  const [c, d] = socketpair(AF_UNIX, SOCK_DGRAM);
  try {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await assert.rejects(
      recvAsync(b, new Uint8Array(4), { timeout: 60 }),
      isCode("ETIMEDOUT"),
    );
    assert.ok(ticks > 0, "timers ran while the receive waited");
    const waiting = recvAsync(b, new Uint8Array(8));
    setTimeout(() => send(a, enc.encode("hello")), 20);
    assert.equal(await within(waiting, 5000), 5);
    assert.equal(await sendAsync(a, enc.encode("back")), 4);
    assert.equal(recv(b, new Uint8Array(8)), 4);
    const datagram = recvfromAsync(d, new Uint8Array(8));
    setTimeout(() => send(c, enc.encode("dg")), 20);
    assert.equal((await within(datagram, 5000)).n, 2);
    await sendmsgAsync(a, { data: enc.encode("msg") });
    assert.equal((await recvmsgAsync(b, { data: new Uint8Array(8) })).n, 3);
    clearInterval(timer);
    for (const fd of [a, b, c, d]) {
      assert.equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0, `${fd} still blocking`);
    }
  } finally {
    [a, b, c, d].forEach(close);
  }
});

Deno.test("UnixConnection.readable: a byte stream that BYOB readers fill in place", async () => {
  const [a, b] = UnixConnection.pair();
  const sent = new Uint8Array(100_000).map((_, i) => i % 251);
  const writing = a.writeAll(sent).then(() => a.close());
  const reader = b.readable.getReader({ mode: "byob" });
  const got = new Uint8Array(sent.length);
  let buf = new Uint8Array(4096), off = 0;
  for (;;) {
    const { value, done } = await reader.read(buf);
    if (done) break;
    got.set(value, off);
    off += value.length;
    buf = new Uint8Array(value.buffer);
  }
  await writing;
  assert.equal(off, sent.length);
  assert.deepEqual(got, sent);
  assert.throws(() => b.fd, Deno.errors.BadResource); // closed at the end
});

Deno.test("UnixConnection reads into an empty buffer give 0 at once, as read(2) and Deno.Conn", async () => {
  for (const type of ["stream", "seqpacket"] as const) {
    const [a, b] = UnixConnection.pair(type);
    // Nothing to read: recv(2) of 0 bytes would wait for data; read does not.
    assert.equal(await within(b.read(new Uint8Array(0)), 1000), 0);
    assert.equal(b.readSync(new Uint8Array(0), { timeout: 1000 }), 0);
    // Data waiting: it stays for the next read.
    a.writeSync(enc.encode("kept"));
    assert.equal(await b.read(new Uint8Array(0)), 0);
    assert.equal(b.readSync(new Uint8Array(0)), 0);
    const buf = new Uint8Array(16);
    assert.equal(await b.read(buf, { timeout: 1000 }), 4);
    assert.equal(dec.decode(buf.subarray(0, 4)), "kept");
    // Options are still checked, and a closed connection still refuses.
    await assert.rejects(
      b.read(new Uint8Array(0), { timeout: -1 }),
      RangeError,
    );
    assert.throws(
      () => b.readSync(new Uint8Array(0), { timeout: NaN }),
      RangeError,
    );
    const why = new Error("stop");
    await assert.rejects(
      b.read(new Uint8Array(0), { signal: AbortSignal.abort(why) }),
      (e) => e === why,
    );
    a.close();
    b.close();
    await assert.rejects(b.read(new Uint8Array(0)), Deno.errors.BadResource);
    assert.throws(
      () => b.readSync(new Uint8Array(0)),
      Deno.errors.BadResource,
    );
  }
});

Deno.test("EPIPE after this end's closeWrite does not blame the peer", async () => {
  const [a, b] = UnixConnection.pair();
  a.closeWrite();
  const mine = (e: unknown) =>
    isCode("EPIPE", "send", "sockfd")(e) &&
    /at this end \(closeWrite/.test((e as Error).message);
  await assert.rejects(a.write(enc.encode("x")), mine);
  assert.throws(() => a.writeSync(enc.encode("x")), mine);
  a.close();
  b.close();
});

Deno.test("UnixConnection.close ends a pending read; the next socket keeps its data", async () => {
  const [a, b] = UnixConnection.pair();
  const pending = b.read(new Uint8Array(16));
  await new Promise((res) => setTimeout(res, 20)); // parked on a thread
  b.close();
  // As its calls from now on throw; EBADF was for a bare number closed.
  await assert.rejects(within(pending, 1000), closedUnder("connection"));
  const [c, d] = UnixConnection.pair(); // may reuse the closed number
  await c.writeAll(enc.encode("mine"));
  a.close(); // wakes the old wait, if it were still there
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(await d.read(new Uint8Array(16), { timeout: 1000 }), 4);
  c.close();
  d.close();
});

Deno.test("UnixListener and UnixConnection: accept, streams, fds, credentials, clean-up", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/classes.sock`;
    const server = UnixListener.listen(path);
    assert.deepEqual(server.addr, { family: "unix", path });
    const serving = (async () => {
      for await (const conn of server) {
        using c = conn;
        assert.equal(c.peer.pid, Deno.pid);
        const text = await new Response(c.readable).text();
        assert.equal(text, "streamed to the server");
        return "served";
      }
      return "ended";
    })();
    const client = await UnixConnection.connect(path, { timeout: 5000 });
    const writer = client.writable.getWriter();
    await writer.write(enc.encode("streamed to the server"));
    await writer.close(); // shuts down the writing half: the server reads the end
    assert.equal(await serving, "served");
    client.close();
    // A pending accept ends when the listener closes; the path goes with it.
    const pending = server.accept();
    server.close();
    await assert.rejects(pending, Deno.errors.BadResource);
    assert.equal(await Deno.lstat(path).then(() => true, () => false), false);
  });
  const [a, b] = UnixConnection.pair("seqpacket");
  const [r, w] = pipe();
  write(w, enc.encode("passed"));
  close(w);
  await a.sendFds([r], enc.encode("one pipe"));
  close(r);
  const got = await b.recvFds({ timeout: 5000 });
  assert.equal(dec.decode(got.data), "one pipe");
  const buf = new Uint8Array(16);
  assert.equal(dec.decode(buf.subarray(0, read(got.fds[0], buf))), "passed");
  got.fds.forEach(close);
  a.close();
  assert.equal(await b.read(new Uint8Array(4)), null);
  b.close();
  b.close();
  assert.throws(() => b.fd, Deno.errors.BadResource);
});

Deno.test("errors name what is at fault: a descriptor to pass, an unnamed or foreign address", async () => {
  const [a, b] = UnixConnection.pair();
  const [r, w] = pipe();
  close(w); // w's number is now not open
  for (
    const send of [
      () => a.sendFds([r, w], new Uint8Array(1)),
      () => Promise.try(() => a.sendFdsSync([r, w], new Uint8Array(1))),
      () =>
        Promise.try(() =>
          sendmsg(a.fd, {
            data: new Uint8Array(1),
            control: [{ type: "rights", fds: [w] }],
          })
        ),
    ]
  ) {
    await assert.rejects(send(), (e: unknown) => {
      assert.ok(isCode("EBADF", "sendmsg", "fds")(e));
      assert.match((e as Error).message, new RegExp(`"${w}"`));
      return true;
    });
  }
  close(r);
  a.close();
  b.close();
  const name = `linux-ipc-blame-${Deno.pid}`;
  using rx = UnixDatagram.bind(`@${name}`);
  const tx = socket(AF_UNIX, SOCK_DGRAM);
  try {
    sendto(tx, new Uint8Array(1), 0, { family: "unix", abstract: name });
    const { from } = await rx.receive({ timeout: 5000 });
    await assert.rejects(
      rx.send(new Uint8Array(1), from),
      (e: unknown) =>
        isCode("EINVAL", "sendto", "addr")(e) &&
        /unnamed.*binds a name.*\{ family: "unix" \}/.test(
          (e as Error).message,
        ),
    );
    assert.throws(
      () =>
        sendto(tx, new Uint8Array(1), 0, {
          family: "inet",
          address: "127.0.0.1",
          port: 9,
        }),
      (e: unknown) =>
        isCode("EINVAL", "sendto", "addr")(e) &&
        /family "inet".*family "unix"/.test((e as Error).message),
    );
    // connect names the address too, sync and async (connectAsync and the
    // class's connect blamed "sockfd", with no word of why).
    const inet = { family: "inet", address: "127.0.0.1", port: 9 } as const;
    const foreign = (e: unknown) =>
      isCode("EINVAL", "connect", "addr")(e) &&
      /family "inet".*family "unix"/.test((e as Error).message);
    const stream = socket(AF_UNIX, SOCK_STREAM);
    try {
      assert.throws(() => connect(stream, inet), foreign);
      await assert.rejects(connectAsync(stream, inet), foreign);
      await assert.rejects(UnixConnection.connect(inet), foreign);
    } finally {
      close(stream);
    }
  } finally {
    close(tx);
  }
});

Deno.test("EADDRINUSE says what holds the address: a file, a live socket, or one whose server is gone", async () => {
  await withDir(async (dir) => {
    const inUse = (hint: RegExp) => (e: unknown) =>
      isCode("EADDRINUSE", "bind", "addr")(e) &&
      hint.test((e as Error).message);
    // A regular file: bind makes the socket file itself.
    await Deno.writeTextFile(`${dir}/file`, "x");
    assert.throws(
      () => UnixListener.listen(`${dir}/file`),
      inUse(/a regular file is at this path, not a socket/),
    );
    // A live socket, of either type, and a live abstract name.
    {
      using live = UnixListener.listen(`${dir}/live.sock`);
      assert.throws(
        () => UnixListener.listen(`${dir}/live.sock`),
        inUse(/still open .* is bound to this path/),
      );
      assert.throws(
        () => UnixDatagram.bind(`${dir}/live.sock`),
        inUse(/still open/),
      );
      assert.equal(live.closed, false);
    }
    {
      const name = `@linux-ipc-inuse-${Deno.pid}`;
      using held = UnixListener.listen(name);
      assert.throws(
        () => UnixListener.listen(name),
        inUse(/holds this abstract name/),
      );
      assert.equal(held.closed, false);
    }
    // A process that bound and died without closing left its file: nobody
    // listens, so it is safe to remove, and the error says so.
    const stale = `${dir}/stale.sock`;
    const child = await run(Deno.execPath(), [
      "eval",
      `import { UnixListener } from ${
        JSON.stringify(new URL("../mod.ts", import.meta.url).href)
      }; UnixListener.listen(${JSON.stringify(stale)}); Deno.exit(0);`,
    ]);
    assert.equal(child.code, 0, child.stderr);
    assert.ok(Deno.lstatSync(stale).isSocket);
    assert.throws(
      () => UnixListener.listen(stale),
      inUse(/nothing is listening on it .*remove it first/),
    );
    // What the probe left: nothing but the stale file.
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["file", "stale.sock"],
    );
  });
});

Deno.test("seqpacket read refuses a buffer smaller than the message (EMSGSIZE), taking nothing", async () => {
  const [a, b] = UnixConnection.pair("seqpacket");
  await a.write(enc.encode("ten bytes!"));
  await assert.rejects(
    b.read(new Uint8Array(4)),
    isCode("EMSGSIZE", "recv", "buf"),
  );
  assert.throws(
    () => b.readSync(new Uint8Array(9)),
    isCode("EMSGSIZE", "recv", "buf"),
  );
  const buf = new Uint8Array(10);
  assert.equal(await b.read(buf), 10);
  assert.equal(dec.decode(buf), "ten bytes!");
  a.writeSync(enc.encode("two"));
  assert.equal(b.readSync(buf), 3);
  a.close();
  assert.equal(await b.read(buf), null);
  b.close();
});

Deno.test("concurrent seqpacket reads each measure and take their own message: none is cut", async () => {
  const [a, b] = UnixConnection.pair("seqpacket");
  a.writeSync(enc.encode("a"));
  a.writeSync(enc.encode("bbbbbbbb"));
  a.writeSync(enc.encode("cc"));
  // Made at once: the second must not take the 8-byte message into 4 bytes
  // on the strength of the first message's length.
  const small = [new Uint8Array(4), new Uint8Array(4)];
  const [first, second] = await Promise.allSettled(
    small.map((buf) => b.read(buf)),
  );
  assert.deepEqual(first, { status: "fulfilled", value: 1 });
  assert.equal(second.status, "rejected");
  assert.ok(isCode("EMSGSIZE", "recv", "buf")(second.reason));
  assert.match(second.reason.message, /8 bytes.*nothing was taken/);
  const buf = new Uint8Array(8);
  assert.equal(await b.read(buf), 8);
  assert.equal(dec.decode(buf), "bbbbbbbb");
  // Several at once, each large enough, get the messages in order.
  for (const m of ["one", "two", "three"]) a.writeSync(enc.encode(m));
  const bufs = [0, 1, 2, 3].map(() => new Uint8Array(8));
  const got = await Promise.all(bufs.map((x) => b.read(x)));
  assert.deepEqual(
    got.map((n, i) => dec.decode(bufs[i].subarray(0, n!))),
    ["cc", "one", "two", "three"],
  );
  a.close();
  b.close();
});

Deno.test("seqpacket recvFds refuses a message over maxBytes (EMSGSIZE), taking nothing", async () => {
  const [a, b] = UnixConnection.pair("seqpacket");
  const big = new Uint8Array(5000).fill(7);
  await a.sendFds([0], big);
  await assert.rejects(
    b.recvFds(),
    (e: Error & { argument?: string }) =>
      isCode("EMSGSIZE", "recvmsg", "maxBytes")(e) &&
      /5000 bytes.*nothing was taken/.test(e.message),
  );
  assert.throws(
    () => b.recvFdsSync({ maxBytes: 4999 }),
    isCode("EMSGSIZE", "recvmsg", "maxBytes"),
  );
  const got = b.recvFdsSync({ maxBytes: 5000 });
  assert.equal(got.data.length, 5000);
  assert.deepEqual(got.data, big);
  assert.equal(got.fds.length, 1);
  got.fds.forEach((fd) => close(fd));
  // A stream connection keeps what does not fit for the next read.
  const [c, d] = UnixConnection.pair();
  c.writeSync(new Uint8Array(100).fill(1));
  assert.equal((await d.recvFds({ maxBytes: 10 })).data.length, 10);
  assert.equal(d.readSync(new Uint8Array(200)), 90);
  for (const x of [a, b, c, d]) x.close();
});

Deno.test("connections a listener accepts are of its type: seqpacket reads take whole messages", async () => {
  for (const type of ["seqpacket", "stream"] as const) {
    for (const adopted of [false, true]) {
      const name = `linux-ipc-acc-type-${Deno.pid}-${type}-${adopted}`;
      let server: UnixListener;
      if (adopted) {
        // Taken over by descriptor, the listener finds its type itself.
        const fd = socket(
          AF_UNIX,
          type === "seqpacket" ? SOCK_SEQPACKET : SOCK_STREAM,
        );
        bind(fd, { family: "unix", abstract: name });
        listen(fd);
        server = UnixListener.fromFd(fd);
      } else server = UnixListener.listen(`@${name}`, { type });
      using _server = server;
      using client = await UnixConnection.connect(`@${name}`, { type });
      using conn = type === "seqpacket"
        ? await server.accept({ timeout: 2000 })
        : server.acceptSync({ timeout: 2000 });
      assert.ok(!isBlocking(conn.fd), "accepted non-blocking");
      client.writeSync(enc.encode("eight by"));
      const small = new Uint8Array(4);
      if (type === "seqpacket") {
        await assert.rejects(
          conn.read(small),
          isCode("EMSGSIZE", "recv", "buf"),
        );
        assert.equal(await conn.read(new Uint8Array(8)), 8);
      } else {
        assert.equal(await conn.read(small), 4);
        assert.equal(conn.readSync(small), 4);
      }
    }
  }
});

Deno.test("seqpacket readable: each message whole, whatever the chunk size; BYOB readers lose nothing", async () => {
  const sizes = [70_000, 200_000, 3, 65_536];
  const message = (size: number, seed: number) =>
    Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed) & 0xff);
  {
    const [a, b] = UnixConnection.pair("seqpacket");
    const sending = (async () => {
      for (const [i, size] of sizes.entries()) {
        assert.equal(await a.write(message(size, i)), size);
      }
      a.close();
    })();
    const chunks: Uint8Array[] = [];
    for await (const chunk of b.readable) chunks.push(chunk);
    await sending;
    assert.deepEqual(chunks.map((c) => c.length), sizes);
    chunks.forEach((c, i) => assert.deepEqual(c, message(sizes[i], i)));
  }
  {
    const [a, b] = UnixConnection.pair("seqpacket");
    const sending = (async () => {
      for (const [i, size] of sizes.entries()) {
        await a.write(message(size, i));
      }
      a.close();
    })();
    const reader = b.readable.getReader({ mode: "byob" });
    const parts: Uint8Array[] = [];
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(4096));
      if (done) break;
      parts.push(value.slice());
    }
    await sending;
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) all.set(p, (at += p.length) - p.length);
    const expected = sizes.map((size, i) => message(size, i));
    assert.equal(all.length, sizes.reduce((n, x) => n + x, 0));
    at = 0;
    for (const e of expected) {
      assert.deepEqual(all.subarray(at, at + e.length), e);
      at += e.length;
    }
  }
});

Deno.test("UnixDatagram: send to an address, receive with the sender, iterate", async () => {
  const name = `@linux-ipc-dgram-${Deno.pid}`;
  using rx = UnixDatagram.bind(name);
  using tx = UnixDatagram.bind(`${name}-tx`);
  for (const word of ["one", "two", "three"]) {
    await tx.send(enc.encode(word), name);
  }
  const seen: string[] = [];
  for await (const { data, from } of rx) {
    seen.push(dec.decode(data));
    assert.deepEqual(from, { family: "unix", abstract: `${name.slice(1)}-tx` });
    if (seen.length === 3) break;
  }
  assert.deepEqual(seen, ["one", "two", "three"]);
  await assert.rejects(rx.receive({ timeout: 50 }), isCode("ETIMEDOUT"));
  await assert.rejects(
    tx.send(new Uint8Array(1), "@nobody-here"),
    isCode("ECONNREFUSED", "sendto"),
  );
});

Deno.test("UnixDatagram.localAddr: the bound name, the kernel's choice for the family alone, unnamed", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/d.sock`;
    using named = UnixDatagram.bind(path);
    assert.deepEqual(named.localAddr, { family: "unix", path });
    // A client that wants answers: the kernel picks an abstract name, and
    // the reply reaches it at the address the server saw.
    using auto = UnixDatagram.bind({ family: "unix" });
    const me = auto.localAddr;
    assert.ok("abstract" in me && me.abstract.length > 0, JSON.stringify(me));
    await auto.send(enc.encode("ping"), path);
    const { from } = await named.receive({ timeout: 5000 });
    assert.deepEqual(from, me);
    await named.send(enc.encode("pong"), from);
    assert.equal(
      dec.decode((await auto.receive({ timeout: 5000 })).data),
      "pong",
    );
    using unnamed = UnixDatagram.bind();
    assert.deepEqual(unnamed.localAddr, { family: "unix" });
    unnamed.close();
    assert.throws(() => unnamed.localAddr, Deno.errors.BadResource);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("examples: handoff passes each TCP connection to a worker process", async () => {
  const r = await runDeno("examples/handoff.ts", ["--clients", "2"], [
    "--allow-ffi",
    "--allow-run",
    "--allow-env",
    "--allow-net",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const front = Number(r.stdout.match(/front {2}\(pid (\d+)\)/)![1]);
  const answers = [
    ...r.stdout.matchAll(/client \d: answered by the worker, pid (\d+)/g),
  ].map((m) => Number(m[1]));
  assert.equal(answers.length, 2);
  assert.ok(
    answers.every((pid) => pid !== front),
    "the worker, not the front, answered",
  );
});

Deno.test("the Unix classes take an address with its family left out, and Deno's own", async () => {
  // Before, { path } and Deno.listen's addr were TypeErrors about
  // "addr.family" naming bind or connect.
  await withDir(async (dir) => {
    // A server made by Deno itself, reached through its own addr.
    using denoServer = Deno.listen({
      transport: "unix",
      path: `${dir}/deno.sock`,
    });
    const accepting = denoServer.accept();
    using client = await UnixConnection.connect(denoServer.addr);
    using conn = await accepting;
    await client.writeAll(enc.encode("hi"));
    const got = new Uint8Array(2);
    assert.equal(await conn.read(got), 2);
    assert.equal(new TextDecoder().decode(got), "hi");
    // { path } and { abstract }, for the listener and the datagram socket.
    using server = UnixListener.listen({ path: `${dir}/ours.sock` });
    assert.deepEqual(server.addr, { family: "unix", path: `${dir}/ours.sock` });
    const name = `linux-ipc-test-${Deno.pid}-familyless`;
    using abstract = UnixListener.listen({ abstract: name });
    assert.deepEqual(abstract.addr, { family: "unix", abstract: name });
    using _other = await UnixConnection.connect({ path: `${dir}/ours.sock` });
    using _mine = await server.accept({ timeout: 5000 });
    using rx = UnixDatagram.bind({
      transport: "unixpacket",
      path: `${dir}/d.sock`,
    });
    using tx = UnixDatagram.bind();
    assert.equal(tx.sendSync(enc.encode("x"), { path: `${dir}/d.sock` }), 1);
    assert.equal((await rx.receive({ timeout: 5000 })).data.length, 1);
    // Not a Unix address, or both names: refused as before, naming why.
    for (
      const bad of [
        { path: `${dir}/a`, abstract: "b" },
        { transport: "tcp", path: `${dir}/a` },
        { path: `${dir}/a`, port: 1 },
        {},
      ]
    ) {
      assert.throws(
        () => UnixListener.listen(bad as never),
        TypeError,
        JSON.stringify(bad),
      );
    }
  });
});

Deno.test("the Unix classes name a bad argument as the caller wrote it, under the method called", async () => {
  // They named the C call's argument ("buf" to send for write's data,
  // "msg.control[0].fds" to sendmsg), and an address with a stray field
  // or both names was "addr.family" to bind.
  await withDir(async (dir) => {
    const [a, b] = UnixConnection.pair();
    using _a = a, _b = b;
    const cases: [() => unknown, RegExp][] = [
      [
        () => a.write("hi" as never),
        /^TypeError: Invalid argument "data" to UnixConnection\.write: expected a Uint8Array, got "hi"$/,
      ],
      [
        () => a.writeSync(5 as never),
        /^TypeError: Invalid argument "data" to UnixConnection\.writeSync:/,
      ],
      [
        () => a.writeAll(null as never),
        /^TypeError: Invalid argument "data" to UnixConnection\.writeAll:/,
      ],
      [
        () => a.writeAllSync([1] as never),
        /^TypeError: Invalid argument "data" to UnixConnection\.writeAllSync:/,
      ],
      [
        () => b.read("x" as never),
        /^TypeError: Invalid argument "buf" to UnixConnection\.read:/,
      ],
      [
        () => b.readSync(5 as never),
        /^TypeError: Invalid argument "buf" to UnixConnection\.readSync:/,
      ],
      [
        () => a.sendFds(new Uint8Array(1) as never),
        /^TypeError: Invalid argument "fds" to UnixConnection\.sendFds: expected an array of descriptors, got "Uint8Array\(1\)"$/,
      ],
      [
        () => a.sendFds([-1]),
        /^RangeError: Argument "fds\[0\]" to UnixConnection\.sendFds is out of range/,
      ],
      [
        () => a.sendFdsSync(new Array(254).fill(0)),
        /^RangeError: Argument "fds" to UnixConnection\.sendFdsSync must hold 1 to 253 descriptors \(SCM_MAX_FD\), got 254$/,
      ],
      [
        () => a.sendFdsSync([0], "x" as never),
        /^TypeError: Invalid argument "data" to UnixConnection\.sendFdsSync:/,
      ],
      [
        () => b.recvFds({ maxFds: 254 }),
        /^RangeError: Argument "maxFds" to UnixConnection\.recvFds is out of range: "254" is not in \[0, 253\]$/,
      ],
      [
        () => b.recvFdsSync({ maxFds: -1 }),
        /^RangeError: Argument "maxFds" to UnixConnection\.recvFdsSync is out of range/,
      ],
      [
        () => UnixListener.listen({ abstract: "x", backlog: 5 } as never),
        /^TypeError: Unknown field "addr\.backlog" to UnixListener\.listen/,
      ],
      [
        () => UnixListener.listen({ path: `${dir}/a`, abstract: "b" }),
        /^TypeError: Invalid argument "addr" to UnixListener\.listen: expected one of "path" and "abstract", got both$/,
      ],
      [
        () => UnixListener.listen({} as never),
        /^TypeError: Invalid argument "addr" to UnixListener\.listen: .*got neither$/,
      ],
      [
        () => UnixListener.listen(`${dir}/b`, { backlog: -1 }),
        /^RangeError: Argument "backlog" to UnixListener\.listen is out of range/,
      ],
      [
        () => UnixConnection.connect({ transport: "tcp", path: "x" } as never),
        /^TypeError: Invalid argument "addr\.transport" to UnixConnection\.connect: expected "unix" or "unixpacket", got "tcp"$/,
      ],
      [
        () => UnixDatagram.bind(5 as never),
        /^TypeError: Invalid argument "addr" to UnixDatagram\.bind: expected a path, "@name", \{ path \}, \{ abstract \} or a socket address with a family, got "5"$/,
      ],
    ];
    for (const [call, message] of cases) {
      let thrown: unknown;
      try {
        await call();
      } catch (e) {
        thrown = e;
      }
      assert.match(String(thrown), message);
    }
    using d = UnixDatagram.bind();
    assert.throws(
      () => d.sendSync("x" as never, `${dir}/c`),
      /^TypeError: Invalid argument "data" to UnixDatagram\.sendSync:/,
    );
    await assert.rejects(
      () => d.send(enc.encode("x"), { hostname: "h" } as never),
      /^TypeError: Unknown field "addr\.hostname" to UnixDatagram\.send:/,
    );
    // Nothing was made at the paths.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("a seqpacket connection's empty message reads as 0, not as the end; the stream skips it", async () => {
  // Linux's recv gives 0 for an empty message and at the end alike: every
  // read took an empty message for the end, and the readable stream ended
  // there (closing the connection, the messages after it unread).
  const empty = new Uint8Array(0), buf = new Uint8Array(8);
  {
    const [a, b] = UnixConnection.pair("seqpacket");
    await a.write(empty);
    await a.write(new Uint8Array([1]));
    await a.write(empty);
    assert.equal(await b.read(buf), 0);
    assert.equal(await b.read(buf), 1);
    assert.equal(await b.read(buf, { timeout: 1000 }), 0);
    a.writeSync(empty);
    assert.equal(b.readSync(buf, { timeout: 1000 }), 0);
    // After the peer has gone, what it sent is still read as it was,
    // the empty ones included, then the end.
    a.writeSync(empty);
    a.writeSync(new Uint8Array([2, 3]));
    a.writeSync(empty);
    a.close();
    assert.equal(b.readSync(buf), 0);
    assert.equal(b.readSync(buf), 2);
    assert.equal(await b.read(buf), 0);
    assert.equal(b.readSync(buf), null);
    assert.equal(await b.read(buf), null);
    // The peek that tells them apart leaves SO_PASSCRED as it found it.
    assert.equal(getsockopt(b.fd, SOL_SOCKET, SO_PASSCRED), 0);
    b.close();
  }
  {
    const [a, b] = UnixConnection.pair("seqpacket");
    setsockopt(b.fd, SOL_SOCKET, SO_PASSCRED, 1);
    a.writeSync(empty);
    a.close();
    assert.equal(b.readSync(buf), 0);
    assert.equal(b.readSync(buf), null);
    assert.equal(getsockopt(b.fd, SOL_SOCKET, SO_PASSCRED), 1);
    b.close();
  }
  for (const mode of ["default", "byob"] as const) {
    const [a, b] = UnixConnection.pair("seqpacket");
    for (const m of [[], [1, 2], [], [], [3], []]) {
      a.writeSync(new Uint8Array(m));
    }
    a.close();
    const got: number[][] = [];
    if (mode === "default") {
      for await (const chunk of b.readable) got.push([...chunk]);
      assert.deepEqual(got, [[1, 2], [3]]);
    } else {
      const reader = b.readable.getReader({ mode: "byob" });
      for (;;) {
        const { value, done } = await reader.read(new Uint8Array(1));
        if (done) break;
        got.push([...value]);
      }
      assert.deepEqual(got, [[1], [2], [3]]);
    }
    assert.ok(b.closed, "the stream's end closed the connection");
  }
});

Deno.test("getaddrinfo takes no service, as C's NULL: port 0", () => {
  // The service was required: "expected a string, got undefined".
  for (const service of [undefined, null]) {
    const got = getaddrinfo("127.0.0.1", service, { socktype: SOCK_STREAM });
    assert.deepEqual(got.map((a) => a.address), [
      { family: "inet", address: "127.0.0.1", port: 0 },
    ]);
  }
  assert.throws(
    () => getaddrinfo("no-such-host.invalid"),
    (e: unknown) =>
      isCode((e as IpcError).code, "getaddrinfo", "node")(e) &&
      /cannot resolve "no-such-host\.invalid"$/.test((e as Error).message),
  );
});

await checkLeaksAtEnd();

Deno.test("a client of another type than the listener is told so: EPROTOTYPE at a path, ECONNREFUSED for an abstract name", async () => {
  await withDir(async (dir) => {
    for (const type of ["stream", "seqpacket"] as const) {
      const other = type === "stream" ? "seqpacket" : "stream";
      const path = `${dir}/${type}`,
        name = `@linux-ipc-other-type-${Deno.pid}-${type}`;
      using _atPath = UnixListener.listen(path, { type });
      using _abstract = UnixListener.listen(name, { type });
      await assert.rejects(
        UnixConnection.connect(path, { type: other }),
        (e: unknown) =>
          isCode("EPROTOTYPE", "connect", "addr")(e) &&
          /of another type/.test((e as Error).message),
      );
      await assert.rejects(
        UnixConnection.connect(name, { type: other }),
        (e: unknown) =>
          isCode("ECONNREFUSED", "connect", "addr")(e) &&
          /not a socket of this type/.test((e as Error).message),
      );
    }
  });
});
