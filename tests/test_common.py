"""Conformance of every public estimator, found automatically.

A new estimator exported from ``sksegment`` is covered here by existing.  It
gets intensity images or masks, as its ``_reads`` says; required
parameters and a required y go in ``CONSTRUCTORS`` and ``TARGETS`` of
``conftest.py``.  Expected failures of scikit-learn's own checks live in
``EXPECTED_FAILED_CHECKS``, with their reasons, and nowhere else.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_param_validation,
    check_parameters_default_constructible,
    check_set_params,
    parametrize_with_checks,
)

import sksegment as sks
from sksegment.discovery import all_estimators

from conftest import fit_estimator, make_estimator

ESTIMATORS = all_estimators()
NAMES = [name for name, _ in ESTIMATORS]

# Estimators that take intensity images (the others take masks): the one
# place a new step that reads intensities needs an entry.


def _images_out(estimator):
    """Whether the estimator returns images (not counts, not a feature table)."""
    return not is_regressor(estimator) and not hasattr(
        estimator, "get_feature_names_out"
    )


# scikit-learn checks expected to fail, per estimator: {name: {check: reason}}.
# Every other check passes in the estimators' image_shape=(1, -1) form.
_ONE_CLASS = (
    "its y (one class per flattened image) is all > 0, all foreground for "
    "dense annotation: one class, which PixelClassifier refuses with a "
    "ValueError, as scikit-learn's classifiers do"
)
EXPECTED_FAILED_CHECKS = {
    "PixelClassifier": {
        "check_estimators_dtypes": _ONE_CLASS,
        "check_fit2d_1feature": _ONE_CLASS,
    },
}


def _flat_instances():
    return [make_estimator(cls, image_shape=(1, -1)) for _, cls in ESTIMATORS]


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    _flat_instances(), expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=NAMES)
def test_full_sklearn_suite_runs(name, cls):
    """A tag mistake must not shrink scikit-learn's suite to the clone check."""
    from sklearn.utils.estimator_checks import _yield_all_checks

    flat = make_estimator(cls, image_shape=(1, -1))
    checks = list(_yield_all_checks(flat, legacy=True))
    assert len(checks) >= 40
    # without image_shape the estimator takes images only: sklearn skips it
    with pytest.warns(Warning, match="Can't test estimator"):
        assert list(_yield_all_checks(make_estimator(cls), legacy=True)) == []


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=NAMES)
def test_param_validation(name, cls):
    check_param_validation(name, make_estimator(cls, image_shape=(1, -1)))


DATA_FREE_CHECKS = [
    check_no_attributes_set_in_init,
    check_get_params_invariance,
    check_set_params,
    check_parameters_default_constructible,
    check_estimator_repr,
    check_mixin_order,
    check_do_not_raise_errors_in_init_or_set_params,
]


@pytest.mark.parametrize("check", DATA_FREE_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=NAMES)
def test_data_free_checks(name, cls, check):
    check(name, make_estimator(cls))


# ---------------------------------------------------------------------------
# Our own image-batch contract.


def _intensity_batch(rng, n=3, shape=(24, 30)):
    """Bright blobs on a dark noisy background, uint8."""
    images = rng.integers(0, 60, size=(n, *shape)).astype(np.uint8)
    for i in range(n):
        for _ in range(4):
            r, c = rng.integers(3, shape[0] - 6), rng.integers(3, shape[1] - 6)
            images[i, r : r + 5, c : c + 6] = rng.integers(150, 250)
    return images


def _input_for(estimator, rng):
    """A batch of the kind the estimator expects: intensities or masks."""
    images = _intensity_batch(rng)
    if estimator._reads == "intensity":
        return images
    return images > 100


def test_every_step_says_what_it_reads():
    assert {cls._reads for _, cls in ESTIMATORS} == {"intensity", "objects"}
    assert sks.Thresholder._reads == "intensity" == sks.Smoother._reads
    assert sks.AreaFilter._reads == "objects" == sks.ObjectCounter._reads


def _output(estimator, X):
    if is_regressor(estimator):
        return fit_estimator(estimator, X).predict(X)
    return fit_estimator(estimator, X).transform(X)


