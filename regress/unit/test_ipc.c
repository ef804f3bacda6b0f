/*
 * Unit tests for the framing layer (src/ipc.c): message boundaries,
 * descriptor passing only where accepted, and rejection of headers that
 * cannot be right.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "unit.h"

static struct ipc	a, b;

static void
pair(uint32_t fdtypes)
{
	int	sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		exit(2);
	ipc_init(&a, sp[0], 0);
	ipc_init(&b, sp[1], fdtypes);
}

/* the lowest free descriptor number: what the next open would get */
static int
lowest_free(void)
{
	int	fd;

	if ((fd = dup(0)) == -1)
		exit(2);
	close(fd);
	return (fd);
}

static void
unpair(void)
{
	ipc_clear(&a);
	ipc_clear(&b);
	close(a.fd);
	close(b.fd);
}

/* reads until one message is complete or the peer has nothing more */
static int
get_one(struct ipc *ipc, struct ipc_msg *msg)
{
	int	r;

	while ((r = ipc_get(ipc, msg)) == 0)
		if (ipc_read(ipc) <= 0)
			return (-2);
	return (r);
}

static void
test_roundtrip(void)
{
	struct ipc_msg	msg;
	uint8_t		big[IPC_MAX_PAYLOAD];
	int		i, ok = 1;

	pair(0);
	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = i * 7;
	CHECK(ipc_compose(&a, IPC_LOG, -1, "hello", 6) == 0, "compose small");
	CHECK(ipc_compose(&a, IPC_RECONF_CA, -1, big, sizeof(big)) == 0,
	    "compose maximum payload");
	CHECK(ipc_compose(&a, IPC_READY, -1, NULL, 0) == 0, "compose empty");
	CHECK(ipc_compose(&a, IPC_RECONF_CA, -1, big, sizeof(big) + 1) == -1,
	    "payload over the maximum refused");
	CHECK(ipc_compose(&a, IPC_TYPE_MAX, -1, NULL, 0) == -1,
	    "unknown type refused on compose");
	CHECK(ipc_pending(&a), "messages pending");
	CHECK(ipc_flush(&a) == 1, "flush all");
	CHECK(!ipc_pending(&a), "nothing pending after flush");

	CHECK(get_one(&b, &msg) == 1 && msg.hdr.type == IPC_LOG &&
	    msg.hdr.len == 6 && memcmp(msg.data, "hello", 6) == 0 &&
	    msg.fd == -1, "first message intact");
	CHECK(get_one(&b, &msg) == 1 && msg.hdr.type == IPC_RECONF_CA &&
	    msg.hdr.len == sizeof(big), "large message length");
	for (i = 0; i < (int)sizeof(big); i++)
		if (msg.data[i] != (uint8_t)(i * 7))
			ok = 0;
	CHECK(ok, "large message payload intact");
	CHECK(get_one(&b, &msg) == 1 && msg.hdr.type == IPC_READY &&
	    msg.hdr.len == 0, "empty message");
	unpair();
}

static void
test_fd_passing(void)
{
	struct ipc_msg	msg;
	struct stat	st1, st2;
	int		fd;

	pair(IPC_FDTYPE(IPC_RECONF_LISTEN));
	fd = open("/dev/null", O_RDONLY);
	CHECK(ipc_compose(&a, IPC_RECONF_LISTEN, fd, "x", 1) == 0,
	    "compose with descriptor");
	CHECK(ipc_compose(&a, IPC_RECONF_END, -1, NULL, 0) == 0,
	    "compose after descriptor");
	CHECK(ipc_flush(&a) == 1, "flush with descriptor");
	CHECK(get_one(&b, &msg) == 1 && msg.fd != -1 && msg.fd != fd,
	    "descriptor received");
	CHECK(fstat(fd, &st1) == 0 && fstat(msg.fd, &st2) == 0 &&
	    st1.st_ino == st2.st_ino, "received descriptor is the same file");
	CHECK((fcntl(msg.fd, F_GETFD) & FD_CLOEXEC) != 0,
	    "received descriptor is close-on-exec");
	close(msg.fd);
	CHECK(get_one(&b, &msg) == 1 && msg.fd == -1 &&
	    msg.hdr.type == IPC_RECONF_END, "next message has no descriptor");
	unpair();

	/* a side set up without descriptors refuses them */
	pair(0);
	CHECK(ipc_compose(&a, IPC_LOG, fd, "x", 1) == 0 && ipc_flush(&a) == 1,
	    "send descriptor to a side that refuses them");
	CHECK(ipc_read(&b) == -1 && errno == EBADMSG,
	    "unwanted descriptor is an error");
	unpair();
	close(fd);
}

