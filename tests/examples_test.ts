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
  assert.match(bad.stderr, /^svmsg_send: Invalid argument "msqid"/);
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

await checkLeaksAtEnd();
