/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal harness: every check prints one PASS:/FAIL: line (see tests/run.sh). */
#ifndef XVTEP_UNIT_H
#define XVTEP_UNIT_H

#include <stdio.h>

extern int unit_failed, unit_passed;

#define CHECK(cond, name, fmt, ...)                                              \
	({                                                                       \
		int __ok = !!(cond);                                             \
		if (__ok) {                                                      \
			unit_passed++;                                           \
			printf("PASS: unit: %s\n", name);                        \
		} else {                                                         \
			unit_failed++;                                           \
			printf("FAIL: unit: %s: " fmt "\n", name, ##__VA_ARGS__); \
		}                                                                \
		__ok;                                                            \
	})

#define CHECK_EQ(a, b, name)                                                     \
	CHECK((long long)(a) == (long long)(b), name, "%s = %lld, expected %lld", #a, \
	      (long long)(a), (long long)(b))

#endif
