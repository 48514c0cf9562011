// What the layers above the ledger (lineage bundles, publishing) may reach
// of an open ledger besides its public API (internal).
#ifndef RETRACE_LIB_LEDGER_LEDGER_INTERNAL_H_
#define RETRACE_LIB_LEDGER_LEDGER_INTERNAL_H_

#include <functional>
#include <string_view>

#include "retrace/ledger.h"
#include "retrace/status.h"
#include "storage/lmdb_env.h"

namespace retrace::internal {

// Runs `fn` in one read transaction of `ledger`'s LMDB environment, with the
// ledger's name (the origin of its checkpoints). Returns fn's status;
// kInvalidArgument if `ledger` is not a ledger Ledger::Open or
// Ledger::Create returned (a host's own subclass).
Status ReadLedger(const Ledger& ledger,
                  const std::function<Status(const Txn& txn, std::string_view name)>& fn);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_LEDGER_INTERNAL_H_
