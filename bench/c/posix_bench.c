/* C baselines of bench/posix.ts (the same protocol as bench/posix_peer.ts):
 *   sem-uncontended N       post then wait on one unnamed semaphore, N
 *                           times: ns per pair
 *   sem-pingpong N WARM     two processes, two unnamed semaphores in shared
 *                           memory: ns per round trip after WARM
 *   eventfd-pingpong N WARM two processes, two blocking eventfds: ns per
 *                           round trip after WARM
 *   flock-pair N            flock(LOCK_EX) then flock(LOCK_UN) on a file:
 *                           ns per pair
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "bench.h"

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  idle_thread();
  const char *what = argv[1];
  long n = atol(argv[2]), warm = argc > 3 ? atol(argv[3]) : 0;
  if (!strcmp(what, "sem-uncontended")) {
    sem_t *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(s, 1, 0);
    for (long i = 0; i < 1000; i++) { sem_post(s); sem_wait(s); }
    double t0 = now_ns();
    for (long i = 0; i < n; i++) { sem_post(s); sem_wait(s); }
    printf("%.1f\n", (now_ns() - t0) / n);
  } else if (!strcmp(what, "sem-pingpong")) {
    sem_t *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(&s[0], 1, 0);
    sem_init(&s[1], 1, 0);
    pid_t pid = fork();
    if (pid == 0) {
      pin_child();
      for (long i = 0; i < n + warm; i++) { sem_wait(&s[0]); sem_post(&s[1]); }
      _exit(0);
    }
    double t0 = 0;
    for (long i = 0; i < n + warm; i++) {
      if (i == warm) t0 = now_ns();
      sem_post(&s[0]);
      sem_wait(&s[1]);
    }
    printf("%.1f\n", (now_ns() - t0) / n);
    waitpid(pid, NULL, 0);
  } else if (!strcmp(what, "eventfd-pingpong")) {
    int a = eventfd(0, 0), b = eventfd(0, 0);
    uint64_t v = 1;
    pid_t pid = fork();
    if (pid == 0) {
      pin_child();
      for (long i = 0; i < n + warm; i++) {
        if (read(a, &v, 8) != 8 || write(b, &v, 8) != 8) _exit(1);
      }
      _exit(0);
    }
    double t0 = 0;
    for (long i = 0; i < n + warm; i++) {
      if (i == warm) t0 = now_ns();
      if (write(a, &v, 8) != 8 || read(b, &v, 8) != 8) return 1;
    }
    printf("%.1f\n", (now_ns() - t0) / n);
    waitpid(pid, NULL, 0);
  } else if (!strcmp(what, "flock-pair")) {
    char path[] = "/tmp/linux-ipc-bench-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    for (long i = 0; i < 1000; i++) { flock(fd, LOCK_EX); flock(fd, LOCK_UN); }
    double t0 = now_ns();
    for (long i = 0; i < n; i++) { flock(fd, LOCK_EX); flock(fd, LOCK_UN); }
    printf("%.1f\n", (now_ns() - t0) / n);
  } else {
    return 2;
  }
  return 0;
}
