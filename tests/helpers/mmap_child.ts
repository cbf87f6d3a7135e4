// A Deno peer for the mapped memory tests, spawned as a separate process.
//   fd3            map the memfd it was handed as fd 3, print its string,
//                  write "child was here" at offset 100
//   open PATH      try to open PATH read-write (permission checks)
//   shrink DIR     map files and objects, try every way the library has to
//                  cut them short under the mapping, print what each gave,
//                  touch the mapping's last byte after each; "alive" at the end
import {
  close,
  ftruncate,
  Mapping,
  O_RDWR,
  O_TRUNC,
  open,
  openAsync,
  PosixSharedMemory,
  shm_open,
} from "../../mod.ts";

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
} else if (mode === "shrink") {
  const outcome = (what: string, cut: () => void) => {
    try {
      cut();
      console.log(`${what}: cut`);
    } catch (e) {
      console.log(`${what}: ${(e as { code?: string }).code ?? e}`);
    }
  };
  const path = `${arg}/file`;
  Deno.writeFileSync(path, new Uint8Array(3 * 4096));
  const file = Mapping.file(path);
  const fd = open(path, O_RDWR);
  const last = () => file.memory.bytes[3 * 4096 - 1]++;
  outcome("ftruncate", () => ftruncate(fd, 4096));
  last();
  outcome("open O_TRUNC", () => close(open(path, O_RDWR | O_TRUNC)));
  last();
  try {
    close(await openAsync(path, O_RDWR | O_TRUNC));
    console.log("openAsync O_TRUNC: cut");
  } catch (e) {
    console.log(`openAsync O_TRUNC: ${(e as { code?: string }).code ?? e}`);
  }
  last();
  outcome("ftruncate within the last page", () => ftruncate(fd, 3 * 4096 - 5));
  outcome("ftruncate longer", () => ftruncate(fd, 5 * 4096));
  last();
  const name = `/linux-ipc-test-shrink-${Deno.pid}`;
  const shm = PosixSharedMemory.open(name, { create: { size: 2 * 4096 } });
  const map = shm.map();
  const touch = () => map.memory.bytes[2 * 4096 - 1]++;
  outcome("truncate", () => shm.truncate(0));
  touch();
  outcome(
    "open truncate",
    () => PosixSharedMemory.open(name, { truncate: true }).close(),
  );
  touch();
  outcome("shm_open O_TRUNC", () => close(shm_open(name, O_RDWR | O_TRUNC)));
  touch();
  map.close();
  outcome("truncate once unmapped", () => shm.truncate(0));
  shm.unlink();
  shm.close();
  file.close();
  outcome("ftruncate once unmapped", () => ftruncate(fd, 0));
  close(fd);
  console.log("alive");
}
