"""The data contract: what a batch is, what comes back, and clear errors."""

import numpy as np
import pytest

import sksegment as sks


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, size=(3, 10, 12)).astype(np.uint8)


def test_array_in_array_out(images):
    out = sks.OtsuThresholder().fit_transform(images)
    assert isinstance(out, np.ndarray)
    assert out.shape == images.shape and out.dtype == bool


@pytest.mark.parametrize("container", [list, tuple])
def test_list_or_tuple_in_list_out(images, container):
    ragged = container([images[0], images[1][:7, :5], images[2][:, :9]])
    out = sks.OtsuThresholder().fit_transform(ragged)
    assert isinstance(out, list)
    assert [o.shape for o in out] == [x.shape for x in ragged]


def test_single_2d_image_is_refused_with_a_hint():
    image = np.zeros((303, 384), dtype=np.uint8)
    msg = (
        r"OtsuThresholder expects a batch of images \(n_images, height, width\) or a "
        r"list of images; got a 2D array of shape \(303, 384\)\. Wrap a single image "
        r"as \[image\] or image\[None\]"
    )
    with pytest.raises(ValueError, match=msg):
        sks.OtsuThresholder().fit(image)
    # the hint works
    assert sks.OtsuThresholder(120).fit([image]).transform(image[None]).shape == (
        1,
        303,
        384,
    )


@pytest.mark.parametrize(
    "X", [np.zeros((0, 4, 4)), [], ()], ids=["array", "list", "tuple"]
)
def test_empty_batch_is_refused(X):
    with pytest.raises(ValueError, match="MorphCloser got an empty batch"):
        sks.MorphCloser().fit(X)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros(5), "got a 1D array"),
        (np.zeros((1, 2, 3, 4, 5)), "got a 5D array"),
        ([np.zeros(5)], "image 0 of the batch is a 1D array"),
        (
            [np.zeros((4, 4)), np.zeros((2, 2, 2, 2))],
            "image 1 of the batch is a 4D array",
        ),
        ([np.zeros((0, 4))], "empty image"),
    ],
)
def test_wrong_dimensionality_is_refused(X, match):
    with pytest.raises(ValueError, match="AreaFilter.*" + match):
        sks.AreaFilter().fit(X)


@pytest.mark.parametrize(
    "X",
    [
        np.array([[["a", "b"]]]),
        [np.zeros((2, 2), dtype=object)],
        np.zeros((1, 2, 2), dtype=complex),
    ],
    ids=["str", "object", "complex"],
)
def test_non_numeric_dtypes_are_refused(X):
    with pytest.raises(TypeError, match="ComponentLabeler"):
        sks.ComponentLabeler().fit_transform(X)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ["fit", "transform"])
def test_nan_and_inf_are_refused_by_the_thresholder(bad, method):
    X = np.random.default_rng(0).random((2, 5, 5))
    step = sks.OtsuThresholder().fit(X)
    X[1, 2, 3] = bad
    with pytest.raises(
        ValueError, match="OtsuThresholder got NaN or infinite values in image 1"
    ):
        getattr(step, method)(X)


def test_float16_is_read_as_float32():
    X = np.linspace(0, 1, 50, dtype=np.float16).reshape(2, 5, 5)
    step = sks.OtsuThresholder().fit(X)
    expected = sks.OtsuThresholder().fit(X.astype(np.float32))
    assert step.threshold_ == expected.threshold_


def test_label_images_must_not_be_negative():
    X = np.array([[[0, 1], [-2, 1]]])
    with pytest.raises(
        ValueError, match="AreaFilter expects label images with ids >= 0"
    ):
        sks.AreaFilter().fit_transform(X)


def test_dask_collections_other_than_arrays_get_a_clear_error():
    pytest.importorskip("dask.array")

    class FakeDask:
        __dask_graph__ = None

    with pytest.raises(
        TypeError, match="BorderClearer accepts dask collections that are dask"
    ):
        sks.BorderClearer().fit(FakeDask())


def test_image_shape_reads_rows_as_images():
    digits = pytest.importorskip("sklearn.datasets").load_digits()
    X = digits.data[:20]
    flat = sks.OtsuThresholder(image_shape=(8, 8)).fit_transform(X)
    assert flat.shape == X.shape
    images = X.reshape(-1, 8, 8)
    expected = sks.OtsuThresholder().fit_transform(images)
    np.testing.assert_array_equal(flat, expected.reshape(20, 64))


def test_image_shape_with_minus_one():
    X = np.arange(2 * 24, dtype=np.uint8).reshape(2, 24)
    out = sks.ComponentLabeler(image_shape=(4, -1)).fit_transform(X > 30)
    assert out.shape == (2, 24)


def test_image_shape_must_fit_the_rows():
    X = np.zeros((2, 63))
    with pytest.raises(ValueError, match="needs 64 values per row; X has 63"):
        sks.MorphCloser(image_shape=(8, 8)).fit(X)
    with pytest.raises(ValueError, match="63 is not a multiple of 8"):
        sks.MorphCloser(image_shape=(8, -1)).fit(X)


def test_flattened_transform_checks_the_number_of_features():
    X = np.zeros((2, 64))
    step = sks.MorphCloser(image_shape=(8, -1)).fit(X)
    with pytest.raises(
        ValueError, match="X has 32 features, but MorphCloser is expecting 64"
    ):
        step.transform(X[:, :32])


def test_image_shape_follows_the_tags():
    assert sks.OtsuThresholder().__sklearn_tags__().input_tags.two_d_array is False
    tags = sks.OtsuThresholder(image_shape=(1, -1)).__sklearn_tags__().input_tags
    assert tags.two_d_array is True and tags.three_d_array is True


# --- the batch's dtype (issue 12, item 7) ---------------------------------------


def test_map_never_truncates_a_result_wider_than_the_first():
    """A result that needs a wider dtype than the first image's is kept whole."""
    from sksegment._batch import ImageBatch
    from sksegment._kernels import _into

    def func(image, out):  # int32 when the values fit, else int64
        wide = image.max() > np.iinfo(np.int32).max
        return _into(out, image.astype(np.int64 if wide else np.int32))

    images = [np.full((2, 5), 7, np.int64), np.full((2, 5), 2**32 + 7, np.int64)]
    for kind in ("array", "flat"):
        out = ImageBatch(images, kind).map(func)
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.reshape(2, 2, 5), np.stack(images))
