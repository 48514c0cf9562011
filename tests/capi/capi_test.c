/* The C API from C11, using nothing but retrace/c.h: keys, ledger, single,
 * batch and externally signed appends, verification results, audit,
 * lineage pictures, EPCIS, and the error paths (NULLs, bad JSON, custody
 * violations, ranges, a tampered file, per-thread error messages).
 *
 * Prints "N passed, M failed" and exits non-zero on any failure. */
#include "retrace/c.h"
#include "testing/capi_check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static char g_dir[256];

static void path(char* out, size_t n, const char* name) { snprintf(out, n, "%s/%s", g_dir, name); }


static void test_basics(void) {
  CHECK(streq(retrace_strerror(RETRACE_OK), "ok"));
  CHECK(streq(retrace_strerror(RETRACE_NOT_FOUND), "not found"));
  CHECK(streq(retrace_strerror(42), "unknown error"));
  CHECK(streq(retrace_strerror(-1), "unknown error"));
  CHECK(strlen(retrace_version()) >= 5);
  /* Every free function accepts NULL. */
  retrace_free(NULL);
  retrace_signer_free(NULL);
  retrace_public_key_free(NULL);
  retrace_ledger_close(NULL);
  retrace_batch_free(NULL);
  retrace_report_free(NULL);
  retrace_options_free(NULL);
  /* NULL arguments are errors, never crashes, and out handles are NULLed. */
  retrace_signer* s = (retrace_signer*)0x1;
  CHECK_RC(retrace_signer_generate(NULL, &s), RETRACE_INVALID_ARGUMENT);
  CHECK(s == NULL);
  CHECK(contains(retrace_last_error(), "algorithm is NULL"));
  CHECK_RC(retrace_signer_generate("rsa", &s), RETRACE_INVALID_ARGUMENT);
  CHECK(contains(retrace_last_error(), "rsa"));
  CHECK_RC(retrace_ledger_open(NULL, NULL, NULL), RETRACE_INVALID_ARGUMENT);
  CHECK_RC(retrace_ledger_verify(NULL, "X", NULL), RETRACE_INVALID_ARGUMENT);
  CHECK(retrace_report_valid(NULL) == 0);
  CHECK(retrace_report_finding_count(NULL) == 0);
  CHECK(retrace_batch_size(NULL) == 0);
  CHECK(retrace_public_key_algorithm(NULL) == NULL);
  retrace_ledger* l = NULL;
  char missing[300];
  path(missing, sizeof missing, "no-such-ledger");
  CHECK(retrace_ledger_open(NULL, missing, &l) != RETRACE_OK);
  CHECK(l == NULL);
  CHECK(strlen(retrace_last_error()) > 0);
}

static void test_keys(void) {
  retrace_signer* s = NULL;
  CHECK_RC(retrace_signer_generate("ecdsa-p256", &s), RETRACE_OK);
  CHECK(streq(retrace_last_error(), ""));
  retrace_public_key* pk = NULL;
  CHECK_RC(retrace_signer_public_key(s, &pk), RETRACE_OK);
  CHECK(streq(retrace_public_key_algorithm(pk), "ecdsa-p256"));
  char id[17];
  CHECK_RC(retrace_public_key_id(pk, id), RETRACE_OK);
  CHECK(strlen(id) == 16);

  const uint8_t msg[] = "goods receipt 4711";
  uint8_t* sig = NULL;
  size_t sig_len = 0;
  CHECK_RC(retrace_signer_sign(s, msg, sizeof msg, &sig, &sig_len), RETRACE_OK);
  CHECK(sig_len == 64);
  CHECK_RC(retrace_public_key_verify(pk, msg, sizeof msg, sig, sig_len), RETRACE_OK);
  sig[3] ^= 1;
  CHECK_RC(retrace_public_key_verify(pk, msg, sizeof msg, sig, sig_len), RETRACE_VERIFICATION_FAILED);
  retrace_free(sig);

  /* Save and load: the private key file is 0600 and never overwritten. */
  char kpath[300], ppath[300];
  path(kpath, sizeof kpath, "k.key");
  path(ppath, sizeof ppath, "k.pub");
  CHECK_RC(retrace_signer_save(s, kpath), RETRACE_OK);
  CHECK_RC(retrace_signer_save(s, kpath), RETRACE_ALREADY_EXISTS);
  struct stat st;
  CHECK(stat(kpath, &st) == 0 && (st.st_mode & 077) == 0);
  CHECK_RC(retrace_public_key_save(pk, ppath), RETRACE_OK);
  retrace_signer* s2 = NULL;
  CHECK_RC(retrace_signer_load(kpath, &s2), RETRACE_OK);
  retrace_public_key* pk2 = NULL;
  CHECK_RC(retrace_public_key_load(ppath, &pk2), RETRACE_OK);
  char id2[17];
  CHECK_RC(retrace_public_key_id(pk2, id2), RETRACE_OK);
  CHECK(strcmp(id, id2) == 0);
  chmod(kpath, 0644);
  retrace_signer* s3 = NULL;
  CHECK_RC(retrace_signer_load(kpath, &s3), RETRACE_FAILED_PRECONDITION);
  CHECK(contains(retrace_last_error(), "chmod"));
  char nope[300];
  path(nope, sizeof nope, "nope.key");
  CHECK_RC(retrace_signer_load(nope, &s3), RETRACE_NOT_FOUND);
  char* pem = NULL;
  size_t pem_len = 0;
  CHECK_RC(retrace_public_key_pem(pk, &pem, &pem_len), RETRACE_OK);
  CHECK(pem_len == strlen(pem) && contains(pem, "BEGIN PUBLIC KEY"));
  retrace_public_key* pk3 = NULL;
  CHECK_RC(retrace_public_key_from_pem(pem, pem_len, &pk3), RETRACE_OK);
  retrace_public_key_free(pk3);
  CHECK_RC(retrace_public_key_from_pem("garbage", 7, &pk3), RETRACE_INVALID_ARGUMENT);
  CHECK(pk3 == NULL);
  retrace_free(pem);
  retrace_public_key_free(pk);
  retrace_public_key_free(pk2);
  retrace_signer_free(s);
  retrace_signer_free(s2);
}

static retrace_signer* g_root;
static retrace_signer* g_mine;
static retrace_signer* g_sep;

