import numpy as np
import pytest
from skimage import morphology
from sklearn.utils._param_validation import InvalidParameterError

from sksegment import MorphCloser


def _masks(shape, seed=0, density=0.55):
    return np.random.default_rng(seed).random(shape) > density


def _footprint(shape, size, ndim):
    r = (size - 1) // 2
    return {
        ("square", 2): morphology.footprint_rectangle((size, size)),
        ("square", 3): morphology.footprint_rectangle((size, size, size)),
        ("disk", 2): morphology.disk(r),
        ("disk", 3): morphology.ball(r),
        ("diamond", 2): morphology.diamond(r),
        ("diamond", 3): morphology.octahedron(r),
    }[shape, ndim]


@pytest.mark.parametrize("mode", ["ignore", "reflect", "constant", "nearest", "wrap"])
@pytest.mark.parametrize(
    "shape, size", [("square", 2), ("square", 5), ("disk", 5), ("diamond", 3)]
)
def test_equals_skimage_closing_2d(shape, size, mode):
    masks = _masks((3, 23, 31))
    out = MorphCloser(size, shape=shape, mode=mode).fit_transform(masks)
    fp = _footprint(shape, size, 2)
    for mask, closed in zip(masks, out):
        np.testing.assert_array_equal(closed, morphology.closing(mask, fp, mode=mode))
    assert out.dtype == bool


@pytest.mark.parametrize(
    "shape, size", [("square", 3), ("square", 4), ("disk", 3), ("diamond", 5)]
)
def test_equals_skimage_closing_3d(shape, size):
    volumes = _masks((2, 9, 11, 10), seed=1)
    out = MorphCloser(size, shape=shape).fit_transform(volumes)
    fp = _footprint(shape, size, 3)
    for volume, closed in zip(volumes, out):
        np.testing.assert_array_equal(
            closed, morphology.closing(volume, fp, mode="ignore")
        )


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32, np.float64])
def test_any_dtype_is_read_as_its_nonzero_pixels(dtype):
    masks = _masks((2, 15, 15), seed=2)
    values = (masks * 3).astype(dtype)
    np.testing.assert_array_equal(
        MorphCloser(3).fit_transform(values), MorphCloser(3).fit_transform(masks)
    )


def test_size_one_is_the_identity():
    masks = _masks((2, 8, 9))
    np.testing.assert_array_equal(MorphCloser(1).fit_transform(masks), masks)


def test_ignore_mode_is_extensive_and_idempotent_for_even_sizes():
    masks = _masks((4, 20, 20), seed=3, density=0.6)
    step = MorphCloser(4, mode="ignore")
    once = step.fit_transform(masks)
    assert (once >= masks).all()
    np.testing.assert_array_equal(step.transform(once), once)


def test_mends_a_crack():
    mask = np.zeros((1, 9, 15), dtype=bool)
    mask[0, 2:7, 2:7] = mask[0, 2:7, 8:13] = True
    closed = MorphCloser(3).fit_transform(mask)
    assert closed[0, 2:7, 2:13].all()


def test_even_size_with_round_shape_is_refused():
    with pytest.raises(InvalidParameterError, match="odd"):
        MorphCloser(4, shape="disk").fit(np.zeros((1, 5, 5), dtype=bool))
    with pytest.raises(InvalidParameterError, match="odd"):
        MorphCloser(4, shape="diamond").transform(np.zeros((1, 5, 5), dtype=bool))
