/* verify_bundle: what a customs office or a buyer runs on a lineage bundle
 * it received with a shipment -- no ledger, no network, only the C API and
 * three public trust anchors from the ledger's operator.
 *
 *   verify_bundle BUNDLE ROOT_KEY.pem LOG_KEY.vkey [WITNESS.vkey ... --quorum N]
 *
 * BUNDLE is what `retrace prove` or retrace_ledger_prove_lot wrote; ROOT_KEY
 * the ledger's root (regulator) public key; LOG_KEY the log's checkpoint
 * verifier key line (`retrace note-keygen`). Witness keys and a quorum are
 * optional. Exit status: 0 valid, 1 findings, 2 could not verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrace/c.h"

static int fail(const char* what, int rc) {
  fprintf(stderr, "verify_bundle: %s: %s: %s\n", what, retrace_strerror(rc), retrace_last_error());
  return 2;
}

/* The whole file, NUL-terminated; *len without the NUL. NULL on error. */
static char* slurp(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  char* buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (cap - n < 4096) {
      char* grown = realloc(buf, cap += 65536);
      if (grown == NULL) break;
      buf = grown;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  int bad = ferror(f) || buf == NULL;
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* A verifier key file holds one line. */
static int load_note_key(const char* path, retrace_note_verifier** out) {
  size_t len = 0;
  char* line = slurp(path, &len);
  if (line == NULL) {
    fprintf(stderr, "verify_bundle: cannot read %s\n", path);
    return RETRACE_IO_ERROR;
  }
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
  int rc = retrace_note_verifier_parse(line, out);
  free(line);
  return rc;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s BUNDLE ROOT_KEY.pem LOG_KEY.vkey [WITNESS.vkey ... --quorum N]\n",
            argv[0]);
    return 2;
  }
  size_t bundle_len = 0;
  char* bundle = slurp(argv[1], &bundle_len);
  if (bundle == NULL) {
    fprintf(stderr, "verify_bundle: cannot read %s\n", argv[1]);
    return 2;
  }
  retrace_public_key* root = NULL;
  retrace_note_verifier* log = NULL;
  retrace_note_verifier* witnesses[16];
  size_t n_witnesses = 0, quorum = 0;
  int status = 2, rc;
  if ((rc = retrace_public_key_load(argv[2], &root)) != RETRACE_OK) {
    status = fail(argv[2], rc);
    goto done;
  }
  if ((rc = load_note_key(argv[3], &log)) != RETRACE_OK) {
    status = fail(argv[3], rc);
    goto done;
  }
  for (int i = 4; i < argc; ++i) {
    if (strcmp(argv[i], "--quorum") == 0 && i + 1 < argc) {
      quorum = (size_t)strtoul(argv[++i], NULL, 10);
    } else if (n_witnesses < sizeof witnesses / sizeof witnesses[0]) {
      if ((rc = load_note_key(argv[i], &witnesses[n_witnesses])) != RETRACE_OK) {
        status = fail(argv[i], rc);
        goto done;
      }
      ++n_witnesses;
    }
  }

  retrace_report* report = NULL;
  rc = retrace_bundle_verify((const uint8_t*)bundle, bundle_len, root, log,
                             (const retrace_note_verifier* const*)witnesses, n_witnesses, quorum,
                             &report);
  if (rc != RETRACE_OK) {
    status = fail(argv[1], rc);
    goto done;
  }
  int valid = retrace_report_valid(report);
  printf("%s: %s (%zu-byte bundle, %llu records and signatures checked, log size %llu)\n",
         retrace_report_lot_id(report), valid ? "VALID" : "INVALID", bundle_len,
         (unsigned long long)retrace_report_records_checked(report),
         (unsigned long long)retrace_report_tree_size(report));
  for (size_t i = 0; i < retrace_report_origin_count(report); ++i) {
    const char *origin, *mine, *site;
    uint32_t ppm;
    if (retrace_report_origin(report, i, &origin, &mine, &site, NULL, &ppm) != RETRACE_OK) break;
    printf("  %6.2f %%  %s, from %s at %s\n", ppm / 10000.0, origin, mine, site);
  }
  for (size_t i = 0; i < retrace_report_finding_count(report); ++i) {
    const char *code, *lot, *msg;
    uint64_t seq;
    if (retrace_report_finding(report, i, &code, &seq, &lot, &msg) != RETRACE_OK) break;
    printf("  finding [%s] record %llu %s: %s\n", code, (unsigned long long)seq, lot, msg);
  }
  retrace_report_free(report);
  status = valid ? 0 : 1;

done:
  for (size_t i = 0; i < n_witnesses; ++i) retrace_note_verifier_free(witnesses[i]);
  retrace_note_verifier_free(log);
  retrace_public_key_free(root);
  free(bundle);
  return status;
}