static void register_actors(retrace_ledger* l) {
  retrace_public_key* pk = NULL;
  uint64_t seq = 0;
  CHECK_RC(retrace_signer_public_key(g_mine, &pk), RETRACE_OK);
  CHECK_RC(retrace_ledger_register_actor(l, g_root, NULL, "mine-1", "mine", "Mine One Ltd.", pk,
                                         "LIC-1", "CN", &seq),
           RETRACE_OK);
  CHECK(seq == 1);
  CHECK_RC(retrace_ledger_register_actor(l, g_root, NULL, "mine-1", "mine", "Again", pk, NULL,
                                         NULL, NULL),
           RETRACE_ALREADY_EXISTS);
  CHECK_RC(retrace_ledger_register_actor(l, g_root, NULL, "x", "wizard", "X", pk, NULL, NULL, NULL),
           RETRACE_INVALID_ARGUMENT);
  retrace_public_key_free(pk);
  CHECK_RC(retrace_signer_public_key(g_sep, &pk), RETRACE_OK);
  CHECK_RC(retrace_ledger_register_actor(l, g_root, "regulator", "sep-1", "separator",
                                         "Separator One", pk, NULL, NULL, &seq),
           RETRACE_OK);
  retrace_public_key_free(pk);
  /* Production quotas for 2026: granted by the regulator (the root key). */
  const char* grants[] = {
      "{\"actorId\":\"regulator\",\"quotaGranted\":{\"actorId\":\"mine-1\",\"year\":2026,"
      "\"kind\":\"QUOTA_MINING_ROCK\",\"reoG\":\"100000000\"}}",
      "{\"actorId\":\"regulator\",\"quotaGranted\":{\"actorId\":\"sep-1\",\"year\":2026,"
      "\"kind\":\"QUOTA_SMELTING_SEPARATION\",\"reoG\":\"100000000\"}}"};
  for (int i = 0; i < 2; ++i) {
    CHECK_RC(retrace_ledger_append_json(l, g_root, grants[i], strlen(grants[i]), NULL, NULL),
             RETRACE_OK);
  }
}

static const char kOre1[] =
    "{\"eventId\":\"GR-1\",\"actorId\":\"mine-1\",\"time\":\"2026-03-02T08:00:00Z\","
    "\"references\":[{\"kind\":\"po\",\"value\":\"PO-77\"}],"
    "\"extracted\":{\"lot\":{\"lotId\":\"ORE-1\",\"material\":\"MATERIAL_ORE_CONCENTRATE\","
    "\"massG\":\"1000000\",\"content\":[{\"element\":\"ELEMENT_ND\",\"grams\":\"50000\"},"
    "{\"element\":\"ELEMENT_DY\",\"grams\":\"1000\"}]},\"site\":\"Unique-Pit-Seven\","
    "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}";

static void progress(void* ctx, uint64_t done, uint64_t total) {
  int* calls = (int*)ctx;
  ++*calls;
  if (done > total) ++*calls; /* never */
}

static const retrace_signer* lookup(void* ctx, const char* actor) {
  (void)ctx;
  if (streq(actor, "mine-1")) return g_mine;
  if (streq(actor, "sep-1")) return g_sep;
  return NULL;
}

static void* fail_on_other_thread(void* arg) {
  (void)arg;
  retrace_signer* s = NULL;
  retrace_signer_generate("bogus-thread-alg", &s);
  return NULL;
}

