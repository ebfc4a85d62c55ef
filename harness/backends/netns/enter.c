// vxlab-enter: runs one program inside a node's sandbox, as `nsenter -t PID --net --mount --pid
// --uts --ipc -- setpriv <the node's user and capabilities> --pdeathsig KILL -- ARGV` does, in one
// program with no C library. Why: on this VM every glibc start-up costs ~0.6 ms of CPU (its CPU
// feature probing traps to the hypervisor), and nsenter plus setpriv paid it twice per command,
// a quarter of `--all`'s CPU (NOTES, "Speed, part 9"). Built by `npm run build` (enter-build.ts).
//
// Usage (vxlab's own, never a user's): vxlab-enter PID START CAPS UID -- PROGRAM ARG...
//   PID   the node's holder (host PID): its net, ipc, uts, pid and mount namespaces are joined;
//   START its start time (/proc/PID/stat field 22): a holder that died and left its PID to
//         another process is refused (exit 125), never entered;
//   CAPS  the capabilities the program keeps, a decimal bit mask (bounding, inheritable,
//         permitted, effective and ambient sets all become exactly this);
//   UID   the user (and group) the program runs as, with no supplementary groups; `-` keeps
//         the caller's (rootless mode: the only uid its user namespace maps).
// Then, like nsenter: fork into the node's PID namespace, wait, and exit as the program did
// (killed by a signal: the same signal). The program gets no_new_privs and SIGKILL when this
// process dies. PROGRAM is looked up in the node's PATH (the environment's PATH, as setpriv's
// execvp does). `vxlab-enter --probe` prints `vxlab-enter SOURCE_HASH` (the hash of this file it
// was built from, given by the build) and exits 0: vxlab uses no build of another source.
//
// Two more forms replace setpriv and nsenter where vxlab runs its own plumbing, not a node's command:
//   vxlab-enter --pdeathsig -- PROGRAM ARG...  PROGRAM gets SIGKILL when the caller dies (setpriv
//                                              --pdeathsig KILL): the holders' and launchers' bash;
//   vxlab-enter --net PID -- PROGRAM ARG...    PROGRAM (the host's, as root) in the network
//                                              namespace of PID (nsenter -t PID --net): the underlay.
//
// Exit codes of its own: 127 the program was not found, 126 it could not be run, 125 a bad
// argument or a namespace or privilege step that failed (a message on stderr says which).

#include <asm/unistd.h>
#include <linux/capability.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>
#include <linux/sched.h>

typedef unsigned long u64;
typedef long i64;

