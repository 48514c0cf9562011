/* The cross-ledger hand-over from C11, using nothing but retrace/c.h: two
 * ledgers rooted in one regulator key, a shipment to the other ledger, a
 * cosigned checkpoint, the sender's bundle received with
 * retrace_ledger_receive, and retrace_ledger_verify walking across both.
 *
 * Prints "N passed, M failed" and exits non-zero on any failure. */
#include "retrace/c.h"
#include "testing/capi_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>



/* mine-1 extracts `lot` (1,000,000 g of ore concentrate) at `time`. */
static int extract(retrace_ledger* l, const retrace_signer* mine, const char* lot,
                   const char* time) {
  char json[512];
  snprintf(json, sizeof json,
           "{\"actorId\":\"mine-1\",\"time\":\"%s\",\"extracted\":{\"lot\":{"
           "\"lotId\":\"%s\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":1000000,"
           "\"content\":[{\"element\":\"ELEMENT_ND\",\"grams\":50000}]},\"site\":\"pit 3\","
           "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}",
           time, lot);
  return retrace_ledger_append_json(l, mine, json, strlen(json), NULL, NULL);
}

static uint64_t size_of(const retrace_ledger* l) {
  uint64_t n = 0;
  retrace_ledger_size(l, &n, NULL);
  return n;
}