/* Checkpoints, witnesses and a lineage bundle verified with no ledger. */
static void test_transparency(retrace_ledger* l) {
  retrace_note_signer *log = NULL, *witness = NULL, *loaded = NULL;
  CHECK_RC(retrace_note_signer_generate("capi-test", "rsa", &log), RETRACE_INVALID_ARGUMENT);
  CHECK(log == NULL && contains(retrace_last_error(), "rsa"));
  CHECK_RC(retrace_note_signer_generate("capi-test", "ed25519", &log), RETRACE_OK);
  CHECK_RC(retrace_note_signer_generate("witness.example", "cosignature/v1", &witness), RETRACE_OK);
  char kpath[300];
  path(kpath, sizeof kpath, "log.key");
  CHECK_RC(retrace_note_signer_save(log, kpath), RETRACE_OK);
  CHECK_RC(retrace_note_signer_save(log, kpath), RETRACE_ALREADY_EXISTS);
  CHECK_RC(retrace_note_signer_load(kpath, &loaded), RETRACE_OK);
  char *vkey = NULL, *vkey2 = NULL, *wkey = NULL;
  CHECK_RC(retrace_note_signer_verifier_key(log, &vkey, NULL), RETRACE_OK);
  CHECK_RC(retrace_note_signer_verifier_key(loaded, &vkey2, NULL), RETRACE_OK);
  CHECK(streq(vkey, vkey2) && strncmp(vkey, "capi-test+", 10) == 0);
  CHECK_RC(retrace_note_signer_verifier_key(witness, &wkey, NULL), RETRACE_OK);
  retrace_note_verifier *log_v = NULL, *wit_v = NULL, *bad = NULL;
  CHECK_RC(retrace_note_verifier_parse(vkey, &log_v), RETRACE_OK);
  CHECK_RC(retrace_note_verifier_parse(wkey, &wit_v), RETRACE_OK);
  CHECK_RC(retrace_note_verifier_parse("capi-test+00000000+AQ==", &bad), RETRACE_INVALID_ARGUMENT);
  CHECK(bad == NULL);

  /* No checkpoint yet: nothing to prove against. */
  char* note = NULL;
  uint8_t* bundle = NULL;
  size_t bundle_len = 0;
  CHECK_RC(retrace_ledger_checkpoint_latest(l, &note, NULL), RETRACE_NOT_FOUND);
  CHECK_RC(retrace_ledger_prove_lot(l, "NDPR-1", &bundle, &bundle_len), RETRACE_FAILED_PRECONDITION);
  CHECK_RC(retrace_ledger_checkpoint_sign(l, witness, &note, NULL), RETRACE_INVALID_ARGUMENT);

  CHECK_RC(retrace_ledger_checkpoint_sign(l, log, &note, NULL), RETRACE_OK);
  CHECK(strncmp(note, "capi-test\n11\n", 13) == 0);
  const retrace_note_verifier* logs[] = {log_v};
  const retrace_note_verifier* wits[] = {wit_v};
  uint64_t size = 0;
  uint8_t root[32], want_root[32];
  size_t cosigs = 9;
  CHECK_RC(retrace_checkpoint_verify(note, logs, 1, NULL, 0, 0, &size, root, &cosigs), RETRACE_OK);
  CHECK_RC(retrace_ledger_root_hash(l, 11, want_root), RETRACE_OK);
  CHECK(size == 11 && cosigs == 0 && memcmp(root, want_root, 32) == 0);
  /* A quorum of one witness is not met until the witness cosigns. */
  CHECK_RC(retrace_checkpoint_verify(note, logs, 1, wits, 1, 1, NULL, NULL, NULL),
           RETRACE_VERIFICATION_FAILED);
  CHECK_RC(retrace_checkpoint_verify(note, logs, 0, NULL, 0, 0, NULL, NULL, NULL),
           RETRACE_INVALID_ARGUMENT);
  /* A witness key is not a log key; a log key of the same name is not this one. */
  CHECK_RC(retrace_checkpoint_verify(note, wits, 1, NULL, 0, 0, NULL, NULL, NULL),
           RETRACE_INVALID_ARGUMENT);
  retrace_note_signer* other = NULL;
  char* other_key = NULL;
  retrace_note_verifier* other_v = NULL;
  CHECK_RC(retrace_note_signer_generate("capi-test", "ed25519", &other), RETRACE_OK);
  CHECK_RC(retrace_note_signer_verifier_key(other, &other_key, NULL), RETRACE_OK);
  CHECK_RC(retrace_note_verifier_parse(other_key, &other_v), RETRACE_OK);
  const retrace_note_verifier* wrong[] = {other_v};
  CHECK_RC(retrace_checkpoint_verify(note, wrong, 1, NULL, 0, 0, NULL, NULL, NULL),
           RETRACE_VERIFICATION_FAILED);
  retrace_note_verifier_free(other_v);
  retrace_free(other_key);
  retrace_note_signer_free(other);

  /* The witness cosigns the note through the C++ path the CLI uses; here
   * the host adds the whole cosigned note it got back. */
  CHECK_RC(retrace_ledger_checkpoint_add_cosignatures(l, note, wits, 1, &note, NULL),
           RETRACE_VERIFICATION_FAILED); /* no line by the witness yet */
  char* latest = NULL;
  CHECK_RC(retrace_ledger_checkpoint_latest(l, &latest, NULL), RETRACE_OK);
  CHECK(streq(latest, note));
  retrace_free(latest);

  /* A bundle of NDPR-1, verified offline against the root key and log key. */
  CHECK_RC(retrace_ledger_prove_lot(l, "NDPR-1", &bundle, &bundle_len), RETRACE_OK);
  CHECK(bundle != NULL && bundle_len > 100);
  retrace_public_key* root_pk = NULL;
  CHECK_RC(retrace_signer_public_key(g_root, &root_pk), RETRACE_OK);
  retrace_report* r = NULL;
  CHECK_RC(retrace_bundle_verify(bundle, bundle_len, root_pk, log_v, NULL, 0, 0, &r), RETRACE_OK);
  CHECK(retrace_report_valid(r) == 1);
  if (retrace_report_valid(r) != 1) {
    char* why = NULL;
    if (retrace_report_json(r, &why, NULL) == RETRACE_OK) fprintf(stderr, "%s\n", why);
    retrace_free(why);
  }
  CHECK(streq(retrace_report_schema(r), "retrace.bundle-report/v1"));
  CHECK(streq(retrace_report_lot_id(r), "NDPR-1") && retrace_report_origin_count(r) == 1);
  char* json = NULL;
  CHECK_RC(retrace_report_json(r, &json, NULL), RETRACE_OK);
  CHECK(contains(json, "retrace.bundle-report/v1") && contains(json, "retrace.verify/v1") &&
        contains(json, "ORE-1"));
  retrace_free(json);
  retrace_report_free(r);
  /* The witness policy is part of the check: a required cosignature is missing. */
  CHECK_RC(retrace_bundle_verify(bundle, bundle_len, root_pk, log_v, wits, 1, 1, &r), RETRACE_OK);
  CHECK(retrace_report_valid(r) == 0 && retrace_report_finding_count(r) >= 1);
  retrace_report_free(r);
  /* No log key: this ledger's policy names no log for itself, so the
   * bundle cannot be anchored by it. */
  CHECK_RC(retrace_bundle_verify(bundle, bundle_len, root_pk, NULL, NULL, 0, 0, &r),
           RETRACE_FAILED_PRECONDITION);
  CHECK(r == NULL);
  /* One flipped byte in the middle of the bundle is never valid. */
  bundle[bundle_len / 2] ^= 0x01;
  int rc = retrace_bundle_verify(bundle, bundle_len, root_pk, log_v, NULL, 0, 0, &r);
  CHECK(rc == RETRACE_INVALID_ARGUMENT || (rc == RETRACE_OK && retrace_report_valid(r) == 0));
  retrace_report_free(r);
  CHECK_RC(retrace_bundle_verify(bundle, bundle_len, NULL, log_v, NULL, 0, 0, &r),
           RETRACE_INVALID_ARGUMENT);

  char* proof = NULL;
  CHECK_RC(retrace_ledger_prove_record(l, 5, &proof, NULL), RETRACE_OK);
  CHECK(strncmp(proof, "c2sp.org/tlog-proof@v1\n", 23) == 0);
  retrace_free(proof);
  CHECK_RC(retrace_ledger_prove_record(l, 11, &proof, NULL), RETRACE_NOT_FOUND);

  retrace_public_key_free(root_pk);
  retrace_free(bundle);
  retrace_free(note);
  retrace_free(vkey);
  retrace_free(vkey2);
  retrace_free(wkey);
  retrace_note_verifier_free(log_v);
  retrace_note_verifier_free(wit_v);
  retrace_note_verifier_free(NULL);
  retrace_note_signer_free(log);
  retrace_note_signer_free(loaded);
  retrace_note_signer_free(witness);
  retrace_note_signer_free(NULL);
}