#if defined(__x86_64__)
static i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e, i64 f) {
  register i64 r10 __asm__("r10") = d;
  register i64 r8 __asm__("r8") = e;
  register i64 r9 __asm__("r9") = f;
  i64 ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return ret;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call enter_main\n hlt\n");
#elif defined(__aarch64__)
static i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e, i64 f) {
  register i64 x8 __asm__("x8") = n;
  register i64 x0 __asm__("x0") = a;
  register i64 x1 __asm__("x1") = b;
  register i64 x2 __asm__("x2") = c;
  register i64 x3 __asm__("x3") = d;
  register i64 x4 __asm__("x4") = e;
  register i64 x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x30, #0\n mov x0, sp\n and sp, x0, #-16\n bl enter_main\n");
#else
#error "vxlab-enter supports x86_64 and aarch64; vxlab falls back to nsenter and setpriv elsewhere"
#endif

#define sys(n, a, b, c) sys6((n), (i64)(a), (i64)(b), (i64)(c), 0, 0, 0)

// Constants the kernel's uapi headers keep in headers that clash with no libc; values are ABI.
#define SIGKILL 9
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define WUNTRACED 2
#define POLLHUP 0x10
#define ENOENT 2
#define EACCES 13
#define ENOTDIR 20
#define EINVAL 22
#define ENOSYS 38
#define AT_FDCWD_ -100
#ifndef SOURCE_HASH
#error "build with -DSOURCE_HASH='\"...\"' (enter-build.ts does)"
#endif
#define NODE_PATH_DEFAULT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// gcc may emit calls to these even with -ffreestanding. Volatile: so that it cannot turn their
// own loops into calls to themselves.
void *memset(void *d, int c, unsigned long n) {
  volatile unsigned char *p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void *memcpy(void *d, const void *s, unsigned long n) {
  volatile unsigned char *p = d;
  const unsigned char *q = s;
  while (n--) *p++ = *q++;
  return d;
}

static unsigned long length(const char *s) {
  unsigned long n = 0;
  while (s[n]) n++;
  return n;
}

static int same(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

static void say(const char *s) { sys(__NR_write, 2, s, length(s)); }

static void exit_with(int code) {
  for (;;) sys(__NR_exit_group, code, 0, 0);
}

static const char *reason(i64 err) {
  switch (err) {
    case 1: return "Operation not permitted";
    case ENOENT: return "No such file or directory";
    case 3: return "No such process";
    case 7: return "Argument list too long";
    case 8: return "Exec format error";
    case 12: return "Cannot allocate memory";
    case EACCES: return "Permission denied";
    case ENOTDIR: return "Not a directory";
    case EINVAL: return "Invalid argument";
    case 40: return "Too many levels of symbolic links";
    default: return "error";
  }
}

static void fail(int code, const char *what, const char *name, i64 err) {
  say("vxlab-enter: ");
  say(what);
  if (name) {
    say(" ");
    say(name);
  }
  if (err) {
    say(": ");
    say(reason(err));
  }
  say("\n");
  exit_with(code);
}

/** A decimal number that fits in u64, or fails. */
static u64 number(const char *s, const char *what) {
  u64 n = 0;
  if (!*s) fail(125, "expects a number for", what, 0);
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || n > (~0UL - 9) / 10) fail(125, "expects a number for", what, 0);
    n = n * 10 + (u64)(*s - '0');
  }
  return n;
}

static void check(i64 ret, const char *what) {
  if (ret < 0) fail(125, what, 0, -ret);
}

/** Waits for the program like nsenter: a stop is passed up, its exit or its signal is ours. */
static void become_program(i64 child) {
  int status = 0;
  for (;;) {
    i64 got = sys6(__NR_wait4, child, (i64)&status, WUNTRACED, 0, 0, 0);
    if (got == child && (status & 0xff) == 0x7f) {
      sys(__NR_kill, sys(__NR_getpid, 0, 0, 0), SIGSTOP, 0);
      sys(__NR_kill, child, SIGCONT, 0);
      continue;
    }
    if (got == child) break;
    if (got != -4) exit_with(1);  // not EINTR: nothing left to wait for
  }
  if ((status & 0x7f) == 0) exit_with((status >> 8) & 0xff);
  sys(__NR_kill, sys(__NR_getpid, 0, 0, 0), status & 0x7f, 0);
  exit_with(1);
}

/** Bounding set, user, then capabilities, in the order setpriv applies them. */
static void drop_privileges(u64 caps, int change_user, u64 uid) {
  check(sys6(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0), "could not set no_new_privs");
  // Every capability this kernel knows (PR_CAPBSET_READ says EINVAL past the last) not kept leaves the bounding set.
  for (u64 cap = 0; cap < 64; cap++) {
    i64 known = sys6(__NR_prctl, PR_CAPBSET_READ, cap, 0, 0, 0, 0);
    if (known == -EINVAL) break;
    if (!(caps & (1UL << cap))) check(sys6(__NR_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0, 0), "could not drop a capability from the bounding set");
  }
  if (change_user) {
    check(sys(__NR_setgroups, 0, 0, 0), "could not clear the supplementary groups");
    check(sys(__NR_setresgid, uid, uid, uid), "could not change the group");
    check(sys6(__NR_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0, 0), "could not keep capabilities");
    check(sys(__NR_setresuid, uid, uid, uid), "could not change the user");
  }
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    unsigned int half = (unsigned int)(caps >> (32 * i));
    data[i].effective = half;
    data[i].permitted = half;
    data[i].inheritable = half;
  }
  check(sys(__NR_capset, &header, data, 0), "could not set the capabilities");
  for (u64 cap = 0; cap < 64; cap++) {
    if (caps & (1UL << cap)) check(sys6(__NR_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0, 0), "could not raise an ambient capability");
  }
  // After the user changed: a change of credentials clears the parent-death signal.
  check(sys6(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0), "could not set the parent-death signal");
}

