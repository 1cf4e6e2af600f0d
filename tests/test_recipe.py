"""The scikit-image coins recipe, and grid search, end to end."""

import itertools
import pickle

import joblib
import numpy as np
import pytest
from skimage import filters
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline

import sksegment as sks
from sksegment.datasets import make_objects

from conftest import recipe_steps, same_partition, skimage_recipe


def recipe(**kwargs):
    """The recipe in scikit-learn's own Pipeline (sksegment's: test_pipeline.py)."""
    return make_pipeline(*recipe_steps(**kwargs))


def _count(labels):
    return len(np.unique(labels[labels > 0]))


def test_coins_recipe_at_120_gives_the_24_coins_of_scikit_image(coins):
    pipe = recipe(threshold=120).fit(coins)
    assert pipe.predict(coins).tolist() == [24]
    labels = pipe[:-1].transform(coins)[0]
    assert same_partition(labels, skimage_recipe(coins[0], 120))
    assert labels.max() == 24 and labels.dtype == np.int32


def test_coins_recipe_with_learned_threshold(coins):
    pipe = recipe().fit(coins)
    assert pipe[0].threshold_ == 107 == filters.threshold_otsu(coins[0])
    assert pipe.predict(coins).tolist() == [21]
    assert same_partition(pipe[:-1].transform(coins)[0], skimage_recipe(coins[0], 107))


def test_reflect_mode_gives_the_same_coins(coins):
    pipe = recipe(threshold=120).set_params(morphcloser__mode="reflect")
    assert pipe.fit(coins).predict(coins).tolist() == [24]


def test_intermediate_results_are_ordinary_batches(coins):
    pipe = recipe(threshold=120).fit(coins)
    masks = pipe[:2].transform(coins)
    assert masks.dtype == bool and masks.shape == coins.shape
    as_list = pipe[:-1].transform(list(coins))
    assert isinstance(as_list, list) and as_list[0].shape == coins.shape[1:]


@pytest.fixture(scope="module")
def objects():
    return make_objects(n_images=18, shape=(96, 96), random_state=0)


GRID = {
    "otsuthresholder__threshold": [None, 90, 120, 150],
    "morphcloser__size": [1, 3, 5],
}


def _plain_loop_scores(images, counts, cv):
    """Mean absolute count error per candidate, with scikit-image calls only."""
    scores = {}  # in ParameterGrid's order (sorted names), so ties resolve alike
    sizes, thresholds = GRID["morphcloser__size"], GRID["otsuthresholder__threshold"]
    for size, threshold in itertools.product(sizes, thresholds):
        errors = []
        for train, test in cv.split(images):
            t = threshold
            if t is None:
                t = filters.threshold_otsu(images[train].ravel())
            predicted = [_count(skimage_recipe(im, t, size)) for im in images[test]]
            errors.append(np.mean(np.abs(np.array(predicted) - counts[test])))
        scores[threshold, size] = -np.mean(errors)
    return scores


def test_grid_search_matches_a_plain_loop_over_scikit_image(objects):
    images, counts = objects.images, objects.counts
    search = GridSearchCV(recipe(), GRID, scoring="neg_mean_absolute_error", cv=3)
    search.fit(images, counts)
    expected = _plain_loop_scores(images, counts, KFold(3))
    for params, score in zip(
        search.cv_results_["params"], search.cv_results_["mean_test_score"]
    ):
        key = (params["otsuthresholder__threshold"], params["morphcloser__size"])
        assert score == pytest.approx(expected[key])
    best = max(expected, key=expected.get)  # the first of ties, as GridSearchCV
    assert (
        search.best_params_["otsuthresholder__threshold"],
        search.best_params_["morphcloser__size"],
    ) == best
    assert search.best_score_ == pytest.approx(expected[best])
    assert search.predict(images).shape == counts.shape


def test_grid_search_in_processes_and_with_lists(objects):
    images, counts = list(objects.images[:9]), objects.counts[:9]
    grid = {"otsuthresholder__threshold": [None, 120], "morphcloser__size": [3, 5]}
    kwargs = dict(scoring="neg_mean_absolute_error", cv=3)
    parallel = GridSearchCV(recipe(), grid, n_jobs=2, **kwargs).fit(images, counts)
    serial = GridSearchCV(recipe(), grid, **kwargs).fit(images, counts)
    assert parallel.best_params_ == serial.best_params_
    np.testing.assert_allclose(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


def test_cross_val_score_is_kfold_for_the_counter(objects):
    scores = cross_val_score(
        recipe(threshold=120, min_area=30),
        objects.images,
        objects.counts,
        cv=3,
        scoring="neg_mean_absolute_error",
    )
    assert scores.shape == (3,) and (scores <= 0).all()


def test_pipeline_memory_caches_steps(tmp_path, objects):
    images = objects.images[:4]
    plain = recipe(threshold=120).fit(images).predict(images)
    memory = joblib.Memory(tmp_path, verbose=0)
    cached = Pipeline(recipe(threshold=120).steps, memory=memory)
    np.testing.assert_array_equal(cached.fit(images).predict(images), plain)
    # a second fit reads the fitted transformers back from the cache
    again = Pipeline(recipe(threshold=120).steps, memory=memory).fit(images)
    np.testing.assert_array_equal(again.predict(images), plain)
    assert any(tmp_path.rglob("*.pkl"))


def test_fitted_pipeline_pickles_and_dumps(tmp_path, objects):
    images = objects.images[:4]
    pipe = recipe().fit(images)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(images), pipe.predict(images))
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    loaded = joblib.load(tmp_path / "pipe.joblib")
    assert loaded[0].threshold_ == pipe[0].threshold_
    np.testing.assert_array_equal(loaded.predict(images), pipe.predict(images))


def test_extended_pipeline_beats_the_best_grid_searched_recipe():
    """Touching objects and uneven light: more steps, not more tuning, fix it."""
    data = make_objects(
        12, (160, 160), touching=0.4, dim_fraction=0.3, gradient=0.45, random_state=1
    )
    plain = GridSearchCV(
        sks.make_pipeline(*recipe_steps(min_area=50)),
        {
            "otsuthresholder__threshold": [None, *range(90, 181, 10)],
            "morphcloser__size": [1, 3, 5, 7],
        },
        scoring="neg_mean_absolute_error",
        cv=3,
    ).fit(data.images, data.counts)
    extended = sks.make_pipeline(
        sks.Smoother(sigma=1.0),
        sks.LocalThresholder(method="gaussian", block_size=81, offset=-8),
        sks.MorphCloser(3),
        sks.HoleFiller(),
        sks.BorderClearer(),
        sks.AreaFilter(min_area=50),
        sks.WatershedSplitter(7),
        sks.AreaFilter(min_area=50),
        sks.ObjectCounter(),
    )
    scores = cross_val_score(
        extended, data.images, data.counts, cv=3, scoring="neg_mean_absolute_error"
    )
    plain_error, extended_error = -plain.best_score_, -scores.mean()
    assert plain_error > 2  # the best recipe misses objects in every image
    assert extended_error < plain_error / 4
