#include "cache/graph_serializer.h"

namespace hetrun::runtime::cache {
namespace {

constexpr int kMaxDepth = 64;  // subgraph nesting; deeper is treated as damage

// Every field of the IR must be written, or a cache hit would give a graph that differs from a
// fresh import. These fail when a field is added (LP64 sizes): write and read it below, then
// bump kEntryFormatVersion (plan_cache.h) so older entries miss.
static_assert(sizeof(void*) != 8 || sizeof(core::Value) == 104, "serialise the new Value field");
static_assert(sizeof(void*) != 8 || sizeof(core::Node) == 168, "serialise the new Node field");
static_assert(sizeof(void*) != 8 || sizeof(core::Attribute) == 184,
              "serialise the new Attribute field");
static_assert(sizeof(void*) != 8 || sizeof(core::Graph) == 200, "serialise the new Graph field");
static_assert(sizeof(void*) != 8 || sizeof(core::Dim) == 40, "serialise the new Dim field");

void WriteGraph(ByteWriter& w, const core::Graph& g);

void WriteTensor(ByteWriter& w, const core::Tensor& t) {
  w.Put<uint32_t>(static_cast<uint32_t>(t.dtype()));
  w.Put<uint64_t>(t.dims().size());
  for (int64_t d : t.dims()) w.Put<int64_t>(d);
  if (t.dtype() == core::DType::kString) {
    w.Put<uint64_t>(t.strings().size());
    for (const std::string& s : t.strings()) w.PutString(s);
  } else {
    w.PutAlignedBytes(t.data(), t.byte_size());
  }
}

void WriteShape(ByteWriter& w, const core::Shape& s) {
  w.Put<uint8_t>(s.rank_known ? 1 : 0);
  w.Put<uint64_t>(s.dims.size());
  for (const core::Dim& d : s.dims) {
    w.Put<int64_t>(d.value);
    w.PutString(d.symbol);
  }
}

void WriteIds(ByteWriter& w, const std::vector<int32_t>& ids) {
  w.Put<uint64_t>(ids.size());
  for (int32_t id : ids) w.Put<int32_t>(id);
}

void WriteAttribute(ByteWriter& w, const core::Attribute& a) {
  w.PutString(a.name);
  w.Put<uint32_t>(static_cast<uint32_t>(a.type));
  w.Put<float>(a.f);
  w.Put<int64_t>(a.i);
  w.PutString(a.s);
  w.Put<uint64_t>(a.floats.size());
  for (float f : a.floats) w.Put<float>(f);
  w.Put<uint64_t>(a.ints.size());
  for (int64_t i : a.ints) w.Put<int64_t>(i);
  w.Put<uint64_t>(a.strings.size());
  for (const std::string& s : a.strings) w.PutString(s);
  w.Put<uint8_t>(a.tensor ? 1 : 0);
  if (a.tensor) WriteTensor(w, *a.tensor);
  w.Put<uint8_t>(a.graph ? 1 : 0);
  if (a.graph) WriteGraph(w, *a.graph);
}

void WriteGraph(ByteWriter& w, const core::Graph& g) {
  w.PutString(g.name);
  w.Put<uint64_t>(g.opsets.size());
  for (const auto& [domain, version] : g.opsets) {
    w.PutString(domain);
    w.Put<int64_t>(version);
  }
  w.Put<uint64_t>(g.values.size());
  for (const core::Value& v : g.values) {
    w.PutString(v.name);
    w.Put<uint32_t>(static_cast<uint32_t>(v.dtype));
    w.Put<uint32_t>(static_cast<uint32_t>(v.element_dtype));
    w.Put<uint8_t>(v.optional_of_sequence ? 1 : 0);
    WriteShape(w, v.shape);
    w.Put<int32_t>(v.producer);
    w.Put<uint8_t>(v.constant ? 1 : 0);
    if (v.constant) WriteTensor(w, *v.constant);
  }
  w.Put<uint64_t>(g.nodes.size());
  for (const core::Node& n : g.nodes) {
    w.PutString(n.name);
    w.PutString(n.op_type);
    w.PutString(n.domain);
    WriteIds(w, n.inputs);
    WriteIds(w, n.outputs);
    w.Put<uint64_t>(n.attributes.size());
    for (const core::Attribute& a : n.attributes) WriteAttribute(w, a);
  }
  WriteIds(w, g.inputs);
  WriteIds(w, g.outputs);
  WriteIds(w, g.outer_scope);
}

Result<core::DType> ReadDType(ByteReader& r) {
  HETRUN_ASSIGN_OR_RETURN(uint32_t code, r.Get<uint32_t>());
  // Every IR dtype, the sequence/optional containers included (not only ONNX tensor types).
  std::optional<core::DType> dtype = core::AbiDTypeFromCode(code);
  if (!dtype) return InvalidArgument("unknown dtype code " + std::to_string(code));
  return *dtype;
}

Result<std::vector<int64_t>> ReadDims(ByteReader& r) {
  HETRUN_ASSIGN_OR_RETURN(uint64_t rank, r.GetCount(sizeof(int64_t)));
  std::vector<int64_t> dims(rank);
  for (int64_t& d : dims) {
    HETRUN_ASSIGN_OR_RETURN(d, r.Get<int64_t>());
  }
  return dims;
}

// Constants view the entry's memory in place when `owner` keeps it mapped and the data is aligned
// (always, for an entry read from its file), and are copied otherwise.
Result<std::shared_ptr<const core::Tensor>> ReadTensor(ByteReader& r,
                                                       const std::shared_ptr<const void>& owner) {
  HETRUN_ASSIGN_OR_RETURN(core::DType dtype, ReadDType(r));
  HETRUN_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadDims(r));
  if (dtype == core::DType::kString) {
    HETRUN_ASSIGN_OR_RETURN(int64_t count, core::CheckedElementCount(dims));
    HETRUN_ASSIGN_OR_RETURN(uint64_t n, r.GetCount(sizeof(uint64_t)));
    if (n != static_cast<uint64_t>(count))
      return InvalidArgument("string tensor with the wrong number of strings");
    HETRUN_ASSIGN_OR_RETURN(core::Tensor t, core::Tensor::Create(dtype, dims));
    for (std::string& s : t.mutable_strings()) {
      HETRUN_ASSIGN_OR_RETURN(s, r.GetString());
    }
    return std::make_shared<const core::Tensor>(std::move(t));
  }
  HETRUN_ASSIGN_OR_RETURN(std::string_view data, r.GetAlignedBytes());
  const bool in_place =
      owner != nullptr && reinterpret_cast<uintptr_t>(data.data()) % ByteWriter::kAlign == 0;
  HETRUN_ASSIGN_OR_RETURN(
      core::Tensor t, in_place ? core::Tensor::View(dtype, dims, owner, data.data(), data.size())
                               : core::Tensor::FromBytes(dtype, dims, data.data(), data.size()));
  return std::make_shared<const core::Tensor>(std::move(t));
}

Result<core::Shape> ReadShape(ByteReader& r) {
  core::Shape s;
  HETRUN_ASSIGN_OR_RETURN(uint8_t known, r.Get<uint8_t>());
  s.rank_known = known != 0;
  HETRUN_ASSIGN_OR_RETURN(uint64_t rank, r.GetCount(sizeof(int64_t) + sizeof(uint64_t)));
  s.dims.resize(rank);
  for (core::Dim& d : s.dims) {
    HETRUN_ASSIGN_OR_RETURN(d.value, r.Get<int64_t>());
    HETRUN_ASSIGN_OR_RETURN(d.symbol, r.GetString());
  }
  return s;
}

// Ids of values: in range or kNoValue where `allow_none`.
Result<std::vector<int32_t>> ReadIds(ByteReader& r, size_t limit, bool allow_none) {
  HETRUN_ASSIGN_OR_RETURN(uint64_t n, r.GetCount(sizeof(int32_t)));
  std::vector<int32_t> ids(n);
  for (int32_t& id : ids) {
    HETRUN_ASSIGN_OR_RETURN(id, r.Get<int32_t>());
    const bool none = allow_none && id == core::kNoValue;
    if (!none && (id < 0 || static_cast<size_t>(id) >= limit))
      return InvalidArgument("value id " + std::to_string(id) + " out of range");
  }
  return ids;
}

Result<core::Graph> ReadGraph(ByteReader& r, int depth, const std::shared_ptr<const void>& owner);

Result<core::Attribute> ReadAttribute(ByteReader& r, int depth,
                                      const std::shared_ptr<const void>& owner) {
  core::Attribute a;
  HETRUN_ASSIGN_OR_RETURN(a.name, r.GetString());
  HETRUN_ASSIGN_OR_RETURN(uint32_t type, r.Get<uint32_t>());
  if (type < 1 || type > 8)
    return InvalidArgument("unknown attribute type " + std::to_string(type));
  a.type = static_cast<core::Attribute::Type>(type);
  HETRUN_ASSIGN_OR_RETURN(a.f, r.Get<float>());
  HETRUN_ASSIGN_OR_RETURN(a.i, r.Get<int64_t>());
  HETRUN_ASSIGN_OR_RETURN(a.s, r.GetString());
  HETRUN_ASSIGN_OR_RETURN(uint64_t nf, r.GetCount(sizeof(float)));
  a.floats.resize(nf);
  for (float& f : a.floats) {
    HETRUN_ASSIGN_OR_RETURN(f, r.Get<float>());
  }
  HETRUN_ASSIGN_OR_RETURN(uint64_t ni, r.GetCount(sizeof(int64_t)));
  a.ints.resize(ni);
  for (int64_t& i : a.ints) {
    HETRUN_ASSIGN_OR_RETURN(i, r.Get<int64_t>());
  }
  HETRUN_ASSIGN_OR_RETURN(uint64_t ns, r.GetCount(sizeof(uint64_t)));
  a.strings.resize(ns);
  for (std::string& s : a.strings) {
    HETRUN_ASSIGN_OR_RETURN(s, r.GetString());
  }
  HETRUN_ASSIGN_OR_RETURN(uint8_t has_tensor, r.Get<uint8_t>());
  if (has_tensor) {
    HETRUN_ASSIGN_OR_RETURN(a.tensor, ReadTensor(r, owner));
  }
  HETRUN_ASSIGN_OR_RETURN(uint8_t has_graph, r.Get<uint8_t>());
  if (has_graph) {
    HETRUN_ASSIGN_OR_RETURN(core::Graph body, ReadGraph(r, depth + 1, owner));
    a.graph = std::make_shared<const core::Graph>(std::move(body));
  }
  return a;
}

Result<core::Graph> ReadGraph(ByteReader& r, int depth, const std::shared_ptr<const void>& owner) {
  if (depth > kMaxDepth) return InvalidArgument("subgraphs nested too deep");
  core::Graph g;
  HETRUN_ASSIGN_OR_RETURN(g.name, r.GetString());
  HETRUN_ASSIGN_OR_RETURN(uint64_t nopsets, r.GetCount(2 * sizeof(uint64_t)));
  for (uint64_t i = 0; i < nopsets; ++i) {
    HETRUN_ASSIGN_OR_RETURN(std::string domain, r.GetString());
    HETRUN_ASSIGN_OR_RETURN(g.opsets[domain], r.Get<int64_t>());
  }
  HETRUN_ASSIGN_OR_RETURN(uint64_t nvalues, r.GetCount(sizeof(uint64_t)));
  g.values.resize(nvalues);
  for (core::Value& v : g.values) {
    HETRUN_ASSIGN_OR_RETURN(v.name, r.GetString());
    HETRUN_ASSIGN_OR_RETURN(v.dtype, ReadDType(r));
    HETRUN_ASSIGN_OR_RETURN(v.element_dtype, ReadDType(r));
    HETRUN_ASSIGN_OR_RETURN(uint8_t optional_of_sequence, r.Get<uint8_t>());
    v.optional_of_sequence = optional_of_sequence != 0;
    HETRUN_ASSIGN_OR_RETURN(v.shape, ReadShape(r));
    HETRUN_ASSIGN_OR_RETURN(v.producer, r.Get<int32_t>());
    HETRUN_ASSIGN_OR_RETURN(uint8_t has_constant, r.Get<uint8_t>());
    if (has_constant) {
      HETRUN_ASSIGN_OR_RETURN(v.constant, ReadTensor(r, owner));
    }
  }
  HETRUN_ASSIGN_OR_RETURN(uint64_t nnodes, r.GetCount(3 * sizeof(uint64_t)));
  g.nodes.resize(nnodes);
  for (core::Node& n : g.nodes) {
    HETRUN_ASSIGN_OR_RETURN(n.name, r.GetString());
    HETRUN_ASSIGN_OR_RETURN(n.op_type, r.GetString());
    HETRUN_ASSIGN_OR_RETURN(n.domain, r.GetString());
    HETRUN_ASSIGN_OR_RETURN(n.inputs, ReadIds(r, nvalues, true));
    HETRUN_ASSIGN_OR_RETURN(n.outputs, ReadIds(r, nvalues, true));
    HETRUN_ASSIGN_OR_RETURN(uint64_t nattrs, r.GetCount(sizeof(uint64_t)));
    n.attributes.reserve(nattrs);
    for (uint64_t i = 0; i < nattrs; ++i) {
      HETRUN_ASSIGN_OR_RETURN(core::Attribute a, ReadAttribute(r, depth, owner));
      n.attributes.push_back(std::move(a));
    }
  }
  HETRUN_ASSIGN_OR_RETURN(g.inputs, ReadIds(r, nvalues, false));
  HETRUN_ASSIGN_OR_RETURN(g.outputs, ReadIds(r, nvalues, false));
  HETRUN_ASSIGN_OR_RETURN(g.outer_scope, ReadIds(r, nvalues, false));
  HETRUN_RETURN_IF_ERROR(g.Verify());
  return g;
}

}  // namespace

void SerializeGraph(const core::Graph& graph, ByteWriter& out) {
  WriteGraph(out, graph);
}

Result<core::Graph> DeserializeGraph(ByteReader& in, const std::shared_ptr<const void>& owner) {
  return ReadGraph(in, 0, owner);
}

}  // namespace hetrun::runtime::cache
