#!/usr/bin/python3
"""Writes malformed or unsupported models for the CLI error tests into OUT_DIR:
unknown_op.onnx (an op no domain defines), cycle.onnx (two nodes feeding each other),
not_a_model.onnx (text), truncated.onnx (a valid model cut in half), bad_shapes.onnx (MatMul of
incompatible shapes). Usage: /usr/bin/python3 make_bad_models.py OUT_DIR"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
opset = [helper.make_opsetid("", 13)]
f = TensorProto.FLOAT


def save(model, name):
    model.ir_version = 8
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(model.SerializeToString())


x = helper.make_tensor_value_info("x", f, [1, 4])
y = helper.make_tensor_value_info("y", f, [1, 4])
save(helper.make_model(helper.make_graph([helper.make_node("NoSuchOp", ["x"], ["y"], name="mystery")],
                                         "unknown_op", [x], [y]), opset_imports=opset), "unknown_op.onnx")

# a -> b -> a: serialised directly, bypassing every helper that would sort or check it.
cycle = helper.make_graph([helper.make_node("Add", ["x", "b_out"], ["a_out"], name="a"),
                           helper.make_node("Relu", ["a_out"], ["b_out"], name="b")],
                          "cycle", [x], [helper.make_tensor_value_info("a_out", f, [1, 4])])
save(helper.make_model(cycle, opset_imports=opset), "cycle.onnx")

with open(os.path.join(out, "not_a_model.onnx"), "w") as fh:
    fh.write("this is not an ONNX model, just text\n" * 4)

w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
good = helper.make_model(helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                                           "good", [x], [y], [w]), opset_imports=opset)
good.ir_version = 8
data = good.SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as fh:
    fh.write(data[: len(data) // 2])

w3 = numpy_helper.from_array(np.ones((3, 4), np.float32), "w")
save(helper.make_model(helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                                         "bad_shapes", [x], [y], [w3]), opset_imports=opset), "bad_shapes.onnx")
