"""Look at a parameter search: its results as a table and as a picture.

Before trusting the parameters a search picked, look at how the score varies
over the grid: a sharp optimum at the edge of the grid, or many candidates
tied, says more than ``best_params_``.  These functions work with any
scikit-learn search (``GridSearchCV``, ``RandomizedSearchCV``,
``HalvingGridSearchCV``) and any scoring, single or multi-metric.
``search_table`` needs pandas (``pip install 'sksegment[pandas]'``) and
``plot_search`` matplotlib (``pip install 'sksegment[plot]'``).
"""

import numpy as np
from sklearn.utils._param_validation import HasMethods, validate_params

from sksegment._optional import import_optional
from sksegment._validation import HasAttributes

__all__ = ["plot_search", "search_table"]

_SEARCH = HasAttributes("cv_results_", what="a fitted search")


def _param_names(search):
    """The searched parameters, in the order of the pipeline's steps.

    scikit-learn sorts them by name; for a pipeline, the order of its steps
    reads better (threshold before closing size before area).
    """
    names = []
    for params in search.cv_results_["params"]:
        names.extend(name for name in params if name not in names)
    steps = [name for name, _ in getattr(search.estimator, "steps", [])]

    def position(name):
        prefix = name.split("__")[0]
        return steps.index(prefix) if prefix in steps else len(steps)

    return sorted(names, key=position)


def _metric(search, metric):
    """The scorer name whose ``mean_test_*`` column to read."""
    results = search.cv_results_
    available = sorted(
        k[len("mean_test_") :] for k in results if k.startswith("mean_test_")
    )
    if metric is None:
        refit = getattr(search, "refit", True)
        metric = refit if isinstance(refit, str) else available[0]
    if metric not in available:
        raise ValueError(
            f"plot_search: metric={metric!r} is not a score of this search; it "
            f"has {available}."
        )
    return metric


@validate_params({"search": [_SEARCH]}, prefer_skip_nested_validation=True)
def search_table(search):
    """The results of a fitted search as a tidy DataFrame, best first.

    One row per candidate, indexed by its position in ``cv_results_``; one
    column per searched parameter (its full name, such as
    ``"morphcloser__size"``; None values stay None) and the mean, standard
    deviation and rank of each score over the folds (``mean_test_score`` and
    so on, or one set per metric of a multi-metric search), with the mean fit
    and score times.

    Parameters
    ----------
    search : fitted GridSearchCV, RandomizedSearchCV or HalvingGridSearchCV
        The search.

    Returns
    -------
    table : pandas.DataFrame
        Sorted by the rank of the refit metric (or of the first metric).

    See Also
    --------
    plot_search : The same results as a heatmap or a line plot.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> import sksegment as sks
    >>> from sksegment.datasets import make_objects
    >>> from sksegment.inspection import search_table
    >>> data = make_objects(n_images=6, shape=(64, 64), radius=(5, 7), random_state=0)
    >>> pipe = sks.make_pipeline(sks.OtsuThresholder(), sks.MorphCloser(),
    ...                          sks.ComponentLabeler(), sks.AreaFilter(min_area=20),
    ...                          sks.ObjectCounter())
    >>> search = GridSearchCV(pipe, {"morphcloser__size": [1, 3]}, cv=2,
    ...                       scoring="neg_mean_absolute_error")
    >>> table = search_table(search.fit(data.images, data.counts))
    >>> list(table.columns[:3])
    ['morphcloser__size', 'mean_test_score', 'std_test_score']
    >>> int(table["morphcloser__size"].iloc[0])
    3
    """
    pd = import_optional("pandas", "search_table")
    results = search.cv_results_
    names = _param_names(search)
    columns = {}
    for name in names:
        values = [params.get(name) for params in results["params"]]
        # keep None (a threshold learned in fit) as None, not NaN
        dtype = object if any(v is None for v in values) else None
        columns[name] = pd.Series(values, dtype=dtype)
    table = pd.DataFrame(columns)
    table.index.name = "candidate"
    metrics = [
        key[len("mean_test_") :] for key in results if key.startswith("mean_test_")
    ]
    stats = ("mean_test_", "std_test_", "rank_test_", "mean_train_", "std_train_")
    keys = [stat + m for m in metrics for stat in stats] + [
        "mean_fit_time",
        "mean_score_time",
    ]
    for key in keys:
        if key in results:
            table[key] = np.asarray(results[key])
    return table.sort_values(f"rank_test_{_metric(search, None)}", kind="stable")


def _resolve(name, names):
    """A parameter named in full or by the part after the step's ``__``."""
    if name in names:
        return name
    matches = [n for n in names if n.endswith("__" + name)]
    if len(matches) != 1:
        raise ValueError(
            f"plot_search: {name!r} names none or several searched parameters: {names}."
        )
    return matches[0]


def _label(value):
    return "learned" if value is None else str(value)


