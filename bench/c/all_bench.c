/* The C side of `deno task bench:all` (bench/all.ts): every facility with
 * one protocol, the one bench/all_peer.ts follows with the library.
 *
 *   all_bench FACILITY bw BLOCK COUNT   the child sends COUNT blocks of BLOCK
 *                                       bytes; the parent receives them and
 *                                       prints MB/s from the first eighth on
 *   all_bench FACILITY rt BLOCK COUNT   COUNT round trips of BLOCK bytes
 *                                       (parent sends, child answers); prints
 *                                       microseconds per round trip from the
 *                                       first eighth on
 *
 * FACILITY: pipe fifo stream dgram seqpacket sysvmsg mq sysvshm pshm filemap
 * memfd eventfd. Two directions: 0 child to parent, 1 parent to child. The
 * shared-memory facilities have a slot of BLOCK bytes per direction, and an
 * "empty" and a "full" signal per slot (System V semaphores; POSIX
 * semaphores in the memory; eventfds). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

#define HDR 128 /* four sem_t of 32 bytes before the slots */

static const char *fac;
static size_t block;
static int child;
static int fdr[2], fdw[2];      /* per direction: read and write ends */
static int sock[2];             /* socketpair: parent 0, child 1 */
static int msq, semid;
static mqd_t mq[2];
static char *mem;               /* HDR + 2 slots */
static int efd[4];              /* eventfds: empty0 full0 empty1 full1 */
static char path0[64], path1[64];
static struct { long mtype; char text[65536]; } *msg;

static void die(const char *what) { perror(what); exit(1); }
static int is(const char *f) { return strcmp(fac, f) == 0; }
static sem_t *psem(int i) { return (sem_t *)(mem + 32 * i); }

static void wait_sig(int i) {
  if (is("sysvshm")) {
    struct sembuf op = {(unsigned short)i, -1, 0};
    while (semop(semid, &op, 1) < 0) if (errno != EINTR) die("semop");
  } else if (is("eventfd")) {
    uint64_t v;
    while (read(efd[i], &v, 8) != 8) if (errno != EINTR) die("read eventfd");
  } else {
    while (sem_wait(psem(i)) < 0) if (errno != EINTR) die("sem_wait");
  }
}

static void post_sig(int i) {
  if (is("sysvshm")) {
    struct sembuf op = {(unsigned short)i, 1, 0};
    if (semop(semid, &op, 1) < 0) die("semop");
  } else if (is("eventfd")) {
    uint64_t v = 1;
    if (write(efd[i], &v, 8) != 8) die("write eventfd");
  } else if (sem_post(psem(i)) < 0) die("sem_post");
}

static void setup(void) {
  size_t len = HDR + 2 * block;
  if (is("pipe")) {
    int a[2], b[2];
    if (pipe(a) < 0 || pipe(b) < 0) die("pipe");
    fdr[0] = a[0]; fdw[0] = a[1]; fdr[1] = b[0]; fdw[1] = b[1];
  } else if (is("fifo")) {
    snprintf(path0, sizeof path0, "/tmp/linux-ipc-bench-%d-0", getpid());
    snprintf(path1, sizeof path1, "/tmp/linux-ipc-bench-%d-1", getpid());
    if (mkfifo(path0, 0600) < 0 || mkfifo(path1, 0600) < 0) die("mkfifo");
  } else if (is("stream") || is("dgram") || is("seqpacket")) {
    int type = is("stream") ? SOCK_STREAM : is("dgram") ? SOCK_DGRAM : SOCK_SEQPACKET;
    if (socketpair(AF_UNIX, type, 0, sock) < 0) die("socketpair");
  } else if (is("sysvmsg")) {
    if ((msq = msgget(IPC_PRIVATE, 0600)) < 0) die("msgget");
    msg = malloc(sizeof *msg);
  } else if (is("mq")) {
    struct mq_attr a = {0, 10, (long)block, 0};
    for (int d = 0; d < 2; d++) {
      char name[64];
      snprintf(name, sizeof name, "/linux-ipc-bench-%d-%d", getpid(), d);
      if ((mq[d] = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a)) < 0) die("mq_open");
      mq_unlink(name);
    }
  } else if (is("sysvshm")) {
    int id = shmget(IPC_PRIVATE, len, 0600);
    if (id < 0) die("shmget");
    mem = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL);
    if ((semid = semget(IPC_PRIVATE, 4, 0600)) < 0) die("semget");
    unsigned short v[4] = {1, 0, 1, 0};
    if (semctl(semid, 0, SETALL, v) < 0) die("semctl");
  } else {
    int fd;
    if (is("pshm")) {
      char name[64];
      snprintf(name, sizeof name, "/linux-ipc-bench-%d", getpid());
      if ((fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600)) < 0) die("shm_open");
      shm_unlink(name);
    } else if (is("filemap")) {
      snprintf(path0, sizeof path0, "/tmp/linux-ipc-bench-%d.map", getpid());
      if ((fd = open(path0, O_CREAT | O_EXCL | O_RDWR, 0600)) < 0) die("open");
      unlink(path0);
      path0[0] = 0;
    } else {
      if ((fd = memfd_create("linux-ipc-bench", 0)) < 0) die("memfd_create");
    }
    if (ftruncate(fd, len) < 0) die("ftruncate");
    mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) die("mmap");
    close(fd);
    if (is("eventfd")) {
      for (int i = 0; i < 4; i++) {
        if ((efd[i] = eventfd(i % 2 == 0 ? 1 : 0, 0)) < 0) die("eventfd");
      }
    } else {
      for (int i = 0; i < 4; i++) {
        if (sem_init(psem(i), 1, i % 2 == 0 ? 1 : 0) < 0) die("sem_init");
      }
    }
  }
}

