// The monitor's configuration file (retrace monitor, retrace flow-report):
//
//   {
//     "schema": "retrace.monitor/v1",
//     "mirrors": "mirrors",                 directory of the mirrors, one
//                                           per ledger (relative paths are
//                                           relative to the config file)
//     "timeout_seconds": 30, "attempts": 3, optional
//     "ledgers": [
//       { "name": "cn-registry",            the mirror's folder name
//         "source": "https://.../registry", directory or http(s) URL
//         "log_key": "cn-registry+1a2b3c4d+AU...",   key or key file
//         "witnesses": ["w1+...+BA..."],    optional, keys or files
//         "quorum": 1 }                     optional, default all
//     ]
//   }
#ifndef RETRACE_CLI_MONITOR_CONFIG_H_
#define RETRACE_CLI_MONITOR_CONFIG_H_

#include <string>
#include <vector>

#include "retrace/mirror.h"
#include "retrace/status.h"

namespace retrace::cli {

struct MonitoredLedger {
  std::string name;
  std::string source;
  std::string mirror_dir;
  MirrorOptions options;
};

// kInvalidArgument naming the problem; kNotFound / kIoError for the file.
Result<std::vector<MonitoredLedger>> ReadMonitorConfig(const std::string& path);

}  // namespace retrace::cli

#endif  // RETRACE_CLI_MONITOR_CONFIG_H_
