/**
 * The one libc symbol table of the library, opened once.
 *
 * Internal: nothing here is re-exported from `mod.ts`. Every other room
 * reaches libc through {@linkcode libc}, which returns the opened symbols or
 * throws a clear error naming what is missing (platform, `--allow-ffi`).
 *
 * The library is opened when this module loads if `--allow-ffi` is already
 * granted; otherwise on the first call, so that importing the library never
 * prompts and a program can check its permissions first.
 *
 * @module
 */

import {
  assertSupportedPlatform,
  decodeTimespecWords,
  SIZEOF,
} from "./layout.ts";

const SYMBOLS = {
  /* int *__errno_location(void) */
  __errno_location: { parameters: [], result: "pointer" },
  /* char *strerror(int errnum) */
  strerror: { parameters: ["i32"], result: "pointer" },
  /* int getpagesize(void) */
  getpagesize: { parameters: [], result: "i32" },

  /* key_t ftok(const char *pathname, int proj_id) */
  ftok: { parameters: ["buffer", "i32"], result: "i32" },

  /* int shmget(key_t key, size_t size, int shmflg) */
  shmget: { parameters: ["i32", "usize", "i32"], result: "i32" },
  /* void *shmat(int shmid, const void *shmaddr, int shmflg) */
  shmat: { parameters: ["i32", "pointer", "i32"], result: "pointer" },
  /* int shmdt(const void *shmaddr) */
  shmdt: { parameters: ["pointer"], result: "i32" },
  /* int shmctl(int shmid, int cmd, struct shmid_ds *buf) */
  shmctl: { parameters: ["i32", "i32", "buffer"], result: "i32" },

  /* int semget(key_t key, int nsems, int semflg) */
  semget: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /* int semctl(int semid, int semnum, int cmd, int val): the SETVAL form */
  semctl_val: {
    name: "semctl",
    parameters: ["i32", "i32", "i32", "i32"],
    result: "i32",
  },
  /* int semctl(int semid, int semnum, int cmd, void *buf_or_array) */
  semctl_buf: {
    name: "semctl",
    parameters: ["i32", "i32", "i32", "buffer"],
    result: "i32",
  },
  /* int semop(int semid, struct sembuf *sops, size_t nsops) */
  semop: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  /* int semtimedop(int semid, struct sembuf *sops, size_t nsops,
                    const struct timespec *timeout) */
  semtimedop: {
    parameters: ["i32", "buffer", "usize", "buffer"],
    result: "i32",
  },

  /* int msgget(key_t key, int msgflg) */
  msgget: { parameters: ["i32", "i32"], result: "i32" },
  /* int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg) */
  msgsnd: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  /* ssize_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
                    int msgflg): read as an int, since msgsz is at most
                    INT_MAX here (a bigint result would leave FFI's fast path) */
  msgrcv: {
    parameters: ["i32", "buffer", "usize", "i64", "i32"],
    result: "i32",
  },
  /* int msgctl(int msqid, int cmd, struct msqid_ds *buf) */
  msgctl: { parameters: ["i32", "i32", "buffer"], result: "i32" },

  /* mqd_t mq_open(const char *name, int oflag, mode_t mode,
                    struct mq_attr *attr): variadic in C; the mode and attr
                    are read only with O_CREAT */
  mq_open: { parameters: ["buffer", "i32", "u32", "buffer"], result: "i32" },
  /* int mq_close(mqd_t mqdes) */
  mq_close: { parameters: ["i32"], result: "i32" },
  /* int mq_unlink(const char *name) */
  mq_unlink: { parameters: ["buffer"], result: "i32" },
  /* int mq_send(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
                 unsigned int msg_prio) */
  mq_send: { parameters: ["i32", "buffer", "usize", "u32"], result: "i32" },
  /* ssize_t mq_receive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
                        unsigned int *msg_prio): read as an int, as msgrcv */
  mq_receive: {
    parameters: ["i32", "buffer", "usize", "buffer"],
    result: "i32",
  },
  /* The same four calls, given pointers (see PointerCache): a "buffer"
     parameter costs each call its address taking, about 40 ns here. */
  /* int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg) */
  msgsnd_p: {
    name: "msgsnd",
    parameters: ["i32", "pointer", "usize", "i32"],
    result: "i32",
  },
  /* ssize_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
                    int msgflg) */
  msgrcv_p: {
    name: "msgrcv",
    parameters: ["i32", "pointer", "usize", "i64", "i32"],
    result: "i32",
  },
  /* int mq_send(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
                 unsigned int msg_prio) */
  mq_send_p: {
    name: "mq_send",
    parameters: ["i32", "pointer", "usize", "u32"],
    result: "i32",
  },
  /* ssize_t mq_receive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
                        unsigned int *msg_prio) */
  mq_receive_p: {
    name: "mq_receive",
    parameters: ["i32", "pointer", "usize", "pointer"],
    result: "i32",
  },
  /* int mq_timedsend(mqd_t, const char *, size_t, unsigned int,
                      const struct timespec *abs_timeout) */
  mq_timedsend: {
    parameters: ["i32", "buffer", "usize", "u32", "buffer"],
    result: "i32",
  },
  /* ssize_t mq_timedreceive(mqd_t, char *, size_t, unsigned int *,
                             const struct timespec *abs_timeout): an int */
  mq_timedreceive: {
    parameters: ["i32", "buffer", "usize", "buffer", "buffer"],
    result: "i32",
  },
  /* int mq_getattr(mqd_t mqdes, struct mq_attr *attr) */
  mq_getattr: { parameters: ["i32", "buffer"], result: "i32" },
  /* int mq_setattr(mqd_t mqdes, const struct mq_attr *newattr,
                    struct mq_attr *oldattr) */
  mq_setattr: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /* int mq_notify(mqd_t mqdes, const struct sigevent *sevp) */
  mq_notify: { parameters: ["i32", "buffer"], result: "i32" },

  /* int shm_open(const char *name, int oflag, mode_t mode) */
  shm_open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  /* int shm_unlink(const char *name) */
  shm_unlink: { parameters: ["buffer"], result: "i32" },

  /* sem_t *sem_open(const char *name, int oflag, mode_t mode,
                     unsigned int value): variadic in C; mode and value are
                     read only with O_CREAT */
  sem_open: {
    parameters: ["buffer", "i32", "u32", "u32"],
    result: "pointer",
  },
  /* int sem_close(sem_t *sem) */
  sem_close: { parameters: ["pointer"], result: "i32" },
  /* int sem_unlink(const char *name) */
  sem_unlink: { parameters: ["buffer"], result: "i32" },
  /* int sem_init(sem_t *sem, int pshared, unsigned int value) */
  sem_init: { parameters: ["pointer", "i32", "u32"], result: "i32" },
  /* int sem_destroy(sem_t *sem) */
  sem_destroy: { parameters: ["pointer"], result: "i32" },
  /* int sem_post(sem_t *sem) */
  sem_post: { parameters: ["pointer"], result: "i32" },
  /* int sem_wait(sem_t *sem) */
  sem_wait: { parameters: ["pointer"], result: "i32" },
  /* int sem_trywait(sem_t *sem) */
  sem_trywait: { parameters: ["pointer"], result: "i32" },
  /* int sem_timedwait(sem_t *sem, const struct timespec *abs_timeout) */
  sem_timedwait: { parameters: ["pointer", "buffer"], result: "i32" },
  /* int sem_clockwait(sem_t *sem, clockid_t clockid,
                       const struct timespec *abstime): glibc 2.30 */
  sem_clockwait: {
    parameters: ["pointer", "i32", "buffer"],
    result: "i32",
    optional: true,
  },
  /* int clock_gettime(clockid_t clockid, struct timespec *tp) */
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  /* int sem_getvalue(sem_t *sem, int *sval) */
  sem_getvalue: { parameters: ["pointer", "buffer"], result: "i32" },

  /* int access(const char *pathname, int mode) */
  access: { parameters: ["buffer", "i32"], result: "i32" },
  /* pid_t getpid(void) */
  getpid: { parameters: [], result: "i32" },
  /* pid_t gettid(void) */
  gettid: { parameters: [], result: "i32" },
  /* int sched_yield(void) */
  sched_yield: { parameters: [], result: "i32" },
  /* int tgkill(pid_t tgid, pid_t tid, int sig) */
  tgkill: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /* int sigaction(int signum, const struct sigaction *act,
                   struct sigaction *oldact) */
  sigaction: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /* void *dlsym(void *handle, const char *symbol) */
  dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
  /* void *mmap(void *addr, size_t length, int prot, int flags, int fd,
                 off_t offset) */
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: "pointer",
  },
  /* int munmap(void *addr, size_t length) */
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  /* int msync(void *addr, size_t length, int flags) */
  msync: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  /* int mprotect(void *addr, size_t len, int prot) */
  mprotect: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  /* int madvise(void *addr, size_t length, int advice) */
  madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  /* int open(const char *pathname, int flags, mode_t mode) */
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  /* int close(int fd) */
  close: { parameters: ["i32"], result: "i32" },
  /* int ftruncate(int fd, off_t length) */
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  /* int statfs(const char *path, struct statfs *buf) */
  statfs: { parameters: ["buffer", "buffer"], result: "i32" },
  /* int fstat(int fd, struct stat *statbuf) */
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  /* int unlink(const char *pathname) */
  unlink: { parameters: ["buffer"], result: "i32" },
  /* int getrlimit(int resource, struct rlimit *rlim) */
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  /* ssize_t readlink(const char *pathname, char *buf, size_t bufsiz) */
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
  /* DIR *opendir(const char *name) */
  opendir: { parameters: ["buffer"], result: "pointer" },
  /* struct dirent *readdir(DIR *dirp): null at the end */
  readdir: { parameters: ["pointer"], result: "pointer" },
  /* int closedir(DIR *dirp) */
  closedir: { parameters: ["pointer"], result: "i32" },
  /* int fcntl(int fd, int cmd, int arg) */
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /* int fcntl(int fd, int cmd, struct flock *lock): the record lock form */
  fcntl_lock: {
    name: "fcntl",
    parameters: ["i32", "i32", "buffer"],
    result: "i32",
  },
  /* int flock(int fd, int operation) */
  flock: { parameters: ["i32", "i32"], result: "i32" },
  /* int pipe2(int pipefd[2], int flags) */
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  /* int mkfifo(const char *pathname, mode_t mode) */
  mkfifo: { parameters: ["buffer", "u32"], result: "i32" },
  // The ssize_t results of read, write, send, recv, sendto, recvfrom,
  // sendmsg and recvmsg are declared i32: Linux moves at most
  // MAX_RW_COUNT (0x7ffff000) bytes per call, so the value always fits, and
  // reading the low half of the return register is exact. A number result
  // costs nothing, where a bigint is a heap allocation on every call.
  /* ssize_t read(int fd, void *buf, size_t count) */
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  /* ssize_t write(int fd, const void *buf, size_t count) */
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  /* ssize_t pread(int fd, void *buf, size_t count, off_t offset) */
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "i32" },
  /* int poll(struct pollfd *fds, nfds_t nfds, int timeout) */
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  /* int socket(int domain, int type, int protocol) */
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /* int socketpair(int domain, int type, int protocol, int sv[2]) */
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  /* int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen) */
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /* int listen(int sockfd, int backlog) */
  listen: { parameters: ["i32", "i32"], result: "i32" },
  /* int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen,
                 int flags) */
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  /* int connect(int sockfd, const struct sockaddr *addr, socklen_t addrlen) */
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /* ssize_t send(int sockfd, const void *buf, size_t len, int flags) */
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  /* ssize_t recv(int sockfd, void *buf, size_t len, int flags) */
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  /* ssize_t sendto(int sockfd, const void *buf, size_t len, int flags,
                    const struct sockaddr *dest_addr, socklen_t addrlen) */
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "i32",
  },
  /* ssize_t recvfrom(int sockfd, void *buf, size_t len, int flags,
                      struct sockaddr *src_addr, socklen_t *addrlen) */
  recvfrom: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"],
    result: "i32",
  },
  /* ssize_t sendmsg(int sockfd, const struct msghdr *msg, int flags) */
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /* ssize_t recvmsg(int sockfd, struct msghdr *msg, int flags) */
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /* int shutdown(int sockfd, int how) */
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  /* int getsockopt(int sockfd, int level, int optname, void *optval,
                    socklen_t *optlen) */
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  /* int setsockopt(int sockfd, int level, int optname, const void *optval,
                    socklen_t optlen) */
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  /* int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen) */
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /* int getpeername(int sockfd, struct sockaddr *addr, socklen_t *addrlen) */
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /* int getaddrinfo(const char *node, const char *service,
                     const struct addrinfo *hints, struct addrinfo **res) */
  getaddrinfo: {
    parameters: ["buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  /* void freeaddrinfo(struct addrinfo *res) */
  freeaddrinfo: { parameters: ["pointer"], result: "void" },
  /* const char *gai_strerror(int errcode) */
  gai_strerror: { parameters: ["i32"], result: "pointer" },
  /* ssize_t tee(int fd_in, int fd_out, size_t len, unsigned int flags) */
  tee: { parameters: ["i32", "i32", "usize", "u32"], result: "i32" },
  /* int epoll_create1(int flags) */
  epoll_create1: { parameters: ["i32"], result: "i32" },
  /* int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) */
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  /* int epoll_wait(int epfd, struct epoll_event *events, int maxevents,
                    int timeout) */
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  /* int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
                      const struct timespec *timeout,
                      const sigset_t *sigmask): glibc 2.35, Linux 5.11 */
  epoll_pwait2: {
    parameters: ["i32", "buffer", "i32", "buffer", "pointer"],
    result: "i32",
    optional: true,
  },
  /* int timer_create(clockid_t clockid, struct sigevent *sevp,
                       timer_t *timerid): in libc.so.6 from glibc 2.34 */
  timer_create: {
    parameters: ["i32", "buffer", "buffer"],
    result: "i32",
    optional: true,
  },
  /* int timer_settime(timer_t timerid, int flags,
                        const struct itimerspec *new_value,
                        struct itimerspec *old_value) */
  timer_settime: {
    parameters: ["usize", "i32", "buffer", "pointer"],
    result: "i32",
    optional: true,
  },
  /* int timer_delete(timer_t timerid) */
  timer_delete: { parameters: ["usize"], result: "i32", optional: true },
  /* int eventfd(unsigned int initval, int flags) */
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  /* int inotify_init1(int flags) */
  inotify_init1: { parameters: ["i32"], result: "i32" },
  /* int inotify_add_watch(int fd, const char *pathname, uint32_t mask) */
  inotify_add_watch: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /* int memfd_create(const char *name, unsigned int flags) */
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  /* int __libc_current_sigrtmax(void): SIGRTMAX as glibc reserves it */
  __libc_current_sigrtmax: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The symbols a helper thread of `ffi/wait.ts` opens for itself. */
const WORKER_SYMBOLS = [
  "__errno_location",
  "getpid",
  "gettid",
  "tgkill",
  "close",
  "semtimedop",
  "msgsnd",
  "msgrcv",
  "epoll_wait",
  "sem_wait",
  "sem_timedwait",
  "sem_post",
  "mmap",
  "timer_create",
  "timer_settime",
  "timer_delete",
  "flock",
  "fcntl_lock",
] as const;

/**
 * JavaScript source that opens libc in a worker thread with the subset of
 * this table the helper threads use, as `const libc = ...symbols`. Kept
 * here so that this file stays the only one that calls `Deno.dlopen`.
 *
 * @returns the source text
 */
export function workerLibcSource(): string {
  const table = Object.fromEntries(
    WORKER_SYMBOLS.map((name) => [name, SYMBOLS[name]]),
  );
  return `const libc = Deno.dlopen("libc.so.6", ${
    JSON.stringify(table)
  }).symbols;`;
}

/** The opened symbols, typed after the table above. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let symbols: Libc | undefined;
/**
 * The calling thread's errno, as a view of its memory: reading it costs no
 * call (an `UnsafePointerView` read costs about 50 ns). This thread's
 * errno stays at one address for the thread's life, and a module instance
 * runs on one thread (the main one, or its Worker's).
 */
let errnoCell: Int32Array | undefined;

function open(): Libc {
  assertSupportedPlatform();
  const state = Deno.permissions.querySync({ name: "ffi" }).state;
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      'Requires ffi access to "libc.so.6", run again with the --allow-ffi flag',
    );
  }
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch (cause) {
    throw new Deno.errors.NotSupported(
      `Cannot open "libc.so.6": this library needs glibc on Linux (${
        (cause as Error).message
      })`,
      { cause },
    );
  }
  symbols = lib.symbols;
  errnoCell = new Int32Array(
    Deno.UnsafePointerView.getArrayBuffer(symbols.__errno_location()!, 4),
  );
  return symbols;
}