static void open_fifos(void) {
  if (!is("fifo")) return;
  /* The same order on both sides: no deadlock. */
  if (child) {
    fdw[0] = open(path0, O_WRONLY);
    fdr[1] = open(path1, O_RDONLY);
  } else {
    fdr[0] = open(path0, O_RDONLY);
    fdw[1] = open(path1, O_WRONLY);
  }
}

static void send_block(int d, char *buf) {
  if (is("pipe") || is("fifo")) {
    for (size_t off = 0; off < block;) {
      ssize_t n = write(fdw[d], buf + off, block - off);
      if (n < 0) { if (errno == EINTR) continue; die("write"); }
      off += n;
    }
  } else if (is("stream") || is("dgram") || is("seqpacket")) {
    int fd = sock[child];
    for (size_t off = 0; off < block;) {
      ssize_t n = send(fd, buf + off, block - off, 0);
      if (n < 0) { if (errno == EINTR) continue; die("send"); }
      off += n;
    }
  } else if (is("sysvmsg")) {
    msg->mtype = d + 1;
    memcpy(msg->text, buf, block);
    while (msgsnd(msq, msg, block, 0) < 0) if (errno != EINTR) die("msgsnd");
  } else if (is("mq")) {
    while (mq_send(mq[d], buf, block, 0) < 0) if (errno != EINTR) die("mq_send");
  } else {
    wait_sig(2 * d);
    memcpy(mem + HDR + d * block, buf, block);
    post_sig(2 * d + 1);
  }
}

static void recv_block(int d, char *buf) {
  if (is("pipe") || is("fifo") || is("stream")) {
    int fd = is("stream") ? sock[child] : fdr[d];
    for (size_t off = 0; off < block;) {
      ssize_t n = read(fd, buf + off, block - off);
      if (n < 0) { if (errno == EINTR) continue; die("read"); }
      if (n == 0) { fprintf(stderr, "early end of file\n"); exit(1); }
      off += n;
    }
  } else if (is("dgram") || is("seqpacket")) {
    while (recv(sock[child], buf, block, 0) < 0) if (errno != EINTR) die("recv");
  } else if (is("sysvmsg")) {
    while (msgrcv(msq, msg, block, d + 1, 0) < 0) if (errno != EINTR) die("msgrcv");
    memcpy(buf, msg->text, block);
  } else if (is("mq")) {
    while (mq_receive(mq[d], buf, block, NULL) < 0) if (errno != EINTR) die("mq_receive");
  } else {
    wait_sig(2 * d + 1);
    memcpy(buf, mem + HDR + d * block, block);
    post_sig(2 * d);
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: all_bench FACILITY bw|rt BLOCK COUNT\n");
    return 2;
  }
  fac = argv[1];
  int rt = strcmp(argv[2], "rt") == 0;
  block = atol(argv[3]);
  long count = atol(argv[4]);
  char *buf = malloc(block);
  memset(buf, 'x', block);
  setup();
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    child = 1;
    pin_child();
    open_fifos();
    for (long i = 0; i < count; i++) {
      if (rt) {
        recv_block(1, buf);
        send_block(0, buf);
      } else {
        send_block(0, buf);
      }
    }
    _exit(0);
  }
  open_fifos();
  long skip = count / 8;
  double t0 = 0;
  for (long i = 0; i < count; i++) {
    if (i == skip) t0 = now();
    if (rt) {
      send_block(1, buf);
      recv_block(0, buf);
    } else {
      recv_block(0, buf);
    }
  }
  double t = now() - t0;
  waitpid(pid, NULL, 0);
  if (path0[0]) unlink(path0);
  if (path1[0]) unlink(path1);
  if (is("sysvmsg")) msgctl(msq, IPC_RMID, NULL);
  if (is("sysvshm")) semctl(semid, 0, IPC_RMID);
  long n = count - skip;
  if (rt) printf("%.3f\n", t / n * 1e6);
  else printf("%.3f\n", (double)n * block / t / 1e6);
  return 0;
}