int main(void) {
  char dir[256], mine_dir[300], sep_dir[300];
  snprintf(dir, sizeof dir, "%s/retrace-capi-fed-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  snprintf(mine_dir, sizeof mine_dir, "%s/mine", dir);
  snprintf(sep_dir, sizeof sep_dir, "%s/sep", dir);

  retrace_signer *root = NULL, *mine = NULL, *sep = NULL;
  retrace_public_key *mine_pub = NULL, *sep_pub = NULL;
  retrace_options* opts = retrace_options_new();
  retrace_options_set_sync(opts, 0);
  CHECK(retrace_signer_generate("ed25519", &root) == RETRACE_OK);
  CHECK(retrace_signer_generate("ed25519", &mine) == RETRACE_OK);
  CHECK(retrace_signer_generate("ed25519", &sep) == RETRACE_OK);
  CHECK(retrace_signer_public_key(mine, &mine_pub) == RETRACE_OK);
  CHECK(retrace_signer_public_key(sep, &sep_pub) == RETRACE_OK);
  retrace_ledger *ml = NULL, *sl = NULL;
  CHECK(retrace_ledger_create(opts, mine_dir, "mine-ledger", root, NULL, &ml) == RETRACE_OK);
  CHECK(retrace_ledger_create(opts, sep_dir, "sep-ledger", root, NULL, &sl) == RETRACE_OK);
  CHECK(retrace_ledger_register_actor(ml, root, NULL, "mine-1", "mine", "Mine One", mine_pub,
                                      "LIC-1", "CN", NULL) == RETRACE_OK);
  CHECK(retrace_ledger_register_actor(sl, root, NULL, "sep-1", "separator", "Sep One", sep_pub,
                                      NULL, "CN", NULL) == RETRACE_OK);

  /* The mine's log key; the separator's ledger trusts it (no witness). */
  retrace_note_signer* log = NULL;
  char* vkey = NULL;
  CHECK(retrace_note_signer_generate("mine-ledger", "ed25519", &log) == RETRACE_OK);
  CHECK(retrace_note_signer_verifier_key(log, &vkey, NULL) == RETRACE_OK);
  char policy[2048];
  snprintf(policy, sizeof policy,
           "{\"actorId\":\"regulator\",\"policySet\":{\"name\":\"federated\",\"rules\":["
           "{\"role\":\"ROLE_SEPARATOR\",\"events\":[\"transformed\",\"shipped\",\"received\"],"
           "\"inputs\":[\"MATERIAL_ORE_CONCENTRATE\"],\"outputs\":[\"MATERIAL_SEPARATED_OXIDE\"]}],"
           "\"trustedLogs\":[{\"origin\":\"mine-ledger\",\"logKey\":\"%s\"}]}}",
           vkey != NULL ? vkey : "");
  CHECK(retrace_ledger_append_json(sl, root, policy, strlen(policy), NULL, NULL) == RETRACE_OK);

  const char* grant =
      "{\"actorId\":\"regulator\",\"quotaGranted\":{\"actorId\":\"mine-1\",\"year\":2026,"
      "\"kind\":\"QUOTA_MINING_ROCK\",\"reoG\":\"1000000000\"}}";
  CHECK(retrace_ledger_append_json(ml, root, grant, strlen(grant), NULL, NULL) == RETRACE_OK);
  CHECK(extract(ml, mine, "ORE-1", "2026-03-02T08:00:00Z") == RETRACE_OK);
  const char* shipped =
      "{\"actorId\":\"mine-1\",\"shipped\":{\"lotId\":\"ORE-1\",\"toActorId\":\"sep-1\","
      "\"massG\":1000000,\"consigneeLog\":\"sep-ledger\"}}";
  CHECK(retrace_ledger_append_json(ml, mine, shipped, strlen(shipped), NULL, NULL) == RETRACE_OK);
  char* note = NULL;
  CHECK(retrace_ledger_checkpoint_sign(ml, log, &note, NULL) == RETRACE_OK);
  uint8_t* bundle = NULL;
  size_t bundle_len = 0;
  CHECK(retrace_ledger_prove_lot(ml, "ORE-1", &bundle, &bundle_len) == RETRACE_OK);

  /* Refused: NULL arguments, the mine's key, a truncated bundle; the
   * ledger is unchanged each time. */
  const uint64_t before = size_of(sl);
  CHECK(retrace_ledger_receive(NULL, sep, bundle, bundle_len, NULL, 0, NULL, NULL) ==
        RETRACE_INVALID_ARGUMENT);
  CHECK(retrace_ledger_receive(sl, NULL, bundle, bundle_len, NULL, 0, NULL, NULL) ==
        RETRACE_INVALID_ARGUMENT);
  CHECK(retrace_ledger_receive(sl, mine, bundle, bundle_len, NULL, 0, NULL, NULL) != RETRACE_OK);
  CHECK(retrace_ledger_receive(sl, sep, bundle, bundle_len / 2, NULL, 0, NULL, NULL) != RETRACE_OK);
  CHECK(retrace_ledger_receive(sl, sep, bundle, bundle_len, "old 1\n", 6, NULL, NULL) ==
        RETRACE_INVALID_ARGUMENT);
  CHECK(size_of(sl) == before);

  uint64_t seq = 0;
  CHECK(retrace_ledger_receive(sl, sep, bundle, bundle_len, NULL, 0, "rcv-ore-1", &seq) ==
        RETRACE_OK);
  CHECK(seq == before);
  CHECK(retrace_ledger_receive(sl, sep, bundle, bundle_len, NULL, 0, NULL, NULL) ==
        RETRACE_ALREADY_EXISTS);

  retrace_report* report = NULL;
  char* json = NULL;
  CHECK(retrace_ledger_verify(sl, "ORE-1", &report) == RETRACE_OK);
  CHECK(retrace_report_valid(report) == 1);
  CHECK(retrace_report_json(report, &json, NULL) == RETRACE_OK);
  CHECK(contains(json, "\"ledgers_crossed\""));
  CHECK(contains(json, "\"ledger\": \"mine-ledger\""));
  retrace_free(json);
  json = NULL;
  retrace_report_free(report);
  report = NULL;
  /* The audit judges the stored bundle again, as the receipt's append did. */
  CHECK(retrace_ledger_audit(sl, NULL, NULL, &report) == RETRACE_OK);
  CHECK(retrace_report_valid(report) == 1);
  CHECK(retrace_report_json(report, &json, NULL) == RETRACE_OK);
  CHECK(contains(json, "\"bundles_verified\": 1"));

  /* A second lot in a later checkpoint: the separator holds the first, so
   * the receipt needs a consistency proof, read from the tiles the mine
   * publishes. */
  char www[320];
  snprintf(www, sizeof www, "%s/www", dir);
  CHECK(extract(ml, mine, "ORE-2", "2026-03-03T08:00:00Z") == RETRACE_OK);
  const char* shipped2 =
      "{\"actorId\":\"mine-1\",\"shipped\":{\"lotId\":\"ORE-2\",\"toActorId\":\"sep-1\","
      "\"massG\":1000000,\"consigneeLog\":\"sep-ledger\"}}";
  CHECK(retrace_ledger_append_json(ml, mine, shipped2, strlen(shipped2), NULL, NULL) ==
        RETRACE_OK);
  char* pub = NULL;
  CHECK(retrace_ledger_publish(ml, www, log, 0, &pub, NULL) == RETRACE_OK);
  retrace_free(pub);
  uint8_t* bundle2 = NULL;
  size_t bundle2_len = 0;
  CHECK(retrace_ledger_prove_lot(ml, "ORE-2", &bundle2, &bundle2_len) == RETRACE_OK);
  const uint64_t before2 = size_of(sl);
  CHECK(retrace_ledger_receive(sl, sep, bundle2, bundle2_len, NULL, 0, NULL, NULL) ==
        RETRACE_VERIFICATION_FAILED);
  CHECK(retrace_ledger_receive_published(sl, sep, bundle2, bundle2_len, NULL, NULL, NULL) ==
        RETRACE_INVALID_ARGUMENT);
  CHECK(size_of(sl) == before2);
  CHECK(retrace_ledger_receive_published(sl, sep, bundle2, bundle2_len, www, NULL, NULL) ==
        RETRACE_OK);
  CHECK(size_of(sl) == before2 + 1);

  /* A later checkpoint of the mine, compared with those the separator
   * holds: of another size, it is unproven alone and consistent through
   * the tiles. */
  CHECK(extract(ml, mine, "ORE-3", "2026-03-04T08:00:00Z") == RETRACE_OK);
  CHECK(retrace_ledger_publish(ml, www, log, 0, &pub, NULL) == RETRACE_OK);
  retrace_free(pub);
  char* later = NULL;
  CHECK(retrace_ledger_checkpoint_latest(ml, &later, NULL) == RETRACE_OK);
  const char* notes[1] = {later};
  char* cmp = NULL;
  CHECK(retrace_ledger_compare_checkpoints(sl, "mine-ledger", notes, 1, NULL, &cmp, NULL) ==
        RETRACE_OK);
  CHECK(contains(cmp, "\"unproven\": 1"));
  CHECK(contains(cmp, "\"consistent\": true"));
  retrace_free(cmp);
  cmp = NULL;
  CHECK(retrace_ledger_compare_checkpoints(sl, "mine-ledger", notes, 1, www, &cmp, NULL) ==
        RETRACE_OK);
  CHECK(contains(cmp, "\"compared\": 1"));
  CHECK(contains(cmp, "\"unproven\": 0"));
  CHECK(contains(cmp, "\"split_views\": []"));
  retrace_free(cmp);
  CHECK(retrace_ledger_compare_checkpoints(sl, NULL, notes, 1, www, &cmp, NULL) ==
        RETRACE_INVALID_ARGUMENT);
  CHECK(retrace_ledger_compare_checkpoints(sl, "nobody", notes, 1, NULL, &cmp, NULL) ==
        RETRACE_FAILED_PRECONDITION);
  retrace_free(later);
  retrace_free(bundle2);

  retrace_free(json);
  retrace_report_free(report);
  retrace_free(bundle);
  retrace_free(note);
  retrace_free(vkey);
  retrace_note_signer_free(log);
  retrace_ledger_close(ml);
  retrace_ledger_close(sl);
  retrace_public_key_free(mine_pub);
  retrace_public_key_free(sep_pub);
  retrace_signer_free(root);
  retrace_signer_free(mine);
  retrace_signer_free(sep);
  retrace_options_free(opts);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_summary();
}
