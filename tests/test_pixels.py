"""Tests of the learned segmentation steps: PixelFeatures and PixelClassifier."""

import itertools

import joblib
import numpy as np
import pytest
from skimage.feature import multiscale_basic_features
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

import sksegment as sks
from sksegment.datasets import make_strokes
from sksegment.metrics import make_segmentation_scorer, object_matching

from conftest import FEATURES_3D_SIGMA_1, make_hard


@pytest.fixture(scope="module")
def hard():
    """Training and held-out hard images (``conftest.HARD``)."""
    layout = dict(n_objects=(4, 7), radius=(6, 9))
    return make_hard(10, (96, 96), 0, **layout), make_hard(12, (96, 96), 1, **layout)


def _blobs(rng, n=2, shape=(40, 44)):
    """Bright squares on a noisy background, and their masks."""
    images = rng.integers(0, 80, size=(n, *shape)).astype(np.uint8)
    masks = np.zeros(images.shape, dtype=bool)
    for i in range(n):
        for _ in range(3):
            r, c = rng.integers(2, shape[0] - 12), rng.integers(2, shape[1] - 12)
            masks[i, r : r + 9, c : c + 10] = True
    images[masks] += 100
    return images, masks


def _small(**kwargs):
    """A fast PixelClassifier for small images."""
    params = dict(
        estimator=RandomForestClassifier(10, max_depth=8, random_state=0),
        features=sks.PixelFeatures(sigma_max=4),
        random_state=0,
    )
    return sks.PixelClassifier(**{**params, **kwargs})


def _downstream():
    return [
        sks.Thresholder(threshold=0.5),
        sks.HoleFiller(),
        sks.WatershedSplitter(min_distance=4),
        sks.AreaFilter(min_area=40),
    ]


# --- PixelFeatures


@pytest.mark.parametrize(
    "params",
    [{}, {"sigma_min": 2, "sigma_max": 8, "num_sigma": 3}, {"texture": False}],
)
def test_features_equal_scikit_image_2d(params):
    images, _ = _blobs(np.random.default_rng(0))
    step = sks.PixelFeatures(**params).fit(images)
    out = step.transform(images)
    assert out.dtype == np.float32
    for image, stack in zip(images, out):
        # scikit-image's default sigma_min is 0.5, PixelFeatures' 1
        expected = multiscale_basic_features(
            image, **{"sigma_min": 1, "sigma_max": 16, **params}
        )
        assert stack.shape == expected.shape
        np.testing.assert_allclose(stack, expected, rtol=1e-4, atol=1e-5)
    assert len(step.get_feature_names_out()) == out.shape[-1]


def test_features_equal_scikit_image_3d_and_names():
    rng = np.random.default_rng(1)
    volume = rng.integers(0, 255, size=(1, 10, 12, 14)).astype(np.uint8)
    step = sks.PixelFeatures(sigma_max=2).fit(volume)
    out = step.transform(volume)
    expected = multiscale_basic_features(volume[0], sigma_min=1, sigma_max=2)
    np.testing.assert_allclose(out[0], expected, rtol=1e-4, atol=1e-5)
    names = step.get_feature_names_out().tolist()
    assert names[:5] == FEATURES_3D_SIGMA_1
    assert len(names) == out.shape[-1] == 10


def test_features_list_keeps_shapes_and_flat_mode():
    rng = np.random.default_rng(2)
    images = [rng.random((20, 24)), rng.random((17, 30))]
    out = sks.PixelFeatures(sigma_max=2).transform(images)
    assert [o.shape for o in out] == [(20, 24, 8), (17, 30, 8)]
    flat = np.stack([images[0], images[0] / 2]).reshape(2, -1)
    step = sks.PixelFeatures(sigma_max=2, image_shape=(20, -1)).fit(flat)
    rows = step.transform(flat)
    assert rows.shape == (2, 20 * 24 * 8)
    np.testing.assert_array_equal(rows[0], out[0].ravel())
    assert step.get_feature_names_out()[:2].tolist() == [
        "p0_intensity_s1",
        "p0_edges_s1",
    ]


