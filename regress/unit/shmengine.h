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
 * Pretend engines for the tests of the shared client table: each is a
 * child process that gets the table from the test (the parent) the way
 * an engine does, in an IPC_RECONF_CLIENTSHM message with the memfd,
 * attaches it, and then runs the test's commands one at a time.
 */

#ifndef DOTPROXY_SHMENGINE_H
#define DOTPROXY_SHMENGINE_H

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clientshm.h"
#include "ipc.h"

struct shmengine {
	pid_t		pid;
	int		fd;
	struct ipc	ipc;
};

/* what a pretend engine does with one command (op, arg) */
typedef int	(*shmengine_fn)(int, int);

static int
shmengine_xfer(int fd, void *p, size_t len, int out)
{
	return ((out ? write(fd, p, len) : read(fd, p, len)) ==
	    (ssize_t)len ? 0 : -1);
}

static void
shmengine_child(int fd, shmengine_fn fn)
{
	static struct ipc	ipc;
	struct ipc_msg		msg;
	int			cmd[2], r;

	ipc_init(&ipc, fd, IPC_FDTYPE(IPC_RECONF_CLIENTSHM));
	while ((r = ipc_get(&ipc, &msg)) == 0)
		if (ipc_read(&ipc) <= 0)
			_exit(2);
	if (r == -1 || msg.hdr.type != IPC_RECONF_CLIENTSHM || msg.fd == -1)
		_exit(2);
	clientshm_attach(msg.fd, msg.data, msg.hdr.len);
	r = fn(0, 0);
	if (shmengine_xfer(fd, &r, sizeof(r), 1) == -1)
		_exit(2);
	while (shmengine_xfer(fd, cmd, sizeof(cmd), 0) == 0) {
		r = fn(cmd[0], cmd[1]);
		if (shmengine_xfer(fd, &r, sizeof(r), 1) == -1)
			_exit(2);
	}
	_exit(0);
}

/* Starts one on the table clientshm_create() made; -1 if it fails. */
static int
shmengine_start(struct shmengine *e, shmengine_fn fn)
{
	int	sv[2], r;

	fflush(stdout);	/* not printed again by a child's exit */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return (-1);
	if ((e->pid = fork()) == -1)
		return (-1);
	if (e->pid == 0) {
		/* the others' sockets too: each sees its end when closed */
		if (dup2(sv[1], 3) == -1)
			_exit(2);
		closefrom(4);
		shmengine_child(3, fn);
	}
	close(sv[1]);
	e->fd = sv[0];
	ipc_init(&e->ipc, e->fd, 0);
	clientshm_send(&e->ipc, e->pid);
	if (ipc_flush(&e->ipc) == -1 ||
	    shmengine_xfer(e->fd, &r, sizeof(r), 0) == -1)
		return (-1);
	return (r);
}

/* Runs (op, arg) in e; what it answered, or -99 if it is gone. */
static int
shmengine_do(struct shmengine *e, int op, int arg)
{
	int	cmd[2] = { op, arg }, r;

	if (shmengine_xfer(e->fd, cmd, sizeof(cmd), 1) == -1 ||
	    shmengine_xfer(e->fd, &r, sizeof(r), 0) == -1)
		return (-99);
	return (r);
}

/*
 * Ends e as the parent sees an engine end: killed (SIGKILL) or told to
 * go (its socket closed), reaped, and its share released.  Returns its
 * wait status.
 */
static int
shmengine_end(struct shmengine *e, int kill9)
{
	int	status = -1;

	if (kill9)
		kill(e->pid, SIGKILL);
	close(e->fd);
	ipc_clear(&e->ipc);
	if (waitpid(e->pid, &status, 0) == e->pid)
		clientshm_release(e->pid);
	return (status);
}

/*
 * What any engine could do to the others: random bytes over the whole
 * table, through a mapping of the test's own (a column taken for a pid
 * that is none, and given back).
 */
static int
shmengine_scribble(void)
{
	struct ipc_clientshm	 m;
	uint64_t		*w;
	size_t			 i;
	int			 fd;

	fd = clientshm_assign(99999, &m);
	w = mmap(NULL, m.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	clientshm_release(99999);
	if (w == MAP_FAILED)
		return (-1);
	for (i = 0; i < m.size / sizeof(*w); i++)
		w[i] = ((uint64_t)random() << 33) ^ random();
	munmap(w, m.size);
	return (0);
}

#endif /* DOTPROXY_SHMENGINE_H */
