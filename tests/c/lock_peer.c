/* A C peer for the file lock tests: record locks (F_SETLK/F_SETLKW) and
 * open file description locks (F_OFD_SETLK/F_OFD_SETLKW).
 *   hold PATH r|w START LEN SECONDS [ofd]  wait for the lock, print
 *                                          "locked", hold it SECONDS
 *   try PATH r|w START LEN [ofd]           print "ok" or "busy"
 *   cross PATH                             lock byte 1, print "holding",
 *                                          read a line from stdin, then
 *                                          wait for byte 0 (F_SETLKW) and
 *                                          print "got" or "EDEADLK"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct flock range(const char *type, long start, long len) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type[0] == 'r' ? F_RDLCK : F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = len;
  return fl;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int fd = open(argv[2], O_RDWR);
  if (fd == -1) { perror("open"); return 1; }
  if (!strcmp(argv[1], "hold") && argc >= 7) {
    struct flock fl = range(argv[3], atol(argv[4]), atol(argv[5]));
    int ofd = argc > 7 && !strcmp(argv[7], "ofd");
    if (fcntl(fd, ofd ? F_OFD_SETLKW : F_SETLKW, &fl) == -1) { perror("fcntl"); return 1; }
    printf("locked\n");
    fflush(stdout);
    usleep((useconds_t)(atof(argv[6]) * 1e6));
  } else if (!strcmp(argv[1], "try") && argc >= 6) {
    struct flock fl = range(argv[3], atol(argv[4]), atol(argv[5]));
    int ofd = argc > 6 && !strcmp(argv[6], "ofd");
    if (fcntl(fd, ofd ? F_OFD_SETLK : F_SETLK, &fl) == 0) printf("ok\n");
    else if (errno == EAGAIN || errno == EACCES) printf("busy\n");
    else { perror("fcntl"); return 1; }
  } else if (!strcmp(argv[1], "cross")) {
    struct flock one = range("w", 1, 1), zero = range("w", 0, 1);
    if (fcntl(fd, F_SETLKW, &one) == -1) { perror("fcntl"); return 1; }
    printf("holding\n");
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin)) return 1;
    if (fcntl(fd, F_SETLKW, &zero) == 0) printf("got\n");
    else if (errno == EDEADLK) printf("EDEADLK\n");
    else { perror("fcntl"); return 1; }
  } else {
    return 2;
  }
  return 0;
}
