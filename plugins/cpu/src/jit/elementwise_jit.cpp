// ElementwiseJit on LLVM 16 ORC (LLJIT, shared libLLVM-16). Each op becomes one function built with
// IRBuilder: an explicit loop over <W x float> vectors (W from the host's widest float vector) plus
// a scalar tail, optimised with the new pass manager's O3 pipeline for the host CPU. Explicit
// vectors, rather than a scalar loop left to the vectoriser, keep out == in (in-place) on the fast
// path: the vectoriser would have to add alias checks, and exact overlap fails them.
//
// Only ops whose IR is exactly what IEEE-754 and the portable kernels compute are offered (no
// fast-math, no approximated transcendental functions), so a kernel's result does not depend on
// whether the JIT was available.
#include "jit/elementwise_jit.h"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <llvm/ADT/StringMap.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/Host.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>

#include "compile_cache.h"
#include "hetrun/plugin.hpp"

namespace hetrun::cpu {
namespace {

// Keeps the object code of the last module compiled under each module name, for --cache-dir.
class CapturingObjectCache : public llvm::ObjectCache {
 public:
  void notifyObjectCompiled(const llvm::Module* module, llvm::MemoryBufferRef object) override {
    objects_[module->getModuleIdentifier()] = object.getBuffer().str();
  }
  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module*) override { return nullptr; }
  std::string Take(const std::string& name) {
    auto it = objects_.find(name);
    if (it == objects_.end()) return {};
    std::string object = std::move(it->second);
    objects_.erase(it);
    return object;
  }

 private:
  std::unordered_map<std::string, std::string> objects_;
};

using Builder = llvm::IRBuilder<>;
// Emit one op on a float or <W x float> value; IRBuilder's float operations accept both.
using UnaryEmitter = llvm::Value* (*)(Builder& b, llvm::Value* x);
using BinaryEmitter = llvm::Value* (*)(Builder& b, llvm::Value* x, llvm::Value* y);

llvm::Value* Zero(llvm::Value* like) {
  return llvm::ConstantFP::get(like->getType(), 0.0);
}

// Relu, Max and Min use the portable kernels' comparisons (x < 0 ? 0 : x, a < b ? b : a), so NaN
// and signed-zero behaviour is identical on both paths.
llvm::Value* EmitRelu(Builder& b, llvm::Value* x) {
  return b.CreateSelect(b.CreateFCmpOLT(x, Zero(x)), Zero(x), x);
}
llvm::Value* EmitNeg(Builder& b, llvm::Value* x) {
  return b.CreateFNeg(x);
}
llvm::Value* EmitAbs(Builder& b, llvm::Value* x) {
  return b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
}
llvm::Value* EmitSqrt(Builder& b, llvm::Value* x) {  // IEEE correctly rounded, like std::sqrt
  return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x);
}
llvm::Value* EmitFloor(Builder& b, llvm::Value* x) {
  return b.CreateUnaryIntrinsic(llvm::Intrinsic::floor, x);
}
llvm::Value* EmitCeil(Builder& b, llvm::Value* x) {
  return b.CreateUnaryIntrinsic(llvm::Intrinsic::ceil, x);
}
llvm::Value* EmitReciprocal(Builder& b, llvm::Value* x) {
  return b.CreateFDiv(llvm::ConstantFP::get(x->getType(), 1.0), x);
}

llvm::Value* EmitAdd(Builder& b, llvm::Value* x, llvm::Value* y) {
  return b.CreateFAdd(x, y);
}
llvm::Value* EmitSub(Builder& b, llvm::Value* x, llvm::Value* y) {
  return b.CreateFSub(x, y);
}
llvm::Value* EmitMul(Builder& b, llvm::Value* x, llvm::Value* y) {
  return b.CreateFMul(x, y);
}
llvm::Value* EmitDiv(Builder& b, llvm::Value* x, llvm::Value* y) {
  return b.CreateFDiv(x, y);
}
llvm::Value* EmitMax(Builder& b, llvm::Value* x, llvm::Value* y) {
  return b.CreateSelect(b.CreateFCmpOLT(x, y), y, x);
}
llvm::Value* EmitMin(Builder& b, llvm::Value* x, llvm::Value* y) {
  return b.CreateSelect(b.CreateFCmpOLT(y, x), y, x);
}

