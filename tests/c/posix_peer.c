/* A C peer for the POSIX shared memory and semaphore tests, on glibc.
 *   shm-write NAME TEXT     make the object (4096 bytes), write TEXT at 0
 *   shm-read NAME           open it read-only, print the string at 0
 *   sem-post NAME N         open a named semaphore, post it N times
 *   sem-wait NAME N         open it, wait N times, print "took N"
 *   sem-create NAME VALUE   make it (O_CREAT | O_EXCL, 0600) with VALUE
 *   sem-value NAME          print its value
 *   unnamed-post SHM N      map the object SHM, post the sem_t at 0 N times
 *   unnamed-wait SHM N      map it, wait on the sem_t at 0 N times
 *   unnamed-init SHM VALUE  make SHM (4096 bytes), sem_init(pshared) at 0
 */
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static void *map_object(const char *name, int create) {
  int fd = shm_open(name, O_RDWR | (create ? O_CREAT : 0), 0600);
  if (fd == -1) die("shm_open");
  if (create && ftruncate(fd, 4096) == -1) die("ftruncate");
  void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) die("mmap");
  close(fd);
  return p;
}

static sem_t *open_sem(const char *name) {
  sem_t *s = sem_open(name, 0);
  if (s == SEM_FAILED) die("sem_open");
  return s;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: see the comment\n"); return 2; }
  const char *cmd = argv[1], *name = argv[2];
  long n = argc > 3 ? atol(argv[3]) : 0;
  if (!strcmp(cmd, "shm-write")) {
    char *p = map_object(name, 1);
    strcpy(p, argv[3]);
  } else if (!strcmp(cmd, "shm-read")) {
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd == -1) die("shm_open");
    struct stat st;
    if (fstat(fd, &st) == -1) die("fstat");
    char *p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    printf("%.*s\n", (int)strnlen(p, st.st_size), p);
  } else if (!strcmp(cmd, "sem-post")) {
    sem_t *s = open_sem(name);
    for (long i = 0; i < n; i++) if (sem_post(s) == -1) die("sem_post");
  } else if (!strcmp(cmd, "sem-wait")) {
    sem_t *s = open_sem(name);
    for (long i = 0; i < n; i++) if (sem_wait(s) == -1) die("sem_wait");
    printf("took %ld\n", n);
  } else if (!strcmp(cmd, "sem-create")) {
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, (unsigned)n);
    if (s == SEM_FAILED) die("sem_open");
  } else if (!strcmp(cmd, "sem-value")) {
    int v;
    if (sem_getvalue(open_sem(name), &v) == -1) die("sem_getvalue");
    printf("%d\n", v);
  } else if (!strcmp(cmd, "unnamed-post")) {
    sem_t *s = map_object(name, 0);
    for (long i = 0; i < n; i++) if (sem_post(s) == -1) die("sem_post");
  } else if (!strcmp(cmd, "unnamed-wait")) {
    sem_t *s = map_object(name, 0);
    for (long i = 0; i < n; i++) if (sem_wait(s) == -1) die("sem_wait");
    printf("took %ld\n", n);
  } else if (!strcmp(cmd, "unnamed-init")) {
    sem_t *s = map_object(name, 1);
    if (sem_init(s, 1, (unsigned)n) == -1) die("sem_init");
  } else {
    fprintf(stderr, "unknown command %s\n", cmd);
    return 2;
  }
  return 0;
}