def _assert_same(a, b):
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
            assert x.dtype == y.dtype
    else:
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


@pytest.fixture(params=ESTIMATORS, ids=NAMES)
def estimator(request):
    return make_estimator(request.param[1])


def test_clone_and_pickle_round_trip(estimator):
    X = _input_for(estimator, np.random.default_rng(0))
    expected = _output(clone(estimator), X)
    fitted = fit_estimator(clone(estimator), X)
    restored = pickle.loads(pickle.dumps(fitted))
    method = "predict" if is_regressor(estimator) else "transform"
    _assert_same(getattr(restored, method)(X), expected)
    params, cloned = (
        estimator.get_params(deep=False),
        clone(estimator).get_params(deep=False),
    )
    assert {k: repr(v) for k, v in cloned.items()} == {
        k: repr(v) for k, v in params.items()
    }


def test_fit_returns_self(estimator):
    X = _input_for(estimator, np.random.default_rng(1))
    assert fit_estimator(estimator, X) is estimator


def test_not_fitted_error_where_fit_is_required(estimator):
    X = _input_for(estimator, np.random.default_rng(2))
    method = getattr(estimator, "predict" if is_regressor(estimator) else "transform")
    if estimator.__sklearn_tags__().requires_fit:
        with pytest.raises(NotFittedError):
            method(X)
    else:
        method(X)  # stateless steps work unfitted


def test_input_unchanged(estimator):
    X = _input_for(estimator, np.random.default_rng(3))
    before = X.copy()
    as_list = [x.copy() for x in X]
    _output(estimator, X)
    _output(clone(estimator), as_list)
    np.testing.assert_array_equal(X, before)
    for x, y in zip(as_list, before):
        np.testing.assert_array_equal(x, y)


def test_output_never_aliases_input(estimator):
    if not _images_out(estimator):
        pytest.skip("the output is counts or features, not images")
    X = list(_input_for(estimator, np.random.default_rng(4)))
    for x, out in zip(X, fit_estimator(estimator, X).transform(X)):
        assert not np.shares_memory(x, out)


def test_list_and_array_give_equal_results(estimator):
    X = _input_for(estimator, np.random.default_rng(5))
    from_array = _output(clone(estimator), X)
    from_list = _output(clone(estimator), list(X))
    assert isinstance(from_array, np.ndarray)
    if not _images_out(estimator):
        np.testing.assert_array_equal(from_list, from_array)
    else:
        assert isinstance(from_list, list)
        _assert_same(from_list, list(from_array))


def test_batch_equals_image_by_image(estimator):
    X = _input_for(estimator, np.random.default_rng(6))
    fitted = fit_estimator(clone(estimator), X)
    method = getattr(fitted, "predict" if is_regressor(estimator) else "transform")
    whole = method(X)
    for i in range(len(X)):
        np.testing.assert_array_equal(method(X[i : i + 1])[0], whole[i])


def test_ragged_list_keeps_shapes(estimator):
    rng = np.random.default_rng(7)
    X = [_input_for(estimator, rng)[0], _input_for(estimator, rng)[0][:17, :21]]
    out = _output(estimator, X)
    if _images_out(estimator):
        assert [o.shape for o in out] == [x.shape for x in X]
    else:
        assert len(out) == 2


def test_n_jobs_equals_sequential(estimator):
    X = _input_for(estimator, np.random.default_rng(8))
    sequential = _output(clone(estimator).set_params(n_jobs=1), X)
    threaded = _output(clone(estimator).set_params(n_jobs=2), X)
    _assert_same(threaded, sequential)


def test_3d_images(estimator):
    rng = np.random.default_rng(9)
    X = np.stack([_input_for(estimator, rng)[:, :, :20] for _ in range(2)], axis=1)
    assert X.ndim == 4  # 3 volumes of shape (2, 24, 20)
    out = _output(estimator, X)
    assert len(out) == 3
    if _images_out(estimator):
        assert out.shape == X.shape


