// A test file that tests/leak_check_test.ts runs with `deno test`: its one
// test signals that the file's snapshot is taken (the file LEAK_READY),
// waits for LEAK_GO while another process makes objects, and with
// LEAK_OWN=1 leaves objects of its own behind: a private queue, and a
// POSIX name a child of it made and did not remove. The file's leak check
// must report its own objects, and only those.
import { checkLeaksAtEnd, untilFile } from "../_helpers.ts";
import { IPC_CREAT, IPC_PRIVATE, msgget } from "../../mod.ts";

const ready = Deno.env.get("LEAK_READY")!;
const go = Deno.env.get("LEAK_GO")!;

Deno.test("another process makes objects meanwhile", async () => {
  Deno.writeTextFileSync(ready, "");
  await untilFile(go);
  if (Deno.env.get("LEAK_OWN") === "1") {
    console.log(`own queue ${msgget(IPC_PRIVATE, IPC_CREAT | 0o600)}`);
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        'Deno.writeTextFileSync(`/dev/shm/linux-ipc-leakcheck-${Deno.pid}-1`, "")',
      ],
    }).output();
    if (!child.success) throw new Error("The child failed");
  }
});

await checkLeaksAtEnd();
