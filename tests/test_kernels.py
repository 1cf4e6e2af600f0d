"""Both paths of every kernel, OpenCV's and the pure one, equal scikit-image."""

import numpy as np
import pytest
from skimage import measure, morphology, segmentation
from skimage.exposure import histogram

from sksegment import _kernels


def _masks(n=4, shape=(37, 41), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random(shape) > rng.uniform(0.35, 0.8) for _ in range(n)]


@pytest.mark.parametrize(
    "mode", ["ignore", "constant", "reflect", "mirror", "nearest", "max", "min", "wrap"]
)
@pytest.mark.parametrize(
    "shape, size",
    [
        ("square", 1),
        ("square", 2),
        ("square", 5),
        ("square", 6),
        ("disk", 5),
        ("diamond", 7),
    ],
)
def test_closing(backend, shape, size, mode):
    fp = _kernels.footprint(shape, size, 2)
    for mask in _masks():
        expected = morphology.closing(mask, fp, mode=mode)
        np.testing.assert_array_equal(
            _kernels.closing(mask, shape, size, mode), expected
        )
        out = np.ones(mask.shape, dtype=bool)
        assert _kernels.closing(mask, shape, size, mode, out) is out
        np.testing.assert_array_equal(out, expected)


def test_closing_of_a_non_contiguous_view(backend):
    mask = _masks(1, (40, 60))[0][:, ::2]
    fp = _kernels.footprint("square", 3, 2)
    np.testing.assert_array_equal(
        _kernels.closing(mask, "square", 3, "ignore"),
        morphology.closing(mask, fp, mode="ignore"),
    )


@pytest.mark.parametrize("connectivity", [None, 1, 2])
def test_label_mask(backend, connectivity):
    for mask in _masks(seed=1):
        labels, n = _kernels.label_mask(mask, connectivity)
        expected = measure.label(mask, connectivity=connectivity)
        np.testing.assert_array_equal(labels, expected)  # same ids, raster order
        assert n == expected.max() and labels.dtype == np.int32


@pytest.mark.parametrize("buffer_size", [0, 2])
@pytest.mark.parametrize("connectivity", [None, 1])
@pytest.mark.parametrize("density", [0.5, 0.85])  # crowded border: labeling path
def test_clear_border_mask(backend, buffer_size, connectivity, density):
    rng = np.random.default_rng(2)
    for _ in range(4):
        mask = rng.random((40, 33)) > density
        labels = measure.label(mask, connectivity=connectivity)
        expected = segmentation.clear_border(labels, buffer_size=buffer_size) > 0
        if connectivity is None:
            np.testing.assert_array_equal(
                expected, segmentation.clear_border(mask, buffer_size=buffer_size)
            )
        out = np.zeros(mask.shape, dtype=bool)
        result = _kernels.clear_border_mask(mask, buffer_size, connectivity, out)
        assert result is out
        np.testing.assert_array_equal(out, expected)


def test_flood_fill_falls_back_when_the_border_is_crowded():
    pytest.importorskip("cv2")
    mask = np.zeros((20, 200), dtype=bool)
    mask[0, ::2] = True  # 100 separate runs on the top edge
    assert _kernels.flood_border(mask, 0, None, None) is None
    assert not _kernels.clear_border_mask(mask, 0, None).any()


@pytest.mark.parametrize("bounds", [(None, None), (3, None), (None, 5), (2, 9)])
def test_area_filters(backend, bounds):
    for mask in _masks(seed=3):
        labels = measure.label(mask)
        areas = np.bincount(labels.ravel())
        keep = np.ones(len(areas), dtype=bool)
        if bounds[0] is not None:
            keep &= areas >= bounds[0]
        if bounds[1] is not None:
            keep &= areas <= bounds[1]
        keep[0] = False
        np.testing.assert_array_equal(
            _kernels.area_filter_mask(mask, *bounds, None), keep[labels]
        )
        kept = _kernels.area_filter_labels(labels, *bounds)
        expected, _, _ = segmentation.relabel_sequential(
            np.where(keep[labels], labels, 0)
        )
        np.testing.assert_array_equal(kept, expected)


def test_area_filter_sparse_and_dense_paths_agree():
    """Small ids are looked up in a table; ids past 4 x the pixels are searched.

    The sparse ids reach 2**40: a lookup table of that size cannot be
    allocated, so this test fails if the dense path runs on them.
    """
    small = np.zeros((64, 64), dtype=np.int64)
    small[10:12, 10:12] = 7  # 4 pixels: dropped
    small[30:40, 30:40] = 3  # 100 pixels: kept
    small[50:60, 5:20] = 5  # 150 pixels: kept
    expected = np.select([small == 3, small == 5], [1, 2], 0)
    sparse = np.select([small == 7, small == 3, small == 5], [2**40, 2**39, 2**40 - 1])
    assert 7 <= 4 * small.size < 2**39  # dense ids, sparse ids
    for labels in (small, sparse):
        out = np.empty(labels.shape, dtype=np.int32)
        kept = _kernels.area_filter_labels(labels, 10, None, out)
        assert kept is out
        np.testing.assert_array_equal(kept, expected)
        np.testing.assert_array_equal(
            _kernels.area_filter_labels(labels, 10, None), expected
        )


