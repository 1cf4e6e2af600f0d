"""sksegment._kernels.threshold: pooled histograms and the threshold maths,
against scikit-image."""

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import filters
from skimage.exposure import histogram

from sksegment import _kernels


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int8, np.float32])
def test_pooled_histogram(backend, dtype):
    rng = np.random.default_rng(6)
    images = [
        (rng.normal(60, 25, size=(20, 30))).clip(-100, 250).astype(dtype)
        for _ in range(3)
    ]
    counts, centers = _kernels.pooled_histogram(images, 256)
    stacked = np.concatenate([im.ravel() for im in images])
    expected_counts, expected_centers = histogram(stacked, nbins=256)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_allclose(centers, expected_centers)


def test_pooled_histogram_of_constant_images_is_none(backend):
    assert _kernels.pooled_histogram([np.full((3, 3), 9, np.uint8)] * 2, 256) is None


@pytest.mark.parametrize(
    "dtype, low", [(np.int32, 10**8), (np.int64, -(2**40)), (np.uint64, 2**64 - 900)]
)
def test_pooled_histogram_far_from_zero_is_sized_by_the_range(dtype, low):
    # values from low to low + 799: 800 counts, not one per integer up to low
    import tracemalloc

    rng = np.random.default_rng(7)
    offsets = rng.integers(0, 800, size=(20, 30)).astype(dtype)
    images = [np.array(low, dtype=dtype) + offsets]
    images.append(np.array([[low, low + 799]], dtype=dtype))
    tracemalloc.start()
    try:
        counts, centers = _kernels.pooled_histogram(images, 256)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert centers.dtype == dtype or dtype != np.uint64
    assert len(counts) == 800 and counts.sum() == 602
    values = np.concatenate([im.ravel() for im in images])
    expected = np.bincount((values - values.min()).astype(np.int64), minlength=800)
    np.testing.assert_array_equal(counts, expected)
    assert int(centers[0]) == low and int(centers[-1]) == low + 799


@pytest.mark.parametrize("n_pixels", [10, 10**5])
def test_pooled_histogram_bins_ranges_wider_than_the_pixels(n_pixels):
    # one bin per integer up to max(65536, pixels) integers, nbins beyond,
    # as np.histogram (scikit-image's) bins float values
    rng = np.random.default_rng(8)
    image = rng.integers(0, 70000, size=n_pixels).astype(np.int64)
    image[:2] = 0, 69999
    counts, centers = _kernels.pooled_histogram([image], 64)
    if n_pixels < 70000:
        expected_counts, edges = np.histogram(image.astype(float), bins=64)
        np.testing.assert_array_equal(counts, expected_counts)
        np.testing.assert_allclose(centers, (edges[:-1] + edges[1:]) / 2)
    else:
        np.testing.assert_array_equal(counts, np.bincount(image))
        np.testing.assert_array_equal(centers, np.arange(70000))
    assert _kernels.exact_integer_bins(0, 69999, n_pixels) == (n_pixels >= 70000)
    assert _kernels.exact_integer_bins(0, 4095, 10, max_exact=4096)
    assert not _kernels.exact_integer_bins(0, 4096, 10**6, max_exact=4096)


def _image(dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    return ndi.gaussian_filter(rng.random((40, 50)), 3) * 1000 % 251


def test_li_and_triangle_from_histograms_equal_scikit_image():
    image = _image().astype(np.uint8)
    counts, values = _kernels.pooled_histogram([image], 256)
    assert _kernels.li_from_histogram(counts, values) == pytest.approx(
        filters.threshold_li(image)
    )
    assert _kernels.triangle_from_histogram(counts, values) == pytest.approx(
        filters.threshold_triangle(image)
    )


def test_distinct_values_pool_the_images():
    images = [np.array([[1, 2], [2, 9]], np.uint8), np.array([[9, 9]], np.uint8)]
    values, counts = _kernels.distinct_values(images)
    np.testing.assert_array_equal(values, [1, 2, 9])
    np.testing.assert_array_equal(counts, [1, 2, 3])


def test_robust_background_of_plain_values():
    values, counts = np.arange(1, 101, dtype=np.float64), np.ones(100, np.int64)
    # 5 discarded at each end: the mean of 6..95 plus 2 of its deviations
    kept = values[5:95]
    expected = kept.mean() + 2 * kept.std()
    got = _kernels.robust_background(values, counts, 0.05, 0.05, "mean", "std", 2)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("size", [3, 7])
def test_box_mean_equals_a_uniform_filter(size):
    image = _image(seed=2).astype(np.uint16)
    expected = ndi.uniform_filter(image.astype(np.float64), size, mode="reflect")
    np.testing.assert_allclose(_kernels.box_mean(image, size), expected, rtol=1e-12)
