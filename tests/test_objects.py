import numpy as np
import pytest
from skimage.measure import label
from skimage.segmentation import clear_border
from sklearn.utils._param_validation import InvalidParameterError

from sksegment import AreaFilter, BorderClearer, ComponentLabeler


def _masks(shape, seed=0, density=0.6):
    return np.random.default_rng(seed).random(shape) > density


def _same_partition(a, b):
    """Label images equal up to a permutation of ids (0 stays background)."""
    assert a.shape == b.shape
    assert ((a == 0) == (b == 0)).all()
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    assert len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]
    return True


# --- ComponentLabeler ------------------------------------------------------


@pytest.mark.parametrize("connectivity", [None, 1, 2])
@pytest.mark.parametrize("dtype", [bool, np.float32, np.float64])
def test_labeler_equals_skimage_label_on_masks(connectivity, dtype):
    masks = _masks((3, 20, 25))
    out = ComponentLabeler(connectivity).fit_transform(masks.astype(dtype))
    assert out.dtype == np.int32
    for mask, labels in zip(masks, out):
        np.testing.assert_array_equal(labels, label(mask, connectivity=connectivity))


@pytest.mark.parametrize("connectivity", [None, 1, 2, 3])
def test_labeler_equals_skimage_label_in_3d(connectivity):
    volumes = _masks((2, 6, 7, 8), seed=1, density=0.7)
    out = ComponentLabeler(connectivity).fit_transform(volumes)
    for volume, labels in zip(volumes, out):
        np.testing.assert_array_equal(labels, label(volume, connectivity=connectivity))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
def test_labeler_relabels_label_images_like_skimage(dtype):
    labels = np.array(
        [[[1, 1, 2, 0, 1], [0, 0, 2, 0, 1], [3, 0, 0, 0, 0]]], dtype=dtype
    )
    out = ComponentLabeler().fit_transform(labels)
    np.testing.assert_array_equal(out[0], label(labels[0], background=0))
    assert out[0].max() == 4  # 1 has two pieces, 2 touches 1 but stays apart


def test_labeler_connectivity_larger_than_the_image_is_refused():
    with pytest.raises(ValueError, match="ComponentLabeler: connectivity=3 exceeds"):
        ComponentLabeler(3).fit_transform(_masks((1, 5, 5)))


# --- BorderClearer ---------------------------------------------------------


@pytest.mark.parametrize("buffer_size", [0, 1, 3])
def test_border_clearer_equals_clear_border_on_masks(buffer_size):
    masks = _masks((3, 22, 19), seed=2, density=0.7)
    out = BorderClearer(buffer_size).fit_transform(masks)
    assert out.dtype == bool
    for mask, cleared in zip(masks, out):
        np.testing.assert_array_equal(
            cleared, clear_border(mask, buffer_size=buffer_size)
        )


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64])
def test_border_clearer_equals_clear_border_on_label_images(dtype):
    labels = label(_masks((30, 30), seed=3, density=0.7)).astype(dtype)
    out = BorderClearer(1).fit_transform(labels[None])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out[0], clear_border(labels, buffer_size=1))


def test_border_clearer_3d():
    volumes = _masks((2, 8, 9, 10), seed=4, density=0.75)
    out = BorderClearer().fit_transform(volumes)
    for volume, cleared in zip(volumes, out):
        np.testing.assert_array_equal(cleared, clear_border(volume))


def test_border_clearer_removes_a_whole_label_touching_the_border():
    labels = np.array([[[0, 0, 0, 0, 5], [0, 5, 0, 0, 0], [0, 0, 0, 0, 0]]])
    assert BorderClearer().fit_transform(labels).max() == 0


def test_border_clearer_uses_connectivity_for_masks():
    mask = np.zeros((1, 6, 6), dtype=bool)
    mask[0, 0, 0] = mask[0, 1, 1] = mask[0, 2, 2] = True  # diagonal chain to border
    assert not BorderClearer().fit_transform(mask).any()
    kept = BorderClearer(connectivity=1).fit_transform(mask)
    assert kept[0, 1, 1] and kept[0, 2, 2] and not kept[0, 0, 0]


