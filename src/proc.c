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
#include <sys/queue.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "parent.h"
#include "proc.h"

/*
 * Every child of the parent, whatever its kind: an engine or the metrics
 * process.  Each is a fork + exec of our own binary with one switch, its
 * end of a socketpair on ENGINE_FD and the write end of a violation pipe
 * on ENGINE_VIOLATION_FD, and nothing else open.  Whatever a child sends
 * is checked as if it came from an attacker (the engines face the
 * network): a type its kind may not send, a length that type cannot have,
 * or a descriptor on any type but those its kind names kills that child,
 * never the parent.
 */

struct proc_list	procs = TAILQ_HEAD_INITIALIZER(procs);

static struct {
	struct event_base	*base;
	const char		*self;
	int			 debug;
	int			 verbose;
} pt;

static void	 proc_arm(struct proc *);
static void	 proc_dispatch(int, short, void *);
static void	 proc_read_last(struct proc *);
static void	 proc_died(struct proc *, int);
static void	 proc_restart_later(struct proc *);
static void	 proc_restart_cb(int, short, void *);
static void	 proc_exec(struct proc_kind *);

void
proc_init(struct event_base *base, const char *self, int debug,
    int verbose)
{
	pt.base = base;
	pt.self = self;
	pt.debug = debug;
	pt.verbose = verbose;
}

/* A kind gets nslots numbered places, each with its own restart backoff. */
void
proc_register(struct proc_kind *kind, int nslots)
{
	int	i;

	if ((kind->slots = calloc(nslots, sizeof(*kind->slots))) == NULL)
		fatal(NULL);
	kind->nslots = nslots;
	for (i = 0; i < nslots; i++) {
		kind->slots[i].kind = kind;
		kind->slots[i].idx = i;
		evtimer_assign(&kind->slots[i].ev, pt.base, proc_restart_cb,
		    &kind->slots[i]);
	}
}

/* Children started later (restarts) get -v as often as this says. */
void
proc_set_verbose(int v)
{
	pt.verbose = v;
}

void
proc_spawn(struct proc_kind *kind, int idx)
{
	struct proc	*p;
	int		 sp[2], vp[2];
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("%s: socketpair", kind->name);
		goto retry;
	}
	if (pipe2(vp, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", kind->name);
		close(sp[0]);
		close(sp[1]);
		goto retry;
	}
	switch (pid = fork()) {
	case -1:
		log_warn("%s: fork", kind->name);
		close(sp[0]);
		close(sp[1]);
		close(vp[0]);
		close(vp[1]);
		goto retry;
	case 0:
		/*
		 * Either end may already sit on the other's number: move
		 * both out of the way first.  dup2 then clears close-on-exec.
		 */
		if ((sp[1] = fcntl(sp[1], F_DUPFD, ENGINE_VIOLATION_FD + 1)) ==
		    -1 || (vp[1] = fcntl(vp[1], F_DUPFD,
		    ENGINE_VIOLATION_FD + 1)) == -1 ||
		    dup2(sp[1], ENGINE_FD) == -1 ||
		    dup2(vp[1], ENGINE_VIOLATION_FD) == -1)
			_exit(127);
		proc_exec(kind);
	}
	close(sp[1]);
	close(vp[1]);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal(NULL);
	p->kind = kind;
	p->pid = pid;
	p->idx = idx;
	p->generation = kind->generation;
	p->started = now_ms();
	p->vfd = vp[0];
	if (kind->numbered)
		snprintf(p->name, sizeof(p->name), "%s %d", kind->name, idx);
	else
		strlcpy(p->name, kind->name, sizeof(p->name));
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(vp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	ipc_init(&p->ipc, sp[0], kind->fdtypes);
	TAILQ_INSERT_TAIL(&procs, p, entry);
	log_debug("%s started, pid %d", p->name, (int)pid);
	kind->start(p);
	proc_arm(p);
	return;
 retry:
	{
		struct timeval	tv = { 0, ENGINE_BACKOFF_MIN * 1000 };
		evtimer_add(&kind->slots[idx].ev, &tv);
	}
}

/*
 * In the child: whatever else we were started with stays here, the child
 * gets its sockets over the socketpair only.  An engine runs as
 * SCHED_BATCH unless the operator chose another policy for the daemon: a
 * batch task is never run in place of the task on its CPU the moment a
 * datagram wakes it, so the client's burst finishes first and one wake-up
 * (one recvmmsg, one sendmmsg) answers all of it; waking per datagram had
 * cost a third of an engine's CPU time in context switches.  Engines are
 * not bound to CPUs: bound, one queued behind a client on its CPU while
 * the other idled (30 % of the machine unused at saturation).
 */
static void
proc_exec(struct proc_kind *kind)
{
	struct sched_param	 sp;
	const char		*path = pt.self;
	char			 argv0[PATH_MAX], *argv[10];
	int			 argc = 0, i;

	closefrom(ENGINE_VIOLATION_FD + 1);
	memset(&sp, 0, sizeof(sp));
	if (kind->batch && sched_getscheduler(0) == SCHED_OTHER)
		(void)sched_setscheduler(0, SCHED_BATCH, &sp);
	signal(SIGPIPE, SIG_DFL);
	snprintf(argv0, sizeof(argv0), "dotproxy: %s", kind->title);
#ifdef TEST_VALGRIND
	/* the valgrind test build only: see regress/memcheck.sh */
	if (kind->batch) {
		path = TEST_VALGRIND;
		argv[argc++] = "valgrind";
		strlcpy(argv0, pt.self, sizeof(argv0));
	}
#endif
	argv[argc++] = argv0;
	argv[argc++] = (char *)kind->flag;
	if (pt.debug)
		argv[argc++] = "-d";
	for (i = 0; i < pt.verbose && i < 3; i++)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	execv(path, argv);
	_exit(127);
}

void
proc_compose(struct proc *p, uint32_t type, int fd, const void *data,
    size_t len)
{
	if (ipc_compose(&p->ipc, type, fd, data, len) == -1)
		fatal("ipc_compose");
	proc_arm(p);
}

/* Hands fd over: it is closed here once sent. */
void
proc_give(struct proc *p, uint32_t type, int fd)
{
	if (ipc_give(&p->ipc, type, fd) == -1)
		fatal("ipc_give");
	proc_arm(p);
}

/*
 * Writes what is queued for p now, as far as the socket takes it: what
 * a child must have before a signal that makes it leave (the clients
 * handed to an engine before it is retired) is then in its socket when
 * the signal comes, where its last read finds it.
 */
void
proc_flush(struct proc *p)
{
	if (ipc_pending(&p->ipc) && ipc_flush(&p->ipc) == -1 &&
	    errno != EAGAIN && errno != EPIPE)
		log_warn("%s: write", p->name);
	proc_arm(p);
}

/* A message to every running child of a kind, or of every kind (NULL). */
void
proc_broadcast(const struct proc_kind *kind, uint32_t type, const void *data,
    size_t len)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &procs, entry)
		if (kind == NULL || p->kind == kind)
			proc_compose(p, type, -1, data, len);
}

