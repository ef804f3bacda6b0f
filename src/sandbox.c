/*
 * Copyright (c) 2026 The dotproxy developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "config.h"
#include "ipc.h"
#include "log.h"
#include "sandbox.h"

/*
 * The engine's system call allowlist, chrony style: a table of names
 * resolved by libseccomp for the running architecture, the default action
 * killing the whole process.  Names the architecture lacks are skipped.
 * Arguments are filtered where a call could widen what the engine can
 * reach: new sockets are TCP or UDP over IPv4 or IPv6 only, no
 * executable memory.
 */
static const char *allowed[] = {
	/* event loop and I/O on descriptors we already hold */
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl",
	"read", "readv", "write", "writev", "close",
	"recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg",
	"accept", "accept4", "connect", "shutdown",
	"getsockopt", "getsockname", "getpeername",
	/* time, randomness */
	"clock_gettime", "clock_gettime64", "gettimeofday", "time",
	"clock_nanosleep", "clock_nanosleep_time64", "nanosleep",
	"getrandom",
	/* memory */
	"brk", "munmap", "mremap", "madvise",
	/* signals, threads' locks inside libc, leaving */
	"rt_sigreturn", "rt_sigprocmask", "futex", "futex_time64",
	"getpid", "gettid", "restart_syscall", "sched_yield",
	"exit", "exit_group",
	/* stdio probes its descriptors */
	"fstat", "newfstatat", "fstatat64", "statx", "lseek",
	/* the TLS session cache, a memfd made before the sandbox */
	"pread64", "pwrite64", "ftruncate", "ftruncate64",
	NULL
};

/* Harmless probes that libc or libcrypto make: fail them, don't kill. */
static const char *refused[] = {
	"open", "openat", "stat", "lstat", "access", "faccessat",
	"faccessat2", "readlink", "uname", "sysinfo", "ioctl",
	NULL
};

#ifndef SYS_SECCOMP
#define SYS_SECCOMP	1
#endif

/*
 * A forbidden call traps here instead of killing outright, only so that
 * the parent can name it: the call itself never runs, the allowlist is
 * the same, and the engine still dies by SIGSYS.  Async-signal-safe only:
 * one write of a few bytes to the pipe the parent gave us (atomic below
 * PIPE_BUF), then SIGSYS again, which SA_RESETHAND has made fatal.  Code
 * that blocked SIGSYS gains nothing: the kernel forces a trap's SIGSYS
 * through, and rt_sigaction is not allowed to install another handler.
 */
static void
sandbox_violation(int sig, siginfo_t *info, void *ctx)
{
	struct ipc_violation	v;
	ssize_t			n;
	int			saved = errno;

	(void)ctx;
	if (info->si_code == SYS_SECCOMP) {
		v.nr = info->si_syscall;
		v.arch = info->si_arch;
		n = write(ENGINE_VIOLATION_FD, &v, sizeof(v));
		(void)n;	/* nothing more can be done about it here */
	}
	errno = saved;
	(void)raise(sig);
}

static void
rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned int n, const struct scmp_arg_cmp *cmp)
{
	int	nr;

	if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR)
		return;
	if (seccomp_rule_add_array(ctx, action, nr, n, cmp) < 0)
		fatalx("seccomp rule for %s failed", name);
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Allows the call name when its argument arg is one of vals. */
static void
allow_each(scmp_filter_ctx ctx, const char *name, unsigned int arg,
    const int *vals, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		struct scmp_arg_cmp	c = { arg, SCMP_CMP_EQ,
			    (scmp_datum_t)vals[i], 0 };
		rule(ctx, SCMP_ACT_ALLOW, name, 1, &c);
	}
}

/* socket options: only the levels the data path and the listeners set */
static const int sockopt_levels[] = {
	SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6
};

/* unix for socketpairs, syslog and notify, IPv4 and IPv6 for listeners */
static const int parent_families[] = { AF_UNIX, AF_INET, AF_INET6 };
/*
 * a child moves its descriptors to fixed numbers before its exec; an
 * engine reads the seals of the shared client table (clientshm.c)
 */
