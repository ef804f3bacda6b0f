# dotproxy - DNS to DNS-over-TLS proxy

PREFIX ?=	/usr/local
DESTDIR ?=
SBINDIR ?=	$(PREFIX)/sbin
MANDIR ?=	$(PREFIX)/share/man
EXAMPLEDIR ?=	$(PREFIX)/share/examples/dotproxy

CC ?=		cc
YACC ?=		yacc
PKGS =		libtls libcrypto libseccomp libevent libbsd-overlay

CFLAGS ?=	-O2 -g
CFLAGS +=	-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Iinclude -Ibuild \
		-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE \
		$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS +=	-pie -Wl,-z,relro,-z,now
LDLIBS =	$(shell pkg-config --libs $(PKGS) 2>/dev/null)

SRCS =		src/dotproxy.c src/parent.c src/engine.c src/listener.c \
		src/udp.c src/query.c src/clients.c src/cache.c src/siphash.c \
		src/upstream.c src/upconn.c \
		src/coalesce.c src/pin.c src/ratelimit.c src/handoff.c \
		src/report.c src/stats.c src/control.c src/metrics.c \
		src/oneshot.c \
		src/dns.c src/frame.c src/notify.c \
		src/ipc.c src/buffer.c src/log.c \
		src/config.c src/printconf.c src/sandbox.c