def test_border_clearer_with_sparse_large_ids():
    labels = np.zeros((1, 6, 6), dtype=np.int64)
    labels[0, 0, :2] = 10**12
    labels[0, 2:4, 2:4] = 7 * 10**11
    out = BorderClearer().fit_transform(labels)
    assert out.dtype == np.int64
    assert set(np.unique(out)) == {0, 7 * 10**11}


def test_buffer_as_large_as_the_image_is_refused():
    with pytest.raises(
        ValueError, match="BorderClearer: buffer_size=5 must be smaller"
    ):
        BorderClearer(5).fit_transform(_masks((1, 5, 9)))


# --- AreaFilter ------------------------------------------------------------


def _reference_area_filter(mask, min_area, max_area):
    labels = label(mask)
    areas = np.bincount(labels.ravel())
    keep = np.ones_like(areas, dtype=bool)
    if min_area is not None:
        keep &= areas >= min_area
    if max_area is not None:
        keep &= areas <= max_area
    keep[0] = False
    return keep[labels]


@pytest.mark.parametrize("bounds", [(None, None), (3, None), (None, 4), (2, 6), (5, 5)])
def test_area_filter_bounds_are_inclusive_on_masks(bounds):
    masks = _masks((3, 25, 25), seed=5, density=0.65)
    out = AreaFilter(*bounds).fit_transform(masks)
    assert out.dtype == bool
    for mask, kept in zip(masks, out):
        np.testing.assert_array_equal(kept, _reference_area_filter(mask, *bounds))


def test_area_filter_on_label_images_relabels_sequentially():
    labels = np.array([[[3, 3, 0, 9, 9, 9], [3, 0, 0, 0, 0, 0], [0, 0, 12, 0, 0, 7]]])
    out = AreaFilter(min_area=2).fit_transform(labels)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(
        out[0], [[1, 1, 0, 2, 2, 2], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]
    )


def test_area_filter_min_area_101_is_the_recipes_area_over_100():
    mask = np.zeros((1, 40, 40), dtype=bool)
    mask[0, 1:11, 1:11] = True  # 100 pixels
    mask[0, 20:30, 20:30] = True
    mask[0, 30, 20] = True  # 101 pixels
    out = AreaFilter(min_area=101).fit_transform(mask)
    assert out.sum() == 101


def test_area_filter_3d_with_connectivity():
    volumes = _masks((2, 6, 7, 8), seed=6, density=0.7)
    out = AreaFilter(min_area=3, connectivity=1).fit_transform(volumes)
    for volume, kept in zip(volumes, out):
        labels = label(volume, connectivity=1)
        areas = np.bincount(labels.ravel())
        expected = (areas >= 3)[labels] & (labels > 0)
        np.testing.assert_array_equal(kept, expected)


def test_area_filter_on_sparse_large_ids():
    labels = np.zeros((1, 5, 5), dtype=np.int64)
    labels[0, :2, :2] = 10**13
    labels[0, 4, 4] = 10**12
    out = AreaFilter(min_area=2).fit_transform(labels)
    assert set(np.unique(out)) == {0, 1} and (out == 1).sum() == 4


def test_area_filter_min_larger_than_max_is_refused():
    with pytest.raises(
        InvalidParameterError, match="min_area=10 is larger than max_area=5"
    ):
        AreaFilter(10, 5).fit(_masks((1, 5, 5)))


def test_label_pipeline_equals_skimage_up_to_permutation():
    masks = _masks((2, 30, 30), seed=7, density=0.6)
    cleared = BorderClearer().fit_transform(masks)
    labels = ComponentLabeler().fit_transform(cleared)
    kept = AreaFilter(min_area=4).fit_transform(labels)
    for mask, ours in zip(masks, kept):
        theirs = label(clear_border(mask))
        areas = np.bincount(theirs.ravel())
        theirs[(areas < 4)[theirs]] = 0
        assert _same_partition(ours, theirs)
