/* retrace C API: the custody ledger for hosts that speak C -- ERP systems in
 * C, Java (JNI/Panama), .NET (P/Invoke), Python (ctypes/cffi), Go (cgo).
 *
 * This header is the manual. docs/c-api.md has a guided tour and
 * examples/c/verify_lot.c a complete program.
 *
 * CONVENTIONS (the same for every function)
 *
 *   Names      retrace_<object>_<verb>. Objects are opaque handles:
 *              retrace_ledger, retrace_signer, retrace_public_key,
 *              retrace_batch, retrace_report, retrace_options,
 *              retrace_note_signer, retrace_note_verifier.
 *
 *   Results    Functions that can fail return an int: RETRACE_OK (0) on
 *              success, otherwise one of the RETRACE_* codes below (they are
 *              the values of retrace::StatusCode). A return code is never a
 *              value; values come back through out_* parameters, which are
 *              written only on success (on failure they are left untouched,
 *              except that *out_handle pointers are set to NULL).
 *
 *   Messages   After every int-returning call, retrace_last_error() holds a
 *              sentence for a person naming what was wrong ("" after
 *              success). It is per thread: a failure on one thread never
 *              overwrites another thread's message.
 *
 *   Memory     Every buffer the library returns through a char** or
 *              uint8_t** out parameter is allocated by the library and must
 *              be released with retrace_free(). Strings are NUL-terminated
 *              UTF-8; when a *_len out parameter is given (it may be NULL)
 *              it receives the length without the NUL. Handles are released
 *              with their own retrace_<object>_free (or _close). Every free
 *              function accepts NULL. "Borrowed" strings (const char*
 *              results) belong to the handle and stay valid until the
 *              handle is freed; never free them.
 *
 *   Inputs     Strings are NUL-terminated UTF-8 unless a length follows.
 *              A NULL where a handle or string is required returns
 *              RETRACE_INVALID_ARGUMENT (never a crash).
 *
 *   Errors     No C++ exception and no abort escapes: every entry point
 *              catches everything; an allocation failure comes back as
 *              RETRACE_RESOURCE_EXHAUSTED, anything unexpected as
 *              RETRACE_INTERNAL.
 *
 *   Threads    retrace_ledger: safe to use from many threads at once
 *              (appends are serialised inside). retrace_signer,
 *              retrace_public_key, retrace_note_signer and
 *              retrace_note_verifier: immutable, safe from many threads.
 *              retrace_batch, retrace_report, retrace_options: one thread
 *              at a time. Do not open one ledger directory twice in one
 *              process (RETRACE_FAILED_PRECONDITION): share the handle.
 *
 *   Versions   The ABI follows the library's SONAME (libretrace.so.0).
 *              retrace_version() names the release.
 *
 * Units: every mass is a whole number of grams. Event JSON is the protobuf
 * JSON mapping of retrace.v1.Event (docs/cli.md#event-json).
 */
#ifndef RETRACE_C_H_
#define RETRACE_C_H_

#include <stddef.h>
#include <stdint.h>

#include "retrace/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Return codes (= retrace::StatusCode). */
#define RETRACE_OK 0
/* The caller passed something malformed: bad JSON, an unknown algorithm, a
 * NULL handle, an index out of range. Retrying the same call fails again. */
#define RETRACE_INVALID_ARGUMENT 1
/* A named thing (lot, record, actor, key, file) does not exist. */
#define RETRACE_NOT_FOUND 2
/* A thing that must be unique (lot id, event id, actor id, file) exists. */
#define RETRACE_ALREADY_EXISTS 3
/* Well-formed, but the ledger's state forbids it (custody, mass, a stale
 * parent hash, a read-only ledger, a ledger already open in this process,
 * a key file others may read). */
#define RETRACE_FAILED_PRECONDITION 4
/* A limit was hit: memory, map size, disk full. */
#define RETRACE_RESOURCE_EXHAUSTED 5
/* The operating system or LMDB failed to read or write. */
#define RETRACE_IO_ERROR 6
/* Stored data is damaged: not a ledger, a record that does not parse. */
#define RETRACE_CORRUPTION 7
/* A signature did not verify. */
#define RETRACE_VERIFICATION_FAILED 8
/* A bug in retrace or a dependency. */
#define RETRACE_INTERNAL 9

typedef struct retrace_options retrace_options;
typedef struct retrace_ledger retrace_ledger;
typedef struct retrace_signer retrace_signer;
typedef struct retrace_public_key retrace_public_key;
typedef struct retrace_batch retrace_batch;
typedef struct retrace_report retrace_report;
typedef struct retrace_note_signer retrace_note_signer;
typedef struct retrace_note_verifier retrace_note_verifier;

/* ------------------------------------------------------------------------
 * Errors, memory, version. */

/* A static, lower-case name for `code` ("ok", "invalid argument",
 * "not found", ...); "unknown error" for a value outside 0..9. Never NULL,
 * never freed. */
RETRACE_EXPORT const char* retrace_strerror(int code);

/* The message of the last int-returning retrace call on this thread: "" if
 * it succeeded. Valid until the next retrace call on this thread; copy it
 * to keep it. Never NULL. */
RETRACE_EXPORT const char* retrace_last_error(void);

/* Releases a buffer the library returned through a char** or uint8_t** out
 * parameter. NULL is ignored. */
RETRACE_EXPORT void retrace_free(void* ptr);

/* The library version, e.g. "0.1.0". Static; never NULL. */
RETRACE_EXPORT const char* retrace_version(void);

/* ------------------------------------------------------------------------
 * Keys. Algorithms by name: "ed25519", "ecdsa-p256", "sm2". A key id is the
 * first 16 hex digits of SHA-256 of the public key's DER. */

/* Generates a fresh key pair from OpenSSL's CSPRNG.
 * RETRACE_INVALID_ARGUMENT for an unknown algorithm; RETRACE_INTERNAL if
 * OpenSSL fails. */
RETRACE_EXPORT int retrace_signer_generate(const char* algorithm, retrace_signer** out_signer);

