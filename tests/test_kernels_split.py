"""sksegment._kernels.split: watershed splitting of touching objects."""

import numpy as np
from skimage import measure

from sksegment import _kernels


def _two_touching_discs():
    rows, cols = np.ogrid[:30, :50]
    return ((rows - 15) ** 2 + (cols - 15) ** 2 <= 100) | (
        (rows - 15) ** 2 + (cols - 32) ** 2 <= 100
    )


def test_touching_ids_tells_touching_objects_apart():
    labels = np.zeros((5, 8), dtype=np.int32)
    labels[1:4, 1:3] = 1
    labels[1:4, 3:5] = 2  # touches 1
    labels[1:4, 6:8] = 3  # apart
    assert _kernels.touching_ids(labels)
    labels[:, 3:5] = 0
    assert not _kernels.touching_ids(labels)


def test_split_labels_splits_a_clump_and_keeps_single_objects():
    clump = _two_touching_discs()
    labels = measure.label(clump).astype(np.int32)  # one object
    assert labels.max() == 1
    split = _kernels.split_labels(labels, 5, None, None)
    assert split.max() == 2
    np.testing.assert_array_equal(split > 0, clump)
    single = np.zeros_like(labels)
    single[5:10, 5:10] = 1
    np.testing.assert_array_equal(_kernels.split_labels(single, 5, None, None), single)
