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

#include <errno.h>
#include <event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "ctlreq.h"
#include "log.h"
#include "msg.h"
#include "oneshot.h"
#include "stats.h"

/*
 * The control socket, served by the metrics process: the parent made it
 * (mode 0600) and passed it here.  dotproxyctl writes one request line
 * and reads a text reply; the connection closes after it.  The peer is
 * local and root (or the daemon's own user, checked with SO_PEERCRED),
 * but the line is still read with a hard bound and a timeout, and few
 * connections at a time.  What shows counters is answered here; what
 * only the parent can do (reload, flush, verbosity, query log) goes to
 * it as a typed request (struct ipc_ctl), and the reply waits for its
 * answer.
 */

#define CONTROL_LINE_MAX	256
#define CONTROL_MAX_CLIENTS	8
#define CONTROL_TIMEOUT		5	/* seconds */
#define CONTROL_REPLY_MAX	(1024 * 1024)	/* 64 upstreams, every label long */

/* a request the parent has not answered yet */
struct pending {
	struct bufferevent	*bev;	/* NULL: a free slot */
	uint32_t		 id;
	int			 op;
};

static struct {
	int			 fd;
	uid_t			 uid;
	struct event		 ev;
	struct oneshot		 os;
	control_send_fn		 send;
	uint32_t		 nextid;
	struct pending		 pending[CONTROL_MAX_CLIENTS];
	char			 reply[CONTROL_REPLY_MAX];
} ctl = { .fd = -1 };

static void	 control_accept(int, short, void *);
static void	 control_read(struct bufferevent *);
static void	 control_closed(struct bufferevent *);
static size_t	 control_command(struct bufferevent *, char *, char *,
		    size_t);

/*
 * Serves fd, a listening unix socket; uid may connect besides root.
 * Requests for the parent go out through send.
 */
void
control_start(struct event_base *base, int fd, uid_t uid,
    control_send_fn send)
{
	ctl.fd = fd;
	ctl.uid = uid;
	ctl.send = send;
	ctl.os.base = base;
	ctl.os.max = CONTROL_MAX_CLIENTS;
	ctl.os.timeout = CONTROL_TIMEOUT;
	ctl.os.maxread = CONTROL_LINE_MAX;
	ctl.os.request = control_read;
	ctl.os.closed = control_closed;
	event_assign(&ctl.ev, base, fd, EV_READ | EV_PERSIST, control_accept,
	    NULL);
	event_add(&ctl.ev, NULL);
}

static void
control_accept(int fd, short ev, void *arg)
{
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	int			 s;

	(void)ev;
	(void)arg;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1)
		return;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && cred.uid != ctl.uid)) {
		log_warnx("control: connection from uid %d refused",
		    (int)cred.uid);
		close(s);
		return;
	}
	oneshot_accept(&ctl.os, s);
}

static void
control_read(struct bufferevent *bev)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 n, len;

	if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) == NULL) {
		if (evbuffer_get_length(in) <= CONTROL_LINE_MAX)
			return;	/* more to come */
		n = snprintf(ctl.reply, sizeof(ctl.reply),
		    "error: request longer than %d bytes\n", CONTROL_LINE_MAX);
	} else if (len > CONTROL_LINE_MAX) {
		free(line);
		n = snprintf(ctl.reply, sizeof(ctl.reply),
		    "error: request longer than %d bytes\n", CONTROL_LINE_MAX);
	} else {
		n = control_command(bev, line, ctl.reply, sizeof(ctl.reply));
		free(line);
		if (n == 0)
			return;	/* the parent answers */
	}
	oneshot_reply(bev, ctl.reply, n);
}

static size_t
reply(char *buf, size_t size, const char *text)
{
	return (strlcpy(buf, text, size) < size ? strlen(buf) : size - 1);
}

/*
 * A request for the parent, or 0 if every slot is taken (as many as
 * connections, so never).  The reply is written when its answer comes.
 */
