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
#include <sys/socket.h>

#include <fcntl.h>
#include <unistd.h>

#include "engine.h"
#include "frontend.h"
#include "ipc.h"
#include "log.h"
#include "uplink.h"

static int	 give_to_parent(int);

/*
 * A reload without a lost TCP query.  A retiring engine reads each client
 * connection only up to the end of a query (listener.c); once everything
 * asked on it is answered and written, nothing of the client's is left in
 * this process, and the connection goes, as a descriptor, through the
 * parent to the engine that replaces this one, which reads whatever the
 * client sent meanwhile straight from the socket.  The client never sees
 * the connection close, so no query of its dies in a close.
 *
 * Returns how many clients are left: busy ones, or closing anyway.
 */
int
handoff_idle_clients(void)
{
	return (tcp_give_idle(give_to_parent));
}

static int
give_to_parent(int fd)
{
	return (ipc_give(&env->ipc, IPC_TCP_HANDOFF, fd));
}

/* An int socket option, or -1. */
static int
sockopt(int fd, int name)
{
	socklen_t	len = sizeof(int);
	int		v;

	if (getsockopt(fd, SOL_SOCKET, name, &v, &len) == -1)
		return (-1);
	return (v);
}

/*
 * A connection from the engine we replace.  That engine faced the
 * network as we do, so the descriptor is checked like anything else from
 * there: a connected TCP socket, nothing else, and our own ACL and limits
 * apply to it as to one we accepted.
 */
void
handoff_adopt(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof(ss);
	int			domain, flags;

	domain = sockopt(fd, SO_DOMAIN);
	if (sockopt(fd, SO_TYPE) != SOCK_STREAM ||
	    (domain != AF_INET && domain != AF_INET6) ||
	    sockopt(fd, SO_ACCEPTCONN) != 0 ||
	    getpeername(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    (flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		log_warnx("handed over a descriptor that is not a TCP "
		    "client connection");
		close(fd);
		return;
	}
	/*
	 * Sent to us before the parent retired us too (two reloads close
	 * together): passed on again, to an engine newer than this one.
	 */
	if (env->draining) {
		if (give_to_parent(fd) == 0)
			uplink_flush();
		return;
	}
	if (tcp_count() >= env->conf->sc.tcp_max_conn) {
		close(fd);
		return;
	}
	if (tcp_client_new(fd, &ss, sslen) != NULL)
		log_debug("took over a TCP client from the engine retired");
}