void
proc_signal(const struct proc_kind *kind, int sig)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &procs, entry)
		if (kind == NULL || p->kind == kind)
			kill(p->pid, sig);
}

/* A new configuration: every slot of the kind starts afresh. */
void
proc_reset(struct proc_kind *kind)
{
	int	i;

	for (i = 0; i < kind->nslots; i++) {
		evtimer_del(&kind->slots[i].ev);
		kind->slots[i].backoff = 0;
		kind->slots[i].crashes = 0;
	}
}

static void
proc_arm(struct proc *p)
{
	short	want = EV_READ | EV_PERSIST;

	if (ipc_pending(&p->ipc))
		want |= EV_WRITE;
	if (p->evflags == want)
		return;
	if (p->evflags != 0)
		event_del(&p->ev);
	event_assign(&p->ev, pt.base, p->ipc.fd, want, proc_dispatch, p);
	event_add(&p->ev, NULL);
	p->evflags = want;
}

/*
 * Log records are every kind's; anything else must be a type its kind
 * sends, at a length that type has, before the kind sees it.
 */
static void
proc_dispatch(int fd, short ev, void *arg)
{
	struct proc		*p = arg;
	const struct proc_msg	*m;
	struct ipc_msg		 msg;
	ssize_t			 n;
	int			 r;

	(void)fd;
	if (ev & EV_WRITE) {
		if (ipc_flush(&p->ipc) == -1 && errno != EPIPE)
			log_warn("%s: write", p->name);
		proc_arm(p);
	}
	if (!(ev & EV_READ))
		return;
	if ((n = ipc_read(&p->ipc)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/*
		 * A child that exits with messages of ours unread resets the
		 * socket (the metrics process, stopped while reports were on
		 * their way): the same end as EOF, not a fault of its own.
		 */
		if (errno != ECONNRESET) {
			proc_kill(p, "bad read");
			return;
		}
		n = 0;
	}
	if (n == 0) {
		/* it is exiting; SIGCHLD tells why */
		event_del(&p->ev);
		p->evflags = 0;
		return;
	}
	while ((r = ipc_get(&p->ipc, &msg)) == 1) {
		if (msg.hdr.type == IPC_LOG) {
			if (proc_log_record(p->name, &msg) == -1) {
				proc_kill(p, "malformed log message");
				return;
			}
			continue;
		}
		for (m = p->kind->msgs; m->type != 0; m++)
			if (m->type == msg.hdr.type)
				break;
		if (m->type == 0 || msg.hdr.len < m->min ||
		    msg.hdr.len > m->max) {
			if (msg.fd != -1)
				close(msg.fd);
			proc_kill(p, m->type == 0 ? "unexpected message type" :
			    "message of a wrong length");
			return;
		}
		if (p->kind->message(p, &msg) == -1) {
			proc_kill(p, "malformed message");
			return;
		}
	}
	if (r == -1)
		proc_kill(p, "bad message header, or a descriptor where "
		    "none belongs");
}

/*
 * A log record from a sandboxed process: terminated text and a real
 * priority, or -1.
 */
int
proc_log_record(const char *who, const struct ipc_msg *msg)
{
	struct ipc_log	lh;

	if (msg->hdr.len <= sizeof(lh) ||
	    msg->data[msg->hdr.len - 1] != '\0')
		return (-1);
	memcpy(&lh, msg->data, sizeof(lh));
	if (lh.pri < LOG_EMERG || lh.pri > LOG_DEBUG)
		return (-1);
	logit(lh.pri, "%s: %s", who, (const char *)msg->data + sizeof(lh));
	return (0);
}

void
proc_kill(struct proc *p, const char *why)
{
	log_warnx("%s (pid %d): %s, killing it", p->name, (int)p->pid, why);
	if (p->evflags != 0)
		event_del(&p->ev);
	p->evflags = 0;
	kill(p->pid, SIGKILL);
}

/*
 * SIGCHLD may come before the dead child's last messages were read: its
 * final counters and log lines are still in the socket.
 */
static void
proc_read_last(struct proc *p)
{
	struct pollfd	pfd = { p->ipc.fd, POLLIN, 0 };
	int		i;

	for (i = 0; i < 64 && p->evflags != 0 && poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & POLLIN); i++)
		proc_dispatch(p->ipc.fd, EV_READ, p);
}

