#!/usr/bin/python3
"""Write three ONNX backend-style test cases (OUT/test_*/model.onnx, test_data_set_0/{input,output}_0.pb)
for the tests of `hetrun conformance` itself: test_a_abs, test_b_relu, test_c_neg, one float32
node each, expected outputs from numpy.
Usage: /usr/bin/python3 make_conformance_cases.py OUT_DIR"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CASES = {"test_a_abs": ("Abs", np.abs), "test_b_relu": ("Relu", lambda x: np.maximum(x, 0)),
         "test_c_neg": ("Neg", np.negative)}

out = sys.argv[1]
x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
for name, (op, fn) in CASES.items():
    graph = helper.make_graph([helper.make_node(op, ["x"], ["y"])], name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    data = os.path.join(out, name, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save(model, os.path.join(out, name, "model.onnx"))
    for file, array in (("input_0.pb", x), ("output_0.pb", fn(x).astype(np.float32))):
        with open(os.path.join(data, file), "wb") as f:
            f.write(numpy_helper.from_array(array).SerializeToString())
