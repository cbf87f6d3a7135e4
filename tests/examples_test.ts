// The examples as a newcomer meets them: a mistyped option or argument, or
// a call that fails, ends with one line and a usage, not a stack trace.
import assert from "node:assert/strict";
import { checkLeaksAtEnd, ROOT, run } from "./_helpers.ts";

function example(name: string, args: string[]) {
  return run(Deno.execPath(), [
    "run",
    "--quiet",
    "-A",
    `${ROOT}examples/${name}.ts`,
    ...args,
  ]);
}

Deno.test("examples: an unknown option is one line and exit status 2", async () => {
  const names = [
    "svmsg_send",
    "svmsg_create",
    "pmsg_send",
    "dgram_receiver",
    "eventfd",
    "handoff",
    "pipe",
    "t_flock",
    "memfd_producer",
  ];
  const outs = await Promise.all(
    names.map((name) => example(name, ["--no-such-option"])),
  );
  outs.forEach((out, i) => {
    assert.equal(out.code, 2, `${names[i]}: ${out.stderr}`);
    assert.match(out.stderr, new RegExp(`^${names[i]}: Unknown option`));
    assert.doesNotMatch(out.stderr, /^\s+at /m, names[i]);
  });
});

Deno.test("examples: a bad argument shows the usage; a failed call its error", async () => {
  const [bad, gone, name, host] = await Promise.all([
    example("svmsg_send", ["not-a-number", "1", "hi"]),
    example("svmsg_send", ["2147483647", "1", "hi"]),
    example("pmsg_send", ["no-slash", "hi"]),
    example("socket_inet", ["no-such-host.invalid"]),
  ]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(
    bad.stderr,
    /^svmsg_send: Invalid argument "ID": expected an integer, got "not-a-number"$/m,
  );
  assert.match(bad.stderr, /^Usage: svmsg_send \[--nowait\] ID TYPE TEXT$/m);
  assert.equal(gone.code, 1, gone.stderr);
  assert.match(gone.stderr, /^svmsg_send: .*\(EINVAL\) in msgsnd/);
  assert.equal(name.code, 2, name.stderr);
  assert.match(name.stderr, /^pmsg_send: Invalid argument "name" to mq_open/);
  assert.equal(host.code, 1, host.stderr);
  assert.match(host.stderr, /^socket_inet: .*\(EAI_\w+\) in getaddrinfo/);
  for (const out of [bad, gone, name, host]) {
    assert.doesNotMatch(out.stderr, /^\s+at /m);
  }
});

Deno.test("examples: a mistyped number is refused before anything is made, not read as NaN", async () => {
  const shm = `/linux-ipc-examples-${Deno.pid}`;
  const outs = await Promise.all([
    // Read as NaN, these received nothing, or started no client, or slept
    // for no time at all, and said nothing.
    example("dgram_receiver", ["--count=lots", "--abstract", `ex-${Deno.pid}`]),
    example("handoff", ["--clients=many"]),
    example("pipe", ["--interval=soon"]),
    example("eventfd", ["--interval=soon"]),
    example("t_flock", ["/dev/null", "s", "ten"]),
    // Over 2^31 - 1 ms, the timer fired at once, with a warning.
    example("pipe", ["--interval=3000000000"]),
    example("svmsg_receive", ["--type=x", "1"]),
    example("svmsg_create", ["--mode=0999"]),
    // Read as NaN, this made the object and then failed to size it.
    example("pshm_create", [shm, "big"]),
  ]);
  const expected = [
    /^dgram_receiver: Invalid argument "--count": expected an integer, got "lots"$/m,
    /^handoff: Invalid argument "--clients": expected an integer, got "many"$/m,
    /^pipe: Invalid argument "--interval": expected a number from 0 to 2147483647, got "soon"$/m,
    /^eventfd: Invalid argument "--interval": expected a number from 0 to 2147483647, got "soon"$/m,
    /^t_flock: Invalid argument "SECONDS": expected a number from 0 to 2147483.647, got "ten"$/m,
    /^pipe: Invalid argument "--interval": expected a number from 0 to 2147483647, got "3000000000"$/m,
    /^svmsg_receive: Invalid argument "--type": expected an integer, got "x"$/m,
    /^svmsg_create: Invalid argument "--mode": expected an octal mode such as 0600, got "0999"$/m,
    /^pshm_create: Invalid argument "SIZE": expected an integer of 0 or more, got "big"$/m,
  ];
  outs.forEach((out, i) => {
    assert.equal(out.code, 2, out.stderr);
    assert.match(out.stderr, expected[i]);
    // With the usage line, so the user sees what the argument should be.
    assert.match(out.stderr, /^Usage: \S+ .+$/m);
    assert.doesNotMatch(out.stderr, /^\s+at /m);
    // Nothing done before the refusal (t_flock took no lock).
    assert.equal(out.stdout, "");
  });
  assert.equal(
    (await run("ls", ["/dev/shm"])).stdout.split("\n").includes(shm.slice(1)),
    false,
  );
});

Deno.test("examples: --help and -h print the usage and how to run it, with no permission granted", async () => {
  // Before, --help was an unknown option: exit status 2.
  const names = [...Deno.readDirSync(`${ROOT}examples`)]
    .map((e) => e.name)
    .filter((n) => /^[a-z].*\.ts$/.test(n))
    .map((n) => n.slice(0, -3))
    .sort();
  assert.ok(names.length > 40, `${names.length} examples`);
  for (let i = 0; i < names.length; i += 8) {
    await Promise.all(
      names.slice(i, i + 8).map(async (name, j) => {
        const flag = (i + j) % 2 === 0 ? "--help" : "-h";
        const out = await run(Deno.execPath(), [
          "run",
          "--quiet",
          `${ROOT}examples/${name}.ts`,
          flag,
        ]);
        assert.equal(out.code, 0, `${name} ${flag}: ${out.stderr}`);
        assert.match(out.stdout, /^Usage: \S+/, name);
        assert.match(
          out.stdout,
          new RegExp(`deno run .*examples/${name}\\.ts`),
        );
        assert.equal(out.stderr, "", name);
      }),
    );
  }
});

await checkLeaksAtEnd();
