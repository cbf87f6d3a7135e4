/* The Linux Voice shmwrite, as a C peer for the tests: copy argv[1] into the
 * one-page segment of ftok(path, 903), creating it with mode 0666.
 * The path defaults to /etc/hostname; tests pass their own file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: shmwrite TEXT [PATH]\n");
    return 2;
  }
  key_t key = ftok(argc > 2 ? argv[2] : "/etc/hostname", 903);
  int shmid = shmget(key, 4096, IPC_CREAT | 0666);
  if (shmid < 0) { perror("shmget"); return 1; }
  char *seg = shmat(shmid, NULL, 0);
  if (seg == (void *)-1) { perror("shmat"); return 1; }
  strncpy(seg, argv[1], 4096);
  shmdt(seg);
  return 0;
}