/* Loads a private key file (PKCS#8 PEM). RETRACE_NOT_FOUND if missing;
 * RETRACE_FAILED_PRECONDITION if group or others may read it (the message
 * names the chmod that fixes it); RETRACE_IO_ERROR if unreadable;
 * RETRACE_INVALID_ARGUMENT if it does not parse or is over 64 KiB. */
RETRACE_EXPORT int retrace_signer_load(const char* path, retrace_signer** out_signer);

/* Parses an unencrypted PKCS#8 "PRIVATE KEY" PEM block of pem_len bytes.
 * RETRACE_INVALID_ARGUMENT if it does not parse or is of another algorithm. */
RETRACE_EXPORT int retrace_signer_from_pem(const char* pem, size_t pem_len,
                                           retrace_signer** out_signer);

/* Writes the private key to a new file created with mode 0600.
 * RETRACE_ALREADY_EXISTS if the file exists (nothing is overwritten);
 * RETRACE_IO_ERROR if it cannot be written. */
RETRACE_EXPORT int retrace_signer_save(const retrace_signer* signer, const char* path);

/* A copy of the signer's public key, to free with retrace_public_key_free. */
RETRACE_EXPORT int retrace_signer_public_key(const retrace_signer* signer,
                                             retrace_public_key** out_key);

/* Signs `message` (a raw signature: 64 bytes for all three algorithms).
 * Free *out_sig with retrace_free. RETRACE_INTERNAL only if OpenSSL fails. */
RETRACE_EXPORT int retrace_signer_sign(const retrace_signer* signer, const uint8_t* message,
                                       size_t message_len, uint8_t** out_sig,
                                       size_t* out_sig_len);

/* Releases a signer; its private key is wiped from memory. NULL is ignored. */
RETRACE_EXPORT void retrace_signer_free(retrace_signer* signer);

/* Reads a PEM public key file. RETRACE_NOT_FOUND, RETRACE_IO_ERROR,
 * RETRACE_INVALID_ARGUMENT (not a supported key). */
RETRACE_EXPORT int retrace_public_key_load(const char* path, retrace_public_key** out_key);

/* Parses a "PUBLIC KEY" PEM block, or DER SubjectPublicKeyInfo.
 * RETRACE_INVALID_ARGUMENT if it does not parse, is not canonical, or is not
 * Ed25519, ECDSA P-256 or SM2. */
RETRACE_EXPORT int retrace_public_key_from_pem(const char* pem, size_t pem_len,
                                               retrace_public_key** out_key);
RETRACE_EXPORT int retrace_public_key_from_der(const uint8_t* der, size_t der_len,
                                               retrace_public_key** out_key);

/* Writes the key as PEM to a new file (mode 0644). RETRACE_ALREADY_EXISTS
 * if the file exists; RETRACE_IO_ERROR. */
RETRACE_EXPORT int retrace_public_key_save(const retrace_public_key* key, const char* path);

/* The PEM text (free with retrace_free). */
RETRACE_EXPORT int retrace_public_key_pem(const retrace_public_key* key, char** out_pem,
                                          size_t* out_len);

/* The key id: 16 lower-case hex digits plus NUL written to out_id (which
 * must hold 17 bytes). */
RETRACE_EXPORT int retrace_public_key_id(const retrace_public_key* key, char out_id[17]);

/* "ed25519", "ecdsa-p256" or "sm2" (static); NULL if key is NULL. */
RETRACE_EXPORT const char* retrace_public_key_algorithm(const retrace_public_key* key);

/* RETRACE_OK if `sig` is a valid signature of `message` under `key`;
 * RETRACE_VERIFICATION_FAILED otherwise (also for a malformed signature). */
RETRACE_EXPORT int retrace_public_key_verify(const retrace_public_key* key,
                                             const uint8_t* message, size_t message_len,
                                             const uint8_t* sig, size_t sig_len);

RETRACE_EXPORT void retrace_public_key_free(retrace_public_key* key);

/* ------------------------------------------------------------------------
 * Ledger options (retrace::Options). A NULL options pointer means the
 * defaults everywhere one is accepted. */

/* Defaults: durable commits, 64 MiB initial map, 1 TiB maximum map,
 * 1 MiB largest event, read-write. NULL if memory is exhausted. */
RETRACE_EXPORT retrace_options* retrace_options_new(void);
RETRACE_EXPORT void retrace_options_free(retrace_options* options);
/* 0: commits are not flushed to disk before an append returns (a process
 * crash loses nothing, a power loss may lose the latest appends). */
RETRACE_EXPORT void retrace_options_set_sync(retrace_options* options, int sync);
/* 1: open only for reading; appends fail with RETRACE_FAILED_PRECONDITION. */
RETRACE_EXPORT void retrace_options_set_read_only(retrace_options* options, int read_only);
RETRACE_EXPORT void retrace_options_set_map_size(retrace_options* options, uint64_t initial_bytes,
                                                 uint64_t max_bytes);
RETRACE_EXPORT void retrace_options_set_max_event_bytes(retrace_options* options, size_t bytes);

/* What an append that breaks a regulatory rule (a production quota, a
 * mining licence) does (retrace::RegulatoryMode; custody and mass rules
 * always refuse):
 *   RETRACE_REGULATORY_REJECT (the default): the append fails with
 *     RETRACE_FAILED_PRECONDITION and the ledger is unchanged;
 *   RETRACE_REGULATORY_FLAG: the record is appended and kept, and
 *     verification reports the violation as a finding on every lineage it
 *     reaches (the lot is then INVALID).
 * The mode is a property of this process's handle, not of the ledger: each
 * process that appends chooses it when it opens the ledger.
 * RETRACE_INVALID_ARGUMENT for a NULL options or another value. */
#define RETRACE_REGULATORY_REJECT 0
#define RETRACE_REGULATORY_FLAG 1
RETRACE_EXPORT int retrace_options_set_regulatory_mode(retrace_options* options, int mode);

/* How many seconds in the future of this host's clock an appended event may
 * be dated (Options::max_clock_skew_seconds; default 300); a later event is
 * refused with RETRACE_FAILED_PRECONDITION (finding time_in_future).
 * RETRACE_INVALID_ARGUMENT for a NULL options or a negative value. */
RETRACE_EXPORT int retrace_options_set_max_clock_skew(retrace_options* options,
                                                      int64_t seconds);
