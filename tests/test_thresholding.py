import warnings

import numpy as np
import pytest
from skimage import data
from skimage.filters import threshold_otsu

from sksegment import OtsuThresholder


@pytest.fixture
def coins():
    return data.coins()[None]


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
