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
 *   send sysv|posix Q SIZE COUNT
 *                      only the sending side: COUNT messages to the queue
 *                      Q (a System V id, or a POSIX name) made by another
 *                      process
 *   recv sysv|posix SIZE COUNT CMD...
 *                      only the receiving side: makes the queue, runs CMD
 *                      (each "{Q}" in it replaced by the queue's id or name)
 *                      as the sending child, and prints MB/s as sysv/posix
 *                      do; with a Deno sender, it tells the two sides'
 *                      shares of a gap apart
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

/* The receiving loop of the bandwidth modes: MB/s from the first eighth. */
static double receive_all(int posix, int q, mqd_t mq, long size, long count,
                          struct msg *m) {
  double t0 = 0;
  for (long i = 0; i < count; i++) {
    if (i == count / 8) t0 = now();
    if (posix ? mq_receive(mq, m->text, size, NULL) < 0 : msgrcv(q, m, size, 0, 0) < 0) {
      perror("receive");
      exit(1);
    }
  }
  return (count - count / 8) * (double)size / (now() - t0) / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  const char *mode = argv[1];
  if (strcmp(mode, "send") == 0 && argc >= 6) {
    static struct msg sm;
    int posix = argv[2][0] == 'p';
    long size = atol(argv[4]), count = atol(argv[5]);
    mqd_t mq = posix ? mq_open(argv[3], O_WRONLY) : (mqd_t)-1;
    int q = posix ? -1 : atoi(argv[3]);
    if (posix && mq == (mqd_t)-1) { perror("mq_open"); return 1; }
    sm.type = 1;
    for (long i = 0; i < count; i++) {
      if (posix ? mq_send(mq, sm.text, size, 0) : msgsnd(q, &sm, size, 0)) { perror("send"); return 1; }
    }
    return 0;
  }
  if (strcmp(mode, "recv") == 0 && argc >= 6) {
    static struct msg rm;
    int posix = argv[2][0] == 'p';
    long size = atol(argv[3]), count = atol(argv[4]);
    char qname[64];
    int q = -1;
    mqd_t mq = (mqd_t)-1;
    snprintf(qname, sizeof qname, "/linux-ipc-bench-%d-r", getpid());
    if (posix) {
      struct mq_attr at = { .mq_maxmsg = 10, .mq_msgsize = size };
      mq = mq_open(qname, O_RDONLY | O_CREAT | O_EXCL, 0600, &at);
      if (mq == (mqd_t)-1) { perror("mq_open"); return 1; }
    } else {
      q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
      snprintf(qname, sizeof qname, "%d", q);
    }
    pid_t child = fork();
    if (child == 0) {
      pin_child();
      char **cmd = argv + 5;
      for (char **a = cmd; *a; a++) if (strcmp(*a, "{Q}") == 0) *a = qname;
      execvp(cmd[0], cmd);
      perror("execvp");
      _exit(127);
    }
    idle_thread();
    double rate = receive_all(posix, q, mq, size, count, &rm);
    int status = 0;
    waitpid(child, &status, 0);
    if (posix) { mq_close(mq); mq_unlink(qname); } else msgctl(q, IPC_RMID, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "sender failed\n"); return 1; }
    printf("%.1f\n", rate);
    return 0;
  }
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
    double rate = receive_all(posix, q, mq, size, count, &m);
    wait(NULL);
    if (posix) { mq_close(mq); mq_unlink(name[0]); } else msgctl(q, IPC_RMID, NULL);
    printf("%.1f\n", rate);
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
