// String tensors in the CPU plugin: StringNormalizer and Cast to/from STRING, run on graphs built
// by the host's own GraphView from a core::Graph, with inputs packed and outputs unpacked by core,
// so the host side and the plugin side of the packed string layout (plugin.h, minor 1) meet here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "executable.h"
#include "handles.h"
#include "hetrun/core/container_value.h"
#include "hetrun/core/graph_view.h"
#include "hetrun/plugin.hpp"
#include "host_memory.h"
#include "kernels/packed_values.h"
#include "kernels/string_cast.h"

namespace hetrun::test {
namespace {

core::Tensor Strings(std::vector<int64_t> dims, std::vector<std::string> values) {
  core::Tensor t = core::Tensor::Create(core::DType::kString, std::move(dims)).value();
  t.mutable_strings() = std::move(values);
  return t;
}

core::Tensor Floats(std::vector<int64_t> dims, std::vector<float> values) {
  return core::Tensor::FromBytes(core::DType::kFloat32, std::move(dims), values.data(),
                                 values.size() * sizeof(float))
      .value();
}

// x -> op -> y, with the given attributes; x and y of the given dtypes.
core::Graph OneNode(const std::string& op, core::DType in, core::DType out,
                    std::vector<core::Attribute> attributes) {
  core::Graph g;
  core::Value x, y;
  x.name = "x";
  x.dtype = in;
  y.name = "y";
  y.dtype = out;
  const core::ValueId xi = g.AddValue(std::move(x)), yi = g.AddValue(std::move(y));
  g.nodes.push_back({"n", op, "", {xi}, {yi}, std::move(attributes)});
  g.inputs = {xi};
  g.outputs = {yi};
  return g;
}

core::Attribute StringAttr(const std::string& name, const std::string& value) {
  core::Attribute a;
  a.name = name;
  a.type = core::Attribute::Type::kString;
  a.s = value;
  return a;
}

core::Attribute IntAttr(const std::string& name, int64_t value) {
  core::Attribute a;
  a.name = name;
  a.type = core::Attribute::Type::kInt;
  a.i = value;
  return a;
}

core::Attribute Stopwords(std::vector<std::string> words) {
  core::Attribute a;
  a.name = "stopwords";
  a.type = core::Attribute::Type::kStrings;
  a.strings = std::move(words);
  return a;
}

// Runs the graph on a CPU device as the host would: strings cross packed, both ways.
core::Tensor RunOnCpu(const core::Graph& graph, const core::Tensor& input) {
  static const auto device = std::make_shared<cpu::Device>(2, 10.0);
  const std::unique_ptr<core::GraphView> view = core::GraphView::Build(graph);
  const auto exe = cpu::Executable::Compile(device, *view->view());
  std::vector<std::byte> bytes;
  std::vector<int64_t> dims = input.dims();
  hetrun_dtype_t dtype = static_cast<hetrun_dtype_t>(input.dtype());
  if (input.dtype() == core::DType::kString) {
    bytes = core::PackStrings(input).value();
    dims = {static_cast<int64_t>(bytes.size())};
  } else {
    const auto* p = static_cast<const std::byte*>(input.data());
    bytes.assign(p, p + input.byte_size());
  }
  auto buffer = cpu::Buffer::Allocate(std::max<size_t>(bytes.size(), 1));
  if (!bytes.empty()) std::memcpy(buffer->data(), bytes.data(), bytes.size());
  cpu::Executable::RunArgs args;
  args.inputs.push_back(cpu::Executable::BoundInput{buffer, 0, dtype, dims});
  hetrun_tensor_arg out{};
  args.outputs.resize(1);
  args.outputs[0].arg = &out;
  exe->Run(args);
  const std::unique_ptr<hetrun_buffer_s> handle(out.buffer);
  const std::vector<int64_t> out_dims(out.dims, out.dims + out.rank);
  const uint64_t out_bytes = cpu::TensorBytes(out.dtype, out_dims);
  const std::byte* data = handle->buffer->data() + out.offset;
  if (out.dtype == HETRUN_DTYPE_STRING) return core::UnpackStrings(data, out_bytes).value();
  return core::Tensor::FromBytes(static_cast<core::DType>(out.dtype), out_dims, data, out_bytes)
      .value();
}

std::string RunError(const core::Graph& graph, const core::Tensor& input) {
  try {
    RunOnCpu(graph, input);
  } catch (const plugin::Error& e) {
    return e.what();
  }
  return "";
}

const core::Tensor kDays = Strings({4}, {"Monday", "tuesday", "WEDNESDAY", "monday"});

TEST(StringNormalizer, CaseSensitiveStopwordsThenUpper) {
  const core::Graph g = OneNode("StringNormalizer", core::DType::kString, core::DType::kString,
                                {StringAttr("case_change_action", "UPPER"),
                                 IntAttr("is_case_sensitive", 1), Stopwords({"monday"})});
  const core::Tensor y = RunOnCpu(g, kDays);
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{3}));
  EXPECT_EQ(y.strings(), (std::vector<std::string>{"MONDAY", "TUESDAY", "WEDNESDAY"}));
}

