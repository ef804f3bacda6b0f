# dotproxy - DNS to DNS-over-TLS proxy

PREFIX ?=	/usr/local
DESTDIR ?=
SBINDIR ?=	$(PREFIX)/sbin
MANDIR ?=	$(PREFIX)/share/man
EXAMPLEDIR ?=	$(PREFIX)/share/examples/dotproxy

CC ?=		cc
YACC ?=		yacc
PKGS =		libtls libcrypto libseccomp libcap-ng libevent libbsd-overlay

# BUILD holds the objects and test programs, PROG is the daemon: the
# sanitizer and valgrind test builds (below) get a tree of their own.
# TESTFLAGS is for those test builds only, never for a production binary.
BUILD ?=	build
PROG ?=		dotproxy
TESTFLAGS ?=

CFLAGS ?=	-O2 -g
CFLAGS +=	-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Iinclude -I$(BUILD) \
		-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE \
		$(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(TESTFLAGS)
LDFLAGS +=	-pie -Wl,-z,relro,-z,now $(TESTFLAGS)
LDLIBS =	$(shell pkg-config --libs $(PKGS) 2>/dev/null)

SRCS =		src/dotproxy.c src/parent.c src/engine.c src/tcp.c src/admit.c \
		src/udp.c src/query.c src/clients.c src/clientshm.c src/cache.c \
		src/siphash.c \
		src/upstream.c src/upconn.c src/tlsio.c src/plainconn.c \
		src/coalesce.c src/pin.c src/ratelimit.c src/handoff.c \
		src/report.c src/stats.c src/statsum.c src/control.c src/metrics.c \
		src/proc.c src/sockets.c src/confload.c \
		src/oneshot.c src/ctlreq.c src/httpreq.c \
		src/dns.c src/frame.c src/notify.c src/clock.c src/uplink.c \
		src/ipc.c src/buffer.c src/log.c \
		src/config.c src/printconf.c src/sandbox.c src/parentsandbox.c \
		src/testhook.c src/zone.c src/steer.c src/inbox.c src/inboxes.c \
		src/relayin.c src/relayout.c
OBJS =		$(SRCS:src/%.c=$(BUILD)/%.o) $(BUILD)/parse.o
HDRS =		$(wildcard include/*.h)

TCFLAGS =	$(CFLAGS) -Iregress/unit

REGRESS_BIN =	$(BUILD)/test_dns $(BUILD)/test_config $(BUILD)/test_ipc $(BUILD)/test_cache \
		$(BUILD)/test_ratelimit $(BUILD)/test_coalesce $(BUILD)/test_clients \
		$(BUILD)/test_stats $(BUILD)/test_frame $(BUILD)/test_proc \
		$(BUILD)/test_upconn $(BUILD)/test_plainconn $(BUILD)/test_query \
		$(BUILD)/test_zone $(BUILD)/test_steer \
		$(BUILD)/dotserver

.PHONY: all deps deps-test deps-bench deps-fuzz deps-sanitize run testprogs \
		test test-asan test-valgrind bench chaos fuzz fuzz-build unit e2e install \
		clean lint

all: dotproxy dotproxy-probe dotproxyctl

$(PROG): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

# The probes' DNS client for images without one: the C library only,
# so none of the libraries' flags (libbsd's overlay renames getopt).
PROBE_CFLAGS =	-O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra \
		-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE

dotproxy-probe: src/probe.c
	$(CC) $(PROBE_CFLAGS) $(LDFLAGS) -o $@ src/probe.c

# The control client: the C library only, like the probe.
dotproxyctl: src/dotproxyctl.c
	$(CC) $(PROBE_CFLAGS) $(LDFLAGS) -o $@ src/dotproxyctl.c

$(BUILD):
	@mkdir -p $(BUILD)

$(BUILD)/parse.c: src/parse.y | $(BUILD)
	$(YACC) -d -o $@ src/parse.y

$(BUILD)/parse.o: $(BUILD)/parse.c $(HDRS)
	$(CC) $(CFLAGS) -Wno-unused-but-set-variable -Wno-unused-function \
	    -Wno-sign-compare -Isrc -c -o $@ $(BUILD)/parse.c

$(BUILD)/%.o: src/%.c $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

# The set-up a fresh machine needs, as the README says.
deps:
	@sh regress/deps.sh build

deps-test:
	@sh regress/deps.sh test

deps-bench:
	@sh regress/deps.sh bench

deps-sanitize:
	@sh regress/deps.sh sanitize

deps-fuzz:
	@sh regress/deps.sh fuzz

# Runs in the foreground on the built-in defaults.
run: deps
	@$(MAKE) --no-print-directory dotproxy
	./dotproxy -d -v

$(BUILD)/test_dns: regress/unit/test_dns.c src/dns.c $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_dns.c src/dns.c

$(BUILD)/test_zone: regress/unit/test_zone.c src/zone.c src/dns.c \
    $(BUILD)/log.o $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_zone.c src/zone.c src/dns.c \
	    $(BUILD)/log.o $(LDLIBS)

$(BUILD)/test_frame: regress/unit/test_frame.c src/frame.c src/buffer.c \
		$(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_frame.c src/frame.c src/buffer.c

CSHM_OBJS =	$(BUILD)/clientshm.o $(BUILD)/siphash.o $(BUILD)/ipc.o \
		$(BUILD)/log.o

$(BUILD)/test_cache: regress/unit/test_cache.c src/cache.c src/dns.c \
    $(CSHM_OBJS) $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_cache.c src/cache.c \
	    src/dns.c $(CSHM_OBJS) $(LDLIBS)

$(BUILD)/test_coalesce: regress/unit/test_coalesce.c src/coalesce.c src/cache.c \
    src/dns.c src/clock.c regress/unit/peer.c $(CSHM_OBJS) \
    $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_coalesce.c src/coalesce.c \
	    src/cache.c src/dns.c src/clock.c regress/unit/peer.c \
	    $(CSHM_OBJS) $(LDLIBS)

$(BUILD)/test_config: regress/unit/test_config.c $(BUILD)/parse.o \
    $(BUILD)/config.o $(BUILD)/printconf.o $(BUILD)/zone.o $(BUILD)/dns.o \
    $(BUILD)/log.o | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_config.c $(BUILD)/parse.o \
	    $(BUILD)/config.o $(BUILD)/printconf.o $(BUILD)/zone.o \
	    $(BUILD)/dns.o $(BUILD)/log.o $(LDLIBS)

$(BUILD)/test_ratelimit: regress/unit/test_ratelimit.c src/ratelimit.c \
    regress/unit/shmengine.h $(CSHM_OBJS) $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_ratelimit.c src/ratelimit.c \
	    $(CSHM_OBJS) $(LDLIBS)

$(BUILD)/test_clients: regress/unit/test_clients.c src/clients.c \
    regress/unit/shmengine.h $(CSHM_OBJS) $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_clients.c src/clients.c \
	    $(CSHM_OBJS) $(LDLIBS)

$(BUILD)/test_steer: regress/unit/test_steer.c src/steer.c $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_steer.c src/steer.c $(LDLIBS)

$(BUILD)/test_stats: regress/unit/test_stats.c src/stats.c $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_stats.c src/stats.c $(LDLIBS)

$(BUILD)/test_proc: regress/unit/test_proc.c $(BUILD)/proc.o $(BUILD)/ipc.o \
		$(BUILD)/log.o $(BUILD)/clock.o | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_proc.c $(BUILD)/proc.o \
	    $(BUILD)/ipc.o $(BUILD)/log.o $(BUILD)/clock.o $(LDLIBS)

# Over a real TLS connection to dotserver (regress/unit/peer.c): the
# connection alone, with the test as the module above it.
UPCONN_SRCS =	src/upconn.c src/tlsio.c src/pin.c src/dns.c src/buffer.c src/frame.c \
		src/clock.c regress/unit/peer.c

$(BUILD)/test_upconn: regress/unit/test_upconn.c $(UPCONN_SRCS) \
    regress/unit/peer.h $(BUILD)/config.o $(BUILD)/log.o $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_upconn.c $(UPCONN_SRCS) \
	    $(BUILD)/config.o $(BUILD)/log.o $(LDLIBS)

# A cleartext upstream's transport against dotserver -u: the test is
# the module above it.
PLAIN_SRCS =	src/plainconn.c src/dns.c src/buffer.c src/frame.c src/clock.c \
		regress/unit/peer.c

$(BUILD)/test_plainconn: regress/unit/test_plainconn.c $(PLAIN_SRCS) \
    regress/unit/peer.h $(BUILD)/config.o $(BUILD)/log.o $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_plainconn.c $(PLAIN_SRCS) \
	    $(BUILD)/config.o $(BUILD)/log.o $(LDLIBS)

# The query owner with the real modules around it, from admission to the
# upstream connections, the test as its frontend.
QUERY_SRCS =	src/query.c src/admit.c src/coalesce.c src/cache.c \
		src/siphash.c src/upstream.c src/clients.c src/clientshm.c \
		src/ratelimit.c \
		src/report.c src/uplink.c src/ipc.c src/stats.c src/plainconn.c \
		src/zone.c src/relayout.c src/inbox.c src/steer.c \
		$(UPCONN_SRCS)

$(BUILD)/test_query: regress/unit/test_query.c $(QUERY_SRCS) \
    regress/unit/peer.h $(BUILD)/config.o $(BUILD)/log.o $(HDRS) | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_query.c $(QUERY_SRCS) \
	    $(BUILD)/config.o $(BUILD)/log.o $(LDLIBS)

$(BUILD)/test_ipc: regress/unit/test_ipc.c $(BUILD)/ipc.o | $(BUILD)
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_ipc.c $(BUILD)/ipc.o

$(BUILD)/dotserver: regress/dotserver.c | $(BUILD)
	$(CC) $(CFLAGS) -o $@ regress/dotserver.c $(LDLIBS)

testprogs: $(PROG) $(REGRESS_BIN)

test: deps-test
	@$(MAKE) --no-print-directory dotproxy dotproxy-probe dotproxyctl \
	    $(REGRESS_BIN)
	@sh regress/run.sh

# The whole suite against AddressSanitizer + UndefinedBehaviorSanitizer
# (about 6 minutes on 2 cores), and the end-to-end tests with the daemon
# and its engines under valgrind (about 16 minutes).  Each test build has
# a tree of its own; regress/memcheck.sh says what fails the run.
ASAN_FLAGS =	-fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -U_FORTIFY_SOURCE -DTEST_SANITIZE \
		-Wno-missing-field-initializers
VALGRIND ?=	/usr/bin/valgrind

# Both build the production binaries too: the container tests put them
# in the image, and the probe and control client tests run them.
test-asan: deps-sanitize
	@$(MAKE) --no-print-directory dotproxy dotproxy-probe dotproxyctl
	@$(MAKE) --no-print-directory CC=clang BUILD=build/asan \
	    PROG=build/asan/dotproxy TESTFLAGS="$(ASAN_FLAGS)" testprogs
	@sh regress/memcheck.sh asan

test-valgrind: deps-sanitize
	@$(MAKE) --no-print-directory dotproxy dotproxy-probe dotproxyctl
	@$(MAKE) --no-print-directory BUILD=build/valgrind \
	    PROG=build/valgrind/dotproxy \
	    TESTFLAGS='-DTEST_VALGRIND=\"$(VALGRIND)\"' testprogs
	@sh regress/memcheck.sh valgrind

# dnsperf against dotproxy, the peers and the no-proxy reference; prints
# a table and writes it to build/bench.txt.  About eleven minutes.
bench: deps-bench
	@$(MAKE) --no-print-directory dotproxy
	@sh regress/bench.sh

# The soak run of upstreams that end connections at random (regress/
# chaos.sh): 100,000 queries through a calm and a chaotic upstream, the
# SERVFAILs, retries and p99 of each; writes build/chaos.txt.  About two
# minutes.
chaos: deps-test
	@$(MAKE) --no-print-directory dotproxy dotproxyctl $(BUILD)/dotserver
	@sh regress/chaos.sh

# libFuzzer targets, built by clang with ASan and UBSan into $(BUILD)/fuzz
# so the gcc build stays as it is.  make fuzz runs each FUZZ_SECONDS.
FUZZ_CC ?=	clang
FUZZ_SECONDS ?=	30
FUZZ_CFLAGS =	-g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Iinclude \
		-I$(BUILD)/fuzz -Iregress/fuzz \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_TARGETS =	query reply stream cache config ipc control metrics stats
FUZZ_BIN =	$(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_HDRS =	$(HDRS) regress/fuzz/fuzz.h

$(BUILD)/fuzz:
	@mkdir -p $(BUILD)/fuzz

$(BUILD)/fuzz/fuzz_query: regress/fuzz/fuzz_query.c src/dns.c $(FUZZ_HDRS) \
    | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_query.c src/dns.c

$(BUILD)/fuzz/fuzz_reply: regress/fuzz/fuzz_reply.c src/dns.c $(FUZZ_HDRS) \
    | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_reply.c src/dns.c

$(BUILD)/fuzz/fuzz_stream: regress/fuzz/fuzz_stream.c src/frame.c $(FUZZ_HDRS) \
    | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_stream.c src/frame.c \
	    src/buffer.c

$(BUILD)/fuzz/fuzz_cache: regress/fuzz/fuzz_cache.c src/cache.c src/siphash.c \
    src/dns.c src/log.c src/clientshm.c src/ipc.c $(FUZZ_HDRS) | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_cache.c src/cache.c \
	    src/siphash.c src/dns.c src/log.c src/clientshm.c src/ipc.c \
	    $(LDLIBS)

$(BUILD)/fuzz/parse.c: src/parse.y | $(BUILD)/fuzz
	$(YACC) -d -o $@ src/parse.y

# The parser opens files through the target's fuzz_fopen, which keeps
# includes inside a scratch directory.
$(BUILD)/fuzz/parse.o: $(BUILD)/fuzz/parse.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-unused-but-set-variable \
	    -Wno-unused-function -Wno-sign-compare -Isrc -Dfopen=fuzz_fopen \
	    -c -o $@ $(BUILD)/fuzz/parse.c

$(BUILD)/fuzz/fuzz_config: regress/fuzz/fuzz_config.c $(BUILD)/fuzz/parse.o \
    src/config.c src/printconf.c src/zone.c src/dns.c src/log.c $(FUZZ_HDRS) \
    | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_config.c \
	    $(BUILD)/fuzz/parse.o src/config.c src/printconf.c src/zone.c \
	    src/dns.c src/log.c $(LDLIBS)

$(BUILD)/fuzz/fuzz_ipc: regress/fuzz/fuzz_ipc.c src/ipc.c $(FUZZ_HDRS) \
    | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_ipc.c src/ipc.c

$(BUILD)/fuzz/fuzz_control: regress/fuzz/fuzz_control.c src/ctlreq.c \
    $(FUZZ_HDRS) | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_control.c src/ctlreq.c \
	    $(LDLIBS)

$(BUILD)/fuzz/fuzz_metrics: regress/fuzz/fuzz_metrics.c src/httpreq.c \
    $(FUZZ_HDRS) | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_metrics.c src/httpreq.c

$(BUILD)/fuzz/fuzz_stats: regress/fuzz/fuzz_stats.c src/stats.c $(FUZZ_HDRS) \
    | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_stats.c src/stats.c \
	    $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

# Every target FUZZ_SECONDS from its seeds in regress/fuzz/corpus; what
# it learns stays in $(BUILD)/fuzz/corpus.  Fails on any crash.
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh regress/fuzz/run.sh $(FUZZ_TARGETS)

lint:
	mandoc -Tlint -Wwarning man/dotproxy.8 man/dotproxyctl.8 \
	    dotproxy.conf.5

install: $(PROG) dotproxy-probe dotproxyctl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(EXAMPLEDIR)
	install -m 0755 $(PROG) $(DESTDIR)$(SBINDIR)/dotproxy
	install -m 0755 dotproxy-probe $(DESTDIR)$(SBINDIR)/dotproxy-probe
	install -m 0755 dotproxyctl $(DESTDIR)$(SBINDIR)/dotproxyctl
	install -m 0644 man/dotproxyctl.8 $(DESTDIR)$(MANDIR)/man8/dotproxyctl.8
	install -m 0644 man/dotproxy.8 $(DESTDIR)$(MANDIR)/man8/dotproxy.8
	install -m 0644 dotproxy.conf.5 $(DESTDIR)$(MANDIR)/man5/dotproxy.conf.5
	install -m 0644 etc/dotproxy.conf $(DESTDIR)$(EXAMPLEDIR)/dotproxy.conf
	install -m 0644 etc/dotproxy.service $(DESTDIR)$(EXAMPLEDIR)/dotproxy.service
	install -m 0755 etc/dotproxy.rc $(DESTDIR)$(EXAMPLEDIR)/dotproxy.rc
	install -m 0755 etc/dotproxy.openrc $(DESTDIR)$(EXAMPLEDIR)/dotproxy.openrc

clean:
	rm -rf build dotproxy dotproxy-probe dotproxyctl
