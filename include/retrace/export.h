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
#else
#define RETRACE_EXPORT __attribute__((visibility("default")))
#endif

#endif  // RETRACE_EXPORT_H_
