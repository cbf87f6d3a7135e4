/* The Linux Voice shmread, as a C peer for the tests: attach the segment of
 * ftok(path, 903) read-only and print its string. */
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
  key_t key = ftok(argc > 1 ? argv[1] : "/etc/hostname", 903);
  int shmid = shmget(key, 4096, 0600);
  if (shmid < 0) { perror("shmget"); return 1; }
  char *seg = shmat(shmid, NULL, SHM_RDONLY);
  if (seg == (void *)-1) { perror("shmat"); return 1; }
  printf("%s\n", seg);
  shmdt(seg);
  return 0;
}
