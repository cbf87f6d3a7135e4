// Another program of the machine, for tests/leak_check_test.ts: on a line
// "make" on stdin it makes private System V objects (a queue, a set, a
// segment) and POSIX names that carry its pid, uses them (so the kernel
// records its pid), has a child that exits leave a name carrying the
// child's pid (as another run's leak-check test does), prints "made", the
// ids and the two pids, removes the child's name 1.5 s later, and
// everything else once stdin ends.
import {
  close,
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_RMID,
  mq_close,
  mq_open,
  mq_unlink,
  msgctl,
  msgget,
  msgsnd,
  O_CREAT,
  O_RDWR,
  semctl,
  semget,
  semop,
  shm_open,
  shm_unlink,
  shmat,
  shmctl,
  shmdt,
  shmget,
} from "../../mod.ts";

const mqueue = Deno.args[0] === "mqueue";
const name = `/linux-ipc-leakcheck-${Deno.pid}-0`;
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream())
  .getReader();
let text = "";
while (!text.includes("make\n")) {
  const { value, done } = await lines.read();
  if (done) Deno.exit(1);
  text += value;
}
const q = msgget(IPC_PRIVATE, IPC_CREAT | 0o600);
msgsnd(q, { mtype: 1, mtext: "mine" });
const s = semget(IPC_PRIVATE, 2, IPC_CREAT | 0o600);
semop(s, [{ num: 1, op: 1 }]);
const m = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600);
shmdt(shmat(m));
close(shm_open(name, O_CREAT | O_RDWR, 0o600));
if (mqueue) mq_close(mq_open(name, O_CREAT | O_RDWR, 0o600));
const child = await new Deno.Command(Deno.execPath(), {
  args: [
    "eval",
    'Deno.writeTextFileSync(`/dev/shm/linux-ipc-leakcheck-${Deno.pid}-2`, ""); console.log(Deno.pid)',
  ],
  stdout: "piped",
}).output();
if (!child.success) Deno.exit(1);
const childPid = new TextDecoder().decode(child.stdout).trim();
const childName = `/dev/shm/linux-ipc-leakcheck-${childPid}-2`;
const removeChildName = () => {
  try {
    Deno.removeSync(childName);
  } catch {
    // already removed
  }
};
const later = setTimeout(removeChildName, 1500);
console.log(`made ${q} ${s} ${m} pids ${Deno.pid} ${childPid}`);
while (!(await lines.read()).done) {
  // until stdin ends
}
clearTimeout(later);
removeChildName();
msgctl(q, IPC_RMID);
semctl(s, 0, IPC_RMID);
shmctl(m, IPC_RMID);
shm_unlink(name);
if (mqueue) mq_unlink(name);