/** execvp's search: each PATH directory in turn; EACCES is kept if nothing else is found. */
static void run(char **argv, char **envp) {
  const char *name = argv[0];
  if (!*name) fail(127, "failed to execute", "''", ENOENT);  // as execvp: an empty name is not found
  for (const char *p = name; *p; p++) {
    if (*p == '/') {
      i64 err = sys(__NR_execve, name, argv, envp);
      fail(err == -ENOENT ? 127 : 126, "failed to execute", name, -err);
    }
  }
  const char *path = NODE_PATH_DEFAULT;
  for (char **e = envp; *e; e++) {
    const char *v = *e;
    if (v[0] == 'P' && v[1] == 'A' && v[2] == 'T' && v[3] == 'H' && v[4] == '=') path = v + 5;
  }
  unsigned long name_length = length(name);
  i64 last = -ENOENT;
  int denied = 0;
  char full[4096];
  while (1) {
    const char *end = path;
    while (*end && *end != ':') end++;
    unsigned long dir = (unsigned long)(end - path);
    if (dir + 1 + name_length < sizeof full) {
      if (dir == 0) {
        full[0] = '.';
        dir = 1;
      } else {
        memcpy(full, path, dir);
      }
      full[dir] = '/';
      memcpy(full + dir + 1, name, name_length + 1);
      last = sys(__NR_execve, full, argv, envp);
      if (last == -EACCES) denied = 1;
      else if (last != -ENOENT && last != -ENOTDIR) break;
    }
    if (!*end) break;
    path = end + 1;
  }
  if (denied && (last == -ENOENT || last == -ENOTDIR)) last = -EACCES;
  fail(last == -ENOENT ? 127 : 126, "failed to execute", name, -last);
}

/** `/proc/PID/ns/KIND` in `path` (64 bytes: PID has at most 10 digits, KIND 3 letters). */
static const char *namespace_path(char *path, u64 pid, const char *kind) {
  if (pid == 0 || pid > 0x3fffffff) fail(125, "expects a process for PID", 0, 0);
  memcpy(path, "/proc/", 6);
  unsigned long at = 6;
  char digits[24];
  int n = 0;
  for (u64 v = pid; v; v /= 10) digits[n++] = (char)('0' + v % 10);
  while (n) path[at++] = digits[--n];
  memcpy(path + at, "/ns/", 4);
  memcpy(path + at + 4, kind, 4);
  return path;
}

/**
 * /proc/PID as a directory descriptor, once its start time is START: the namespaces are then
 * opened through it, and a descriptor of a process that is gone opens nothing (ESRCH), even if
 * its PID was taken again meanwhile.
 */