def test_features_bad_parameters_and_unfitted_names():
    images = np.zeros((1, 8, 8))
    with pytest.raises(InvalidParameterError, match="sigma_max must be >= sigma_min"):
        sks.PixelFeatures(sigma_min=4, sigma_max=2).transform(images)
    with pytest.raises(InvalidParameterError, match="at least one of intensity"):
        sks.PixelFeatures(intensity=False, edges=False, texture=False).fit(images)
    with pytest.raises(NotFittedError):
        sks.PixelFeatures().get_feature_names_out()


def test_features_of_dask_images_are_lazy_and_equal():
    da = pytest.importorskip("dask.array")
    images, _ = _blobs(np.random.default_rng(12), n=3)
    step = sks.PixelFeatures(sigma_max=2)
    lazy = step.fit(da.from_array(images, chunks=(2, -1, -1))).transform(
        da.from_array(images, chunks=(2, -1, -1))
    )
    assert isinstance(lazy, da.Array) and lazy.shape == (3, 40, 44, 8)
    np.testing.assert_array_equal(lazy.compute(), step.transform(images))
    assert step.get_feature_names_out().tolist()[:1] == ["intensity_s1"]


def _smooth_images(shape, seed):
    """Smooth uint8 images with structure at every scale of the features."""
    from scipy import ndimage as ndi

    rng = np.random.default_rng(seed)
    noise = rng.random(shape)
    sigma = (0,) + (1.5,) * (len(shape) - 1)
    smooth = ndi.gaussian_filter(noise, sigma) + 0.3 * noise
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    return (smooth * 255).astype(np.uint8)


# chunks larger and smaller than the halo (6 for sigma_max=1, 18 for 4), and
# uneven ones; sigma_max=16 (halo 66) reaches across the whole image
SPLIT_CHUNKS = [(1, 16, 16), (1, 13, 21), (2, 5, 7), (1, 48, 9)]


@pytest.mark.parametrize("sigma_max", [1, 4, 16])
@pytest.mark.parametrize("chunks", SPLIT_CHUNKS)
def test_features_of_images_split_into_chunks_equal_in_memory_bit_for_bit(
    sigma_max, chunks
):
    da = pytest.importorskip("dask.array")
    images = _smooth_images((2, 48, 53), seed=3)
    step = sks.PixelFeatures(sigma_max=sigma_max).fit(images)
    lazy = step.transform(da.from_array(images, chunks=chunks))
    expected = step.transform(images)
    assert isinstance(lazy, da.Array)
    assert lazy.shape == expected.shape and lazy.dtype == np.float32
    # the halo gives each pixel the inputs and arithmetic of the whole image
    np.testing.assert_array_equal(lazy.compute(), expected)


def test_3d_features_of_images_split_into_chunks_equal_in_memory():
    da = pytest.importorskip("dask.array")
    images = _smooth_images((1, 14, 20, 23), seed=4)
    step = sks.PixelFeatures(sigma_max=1, num_sigma=1).fit(images)
    lazy = step.transform(da.from_array(images, chunks=(1, 7, 8, 9)))
    np.testing.assert_array_equal(lazy.compute(), step.transform(images))


# --- PixelClassifier: fit, sampling, outputs