static void test_ledger(void) {
  CHECK_RC(retrace_signer_generate("ed25519", &g_root), RETRACE_OK);
  CHECK_RC(retrace_signer_generate("ecdsa-p256", &g_mine), RETRACE_OK);
  CHECK_RC(retrace_signer_generate("sm2", &g_sep), RETRACE_OK);
  retrace_options* opts = retrace_options_new();
  CHECK(opts != NULL);
  retrace_options_set_sync(opts, 0);
  retrace_options_set_map_size(opts, 1 << 20, (uint64_t)1 << 30);
  char dir[300];
  path(dir, sizeof dir, "ledger");
  retrace_ledger* l = NULL;
  CHECK_RC(retrace_ledger_create(opts, dir, "capi-test", g_root, NULL, &l), RETRACE_OK);
  retrace_ledger* again = NULL;
  CHECK_RC(retrace_ledger_create(opts, dir, "capi-test", g_root, NULL, &again),
           RETRACE_ALREADY_EXISTS);
  CHECK_RC(retrace_ledger_open(opts, dir, &again), RETRACE_FAILED_PRECONDITION);
  CHECK(again == NULL);
  register_actors(l);

  char* json = NULL;
  size_t len = 0;
  CHECK_RC(retrace_ledger_info_json(l, &json, &len), RETRACE_OK);
  CHECK(contains(json, "\"schema\": \"retrace.info/v1\"") && contains(json, "capi-test"));
  retrace_free(json);

  /* Single appends and their refusals. */
  uint64_t seq = 0;
  uint8_t hash[32], head[32];
  CHECK_RC(retrace_ledger_append_json(l, g_mine, kOre1, strlen(kOre1), &seq, hash), RETRACE_OK);
  CHECK(seq == 5);
  uint64_t size = 0;
  CHECK_RC(retrace_ledger_size(l, &size, head), RETRACE_OK);
  CHECK(size == 6 && memcmp(hash, head, 32) == 0);
  CHECK_RC(retrace_ledger_append_json(l, g_mine, kOre1, strlen(kOre1), NULL, NULL),
           RETRACE_ALREADY_EXISTS);
  CHECK_RC(retrace_ledger_append_json(l, g_mine, "{not json", 9, NULL, NULL),
           RETRACE_INVALID_ARGUMENT);
  const char* no_actor = "{\"shipped\":{\"lotId\":\"ORE-1\",\"toActorId\":\"sep-1\",\"massG\":\"1\"}}";
  CHECK_RC(retrace_ledger_append_json(l, g_mine, no_actor, strlen(no_actor), NULL, NULL),
           RETRACE_INVALID_ARGUMENT);
  CHECK(contains(retrace_last_error(), "actorId"));
  const char* unknown_lot =
      "{\"actorId\":\"mine-1\",\"shipped\":{\"lotId\":\"NOPE\",\"toActorId\":\"sep-1\",\"massG\":\"1\"}}";
  CHECK_RC(retrace_ledger_append_json(l, g_mine, unknown_lot, strlen(unknown_lot), NULL, NULL),
           RETRACE_NOT_FOUND);
  const char* part =
      "{\"actorId\":\"mine-1\",\"shipped\":{\"lotId\":\"ORE-1\",\"toActorId\":\"sep-1\",\"massG\":\"5\"}}";
  CHECK_RC(retrace_ledger_append_json(l, g_mine, part, strlen(part), NULL, NULL),
           RETRACE_FAILED_PRECONDITION);
  const char* stolen =  /* the separator signs as the mine */
      "{\"actorId\":\"mine-1\",\"shipped\":{\"lotId\":\"ORE-1\",\"toActorId\":\"sep-1\",\"massG\":\"1000000\"}}";
  CHECK(retrace_ledger_append_json(l, g_sep, stolen, strlen(stolen), NULL, NULL) != RETRACE_OK);
  CHECK_RC(retrace_ledger_size(l, &size, NULL), RETRACE_OK);
  CHECK(size == 6); /* every refusal left the ledger as it was */

  /* A batch: ship and receive ORE-1, extract ORE-2 and ship it -- the
   * shipment of ORE-2 links to its extraction in the same batch. */
  retrace_batch* b = NULL;
  CHECK_RC(retrace_batch_new(l, &b), RETRACE_OK);
  const char* ship1 =
      "{\"actorId\":\"mine-1\",\"shipped\":{\"lotId\":\"ORE-1\",\"toActorId\":\"sep-1\",\"massG\":\"1000000\"}}";
  const char* recv1 =
      "{\"actorId\":\"sep-1\",\"received\":{\"lotId\":\"ORE-1\",\"fromActorId\":\"mine-1\",\"massG\":\"1000000\"}}";
  CHECK_RC(retrace_batch_add_json(b, g_mine, ship1, strlen(ship1)), RETRACE_OK);
  CHECK_RC(retrace_batch_add_json(b, g_sep, recv1, strlen(recv1)), RETRACE_OK);
  const char* jsonl =
      "{\"actorId\":\"mine-1\",\"time\":\"2026-03-03T08:00:00Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"ORE-2\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":\"2000\",\"content\":"
      "[{\"element\":\"ELEMENT_ND\",\"grams\":\"100\"}]},\"licence\":\"LIC-1\",\"quotaKind\":"
      "\"QUOTA_MINING_ROCK\"}}\n"
      "\n"
      "{\"actorId\":\"mine-1\",\"shipped\":{\"lotId\":\"ORE-2\",\"toActorId\":\"sep-1\",\"massG\":\"2000\"}}\n";
  size_t added = 0;
  CHECK_RC(retrace_batch_add_jsonl(b, g_mine, jsonl, strlen(jsonl), &added), RETRACE_OK);
  CHECK(added == 2);
  CHECK(retrace_batch_size(b) == 4);
  const char* bad_jsonl =
      "{\"actorId\":\"mine-1\",\"shipped\":{\"lotId\":\"ORE-2\",\"toActorId\":\"sep-1\",\"massG\":\"2000\"}}\n"
      "{oops\n";
  CHECK_RC(retrace_batch_add_jsonl(b, g_mine, bad_jsonl, strlen(bad_jsonl), &added),
           RETRACE_INVALID_ARGUMENT);
  CHECK(contains(retrace_last_error(), "line 2"));
  CHECK(retrace_batch_size(b) == 4); /* nothing of the failed call was queued */
  uint64_t first = 0;
  size_t count = 0;
  /* A dry run answers what the commit will do and keeps the batch. */
  CHECK_RC(retrace_batch_check(b, &first, &count), RETRACE_OK);
  CHECK(first == 6 && count == 4);
  CHECK(retrace_batch_size(b) == 4);
  first = 0;
  count = 0;
  CHECK_RC(retrace_batch_commit(b, &first, &count), RETRACE_OK);
  CHECK(first == 6 && count == 4);
  CHECK_RC(retrace_batch_check(b, &first, &count), RETRACE_INVALID_ARGUMENT); /* empty */
  CHECK_RC(retrace_batch_commit(b, &first, &count), RETRACE_INVALID_ARGUMENT); /* empty */
  retrace_batch_free(b);

  /* A transformation signed outside the library (as with an HSM). */
  const char* sep =
      "{\"eventId\":\"PO-SEP-1\",\"actorId\":\"sep-1\",\"transformed\":{\"inputs\":[{\"lotId\":\"ORE-1\","
      "\"consumedG\":\"1000000\"}],\"outputs\":[{\"lotId\":\"NDPR-1\",\"material\":"
      "\"MATERIAL_SEPARATED_OXIDE\",\"massG\":\"60000\",\"content\":[{\"element\":\"ELEMENT_ND\","
      "\"grams\":\"45000\"}]},{\"lotId\":\"DY-1\",\"material\":\"MATERIAL_SEPARATED_OXIDE\",\"massG\":"
      "\"1000\",\"content\":[{\"element\":\"ELEMENT_DY\",\"grams\":\"800\"}]}],\"declaredLossG\":"
      "\"939000\",\"process\":\"solvent extraction\"}}";
  uint8_t* ev = NULL;
  size_t ev_len = 0;
  CHECK_RC(retrace_ledger_prepare_json(l, sep, strlen(sep), &ev, &ev_len), RETRACE_OK);
  uint8_t* input = NULL;
  size_t input_len = 0;
  CHECK_RC(retrace_event_signing_input(ev, ev_len, &input, &input_len), RETRACE_OK);
  CHECK(input != NULL && input_len == ev_len + 17 && memcmp(input, "retrace/v1/event", 17) == 0);
  uint8_t* sig = NULL;
  size_t sig_len = 0;
  CHECK_RC(retrace_signer_sign(g_sep, input, input_len, &sig, &sig_len), RETRACE_OK);
  retrace_public_key* sep_pk = NULL;
  char key_id[17];
  CHECK_RC(retrace_signer_public_key(g_sep, &sep_pk), RETRACE_OK);
  CHECK_RC(retrace_public_key_id(sep_pk, key_id), RETRACE_OK);
  sig[0] ^= 0x40;
  CHECK_RC(retrace_ledger_append_signed(l, ev, ev_len, key_id, sig, sig_len, NULL, NULL),
           RETRACE_VERIFICATION_FAILED);
  sig[0] ^= 0x40;
  CHECK_RC(retrace_ledger_append_signed(l, ev, ev_len, key_id, sig, sig_len, &seq, NULL),
           RETRACE_OK);
  CHECK(seq == 10);
  retrace_free(ev);
  retrace_free(input);
  retrace_free(sig);
  retrace_public_key_free(sep_pk);

  /* Verification as structured results. */
  retrace_report* r = NULL;
  CHECK_RC(retrace_ledger_verify(l, "NDPR-1", &r), RETRACE_OK);
  CHECK(retrace_report_valid(r) == 1);
  CHECK(streq(retrace_report_schema(r), "retrace.verify/v1"));
  CHECK(streq(retrace_report_lot_id(r), "NDPR-1"));
  CHECK(retrace_report_finding_count(r) == 0);
  CHECK(retrace_report_records_checked(r) >= 4);
  CHECK(retrace_report_tree_size(r) == 11);
  CHECK(retrace_report_origin_count(r) == 1);
  const char *origin = NULL, *actor = NULL, *site = NULL;
  uint64_t re_g = 0;
  uint32_t ppm = 0;
  CHECK_RC(retrace_report_origin(r, 0, &origin, &actor, &site, &re_g, &ppm), RETRACE_OK);
  CHECK(streq(origin, "ORE-1") && streq(actor, "mine-1"));
  CHECK(streq(site, "Unique-Pit-Seven"));
  CHECK(ppm == 1000000 && re_g == 45000);
  CHECK_RC(retrace_report_origin(r, 1, &origin, NULL, NULL, NULL, NULL), RETRACE_INVALID_ARGUMENT);
  CHECK(contains(retrace_last_error(), "out of range"));
  CHECK(retrace_report_lot_count(r) == 2 && retrace_report_edge_count(r) == 1);
  const char *lot = NULL, *material = NULL, *in = NULL, *out = NULL;
  uint64_t mass = 0, consumed = 0, eseq = 0;
  int is_origin = -1;
  CHECK_RC(retrace_report_lot(r, 0, &lot, &material, &mass, NULL, &is_origin), RETRACE_OK);
  CHECK(streq(lot, "NDPR-1") && streq(material, "separated_oxide"));
  CHECK(mass == 60000 && is_origin == 0);
  CHECK_RC(retrace_report_edge(r, 0, &in, &out, &consumed, &eseq), RETRACE_OK);
  CHECK(streq(in, "ORE-1") && streq(out, "NDPR-1") && consumed == 1000000 && eseq == 10);
  CHECK_RC(retrace_report_finding(r, 0, NULL, NULL, NULL, NULL), RETRACE_INVALID_ARGUMENT);
  CHECK_RC(retrace_report_json(r, &json, &len), RETRACE_OK);
  CHECK(contains(json, "\"schema\": \"retrace.verify/v1\"") && contains(json, "\"valid\": true"));
  retrace_free(json);
  retrace_report_free(r);
  CHECK_RC(retrace_ledger_verify(l, "NO-SUCH-LOT", &r), RETRACE_NOT_FOUND);
  CHECK(r == NULL);

  /* Lineage and pictures. */
  CHECK_RC(retrace_ledger_lineage_json(l, "NDPR-1", &json, NULL), RETRACE_OK);
  CHECK(contains(json, "retrace.lineage/v1"));
  retrace_free(json);
  CHECK_RC(retrace_ledger_lineage_dot(l, "NDPR-1", &json, NULL), RETRACE_OK);
  CHECK(contains(json, "digraph lineage") && contains(json, "\"ORE-1\" -> \"NDPR-1\""));
  retrace_free(json);
  CHECK_RC(retrace_ledger_lineage_svg(l, "NDPR-1", &json, NULL), RETRACE_OK);
  CHECK(contains(json, "<svg") && contains(json, "data-lot=\"ORE-1\""));
  retrace_free(json);
  CHECK_RC(retrace_ledger_report_html(l, "NDPR-1", &json, NULL), RETRACE_OK);
  CHECK(contains(json, "<!DOCTYPE html>") && contains(json, "VALID"));
  retrace_free(json);
  CHECK_RC(retrace_ledger_lot_json(l, "DY-1", &json, NULL), RETRACE_OK);
  CHECK(contains(json, "retrace.lot/v1") && contains(json, "sep-1"));
  retrace_free(json);
  CHECK_RC(retrace_ledger_record_json(l, 5, &json, NULL), RETRACE_OK);
  CHECK(contains(json, "GR-1"));
  retrace_free(json);
  CHECK_RC(retrace_ledger_record_json(l, 999, &json, NULL), RETRACE_NOT_FOUND);
  CHECK_RC(retrace_ledger_quota_json(l, 2026, "mine-1", &json, NULL), RETRACE_OK);
  CHECK(contains(json, "retrace.quota/v1") && contains(json, "\"used_reo_g\"") &&
        contains(json, "mining_rock") && !contains(json, "sep-1"));
  retrace_free(json);
  CHECK_RC(retrace_ledger_quota_json(l, 0, NULL, &json, NULL), RETRACE_OK);
  CHECK(contains(json, "sep-1") && contains(json, "smelting_separation"));
  retrace_free(json);
  CHECK_RC(retrace_ledger_quota_json(l, 1999, NULL, &json, NULL), RETRACE_OK);
  CHECK(contains(json, "\"quotas\": []"));
  retrace_free(json);
  uint8_t root_hash[32];
  CHECK_RC(retrace_ledger_root_hash(l, 11, root_hash), RETRACE_OK);
  CHECK_RC(retrace_ledger_root_hash(l, 12, root_hash), RETRACE_INVALID_ARGUMENT);

  /* Audit with progress. */
  int calls = 0;
  CHECK_RC(retrace_ledger_audit(l, progress, &calls, &r), RETRACE_OK);
  CHECK(retrace_report_valid(r) == 1 && calls >= 2);
  CHECK(streq(retrace_report_schema(r), "retrace.audit/v1"));
  CHECK(retrace_report_origin_count(r) == 0);
  CHECK_RC(retrace_report_json(r, &json, NULL), RETRACE_OK);
  CHECK(contains(json, "\"scope\": \"full\""));
  retrace_free(json);
  retrace_report_free(r);
  /* The integrity-only audit: same report type, no signatures checked. */
  int integrity_calls = 0;
  CHECK_RC(retrace_ledger_audit_integrity(l, progress, &integrity_calls, &r), RETRACE_OK);
  CHECK(retrace_report_valid(r) == 1 && integrity_calls >= 2);
  CHECK_RC(retrace_report_json(r, &json, NULL), RETRACE_OK);
  CHECK(contains(json, "\"scope\": \"integrity\"") && contains(json, "\"signatures_checked\": 0"));
  retrace_free(json);
  retrace_report_free(r);
  CHECK_RC(retrace_ledger_audit_integrity(NULL, NULL, NULL, &r), RETRACE_INVALID_ARGUMENT);

  test_transparency(l);

  /* EPCIS out of this ledger, into a twin that knows the same actors. */
  char* doc = NULL;
  size_t doc_len = 0;
  CHECK_RC(retrace_ledger_export_epcis_lot(l, "NDPR-1", &doc, &doc_len), RETRACE_OK);
  CHECK(contains(doc, "\"EPCISDocument\"") && contains(doc, "TransformationEvent"));
  CHECK_RC(retrace_ledger_export_epcis_range(l, 5, 2, &json, NULL), RETRACE_INVALID_ARGUMENT);
  char dir2[300];
  path(dir2, sizeof dir2, "twin");
  retrace_ledger* twin = NULL;
  CHECK_RC(retrace_ledger_create(opts, dir2, "twin", g_root, NULL, &twin), RETRACE_OK);
  register_actors(twin);
  CHECK_RC(retrace_batch_new(twin, &b), RETRACE_OK);
  CHECK_RC(retrace_batch_add_epcis(b, "{}", 2, lookup, NULL, &added), RETRACE_INVALID_ARGUMENT);
  CHECK_RC(retrace_batch_add_epcis(b, doc, doc_len, lookup, NULL, &added), RETRACE_OK);
  CHECK(added == 4); /* extraction, shipment, receipt, separation */
  CHECK_RC(retrace_batch_commit(b, NULL, NULL), RETRACE_OK);
  retrace_batch_free(b);
  CHECK_RC(retrace_ledger_verify(twin, "NDPR-1", &r), RETRACE_OK);
  CHECK(retrace_report_valid(r) == 1 && retrace_report_origin_count(r) == 1);
  retrace_report_free(r);
  retrace_free(doc);
  retrace_ledger_close(twin);

  /* A batch signature: the mine signs the root of three extractions once. */
  const char* batch_jsonl =
      "{\"actorId\":\"mine-1\",\"time\":\"2026-03-05T08:00:00Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"BS-1\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":\"500\"},"
      "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}\n"
      "{\"actorId\":\"mine-1\",\"time\":\"2026-03-05T08:00:01Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"BS-2\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":\"500\"},"
      "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}\n"
      "{\"actorId\":\"mine-1\",\"time\":\"2026-03-05T08:00:02Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"BS-3\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":\"500\"},"
      "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}\n";
  uint64_t batch_first = 0;
  size_t batch_count = 0;
  /* Signed by the wrong actor's key: refused, nothing appended. */
  CHECK_RC(retrace_ledger_append_jsonl_batch_signed(l, g_sep, batch_jsonl, strlen(batch_jsonl),
                                                    &batch_first, &batch_count),
           RETRACE_FAILED_PRECONDITION);
  CHECK_RC(retrace_ledger_append_jsonl_batch_signed(l, g_mine, "{oops\n", 6, NULL, NULL),
           RETRACE_INVALID_ARGUMENT);
  CHECK(contains(retrace_last_error(), "line 1"));
  CHECK_RC(retrace_ledger_append_jsonl_batch_signed(l, g_mine, batch_jsonl, strlen(batch_jsonl),
                                                    &batch_first, &batch_count),
           RETRACE_OK);
  CHECK(batch_count == 3);
  CHECK_RC(retrace_ledger_verify(l, "BS-2", &r), RETRACE_OK);
  CHECK(retrace_report_valid(r) == 1);
  retrace_report_free(r);

  /* Sign-and-append: the ledger links the shipment to the extraction of
   * the line before, signs both with the mine's key and appends them. */
  const char* sa_jsonl =
      "{\"actorId\":\"mine-1\",\"time\":\"2026-03-06T08:00:00Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"SA-1\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":\"500\"},"
      "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}\n"
      "\n"
      "{\"actorId\":\"mine-1\",\"shipped\":{\"lotId\":\"SA-1\",\"toActorId\":\"sep-1\","
      "\"massG\":\"500\"}}\n";
  uint64_t size_before = 0, size_after = 0;
  CHECK_RC(retrace_ledger_size(l, &size_before, NULL), RETRACE_OK);
  /* The separator's key for the mine's events: refused, nothing appended. */
  CHECK_RC(retrace_ledger_sign_and_append_jsonl(l, g_sep, sa_jsonl, strlen(sa_jsonl), 0, NULL, NULL),
           RETRACE_FAILED_PRECONDITION);
  CHECK_RC(retrace_ledger_sign_and_append_jsonl(l, g_mine, "\n{oops\n", 7, 0, NULL, NULL),
           RETRACE_INVALID_ARGUMENT);
  CHECK(contains(retrace_last_error(), "line 2"));
  CHECK_RC(retrace_ledger_sign_and_append_jsonl(NULL, g_mine, sa_jsonl, strlen(sa_jsonl), 0, NULL,
                                                NULL),
           RETRACE_INVALID_ARGUMENT);
  CHECK_RC(retrace_ledger_size(l, &size_after, NULL), RETRACE_OK);
  CHECK(size_after == size_before);
  for (int batch = 0; batch <= 1; ++batch) {
    /* The second round re-uses the lot ids: refused as duplicates, so it
     * runs on a fresh lot name instead. */
    char jsonl[1024];
    snprintf(jsonl, sizeof jsonl, "%s", sa_jsonl);
    if (batch) {
      for (char* p = strstr(jsonl, "SA-1"); p != NULL; p = strstr(p + 1, "SA-1")) p[3] = '2';
    }
    batch_first = 0;
    batch_count = 0;
    CHECK_RC(retrace_ledger_sign_and_append_jsonl(l, g_mine, jsonl, strlen(jsonl), batch,
                                                  &batch_first, &batch_count),
             RETRACE_OK);
    CHECK(batch_count == 2);
    CHECK(batch_first == size_before + 2 * (uint64_t)batch);
    CHECK_RC(retrace_ledger_verify(l, batch ? "SA-2" : "SA-1", &r), RETRACE_OK);
    CHECK(retrace_report_valid(r) == 1);
    retrace_report_free(r);
  }

  /* Messages are per thread. */
  CHECK_RC(retrace_ledger_verify(l, "NO-SUCH-LOT", &r), RETRACE_NOT_FOUND);
  pthread_t t;
  pthread_create(&t, NULL, fail_on_other_thread, NULL);
  pthread_join(t, NULL);
  CHECK(contains(retrace_last_error(), "NO-SUCH-LOT"));

  /* Read-only: appends are refused. */
  retrace_ledger_close(l);
  retrace_options_set_read_only(opts, 1);
  CHECK_RC(retrace_ledger_open(opts, dir, &l), RETRACE_OK);
  CHECK_RC(retrace_ledger_append_json(l, g_mine, kOre1, strlen(kOre1), NULL, NULL),
           RETRACE_FAILED_PRECONDITION);
  retrace_ledger_close(l);
  retrace_options_free(opts);
}

