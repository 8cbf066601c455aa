// `hetrun conformance` itself: cases run in a worker process, and a crash, a hang or damage one
// case leaves behind is that case's failure, named, while the run goes on (testdev's faults).
#include <gtest/gtest.h>

#include <string>

#include "cli_support.h"

namespace hetrun::test {
namespace {

const std::string kCases = HETRUN_CONFORMANCE_CASES_DIR;

// Runs the three cases (test_a_abs, test_b_relu, test_c_neg) on `devices`; `env` sets testdev's
// op set and faults.
Command Conformance(const std::string& devices, const std::string& env,
                    const std::string& extra = "") {
  return RunHetrun("conformance --devices " + devices + " --plugin-path " + HETRUN_TEST_PLUGIN_DIR +
                       " " + extra + " " + kCases,
                   env, "conformance");
}

// With testdev running only Relu: test_b_relu failed with `reason` (one FAILED line), and
// test_c_neg, after it, was still reached (unsupported, as test_a_abs).
void ExpectRelusFailureThenTheRunGoesOn(const Command& c, const std::string& reason) {
  EXPECT_EQ(c.exit_code, 1) << c.out << c.err;
  const size_t failed = c.out.find("FAILED test_b_relu: " + reason + "\n");
  EXPECT_NE(failed, std::string::npos) << c.out;
  EXPECT_NE(c.out.find("UNSUPPORTED test_c_neg", failed), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("0 passed, 3 failed, 0 skipped"), std::string::npos) << c.out;
}

TEST(CliConformance, EveryCasePassesInOneWorker) {
  const Command c = Conformance("cpu", "");
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_NE(c.out.find("3 passed, 0 failed, 0 skipped"), std::string::npos) << c.out;
  const Command t = Conformance("testdev", "HETRUN_TESTDEV_OPS='*'");
  EXPECT_EQ(t.exit_code, 0) << t.out << t.err;
  EXPECT_NE(t.out.find("3 passed, 0 failed, 0 skipped"), std::string::npos) << t.out;
}

// testdev runs only Relu: test_a_abs and test_c_neg are unsupported, test_b_relu's executable
// crashes, and the case after it is still reached.
TEST(CliConformance, ACrashFailsItsCaseAndTheNextCasesStillRun) {
  const Command c = Conformance("testdev",
                                "HETRUN_TESTDEV_OPS=Relu HETRUN_TESTDEV_FAIL_EXECUTABLE=0 "
                                "HETRUN_TESTDEV_FAULT=crash");
  ExpectRelusFailureThenTheRunGoesOn(c, "crashed: Aborted");
}

TEST(CliConformance, AHangIsKilledAtTheDeadline) {
  const Command c = Conformance("testdev",
                                "HETRUN_TESTDEV_OPS=Relu HETRUN_TESTDEV_FAIL_EXECUTABLE=0 "
                                "HETRUN_TESTDEV_FAULT=hang",
                                "--timeout-ms 1500");
  ExpectRelusFailureThenTheRunGoesOn(c, "timed out after 1500 ms");
}

// The second testdev executable of the process crashes: test_b_relu's in the worker that ran
// test_a_abs, whose executable was the first. Alone, test_b_relu's is the first and passes: the
// failure stands, blamed on the earlier case.
TEST(CliConformance, DamageLeftByAnEarlierCaseIsNamed) {
  const Command c = Conformance("testdev",
                                "HETRUN_TESTDEV_OPS='*' HETRUN_TESTDEV_FAIL_EXECUTABLE=1 "
                                "HETRUN_TESTDEV_FAIL_SCOPE=process HETRUN_TESTDEV_FAULT=crash");
  EXPECT_EQ(c.exit_code, 1) << c.out << c.err;
  EXPECT_NE(c.out.find("FAILED test_b_relu: crashed: Aborted after 1 earlier case(s) in the same "
                       "worker (the last: test_a_abs); alone it passed: an earlier case left the "
                       "process damaged\n"),
            std::string::npos)
      << c.out;
  // The failure replaced the worker: test_c_neg's executable is its new worker's first.
  EXPECT_NE(c.out.find("2 passed, 1 failed, 0 skipped"), std::string::npos) << c.out;
}

}  // namespace
}  // namespace hetrun::test
