// Spawned without --allow-ffi (and without --allow-read): importing the
// library must work; the first call must name the missing flag.
import {
  ftok,
  mkfifo,
  O_CREAT,
  O_RDONLY,
  openAsync,
  shmget,
} from "../../mod.ts";

const step = Deno.args[0];
try {
  if (step === "shmget") shmget(0, 4096, 0);
  else if (step === "mkfifo") mkfifo(Deno.args[1]);
  // The path as JSON, which carries a lone surrogate an argument cannot.
  else if (step === "mkfifo-json") mkfifo(JSON.parse(Deno.args[1]));
  else if (step === "openAsync") {
    await openAsync(Deno.args[1], O_RDONLY | O_CREAT, 0o600);
  } else ftok("/etc/hostname", 1);
  console.log("no error");
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}