/* retrace_ledger_create only: binds the new ledger to the regulator's
 * registry ledger (Options::registry, docs/federation.md "The registry"):
 * `log_key` is the registry's checkpoint verifier key, `witnesses` its
 * `n_witnesses` witness verifier keys (may be NULL if 0), `quorum` the
 * cosignatures a registry checkpoint needs, `ledger_id` the registry's
 * ledger id (32 hex digits). Checked by retrace_ledger_create.
 * RETRACE_INVALID_ARGUMENT for a NULL options, log_key or ledger_id. */
RETRACE_EXPORT int retrace_options_set_registry(retrace_options* options, const char* log_key,
                                                const char* const* witnesses,
                                                size_t n_witnesses, uint32_t quorum,
                                                const char* ledger_id);

/* ------------------------------------------------------------------------
 * Ledger. */

/* Creates a ledger in `dir` (created if missing) and appends its genesis
 * record signed by `root`, registering `root_actor_id` (NULL: "regulator")
 * as the regulator. RETRACE_ALREADY_EXISTS if `dir` holds a ledger;
 * RETRACE_INVALID_ARGUMENT for an empty or over-long name or actor id, or
 * read-only options; RETRACE_IO_ERROR if `dir` is not writable. */
RETRACE_EXPORT int retrace_ledger_create(const retrace_options* options, const char* dir,
                                         const char* name, const retrace_signer* root,
                                         const char* root_actor_id,
                                         retrace_ledger** out_ledger);

/* Opens an existing ledger. RETRACE_NOT_FOUND if `dir` holds none;
 * RETRACE_CORRUPTION if it is not a retrace ledger of a known version;
 * RETRACE_FAILED_PRECONDITION if this process has it open already, or if it
 * is of an older storage format (retrace_ledger_upgrade converts it). */
RETRACE_EXPORT int retrace_ledger_open(const retrace_options* options, const char* dir,
                                       retrace_ledger** out_ledger);

/* Converts a ledger of an older storage format in place, in one
 * transaction (Ledger::Upgrade; docs/storage-format.md, "Versioning"); the
 * ledger must not be open. RETRACE_FAILED_PRECONDITION if it is at the
 * current format already or of a format that cannot be upgraded (nothing
 * changed); otherwise errors as retrace_ledger_open. */
RETRACE_EXPORT int retrace_ledger_upgrade(const retrace_options* options, const char* dir);

/* Closes the ledger. Every retrace_batch made on it must be freed first.
 * NULL is ignored. */
RETRACE_EXPORT void retrace_ledger_close(retrace_ledger* ledger);

/* The ledger's identity and head as JSON, schema "retrace.info/v1":
 * {"schema", "ledger_id", "name", "root_actor_id", "root_key_id", "size",
 *  "head_hash", "root_hash"}. Free *out_json with retrace_free. */
RETRACE_EXPORT int retrace_ledger_info_json(const retrace_ledger* ledger, char** out_json,
                                            size_t* out_len);

/* The number of records (tree size) and, if out_head_hash is not NULL, the
 * 32-byte hash of the last record. */
RETRACE_EXPORT int retrace_ledger_size(const retrace_ledger* ledger, uint64_t* out_size,
                                       uint8_t out_head_hash[32]);

/* The RFC 6962 root hash of the first tree_size records.
 * RETRACE_INVALID_ARGUMENT if tree_size exceeds the ledger size. */
RETRACE_EXPORT int retrace_ledger_root_hash(const retrace_ledger* ledger, uint64_t tree_size,
                                            uint8_t out_root_hash[32]);

/* The record at `seq` as JSON (seq, hash, prev_hash, key_id, signature,
 * kind, event). RETRACE_NOT_FOUND if seq >= size. */
RETRACE_EXPORT int retrace_ledger_record_json(const retrace_ledger* ledger, uint64_t seq,
                                              char** out_json, size_t* out_len);

/* A lot's current state as JSON (lot_id, material, mass_g, remaining_g,
 * content, status, custodian, created_seq, head_seq, head_hash).
 * RETRACE_NOT_FOUND for an unknown lot. */
RETRACE_EXPORT int retrace_ledger_lot_json(const retrace_ledger* ledger, const char* lot_id,
                                           char** out_json, size_t* out_len);

/* Production quotas and their use as JSON, schema "retrace.quota/v1"
 * (granted, used and remaining grams of rare-earth oxide per enterprise,
 * year and kind, with the grant and use records). `year` 0 and `actor_id`
 * NULL mean all. An empty list is not an error. */
RETRACE_EXPORT int retrace_ledger_quota_json(const retrace_ledger* ledger, uint32_t year,
                                             const char* actor_id, char** out_json,
                                             size_t* out_len);

/* Registers an actor (retrace::RegisterActor, as the CLI's `register`):
 * appends an actorRegistered event signed by `root` (normally the ledger's
 * root key) under `root_actor_id` (NULL: the ledger's root actor, the one
 * retrace_ledger_create registered). `role` is "mine", "separator",
 * "smelter", "magnet_maker", "exporter", "recycler", "importer" or
 * "regulator" (any case, '-' for '_' and a "ROLE_" prefix accepted);
 * `licence` and `jurisdiction` may be NULL. On success *out_seq (may be
 * NULL) is the record's sequence number. RETRACE_INVALID_ARGUMENT for an
 * unknown role; otherwise errors as for retrace_ledger_append_json. */
RETRACE_EXPORT int retrace_ledger_register_actor(retrace_ledger* ledger,
                                                 const retrace_signer* root,
                                                 const char* root_actor_id, const char* actor_id,
                                                 const char* role, const char* legal_name,
                                                 const retrace_public_key* actor_key,
                                                 const char* licence, const char* jurisdiction,
                                                 uint64_t* out_seq);

