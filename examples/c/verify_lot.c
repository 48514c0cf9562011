/* verify_lot: verify a lot's lineage through the retrace C API and print
 * the verdict, where its rare earths came from, and every finding.
 *
 *   verify_lot LEDGER_DIR LOT_ID [--json]
 *
 * Exit status: 0 valid, 1 findings, 2 could not verify. */
#include <stdio.h>
#include <string.h>

#include "retrace/c.h"

static int fail(const char* what, int rc) {
  fprintf(stderr, "verify_lot: %s: %s: %s\n", what, retrace_strerror(rc), retrace_last_error());
  return 2;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s LEDGER_DIR LOT_ID [--json]\n", argv[0]);
    return 2;
  }
  const char* dir = argv[1];
  const char* lot = argv[2];
  int json = argc > 3 && strcmp(argv[3], "--json") == 0;

  /* Read-only: a verifier never needs to write, and may run beside an
   * appending ERP process. */
  retrace_options* options = retrace_options_new();
  if (options == NULL) return fail("options", RETRACE_RESOURCE_EXHAUSTED);
  retrace_options_set_read_only(options, 1);
  retrace_ledger* ledger = NULL;
  int rc = retrace_ledger_open(options, dir, &ledger);
  retrace_options_free(options);
  if (rc != RETRACE_OK) return fail(dir, rc);

  retrace_report* report = NULL;
  rc = retrace_ledger_verify(ledger, lot, &report);
  if (rc != RETRACE_OK) {
    retrace_ledger_close(ledger);
    return fail(lot, rc);
  }

  if (json) {
    char* text = NULL;
    rc = retrace_report_json(report, &text, NULL);
    if (rc == RETRACE_OK) puts(text);
    retrace_free(text);
  } else {
    int valid = retrace_report_valid(report);
    printf("%s: %s (%llu records, %llu signatures checked at tree size %llu)\n", lot,
           valid ? "VALID" : "INVALID",
           (unsigned long long)retrace_report_records_checked(report),
           (unsigned long long)retrace_report_signatures_checked(report),
           (unsigned long long)retrace_report_tree_size(report));
    size_t n = retrace_report_origin_count(report);
    printf("origins (%zu):\n", n);
    for (size_t i = 0; i < n; ++i) {
      const char *origin, *mine, *site;
      uint64_t grams;
      uint32_t ppm;
      if (retrace_report_origin(report, i, &origin, &mine, &site, &grams, &ppm) != RETRACE_OK) break;
      printf("  %6.2f %%  %10.3f kg  %s, mined by %s at %s\n", ppm / 10000.0, grams / 1000.0,
             origin, mine, site);
    }
    size_t nf = retrace_report_finding_count(report);
    for (size_t i = 0; i < nf; ++i) {
      const char *code, *flot, *msg;
      uint64_t seq;
      if (retrace_report_finding(report, i, &code, &seq, &flot, &msg) != RETRACE_OK) break;
      printf("  finding [%s] record %llu %s: %s\n", code, (unsigned long long)seq, flot, msg);
    }
  }
  int valid = retrace_report_valid(report);
  retrace_report_free(report);
  retrace_ledger_close(ledger);
  return valid ? 0 : 1;
}
