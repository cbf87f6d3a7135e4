// A Deno peer for the mapped memory tests, spawned as a separate process.
//   fd3            map the memfd it was handed as fd 3, print its string,
//                  write "child was here" at offset 100
//   open PATH      try to open PATH read-write (permission checks)
import { Mapping, O_RDWR, open } from "../../mod.ts";

const [mode, arg] = Deno.args;
if (mode === "fd3") {
  using map = Mapping.fromFd(3);
  console.log(map.memory.readCString());
  map.memory.writeCString("child was here", 100);
} else if (mode === "open") {
  try {
    open(arg, O_RDWR);
    console.log("opened");
  } catch (e) {
    console.log(`${(e as Error).name}: ${(e as Error).message}`);
  }
}
