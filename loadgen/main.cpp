// bangdan-loadgen: drives a bangdan server (or Redis, for comparison) with
// generated campaign traffic and reports what it measured (SPEC §8).
#include <cstdio>

#include "options.h"
#include "report.h"
#include "runner.h"

int main(int argc, char** argv) {
  using namespace bangdan::loadgen;
  Options options;
  bangdan::Status s = ParseOptions(argc, argv, &options);
  if (!s.ok()) {
    std::fprintf(stderr, "bangdan-loadgen: %s\n", s.message().c_str());
    return 2;
  }
  if (options.help) {
    std::fputs(Usage().c_str(), stdout);
    return 0;
  }
  Report report;
  s = Run(options, &report);
  if (!s.ok()) {
    std::fprintf(stderr, "bangdan-loadgen: %s\n", s.message().c_str());
    return 2;
  }
  std::fputs(FormatText(report).c_str(), stdout);
  if (!options.report.empty()) {
    s = WriteFile(options.report, FormatJson(report));
    if (!s.ok()) {
      std::fprintf(stderr, "bangdan-loadgen: %s\n", s.message().c_str());
      return 1;
    }
  }
  return report.ok() ? 0 : 1;
}