struct UnaryOp {
  std::string_view name;
  UnaryEmitter emit;
};
struct BinaryOp {
  std::string_view name;
  BinaryEmitter emit;
};

const UnaryOp kUnaryOps[] = {
    {"Relu", EmitRelu},
    {"Neg", EmitNeg},
    {"Abs", EmitAbs},
    {"Sqrt", EmitSqrt},
    {"Floor", EmitFloor},
    {"Ceil", EmitCeil},
    {"Reciprocal", EmitReciprocal},
};
const BinaryOp kBinaryOps[] = {
    {"Add", EmitAdd}, {"Sub", EmitSub}, {"Mul", EmitMul},
    {"Div", EmitDiv}, {"Max", EmitMax}, {"Min", EmitMin},
};

template <typename Op, size_t N>
const Op* FindOp(const Op (&ops)[N], std::string_view name) {
  for (const Op& op : ops)
    if (op.name == name) return &op;
  return nullptr;
}

// Features worth naming in HostDescription, widest last.
constexpr const char* kReportedFeatures[] = {"sse4.2",     "avx",        "avx2",     "fma",
                                             "f16c",       "avx512f",    "avx512bw", "avx512vl",
                                             "avx512vnni", "avx512bf16", "amx-tile"};

// Builds `void name(const float* in0[, const float* in1], float* out, i64 n)` computing
// out[i] = emit(in0[i][, in1[i]]) in `module`.
template <typename Emit>
void BuildLoop(llvm::Module& module, const std::string& name, unsigned num_inputs, unsigned width,
               const std::string& cpu, const std::string& features, Emit emit) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::Type* f32 = llvm::Type::getFloatTy(ctx);
  llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type* ptr = llvm::PointerType::getUnqual(ctx);
  llvm::Type* vec = llvm::FixedVectorType::get(f32, width);

  std::vector<llvm::Type*> params(num_inputs + 1, ptr);
  params.push_back(i64);
  auto* fn =
      llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), params, false),
                             llvm::Function::ExternalLinkage, name, module);
  fn->addFnAttr("target-cpu", cpu);
  fn->addFnAttr("target-features", features);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  std::vector<llvm::Value*> ins;
  for (unsigned i = 0; i < num_inputs; ++i) ins.push_back(fn->getArg(i));
  llvm::Value* out = fn->getArg(num_inputs);
  llvm::Value* n = fn->getArg(num_inputs + 1);

  auto* entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  auto* vec_pre = llvm::BasicBlock::Create(ctx, "vec.pre", fn);
  auto* vec_body = llvm::BasicBlock::Create(ctx, "vec.body", fn);
  auto* tail_pre = llvm::BasicBlock::Create(ctx, "tail.pre", fn);
  auto* tail_body = llvm::BasicBlock::Create(ctx, "tail.body", fn);
  auto* exit = llvm::BasicBlock::Create(ctx, "exit", fn);
  Builder b(entry);

  b.CreateCondBr(b.CreateICmpSGT(n, b.getInt64(0)), vec_pre, exit);

  b.SetInsertPoint(vec_pre);  // n_vec = n rounded down to a multiple of the width
  llvm::Value* n_vec = b.CreateAnd(n, b.getInt64(~static_cast<uint64_t>(width - 1)));
  b.CreateCondBr(b.CreateICmpSGT(n_vec, b.getInt64(0)), vec_body, tail_pre);

  // Each iteration loads all its inputs before storing, so out may equal an input.
  b.SetInsertPoint(vec_body);
  llvm::PHINode* i = b.CreatePHI(i64, 2);
  i->addIncoming(b.getInt64(0), vec_pre);
  std::vector<llvm::Value*> vin;
  for (llvm::Value* in : ins) {
    vin.push_back(b.CreateAlignedLoad(vec, b.CreateGEP(f32, in, i), llvm::Align(4)));
  }
  b.CreateAlignedStore(emit(b, vin), b.CreateGEP(f32, out, i), llvm::Align(4));
  llvm::Value* i_next = b.CreateAdd(i, b.getInt64(width), "", /*HasNUW=*/true, /*HasNSW=*/true);
  i->addIncoming(i_next, vec_body);
  b.CreateCondBr(b.CreateICmpSLT(i_next, n_vec), vec_body, tail_pre);

  b.SetInsertPoint(tail_pre);
  b.CreateCondBr(b.CreateICmpSLT(n_vec, n), tail_body, exit);

  b.SetInsertPoint(tail_body);
  llvm::PHINode* j = b.CreatePHI(i64, 2);
  j->addIncoming(n_vec, tail_pre);
  std::vector<llvm::Value*> sin;
  for (llvm::Value* in : ins) {
    sin.push_back(b.CreateAlignedLoad(f32, b.CreateGEP(f32, in, j), llvm::Align(4)));
  }
  b.CreateAlignedStore(emit(b, sin), b.CreateGEP(f32, out, j), llvm::Align(4));
  llvm::Value* j_next = b.CreateAdd(j, b.getInt64(1), "", true, true);
  j->addIncoming(j_next, tail_body);
  b.CreateCondBr(b.CreateICmpSLT(j_next, n), tail_body, exit);

  b.SetInsertPoint(exit);
  b.CreateRetVoid();
}

