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

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "parent.h"

/*
 * The sockets the parent binds for its children: the listeners, the
 * metrics endpoint and the control socket.  Binding is what needs root
 * here; serving is the children's.
 */

#define CONTROL_BACKLOG	8	/* the metrics process serves 8 at once */

/* the control socket we made, to remove it when we stop */
static struct {
	char	path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t	dev;
	ino_t	ino;
} ctl;

/*
 * Every engine gets its own socket per address and protocol; SO_REUSEPORT
 * lets the kernel spread clients over them.  IPv6 sockets are IPv6 only so
 * that 0.0.0.0 and :: can both be listened on.
 */
int
bind_socket(const struct sockaddr_storage *ss, socklen_t sslen, int proto,
    int reuseport)
{
	int	s, on = 1, saved, rcvbuf = UDP_RCVBUF;

	s = socket(ss->ss_family, (proto == LISTEN_UDP ? SOCK_DGRAM :
	    SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s == -1)
		return (-1);
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (reuseport && setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1) ||
	    (ss->ss_family == AF_INET6 && setsockopt(s, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(s, (const struct sockaddr *)ss, sslen) == -1 ||
	    (proto == LISTEN_TCP && listen(s, SOMAXCONN) == -1)) {
		saved = errno;
		close(s);
		errno = saved;
		return (-1);
	}
	/*
	 * A burst of datagrams larger than the default receive buffer
	 * (about 200 KiB) is lost before the engine wakes up: ask for more.
	 * Root may exceed net.core.rmem_max; others get what it allows.
	 */
	if (proto == LISTEN_UDP &&
	    setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1 &&
	    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == -1)
		log_debug("SO_RCVBUF: %s", strerror(errno));
	return (s);
}

/*
 * Makes the socket.  One that answers belongs to a running daemon and is
 * left alone; a stale one is replaced.  Returns -1 when it cannot be
 * had, for the caller to decide how bad that is.
 */
int
control_bind(const char *path)
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
	if (chmod(path, 0600) == -1 || listen(s, CONTROL_BACKLOG) == -1 ||
	    stat(path, &st) == -1) {
		saved = errno;
		(void)unlink(path);
		close(s);
		errno = saved;
		return (-1);
	}
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	(void)strlcpy(ctl.path, path, sizeof(ctl.path));
	return (s);
}

/* Removes the socket, if it is still the one we made. */
void
control_unlink(void)
{
	struct stat	st;

	if (ctl.path[0] == '\0')
		return;
	if (stat(ctl.path, &st) == 0 && st.st_dev == ctl.dev &&
	    st.st_ino == ctl.ino)
		(void)unlink(ctl.path);
}

/* The socket's path, for the parent's filter to allow its unlink only. */
const char *
control_path(void)
{
	return (ctl.path[0] == '\0' ? NULL : ctl.path);
}