TEST(StringNormalizer, CaseInsensitiveStopwordsKeepTwoDimsAndLower) {
  const core::Graph g = OneNode("StringNormalizer", core::DType::kString, core::DType::kString,
                                {StringAttr("case_change_action", "LOWER"), Stopwords({"MONDAY"})});
  const core::Tensor y = RunOnCpu(g, Strings({1, 4}, kDays.strings()));
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(y.strings(), (std::vector<std::string>{"tuesday", "wednesday"}));
}

TEST(StringNormalizer, NoneKeepsCaseAndNonAsciiLettersChangeCase) {
  const core::Graph none =
      OneNode("StringNormalizer", core::DType::kString, core::DType::kString, {});
  EXPECT_EQ(RunOnCpu(none, kDays).strings(), kDays.strings());
  const core::Graph upper = OneNode("StringNormalizer", core::DType::kString, core::DType::kString,
                                    {StringAttr("case_change_action", "UPPER")});
  // é becomes É where the C.UTF-8 locale is installed; elsewhere only ASCII changes.
  const std::string y = RunOnCpu(upper, Strings({1}, {"caf\xc3\xa9 x"})).strings()[0];
  EXPECT_TRUE(y == "CAF\xc3\x89 X" || y == "CAF\xc3\xa9 X") << y;
}

