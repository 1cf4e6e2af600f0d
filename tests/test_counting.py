import numpy as np
import pytest
from skimage.measure import label

from sksegment import ObjectCounter


def test_counts_components_of_masks_at_full_connectivity_by_default():
    masks = np.random.default_rng(0).random((4, 20, 20)) > 0.6
    counts = ObjectCounter().fit(masks).predict(masks)
    assert counts.dtype == np.int64
    assert counts.tolist() == [label(m).max() for m in masks]
    counts1 = ObjectCounter(connectivity=1).predict(masks)
    assert counts1.tolist() == [label(m, connectivity=1).max() for m in masks]
    assert (counts1 >= counts).all()


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64])
def test_counts_distinct_ids_of_label_images(dtype):
    labels = np.array([[[0, 5, 5], [7, 0, 0], [0, 0, 5]]], dtype=dtype)
    # id 5 has two pieces but is one object: ids are objects
    assert ObjectCounter().predict(labels).tolist() == [2]


def test_counts_3d():
    volumes = np.random.default_rng(1).random((2, 5, 6, 7)) > 0.7
    assert ObjectCounter().predict(volumes).tolist() == [
        label(v).max() for v in volumes
    ]


def test_empty_images_count_zero():
    assert ObjectCounter().predict(np.zeros((3, 4, 4), dtype=bool)).tolist() == [
        0,
        0,
        0,
    ]


def test_fit_checks_y_length():
    X = np.zeros((3, 4, 4), dtype=bool)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ObjectCounter().fit(X, [1, 2])
    assert ObjectCounter().fit(X, [1, 2, 3]).predict(X).shape == (3,)


def test_score_is_r2_of_counts():
    masks = np.zeros((3, 10, 10), dtype=bool)
    masks[0, 1, 1] = True
    masks[1, 1, 1] = masks[1, 5, 5] = True
    # predictions [1, 2, 0]: residuals 1 + 1 + 4 against a spread of 2
    assert ObjectCounter().score(masks, [0, 1, 2]) == pytest.approx(1 - 6 / 2)
    assert ObjectCounter().score(masks, [1, 2, 0]) == 1.0
