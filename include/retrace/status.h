// Status and Result<T>: how every public retrace function reports failure.
//
// No exception crosses the public API. A function either succeeds (Status::Ok()
// or a Result holding a value) or returns one of the closed set of codes below
// with a message meant for a person: it names what was wrong and, for a
// mutating call, states that nothing was changed.
//
// "Could not check" is an error (a Status); "checked, and it is wrong" is a
// verification report with findings (see verifier.h), not an error.
//
// Thread safety: Status and Result are values; distinct objects may be used
// from distinct threads freely, and const access to one object is safe.
#ifndef RETRACE_STATUS_H_
#define RETRACE_STATUS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "retrace/export.h"

namespace retrace {

// The closed set of error codes. Values are stable (the C API returns them).
enum class StatusCode : int {
  kOk = 0,
  // The caller passed something malformed: bad JSON, a negative mass, an
  // unknown enum value, a key of the wrong type. Retrying the same call fails.
  kInvalidArgument = 1,
  // A named thing (lot, record, actor, key, file) does not exist.
  kNotFound = 2,
  // A thing that must be unique (lot id, event id, actor id) already exists.
  kAlreadyExists = 3,
  // The call is well-formed but the ledger's state forbids it: shipping a lot
  // you do not hold, consuming more than remains, an unregistered signer.
  kFailedPrecondition = 4,
  // A configured limit was hit (record too large, map cannot grow, disk full).
  kResourceExhausted = 5,
  // The operating system or LMDB failed to read or write.
  kIoError = 6,
  // Stored data is damaged or inconsistent: a record that does not parse, an
  // index that disagrees with the log, a file that is not a ledger.
  kCorruption = 7,
  // A signature or proof did not verify.
  kVerificationFailed = 8,
  // A bug in retrace or a dependency; please report it.
  kInternal = 9,
};

// Returns a stable lower-case name for `code`, e.g. "invalid argument".
RETRACE_EXPORT const char* StatusCodeName(StatusCode code) noexcept;

class [[nodiscard]] RETRACE_EXPORT Status {
 public:
  // An OK status. Cheap: no allocation.
  Status() noexcept = default;
  Status(StatusCode code, std::string message);

  static Status Ok() noexcept { return Status(); }

  bool ok() const noexcept { return code_ == StatusCode::kOk; }
  StatusCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

  // "<code name>: <message>", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>". OK stays OK.
  Status Annotate(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline bool operator==(const Status& a, const Status& b) noexcept {
  return a.code() == b.code() && a.message() == b.message();
}

RETRACE_EXPORT Status InvalidArgumentError(std::string message);
RETRACE_EXPORT Status NotFoundError(std::string message);
RETRACE_EXPORT Status AlreadyExistsError(std::string message);
RETRACE_EXPORT Status FailedPreconditionError(std::string message);
RETRACE_EXPORT Status ResourceExhaustedError(std::string message);
RETRACE_EXPORT Status IoError(std::string message);
RETRACE_EXPORT Status CorruptionError(std::string message);
RETRACE_EXPORT Status VerificationFailedError(std::string message);
RETRACE_EXPORT Status InternalError(std::string message);

// Result<T> holds either a T or a non-OK Status (never an OK status).
//
// Accessing value() (or *, ->) of an error Result is a programming error:
// in every build it throws std::bad_variant_access (std::get), which the
// library never catches for you. Check ok() first. (The library itself does
// not let that exception cross its API: the C API catches everything.)
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit from a value or a non-OK status, so functions can `return x;`.
  Result(T value) : v_(std::move(value)) {}  // NOLINT(runtime/explicit)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(runtime/explicit)
    if (std::get<Status>(v_).ok()) {
      v_ = Status(StatusCode::kInternal, "Result constructed from an OK status");
    }
  }

  bool ok() const noexcept { return std::holds_alternative<T>(v_); }

  // The error, or OK when a value is held.
  Status status() const {
    if (ok()) return Status::Ok();
    return std::get<Status>(v_);
  }

  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The value, or `fallback` on error.
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace retrace

#endif  // RETRACE_STATUS_H_
