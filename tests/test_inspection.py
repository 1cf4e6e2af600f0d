import sys

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

import sksegment as sks
from sksegment.datasets import make_objects
from sksegment.inspection import plot_search, search_table

pd = pytest.importorskip("pandas")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def search():
    data = make_objects(n_images=9, shape=(64, 64), radius=(5, 7), random_state=1)
    pipe = sks.make_pipeline(
        sks.OtsuThresholder(),
        sks.MorphCloser(),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=20),
        sks.ObjectCounter(),
    )
    grid = {
        "otsuthresholder__threshold": [None, 120, 140],
        "morphcloser__size": [1, 3],
        "areafilter__min_area": [20, 40],
    }
    return GridSearchCV(pipe, grid, cv=3, scoring="neg_mean_absolute_error").fit(
        data.images, data.counts
    )


def test_search_table_has_one_row_per_candidate_best_first(search):
    table = search_table(search)
    results = search.cv_results_
    assert len(table) == len(results["params"]) == 12
    assert list(table.columns[:3]) == [  # in the order of the pipeline's steps
        "otsuthresholder__threshold",
        "morphcloser__size",
        "areafilter__min_area",
    ]
    assert table.index[0] == search.best_index_
    assert (np.diff(table["rank_test_score"]) >= 0).all()
    for candidate, row in table.iterrows():
        assert row["mean_test_score"] == results["mean_test_score"][candidate]
        assert (
            row["morphcloser__size"]
            == results["params"][candidate]["morphcloser__size"]
        )
    assert sum(v is None for v in table["otsuthresholder__threshold"]) == 4  # learned


def test_search_table_multi_metric(search):
    multi = GridSearchCV(
        search.estimator,
        {"morphcloser__size": [1, 3]},
        cv=3,
        scoring={"mae": "neg_mean_absolute_error", "r2": "r2"},
        refit="mae",
    ).fit(*_data())
    table = search_table(multi)
    assert {"mean_test_mae", "rank_test_r2", "std_test_r2"} <= set(table.columns)
    assert table.index[0] == multi.best_index_


def _data():
    data = make_objects(n_images=6, shape=(64, 64), radius=(5, 7), random_state=2)
    return data.images, data.counts


def test_plot_search_heatmap_holds_the_scores_of_the_slice_through_the_best(search):
    ax = plot_search(search, x="size", y="threshold")
    image = ax.get_images()[0].get_array()
    assert image.shape == (3, 2)  # thresholds up, sizes across
    best = search.best_params_
    results = search.cv_results_
    thresholds, sizes = [None, 120, 140], [1, 3]
    for i, params in enumerate(results["params"]):
        if params["areafilter__min_area"] != best["areafilter__min_area"]:
            continue
        row = thresholds.index(params["otsuthresholder__threshold"])
        col = sizes.index(params["morphcloser__size"])
        assert image[row, col] == pytest.approx(results["mean_test_score"][i])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["learned", "120", "140"]
    assert "areafilter__min_area" in ax.get_title()
    assert len(ax.patches) == 1  # the best candidate's outline


def test_plot_search_line_for_one_parameter(search):
    ax = plot_search(search, x="morphcloser__size")
    line = ax.get_lines()[0]
    assert len(line.get_xdata()) == 2


def test_plot_search_defaults_to_the_first_two_varying_parameters(search):
    ax = plot_search(search)
    assert ax.get_xlabel() == "otsuthresholder__threshold"
    assert ax.get_ylabel() == "morphcloser__size"


def test_unknown_names_are_refused(search):
    with pytest.raises(ValueError, match="'radius' names none"):
        plot_search(search, x="radius")
    with pytest.raises(ValueError, match="metric='f1' is not a score"):
        plot_search(search, metric="f1")


def test_bad_arguments_name_the_function_and_parameter(search):
    match = "'search' parameter of search_table must be a fitted search"
    with pytest.raises(InvalidParameterError, match=match):
        search_table(sks.ObjectCounter())
    with pytest.raises(InvalidParameterError, match="'x' parameter of plot_search"):
        plot_search(search, x=1)
    with pytest.raises(InvalidParameterError, match="'ax' parameter of plot_search"):
        plot_search(search, ax="axes")


def test_missing_optional_dependencies_name_the_extra(search, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'sksegment\[plot\]'"):
        plot_search(search)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(
        ImportError, match=r"search_table needs pandas.*sksegment\[pandas\]"
    ):
        search_table(search)
