/* C baselines for bench/socket.ts, parent and forked child over a Unix
 * socketpair:
 *   stream|dgram BLOCK TOTAL   the child sends TOTAL bytes in BLOCK-byte
 *                              sends; prints MB/s at the reader, from the
 *                              first eighth of the data (a warm-up) to the
 *                              end
 *   pingpong N W               64-byte round trips: W untimed (a warm-up,
 *                              as on the Deno side), then N; prints ns per
 *                              timed round trip
 *   fdpass N W                 the parent passes a descriptor (SCM_RIGHTS),
 *                              the child closes it and answers one byte; W
 *                              untimed rounds, then N; prints ns per timed
 *                              round trip
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int dgram = strcmp(argv[1], "dgram") == 0;
  int sv[2];
  if (socketpair(AF_UNIX, dgram ? SOCK_DGRAM : SOCK_STREAM, 0, sv) < 0) { perror("socketpair"); return 1; }
  long n = atol(argv[2]);
  if (strcmp(argv[1], "pingpong") == 0 || strcmp(argv[1], "fdpass") == 0) {
    int fd = strcmp(argv[1], "fdpass") == 0;
    long warm = argc > 3 ? atol(argv[3]) : 0;
    char buf[64] = {0};
    if (fork() == 0) {
      pin_child();
      idle_thread();
      close(sv[0]);
      for (long i = 0; i < warm + n; i++) {
        if (fd) {
          char c; struct iovec iov = { &c, 1 };
          char ctl[CMSG_SPACE(sizeof(int))];
          struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
          if (recvmsg(sv[1], &m, 0) <= 0) _exit(1);
          int got; memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof got);
          close(got);
          write(sv[1], &c, 1);
        } else {
          if (read(sv[1], buf, 64) <= 0) _exit(1);
          write(sv[1], buf, 64);
        }
      }
      _exit(0);
    }
    idle_thread();
    close(sv[1]);
    double t0 = now();
    for (long i = 0; i < warm + n; i++) {
      if (i == warm) t0 = now();
      if (fd) {
        char c = 1; struct iovec iov = { &c, 1 };
        char ctl[CMSG_SPACE(sizeof(int))];
        memset(ctl, 0, sizeof ctl);
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS; h->cmsg_len = CMSG_LEN(sizeof(int));
        int zero = 0; memcpy(CMSG_DATA(h), &zero, sizeof zero);
        sendmsg(sv[0], &m, 0);
        read(sv[0], &c, 1);
      } else {
        write(sv[0], buf, 64);
        for (int got = 0; got < 64;) got += read(sv[0], buf + got, 64 - got);
      }
    }
    printf("%.1f\n", (now() - t0) * 1e9 / n);
    wait(NULL);
    return 0;
  }
  size_t block = atol(argv[2]), total = atol(argv[3]);
  char *buf = malloc(block);
  memset(buf, 'x', block);
  if (fork() == 0) {
    pin_child();
    idle_thread();
    close(sv[0]);
    for (size_t sent = 0; sent < total;) {
      ssize_t k = send(sv[1], buf, block, 0);
      if (k < 0) { perror("send"); _exit(1); }
      sent += k;
    }
    if (dgram) send(sv[1], buf, 0, 0); /* an empty datagram ends it */
    _exit(0);
  }
  idle_thread();
  close(sv[1]);
  /* MB/s from the first eighth of the data (a warm-up, as on the Deno
   * side) to the end. */
  size_t got = 0, from = 0, skip = total / 8;
  double t0 = 0;
  int timing = 0;
  for (;;) {
    ssize_t k = recv(sv[0], buf, block, 0);
    if (k <= 0) break;
    got += k;
    if (!timing && got >= skip) { timing = 1; t0 = now(); from = got; }
  }
  printf("%.1f\n", (got - from) / (now() - t0) / 1e6);
  wait(NULL);
  return 0;
}
