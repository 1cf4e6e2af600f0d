import math
import warnings

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import filters
from skimage.filters import threshold_otsu
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

import sksegment as sks
from sksegment import OtsuThresholder
from sksegment.datasets import make_objects
from sksegment.thresholding import LocalThresholder, Thresholder


def test_learns_otsu_107_on_coins(coins):
    step = OtsuThresholder().fit(coins)
    assert step.threshold_ == threshold_otsu(coins[0]) == 107
    np.testing.assert_array_equal(step.transform(coins), coins > 107)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.int64])
def test_pooled_threshold_equals_otsu_of_the_stacked_batch_for_integers(dtype):
    rng = np.random.default_rng(0)
    low = -300 if np.issubdtype(dtype, np.signedinteger) else 0
    images = [
        np.concatenate(
            [rng.normal(loc, 20, size=(30, 20)) for loc in (low + 60, low + 160)]
        ).astype(dtype)
        for _ in range(4)
    ]
    images[2] = images[2][:17]  # ragged
    stacked = np.concatenate([im.ravel() for im in images])
    assert OtsuThresholder().fit(images).threshold_ == threshold_otsu(stacked)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooled_threshold_equals_otsu_of_the_stacked_batch_for_floats(dtype):
    rng = np.random.default_rng(1)
    images = rng.gamma(2.0, size=(5, 16, 16)).astype(dtype)
    for nbins in (256, 17):
        step = OtsuThresholder(nbins=nbins).fit(images)
        assert step.threshold_ == pytest.approx(
            threshold_otsu(images.ravel(), nbins=nbins)
        )


def test_bool_images_are_thresholded_as_zero_one():
    images = np.zeros((2, 4, 4), dtype=bool)
    images[0, 1:3, 1:3] = True
    step = OtsuThresholder().fit(images)
    assert step.threshold_ == threshold_otsu(images.astype(np.uint8).ravel())
    np.testing.assert_array_equal(step.transform(images), images)


def test_fixed_threshold_is_used_as_is(coins):
    step = OtsuThresholder(threshold=120).fit(coins)
    assert step.threshold_ == 120
    np.testing.assert_array_equal(step.transform(coins), coins > 120)


def test_scope_image_thresholds_each_image_at_its_own_otsu():
    rng = np.random.default_rng(2)
    dark = rng.integers(0, 100, size=(20, 20)).astype(np.uint8)
    images = np.stack([dark, dark + 100])
    step = OtsuThresholder(scope="image").fit(images)
    assert step.threshold_ is None
    out = step.transform(images)
    for image, mask in zip(images, out):
        np.testing.assert_array_equal(mask, image > threshold_otsu(image))


def test_3d_images():
    rng = np.random.default_rng(3)
    volumes = rng.integers(0, 255, size=(2, 5, 6, 7)).astype(np.uint8)
    step = OtsuThresholder().fit(volumes)
    assert step.threshold_ == threshold_otsu(volumes.ravel())
    np.testing.assert_array_equal(step.transform(volumes), volumes > step.threshold_)


def test_constant_images_warn_at_the_users_call_and_give_background():
    images = np.full((2, 6, 6), 7, dtype=np.uint8)
    with pytest.warns(UserWarning, match="constant") as record:
        step = OtsuThresholder().fit(images)
    assert record[0].filename == __file__
    assert step.threshold_ == 7
    assert not step.transform(images).any()


def test_constant_image_warns_in_a_pipeline_at_the_users_line():
    from sklearn.pipeline import make_pipeline

    from sksegment import ObjectCounter

    pipe = make_pipeline(OtsuThresholder(scope="image"), ObjectCounter())
    images = np.full((1, 6, 6), 3.5)
    with pytest.warns(UserWarning, match="an image is constant") as record:
        counts = pipe.fit(images).predict(images)
    assert record[0].filename == __file__
    assert counts.tolist() == [0]


def test_no_warning_for_ordinary_images(coins):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OtsuThresholder().fit_transform(coins)


# ---------------------------------------------------------------------------
# Thresholder: every method against scikit-image, learned over the batch.

METHODS = [
    "otsu",
    "li",
    "yen",
    "triangle",
    "isodata",
    "mean",
    "minimum",
    "multiotsu",
    "robust_background",
]
SKIMAGE_METHODS = [m for m in METHODS if m != "robust_background"]


def _skimage_threshold(method, pixels, **kwargs):
    """The scikit-image threshold of all pixels, as Thresholder picks it."""
    value = getattr(filters, f"threshold_{method}")(pixels, **kwargs)
    return value[-1] if method == "multiotsu" else value