/* Changes one byte of the mine site, which only the extraction's event
 * bytes contain: the record still parses, its signature and hash link do
 * not. LMDB copies pages on write, so stale copies may hold the string too:
 * every copy is changed. */
/* Flag mode through the options handle; registration under a ledger whose
 * root actor is not "regulator"; the role spellings ParseRole accepts. */
static void test_regulatory_mode_and_registration(void) {
  retrace_options* opts = retrace_options_new();
  CHECK(opts != NULL);
  retrace_options_set_sync(opts, 0);
  CHECK_RC(retrace_options_set_regulatory_mode(opts, 7), RETRACE_INVALID_ARGUMENT);
  CHECK(contains(retrace_last_error(), "RETRACE_REGULATORY_FLAG"));
  CHECK_RC(retrace_options_set_regulatory_mode(NULL, RETRACE_REGULATORY_FLAG),
           RETRACE_INVALID_ARGUMENT);
  CHECK_RC(retrace_options_set_regulatory_mode(opts, RETRACE_REGULATORY_FLAG), RETRACE_OK);
  char dir[300];
  path(dir, sizeof dir, "flag-ledger");
  retrace_signer *root = NULL, *mine = NULL;
  CHECK_RC(retrace_signer_generate("ed25519", &root), RETRACE_OK);
  CHECK_RC(retrace_signer_generate("ed25519", &mine), RETRACE_OK);
  retrace_ledger* l = NULL;
  CHECK_RC(retrace_ledger_create(opts, dir, "flag-test", root, "ministry", &l), RETRACE_OK);
  retrace_public_key* pk = NULL;
  CHECK_RC(retrace_signer_public_key(mine, &pk), RETRACE_OK);
  /* NULL root actor: the ledger's own ("ministry"), not a literal "regulator". */
  uint64_t seq = 0;
  CHECK_RC(retrace_ledger_register_actor(l, root, NULL, "mine-1", "Mine", "Mine One", pk, "LIC-1",
                                         NULL, &seq),
           RETRACE_OK);
  CHECK(seq == 1);
  /* An event dated in 2999 is refused before any other rule. */
  CHECK_RC(retrace_options_set_max_clock_skew(opts, -1), RETRACE_INVALID_ARGUMENT);
  CHECK_RC(retrace_options_set_max_clock_skew(NULL, 60), RETRACE_INVALID_ARGUMENT);
  CHECK_RC(retrace_options_set_max_clock_skew(opts, 60), RETRACE_OK);
  const char* future =
      "{\"actorId\":\"mine-1\",\"time\":\"2999-01-01T00:00:00Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"X\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":\"1\"},\"site\":\"s\","
      "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}";
  CHECK_RC(retrace_ledger_append_json(l, mine, future, strlen(future), &seq, NULL),
           RETRACE_FAILED_PRECONDITION);
  CHECK(contains(retrace_last_error(), "time_in_future"));
  char* json = NULL;
  CHECK_RC(retrace_ledger_record_json(l, 1, &json, NULL), RETRACE_OK);
  CHECK(contains(json, "\"actorId\": \"ministry\"") || contains(json, "\"actorId\":\"ministry\""));
  retrace_free(json);
  retrace_public_key_free(pk);
  /* Role spellings: one parser, ParseRole, as the CLI's --role. */
  const char* spellings[] = {"magnet-maker", "ROLE_MAGNET_MAKER", "Recycler"};
  for (int i = 0; i < 3; ++i) {
    retrace_signer* k = NULL;
    retrace_public_key* kp = NULL;
    char id[16];
    snprintf(id, sizeof id, "extra-%d", i);
    CHECK_RC(retrace_signer_generate("ed25519", &k), RETRACE_OK);
    CHECK_RC(retrace_signer_public_key(k, &kp), RETRACE_OK);
    CHECK_RC(retrace_ledger_register_actor(l, root, NULL, id, spellings[i], "Extra", kp, NULL,
                                           NULL, NULL),
             RETRACE_OK);
    retrace_public_key_free(kp);
    retrace_signer_free(k);
  }
  /* No quota was granted: in flag mode the extraction is kept and flagged,
   * and the lot verifies INVALID. */
  const char* ore =
      "{\"actorId\":\"mine-1\",\"time\":\"2026-03-02T08:00:00Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"ORE-F\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":\"1000\","
      "\"content\":[{\"element\":\"ELEMENT_ND\",\"grams\":\"10\"}]},\"site\":\"s\","
      "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}";
  CHECK_RC(retrace_ledger_append_json(l, mine, ore, strlen(ore), &seq, NULL), RETRACE_OK);
  retrace_report* r = NULL;
  CHECK_RC(retrace_ledger_verify(l, "ORE-F", &r), RETRACE_OK);
  CHECK(retrace_report_valid(r) == 0);
  CHECK(retrace_report_finding_count(r) >= 1);
  retrace_report_free(r);
  retrace_ledger_close(l);
  /* The same ledger opened in the default mode refuses the next one. */
  retrace_options_set_regulatory_mode(opts, RETRACE_REGULATORY_REJECT);
  CHECK_RC(retrace_ledger_open(opts, dir, &l), RETRACE_OK);
  const char* ore2 =
      "{\"actorId\":\"mine-1\",\"time\":\"2026-03-02T08:00:00Z\",\"extracted\":{\"lot\":{"
      "\"lotId\":\"ORE-G\",\"material\":\"MATERIAL_ORE_CONCENTRATE\",\"massG\":\"1000\","
      "\"content\":[{\"element\":\"ELEMENT_ND\",\"grams\":\"10\"}]},\"site\":\"s\","
      "\"licence\":\"LIC-1\",\"quotaKind\":\"QUOTA_MINING_ROCK\"}}";
  CHECK_RC(retrace_ledger_append_json(l, mine, ore2, strlen(ore2), NULL, NULL),
           RETRACE_FAILED_PRECONDITION);
  retrace_ledger_close(l);
  retrace_options_free(opts);
  retrace_signer_free(root);
  retrace_signer_free(mine);
}

