"""hetrun.InferenceSession: outputs identical to the CLI's, metadata, plan, errors, threads."""
import concurrent.futures
import subprocess

import numpy as np
import pytest

import hetrun

# Real models beside the repository, with the inputs their README names (dims for dynamic ones).
SHARED_MODELS = [
    ("ppocr_cls.onnx", {"x": (1, 3, 48, 192)}),
    ("wakeword_mlp.onnx", {"onnx::Flatten_0": (1, 25, 96)}),
]


def cli_outputs(cli, model, feeds, tmp_path):
    """Runs `hetrun -i NAME=FILE -o DIR MODEL` and reads back every output .npy it wrote."""
    args = [str(cli), "-q"]
    for name, array in feeds.items():
        path = tmp_path / (name.replace(":", "_") + ".npy")
        np.save(path, array)
        args += ["-i", f"{name}={path}"]
    out_dir = tmp_path / "cli_out"
    args += ["-o", str(out_dir), str(model)]
    subprocess.run(args, check=True, capture_output=True)
    return out_dir


def npy_name(output_name):
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in output_name) + ".npy"


def assert_same_as_cli(cli, model, feeds, tmp_path):
    session = hetrun.InferenceSession(str(model), devices=["cpu"])
    outputs = session.run(None, feeds)
    out_dir = cli_outputs(cli, model, feeds, tmp_path)
    names = [o.name for o in session.get_outputs()]
    assert len(outputs) == len(names)
    for name, array in zip(names, outputs):
        expected = np.load(out_dir / npy_name(name))
        assert array.dtype == expected.dtype, name
        assert array.shape == expected.shape, name
        assert np.array_equal(array, expected), f"{model.name}: output {name} differs from the CLI's"


def test_tiny_cnn_matches_cli(hetrun_cli, tiny_cnn, tmp_path):
    rng = np.random.default_rng(7)
    image = rng.random((2, 1, 28, 28), dtype=np.float32)
    assert_same_as_cli(hetrun_cli, tiny_cnn, {"image": image}, tmp_path)


@pytest.mark.parametrize("file,shapes", SHARED_MODELS, ids=[m[0] for m in SHARED_MODELS])
def test_shared_model_matches_cli(hetrun_cli, shared_models_dir, file, shapes, tmp_path):
    model = shared_models_dir / file
    if not model.exists():
        pytest.skip(f"{model} not present")
    rng = np.random.default_rng(11)
    feeds = {name: rng.random(dims, dtype=np.float32) for name, dims in shapes.items()}
    assert_same_as_cli(hetrun_cli, model, feeds, tmp_path)


def test_metadata_like_onnxruntime(tiny_cnn):
    session = hetrun.InferenceSession(str(tiny_cnn))
    (image,) = session.get_inputs()
    assert (image.name, image.type, image.shape) == ("image", "tensor(float)", [None, 1, 28, 28])
    (probabilities,) = session.get_outputs()
    assert probabilities.name == "probabilities"
    assert probabilities.shape == [None, 10]


def test_run_selects_outputs_by_name(tiny_cnn):
    session = hetrun.InferenceSession(str(tiny_cnn))
    image = np.ones((1, 1, 28, 28), np.float32)
    (by_name,) = session.run(["probabilities"], {"image": image})
    (all_outputs,) = session.run(None, {"image": image})
    assert np.array_equal(by_name, all_outputs)
    assert by_name.shape == (1, 10)
    assert np.isclose(by_name.sum(), 1.0, atol=1e-5)  # a softmax


def test_non_contiguous_input_is_accepted(tiny_cnn):
    session = hetrun.InferenceSession(str(tiny_cnn))
    base = np.random.default_rng(3).random((1, 1, 28, 56), dtype=np.float32)
    view = base[:, :, :, ::2]
    assert not view.flags.c_contiguous
    (a,) = session.run(None, {"image": view})
    (b,) = session.run(None, {"image": np.ascontiguousarray(view)})
    assert np.array_equal(a, b)


def test_get_devices_lists_cpu():
    devices = hetrun.get_devices()
    assert "cpu" in devices
    assert "kind cpu" in hetrun.get_device_descriptions()["cpu"]