/* ------------------------------------------------------------------------
 * Appending custody events.
 *
 * Every append path takes the event as JSON and fills what an ERP does not
 * track: eventId (when empty: "ev-" + 32 random hex digits; set your own
 * document number to make retries idempotent -- a second append of the same
 * id fails with RETRACE_ALREADY_EXISTS), time (when unset: now), the ledger
 * id, and every unset parent hash (the lot's current head). The event's
 * actorId must be set and must be the actor whose key signs.
 *
 * Append errors (the ledger is unchanged in every case):
 *   RETRACE_INVALID_ARGUMENT     malformed JSON or event, oversized event
 *   RETRACE_VERIFICATION_FAILED  the signature does not verify
 *   RETRACE_NOT_FOUND            unknown key, lot or actor
 *   RETRACE_ALREADY_EXISTS       duplicate event id, lot id or actor id
 *   RETRACE_FAILED_PRECONDITION  a custody or mass rule would be broken,
 *                                the signer's role may not do this, a parent
 *                                hash is stale, or the ledger is read-only
 *   RETRACE_RESOURCE_EXHAUSTED, RETRACE_IO_ERROR, RETRACE_CORRUPTION */

/* Signs one event with `signer` and appends it. On success *out_seq and
 * out_hash (32 bytes) describe the new record; both may be NULL. */
RETRACE_EXPORT int retrace_ledger_append_json(retrace_ledger* ledger, const retrace_signer* signer,
                                              const char* event_json, size_t json_len,
                                              uint64_t* out_seq, uint8_t out_hash[32]);

/* For signing outside the library (an HSM): fills the event as above and
 * returns its canonical bytes in *out_event (free with retrace_free). Sign
 * "retrace/v1/event" || 0x00 || event bytes (retrace_event_signing_input
 * builds it) and pass the result to retrace_ledger_append_signed. */
RETRACE_EXPORT int retrace_ledger_prepare_json(const retrace_ledger* ledger, const char* event_json,
                                               size_t json_len, uint8_t** out_event,
                                               size_t* out_event_len);

/* The exact bytes an event signature covers (free with retrace_free). */
RETRACE_EXPORT int retrace_event_signing_input(const uint8_t* event, size_t event_len,
                                               uint8_t** out_input, size_t* out_input_len);

/* Appends an event signed elsewhere. `key_id` is the signing key's id. */
RETRACE_EXPORT int retrace_ledger_append_signed(retrace_ledger* ledger, const uint8_t* event,
                                                size_t event_len, const char* key_id,
                                                const uint8_t* sig, size_t sig_len,
                                                uint64_t* out_seq, uint8_t out_hash[32]);

/* Batch signature: fills every event of `jsonl` (one per non-blank line, as
 * retrace_ledger_append_json), signs the Merkle root of all of them once
 * with `signer` (docs/data-model.md, "Batch signatures") and appends them in
 * one transaction, all or none; the ledger verifies the one signature. All
 * events must be stated by the signer's actor, and parents are linked from
 * the ledger only (an event cannot move a lot another event of the same
 * batch creates). *out_first_seq and *out_count (may be NULL) describe the
 * new records. RETRACE_INVALID_ARGUMENT for bad JSON (the message names the
 * line), no event, more than 65536 events or two actors; otherwise the
 * append errors above, the message naming the index of the event refused. */
RETRACE_EXPORT int retrace_ledger_append_jsonl_batch_signed(retrace_ledger* ledger,
                                                            const retrace_signer* signer,
                                                            const char* jsonl, size_t jsonl_len,
                                                            uint64_t* out_first_seq,
                                                            size_t* out_count);

/* Sign-and-append (Ledger::SignAndAppend), for a host holding its actor's
 * key in-process: fills every event of `jsonl` (one per non-blank line, as
 * retrace_ledger_append_json), links each unset parent to the latest
 * earlier line that moves the lot, else to the ledger, signs the exact event
 * bytes with `signer` -- one signature per event, or with `batch_signature`
 * != 0 one signature per run of lines that do not move each other's lots
 * (docs/data-model.md, "Batch signatures") -- and appends them in one
 * transaction, all or none. The ledger does not verify signatures it has
 * just made; every other append check runs, and the signer's key must be
 * the registered, current key of every line's actor. *out_first_seq and
 * *out_count (may be NULL) describe the new records. RETRACE_INVALID_ARGUMENT
 * for bad JSON (the message names the line) or no event; otherwise the
 * append errors above, the message naming the index of the event refused
 * (RETRACE_FAILED_PRECONDITION when a line's actor is not the signer's). */
RETRACE_EXPORT int retrace_ledger_sign_and_append_jsonl(retrace_ledger* ledger,
                                                        const retrace_signer* signer,
                                                        const char* jsonl, size_t jsonl_len,
                                                        int batch_signature,
                                                        uint64_t* out_first_seq,
                                                        size_t* out_count);

/* Batches: events appended in one transaction -- all of them or none.
 * Unlike single appends, a later event of a batch may move a lot that an
 * earlier event of the same batch creates or moves (a production order and
 * the shipment of its output). See retrace/event_batch.h for how. */

/* A new, empty batch on `ledger`, which must outlive it. */
RETRACE_EXPORT int retrace_batch_new(retrace_ledger* ledger, retrace_batch** out_batch);

/* Fills and signs one event (as retrace_ledger_append_json) and queues it.
 * RETRACE_INVALID_ARGUMENT (bad JSON or event), RETRACE_NOT_FOUND (a lot
 * neither the batch nor the ledger has). The batch is unchanged on error. */
RETRACE_EXPORT int retrace_batch_add_json(retrace_batch* batch, const retrace_signer* signer,
                                          const char* event_json, size_t json_len);

/* Queues one event per non-blank line of `jsonl` (JSON Lines), all signed
 * by `signer`. On error nothing of this call is queued and the message
 * names the line (1-based). *out_added (may be NULL) receives the count. */
RETRACE_EXPORT int retrace_batch_add_jsonl(retrace_batch* batch, const retrace_signer* signer,
                                           const char* jsonl, size_t jsonl_len,
                                           size_t* out_added);

/* The number of queued events (0 for NULL). */
RETRACE_EXPORT size_t retrace_batch_size(const retrace_batch* batch);

/* Appends every queued event in one transaction and empties the batch
 * (whether it succeeds or not). *out_first_seq (may be NULL) receives the
 * sequence number of the first new record; the others follow in order.
 * RETRACE_INVALID_ARGUMENT if the batch is empty; otherwise the append
 * errors above, with the message naming the index of the event refused. */
