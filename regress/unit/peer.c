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
 * The real upstream of the unit tests that need one (test_upconn,
 * test_query): the regress DoT server, regress/dotserver.c, run as a
 * child on a free loopback port with the test PKI of regress/mkcerts.sh;
 * the event loop those tests share, and the DNS query builder of those
 * and test_coalesce.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dns.h"
#include "peer.h"

static pid_t	 peer_pid = -1;
static char	 peer_log[PATH_MAX];
int		 peer_port;

/*
 * A port nothing listens on now: bound, read and let go; for the server,
 * and for a test that wants a port that refuses.
 */
int
peer_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s, port = -1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(s);
	return (port);
}

static int
peer_listening(void)
{
	struct sockaddr_in	 sin;
	int			 s, r;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(peer_port);
	r = connect(s, (struct sockaddr *)&sin, sizeof(sin));
	close(s);
	return (r == 0);
}

/*
 * Starts dotserver, found beside the test program (build/ or a test
 * build's tree), with the extra arguments given.  Returns 0 once it
 * accepts connections.
 */
int
peer_start(const char *argv0, const char *extra1, const char *extra2)
{
	char	 dir[PATH_MAX], prog[PATH_MAX], port[16];
	int	 i;

	if (access(PEER_CERTS "/ca.pem", R_OK) == -1 ||
	    access(PEER_CERTS "/server.pem", R_OK) == -1)
		return (-1);
	(void)strlcpy(dir, argv0, sizeof(dir));
	(void)snprintf(prog, sizeof(prog), "%s/dotserver", dirname(dir));
	(void)snprintf(peer_log, sizeof(peer_log), "/tmp/dotproxy-unit-%d.log",
	    (int)getpid());
	if ((peer_port = peer_free_port()) == -1)
		return (-1);
	(void)snprintf(port, sizeof(port), "%d", peer_port);
	switch ((peer_pid = fork())) {
	case -1:
		return (-1);
	case 0:
		/* a test that dies must not leave its server behind */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(prog, prog, "-c", PEER_CERTS "/server.pem", "-k",
		    PEER_CERTS "/server.key", "-l", "127.0.0.1", "-p", port,
		    "-L", peer_log, extra1, extra2, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		if (peer_listening())
			return (0);
		usleep(50000);
	}
	return (-1);
}

/* Ends the dotserver this test started, and only that one. */
void
peer_stop(void)
{
	if (peer_pid > 0) {
		kill(peer_pid, SIGTERM);
		(void)waitpid(peer_pid, NULL, 0);
		peer_pid = -1;
	}
	(void)unlink(peer_log);
}

/* Lines of the server's log that start with word: what reached it. */
int
peer_count(const char *word)
{
	FILE	*f;
	char	 line[1024];
	size_t	 n = strlen(word);
	int	 c = 0;

	if ((f = fopen(peer_log, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, word, n) == 0)
			c++;
	fclose(f);
	return (c);
}

/* The CA bundle the tests trust, as the parent hands it to an engine. */
uint8_t *
peer_ca(size_t *lenp)
{
	static uint8_t	 ca[65536];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(PEER_CERTS "/ca.pem", O_RDONLY)) == -1)
		return (NULL);
	n = read(fd, ca, sizeof(ca));
	close(fd);
	if (n <= 0)
		return (NULL);
	*lenp = n;
	return (ca);
}

/* Runs the event loop until done() says so or ms have passed. */
int
peer_loop(struct event_base *base, int (*done)(void), int ms)
{
	struct timeval	 tv = { 0, 10000 };
	uint64_t	 end = now_ms() + ms;

	while (!done() && now_ms() < end) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return (done());
}

/*
 * A query with ID id and header flags, for name and type qtype; edns 1
 * adds an OPT, 2 an OPT with DO set.
 */
size_t
peer_query(uint8_t *p, uint16_t id, uint16_t flags, const char *name,
    uint16_t qtype, int edns)
{
	uint8_t		*start = p;
	const char	*s = name, *dot;
	size_t		 n;

	dns_put16(p, id);
	dns_put16(p + 2, flags);
	dns_put16(p + 4, 1);
	dns_put16(p + 6, 0);
	dns_put16(p + 8, 0);
	dns_put16(p + 10, edns ? 1 : 0);
	p += DNS_HDR_LEN;
	while (*s != '\0') {
		dot = strchr(s, '.');
		n = dot != NULL ? (size_t)(dot - s) : strlen(s);
		*p++ = n;
		memcpy(p, s, n);
		p += n;
		s += n + (dot != NULL);
	}
	*p++ = 0;
	dns_put16(p, qtype);
	dns_put16(p + 2, 1);
	p += 4;
	if (edns) {
		*p++ = 0;
		dns_put16(p, DNS_TYPE_OPT);
		dns_put16(p + 2, 1232);
		dns_put32(p + 4, edns == 2 ? 0x8000 : 0);
		dns_put16(p + 8, 0);
		p += 10;
	}
	return (p - start);
}
