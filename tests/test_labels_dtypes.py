"""Label images of every integer dtype, byte order and id range (issue 12).

The label dtype rule: steps that keep ids (BorderClearer, HoleFiller,
MaxCountGuard) return int32 for the dtypes whose every value int32 holds,
int64 for uint32 and int64, uint64 for uint64; steps that number objects
1..n return int32.  The dtype depends on the input's dtype, never on its
values, so no id is truncated or wrapped, in a batch or in a dask array.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skimage.segmentation import relabel_sequential

import sksegment as sks
from sksegment._kernels import kept_label_dtype

KEEPING = [sks.BorderClearer(), sks.HoleFiller(), sks.MaxCountGuard(max_count=3)]
NUMBERING = [
    sks.AreaFilter(min_area=2),
    sks.ObjectFilter("area", min_value=2),
    sks.ObjectFilter("eccentricity", max_value=0.9),
    sks.WatershedSplitter(min_distance=1),
    sks.ComponentLabeler(),
]
DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]


def _issue_batch():
    labels = np.zeros((2, 8, 8), np.int64)
    labels[0, 3, 3] = 1
    labels[1, 2, 2] = 7
    labels[1, 5, 5] = 2**32 + 7
    return labels


# --- item 7: the batch's dtype is not fixed by its first image -----------------


@pytest.mark.parametrize("step", KEEPING, ids=lambda s: type(s).__name__)
def test_ids_beyond_int32_kept_in_an_array_batch(step):
    labels = _issue_batch()
    out = step.transform(labels)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, labels)  # nothing touches the border
    assert sks.ObjectCounter().predict(out).tolist() == [1, 2]
    listed = step.transform(list(labels))
    for image, result in zip(out, listed):
        np.testing.assert_array_equal(image, result)


@pytest.mark.parametrize("step", KEEPING, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("chunks", [1, 2], ids=["one-image", "two-images"])
def test_ids_beyond_int32_kept_in_a_dask_batch(step, chunks):
    da = pytest.importorskip("dask.array")
    labels = _issue_batch()
    lazy = step.transform(da.from_array(labels, chunks=(chunks, -1, -1)))
    assert lazy.dtype == np.int64
    out = lazy.compute()
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, labels)


# --- item 8: uint64 ids at or above 2**63 ---------------------------------------


def _uint64_labels():
    labels = np.zeros((2, 8, 9), np.uint64)
    labels[0, 2:4, 2:4] = 2**63 + 5
    labels[0, 5:7, 5:7] = 2**64 - 1
    labels[0, 0, 0] = 2**63  # touches the border
    labels[1, 3:6, 3:6] = 2**63
    labels[1, 4, 4] = 0  # a hole
    return labels


def test_uint64_ids_above_int64_kept_exactly():
    labels = _uint64_labels()
    cleared = sks.BorderClearer().transform(labels)
    assert cleared.dtype == np.uint64
    expected = labels.copy()
    expected[0, 0, 0] = 0
    np.testing.assert_array_equal(cleared, expected)
    filled = sks.HoleFiller().transform(labels)
    assert filled.dtype == np.uint64
    expected = labels.copy()
    expected[1, 4, 4] = 2**63
    np.testing.assert_array_equal(filled, expected)
    guarded = sks.MaxCountGuard(max_count=2).transform(labels)
    assert guarded.dtype == np.uint64
    np.testing.assert_array_equal(guarded[0], 0)
    np.testing.assert_array_equal(guarded[1], labels[1])


@pytest.mark.parametrize(
    "step", [sks.BorderClearer(), sks.MaxCountGuard(2)], ids=lambda s: type(s).__name__
)
def test_uint64_ids_above_int64_kept_in_dask_chunks_within_images(step):
    da = pytest.importorskip("dask.array")
    labels = _uint64_labels()
    lazy = step.transform(da.from_array(labels, chunks=(1, 4, 5)))
    assert lazy.dtype == np.uint64
    np.testing.assert_array_equal(lazy.compute(), step.transform(labels))


def test_uint64_ids_above_int64_counted_and_renumbered():
    labels = _uint64_labels()
    sequential = np.stack([relabel_sequential(image)[0] for image in labels])
    assert sks.ObjectCounter().predict(labels).tolist() == [3, 1]
    for step in NUMBERING:
        np.testing.assert_array_equal(
            step.transform(labels), step.transform(sequential)
        )


# --- item 13: byte order ------------------------------------------------------


@pytest.mark.parametrize(
    "step", KEEPING + NUMBERING + [sks.ObjectCounter()], ids=lambda s: repr(s)
)
@pytest.mark.parametrize("dtype", ["i4", "u8", "i2"])
def test_big_endian_label_images_equal_native(step, dtype):
    labels = np.zeros((2, 8, 9), dtype="<" + dtype)
    labels[0, 2:4, 2:4] = 2
    labels[0, 5:7, 5:8] = 30000  # sparse ids: the relabeling path
    labels[1, 1:7, 1:4] = 5
    big = labels.astype(">" + dtype)
    if hasattr(step, "predict"):
        assert step.predict(big).tolist() == step.predict(labels).tolist()
        return
    native = step.transform(labels)
    swapped = step.transform(big)
    assert swapped.dtype == native.dtype and swapped.dtype.isnative
    np.testing.assert_array_equal(swapped, native)


@pytest.mark.parametrize("kind", ["u2", "i2", "u1", "u4", "f4"])
def test_smoother_dtype_does_not_depend_on_byte_order(kind):
    images = np.arange(2 * 8 * 9).reshape(2, 8, 9).astype("<" + kind)
    native = sks.Smoother().transform(images)
    swapped = sks.Smoother().transform(images.astype(">" + kind))
    assert swapped.dtype == native.dtype
    np.testing.assert_array_equal(swapped, native)


def test_smoother_dtype_does_not_depend_on_byte_order_in_dask():
    da = pytest.importorskip("dask.array")
    images = np.arange(2 * 8 * 9).reshape(2, 8, 9).astype(">u2")
    for chunks in [(1, -1, -1), (1, 4, 5)]:
        lazy = sks.Smoother().transform(da.from_array(images, chunks=chunks))
        assert lazy.dtype == np.float32
        out = lazy.compute()
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, sks.Smoother().transform(images))


# --- the property: every object step sees objects, not id values ----------------


@st.composite
def _label_images(draw):
    """A small label image of any integer dtype, byte order and id range.

    Drawn as a dense label image (ids 1..k), then its ids mapped, in
    increasing order, to distinct ids of the dtype: small and dense, sparse,
    or near the dtype's maximum.
    """
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    order = draw(st.sampled_from("<>"))
    shape = (draw(st.integers(5, 8)), draw(st.integers(5, 9)))
    k = draw(st.integers(0, 5))
    dense = draw(arrays(np.int64, shape, elements=st.integers(0, k)))
    top = int(np.iinfo(dtype).max)
    ranges = {
        "dense": (1, k),
        "sparse": (1, min(top, 10**9)),
        "near max": (top - 40, top),
    }
    low, high = ranges[draw(st.sampled_from(sorted(ranges)))]
    if k:
        ids = draw(
            st.lists(st.integers(low, high), min_size=k, max_size=k, unique=True)
        )
    else:
        ids = []
    table = np.array([0, *sorted(ids)], dtype=np.uint64)
    labels = table[dense].astype(dtype.newbyteorder(order))
    return labels


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(_label_images())
def test_object_steps_see_objects_not_id_values(labels):
    batch = labels[None]
    copy = batch.copy()
    sequential, forward, _ = relabel_sequential(labels.astype(labels.dtype.str[1:]))
    seq_batch = sequential[None]
    # the map from sequential ids back to the original ones, 0 to 0
    back = np.zeros(int(sequential.max()) + 1, dtype=np.uint64)
    back[forward.out_values] = forward.in_values
    for step in KEEPING:
        out = step.transform(batch)
        assert out.dtype == kept_label_dtype(labels.dtype)
        ref = step.transform(seq_batch)
        np.testing.assert_array_equal(
            out.astype(np.uint64), back[ref.astype(np.intp)], err_msg=repr(step)
        )
    for step in NUMBERING:
        out = step.transform(batch)
        assert out.dtype == np.int32
        np.testing.assert_array_equal(
            out, step.transform(seq_batch), err_msg=repr(step)
        )
    counts = sks.ObjectCounter().predict(batch)
    assert counts.tolist() == sks.ObjectCounter().predict(seq_batch).tolist()
    assert counts[0] == len(np.unique(labels[labels != 0]))
    np.testing.assert_array_equal(batch, copy)  # the input is never modified
