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
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctlreq.h"
#include "ipc.h"
#include "log.h"
#include "oneshot.h"
#include "parent.h"
#include "stats.h"

/*
 * The control socket: a unix socket of the parent, mode 0600, on which
 * dotproxyctl writes one request line and reads a text reply; the parent
 * closes the connection after it.  The peer is local and root (or the
 * daemon's own user, checked with SO_PEERCRED), but the line is still
 * read with a hard bound and a timeout, and few connections at a time.
 */

#define CONTROL_LINE_MAX	256
#define CONTROL_MAX_CLIENTS	8
#define CONTROL_TIMEOUT		5	/* seconds */
#define CONTROL_REPLY_MAX	(128 * 1024)

static struct {
	struct event_base	*base;
	int			 fd;
	struct event		 ev;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t			 dev;	/* the socket file we made */
	ino_t			 ino;
	struct oneshot		 os;
	char			 reply[CONTROL_REPLY_MAX];
} ctl = { .fd = -1 };

static void	 control_accept(int, short, void *);
static void	 control_read(struct bufferevent *);
static size_t	 control_command(char *, char *, size_t);

/*
 * Makes the socket.  One that answers belongs to a running daemon and is
 * left alone; a stale one is replaced.  Returns -1 when it cannot be
 * had, for the caller to decide how bad that is.
 */
int
control_init(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 s, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	/*
	 * The default's directory (systemd's RuntimeDirectory, or made
	 * here); a configured path's directory is the operator's.
	 */
	if (strcmp(path, DOTPROXY_CONTROL) == 0 &&
	    mkdir(DOTPROXY_CONTROL_DIR, 0755) == -1 && errno != EEXIST)
		return (-1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			close(s);
			errno = EEXIST;
			return (-1);
		}
		if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
		    errno == EAGAIN || errno == EINPROGRESS) {
			close(s);
			errno = EADDRINUSE;
			return (-1);
		}
		close(s);
		(void)unlink(path);
		if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			return (-1);
	}
	/* never a moment with a wider mode than 0600 */
	old = umask(0177);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		umask(old);
		close(s);
		errno = saved;
		return (-1);
	}
	umask(old);
	if (chmod(path, 0600) == -1 || listen(s, CONTROL_MAX_CLIENTS) == -1 ||
	    stat(path, &st) == -1) {
		saved = errno;
		(void)unlink(path);
		close(s);
		errno = saved;
		return (-1);
	}
	ctl.fd = s;
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	(void)strlcpy(ctl.path, path, sizeof(ctl.path));
	return (0);
}

/* After daemon(): the event base is the daemon's, not its parent's. */
void
control_start(struct event_base *base)
{
	if (ctl.fd == -1)
		return;
	ctl.base = base;
	ctl.os.base = base;
	ctl.os.max = CONTROL_MAX_CLIENTS;
	ctl.os.timeout = CONTROL_TIMEOUT;
	ctl.os.maxread = CONTROL_LINE_MAX;
	ctl.os.request = control_read;
	event_assign(&ctl.ev, base, ctl.fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	event_add(&ctl.ev, NULL);
}

/* Removes the socket, if it is still the one we made. */
void
control_cleanup(void)
{
	struct stat	st;

	if (ctl.fd == -1)
		return;
	if (ctl.base != NULL)
		event_del(&ctl.ev);
	close(ctl.fd);
	ctl.fd = -1;
	if (stat(ctl.path, &st) == 0 && st.st_dev == ctl.dev &&
	    st.st_ino == ctl.ino)
		(void)unlink(ctl.path);
}

/* The socket's path, for the parent's filter to allow its unlink only. */
const char *
control_path(void)
{
	return (ctl.fd == -1 ? NULL : ctl.path);
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
	    (cred.uid != 0 && cred.uid != geteuid())) {
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
		n = control_command(line, ctl.reply, sizeof(ctl.reply));
		free(line);
	}
	oneshot_reply(bev, ctl.reply, n);
}

static size_t
reply(char *buf, size_t size, const char *text)
{
	return (strlcpy(buf, text, size) < size ? strlen(buf) : size - 1);
}

/* Runs one request; the reply goes to buf.  Returns its length. */
static size_t
control_command(char *line, char *buf, size_t size)
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
		parent_stats(&st);
		if (req.cmd == CTL_SHOW_STATS)
			return (stats_render_text(&st, buf, size));
		if (req.cmd == CTL_SHOW_UPSTREAMS)
			return (stats_render_upstreams(&st, buf, size));
		if (req.cmd == CTL_SHOW_CACHE)
			return (stats_render_cache(&st, buf, size));
		return (stats_render_metrics(&st, buf, size));
	case CTL_RELOAD:
		log_info("control: reload");
		if (parent_reload() == -1)
			return (reply(buf, size, "error: configuration reload "
			    "failed, the old one stays (see the log)\n"));
		return (reply(buf, size, "ok\n"));
	case CTL_BAD_NAME:
		return (reply(buf, size, "error: not a domain name\n"));
	case CTL_FLUSH_CACHE:
		log_info("control: flush cache%s%s", req.arg != NULL ? " " : "",
		    req.arg != NULL ? req.arg : "");
		parent_broadcast(IPC_FLUSH_CACHE, req.wire, req.wlen);
		return (reply(buf, size, "ok\n"));
	case CTL_BAD_VERBOSE:
		return (reply(buf, size,
		    "error: log verbose 0 to 3 expected\n"));
	case CTL_LOG_VERBOSE:
		parent_set_verbose(req.value);
		log_info("control: log verbose %d", req.value);
		return (reply(buf, size, "ok\n"));
	case CTL_LOG_QUERIES:
		log_info("control: log queries %s", req.value ? "on" : "off");
		parent_set_querylog(req.value);
		return (reply(buf, size, "ok\n"));
	case CTL_UNKNOWN:
		break;
	}
	return (reply(buf, size, "error: unknown command (show stats|"
	    "upstreams|cache|metrics, reload, flush cache [name], "
	    "log verbose N, log queries on|off)\n"));
}