class LlvmElementwiseJit final : public ElementwiseJit {
 public:
  LlvmElementwiseJit() {
    cpu_ = llvm::sys::getHostCPUName().str();
    llvm::StringMap<bool> host_features;
    if (llvm::sys::getHostCPUFeatures(host_features)) {
      for (const auto& feature : host_features) {
        if (!features_.empty()) features_ += ',';
        features_ += feature.second ? '+' : '-';
        features_ += feature.getKey();
      }
    }
    description_ = cpu_ + " (";
    bool first = true;
    for (const char* name : kReportedFeatures) {
      auto it = host_features.find(name);
      if (it == host_features.end() || !it->second) continue;
      if (!first) description_ += ' ';
      description_ += name;
      first = false;
    }
    description_ += ")";
    width_ = host_features.lookup("avx512f") ? 16 : host_features.lookup("avx") ? 8 : 4;
    const char* env = secure_getenv("HETRUN_CPU_JIT");
    disabled_ = env && std::string_view(env) == "0";
  }

  JitUnaryFn Unary(std::string_view op) override {
    const UnaryOp* found = FindOp(kUnaryOps, op);
    if (!found) return nullptr;
    return Get("hetrun_jit_unary_" + std::string(op), 1,
               [emit = found->emit](Builder& b, const auto& v) { return emit(b, v[0]); })
        .toPtr<JitUnaryFn>();
  }

  JitBinaryFn Binary(std::string_view op) override {
    const BinaryOp* found = FindOp(kBinaryOps, op);
    if (!found) return nullptr;
    return Get("hetrun_jit_binary_" + std::string(op), 2,
               [emit = found->emit](Builder& b, const auto& v) { return emit(b, v[0], v[1]); })
        .toPtr<JitBinaryFn>();
  }

  const char* HostDescription() const override { return description_.c_str(); }

