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

/*
 * The parent's process table (proc.c) with real children: this binary
 * runs itself as the child (-X), which sends what TEST_PROC_CASE says
 * over its socketpair.  A kind takes only the types it lists, each at the
 * lengths it allows, and a descriptor only on the types it names; any
 * other message kills the child before the kind sees it.  A child that
 * ended is started again when its kind says so.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <event.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "ipc.h"
#include "log.h"
#include "parent.h"
#include "proc.h"
#include "unit.h"

enum tcase {
	T_READY, T_READY_LONG, T_STATS_8, T_STATS_9, T_UNLISTED, T_FD_ON_READY,
	T_HANDOFF_FD, T_HANDOFF_NOFD, T_LOG_GOOD, T_LOG_BAD, T_CRASH,
	T_HANDOFF_FD_NOFDTYPES
};

static struct {
	struct event_base	*base;
	int			 nmsg;		/* messages the kind saw */
	uint32_t		 type;
	uint32_t		 len;
	int			 fd;
	int			 spawned;
	int			 ended;
	int			 restarts;	/* ended() says start again */
} t;

static const struct proc_msg msgs[] = {
	{ IPC_READY, 0, 0 },
	{ IPC_STATS, 8, 8 },
	{ IPC_TCP_HANDOFF, 0, 0 },
	{ 0, 0, 0 }
};

static void
start(struct proc *p)
{
	(void)p;
	t.spawned++;
}

static int
message(struct proc *p, struct ipc_msg *msg)
{
	(void)p;
	t.nmsg++;
	t.type = msg->hdr.type;
	t.len = msg->hdr.len;
	if ((t.fd = msg->fd) != -1)
		close(msg->fd);
	return (0);
}

static int
ended(struct proc *p)
{
	(void)p;
	t.ended++;
	if (t.restarts > 0) {
		t.restarts--;
		return (1);
	}
	event_base_loopexit(t.base, NULL);
	return (0);
}

static struct proc_kind engine_like = {
	.name = "child", .title = "child", .flag = "-X", .numbered = 1,
	.fdtypes = IPC_FDTYPE(IPC_TCP_HANDOFF), .msgs = msgs, .start = start,
	.message = message, .ended = ended
};

static struct proc_kind no_fds = {
	.name = "nofds", .title = "nofds", .flag = "-X", .msgs = msgs,
	.start = start, .message = message, .ended = ended
};

