#include "tuning/node_key.h"

#include <cstring>
#include <sstream>

#include "cache/byte_stream.h"
#include "cache/content_hash.h"
#include "cache/graph_serializer.h"

namespace hetrun::runtime::tuning {
namespace {

constexpr int64_t kSmallConstantElements = 64;

// Floats by their bits: the key must not depend on printing precision.
uint32_t Bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return bits;
}

std::string TensorHash(const core::Tensor& t) {
  if (t.dtype() != core::DType::kString)
    return cache::HashHex(cache::ContentHash64(t.data(), t.byte_size()));
  std::string joined;
  for (const std::string& s : t.strings()) joined += std::to_string(s.size()) + ":" + s;
  return cache::HashHex(cache::ContentHash64(joined));
}

void WriteAttribute(std::ostringstream& out, const core::Attribute& a) {
  out << a.name << ':' << static_cast<uint32_t>(a.type) << '=';
  switch (a.type) {
    case core::Attribute::Type::kFloat: out << Bits(a.f); break;
    case core::Attribute::Type::kInt: out << a.i; break;
    case core::Attribute::Type::kString: out << a.s.size() << ':' << a.s; break;
    case core::Attribute::Type::kTensor:
      if (a.tensor) out << a.tensor->Describe() << TensorHash(*a.tensor);
      break;
    case core::Attribute::Type::kGraph:
      if (a.graph) {
        cache::ByteWriter w;
        cache::SerializeGraph(*a.graph, w);
        out << cache::HashHex(cache::ContentHash64(w.bytes()));
      }
      break;
    case core::Attribute::Type::kFloats:
      for (float f : a.floats) out << Bits(f) << ',';
      break;
    case core::Attribute::Type::kInts:
      for (int64_t i : a.ints) out << i << ',';
      break;
    case core::Attribute::Type::kStrings:
      for (const std::string& s : a.strings) out << s.size() << ':' << s << ',';
      break;
  }
  out << ';';
}

void WriteValue(std::ostringstream& out, const core::Graph& graph, core::ValueId id) {
  if (id == core::kNoValue) {
    out << "-;";
    return;
  }
  const core::Value& v = graph.values[id];
  out << core::DTypeName(v.dtype) << ' ' << v.shape.ToString();
  if (v.constant) {
    out << " const";
    if (v.constant->element_count() <= kSmallConstantElements)
      out << ' ' << TensorHash(*v.constant);
  }
  out << ';';
}

}  // namespace

std::string NodeKey(const core::Graph& graph, core::NodeId id) {
  const core::Node& node = graph.nodes[id];
  std::ostringstream out;
  out << node.domain << "::" << node.op_type << " opset " << graph.OpsetFor(node.domain) << "\n";
  for (const core::Attribute& a : node.attributes) WriteAttribute(out, a);
  out << "\nin ";
  for (core::ValueId v : node.inputs) WriteValue(out, graph, v);
  for (core::ValueId v : graph.ImplicitInputs(id)) WriteValue(out, graph, v);
  out << "\nout ";
  for (core::ValueId v : node.outputs) WriteValue(out, graph, v);
  return cache::HashHex(cache::ContentHash64(out.str()));
}

std::string NodeLabel(const core::Graph& graph, core::NodeId id) {
  const core::Node& node = graph.nodes[id];
  std::string label = node.op_type;
  for (core::ValueId v : node.inputs)
    if (v != core::kNoValue) {
      label += " " + graph.values[v].shape.ToString();
      break;
    }
  return label;
}

bool HasStaticShapes(const core::Graph& graph, core::NodeId id) {
  const core::Node& node = graph.nodes[id];
  auto known = [&](core::ValueId v) {
    if (v == core::kNoValue) return true;
    const core::Shape& s = graph.values[v].shape;
    if (!s.rank_known) return false;
    for (const core::Dim& d : s.dims)
      if (!d.known()) return false;
    return true;
  };
  for (core::ValueId v : node.inputs)
    if (!known(v)) return false;
  for (core::ValueId v : node.outputs)
    if (!known(v)) return false;
  return true;
}

}  // namespace hetrun::runtime::tuning