static const int parent_fcntl[] = { F_DUPFD, F_DUPFD_CLOEXEC, F_GET_SEALS };
/* libevent asks how much there is to read (first), stdio if it is a tty */
static const int parent_ioctl[] = { FIONREAD, TCGETS };
#ifndef TEST_SANITIZE
/*
 * no_new_privs for the engines and the metrics process; the others
 * only read: glibc, the loader and libcap-ng's start-up ask
 */
static const int prctl_opts[] = {
	PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_GET_DUMPABLE,
	PR_GET_SECCOMP, PR_CAPBSET_READ, PR_GET_KEEPCAPS, PR_GET_SECUREBITS
};
#endif

/*
 * Both filters: descriptor flags, never duplication; memory that can
 * never become code.
 */
static void
allow_flags_and_memory(scmp_filter_ctx ctx)
{
	static const int	cmds[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD };

	allow_each(ctx, "fcntl", 1, cmds, NELEM(cmds));
	allow_each(ctx, "fcntl64", 1, cmds, NELEM(cmds));
	{
		struct scmp_arg_cmp	c[] = {
			SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
		};
		rule(ctx, SCMP_ACT_ALLOW, "mmap", 1, c);
		rule(ctx, SCMP_ACT_ALLOW, "mmap2", 1, c);
		rule(ctx, SCMP_ACT_ALLOW, "mprotect", 1, c);
	}
}

void
sandbox_init(void)
{
	scmp_filter_ctx		 ctx;
	struct sigaction	 sa;
	uint32_t		 deny = SCMP_ACT_TRAP;
	int			 i;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_violation;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sigaction SIGSYS");
	if ((ctx = seccomp_init(deny)) == NULL)
		fatalx("seccomp_init failed");
#ifdef TEST_VALGRIND
	/*
	 * The valgrind test build only: valgrind writes the code it
	 * translates into memory it maps executable, and polls for signals
	 * between translated blocks.
	 */
	rule(ctx, SCMP_ACT_ALLOW, "mmap", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "mprotect", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "rt_sigtimedwait", 0, NULL);
#endif
#ifdef TEST_SANITIZE
	/* the sanitizer test build only: its runtime unsets it at exit */
	rule(ctx, SCMP_ACT_ALLOW, "sigaltstack", 0, NULL);
#endif

	for (i = 0; allowed[i] != NULL; i++)
		rule(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	for (i = 0; refused[i] != NULL; i++)
		rule(ctx, SCMP_ACT_ERRNO(EACCES), refused[i], 0, NULL);

	/*
	 * upstream connections: TCP over IPv4 or IPv6, nothing else; and
	 * UDP, a socket per query to a cleartext upstream (plainconn.c),
	 * which the configuration allows only on the host or the site.
	 * connect, send and recv on them are the calls TCP already has.
	 */
	{
		static const int	types[] = { SOCK_STREAM, SOCK_DGRAM };
		size_t			i;

		for (i = 0; i < NELEM(types); i++) {
			struct scmp_arg_cmp	v4[] = {
				SCMP_A0(SCMP_CMP_EQ, AF_INET),
				SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, types[i]),
			};
			struct scmp_arg_cmp	v6[] = {
				SCMP_A0(SCMP_CMP_EQ, AF_INET6),
				SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, types[i]),
			};
			rule(ctx, SCMP_ACT_ALLOW, "socket", 2, v4);
			rule(ctx, SCMP_ACT_ALLOW, "socket", 2, v6);
		}
	}
	allow_each(ctx, "setsockopt", 1, sockopt_levels,
	    NELEM(sockopt_levels));
	allow_flags_and_memory(ctx);
	/* abort() may signal itself; nobody else */
	{
		struct scmp_arg_cmp	c[] = {
			SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()),
		};
		rule(ctx, SCMP_ACT_ALLOW, "kill", 1, c);
		rule(ctx, SCMP_ACT_ALLOW, "tgkill", 1, c);
	}

	if (seccomp_load(ctx) < 0)
		fatalx("seccomp_load failed");
	seccomp_release(ctx);
}

/*
 * Root only: into the chroot, and the user's ids for good, proven by
 * trying to get root back.  The engines and the metrics process alike.
 */
