"""Metrics and scorers, against hand values, brute force and scikit-image."""

import itertools
import pickle

import numpy as np
import pytest
import skimage.metrics
from scipy.optimize import linear_sum_assignment
from skimage import filters, measure, morphology, segmentation
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.metrics import f1_score, jaccard_score
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    KFold,
    cross_validate,
)
from sklearn.utils._param_validation import InvalidParameterError

import sksegment as sks
from sksegment.datasets import make_objects
from sksegment.metrics import (
    adapted_rand_error,
    count_error,
    dice,
    jaccard,
    make_count_scorer,
    make_segmentation_scorer,
    object_matching,
    variation_of_information,
)

RATIOS = ("precision", "recall", "f1", "accuracy", "mean_iou", "panoptic_quality")

# --- count_error -------------------------------------------------------------


def test_count_error_hand_values():
    errors = count_error([3, 0, 5, 4], [3, 1, 4, 6])
    # differences 0, +1, -1, +2; relative: 0/3, 1/1 (0 counts as 1), 1/5, 2/4
    assert errors == {
        "mae": 1.0,
        "bias": 0.5,
        "relative_error": pytest.approx((0 + 1 + 0.2 + 0.5) / 4),
        "exact_match": 0.25,
    }
    assert count_error([2, 2], [1, 1])["bias"] == -1.0  # under-counting: negative
    assert count_error(np.array([[1], [2]]), [1, 2])["exact_match"] == 1.0


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        ([1, 2, 3], [1, 2], "y_true and y_pred must have one count per image"),
        ([[1, 2], [3, 4]], [1, 2], r"y_true to be 1D.*shape \(2, 2\)"),
        ([1, -2], [1, 2], "y_true has -2 at index 1"),
        ([1, 2], [1, np.nan], "NaN"),
    ],
)
def test_count_error_rejects_bad_counts(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        count_error(y_true, y_pred)


# --- object_matching on literal images ---------------------------------------


def _square(shape, top, left, side, value=1):
    image = np.zeros(shape, dtype=np.int32)
    image[top : top + side, left : left + side] = value
    return image


def test_shifted_square_has_the_iou_of_its_overlap():
    true = _square((10, 10), 2, 2, 4)[None]
    pred = _square((10, 10), 2, 3, 4)[None]  # shared 12 pixels, union 20
    result = object_matching(true, pred, iou=0.6)  # 0.6 itself matches: inclusive
    assert (result["tp"], result["fp"], result["fn"]) == (1, 0, 0)
    assert result["mean_iou"] == pytest.approx(0.6)
    assert result["panoptic_quality"] == pytest.approx(0.6)
    result = object_matching(true, pred, iou=0.61)
    assert (result["tp"], result["fp"], result["fn"]) == (0, 1, 1)
    assert result["f1"] == result["accuracy"] == result["mean_iou"] == 0.0


def test_two_images_count_and_ratios():
    true = np.stack([_square((12, 12), 1, 1, 4, 1) + _square((12, 12), 6, 6, 4, 2)] * 2)
    pred = np.zeros_like(true)
    pred[0] = np.roll(true[0], 1, axis=1)  # both shifted: IoU 12/20 = 0.6
    pred[1, 6:10, 6:10] = 5  # one exact, one missed, one spurious
    pred[1, 0:2, 9:12] = 6
    result = object_matching(true, pred)
    assert (result["tp"], result["fp"], result["fn"]) == (3, 1, 1)
    assert result["precision"] == result["recall"] == 0.75
    assert result["f1"] == 0.75
    assert result["accuracy"] == 0.6
    assert result["mean_iou"] == pytest.approx((0.6 + 0.6 + 1.0) / 3)
    assert result["panoptic_quality"] == pytest.approx(2.2 / 4)
    assert result["panoptic_quality"] == pytest.approx(
        result["mean_iou"] * result["f1"]
    )
    assert isinstance(result["tp"], int) and isinstance(result["f1"], float)


def test_optimal_matching_beats_greedy_at_low_thresholds():
    # 1 x 20 image: true A = [0, 10), B = [10, 20); pred P = [4, 14), Q = [0, 4)
    # IoU(A, P) = 6/14, IoU(A, Q) = 4/10, IoU(B, P) = 4/16 = 0.25.
    true = np.repeat([5, 9], 10)[None, None]
    pred = np.zeros((1, 1, 20), dtype=np.int64)
    pred[..., 4:14], pred[..., 0:4] = 3, 7
    low = object_matching(true, pred, iou=0.25)  # greedy on A-P would find 1 pair
    assert (low["tp"], low["fp"], low["fn"]) == (2, 0, 0)
    assert low["mean_iou"] == pytest.approx((0.4 + 0.25) / 2)
    mid = object_matching(true, pred, iou=0.3)  # one pair: the larger IoU wins
    assert (mid["tp"], mid["fp"], mid["fn"]) == (1, 1, 1)
    assert mid["mean_iou"] == pytest.approx(6 / 14)


def test_more_pairs_win_over_a_larger_total_iou():
    # true A = [0, 20), B = [20, 40); pred P = [5, 22), Q = [0, 2)
    # IoU(A, P) = 15/22, IoU(A, Q) = 2/20, IoU(B, P) = 2/35
    true = np.repeat([1, 2], 20)[None, None]
    pred = np.zeros((1, 1, 40), dtype=np.int64)
    pred[..., 5:22], pred[..., 0:2] = 1, 2
    result = object_matching(true, pred, iou=0.05)
    assert (result["tp"], result["fp"], result["fn"]) == (2, 0, 0)
    assert result["mean_iou"] == pytest.approx((2 / 20 + 2 / 35) / 2)


def test_exact_ties_at_half_match_one_object():
    true = np.array([[[0, 1, 1, 1, 1, 0]]])
    pred = np.array([[[0, 2, 2, 3, 3, 0]]])  # two halves: IoU exactly 0.5 each
    result = object_matching(true, pred, iou=0.5)
    assert (result["tp"], result["fp"], result["fn"]) == (1, 1, 0)
    assert result["mean_iou"] == 0.5
    assert object_matching(pred, true, iou=0.5)["tp"] == 1
    assert object_matching(true, pred, iou=0.500001)["tp"] == 0


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int64, np.uint64])
def test_ids_need_not_be_sequential(dtype):
    true = np.array([[[1, 1, 0, 2, 2], [1, 1, 0, 2, 2], [0, 0, 0, 0, 3]]])
    pred = np.array([[[1, 1, 0, 2, 0], [1, 0, 0, 2, 2], [0, 3, 0, 0, 0]]])
    expected = object_matching(true, pred, iou=[0.2, 0.5, 0.8])
    # the largest ids of small types; ids too sparse for a lookup table in 64 bits
    big = {np.uint8: 255, np.uint16: 65535, np.int64: 2**40, np.uint64: 2**63 + 5}
    big = big[dtype]
    true_ids = np.array([0, 7, big, 3], dtype=dtype)
    pred_ids = np.array([0, big - 1, 12, 40], dtype=dtype)
    result = object_matching(true_ids[true], pred_ids[pred], iou=[0.2, 0.5, 0.8])
    for key in ("tp", "fp", "fn", *RATIOS):
        np.testing.assert_allclose(result[key], expected[key])