RETRACE_EXPORT int retrace_batch_commit(retrace_batch* batch, uint64_t* out_first_seq,
                                        size_t* out_count);

/* A dry run of retrace_batch_commit (Ledger::CheckAppendBatch): the same
 * rules in the same transaction, which is then aborted, so the answer --
 * success with the sequence numbers the records would get, or the error the
 * commit would return -- is exactly what a commit at this moment would give.
 * Nothing is written and the batch keeps its events. */
RETRACE_EXPORT int retrace_batch_check(const retrace_batch* batch, uint64_t* out_first_seq,
                                       size_t* out_count);

RETRACE_EXPORT void retrace_batch_free(retrace_batch* batch);

/* ------------------------------------------------------------------------
 * Lineage, verification, audit. */

/* The lineage DAG of a lot as JSON, schema "retrace.lineage/v1" (lots,
 * edges, valid, findings count; docs/cli.md). RETRACE_NOT_FOUND for an
 * unknown lot. */
RETRACE_EXPORT int retrace_ledger_lineage_json(const retrace_ledger* ledger, const char* lot_id,
                                               char** out_json, size_t* out_len);

/* The lineage as a Graphviz DOT graph, or as a standalone SVG drawing. */
RETRACE_EXPORT int retrace_ledger_lineage_dot(const retrace_ledger* ledger, const char* lot_id,
                                              char** out_dot, size_t* out_len);
RETRACE_EXPORT int retrace_ledger_lineage_svg(const retrace_ledger* ledger, const char* lot_id,
                                              char** out_svg, size_t* out_len);

/* A self-contained HTML custody report of the lot (verdict, origins,
 * lineage picture, timeline, findings; retrace/render.h). */
RETRACE_EXPORT int retrace_ledger_report_html(const retrace_ledger* ledger, const char* lot_id,
                                              char** out_html, size_t* out_len);

/* Verifies a lot's lineage back to its origins. Returns RETRACE_OK when the
 * verification was carried out -- whether or not the lot is valid: read
 * retrace_report_valid. RETRACE_NOT_FOUND for an unknown lot; I/O errors if
 * the ledger could not be read. Free *out_report with retrace_report_free. */
RETRACE_EXPORT int retrace_ledger_verify(const retrace_ledger* ledger, const char* lot_id,
                                         retrace_report** out_report);

/* Called by retrace_ledger_audit every few hundred records and at the end,
 * on the calling thread, with the records done and the total. */
typedef void (*retrace_progress_fn)(void* ctx, uint64_t done, uint64_t total);

/* Checks every record and every index of the ledger, and judges every
 * cross-ledger receipt's stored bundle again as its append did
 * (AuditAcrossLedgers in retrace/federation.h). Returns RETRACE_OK when the
 * audit ran (read retrace_report_valid). `progress` may be NULL. */
RETRACE_EXPORT int retrace_ledger_audit(const retrace_ledger* ledger, retrace_progress_fn progress,
                                        void* progress_ctx, retrace_report** out_report);

/* The integrity-only audit (AuditScope::kIntegrity in retrace/ledger.h):
 * hashes, chain links, the Merkle tree and the indexes, no signatures and no
 * rule replay. Same contract as retrace_ledger_audit. */
RETRACE_EXPORT int retrace_ledger_audit_integrity(const retrace_ledger* ledger,
                                                  retrace_progress_fn progress,
                                                  void* progress_ctx,
                                                  retrace_report** out_report);

/* Report accessors. A report from retrace_ledger_verify or
 * retrace_bundle_verify has lots, edges and origins (a bundle's are its
 * lineage's); one from retrace_ledger_audit has none (counts are 0). Borrowed
 * strings are valid until retrace_report_free. Accessors on a NULL report
 * return 0 / NULL. */

/* The report as JSON: schema "retrace.verify/v1", "retrace.audit/v1" or
 * "retrace.bundle-report/v1". */
RETRACE_EXPORT int retrace_report_json(const retrace_report* report, char** out_json,
                                       size_t* out_len);
/* "retrace.verify/v1", "retrace.audit/v1" or "retrace.bundle-report/v1"
 * (borrowed). */
RETRACE_EXPORT const char* retrace_report_schema(const retrace_report* report);
/* 1 if nothing was found wrong, else 0. */
RETRACE_EXPORT int retrace_report_valid(const retrace_report* report);
/* The verified lot ("" for an audit). */
RETRACE_EXPORT const char* retrace_report_lot_id(const retrace_report* report);
RETRACE_EXPORT uint64_t retrace_report_records_checked(const retrace_report* report);
RETRACE_EXPORT uint64_t retrace_report_signatures_checked(const retrace_report* report);
/* The ledger size and head hash the verification read. */
RETRACE_EXPORT uint64_t retrace_report_tree_size(const retrace_report* report);
RETRACE_EXPORT int retrace_report_head_hash(const retrace_report* report, uint8_t out_hash[32]);

RETRACE_EXPORT size_t retrace_report_finding_count(const retrace_report* report);
/* Finding i (0-based): its stable code ("signature_invalid", ...; see
 * docs/verification.md), the record and lot it concerns ("" if none) and a
 * sentence. Any out pointer may be NULL. RETRACE_INVALID_ARGUMENT if i is
 * out of range. */
RETRACE_EXPORT int retrace_report_finding(const retrace_report* report, size_t i,
                                          const char** out_code, uint64_t* out_seq,
                                          const char** out_lot_id, const char** out_message);

RETRACE_EXPORT size_t retrace_report_origin_count(const retrace_report* report);
/* Origin i: the extracted lot, the mine, its site, the grams of the
 * verified lot's rare earths attributable to it and that share in parts per
 * million. Any out pointer may be NULL. RETRACE_INVALID_ARGUMENT if i is
 * out of range. */
RETRACE_EXPORT int retrace_report_origin(const retrace_report* report, size_t i,
                                         const char** out_origin_lot, const char** out_actor_id,
                                         const char** out_site, uint64_t* out_rare_earth_g,
                                         uint32_t* out_share_ppm);

