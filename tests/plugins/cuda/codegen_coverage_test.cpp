// Every op of check-plugin's catalog against the CUDA plugin's support check, with no GPU: the
// CPU plugin runs each case first to decide its output shapes (as check-plugin does), then every
// case the CUDA plugin claims is planned by the shared generator, translated to CUDA C, compiled by
// NVRTC for compute_75 and compute_90, and its PTX is checked by ptxas for sm_75 and sm_90. Every
// claimed op must be compiled at least once (or need no kernel at all: views, compile-time folds),
// and the CUDA plugin must claim every op the Vulkan plugin's generator claims.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cuda_source.h"
#include "cuda_target.h"
#include "executable.h"
#include "graph_info.h"
#include "hetrun/core/graph_view.h"
#include "hetrun/plugin_api/plugin_library.h"
#include "hetrun/runtime/device.h"
#include "nvrtc_compiler.h"
#include "op_case.h"
#include "op_catalog.h"
#include "planner.h"
#include "plugin_runs.h"
#include "tuning.h"

namespace hetrun::cuda {
namespace {

namespace cp = cli::check_plugin;

constexpr int kCasesPerDtype = 2;  // random shapes and attributes differ per case
constexpr uint32_t kSeed = 7;
constexpr uint64_t kTimeoutMs = 60000;

std::filesystem::path ScratchDir() {
  const std::filesystem::path dir = std::filesystem::path(HETRUN_BINARY_DIR) / "cuda_test_tmp" /
                                    ("codegen_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs ptxas on `ptx`; "" when it accepts it, else its output.
std::string Ptxas(const std::vector<char>& ptx, const std::string& sm, const std::string& tag) {
  const std::filesystem::path dir = ScratchDir();
  const std::filesystem::path in = dir / (tag + ".ptx"), log = dir / (tag + ".log");
  {
    std::ofstream out(in);
    out << ptx.data();
  }
  const std::string cmd = std::string(HETRUN_PTXAS) + " -arch=" + sm + " " + in.string() +
                          " -o /dev/null >" + log.string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    std::filesystem::remove(in);
    std::filesystem::remove(log);
    return "";
  }
  std::ifstream text(log);
  return "ptxas -arch=" + sm + " failed (" + in.string() +
         "): " + std::string(std::istreambuf_iterator<char>(text), {});
}

struct Coverage {
  std::set<std::string> cuda_claims, vulkan_claims, compiled, kernel_free;
  int cases = 0, claimed_cases = 0, kernels = 0;
};

class CudaCodegenCoverage : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = plugin_api::PluginLibrary::Load(std::string(HETRUN_PLUGIN_DIR) +
                                                  "/libhetrun_plugin_cpu.so");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    cpu_library_ = std::move(*loaded);
    auto opened = runtime::Device::Open(*cpu_library_, 0, "cpu:0", 0);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    cpu_ = std::move(*opened);
  }
  void TearDown() override {
    cpu_.reset();
    cpu_library_.reset();
  }

  // The case with its output shapes from the CPU plugin's run; false when the CPU cannot run it.
  bool ShapeFromReference(cp::OpCase& c) {
    std::unique_ptr<core::GraphView> view = core::GraphView::Build(c.graph);
    hetrun_node_support support{};
    support.struct_size = sizeof support;
    if (!cpu_->Check(cpu_->api().query_support(cpu_->handle(), view->view(), &support),
                     "query_support")
             .ok() ||
        !support.supported) {
      return false;
    }
    auto exe = cp::Compile(*cpu_, view->view());
    if (!exe.ok()) return false;
    auto outputs =
        cp::RunPluginAllocated(*cpu_, *exe, c.inputs, c.graph.outputs.size(), kTimeoutMs);
    if (!outputs.ok()) return false;
    for (size_t i = 0; i < c.graph.outputs.size() && i < outputs->size(); ++i)
      c.graph.values[static_cast<size_t>(c.graph.outputs[i])].shape =
          core::Shape::Of((*outputs)[i].dims());
    return true;
  }