void
sandbox_drop_user(const struct conf_scalars *sc)
{
	if (geteuid() != 0)
		return;
	if (chroot(sc->chroot) == -1)
		fatal("chroot %s", sc->chroot);
	if (chdir("/") == -1)
		fatal("chdir /");
	if (setgroups(1, &sc->gid) == -1 ||
	    setresgid(sc->gid, sc->gid, sc->gid) == -1 ||
	    setresuid(sc->uid, sc->uid, sc->uid) == -1)
		fatal("cannot drop privileges");
	/* Prove it: none of these may succeed any more. */
	if (setresuid(0, 0, 0) != -1 || setegid(0) != -1 ||
	    geteuid() == 0 || getuid() == 0 || getegid() == 0)
		fatalx("could regain root after dropping privileges");
}

/*
 * The metrics process's own allowlist: its event loop, accepting and
 * serving HTTP on the socket it was given, its socketpair to the parent,
 * memory, time and leaving.  No socket(), no connect(): it can reach
 * nothing it was not handed.  Anything else kills it.
 */
static const char *metrics_allowed[] = {
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl",
	"read", "readv", "write", "writev", "close",
	"recvmsg", "sendmsg", "recvfrom", "sendto", "accept", "accept4",
	"shutdown", "getsockopt",
	"clock_gettime", "clock_gettime64", "gettimeofday", "time",
	"brk", "munmap", "mremap", "madvise",
	"rt_sigreturn", "rt_sigprocmask", "futex", "futex_time64",
	"getpid", "gettid", "restart_syscall", "exit", "exit_group",
	"fstat", "newfstatat", "fstatat64", "statx",
	NULL
};

void
sandbox_metrics(void)
{
	scmp_filter_ctx	ctx;
	int		i;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("seccomp_init failed");
#ifdef TEST_SANITIZE
	/* the sanitizer test build only: its runtime unsets it at exit */
	rule(ctx, SCMP_ACT_ALLOW, "sigaltstack", 0, NULL);
#endif
	for (i = 0; metrics_allowed[i] != NULL; i++)
		rule(ctx, SCMP_ACT_ALLOW, metrics_allowed[i], 0, NULL);
	allow_flags_and_memory(ctx);
	/* libevent asks how much there is to read */
	allow_each(ctx, "ioctl", 1, parent_ioctl, 1);
	if (seccomp_load(ctx) < 0)
		fatalx("seccomp_load failed");
	seccomp_release(ctx);
}

/*
 * The parent's own allowlist, loaded once start-up is done.  It must
 * allow what the parent does from then on: its event loop, the engines'
 * socketpairs and the descriptors on them, logging to syslog or stderr,
 * the control socket, systemd's notify socket, and a reload (reading the
 * configuration, its includes and the CA bundle, binding listeners).
 * And, since a filter stays on a process through fork and exec and a
 * new one only stacks on top, everything an engine or the metrics
 * process does from its fork to its own filter: the dynamic loader,
 * libcrypto's and libevent's start-up, rlimits, chroot and the change of
 * user, no_new_privs and seccomp.  Their own allowlists are added whole
 * (allowed, refused, metrics_allowed), so they are always a subset of
 * this one.  What the parent never does: open a file for writing, make
 * a socket of another family than unix, IPv4 or IPv6, map anonymous
 * memory executable, ptrace, mount, load modules, or execute anything
 * but its own binary.
 */
static const char *parent_allowed[] = {
	/* the event loop, its signals, descriptors */
	"epoll_create", "epoll_create1", "rt_sigaction", "pipe", "pipe2",
	"dup", "dup2", "dup3", "close_range", "getdents64",
	/* sockets: listeners, socketpairs, syslog, notify, control */
	"socketpair", "bind", "listen",
	/* engines: starting, reaping, and what they do before their filter */
	"clone", "wait4", "waitid", "sched_getscheduler", "sched_setscheduler",
	"sched_getaffinity",
	"chroot", "chdir", "setgroups", "setresuid", "setresgid",
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"getgroups", "seccomp", "memfd_create",
	"arch_prctl", "set_tid_address", "set_robust_list", "rseq",
	"setrlimit", "getrlimit",
	/* a shell that an upgrade gone wrong put in the binary's place */
	"getppid",
	/* reading the configuration, the CA bundle, /etc/passwd */
	"readlinkat", "newfstatat", "statx", "getcwd", "fstatfs", "statfs",
	/* an engine's last words are read after it died */
	"poll", "ppoll",
	NULL
};