 private:
  // The compiled function `name`, compiling it on first request. A null address when the JIT is
  // off or failed (the failure is logged once and remembered).
  template <typename Emit>
  llvm::orc::ExecutorAddr Get(const std::string& name, unsigned num_inputs, Emit emit) {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(name); it != cache_.end()) return it->second;
    llvm::orc::ExecutorAddr fn;
    if (StartJit()) {
      std::string error;
      fn = Compile(name, num_inputs, emit, &error);
      if (!fn) plugin::Log(HETRUN_LOG_WARNING, "JIT could not compile " + name + ": " + error);
    }
    cache_.emplace(name, fn);
    return fn;
  }

  // Creates the LLJIT on first use. Returns false (once logged) if LLVM cannot target this host.
  bool StartJit() {
    if (jit_) return true;
    if (disabled_ || start_failed_) return false;
    start_failed_ = true;  // until proven otherwise
    if (llvm::InitializeNativeTarget() || llvm::InitializeNativeTargetAsmPrinter()) {
      plugin::Log(HETRUN_LOG_WARNING, "LLVM has no native target; JIT disabled");
      return false;
    }
    auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!builder) return Fail("cannot describe the host", builder.takeError());
    builder->setCPU(cpu_);
    builder->setCodeGenOptLevel(llvm::CodeGenOpt::Aggressive);
    auto machine = builder->createTargetMachine();
    if (!machine) return Fail("cannot create a target machine", machine.takeError());
    auto jit =
        llvm::orc::LLJITBuilder()
            .setJITTargetMachineBuilder(*builder)
            .setCompileFunctionCreator(
                [this](llvm::orc::JITTargetMachineBuilder jtmb)
                    -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
                  auto target = jtmb.createTargetMachine();
                  if (!target) return target.takeError();
                  return std::make_unique<llvm::orc::TMOwningSimpleCompiler>(std::move(*target),
                                                                             &objects_);
                })
            .create();
    if (!jit) return Fail("cannot create the LLJIT", jit.takeError());
    machine_ = std::move(*machine);
    jit_ = std::move(*jit);
    start_failed_ = false;
    plugin::Log(HETRUN_LOG_DEBUG, "LLVM JIT ready for " + description_ + ", " +
                                      std::to_string(width_) + "-wide float vectors");
    return true;
  }

  bool Fail(const std::string& what, llvm::Error error) {
    plugin::Log(HETRUN_LOG_WARNING,
                "JIT disabled, " + what + ": " + llvm::toString(std::move(error)));
    return false;
  }

  // --cache-dir: object code is reused when the function, the host CPU, its features, the vector
  // width and the LLVM version are all the same.
  std::string CacheKey(const std::string& name) const {
    return "jit v1 " + name + " cpu=" + cpu_ + " features=" + features_ +
           " width=" + std::to_string(width_) + " llvm=" LLVM_VERSION_STRING;
  }

  template <typename Emit>
  llvm::orc::ExecutorAddr Compile(const std::string& name, unsigned num_inputs, Emit emit,
                                  std::string* error) {
    CompileCache& cache = CompileCache::Get();
    const std::string key = cache.enabled() ? CacheKey(name) : std::string();
    if (!key.empty()) {
      if (std::shared_ptr<const CacheBlob> object = cache.Load("jit", key)) {
        if (llvm::Error err = jit_->addObjectFile(
                llvm::MemoryBuffer::getMemBufferCopy(object->payload(), name))) {
          *error = llvm::toString(std::move(err));
          return {};
        }
        auto address = jit_->lookup(name);
        if (!address) {
          *error = llvm::toString(address.takeError());
          return {};
        }
        return *address;
      }
    }
    auto context = std::make_unique<llvm::LLVMContext>();
    auto module = std::make_unique<llvm::Module>(name, *context);
    module->setDataLayout(machine_->createDataLayout());
    module->setTargetTriple(machine_->getTargetTriple().str());
    BuildLoop(*module, name, num_inputs, width_, cpu_, features_, emit);

    llvm::raw_string_ostream verify_errors(*error);
    if (llvm::verifyModule(*module, &verify_errors)) return {};
    Optimize(*module);

    if (llvm::Error err =
            jit_->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
      *error = llvm::toString(std::move(err));
      return {};
    }
    auto address = jit_->lookup(name);
    if (!address) {
      *error = llvm::toString(address.takeError());
      return {};
    }
    const std::string object = objects_.Take(name);
    if (!key.empty() && !object.empty()) cache.Store("jit", key, object);
    return *address;
  }

  // The O3 pipeline with the host target's cost model, so the loops are unrolled and scheduled for
  // this CPU.
  void Optimize(llvm::Module& module) {
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager cgscc;
    llvm::ModuleAnalysisManager modules;
    llvm::PassBuilder passes(machine_.get());
    passes.registerModuleAnalyses(modules);
    passes.registerCGSCCAnalyses(cgscc);
    passes.registerFunctionAnalyses(functions);
    passes.registerLoopAnalyses(loops);
    passes.crossRegisterProxies(loops, functions, cgscc, modules);
    passes.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(module, modules);
  }

  std::mutex mutex_;  // guards everything below, and the LLVM objects' use
  std::string cpu_;
  std::string features_;  // "+avx2,+fma,-avx512f,..."
  std::string description_;
  unsigned width_ = 4;
  bool disabled_ = false;
  bool start_failed_ = false;
  std::unique_ptr<llvm::TargetMachine> machine_;  // for the optimiser's cost model
  CapturingObjectCache objects_;                  // before jit_: its compiler points here
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::unordered_map<std::string, llvm::orc::ExecutorAddr> cache_;  // name -> code (0: failed)
};

}  // namespace

ElementwiseJit& ElementwiseJit::Get() {
  static LlvmElementwiseJit jit;
  return jit;
}

}  // namespace hetrun::cpu
