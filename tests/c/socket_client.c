/* ALP Listing 5.11 as the issue describes it, a C peer for the tests:
 * connect to the local socket at argv[1] and send argv[2] framed as a
 * native int length (counting the trailing NUL) and the text with its NUL. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int fd = socket(PF_LOCAL, SOCK_STREAM, 0);
  struct sockaddr_un name = { .sun_family = AF_LOCAL };
  strncpy(name.sun_path, argv[1], sizeof(name.sun_path) - 1);
  if (connect(fd, (struct sockaddr *)&name, SUN_LEN(&name)) < 0) { perror("connect"); return 1; }
  int length = strlen(argv[2]) + 1;
  write(fd, &length, sizeof(length));
  write(fd, argv[2], length);
  close(fd);
  return 0;
}
