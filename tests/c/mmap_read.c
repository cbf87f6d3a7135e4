/* mmap-read as ALP Listing 5.6 describes it, a C peer for the tests: map
 * FILE shared, print "value: N", write 2N and a newline back. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define FILE_LENGTH 0x100

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int fd = open(argv[1], O_RDWR, S_IRUSR | S_IWUSR);
  if (fd < 0) { perror("open"); return 1; }
  char *mem = mmap(0, FILE_LENGTH, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mem == MAP_FAILED) { perror("mmap"); return 1; }
  close(fd);
  int integer;
  sscanf(mem, "%d", &integer);
  printf("value: %d\n", integer);
  sprintf(mem, "%d\n", 2 * integer);
  munmap(mem, FILE_LENGTH);
  return 0;
}
