#include "verify/load_authority.h"

#include "util/status_macros.h"

namespace retrace::internal {

Result<std::shared_ptr<const Authority>> LoadAuthority(const RecordStore& store, KeyCache* keys,
                                                      bool check_signatures, SignatureMemo* memo,
                                                      std::vector<Finding>* findings) {
  ASSIGN_OR_RETURN(std::vector<std::uint64_t> seqs, store.AuthoritySeqs());
  std::vector<AuthorityRecord> records;
  records.reserve(seqs.size());
  auto report = [&](std::uint64_t seq, const std::string& why) {
    if (findings != nullptr) {
      findings->push_back({finding::kIndexInconsistent, seq, "",
                           "the authority index lists record " + std::to_string(seq) + ", " + why});
    }
  };
  for (std::uint64_t seq : seqs) {
    if (seq >= store.Size()) {
      report(seq, "which is beyond the log");
      continue;
    }
    ASSIGN_OR_RETURN(auto bytes, store.RecordBytes(seq));
    if (!bytes) {
      report(seq, "which is missing");
      continue;
    }
    if (auto r = ReadAuthorityRecord(seq, *bytes)) {
      records.push_back(std::move(*r));
    } else {
      report(seq, "which is not a readable authority record");
    }
  }
  return Authority::Build(std::move(records), keys, memo, check_signatures);
}

}  // namespace retrace::internal