def test_masks_are_read_as_their_connected_components():
    rng = np.random.default_rng(3)
    true = rng.random((3, 20, 20)) > 0.6
    pred = rng.random((3, 20, 20)) > 0.6
    as_labels = np.stack([measure.label(m) for m in true])
    pred_labels = np.stack([measure.label(m) for m in pred])
    assert object_matching(true, pred) == object_matching(as_labels, pred_labels)
    mixed = object_matching(as_labels, pred)
    assert mixed == object_matching(as_labels, pred_labels)


def test_empty_images_give_defined_values_without_warnings():
    empty = np.zeros((1, 6, 6), dtype=np.int32)
    objects = _square((6, 6), 1, 1, 3)[None]
    both = object_matching(empty, empty)
    assert (both["tp"], both["fp"], both["fn"]) == (0, 0, 0)
    assert all(both[key] == 1.0 for key in RATIOS)
    no_pred = object_matching(objects, empty)
    assert (no_pred["tp"], no_pred["fp"], no_pred["fn"]) == (0, 0, 1)
    assert no_pred["precision"] == 1.0
    assert no_pred["recall"] == no_pred["f1"] == no_pred["accuracy"] == 0.0
    assert no_pred["mean_iou"] == no_pred["panoptic_quality"] == 0.0
    no_true = object_matching(empty, objects)
    assert (no_true["tp"], no_true["fp"], no_true["fn"]) == (0, 1, 0)
    assert no_true["recall"] == 1.0
    assert no_true["precision"] == no_true["f1"] == no_true["accuracy"] == 0.0
    assert no_true["mean_iou"] == no_true["panoptic_quality"] == 0.0
    macro = object_matching(
        np.concatenate([empty, objects]),
        np.concatenate([empty, objects]),
        average="macro",
    )
    assert all(macro[key] == 1.0 for key in RATIOS)


