// Symbol visibility for the retrace library.
#ifndef RETRACE_EXPORT_H_
#define RETRACE_EXPORT_H_

#if defined(RETRACE_STATIC_DEFINE)
#define RETRACE_EXPORT
#elif defined(_WIN32)
#if defined(RETRACE_BUILDING_LIBRARY)
#define RETRACE_EXPORT __declspec(dllexport)
#else
#define RETRACE_EXPORT __declspec(dllimport)
#endif
#elif defined(__cplusplus)
// The standard-attribute spelling: GCC rejects __attribute__ after another
// attribute in a class head, as in `class [[nodiscard]] RETRACE_EXPORT Status`.
#define RETRACE_EXPORT [[gnu::visibility("default")]]
#else
#define RETRACE_EXPORT __attribute__((visibility("default")))
#endif

#endif  // RETRACE_EXPORT_H_
