"""Metrics and scorers for counting and segmenting objects in batches of images.

Every function here scores a whole batch at once.  A batch of label images
is an ndarray ``(n_images, ...)`` or a list of 2D or 3D arrays whose
shapes may differ; the true and the predicted batch hold as many images, and
each predicted image has the shape of its true image.  A label image is an
integer array: 0 is the background, every other value is the id of one
object (ids need not be sequential, and must not be negative).  A bool image
is a mask, read as its connected components at full connectivity (8
neighbours in 2D, 26 in 3D), as ``skimage.measure.label`` reads it.  Float
images are refused: cast ids with ``.astype(int)``, or compare with 0 for a
mask.

Counts
    :func:`count_error` compares counts per image: mean absolute error,
    signed bias, relative error and the fraction of images counted exactly.

Objects
    :func:`object_matching` pairs the true and predicted objects of each image
    one-to-one.  A true and a predicted object can be paired when their
    intersection over union (IoU, the pixels they share over the pixels of
    either) is at least the threshold ``iou``.  Among the possible pairings
    the one with the most pairs is taken, and among those the one with the
    largest total IoU.  Paired objects are true positives (``tp``), unpaired
    predicted objects false positives (``fp``), unpaired true objects false
    negatives (``fn``), and

    - ``precision = tp / (tp + fp)``, ``recall = tp / (tp + fn)``,
    - ``f1 = 2 tp / (2 tp + fp + fn)``,
    - ``accuracy = tp / (tp + fp + fn)``: StarDist's "accuracy" [1]_, which
      Cellpose reports as "average precision" [2]_ (it is not the area under
      a precision-recall curve),
    - ``mean_iou``: the mean IoU of the paired objects,
    - ``panoptic_quality = sum of the paired IoUs / (tp + fp / 2 + fn / 2)``,
      the panoptic quality of Kirillov et al. [3]_ for one class of objects,
      ``mean_iou * f1``.

Pixels
    :func:`dice` and :func:`jaccard` compare the foregrounds (nonzero pixels)
    and ignore how they are split into objects; :func:`adapted_rand_error`
    [4]_ and :func:`variation_of_information` [5]_ compare the partitions into
    objects and are computed by scikit-image, image by image.

Model selection
    scikit-learn has no public way to add names to the strings accepted by
    ``scoring=``, so this module gives scorer objects to pass instead:
    :func:`make_count_scorer` for pipelines that predict counts and
    :func:`make_segmentation_scorer` for pipelines that output label images or
    masks.  Both follow scikit-learn's rule that greater is better (error
    metrics are negated), pickle, and mix in multi-metric dicts::

        scoring = {"f1": make_segmentation_scorer("f1"), "mae": make_count_scorer()}
        GridSearchCV(pipe, grid, scoring=scoring, refit="f1")

References
----------
.. [1] U. Schmidt, M. Weigert, C. Broaddus and G. Myers, "Cell Detection with
   Star-Convex Polygons", MICCAI 2018, LNCS 11071, pp. 265-273.
   https://doi.org/10.1007/978-3-030-00934-2_30
.. [2] C. Stringer, T. Wang, M. Michaelos and M. Pachitariu, "Cellpose: a
   generalist algorithm for cellular segmentation", Nature Methods 18,
   pp. 100-106, 2021. https://doi.org/10.1038/s41592-020-01018-x
.. [3] A. Kirillov, K. He, R. Girshick, C. Rother and P. Dollar, "Panoptic
   Segmentation", CVPR 2019, pp. 9404-9413.
.. [4] I. Arganda-Carreras, S. C. Turaga, D. R. Berger et al., "Crowdsourcing
   the creation of image segmentation algorithms for connectomics", Frontiers
   in Neuroanatomy 9:142, 2015. https://doi.org/10.3389/fnana.2015.00142
.. [5] M. Meila, "Comparing clusterings - an information based distance",
   Journal of Multivariate Analysis 98(5), pp. 873-895, 2007.
   https://doi.org/10.1016/j.jmva.2006.11.013

Examples
--------
>>> import numpy as np
>>> from sksegment.metrics import object_matching
>>> true = np.array([[[1, 1, 0, 2, 2],
...                   [1, 1, 0, 2, 2]]])
>>> pred = np.array([[[7, 7, 0, 0, 0],
...                   [7, 7, 0, 0, 9]]])
>>> result = object_matching(true, pred)
>>> result["tp"], result["fp"], result["fn"], result["f1"]
(1, 1, 1, 0.5)
"""

from numbers import Integral, Real

import numpy as np
import skimage.metrics
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from sklearn.pipeline import Pipeline as _SklearnPipeline
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.validation import check_array, check_consistent_length

from sksegment import _kernels
from sksegment._batch import image_list
from sksegment._docstrings import fill_doc
from sksegment._validation import SequenceOf, StrictInterval, label_image

__all__ = [
    "adapted_rand_error",
    "count_error",
    "dice",
    "jaccard",
    "make_count_scorer",
    "make_segmentation_scorer",
    "object_matching",
    "variation_of_information",
]

