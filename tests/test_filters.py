import numpy as np
import pytest
from skimage import filters, morphology
from sklearn.utils._param_validation import InvalidParameterError

from sksegment import OtsuThresholder, _kernels
from sksegment.filters import Smoother

# dtype of the image -> dtype of its Gaussian
GAUSSIAN_DTYPES = {
    bool: np.float32,
    np.uint8: np.float32,
    np.int16: np.float32,
    np.uint16: np.float32,
    np.int32: np.float64,
    np.float32: np.float32,
    np.float64: np.float64,
}


def _images(shape, dtype, seed=0):
    """Noisy images with a bright block, spanning much of the dtype's range."""
    rng = np.random.default_rng(seed)
    if dtype is bool:
        return rng.random(shape) > 0.5
    top = 60000 if dtype in (np.uint16, np.int32) else 250
    low = -100 if dtype in (np.int16, np.float32, np.float64) else 0
    images = rng.uniform(low, top / 3, size=shape)
    images[(slice(None),) + (slice(2, 6),) * (len(shape) - 1)] += top / 2
    return images.astype(dtype)


@pytest.mark.parametrize("dtype", list(GAUSSIAN_DTYPES))
@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.5])
@pytest.mark.parametrize("shape", [(3, 17, 20), (2, 6, 9, 8)], ids=["2d", "3d"])
def test_gaussian_equals_skimage(shape, sigma, dtype):
    images = _images(shape, dtype)
    out = Smoother(sigma=sigma).fit_transform(images)
    assert out.dtype == GAUSSIAN_DTYPES[dtype]
    for image, smoothed in zip(images, out):
        expected = filters.gaussian(image, sigma=sigma, preserve_range=True)
        if out.dtype == expected.dtype:
            np.testing.assert_array_equal(smoothed, expected)
        else:  # float32 rounding of scikit-image's float64
            np.testing.assert_allclose(smoothed, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.uint16, np.int16, np.float32])
@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_median_equals_skimage_2d(size, dtype, backend):
    images = _images((3, 17, 20), dtype, seed=1)
    out = Smoother("median", size=size).fit_transform(images)
    assert out.dtype == images.dtype
    footprint = morphology.footprint_rectangle((size, size))
    for image, smoothed in zip(images, out):
        np.testing.assert_array_equal(smoothed, filters.median(image, footprint))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float64])
@pytest.mark.parametrize("size", [3, 5])
def test_median_equals_skimage_3d(size, dtype):
    images = _images((2, 6, 9, 8), dtype, seed=2)
    out = Smoother("median", size=size).fit_transform(images)
    assert out.dtype == images.dtype
    footprint = morphology.footprint_rectangle((size,) * 3)
    for image, smoothed in zip(images, out):
        np.testing.assert_array_equal(smoothed, filters.median(image, footprint))


@pytest.mark.parametrize("method", ["gaussian", "median"])
@pytest.mark.parametrize("image_shape", [(1, 1), (1, 9), (7, 1), (2, 3)])
def test_tiny_images(image_shape, method, backend):
    images = _images((3, *image_shape), np.uint8, seed=3)
    out = Smoother(method, sigma=2.0, size=5).fit_transform(images)
    for image, smoothed in zip(images, out):
        if method == "gaussian":
            expected = filters.gaussian(image, sigma=2.0, preserve_range=True)
            np.testing.assert_allclose(smoothed, expected, rtol=1e-6)
        else:
            footprint = morphology.footprint_rectangle((5, 5))
            np.testing.assert_array_equal(smoothed, filters.median(image, footprint))


def test_median_removes_salt_and_pepper_noise():
    images = np.full((1, 9, 9), 100, dtype=np.uint8)
    images[0, 2, 3] = 255
    images[0, 6, 5] = 0
    out = Smoother("median").fit_transform(images)
    np.testing.assert_array_equal(out, np.full_like(images, 100))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_intensities_stay_in_the_images_units(dtype):
    images = np.full((2, 6, 7), 200, dtype=dtype)
    for method in ("gaussian", "median"):
        out = Smoother(method).fit_transform(images)
        np.testing.assert_allclose(out, 200)


def test_otsu_after_smoothing_is_in_the_images_units():
    rng = np.random.default_rng(4)
    images = rng.normal(60, 30, size=(3, 40, 40))
    truth = np.zeros(images.shape, dtype=bool)
    truth[:, 10:30, 12:28] = True
    images = np.clip(images + 120 * truth, 0, 255).astype(np.uint8)
    raw = OtsuThresholder().fit(images).threshold_
    smoothed = Smoother(sigma=1.0).fit_transform(images)
    threshold = OtsuThresholder().fit(smoothed).threshold_
    # in uint8 units (the midpoint of 60 and 180), not in [0, 1]
    assert 100 < threshold < 135
    assert abs(threshold - raw) < 10
    # and smoothing first removes most of the noise's errors
    raw_errors = np.count_nonzero((images > raw) != truth)
    errors = np.count_nonzero((smoothed > threshold) != truth)
    assert errors < raw_errors / 5


def test_transform_works_unfitted_and_never_aliases():
    images = list(_images((2, 8, 9), np.uint8))
    for step in (Smoother("median", size=1), Smoother("median"), Smoother()):
        out = step.transform(images)
        for image, smoothed in zip(images, out):
            assert not np.shares_memory(image, smoothed)
    np.testing.assert_array_equal(Smoother("median", size=1).transform(images), images)


def test_size_is_only_checked_for_the_median():
    images = _images((1, 8, 9), np.uint8)
    Smoother(size=4).fit_transform(images)  # ignored by the Gaussian
    with pytest.raises(InvalidParameterError, match="Smoother.*odd size.*size=4"):
        Smoother("median", size=4).fit(images)
    with pytest.raises(InvalidParameterError, match="Smoother.*odd size"):
        Smoother("median", size=2).transform(images)


