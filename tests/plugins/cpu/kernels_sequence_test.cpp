// Sequence and optional values in the CPU plugin: every sequence/optional op, If and Loop carrying
// them, SequenceMap, and the packed layout read and written by both the host (core) and the plugin.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "executable.h"
#include "graph_builder.h"
#include "handles.h"
#include "hetrun/core/container_value.h"
#include "kernel_harness.h"
#include "kernels/packed_values.h"

namespace hetrun::test {
namespace {

constexpr hetrun_dtype_t kF32 = HETRUN_DTYPE_FLOAT32;
constexpr hetrun_dtype_t kI64 = HETRUN_DTYPE_INT64;
constexpr hetrun_dtype_t kBool = HETRUN_DTYPE_BOOL;
constexpr hetrun_dtype_t kSeq = HETRUN_DTYPE_SEQUENCE;
constexpr hetrun_dtype_t kOpt = HETRUN_DTYPE_OPTIONAL;

// Packs host tensors the way the host does (core), as one plugin input.
HostTensor PackedSequence(const std::vector<HostTensor>& elements) {
  std::vector<cpu::TensorRef> refs;
  for (const HostTensor& t : elements)
    refs.push_back(cpu::TensorRef{t.dtype, t.dims, const_cast<uint8_t*>(t.bytes.data())});
  std::vector<const cpu::TensorRef*> pointers;
  for (const cpu::TensorRef& r : refs) pointers.push_back(&r);
  const cpu::BufferTensor packed =
      cpu::PackSequence(elements.empty() ? kF32 : elements[0].dtype, pointers);
  HostTensor out{kSeq, packed.dims, {}};
  out.bytes.assign(reinterpret_cast<const uint8_t*>(packed.buffer->data()),
                   reinterpret_cast<const uint8_t*>(packed.buffer->data()) + packed.dims[0]);
  return out;
}

// The elements of a packed sequence (or optional) output.
std::vector<HostTensor> Elements(const HostTensor& packed) {
  const cpu::TensorRef ref{packed.dtype, packed.dims, const_cast<uint8_t*>(packed.bytes.data())};
  const cpu::PackedView view = cpu::ReadPacked(ref, packed.dtype, "output");
  std::vector<HostTensor> out;
  for (const cpu::TensorRef& e : view.elements) {
    HostTensor& t = out.emplace_back();
    t.dtype = e.dtype;
    t.dims = e.dims;
    t.bytes.assign(static_cast<const uint8_t*>(e.data),
                   static_cast<const uint8_t*>(e.data) + e.bytes());
  }
  return out;
}

// Compiles the graph on a CPU device and runs it; returns every output.
std::vector<HostTensor> RunGraph(GraphBuilder& graph, const std::vector<HostTensor>& inputs) {
  static const auto device = std::make_shared<cpu::Device>(2, 10.0);
  const hetrun_graph_view* view = graph.view();
  const auto exe = cpu::Executable::Compile(device, *view);
  cpu::Executable::RunArgs args;
  for (const HostTensor& t : inputs) {
    auto buffer = cpu::Buffer::Allocate(t.bytes.size());
    if (!t.bytes.empty()) std::memcpy(buffer->data(), t.bytes.data(), t.bytes.size());
    args.inputs.push_back(cpu::Executable::BoundInput{buffer, 0, t.dtype, t.dims});
  }
  std::vector<hetrun_tensor_arg> outs(view->num_outputs, hetrun_tensor_arg{});
  args.outputs.resize(outs.size());
  for (size_t j = 0; j < outs.size(); ++j) args.outputs[j].arg = &outs[j];
  exe->Run(args);
  std::vector<HostTensor> results;
  for (const hetrun_tensor_arg& out : outs) {
    const std::unique_ptr<hetrun_buffer_s> handle(out.buffer);
    HostTensor& t = results.emplace_back();
    t.dtype = out.dtype;
    t.dims.assign(out.dims, out.dims + out.rank);
    t.bytes.resize(static_cast<size_t>(t.numel()) * cpu::ElementBytes(t.dtype));
    if (!t.bytes.empty()) std::memcpy(t.bytes.data(), handle->buffer->data(), t.bytes.size());
  }
  return results;
}

std::string RunError(GraphBuilder& graph, const std::vector<HostTensor>& inputs) {
  try {
    RunGraph(graph, inputs);
  } catch (const plugin::Error& e) {
    return e.what();
  }
  return "";
}

TEST(SequenceOps, ConstructInsertAtLengthErase) {
  GraphBuilder g;
  g.Value("a", kF32, {2}).Value("b", kF32, {1}).Value("c", kF32, {3});
  g.IntConstant("front", kI64, {}, {0}).IntConstant("last", kI64, {}, {-1});
  g.Value("s", kSeq, {-1}).Value("s2", kSeq, {-1}).Value("s3", kSeq, {-1});
  g.Value("at", kF32, {-1}).Value("n", kI64, {}).Value("n3", kI64, {});
  g.Node("construct", "SequenceConstruct", {"a", "b"}, {"s"});
  g.Node("insert", "SequenceInsert", {"s", "c", "front"}, {"s2"});  // c, a, b
  g.Node("at", "SequenceAt", {"s2", "last"}, {"at"});               // b
  g.Node("len", "SequenceLength", {"s2"}, {"n"});
  g.Node("erase", "SequenceErase", {"s2"}, {"s3"});  // default: the last, b
  g.Node("len3", "SequenceLength", {"s3"}, {"n3"});
  g.Inputs({"a", "b", "c"}).Outputs({"s2", "at", "n", "s3", "n3"});
  const std::vector<HostTensor> out =
      RunGraph(g, {Floats({2}, {1, 2}), Floats({1}, {3}), Floats({3}, {4, 5, 6})});
  ASSERT_EQ(out[0].dtype, kSeq);
  const std::vector<HostTensor> s2 = Elements(out[0]);
  ASSERT_EQ(s2.size(), 3u);
  EXPECT_EQ(s2[0].values<float>(), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(s2[1].values<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(out[1].values<float>(), (std::vector<float>{3}));
  EXPECT_EQ(out[2].values<int64_t>(), (std::vector<int64_t>{3}));
  const std::vector<HostTensor> s3 = Elements(out[3]);
  ASSERT_EQ(s3.size(), 2u);
  EXPECT_EQ(s3[1].values<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(out[4].values<int64_t>(), (std::vector<int64_t>{2}));
}

TEST(SequenceOps, PositionOutOfRangeIsAnErrorNamingIt) {
  GraphBuilder g;
  g.Value("s", kSeq, {-1}).IntConstant("p", kI64, {}, {5}).Value("y", kF32, {-1});
  g.Node("at", "SequenceAt", {"s", "p"}, {"y"});
  g.Inputs({"s"}).Outputs({"y"});
  const std::string error = RunError(g, {PackedSequence({Floats({1}, {1}), Floats({1}, {2})})});
  EXPECT_NE(error.find("position 5 is out of range [-2, 1]"), std::string::npos) << error;
}

TEST(SequenceOps, SplitToSequenceAndConcatFromSequence) {
  GraphBuilder g;
  g.Value("x", kF32, {2, 3}).IntConstant("split", kI64, {2}, {1, 2});
  g.Value("rows", kSeq, {-1}).Value("cols", kSeq, {-1}).Value("back", kF32, {-1, -1});
  g.Value("stacked", kF32, {-1, -1, -1});
  // No split, keepdims 0: the rows of x, each of dims {3}.
  g.Node("rows", "SplitToSequence", {"x"}, {"rows"}).IntAttr("axis", 0).IntAttr("keepdims", 0);
  g.Node("cols", "SplitToSequence", {"x", "split"}, {"cols"}).IntAttr("axis", 1);
  g.Node("concat", "ConcatFromSequence", {"cols"}, {"back"}).IntAttr("axis", 1);
  g.Node("stack", "ConcatFromSequence", {"rows"}, {"stacked"})
      .IntAttr("axis", -1)
      .IntAttr("new_axis", 1);
  g.Inputs({"x"}).Outputs({"rows", "cols", "back", "stacked"});
  const std::vector<HostTensor> out = RunGraph(g, {Floats({2, 3}, {1, 2, 3, 4, 5, 6})});
  const std::vector<HostTensor> rows = Elements(out[0]);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].dims, (std::vector<int64_t>{3}));
  EXPECT_EQ(rows[1].values<float>(), (std::vector<float>{4, 5, 6}));
  const std::vector<HostTensor> cols = Elements(out[1]);
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1].dims, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(cols[1].values<float>(), (std::vector<float>{2, 3, 5, 6}));
  EXPECT_EQ(out[2].dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(out[2].values<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // The two rows stacked along a new last axis: {3, 2}.
  EXPECT_EQ(out[3].dims, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(out[3].values<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(OptionalOps, WrapTestAndUnwrap) {
  GraphBuilder g;
  g.Value("x", kF32, {2}).Value("o", kOpt, {-1}).Value("none", kOpt, {-1});
  g.Value("has", kBool, {}).Value("has_none", kBool, {}).Value("y", kF32, {-1});
  g.Node("wrap", "Optional", {"x"}, {"o"});
  g.Node("empty", "Optional", {}, {"none"});
  g.Node("has", "OptionalHasElement", {"o"}, {"has"});
  g.Node("has_none", "OptionalHasElement", {"none"}, {"has_none"});
  g.Node("get", "OptionalGetElement", {"o"}, {"y"});
  g.Inputs({"x"}).Outputs({"has", "has_none", "y", "none"});
  const std::vector<HostTensor> out = RunGraph(g, {Floats({2}, {7, 8})});
  EXPECT_EQ(out[0].values<uint8_t>(), (std::vector<uint8_t>{1}));
  EXPECT_EQ(out[1].values<uint8_t>(), (std::vector<uint8_t>{0}));
  EXPECT_EQ(out[2].values<float>(), (std::vector<float>{7, 8}));
  EXPECT_TRUE(Elements(out[3]).empty());

  GraphBuilder get_none;
  get_none.Value("none", kOpt, {-1}).Value("y", kF32, {-1});
  get_none.Node("empty", "Optional", {}, {"none"})
      .Node("get", "OptionalGetElement", {"none"}, {"y"});
  get_none.Outputs({"y"});
  EXPECT_NE(RunError(get_none, {}).find("the optional is empty"), std::string::npos);
}

TEST(ControlFlowWithSequences, IfBranchesReturnSequences) {
  GraphBuilder then_branch, else_branch, top;
  then_branch.Constant("one", {1}, {1}).Value("s", kSeq, {-1});
  then_branch.Node("make", "SequenceConstruct", {"one"}, {"s"}).Outputs({"s"});
  else_branch.Constant("two", {2}, {2, 2}).Value("s", kSeq, {-1});
  else_branch.Node("make", "SequenceConstruct", {"two", "two"}, {"s"}).Outputs({"s"});
  top.Value("cond", kBool, {}).Value("res", kSeq, {-1});
  top.Node("if", "If", {"cond"}, {"res"})
      .GraphAttr("then_branch", then_branch)
      .GraphAttr("else_branch", else_branch);
  top.Inputs({"cond"}).Outputs({"res"});
  EXPECT_EQ(Elements(RunGraph(top, {Bools({}, {1})})[0]).size(), 1u);
  const std::vector<HostTensor> chosen = Elements(RunGraph(top, {Bools({}, {0})})[0]);
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[1].values<float>(), (std::vector<float>{2, 2}));
}

TEST(ControlFlowWithSequences, LoopCarriesAGrowingSequence) {
  // Body: seq_out = SequenceInsert(seq_in, i as float), from an empty sequence.
  GraphBuilder body, top;
  body.Value("i", kI64, {}).Value("c", kBool, {}).Value("seq_in", kSeq, {-1});
  body.Value("c_out", kBool, {}).Value("f", kF32, {}).Value("seq_out", kSeq, {-1});
  body.Node("keep", "Identity", {"c"}, {"c_out"});
  body.Node("cast", "Cast", {"i"}, {"f"}).IntAttr("to", kF32);
  body.Node("grow", "SequenceInsert", {"seq_in", "f"}, {"seq_out"});
  body.Inputs({"i", "c", "seq_in"}).Outputs({"c_out", "seq_out"});
  top.Value("M", kI64, {}).Value("cond", kBool, {}).Value("s0", kSeq, {-1});
  top.Value("s", kSeq, {-1});
  top.Node("loop", "Loop", {"M", "cond", "s0"}, {"s"}).GraphAttr("body", body);
  top.Inputs({"M", "cond", "s0"}).Outputs({"s"});
  const std::vector<HostTensor> out =
      RunGraph(top, {Int64s({}, {3}), Bools({}, {1}), PackedSequence({})});
  const std::vector<HostTensor> s = Elements(out[0]);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[2].values<float>(), (std::vector<float>{2}));
}

TEST(ControlFlowWithSequences, SubgraphOptionalInputWrapsAPlainSequence) {
  // A body input declared optional, fed a sequence by the Loop after the first iteration.
  GraphBuilder body, top;
  body.Value("i", kI64, {}).Value("c", kBool, {}).Value("o_in", kOpt, {-1});
  body.Value("c_out", kBool, {}).Value("has", kBool, {}).Value("seq_out", kSeq, {-1});
  body.Value("got", kSeq, {-1});
  body.Node("keep", "Identity", {"c"}, {"c_out"});
  body.Node("get", "OptionalGetElement", {"o_in"}, {"got"});
  body.Node("grow", "SequenceInsert", {"got", "i"}, {"seq_out"});
  body.Inputs({"i", "c", "o_in"}).Outputs({"c_out", "seq_out"});
  top.Value("M", kI64, {}).Value("cond", kBool, {}).Value("seq", kSeq, {-1});
  top.Value("o", kOpt, {-1}).Value("s", kSeq, {-1});
  top.Node("wrap", "Optional", {"seq"}, {"o"});
  top.Node("loop", "Loop", {"M", "cond", "o"}, {"s"}).GraphAttr("body", body);
  top.Inputs({"M", "cond", "seq"}).Outputs({"s"});
  const std::vector<HostTensor> out =
      RunGraph(top, {Int64s({}, {2}), Bools({}, {1}), PackedSequence({Int64s({}, {9})})});
  const std::vector<HostTensor> s = Elements(out[0]);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].values<int64_t>(), (std::vector<int64_t>{9}));
  EXPECT_EQ(s[2].values<int64_t>(), (std::vector<int64_t>{1}));
}

TEST(SequenceMap, RunsTheBodyPerElementWithTensorsGivenWhole) {
  GraphBuilder body, top;
  body.Value("x", kF32, {-1}).Value("y", kF32, {-1}).Value("sum", kF32, {-1});
  body.Node("add", "Add", {"x", "y"}, {"sum"}).Inputs({"x", "y"}).Outputs({"sum"});
  top.Value("xs", kSeq, {-1}).Value("y", kF32, {1}).Value("sums", kSeq, {-1});
  top.Node("map", "SequenceMap", {"xs", "y"}, {"sums"}).GraphAttr("body", body);
  top.Inputs({"xs", "y"}).Outputs({"sums"});
  const std::vector<HostTensor> out = RunGraph(
      top, {PackedSequence({Floats({2}, {1, 2}), Floats({3}, {3, 4, 5})}), Floats({1}, {10})});
  const std::vector<HostTensor> sums = Elements(out[0]);
  ASSERT_EQ(sums.size(), 2u);
  EXPECT_EQ(sums[0].values<float>(), (std::vector<float>{11, 12}));
  EXPECT_EQ(sums[1].values<float>(), (std::vector<float>{13, 14, 15}));
}

TEST(PackedLayout, HostAndPluginReadEachOthersBytes) {
  // Host (core) packs, the plugin reads.
  const std::vector<float> a{1, 2, 3, 4, 5, 6};
  const core::Tensor ta =
      core::Tensor::FromBytes(core::DType::kFloat32, {2, 3}, a.data(), a.size() * 4).value();
  const core::Tensor tb = core::Tensor::FromBytes(core::DType::kFloat32, {0}, nullptr, 0).value();
  const core::Tensor host = core::PackSequence(core::DType::kFloat32, {ta, tb}).value();
  const cpu::TensorRef ref{kSeq, host.dims(), const_cast<void*>(host.data())};
  const cpu::PackedView view = cpu::ReadPacked(ref, kSeq, "host value");
  EXPECT_EQ(view.element_dtype, kF32);
  ASSERT_EQ(view.elements.size(), 2u);
  EXPECT_EQ(view.elements[0].dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::vector<float>(view.elements[0].as<float>(), view.elements[0].as<float>() + 6), a);
  EXPECT_EQ(view.elements[1].dims, (std::vector<int64_t>{0}));

  // The plugin packs (an optional of that sequence), the host reads.
  const cpu::BufferTensor opt = cpu::PackOptional(&ref);
  const core::Tensor back =
      core::Tensor::FromBytes(core::DType::kOptional, opt.dims, opt.buffer->data(),
                              static_cast<size_t>(opt.dims[0]))
          .value();
  const core::ContainerContents contents = core::UnpackContainer(back).value();
  EXPECT_TRUE(contents.optional_of_sequence);
  ASSERT_EQ(contents.elements.size(), 1u);
  EXPECT_TRUE(core::CompareValues(contents.elements[0], host, 0, 0).ok);
}

}  // namespace
}  // namespace hetrun::test