def test_flattened_images_round_trip(estimator):
    X = _input_for(estimator, np.random.default_rng(10))
    flat = X.reshape(len(X), -1)
    estimator.set_params(image_shape=(X.shape[1], -1))
    out = _output(estimator, flat)
    assert estimator.n_features_in_ == flat.shape[1]
    expected = _output(clone(estimator).set_params(image_shape=None), X)
    np.testing.assert_array_equal(
        out, expected.reshape(len(X), -1) if out.ndim == 2 else expected
    )


@pytest.mark.parametrize(
    "params",
    [{"n_jobs": "two"}, {"image_shape": 5}],
    ids=["n_jobs", "image_shape"],
)
def test_bad_common_parameters_raise(estimator, params):
    X = _input_for(estimator, np.random.default_rng(11))
    with pytest.raises(InvalidParameterError):
        estimator.set_params(**params).fit(X)


@pytest.mark.parametrize("image_shape", [(0, -1), (-1, -1), (2, 3, 4, 5), ("a", 2)])
def test_bad_image_shape_content_raises(estimator, image_shape):
    X = np.zeros((2, 12), dtype=np.uint8)
    with pytest.raises(InvalidParameterError, match="image_shape"):
        estimator.set_params(image_shape=image_shape).fit(X)


# ---------------------------------------------------------------------------
# Numeric parameters: finite, and never a bool.

# Parameters where NaN is a documented value: {(estimator, parameter)}.
NAN_ALLOWED = {("RegionFeatures", "fill_value")}


def _numeric_params(cls, kind):
    """Names of the parameters whose constraints accept numbers of ``kind``."""
    from numbers import Integral, Real

    from sklearn.utils._param_validation import Interval

    wanted = Real if kind == "real" else Integral
    names = []
    for param, constraints in cls._parameter_constraints.items():
        for c in constraints:
            if c is wanted or (isinstance(c, Interval) and c.type is wanted):
                names.append(param)
                break
    return names


def _fit_or_predict(estimator):
    X = _intensity_batch(np.random.default_rng(0), n=2, shape=(12, 14))
    fit_estimator(estimator, X)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=NAMES)
def test_real_parameters_refuse_nan_and_infinity(name, cls, value):
    params = _numeric_params(cls, "real")
    for param in params:
        estimator = make_estimator(cls, **{param: value})
        if np.isnan(value) and (name, param) in NAN_ALLOWED:
            _fit_or_predict(estimator)  # documented: NaN is accepted
            continue
        with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
            _fit_or_predict(estimator)


def test_nan_allowed_table_is_exact():
    allowed = {
        (name, param)
        for name, cls in ESTIMATORS
        for param, constraints in cls._parameter_constraints.items()
        if any(getattr(c, "allow_nan", False) for c in constraints)
    }
    assert allowed == NAN_ALLOWED


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=NAMES)
def test_numeric_parameters_use_strict_intervals(name, cls):
    """No bare int/float type nor scikit-learn Interval: they let bools through
    (and a bare Real lets NaN and infinities through)."""
    from numbers import Integral, Real

    from sklearn.utils._param_validation import Interval

    from sksegment._validation import StrictInterval

    for param, constraints in cls._parameter_constraints.items():
        for c in constraints:
            assert c not in (Integral, Real, int, float), (param, c)
            if isinstance(c, Interval):
                assert isinstance(c, StrictInterval), (param, c)


@pytest.mark.parametrize("value", [True, False, np.True_])
@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=NAMES)
def test_numeric_parameters_refuse_bools(name, cls, value):
    params = _numeric_params(cls, "int") + _numeric_params(cls, "real")
    assert "n_jobs" in params
    for param in params:
        estimator = make_estimator(cls, **{param: value})
        with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
            _fit_or_predict(estimator)


def test_morph_closer_refuses_true_as_size():
    """Issue 12: MorphCloser(True) was accepted as size 1."""
    with pytest.raises(InvalidParameterError, match="Got True instead"):
        sks.MorphCloser(True).fit(np.zeros((1, 8, 9), dtype=bool))


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=NAMES)
def test_image_shape_refuses_bools(name, cls):
    X = np.zeros((2, 9), dtype=np.uint8)
    with pytest.raises(InvalidParameterError, match="image_shape"):
        make_estimator(cls, image_shape=(True, -1)).fit(X)