def test_micro_and_macro_averages_differ_as_computed_by_hand():
    a = _square((10, 10), 1, 1, 3)
    true = np.stack(
        [a, a + _square((10, 10), 6, 1, 3, 2) + _square((10, 10), 6, 6, 3, 3)]
    )
    pred = np.stack([a, a])  # image 0: 1 of 1 found; image 1: 1 of 3 found
    micro = object_matching(true, pred)
    macro = object_matching(true, pred, average="macro")
    assert (micro["tp"], micro["fp"], micro["fn"]) == (2, 0, 2)
    assert (macro["tp"], macro["fp"], macro["fn"]) == (2, 0, 2)  # totals either way
    assert micro["recall"] == 0.5 and macro["recall"] == pytest.approx((1 + 1 / 3) / 2)
    assert micro["f1"] == pytest.approx(4 / 6) and macro["f1"] == (1 + 0.5) / 2
    assert micro["accuracy"] == 0.5 and macro["accuracy"] == pytest.approx(2 / 3)
    assert micro["precision"] == macro["precision"] == 1.0
    assert micro["mean_iou"] == macro["mean_iou"] == 1.0


def test_threshold_sequence_scores_each_threshold_and_their_mean():
    data = make_objects(n_images=3, shape=(64, 64), n_objects=(3, 6), random_state=1)
    pred = np.roll(data.labels, (1, 2), axis=(1, 2))
    thresholds = np.arange(0.05, 1.0, 0.05)
    result = object_matching(data.labels, pred, iou=thresholds)
    np.testing.assert_array_equal(result["threshold"], thresholds)
    assert (np.diff(result["tp"]) <= 0).all()
    assert result["tp"][0] > result["tp"][-1]  # the test can fail
    for k, threshold in enumerate(thresholds):
        single = object_matching(data.labels, pred, iou=threshold)
        for key, value in single.items():
            assert result[key][k] == pytest.approx(value)
    for key in ("tp", "fp", "fn", *RATIOS):
        assert result["mean"][key] == pytest.approx(np.mean(result[key]))
        assert len(result[key]) == len(thresholds)


def test_3d_and_ragged_lists_equal_image_by_image():
    rng = np.random.default_rng(0)
    true = [measure.label(rng.random(shape) > 0.7) for shape in [(8, 9, 10), (5, 6, 7)]]
    pred = [measure.label(np.roll(t > 0, 1, axis=0)) for t in true]
    batch = object_matching(true, pred, iou=0.3)
    by_image = [object_matching([t], [p], iou=0.3) for t, p in zip(true, pred)]
    for key in ("tp", "fp", "fn"):
        assert batch[key] == sum(r[key] for r in by_image)


# --- object_matching against brute force -------------------------------------


