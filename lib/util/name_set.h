// The names one record mentions, for "is this the first time it names this
// lot?" (internal).
//
// A record names a few lots; a merge may name thousands. Comparing each new
// name with every earlier one is quadratic in the merge's width, and a
// hash set costs more than the scan for the usual handful: so the names
// are kept in a vector, and in a set as well once there are more than
// kLinear of them. Clear() keeps both allocations for the next record (an
// unordered_set's clear() visits every bucket even when it is empty, so the
// set is cleared only when it was used). The names are views: what they
// point into must outlive the record.
#ifndef RETRACE_LIB_UTIL_NAME_SET_H_
#define RETRACE_LIB_UTIL_NAME_SET_H_

#include <cstddef>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace retrace::internal {

class NameSet {
 public:
  // Adds `name`; false if it was already there.
  bool Insert(std::string_view name) {
    if (set_.empty()) {
      for (std::string_view n : names_) {
        if (n == name) return false;
      }
      names_.push_back(name);
      if (names_.size() > kLinear) set_.insert(names_.begin(), names_.end());
      return true;
    }
    return set_.insert(name).second;
  }

  void Clear() {
    names_.clear();
    if (!set_.empty()) set_.clear();
  }

 private:
  static constexpr std::size_t kLinear = 16;
  std::vector<std::string_view> names_;
  std::unordered_set<std::string_view> set_;  // names_, once it is long
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_UTIL_NAME_SET_H_
