/* A C peer for the POSIX message queue tests, on glibc's mq_* functions.
 *   send NAME PRIO TEXT [PRIO TEXT]...   send each message
 *   receive NAME N                       receive N, print "PRIO TEXT" each
 *   notify NAME                          register for SIGUSR1 (mq_notify),
 *                                        print "registered", wait for the
 *                                        signal, print "notified" and the
 *                                        message it announced
 */
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mqd_t open_queue(const char *name, int flags) {
  mqd_t q = mq_open(name, flags);
  if (q == (mqd_t)-1) { perror("mq_open"); exit(1); }
  return q;
}

static void receive_one(mqd_t q) {
  struct mq_attr a;
  if (mq_getattr(q, &a) == -1) { perror("mq_getattr"); exit(1); }
  char *buf = malloc(a.mq_msgsize + 1);
  unsigned prio;
  ssize_t n = mq_receive(q, buf, a.mq_msgsize, &prio);
  if (n == -1) { perror("mq_receive"); exit(1); }
  buf[n] = 0;
  printf("%u %s\n", prio, buf);
  free(buf);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (strcmp(argv[1], "send") == 0) {
    mqd_t q = open_queue(argv[2], O_WRONLY);
    for (int i = 3; i + 1 < argc; i += 2) {
      if (mq_send(q, argv[i + 1], strlen(argv[i + 1]), atoi(argv[i])) == -1) {
        perror("mq_send");
        return 1;
      }
    }
    return 0;
  }
  if (strcmp(argv[1], "receive") == 0) {
    mqd_t q = open_queue(argv[2], O_RDONLY);
    for (int i = 0; i < atoi(argv[3]); i++) receive_one(q);
    return 0;
  }
  if (strcmp(argv[1], "notify") == 0) {
    mqd_t q = open_queue(argv[2], O_RDONLY);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    if (mq_notify(q, &ev) == -1) { perror("mq_notify"); return 1; }
    printf("registered\n");
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    printf("notified\n");
    receive_one(q);
    return 0;
  }
  return 2;
}