static const char *parent_refused[] = {
	"clone3",	/* glibc falls back to clone, which is checked */
	NULL
};

/*
 * The debug mode (-d): a forbidden call traps here and is named on
 * stderr before the parent dies of SIGSYS, as it would have without the
 * handler.  Async-signal-safe only: the names were looked up when the
 * filter was made, the text is put together by hand, one write.
 */
#define PARENT_NAMES	512
static char		*parent_names[PARENT_NAMES];
static uint32_t		 parent_arch;

static size_t
put_str(char *buf, size_t off, size_t size, const char *s)
{
	while (*s != '\0' && off < size)
		buf[off++] = *s++;
	return (off);
}

static void
parent_violation(int sig, siginfo_t *info, void *ctx)
{
	char		 buf[128], num[16];
	const char	*name = "unknown";
	size_t		 off = 0;
	int		 i = sizeof(num), nr;

	(void)ctx;
	if (info->si_code == SYS_SECCOMP) {
		nr = info->si_syscall;
		if (info->si_arch == parent_arch && nr >= 0 &&
		    nr < PARENT_NAMES && parent_names[nr] != NULL)
			name = parent_names[nr];
		num[--i] = '\0';
		do {
			num[--i] = '0' + (nr < 0 ? -(nr % 10) : nr % 10);
			nr /= 10;
		} while (nr != 0 && i > 1);
		off = put_str(buf, off, sizeof(buf),
		    "dotproxy: parent killed by its sandbox: system call ");
		off = put_str(buf, off, sizeof(buf), name);
		off = put_str(buf, off, sizeof(buf), " (");
		off = put_str(buf, off, sizeof(buf), num + i);
		off = put_str(buf, off, sizeof(buf), ")\n");
		(void)!write(STDERR_FILENO, buf, off);
	}
	(void)raise(sig);
}

void
sandbox_parent(const char *self, const char *ctlpath, int debug)
{
	scmp_filter_ctx		 ctx;
	struct sigaction	 sa;
	uint32_t		 deny = SCMP_ACT_KILL_PROCESS;
	int			 i;

	if (debug) {
		parent_arch = seccomp_arch_native();
		for (i = 0; i < PARENT_NAMES; i++)
			parent_names[i] = seccomp_syscall_resolve_num_arch(
			    parent_arch, i);
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = parent_violation;
		sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
		if (sigaction(SIGSYS, &sa, NULL) == -1)
			fatal("sigaction SIGSYS");
		deny = SCMP_ACT_TRAP;
	}
	if ((ctx = seccomp_init(deny)) == NULL)
		fatalx("seccomp_init failed");
	/* the children's allowlists, then the parent's own */
	for (i = 0; allowed[i] != NULL; i++)
		rule(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	for (i = 0; refused[i] != NULL; i++)
		if (strcmp(refused[i], "ioctl") != 0 &&
		    strcmp(refused[i], "open") != 0 &&
		    strcmp(refused[i], "openat") != 0)
			rule(ctx, SCMP_ACT_ALLOW, refused[i], 0, NULL);
	for (i = 0; metrics_allowed[i] != NULL; i++)
		rule(ctx, SCMP_ACT_ALLOW, metrics_allowed[i], 0, NULL);
	for (i = 0; parent_allowed[i] != NULL; i++)
		rule(ctx, SCMP_ACT_ALLOW, parent_allowed[i], 0, NULL);
	for (i = 0; parent_refused[i] != NULL; i++)
		rule(ctx, SCMP_ACT_ERRNO(ENOSYS), parent_refused[i], 0, NULL);
#ifdef TEST_SANITIZE
	/*
	 * The sanitizer test build only: in every exec of the binary its
	 * runtime makes the report's directory and file, starts the
	 * symbolizer and checks for leaks (a tracer that ptraces the
	 * rest) before the process locks itself down; see testhook.c.
	 */
	rule(ctx, SCMP_ACT_ALLOW, "ptrace", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "getdents", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "fork", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "execve", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "openat", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "open", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "prctl", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "sigaltstack", 0, NULL);
	(void)self;
	rule(ctx, SCMP_ACT_ALLOW, "mkdir", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "mkdirat", 0, NULL);
#else
	/* its own binary only: the pointer the spawners pass it in */
	{
		struct scmp_arg_cmp	c[] = {
			SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)(uintptr_t)self),
		};
		rule(ctx, SCMP_ACT_ALLOW, "execve", 1, c);
	}
	/* reading only: no file is created, truncated or written */
	{
		struct scmp_arg_cmp	c1[] = {
			SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT |
			    O_TRUNC, O_RDONLY),
		};
		struct scmp_arg_cmp	c2[] = {
			SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT |
			    O_TRUNC, O_RDONLY),
		};
		rule(ctx, SCMP_ACT_ALLOW, "open", 1, c1);
		rule(ctx, SCMP_ACT_ALLOW, "openat", 1, c2);
	}
	allow_each(ctx, "prctl", 0, prctl_opts, NELEM(prctl_opts));
	{
		/* libcap-ng's start-up, in every exec of the binary */
		struct scmp_arg_cmp	c[] = {
			SCMP_A0(SCMP_CMP_EQ, PR_CAP_AMBIENT),
			SCMP_A1(SCMP_CMP_EQ, PR_CAP_AMBIENT_IS_SET),
		};
		rule(ctx, SCMP_ACT_ALLOW, "prctl", 2, c);
	}
