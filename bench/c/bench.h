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

/* With BENCH_IDLE_THREAD set, starts a thread that only sleeps: the process
 * is then multi-threaded, as every Deno process is, and the kernel counts
 * references on each use of a descriptor, as it does for Deno. */
static void idle_thread(void) {
  if (getenv("BENCH_IDLE_THREAD") == NULL) return;
  pthread_t t;
  if (pthread_create(&t, NULL, sleep_forever, NULL) != 0) { perror("pthread_create"); exit(1); }
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
