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
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/*
 * The service manager's readiness protocol, sd_notify(3), without
 * libsystemd: one datagram of "KEY=value" lines to the AF_UNIX socket
 * named by NOTIFY_SOCKET, a path or, with a leading '@', a name in the
 * abstract namespace.  Only the parent speaks it.  Nothing here is ever
 * fatal: a service manager that cannot be told is no reason to stop
 * serving DNS.
 */
static struct {
	struct sockaddr_un	sun;
	socklen_t		sunlen;
	int			fd;
	int			warned;
} n = { .fd = -1 };

/*
 * Reads and unsets NOTIFY_SOCKET, so that the engines (which inherit the
 * environment through fork and exec) never learn of it, and opens the
 * socket now, before daemon(3) and before anything is dropped.
 */
void
notify_init(void)
{
	const char	*e;
	size_t		 len;

	if ((e = getenv("NOTIFY_SOCKET")) == NULL)
		return;
	if (*e == '\0')
		goto done;		/* set empty: no manager */
	len = strlen(e);
	memset(&n.sun, 0, sizeof(n.sun));
	n.sun.sun_family = AF_UNIX;
	if ((e[0] != '/' && e[0] != '@') || len < 2 ||
	    len >= sizeof(n.sun.sun_path)) {
		/* e.g. systemd's vsock: form, for a VM's manager */
		log_warnx("NOTIFY_SOCKET %s: not a path or an abstract name, "
		    "ignored", e);
		goto done;
	}
	memcpy(n.sun.sun_path, e, len);
	if (e[0] == '@')
		n.sun.sun_path[0] = '\0';	/* abstract, not NUL-ended */
	n.sunlen = offsetof(struct sockaddr_un, sun_path) + len +
	    (e[0] == '/');
	if ((n.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		log_warn("NOTIFY_SOCKET: socket");
 done:
	(void)unsetenv("NOTIFY_SOCKET");
}

int
notify_enabled(void)
{
	return (n.fd != -1);
}

/* Sends one message of one or more "KEY=value" lines. */
void
notify(const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];
	int	len;

	if (n.fd == -1)
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;
	log_debug("notify: %.*s", len, msg);
	if (sendto(n.fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&n.sun, n.sunlen) == -1 && !n.warned) {
		/* once: a manager that went away would fill the log */
		log_warn("NOTIFY_SOCKET: sendto");
		n.warned = 1;
	}
}

/* CLOCK_MONOTONIC in microseconds, as RELOADING=1 wants it. */
unsigned long long
notify_monotonic_usec(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return (0);
	return ((unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
}