def test_area_filter_keeping_everything_returns_a_copy():
    labels = measure.label(_masks(1)[0]).astype(np.int32)
    kept = _kernels.area_filter_labels(labels, None, None)
    np.testing.assert_array_equal(kept, labels)
    assert not np.shares_memory(kept, labels)


def test_bincount_in_chunks(monkeypatch):
    monkeypatch.setattr(_kernels.common, "CHUNK", 7)
    labels = np.random.default_rng(4).integers(0, 5, size=(9, 11))
    np.testing.assert_array_equal(
        _kernels.bincount(labels, 5), np.bincount(labels.ravel())
    )
    skipped = _kernels.bincount(labels, 5, skip_zeros=True)
    assert skipped[0] == 0 and (skipped[1:] == np.bincount(labels.ravel())[1:]).all()


def test_counts(backend):
    for mask in _masks(seed=5):
        assert _kernels.count_mask(mask, None) == measure.label(mask).max()
        assert _kernels.count_mask(mask, 1) == measure.label(mask, connectivity=1).max()
        labels = measure.label(mask) * 3
        assert _kernels.count_labels(labels) == measure.label(mask).max()


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


# --- footprints larger than the image: cropped exactly ----------------------------

MODES = ["ignore", "constant", "reflect", "mirror", "nearest", "max", "min", "wrap"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "shape, size",
    [("square", 13), ("square", 14), ("square", 22), ("disk", 13), ("diamond", 15)],
)
@pytest.mark.parametrize("image_shape", [(3, 4), (5, 2)])
@pytest.mark.parametrize("operation", ["closing", "opening"])
def test_footprints_beyond_the_image_equal_skimage(
    backend, shape, size, mode, image_shape, operation
):
    # the footprint is a few times wider than the image along every axis
    fp = _kernels.footprint(shape, size, len(image_shape))
    assert _kernels.bounded_footprint(shape, size, image_shape).size < fp.size
    reference = getattr(morphology, operation)
    kernel = getattr(_kernels, operation)
    for mask in _masks(6, image_shape, seed=size):
        if mode == "reflect":
            # scipy (1.17) reads outside its line buffer for "reflect" windows
            # more than 8 times the axis, so scikit-image's closing of the tiny
            # mask is wrong there: the mask reflected by numpy, wide enough
            # that the footprint never leaves it, gives the defined result
            width = max(fp.shape)  # twice the footprint's radius
            crop = (slice(width, -width),) * mask.ndim
            padded = np.pad(mask, width, mode="symmetric")
            expected = reference(padded, fp, mode="ignore")[crop]
        else:
            expected = reference(mask, fp, mode=mode)
        np.testing.assert_array_equal(kernel(mask, shape, size, mode), expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, size", [("square", 9), ("square", 10), ("disk", 9)])
@pytest.mark.parametrize("operation", ["closing", "opening"])
def test_footprints_beyond_a_volume_equal_skimage(shape, size, mode, operation):
    fp = _kernels.footprint(shape, size, 3)
    assert _kernels.bounded_footprint(shape, size, (2, 3, 2)).size < fp.size
    reference = getattr(morphology, operation)
    for mask in _masks(4, (2, 3, 2), seed=size):
        np.testing.assert_array_equal(
            getattr(_kernels, operation)(mask, shape, size, mode),
            reference(mask, fp, mode=mode),
        )


@pytest.mark.parametrize("shape", ["square", "disk", "diamond"])
def test_bounded_footprint_is_the_footprint_when_it_fits(shape):
    fp = _kernels.footprint(shape, 5, 2)
    assert _kernels.bounded_footprint(shape, 5, (40, 30)) is fp


@pytest.mark.parametrize("shape", ["square", "disk", "diamond"])
@pytest.mark.parametrize("operation", ["closing", "opening"])
def test_huge_footprint_costs_no_more_than_the_image(backend, shape, operation):
    import tracemalloc

    mask = _masks(1, (32, 32))[0]
    kernel = getattr(_kernels, operation)
    small = kernel(mask, shape, 65, "ignore")  # reaches 32 pixels: the image
    tracemalloc.start()
    try:
        huge = kernel(mask, shape, 10**6 + 1, "ignore")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(huge, small)
    assert peak < 4 << 20
