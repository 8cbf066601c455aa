#!/usr/bin/python3
"""Writes the malformed-model corpus that malformed_corpus_test.cpp imports and runs.

Usage: /usr/bin/python3 make_malformed_models.py OUT_DIR

Each case is a folder OUT_DIR/<name>/ holding model.onnx (plus any external data files). The
manifest OUT_DIR/manifest.tsv has one line per case:

    name <TAB> row <TAB> expect <TAB> substring <TAB> options

expect is "error" (import or the first run must fail with a message containing substring) or
"ok" (legal but odd: import and one run succeed). row is the reliability.md section 1.5 checklist
row the case covers. options are "key=value" pairs separated by ";" (ImportOptions fields:
max_file_bytes, max_external_bytes, max_nodes, max_subgraph_depth, max_initializer_bytes,
max_string_bytes). Needs Debian's python3-onnx (1.12) and numpy, hence /usr/bin/python3.
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, helper, numpy_helper

OPSET = 13
CASES = []  # (name, row, expect, substring, options)
OUT = None


def model_of(graph, opset=OPSET, ir_version=8, extra_opsets=()):
    opsets = [helper.make_opsetid("", opset)] + list(extra_opsets)
    model = helper.make_model(graph, opset_imports=opsets, producer_name="hetrun-reliability")
    model.ir_version = ir_version
    return model


def case_dir(name):
    path = os.path.join(OUT, name)
    os.makedirs(path, exist_ok=True)
    return path


def add(name, row, expect, substring, data, options=""):
    """Records a case; `data` is a ModelProto or the raw bytes of model.onnx."""
    if isinstance(data, onnx.ModelProto):
        data = data.SerializeToString()
    with open(os.path.join(case_dir(name), "model.onnx"), "wb") as f:
        f.write(data)
    assert "\t" not in substring and "\n" not in substring
    CASES.append((name, str(row), expect, substring, options))


def vi(name, dtype=TensorProto.FLOAT, shape=(1, 4)):
    return helper.make_tensor_value_info(name, dtype, list(shape) if shape is not None else None)


def simple(nodes, inits=(), inputs=None, outputs=None, name="g", value_info=()):
    """A graph over input x[1,4] and output y[1,4] unless told otherwise."""
    inputs = [vi("x")] if inputs is None else inputs
    outputs = [vi("y")] if outputs is None else outputs
    return helper.make_graph(nodes, name, inputs, outputs, list(inits), value_info=list(value_info))


def add_w(w_tensor, extra_nodes=()):
    """y = x + W, W an initializer (the tensor under test)."""
    return simple([helper.make_node("Add", ["x", w_tensor.name], ["y"], name="add_w")] +
                  list(extra_nodes), [w_tensor])


def valid_model():
    w = numpy_helper.from_array(np.arange(4, dtype=np.float32).reshape(1, 4), "W")
    return model_of(add_w(w))


def raw_tensor(name, dtype, dims, raw=b""):
    t = TensorProto(name=name, data_type=dtype, dims=list(dims))
    t.raw_data = raw
    return t


# --- Row 1/2: bytes that are not a model -------------------------------------------------------
def protobuf_cases():
    good = valid_model().SerializeToString()
    not_model = "not an ONNX model"
    add("pb_empty", 1, "error", not_model, b"")
    add("pb_truncated_half", 1, "error", not_model, good[: len(good) // 2])
    add("pb_truncated_last_byte", 1, "error", not_model, good[:-1])
    add("pb_one_byte", 1, "error", not_model, good[:1])
    add("pb_trailing_garbage", 1, "error", not_model, good + b"\xff\xff\xff\xff\x0f")
    add("pb_random", 1, "error", not_model, np.random.default_rng(7).bytes(512))
    add("pb_all_ff", 1, "error", not_model, b"\xff" * 256)
    add("pb_text", 1, "error", not_model, b"ir_version: 8\ngraph { node { op_type: 'Relu' } }\n")
    add("pb_no_graph", 1, "error", "no graph", onnx.ModelProto(ir_version=8).SerializeToString())
    empty = model_of(helper.make_graph([], "empty", [], []))
    add("pb_empty_graph", 1, "error", "no nodes and no outputs", empty)
    # Length-delimited field claiming 2^62 bytes.
    add("pb_huge_length", 1, "error", not_model, b"\x3a\xff\xff\xff\xff\xff\xff\xff\xff\x3f")
    add("cap_file_bytes", 2, "error", "over the limit of 64", good, "max_file_bytes=64")


# --- Row 3: nesting ---------------------------------------------------------------------------
def nested_if(depth):
    """`depth` levels of If: each then-branch holds the next level, each else-branch a leaf (a
    subgraph attribute is copied, so sharing one branch in both would double the size per level)."""
    def leaf(tag):
        node = helper.make_node("Identity", ["x"], [f"{tag}_out"], name=f"leaf_{tag}")
        return helper.make_graph([node], f"leaf_{tag}", [], [vi(f"{tag}_out")])

    graph = leaf("deepest")
    for level in range(depth - 1):
        node = helper.make_node("If", ["cond"], [f"out{level}"], name=f"if_{level}",
                                then_branch=graph, else_branch=leaf(f"e{level}"))
        graph = helper.make_graph([node], f"level{level}", [], [vi(f"out{level}")])
    top = helper.make_node("If", ["cond"], ["y"], name="if_top", then_branch=graph,
                           else_branch=leaf("top"))
    return model_of(simple([top], inputs=[vi("x"), vi("cond", TensorProto.BOOL, [])]))


def nesting_cases():
    add("nest_depth_4", 3, "ok", "", nested_if(4))
    add("nest_depth_33", 3, "error", "not an ONNX model", nested_if(33))
    # Deeper than protobuf's own recursion limit (100): the parser refuses it.
    add("nest_depth_200", 3, "error", "not an ONNX model", nested_if(200))


# --- Rows 4/5: versions, domains, operators ---------------------------------------------------
def version_cases():
    relu = simple([helper.make_node("Relu", ["x"], ["y"], name="relu_v")])
    add("ir_version_missing", 4, "error", "ir_version", model_of(relu, ir_version=0))
    add("ir_version_future", 4, "error", "ir_version", model_of(relu, ir_version=999))
    no_opset = model_of(relu)
    del no_opset.opset_import[:]
    add("opset_missing", 4, "error", "opset", no_opset)
    add("opset_future", 4, "error", "999", model_of(relu, opset=999))
    add("opset_negative", 4, "error", "-3", model_of(relu, opset=-3))
    dup = model_of(relu)
    dup.opset_import.append(helper.make_opsetid("", 12))
    add("opset_duplicate", 20, "error", "imported twice", dup)
    evil = simple([helper.make_node("Relu", ["x"], ["y"], name="evil_node", domain="com.evil")])
    add("domain_unknown", 4, "error", "com.evil",
        model_of(evil, extra_opsets=[helper.make_opsetid("com.evil", 1)]))
    add("domain_not_imported", 4, "error", "evil_node", model_of(evil))
    add("op_unknown", 5, "error", "NoSuchOp",
        model_of(simple([helper.make_node("NoSuchOp", ["x"], ["y"], name="mystery")])))
    # LayerNormalization exists from opset 17 only.
    ln = simple([helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], name="ln13")],
                [numpy_helper.from_array(np.ones(4, np.float32), "s"),
                 numpy_helper.from_array(np.zeros(4, np.float32), "b")])
    add("op_not_in_opset", 5, "error", "LayerNormalization", model_of(ln))
    add("op_empty_type", 5, "error", "blank",
        model_of(simple([helper.make_node("", ["x"], ["y"], name="blank")])))


# --- Row 6: arity and attributes --------------------------------------------------------------
def attribute_cases():
    def one(node, inits=(), outputs=None, inputs=None):
        return model_of(simple([node], inits, inputs=inputs, outputs=outputs))

    add("arity_too_many_inputs", 6, "error", "relu_many",
        one(helper.make_node("Relu", ["x", "x"], ["y"], name="relu_many")))
    add("arity_too_few_inputs", 6, "error", "add_one",
        one(helper.make_node("Add", ["x"], ["y"], name="add_one")))
    add("arity_too_many_outputs", 6, "error", "relu_two",
        one(helper.make_node("Relu", ["x"], ["y", "z"], name="relu_two")))
    add("attr_missing_required", 6, "error", "cast_no_to",
        one(helper.make_node("Cast", ["x"], ["y"], name="cast_no_to")))
    cast = helper.make_node("Cast", ["x"], ["y"], name="cast_float_to")
    cast.attribute.append(helper.make_attribute("to", 1.0))
    add("attr_wrong_type", 6, "error", "cast_float_to", one(cast))
    two = helper.make_node("Cast", ["x"], ["y"], name="cast_two_fields")
    attr = helper.make_attribute("to", 1)
    attr.f = 2.5  # a second value field
    two.attribute.append(attr)
    add("attr_two_value_fields", 6, "error", "cast_two_fields", one(two))
    undef = helper.make_node("Cast", ["x"], ["y"], name="cast_undef_type")
    undef.attribute.append(AttributeProto(name="to", i=1, type=AttributeProto.UNDEFINED))
    add("attr_undefined_type", 6, "error", "cast_undef_type", one(undef))
    add("attr_unknown_name", 6, "error", "relu_bogus",
        one(helper.make_node("Relu", ["x"], ["y"], name="relu_bogus", bogus=3)))
    add("attr_bad_enum_value", 6, "error", "cast_to_99",
        one(helper.make_node("Cast", ["x"], ["y"], name="cast_to_99", to=99)))
    dup_attr = helper.make_node("Transpose", ["x"], ["y"], name="transpose_dup", perm=[1, 0])
    dup_attr.attribute.append(helper.make_attribute("perm", [0, 1]))
    add("attr_duplicate", 6, "error", "transpose_dup", one(dup_attr, outputs=[vi("y", shape=(4, 1))]))
    add("attr_perm_out_of_range", 23, "error", "transpose_perm",
        one(helper.make_node("Transpose", ["x"], ["y"], name="transpose_perm", perm=[0, 7])))
    add("attr_huge_ints", 11, "error", "transpose_long",
        one(helper.make_node("Transpose", ["x"], ["y"], name="transpose_long",
                             perm=list(range(100000)))))


# --- Rows 7-10, 22: tensor contents on every data field ---------------------------------------
def tensor_cases():
    # Negative and huge dims.
    add("dims_negative_init", 7, "error", "W_neg",
        model_of(add_w(raw_tensor("W_neg", TensorProto.FLOAT, [1, -4], b"\0" * 16))))
    add("dims_negative_input", 7, "error", "relu_neg",
        model_of(simple([helper.make_node("Relu", ["x_neg"], ["y"], name="relu_neg")],
                        inputs=[vi("x_neg", shape=(1, -4))])))
    add("dims_huge_init", 8, "error", "W_huge",
        model_of(add_w(raw_tensor("W_huge", TensorProto.FLOAT, [1 << 62, 4], b"\0" * 16))))
    add("dims_overflow_product", 8, "error", "W_overflow",
        model_of(add_w(raw_tensor("W_overflow", TensorProto.FLOAT,
                                  [1 << 32, 1 << 32, 1 << 32], b"\0" * 16))))
    add("dims_int64_max", 8, "error", "W_max",
        model_of(add_w(raw_tensor("W_max", TensorProto.FLOAT, [(1 << 63) - 1], b"\0" * 16))))
    add("dims_bytes_overflow", 8, "error", "W_bytes",  # elements fit int64, bytes do not
        model_of(add_w(raw_tensor("W_bytes", TensorProto.DOUBLE, [1 << 61], b"\0" * 16))))
    add("dims_no_data", 10, "error", "W_nodata",
        model_of(add_w(TensorProto(name="W_nodata", data_type=TensorProto.FLOAT,
                                   dims=[100000, 100000]))))
    add("dims_huge_input", 8, "error", "x_big",
        model_of(simple([helper.make_node("Relu", ["x_big"], ["y"], name="relu_big")],
                        inputs=[vi("x_big", shape=(1 << 40, 1 << 40))],
                        outputs=[vi("y", shape=(1 << 40, 1 << 40))])))

    # Data length != dims x width, per typed field, under and over.
    typed = [
        (TensorProto.FLOAT, "float_data"), (TensorProto.INT32, "int32_data"),
        (TensorProto.INT8, "int32_data"), (TensorProto.UINT8, "int32_data"),
        (TensorProto.INT16, "int32_data"), (TensorProto.UINT16, "int32_data"),
        (TensorProto.BOOL, "int32_data"), (TensorProto.FLOAT16, "int32_data"),
        (TensorProto.INT64, "int64_data"), (TensorProto.DOUBLE, "double_data"),
        (TensorProto.UINT32, "uint64_data"), (TensorProto.UINT64, "uint64_data"),
    ]
    for dtype, field in typed:
        dname = TensorProto.DataType.Name(dtype).lower()
        for label, count in (("under", 3), ("over", 5)):
            t = TensorProto(name=f"T_{dname}_{label}", data_type=dtype, dims=[4])
            getattr(t, field).extend([1] * count)
            # Cast to float so the Add type-checks; the tensor is what must be refused.
            nodes = [helper.make_node("Cast", [t.name], ["tc"], name="cast_t", to=TensorProto.FLOAT),
                     helper.make_node("Add", ["x", "tc"], ["y"], name="add_t")]
            add(f"data_{field}_{dname}_{label}", 9, "error", t.name,
                model_of(simple(nodes, [t])))
    for label, nbytes in (("under", 12), ("over", 20), ("odd", 15)):
        add(f"data_raw_{label}", 9, "error", f"W_raw_{label}",
            model_of(add_w(raw_tensor(f"W_raw_{label}", TensorProto.FLOAT, [1, 4],
                                      b"\1" * nbytes))))
    both = numpy_helper.from_array(np.ones((1, 4), np.float32), "W_both")
    both.float_data.extend([1, 2, 3, 4])
    add("data_raw_and_typed", 9, "error", "W_both", model_of(add_w(both)))
    wrong_field = TensorProto(name="W_wrong_field", data_type=TensorProto.FLOAT, dims=[1, 4])
    wrong_field.int64_data.extend([1, 2, 3, 4])
    add("data_wrong_field", 9, "error", "W_wrong_field", model_of(add_w(wrong_field)))
    big_int8 = TensorProto(name="T_int8_range", data_type=TensorProto.INT8, dims=[4])
    big_int8.int32_data.extend([1, 2, 3, 100000])
    add("data_int8_out_of_range", 9, "error", "T_int8_range",
        model_of(simple([helper.make_node("Cast", ["T_int8_range"], ["tc"], name="c8", to=1),
                         helper.make_node("Add", ["x", "tc"], ["y"], name="a8")], [big_int8])))

    # Unknown and packed dtypes.
    add("dtype_unknown_init", 22, "error", "W_dtype99",
        model_of(add_w(raw_tensor("W_dtype99", 99, [1, 4], b"\0" * 16))))
    add("dtype_undefined_init", 22, "error", "W_dtype0",
        model_of(add_w(raw_tensor("W_dtype0", 0, [1, 4], b"\0" * 16))))
    add("dtype_int4_packed", 22, "error", "W_int4",  # INT4 (22) is newer than onnx 1.12
        model_of(add_w(raw_tensor("W_int4", 22, [1, 4], b"\0" * 2))))
    add("dtype_unknown_input", 22, "error", "x_dtype99",
        model_of(simple([helper.make_node("Relu", ["x_dtype99"], ["y"], name="relu_d")],
                        inputs=[vi("x_dtype99", 99)])))
    add("dtype_unsupported_for_op", 22, "error", "sqrt_int",
        model_of(simple([helper.make_node("Sqrt", ["xi"], ["y"], name="sqrt_int")],
                        inputs=[vi("xi", TensorProto.INT32)], outputs=[vi("y", TensorProto.INT32)])))

    # String tensors in odd places.
    s = helper.make_tensor("S_str", TensorProto.STRING, [1, 4], [b"a", b"b", b"c", b"d"])
    add("string_into_add", 22, "error", "add_w", model_of(add_w(s)))
    s_raw = raw_tensor("S_raw", TensorProto.STRING, [1, 4], b"abcd")
    add("string_raw_data", 9, "error", "S_raw", model_of(add_w(s_raw)))
    s_count = TensorProto(name="S_count", data_type=TensorProto.STRING, dims=[1, 4])
    s_count.string_data.extend([b"a", b"b"])
    add("string_count_mismatch", 9, "error", "S_count", model_of(add_w(s_count)))
    add("string_input_relu", 22, "error", "relu_s",
        model_of(simple([helper.make_node("Relu", ["xs"], ["y"], name="relu_s")],
                        inputs=[vi("xs", TensorProto.STRING)])))

    # Zero-size tensors: legal.
    zero = numpy_helper.from_array(np.zeros((0, 4), np.float32), "W_zero")
    zgraph = simple([helper.make_node("Concat", ["x", "W_zero"], ["y"], name="concat_zero", axis=0)],
                    [zero])
    add("zero_size_initializer", 7, "ok", "", model_of(zgraph))
    add("zero_size_input", 7, "ok", "",
        model_of(simple([helper.make_node("Relu", ["x0"], ["y"], name="relu0")],
                        inputs=[vi("x0", shape=(0, 4))], outputs=[vi("y", shape=(0, 4))])))


# --- Row 15: the same checks on the other tensor paths ----------------------------------------
def tensor_path_cases():
    bad = raw_tensor("C_bad", TensorProto.FLOAT, [1, 4], b"\0" * 8)
    const = helper.make_node("Constant", [], ["c"], name="const_bad", value=bad)
    add("path_constant_value", 15, "error", "const_bad",
        model_of(simple([const, helper.make_node("Add", ["x", "c"], ["y"], name="add_c")])))
    # Constant with a sparse value whose indices point outside the dense shape.
    values = numpy_helper.from_array(np.ones(2, np.float32), "sv")
    indices = numpy_helper.from_array(np.array([1, 99], np.int64), "si")
    sparse = helper.make_sparse_tensor(values, indices, [1, 4])
    const_sp = helper.make_node("Constant", [], ["c"], name="const_sparse_oob", sparse_value=sparse)
    add("path_constant_sparse_oob", 15, "error", "const_sparse_oob",
        model_of(simple([const_sp, helper.make_node("Add", ["x", "c"], ["y"], name="add_sp")])))
    values2 = raw_tensor("sv2", TensorProto.FLOAT, [2], b"\0" * 4)  # 1 value for 2 dims
    indices2 = numpy_helper.from_array(np.array([0, 1], np.int64), "si2")
    const_sp2 = helper.make_node("Constant", [], ["c"], name="const_sparse_short",
                                 sparse_value=helper.make_sparse_tensor(values2, indices2, [1, 4]))
    add("path_constant_sparse_short_values", 15, "error", "const_sparse_short",
        model_of(simple([const_sp2, helper.make_node("Add", ["x", "c"], ["y"], name="add_sp2")])))
    # Sparse initializer.
    sp_init = helper.make_sparse_tensor(numpy_helper.from_array(np.ones(2, np.float32), "W_sparse"),
                                        numpy_helper.from_array(np.array([0, 77], np.int64), "i"),
                                        [1, 4])
    g = simple([helper.make_node("Add", ["x", "W_sparse"], ["y"], name="add_sparse")])
    g.sparse_initializer.append(sp_init)
    add("path_sparse_initializer", 15, "error", "W_sparse", model_of(g))
    # An attribute tensor (ConstantOfShape's value) that lies about its size.
    cos = helper.make_node("ConstantOfShape", ["shape"], ["y"], name="cos_bad",
                           value=raw_tensor("cos_value", TensorProto.FLOAT, [1], b"\0" * 2))
    shape = numpy_helper.from_array(np.array([1, 4], np.int64), "shape")
    add("path_attribute_tensor", 15, "error", "cos_value",
        model_of(simple([cos], [shape], inputs=[])))
    # A subgraph initializer.
    sub_bad = raw_tensor("SUB_W", TensorProto.FLOAT, [1, 4], b"\0" * 3)
    then_g = helper.make_graph([helper.make_node("Add", ["x", "SUB_W"], ["t"], name="sub_add")],
                               "then", [], [vi("t")], [sub_bad])
    else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["e"], name="sub_id")],
                               "else", [], [vi("e")])
    if_node = helper.make_node("If", ["cond"], ["y"], name="if_sub", then_branch=then_g,
                               else_branch=else_g)
    add("path_subgraph_initializer", 15, "error", "SUB_W",
        model_of(simple([if_node], inputs=[vi("x"), vi("cond", TensorProto.BOOL, [])])))
    # A model-local function whose body holds a broken Constant.
    fconst = helper.make_node("Constant", [], ["fc"], name="f_const",
                              value=raw_tensor("F_bad", TensorProto.FLOAT, [1, 4], b"\0" * 5))
    fadd = helper.make_node("Add", ["fx", "fc"], ["fy"], name="f_add")
    func = helper.make_function("local.fn", "AddBad", ["fx"], ["fy"], [fconst, fadd],
                                [helper.make_opsetid("", OPSET)])
    call = helper.make_node("AddBad", ["x"], ["y"], name="call_fn", domain="local.fn")
    fmodel = model_of(simple([call]), extra_opsets=[helper.make_opsetid("local.fn", 1)])
    fmodel.functions.append(func)
    add("path_function_body", 15, "error", "call_fn", fmodel)


# --- Rows 17-21: graph structure --------------------------------------------------------------
def structure_cases():
    add("cycle_two_nodes", 17, "error", "cycle",
        model_of(simple([helper.make_node("Add", ["x", "b"], ["a"], name="cyc_a"),
                         helper.make_node("Relu", ["a"], ["b"], name="cyc_b"),
                         helper.make_node("Identity", ["a"], ["y"], name="cyc_out")])))
    add("cycle_self_loop", 17, "error", "self_loop",
        model_of(simple([helper.make_node("Add", ["x", "s"], ["s"], name="self_loop"),
                         helper.make_node("Identity", ["s"], ["y"], name="self_out")])))
    add("unsorted_acyclic", 18, "ok", "",
        model_of(simple([helper.make_node("Relu", ["r"], ["y"], name="second"),
                         helper.make_node("Neg", ["x"], ["r"], name="first")])))
    add("dangling_input", 19, "error", "ghost",
        model_of(simple([helper.make_node("Add", ["x", "ghost"], ["y"], name="add_ghost")])))
    then_g = helper.make_graph([helper.make_node("Relu", ["phantom"], ["t"], name="sub_relu")],
                               "then", [], [vi("t")])
    else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["e"], name="sub_id")],
                               "else", [], [vi("e")])
    add("dangling_input_subgraph", 19, "error", "phantom",
        model_of(simple([helper.make_node("If", ["cond"], ["y"], name="if_phantom",
                                          then_branch=then_g, else_branch=else_g)],
                        inputs=[vi("x"), vi("cond", TensorProto.BOOL, [])])))
    add("dup_node_outputs", 20, "error", "'y'",
        model_of(simple([helper.make_node("Relu", ["x"], ["y"], name="dup_a"),
                         helper.make_node("Neg", ["x"], ["y"], name="dup_b")])))
    w1 = numpy_helper.from_array(np.ones((1, 4), np.float32), "W_twice")
    add("dup_initializers", 20, "error", "W_twice",
        model_of(simple([helper.make_node("Add", ["x", "W_twice"], ["y"], name="add_twice")],
                        [w1, w1])))
    add("dup_graph_inputs", 20, "error", "x",
        model_of(simple([helper.make_node("Relu", ["x"], ["y"], name="relu_in")],
                        inputs=[vi("x"), vi("x")])))
    add("dup_graph_outputs", 20, "error", "y",
        model_of(simple([helper.make_node("Relu", ["x"], ["y"], name="relu_out")],
                        outputs=[vi("y"), vi("y")])))
    # An If branch whose node writes a name the outer graph already defines.
    shadow_then = helper.make_graph([helper.make_node("Relu", ["x"], ["r"], name="shadow_node")],
                                    "then", [], [vi("r")])
    shadow_else = helper.make_graph([helper.make_node("Neg", ["x"], ["e"], name="neg_e")],
                                    "else", [], [vi("e")])
    add("dup_subgraph_shadows_outer", 20, "error", "'r'",
        model_of(simple([helper.make_node("Relu", ["x"], ["r"], name="outer_r"),
                         helper.make_node("If", ["cond"], ["y"], name="if_shadow",
                                          then_branch=shadow_then, else_branch=shadow_else)],
                        inputs=[vi("x"), vi("cond", TensorProto.BOOL, [])])))
    meta = model_of(simple([helper.make_node("Relu", ["x"], ["y"], name="relu_meta")]))
    helper.set_model_props(meta, {"author": "a"})
    meta.metadata_props.append(onnx.StringStringEntryProto(key="author", value="b"))
    add("dup_metadata_keys", 20, "error", "author", meta)
    add("output_never_produced", 21, "error", "nowhere",
        model_of(simple([helper.make_node("Relu", ["x"], ["y"], name="relu_np")],
                        outputs=[vi("y"), vi("nowhere")])))
    add("value_info_conflict", 21, "error", "relu_conf",
        model_of(simple([helper.make_node("Relu", ["x"], ["r_conf"], name="relu_conf"),
                         helper.make_node("Neg", ["r_conf"], ["y"], name="neg_conf")],
                        value_info=[vi("r_conf", TensorProto.INT64, (7, 7))])))
    add("output_type_conflict", 21, "error", "y",
        model_of(simple([helper.make_node("Relu", ["x"], ["y"], name="relu_oc")],
                        outputs=[vi("y", TensorProto.INT32)])))
    notype_in = onnx.ValueInfoProto(name="x_notype")
    add("input_no_type", 19, "error", "x_notype",
        model_of(simple([helper.make_node("Relu", ["x_notype"], ["y"], name="relu_nt")],
                        inputs=[notype_in])))
    notype_out = onnx.ValueInfoProto(name="y")
    add("output_no_type", 21, "error", "'y'",
        model_of(simple([helper.make_node("Relu", ["x"], ["y"], name="relu_ont")],
                        outputs=[notype_out])))
    add("input_unused", 19, "ok", "",
        model_of(simple([helper.make_node("Relu", ["x"], ["y"], name="relu_unused")],
                        inputs=[vi("x"), vi("x_unused")])))
    add("empty_value_name", 24, "error", "relu_empty",
        model_of(simple([helper.make_node("Relu", ["x"], [""], name="relu_empty"),
                         helper.make_node("Relu", ["x"], ["y"], name="relu_ok")])))


# --- Row 23: shape-inference edge cases --------------------------------------------------------
def shape_cases():
    def one(node, inits=(), inputs=None, outputs=None):
        return model_of(simple([node], inits, inputs=inputs, outputs=outputs))

    w = numpy_helper.from_array(np.ones((3, 5), np.float32), "W35")
    add("shape_matmul_mismatch", 23, "error", "mm_bad",
        one(helper.make_node("MatMul", ["x", "W35"], ["y"], name="mm_bad"), [w],
            outputs=[vi("y", shape=("d0", "d1"))]))
    b3 = numpy_helper.from_array(np.ones(3, np.float32), "B3")
    add("shape_broadcast_impossible", 23, "error", "add_bcast",
        one(helper.make_node("Add", ["x", "B3"], ["y"], name="add_bcast"), [b3]))
    add("shape_concat_axis", 23, "error", "concat_axis",
        one(helper.make_node("Concat", ["x", "x"], ["y"], name="concat_axis", axis=9)))
    split = helper.make_node("Split", ["x"], ["y", "y2"], name="split_many", axis=1)
    add("shape_split_outputs", 23, "ok", "",
        model_of(simple([split], outputs=[vi("y", shape=(1, 2)), vi("y2", shape=(1, 2))])))
    split_bad = helper.make_node("Split", ["x", "parts"], ["y", "y2"], name="split_bad", axis=1)
    parts = numpy_helper.from_array(np.array([1, 1, 2], np.int64), "parts")
    add("shape_split_sizes", 23, "error", "split_bad",
        model_of(simple([split_bad], [parts], outputs=[vi("y", shape=("d0", "d1")), vi("y2", shape=("d0", "d1"))])))
    target = numpy_helper.from_array(np.array([3, 3], np.int64), "target")
    add("shape_reshape_count", 23, "error", "reshape_bad",
        one(helper.make_node("Reshape", ["x", "target"], ["y"], name="reshape_bad"), [target],
            outputs=[vi("y", shape=("d0", "d1"))]))
    add("shape_gather_axis", 23, "error", "gather_axis",
        one(helper.make_node("Gather", ["x", "idx"], ["y"], name="gather_axis", axis=5),
            [numpy_helper.from_array(np.array([0], np.int64), "idx")],
            outputs=[vi("y", shape=("d0", "d1"))]))
    add("shape_conv_rank0_weight", 23, "error", "conv_r0",
        one(helper.make_node("Conv", ["x", "Wc"], ["y"], name="conv_r0"),
            [numpy_helper.from_array(np.array(1.0, np.float32), "Wc")],
            outputs=[vi("y", shape=("d0", "d1"))]))
    # fuzz_import's find: libonnx 1.12 took a kernel axis from the rank-3 weight and read the
    # dilations of the rank-2 input's zero spatial axes (out of bounds); guarded_schemas.cpp.
    add("shape_conv_weight_rank", 23, "error", "conv_w3",
        one(helper.make_node("Conv", ["x", "W3"], ["y"], name="conv_w3"),
            [numpy_helper.from_array(np.ones((1, 4, 2), np.float32), "W3")],
            outputs=[vi("y", shape=("d0", "d1"))]))
    # libonnx 1.12 infers these without complaint, reading past the short attribute / weight dims.
    ct = numpy_helper.from_array(np.ones((1, 1, 2, 2), np.float32), "Wt")
    add("shape_convtranspose_output_padding", 23, "error", "ct_outpad",
        one(helper.make_node("ConvTranspose", ["img", "Wt"], ["y"], name="ct_outpad",
                             output_padding=[1]), [ct],
            inputs=[vi("img", shape=(1, 1, 4, 4))], outputs=[vi("y", shape=("d0", "d1", "d2", "d3"))]))
    add("shape_convtranspose_weight_rank", 23, "error", "ct_w3",
        one(helper.make_node("ConvTranspose", ["img", "W3"], ["y"], name="ct_w3"),
            [numpy_helper.from_array(np.ones((1, 1, 2), np.float32), "W3")],
            inputs=[vi("img", shape=(1, 1, 4, 4))], outputs=[vi("y", shape=("d0", "d1", "d2", "d3"))]))
    # fuzz_import's find: libonnx 1.12's pooling shape inference divides by the stride (SIGFPE).
    add("shape_maxpool_zero_stride", 23, "error", "pool_s0",
        one(helper.make_node("MaxPool", ["img"], ["y"], name="pool_s0", kernel_shape=[2, 2],
                             strides=[0, 2]),
            inputs=[vi("img", shape=(1, 1, 4, 4))], outputs=[vi("y", shape=("d0", "d1", "d2", "d3"))]))
    add("shape_conv_zero_dilation", 23, "error", "conv_d0",
        one(helper.make_node("Conv", ["img", "Wt"], ["y"], name="conv_d0", dilations=[1, 0]), [ct],
            inputs=[vi("img", shape=(1, 1, 4, 4))], outputs=[vi("y", shape=("d0", "d1", "d2", "d3"))]))
    add("shape_input_rank_conflict", 23, "error", "relu_rank",
        model_of(simple([helper.make_node("Relu", ["x"], ["y"], name="relu_rank")],
                        outputs=[vi("y", shape=(1, 4, 1))])))


# --- Control flow with broken bodies ----------------------------------------------------------
def control_flow_cases():
    cond_in = [vi("x"), vi("cond", TensorProto.BOOL, [])]
    then_g = helper.make_graph([helper.make_node("Relu", ["x"], ["t"], name="t_relu")], "then",
                               [], [vi("t")])
    add("if_missing_else", 6, "error", "if_no_else",
        model_of(simple([helper.make_node("If", ["cond"], ["y"], name="if_no_else",
                                          then_branch=then_g)], inputs=cond_in)))
    two_out = helper.make_graph([helper.make_node("Relu", ["x"], ["a"], name="e_a"),
                                 helper.make_node("Neg", ["x"], ["b"], name="e_b")], "else2",
                                [], [vi("a"), vi("b")])
    add("if_branch_output_count", 6, "error", "if_counts",
        model_of(simple([helper.make_node("If", ["cond"], ["y"], name="if_counts",
                                          then_branch=then_g, else_branch=two_out)],
                        inputs=cond_in)))
    add("if_branch_not_graph", 6, "error", "if_int_branch",
        model_of(simple([helper.make_node("If", ["cond"], ["y"], name="if_int_branch",
                                          then_branch=3, else_branch=4)], inputs=cond_in)))
    # Loop: body with the wrong number of inputs.
    body_bad = helper.make_graph([helper.make_node("Identity", ["c_in"], ["c_out"], name="lb_id")],
                                 "body", [vi("c_in", TensorProto.BOOL, [])],
                                 [vi("c_out", TensorProto.BOOL, [])])
    trip = numpy_helper.from_array(np.array(3, np.int64), "trip")
    loop = helper.make_node("Loop", ["trip", "", "x"], ["y"], name="loop_bad_body", body=body_bad)
    add("loop_body_arity", 6, "error", "loop_bad_body", model_of(simple([loop], [trip])))
    # Loop body reading a value nobody defines.
    body_dangling = helper.make_graph(
        [helper.make_node("Identity", ["cin"], ["cout"], name="lb_cond"),
         helper.make_node("Add", ["v_in", "nobody"], ["v_out"], name="lb_add")], "body2",
        [vi("i", TensorProto.INT64, []), vi("cin", TensorProto.BOOL, []), vi("v_in")],
        [vi("cout", TensorProto.BOOL, []), vi("v_out")])
    loop2 = helper.make_node("Loop", ["trip", "", "x"], ["y"], name="loop_dangling",
                             body=body_dangling)
    add("loop_body_dangling", 19, "error", "nobody", model_of(simple([loop2], [trip])))
    # A Loop that would run 2^62 times; the body is valid, so only the runtime timeout stops it.
    body_ok = helper.make_graph(
        [helper.make_node("Identity", ["cin"], ["cout"], name="lo_cond"),
         helper.make_node("Relu", ["v_in"], ["v_out"], name="lo_relu")], "body3",
        [vi("i", TensorProto.INT64, []), vi("cin", TensorProto.BOOL, []), vi("v_in")],
        [vi("cout", TensorProto.BOOL, []), vi("v_out")])
    trip_huge = numpy_helper.from_array(np.array(1 << 62, np.int64), "trip_huge")
    add("loop_huge_trip_count", 4, "timeout", "",
        model_of(simple([helper.make_node("Loop", ["trip_huge", "", "x"], ["y"], name="loop_huge",
                                          body=body_ok)], [trip_huge])))
    # Scan without num_scan_inputs.
    scan_body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "e_in"], ["s_out"], name="sc_add"),
         helper.make_node("Identity", ["s_out"], ["e_out"], name="sc_id")], "scan",
        [vi("s_in", shape=(4,)), vi("e_in", shape=(4,))],
        [vi("s_out", shape=(4,)), vi("e_out", shape=(4,))])
    scan = helper.make_node("Scan", ["x", "x"], ["y", "ys"], name="scan_no_count", body=scan_body)
    add("scan_missing_num_inputs", 6, "error", "scan_no_count",
        model_of(simple([scan], outputs=[vi("y", shape=("d0", "d1")), vi("ys", shape=("d0", "d1"))])))
    scan2 = helper.make_node("Scan", ["x", "x"], ["y", "ys"], name="scan_too_many",
                             body=scan_body, num_scan_inputs=7)
    add("scan_num_inputs_too_large", 6, "error", "scan_too_many",
        model_of(simple([scan2], outputs=[vi("y", shape=("d0", "d1")), vi("ys", shape=("d0", "d1"))])))


# --- Rows 11-14, 16, 25: external data --------------------------------------------------------
def external(name, location, write=None, extra=(), dims=(1, 4), options="", expect="error",
             substring=None, row=12, prepare=None):
    """y = x + W with W's data stored externally; `write` is the data file's contents."""
    d = case_dir(name)
    t = TensorProto(name="W_ext", data_type=TensorProto.FLOAT, dims=list(dims))
    t.data_location = TensorProto.EXTERNAL
    entries = ([("location", location)] if location is not None else []) + list(extra)
    for key, value in entries:
        t.external_data.append(onnx.StringStringEntryProto(key=key, value=value))
    if write is not None:
        with open(os.path.join(d, "weights.bin"), "wb") as f:
            f.write(write)
    if prepare:
        prepare(d)
    add(name, row, expect, substring if substring is not None else "W_ext",
        model_of(add_w(t)), options)


def external_cases():
    data = np.arange(4, dtype=np.float32).tobytes()
    external("ext_ok", "weights.bin", data, expect="ok", row=12)
    external("ext_absolute", "/etc/passwd", data, substring="/etc/passwd")
    external("ext_dotdot", "../weights.bin", data, substring="../weights.bin")
    external("ext_dotdot_middle", "sub/../../weights.bin", data, substring="sub/../../weights.bin")
    external("ext_empty_location", "", data)
    external("ext_no_location", None, data)
    external("ext_drive_letter", "C:\\weights.bin", data, substring="C:")
    external("ext_unc", "\\\\server\\share\\w.bin", data, substring="server")
    external("ext_nul_byte", "weights.bin\0.txt", data)
    external("ext_missing_file", "absent.bin", None, substring="absent.bin")
    external("ext_directory", "sub", data, substring="sub",
             prepare=lambda d: os.makedirs(os.path.join(d, "sub"), exist_ok=True))
    external("ext_symlink", "link.bin", data, substring="link.bin", row=13,
             prepare=lambda d: os.symlink("weights.bin", os.path.join(d, "link.bin")))
    external("ext_parent_symlink", "linkdir/weights.bin", data, substring="linkdir", row=13,
             prepare=lambda d: (os.makedirs(os.path.join(d, "real"), exist_ok=True),
                                shutil.copy(os.path.join(d, "weights.bin"),
                                            os.path.join(d, "real", "weights.bin")),
                                os.symlink("real", os.path.join(d, "linkdir"))))
    external("ext_hardlink", "hard.bin", data, substring="hard.bin", row=13,
             prepare=lambda d: os.link(os.path.join(d, "weights.bin"), os.path.join(d, "hard.bin")))
    external("ext_offset_negative", "weights.bin", data, [("offset", "-4")], row=14,
             substring="-4")
    external("ext_offset_text", "weights.bin", data, [("offset", "four")], row=14,
             substring="four")
    external("ext_length_negative", "weights.bin", data, [("length", "-16")], row=14,
             substring="-16")
    external("ext_offset_beyond_eof", "weights.bin", data, [("offset", "64")], row=14)
    external("ext_length_beyond_eof", "weights.bin", data, [("length", "64")], row=14)
    external("ext_offset_length_overflow", "weights.bin", data,
             [("offset", str((1 << 64) - 8)), ("length", "16")], row=14)
    external("ext_offset_huge", "weights.bin", data, [("offset", "99999999999999999999999")],
             row=14)
    external("ext_length_mismatch", "weights.bin", data + data, [("length", "32")], row=9)
    external("ext_short_file", "weights.bin", data[:8], row=9)
    external("ext_unknown_key", "weights.bin", data, [("colour", "blue")], row=14,
             substring="colour")
    external("ext_duplicate_key", "weights.bin", data, [("location", "weights.bin")], row=14,
             substring="location")
    external("ext_checksum_mismatch", "weights.bin", data, [("checksum", "0" * 40)], row=25,
             expect="ok")  # hetrun does not verify checksums: documented in docs/reliability.md
    external("ext_ort_sentinel", "*/_ORT_MEM_ADDR_/*", data, [("offset", "4096")], row=16,
             substring="_ORT_MEM_ADDR_")
    external("ext_cap", "weights.bin", data, options="max_external_bytes=8", row=11,
             substring="8")
    external("ext_huge_dims", "weights.bin", data, dims=(1 << 40, 1 << 30), row=8)


# --- Rows 3, 11: resource caps (ImportOptions::max_nodes, max_subgraph_depth, ----------------
# max_initializer_bytes, max_string_bytes), each lowered by the case's options and tested on both
# sides of the boundary.
def relu_chain(count):
    names = ["x"] + [f"r{i}" for i in range(1, count)] + ["y"]
    return model_of(simple([helper.make_node("Relu", [names[i]], [names[i + 1]], name=f"relu_{i}")
                            for i in range(count)]))


def if_with_branches():
    """One If whose branches hold 2 + 1 nodes: 4 nodes with subgraphs counted."""
    def branch(tag, count):
        nodes = [helper.make_node("Relu", ["x" if i == 0 else f"{tag}{i}"], [f"{tag}{i + 1}"],
                                  name=f"{tag}_relu_{i}") for i in range(count)]
        return helper.make_graph(nodes, tag, [], [vi(f"{tag}{count}")])
    node = helper.make_node("If", ["cond"], ["y"], name="if_caps", then_branch=branch("t", 2),
                            else_branch=branch("e", 1))
    return model_of(simple([node], inputs=[vi("x"), vi("cond", TensorProto.BOOL, [])]))


def pad_model(mode):
    pads = numpy_helper.from_array(np.zeros(4, dtype=np.int64), "pads")
    return model_of(simple([helper.make_node("Pad", ["x", "pads"], ["y"], name="pad_mode",
                                             mode=mode)], [pads]))


def cap_cases():
    add("cap_nodes", 11, "error", "more than 4 nodes, subgraphs included (ImportOptions::max_nodes)"
        ": node 'relu_4' (Relu) is node 5", relu_chain(5), "max_nodes=4")
    add("cap_nodes_at_cap", 11, "ok", "", relu_chain(5), "max_nodes=5")
    # Counted across the branches (else_branch is the If's first attribute): If, e, t, t.
    add("cap_nodes_in_subgraphs", 11, "error", "node 'if_caps' (If) attribute 'then_branch': more "
        "than 3 nodes, subgraphs included (ImportOptions::max_nodes): node 't_relu_1' (Relu) is "
        "node 4", if_with_branches(), "max_nodes=3")
    add("cap_subgraph_depth", 3, "error",
        "node 'if_0' (If) attribute 'else_branch': subgraph at nesting depth 4, over the cap of 3 "
        "(ImportOptions::max_subgraph_depth)", nested_if(4), "max_subgraph_depth=3")
    add("cap_subgraph_depth_at_cap", 3, "ok", "", nested_if(4), "max_subgraph_depth=4")
    add("cap_string_attribute", 11, "error",
        "node 'pad_mode' (Pad) attribute 'mode': string of 8 bytes, over the cap of 7 "
        "(ImportOptions::max_string_bytes)", pad_model("constant"), "max_string_bytes=7")
    add("cap_string_attribute_at_cap", 11, "ok", "", pad_model("constant"), "max_string_bytes=8")
    w = numpy_helper.from_array(np.ones((1, 4), np.float32), "W")
    labels = helper.make_tensor("labels", TensorProto.STRING, [2], [b"cat", b"x" * 100])
    with_labels = model_of(simple([helper.make_node("Add", ["x", "W"], ["y"], name="add_w")],
                                  [w, labels]))
    add("cap_string_tensor", 11, "error",
        "tensor 'labels': string of 100 bytes, over the cap of 64 (ImportOptions::max_string_bytes)",
        with_labels, "max_string_bytes=64")
    add("cap_string_tensor_at_cap", 11, "ok", "", with_labels, "max_string_bytes=100")
    w2 = numpy_helper.from_array(np.ones((1, 4), np.float32), "W2")
    two_weights = model_of(simple([helper.make_node("Add", ["x", "W"], ["s"], name="add_1"),
                                   helper.make_node("Add", ["s", "W2"], ["y"], name="add_2")],
                                  [w, w2]))
    add("cap_initializer_bytes", 11, "error",
        "tensor 'W2' (16 bytes) brings the model's constant tensor data over the cap of 24 bytes "
        "(ImportOptions::max_initializer_bytes)", two_weights, "max_initializer_bytes=24")
    add("cap_initializer_bytes_at_cap", 11, "ok", "", two_weights, "max_initializer_bytes=32")
    constant = model_of(simple([helper.make_node("Constant", [], ["c"], name="const_w", value=w2),
                                helper.make_node("Add", ["x", "c"], ["s"], name="add_1"),
                                helper.make_node("Add", ["s", "W"], ["y"], name="add_2")], [w]))
    add("cap_initializer_bytes_constant", 11, "error",
        "node 'const_w' (Constant) attribute 'value': tensor 'W2' (16 bytes)", constant,
        "max_initializer_bytes=24")
    # External data counts by its dims, before any file is read: the data file does not exist.
    external("cap_initializer_bytes_external", "never_read.bin", None, dims=(1, 4), row=11,
             options="max_initializer_bytes=8",
             substring="tensor 'W_ext' (16 bytes) brings the model's constant tensor data over")


# --- Row 24: odd names (legal) -----------------------------------------------------------------
def name_cases():
    for label, name in (("slash", "../../etc/passwd"), ("newline", "line1\nline2"),
                        ("control", "bell\x07esc\x1b[31m"), ("unicode", "\u00fcber\u4e2d"),
                        ("long", "n" * 20000), ("spaces", "  a b  ")):
        add(f"name_{label}", 24, "ok", "",
            model_of(simple([helper.make_node("Relu", [name], ["y"], name=name + "_node")],
                            inputs=[vi(name)])))
    add("name_node_empty", 24, "ok", "",
        model_of(simple([helper.make_node("Relu", ["x"], ["r"]),
                         helper.make_node("Relu", ["r"], ["y"])])))
    add("name_node_duplicate", 20, "ok", "",  # node names need not be unique in ONNX
        model_of(simple([helper.make_node("Relu", ["x"], ["r"], name="same"),
                         helper.make_node("Relu", ["r"], ["y"], name="same")])))


def main():
    global OUT
    OUT = sys.argv[1]
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for group in (protobuf_cases, nesting_cases, version_cases, attribute_cases, tensor_cases,
                  tensor_path_cases, structure_cases, shape_cases, control_flow_cases,
                  external_cases, name_cases, cap_cases):
        group()
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    with open(os.path.join(OUT, "manifest.tsv"), "w", encoding="utf-8") as f:
        for case in CASES:
            f.write("\t".join(case) + "\n")
    print(f"{len(CASES)} malformed-model cases in {OUT}")


if __name__ == "__main__":
    main()
