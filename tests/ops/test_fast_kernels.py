"""Every fast kernel against its readable reference (the composed version kept beside it)."""

import numpy as np
import pytest

from abinitio.ops.activation import _reference_normal_cdf, normal_cdf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_cdf_matches_its_reference_tails_included(dtype):
    x = np.concatenate([np.linspace(-14, 14, 20001), [0.0, -0.0, 1e-30, -1e-30]]).astype(dtype)
    fast, reference = normal_cdf(x), _reference_normal_cdf(x)
    assert fast.dtype == dtype
    # relative error, so the far tails (Phi(-14) ~ 8e-45 in float64) count too
    scale = np.maximum(reference, np.finfo(dtype).tiny)
    tolerance = 4 * np.finfo(dtype).eps
    assert np.max(np.abs(fast - reference) / scale) < tolerance


def test_normal_cdf_keeps_shapes_and_takes_scalars():
    x = np.linspace(-3, 3, 24).reshape(2, 3, 4)[:, ::2]  # a strided view
    np.testing.assert_allclose(normal_cdf(x), _reference_normal_cdf(x), rtol=1e-15)
    assert abs(float(normal_cdf(0.0)) - 0.5) < 2e-8  # the fit is not exact at 0
    assert normal_cdf(np.array([1, 2])).dtype.kind == "f"