def test_classifier_learns_masks_and_outputs_agree():
    images, masks = _blobs(np.random.default_rng(3), n=3)
    step = _small().fit(images[:2], masks[:2])
    assert step.classes_.tolist() == [1, 2]
    names = sks.PixelFeatures(sigma_max=4).fit(images).get_feature_names_out()
    assert step.feature_names_.tolist() == names.tolist()
    assert len(step.feature_names_) == step.estimator_.n_features_in_ == 12
    assert not hasattr(step, "n_features_in_")  # set in flattened mode only
    proba = step.transform(images[2:])
    assert proba.dtype == np.float32 and proba.shape == images[2:].shape
    assert ((proba >= 0) & (proba <= 1)).all()
    mask = clone(step).set_params(output="mask").fit(images[:2], masks[:2])
    classes = clone(step).set_params(output="classes").fit(images[:2], masks[:2])
    m, c = mask.transform(images[2:]), classes.transform(images[2:])
    assert m.dtype == bool and c.dtype == np.int32
    np.testing.assert_array_equal(m, c == 2)
    np.testing.assert_array_equal(m, proba > 0.5)
    assert (m == masks[2:]).mean() > 0.97  # bright squares on noise


def test_classifier_tiles_equal_untiled_2d_and_3d():
    images, masks = _blobs(np.random.default_rng(4), n=2, shape=(45, 38))
    whole = _small(tile_size=512).fit(images, masks)
    tiled = clone(whole).set_params(tile_size=16).fit(images, masks)
    np.testing.assert_array_equal(tiled.transform(images), whole.transform(images))
    # the training pixels' features were gathered tile by tile: same forest
    np.testing.assert_array_equal(
        tiled.estimator_.predict_proba(np.eye(12, dtype=np.float32)),
        whole.estimator_.predict_proba(np.eye(12, dtype=np.float32)),
    )
    volumes = np.stack([images[:, :20, :20]] * 6, axis=1)  # (2, 6, 20, 20)
    labels = np.stack([masks[:, :20, :20]] * 6, axis=1)
    whole = _small(features=sks.PixelFeatures(sigma_max=2)).fit(volumes, labels)
    tiled = clone(whole).set_params(tile_size=4).fit(volumes, labels)
    np.testing.assert_array_equal(tiled.transform(volumes), whole.transform(volumes))


def test_pixels_predicted_in_threads_equal_one_thread():
    # images of over 2 ** 15 pixels: n_jobs cuts each image's pixels into
    # chunks predicted in threads, whose results are put back in order
    images, masks = _blobs(np.random.default_rng(5), n=2, shape=(192, 180))
    one = _small(tile_size=100).fit(images, masks)
    for output in ("proba", "classes"):
        one.set_params(output=output)
        expected = one.transform(images)
        threaded = clone(one).set_params(n_jobs=2).fit(images, masks)
        np.testing.assert_array_equal(threaded.transform(images), expected)
        got = threaded.transform([images[1], images[0][:150]])
        np.testing.assert_array_equal(got[0], expected[1])
        np.testing.assert_array_equal(got[1], one.transform(images[:1, :150])[0])


def test_sampling_is_stratified_reproducible_and_bounded():
    images, masks = _blobs(np.random.default_rng(5), n=2)
    step = _small(n_samples=500).fit(images, masks)
    assert step.n_samples_fit_ == 500
    again = clone(step).fit(images, masks)
    np.testing.assert_array_equal(step.transform(images), again.transform(images))

    class Recorder(DecisionTreeClassifier):
        def fit(self, X, y, sample_weight=None):
            self.seen_ = (y, sample_weight)
            return super().fit(X, y, sample_weight=sample_weight)

    recorded = _small(estimator=Recorder(), n_samples=500).fit(images, masks)
    y, weight = recorded.estimator_.seen_
    assert len(y) == 500
    # in proportion to the annotation (largest remainders)
    assert abs(np.count_nonzero(y == 2) - 500 * masks.mean()) <= 1
    # balanced: each class weighs the same in total
    assert np.isclose(weight[y == 1].sum(), weight[y == 2].sum())
    assert np.isclose(weight.sum(), 500)
    unweighted = _small(estimator=Recorder(), n_samples=500, class_weight=None)
    assert unweighted.fit(images, masks).estimator_.seen_[1] is None