def _brute_force(true, pred, threshold):
    """tp, sum of matched IoUs, n_true, n_pred: all pairs, one assignment."""
    t_ids = [i for i in np.unique(true) if i != 0]
    p_ids = [j for j in np.unique(pred) if j != 0]
    iou = np.zeros((len(t_ids), len(p_ids)))
    for a, i in enumerate(t_ids):
        for b, j in enumerate(p_ids):
            ti, pj = true == i, pred == j
            iou[a, b] = (ti & pj).sum() / (ti | pj).sum()
    candidate = iou >= threshold
    if not candidate.any():
        return 0, 0.0, len(t_ids), len(p_ids)
    # one more pair always outweighs any sum of IoUs (at most min(n_t, n_p))
    weights = np.where(candidate, min(iou.shape) + 1 + iou, 0.0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    kept = candidate[rows, cols]
    return kept.sum(), iou[rows, cols][kept].sum(), len(t_ids), len(p_ids)


def _perturbations(data, seed):
    labels = data.labels
    cols = np.arange(labels.shape[-1])
    pipe = sks.make_pipeline(
        sks.OtsuThresholder(), sks.MorphCloser(3), sks.ComponentLabeler()
    )
    rng = np.random.default_rng(seed)
    return {
        "shifted": np.roll(labels, (2, 3), axis=(1, 2)),
        "dilated": np.stack(
            [morphology.dilation(t, morphology.disk(2)) for t in labels]
        ),
        "eroded": np.stack([morphology.erosion(t, morphology.disk(2)) for t in labels]),
        "striped": np.where(labels > 0, labels * 3 + (cols % 7 < 3), 0),
        "recipe": pipe.fit(data.images).transform(data.images),
        "relabelled": rng.permutation(1000)[labels] * (labels > 0),
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_equals_brute_force_on_generated_objects(seed):
    data = make_objects(
        n_images=4, shape=(64, 64), n_objects=(3, 7), radius=(5, 9), random_state=seed
    )
    thresholds = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95]
    for name, pred in _perturbations(data, seed).items():
        result = object_matching(data.labels, pred, iou=thresholds)
        macro = object_matching(data.labels, pred, iou=thresholds, average="macro")
        for k, threshold in enumerate(thresholds):
            counts = np.array(
                [_brute_force(t, p, threshold) for t, p in zip(data.labels, pred)]
            )
            tp, total, n_true, n_pred = counts.T
            fp, fn = n_pred - tp, n_true - tp
            assert result["tp"][k] == tp.sum(), (name, threshold)
            assert result["fp"][k] == fp.sum() and result["fn"][k] == fn.sum()
            pooled = tp.sum(), fp.sum(), fn.sum(), total.sum()
            for key, expected in _hand_ratios(*pooled).items():
                assert result[key][k] == pytest.approx(expected), (name, key)
            per_image = [_hand_ratios(*c) for c in zip(tp, fp, fn, total)]
            for key in RATIOS:
                expected = np.mean([r[key] for r in per_image])
                assert macro[key][k] == pytest.approx(expected), (name, key)


def _hand_ratios(tp, fp, fn, total):
    """The ratios with the documented conventions for empty denominators."""
    tp, fp, fn, total = map(float, (tp, fp, fn, total))
    if tp + fp + fn == 0:
        return dict.fromkeys(RATIOS, 1.0)
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "f1": 2 * tp / (2 * tp + fp + fn),
        "accuracy": tp / (tp + fp + fn),
        "mean_iou": total / tp if tp else 0.0,
        "panoptic_quality": total / (tp + fp / 2 + fn / 2),
    }


def test_perturbations_make_the_brute_force_comparison_meaningful():
    data = make_objects(
        n_images=4, shape=(64, 64), n_objects=(3, 7), radius=(5, 9), random_state=0
    )
    result = {
        name: object_matching(data.labels, pred, iou=[0.2, 0.5, 0.8])
        for name, pred in _perturbations(data, 0).items()
    }
    # striped objects compete for their true object below 0.5 (assignment path)
    assert result["striped"]["tp"][0] == data.counts.sum()
    assert result["striped"]["fp"][0] > 0
    # and matches differ between thresholds
    assert result["shifted"]["tp"][2] < result["shifted"]["tp"][0]


# --- validation --------------------------------------------------------------


def test_bad_batches_are_refused_with_the_function_and_image():
    labels = np.zeros((2, 5, 5), dtype=np.int32)
    with pytest.raises(ValueError, match="as many images; got 2 and 3"):
        object_matching(labels, np.zeros((3, 5, 5), dtype=np.int32))
    with pytest.raises(ValueError, match=r"image 1 has shape \(5, 5\) in true_labels"):
        object_matching(list(labels), [labels[0], np.zeros((5, 6), dtype=int)])
    negative = labels.copy()
    negative[1, 2, 2] = -4
    with pytest.raises(ValueError, match="object_matching expects label ids >= 0.*-4"):
        object_matching(labels, negative)
    with pytest.raises(TypeError, match="image 0 of true_labels has dtype float64"):
        object_matching(labels.astype(float), labels)
    with pytest.raises(ValueError, match="a batch of images.*single image"):
        dice(labels[0], labels[0])
    with pytest.raises(ValueError, match="jaccard got an empty batch: true_labels"):
        jaccard([], [])


