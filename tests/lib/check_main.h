/* The main() of every Check test program: run one suite, exit 0 only
 * when every test of it passed (automake reads the exit status; the
 * per-check counts are in the .log). */
#ifndef NET_TESTS_CHECK_MAIN_H_
#define NET_TESTS_CHECK_MAIN_H_

#include <check.h>
#include <stdlib.h>

/* Run @p suite (taking it over) with Check's normal output; EXIT_SUCCESS
   or EXIT_FAILURE. */
static inline int net_check_run(Suite *suite)
{
  SRunner *sr = srunner_create(suite);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
