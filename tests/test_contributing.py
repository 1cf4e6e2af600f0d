"""docs/contributing.rst stays true: its Dilater is picked up by every suite."""

import inspect
import re
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

import sksegment
from sksegment.discovery import all_estimators

PAGE = Path(__file__).parent.parent / "docs" / "contributing.rst"


def _block(name):
    """The code of the ``code-block`` named ``name`` on the page."""
    text = PAGE.read_text()
    match = re.search(
        rf"\.\. code-block:: python\n\s+:name: {name}\n\n((?:[ \t]+.*\n|\n)+)", text
    )
    assert match, f"no code block named {name} in {PAGE.name}"
    return textwrap.dedent(match.group(1))


@pytest.fixture
def dilater(monkeypatch):
    """The page's Dilater, exported from sksegment as step 2 of the page says."""
    module = types.ModuleType("sksegment.morphology_walkthrough")
    exec(compile(_block("contributing-dilater"), PAGE.name, "exec"), module.__dict__)
    cls = module.Dilater
    cls.__module__ = "sksegment.morphology"  # step 1: in its module (pickling)
    monkeypatch.setattr(sksegment.morphology, "Dilater", cls, raising=False)
    monkeypatch.setattr(sksegment, "Dilater", cls, raising=False)
    monkeypatch.setattr(sksegment, "__all__", [*sksegment.__all__, "Dilater"])
    return cls


def test_the_walkthrough_step_is_discovered(dilater):
    assert ("Dilater", dilater) in all_estimators()


def test_the_walkthrough_test_passes(dilater):
    namespace = {}
    exec(compile(_block("contributing-dilater-test"), PAGE.name, "exec"), namespace)
    namespace["test_dilater_equals_scikit_image"]()


def test_the_walkthrough_docstring_example_runs(dilater):
    import doctest

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(dilater, "Dilater", globs={}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 0


def _per_step_tests(module, params):
    """The tests of ``module`` that take exactly ``params``: those run per step."""
    for name, func in sorted(vars(module).items()):
        if name.startswith("test_") and inspect.isfunction(func):
            if tuple(inspect.signature(func).parameters) == params:
                yield name, func


def test_the_walkthrough_step_passes_the_suites(dilater):
    """Every per-step test of the conformance and dask suites, on the Dilater."""
    import test_common
    import test_dask

    from conftest import make_estimator

    check_estimator(dilater(image_shape=(1, -1)), on_skip=None)
    ran = []
    for name, test in _per_step_tests(test_common, ("estimator",)):
        test(make_estimator(dilater))
        ran.append(name)
    for name, test in _per_step_tests(test_common, ("name", "cls")):
        test("Dilater", dilater)
        ran.append(name)
    for name, test in _per_step_tests(test_dask, ("name", "cls", "kind")):
        for kind in ("intensity", "mask", "labels"):
            test("Dilater", dilater, kind)
        ran.append(name)
    assert {
        "test_clone_and_pickle_round_trip",
        "test_output_never_aliases_input",
        "test_param_validation",
        "test_every_step_on_split_chunks_equals_numpy_or_says_so",
    } <= set(ran)
    # the overlap it declares is what makes chunks smaller than its footprint
    # exact: a larger square at 5x7 chunks
    da = pytest.importorskip("dask.array")
    masks = np.random.default_rng(1).random((1, 30, 33)) > 0.95
    lazy = dilater(9).transform(da.from_array(masks, chunks=(1, 5, 7)))
    np.testing.assert_array_equal(lazy.compute(), dilater(9).transform(masks))
