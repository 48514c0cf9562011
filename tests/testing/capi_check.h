/* Checks for the C API tests (C11, nothing but retrace/c.h and libc): a
 * failed CHECK prints where and the thread's last retrace error and counts,
 * and the test goes on; check_summary() prints "N passed, M failed" and
 * gives the exit status. One instance per test program (static state). */
#ifndef RETRACE_TESTS_TESTING_CAPI_CHECK_H_
#define RETRACE_TESTS_TESTING_CAPI_CHECK_H_

#include <stdio.h>
#include <string.h>

#include "retrace/c.h"

static int g_passed, g_failed;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (cond) {                                                              \
      ++g_passed;                                                            \
    } else {                                                                 \
      ++g_failed;                                                            \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, \
              __LINE__, #cond, retrace_last_error());                        \
    }                                                                        \
  } while (0)

#define CHECK_RC(call, want) CHECK((call) == (want))

/* NULL-safe, so a failed call cannot crash the checks that follow it. */
static inline int contains(const char* hay, const char* needle) {
  return hay != NULL && strstr(hay, needle) != NULL;
}
static inline int streq(const char* a, const char* b) { return a != NULL && strcmp(a, b) == 0; }

/* Prints the tally; the exit status of the test program. */
static inline int check_summary(void) {
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

#endif /* RETRACE_TESTS_TESTING_CAPI_CHECK_H_ */