RETRACE_EXPORT size_t retrace_report_lot_count(const retrace_report* report);
/* Lineage lot i (the verified lot first): id, material class name
 * ("magnet", ...), gross mass, rare-earth mass, 1 if it is an origin. */
RETRACE_EXPORT int retrace_report_lot(const retrace_report* report, size_t i,
                                      const char** out_lot_id, const char** out_material,
                                      uint64_t* out_mass_g, uint64_t* out_rare_earth_g,
                                      int* out_is_origin);

RETRACE_EXPORT size_t retrace_report_edge_count(const retrace_report* report);
/* Edge i: consumed_g of input_lot went into output_lot at record seq. */
RETRACE_EXPORT int retrace_report_edge(const retrace_report* report, size_t i,
                                       const char** out_input_lot, const char** out_output_lot,
                                       uint64_t* out_consumed_g, uint64_t* out_seq);

RETRACE_EXPORT void retrace_report_free(retrace_report* report);

/* ------------------------------------------------------------------------
 * Transparency: signed checkpoints, witnesses and offline proofs
 * (retrace/note.h, checkpoint.h, bundle.h; docs/transparency.md).
 *
 * Checkpoints are C2SP signed notes. Log keys and witness keys are Ed25519
 * note keys: a log key signs with type "ed25519", a witness cosigns with
 * "cosignature/v1". Keys travel as text: a verifier key
 * "<name>+<hex8>+<base64>" is public; a signer key "PRIVATE+KEY+..." is a
 * secret kept in a 0600 file. */

/* A fresh note signing key named `name` (the log's origin line, e.g. the
 * ledger name) of `type` "ed25519" (a log key) or "cosignature/v1" (a
 * witness key). RETRACE_INVALID_ARGUMENT for a bad name or type. */
RETRACE_EXPORT int retrace_note_signer_generate(const char* name, const char* type,
                                                retrace_note_signer** out_signer);
/* Reads a signer key file (mode 0600; RETRACE_FAILED_PRECONDITION if group
 * or others may read it). */
RETRACE_EXPORT int retrace_note_signer_load(const char* path, retrace_note_signer** out_signer);
/* Writes the signer key to a new file with mode 0600
 * (RETRACE_ALREADY_EXISTS if it exists: nothing is overwritten). */
RETRACE_EXPORT int retrace_note_signer_save(const retrace_note_signer* signer, const char* path);
/* The public verifier key "<name>+<hex8>+<base64>" to hand to verifiers. */
RETRACE_EXPORT int retrace_note_signer_verifier_key(const retrace_note_signer* signer,
                                                    char** out_key, size_t* out_len);
RETRACE_EXPORT void retrace_note_signer_free(retrace_note_signer* signer);

/* Parses a verifier key "<name>+<hex8>+<base64>". RETRACE_INVALID_ARGUMENT
 * if malformed or its key ID does not match. */
RETRACE_EXPORT int retrace_note_verifier_parse(const char* key,
                                               retrace_note_verifier** out_verifier);
RETRACE_EXPORT void retrace_note_verifier_free(retrace_note_verifier* verifier);

/* Signs and stores a checkpoint of the whole current log with the log key
 * `log_key` (type "ed25519") and returns the signed note. Before signing,
 * the ledger proves the log extends its last stored checkpoint and that
 * every record since hashes to its leaf: RETRACE_CORRUPTION if the log was
 * rewritten (nothing is signed). RETRACE_FAILED_PRECONDITION for a
 * read-only ledger; RETRACE_INVALID_ARGUMENT for a cosignature key. */
RETRACE_EXPORT int retrace_ledger_checkpoint_sign(retrace_ledger* ledger,
                                                  const retrace_note_signer* log_key,
                                                  char** out_note, size_t* out_len);
/* The latest stored signed checkpoint note, with its cosignatures.
 * RETRACE_NOT_FOUND if none was signed yet. */
RETRACE_EXPORT int retrace_ledger_checkpoint_latest(const retrace_ledger* ledger,
                                                    char** out_note, size_t* out_len);
/* Adds witness cosignatures (the lines a witness returned, or a whole
 * cosigned note) to the stored checkpoint they verify against, keeping only
 * lines by the `n_witnesses` keys given; returns the stored note.
 * RETRACE_NOT_FOUND if no stored checkpoint matches;
 * RETRACE_VERIFICATION_FAILED if a line by a given witness does not verify
 * or none is by one. */
RETRACE_EXPORT int retrace_ledger_checkpoint_add_cosignatures(
    retrace_ledger* ledger, const char* cosignatures,
    const retrace_note_verifier* const* witnesses, size_t n_witnesses, char** out_note,
    size_t* out_len);

/* Opens a signed checkpoint offline: it must carry a valid signature by one
 * of the `n_log_keys` log keys, and every signature by a given key must
 * verify; then at least `quorum` distinct witnesses of `witnesses` must
 * have cosigned (0: none required). On success writes the tree size, root
 * hash and the number of verified cosignatures (any out pointer may be
 * NULL). RETRACE_INVALID_ARGUMENT for a malformed note (or a quorum larger
 * than the witnesses given); RETRACE_VERIFICATION_FAILED if no log key
 * signed it, a known signature fails, or the quorum is not met. */
RETRACE_EXPORT int retrace_checkpoint_verify(const char* note,
                                             const retrace_note_verifier* const* log_keys,
                                             size_t n_log_keys,
                                             const retrace_note_verifier* const* witnesses,
                                             size_t n_witnesses, size_t quorum,
                                             uint64_t* out_tree_size, uint8_t out_root_hash[32],
                                             size_t* out_cosignatures);

/* A lineage bundle of the lot: every record its verification reads, each
 * with an inclusion proof in the latest stored checkpoint, which it carries.
 * Binary (protobuf); free with retrace_free. RETRACE_NOT_FOUND for an
 * unknown lot; RETRACE_FAILED_PRECONDITION if no checkpoint covers the lot
 * yet or its lineage has findings. */
RETRACE_EXPORT int retrace_ledger_prove_lot(const retrace_ledger* ledger, const char* lot_id,
                                            uint8_t** out_bundle, size_t* out_len);
