// Silences protobuf's log lines ("String field ... contains invalid UTF-8")
// that malformed input triggers by the million; the CLI does the same.
#ifndef RETRACE_TESTS_FUZZ_FUZZ_QUIET_H_
#define RETRACE_TESTS_FUZZ_FUZZ_QUIET_H_

#include <google/protobuf/stubs/logging.h>

namespace retrace::fuzzing {

inline void QuietProtobuf() {
  static const bool once = [] {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int,
                                       const std::string&) {});
    return true;
  }();
  (void)once;
}

}  // namespace retrace::fuzzing

#endif  // RETRACE_TESTS_FUZZ_FUZZ_QUIET_H_