def test_sparse_strokes_train_on_annotated_pixels_only():
    images, masks = _blobs(np.random.default_rng(6), n=2)
    strokes = np.zeros(images.shape, dtype=np.uint8)
    strokes[:, ::5, ::5] = np.where(masks, 2, 1)[:, ::5, ::5]
    step = _small(annotation="sparse", output="mask").fit(images, strokes)
    assert step.n_samples_fit_ == np.count_nonzero(strokes)
    assert step.classes_.tolist() == [1, 2]
    assert (step.transform(images) == masks).mean() > 0.95


def test_sparse_several_classes_and_positive_class():
    rng = np.random.default_rng(7)
    images, masks = _blobs(rng, n=2)
    kinds = np.zeros(images.shape, dtype=np.int64)
    kinds[masks] = 2
    kinds[:, :, 22:][masks[:, :, 22:]] = 3  # objects on the right: class 3
    images[kinds == 3] += 60
    strokes = np.where(kinds > 0, kinds, 1)
    step = _small(annotation="sparse", output="classes").fit(images, strokes)
    assert step.classes_.tolist() == [1, 2, 3]
    assert (step.transform(images) == strokes).mean() > 0.95
    proba3 = clone(step).set_params(output="proba", positive_class=3)
    p3 = proba3.fit(images, strokes).transform(images)
    assert p3[kinds == 3].mean() > 0.8 and p3[kinds == 2].mean() < 0.2
    any_object = clone(step).set_params(output="proba").fit(images, strokes)
    assert any_object.transform(images)[kinds > 0].mean() > 0.8


@pytest.mark.parametrize(
    "params, y, error, match",
    [
        ({}, None, ValueError, "requires y"),
        ({}, "short", ValueError, "one annotation per image"),
        ({}, "bad shape", ValueError, "has shape"),
        ({}, "all", ValueError, "at least 2 classes"),
        ({}, "negative", ValueError, ">= 0"),
        ({"annotation": "sparse"}, "fractional", TypeError, "integer images"),
        ({"positive_class": 5}, "masks", ValueError, "positive_class=5"),
        (
            {"estimator": KNeighborsClassifier()},
            "masks",
            ValueError,
            "no sample_weight",
        ),
        (
            {"estimator": LinearSVC(), "class_weight": None},
            "masks",
            ValueError,
            "predict_proba",
        ),
        (
            {"estimator": LinearRegression()},
            "masks",
            InvalidParameterError,
            "must be a classifier",
        ),
        ({"n_samples": 1}, "masks", InvalidParameterError, "n_samples"),
    ],
)
def test_fit_errors_name_the_step(params, y, error, match):
    images, masks = _blobs(np.random.default_rng(8), n=2)
    ys = {
        None: None,
        "short": masks[:1],
        "bad shape": masks[:, :10],
        "all": np.ones_like(masks),
        "negative": np.where(masks, 1, -1),
        "fractional": masks * 1.5,
        "masks": masks,
    }[y]
    with pytest.raises(error, match=match):
        _small(**params).fit(images, ys)


def test_transform_errors():
    images, masks = _blobs(np.random.default_rng(9), n=2)
    with pytest.raises(NotFittedError):
        _small().transform(images)
    step = _small().fit(images, masks)
    with pytest.raises(ValueError, match="fitted on 2D images"):
        step.transform(np.zeros((1, 4, 20, 20), dtype=np.uint8))
    with pytest.raises(ValueError, match="requires y"):
        _small().fit_transform(images)
    mixed = [images[0], np.stack([images[1]] * 3)]
    with pytest.raises(ValueError, match="mixes 2D and 3D images"):
        _small().fit(mixed, [m > 0 for m in mixed])


@pytest.mark.parametrize("params", [{"image_shape": (40, 44)}, {"n_jobs": 2}])
def test_settings_of_the_features_it_would_ignore_are_refused(params):
    images, masks = _blobs(np.random.default_rng(4), n=1)
    features = sks.PixelFeatures(sigma_max=2, **params)
    with pytest.raises(ValueError, match="must be None"):
        sks.PixelClassifier(features=features).fit(images, masks)


