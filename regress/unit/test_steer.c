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
 * The owner of a question, computed twice: by the kernel running the
 * reuseport program (steer_program()) on a datagram, and by steer_owner()
 * on the same octets.  Real sockets: a reuseport group of four UDP
 * sockets on 127.0.0.1, the program attached, and queries sent to it;
 * each must arrive on the socket steer_owner() names.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "steer.h"
#include "unit.h"

#define NSOCK	4

static int			 socks[NSOCK];
static struct sockaddr_in	 sin;
static int			 client;

/* a query for name (dotted, no trailing dot) in wire form */
static size_t
query(uint8_t *q, const char *name, size_t max)
{
	const char	*p = name, *dot;
	size_t		 n = DNS_HDR_LEN, l;

	memset(q, 0, DNS_HDR_LEN);
	q[0] = arc4random() & 0xff;
	q[1] = arc4random() & 0xff;
	q[5] = 1;	/* QDCOUNT */
	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n + 1 + l + 5 > max)
			return (0);
		q[n++] = l;
		memcpy(q + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = 1;	/* A */
	q[n++] = 0;
	q[n++] = 1;	/* IN */
	return (n);
}

/* which socket the datagram arrived on, -1 if none within a second */
static int
arrived(void)
{
	struct pollfd	pfd[NSOCK];
	uint8_t		buf[2048];
	int		i, r;

	for (i = 0; i < NSOCK; i++) {
		pfd[i].fd = socks[i];
		pfd[i].events = POLLIN;
	}
	if ((r = poll(pfd, NSOCK, 1000)) <= 0)
		return (-1);
	for (i = 0; i < NSOCK; i++)
		if (pfd[i].revents & POLLIN) {
			(void)recv(socks[i], buf, sizeof(buf), 0);
			return (i);
		}
	return (-1);
}

static int
sent_to(const uint8_t *q, size_t len)
{
	if (sendto(client, q, len, 0, (struct sockaddr *)&sin,
	    sizeof(sin)) != (ssize_t)len)
		return (-1);
	return (arrived());
}

static void
randcase(char *s)
{
	for (; *s != '\0'; s++)
		if ((*s >= 'a' && *s <= 'z') && (arc4random() & 1))
			*s -= 32;
}

int
main(void)
{
	struct sock_filter	 prog[STEER_PROG_MAX];
	struct sock_fprog	 fp;
	socklen_t		 sl = sizeof(sin);
	uint8_t			 q[600];
	char			 name[300], lower[300];
	uint32_t		 seed = arc4random();
	size_t			 len, plen;
	int			 i, on = 1, same = 0, lands = 0, fold = 0;
	int			 hfold = 0;
	int			 hseed = 0;
	uint64_t		 h;
	int			 hist[NSOCK] = { 0 }, spread = 1, ok;

	plen = steer_program(prog, STEER_PROG_MAX, seed, NSOCK);
	CHECK(plen > 0 && plen <= STEER_PROG_MAX && plen <= 4096,
	    "the program fits classic BPF's 4096 instructions");
	CHECK(steer_program(prog, 10, seed, NSOCK) == 0,
	    "no program in too small a buffer");

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < NSOCK; i++) {
		if ((socks[i] = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
		    setsockopt(socks[i], SOL_SOCKET, SO_REUSEPORT, &on,
		    sizeof(on)) == -1 ||
		    bind(socks[i], (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			perror("socket");
			return (1);
		}
		if (i == 0 && getsockname(socks[0], (struct sockaddr *)&sin,
		    &sl) == -1)
			return (1);
	}
	memset(&fp, 0, sizeof(fp));
	fp.len = plen;
	fp.filter = prog;
	ok = setsockopt(socks[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fp,
	    sizeof(fp)) == 0;
	CHECK(ok, "the kernel takes the program (SO_ATTACH_REUSEPORT_CBPF)");
	if (!ok) {
		printf("# %s\n", strerror(errno));
		return (unit_done());
	}
	if ((client = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return (1);

	for (i = 0; i < 400; i++) {
		int	k, o, a;

		/* names of every length, up to the longest there is */
		snprintf(lower, sizeof(lower), "n%u-%d.example%d.test",
		    arc4random(), i, i % 7);
		if (i % 50 == 49) {
			memset(lower, 'a', 250);
			lower[63] = lower[127] = lower[191] = '.';
			lower[250] = '\0';
		}
		strlcpy(name, lower, sizeof(name));
		randcase(name);
		if ((len = query(q, name, sizeof(q))) == 0)
			continue;
		o = steer_owner(seed, q, len, NSOCK);
		a = sent_to(q, len);
		lands += a == o;
		hist[a >= 0 ? a : 0]++;
		/* the lower-case spelling has the same owner and lands there */
		len = query(q, lower, sizeof(q));
		k = steer_owner(seed, q, len, NSOCK);
		fold += k == o;
		/* the directory's hash: folded alike, and the seed's */
		h = steer_hash(seed, q, len);
		strlcpy(name, lower, sizeof(name));
		randcase(name);
		len = query(q, name, sizeof(q));
		hfold += steer_hash(seed, q, len) == h;
		hseed += steer_hash(seed + 1, q, len) != h;
		same += sent_to(q, len) == o;
	}
	CHECK(lands == 400, "400 queries: each arrives where steer_owner() says");
	printf("# %d of 400 where steer_owner() says\n", lands);
	CHECK(fold == 400 && same == 400,
	    "0x20: a name in any case has one owner, and arrives there");
	CHECK(hfold == 400, "steer_hash(): a name in any case hashes alike");
	CHECK(hseed == 400, "steer_hash(): another seed, another hash");
	for (i = 0; i < NSOCK; i++)
		if (hist[i] < 400 / NSOCK / 2)
			spread = 0;
	printf("# per socket: %d %d %d %d\n", hist[0], hist[1], hist[2],
	    hist[3]);
	CHECK(spread, "every socket owns a fair part of the names");

	/* a datagram that ends inside the name: engine 0, both ways */
	len = query(q, "truncated.example.test", sizeof(q));
	CHECK(steer_owner(seed, q, DNS_HDR_LEN + 5, NSOCK) == 0 &&
	    sent_to(q, DNS_HDR_LEN + 5) == 0,
	    "a name cut short belongs to engine 0, in the kernel too");
	CHECK(steer_owner(seed, q, 3, NSOCK) == 0 &&
	    sent_to(q, 3) == 0, "a datagram shorter than a header too");
	CHECK(steer_owner(seed, q, len, 1) == 0, "one engine owns everything");
	return (unit_done());
}
