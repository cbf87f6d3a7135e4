/* C baselines for bench/io.ts.
 *   pipe BLOCK TOTAL        parent and forked child over a pipe: the child
 *                           writes TOTAL bytes in BLOCK-byte writes, the
 *                           parent reads BLOCK at a time; prints MB/s measured
 *                           at the reader from the first eighth of the data
 *                           (a warm-up) to end of file
 *   fifo PATH BLOCK TOTAL   the same through a FIFO at PATH (made here)
 *   memcpy MIB ROUNDS       copy MIB MiB into and out of a shared anonymous
 *                           mapping (pages touched first), ROUNDS times;
 *                           prints the median MB/s of the writes and of the
 *                           reads
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void writer(int fd, size_t block, size_t total) {
  char *buf = malloc(block);
  memset(buf, 'x', block);
  for (size_t sent = 0; sent < total;) {
    ssize_t n = write(fd, buf, block);
    if (n < 0) { perror("write"); exit(1); }
    sent += n;
  }
  close(fd);
}

/* Reads to end of file; MB/s from the moment SKIP bytes have arrived (a
 * warm-up, the same on the Deno side) to the end. */
static double reader(int fd, size_t block, size_t skip) {
  char *buf = malloc(block);
  size_t got = 0, from = 0;
  double t0 = 0;
  int timing = 0;
  for (;;) {
    ssize_t n = read(fd, buf, block);
    if (n < 0) { perror("read"); exit(1); }
    if (n == 0) break;
    got += n;
    if (!timing && got >= skip) { timing = 1; t0 = now(); from = got; }
  }
  return (got - from) / (now() - t0) / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (strcmp(argv[1], "memcpy") == 0) {
    size_t size = (size_t)atol(argv[2]) << 20;
    int rounds = argc > 3 ? atoi(argv[3]) : 1;
    if (rounds < 1 || rounds > 64) return 2;
    double w[64], r[64];
    char *src = malloc(size), *dst = malloc(size);
    memset(src, 1, size);
    memset(dst, 2, size);
    char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(map, 0, size);
    for (int i = 0; i < rounds; i++) {
      double t0 = now();
      memcpy(map, src, size);
      double t1 = now();
      memcpy(dst, map, size);
      double t2 = now();
      w[i] = size / (t1 - t0) / 1e6;
      r[i] = size / (t2 - t1) / 1e6;
    }
    qsort(w, rounds, sizeof w[0], by_value);
    qsort(r, rounds, sizeof r[0], by_value);
    printf("%.1f %.1f\n", w[rounds / 2], r[rounds / 2]);
    return dst[size - 1] == 1 ? 0 : 1;
  }
  int fifo = strcmp(argv[1], "fifo") == 0;
  size_t block = atol(argv[fifo ? 3 : 2]), total = atol(argv[fifo ? 4 : 3]);
  int fds[2];
  if (fifo) {
    if (mkfifo(argv[2], 0600) < 0) { perror("mkfifo"); return 1; }
  } else if (pipe(fds) < 0) { perror("pipe"); return 1; }
  pid_t pid = fork();
  if (pid == 0) {
    pin_child();
    idle_thread();
    int w = fifo ? open(argv[2], O_WRONLY) : fds[1];
    if (!fifo) close(fds[0]);
    writer(w, block, total);
    _exit(0);
  }
  idle_thread();
  int r = fifo ? open(argv[2], O_RDONLY) : fds[0];
  if (!fifo) close(fds[1]);
  double mbs = reader(r, block, total / 8);
  waitpid(pid, NULL, 0);
  if (fifo) unlink(argv[2]);
  printf("%.1f\n", mbs);
  return 0;
}