/* The child: one case's messages, then it waits to be killed or exits. */
static void
child(int c)
{
	struct ipc	ipc;
	uint8_t		buf[16];
	int		sp[2], fd = -1;

	memset(buf, 'x', sizeof(buf));
	ipc_init(&ipc, ENGINE_FD, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		_exit(2);
	switch (c) {
	case T_READY:
		ipc_compose(&ipc, IPC_READY, -1, NULL, 0);
		break;
	case T_READY_LONG:
		ipc_compose(&ipc, IPC_READY, -1, buf, 4);
		break;
	case T_STATS_8:
		ipc_compose(&ipc, IPC_STATS, -1, buf, 8);
		break;
	case T_STATS_9:
		ipc_compose(&ipc, IPC_STATS, -1, buf, 9);
		break;
	case T_UNLISTED:
		ipc_compose(&ipc, IPC_FLUSH_CACHE, -1, NULL, 0);
		break;
	case T_FD_ON_READY:
		fd = sp[0];
		ipc_compose(&ipc, IPC_READY, fd, NULL, 0);
		break;
	case T_HANDOFF_FD:
	case T_HANDOFF_FD_NOFDTYPES:
		fd = sp[0];
		ipc_compose(&ipc, IPC_TCP_HANDOFF, fd, NULL, 0);
		break;
	case T_HANDOFF_NOFD:
		ipc_compose(&ipc, IPC_TCP_HANDOFF, -1, NULL, 0);
		break;
	case T_LOG_GOOD:
		ipc_compose_log(&ipc, LOG_INFO, "hello from the child");
		break;
	case T_LOG_BAD:
		/* a priority and text, but no terminating NUL */
		ipc_compose(&ipc, IPC_LOG, -1, "\006\0\0\0abc", 7);
		break;
	case T_CRASH:
		_exit(1);
	}
	while (ipc_pending(&ipc))
		if (ipc_flush(&ipc) == -1)
			_exit(3);
	/* a good message: done; a bad one: the parent must kill us */
	if (c == T_READY || c == T_STATS_8 || c == T_HANDOFF_FD ||
	    c == T_LOG_GOOD)
		_exit(0);
	sleep(10);
	_exit(0);
}

static void
sigchld(int sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	(void)arg;
	(void)proc_reap(0);
}

static void
timeout(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	*(int *)arg = 1;
	event_base_loopexit(t.base, NULL);
}

/*
 * Runs one case to its end: returns the ms it took (-1 on the 5 s
 * timeout), what the kind saw in t.
 */
static int
run(struct proc_kind *kind, int c)
{
	struct event	to;
	struct timeval	tv = { 5, 0 };
	char		val[16];
	int		timedout = 0;
	uint64_t	t0;

	t.nmsg = t.ended = 0;
	t.type = t.len = 0;
	t.fd = -1;
	snprintf(val, sizeof(val), "%d", c);
	setenv("TEST_PROC_CASE", val, 1);
	evtimer_assign(&to, t.base, timeout, &timedout);
	evtimer_add(&to, &tv);
	t0 = now_ms();
	proc_spawn(kind, 0);
	event_base_dispatch(t.base);
	evtimer_del(&to);
	return (timedout ? -1 : (int)(now_ms() - t0));
}

int
main(int argc, char *argv[])
{
	struct event	sigchld_ev;
	char		self[PATH_MAX];
	ssize_t		n;
	int		ms;

	if (argc >= 2 && strcmp(argv[1], "-X") == 0)
		child(atoi(getenv("TEST_PROC_CASE")));
	log_init(1, LOG_DAEMON);
	log_setverbose(0);
	signal(SIGPIPE, SIG_IGN);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		return (2);
	self[n] = '\0';
	if ((t.base = event_base_new()) == NULL)
		return (2);
	evsignal_assign(&sigchld_ev, t.base, SIGCHLD, sigchld, NULL);
	evsignal_add(&sigchld_ev, NULL);
	proc_init(t.base, self, 0, 0);
	proc_register(&engine_like, 1);
	proc_register(&no_fds, 1);

	ms = run(&engine_like, T_READY);
	CHECK(ms >= 0 && t.nmsg == 1 && t.type == IPC_READY && t.len == 0,
	    "a listed type at its length reaches the kind");
	ms = run(&engine_like, T_READY_LONG);
	CHECK(ms >= 0 && ms < 5000 && t.nmsg == 0 && t.ended == 1,
	    "IPC_READY with 4 bytes: the child is killed, the kind sees nothing");
	ms = run(&engine_like, T_STATS_8);
	CHECK(ms >= 0 && t.nmsg == 1 && t.type == IPC_STATS && t.len == 8,
	    "IPC_STATS at its exact length reaches the kind");
	ms = run(&engine_like, T_STATS_9);
	CHECK(ms >= 0 && ms < 5000 && t.nmsg == 0,
	    "IPC_STATS one byte longer: killed");
	ms = run(&engine_like, T_UNLISTED);
	CHECK(ms >= 0 && ms < 5000 && t.nmsg == 0,
	    "a type the kind does not list: killed");
	ms = run(&engine_like, T_FD_ON_READY);
	CHECK(ms >= 0 && ms < 5000 && t.nmsg == 0,
	    "a descriptor on a type that carries none: killed");
	ms = run(&engine_like, T_HANDOFF_FD);
	CHECK(ms >= 0 && t.nmsg == 1 && t.type == IPC_TCP_HANDOFF &&
	    t.fd != -1, "IPC_TCP_HANDOFF with its descriptor reaches the kind");
	ms = run(&engine_like, T_HANDOFF_NOFD);
	CHECK(ms >= 0 && ms < 5000 && t.nmsg == 0,
	    "IPC_TCP_HANDOFF without a descriptor: killed");
	ms = run(&no_fds, T_HANDOFF_FD_NOFDTYPES);
	CHECK(ms >= 0 && ms < 5000 && t.nmsg == 0,
	    "a kind that takes no descriptor: one on IPC_TCP_HANDOFF kills");
	ms = run(&engine_like, T_LOG_GOOD);
	CHECK(ms >= 0 && t.nmsg == 0 && t.ended == 1,
	    "a log record is the table's, not the kind's, and kills nothing");
	ms = run(&engine_like, T_LOG_BAD);
	CHECK(ms >= 0 && ms < 5000 && t.nmsg == 0,
	    "a log record without its NUL: killed");
	t.restarts = 2;
	t.spawned = 0;
	ms = run(&engine_like, T_CRASH);
	CHECK(ms >= 0 && t.ended == 3 && t.spawned == 3,
	    "a child whose kind wants it again is started again (3 starts)");
	CHECK(ms >= ENGINE_BACKOFF_MIN,
	    "a crash loop backs off: the third start waited");
	return (unit_done());
}
