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
    from sksegment._kernels import into as _into

    def func(image, out):  # int32 when the values fit, else int64
        wide = image.max() > np.iinfo(np.int32).max
        return _into(out, image.astype(np.int64 if wide else np.int32))

    images = [np.full((2, 5), 7, np.int64), np.full((2, 5), 2**32 + 7, np.int64)]
    for kind in ("array", "flat"):
        out = ImageBatch(images, kind).map(func)
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.reshape(2, 2, 5), np.stack(images))


# --- colour arrays (issue 12, item 12) -------------------------------------------


def _steps():
    return [sks.OtsuThresholder(), sks.BorderClearer(), sks.ObjectCounter()]


@pytest.mark.parametrize("step", _steps(), ids=lambda s: type(s).__name__)
@pytest.mark.parametrize(
    "shape, read",
    [
        ((16, 16, 3), r"shape \(16, 16, 3\) as 16 2D images of shape \(16, 3\)"),
        ((2, 16, 16, 3), r"as 2 3D images \(volumes\) of shape \(16, 16, 3\)"),
        ((16, 16, 4), r"as 16 2D images of shape \(16, 4\)"),
    ],
)
def test_colour_arrays_warn_once_per_call(step, shape, read):
    X = np.random.default_rng(0).integers(0, 255, shape).astype(np.uint8)
    with pytest.warns(sks.ChannelAxisWarning, match=read) as record:
        step.fit(X)
    assert len(record) == 1
    assert record[0].filename == __file__  # points at the user's line
    message = str(record[0].message)
    assert "skimage.color.rgb2gray" in message
    assert "list of 2D images" in message
    assert "category=sksegment.ChannelAxisWarning" in message


def test_colour_images_in_a_list_warn_once():
    X = [np.zeros((16, 16, 3), np.uint8), np.zeros((8, 9), np.uint8)] * 3
    with pytest.warns(sks.ChannelAxisWarning, match="image 0 of the list") as record:
        sks.BorderClearer().transform(X)
    assert len(record) == 1


def test_channel_axis_warning_is_a_user_warning_and_can_be_silenced():
    import warnings

    assert issubclass(sks.ChannelAxisWarning, UserWarning)
    X = np.zeros((16, 16, 3), np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=sks.ChannelAxisWarning)
        assert sks.ObjectCounter().predict(X).shape == (16,)


@pytest.mark.parametrize(
    "X",
    [
        np.zeros((3, 16, 5), np.uint8),  # width 5
        np.zeros((3, 4, 4), np.uint8),  # tiny images, not colour
        np.zeros((3, 16, 16, 5), np.uint8),
        [np.zeros((16, 3), np.uint8)],  # a list of 2D images is explicit
    ],
    ids=["width-5", "tiny", "volumes", "list-2d"],
)
def test_no_channel_warning_for_other_shapes(X):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sks.BorderClearer().transform(X)


def test_flattened_rows_are_told_and_never_warn():
    import warnings

    images = np.random.default_rng(1).integers(0, 255, (4, 16, 3)).astype(np.uint8)
    rows = images.reshape(4, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sks.OtsuThresholder(image_shape=(16, 3)).fit_transform(rows)
        features = sks.RegionFeatures(
            sks.make_pipeline(sks.OtsuThresholder(), sks.ComponentLabeler()),
            properties=("area",),
            image_shape=(16, 3),
        )
        assert features.fit_transform(rows).shape[0] == 4


def test_dask_colour_arrays_warn():
    da = pytest.importorskip("dask.array")
    X = da.zeros((2, 16, 16, 3), dtype=np.uint8, chunks=(1, -1, -1, -1))
    with pytest.warns(sks.ChannelAxisWarning, match="as 2 3D images"):
        sks.BorderClearer().transform(X)
