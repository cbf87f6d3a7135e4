/* C baselines for bench/run.ts.
 *   pair N           time N uncontended post+wait pairs on a private set;
 *                    prints nanoseconds per pair
 *   ping ID N W      one side of a ping-pong on set ID: post 0, wait 1, W + N
 *                    times; prints nanoseconds per round trip of the last N
 *                    (the first W warm up both sides). It starts once the
 *                    other side is ready (semaphore 2).
 *   pong ID N W      the other side: post 2 (ready), then wait 0, post 1,
 *                    W + N times
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ipc.h>
#include <sys/sem.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void op(int id, unsigned short num, short delta) {
  struct sembuf b = { num, delta, 0 };
  if (semop(id, &b, 1) < 0) { perror("semop"); exit(1); }
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (strcmp(argv[1], "pair") == 0) {
    long n = atol(argv[2]);
    int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    double t0 = now_ns();
    for (long i = 0; i < n; i++) { op(id, 0, 1); op(id, 0, -1); }
    double t1 = now_ns();
    semctl(id, 0, IPC_RMID);
    printf("%.1f\n", (t1 - t0) / n);
    return 0;
  }
  int id = atoi(argv[2]);
  long n = atol(argv[3]), w = argc > 4 ? atol(argv[4]) : 0;
  if (strcmp(argv[1], "ping") == 0) {
    op(id, 2, -1);
    for (long i = 0; i < w; i++) { op(id, 0, 1); op(id, 1, -1); }
    double t0 = now_ns();
    for (long i = 0; i < n; i++) { op(id, 0, 1); op(id, 1, -1); }
    printf("%.1f\n", (now_ns() - t0) / n);
  } else {
    op(id, 2, 1);
    for (long i = 0; i < w + n; i++) { op(id, 0, -1); op(id, 1, 1); }
  }
  return 0;
}