static int process_directory(u64 pid, u64 start) {
  char path[64];
  namespace_path(path, pid, "net");
  path[length(path) - 7] = 0;  // "/proc/PID"
  i64 dir = sys6(__NR_openat, AT_FDCWD_, (i64)path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
  if (dir < 0) fail(125, "cannot open", path, -dir);
  i64 fd = sys6(__NR_openat, dir, (i64)"stat", O_RDONLY | O_CLOEXEC, 0, 0, 0);
  if (fd < 0) fail(125, "cannot read the stat of holder", path, -fd);
  char stat[1024];
  i64 got = sys(__NR_read, fd, stat, sizeof stat - 1);
  sys(__NR_close, fd, 0, 0);
  if (got <= 0) fail(125, "cannot read the stat of holder", path, got < 0 ? -got : 0);
  stat[got] = 0;
  // Fields after the command name's last ')': state is field 3, the start time field 22.
  i64 close_paren = -1;
  for (i64 i = 0; i < got; i++)
    if (stat[i] == ')') close_paren = i;
  int field = 2;
  u64 seen = 0;
  int digits = 0;
  for (i64 i = close_paren + 1; close_paren >= 0 && i < got; i++) {
    if (stat[i] == ' ') {
      if (field == 22) break;
      field++;
      continue;
    }
    if (field == 22 && stat[i] >= '0' && stat[i] <= '9') seen = seen * 10 + (u64)(stat[i] - '0'), digits++;
  }
  if (field != 22 || digits == 0 || seen != start) fail(125, "refuses a holder that is not the one it was given (another process has its PID):", path, 0);
  return (int)dir;
}

__attribute__((used)) void enter_main(i64 *stack) {
  int argc = (int)stack[0];
  char **argv = (char **)(stack + 1);
  char **envp = argv + argc + 1;
  if (argc == 2 && same(argv[1], "--probe")) {
    static const char answer[] = "vxlab-enter " SOURCE_HASH "\n";
    sys(__NR_write, 1, answer, sizeof answer - 1);
    exit_with(0);
  }
  if (argc >= 4 && same(argv[1], "--pdeathsig") && same(argv[2], "--")) {
    // A parent that died before the prctl would leave the program orphaned for good: then it does not run.
    i64 parent = sys(__NR_getppid, 0, 0, 0);
    check(sys6(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0), "could not set the parent-death signal");
    if (sys(__NR_getppid, 0, 0, 0) != parent) fail(125, "its parent died before the program could start", 0, 0);
    run(argv + 3, envp);
  }
  if (argc >= 5 && same(argv[1], "--net") && same(argv[3], "--")) {
    char path[64];
    i64 fd = sys6(__NR_openat, AT_FDCWD_, (i64)namespace_path(path, number(argv[2], "PID"), "net"), O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0) fail(125, "cannot open", path, -fd);
    i64 ret = sys(__NR_setns, fd, CLONE_NEWNET, 0);
    if (ret < 0) fail(125, "cannot join the network namespace of", argv[2], -ret);
    run(argv + 4, envp);
  }
  if (argc < 7 || !same(argv[5], "--")) fail(125, "usage: vxlab-enter PID START CAPS UID|- -- PROGRAM [ARG...]", 0, 0);
  u64 pid = number(argv[1], "PID");
  u64 start = number(argv[2], "START");
  u64 caps = number(argv[3], "CAPS");
  int change_user = !same(argv[4], "-");
  u64 uid = change_user ? number(argv[4], "UID") : 0;
  if (change_user && uid > 0xfffffffe) fail(125, "expects a user for UID, got", argv[4], 0);

  // Every namespace is opened before any is joined: after the mount namespace, /proc is the node's.
  static const char *const kinds[] = {"ipc", "uts", "net", "pid", "mnt"};
  static const int types[] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS};
  int fds[5];
  char path[64];
  int holder = process_directory(pid, start);
  for (int i = 0; i < 5; i++) {
    memcpy(path, "ns/", 3);
    memcpy(path + 3, kinds[i], 4);
    i64 fd = sys6(__NR_openat, holder, (i64)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0) fail(125, "cannot open the holder's", path, -fd);
    fds[i] = (int)fd;
  }
  sys(__NR_close, holder, 0, 0);
  for (int i = 0; i < 5; i++) {
    i64 ret = sys(__NR_setns, fds[i], types[i], 0);
    if (ret < 0) fail(125, "cannot join the node's namespace", kinds[i], -ret);
    sys(__NR_close, fds[i], 0, 0);
  }
  // wait4 needs SIGCHLD not ignored (an ignored one reaps children unseen): its default, as nsenter sets.
  struct { u64 handler, flags, restorer, mask; } child_default = {0, 0, 0, 0};
  check(sys6(__NR_rt_sigaction, SIGCHLD, (i64)&child_default, 0, 8, 0, 0), "could not reset SIGCHLD");
  // The child cannot see its parent die before its parent-death signal is set (the parent is
  // outside its PID namespace: getppid says 0): a pipe whose write end only the parent keeps can.
  int alive[2];
  check(sys(__NR_pipe2, alive, O_CLOEXEC, 0), "cannot make a pipe");
  // The PID namespace applies to children only: fork, as nsenter does.
  i64 child = sys6(__NR_clone, SIGCHLD, 0, 0, 0, 0, 0);
  if (child < 0) fail(125, "cannot fork", 0, -child);
  if (child > 0) {
    sys(__NR_close, alive[0], 0, 0);
    become_program(child);
  }
  sys(__NR_close, alive[1], 0, 0);
  drop_privileges(caps, change_user, uid);
  struct { int fd; short events, revents; } parent = {alive[0], 0, 0};
  struct { i64 sec, nsec; } now = {0, 0};
  if (sys6(__NR_ppoll, (i64)&parent, 1, (i64)&now, 0, 8, 0) != 0 || (parent.revents & POLLHUP)) fail(125, "its parent died before the program could start", 0, 0);
  // Only stdin, stdout and stderr go into the node: any other fd is the host's (one vxlab inherited
  // from whoever started it: a CI runner's log pipe, a terminal's). A kernel before 5.9 has no
  // close_range: then each fd below 65536 is closed in turn.
  i64 closed = sys(__NR_close_range, 3, ~0U, 0);
  if (closed == -ENOSYS) for (i64 fd = 3; fd < 65536; fd++) sys(__NR_close, fd, 0, 0);
  else check(closed, "could not close the host's file descriptors");
  run(argv + 6, envp);
}
