/* A C peer on a segment id: "read ID OFFSET" prints the string at OFFSET,
 * "write ID OFFSET TEXT" writes TEXT and a NUL there, "stat ID" prints
 * shm_segsz, shm_nattch and shm_cpid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: shm_peer read|write|stat ID ...\n"); return 2; }
  int id = atoi(argv[2]);
  if (strcmp(argv[1], "stat") == 0) {
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0) { perror("shmctl"); return 1; }
    printf("%zu %lu %d %o\n", ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_cpid,
           ds.shm_perm.mode & 0777);
    return 0;
  }
  if (argc < 4) return 2;
  long off = atol(argv[3]);
  char *seg = shmat(id, NULL, strcmp(argv[1], "read") == 0 ? SHM_RDONLY : 0);
  if (seg == (void *)-1) { perror("shmat"); return 1; }
  if (strcmp(argv[1], "read") == 0) printf("%s\n", seg + off);
  else if (argc > 4) strcpy(seg + off, argv[4]);
  shmdt(seg);
  return 0;
}
