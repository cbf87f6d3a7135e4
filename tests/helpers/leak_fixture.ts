// A test file that tests/leak_check_test.ts runs with `deno test`: its one
// test signals that the file's snapshot is taken (the file LEAK_READY),
// waits for LEAK_GO while another process makes objects, and with
// LEAK_OWN=1 leaves objects of its own behind, printing them: a private
// queue it sent to, and two POSIX names a child of it made and did not
// remove, one carrying this process's pid, one only the child's (which has
// ended by the check). The file's leak check must report its own objects,
// and not the other process's. The names come and go quickly, so that a
// run of the suite beside this one does not meet them in its checks for
// longer than its grace period: the one with this process's pid is known
// at once, and LEAK_GRACE_MS shortens the grace of the other.
import { checkLeaksAtEnd, untilFile } from "../_helpers.ts";
import { IPC_CREAT, IPC_PRIVATE, msgget, msgsnd } from "../../mod.ts";

const ready = Deno.env.get("LEAK_READY")!;
const go = Deno.env.get("LEAK_GO")!;

Deno.test("another process makes objects meanwhile", async () => {
  Deno.writeTextFileSync(ready, "");
  await untilFile(go);
  if (Deno.env.get("LEAK_OWN") === "1") {
    const q = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
    msgsnd(q, { mtype: 1, mtext: "mine" });
    console.log(`own queue ${q}`);
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `for (const n of ["linux-ipc-leakcheck-${Deno.pid}-1", \`linux-ipc-leakcheck-\${Deno.pid}-3\`]) { Deno.writeTextFileSync(\`/dev/shm/\${n}\`, ""); console.log(n); }`,
      ],
      stdout: "piped",
    }).output();
    if (!child.success) throw new Error("The child failed");
    const names = new TextDecoder().decode(child.stdout).trim().split("\n");
    console.log(`own names ${names.join(" ")}`);
  }
});

await checkLeaksAtEnd();
