/* A C peer for the semaphore tests:
 *   wait ID NUM   semop -1 on NUM (blocks), then print "acquired"
 *   post ID NUM   semop +1 on NUM
 *   val ID NUM    print the value of NUM
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: sem_peer wait|post|val ID NUM\n"); return 2; }
  int id = atoi(argv[2]);
  unsigned short num = (unsigned short)atoi(argv[3]);
  if (strcmp(argv[1], "val") == 0) {
    int v = semctl(id, num, GETVAL);
    if (v < 0) { perror("semctl"); return 1; }
    printf("%d\n", v);
    return 0;
  }
  struct sembuf op = { num, (short)(strcmp(argv[1], "wait") == 0 ? -1 : 1), 0 };
  if (semop(id, &op, 1) < 0) { perror("semop"); return 1; }
  if (op.sem_op < 0) printf("acquired\n");
  return 0;
}