_COUNT_METRICS = ("mae", "bias", "relative_error", "exact_match")
_OBJECT_METRICS = (
    "precision",
    "recall",
    "f1",
    "accuracy",
    "mean_iou",
    "panoptic_quality",
)
_PIXEL_METRICS = ("dice", "jaccard", "adapted_rand_error", "variation_of_information")
_AVERAGES = ("micro", "macro")

# Parameter constraints shared by the metrics and the scorers.
_PAIR_CONSTRAINTS = {"true_labels": ["array-like"], "pred_labels": ["array-like"]}
_IOU = StrictInterval(Real, 0, 1, closed="right")
_IOU_CONSTRAINTS = [_IOU, SequenceOf(_IOU, min_length=1, arrays=True)]
_AVERAGE_CONSTRAINTS = [StrOptions(set(_AVERAGES))]
_IGNORE_LABELS_CONSTRAINTS = [
    SequenceOf(
        StrictInterval(Integral, None, None, closed="neither"),
        arrays=True,
        what="an int",
    )
]


# --- validation --------------------------------------------------------------


def _label_pairs(true_labels, pred_labels, func, *, label_masks=True):
    """Validated (true, pred) pairs of label images, in batch order."""
    true = image_list(true_labels, func, "true_labels")
    pred = image_list(pred_labels, func, "pred_labels")
    masks = "label" if label_masks else "keep"
    if len(true) != len(pred):
        raise ValueError(
            f"{func}: true_labels and pred_labels must hold as many images; got "
            f"{len(true)} and {len(pred)}."
        )
    for i, (t, p) in enumerate(zip(true, pred)):
        if t.shape != p.shape:
            raise ValueError(
                f"{func}: image {i} has shape {t.shape} in true_labels but "
                f"{p.shape} in pred_labels; paired images must have the same shape."
            )
    return [
        (
            label_image(t, func, where=f"image {i} of true_labels", masks=masks),
            label_image(p, func, where=f"image {i} of pred_labels", masks=masks),
        )
        for i, (t, p) in enumerate(zip(true, pred))
    ]


def _compact(labels, ignore_labels=()):
    """Label image with ids made dense, and ``ignore_labels`` renumbered alike.

    scikit-image's contingency table has a row per id up to the largest, so
    sparse ids (up to 2**41, say) are renumbered first, in order, 0 kept as
    0: the partition of the pixels, and so every score of it, is the same,
    at a cost bounded by the pixels.  Ids that index a table of at most four
    times the pixels are left as they are.
    """
    top = int(labels.max()) if labels.size else 0
    if _kernels.ids_fit_table(labels, top):
        return labels, ignore_labels
    ids, inverse = np.unique(labels.reshape(-1), return_inverse=True)
    shift = 0 if ids[0] == 0 else 1  # 0 stays 0; else no pixel is 0
    dense = (inverse + shift).reshape(labels.shape)
    ignored = []  # ids without a pixel are dropped: they ignore nothing
    for label in ignore_labels:
        if 0 <= int(label) <= int(ids[-1]):
            position = int(np.searchsorted(ids, ids.dtype.type(label)))
            if ids[position] == label:
                ignored.append(position + shift)
    return dense, ignored


def _thresholds(iou):
    """The IoU thresholds as a 1D float array, and whether one number was given."""
    thresholds = np.asarray(iou, dtype=float)
    return thresholds.reshape(-1), thresholds.ndim == 0


def _check_counts(y, func, name):
    y = check_array(y, ensure_2d=False, dtype="numeric", input_name=name)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{func} expects {name} to be 1D, one count per image; got an array of "
            f"shape {y.shape}."
        )
    if (y < 0).any():
        raise ValueError(
            f"{func} expects counts >= 0; {name} has {y.min()} at index "
            f"{int(np.argmin(y))}."
        )
    return y