/**
 * The libc symbols, opening the library on first use.
 *
 * @returns the symbol table
 * @throws {Deno.errors.NotSupported} on a platform other than Linux x86_64 or aarch64 with glibc
 * @throws {Deno.errors.NotCapable} without `--allow-ffi`
 */
export function libc(): Libc {
  return symbols ?? open();
}

/**
 * The calling thread's `errno`. Read it right after the failing sync call,
 * before any other call into libc or the runtime.
 *
 * @returns the current errno value
 */
export function errno(): number {
  return errnoCell![0];
}

// Open now when that cannot prompt or fail for a missing grant.
try {
  if (Deno.permissions.querySync({ name: "ffi" }).state === "granted") open();
} catch {
  // Unsupported platform or no glibc: the first call reports it.
}

/** `clock_gettime`'s `struct timespec`, as 32-bit words. */
const clockWords = new Int32Array(SIZEOF.timespec / 4);
const clockBytes = new Uint8Array(clockWords.buffer);
/**
 * `clockid_t` of `CLOCK_MONOTONIC`, the clock no change of the wall clock
 * moves (and the one `performance.now()` reads).
 */
export const CLOCK_MONOTONIC = 1;

/**
 * Milliseconds on `CLOCK_MONOTONIC` (fractional), the one clock of the
 * library's timeouts and deadlines. It reads the clock `performance.now()`
 * reads, from another origin, through one FFI call: about 35 ns here, where
 * `performance.now()` costs about 90 (the async engine reads the time on
 * every wait).
 *
 * @returns the time in milliseconds
 */
