#include "harness.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>

namespace sad_test {

namespace {
struct Skipped {
  std::string reason;
};
int g_failures = 0;
constexpr int kMaxReportedPerTest = 20;
}  // namespace

std::vector<Test>& registry() {
  static std::vector<Test> tests;
  return tests;
}

void record_failure(const char* file, int line, const std::string& msg) {
  ++g_failures;
  if (g_failures <= kMaxReportedPerTest)
    std::printf("    FAIL %s:%d: %s\n", file, line, msg.c_str());
  else if (g_failures == kMaxReportedPerTest + 1)
    std::printf("    (further failures in this test not shown)\n");
}

void skip(const std::string& reason) { throw Skipped{reason}; }

int failures_in_current_test() { return g_failures; }

}  // namespace sad_test

// Usage: sad_core_tests [GROUP | GROUP.NAME]...   (no argument: every test)
int main(int argc, char** argv) {
  using namespace sad_test;
  std::set<std::string> wanted(argv + 1, argv + argc);
  int run = 0, failed = 0, skipped = 0;
  for (const Test& t : registry()) {
    const std::string full = std::string(t.group) + "." + t.name;
    if (!wanted.empty() && !wanted.count(t.group) && !wanted.count(full)) continue;
    ++run;
    g_failures = 0;
    std::printf("[ RUN  ] %s\n", full.c_str());
    std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    bool was_skipped = false;
    try {
      t.fn();
    } catch (const Skipped& s) {
      was_skipped = true;
      std::printf("[ SKIP ] %s: %s\n", full.c_str(), s.reason.c_str());
    } catch (const std::exception& e) {
      record_failure(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (was_skipped) {
      ++skipped;
      if (g_failures == 0) continue;
    }
    if (g_failures > 0) {
      ++failed;
      std::printf("[ FAIL ] %s (%d failed checks, %.0f ms)\n", full.c_str(), g_failures, ms);
    } else {
      std::printf("[  OK  ] %s (%.0f ms)\n", full.c_str(), ms);
    }
    std::fflush(stdout);
  }
  std::printf("%d tests, %d failed, %d skipped\n", run, failed, skipped);
  if (run == 0) {
    std::printf("no test matched\n");
    return 1;
  }
  return failed == 0 ? 0 : 1;
}
