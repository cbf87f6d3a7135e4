/* Helpers shared by the C baselines of bench/: the process shape and CPU
 * placement the drivers ask for through the environment. */
#ifndef BENCH_H
#define BENCH_H

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *sleep_forever(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

/* With BENCH_IDLE_THREAD=N set, starts N threads (at least one) that only
 * sleep: the process is then multi-threaded, as every Deno process is (a
 * Deno process has about 7 threads), and the kernel counts references on
 * each use of a descriptor, as it does for Deno, at a cost that grows with
 * the number of threads. */
static void idle_thread(void) {
  const char *n = getenv("BENCH_IDLE_THREAD");
  if (n == NULL) return;
  int count = atoi(n) > 1 ? atoi(n) : 1;
  for (int i = 0; i < count; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, sleep_forever, NULL) != 0) { perror("pthread_create"); exit(1); }
  }
}

/* Moves the forked child to the CPU named by BENCH_CHILD_CPU, if set. */
static void pin_child(void) {
  const char *cpu = getenv("BENCH_CHILD_CPU");
  if (cpu == NULL) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(atoi(cpu), &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0) { perror("sched_setaffinity"); exit(1); }
}

#endif
