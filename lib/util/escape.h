// Text from input that reaches a message, a terminal or a log (internal).
#ifndef RETRACE_LIB_UTIL_ESCAPE_H_
#define RETRACE_LIB_UTIL_ESCAPE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace retrace::internal {

// `s` made safe to print: printable ASCII and valid UTF-8 other than
// control characters pass; every other byte is written \xHH (a backslash as
// \\); the result is cut to about `max` bytes, with "..." and the input's
// length appended when cut.
std::string EscapeForMessage(std::string_view s, std::size_t max = 200);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_UTIL_ESCAPE_H_