def test_plan_has_parts(tiny_cnn):
    plan = hetrun.InferenceSession(str(tiny_cnn), partition="priority").plan()
    assert plan["devices"] == ["cpu"]
    assert len(plan["parts"]) >= 1
    assert plan["strategy"] == "priority"


def test_missing_file_raises(tmp_path):
    missing = tmp_path / "missing.onnx"
    with pytest.raises(hetrun.Error, match="missing.onnx"):
        hetrun.InferenceSession(str(missing))


def test_error_is_a_runtime_error():
    assert issubclass(hetrun.Error, RuntimeError)


def test_wrong_input_name_raises(tiny_cnn):
    session = hetrun.InferenceSession(str(tiny_cnn))
    image = np.zeros((1, 1, 28, 28), np.float32)
    with pytest.raises(hetrun.Error, match="no input 'img'"):
        session.run(None, {"image": image, "img": image})
    with pytest.raises(hetrun.Error, match="input 'image' not given"):
        session.run(None, {"img": image})


def test_wrong_dtype_raises(tiny_cnn):
    session = hetrun.InferenceSession(str(tiny_cnn))
    with pytest.raises(hetrun.Error, match="expected float32, got float64"):
        session.run(None, {"image": np.zeros((1, 1, 28, 28), np.float64)})


def test_wrong_shape_and_output_name_raise(tiny_cnn):
    session = hetrun.InferenceSession(str(tiny_cnn))
    with pytest.raises(hetrun.Error, match="expected shape"):
        session.run(None, {"image": np.zeros((1, 1, 27, 28), np.float32)})
    with pytest.raises(hetrun.Error, match="no output 'nope'"):
        session.run(["nope"], {"image": np.zeros((1, 1, 28, 28), np.float32)})


def test_bad_options_raise(tiny_cnn):
    with pytest.raises(hetrun.Error, match="no-such-strategy"):
        hetrun.InferenceSession(str(tiny_cnn), partition="no-such-strategy")
    with pytest.raises(hetrun.Error, match="nosuchdevice"):
        hetrun.InferenceSession(str(tiny_cnn), devices=["nosuchdevice"])


def test_concurrent_runs_from_threads(tiny_cnn):
    # run() releases the GIL: threads share one session and each gets its own answer.
    session = hetrun.InferenceSession(str(tiny_cnn))
    rng = np.random.default_rng(5)
    images = [rng.random((1, 1, 28, 28), dtype=np.float32) for _ in range(8)]
    expected = [session.run(None, {"image": im})[0] for im in images]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda im: session.run(None, {"image": im})[0], images * 4))
    for i, array in enumerate(got):
        assert np.array_equal(array, expected[i % len(images)])


def test_outputs_outlive_the_session(tiny_cnn):
    session = hetrun.InferenceSession(str(tiny_cnn))
    (out,) = session.run(None, {"image": np.ones((1, 1, 28, 28), np.float32)})
    copy = out.copy()
    del session
    assert np.array_equal(out, copy)


def test_input_shapes_fix_dynamic_dims(tiny_cnn):
    session = hetrun.InferenceSession(str(tiny_cnn), input_shapes={"image": [3, 1, 28, 28]})
    assert session.get_inputs()[0].shape == [3, 1, 28, 28]
    assert session.get_outputs()[0].shape == [3, 10]
    with pytest.raises(hetrun.Error, match="expected shape"):
        session.run(None, {"image": np.zeros((2, 1, 28, 28), np.float32)})


def test_cpu_and_vulkan_pipeline_agrees_with_cpu(tiny_cnn):
    if "vulkan" not in hetrun.get_devices():
        pytest.skip("no vulkan plugin or device")
    image = np.random.default_rng(13).random((2, 1, 28, 28), dtype=np.float32)
    shapes = {"image": list(image.shape)}
    mixed = hetrun.InferenceSession(str(tiny_cnn), devices=["cpu", "vulkan"],
                                    assign=["Conv*=vulkan"], input_shapes=shapes)
    assert {part["device"] for part in mixed.plan()["parts"]} == {"cpu", "vulkan"}
    (cpu,) = hetrun.InferenceSession(str(tiny_cnn)).run(None, {"image": image})
    (both,) = mixed.run(None, {"image": image})
    np.testing.assert_allclose(both, cpu, rtol=1e-5, atol=1e-6)
