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
 * The sanitizer test build (make test-asan) only.  The sanitizer runtimes
 * do some things lazily that an engine may no longer do once it is in
 * its chroot and under seccomp: open the report file, start the
 * symbolizer, and check for leaks at exit (a tracer thread and ptrace).
 * The engine does the first two before it locks itself down, and has
 * its leaks checked once there instead of at exit; so does the parent
 * before its own filter (the check at exit runs a tracer the filter
 * would stop).  Leaks at exit are what make test-valgrind checks.
 */

#ifdef TEST_SANITIZE

#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>

#include "testhook.h"

void
testhook_presandbox(void)
{
	char	buf[256];

	/* opens "log_path.exe_name.pid" now: the file stays empty if fine */
	(void)__sanitizer_get_report_path();
	__sanitizer_symbolize_pc(__builtin_return_address(0), "%p %F %L",
	    buf, sizeof(buf));
	/* also turns off the check at exit, which the sandbox would kill */
	__lsan_do_leak_check();
}

#else

/* ISO C wants something in every translation unit */
extern int	testhook_none;

#endif