def test_stroke_classes_are_counted_without_a_table_sized_by_the_largest():
    # a class of 2**39 asked numpy for 8 TiB; classes beyond int32 are refused
    images, _ = _blobs(np.random.default_rng(5), n=1)
    strokes = np.zeros(images.shape, dtype=np.int64)
    strokes[0, :4], strokes[0, 20:24, 20:24] = 1, 2**20
    step = _small(annotation="sparse", output="classes").fit(images, strokes)
    assert step.classes_.tolist() == [1, 2**20]
    assert set(np.unique(step.transform(images))) <= {1, 2**20}
    strokes[strokes == 2**20] = 2**39
    with pytest.raises(ValueError, match="class 549755813888"):
        _small(annotation="sparse").fit(images, strokes)


def test_images_of_another_scale_than_the_training_ones_are_refused():
    # features scale pixels by their dtype's range: a model trained on uint8
    # would see 16-bit images as nearly black and classify them in silence
    images, masks = _blobs(np.random.default_rng(3), n=2)
    step = _small().fit(images, masks)
    assert step.dtype_ == "uint8"
    with pytest.raises(ValueError, match="fitted on uint8 images; image 1 of X"):
        step.transform([images[0], images[1].astype(np.uint16)])
    with pytest.raises(ValueError, match="X mixes uint16, uint8"):
        _small().fit([images[0], images[1].astype(np.uint16)], list(masks))
    # floats are one scale, whatever their width
    floats = _small().fit(images.astype(np.float32) / 255, masks)
    np.testing.assert_array_equal(
        floats.transform(images.astype(np.float64) / 255),
        floats.transform(images.astype(np.float32) / 255),
    )


def test_dask_transform_and_fit_refusal():
    da = pytest.importorskip("dask.array")
    images, masks = _blobs(np.random.default_rng(10), n=3)
    step = _small().fit(images, masks)
    lazy = step.transform(da.from_array(images, chunks=(1, -1, -1)))
    np.testing.assert_array_equal(lazy.compute(), step.transform(images))
    with pytest.raises(NotImplementedError, match="PixelClassifier needs"):
        clone(step).fit(da.from_array(images, chunks=(1, -1, -1)), masks)


@pytest.mark.parametrize("output", ["proba", "classes", "mask"])
def test_classifier_on_images_split_into_chunks_equals_in_memory(output):
    da = pytest.importorskip("dask.array")
    train, masks = _blobs(np.random.default_rng(13), n=2, shape=(48, 53))
    images, _ = _blobs(np.random.default_rng(14), n=2, shape=(48, 53))
    step = _small(output=output, tile_size=20).fit(train, masks)
    expected = step.transform(images)
    foreground = {"proba": expected > 0.5, "classes": expected == 2, "mask": expected}
    assert 0 < foreground[output].mean() < 1  # both classes predicted
    # chunks larger and smaller than the halo (18), and than the tiles
    for chunks in SPLIT_CHUNKS:
        lazy = step.transform(da.from_array(images, chunks=chunks))
        assert lazy.dtype == expected.dtype
        np.testing.assert_array_equal(lazy.compute(), expected, err_msg=str(chunks))
    with pytest.raises(ValueError, match="fitted on 2D images; X is 3D"):
        step.transform(da.from_array(images[:, None], chunks=(1, 1, 16, 16)))


def test_classifier_then_labeler_on_images_split_into_chunks():
    da = pytest.importorskip("dask.array")
    from skimage.measure import label

    train, masks = _blobs(np.random.default_rng(15), n=2, shape=(48, 53))
    images, _ = _blobs(np.random.default_rng(16), n=2, shape=(48, 53))
    pipe = sks.make_pipeline(_small(output="mask"), sks.ComponentLabeler())
    pipe.fit(train, masks)
    expected = pipe.transform(images)
    for image, labels in zip(images, expected):  # scikit-image's labels
        mask = pipe[0].transform(image[None])[0]
        np.testing.assert_array_equal(labels, label(mask))
    assert expected.max() >= 2
    for chunks in [(1, 16, 16), (1, 13, 21)]:
        lazy = pipe.transform(da.from_array(images, chunks=chunks))
        np.testing.assert_array_equal(lazy.compute(), expected)


