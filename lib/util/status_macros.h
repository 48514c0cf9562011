// Propagation macros for Status / Result<T> (internal; not part of the API).
#ifndef RETRACE_LIB_UTIL_STATUS_MACROS_H_
#define RETRACE_LIB_UTIL_STATUS_MACROS_H_

#include "retrace/status.h"

#define RETRACE_CONCAT_INNER_(a, b) a##b
#define RETRACE_CONCAT_(a, b) RETRACE_CONCAT_INNER_(a, b)

// Evaluates `expr` (a Status); returns it from the enclosing function if not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::retrace::Status _retrace_st = (expr);        \
    if (!_retrace_st.ok()) return _retrace_st;     \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, FunctionReturningResult());`
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(RETRACE_CONCAT_(_retrace_res_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(res, lhs, expr) \
  auto res = (expr);                           \
  if (!res.ok()) return res.status();          \
  lhs = std::move(res).value()

#endif  // RETRACE_LIB_UTIL_STATUS_MACROS_H_