@pytest.mark.parametrize("iou", [0, 1.5, -0.1, np.nan, "0.5", [], [[0.5]], True])
def test_bad_iou_is_refused(iou):
    labels = np.zeros((1, 4, 4), dtype=np.int32)
    match = r"'iou' parameter of object_matching must be a finite number in the range"
    with pytest.raises(InvalidParameterError, match=match):
        object_matching(labels, labels, iou=iou)


@pytest.mark.parametrize("average", ["weighted", None, "MICRO"])
def test_bad_average_is_refused(average):
    labels = np.zeros((1, 4, 4), dtype=np.int32)
    match = r"'average' parameter of object_matching must be a str among \{'m"
    with pytest.raises(InvalidParameterError, match=match):
        object_matching(labels, labels, average=average)
    with pytest.raises(InvalidParameterError, match="'average' parameter of dice"):
        dice(labels, labels, average=average)


# --- pixel metrics -----------------------------------------------------------


@pytest.fixture(scope="module")
def objects():
    return make_objects(n_images=12, shape=(96, 96), random_state=0)


@pytest.fixture(scope="module")
def predicted(objects):
    pipe = sks.make_pipeline(
        sks.OtsuThresholder(), sks.MorphCloser(3), sks.ComponentLabeler()
    )
    return pipe.fit(objects.images).transform(objects.images)


def test_dice_and_jaccard_equal_sklearn_on_pixels(objects, predicted):
    true, pred = objects.labels, predicted
    assert dice(true, pred) == pytest.approx(
        f1_score(true.ravel() > 0, pred.ravel() > 0)
    )
    assert jaccard(true, pred) == pytest.approx(
        jaccard_score(true.ravel() > 0, pred.ravel() > 0)
    )
    per_image = [f1_score(t.ravel() > 0, p.ravel() > 0) for t, p in zip(true, pred)]
    assert dice(true, pred, average="macro") == pytest.approx(np.mean(per_image))
    assert dice(true, pred) < 1.0  # the test can fail
    assert dice(true > 0, pred) == dice(true, pred)  # masks: their foreground


def test_dice_and_jaccard_of_empty_foregrounds():
    empty = np.zeros((2, 3, 3), dtype=bool)
    full = np.ones((2, 3, 3), dtype=bool)
    assert dice(empty, empty) == jaccard(empty, empty) == 1.0
    assert dice(empty, full) == jaccard(full, empty) == 0.0
    mixed = np.stack([empty[0], full[0]])
    assert dice(mixed, mixed, average="macro") == 1.0
    assert jaccard(mixed, np.stack([full[0], full[0]]), average="macro") == 0.5


def test_adapted_rand_error_and_vi_equal_skimage(objects, predicted):
    true, pred = objects.labels, predicted
    expected_are = np.mean(
        [skimage.metrics.adapted_rand_error(t, p)[0] for t, p in zip(true, pred)]
    )
    expected_vi = np.mean(
        [
            skimage.metrics.variation_of_information(t, p).sum()
            for t, p in zip(true, pred)
        ]
    )
    assert adapted_rand_error(true, pred) == pytest.approx(expected_are)
    assert variation_of_information(true, pred) == pytest.approx(expected_vi)
    assert adapted_rand_error(true, pred) > 0  # the test can fail
    vi_ignoring = np.mean(
        [
            skimage.metrics.variation_of_information(t, p, ignore_labels=[0]).sum()
            for t, p in zip(true, pred)
        ]
    )
    assert variation_of_information(true, pred, ignore_labels=[0]) == pytest.approx(
        vi_ignoring
    )
    assert vi_ignoring != pytest.approx(expected_vi)
    masks = pred > 0  # masks: their connected components
    assert adapted_rand_error(true, masks) == pytest.approx(
        adapted_rand_error(true, np.stack([measure.label(m) for m in masks]))
    )


