// A Deno peer for the message queue tests, spawned as a separate process.
//   send ID TYPE TEXT      send one message
//   sendeach TYPE ID...    send one message of TYPE to each queue, in order
//   recvsync ID            block in msgrcv (print "waiting" first), then
//                          print the text, or the error code
//   recvasync ID           the same through msgrcvAsync
//   recvsignalled ID       recvsync with a SIGUSR2 listener, so that the
//                          signal interrupts msgrcv (EINTR) and is counted
//   rm ID                  remove the queue
import { IPC_RMID, msgctl, msgrcv, msgrcvAsync, msgsnd } from "../../mod.ts";

const [mode, ...args] = Deno.args;
const code = (e: unknown) => (e as { code?: string }).code ?? String(e);
const dec = new TextDecoder();

switch (mode) {
  case "send":
    msgsnd(Number(args[0]), { mtype: Number(args[1]), mtext: args[2] });
    break;
  case "sendeach":
    for (const id of args.slice(1)) {
      msgsnd(Number(id), { mtype: Number(args[0]), mtext: `to ${id}` });
      await new Promise((r) => setTimeout(r, 0.2));
    }
    break;
  case "rm":
    msgctl(Number(args[0]), IPC_RMID);
    break;
  case "recvsignalled": {
    let signals = 0;
    Deno.addSignalListener("SIGUSR2", () => signals++);
    console.log("waiting");
    try {
      const m = msgrcv(Number(args[0]), 64);
      console.log(dec.decode(m.mtext));
    } catch (e) {
      console.log(code(e));
    }
    // The listener runs once the event loop does.
    await new Promise((r) => setTimeout(r, 50));
    console.log(`signals: ${signals}`);
    Deno.exit(0);
    break;
  }
  case "recvsync":
  case "recvasync": {
    console.log("waiting");
    try {
      const m = mode === "recvsync"
        ? msgrcv(Number(args[0]), 64)
        : await msgrcvAsync(Number(args[0]), 64);
      console.log(dec.decode(m.mtext));
    } catch (e) {
      console.log(code(e));
    }
    break;
  }
}
