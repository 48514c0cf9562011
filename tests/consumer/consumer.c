/* Uses the installed C API: generate keys, create a ledger, append, verify. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrace/c.h"

int main(void) {
  char dir[] = "/tmp/retrace-consumer-c-XXXXXX";
  char path[64];
  if (mkdtemp(dir) == NULL) return 2;
  snprintf(path, sizeof path, "%s/ledger", dir);
  retrace_signer *root = NULL, *mine = NULL;
  retrace_public_key* pk = NULL;
  retrace_ledger* l = NULL;
  retrace_report* r = NULL;
  const char* grant =
      "{\"actorId\":\"regulator\",\"quotaGranted\":{\"actorId\":\"mine-1\",\"year\":2026,"
      "\"kind\":\"QUOTA_MINING_ROCK\",\"reoG\":\"1000000\"}}";
  const char* ev =
      "{\"actorId\":\"mine-1\",\"time\":\"2026-03-02T08:00:00Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"ORE-1\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":\"1000\"},"
      "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}";
  int rc = retrace_signer_generate("ed25519", &root);
  if (rc == RETRACE_OK) rc = retrace_signer_generate("sm2", &mine);
  if (rc == RETRACE_OK) rc = retrace_signer_public_key(mine, &pk);
  if (rc == RETRACE_OK) rc = retrace_ledger_create(NULL, path, "consumer-c", root, NULL, &l);
  if (rc == RETRACE_OK)
    rc = retrace_ledger_register_actor(l, root, NULL, "mine-1", "mine", "Mine", pk, "LIC-1", NULL, NULL);
  if (rc == RETRACE_OK) rc = retrace_ledger_append_json(l, root, grant, strlen(grant), NULL, NULL);
  if (rc == RETRACE_OK) rc = retrace_ledger_append_json(l, mine, ev, strlen(ev), NULL, NULL);
  if (rc == RETRACE_OK) rc = retrace_ledger_verify(l, "ORE-1", &r);
  int ok = rc == RETRACE_OK && retrace_report_valid(r);
  if (rc != RETRACE_OK) fprintf(stderr, "%s: %s\n", retrace_strerror(rc), retrace_last_error());
  printf("consumer_c (retrace %s): %s\n", retrace_version(), ok ? "ORE-1 verified" : "FAILED");
  retrace_report_free(r);
  retrace_ledger_close(l);
  retrace_public_key_free(pk);
  retrace_signer_free(mine);
  retrace_signer_free(root);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return 1;
  return ok ? 0 : 1;
}