@pytest.mark.parametrize(
    "params",
    [
        {"method": "mean"},
        {"sigma": 0},
        {"sigma": -1.0},
        {"sigma": "wide"},
        {"size": 0},
        {"size": 2.5},
    ],
)
def test_bad_parameters_raise(params):
    images = _images((1, 8, 9), np.uint8)
    with pytest.raises(InvalidParameterError, match="Smoother"):
        Smoother(**params).fit(images)
    with pytest.raises(InvalidParameterError, match="Smoother"):
        Smoother(**params).transform(images)


def test_nan_is_refused():
    images = np.zeros((1, 5, 5), dtype=np.float32)
    images[0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="Smoother got NaN"):
        Smoother().fit_transform(images)


# --- dask arrays: images chunked within images --------------------------------

CHUNKS_2D = [(1, 32, 36), (1, 12, 20), (1, 7, 9), (1, 5, 4), (1, 1, 36), (1, 32, 1)]
SMOOTHERS = [
    {"sigma": 1.5},
    {"sigma": 2.7},
    {"method": "median", "size": 5},
    {"method": "median", "size": 9},
]


@pytest.mark.parametrize("index, chunks", list(enumerate(CHUNKS_2D)))
def test_smoothing_within_chunked_images_equals_in_memory(index, chunks, da):
    results, expected = [], []
    for j, params in enumerate(SMOOTHERS):
        dtype = [np.uint8, np.uint16, np.float32][(index + j) % 3]
        images = _images((1, 50, 60), dtype, seed=index)
        loaded = []

        def load(block, loaded=loaded):
            loaded.append(block.shape)
            return block

        Xd = da.from_array(images, chunks=chunks).map_blocks(
            load, meta=np.empty((0, 0, 0), dtype)
        )
        results.append(Smoother(**params).transform(Xd))
        expected.append(Smoother(**params).transform(images))
        assert isinstance(results[-1], da.Array) and loaded == []  # lazy
    for params, got, want in zip(SMOOTHERS, da.compute(*results), expected):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want, err_msg=str(params))


@pytest.mark.parametrize("dtype", [bool, np.int16, np.int32, np.float64])
def test_smoothing_within_chunks_for_other_dtypes_and_3d(dtype, da):
    steps = [Smoother(sigma=0.8), Smoother("median", size=3), Smoother("median")]
    for shape, chunks in [((1, 30, 40), (1, 7, 9)), ((1, 6, 9, 8), (1, 2, 4, 5))]:
        images = _images(shape, dtype)
        Xd = da.from_array(images, chunks=chunks)
        results = da.compute(*(step.transform(Xd) for step in steps))
        for step, result in zip(steps, results):
            expected = step.transform(images)
            assert result.dtype == expected.dtype
            np.testing.assert_array_equal(result, expected)


def test_median_within_chunks_without_opencv(da, monkeypatch):
    monkeypatch.setattr(_kernels.common, "cv2", None)
    images = _images((1, 30, 40), np.uint8)
    step = Smoother("median", size=7)
    result = step.transform(da.from_array(images, chunks=(1, 6, 7)))
    np.testing.assert_array_equal(result.compute(), step.transform(images))


def test_nan_within_chunks_is_found_when_computed(da):
    images = np.zeros((1, 20, 20), dtype=np.float32)
    images[0, 12, 15] = np.nan
    result = Smoother().transform(da.from_array(images, chunks=(1, 10, 10)))
    with pytest.raises(ValueError, match="Smoother got NaN"):
        result.compute()


# --- Gaussians and windows larger than the image -------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float64])
@pytest.mark.parametrize("sigma", [3.0, 40.0, 2000.0])
def test_gaussian_wider_than_the_image_equals_skimage(dtype, sigma):
    # the weights beyond the image are folded onto its edge pixels
    images = (np.random.default_rng(4).random((2, 5, 7)) * 200).astype(dtype)
    step = Smoother(sigma=sigma)
    out = step.transform(images)
    expected = [filters.gaussian(im, sigma=sigma, preserve_range=True) for im in images]
    rtol = 1e-6 if out.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, np.stack(expected), rtol=rtol)
    da = pytest.importorskip("dask.array")
    chunked = step.transform(da.from_array(images, chunks=(1, 2, 3))).compute()
    np.testing.assert_array_equal(chunked, out)


@pytest.mark.parametrize("sigma", [1e6, 1e12])
def test_huge_sigma_costs_no_more_than_the_image(sigma):
    # as sigma grows, nearly all the weight lies beyond the edges, which
    # read the edge pixels: the limit is the mean of the corner pixels
    import tracemalloc

    images = np.random.default_rng(5).random((1, 16, 12))
    tracemalloc.start()
    try:
        out = Smoother(sigma=sigma).transform(images)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # scipy's own kernel: 8 * sigma weights
    corners = images[0, [0, 0, -1, -1], [0, -1, 0, -1]].mean()
    np.testing.assert_allclose(out, corners, rtol=1e-4)


def test_median_window_far_beyond_the_image_is_refused():
    images = _images((2, 6, 9), np.uint8)
    largest = Smoother("median", size=73).transform(images)  # radius 4 * 9
    expected = [filters.median(im, np.ones((73, 73), dtype=bool)) for im in images]
    np.testing.assert_array_equal(largest, np.stack(expected))
    for size in [75, 10**6 + 1]:
        with pytest.raises(ValueError, match=rf"Smoother.*size={size}.*\(6, 9\)"):
            Smoother("median", size=size).transform(images)
    da = pytest.importorskip("dask.array")
    with pytest.raises(ValueError, match=r"Smoother.*size=75"):
        Smoother("median", size=75).transform(da.from_array(images))
