#!/usr/bin/env python3
"""Writes matmul_probe.onnx: one MatMul of a 1024x1024 input by a 1024x1024 constant (2.15 GFLOP),
the attainable-peak probe of the benchmarks: its GFLOP/s shows what a device's GEMM reaches."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

N = 1024
out = sys.argv[1] if len(sys.argv) > 1 else "."
w = numpy_helper.from_array(np.random.default_rng(7).standard_normal((N, N)).astype(np.float32) / 32, "w")
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y"], name="probe")], "matmul_probe",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [N, N])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [N, N])], [w])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, os.path.join(out, "matmul_probe.onnx"))
print(f"matmul_probe.onnx: {2 * N ** 3 / 1e9:.2f} GFLOP")