def _three_level_batch(dtype, rng, n=3, shape=(20, 25), ragged=True, low=0):
    """Images of three intensity levels (dark, middle, bright) in rows."""
    images = [
        np.concatenate(
            [
                rng.normal(low + loc, 12, size=(shape[0] // 2, *shape[1:]))
                for loc in (60, 120, 190)
            ]
        ).astype(dtype)
        for _ in range(n)
    ]
    if ragged:
        images[1] = images[1][:23]
    return images


def _stacked(images):
    return np.concatenate([im.ravel() for im in images])


@pytest.mark.parametrize("method", SKIMAGE_METHODS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16])
def test_each_method_equals_skimage_on_the_stacked_integer_batch(method, dtype):
    rng = np.random.default_rng(20)
    low = -400 if dtype == np.int16 else 0
    images = _three_level_batch(dtype, rng, low=low)
    step = Thresholder(method).fit(images)
    assert step.threshold_ == _skimage_threshold(method, _stacked(images))
    for image, mask in zip(images, step.transform(images)):
        np.testing.assert_array_equal(mask, image > step.threshold_)


@pytest.mark.parametrize("method", SKIMAGE_METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_method_equals_skimage_on_the_stacked_float_batch(method, dtype):
    rng = np.random.default_rng(21)
    images = [im / 255 for im in _three_level_batch(dtype, rng)]
    for nbins in (256, 64):
        kwargs = {} if method in ("li", "mean") else {"nbins": nbins}
        step = Thresholder(method, nbins=nbins).fit(images)
        expected = _skimage_threshold(method, _stacked(images), **kwargs)
        if method == "mean":  # accumulated in float64 rather than in float32
            assert step.threshold_ == pytest.approx(expected, rel=1e-6)
        else:
            assert step.threshold_ == expected


@pytest.mark.parametrize("method", SKIMAGE_METHODS)
def test_each_method_on_3d_volumes(method):
    rng = np.random.default_rng(22)
    volumes = np.stack(
        [np.stack(_three_level_batch(np.uint8, rng, n=4, ragged=False))] * 2
    )  # 2 volumes of shape (4, 30, 25)
    volumes[1] = volumes[1][::-1] // 2 + 40
    step = Thresholder(method).fit(volumes)
    assert step.threshold_ == _skimage_threshold(method, volumes.ravel())
    out = step.transform(volumes)
    assert out.shape == volumes.shape and out.dtype == bool
    np.testing.assert_array_equal(out, volumes > step.threshold_)


@pytest.mark.parametrize("method", SKIMAGE_METHODS)
def test_scope_image_uses_each_images_own_threshold(method):
    rng = np.random.default_rng(23)
    images = _three_level_batch(np.uint8, rng)
    images[2] = images[2] // 2 + 20  # darker, narrower
    step = Thresholder(method, scope="image").fit(images)
    assert step.threshold_ is None
    for image, mask in zip(images, step.transform(images)):
        np.testing.assert_array_equal(mask, image > _skimage_threshold(method, image))


def test_bool_images_for_every_method():
    images = np.zeros((2, 6, 6), dtype=bool)
    images[0, 1:4, 1:4] = True
    images[1, 2:5, 0:3] = True
    for method in ["otsu", "li", "yen", "isodata", "mean", "triangle"]:
        step = Thresholder(method).fit(images)
        expected = _skimage_threshold(method, images.astype(np.uint8).ravel())
        assert step.threshold_ == expected, method
        np.testing.assert_array_equal(step.transform(images), images > expected)


# --- correction, bounds, fixed thresholds


def test_correction_multiplies_then_bounds_clip_the_learned_threshold(coins):
    otsu = threshold_otsu(coins[0])  # 107
    assert Thresholder(correction=1.2).fit(coins).threshold_ == otsu * 1.2
    assert Thresholder(correction=0.5).fit(coins).threshold_ == otsu * 0.5
    assert Thresholder(bounds=(110, None)).fit(coins).threshold_ == 110
    assert Thresholder(bounds=(None, 100)).fit(coins).threshold_ == 100
    assert Thresholder(bounds=(50, 200)).fit(coins).threshold_ == otsu
    # correction first, then bounds: 107 * 2 = 214 clipped to 150 (inclusive)
    step = Thresholder(correction=2.0, bounds=[0, 150]).fit(coins)
    assert step.threshold_ == 150
    np.testing.assert_array_equal(step.transform(coins), coins > 150)


def test_correction_and_bounds_apply_per_image_with_scope_image():
    rng = np.random.default_rng(24)
    images = _three_level_batch(np.uint8, rng)
    step = Thresholder("li", scope="image", correction=0.9, bounds=(None, 100))
    for image, mask in zip(images, step.fit_transform(images)):
        expected = min(filters.threshold_li(image) * 0.9, 100)
        np.testing.assert_array_equal(mask, image > expected)


def test_fixed_threshold_is_neither_corrected_nor_bounded(coins):
    step = Thresholder("li", threshold=120, correction=2.0, bounds=(0, 50))
    assert step.fit(coins).threshold_ == 120
    np.testing.assert_array_equal(step.transform(coins), coins > 120)


# --- multi-Otsu


def test_multiotsu_foreground_chooses_the_bright_classes():
    rng = np.random.default_rng(25)
    images = _three_level_batch(np.uint8, rng)
    low, high = filters.threshold_multiotsu(_stacked(images))
    assert low < high
    upper = Thresholder("multiotsu", foreground="upper").fit(images)
    assert upper.threshold_ == high
    lower = Thresholder("multiotsu", foreground="all_but_lowest").fit(images)
    assert lower.threshold_ == low
    # middle class foreground (CellProfiler's "assign middle to foreground")
    middle = images[0][images[0].shape[0] // 2]
    assert lower.transform([images[0]])[0][images[0].shape[0] // 2].mean() > 0.9
    assert upper.transform([images[0]])[0][images[0].shape[0] // 2].mean() < 0.1
    assert ((middle > low) & (middle <= high)).mean() > 0.9


def test_multiotsu_with_more_classes_and_an_int_foreground():
    rng = np.random.default_rng(26)
    images = _three_level_batch(np.uint8, rng)
    t = filters.threshold_multiotsu(_stacked(images), classes=4)
    for n_top, expected in [(1, t[-1]), (2, t[-2]), (3, t[0])]:
        step = Thresholder("multiotsu", classes=4, foreground=n_top).fit(images)
        assert step.threshold_ == expected
    step = Thresholder("multiotsu", classes=4, foreground="all_but_lowest")
    assert step.fit(images).threshold_ == t[0]
    step = Thresholder("multiotsu", classes=2).fit(images)
    assert step.threshold_ == threshold_otsu(_stacked(images))


def test_multiotsu_on_too_few_values_makes_each_value_a_class():
    images = np.array([[[0, 0, 5], [5, 0, 5]]], dtype=np.uint8)
    with pytest.warns(UserWarning, match="2 distinct values"):
        step = Thresholder("multiotsu").fit(images)
    assert step.threshold_ == 0
    three = np.array([[[0, 3, 5], [5, 0, 5]]], dtype=np.uint8)
    # exactly `classes` values: as threshold_multiotsu, no warning
    assert Thresholder("multiotsu").fit(three).threshold_ == 3
    assert filters.threshold_multiotsu(three.ravel()).tolist() == [0, 3]


def test_minimum_without_two_peaks_raises_a_clear_error():
    images = np.arange(100, dtype=np.uint8).reshape(1, 10, 10)
    with pytest.raises(ValueError, match="method='minimum'.*no threshold"):
        Thresholder("minimum").fit(images)


# --- RobustBackground (CellProfiler)


def _cellprofiler_robust_background(
    pixels, lower=0.05, upper=0.05, average="mean", deviation="std", n_dev=2.0
):
    """CellProfiler's Threshold.get_threshold_robust_background, by hand.

    As CellProfiler's, except that each end is trimmed on its own.
    """
    a = np.sort(pixels.ravel()).astype(np.float64)
    n = len(a)
    a = a[round(n * lower) : n - round(n * upper)]
    if average == "mean":
        center = np.mean(a)
    elif average == "median":
        center = np.median(a)
    else:  # centrosome.threshold.binned_mode
        n_bins = np.ceil(np.sqrt(len(a)))
        b = ((a - a.min()) / (a.max() - a.min()) * n_bins).astype(int)
        center = np.percentile(a, 100 * float(np.argmax(np.bincount(b)) + 0.5) / n_bins)
    if deviation == "std":
        spread = np.std(a)
    else:  # centrosome.threshold.mad
        spread = np.median(np.abs(a - np.median(a)))
    return center + spread * n_dev


def test_robust_background_exact_small_case():
    # one low outlier, nine 0s, nine 10s, one high outlier: trimming 5% at each
    # end leaves nine 0s and nine 10s, mean 5 and standard deviation 5
    pixels = np.array([-100] + [0] * 9 + [10] * 9 + [200], dtype=np.int16)
    step = Thresholder("robust_background").fit(pixels.reshape(1, 4, 5))
    assert step.threshold_ == 15.0
    median = Thresholder("robust_background", average="median", deviation="mad")
    # median of nine 0s and nine 10s is 5; every |x - 5| is 5
    assert median.fit(pixels.reshape(1, 4, 5)).threshold_ == 15.0


@pytest.mark.parametrize("average", ["mean", "median", "mode"])
@pytest.mark.parametrize("deviation", ["std", "mad"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_robust_background_equals_cellprofilers_formula(average, deviation, dtype):
    rng = np.random.default_rng(27)
    images = [
        rng.gamma(4.0, 10.0, size=(17, 19)),
        rng.gamma(4.0, 12.0, size=(21, 13)),
    ]
    images[0][3:8, 4:9] += 150  # a bright object
    images = [im.astype(dtype) for im in images]
    for lower, upper, n_dev in [(0.05, 0.05, 2.0), (0.0, 0.2, 3.0), (0.3, 0.1, -1.5)]:
        step = Thresholder(
            "robust_background",
            lower_fraction=lower,
            upper_fraction=upper,
            n_deviations=n_dev,
            average=average,
            deviation=deviation,
        ).fit(images)
        expected = _cellprofiler_robust_background(
            _stacked(images), lower, upper, average, deviation, n_dev
        )
        assert step.threshold_ == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_robust_background_when_trimming_would_discard_everything():
    image = np.array([[1, 9]], dtype=np.uint8)
    step = Thresholder("robust_background", lower_fraction=0.4, upper_fraction=0.4)
    # round(0.8) = 1 pixel off each end: nothing left, so nothing is discarded
    assert step.fit(image[None]).threshold_ == pytest.approx(5 + 2 * 4)


def test_robust_background_finds_no_objects_in_pure_noise_where_otsu_does():
    rng = np.random.default_rng(28)
    noise = rng.normal(100, 10, size=(4, 96, 96)).astype(np.float32)

    def count(method):
        pipe = make_pipeline(
            Thresholder(method),
            sks.ComponentLabeler(),
            sks.AreaFilter(min_area=20),
            sks.ObjectCounter(),
        )
        return pipe.fit(noise).predict(noise)

    robust = Thresholder("robust_background").fit(noise)
    otsu = Thresholder("otsu").fit(noise)
    assert (noise > robust.threshold_).mean() < 0.08
    assert 0.35 < (noise > otsu.threshold_).mean() < 0.65
    assert count("robust_background").tolist() == [0, 0, 0, 0]
    assert (count("otsu") > 0).all()


# --- constant images


@pytest.mark.parametrize("method", METHODS)
def test_constant_images_warn_and_are_background_for_every_method(method):
    images = np.full((2, 5, 5), 9, dtype=np.uint8)
    with pytest.warns(UserWarning, match="constant") as record:
        step = Thresholder(method, correction=0.5).fit(images)
    assert record[0].filename == __file__
    assert step.threshold_ == 9
    assert not step.transform(images).any()
    with pytest.warns(UserWarning, match="an image is constant"):
        out = Thresholder(method, scope="image").fit_transform(images.astype(float))
    assert not out.any()


# --- parameters


@pytest.mark.parametrize(
    "step, params",
    [
        (Thresholder, {"method": "sauvola"}),
        (Thresholder, {"correction": 0}),
        (Thresholder, {"correction": -1.0}),
        (Thresholder, {"bounds": (5, 1)}),
        (Thresholder, {"bounds": (1,)}),
        (Thresholder, {"bounds": ("a", None)}),
        (Thresholder, {"bounds": (None, float("nan"))}),
        (Thresholder, {"bounds": None}),
        (Thresholder, {"scope": "batches"}),
        (Thresholder, {"nbins": 1}),
        (Thresholder, {"classes": 1}),
        (Thresholder, {"foreground": "lower"}),
        (Thresholder, {"foreground": 0}),
        (Thresholder, {"method": "multiotsu", "foreground": 3}),
        (Thresholder, {"lower_fraction": 1.0}),
        (Thresholder, {"upper_fraction": -0.1}),
        (Thresholder, {"lower_fraction": 0.5, "upper_fraction": 0.5}),
        (Thresholder, {"average": "mode_"}),
        (Thresholder, {"deviation": "var"}),
        (Thresholder, {"n_deviations": "2"}),
        (LocalThresholder, {"block_size": 4}),
        (LocalThresholder, {"block_size": 0}),
        (LocalThresholder, {"method": "otsu"}),
        (LocalThresholder, {"r": 0}),
        (LocalThresholder, {"clamp": (1.5, 0.7)}),
        (LocalThresholder, {"clamp": (0, 1.5)}),
        (LocalThresholder, {"clamp": (0.7,)}),
        (LocalThresholder, {"clamp": 0.7}),
        (LocalThresholder, {"k": None}),
        (LocalThresholder, {"guide": "sauvola"}),
    ],
)
def test_bad_parameters_raise(step, params):
    images = np.zeros((1, 8, 8), dtype=np.uint8)
    with pytest.raises(InvalidParameterError):
        step(**params).fit(images)


def test_bad_parameter_messages_name_the_step_and_values():
    images = np.zeros((1, 4, 4), dtype=np.uint8)
    with pytest.raises(InvalidParameterError, match="Thresholder.*low <= high"):
        Thresholder(bounds=(5, 1)).fit(images)
    with pytest.raises(InvalidParameterError, match="lower_fraction=0.5"):
        Thresholder(lower_fraction=0.5, upper_fraction=0.5).fit(images)
    with pytest.raises(InvalidParameterError, match="foreground=3.*classes=3"):
        Thresholder("multiotsu", foreground=3).fit(images)


def test_foreground_int_is_only_checked_for_multiotsu():
    images = np.array([[[1, 2], [3, 4]]], dtype=np.uint8)
    assert Thresholder("otsu", foreground=5).fit(images).threshold_ == 2


# --- grid search over methods


def test_grid_search_over_methods_in_a_counting_pipeline():
    data = make_objects(
        9,
        (96, 96),
        n_objects=(2, 5),
        radius=(6, 9),
        border_objects=0,
        random_state=0,
    )
    pipe = sks.make_pipeline(
        Thresholder(),
        sks.MorphCloser(5),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=40),
        sks.ObjectCounter(),
    )
    grid = {"thresholder__method": ["mean", "li", "otsu", "robust_background"]}
    search = GridSearchCV(pipe, grid, scoring="neg_mean_absolute_error", cv=3)
    search.fit(data.images, data.counts)
    scores = dict(
        zip(
            [p["thresholder__method"] for p in search.cv_results_["params"]],
            search.cv_results_["mean_test_score"],
        )
    )
    assert len(set(scores.values())) > 1  # the method matters
    assert search.best_params_ == {"thresholder__method": max(scores, key=scores.get)}
    best = search.best_estimator_.named_steps["thresholder"]
    assert best.method == search.best_params_["thresholder__method"]
    assert best.threshold_ == Thresholder(best.method).fit(data.images).threshold_
    assert search.best_score_ > -0.5


# ---------------------------------------------------------------------------
# LocalThresholder


def _skimage_local(method, image, block_size=15, k=0.2, offset=0.0, r=None):
    if method == "sauvola":
        return filters.threshold_sauvola(image, window_size=block_size, k=k, r=r)
    if method == "niblack":
        return filters.threshold_niblack(image, window_size=block_size, k=k)
    return filters.threshold_local(image, block_size, method=method, offset=offset)


def _uneven_batch(dtype, rng, shape=(40, 50), n=2):
    """Bright spots on a background that brightens from left to right."""
    ramp = np.linspace(20, 120, shape[-1])
    images = []
    for _ in range(n):
        image = ramp + rng.normal(0, 4, size=shape)
        for _ in range(5):
            r, c = rng.integers(4, shape[-2] - 8), rng.integers(4, shape[-1] - 8)
            image[..., r : r + 5, c : c + 5] += 90
        images.append(np.clip(image, 0, 250).astype(dtype))
    return images


LOCAL_METHODS = ["sauvola", "niblack", "gaussian", "mean", "median"]


def _window_sums(image, size):
    """Exact integer sums of the ``size``-wide windows (reflected edges)."""
    sums = image.astype(np.int64)
    for axis in range(image.ndim):
        sums = ndi.correlate1d(sums, np.ones(size, int), axis, mode="reflect")
    return sums


def _expected_local_mask(method, image, block_size=15, offset=0.0, **params):
    """The mask of scikit-image's local threshold; exact for integer means.

    For integer images the mean method compares each pixel with the exact
    mean of its window (integer window sums), where scikit-image's running
    sums round; the two masks differ only at pixels within rounding of their
    threshold (checked here), which the exact sums put in the background.
    """
    local = _skimage_local(method, image, block_size, offset=offset, **params)
    if method in ("sauvola", "niblack"):
        local = local - offset
    expected = image > local
    if method == "mean" and image.dtype.kind in "biu":
        sums = _window_sums(image, block_size)
        size = block_size**image.ndim
        exact = image.astype(np.float64) * size + offset * size > sums
        ties = np.abs(image - local) < 1e-9
        np.testing.assert_array_equal(exact[~ties], expected[~ties])
        expected = exact
    return expected


@pytest.mark.parametrize("method", LOCAL_METHODS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_local_methods_equal_skimage(method, dtype):
    rng = np.random.default_rng(30)
    images = _uneven_batch(dtype, rng)
    for params in [{}, {"block_size": 7, "k": -0.3, "offset": -4.0}]:
        step = LocalThresholder(method, **params).fit(images)
        assert step.global_threshold_ is None
        for image, mask in zip(images, step.transform(images)):
            assert mask.dtype == bool
            np.testing.assert_array_equal(
                mask, _expected_local_mask(method, image, **params)
            )


def test_local_mean_of_integer_images_puts_exact_ties_in_the_background():
    rng = np.random.default_rng(36)
    image = _uneven_batch(np.uint8, rng, n=1)[0]
    mask = LocalThresholder("mean", block_size=5).fit([image]).transform([image])[0]
    ties = image.astype(np.int64) * 25 == _window_sums(image, 5)
    assert ties.sum() > 3  # pixels equal to the mean of their window
    assert not mask[ties].any()
    local = filters.threshold_local(image, 5, method="mean")
    assert (image > local)[ties].any()  # scikit-image's running sums round


def test_local_thresholds_are_in_the_images_own_units():
    rng = np.random.default_rng(31)
    images = _uneven_batch(np.float64, rng)
    scaled = [im / 1000 for im in images]  # float images far from [0, 1]
    for method in ("niblack", "gaussian"):
        a = np.array(LocalThresholder(method, offset=-2.0).fit_transform(images))
        b = np.array(LocalThresholder(method, offset=-0.002).fit_transform(scaled))
        assert (a != b).mean() < 0.001
    step = LocalThresholder("sauvola", r=500.0).fit(images)
    expected = filters.threshold_sauvola(images[0], window_size=15, r=500.0)
    np.testing.assert_array_equal(step.transform(images)[0], images[0] > expected)


@pytest.mark.parametrize("method", LOCAL_METHODS)
def test_local_methods_on_3d_volumes(method):
    rng = np.random.default_rng(32)
    volumes = np.stack(_uneven_batch(np.uint8, rng, shape=(6, 20, 24)))
    step = LocalThresholder(method, block_size=5).fit(volumes)
    out = step.transform(volumes)
    assert out.shape == volumes.shape
    for volume, mask in zip(volumes, out):
        np.testing.assert_array_equal(
            mask, _expected_local_mask(method, volume, block_size=5)
        )


def test_clamp_keeps_local_thresholds_near_the_learned_global_otsu():
    rng = np.random.default_rng(33)
    images = _uneven_batch(np.uint8, rng)
    step = LocalThresholder("sauvola", clamp=(0.7, 1.5)).fit(images)
    g = threshold_otsu(_stacked(images))
    assert step.global_threshold_ == g
    for image, mask in zip(images, step.transform(images)):
        local = np.clip(
            filters.threshold_sauvola(image, window_size=15), 0.7 * g, 1.5 * g
        )
        np.testing.assert_array_equal(mask, image > local)


def test_clamp_keeps_flat_background_background():
    rng = np.random.default_rng(36)
    images = rng.normal(30, 3, size=(2, 40, 40))
    images[:, 5:20, 5:20] = images[:, 25:35, 20:35] = 200
    background = images < 100
    # Sauvola's threshold on flat background is about 0.8 times its level
    free = LocalThresholder("sauvola", block_size=7, r=128).fit_transform(images)
    assert free[background].mean() > 0.5
    step = LocalThresholder(
        "sauvola", block_size=7, r=128, clamp=(0.7, 1.5), guide="li"
    ).fit(images)
    assert step.global_threshold_ == filters.threshold_li(images.ravel())
    mask = step.transform(images)
    assert not mask[background].any()
    assert mask[~background].all()
    # Otsu's threshold sits just above a background well apart from the
    # objects: 0.7 times it is inside the background
    otsu = LocalThresholder("sauvola", block_size=7, r=128, clamp=(0.7, 1.5))
    assert otsu.fit(images).global_threshold_ < images[background].max() + 1
    assert otsu.transform(images)[background].any()


@pytest.mark.parametrize("guide", ["mean", "robust_background", "multiotsu"])
def test_clamp_guide_is_learned_as_thresholder_learns_it(guide):
    rng = np.random.default_rng(37)
    images = _uneven_batch(np.uint8, rng)
    step = LocalThresholder("niblack", clamp=(0.9, 1.1), guide=guide).fit(images)
    g = Thresholder(guide).fit(images).threshold_
    assert step.global_threshold_ == g
    local = np.clip(filters.threshold_niblack(images[1], 15), 0.9 * g, 1.1 * g)
    np.testing.assert_array_equal(step.transform(images)[1], images[1] > local)


def test_clamp_with_one_open_side():
    rng = np.random.default_rng(34)
    images = _uneven_batch(np.uint8, rng)
    step = LocalThresholder("mean", clamp=(None, 1.0)).fit(images)
    g = step.global_threshold_
    local = np.minimum(filters.threshold_local(images[0], 15, method="mean"), g)
    np.testing.assert_array_equal(step.transform(images)[0], images[0] > local)


def test_local_thresholder_requires_fit():
    images = np.zeros((1, 5, 5), dtype=np.uint8)
    with pytest.raises(NotFittedError):
        LocalThresholder().transform(images)


def test_local_thresholder_on_tiny_images():
    rng = np.random.default_rng(35)
    for shape in [(1, 1), (1, 7), (2, 3), (3, 1)]:
        image = rng.normal(size=shape)
        for method in LOCAL_METHODS:
            step = LocalThresholder(method).fit([image])
            if image.size == 1:
                with pytest.warns(UserWarning, match="constant"):
                    mask = step.transform([image])[0]
                assert not mask.any()
                continue
            mask = step.transform([image])[0]
            np.testing.assert_array_equal(mask, image > _skimage_local(method, image))


def test_local_thresholder_constant_image_is_background():
    images = np.full((2, 8, 8), 50, dtype=np.uint8)
    with pytest.warns(UserWarning, match="an image is constant") as record:
        out = LocalThresholder("sauvola").fit(images).transform(images)
    assert record[0].filename == __file__
    assert out.dtype == bool and not out.any()
    with pytest.warns(UserWarning, match="training images are constant"):
        step = LocalThresholder(clamp=(0.7, 1.5)).fit(images)
    assert step.global_threshold_ == 50


def test_local_bad_block_size_message():
    images = np.zeros((1, 8, 8), dtype=np.uint8)
    with pytest.raises(InvalidParameterError, match="odd.*block_size=4"):
        LocalThresholder(block_size=4).fit(images)


def test_local_thresholder_bool_images():
    images = np.zeros((1, 9, 9), dtype=bool)
    images[0, 3:6, 3:6] = True
    step = LocalThresholder("mean", block_size=5, offset=-0.1).fit(images)
    expected = filters.threshold_local(images[0].astype(np.uint8), 5, method="mean")
    np.testing.assert_array_equal(step.transform(images)[0], images[0] > expected + 0.1)
    assert math.isclose(step.offset, -0.1)


# ---------------------------------------------------------------------------
# Dask arrays: fit reduced over chunks, images chunked within images

CHUNKS_2D = [(1, 32, 36), (1, 12, 20), (1, 7, 9), (1, 5, 4), (1, 1, 36), (1, 32, 1)]


def _scene(dtype, seed=0, shape=(50, 60), level=0.0):
    """A lit scene: a ramp, noise and bright blobs, in ``dtype``'s units."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    image = 40 + 50 * cols / shape[1] + level + rng.normal(0, 6, shape)
    for _ in range(6):
        r, c = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        image += 110 * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / 18)
    image = np.clip(image, 0, 255)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return image > 120
    if dtype == np.uint16:
        return (image * 200).astype(dtype)
    if dtype == np.int16:
        return (image * 3 - 400).astype(dtype)
    if dtype.kind == "f":
        return (image / 255).astype(dtype)
    return image.astype(dtype)


def _batch(dtype, n=2, **kwargs):
    """Images of different brightness, so that their own thresholds differ."""
    return np.stack([_scene(dtype, seed=i, level=30 * i, **kwargs) for i in range(n)])


def _computed_warning_once(result, value):
    """``result`` computed in threads, warning once of its constant image."""
    import dask

    match = rf"an image is constant \(every pixel is {value}\)"
    with (
        pytest.warns(UserWarning, match=match) as record,
        dask.config.set(scheduler="threads"),
    ):
        result = result.compute()
    assert len(record) == 1  # once for the image, not once per chunk
    return result


def _loading(da, X, chunks):
    """A dask array of X and the list of the chunks it has loaded so far."""
    loaded = []

    def load(block):
        loaded.append(block.shape)
        return block

    meta = np.empty((0,) * X.ndim, X.dtype)
    return da.from_array(X, chunks=chunks).map_blocks(load, meta=meta), loaded


@pytest.mark.parametrize(
    "method, dtype",
    [
        (method, dtype)
        for method in ["li", "triangle", "mean", "robust_background"]
        for dtype in [np.uint8, np.uint16, np.int16, bool, np.float32]
        # float li and robust_background need every value: see the error test
        if dtype != np.float32 or method in ("triangle", "mean")
    ],
)
def test_pixel_methods_fit_on_chunks_as_in_memory(method, dtype, da):
    X = _batch(dtype)
    expected = Thresholder(method).fit(X)
    if method != "robust_background":  # scikit-image on the stacked pixels
        stacked = X.astype(np.uint8) if dtype is bool else X
        reference = _skimage_threshold(method, stacked.ravel())
        assert expected.threshold_ == pytest.approx(reference, rel=1e-6)
    for chunks in [(1, 7, 9), (2, 50, 1)]:
        step = Thresholder(method).fit(da.from_array(X, chunks=chunks))
        if dtype == np.float32 and method == "mean":  # chunk sums: rounding
            assert step.threshold_ == pytest.approx(expected.threshold_, rel=1e-9)
        else:
            assert step.threshold_ == expected.threshold_
            assert type(step.threshold_) is type(expected.threshold_)
        np.testing.assert_array_equal(step.transform(X), expected.transform(X))


def test_integer_li_is_right_where_skimage_overflows_the_dtype():
    rng = np.random.default_rng(40)
    X = np.concatenate([rng.normal(-90, 8, 200), rng.normal(80, 8, 300)])
    X = X.clip(-120, 120).astype(np.int8).reshape(1, 20, 25)
    learned = Thresholder("li").fit(X).threshold_
    assert learned == pytest.approx(filters.threshold_li(X.astype(np.int16)))
    assert -40 < learned < 40


@pytest.mark.parametrize("guide", ["li", "triangle", "mean", "robust_background"])
def test_clamp_guide_fits_on_chunks(guide, da):
    X = _batch(np.uint16)
    step = LocalThresholder(clamp=(0.7, 1.5), guide=guide)
    learned = step.fit(da.from_array(X, chunks=(1, 12, 20))).global_threshold_
    assert learned == step.fit(X).global_threshold_


def test_float_li_and_robust_background_fit_say_what_to_do(da):
    Xd = da.from_array(_batch(np.float32), chunks=(1, 25, 30))
    for method in ["li", "robust_background"]:
        with pytest.raises(
            NotImplementedError,
            match=rf"Thresholder\(method='{method}'\).*float.*Fit on a sample in",
        ):
            Thresholder(method).fit(Xd)
    with pytest.raises(NotImplementedError, match=r"LocalThresholder\(guide='li'\)"):
        LocalThresholder(clamp=(0.7, 1.5), guide="li").fit(Xd)


def test_integer_ranges_too_wide_for_a_histogram_are_binned_on_dask(da):
    X = _batch(np.uint8).astype(np.int32)
    X[0, 0, :2] = 0, 1 << 25  # wider than max(65536, number of pixels)
    Xd = da.from_array(X, chunks=(1, 25, 30))
    for step in [OtsuThresholder(), Thresholder("triangle"), Thresholder("isodata")]:
        # nbins bins, as in memory
        assert clone(step).fit(Xd).threshold_ == step.fit(X).threshold_
    lazy = Thresholder("triangle", scope="image").fit(X).transform(Xd)
    np.testing.assert_array_equal(
        lazy.compute(), Thresholder("triangle", scope="image").fit_transform(X)
    )
    for method in ["li", "robust_background"]:  # every distinct value needed
        Thresholder(method).fit(X)  # in memory: from the pixels
        with pytest.raises(NotImplementedError, match=r"span 33554433 integers"):
            Thresholder(method).fit(Xd)


@pytest.mark.parametrize("index, chunks", list(enumerate(CHUNKS_2D)))
def test_scope_image_within_chunked_images_equals_in_memory(index, chunks, da):
    X = _batch(np.uint8)
    Xd, loaded = _loading(da, X, chunks)
    steps = [OtsuThresholder(scope="image")]
    steps += [Thresholder(m, scope="image", correction=0.9) for m in METHODS[index::6]]
    results = [step.fit(X).transform(Xd) for step in steps]
    assert loaded == [] and all(isinstance(r, da.Array) for r in results)
    for step, result in zip(steps, da.compute(*results)):
        expected = step.transform(X)
        np.testing.assert_array_equal(result, expected)
        batch = Thresholder(getattr(step, "method", "otsu")).fit(X).transform(X)
        assert (expected != batch).any()  # each image has its own threshold


@pytest.mark.parametrize("dtype", [np.uint16, np.int16, np.float32, bool])
def test_scope_image_within_chunks_for_other_dtypes(dtype, da):
    X = _batch(dtype)
    methods = ["otsu", "li", "triangle", "mean", "robust_background"]
    if dtype == np.float32:
        methods = ["otsu", "triangle", "mean", "multiotsu"]
    steps = [Thresholder(m, scope="image", nbins=64) for m in methods]
    Xd = da.from_array(X, chunks=(1, 7, 9))
    results = da.compute(*(step.fit(Xd).transform(Xd) for step in steps))
    for step, result in zip(steps, results):
        np.testing.assert_array_equal(result, step.transform(X), step.method)


def test_scope_image_within_chunks_on_3d_volumes(da):
    X = np.stack([_scene(np.uint8, seed=s, shape=(6, 40))[None] for s in (1, 2)])
    X = np.repeat(X, 5, axis=1) // np.arange(1, 6)[None, :, None, None]  # (2,5,6,40)
    step = Thresholder("li", scope="image").fit(X)
    result = step.transform(da.from_array(X, chunks=(1, 2, 4, 7)))
    np.testing.assert_array_equal(result.compute(), step.transform(X))


def test_scope_image_within_chunks_warns_when_computed_for_constant_images(da):
    X = _batch(np.uint8)
    X[1] = 7
    Xd = da.from_array(X, chunks=(1, 12, 20))
    for step in [Thresholder("li", scope="image"), OtsuThresholder(scope="image")]:
        result = step.fit(X).transform(Xd)  # lazy: no warning yet
        result = _computed_warning_once(result, 7)
        assert not result[1].any()
        with pytest.warns(UserWarning, match="an image is constant"):
            np.testing.assert_array_equal(result, step.transform(X))


def test_scope_image_within_chunks_that_needs_every_value_says_rechunk(da):
    X = _batch(np.float32)
    step = Thresholder("robust_background", scope="image").fit(X)
    with pytest.raises(
        NotImplementedError, match=r"Thresholder \(method='robust_background'.*rechunk"
    ):
        step.transform(da.from_array(X, chunks=(1, 25, 30)))
    whole = step.transform(da.from_array(X, chunks=(1, 50, 60))).compute()
    np.testing.assert_array_equal(whole, step.transform(X))


def test_nan_within_chunks_is_found_when_computed(da):
    X = _batch(np.float32)
    X[1, 40, 50] = np.nan
    result = (
        Thresholder("mean", scope="image")
        .fit(X[:1])
        .transform(da.from_array(X, chunks=(1, 25, 30)))
    )
    with pytest.raises(ValueError, match="Thresholder got NaN"):
        result.compute()


LOCAL_PARAMS = [
    {},
    {"block_size": 7, "k": -0.3, "offset": -4.0},
    {"block_size": 21, "clamp": (0.7, 1.5)},
]


@pytest.mark.parametrize("index, chunks", list(enumerate(CHUNKS_2D)))
def test_local_thresholds_within_chunked_images_equal_in_memory(index, chunks, da):
    cases, results, expected = [], [], []
    for j, method in enumerate(LOCAL_METHODS):
        dtype = [np.uint8, np.uint16, np.float32][(index + j) % 3]
        params = LOCAL_PARAMS[(index + 2 * j) % 3]
        if dtype == np.float32 and "offset" in params:
            params = {**params, "offset": -4.0 / 255}
        X = _scene(dtype, seed=index)[None]
        Xd, loaded = _loading(da, X, chunks)
        step = LocalThresholder(method, **params).fit(X)
        results.append(step.transform(Xd))
        expected.append(step.transform(X))
        cases.append((method, dtype, params))
        assert loaded == []
    for case, got, want in zip(cases, da.compute(*results), expected):
        np.testing.assert_array_equal(got, want, err_msg=str(case))


@pytest.mark.parametrize("dtype", [np.int16, bool])
def test_local_thresholds_within_chunks_for_other_dtypes(dtype, da):
    X = _scene(dtype)[None]
    steps = [LocalThresholder(m, block_size=5, offset=-0.1) for m in LOCAL_METHODS]
    Xd = da.from_array(X, chunks=(1, 7, 9))
    results = da.compute(*(step.fit(X).transform(Xd) for step in steps))
    for step, result in zip(steps, results):
        np.testing.assert_array_equal(result, step.transform(X), step.method)


def test_local_thresholds_within_chunks_on_3d_volumes_and_tiny_images(da):
    volumes = np.stack(_uneven_batch(np.uint8, np.random.default_rng(33), (6, 20, 24)))
    tiny = np.random.default_rng(34).normal(size=(1, 3, 5))
    for X, chunks in [(volumes[:1], (1, 2, 7, 5)), (tiny, (1, 1, 2))]:
        steps = [LocalThresholder(m, block_size=5) for m in LOCAL_METHODS]
        Xd = da.from_array(X, chunks=chunks)
        results = da.compute(*(step.fit(X).transform(Xd) for step in steps))
        for step, result in zip(steps, results):
            np.testing.assert_array_equal(result, step.transform(X), step.method)


def test_local_constant_images_within_chunks_are_whole_image_decisions(da):
    X = _batch(np.uint8)
    X[0, :, :30] = 90  # flat chunks in an image that is not constant
    X[1] = 90  # a constant image
    step = LocalThresholder("sauvola", block_size=7).fit(X)
    result = step.transform(da.from_array(X, chunks=(1, 12, 10)))  # no warning
    result = _computed_warning_once(result, 90)
    assert result[0, :, :25].all()  # flat chunks: 90 > (1 - k) * 90
    assert not result[1].any()
    with pytest.warns(UserWarning, match="an image is constant"):
        np.testing.assert_array_equal(result, step.transform(X))


def test_local_mean_of_integer_images_is_exact_at_every_chunking(da):
    # few values: many pixels equal the mean of their window, where running
    # sums that start at a chunk's edge would round otherwise than in memory
    X = np.random.default_rng(41).integers(0, 4, (1, 50, 60)).astype(np.uint8)
    X += np.arange(60, dtype=np.uint8) // 6
    step = LocalThresholder("mean", block_size=3).fit(X)
    expected = step.transform(X)
    assert not expected[X * 9 == _window_sums(X[0], 3)[None]].any()
    chunkings = [(1, 7, 9), (1, 1, 36), (1, 32, 1)]
    results = [step.transform(da.from_array(X, chunks=c)) for c in chunkings]
    for result in da.compute(*results):
        np.testing.assert_array_equal(result, expected)


def test_full_range_uint8_and_bool_within_chunks(da):
    X = _batch(np.uint8)
    X[0, 0, :2] = 0, 255
    masks = X > 128
    for images in [X, masks]:
        Xd = da.from_array(images, chunks=(1, 12, 20))
        for method in ["li", "triangle", "mean", "robust_background"]:
            step = Thresholder(method).fit(Xd)
            assert step.threshold_ == Thresholder(method).fit(images).threshold_
            step = Thresholder(method, scope="image").fit(images)
            result = step.transform(Xd).compute()
            np.testing.assert_array_equal(result, step.transform(images))


# --- integer ranges too wide for one bin per integer --------------------------------


def _one_bright_pixel(dtype=np.int32, value=10**8):
    rng = np.random.default_rng(5)
    image = _three_level_batch(np.uint8, rng, n=1, shape=(44, 64), ragged=False)[0]
    image = image[:64].astype(dtype)  # 64 x 64
    image[0, 0] = value
    return image


def test_one_huge_value_bins_the_histogram_in_bounded_memory():
    import tracemalloc

    image = _one_bright_pixel()
    tracemalloc.start()
    try:
        step = OtsuThresholder().fit(image[None])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20  # an exact histogram: 800 MB of counts
    # 256 bins over [min, max], as scikit-image bins the image as floats
    assert step.threshold_ == threshold_otsu(image.astype(np.float64), nbins=256)


@pytest.mark.parametrize("method", ["otsu", "yen", "isodata", "triangle", "li"])
def test_wide_integer_ranges_equal_skimage_on_the_float_pixels(method):
    images = [_one_bright_pixel(np.int64, 2**40), _one_bright_pixel(np.int64, 5)]
    images[1][3, 3] = -(2**20)
    step = Thresholder(method, nbins=64).fit(images)
    pixels = _stacked(images).astype(np.float64)
    kwargs = {} if method == "li" else {"nbins": 64}
    assert step.threshold_ == _skimage_threshold(method, pixels, **kwargs)


@pytest.mark.parametrize("method", ["multiotsu", "minimum"])
def test_full_uint16_range_is_binned_for_the_slow_methods(method, monkeypatch):
    # multi-Otsu and minimum cost more than the histogram's length: one bin
    # per integer of the uint16 range took minutes
    from sksegment import thresholding

    rng = np.random.default_rng(6)
    image = np.concatenate(
        [rng.normal(loc, 1500, (32, 64)) for loc in (15000, 45000)]
    ).clip(0, 65535)
    image = image.astype(np.uint16)
    image[0, :2] = 0, 65535
    lengths = []
    real = thresholding._HIST_METHODS["minimum"], thresholding.threshold_multiotsu

    def spy(function):
        def wrapped(*args, hist, **kwargs):
            lengths.append(len(hist[0]))
            return function(*args, hist=hist, **kwargs)

        return wrapped

    monkeypatch.setitem(thresholding._HIST_METHODS, "minimum", spy(real[0]))
    monkeypatch.setattr(thresholding, "threshold_multiotsu", spy(real[1]))
    step = Thresholder(method, classes=2).fit(image[None])
    assert lengths == [256]
    expected = _skimage_threshold(method, image.astype(np.float64), nbins=256)
    if method == "multiotsu":
        expected = filters.threshold_multiotsu(
            image.astype(np.float64), classes=2, nbins=256
        )[-1]
    assert step.threshold_ == expected
    # 4096 integers or fewer: one bin per integer, as scikit-image
    narrow = image // 64
    lengths.clear()
    step = Thresholder(method, classes=2).fit(narrow[None])
    assert lengths == [1024]
    if method == "minimum":
        assert step.threshold_ == filters.threshold_minimum(narrow)
    else:
        assert step.threshold_ == filters.threshold_multiotsu(narrow, classes=2)[-1]


def test_local_window_far_beyond_the_image_is_refused(da):
    images = _scene(np.uint8, shape=(6, 9))[None]
    # the largest window allowed: radius 4 * 9, as scikit-image
    step = LocalThresholder("mean", block_size=73, offset=-1.0).fit(images)
    expected = images[0] > filters.threshold_local(
        images[0].astype(np.float64), 73, method="mean", offset=-1.0
    )
    np.testing.assert_array_equal(step.transform(images)[0], expected)
    for method in LOCAL_METHODS:
        for size in [75, 10**6 + 1]:
            step = LocalThresholder(method, block_size=size).fit(images)
            with pytest.raises(
                ValueError, match=rf"LocalThresholder.*block_size={size}.*\(6, 9\)"
            ):
                step.transform(images)
    with pytest.raises(ValueError, match=r"LocalThresholder.*block_size=75"):
        LocalThresholder(block_size=75).fit(images).transform(da.from_array(images))


# --- one threshold over images of different dtypes (issue 12, item 10) ----------


def _mixed_batch():
    rng = np.random.default_rng(5)
    dark = rng.integers(0, 40, (2, 20, 24))
    objects = np.zeros((2, 20, 24), dtype=bool)
    objects[:, 5:12, 6:15] = True
    small = np.where(objects[0], 200, dark[0]).astype(np.uint8)
    large = np.where(objects[1], 50000, dark[1] * 250).astype(np.uint16)
    return [small, large]


@pytest.mark.parametrize(
    "step",
    [
        OtsuThresholder(),
        Thresholder("li"),
        Thresholder("robust_background"),
        LocalThresholder(clamp=(0.7, 1.5)),
    ],
    ids=repr,
)
def test_one_threshold_over_mixed_dtypes_is_refused(step):
    name = type(step).__name__
    with pytest.raises(ValueError, match=rf"^{name} learns") as error:
        step.fit(_mixed_batch())
    message = str(error.value)
    assert "uint8 (image 0)" in message and "uint16 (image 1)" in message
    if name == "LocalThresholder":
        assert "clamp=None" in message
    else:
        assert "scope='image'" in message and "fixed threshold" in message
    assert "convert the images to one dtype" in message.lower()


@pytest.mark.parametrize("step", [OtsuThresholder, Thresholder])
def test_mixed_dtypes_with_a_threshold_per_image_or_a_fixed_one(step):
    images = _mixed_batch()
    masks = step(scope="image").fit_transform(images)
    for image, mask in zip(images, masks):
        np.testing.assert_array_equal(mask, image > threshold_otsu(image))
    fixed = step(threshold=100).fit_transform(images)
    for image, mask in zip(images, fixed):
        np.testing.assert_array_equal(mask, image > 100)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("scope", ["batch", "image"])
def test_otsu_thresholder_is_thresholder_otsu_with_its_parameters_only(dtype, scope):
    rng = np.random.default_rng(11)
    images = (rng.random((3, 20, 24)) * 200).astype(dtype)
    otsu = sks.OtsuThresholder(scope=scope, nbins=64).fit(images)
    general = sks.Thresholder("otsu", scope=scope, nbins=64).fit(images)
    assert isinstance(otsu, sks.Thresholder)
    assert otsu.threshold_ == general.threshold_
    np.testing.assert_array_equal(otsu.transform(images), general.transform(images))
    if scope == "batch":
        assert otsu.threshold_ == threshold_otsu(images, nbins=64)
    assert set(otsu.get_params()) == {
        "threshold",
        "nbins",
        "scope",
        "image_shape",
        "n_jobs",
    }
    with pytest.raises(ValueError, match="Invalid parameter 'method'"):
        otsu.set_params(method="li")