#endif
#ifdef TEST_VALGRIND
	/* the valgrind test build only: engines are execs of valgrind */
	rule(ctx, SCMP_ACT_ALLOW, "execve", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "mmap", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "mprotect", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "rt_sigtimedwait", 0, NULL);
#endif
	/* the control socket, when stopping: by the pointer to its path */
	if (ctlpath != NULL) {
		struct scmp_arg_cmp	c[] = {
			SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)(uintptr_t)ctlpath),
		};
		struct scmp_arg_cmp	c2[] = {
			SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)(uintptr_t)ctlpath),
		};
		rule(ctx, SCMP_ACT_ALLOW, "unlink", 1, c);
		rule(ctx, SCMP_ACT_ALLOW, "unlinkat", 1, c2);
	}
	allow_each(ctx, "socket", 0, parent_families, NELEM(parent_families));
	allow_each(ctx, "setsockopt", 1, sockopt_levels,
	    NELEM(sockopt_levels));
	allow_each(ctx, "fcntl", 1, parent_fcntl, NELEM(parent_fcntl));
	allow_each(ctx, "fcntl64", 1, parent_fcntl, NELEM(parent_fcntl));
	allow_flags_and_memory(ctx);
	/* the loader of an engine's exec maps its libraries' code */
	{
		struct scmp_arg_cmp	c[] = {
			SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, 0),
		};
		rule(ctx, SCMP_ACT_ALLOW, "mmap", 1, c);
		rule(ctx, SCMP_ACT_ALLOW, "mmap2", 1, c);
	}
	allow_each(ctx, "ioctl", 1, parent_ioctl, NELEM(parent_ioctl));
	/*
	 * engines and the metrics process; abort() and the engines' own
	 * violation handler signal themselves, by their own pid
	 */
	rule(ctx, SCMP_ACT_ALLOW, "kill", 0, NULL);
	rule(ctx, SCMP_ACT_ALLOW, "tgkill", 0, NULL);
	/*
	 * an engine makes its TLS session memfds private for libtls: to
	 * 0600 only, so that no file the parent could open is ever widened
	 */
	{
		struct scmp_arg_cmp	c[] = {
			SCMP_A1(SCMP_CMP_EQ, 0600),
		};
		rule(ctx, SCMP_ACT_ALLOW, "fchmod", 1, c);
	}
	/* getrlimit and setrlimit of its own, never another's */
	{
		struct scmp_arg_cmp	c[] = {
			SCMP_A0(SCMP_CMP_EQ, 0),
		};
		rule(ctx, SCMP_ACT_ALLOW, "prlimit64", 1, c);
	}

	if (seccomp_load(ctx) < 0)
		fatalx("seccomp_load failed");
	seccomp_release(ctx);
}