export function monotonicMs(): number {
  libc().clock_gettime(CLOCK_MONOTONIC, clockBytes);
  return decodeTimespecWords(clockWords);
}

// The bigint of the last length seen: a BigInt allocation on every read,
// write, send or recv showed in `deno bench` (bench/thin_bench.ts), and a
// loop mostly passes one length over and over.
let lastLength = -1;
let lastSize = 0n;

/**
 * A pointer to an address, for a call that takes one (null for 0).
 *
 * @param address the address
 * @returns the pointer
 */
export function pointerAt(address: bigint): Deno.PointerValue {
  return Deno.UnsafePointer.create(address);
}

/**
 * The address a pointer holds (0 for null).
 *
 * @param p the pointer
 * @returns the address
 */
export function addressOf(p: Deno.PointerValue): bigint {
  return BigInt(Deno.UnsafePointer.value(p));
}

/**
 * The address of a buffer, as a pointer for the `_p` forms of the hot
 * message-queue calls, for a call made over and over with one buffer: a
 * "buffer" parameter has Deno take the address at every call (about 40 ns
 * of a 400 ns `mq_receive` here), and taking it once costs about 430 ns,
 * so the pointer is taken on the second call in a row with the same buffer
 * (`of` gives undefined before that: use the "buffer" form). A buffer
 * passed once, or a new one each time, keeps the "buffer" form.
 *
 * Why a pointer kept across calls stays right:
 * - V8 never moves an `ArrayBuffer`'s memory once it is off the JS heap,
 *   and reading a view's `buffer` moves a small one off it first;
 * - the cache holds the view, and so its memory, while it keeps the
 *   pointer (one view per cache: the last one used);
 * - a view whose buffer was detached (`transfer()`, `postMessage`)
 *   reports a length of 0, and gets no pointer; one whose buffer shrank
 *   reports its new length, and the caller gives the call no more than
 *   the view's length, as a "buffer" parameter requires too.
 */