static void test_tampered(void) {
  char file[300];
  path(file, sizeof file, "ledger/data.mdb");
  FILE* f = fopen(file, "r+b");
  CHECK(f != NULL);
  if (f == NULL) return;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* buf = malloc((size_t)n);
  CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
  const char needle[] = "Unique-Pit-Seven";
  int changed = 0;
  for (long i = 0; i + (long)sizeof needle - 1 <= n; ++i) {
    if (memcmp(buf + i, needle, sizeof needle - 1) == 0) {
      fseek(f, i, SEEK_SET);
      fputc('X', f);
      ++changed;
    }
  }
  CHECK(changed >= 1);
  fclose(f);
  free(buf);

  char dir[300];
  path(dir, sizeof dir, "ledger");
  retrace_options* opts = retrace_options_new();
  retrace_options_set_read_only(opts, 1);
  retrace_ledger* l = NULL;
  CHECK_RC(retrace_ledger_open(opts, dir, &l), RETRACE_OK);
  retrace_report* r = NULL;
  CHECK_RC(retrace_ledger_verify(l, "NDPR-1", &r), RETRACE_OK); /* checked, and it is wrong */
  CHECK(retrace_report_valid(r) == 0);
  size_t nf = retrace_report_finding_count(r);
  CHECK(nf >= 1);
  int saw_signature = 0;
  for (size_t i = 0; i < nf; ++i) {
    const char *code = NULL, *lot = NULL, *msg = NULL;
    uint64_t seq = 0;
    CHECK_RC(retrace_report_finding(r, i, &code, &seq, &lot, &msg), RETRACE_OK);
    CHECK(strlen(code) > 0 && strlen(msg) > 0);
    if (streq(code, "signature_invalid") && seq == 5) saw_signature = 1;
  }
  CHECK(saw_signature);
  char* html = NULL;
  CHECK_RC(retrace_ledger_report_html(l, "NDPR-1", &html, NULL), RETRACE_OK);
  CHECK(contains(html, "INVALID") && contains(html, "signature_invalid"));
  retrace_free(html);
  retrace_report_free(r);
  retrace_ledger_close(l);
  retrace_options_free(opts);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "%s/retrace-capi-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(g_dir) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  test_basics();
  test_keys();
  test_ledger();
  test_regulatory_mode_and_registration();
  test_tampered();
  retrace_signer_free(g_root);
  retrace_signer_free(g_mine);
  retrace_signer_free(g_sep);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  return check_summary();
}
