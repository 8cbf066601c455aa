"""InferenceSession(cache_dir=...): the compiled-plan cache through the Python module."""
import numpy as np

import hetrun


def test_cache_dir_second_session_gives_identical_outputs(tiny_cnn, tmp_path):
    cache = tmp_path / "cache"
    x = np.random.default_rng(0).random((1, 1, 28, 28), dtype=np.float32)
    cold = hetrun.InferenceSession(str(tiny_cnn), devices=["cpu"], cache_dir=str(cache))
    entries = list(cache.glob("*.hplan"))
    assert len(entries) == 1, "the first session writes one plan entry"
    warm = hetrun.InferenceSession(str(tiny_cnn), devices=["cpu"], cache_dir=str(cache))
    assert list(cache.glob("*.hplan")) == entries, "the second session reuses it"
    name = cold.get_inputs()[0].name
    for a, b in zip(cold.run(None, {name: x}), warm.run(None, {name: x})):
        assert np.array_equal(a, b)
    assert [p["device"] for p in warm.plan()["parts"]] == [
        p["device"] for p in cold.plan()["parts"]
    ]
