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
#include <sys/socket.h>

#include <linux/filter.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "msg.h"
#include "parent.h"
#include "relay.h"
#include "steer.h"

/*
 * The parent's part of the engines' channel (relay.h): an inbox per
 * engine place, made for each generation of engines and kept while it
 * lasts, so that an engine started again finds its inbox and its peers
 * need nothing new; and the reuseport program that steers every datagram
 * of a question to one engine.  The parent reads no inbox and writes
 * none: it only holds the ends.
 */

static struct {
	int		r[ENGINES_MAX];	/* the engine's own end */
	int		w[ENGINES_MAX];	/* everyone else's way in */
	int		n;
	uint32_t	seed;
	int		seeded;
} ib;

/* one seed for the daemon's life: engines and program must agree */
static void
inboxes_seed(void)
{
	if (!ib.seeded) {
		ib.seed = arc4random();
		ib.seeded = 1;
	}
}

static void
inboxes_close(void)
{
	int	i;

	for (i = 0; i < ib.n; i++) {
		if (ib.r[i] != -1)
			close(ib.r[i]);
		if (ib.w[i] != -1)
			close(ib.w[i]);
	}
	ib.n = 0;
}

/*
 * A new generation gets new inboxes: the retiring engines keep theirs,
 * so that an answer meant for one of them never reaches its successor.
 * An inbox that cannot be made leaves its engine without one: it then
 * fetches its misses itself and is asked by no one.  Datagrams queue on
 * the sending end, shared by every engine that asks: it gets a buffer
 * to match.
 */
void
inboxes_renew(int n)
{
	int	i, sp[2], sz = RELAY_SNDBUF;

	inboxes_seed();
	inboxes_close();
	for (i = 0; i < n && i < ENGINES_MAX; i++) {
		ib.r[i] = ib.w[i] = -1;
		if (n < 2)
			continue;
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0, sp) == -1) {
			log_warn("engine %d inbox", i);
			continue;
		}
		if (setsockopt(sp[1], SOL_SOCKET, SO_SNDBUFFORCE, &sz,
		    sizeof(sz)) == -1)
			(void)setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &sz,
			    sizeof(sz));
		ib.r[i] = sp[0];
		ib.w[i] = sp[1];
	}
	ib.n = i;
}

/* Engine idx's own inbox, then the way into each of the others'. */
void
inboxes_send(struct ipc *ipc, int idx, int engines)
{
	struct ipc_inbox	m;
	int			i;

	if (idx >= ib.n || ib.r[idx] == -1)
		return;
	memset(&m, 0, sizeof(m));
	m.self = idx;
	m.engines = engines;
	m.seed = ib.seed;
	for (i = 0; i < ib.n && i < engines; i++) {
		m.target = i;
		if (i == idx && ipc_compose(ipc, IPC_RECONF_INBOX, ib.r[i],
		    &m, sizeof(m)) == -1)
			fatal("ipc_compose");
		if (i != idx && ib.w[i] != -1 && ipc_compose(ipc,
		    IPC_RECONF_INBOX, ib.w[i], &m, sizeof(m)) == -1)
			fatal("ipc_compose");
	}
}

/*
 * On one UDP socket of each reuseport group (the parent binds engine k's
 * k-th): the group's program from then on.  Without it (an old kernel),
 * datagrams land where the kernel's hash puts them and engines find
 * their holders as for TCP.
 */
void
inboxes_steer(int fd, int engines)
{
	struct sock_filter	prog[STEER_PROG_MAX];
	struct sock_fprog	fp;

	inboxes_seed();
	/* the padding after len goes to the kernel too */
	memset(&fp, 0, sizeof(fp));
	fp.len = steer_program(prog, STEER_PROG_MAX, ib.seed, engines);
	fp.filter = prog;
	if (fp.len == 0 || setsockopt(fd, SOL_SOCKET,
	    SO_ATTACH_REUSEPORT_CBPF, &fp, sizeof(fp)) == -1)
		log_warn("steering datagrams to engines");
}