def _ratio(num, den):
    """``num / den`` elementwise, 1.0 where ``den`` is 0 (nothing to get wrong)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.ones(np.broadcast(num, den).shape), where=den > 0)


# --- counts ------------------------------------------------------------------


@validate_params(
    {"y_true": ["array-like"], "y_pred": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def count_error(y_true, y_pred):
    """Compare predicted object counts with true counts.

    Parameters
    ----------
    y_true : array-like of shape (n_images,)
        True number of objects in each image, >= 0.
    y_pred : array-like of shape (n_images,)
        Predicted numbers, >= 0 (they may be floats).

    Returns
    -------
    errors : dict
        ``"mae"``
            Mean absolute error, ``mean(|y_pred - y_true|)``.
        ``"bias"``
            Mean signed error, ``mean(y_pred - y_true)``: positive when the
            prediction counts too many objects on average, negative when too
            few.
        ``"relative_error"``
            ``mean(|y_pred - y_true| / max(y_true, 1))``: the absolute error
            relative to the true count, with images of no true object
            weighed as images of one (so the error stays finite: predicting 2
            objects where there are none is an error of 2).
        ``"exact_match"``
            Fraction of images whose count is exactly right, in [0, 1].

        All values are floats.

    See Also
    --------
    make_count_scorer : These errors as scorers for model selection.
    sklearn.metrics.mean_absolute_error : The ``"mae"`` entry alone.

    Examples
    --------
    >>> from sksegment.metrics import count_error
    >>> count_error([3, 0, 5, 4], [3, 1, 4, 6])
    {'mae': 1.0, 'bias': 0.5, 'relative_error': 0.425, 'exact_match': 0.25}
    """
    func = "count_error"
    y_true = _check_counts(y_true, func, "y_true")
    y_pred = _check_counts(y_pred, func, "y_pred")
    try:
        check_consistent_length(y_true, y_pred)
    except ValueError as exc:
        raise ValueError(
            f"{func}: y_true and y_pred must have one count per image each; {exc}"
        ) from None
    diff = y_pred.astype(float) - y_true
    return {
        "mae": float(np.mean(np.abs(diff))),
        "bias": float(np.mean(diff)),
        "relative_error": float(np.mean(np.abs(diff) / np.maximum(y_true, 1))),
        "exact_match": float(np.mean(diff == 0)),
    }


# --- objects -----------------------------------------------------------------


def _objects(labels):
    """The nonzero ids of a label image (sorted), their areas, and an id lookup.

    The lookup is a table from id to position in ``ids`` when ids are small
    enough to index one, else None (positions are then found by search).
    """
    top = int(labels.max())
    ids, areas = _kernels.object_areas(labels, top)
    if not _kernels.ids_fit_table(labels, top):
        return ids, areas, None
    lookup = np.zeros(top + 1, dtype=np.intp)
    lookup[ids] = np.arange(ids.size)
    return ids, areas, lookup


def _positions(values, ids, lookup):
    return lookup[values] if lookup is not None else np.searchsorted(ids, values)


def _overlaps(true, pred):
    """Object counts and the IoU of every overlapping pair of one image pair.

    Returns ``(n_true, n_pred, rows, cols, iou)``: the pairs are the true
    object ``rows[k]`` and the predicted object ``cols[k]`` (positions among
    the sorted ids), pairs that share no pixel left out.
    """
    ids_t, area_t, lookup_t = _objects(true)
    ids_p, area_p, lookup_p = _objects(pred)
    n_t, n_p = ids_t.size, ids_p.size
    if n_t == 0 or n_p == 0:
        empty = np.zeros(0, dtype=np.intp)
        return n_t, n_p, empty, empty, np.zeros(0)
    both = np.logical_and(true, pred).reshape(-1)
    rows = _positions(true.reshape(-1)[both], ids_t, lookup_t)
    cols = _positions(pred.reshape(-1)[both], ids_p, lookup_p)
    pairs = rows * n_p + cols
    if n_t * n_p <= 4 * pairs.size + 4096:
        counts = np.bincount(pairs, minlength=n_t * n_p)
        pairs = np.flatnonzero(counts)
        shared = counts[pairs]
    else:
        pairs, shared = np.unique(pairs, return_counts=True)
    rows, cols = np.divmod(pairs, n_p)
    iou = shared / (area_t[rows] + area_p[cols] - shared)
    return n_t, n_p, rows, cols, iou


def _assign(rows, cols, iou):
    """Most pairs, then the largest total IoU, among candidate pairs.

    Solved with ``linear_sum_assignment`` on each connected group of
    candidates.  Returns the number of pairs kept and their total IoU.
    """
    row_ids, r = np.unique(rows, return_inverse=True)
    col_ids, c = np.unique(cols, return_inverse=True)
    n = row_ids.size + col_ids.size
    graph = coo_array((np.ones(r.size), (r, row_ids.size + c)), shape=(n, n))
    n_groups, group = connected_components(graph, directed=False)
    edge_group = group[r]
    order = np.argsort(edge_group, kind="stable")
    bounds = np.searchsorted(edge_group[order], np.arange(n_groups + 1))
    tp, total = 0, 0.0
    for start, stop in zip(bounds[:-1], bounds[1:]):
        edges = order[start:stop]
        gr_ids, gr = np.unique(r[edges], return_inverse=True)
        gc_ids, gc = np.unique(c[edges], return_inverse=True)
        scores = np.zeros((gr_ids.size, gc_ids.size))
        scores[gr, gc] = iou[edges]
        # Each pair weighs 1 plus its IoU / (2 m): m pairs at most, so the
        # IoUs add less than 1 and never outweigh one pair more.
        m = min(gr_ids.size, gc_ids.size)
        weights = np.zeros_like(scores)
        weights[gr, gc] = 1.0 + iou[edges] / (2 * m)
        i, j = linear_sum_assignment(weights, maximize=True)
        kept = weights[i, j] > 0
        tp += int(np.count_nonzero(kept))
        total += float(scores[i[kept], j[kept]].sum())
    return tp, total


def _match(n_t, n_p, rows, cols, iou, threshold):
    """Number of matched pairs and their total IoU at one threshold."""
    keep = iou >= threshold
    rows, cols, iou = rows[keep], cols[keep], iou[keep]
    if threshold > 0.5 or rows.size == 0:
        # Above 0.5 an object has at most one partner: if A had two, B and C,
        # it would share more than half its pixels with each.
        return rows.size, float(iou.sum())
    alone = (np.bincount(rows, minlength=n_t)[rows] == 1) & (
        np.bincount(cols, minlength=n_p)[cols] == 1
    )
    tp, total = int(np.count_nonzero(alone)), float(iou[alone].sum())
    if not alone.all():
        rest = ~alone
        more, extra = _assign(rows[rest], cols[rest], iou[rest])
        tp, total = tp + more, total + extra
    return tp, total


def _object_scores(tp, fp, fn, total):
    """The ratio metrics of object matching, elementwise."""
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    errors = fp + fn
    mean_iou = np.divide(total, tp, out=np.where(errors > 0, 0.0, 1.0), where=tp > 0)
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + errors),
        "accuracy": _ratio(tp, tp + errors),
        "mean_iou": mean_iou,
        "panoptic_quality": _ratio(total, tp + errors / 2),
    }


@validate_params(
    {
        "true_labels": ["array-like"],
        "pred_labels": ["array-like"],
        "iou": _IOU_CONSTRAINTS,
        "average": _AVERAGE_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def object_matching(true_labels, pred_labels, iou=0.5, average="micro"):
    """Match true and predicted objects one-to-one and score the matching.

    In each image, a true and a predicted object may be matched when their
    intersection over union is at least ``iou`` (inclusive).  The matching
    has the most pairs possible, and among those the largest total IoU.

    Parameters
    ----------
    true_labels : ndarray of shape (n_images, ...) or list of ndarray
        True label images (0 is the background; ids need not be sequential)
        or bool masks, read as their connected components at full
        connectivity.
    pred_labels : ndarray of shape (n_images, ...) or list of ndarray
        Predicted label images or masks, one per true image, of its shape.
    iou : float or sequence of float, default=0.5
        Smallest IoU of a matched pair, in (0, 1] (inclusive).  A sequence,
        such as ``np.arange(0.5, 1.0, 0.05)``, scores at each threshold.
    average : {"micro", "macro"}, default="micro"
        ``"micro"`` pools the counts (and the IoUs of matched pairs) of all
        images, then computes the ratios; ``"macro"`` computes the ratios of
        each image, then averages them, so that every image weighs the same
        whatever its number of objects.  ``tp``, ``fp`` and ``fn`` are totals
        over the batch either way.

    Returns
    -------
    result : dict
        ``"tp"``, ``"fp"``, ``"fn"`` (ints): matched pairs, unmatched
        predicted objects and unmatched true objects, over the batch;
        ``"precision"``, ``"recall"``, ``"f1"``, ``"accuracy"``,
        ``"mean_iou"``, ``"panoptic_quality"`` (floats), defined in Notes.

        With a sequence of thresholds, every one of these is a 1D array with
        one entry per threshold, in the order given; ``result["threshold"]``
        holds the thresholds, and ``result["mean"]`` is a dict with the mean
        over the thresholds of each entry (floats).

    See Also
    --------
    make_segmentation_scorer : These metrics as scorers for model selection.
    dice, jaccard : Overlap of the foregrounds, whatever the objects.

    Notes
    -----
    The metrics, from the counts ``tp``, ``fp``, ``fn`` and the IoUs of the
    matched pairs:

    - ``precision = tp / (tp + fp)``, ``recall = tp / (tp + fn)``;
    - ``f1 = 2 tp / (2 tp + fp + fn)``;
    - ``accuracy = tp / (tp + fp + fn)``, called "accuracy" by StarDist
      (Schmidt et al., 2018) and "average precision" by Cellpose (Stringer
      et al., 2021), which report it at several IoU thresholds;
    - ``mean_iou``: the mean IoU of the matched pairs;
    - ``panoptic_quality = (sum of the matched IoUs) / (tp + fp/2 + fn/2)``,
      the panoptic quality of Kirillov et al. (2019) for one class, equal to
      ``mean_iou * f1`` (the macro average averages these products).
      Kirillov et al. match pairs of IoU above 0.5; ``iou=0.5`` here also
      matches pairs of IoU exactly 0.5.

    Empty cases give numbers, never warnings.  A ratio whose denominator is
    0 is 1.0, as with scikit-learn's ``zero_division=1.0``: nothing could go
    wrong.  So an image with no true and no predicted object scores 1.0 on
    every metric; with no predicted object, precision is 1.0 while recall,
    f1, accuracy and panoptic quality are 0.0; with no true object, recall is
    1.0 and the others 0.0.  ``mean_iou`` is 1.0 when there is no object at
    all and 0.0 when there are objects but no matched pair.  (StarDist's
    ``matching`` gives 0.0 whenever ``tp`` is 0, empty images included;
    otherwise the values agree.)

    Overlaps are counted with ``np.bincount`` over the pixels that are
    foreground in both images.  Above an IoU of 0.5 an object has at most one
    possible partner, and the pairs are read off directly; otherwise
    ``scipy.optimize.linear_sum_assignment`` resolves each group of competing
    pairs.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.metrics import object_matching
    >>> true = np.array([[[1, 1, 1, 0, 0, 0],
    ...                   [1, 1, 1, 0, 2, 2],
    ...                   [0, 0, 0, 0, 2, 2]]])
    >>> pred = np.array([[[5, 5, 0, 0, 0, 0],
    ...                   [5, 5, 0, 0, 8, 8],
    ...                   [0, 0, 0, 0, 8, 8]]])
    >>> result = object_matching(true, pred)
    >>> result["tp"], result["fp"], result["fn"]
    (2, 0, 0)
    >>> result["mean_iou"]  # IoUs 4/6 and 1
    0.8333...
    >>> result = object_matching(true, pred, iou=[0.5, 0.9])
    >>> result["tp"], result["f1"]
    (array([2, 1]), array([1. , 0.5]))
    >>> result["mean"]["f1"]
    0.75
    """
    func = "object_matching"
    thresholds, scalar = _thresholds(iou)
    pairs = _label_pairs(true_labels, pred_labels, func)
    shape = (len(pairs), thresholds.size)
    tp = np.zeros(shape, dtype=np.int64)
    total = np.zeros(shape)
    n_true = np.zeros((len(pairs), 1), dtype=np.int64)
    n_pred = np.zeros((len(pairs), 1), dtype=np.int64)
    for k, (true, pred) in enumerate(pairs):
        n_t, n_p, rows, cols, ious = _overlaps(true, pred)
        n_true[k], n_pred[k] = n_t, n_p
        for m, threshold in enumerate(thresholds):
            tp[k, m], total[k, m] = _match(n_t, n_p, rows, cols, ious, threshold)
    fp, fn = n_pred - tp, n_true - tp
    if average == "micro":
        scores = _object_scores(tp.sum(0), fp.sum(0), fn.sum(0), total.sum(0))
    else:
        scores = {
            key: value.mean(axis=0)
            for key, value in _object_scores(tp, fp, fn, total).items()
        }
    result = {"tp": tp.sum(0), "fp": fp.sum(0), "fn": fn.sum(0), **scores}
    if scalar:
        return {key: value[0].item() for key, value in result.items()}
    means = {key: float(value.mean()) for key, value in result.items()}
    return {"threshold": thresholds, **result, "mean": means}


# --- pixels ------------------------------------------------------------------


def _foreground_overlaps(true_labels, pred_labels, func):
    """Per image: foreground pixels shared, true and predicted."""
    pairs = _label_pairs(true_labels, pred_labels, func, label_masks=False)
    sizes = np.array(
        [
            (
                np.count_nonzero(np.logical_and(true, pred)),
                np.count_nonzero(true),
                np.count_nonzero(pred),
            )
            for true, pred in pairs
        ],
        dtype=float,
    )
    return sizes[:, 0], sizes[:, 1], sizes[:, 2]


def _pixel_score(true_labels, pred_labels, average, func, score):
    shared, n_true, n_pred = _foreground_overlaps(true_labels, pred_labels, func)
    if average == "micro":
        return float(score(shared.sum(), n_true.sum(), n_pred.sum()))
    return float(np.mean(score(shared, n_true, n_pred)))


@validate_params(
    {**_PAIR_CONSTRAINTS, "average": _AVERAGE_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
@fill_doc
def dice(true_labels, pred_labels, average="micro"):
    """Dice coefficient of the foregrounds: ``2 |T & P| / (|T| + |P|)``.

    ``T`` and ``P`` are the foreground (nonzero) pixels of the true and the
    predicted images; how they split into objects does not matter.

    Parameters
    ----------
    %(foreground_pair)s

    Returns
    -------
    dice : float
        In [0, 1]; 1.0 when both foregrounds are empty.

    See Also
    --------
    jaccard : Intersection over union of the foregrounds.
    object_matching : Scores that see the objects.

    Notes
    -----
    The Dice coefficient is the F1 score of the pixels:
    ``sklearn.metrics.f1_score(true.ravel() != 0, pred.ravel() != 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.metrics import dice
    >>> true = np.array([[[1, 1, 0, 0]], [[0, 0, 0, 0]]])
    >>> pred = np.array([[[0, 2, 2, 0]], [[0, 0, 0, 0]]])
    >>> dice(true, pred)
    0.5
    >>> dice(true, pred, average="macro")  # the empty pair scores 1.0
    0.75
    """
    return _pixel_score(
        true_labels,
        pred_labels,
        average,
        "dice",
        lambda shared, t, p: _ratio(2 * shared, t + p),
    )


@validate_params(
    {**_PAIR_CONSTRAINTS, "average": _AVERAGE_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
@fill_doc
def jaccard(true_labels, pred_labels, average="micro"):
    """Jaccard index of the foregrounds: ``|T & P| / |T | P|``.

    ``T`` and ``P`` are the foreground (nonzero) pixels of the true and the
    predicted images; how they split into objects does not matter.

    Parameters
    ----------
    %(foreground_pair)s

    Returns
    -------
    jaccard : float
        In [0, 1]; 1.0 when both foregrounds are empty.

    See Also
    --------
    dice : Dice coefficient of the foregrounds.
    object_matching : Scores that see the objects.

    Notes
    -----
    Equal to ``sklearn.metrics.jaccard_score(true.ravel() != 0,
    pred.ravel() != 0)``, the IoU of the foregrounds.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.metrics import jaccard
    >>> true = np.array([[[1, 1, 0, 0]], [[0, 0, 0, 0]]])
    >>> pred = np.array([[[0, 2, 2, 0]], [[0, 0, 0, 0]]])
    >>> jaccard(true, pred)
    0.333...
    """
    return _pixel_score(
        true_labels,
        pred_labels,
        average,
        "jaccard",
        lambda shared, t, p: _ratio(shared, t + p - shared),
    )


def _mean_over_images(values):
    """Mean of the values that are defined (not nan); nan when none is."""
    values = np.asarray(values, dtype=float)
    defined = ~np.isnan(values)
    return float(values[defined].mean()) if defined.any() else float("nan")


@validate_params(
    {**_PAIR_CONSTRAINTS, "ignore_labels": _IGNORE_LABELS_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
@fill_doc
def adapted_rand_error(true_labels, pred_labels, *, ignore_labels=(0,)):
    """Mean adapted Rand error of the images, by scikit-image.

    For each image, the first value returned by
    ``skimage.metrics.adapted_rand_error``: one minus the F-score of the
    pairs of pixels put in the same object by the truth and by the
    prediction.  0 is a perfect segmentation, 1 the worst.

    Parameters
    ----------
    %(labels_pair)s
    ignore_labels : sequence of int, default=(0,)
        Ids of the true images whose pixels are not scored, passed to
        scikit-image; by default the true background is ignored.

    Returns
    -------
    error : float
        The mean over the images where the error is defined.

    See Also
    --------
    skimage.metrics.adapted_rand_error : The error of one image.
    variation_of_information : Another score of the partitions.

    Notes
    -----
    The error is undefined for an image whose truth has no two scored pixels
    in the same object (no true object, say), where scikit-image divides 0
    by 0.  Such images are left out of the mean, without a warning; when no
    image is left the result is nan.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.metrics import adapted_rand_error
    >>> true = np.array([[[1, 1, 0, 2, 2]]])
    >>> adapted_rand_error(true, true)
    0.0
    >>> adapted_rand_error(true, np.array([[[1, 1, 0, 1, 1]]]))  # a merge
    0.5
    """
    pairs = _label_pairs(true_labels, pred_labels, "adapted_rand_error")
    errors = []
    for true, pred in pairs:
        true, ignored = _compact(true, ignore_labels)
        with np.errstate(divide="ignore", invalid="ignore"):
            errors.append(
                skimage.metrics.adapted_rand_error(
                    true, _compact(pred)[0], ignore_labels=ignored
                )[0]
            )
    return _mean_over_images(errors)


@validate_params(
    {**_PAIR_CONSTRAINTS, "ignore_labels": _IGNORE_LABELS_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
@fill_doc
def variation_of_information(true_labels, pred_labels, *, ignore_labels=()):
    """Mean variation of information of the images, by scikit-image.

    For each image, the sum of the two conditional entropies returned by
    ``skimage.metrics.variation_of_information``: ``H(pred | true)``, which
    grows as objects are split, plus ``H(true | pred)``, which grows as
    objects are merged (in bits).  0 is a perfect segmentation.

    Parameters
    ----------
    %(labels_pair)s
    ignore_labels : sequence of int, default=()
        Ids of the true images whose pixels are not scored, passed to
        scikit-image; by default the background is a segment like the
        others.

    Returns
    -------
    vi : float
        The mean over the images; images with no scored pixel are left out
        (nan when no image is left).

    See Also
    --------
    skimage.metrics.variation_of_information : The two entropies of one
        image, for splits and merges apart.
    adapted_rand_error : Another score of the partitions.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.metrics import variation_of_information
    >>> true = np.array([[[1, 1, 2, 2]]])
    >>> variation_of_information(true, true)
    0.0
    >>> variation_of_information(true, np.array([[[1, 1, 1, 1]]]))  # a merge
    1.0
    """
    pairs = _label_pairs(true_labels, pred_labels, "variation_of_information")
    values = []
    for true, pred in pairs:
        true, ignored = _compact(true, ignore_labels)
        with np.errstate(divide="ignore", invalid="ignore"):
            values.append(
                skimage.metrics.variation_of_information(
                    true, _compact(pred)[0], ignore_labels=ignored
                ).sum()
            )
    return _mean_over_images(values)


# --- scorers -----------------------------------------------------------------


def _true_counts(y, func):
    """Counts from ``y``: counts as given, or counted in label images."""
    if isinstance(y, (list, tuple)):
        images = len(y) > 0 and np.ndim(y[0]) >= 2
    else:
        images = np.ndim(y) >= 3
    if not images:
        return y
    counts = []
    for i, image in enumerate(image_list(y, func, "y")):
        objects = label_image(image, func, where=f"image {i} of y", masks="keep")
        if objects.dtype == bool:
            counts.append(_kernels.count_mask(objects, None))
        else:
            counts.append(_kernels.count_labels(objects))
    return np.array(counts, dtype=np.int64)


def _check_target(y, func, what):
    if y is None:
        raise ValueError(
            f"{func}: the scorer compares with the truth and needs y, the "
            f"{what}; got y=None."
        )


def _predicted_labels(estimator, X, func):
    """The label images or masks an estimator outputs for X."""
    if hasattr(estimator, "transform"):
        return estimator.transform(X)
    if isinstance(estimator, _SklearnPipeline) and len(estimator) > 1:
        return estimator[:-1].transform(X)
    raise TypeError(
        f"{func}: the scorer needs label images or masks, from the estimator's "
        f"transform (or, for a Pipeline, from the steps before its last); "
        f"{type(estimator).__name__} has no transform method."
    )


class _CountScorer:
    """Score an estimator's predicted counts; made by :func:`make_count_scorer`."""

    def __init__(self, metric):
        self.metric = metric

    def __call__(self, estimator, X, y=None):
        """Score ``estimator.predict(X)`` against ``y``, greater is better.

        Parameters
        ----------
        estimator : estimator
            A fitted estimator predicting counts, such as a pipeline ending
            with ``ObjectCounter``.
        X : ndarray or list of ndarray
            The images.
        y : array-like of shape (n_images,), ndarray or list of ndarray, \
                default=None
            True counts, or true label images (or masks) whose objects are
            counted.  Required: None raises a ValueError.

        Returns
        -------
        score : float
            The metric, negated for errors: greater is better.
        """
        _check_target(y, "make_count_scorer", "true counts or label images")
        counts = _true_counts(y, "make_count_scorer")
        value = count_error(counts, estimator.predict(X))[self.metric]
        return value if self.metric == "exact_match" else 0.0 - abs(value)

    def __repr__(self):
        return f"make_count_scorer(metric={self.metric!r})"


class _SegmentationScorer:
    """Score an estimator's label images; made by :func:`make_segmentation_scorer`."""

    def __init__(self, metric, iou, average):
        self.metric = metric
        self.iou = iou
        self.average = average

    def __call__(self, estimator, X, y=None):
        """Score the label images the estimator outputs, greater is better.

        Parameters
        ----------
        estimator : estimator
            A fitted estimator whose ``transform`` outputs label images or
            masks, or a pipeline whose steps before the last do.
        X : ndarray or list of ndarray
            The images.
        y : ndarray or list of ndarray, default=None
            True label images or masks, one per image of ``X``.  Required:
            None raises a ValueError.

        Returns
        -------
        score : float
            The metric, negated for errors: greater is better.
        """
        _check_target(y, "make_segmentation_scorer", "true label images")
        pred = _predicted_labels(estimator, X, "make_segmentation_scorer")
        metric = self.metric
        if metric in _OBJECT_METRICS:
            result = object_matching(y, pred, iou=self.iou, average=self.average)
            return result["mean"][metric] if "mean" in result else result[metric]
        if metric == "dice":
            return dice(y, pred, average=self.average)
        if metric == "jaccard":
            return jaccard(y, pred, average=self.average)
        if metric == "adapted_rand_error":
            return -adapted_rand_error(y, pred)
        return -variation_of_information(y, pred)

    def __repr__(self):
        return (
            f"make_segmentation_scorer(metric={self.metric!r}, iou={self.iou!r}, "
            f"average={self.average!r})"
        )


@validate_params(
    {"metric": [StrOptions(set(_COUNT_METRICS))]},
    prefer_skip_nested_validation=True,
)
def make_count_scorer(metric="mae"):
    """Make a scorer of predicted counts, for ``scoring=`` in model selection.

    The scorer ``scorer(estimator, X, y)`` compares ``estimator.predict(X)``
    with the true counts, using :func:`count_error`, and follows
    scikit-learn's convention that greater is better.

    Parameters
    ----------
    metric : {"mae", "bias", "relative_error", "exact_match"}, default="mae"
        The entry of :func:`count_error` to score.  The score is ``-mae``,
        ``-|bias|`` (counting too many and too few are equally wrong),
        ``-relative_error``, or ``exact_match`` as it is.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` returns a float.  ``y`` holds the true
        counts (one per image), or the true label images (or masks), whose
        objects are then counted: the number of distinct nonzero ids of a
        label image, of connected components of a mask.  So a search scored
        on counts and on label images at once needs only label images.  The
        scorer pickles, so it works with ``n_jobs``.

    See Also
    --------
    count_error : The metrics.
    make_segmentation_scorer : Scorers of label images.

    Examples
    --------
    >>> import numpy as np
    >>> import sksegment as sks
    >>> from sksegment.metrics import make_count_scorer
    >>> images = np.zeros((2, 8, 8), dtype=np.uint8)
    >>> images[:, 1:3, 1:3] = images[0, 5:7, 5:7] = 200
    >>> pipe = sks.make_pipeline(
    ...     sks.OtsuThresholder(), sks.ComponentLabeler(), sks.ObjectCounter()
    ... ).fit(images)
    >>> scorer = make_count_scorer("mae")
    >>> scorer
    make_count_scorer(metric='mae')
    >>> scorer(pipe, images, [2, 2])
    -0.5

    With scikit-learn's model selection:

    >>> from sklearn.model_selection import cross_val_score
    >>> cross_val_score(pipe, images, [2, 1], cv=2,
    ...                 scoring=make_count_scorer("exact_match"))
    array([1., 1.])
    """
    return _CountScorer(metric)


@validate_params(
    {
        "metric": [StrOptions(set(_OBJECT_METRICS + _PIXEL_METRICS))],
        "iou": _IOU_CONSTRAINTS,
        "average": _AVERAGE_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def make_segmentation_scorer(metric="f1", iou=0.5, average="micro"):
    """Make a scorer of label images, for ``scoring=`` in model selection.

    The scorer ``scorer(estimator, X, y)`` compares the label images or
    masks the estimator outputs for ``X`` with the true label images ``y``,
    and follows scikit-learn's convention that greater is better.

    Parameters
    ----------
    metric : str, default="f1"
        An object metric of :func:`object_matching`: ``"precision"``,
        ``"recall"``, ``"f1"``, ``"accuracy"``, ``"mean_iou"`` or
        ``"panoptic_quality"``; or a pixel metric: ``"dice"``, ``"jaccard"``,
        ``"adapted_rand_error"`` or ``"variation_of_information"``, the last
        two negated so that greater is better.
    iou : float or sequence of float, default=0.5
        IoU threshold of the object metrics, in (0, 1] (inclusive); with a
        sequence the score is the mean over the thresholds.  Not used by the
        pixel metrics.
    average : {"micro", "macro"}, default="micro"
        How images are combined by the object metrics, ``"dice"`` and
        ``"jaccard"`` (see :func:`object_matching`); the other two are always
        means over images.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` returns a float.  The predicted label
        images are ``estimator.transform(X)``; for a ``Pipeline`` whose last
        step has no ``transform`` (a counting pipeline ending with
        ``ObjectCounter``), they are the output of the steps before it,
        ``estimator[:-1].transform(X)``, so one pipeline can be scored on its
        counts and on its objects in the same search.  Predicted masks are
        read as their connected components at full connectivity: end the
        pipeline with ``ComponentLabeler`` to choose.  The scorer pickles, so
        it works with ``n_jobs``.

    See Also
    --------
    object_matching : The object metrics.
    make_count_scorer : Scorers of counts.

    Examples
    --------
    >>> import numpy as np
    >>> import sksegment as sks
    >>> from sksegment.metrics import make_segmentation_scorer
    >>> images = np.zeros((2, 8, 8), dtype=np.uint8)
    >>> images[:, 1:4, 1:4] = images[:, 5:7, 5:7] = 200
    >>> truth = np.zeros((2, 8, 8), dtype=int)
    >>> truth[:, 1:4, 1:4] = 1
    >>> pipe = sks.make_pipeline(
    ...     sks.OtsuThresholder(), sks.ComponentLabeler(), sks.AreaFilter(),
    ...     sks.ObjectCounter()
    ... ).fit(images)
    >>> scorer = make_segmentation_scorer("precision")
    >>> scorer
    make_segmentation_scorer(metric='precision', iou=0.5, average='micro')
    >>> scorer(pipe, images, truth)
    0.5

    A search scored on objects and on counts, refitted on the first:

    >>> from sklearn.model_selection import GridSearchCV
    >>> from sksegment.metrics import make_count_scorer
    >>> scoring = {"f1": make_segmentation_scorer("f1"), "mae": make_count_scorer()}
    >>> search = GridSearchCV(pipe, {"areafilter__min_area": [None, 5]},
    ...                       scoring=scoring, refit="f1", cv=2)
    >>> search.fit(images, truth).best_params_
    {'areafilter__min_area': 5}
    >>> search.cv_results_["mean_test_mae"]
    array([-1.,  0.])
    """
    thresholds, scalar = _thresholds(iou)
    iou = float(thresholds[0]) if scalar else tuple(thresholds.tolist())
    return _SegmentationScorer(metric, iou, average)
