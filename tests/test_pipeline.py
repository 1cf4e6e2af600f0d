import pickle

import numpy as np
import pytest
import sklearn.pipeline
from sklearn.base import clone
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

import sksegment as sks
from sksegment.datasets import make_objects

from conftest import recipe_steps


def _steps(threshold=None):
    """The recipe's steps, with the area bound of make_objects' objects."""
    return recipe_steps(threshold, min_area=50)


@pytest.fixture(scope="module")
def data():
    return make_objects(n_images=12, shape=(96, 96), random_state=3)


def test_predicts_as_the_sklearn_pipeline(data):
    ours = sks.make_pipeline(*_steps()).fit(data.images, data.counts)
    theirs = sklearn.pipeline.make_pipeline(*_steps()).fit(data.images, data.counts)
    assert isinstance(ours, sks.Pipeline)
    assert ours[0].threshold_ == theirs[0].threshold_
    np.testing.assert_array_equal(
        ours.predict(data.images), theirs.predict(data.images)
    )
    np.testing.assert_array_equal(
        ours[:-1].transform(data.images), theirs[:-1].transform(data.images)
    )


def test_fit_does_not_transform_for_steps_that_learn_nothing(data, monkeypatch):
    calls = []
    original = sks.MorphCloser._transform_image

    def spy(self, image, out=None):
        calls.append(image.shape)
        return original(self, image, out)

    monkeypatch.setattr(sks.MorphCloser, "_transform_image", spy)
    pipe = sks.make_pipeline(*_steps()).fit(data.images, data.counts)
    assert calls == []
    pipe.predict(data.images)
    assert len(calls) == len(data.images)
    # the thresholder learns, so what precedes it is transformed in fit
    closing_first = sks.make_pipeline(sks.MorphCloser(3), *_steps())
    calls.clear()
    closing_first.fit(data.images > 100)
    assert len(calls) == len(data.images)


def test_grid_search_gives_the_same_results(data):
    grid = {"otsuthresholder__threshold": [None, 120, 140], "morphcloser__size": [1, 5]}
    kwargs = dict(scoring="neg_mean_absolute_error", cv=3)
    ours = GridSearchCV(sks.make_pipeline(*_steps()), grid, **kwargs)
    theirs = GridSearchCV(sklearn.pipeline.make_pipeline(*_steps()), grid, **kwargs)
    ours.fit(data.images, data.counts)
    theirs.fit(data.images, data.counts)
    np.testing.assert_array_equal(
        ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"]
    )
    assert ours.best_params_ == theirs.best_params_


def test_parameters_of_skipped_steps_are_validated_in_fit(data):
    pipe = sks.make_pipeline(
        sks.OtsuThresholder(), sks.MorphCloser(0), sks.ObjectCounter()
    )
    with pytest.raises(InvalidParameterError, match="size"):
        pipe.fit(data.images)
    pipe = sks.make_pipeline(
        sks.OtsuThresholder(), sks.AreaFilter(9, 3), sks.ObjectCounter()
    )
    with pytest.raises(InvalidParameterError, match="min_area=9 is larger"):
        pipe.fit(data.images)


def test_inconsistent_y_is_refused(data):
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        sks.make_pipeline(*_steps()).fit(data.images, data.counts[:-1])


def test_a_final_step_that_learns_gets_sklearn_fit(data):
    X = data.images.reshape(len(data.images), -1).astype(float)
    steps = [sks.OtsuThresholder(image_shape=(96, 96)), LinearRegression()]
    ours = sks.make_pipeline(*[clone(s) for s in steps]).fit(X, data.counts)
    theirs = sklearn.pipeline.make_pipeline(*[clone(s) for s in steps]).fit(
        X, data.counts
    )
    np.testing.assert_allclose(ours[-1].coef_, theirs[-1].coef_)


def test_clone_and_pickle(data):
    pipe = sks.make_pipeline(*_steps(120)).fit(data.images)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(
        restored.predict(data.images), pipe.predict(data.images)
    )
    cloned = clone(pipe)
    assert isinstance(cloned, sks.Pipeline)
    assert cloned.get_params()["otsuthresholder__threshold"] == 120


@pytest.mark.parametrize("make", [sks.make_pipeline, sklearn.pipeline.make_pipeline])
def test_set_output_pandas_reaches_region_features(data, make):
    pytest.importorskip("pandas")
    segmenter = sks.make_pipeline(*_steps()[:-1])
    pipe = make(
        sks.Smoother(sigma=1), sks.RegionFeatures(segmenter, properties=["area"])
    )
    assert pipe.set_output(transform="pandas") is pipe
    table = pipe.fit_transform(data.images)
    expected = pipe[-1].get_feature_names_out()
    assert list(table.columns) == list(expected)
    assert len(table) == len(data.images)
    # the same numbers as the default array output
    plain = clone(pipe).set_output(transform="default").fit_transform(data.images)
    np.testing.assert_array_equal(table.to_numpy(), plain)


def test_set_output_on_an_image_step_is_accepted_and_ignored(data):
    closer = sks.MorphCloser(3)
    before = closer.fit_transform(data.images > 120)
    assert closer.set_output(transform="pandas") is closer
    after = closer.fit_transform(data.images > 120)
    assert type(after) is np.ndarray
    np.testing.assert_array_equal(after, before)
    assert closer.set_output(transform=None) is closer
    with pytest.raises(ValueError, match="MorphCloser.set_output.*'frame'"):
        closer.set_output(transform="frame")
