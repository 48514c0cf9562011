/* The publishing entry points of the C API, from C11 against the shared
 * library: publish a ledger, mirror it from the directory, republish in
 * the background, the flow report; NULL arguments and a wrong key are
 * errors, never crashes. Prints "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "retrace/c.h"
#include "testing/capi_check.h"


int main(void) {
  char dir[] = "/tmp/retrace-capi-publish-XXXXXX";
  if (mkdtemp(dir) == NULL) return 2;
  char path[512], www[512], mirror[512];
  snprintf(path, sizeof path, "%s/ledger", dir);
  snprintf(www, sizeof www, "%s/www", dir);
  snprintf(mirror, sizeof mirror, "%s/mirror", dir);

  retrace_options* opts = retrace_options_new();
  retrace_options_set_sync(opts, 0);
  retrace_signer* root = NULL;
  CHECK(retrace_signer_generate("ed25519", &root) == RETRACE_OK);
  retrace_ledger* ledger = NULL;
  CHECK(retrace_ledger_create(opts, path, "capi-ledger", root, NULL, &ledger) == RETRACE_OK);
  retrace_note_signer* log = NULL;
  CHECK(retrace_note_signer_generate("capi-ledger", "ed25519", &log) == RETRACE_OK);
  char* vkey = NULL;
  CHECK(retrace_note_signer_verifier_key(log, &vkey, NULL) == RETRACE_OK);
  retrace_note_verifier* verifier = NULL;
  CHECK(retrace_note_verifier_parse(vkey, &verifier) == RETRACE_OK);

  /* Nothing to publish without a checkpoint or a key. */
  CHECK(retrace_ledger_publish(ledger, www, NULL, 0, NULL, NULL) == RETRACE_FAILED_PRECONDITION);
  char* json = NULL;
  CHECK(retrace_ledger_publish(ledger, www, log, 0, &json, NULL) == RETRACE_OK);
  CHECK(json != NULL && strstr(json, "\"schema\":\"retrace.publish/v1\"") != NULL);
  CHECK(json != NULL && strstr(json, "\"size\":1") != NULL);
  retrace_free(json);
  CHECK(retrace_ledger_publish(NULL, www, log, 0, NULL, NULL) == RETRACE_INVALID_ARGUMENT);

  size_t findings = 99;
  json = NULL;
  CHECK(retrace_mirror(www, mirror, verifier, NULL, 0, 0, &findings, &json, NULL) == RETRACE_OK);
  CHECK(findings == 0);
  CHECK(json != NULL && strstr(json, "\"new_size\":1") != NULL);
  retrace_free(json);
  CHECK(retrace_mirror(www, mirror, NULL, NULL, 0, 0, NULL, NULL, NULL) == RETRACE_INVALID_ARGUMENT);
  /* A checkpoint the key does not verify. */
  retrace_note_signer* other = NULL;
  char* other_key = NULL;
  retrace_note_verifier* other_verifier = NULL;
  CHECK(retrace_note_signer_generate("capi-ledger", "ed25519", &other) == RETRACE_OK);
  CHECK(retrace_note_signer_verifier_key(other, &other_key, NULL) == RETRACE_OK);
  CHECK(retrace_note_verifier_parse(other_key, &other_verifier) == RETRACE_OK);
  CHECK(retrace_mirror(www, mirror, other_verifier, NULL, 0, 0, NULL, NULL, NULL) ==
        RETRACE_VERIFICATION_FAILED);

  /* A background publisher: published at once. */
  retrace_publisher* pub = NULL;
  CHECK(retrace_publisher_start(ledger, www, log, 50, &pub) == RETRACE_OK);
  uint64_t size = 0;
  CHECK(retrace_publisher_status(pub, &size) == RETRACE_OK);
  CHECK(size == 1);
  retrace_publisher_notify(pub);
  retrace_publisher_free(pub);
  retrace_publisher_free(NULL);

  /* The flow report of a ledger with a checkpoint, signed. */
  const retrace_ledger* ls[1] = {ledger};
  char* report = NULL;
  char* signature = NULL;
  findings = 99;
  CHECK(retrace_flow_report(ls, 1, "2026-11", "json", log, &findings, &report, &signature) ==
        RETRACE_OK);
  CHECK(findings == 0);
  CHECK(report != NULL && strstr(report, "retrace.flow-report/v1") != NULL);
  CHECK(signature != NULL && strstr(signature, "month 2026-11") != NULL);
  retrace_free(report);
  retrace_free(signature);
  report = NULL;
  CHECK(retrace_flow_report(ls, 1, "2026-11", "pdf", NULL, NULL, &report, NULL) ==
        RETRACE_INVALID_ARGUMENT);
  CHECK(retrace_flow_report(ls, 1, "November", "text", NULL, NULL, &report, NULL) ==
        RETRACE_INVALID_ARGUMENT);

  /* No witness reachable: the quorum of 1 is not met, nothing breaks. */
  const char* urls[1] = {"http://127.0.0.1:9"};
  const retrace_note_verifier* keys[1] = {other_verifier};
  size_t cosigned = 99;
  CHECK(retrace_ledger_checkpoint_gather(ledger, urls, keys, 1, 1, 2000, &cosigned, NULL, NULL) ==
        RETRACE_VERIFICATION_FAILED);

  retrace_free(vkey);
  retrace_free(other_key);
  retrace_note_verifier_free(verifier);
  retrace_note_verifier_free(other_verifier);
  retrace_note_signer_free(log);
  retrace_note_signer_free(other);
  retrace_ledger_close(ledger);
  retrace_signer_free(root);
  retrace_options_free(opts);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_summary();
}