static size_t
control_ask(struct bufferevent *bev, int op, int value, const uint8_t *name,
    size_t namelen, char *buf, size_t size)
{
	struct ipc_ctl	 req;
	struct pending	*pd = NULL;
	int		 i;

	for (i = 0; i < CONTROL_MAX_CLIENTS && pd == NULL; i++)
		if (ctl.pending[i].bev == NULL)
			pd = &ctl.pending[i];
	if (pd == NULL || namelen > sizeof(req.name))
		return (reply(buf, size, "error: busy\n"));
	memset(&req, 0, sizeof(req));
	req.id = ++ctl.nextid;
	req.op = op;
	req.value = value;
	req.namelen = namelen;
	if (namelen > 0)
		memcpy(req.name, name, namelen);
	pd->bev = bev;
	pd->id = req.id;
	pd->op = op;
	/* one request per connection: nothing more is read from it */
	bufferevent_disable(bev, EV_READ);
	ctl.send(IPC_CTL_REQUEST, &req, sizeof(req));
	return (0);
}

/* The parent's answer to a request: the waiting client gets its reply. */
void
control_done(uint32_t id, int ok)
{
	struct pending	*pd;
	size_t		 n;
	int		 i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		pd = &ctl.pending[i];
		if (pd->bev == NULL || pd->id != id)
			continue;
		if (ok)
			n = reply(ctl.reply, sizeof(ctl.reply), "ok\n");
		else
			n = reply(ctl.reply, sizeof(ctl.reply), pd->op ==
			    CTL_OP_RELOAD ? "error: configuration reload "
			    "failed, the old one stays (see the log)\n" :
			    "error: refused by the daemon\n");
		oneshot_reply(pd->bev, ctl.reply, n);
		pd->bev = NULL;
		return;
	}
}

/* A client gone before its answer: the answer will find no one. */
static void
control_closed(struct bufferevent *bev)
{
	int	i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl.pending[i].bev == bev)
			ctl.pending[i].bev = NULL;
}

/*
 * Runs one request; the reply goes to buf.  Returns its length, or 0
 * when the parent has been asked and the reply comes later.
 */
static size_t
control_command(struct bufferevent *bev, char *line, char *buf, size_t size)
{
	static struct ipc_stats	 st;
	struct ctlreq		 req;

	ctlreq_parse(line, &req);
	switch (req.cmd) {
	case CTL_TOO_MANY_WORDS:
		return (reply(buf, size, "error: too many words\n"));
	case CTL_SHOW_STATS:
	case CTL_SHOW_UPSTREAMS:
	case CTL_SHOW_CACHE:
	case CTL_SHOW_METRICS:
		statsum_get(&st);
		if (req.cmd == CTL_SHOW_STATS)
			return (stats_render_text(&st, buf, size));
		if (req.cmd == CTL_SHOW_UPSTREAMS)
			return (stats_render_upstreams(&st, buf, size));
		if (req.cmd == CTL_SHOW_CACHE)
			return (stats_render_cache(&st, buf, size));
		return (stats_render_metrics(&st, buf, size));
	case CTL_RELOAD:
		log_info("control: reload");
		return (control_ask(bev, CTL_OP_RELOAD, 0, NULL, 0, buf, size));
	case CTL_BAD_NAME:
		return (reply(buf, size, "error: not a domain name\n"));
	case CTL_FLUSH_CACHE:
		log_info("control: flush cache%s%s", req.arg != NULL ? " " : "",
		    req.arg != NULL ? req.arg : "");
		return (control_ask(bev, CTL_OP_FLUSH, 0, req.wire, req.wlen,
		    buf, size));
	case CTL_BAD_VERBOSE:
		return (reply(buf, size,
		    "error: log verbose 0 to 3 expected\n"));
	case CTL_LOG_VERBOSE:
		log_info("control: log verbose %d", req.value);
		return (control_ask(bev, CTL_OP_VERBOSE, req.value, NULL, 0,
		    buf, size));
	case CTL_LOG_QUERIES:
		log_info("control: log queries %s", req.value ? "on" : "off");
		return (control_ask(bev, CTL_OP_QUERYLOG, req.value, NULL, 0,
		    buf, size));
	case CTL_UNKNOWN:
		break;
	}
	return (reply(buf, size, "error: unknown command (show stats|"
	    "upstreams|cache|metrics, reload, flush cache [name], "
	    "log verbose N, log queries on|off)\n"));
}
