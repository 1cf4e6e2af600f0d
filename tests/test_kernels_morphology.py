"""sksegment._kernels.morphology: footprints, closing and opening, hole filling,
against scikit-image and scipy (OpenCV and the pure path)."""

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import measure, morphology

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


@pytest.mark.parametrize("connectivity", [1, 2])
def test_fill_mask_holes_equals_scipy(backend, connectivity):
    structure = ndi.generate_binary_structure(2, connectivity)
    for mask in _masks(seed=7):
        np.testing.assert_array_equal(
            _kernels.fill_mask_holes(mask, None, connectivity),
            ndi.binary_fill_holes(mask, structure),
        )


def test_fill_mask_holes_up_to_an_area_equals_remove_small_holes_off_the_border():
    mask = np.ones((20, 20), dtype=bool)
    mask[3:5, 3:5] = False  # a hole of 4 pixels
    mask[10:15, 10:15] = False  # a hole of 25 pixels
    expected = morphology.remove_small_holes(mask, max_size=4)
    np.testing.assert_array_equal(_kernels.fill_mask_holes(mask, 4, 1), expected)
    assert not _kernels.fill_mask_holes(mask, 4, 1)[12, 12]


def test_fill_label_holes_fills_each_object_with_its_own_id():
    labels = np.zeros((12, 20), dtype=np.int32)
    labels[1:10, 1:8] = 3
    labels[4:6, 3:5] = 0  # a hole in object 3
    labels[1:10, 10:18] = 7
    labels[3:7, 12:16] = 0  # a hole in object 7
    filled = _kernels.fill_label_holes(labels, None, 1)
    for i in (3, 7):
        np.testing.assert_array_equal(filled == i, ndi.binary_fill_holes(labels == i))
    assert filled.dtype == _kernels.kept_label_dtype(labels.dtype)
    assert measure.label(filled > 0).max() == 2