/* ipc_give: the descriptor is ours to close once sent, or when dropped. */
static void
test_give(void)
{
	struct ipc_msg	msg;
	int		fd;

	pair(IPC_FDTYPE(IPC_TCP_HANDOFF));
	fd = open("/dev/null", O_RDONLY);
	CHECK(ipc_give(&a, IPC_TCP_HANDOFF, fd) == 0, "give a descriptor");
	CHECK(fcntl(fd, F_GETFD) != -1, "still open while queued");
	CHECK(ipc_flush(&a) == 1, "flush the given descriptor");
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF,
	    "closed once the kernel passed it on");
	CHECK(get_one(&b, &msg) == 1 && msg.fd != -1 &&
	    msg.hdr.type == IPC_TCP_HANDOFF && msg.hdr.len == 0,
	    "received as an empty message with the descriptor");
	close(msg.fd);

	fd = open("/dev/null", O_RDONLY);
	CHECK(ipc_give(&a, IPC_TCP_ADOPT, fd) == 0, "give another");
	ipc_clear(&a);
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF,
	    "closed when the queue is dropped unsent");
	fd = open("/dev/null", O_RDONLY);
	CHECK(ipc_give(&a, IPC_TYPE_MAX, fd) == -1 &&
	    fcntl(fd, F_GETFD) == -1, "closed when the message is refused");
	unpair();
}

/*
 * The parent's side of an engine: a descriptor only on the handoff of a
 * TCP client, and a handoff only with one.  A descriptor on any other
 * type is closed at once and the message is an error.
 */
static void
test_fd_types(void)
{
	struct ipc_msg	msg;
	struct ipc_hdr	h;
	int		fd, freefd;

	pair(IPC_FDTYPE(IPC_TCP_HANDOFF));
	fd = open("/dev/null", O_RDONLY);
	CHECK(ipc_compose(&a, IPC_TCP_HANDOFF, fd, NULL, 0) == 0 &&
	    ipc_flush(&a) == 1, "handoff with a descriptor sent");
	CHECK(get_one(&b, &msg) == 1 && msg.hdr.type == IPC_TCP_HANDOFF &&
	    msg.fd != -1, "handoff with a descriptor taken");
	close(msg.fd);
	unpair();

	pair(IPC_FDTYPE(IPC_TCP_HANDOFF));
	freefd = lowest_free();
	CHECK(ipc_compose(&a, IPC_LOG, fd, "x", 2) == 0 && ipc_flush(&a) == 1,
	    "log message with a descriptor sent");
	CHECK(get_one(&b, &msg) == -1 && errno == EBADMSG && msg.fd == -1,
	    "descriptor on a log message is an error");
	CHECK(b.nrfds == 0 && lowest_free() == freefd,
	    "and the descriptor it carried is closed");
	unpair();

	pair(IPC_FDTYPE(IPC_TCP_HANDOFF));
	freefd = lowest_free();
	CHECK(ipc_compose(&a, IPC_STATS, fd, "x", 1) == 0 &&
	    ipc_compose(&a, IPC_READY, fd, NULL, 0) == 0 &&
	    ipc_compose(&a, IPC_TCP_ADOPT, fd, NULL, 0) == 0 &&
	    ipc_flush(&a) == 1, "other types with descriptors sent");
	CHECK(get_one(&b, &msg) == -1 && errno == EBADMSG,
	    "descriptor on a stats message is an error");
	ipc_clear(&b);
	CHECK(lowest_free() == freefd, "nothing received is left open");
	unpair();

	/* a handoff that promises nothing is an error too */
	pair(IPC_FDTYPE(IPC_TCP_HANDOFF));
	memset(&h, 0, sizeof(h));
	h.type = IPC_TCP_HANDOFF;
	CHECK(write(a.fd, &h, sizeof(h)) == sizeof(h), "bare handoff written");
	CHECK(get_one(&b, &msg) == -1 && errno == EBADMSG,
	    "handoff without a descriptor is an error");
	unpair();

	/* the metrics process's side of the parent takes none at all */
	pair(0);
	CHECK(ipc_compose(&a, IPC_TCP_HANDOFF, fd, NULL, 0) == 0 &&
	    ipc_flush(&a) == 1, "handoff to a side that takes none sent");
	CHECK(ipc_read(&b) == -1 && errno == EBADMSG,
	    "refused even on the handoff type");
	unpair();
	close(fd);
}