OBJS =		$(SRCS:src/%.c=build/%.o) build/parse.o
HDRS =		$(wildcard include/*.h)

TCFLAGS =	$(CFLAGS) -Iregress/unit

REGRESS_BIN =	build/test_dns build/test_config build/test_ipc build/test_cache \
		build/test_ratelimit build/test_coalesce build/test_clients \
		build/test_stats build/test_frame build/dotserver

.PHONY: all deps deps-test deps-bench deps-fuzz run test bench fuzz fuzz-build \
		unit e2e install clean lint

all: dotproxy dotproxy-probe dotproxyctl

dotproxy: $(OBJS)
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

build:
	@mkdir -p build

build/parse.c: src/parse.y | build
	$(YACC) -d -o $@ src/parse.y

build/parse.o: build/parse.c $(HDRS)
	$(CC) $(CFLAGS) -Wno-unused-but-set-variable -Wno-unused-function \
	    -Wno-sign-compare -Isrc -c -o $@ build/parse.c

build/%.o: src/%.c $(HDRS) | build
	$(CC) $(CFLAGS) -c -o $@ $<

# The set-up a fresh machine needs, as the README says.
deps:
	@sh regress/deps.sh build

deps-test:
	@sh regress/deps.sh test

deps-bench:
	@sh regress/deps.sh bench

deps-fuzz:
	@sh regress/deps.sh fuzz

# Runs in the foreground on the built-in defaults.
run: deps
	@$(MAKE) --no-print-directory dotproxy
	./dotproxy -d -v

build/test_dns: regress/unit/test_dns.c src/dns.c $(HDRS) | build
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_dns.c src/dns.c

build/test_frame: regress/unit/test_frame.c src/frame.c $(HDRS) | build
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_frame.c src/frame.c

build/test_cache: regress/unit/test_cache.c src/cache.c src/siphash.c \
    src/dns.c build/log.o $(HDRS) | build
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_cache.c src/cache.c \
	    src/siphash.c src/dns.c build/log.o $(LDLIBS)

build/test_coalesce: regress/unit/test_coalesce.c src/coalesce.c src/cache.c \
    src/siphash.c src/dns.c build/log.o $(HDRS) | build
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_coalesce.c src/coalesce.c \
	    src/cache.c src/siphash.c src/dns.c build/log.o $(LDLIBS)

build/test_config: regress/unit/test_config.c build/parse.o \
    build/config.o build/printconf.o build/log.o | build
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_config.c build/parse.o \
	    build/config.o build/printconf.o build/log.o $(LDLIBS)

build/test_ratelimit: regress/unit/test_ratelimit.c src/ratelimit.c \
    $(HDRS) | build
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_ratelimit.c src/ratelimit.c \
	    $(LDLIBS)

build/test_clients: regress/unit/test_clients.c src/clients.c \
    src/siphash.c build/log.o $(HDRS) | build
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_clients.c src/clients.c \
	    src/siphash.c build/log.o $(LDLIBS)

build/test_stats: regress/unit/test_stats.c src/stats.c $(HDRS) | build
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_stats.c src/stats.c $(LDLIBS)

build/test_ipc: regress/unit/test_ipc.c build/ipc.o | build
	$(CC) $(TCFLAGS) -o $@ regress/unit/test_ipc.c build/ipc.o

build/dotserver: regress/dotserver.c | build
	$(CC) $(CFLAGS) -o $@ regress/dotserver.c $(LDLIBS)

test: deps-test
	@$(MAKE) --no-print-directory dotproxy dotproxy-probe dotproxyctl \
	    $(REGRESS_BIN)
	@sh regress/run.sh

# dnsperf against dotproxy, the peers and the no-proxy reference; prints
# a table and writes it to build/bench.txt.  About four minutes.
bench: deps-bench
	@$(MAKE) --no-print-directory dotproxy
	@sh regress/bench.sh

# libFuzzer targets, built by clang with ASan and UBSan into build/fuzz
# so the gcc build stays as it is.  make fuzz runs each FUZZ_SECONDS.
FUZZ_CC ?=	clang
FUZZ_SECONDS ?=	60
FUZZ_CFLAGS =	-g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Iinclude \
		-Ibuild/fuzz -Iregress/fuzz \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_TARGETS =	query reply stream cache config ipc
FUZZ_BIN =	$(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_HDRS =	$(HDRS) regress/fuzz/fuzz.h

build/fuzz:
	@mkdir -p build/fuzz

build/fuzz/fuzz_query: regress/fuzz/fuzz_query.c src/dns.c $(FUZZ_HDRS) \
    | build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_query.c src/dns.c

build/fuzz/fuzz_reply: regress/fuzz/fuzz_reply.c src/dns.c $(FUZZ_HDRS) \
    | build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_reply.c src/dns.c

build/fuzz/fuzz_stream: regress/fuzz/fuzz_stream.c src/frame.c $(FUZZ_HDRS) \
    | build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_stream.c src/frame.c

build/fuzz/fuzz_cache: regress/fuzz/fuzz_cache.c src/cache.c src/siphash.c \
    src/dns.c src/log.c $(FUZZ_HDRS) | build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_cache.c src/cache.c \
	    src/siphash.c src/dns.c src/log.c $(LDLIBS)

build/fuzz/parse.c: src/parse.y | build/fuzz
	$(YACC) -d -o $@ src/parse.y

# The parser opens files through the target's fuzz_fopen, which keeps
# includes inside a scratch directory.
build/fuzz/parse.o: build/fuzz/parse.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-unused-but-set-variable \
	    -Wno-unused-function -Wno-sign-compare -Isrc -Dfopen=fuzz_fopen \
	    -c -o $@ build/fuzz/parse.c

build/fuzz/fuzz_config: regress/fuzz/fuzz_config.c build/fuzz/parse.o \
    src/config.c src/printconf.c src/log.c $(FUZZ_HDRS) | build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_config.c \
	    build/fuzz/parse.o src/config.c src/printconf.c src/log.c $(LDLIBS)

build/fuzz/fuzz_ipc: regress/fuzz/fuzz_ipc.c src/ipc.c $(FUZZ_HDRS) \
    | build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ regress/fuzz/fuzz_ipc.c src/ipc.c

fuzz-build: $(FUZZ_BIN)

# Every target FUZZ_SECONDS from its seeds in regress/fuzz/corpus; what
# it learns stays in build/fuzz/corpus.  Fails on any crash.
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh regress/fuzz/run.sh $(FUZZ_TARGETS)

lint:
	mandoc -Tlint -Wwarning man/dotproxy.8 man/dotproxyctl.8 \
	    dotproxy.conf.5

install: dotproxy dotproxy-probe dotproxyctl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(EXAMPLEDIR)
	install -m 0755 dotproxy $(DESTDIR)$(SBINDIR)/dotproxy
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
