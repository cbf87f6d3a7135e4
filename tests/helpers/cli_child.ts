/**
 * For `tests/cli_test.ts`: holds one object of each kind, so that `ipc ls`
 * can name this process as their user. Args: NAME SOCKET ABSTRACT IDFILE.
 * Writes the segment's id to IDFILE, prints "ready", and on SIGTERM
 * removes everything and exits.
 */
import {
  IPC_PRIVATE,
  IPC_RMID,
  mq_close,
  mq_open,
  mq_send,
  mq_unlink,
  O_CREAT,
  O_RDWR,
  PosixSharedMemory,
  sem_close,
  sem_open,
  sem_unlink,
  shmat,
  shmctl,
  shmdt,
  shmget,
  UnixListener,
} from "../../mod.ts";

const [name, sock, abstract, idFile] = Deno.args;
const shmId = shmget(IPC_PRIVATE, 4096, 0o600);
const seg = shmat(shmId);
const pshm = PosixSharedMemory.open(name, {
  create: { size: 4096, mode: 0o600 },
});
const mapping = pshm.map();
pshm.close(); // mapped, no longer open
const sem = sem_open(name, O_CREAT, 0o600, 2);
const mq = mq_open(name, O_CREAT | O_RDWR, 0o600, { maxmsg: 4, msgsize: 32 });
mq_send(mq, "x");
const l1 = UnixListener.listen(sock);
const l2 = UnixListener.listen(`@${abstract}`);
Deno.writeTextFileSync(idFile, String(shmId));

Deno.addSignalListener("SIGTERM", () => {
  l1.close();
  l2.close();
  mq_close(mq);
  mq_unlink(name);
  sem_close(sem);
  sem_unlink(name);
  mapping.close();
  PosixSharedMemory.unlink(name);
  shmdt(seg);
  shmctl(shmId, IPC_RMID);
  Deno.exit(0);
});
console.log("ready");
setInterval(() => {}, 1000);
