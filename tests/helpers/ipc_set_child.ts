// Run as another user (setpriv) by the IPC_SET tests: tries IPC_SET on a
// segment and a set made by root, and on its own mode-0 segment and set,
// and prints the outcome of each as JSON.
import {
  IPC_CREAT,
  IPC_PRIVATE,
  IPC_RMID,
  IPC_SET,
  IPC_STAT,
  msgctl,
  msgget,
  semctl,
  semget,
  shmctl,
  shmget,
} from "../../mod.ts";

const [shmid, semid, msqid] = Deno.args.map(Number);
const uid = 65534;
function outcome(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).name;
  }
}
const own = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0);
const ownSet = semget(IPC_PRIVATE, 1, IPC_CREAT | 0);
const ownQueue = msgget(IPC_PRIVATE, IPC_CREAT | 0);
console.log(JSON.stringify({
  // Not the owner: EPERM, as in C (it used to be EACCES from an IPC_STAT).
  shmFull: outcome(() =>
    shmctl(shmid, IPC_SET, { uid, gid: uid, mode: 0o666 })
  ),
  shmPart: outcome(() => shmctl(shmid, IPC_SET, { mode: 0o666 })),
  semFull: outcome(() =>
    semctl(semid, 0, IPC_SET, { uid, gid: uid, mode: 0o666 })
  ),
  semPart: outcome(() => semctl(semid, 0, IPC_SET, { mode: 0o666 })),
  // The owner of a mode-0 object can give itself access, as in C.
  ownShm: outcome(() => shmctl(own, IPC_SET, { mode: 0o600 })),
  ownSem: outcome(() => semctl(ownSet, 0, IPC_SET, { mode: 0o600 })),
  ownSemMode: semctl(ownSet, 0, IPC_STAT).perm.mode & 0o777,
  shmMode: shmctl(own, IPC_STAT).perm.mode & 0o777,
  msgPart: outcome(() => msgctl(msqid, IPC_SET, { mode: 0o666 })),
  ownMsg: outcome(() => msgctl(ownQueue, IPC_SET, { mode: 0o600 })),
  ownMsgMode: msgctl(ownQueue, IPC_STAT).perm.mode & 0o777,
}));
msgctl(ownQueue, IPC_RMID);
shmctl(own, IPC_RMID);
semctl(ownSet, 0, IPC_RMID);