def test_adapted_rand_error_leaves_out_images_without_true_objects():
    true = np.zeros((2, 4, 4), dtype=np.int32)
    true[0, :2, :2] = 1
    pred = true.copy()
    pred[1, 3, 3] = 4  # no true object: undefined in scikit-image, left out
    assert adapted_rand_error(true, pred) == 0.0
    assert np.isnan(adapted_rand_error(true[1:], pred[1:]))
    assert variation_of_information(true[1:], true[1:]) == 0.0


# --- scorers -----------------------------------------------------------------


def _recipe(*final):
    return sks.make_pipeline(
        sks.OtsuThresholder(),
        sks.MorphCloser(),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=50),
        *final,
    )


GRID = {"otsuthresholder__threshold": [None, 90, 150], "morphcloser__size": [1, 3, 5]}


def _skimage_labels(image, threshold, size):
    mask = image > threshold
    footprint = morphology.footprint_rectangle((size, size))
    closed = morphology.closing(mask, footprint, mode="ignore")
    labels = measure.label(segmentation.clear_border(closed))
    areas = np.bincount(labels.ravel())
    labels[(areas < 50)[labels]] = 0
    return labels


def _plain_loop(images, labels):
    """f1 and -MAE of counts per candidate, over KFold(3), with scikit-image."""
    f1, mae = {}, {}  # in ParameterGrid's order (sorted names)
    sizes, thresholds = GRID["morphcloser__size"], GRID["otsuthresholder__threshold"]
    for size, threshold in itertools.product(sizes, thresholds):
        f1_folds, mae_folds = [], []
        for train, test in KFold(3).split(images):
            t = threshold
            if t is None:
                t = filters.threshold_otsu(images[train].ravel())
            pred = np.stack([_skimage_labels(im, t, size) for im in images[test]])
            f1_folds.append(object_matching(labels[test], pred)["f1"])
            counts = [len(np.unique(p[p > 0])) for p in pred]
            true_counts = [len(np.unique(t[t > 0])) for t in labels[test]]
            mae_folds.append(np.mean(np.abs(np.subtract(counts, true_counts))))
        f1[size, threshold] = np.mean(f1_folds)
        mae[size, threshold] = -np.mean(mae_folds)
    return f1, mae


def _keys(search):
    return [
        (p["morphcloser__size"], p["otsuthresholder__threshold"])
        for p in search.cv_results_["params"]
    ]


def test_grid_search_with_the_segmentation_scorer_equals_a_plain_loop(objects):
    images, labels = objects.images, objects.labels
    search = GridSearchCV(_recipe(), GRID, scoring=make_segmentation_scorer("f1"), cv=3)
    search.fit(images, labels)
    expected, _ = _plain_loop(images, labels)
    for key, score in zip(_keys(search), search.cv_results_["mean_test_score"]):
        assert score == pytest.approx(expected[key])
    best = max(expected.values())
    params = search.best_params_
    key = (params["morphcloser__size"], params["otsuthresholder__threshold"])
    assert expected[key] == pytest.approx(best)
    assert search.best_score_ == pytest.approx(best)
    assert min(expected.values()) < best  # the grid matters: the test can fail


def test_multi_metric_search_scores_counts_and_objects_of_one_pipeline(objects):
    images, labels = objects.images, objects.labels
    scoring = {"f1": make_segmentation_scorer("f1"), "mae": make_count_scorer()}
    search = GridSearchCV(
        _recipe(sks.ObjectCounter()), GRID, scoring=scoring, refit="f1", cv=3
    )
    search.fit(images, labels)
    f1, mae = _plain_loop(images, labels)
    keys = _keys(search)
    results = search.cv_results_
    for key, f1_score_, mae_score in zip(
        keys, results["mean_test_f1"], results["mean_test_mae"]
    ):
        assert f1_score_ == pytest.approx(f1[key])
        assert mae_score == pytest.approx(mae[key])
    best = keys[search.best_index_]
    assert f1[best] == pytest.approx(max(f1.values()))
    assert search.predict(images).shape == (len(images),)  # refitted counter


