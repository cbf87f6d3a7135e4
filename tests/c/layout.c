#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/sem.h>
#include <sys/msg.h>
#include <mqueue.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <poll.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <linux/memfd.h>
#define F(s,f) printf("%s.%s %zu %zu\n", #s, #f, offsetof(struct s, f), sizeof(((struct s*)0)->f))
#define S(s) printf("%s %zu\n", #s, sizeof(struct s))
int main(void){
 S(ipc_perm); F(ipc_perm,__key);F(ipc_perm,uid);F(ipc_perm,gid);F(ipc_perm,cuid);F(ipc_perm,cgid);F(ipc_perm,mode);F(ipc_perm,__seq);
 S(shmid_ds); F(shmid_ds,shm_perm);F(shmid_ds,shm_segsz);F(shmid_ds,shm_atime);F(shmid_ds,shm_dtime);F(shmid_ds,shm_ctime);F(shmid_ds,shm_cpid);F(shmid_ds,shm_lpid);F(shmid_ds,shm_nattch);
 S(semid_ds); F(semid_ds,sem_perm);F(semid_ds,sem_otime);F(semid_ds,sem_ctime);F(semid_ds,sem_nsems);
 S(msqid_ds); F(msqid_ds,msg_perm);F(msqid_ds,msg_stime);F(msqid_ds,msg_rtime);F(msqid_ds,msg_ctime);F(msqid_ds,__msg_cbytes);F(msqid_ds,msg_qnum);F(msqid_ds,msg_qbytes);F(msqid_ds,msg_lspid);F(msqid_ds,msg_lrpid);
 S(msginfo); F(msginfo,msgseg);
 S(shminfo); F(shminfo,shmmax);F(shminfo,shmmin);F(shminfo,shmmni);F(shminfo,shmseg);F(shminfo,shmall);
 S(shm_info); F(shm_info,used_ids);F(shm_info,shm_tot);F(shm_info,shm_rss);F(shm_info,shm_swp);
 S(seminfo); F(seminfo,semaem);
 S(mq_attr); F(mq_attr,mq_flags);F(mq_attr,mq_maxmsg);F(mq_attr,mq_msgsize);F(mq_attr,mq_curmsgs);
 S(sigevent); F(sigevent,sigev_value);F(sigevent,sigev_signo);F(sigevent,sigev_notify);
 printf("sigevent.sigev_notify_thread_id %zu %zu\n", offsetof(struct sigevent, _sigev_un._tid), sizeof(((struct sigevent*)0)->_sigev_un._tid));
 S(itimerspec); F(itimerspec,it_interval);F(itimerspec,it_value);
 S(sembuf); F(sembuf,sem_num);F(sembuf,sem_op);F(sembuf,sem_flg);
 S(msqid_ds); F(msqid_ds,msg_perm);F(msqid_ds,msg_stime);F(msqid_ds,msg_rtime);F(msqid_ds,msg_ctime);F(msqid_ds,__msg_cbytes);F(msqid_ds,msg_qnum);F(msqid_ds,msg_qbytes);F(msqid_ds,msg_lspid);F(msqid_ds,msg_lrpid);
 S(timespec); F(timespec,tv_sec);F(timespec,tv_nsec);
 S(sockaddr_un); F(sockaddr_un,sun_family);F(sockaddr_un,sun_path);
 S(iovec); F(iovec,iov_base);F(iovec,iov_len);
 S(msghdr); F(msghdr,msg_name);F(msghdr,msg_namelen);F(msghdr,msg_iov);F(msghdr,msg_iovlen);F(msghdr,msg_control);F(msghdr,msg_controllen);F(msghdr,msg_flags);
 S(cmsghdr); F(cmsghdr,cmsg_len);F(cmsghdr,cmsg_level);F(cmsghdr,cmsg_type);
 S(ucred); F(ucred,pid);F(ucred,uid);F(ucred,gid);
 S(sigaction); F(sigaction,sa_handler);F(sigaction,sa_mask);F(sigaction,sa_flags);
 S(pollfd); F(pollfd,fd);F(pollfd,events);F(pollfd,revents);
 S(stat); F(stat,st_dev);F(stat,st_ino);F(stat,st_mode);F(stat,st_uid);F(stat,st_size);F(stat,st_mtim);F(stat,st_ctim);
 F(dirent,d_reclen);F(dirent,d_name);
 S(epoll_event); F(epoll_event,events);F(epoll_event,data);
 S(statfs); F(statfs,f_type);
 S(flock); F(flock,l_type);F(flock,l_whence);F(flock,l_start);F(flock,l_len);F(flock,l_pid);
 printf("PROT_READ %d PROT_WRITE %d PROT_EXEC %d MAP_SHARED %d MAP_PRIVATE %d MAP_ANONYMOUS %d MAP_FIXED %d MAP_FIXED_NOREPLACE %d MAP_NORESERVE %d MAP_POPULATE %d MS_ASYNC %d MS_SYNC %d MS_INVALIDATE %d\n", PROT_READ, PROT_WRITE, PROT_EXEC, MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_NORESERVE, MAP_POPULATE, MS_ASYNC, MS_SYNC, MS_INVALIDATE);
 printf("O_RDONLY %d O_WRONLY %d O_RDWR %d O_CREAT %d O_EXCL %d O_TRUNC %d O_NONBLOCK %d O_CLOEXEC %d O_APPEND %d\n", O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_NONBLOCK, O_CLOEXEC, O_APPEND);
 printf("MADV_NORMAL %d MADV_RANDOM %d MADV_SEQUENTIAL %d MADV_WILLNEED %d MADV_DONTNEED %d MFD_CLOEXEC %d\n", MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MFD_CLOEXEC);
 printf("SIGRTMIN %d SIGRTMAX %d\n", SIGRTMIN, SIGRTMAX);
 printf("IPC_CREAT %d IPC_EXCL %d IPC_NOWAIT %d IPC_RMID %d IPC_SET %d IPC_STAT %d IPC_INFO %d\n",IPC_CREAT,IPC_EXCL,IPC_NOWAIT,IPC_RMID,IPC_SET,IPC_STAT,IPC_INFO);
 printf("SHM_RDONLY %d SHM_RND %d SHM_REMAP %d SHM_EXEC %d SHM_LOCK %d SHM_UNLOCK %d SHM_HUGETLB %d SHM_NORESERVE %d SHM_STAT %d SHM_INFO %d SHM_STAT_ANY %d SHM_DEST %d SHM_LOCKED %d\n",SHM_RDONLY,SHM_RND,SHM_REMAP,SHM_EXEC,SHM_LOCK,SHM_UNLOCK,SHM_HUGETLB,SHM_NORESERVE,SHM_STAT,SHM_INFO,SHM_STAT_ANY,SHM_DEST,SHM_LOCKED);
 printf("SEM_UNDO %d GETPID %d GETVAL %d GETALL %d GETNCNT %d GETZCNT %d SETVAL %d SETALL %d SEM_STAT %d SEM_INFO %d\n",SEM_UNDO,GETPID,GETVAL,GETALL,GETNCNT,GETZCNT,SETVAL,SETALL,SEM_STAT,SEM_INFO);
 printf("MAP_SHARED_VALIDATE %d MAP_GROWSDOWN %d MAP_LOCKED %d MAP_NONBLOCK %d MAP_STACK %d MAP_HUGETLB %d MAP_SYNC %d MAP_HUGE_SHIFT %d\n", MAP_SHARED_VALIDATE, MAP_GROWSDOWN, MAP_LOCKED, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC, MAP_HUGE_SHIFT);
 printf("SEM_STAT_ANY %d\n", SEM_STAT_ANY);
 printf("MQ_PRIO_MAX %d SIGEV_SIGNAL %d SIGEV_NONE %d\n", MQ_PRIO_MAX, SIGEV_SIGNAL, SIGEV_NONE);
 printf("MSG_NOERROR %d MSG_EXCEPT %d MSG_COPY %d MSG_STAT %d MSG_INFO %d MSG_STAT_ANY %d IPC_INFO %d\n", MSG_NOERROR, MSG_EXCEPT, MSG_COPY, MSG_STAT, MSG_INFO, MSG_STAT_ANY, IPC_INFO);
 printf("SHMLBA %ld\n", (long)SHMLBA);
 printf("EFD_SEMAPHORE %d EFD_CLOEXEC %d EFD_NONBLOCK %d\n", EFD_SEMAPHORE, EFD_CLOEXEC, EFD_NONBLOCK);
 printf("MFD_ALLOW_SEALING %d MFD_HUGETLB %d MFD_HUGE_SHIFT %d F_ADD_SEALS %d F_GET_SEALS %d F_SEAL_SEAL %d F_SEAL_SHRINK %d F_SEAL_GROW %d F_SEAL_WRITE %d F_SEAL_FUTURE_WRITE %d\n", MFD_ALLOW_SEALING, MFD_HUGETLB, MFD_HUGE_SHIFT, F_ADD_SEALS, F_GET_SEALS, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE);
 printf("F_GETLK %d F_SETLK %d F_SETLKW %d F_OFD_GETLK %d F_OFD_SETLK %d F_OFD_SETLKW %d F_RDLCK %d F_WRLCK %d F_UNLCK %d LOCK_SH %d LOCK_EX %d LOCK_NB %d LOCK_UN %d SEEK_SET %d SEEK_CUR %d SEEK_END %d\n", F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_RDLCK, F_WRLCK, F_UNLCK, LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN, SEEK_SET, SEEK_CUR, SEEK_END);
 printf("F_GETFD %d F_SETFD %d F_GETFL %d F_SETFL %d FD_CLOEXEC %d\n", F_GETFD, F_SETFD, F_GETFL, F_SETFL, FD_CLOEXEC);
 return 0; }
