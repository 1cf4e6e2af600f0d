"""sksegment._kernels.common: output slots, chunked lookups and counts, the
table rule."""

import numpy as np

from sksegment import _kernels


def test_bincount_in_chunks(monkeypatch):
    monkeypatch.setattr(_kernels.common, "CHUNK", 7)
    labels = np.random.default_rng(4).integers(0, 5, size=(9, 11))
    np.testing.assert_array_equal(
        _kernels.bincount(labels, 5), np.bincount(labels.ravel())
    )
    skipped = _kernels.bincount(labels, 5, skip_zeros=True)
    assert skipped[0] == 0 and (skipped[1:] == np.bincount(labels.ravel())[1:]).all()


def test_take_in_chunks_equals_fancy_indexing(monkeypatch):
    monkeypatch.setattr(_kernels.common, "CHUNK", 5)
    rng = np.random.default_rng(3)
    table = rng.integers(0, 100, size=12).astype(np.int32)
    labels = rng.integers(0, 12, size=(7, 9))
    np.testing.assert_array_equal(_kernels.take(table, labels, None), table[labels])
    out = np.empty(labels.shape, np.int32)
    assert _kernels.take(table, labels, out) is out
    np.testing.assert_array_equal(out, table[labels])


def test_into_never_truncates():
    wide = np.array([2**40], dtype=np.int64)
    slot = np.zeros(1, dtype=np.int32)
    assert _kernels.into(slot, wide) is wide  # left for the batch to widen
    small = np.array([3], dtype=np.int16)
    assert _kernels.into(slot, small) is slot and slot[0] == 3


def test_ids_fit_table_is_bounded_by_the_pixels():
    labels = np.zeros((10, 10), dtype=np.int64)
    assert _kernels.ids_fit_table(labels, 4 * labels.size)
    assert not _kernels.ids_fit_table(labels, 2**40)


def test_as_numbers_reads_bool_as_0_and_1_without_copy():
    mask = np.array([[True, False]])
    numbers = _kernels.as_numbers(mask)
    assert numbers.dtype == np.uint8 and np.shares_memory(numbers, mask)
    image = np.arange(4, dtype=np.float32)
    assert _kernels.as_numbers(image) is image
