"""sksegment._kernels.labels: labeling, border clearing, area filters and counts,
against scikit-image (OpenCV and the pure path)."""

import numpy as np
import pytest
from skimage import measure, segmentation

from sksegment import _kernels


def _masks(n=4, shape=(37, 41), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random(shape) > rng.uniform(0.35, 0.8) for _ in range(n)]


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


def test_counts(backend):
    for mask in _masks(seed=5):
        assert _kernels.count_mask(mask, None) == measure.label(mask).max()
        assert _kernels.count_mask(mask, 1) == measure.label(mask, connectivity=1).max()
        labels = measure.label(mask) * 3
        assert _kernels.count_labels(labels) == measure.label(mask).max()


def test_sequential_renumbers_sparse_ids_in_order():
    labels = np.array([[0, 5, 5], [2**40, 0, 9]], dtype=np.int64)
    dense, top = _kernels.sequential(labels)
    np.testing.assert_array_equal(dense, [[0, 1, 1], [3, 0, 2]])
    assert top == 3
