/*
 * Tiny test harness shared by the unit tests: each CHECK prints one
 * "ok - ..." or "not ok - ..." line; main() returns unit_done(), which
 * prints "N passed, N failed" and is non-zero on any failure.
 */
#ifndef DOTPROXY_UNIT_H
#define DOTPROXY_UNIT_H

#include <stdio.h>

static int unit_pass, unit_fail;

#define CHECK(cond, desc) do {						\
	if (cond) {							\
		unit_pass++;						\
		printf("ok - %s\n", (desc));				\
	} else {							\
		unit_fail++;						\
		printf("not ok - %s (%s:%d: %s)\n", (desc), __FILE__,	\
		    __LINE__, #cond);					\
	}								\
} while (0)

static inline int
unit_done(void)
{
	printf("%d passed, %d failed\n", unit_pass, unit_fail);
	return (unit_fail != 0);
}

#endif /* DOTPROXY_UNIT_H */
