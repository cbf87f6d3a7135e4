// The README's claims that are not code blocks (those run as doc tests):
// its examples table, and its import-map block used by a real project.
import assert from "node:assert/strict";
import { checkLeaksAtEnd, ROOT, run } from "./_helpers.ts";

const readme = Deno.readTextFileSync(`${ROOT}README.md`);
const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));

Deno.test("the examples table lists every example, each with its task", () => {
  const section = readme.slice(
    readme.indexOf("## Examples"),
    readme.indexOf("\n## ", readme.indexOf("## Examples") + 1),
  );
  const rows = [
    ...section.matchAll(/^\| `deno task (\S+)[^`]*` +\| `(examples\/[^`]+)`/gm),
  ];
  const listed = rows.map((r) => r[2]).sort();
  const files = [...Deno.readDirSync(`${ROOT}examples`)]
    .map((e) => `examples/${e.name}`)
    .filter((f) => f.endsWith(".ts") && !f.startsWith("examples/_"))
    .sort();
  assert.deepEqual(listed, files, "every example has one row");
  for (const [, task, file] of rows) {
    const command = config.tasks[task];
    assert.ok(command, `deno.json has the task "${task}"`);
    assert.ok(
      String(command).includes(file),
      `the task "${task}" runs ${file}`,
    );
  }
  for (const task of ["demo", "test"]) {
    assert.ok(
      readme.split("\n").slice(0, 6).some((l) =>
        l.startsWith(`npx -y deno@2 task ${task}`)
      ),
      `the README's first lines run "${task}"`,
    );
  }
});

Deno.test("the README's import map works in a project beside a copy of the library", async () => {
  const section = readme.slice(readme.indexOf("## Using it in a program"));
  const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "the section has a JSON block");
  const map = JSON.parse(block);
  // Every export of the package is mapped, to the file deno.json names.
  const exported = Object.entries(config.exports as Record<string, string>)
    .map(([k, v]) => [
      k === "." ? config.name : `${config.name}/${k.slice(2)}`,
      `../linux-ipc/${v.slice(2)}`,
    ]);
  assert.deepEqual(
    Object.entries(map.imports).sort(),
    exported.sort(),
  );
  const dir = await Deno.makeTempDir({ prefix: "linux-ipc-test-project-" });
  try {
    await Deno.symlink(ROOT.replace(/\/$/, ""), `${dir}/linux-ipc`);
    await Deno.mkdir(`${dir}/project`);
    await Deno.writeTextFile(`${dir}/project/deno.json`, block);
    await Deno.writeTextFile(
      `${dir}/project/main.ts`,
      `import { IPC_PRIVATE, IPC_RMID, shmat, shmctl, shmdt, shmget } from "@linux-ipc/ipc";
import { SharedMemory } from "@linux-ipc/ipc/shm";
import { Mutex } from "@linux-ipc/ipc/sem";
import { Mapping } from "@linux-ipc/ipc/mmap";
import { PipeEnd } from "@linux-ipc/ipc/fifo";
import { UnixConnection } from "@linux-ipc/ipc/socket";
const id = shmget(IPC_PRIVATE, 4096, 0o600);
const memory = shmat(id);
memory.writeCString("from a project");
console.log(memory.readCString());
shmdt(memory);
shmctl(id, IPC_RMID);
console.log([SharedMemory, Mutex, Mapping, PipeEnd, UnixConnection].every((c) => typeof c === "function"));
`,
    );
    const out = await run("sh", [
      "-c",
      `cd ${dir}/project && exec "${Deno.execPath()}" run --quiet --allow-ffi main.ts`,
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "from a project\ntrue\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

await checkLeaksAtEnd();
