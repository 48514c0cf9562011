/* The registry of stage 3 from C11, using nothing but retrace/c.h: the
 * regulator's registry ledger registers a mine and grants its quota, signs
 * a checkpoint; the mine's ledger, bound to the registry at creation,
 * imports both records with retrace_ledger_import_registry (once: a second
 * call finds nothing new), and the mine's extraction verifies, its report
 * naming the registry checkpoint (docs/federation.md, "The registry").
 *
 * Prints "N passed, M failed" and exits non-zero on any failure. */
#include <stdlib.h>
#include <string.h>

#include "testing/capi_check.h"

static uint64_t size_of(const retrace_ledger* l) {
  uint64_t n = 0;
  retrace_ledger_size(l, &n, NULL);
  return n;
}

/* The 32 hex digits of "ledger_id" in a retrace_ledger_info_json answer. */
static void ledger_id_of(const retrace_ledger* l, char out[33]) {
  char* json = NULL;
  out[0] = '\0';
  if (retrace_ledger_info_json(l, &json, NULL) != RETRACE_OK) return;
  const char* at = strstr(json, "\"ledger_id\"");
  if (at != NULL) at = strchr(at + 11, '"');
  if (at != NULL && strlen(at) > 33) {
    memcpy(out, at + 1, 32);
    out[32] = '\0';
  }
  retrace_free(json);
}

int main(void) {
  char dir[256], reg_dir[300], mine_dir[300], plain_dir[300];
  snprintf(dir, sizeof dir, "%s/retrace-capi-reg-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  snprintf(reg_dir, sizeof reg_dir, "%s/registry", dir);
  snprintf(mine_dir, sizeof mine_dir, "%s/mine", dir);
  snprintf(plain_dir, sizeof plain_dir, "%s/plain", dir);

  retrace_signer *root = NULL, *mine = NULL;
  retrace_public_key* mine_pub = NULL;
  retrace_options* opts = retrace_options_new();
  retrace_options_set_sync(opts, 0);
  CHECK(retrace_signer_generate("ed25519", &root) == RETRACE_OK);
  CHECK(retrace_signer_generate("ed25519", &mine) == RETRACE_OK);
  CHECK(retrace_signer_public_key(mine, &mine_pub) == RETRACE_OK);

  /* The registry: a registration and a grant, and a checkpoint (no
   * witnesses in this binding). */
  retrace_ledger *reg = NULL, *ml = NULL, *pl = NULL;
  CHECK(retrace_ledger_create(opts, reg_dir, "registry", root, NULL, &reg) == RETRACE_OK);
  CHECK(retrace_ledger_register_actor(reg, root, NULL, "mine-1", "mine", "Mine One", mine_pub,
                                      "LIC-1", "CN", NULL) == RETRACE_OK);
  const char* grant =
      "{\"actorId\":\"regulator\",\"quotaGranted\":{\"actorId\":\"mine-1\",\"year\":2026,"
      "\"kind\":\"QUOTA_MINING_ROCK\",\"reoG\":\"1000000000\"}}";
  CHECK(retrace_ledger_append_json(reg, root, grant, strlen(grant), NULL, NULL) == RETRACE_OK);
  retrace_note_signer* log = NULL;
  char *vkey = NULL, *note = NULL;
  CHECK(retrace_note_signer_generate("registry", "ed25519", &log) == RETRACE_OK);
  CHECK(retrace_note_signer_verifier_key(log, &vkey, NULL) == RETRACE_OK);
  CHECK(retrace_ledger_checkpoint_sign(reg, log, &note, NULL) == RETRACE_OK);
  char reg_id[33];
  ledger_id_of(reg, reg_id);
  CHECK(strlen(reg_id) == 32);

  /* The mine's ledger, bound to the registry; and an unbound one. */
  CHECK(retrace_options_set_registry(NULL, vkey, NULL, 0, 0, reg_id) == RETRACE_INVALID_ARGUMENT);
  CHECK(retrace_options_set_registry(opts, vkey, NULL, 1, 0, reg_id) == RETRACE_INVALID_ARGUMENT);
  CHECK(retrace_options_set_registry(opts, vkey, NULL, 0, 1, reg_id) == RETRACE_OK);
  CHECK(retrace_ledger_create(opts, mine_dir, "mine-ledger", root, NULL, &ml) ==
        RETRACE_INVALID_ARGUMENT); /* a quorum of one with no witness */
  CHECK(retrace_options_set_registry(opts, vkey, NULL, 0, 0, reg_id) == RETRACE_OK);
  CHECK(retrace_ledger_create(opts, mine_dir, "mine-ledger", root, NULL, &ml) == RETRACE_OK);
  retrace_options* plain_opts = retrace_options_new();
  retrace_options_set_sync(plain_opts, 0);
  CHECK(retrace_ledger_create(plain_opts, plain_dir, "plain", root, NULL, &pl) == RETRACE_OK);

  uint64_t appended = 99;
  CHECK(retrace_ledger_import_registry(NULL, reg, 0, NULL) == RETRACE_INVALID_ARGUMENT);
  CHECK(retrace_ledger_import_registry(ml, NULL, 0, NULL) == RETRACE_INVALID_ARGUMENT);
  CHECK(retrace_ledger_import_registry(pl, reg, 0, &appended) == RETRACE_FAILED_PRECONDITION);
  CHECK(retrace_ledger_import_registry(ml, pl, 0, &appended) == RETRACE_INVALID_ARGUMENT);
  CHECK(size_of(ml) == 1);
  CHECK(retrace_ledger_import_registry(ml, reg, 0, &appended) == RETRACE_OK);
  CHECK(appended == 2);
  CHECK(retrace_ledger_import_registry(ml, reg, 0, &appended) == RETRACE_OK);
  CHECK(appended == 0);
  CHECK(size_of(ml) == 3);

  const char* extracted =
      "{\"actorId\":\"mine-1\",\"time\":\"2026-03-02T08:00:00Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"ORE-1\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":1000000,"
      "\"content\":[{\"element\":\"ELEMENT_ND\",\"grams\":50000}]},\"site\":\"pit 3\","
      "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}";
  CHECK(retrace_ledger_append_json(ml, mine, extracted, strlen(extracted), NULL, NULL) ==
        RETRACE_OK);
  retrace_report* report = NULL;
  char* json = NULL;
  CHECK(retrace_ledger_verify(ml, "ORE-1", &report) == RETRACE_OK);
  CHECK(retrace_report_valid(report) == 1);
  CHECK(retrace_report_json(report, &json, NULL) == RETRACE_OK);
  CHECK(contains(json, "\"registry\""));
  CHECK(contains(json, "\"origin\": \"registry\""));
  CHECK(contains(json, "\"imported\": 2"));

  retrace_free(json);
  retrace_report_free(report);
  retrace_free(note);
  retrace_free(vkey);
  retrace_note_signer_free(log);
  retrace_ledger_close(reg);
  retrace_ledger_close(ml);
  retrace_ledger_close(pl);
  retrace_public_key_free(mine_pub);
  retrace_signer_free(root);
  retrace_signer_free(mine);
  retrace_options_free(opts);
  retrace_options_free(plain_opts);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_summary();
}