def test_cross_validate_on_ragged_lists(objects):
    crops = [np.s_[:90, :], np.s_[:, 4:], np.s_[3:, 2:93]] * 4
    images = [im[c] for im, c in zip(objects.images, crops)]
    labels = [lab[c] for lab, c in zip(objects.labels, crops)]
    pipe = _recipe(sks.ObjectCounter()).set_params(otsuthresholder__threshold=120)
    scoring = {
        "f1": make_segmentation_scorer("f1", iou=[0.5, 0.75]),
        "pq": make_segmentation_scorer("panoptic_quality", average="macro"),
        "vi": make_segmentation_scorer("variation_of_information"),
        "exact": make_count_scorer("exact_match"),
    }
    scores = cross_validate(pipe, images, labels, cv=3, scoring=scoring)
    pipe.fit(images)  # the threshold is fixed: every fold's pipeline is this one
    for k, (_, test) in enumerate(KFold(3).split(images)):
        pred = pipe[:-1].transform([images[i] for i in test])
        true = [labels[i] for i in test]
        f1 = object_matching(true, pred, iou=[0.5, 0.75])["mean"]["f1"]
        pq = object_matching(true, pred, average="macro")["panoptic_quality"]
        assert scores["test_f1"][k] == pytest.approx(f1)
        assert scores["test_pq"][k] == pytest.approx(pq)
        assert scores["test_vi"][k] == pytest.approx(
            -variation_of_information(true, pred)
        )
        counts = [len(np.unique(t[t > 0])) for t in true]
        exact = np.mean(np.array(counts) == pipe.predict([images[i] for i in test]))
        assert scores["test_exact"][k] == pytest.approx(exact)


def test_halving_grid_search_runs_with_the_scorers(objects):
    search = HalvingGridSearchCV(
        _recipe(sks.ObjectCounter()),
        GRID,
        scoring=make_segmentation_scorer("accuracy", iou=[0.5, 0.7]),
        factor=2,
        cv=2,
        random_state=0,
    )
    search.fit(objects.images, objects.labels)
    assert search.n_iterations_ > 1
    assert np.isfinite(search.best_score_)
    assert search.best_params_["morphcloser__size"] in GRID["morphcloser__size"]


def test_count_scorer_signs_and_label_targets(objects):
    pipe = _recipe(sks.ObjectCounter()).set_params(otsuthresholder__threshold=40)
    pipe.fit(objects.images)
    predicted = pipe.predict(objects.images)
    errors = count_error(objects.counts, predicted)
    assert errors["bias"] != 0  # a low threshold merges: the test can fail
    for metric, expected in [
        ("mae", -errors["mae"]),
        ("bias", -abs(errors["bias"])),
        ("relative_error", -errors["relative_error"]),
        ("exact_match", errors["exact_match"]),
    ]:
        scorer = make_count_scorer(metric)
        assert scorer(pipe, objects.images, objects.counts) == pytest.approx(expected)
        assert scorer(pipe, objects.images, objects.labels) == pytest.approx(expected)
        assert scorer(pipe, objects.images, list(objects.labels > 0)) == pytest.approx(
            expected
        )


def test_segmentation_scorer_metrics_and_pipelines(objects, predicted):
    images, labels = objects.images, objects.labels
    with_counter = _recipe(sks.ObjectCounter()).fit(images)
    without = _recipe().fit(images)
    pred = without.transform(images)
    for metric, expected in [
        ("recall", object_matching(labels, pred)["recall"]),
        ("mean_iou", object_matching(labels, pred)["mean_iou"]),
        ("dice", dice(labels, pred)),
        ("jaccard", jaccard(labels, pred)),
        ("adapted_rand_error", -adapted_rand_error(labels, pred)),
        ("variation_of_information", -variation_of_information(labels, pred)),
    ]:
        scorer = make_segmentation_scorer(metric)
        assert scorer(with_counter, images, labels) == pytest.approx(expected)
        assert scorer(without, images, labels) == pytest.approx(expected)
    thresholds = make_segmentation_scorer("accuracy", iou=[0.5, 0.95, 0.99])
    assert thresholds(without, images, labels) == pytest.approx(
        np.mean(object_matching(labels, pred, iou=[0.5, 0.95, 0.99])["accuracy"])
    )
    assert thresholds(without, images, labels) < make_segmentation_scorer("accuracy")(
        without, images, labels
    )
    macro = make_segmentation_scorer("jaccard", average="macro")
    assert macro(without, images, labels) == pytest.approx(
        jaccard(labels, pred, average="macro")
    )
    with pytest.raises(TypeError, match="ObjectCounter has no transform method"):
        make_segmentation_scorer()(sks.ObjectCounter(), labels, labels)
    with pytest.raises(ValueError, match="make_segmentation_scorer: .* needs y"):
        make_segmentation_scorer()(with_counter, images)
    with pytest.raises(ValueError, match="make_count_scorer: .* needs y"):
        make_count_scorer()(with_counter, images)