static void
raw(struct ipc_hdr *h, const void *extra, size_t n)
{
	CHECK(write(a.fd, h, sizeof(*h)) == sizeof(*h), "raw header written");
	if (n > 0)
		CHECK(write(a.fd, extra, n) == (ssize_t)n, "raw body written");
}

static void
test_bad_headers(void)
{
	struct ipc_msg	msg;
	struct ipc_hdr	h;

	pair(IPC_FDTYPE(IPC_RECONF_LISTEN));
	memset(&h, 0, sizeof(h));
	h.type = IPC_LOG;
	h.len = IPC_MAX_PAYLOAD + 1;
	raw(&h, NULL, 0);
	CHECK(get_one(&b, &msg) == -1 && errno == EBADMSG,
	    "oversized length rejected");
	unpair();

	pair(IPC_FDTYPE(IPC_RECONF_LISTEN));
	memset(&h, 0, sizeof(h));
	h.type = 999;
	raw(&h, NULL, 0);
	CHECK(get_one(&b, &msg) == -1, "unknown type rejected");
	unpair();

	pair(IPC_FDTYPE(IPC_RECONF_LISTEN));
	memset(&h, 0, sizeof(h));
	h.type = IPC_RECONF_LISTEN;
	h.flags = IPC_F_FD;
	raw(&h, NULL, 0);
	CHECK(get_one(&b, &msg) == -1 && errno == EBADMSG,
	    "descriptor promised but missing is rejected");
	unpair();

	pair(IPC_FDTYPE(IPC_RECONF_LISTEN));
	memset(&h, 0, sizeof(h));
	h.type = IPC_LOG;
	h.flags = 0x80;
	raw(&h, NULL, 0);
	CHECK(get_one(&b, &msg) == -1, "unknown flags rejected");
	unpair();

	/* a message split across reads is only returned whole */
	pair(IPC_FDTYPE(IPC_RECONF_LISTEN));
	memset(&h, 0, sizeof(h));
	h.type = IPC_LOG;
	h.len = 4;
	CHECK(write(a.fd, &h, 5) == 5, "partial header written");
	CHECK(ipc_read(&b) == 5 && ipc_get(&b, &msg) == 0,
	    "partial header gives nothing");
	CHECK(write(a.fd, (char *)&h + 5, sizeof(h) - 5) ==
	    (ssize_t)(sizeof(h) - 5) && write(a.fd, "ab", 2) == 2,
	    "rest of header and half the body written");
	CHECK(ipc_read(&b) > 0 && ipc_get(&b, &msg) == 0,
	    "partial body gives nothing");
	CHECK(write(a.fd, "cd", 2) == 2 && get_one(&b, &msg) == 1 &&
	    msg.hdr.len == 4 && memcmp(msg.data, "abcd", 4) == 0,
	    "completed message returned");
	close(a.fd);
	a.fd = -1;
	CHECK(ipc_read(&b) == 0, "EOF seen");
	ipc_clear(&b);
	close(b.fd);
}

int
main(void)
{
	test_roundtrip();
	test_fd_passing();
	test_give();
	test_fd_types();
	test_bad_headers();
	return (unit_done());
}
