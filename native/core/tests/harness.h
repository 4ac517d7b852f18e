// A tiny test harness for the C++ core (no dependency beyond the standard
// library, so the tests build wherever the core builds, GPU machines included).
//
//   SAD_TEST(group, name) { ... SAD_CHECK(cond) << "context"; ... }
//
// Tests register themselves; `sad_core_tests GROUP...` runs the groups named
// (all when none). A failed check records a message with file and line and the
// test goes on (so one run shows every mismatch, capped per test); skip(reason)
// marks a test skipped with the reason printed. Exit status: 0 when nothing failed.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace sad_test {

struct Test {
  const char* group;
  const char* name;
  void (*fn)();
};

std::vector<Test>& registry();

struct Register {
  Register(const char* group, const char* name, void (*fn)()) { registry().push_back({group, name, fn}); }
};

// Failure bookkeeping for the test that is running.
void record_failure(const char* file, int line, const std::string& msg);
[[noreturn]] void skip(const std::string& reason);  // ends the test, marks it skipped
int failures_in_current_test();

// Streams extra context into a failure message; records it when destroyed.
class Failure {
 public:
  Failure(const char* file, int line, const char* what) : file_(file), line_(line) { os_ << what; }
  ~Failure() { record_failure(file_, line_, os_.str()); }
  template <class V>
  Failure& operator<<(const V& v) {
    os_ << v;
    return *this;
  }

 private:
  const char* file_;
  int line_;
  std::ostringstream os_;
};

}  // namespace sad_test

#define SAD_TEST(group, name)                                                           \
  static void sad_test_##group##_##name();                                              \
  static ::sad_test::Register sad_test_reg_##group##_##name(#group, #name,              \
                                                            &sad_test_##group##_##name); \
  static void sad_test_##group##_##name()

// `SAD_CHECK(c) << "context";` builds (and streams into) a Failure only when c is false.
#define SAD_CHECK(cond) \
  if (!(cond)) ::sad_test::Failure(__FILE__, __LINE__, "check failed: " #cond "  ")

// Runs `stmt` and checks that it throws sad::Error whose message contains `needle`.
#define SAD_CHECK_THROWS(stmt, needle)                                                            \
  do {                                                                                            \
    std::string sad_msg_;                                                                         \
    bool sad_threw_ = false;                                                                      \
    try {                                                                                         \
      stmt;                                                                                       \
    } catch (const sad::Error& e) {                                                               \
      sad_threw_ = true;                                                                          \
      sad_msg_ = e.what();                                                                        \
    }                                                                                             \
    SAD_CHECK(sad_threw_) << "expected sad::Error from " #stmt;                                   \
    if (sad_threw_)                                                                               \
      SAD_CHECK(sad_msg_.find(needle) != std::string::npos) << "message \"" << sad_msg_           \
                                                            << "\" lacks \"" << (needle) << "\""; \
  } while (0)
