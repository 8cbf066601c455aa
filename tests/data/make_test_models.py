#!/usr/bin/python3
"""Writes the small ONNX models, TensorProto and .npy files that tests/core reads.

Usage: /usr/bin/python3 make_test_models.py OUT_DIR

Needs Debian's python3-onnx (1.12) and numpy, hence /usr/bin/python3 rather than whatever python3
is first on PATH. Next to each file whose contents a test checks, NAME.bin holds the expected
row-major little-endian bytes as numpy produces them, so the C++ tests compare against numpy
without parsing anything themselves.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 13)]


def save_model(out, name, graph, opset=OPSET, ir_version=8):
    model = helper.make_model(graph, opset_imports=opset, producer_name="hetrun-tests")
    model.ir_version = ir_version
    with open(os.path.join(out, name), "wb") as f:
        f.write(model.SerializeToString())
    return model


def save_bytes(out, name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def expect(out, name, array):
    """The bytes a test compares a decoded tensor against."""
    little = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"))
    save_bytes(out, name + ".bin", little.tobytes())


def tiny(out, name="tiny.onnx", named=True, reverse=False):
    # y = Relu((x + b) @ W), x: [batch, 4]
    b = np.array([0.5, -1.0, 2.0, 0.0], dtype=np.float32)
    w = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    nodes = [
        helper.make_node("Add", ["x", "b"], ["s"], name="add" if named else ""),
        helper.make_node("MatMul", ["s", "W"], ["m"], name="matmul" if named else ""),
        helper.make_node("Relu", ["m"], ["y"], name="relu" if named else ""),
    ]
    if reverse:
        nodes.reverse()
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(b, "b"), numpy_helper.from_array(w, "W")])
    model = save_model(out, name, graph)
    if name == "tiny.onnx":
        expect(out, "tiny_W", w)
        expect(out, "tiny_b", b)
    return model


def unknown_op(out):
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="n1"),
        helper.make_node("Neg", ["a"], ["b"], name="n2"),
        helper.make_node("NoSuchOp", ["b"], ["y"], name="n3"),
    ]
    graph = helper.make_graph(
        nodes, "unknown_op",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save_model(out, "unknown_op.onnx", graph)


def cycle(out):
    # a = x + c; b = Relu(a); c = Neg(b): a -> b -> c -> a. make_graph does no checking, which is
    # what lets this invalid graph be written at all.
    nodes = [
        helper.make_node("Add", ["x", "c"], ["a"], name="cyc_add"),
        helper.make_node("Relu", ["a"], ["b"], name="cyc_relu"),
        helper.make_node("Neg", ["b"], ["c"], name="cyc_neg"),
        helper.make_node("Identity", ["b"], ["y"], name="out"),
    ]
    graph = helper.make_graph(
        nodes, "cycle",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save_model(out, "cycle.onnx", graph)


def undefined_input(out):
    nodes = [helper.make_node("Add", ["x", "ghost"], ["y"], name="adder")]
    graph = helper.make_graph(
        nodes, "undefined_input",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save_model(out, "undefined_input.onnx", graph)


def structural_errors(out):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    # Two nodes writing "y" (not SSA).
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="p1"),
         helper.make_node("Neg", ["x"], ["y"], name="p2")], "double_producer", [x], [y])
    save_model(out, "double_producer.onnx", graph)
    # A subgraph reading a name nothing defines.
    then_g = helper.make_graph(
        [helper.make_node("Relu", ["nowhere"], ["t"], name="lost")], "then_branch", [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["e"], name="fine")], "else_branch", [],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])])
    graph = helper.make_graph(
        [helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_g,
                          else_branch=else_g)], "if_undefined",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, []), x], [y])
    save_model(out, "if_undefined.onnx", graph)
    # Valid structure, but an opset newer than this libonnx.
    relu = helper.make_node("Relu", ["x"], ["y"], name="r")
    graph = helper.make_graph([relu], "future", [x], [y])
    save_model(out, "future_opset.onnx", graph, opset=[helper.make_opsetid("", 99)])
    # No ir_version: libonnx's checker refuses it.
    save_model(out, "no_ir_version.onnx", graph, ir_version=0)


def ir3_model(out):
    # IR 3: initializers must also be graph inputs; a Constant node's value is only visible to
    # shape inference as a node (not as an initializer).
    b = np.array([1, 2, 3, 4], dtype=np.float32)
    w = np.ones((4, 3), dtype=np.float32)
    nodes = [
        helper.make_node("Add", ["x", "b"], ["s"], name="add"),
        helper.make_node("MatMul", ["s", "W"], ["m"], name="matmul"),
        helper.make_node("Constant", [], ["k"], name="k_scale",
                         value=numpy_helper.from_array(np.array([2.0], dtype=np.float32), "v")),
        helper.make_node("Mul", ["m", "k"], ["y"], name="scale"),
    ]
    graph = helper.make_graph(
        nodes, "ir3",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [4]),
         helper.make_tensor_value_info("W", TensorProto.FLOAT, [4, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", 3])],
        [numpy_helper.from_array(b, "b"), numpy_helper.from_array(w, "W")])
    save_model(out, "ir3.onnx", graph, opset=[helper.make_opsetid("", 8)], ir_version=3)


def constants(out):
    c_value = np.array([[1, 2], [3, 4]], dtype=np.float32)
    nodes = [
        helper.make_node("Constant", [], ["c_tensor"], name="k_tensor",
                         value=numpy_helper.from_array(c_value, "ignored_name")),
        helper.make_node("Constant", [], ["c_float"], name="k_float", value_float=0.5),
        helper.make_node("Constant", [], ["c_ints"], name="k_ints", value_ints=[4]),
        helper.make_node("Constant", [], ["c_int"], name="k_int", value_int=7),
        helper.make_node("Add", ["x", "c_tensor"], ["sum"], name="add"),
        helper.make_node("Mul", ["sum", "c_float"], ["scaled"], name="mul"),
        helper.make_node("Reshape", ["scaled", "c_ints"], ["y"], name="reshape"),
        helper.make_node("Identity", ["c_int"], ["seven"], name="seven_out"),
    ]
    graph = helper.make_graph(
        nodes, "constants",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4]),
         helper.make_tensor_value_info("seven", TensorProto.INT64, [])])
    save_model(out, "constants.onnx", graph)
    expect(out, "constants_c_tensor", c_value)


def constant_sparse(out):
    sparse = helper.make_sparse_tensor(
        helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]),
        helper.make_tensor("i", TensorProto.INT64, [1], [0]), [3])
    nodes = [helper.make_node("Constant", [], ["c"], name="k_sparse", sparse_value=sparse),
             helper.make_node("Add", ["x", "c"], ["y"], name="add")]
    graph = helper.make_graph(
        nodes, "constant_sparse",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
    save_model(out, "constant_sparse.onnx", graph)


def shape_mismatch(out):
    w = np.ones((4, 5), dtype=np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")]
    graph = helper.make_graph(
        nodes, "shape_mismatch",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])],
        [numpy_helper.from_array(w, "W")])
    save_model(out, "shape_mismatch.onnx", graph)


def if_model(out):
    # y = If(cond, then: relu_x + one, else: relu_x - one); relu_x and one come from the outer
    # graph.
    then_g = helper.make_graph(
        [helper.make_node("Add", ["relu_x", "one"], ["then_y"], name="then_add")], "then_branch",
        [], [helper.make_tensor_value_info("then_y", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph(
        [helper.make_node("Sub", ["relu_x", "one"], ["else_y"], name="else_sub")], "else_branch",
        [], [helper.make_tensor_value_info("else_y", TensorProto.FLOAT, [2])])
    nodes = [
        helper.make_node("Relu", ["x"], ["relu_x"], name="relu"),
        helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_g,
                         else_branch=else_g),
    ]
    graph = helper.make_graph(
        nodes, "if_model",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
        [numpy_helper.from_array(np.array([1, 1], dtype=np.float32), "one")])
    save_model(out, "if_model.onnx", graph)
    # The same with the If before the Relu whose output its branches read: only the implicit
    # (outer-scope) dependency orders them.
    graph.node.reverse()
    save_model(out, "if_unsorted.onnx", graph)


def typed_initializers(out):
    arrays = {
        "i8": np.array([-128, -1, 0, 127], dtype=np.int8),
        "u8": np.array([0, 1, 200, 255], dtype=np.uint8),
        "i16": np.array([-32768, 5, 32767], dtype=np.int16),
        "u16": np.array([0, 65535, 7], dtype=np.uint16),
        "f16": np.array([[1.5, -2.0], [65504.0, 0.000061]], dtype=np.float16),
        "bool": np.array([True, False, True], dtype=np.bool_),
        "i64": np.array([-(2**62), 3], dtype=np.int64),
        "f64": np.array([1.25, -0.5], dtype=np.float64),
        "u32": np.array([0, 4000000000], dtype=np.uint32),
    }
    dtypes = {np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
              np.dtype(np.int16): TensorProto.INT16, np.dtype(np.uint16): TensorProto.UINT16,
              np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(np.bool_): TensorProto.BOOL,
              np.dtype(np.int64): TensorProto.INT64, np.dtype(np.float64): TensorProto.DOUBLE,
              np.dtype(np.uint32): TensorProto.UINT32}
    inits, nodes, outputs = [], [], []
    for name, a in arrays.items():
        # raw=False puts the values in the typed fields (int32_data for the small types).
        t = helper.make_tensor(name, dtypes[a.dtype], a.shape, a.flatten().tolist(), raw=False)
        assert not t.HasField("raw_data")
        inits.append(t)
        nodes.append(helper.make_node("Identity", [name], [name + "_out"], name="id_" + name))
        outputs.append(helper.make_tensor_value_info(name + "_out", dtypes[a.dtype], a.shape))
        expect(out, "typed_" + name, a)
    graph = helper.make_graph(nodes, "typed_initializers", [], outputs, inits)
    save_model(out, "typed_initializers.onnx", graph)


def bad_models(out):
    model = tiny(out, "tiny_copy.onnx")
    data = model.SerializeToString()
    os.remove(os.path.join(out, "tiny_copy.onnx"))
    save_bytes(out, "truncated.onnx", data[: len(data) // 2])
    noise = np.random.default_rng(1234).integers(0, 256, 512, dtype=np.uint8)
    save_bytes(out, "random.onnx", noise.tobytes())
    save_bytes(out, "empty.onnx", b"")
    save_bytes(out, "text.onnx", b"This is not a model, just some text.\n" * 4)

    # An initializer whose raw_data is 4 bytes short.
    bad = onnx.ModelProto()
    bad.CopyFrom(model)
    w = bad.graph.initializer[1]
    w.raw_data = w.raw_data[:-4]
    save_bytes(out, "bad_initializer.onnx", bad.SerializeToString())

    # An initializer with a negative dimension.
    neg = onnx.ModelProto()
    neg.CopyFrom(model)
    neg.graph.initializer[0].dims[0] = -4
    save_bytes(out, "negative_dim.onnx", neg.SerializeToString())

    # An initializer that claims external data (with a path that must never be opened).
    ext = onnx.ModelProto()
    ext.CopyFrom(model)
    t = ext.graph.initializer[1]
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    entry = t.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    save_bytes(out, "external_data.onnx", ext.SerializeToString())


def tensor_protos(out):
    a = np.arange(6, dtype=np.float32).reshape(2, 3) * 1.5
    t = numpy_helper.from_array(a, "weights")  # raw_data
    save_bytes(out, "tensor_f32.pb", t.SerializeToString())
    expect(out, "tensor_f32", a)
    b = np.array([5, -6, 7], dtype=np.int64)
    t = helper.make_tensor("ids", TensorProto.INT64, b.shape, b.tolist(), raw=False)
    save_bytes(out, "tensor_i64_typed.pb", t.SerializeToString())
    expect(out, "tensor_i64_typed", b)
    t = helper.make_tensor("short", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0])
    t.dims[0] = 4  # 3 values for 4 elements
    save_bytes(out, "tensor_short.pb", t.SerializeToString())


def npy_files(out):
    def save(name, array, version=None):
        path = os.path.join(out, name + ".npy")
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)
        if array.dtype.byteorder != ">" and not (array.ndim > 1 and np.isfortran(array)):
            expect(out, "npy_" + name, array)

    save("f32_2x3", np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5)
    save("f32_v2", np.linspace(0, 1, 5, dtype=np.float32), version=(2, 0))
    save("f32_v3", np.array([1.0, 2.0], dtype=np.float32), version=(3, 0))
    save("bool", np.array([True, False, False, True]))
    save("i64", np.array([[1, -2], [3, 2**40]], dtype=np.int64))
    save("i8", np.array([-5, 6], dtype=np.int8))
    save("u16", np.array([1, 65535], dtype=np.uint16))
    save("f16", np.array([0.5, -3.0], dtype=np.float16))
    save("f64_scalar", np.array(3.25, dtype=np.float64))
    save("empty", np.zeros((0, 3), dtype=np.float32))
    save("fortran", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    save("bigendian", np.arange(3, dtype=">f4"))
    with open(os.path.join(out, "f32_2x3.npy"), "rb") as f:
        data = f.read()
    save_bytes(out, "truncated.npy", data[:-5])
    save_bytes(out, "trailing.npy", data + b"\0\0\0\0")
    save_bytes(out, "bad_magic.npy", b"NOTNPY" + data[6:])
    # A header whose shape overflows int64 when multiplied out.
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }"
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    prefix = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
    save_bytes(out, "overflow.npy", prefix + header.encode())


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_models.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    tiny(out)
    tiny(out, "tiny_unnamed.onnx", named=False)
    tiny(out, "tiny_reversed.onnx", reverse=True)
    unknown_op(out)
    cycle(out)
    undefined_input(out)
    structural_errors(out)
    ir3_model(out)
    constants(out)
    constant_sparse(out)
    shape_mismatch(out)
    if_model(out)
    typed_initializers(out)
    bad_models(out)
    tensor_protos(out)
    npy_files(out)
    # A sanity check that the valid models really are valid for this libonnx.
    for name in ["tiny.onnx", "constants.onnx", "if_model.onnx", "typed_initializers.onnx",
                 "ir3.onnx"]:
        onnx.checker.check_model(onnx.load(os.path.join(out, name)))


if __name__ == "__main__":
    main()