def test_scorers_pickle_and_have_readable_reprs(objects):
    scorers = [
        make_count_scorer("relative_error"),
        make_segmentation_scorer("panoptic_quality", iou=[0.5, 0.75], average="macro"),
    ]
    assert repr(scorers[0]) == "make_count_scorer(metric='relative_error')"
    assert repr(scorers[1]) == (
        "make_segmentation_scorer(metric='panoptic_quality', iou=(0.5, 0.75), "
        "average='macro')"
    )
    assert repr(make_segmentation_scorer()) == (
        "make_segmentation_scorer(metric='f1', iou=0.5, average='micro')"
    )
    pipe = _recipe(sks.ObjectCounter()).fit(objects.images)
    for scorer in scorers:
        restored = pickle.loads(pickle.dumps(scorer))
        assert repr(restored) == repr(scorer)
        assert restored(pipe, objects.images, objects.labels) == scorer(
            pipe, objects.images, objects.labels
        )


@pytest.mark.parametrize("metric", [adapted_rand_error, variation_of_information])
@pytest.mark.parametrize("ignore_labels", [0, [0.5], "0", [[0]]])
def test_bad_ignore_labels_are_refused(metric, ignore_labels):
    labels = np.zeros((1, 4, 4), dtype=np.int32)
    match = f"'ignore_labels' parameter of {metric.__name__} must be a list"
    with pytest.raises(InvalidParameterError, match=match):
        metric(labels, labels, ignore_labels=ignore_labels)


def test_bad_scorer_parameters_list_the_valid_names():
    with pytest.raises(InvalidParameterError) as error:
        make_count_scorer("neg_mae")
    assert "'metric' parameter of make_count_scorer" in str(error.value)
    for name in ("mae", "bias", "relative_error", "exact_match"):
        assert repr(name) in str(error.value)
    with pytest.raises(InvalidParameterError) as error:
        make_segmentation_scorer("tp")
    assert "'metric' parameter of make_segmentation_scorer" in str(error.value)
    for name in ("precision", "recall", "f1", "dice", "variation_of_information"):
        assert repr(name) in str(error.value)
    with pytest.raises(InvalidParameterError, match="'iou' parameter of make_segm"):
        make_segmentation_scorer("f1", iou=0)
    with pytest.raises(InvalidParameterError, match="'average' parameter of make_s"):
        make_segmentation_scorer("f1", average="samples")


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_rand_error_and_vi_of_huge_ids_equal_skimage_of_small_ones(
    objects, predicted, dtype
):
    # ids near 2**41: scikit-image's contingency table would have a row per
    # id (16 TiB); renumbered first, the scores of the partition are the same
    import tracemalloc

    true, pred = objects.labels[:2], predicted[:2]
    big_true = np.where(true > 0, true.astype(np.int64) * 7 + 2**41, 0).astype(dtype)
    big_pred = (pred.astype(np.int64) + 2**41 - 3).astype(dtype)  # no 0 at all
    for ignore, small in [((0,), [0]), ((), []), ((2**41 + 7, 12345), [1, 12345])]:
        expected_are = np.mean(
            [
                skimage.metrics.adapted_rand_error(t, p, ignore_labels=small)[0]
                for t, p in zip(true, pred)
            ]
        )
        expected_vi = np.mean(
            [
                skimage.metrics.variation_of_information(
                    t, p, ignore_labels=small
                ).sum()
                for t, p in zip(true, pred)
            ]
        )
        tracemalloc.start()
        try:
            are = adapted_rand_error(big_true, big_pred, ignore_labels=ignore)
            vi = variation_of_information(big_true, big_pred, ignore_labels=ignore)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 << 20
        assert are == pytest.approx(expected_are)
        assert vi == pytest.approx(expected_vi)
