/* The C baseline of bench/concurrency.ts: an echo server on a Unix stream
 * socket, one thread, epoll, non-blocking sockets: the protocol of
 * bench/conc_peer.ts's servers. A connection whose first byte is 'C' is a
 * control connection: the line "reset" answers "ok", "stats" answers JSON
 * with lateMs (always 0: no event loop to be late), threads, rssKiB and
 * cpuMs, read from /proc/self.
 *
 * Usage: echo_server PATH   (prints "ready" once listening) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { FRESH, ECHO, CONTROL };
struct conn { int fd; int kind; char line[256]; size_t len; };

static long field(const char *file, const char *name) {
  FILE *f = fopen(file, "r");
  char buf[512];
  long v = -1;
  size_t n = strlen(name);
  while (f && fgets(buf, sizeof buf, f))
    if (strncmp(buf, name, n) == 0 && buf[n] == ':') { v = atol(buf + n + 1); break; }
  if (f) fclose(f);
  return v;
}

static long cpu_ms(void) {
  FILE *f = fopen("/proc/self/stat", "r");
  char buf[1024];
  long ut = 0, st = 0;
  if (f && fgets(buf, sizeof buf, f)) {
    char *p = strrchr(buf, ')') + 2;
    /* fields from 3 on: utime is the 14th field, stime the 15th */
    for (int i = 3; i < 14; i++) p = strchr(p, ' ') + 1;
    sscanf(p, "%ld %ld", &ut, &st);
  }
  if (f) fclose(f);
  return (ut + st) * 10;
}

static void reply(int fd, const char *text) {
  size_t off = 0, n = strlen(text);
  while (off < n) {
    ssize_t w = send(fd, text + off, n - off, MSG_NOSIGNAL);
    if (w < 0) { if (errno == EAGAIN || errno == EINTR) continue; return; }
    off += (size_t)w;
  }
}

static void control(struct conn *c, const char *data, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (data[i] != '\n') {
      if (c->len < sizeof c->line - 1) c->line[c->len++] = data[i];
      continue;
    }
    c->line[c->len] = 0;
    c->len = 0;
    if (strcmp(c->line, "stats") == 0) {
      char out[256];
      snprintf(out, sizeof out,
               "{\"lateMs\":0,\"threads\":%ld,\"rssKiB\":%ld,\"cpuMs\":%ld}\n",
               field("/proc/self/status", "Threads"),
               field("/proc/self/status", "VmRSS"), cpu_ms());
      reply(c->fd, out);
    } else {
      reply(c->fd, "ok\n");
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: echo_server PATH\n"); return 2; }
  int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 4096) < 0) {
    perror("bind/listen");
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  printf("ready\n");
  fflush(stdout);
  struct epoll_event events[256];
  char buf[4096];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) {
        for (;;) {
          int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          c = calloc(1, sizeof *c);
          c->fd = fd;
          struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (r <= 0) { close(c->fd); free(c); break; }
        size_t skip = 0;
        if (c->kind == FRESH) {
          c->kind = buf[0] == 'C' ? CONTROL : ECHO;
          skip = c->kind == CONTROL; /* the 'C' that opened it */
        }
        if (c->kind == CONTROL) {
          control(c, buf + skip, (size_t)r - skip);
          continue;
        }
        size_t off = 0;
        while (off < (size_t)r) {
          ssize_t w = send(c->fd, buf + off, (size_t)r - off, MSG_NOSIGNAL);
          if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) continue; /* echo: tiny writes */
            break;
          }
          off += (size_t)w;
        }
      }
    }
  }
}
