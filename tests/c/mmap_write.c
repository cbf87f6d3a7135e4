/* mmap-write as ALP Listing 5.5 describes it, a C peer for the tests:
 * create FILE (0600) of 0x100 bytes, map it shared, write an integer (the
 * second argument, or a random one in [-100, 100]) and a newline. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#define FILE_LENGTH 0x100

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  srand(time(NULL));
  int value = argc > 2 ? atoi(argv[2]) : -100 + rand() % 201;
  int fd = open(argv[1], O_RDWR | O_CREAT, S_IRUSR | S_IWUSR);
  if (fd < 0) { perror("open"); return 1; }
  lseek(fd, FILE_LENGTH + 1, SEEK_SET);
  write(fd, "", 1);
  lseek(fd, 0, SEEK_SET);
  char *mem = mmap(0, FILE_LENGTH, PROT_WRITE, MAP_SHARED, fd, 0);
  if (mem == MAP_FAILED) { perror("mmap"); return 1; }
  close(fd);
  sprintf(mem, "%d\n", value);
  munmap(mem, FILE_LENGTH);
  return 0;
}
