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
 * dotproxy-probe: one DNS query over UDP, for the readiness and liveness
 * probes of an orchestrator.  The container image has no shell and no
 * DNS client, so this is the client: a separate small program that links
 * only the C library, shares no code with the daemon and never touches
 * it except through its listening socket, like any other client.
 *
 * The exit status is 0 when an answer with our ID, QR set and our
 * question comes back in time and its RCODE is NOERROR or NXDOMAIN (with
 * -a, any RCODE: the daemon answered at all), 1 otherwise, 2 on a usage
 * error.
 */

#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define PROBE_PORT	35353
#define PROBE_TIMEOUT	2		/* seconds */
#define HDRLEN		12
#define MAXNAME		255
#define MAXLABEL	63

static const struct {
	const char	*name;
	uint16_t	 type;
} types[] = {
	{ "A", 1 }, { "NS", 2 }, { "SOA", 6 }, { "MX", 15 }, { "TXT", 16 },
	{ "AAAA", 28 }, { "MAILA", 254 },
};

static const char *rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"
};

static void	usage(void) __attribute__((__noreturn__));
static long	number(const char *, long, long);
static uint16_t	parsetype(const char *);
static int	encodename(const char *, uint8_t *, size_t);
static int	waitreply(int, const uint8_t *, size_t, int, int);

static void
usage(void)
{
	fprintf(stderr, "usage: dotproxy-probe [-a] [-p port] [-q name] "
	    "[-t type] [-w seconds] [address]\n");
	exit(2);
}

/* An option's decimal number from MIN to MAX; anything else is misuse. */
static long
number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		usage();
	return (v);
}

/* A type by name or number; anything else is misuse. */
static uint16_t
parsetype(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0)
			return (types[i].type);
	return (number(s, 1, 65535));
}

/* The wire form of a dotted name; its length, or -1 if it is not one. */
static int
encodename(const char *name, uint8_t *out, size_t outlen)
{
	const char	*p = name, *dot;
	size_t		 len, n = 0;

	if (strcmp(name, ".") == 0)
		name = p = "";
	while (*p != '\0') {
		if ((dot = strchr(p, '.')) == NULL)
			dot = p + strlen(p);
		len = dot - p;
		if (len == 0 || len > MAXLABEL || n + 1 + len + 1 > outlen ||
		    n + 1 + len + 1 > MAXNAME)
			return (-1);
		out[n++] = len;
		memcpy(out + n, p, len);
		n += len;
		p = *dot == '.' ? dot + 1 : dot;
	}
	out[n++] = 0;
	return (n);
}

/*
 * Waits for the answer to the query Q of QLEN bytes on the connected
 * socket S: datagrams that are not it are skipped until the deadline.
 */
static int
waitreply(int s, const uint8_t *q, size_t qlen, int timeout, int any)
{
	struct timespec	 now, end;
	struct pollfd	 pfd;
	uint8_t		 r[4096];
	ssize_t		 n;
	int		 ms, rcode;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout;
	pfd.fd = s;
	pfd.events = POLLIN;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0 || poll(&pfd, 1, ms) == 0) {
			fprintf(stderr, "dotproxy-probe: no answer in %d s\n",
			    timeout);
			return (1);
		}
		if ((n = recv(s, r, sizeof(r), 0)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "dotproxy-probe: recv: %s\n",
			    strerror(errno));
			return (1);
		}
		/* ID, QR=1, QDCOUNT=1 and the same question. */
		if ((size_t)n < qlen || r[0] != q[0] || r[1] != q[1] ||
		    (r[2] & 0x80) == 0 || r[4] != 0 || r[5] != 1 ||
		    memcmp(r + HDRLEN, q + HDRLEN, qlen - HDRLEN) != 0)
			continue;
		rcode = r[3] & 0x0f;
		if (any || rcode == 0 || rcode == 3)
			return (0);
		if (rcode < (int)(sizeof(rcodes) / sizeof(rcodes[0])))
			fprintf(stderr, "dotproxy-probe: answer %s\n",
			    rcodes[rcode]);
		else
			fprintf(stderr, "dotproxy-probe: answer rcode %d\n",
			    rcode);
		return (1);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	const char		*addr = "127.0.0.1", *name = ".";
	uint8_t			 q[HDRLEN + MAXNAME + 4];
	uint16_t		 type = 2, port = PROBE_PORT;
	socklen_t		 sslen;
	int			 ch, any = 0, timeout = PROBE_TIMEOUT, n, s;

	while ((ch = getopt(argc, argv, "ap:q:t:w:")) != -1) {
		switch (ch) {
		case 'a':
			any = 1;
			break;
		case 'p':
			port = number(optarg, 1, 65535);
			break;
		case 'q':
			name = optarg;
			break;
		case 't':
			type = parsetype(optarg);
			break;
		case 'w':
			timeout = number(optarg, 1, 3600);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (argc == 1)
		addr = argv[0];

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sslen = sizeof(*sin6);
	} else
		usage();

	/* Header: random ID, RD, one question. */
	memset(q, 0, HDRLEN);
	if (getrandom(q, 2, 0) != 2) {
		perror("dotproxy-probe: getrandom");
		return (1);
	}
	q[2] = 0x01;
	q[5] = 1;
	if ((n = encodename(name, q + HDRLEN, MAXNAME)) == -1)
		usage();
	n += HDRLEN;
	q[n++] = type >> 8;
	q[n++] = type & 0xff;
	q[n++] = 0;
	q[n++] = 1;		/* class IN */

	/* Connected, so only the daemon's answers reach us. */
	if ((s = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&ss, sslen) == -1 ||
	    send(s, q, n, 0) != n) {
		fprintf(stderr, "dotproxy-probe: %s port %u: %s\n", addr,
		    (unsigned)port, strerror(errno));
		return (1);
	}
	return (waitreply(s, q, n, timeout, any));
}
