/* C baselines for bench/msg.ts, parent and forked child:
 *   sysv SIZE COUNT    the child sends COUNT messages of SIZE bytes through
 *                      a private System V queue; prints MB/s at the
 *                      receiver, from the first eighth of the messages (a
 *                      warm-up) to the end
 *   posix SIZE COUNT   the same through a POSIX queue (maxmsg 10, msgsize
 *                      SIZE)
 *   sysv-rt N W        64-byte round trips over one System V queue (type 1
 *                      there, type 2 back): W untimed, then N; prints ns
 *                      per timed round trip
 *   posix-rt N W       the same over two POSIX queues
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct msg { long type; char text[65536]; };

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  const char *mode = argv[1];
  long a = atol(argv[2]), b = atol(argv[3]);
  static struct msg m;
  char name[2][64];
  snprintf(name[0], sizeof name[0], "/linux-ipc-bench-%d-a", getpid());
  snprintf(name[1], sizeof name[1], "/linux-ipc-bench-%d-b", getpid());
  if (strcmp(mode, "sysv") == 0 || strcmp(mode, "posix") == 0) {
    long size = a, count = b;
    int posix = mode[0] == 'p';
    int q = -1;
    mqd_t mq = (mqd_t)-1;
    if (posix) {
      struct mq_attr at = { .mq_maxmsg = 10, .mq_msgsize = size };
      mq = mq_open(name[0], O_RDWR | O_CREAT | O_EXCL, 0600, &at);
      if (mq == (mqd_t)-1) { perror("mq_open"); return 1; }
    } else {
      q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    }
    if (fork() == 0) {
      pin_child();
      idle_thread();
      m.type = 1;
      for (long i = 0; i < count; i++) {
        if (posix ? mq_send(mq, m.text, size, 0) : msgsnd(q, &m, size, 0)) _exit(1);
      }
      _exit(0);
    }
    idle_thread();
    double t0 = 0;
    for (long i = 0; i < count; i++) {
      if (i == count / 8) t0 = now();
      if (posix ? mq_receive(mq, m.text, size, NULL) < 0 : msgrcv(q, &m, size, 0, 0) < 0) { perror("receive"); return 1; }
    }
    double t = now() - t0;
    wait(NULL);
    if (posix) { mq_close(mq); mq_unlink(name[0]); } else msgctl(q, IPC_RMID, NULL);
    printf("%.1f\n", (count - count / 8) * (double)size / t / 1e6);
    return 0;
  }
  long n = a, warm = b;
  int posix = strcmp(mode, "posix-rt") == 0;
  int q = -1;
  mqd_t mq[2];
  if (posix) {
    struct mq_attr at = { .mq_maxmsg = 10, .mq_msgsize = 64 };
    for (int i = 0; i < 2; i++) {
      mq[i] = mq_open(name[i], O_RDWR | O_CREAT | O_EXCL, 0600, &at);
      if (mq[i] == (mqd_t)-1) { perror("mq_open"); return 1; }
    }
  } else {
    q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  }
  if (fork() == 0) {
    pin_child();
    idle_thread();
    for (long i = 0; i < warm + n; i++) {
      if (posix) {
        if (mq_receive(mq[0], m.text, 64, NULL) < 0 || mq_send(mq[1], m.text, 64, 0)) _exit(1);
      } else {
        if (msgrcv(q, &m, 64, 1, 0) < 0) _exit(1);
        m.type = 2;
        if (msgsnd(q, &m, 64, 0)) _exit(1);
      }
    }
    _exit(0);
  }
  idle_thread();
  double t0 = now();
  for (long i = 0; i < warm + n; i++) {
    if (i == warm) t0 = now();
    if (posix) {
      if (mq_send(mq[0], m.text, 64, 0) || mq_receive(mq[1], m.text, 64, NULL) < 0) return 1;
    } else {
      m.type = 1;
      if (msgsnd(q, &m, 64, 0) || msgrcv(q, &m, 64, 2, 0) < 0) return 1;
    }
  }
  double t = now() - t0;
  wait(NULL);
  if (posix) {
    for (int i = 0; i < 2; i++) { mq_close(mq[i]); mq_unlink(name[i]); }
  } else msgctl(q, IPC_RMID, NULL);
  printf("%.0f\n", t * 1e9 / n);
  return 0;
}