TEST(StringNormalizer, AllStopwordsGiveOneEmptyString) {
  const core::Graph g = OneNode("StringNormalizer", core::DType::kString, core::DType::kString,
                                {IntAttr("is_case_sensitive", 1), Stopwords({"a"})});
  const core::Tensor one_dim = RunOnCpu(g, Strings({2}, {"a", "a"}));
  EXPECT_EQ(one_dim.dims(), (std::vector<int64_t>{1}));
  EXPECT_EQ(one_dim.strings(), (std::vector<std::string>{""}));
  const core::Tensor two_dim = RunOnCpu(g, Strings({1, 1}, {"a"}));
  EXPECT_EQ(two_dim.dims(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(two_dim.strings(), (std::vector<std::string>{""}));
}

TEST(StringNormalizer, OtherLocalesAndShapesAreRefusedByName) {
  const core::Graph french = OneNode("StringNormalizer", core::DType::kString, core::DType::kString,
                                     {StringAttr("locale", "fr_FR")});
  EXPECT_NE(RunError(french, kDays).find("locale 'fr_FR' is not supported"), std::string::npos);
  const core::Graph g = OneNode("StringNormalizer", core::DType::kString, core::DType::kString, {});
  EXPECT_NE(RunError(g, Strings({2, 2}, {"a", "b", "c", "d"})).find("[C] or [1, C]"),
            std::string::npos);
}

TEST(StringCast, FloatsToStringsUseNumpysShortestText) {
  const core::Graph g = OneNode("Cast", core::DType::kFloat32, core::DType::kString,
                                {IntAttr("to", HETRUN_DTYPE_STRING)});
  const core::Tensor y =
      RunOnCpu(g, Floats({2, 3}, {0.039187793f, 1.0f, -2.5f, NAN, INFINITY, -INFINITY}));
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(y.strings(),
            (std::vector<std::string>{"0.039187793", "1.0", "-2.5", "nan", "inf", "-inf"}));
}

TEST(StringCast, StringsToFloatsReadNanAndInfinities) {
  const core::Graph g = OneNode("Cast", core::DType::kString, core::DType::kFloat32,
                                {IntAttr("to", HETRUN_DTYPE_FLOAT32)});
  const core::Tensor y = RunOnCpu(g, Strings({5}, {"0.47892547", "NaN", "INF", "+INF", "-INF"}));
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{5}));
  const float* v = y.data_as<float>();
  EXPECT_EQ(v[0], 0.47892547f);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], INFINITY);
  EXPECT_EQ(v[3], INFINITY);
  EXPECT_EQ(v[4], -INFINITY);
  EXPECT_NE(RunError(g, Strings({1}, {"one"})).find("'one' is not a number"), std::string::npos);
  EXPECT_NE(RunError(g, Strings({1}, {"+-1"})).find("is not a number"), std::string::npos);
}

TEST(StringCast, IntegersBothWays) {
  const core::Graph to_int = OneNode("Cast", core::DType::kString, core::DType::kInt64,
                                     {IntAttr("to", HETRUN_DTYPE_INT64)});
  const core::Tensor y = RunOnCpu(to_int, Strings({2}, {"-12", "+7"}));
  EXPECT_EQ(y.data_as<int64_t>()[0], -12);
  EXPECT_EQ(y.data_as<int64_t>()[1], 7);
  EXPECT_EQ(cpu::FormatFloat(100000.0, false), "100000.0");
  EXPECT_EQ(cpu::FormatFloat(1e-5, true), "1e-05");
  EXPECT_EQ(cpu::FormatFloat(1.5e-5, false), "1.5e-05");
  EXPECT_EQ(cpu::FormatFloat(1e16, false), "1e+16");
  EXPECT_EQ(cpu::FormatFloat(123456789.0, true), "123456790.0");  // numpy's str(float32(...))
  EXPECT_EQ(cpu::FormatFloat(-0.0, true), "-0.0");
  EXPECT_EQ(cpu::ParseFloat("1e400"), HUGE_VAL);
}

TEST(PackedStrings, IdentityCopiesStringsWithTheirShape) {
  const core::Graph g = OneNode("Identity", core::DType::kString, core::DType::kString, {});
  const core::Tensor x = Strings({2, 1}, {"x", ""});
  const core::Tensor y = RunOnCpu(g, x);
  EXPECT_EQ(y.dims(), x.dims());
  EXPECT_EQ(y.strings(), x.strings());
}

TEST(PackedStrings, PluginReaderRejectsATamperedLength) {
  std::vector<std::byte> bytes = core::PackStrings(Strings({2}, {"ab", "c"})).value();
  const cpu::TensorRef ref{HETRUN_DTYPE_STRING, {static_cast<int64_t>(bytes.size())}, bytes.data()};
  EXPECT_EQ(cpu::ReadStrings(ref, "x").values, (std::vector<std::string>{"ab", "c"}));
  const uint64_t huge = 1000;
  std::memcpy(bytes.data() + 192, &huge, sizeof huge);  // the first length (data at 192)
  try {
    cpu::ReadStrings(ref, "x");
    ADD_FAILURE() << "a string longer than the buffer was accepted";
  } catch (const plugin::Error& e) {
    EXPECT_NE(std::string(e.what()).find("overruns"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hetrun::test