/* A C2SP tlog-proof@v1 text of record `seq` in the latest stored
 * checkpoint. RETRACE_NOT_FOUND if seq >= size; RETRACE_FAILED_PRECONDITION
 * if no checkpoint covers it yet. */
RETRACE_EXPORT int retrace_ledger_prove_record(const retrace_ledger* ledger, uint64_t seq,
                                               char** out_proof, size_t* out_len);

/* Verifies a lineage bundle with no ledger, against the trust anchors: the
 * ledger's root (regulator) key, the log key, and a witness policy
 * (`quorum` of `witnesses`; 0 and NULL for none). Returns RETRACE_OK when
 * the bundle was checked -- read retrace_report_valid; the report's schema
 * is "retrace.bundle-report/v1", its findings the bundle's and its
 * lineage's. RETRACE_INVALID_ARGUMENT if the bytes are not a bundle.
 * `log_key` NULL: the log key the bundle's own regulator-signed policy names
 * for its log (BundleLogKeyFromPolicy), with that policy's witnesses when
 * `n_witnesses` is 0; RETRACE_FAILED_PRECONDITION if it names none. */
RETRACE_EXPORT int retrace_bundle_verify(const uint8_t* bundle, size_t bundle_len,
                                         const retrace_public_key* root_key,
                                         const retrace_note_verifier* log_key,
                                         const retrace_note_verifier* const* witnesses,
                                         size_t n_witnesses, size_t quorum,
                                         retrace_report** out_report);

/* ------------------------------------------------------------------------
 * EPCIS 2.0 interchange (retrace/epcis.h, docs/epcis.md). */

/* The lot's custody history (every record its state depends on) as an
 * EPCIS 2.0 JSON-LD document. RETRACE_NOT_FOUND for an unknown lot. */
RETRACE_EXPORT int retrace_ledger_export_epcis_lot(const retrace_ledger* ledger, const char* lot_id,
                                                   char** out_json, size_t* out_len);

/* Records first_seq..last_seq (inclusive) as an EPCIS 2.0 document.
 * RETRACE_INVALID_ARGUMENT for an empty or out-of-range range. */
RETRACE_EXPORT int retrace_ledger_export_epcis_range(const retrace_ledger* ledger,
                                                     uint64_t first_seq, uint64_t last_seq,
                                                     char** out_json, size_t* out_len);

/* Converts an EPCIS 2.0 document into custody events and queues them on
 * `batch`, each signed by the key `key_for_actor` returns for its actor
 * (return NULL for an unknown actor: the call then fails with
 * RETRACE_NOT_FOUND naming it). Nothing is queued on error.
 * RETRACE_INVALID_ARGUMENT names the EPCIS event the ledger cannot
 * represent. *out_added (may be NULL) receives the number queued. */
typedef const retrace_signer* (*retrace_signer_lookup_fn)(void* ctx, const char* actor_id);
RETRACE_EXPORT int retrace_batch_add_epcis(retrace_batch* batch, const char* document,
                                           size_t document_len,
                                           retrace_signer_lookup_fn key_for_actor, void* ctx,
                                           size_t* out_added);


/* ---------------------------------------------------------------------------
 * Publishing, mirroring, witnesses over HTTP, the monthly flow report
 * (retrace/publish.h, mirror.h, witness_http.h, flow_report.h;
 * docs/publishing.md). */

/* Publishes the ledger as a C2SP tiled transparency log into `webroot`
 * (created if missing): the tiles and entry bundles new since the
 * checkpoint already there, then the checkpoint by an atomic rename. With
 * `log_key` (may be NULL) a checkpoint of the whole tree is signed first;
 * without, the latest stored one is published. `sync` non-zero: fsync
 * files and directories. *out_json (may be NULL) receives a
 * retrace.publish/v1 summary. RETRACE_FAILED_PRECONDITION if there is no
 * checkpoint, or the webroot holds another log's or a larger one;
 * RETRACE_VERIFICATION_FAILED if it holds another history. */
RETRACE_EXPORT int retrace_ledger_publish(retrace_ledger* ledger, const char* webroot,
                                          const retrace_note_signer* log_key, int sync,
                                          char** out_json, size_t* out_len);

/* Republishes a ledger on a thread every `period_ms` milliseconds (and
 * once at start), for a long-running writer: a new checkpoint is signed
 * with `log_key` (may be NULL) whenever the ledger grew. The ledger and
 * log_key must outlive the publisher. Thread-safe handle. */
typedef struct retrace_publisher retrace_publisher;
RETRACE_EXPORT int retrace_publisher_start(retrace_ledger* ledger, const char* webroot,
                                           const retrace_note_signer* log_key,
                                           unsigned period_ms, retrace_publisher** out_publisher);
/* Publishes now (asynchronously). */
RETRACE_EXPORT void retrace_publisher_notify(retrace_publisher* publisher);
/* The outcome of the latest publication (RETRACE_OK or a code; the message
 * is then retrace_last_error()) and the size it published. */
RETRACE_EXPORT int retrace_publisher_status(const retrace_publisher* publisher,
                                            uint64_t* out_published_size);
/* Stops the thread after a last publication. Accepts NULL. */
RETRACE_EXPORT void retrace_publisher_free(retrace_publisher* publisher);

/* Mirrors the published log at `source` (a directory or an http(s) URL)
 * into the ledger directory `mirror_dir` (created at the first run),
 * checking the checkpoint's signature by `log_key`, `quorum` cosignatures
 * among the `n_witnesses` `witnesses` (may be NULL when 0), every tile and
 * every record. Returns RETRACE_OK when the run completed, with
 * *out_findings (may be NULL) the number of findings (split_view,
 * checkpoint_rolled_back, tile_mismatch, entry_mismatch, record_refused;
 * the mirror then holds only what verified). *out_json (may be NULL):
 * retrace.mirror/v1. Errors leave the mirror unchanged:
 * RETRACE_VERIFICATION_FAILED (signature, quorum or another origin),
 * RETRACE_NOT_FOUND, RETRACE_IO_ERROR, RETRACE_INVALID_ARGUMENT. */
