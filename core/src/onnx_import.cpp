// The import pipeline: read -> parse -> normalize/sort/support checks -> libonnx checker -> input
// shapes -> libonnx shape inference (with guarded_schemas.h) -> Constant folding -> IR -> graph
// passes. Each step's errors get the file name.
#include "hetrun/core/onnx_import.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "external_data.h"
#include "file_util.h"
#include "guarded_schemas.h"
#include "hetrun/core/passes.h"
#include "model_limits.h"
#include "onnx_graph_builder.h"
#include "onnx_passes.h"

namespace hetrun::core {
namespace {

// libonnx reports shape errors as "[ShapeInferenceError] (op_type:MatMul, node name: mm): msg",
// several joined when there are several; say "node 'mm' (MatMul): msg" like every other message.
std::string RephraseShapeError(const std::string& msg) {
  const std::string op_key = "(op_type:", name_key = ", node name: ";
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t op = msg.find(op_key, pos);
    const size_t name = op == std::string::npos ? op : msg.find(name_key, op);
    const size_t close = name == std::string::npos ? name : msg.find("): ", name);
    if (close == std::string::npos) break;
    const std::string op_type = msg.substr(op + op_key.size(), name - op - op_key.size());
    const std::string node = msg.substr(name + name_key.size(), close - name - name_key.size());
    out += msg.substr(pos, op - pos) + "node '" + node + "' (" + op_type + "): ";
    pos = close + 3;
  }
  out += msg.substr(pos);
  for (const std::string tag :
       {"Shape inference error(s): ", "[ShapeInferenceError] ", "[TypeInferenceError] "}) {
    for (size_t at; (at = out.find(tag)) != std::string::npos;) out.erase(at, tag.size());
  }
  return out;
}

Result<Graph> Import(const void* data, size_t size, const ImportOptions& options,
                     const std::string& where) {
  if (size > options.max_file_bytes) {
    return InvalidArgument(where + ": model is " + std::to_string(size) +
                           " bytes, over the limit of " + std::to_string(options.max_file_bytes));
  }
  if (size > static_cast<size_t>(INT_MAX)) {
    return InvalidArgument(where +
                           ": model is over 2 GiB, which protobuf cannot parse; save its "
                           "weights as external data (onnx.save_model(..., "
                           "save_as_external_data=True))");
  }
  if (size == 0) return InvalidArgument(where + ": not an ONNX model (empty file)");

  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) {
    return InvalidArgument(where +
                           ": not an ONNX model (not a valid protobuf message, or truncated)");
  }
  // Protobuf accepts many byte strings (unknown fields are skipped), so also insist on a graph.
  if (!model.has_graph()) return InvalidArgument(where + ": not an ONNX model (no graph)");
  if (model.graph().node_size() == 0 && model.graph().output_size() == 0) {
    return InvalidArgument(where + ": not an ONNX model (the graph has no nodes and no outputs)");
  }

  HETRUN_RETURN_IF_ERROR(
      detail::CheckModelLimits(model, {options.max_nodes, options.max_subgraph_depth,
                                       options.max_initializer_bytes, options.max_string_bytes})
          .WithContext(where));
  HETRUN_RETURN_IF_ERROR(
      detail::LoadExternalData(&model, options.external_data_dir, {options.max_external_bytes})
          .WithContext(where));
  HETRUN_RETURN_IF_ERROR(detail::NormalizeModel(&model).WithContext(where));
  HETRUN_RETURN_IF_ERROR(detail::CheckModelSupport(model).WithContext(where));
  HETRUN_RETURN_IF_ERROR(detail::SortModelGraphs(&model).WithContext(where));
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return InvalidArgument(where + ": invalid model: " + detail::OneLine(e.what()));
  }

  HETRUN_RETURN_IF_ERROR(
      detail::ApplyInputShapes(model.mutable_graph(), options.input_shapes).WithContext(where));
  try {
    // check_type: refuse inputs whose dtype the operator does not accept; error_mode 1: a node
    // whose shape cannot be inferred is an error, not a silently unknown shape; data propagation:
    // shapes computed through Shape/Gather/Concat chains (common in exported models).
    onnx::ShapeInferenceOptions opts{/*check_type_val=*/true, /*strict_mode_val=*/1,
                                     /*data_prop_val=*/true};
    onnx::shape_inference::InferShapes(model, &detail::GuardedSchemaRegistry::Instance(), opts);
  } catch (const std::exception& e) {
    return InvalidArgument(
        where + ": shape inference failed: " + RephraseShapeError(detail::OneLine(e.what())));
  }
  // After inference, not before: libonnx 1.12 already infers through Constant nodes, while for
  // IR < 4 it ignores initializers that are not also graph inputs.
  HETRUN_RETURN_IF_ERROR(detail::FoldConstantNodes(model.mutable_graph()).WithContext(where));

  std::map<std::string, int64_t> opsets;
  for (const onnx::OperatorSetIdProto& op : model.opset_import())
    opsets[op.domain()] = op.version();
  auto graph = detail::BuildGraph(model.graph(), opsets);
  if (!graph.ok()) return graph.status().WithContext(where);
  const char* no_opt = secure_getenv("HETRUN_NO_GRAPH_OPT");
  if (options.optimize && (no_opt == nullptr || std::strcmp(no_opt, "1") != 0)) {
    const Status optimized = OptimizeGraph(*graph);
    if (!optimized.ok()) {
      return Status(optimized.code(), where + ": " + optimized.message() +
                                          " (HETRUN_NO_GRAPH_OPT=1 skips graph optimisation)");
    }
  }
  return graph;
}

}  // namespace

Result<Graph> ImportOnnxBytes(const void* data, size_t size, const ImportOptions& options,
                              const std::string& display_name) {
  // libonnx and protobuf throw (ValidationError, InferenceError, bad_alloc); none may escape.
  try {
    return Import(data, size, options, display_name);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory, display_name + ": out of memory while importing");
  } catch (const std::exception& e) {
    return InternalError(display_name +
                         ": unexpected error while importing: " + detail::OneLine(e.what()));
  } catch (...) {
    return InternalError(display_name + ": unexpected error while importing");
  }
}

Result<Graph> ImportOnnxFile(const std::string& path, const ImportOptions& options) {
  // Checked before reading, so an oversized file costs no memory.
  const uint64_t limit = std::min<uint64_t>(options.max_file_bytes, INT_MAX);
  HETRUN_ASSIGN_OR_RETURN(
      const std::string bytes,
      detail::ReadFileBytes(path, limit,
                            limit < options.max_file_bytes
                                ? " (protobuf cannot parse 2 GiB; save the weights as external "
                                  "data: onnx.save_model(..., save_as_external_data=True))"
                                : " (ImportOptions::max_file_bytes)"));
  ImportOptions with_dir = options;
  if (with_dir.external_data_dir.empty()) {
    const std::string parent = std::filesystem::path(path).parent_path().string();
    with_dir.external_data_dir = parent.empty() ? "." : parent;
  }
  return ImportOnnxBytes(bytes.data(), bytes.size(), with_dir, path);
}

}  // namespace hetrun::core