export class PointerCache {
  #view: Uint8Array | null = null;
  #pointer: Deno.PointerValue | undefined = undefined;

  /**
   * The pointer for `view`, on its second call in a row.
   *
   * @param view the buffer the call is about to be given
   * @returns its pointer, or undefined (pass the buffer itself)
   */
  of(view: Uint8Array): Deno.PointerValue | undefined {
    if (view.length === 0) {
      // Detached (or empty): never a kept pointer, whatever the caller's
      // length says; the buffer form passes no memory.
      this.#view = null;
      this.#pointer = undefined;
      return undefined;
    }
    if (view === this.#view) {
      if (this.#pointer === undefined) {
        void view.buffer; // off the JS heap, where it no longer moves
        this.#pointer = Deno.UnsafePointer.of(view);
      }
      return this.#pointer;
    }
    this.#view = view;
    this.#pointer = undefined;
    return undefined;
  }
}

/**
 * The address of a buffer's first byte (for a struct that points at it).
 *
 * @param buf the buffer
 * @returns the address
 */
export function bufferAddress(buf: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/**
 * A length as `size_t` for a call's parameter, reusing the last one's
 * bigint.
 *
 * @param length the length
 * @returns it as a bigint
 */
export function sizeT(length: number): bigint {
  if (length !== lastLength) {
    lastSize = BigInt(length);
    lastLength = length;
  }
  return lastSize;
}
