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
 * dotproxyctl: sends one request line to the control socket of a
 * running dotproxy and prints the reply.  The daemon closes the
 * connection when the reply is complete; a reply starting with "error:"
 * makes the exit status 1.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CTL_SOCKET	"/run/dotproxy/dotproxy.sock"
#define CTL_LINE_MAX	256
#define CTL_TIMEOUT	10000	/* ms, for a reply to begin and go on */

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: dotproxyctl [-s socket] command [argument ...]\n"
	    "commands: show stats | show upstreams | show cache | "
	    "show metrics\n"
	    "          reload | flush cache [name] | log verbose N | "
	    "log queries on|off\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	const char		*path = CTL_SOCKET;
	char			 line[CTL_LINE_MAX + 2], buf[8192];
	size_t			 len = 0, off;
	ssize_t			 n;
	int			 ch, i, s, first = 1, failed = 0;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	line[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (strchr(argv[i], '\n') != NULL ||
		    len + strlen(argv[i]) + 1 > CTL_LINE_MAX)
			errx(2, "request too long");
		len += snprintf(line + len, sizeof(line) - len, "%s%s",
		    i > 0 ? " " : "", argv[i]);
	}
	line[len++] = '\n';

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		errx(2, "%s: path too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "%s", path);
	for (off = 0; off < len; off += n)
		if ((n = write(s, line + off, len - off)) == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			err(1, "write");
		}

	pfd.fd = s;
	pfd.events = POLLIN;
	for (;;) {
		if ((n = poll(&pfd, 1, CTL_TIMEOUT)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (n == 0)
			errx(1, "no reply within %d s", CTL_TIMEOUT / 1000);
		if ((n = read(s, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "read");
		}
		if (n == 0)
			break;
		if (first && n >= 6 && memcmp(buf, "error:", 6) == 0)
			failed = 1;
		first = 0;
		if (fwrite(buf, 1, n, failed ? stderr : stdout) != (size_t)n)
			err(1, "write");
	}
	if (first)
		errx(1, "no reply");
	return (failed);
}
