// The host declines, for plugins without HETRUN_PLUGIN_PACKED_VALUES, every node that touches a
// packed value (sequence, optional or string tensor): directly, or inside its subgraphs.
#include "container_support.h"

#include <gtest/gtest.h>

#include <memory>

namespace hetrun::runtime {
namespace {

core::ValueId Add(core::Graph& g, const std::string& name, core::DType dtype) {
  core::Value v;
  v.name = name;
  v.dtype = dtype;
  return g.AddValue(std::move(v));
}

TEST(ContainerSupport, NamesTheValueEachTouchingNodeReadsOrWrites) {
  // x -> Relu -> y; y -> SequenceConstruct -> s; s -> SequenceLength -> n;
  // If(c) whose then-branch builds a sequence internally while its own outputs are tensors.
  auto branch = std::make_shared<core::Graph>();
  const core::ValueId t = Add(*branch, "t", core::DType::kFloat32);
  const core::ValueId inner = Add(*branch, "inner_seq", core::DType::kSequence);
  branch->nodes.push_back({"make", "SequenceConstruct", "", {t}, {inner}, {}});

  core::Graph g;
  const core::ValueId x = Add(g, "x", core::DType::kFloat32);
  const core::ValueId y = Add(g, "y", core::DType::kFloat32);
  const core::ValueId s = Add(g, "s", core::DType::kSequence);
  const core::ValueId n = Add(g, "n", core::DType::kInt64);
  const core::ValueId c = Add(g, "c", core::DType::kBool);
  const core::ValueId r = Add(g, "r", core::DType::kFloat32);
  g.nodes.push_back({"relu", "Relu", "", {x}, {y}, {}});
  g.nodes.push_back({"make", "SequenceConstruct", "", {y}, {s}, {}});
  g.nodes.push_back({"len", "SequenceLength", "", {s}, {n}, {}});
  core::Attribute then_branch;
  then_branch.name = "then_branch";
  then_branch.type = core::Attribute::Type::kGraph;
  then_branch.graph = branch;
  g.nodes.push_back({"if", "If", "", {c}, {r}, {then_branch}});

  const std::vector<std::string> touched = PackedValuesTouched(g);
  ASSERT_EQ(touched.size(), 4u);
  EXPECT_EQ(touched[0], "");  // Relu: tensors only
  EXPECT_EQ(touched[1], "s");
  EXPECT_EQ(touched[2], "s");
  EXPECT_EQ(touched[3], "inner_seq");
}

TEST(ContainerSupport, OnlyPluginsDeclaringTheFlagRunThem) {
  hetrun_plugin_v1 table{};
  EXPECT_FALSE(RunsPackedValues(table));
  table.flags = HETRUN_PLUGIN_PACKED_VALUES;
  EXPECT_TRUE(RunsPackedValues(table));
}

TEST(ContainerSupport, StringTensorsArePackedValuesToo) {
  // words -> StringNormalizer -> lower -> Cast(to float) -> f; f -> Relu -> r.
  core::Graph g;
  const core::ValueId words = Add(g, "words", core::DType::kString);
  const core::ValueId lower = Add(g, "lower", core::DType::kString);
  const core::ValueId f = Add(g, "f", core::DType::kFloat32);
  const core::ValueId r = Add(g, "r", core::DType::kFloat32);
  g.nodes.push_back({"norm", "StringNormalizer", "", {words}, {lower}, {}});
  g.nodes.push_back({"cast", "Cast", "", {lower}, {f}, {}});
  g.nodes.push_back({"relu", "Relu", "", {f}, {r}, {}});
  const std::vector<std::string> touched = PackedValuesTouched(g);
  ASSERT_EQ(touched.size(), 3u);
  EXPECT_EQ(touched[0], "words");
  EXPECT_EQ(touched[1], "lower");
  EXPECT_EQ(touched[2], "");
  EXPECT_TRUE(IsPackedDType(core::DType::kString));
  EXPECT_FALSE(IsPackedDType(core::DType::kUInt8));
  EXPECT_EQ(DeviceElementBytes(core::DType::kString), 1u);
  EXPECT_EQ(DeviceElementBytes(core::DType::kFloat32), 4u);
}

}  // namespace
}  // namespace hetrun::runtime
