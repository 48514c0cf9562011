// The book of authority of a record store (internal).
#ifndef RETRACE_LIB_VERIFY_LOAD_AUTHORITY_H_
#define RETRACE_LIB_VERIFY_LOAD_AUTHORITY_H_

#include <memory>
#include <vector>

#include "crypto/key_cache.h"
#include "retrace/status.h"
#include "retrace/verifier.h"
#include "rules/authority.h"
#include "verify/record_store.h"

namespace retrace::internal {

// Builds the book of authority (rules/authority.h) from every record the
// store's authority index lists. A listed record that is missing, does not
// parse or is not an authority record is left out of the book, and is an
// index_inconsistent finding in `findings` if given. Errors only if the
// store cannot be read. `keys` and `memo` as for Authority::Build.
Result<std::shared_ptr<const Authority>> LoadAuthority(const RecordStore& store, KeyCache* keys,
                                                      bool check_signatures = true,
                                                      SignatureMemo* memo = nullptr,
                                                      std::vector<Finding>* findings = nullptr);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_VERIFY_LOAD_AUTHORITY_H_