RETRACE_EXPORT int retrace_mirror(const char* source, const char* mirror_dir,
                                  const retrace_note_verifier* log_key,
                                  const retrace_note_verifier* const* witnesses,
                                  size_t n_witnesses, size_t quorum, size_t* out_findings,
                                  char** out_json, size_t* out_len);

/* Asks `n` witnesses over HTTP (tlog-witness add-checkpoint at urls[i],
 * cosignature key witness_keys[i]) to cosign the latest stored checkpoint,
 * stopping once `quorum` cosigned; stores the verified cosignatures and
 * returns the stored note. `timeout_ms` per request (0: 30 s).
 * *out_cosigned (may be NULL): how many cosigned.
 * RETRACE_VERIFICATION_FAILED if the quorum was not met (what was gathered
 * is stored; the message names each witness's answer). */
RETRACE_EXPORT int retrace_ledger_checkpoint_gather(retrace_ledger* ledger,
                                                    const char* const* urls,
                                                    const retrace_note_verifier* const* witness_keys,
                                                    size_t n, size_t quorum, unsigned timeout_ms,
                                                    size_t* out_cosigned, char** out_note,
                                                    size_t* out_len);

/* The monthly flow report over `n` ledgers (each with a stored checkpoint)
 * for `month` ("YYYY-MM"), as "json" (retrace.flow-report/v1), "text",
 * "csv" or "html". *out_findings (may be NULL): the number of findings.
 * With `monitor_key` (may be NULL) *out_signature (then required) receives
 * the signed note over the JSON form. */
RETRACE_EXPORT int retrace_flow_report(const retrace_ledger* const* ledgers, size_t n,
                                       const char* month, const char* format,
                                       const retrace_note_signer* monitor_key,
                                       size_t* out_findings, char** out_report,
                                       char** out_signature);

/* ------------------------------------------------------------------------
 * Federation: a lot received from another ledger with the sender's lineage
 * bundle (retrace/federation.h, docs/federation.md). retrace_ledger_verify
 * and retrace_bundle_verify walk on across ledgers. */

/* Receives in `ledger` a lot shipped to it from another ledger: `bundle` is
 * the sender's lineage bundle of the lot (retrace_ledger_prove_lot in the
 * sender's ledger). The receipt event is built from the bundle, stated by
 * the shipment's consignee and signed with `consignee` (its key), and
 * appended with the bundle, which the ledger verifies against the trusted
 * log its policy names and stores. `consistency` (may be NULL) is the
 * sender's tlog-witness add-checkpoint request body (`retrace consistency
 * --from-size N`, N the size of the sender checkpoint `ledger` holds),
 * needed once it holds one. `event_id` may be NULL (random). On success
 * *out_seq (may be NULL) is the receipt's sequence number.
 * RETRACE_VERIFICATION_FAILED: the bundle does not verify, does not end in a
 * shipment of the lot to this ledger and key's actor, or its checkpoint is
 * not proven consistent; RETRACE_FAILED_PRECONDITION: the sender's log is
 * not trusted; RETRACE_INVALID_ARGUMENT: not a bundle or not a request; the
 * append errors above otherwise. The ledger is unchanged on every error. */
RETRACE_EXPORT int retrace_ledger_receive(retrace_ledger* ledger, const retrace_signer* consignee,
                                          const uint8_t* bundle, size_t bundle_len,
                                          const char* consistency, size_t consistency_len,
                                          const char* event_id, uint64_t* out_seq);

/* retrace_ledger_receive, with the consistency proof read from the tiles
 * the sender publishes at `sender_log` (a directory or an http(s) URL, as
 * for retrace_mirror), authenticated against the larger of the two
 * checkpoints; the receipt verifies it against both signed roots. Errors as
 * retrace_ledger_receive, and the fetch's (e.g. RETRACE_NOT_FOUND for a
 * missing tile, RETRACE_VERIFICATION_FAILED for tiles of another tree). */
RETRACE_EXPORT int retrace_ledger_receive_published(retrace_ledger* ledger,
                                                    const retrace_signer* consignee,
                                                    const uint8_t* bundle, size_t bundle_len,
                                                    const char* sender_log, const char* event_id,
                                                    uint64_t* out_seq);

/* Compares another party's checkpoints of the sender ledger `origin`
 * (`n_notes` signed notes, e.g. the checkpoints its ledger holds) with
 * those `ledger` holds, under the log key its policy trusts for `origin`:
 * two of one size with different roots are a split view. With
 * `sender_log` (may be NULL: equal sizes only), the tiles the sender
 * publishes, checkpoints of different sizes are compared too. On success
 * *out_json is schema "retrace.compare/v1" ("consistent", "compared",
 * "unverified", "unproven", "split_views" with both notes as evidence).
 * RETRACE_FAILED_PRECONDITION if the policy trusts no log `origin`. */
RETRACE_EXPORT int retrace_ledger_compare_checkpoints(const retrace_ledger* ledger,
                                                      const char* origin,
                                                      const char* const* notes, size_t n_notes,
                                                      const char* sender_log, char** out_json,
                                                      size_t* out_len);

/* Imports into `ledger`, bound to the regulator's registry (a ledger created
 * with a registry binding: `retrace init --registry-key`), every registry
 * record it has not imported yet, read from `registry` -- a local copy of
 * the registry ledger (a mirror of its published log, or the registry
 * itself) -- each proven against `registry`'s latest checkpoint, in one
 * transaction, all or none; at most `max_records` if not 0
 * (docs/federation.md, "The registry"). *out_appended (may be NULL) is the
 * number of records appended: 0 when there is nothing new, which is no
 * error. RETRACE_VERIFICATION_FAILED: an import does not verify (a forked
 * registry, a checkpoint below the witness quorum or not signed by the bound
 * key, a record that is not the bound registry's authority record);
 * RETRACE_FAILED_PRECONDITION: `ledger` is bound to no registry, or
 * `registry` holds no checkpoint; RETRACE_INVALID_ARGUMENT: `registry` is
 * not the bound registry. The ledger is unchanged on every error. */
RETRACE_EXPORT int retrace_ledger_import_registry(retrace_ledger* ledger,
                                                  const retrace_ledger* registry,
                                                  uint64_t max_records, uint64_t* out_appended);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* RETRACE_C_H_ */