@validate_params(
    {
        "search": [_SEARCH],
        "x": [str, None],
        "y": [str, None],
        "metric": [str, None],
        "ax": [HasMethods(["imshow", "plot"]), None],
    },
    prefer_skip_nested_validation=True,
)
def plot_search(search, x=None, y=None, *, metric=None, ax=None):
    """Plot the mean test score over one or two searched parameters.

    With two parameters, a heatmap (``x`` across, ``y`` up) with each cell's
    score written in it; with one, a line with the standard deviation over
    the folds as error bars.  The best candidate is outlined in red.  Other
    searched parameters are held at their values in the best candidate (a
    slice through it); cells no candidate covers are left blank.

    Parameters
    ----------
    search : fitted GridSearchCV, RandomizedSearchCV or HalvingGridSearchCV
        The search.
    x, y : str or None, default=None
        Parameter names, in full (``"morphcloser__size"``) or by the part
        after the step name (``"size"``) when that is unambiguous.  None
        takes the first (and second) parameter that varies; ``y=None`` with
        ``x`` given draws a line plot.
    metric : str or None, default=None
        The score to plot for a multi-metric search; None takes the refit
        metric.
    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    See Also
    --------
    search_table : The results as a table.

    Notes
    -----
    A parameter value of None, such as a threshold learned in ``fit``, is
    labeled "learned".

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.model_selection import GridSearchCV
    >>> import sksegment as sks
    >>> data = sks.datasets.make_objects(n_images=6, random_state=0)
    >>> pipe = sks.make_pipeline(
    ...     sks.OtsuThresholder(), sks.MorphCloser(), sks.ObjectCounter()
    ... )
    >>> grid = {"otsuthresholder__threshold": [100, 130], "morphcloser__size": [1, 5]}
    >>> search = GridSearchCV(pipe, grid, cv=2, scoring="neg_mean_absolute_error")
    >>> ax = sks.inspection.plot_search(search.fit(data.images, data.counts))
    >>> ax.get_xlabel()
    'otsuthresholder__threshold'
    """
    plt = import_optional("matplotlib.pyplot", "plot_search")
    results = search.cv_results_
    metric = _metric(search, metric)
    names = _param_names(search)
    varying = [n for n in names if len({repr(p.get(n)) for p in results["params"]}) > 1]
    if x is None:
        if not varying:
            raise ValueError("plot_search needs a searched parameter that varies.")
        x, y = varying[0], (varying[1] if len(varying) > 1 else None)
    x = _resolve(x, names)
    y = None if y is None else _resolve(y, names)
    axes = [x] if y is None else [x, y]
    best = (
        results["params"][search.best_index_] if hasattr(search, "best_index_") else {}
    )
    if not best:
        best = results["params"][int(np.argmin(results[f"rank_test_{metric}"]))]
    fixed = {n: best.get(n) for n in names if n not in axes}

    values = {a: [] for a in axes}
    for params in results["params"]:
        for a in axes:
            if repr(params.get(a)) not in map(repr, values[a]):
                values[a].append(params.get(a))
    shape = [len(values[a]) for a in reversed(axes)]
    means, stds = np.full(shape, np.nan), np.full(shape, np.nan)
    for i, params in enumerate(results["params"]):
        if any(repr(params.get(n)) != repr(v) for n, v in fixed.items()):
            continue
        cell = tuple(
            [repr(v) for v in values[a]].index(repr(params.get(a)))
            for a in reversed(axes)
        )
        means[cell] = results[f"mean_test_{metric}"][i]
        stds[cell] = results[f"std_test_{metric}"][i]
    best_cell = tuple(
        [repr(v) for v in values[a]].index(repr(best.get(a))) for a in reversed(axes)
    )

    if ax is None:
        _, ax = plt.subplots()
    if y is None:
        positions = np.arange(len(values[x]))
        ax.errorbar(positions, means, yerr=stds, marker="o", capsize=3)
        ax.plot(best_cell[0], means[best_cell], "s", mfc="none", mec="red", ms=14)
        ax.set_xticks(positions, [_label(v) for v in values[x]])
        ax.set_ylabel(f"mean test {metric}")
    else:
        image = ax.imshow(means, origin="lower", aspect="auto", cmap="viridis")
        ax.figure.colorbar(image, ax=ax, label=f"mean test {metric}")
        ax.set_xticks(np.arange(len(values[x])), [_label(v) for v in values[x]])
        ax.set_yticks(np.arange(len(values[y])), [_label(v) for v in values[y]])
        ax.set_ylabel(y)
        finite = means[np.isfinite(means)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0
        for (row, col), value in np.ndenumerate(means):
            if np.isfinite(value):
                color = "black" if value > middle else "white"
                ax.text(col, row, f"{value:.3g}", ha="center", va="center", color=color)
        row, col = best_cell
        ax.add_patch(
            plt.Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, ec="red", lw=2.5)
        )
    ax.set_xlabel(x)
    title = f"{type(search).__name__}: mean test {metric}"
    if fixed:
        title += "\n(" + ", ".join(f"{n}={_label(v)}" for n, v in fixed.items()) + ")"
    ax.set_title(title)
    return ax