  std::unique_ptr<plugin_api::PluginLibrary> cpu_library_;
  std::unique_ptr<runtime::Device> cpu_;
};

TEST_F(CudaCodegenCoverage, EveryClaimedOpCompilesWithNvrtcAndPassesPtxas) {
  ASSERT_FALSE(std::string(HETRUN_PTXAS).empty()) << "ptxas not found in the CUDA toolkit";
  const auto start = std::chrono::steady_clock::now();
  const CudaTarget target = OfflineTarget();
  Coverage cov;
  for (const cp::CatalogOp& entry : cp::OpCatalog()) {
    for (core::DType dtype : entry.dtypes) {
      for (int index = 0; index < kCasesPerDtype; ++index) {
        cp::OpCase c = cp::MakeOpCase(entry.op, dtype, kSeed, index);
        if (!ShapeFromReference(c)) continue;
        ++cov.cases;
        std::unique_ptr<core::GraphView> view = core::GraphView::Build(c.graph);
        const vulkan::GraphInfo graph(*view->view());
        const std::string label =
            entry.op + " " + std::string(core::DTypeName(dtype)) + " " + c.summary;
        // The Vulkan plugin's claim: the same generator with Vulkan's default limits.
        const hetrun_node& node = graph.node(0);
        if (vulkan::CheckNodeSupported(graph, 0, vulkan::Limits{}).empty() &&
            node.num_inputs + node.num_outputs <= 32) {
          cov.vulkan_claims.insert(entry.op);
        }
        if (!CheckNode(graph, 0, target).empty()) continue;
        cov.cuda_claims.insert(entry.op);
        ++cov.claimed_cases;
        vulkan::Plan plan;
        try {
          plan = vulkan::BuildPlan(graph, target.limits, target.max_bindings);
        } catch (const std::exception& e) {
          ADD_FAILURE() << label << ": claimed, but the plan failed: " << e.what();
          continue;
        }
        if (plan.kernels.empty()) {
          cov.kernel_free.insert(entry.op);
          continue;
        }
        std::vector<CudaKernel> kernels;
        for (uint32_t k = 0; k < plan.kernels.size(); ++k)
          kernels.push_back(TranslateKernel(plan.kernels[k], k));
        bool ok = true;
        for (const char* arch : {"75", "90"}) {
          std::vector<char> ptx;
          try {
            ptx = CompileModule(kernels, std::string("compute_") + arch);
          } catch (const std::exception& e) {
            ADD_FAILURE() << label << ": " << e.what() << "\n--- CUDA C ---\n"
                          << ModuleSource(kernels).substr(std::string(Prelude()).size());
            ok = false;
            break;
          }
          const std::string tag = entry.op + "_" + std::to_string(cov.claimed_cases) + "_" + arch;
          if (std::string error = Ptxas(ptx, std::string("sm_") + arch, tag); !error.empty()) {
            ADD_FAILURE() << label << ": " << error;
            ok = false;
          }
        }
        if (ok) {
          cov.compiled.insert(entry.op);
          cov.kernels += static_cast<int>(kernels.size());
        }
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "cuda codegen: %d cases, %d claimed, %zu ops claimed (%zu compiled, %zu need no "
      "kernel), %d kernels through NVRTC + ptxas x2 arches, %.1f s\n",
      cov.cases, cov.claimed_cases, cov.cuda_claims.size(), cov.compiled.size(),
      cov.kernel_free.size(), cov.kernels, seconds);
  std::string no_kernel;
  for (const std::string& op : cov.kernel_free)
    if (!cov.compiled.count(op)) no_kernel += " " + op;
  std::printf("claimed ops that never needed a kernel (views, compile-time folds):%s\n",
              no_kernel.c_str());
  EXPECT_GT(cov.compiled.size(), 40u);
  for (const std::string& op : cov.cuda_claims) {
    EXPECT_TRUE(cov.compiled.count(op) || cov.kernel_free.count(op))
        << op << " is claimed but none of its kernels compiled";
  }
  for (const std::string& op : cov.vulkan_claims)
    EXPECT_TRUE(cov.cuda_claims.count(op)) << op << " is claimed by Vulkan's generator, not CUDA";
}

// The tunables the CUDA plugin lists (the shared generator's): every non-default candidate of the
// MatMul, Gemm and Conv cases' kernels also translates, compiles with NVRTC and passes ptxas.
TEST_F(CudaCodegenCoverage, EveryTunableCandidateCompilesWithNvrtcAndPassesPtxas) {
  const CudaTarget target = OfflineTarget();
  int candidates = 0;
  for (const char* op : {"MatMul", "Gemm", "Conv"}) {
    // The first case the plugin claims (random attributes: some are declined).
    cp::OpCase c;
    std::unique_ptr<core::GraphView> view;
    for (int index = 0; index < 16 && !view; ++index) {
      c = cp::MakeOpCase(op, core::DType::kFloat32, kSeed, index);
      if (!ShapeFromReference(c)) continue;
      view = core::GraphView::Build(c.graph);
      if (!CheckNode(vulkan::GraphInfo(*view->view()), 0, target).empty()) view.reset();
    }
    ASSERT_TRUE(view) << "no claimed " << op << " case among the first 16";
    const vulkan::GraphInfo graph(*view->view());
    const std::vector<vulkan::Tunable> tunables = vulkan::ListTunables(graph, 0, target.limits);
    EXPECT_FALSE(tunables.empty()) << op << " " << c.summary;
    for (const vulkan::Tunable& t : tunables) {
      for (int64_t value : t.values) {
        if (value == t.default_value) continue;
        const std::string label =
            std::string(op) + " " + c.summary + " " + t.name + "=" + std::to_string(value);
        const vulkan::Plan plan =
            vulkan::BuildPlan(graph, target.limits, target.max_bindings, {{{t.name, value}}});
        std::vector<CudaKernel> kernels;
        for (uint32_t k = 0; k < plan.kernels.size(); ++k)
          kernels.push_back(TranslateKernel(plan.kernels[k], k));
        std::vector<char> ptx;
        try {
          ptx = CompileModule(kernels, "compute_90");
        } catch (const std::exception& e) {
          ADD_FAILURE() << label << ": " << e.what();
          continue;
        }
        const std::string tag = std::string(op) + "_tuned_" + std::to_string(candidates++);
        EXPECT_EQ(Ptxas(ptx, "sm_90", tag), "") << label;
      }
    }
  }
  EXPECT_GT(candidates, 10);
}

}  // namespace
}  // namespace hetrun::cuda