# --- in pipelines: model selection, persistence


def test_grid_search_cross_validate_and_persistence(tmp_path):
    images, masks = _blobs(np.random.default_rng(11), n=4)
    labels = np.stack([sks.ComponentLabeler().transform(m[None])[0] for m in masks])
    pipe = sks.make_pipeline(
        _small(features=sks.PixelFeatures(sigma_max=2)), *_downstream()
    )
    grid = {
        "pixelclassifier__features__sigma_max": [2, 4],
        "pixelclassifier__estimator__max_depth": [3, 8],
    }
    search = GridSearchCV(pipe, grid, scoring=make_segmentation_scorer("f1"), cv=2).fit(
        images, labels
    )
    assert search.best_estimator_[0].features_.sigma_max in (2, 4)
    assert search.best_score_ > 0.5
    scores = cross_validate(
        pipe, images, labels, scoring=make_segmentation_scorer("f1"), cv=2
    )
    assert len(scores["test_score"]) == 2

    fitted = search.best_estimator_
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    np.testing.assert_array_equal(
        joblib.load(path).transform(images), fitted.transform(images)
    )
    cached = sks.Pipeline(
        [(name, clone(step)) for name, step in pipe.steps], memory=str(tmp_path)
    )
    np.testing.assert_array_equal(
        cached.fit(images, labels).transform(images),
        clone(pipe).fit(images, labels).transform(images),
    )

    pytest.importorskip("skops")
    from sksegment.io import load_pipeline, save_pipeline

    save_pipeline(fitted, tmp_path / "model.skops")
    np.testing.assert_array_equal(
        load_pipeline(tmp_path / "model.skops").transform(images),
        fitted.transform(images),
    )


# --- acceptance: hard images, classical recipe vs learned


def _classical_best(train, test):
    """The best F1 on the held-out images of a grid of classical pipelines.

    Chosen on the held-out images themselves: an upper bound of what a grid
    search on the training images can reach.
    """
    best = 0.0
    for sigma in (1.0, 2.0):
        smoother = sks.Smoother(sigma=sigma)
        smoothed = smoother.transform(test.images)
        thresholders = [
            sks.Thresholder(threshold=t).fit(smoothed) for t in range(48, 181, 12)
        ] + [
            sks.Thresholder(m).fit(smoother.transform(train.images))
            for m in ("otsu", "li", "triangle", "mean", "yen")
        ]
        for thresholder in thresholders:
            split = sks.WatershedSplitter(min_distance=4).transform(
                sks.HoleFiller().transform(thresholder.transform(smoothed))
            )
            for low, high in itertools.product((20, 40, 80), (None, 600)):
                out = sks.AreaFilter(min_area=low, max_area=high).transform(split)
                best = max(best, object_matching(test.labels, out)["f1"])
    return best


def test_learned_beats_classical_and_strokes_match_dense(hard):
    train, test = hard
    classical = _classical_best(train, test)
    scores = {}
    strokes = make_strokes(train.labels, train.images, random_state=0)
    assert 0 < np.count_nonzero(strokes) < 0.05 * strokes.size
    for annotation, y in (("dense", train.labels), ("sparse", strokes)):
        pipe = sks.make_pipeline(
            sks.PixelClassifier(annotation=annotation, random_state=0),
            *_downstream(),
        ).fit(train.images, y)
        scores[annotation] = object_matching(test.labels, pipe.transform(test.images))[
            "f1"
        ]
    print(f"held-out F1: classical {classical:.3f}, {scores}")
    assert scores["dense"] >= classical + 0.15
    assert scores["sparse"] >= scores["dense"] - 0.05
