"""sksegment._kernels.filters: the Gaussian and median smoothing, against scipy."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from sksegment import _kernels


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
@pytest.mark.parametrize("sigma", [0.7, 2.0])
def test_gaussian_filter_equals_scipy(backend, dtype, sigma):
    image = (np.random.default_rng(1).random((30, 33)) * 200).astype(dtype)
    expected = ndi.gaussian_filter(image.astype(np.float64), sigma, mode="nearest")
    got = _kernels.gaussian_filter(image, sigma)
    assert got.dtype == _kernels.gaussian_dtype(image.dtype)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("size", [3, 5])
def test_median_filter_equals_scipy(backend, size):
    image = (np.random.default_rng(2).random((21, 25)) * 255).astype(np.uint8)
    np.testing.assert_array_equal(
        _kernels.median_filter(image, size),
        ndi.median_filter(image, size, mode="nearest"),
    )