/*
 * Every child that ended: logged, its kind told, started again if the
 * kind wants it.  Returns the number of children left.
 */
int
proc_reap(int stopping)
{
	struct proc	*p;
	pid_t		 pid;
	int		 status, n = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(p, &procs, entry)
			if (p->pid == pid)
				break;
		if (p == NULL)
			continue;
		proc_died(p, status);
		proc_read_last(p);
		if (p->evflags != 0)
			event_del(&p->ev);
		TAILQ_REMOVE(&procs, p, entry);
		if (p->kind->ended(p) && !stopping)
			proc_restart_later(p);
		ipc_clear(&p->ipc);
		close(p->ipc.fd);
		close(p->vfd);
		free(p);
	}
	TAILQ_FOREACH(p, &procs, entry)
		n++;
	return (n);
}

/*
 * Logs why a child ended.  One the sandbox killed has written the number
 * of the refused call to its violation pipe: name it, so that a new libc
 * or libcrypto that needs one more call is quick to diagnose.  Those
 * bytes come from the sandboxed side: only their size is trusted, and
 * libseccomp's table turns the number into a name.
 */
static void
proc_died(struct proc *p, int status)
{
	struct ipc_violation	 v;
	char			*name = NULL, what[96] = "";

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		if (read(p->vfd, &v, sizeof(v)) == (ssize_t)sizeof(v) &&
		    (name = seccomp_syscall_resolve_num_arch(v.arch, v.nr)) !=
		    NULL)
			snprintf(what, sizeof(what), ": system call %s (%d)",
			    name, (int)v.nr);
		else
			strlcpy(what, ": system call unknown", sizeof(what));
		free(name);
		log_warnx("%s (pid %d) killed by signal %d (sandbox "
		    "violation%s)", p->name, (int)p->pid, SIGSYS, what);
	} else if (WIFSIGNALED(status))
		log_warnx("%s (pid %d) killed by signal %d", p->name,
		    (int)p->pid, WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx("%s (pid %d) exited with status %d", p->name,
		    (int)p->pid, WEXITSTATUS(status));
	else
		log_debug("%s (pid %d) exited", p->name, (int)p->pid);
}

/*
 * A child that had run for a while is replaced at once: its sockets stay
 * open in the parent, and what queued there meanwhile is served by the
 * new one.  One that dies soon after its start is in a crash loop: each
 * such death doubles the wait, up to a maximum, so a broken binary or
 * configuration costs a few restarts a minute, not a busy loop.
 */
static void
proc_restart_later(struct proc *p)
{
	struct proc_slot	*s = &p->kind->slots[p->idx];
	int			 delay;

	if (now_ms() - p->started >= ENGINE_STABLE) {
		s->backoff = 0;
		s->crashes = 0;
	}
	delay = s->backoff;
	s->crashes++;
	s->backoff = delay == 0 ? ENGINE_BACKOFF_MIN : delay * 2;
	if (s->backoff > ENGINE_BACKOFF_MAX)
		s->backoff = ENGINE_BACKOFF_MAX;
	if (delay == 0)
		log_warnx("restarting %s now", p->name);
	else
		log_warnx("restarting %s in %d ms: %d deaths in a row, each "
		    "within %d s of starting", p->name, delay, s->crashes,
		    ENGINE_STABLE / 1000);
	timer_in(&s->ev, delay);
}

/* It joins the kind's generation of that moment. */
static void
proc_restart_cb(int fd, short ev, void *arg)
{
	struct proc_slot	*s = arg;

	(void)fd;
	(void)ev;
	proc_spawn(s->kind, s->idx);
}
