import sys

import numpy as np
import pytest
import sklearn.pipeline
from skimage import data, draw, measure, morphology, segmentation
from sklearn.cluster import KMeans
from sklearn.utils._param_validation import InvalidParameterError

import sksegment as sks
from sksegment.plot import (
    overlay,
    reading_order,
    relabel_in_reading_order,
    show_labels,
    show_pipeline,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def coins():
    """The coins and the recipe's 24 coins, as in scikit-image's plot_label."""
    image = data.coins()
    mask = morphology.closing(image > 120, morphology.footprint_rectangle((5, 5)))
    labels = measure.label(segmentation.clear_border(mask))
    labels = morphology.remove_small_objects(labels, max_size=100)  # area > 100
    return image, labels


def _centroids(labels):
    props = measure.regionprops(labels)
    return {p.label: p.centroid for p in props}


# --- reading order ------------------------------------------------------------


def test_coins_are_read_in_4_rows_of_6(coins):
    _, labels = coins
    centroids = _centroids(labels)
    ids = np.array(sorted(centroids))
    assert ids.size == 24
    ys = np.array([centroids[i][0] for i in ids])
    # the rows, found independently: k-means on the centroids' rows
    rows = KMeans(n_clusters=4, n_init=10, random_state=0).fit(ys[:, None])
    means = [ys[rows.labels_ == k].mean() for k in range(4)]
    expected = []
    for k in np.argsort(means):
        members = ids[rows.labels_ == k]
        assert members.size == 6
        expected.extend(sorted(members, key=lambda i: centroids[i][1]))
    order = reading_order(labels)
    np.testing.assert_array_equal(order, expected)
    grid = np.array([centroids[i] for i in order]).reshape(4, 6, 2)
    assert (np.diff(grid[:, :, 1], axis=1) > 0).all()  # x increases in a row
    assert (np.diff(grid[:, :, 0].mean(axis=1)) > 0).all()  # rows go down
    # the first row's lowest centroid is above the second row's highest
    assert (grid[:-1, :, 0].max(axis=1) < grid[1:, :, 0].min(axis=1)).all()


def _grid(n_rows, n_cols, seed, pitch=30, jitter=4):
    """Discs on a jittered grid with shuffled sparse ids; ids in reading order."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((n_rows * pitch + 20, n_cols * pitch + 20), np.int32)
    ids = rng.permutation(n_rows * n_cols) * 7 + 3
    for k, (r, c) in enumerate(np.ndindex(n_rows, n_cols)):
        centre = np.array([r, c]) * pitch + 25 + rng.uniform(-jitter, jitter, 2)
        rr, cc = draw.disk(centre, rng.uniform(6, 10), shape=labels.shape)
        labels[rr, cc] = ids[k]
    return labels, ids


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_rows, n_cols", [(4, 5), (1, 6), (6, 1), (1, 1), (3, 2)])
def test_jittered_grid_is_read_row_by_row(seed, n_rows, n_cols):
    labels, ids = _grid(n_rows, n_cols, seed)
    np.testing.assert_array_equal(reading_order(labels), ids)


def test_rows_of_different_lengths_and_objects_of_different_sizes():
    labels = np.zeros((60, 100), np.uint16)
    labels[5:25, 60:80] = 1  # tall, first row on the right
    labels[12:18, 10:16] = 2  # small, first row on the left
    labels[40:50, 5:15] = 3
    labels[38:52, 30:44] = 4
    labels[42:48, 80:86] = 5
    order = reading_order(labels)
    assert order.dtype == np.uint16
    np.testing.assert_array_equal(order, [2, 1, 3, 4, 5])


def test_row_tolerance():
    labels = np.zeros((30, 30), np.int32)
    labels[2:6, 20:24] = 1
    labels[8:12, 2:6] = 2  # 6 pixels lower than 1
    np.testing.assert_array_equal(reading_order(labels), [1, 2])  # tolerance 2
    np.testing.assert_array_equal(reading_order(labels, row_tolerance=6), [2, 1])
    np.testing.assert_array_equal(reading_order(labels, row_tolerance=5.9), [1, 2])


def test_reading_order_of_nothing_and_bad_input():
    assert reading_order(np.zeros((5, 5), np.int32)).size == 0
    with pytest.raises(TypeError, match="bool mask.*Label it first"):
        reading_order(np.ones((5, 5), bool))
    with pytest.raises(TypeError, match="float64"):
        reading_order(np.ones((5, 5)))
    with pytest.raises(ValueError, match=r"2D.*\(2, 5, 5\)"):
        reading_order(np.ones((2, 5, 5), np.int32))
    with pytest.raises(ValueError, match="ids >= 0.*-1"):
        reading_order(-np.ones((5, 5), np.int32))
    with pytest.raises(ValueError, match="row_tolerance.*-1"):
        reading_order(np.ones((5, 5), np.int32), row_tolerance=-1)


@pytest.mark.parametrize("offset", [0, 10**10])
def test_relabel_in_reading_order(offset):
    labels, ids = _grid(3, 4, seed=1)
    labels = np.where(labels > 0, labels.astype(np.int64) + offset, 0)
    before = labels.copy()
    relabeled = relabel_in_reading_order(labels)
    np.testing.assert_array_equal(labels, before)  # input untouched
    assert relabeled.dtype == np.int32
    for number, old in enumerate(ids + offset, start=1):
        np.testing.assert_array_equal(relabeled == number, labels == old)
    assert relabeled.max() == ids.size and (relabeled[labels == 0] == 0).all()


# --- show_labels and overlay --------------------------------------------------


def test_show_labels_numbers_each_object_at_its_centroid(coins):
    image, labels = coins
    ax = show_labels(image, labels)
    centroids = _centroids(labels)
    order = reading_order(labels)
    assert len(ax.texts) == 24
    # numbered from 1, as label ids and CellProfiler's ObjectNumber
    for number, (text, id_) in enumerate(zip(ax.texts, order), start=1):
        assert text.get_text() == str(number)
        np.testing.assert_allclose(text.get_position()[::-1], centroids[id_])
    shown = ax.images[0].get_array()
    assert shown.shape == image.shape + (3,)
    np.testing.assert_allclose(
        np.rint(np.asarray(shown) * 255), overlay(image, labels, numbers=False)
    )


def test_show_labels_options(coins):
    image, labels = coins
    fig, ax = plt.subplots()
    assert show_labels(image, labels, ax=ax, start=0) is ax
    assert [t.get_text() for t in ax.texts] == [str(i) for i in range(24)]
    assert len(show_labels(image, labels, numbers=False).texts) == 0
    # a bool mask is labelled: the same objects, the same numbers
    ax = show_labels(image, labels > 0)
    assert [t.get_position() for t in ax.texts] == [
        t.get_position() for t in show_labels(image, labels).texts
    ]


def test_show_labels_bad_input(coins):
    image, labels = coins
    with pytest.raises(ValueError, match=r"image has shape \(303, 384\).*\(10, 10\)"):
        show_labels(image, labels[:10, :10])
    with pytest.raises(ValueError, match="as_gray"):
        show_labels(np.dstack([image] * 3), labels)
    match = r"'alpha' parameter of show_labels must be .* \[0\.0, 1\.0\]\. Got 1\.5"
    with pytest.raises(InvalidParameterError, match=match):
        show_labels(image, labels, alpha=1.5)
    with pytest.raises(TypeError, match="float64"):
        show_labels(image, labels.astype(float))


@pytest.mark.parametrize(
    "name, value",
    [
        ("alpha", np.nan),
        ("start", 1.0),
        ("start", True),
        ("fontsize", 0),
        ("numbers", "yes"),
        ("row_tolerance", -1),
    ],
)
def test_overlay_bad_parameters_name_the_parameter(coins, name, value):
    image, labels = coins
    match = f"The '{name}' parameter of overlay must be"
    with pytest.raises(InvalidParameterError, match=match):
        overlay(image, labels, **{name: value})


def test_show_labels_and_show_pipeline_refuse_what_cannot_draw(coins):
    image, labels = coins
    with pytest.raises(InvalidParameterError, match="'ax' parameter of show_labels"):
        show_labels(image, labels, ax="axes")
    match = "'pipe' parameter of show_pipeline must be a Pipeline"
    with pytest.raises(InvalidParameterError, match=match):
        show_pipeline(sks.ObjectCounter(), image)


def test_overlay_has_the_image_size_and_marks_boundaries(coins):
    image, labels = coins
    picture = overlay(image, labels, numbers=False)
    assert picture.shape == image.shape + (3,) and picture.dtype == np.uint8
    gray = np.dstack([image] * 3)
    edges = segmentation.find_boundaries(labels, mode="inner")
    background = ~segmentation.find_boundaries(labels, mode="outer") & (labels == 0)
    np.testing.assert_array_equal(picture[background], gray[background])
    changed = (picture != gray).any(axis=-1)
    assert changed[edges].mean() > 0.99  # outlines in colour
    # outlines only: the image is kept everywhere else
    plain = overlay(image, labels, numbers=False, alpha=0)
    np.testing.assert_array_equal(plain[~edges], gray[~edges])
    nothing = overlay(image, labels, numbers=False, alpha=0, outlines=False)
    np.testing.assert_array_equal(nothing, gray)


def test_overlay_colours_follow_reading_order(coins):
    image, labels = coins
    alpha = 0.4
    picture = overlay(image, labels, numbers=False, alpha=alpha).astype(float)
    edges = segmentation.find_boundaries(labels, mode="inner")
    inside = (labels > 0) & ~edges
    colours = []
    for id_ in reading_order(labels):
        outline = np.unique(picture[edges & (labels == id_)], axis=0)
        assert len(outline) == 1  # one colour per object
        colour = outline[0]
        # inside, the same colour over the image at the given opacity
        where = inside & (labels == id_)
        expected = alpha * colour + (1 - alpha) * image[where][:, None]
        assert np.abs(picture[where] - expected).max() <= 1
        colours.append(tuple(colour))
    assert all(a != b for a, b in zip(colours, colours[1:]))  # neighbours differ


def test_overlay_numbers_are_drawn_at_the_centroids(coins):
    image, labels = coins
    picture = overlay(image, labels)
    assert picture.shape == (303, 384, 3) and picture.dtype == np.uint8
    plain = overlay(image, labels, numbers=False)
    text = (picture != plain).any(axis=-1)
    assert text.any()
    rows, cols = np.nonzero(text)
    centroids = np.array([_centroids(labels)[i] for i in reading_order(labels)])
    # every text pixel is near a centroid, and every centroid has text
    distance = np.hypot(
        rows[:, None] - centroids[:, 0], cols[:, None] - centroids[:, 1]
    ).min(axis=1)
    assert distance.max() < 20
    white = (picture.min(axis=-1) > 230) & text
    for r, c in np.rint(centroids).astype(int):
        assert white[r - 8 : r + 9, c - 10 : c + 11].any()
    # numbered from 1 by default (issue 15 item 3), as label ids
    np.testing.assert_array_equal(picture, overlay(image, labels, start=1))
    assert (picture != overlay(image, labels, start=0)).any()


def test_overlay_of_other_dtypes_and_empty_labels():
    image = np.linspace(0, 4000, 40 * 50).reshape(40, 50).astype(np.uint16)
    labels = np.zeros((40, 50), np.int32)
    picture = overlay(image, labels)
    assert picture.shape == (40, 50, 3)
    assert picture[0, 0].tolist() == [0, 0, 0]  # stretched min to max
    assert picture[-1, -1].tolist() == [255, 255, 255]
    labels[10:20, 10:20] = 4
    assert overlay(image, labels, fontsize=8).shape == (40, 50, 3)


# --- show_pipeline ------------------------------------------------------------

STEPS = [
    "otsuthresholder",
    "morphcloser",
    "borderclearer",
    "componentlabeler",
    "areafilter",
    "objectcounter",
]


def _recipe(make):
    return make(
        sks.OtsuThresholder(120),
        sks.MorphCloser(5),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=101),
        sks.ObjectCounter(),
    )


@pytest.mark.parametrize("make", [sks.make_pipeline, sklearn.pipeline.make_pipeline])
def test_show_pipeline_one_panel_per_step(coins, make):
    image, labels = coins
    pipe = _recipe(make).fit(image[None])
    axes = show_pipeline(pipe, image)
    assert len(axes) == 1 + len(STEPS)
    titles = [ax.get_title().split("\n") for ax in axes]
    assert [t[0] for t in titles] == ["input", *STEPS]
    assert titles[1][1].startswith("threshold_=120, ")
    fraction = 100 * (image > 120).mean()
    assert titles[1][1] == f"threshold_=120, {fraction:.1f}% foreground"
    mask = morphology.closing(image > 120, morphology.footprint_rectangle((5, 5)))
    n_components = measure.label(segmentation.clear_border(mask)).max()
    assert titles[4][1] == f"{n_components} objects"
    assert titles[5][1] == titles[6][1] == "24 objects"
    # the counter's panel: the image with the 24 coins numbered
    assert [t.get_text() for t in axes[-1].texts] == [str(i) for i in range(1, 25)]
    # panels show each step's output
    np.testing.assert_array_equal(axes[1].images[0].get_array(), image > 120)
    np.testing.assert_array_equal(axes[0].images[0].get_array(), image)


def test_show_pipeline_into_given_axes_and_passthrough(coins):
    image, _ = coins
    pipe = sklearn.pipeline.Pipeline(
        [
            ("threshold", sks.OtsuThresholder(120)),
            ("nothing", "passthrough"),
            ("label", sks.ComponentLabeler()),
        ]
    ).fit(image[None])
    fig, given = plt.subplots(2, 2)
    axes = show_pipeline(pipe, image, axes=given)
    assert list(axes) == list(given.ravel()[:3])
    assert [ax.get_title().split("\n")[0] for ax in axes] == [
        "input",
        "threshold",
        "label",
    ]
    with pytest.raises(ValueError, match="needs 3 axes.*got 2"):
        show_pipeline(pipe, image, axes=given[0])
    with pytest.raises(ValueError, match=r"one 2D image.*\(1, 303, 384\)"):
        show_pipeline(pipe, image[None])


def test_show_pipeline_final_predictor_without_objects(coins):
    image, _ = coins
    # a counter right after the input: no objects to number, count in the title
    pipe = sks.make_pipeline(sks.ObjectCounter()).fit(image[None])
    axes = show_pipeline(pipe, image)
    assert len(axes) == 1 and len(axes[0].texts) == 0
    count = sks.ObjectCounter().predict(image[None])[0]
    assert axes[0].get_title().endswith(f"\nobjectcounter: {count}")


# --- matplotlib is optional ---------------------------------------------------


def test_missing_matplotlib_names_the_extra(coins, monkeypatch):
    image, labels = coins
    pipe = _recipe(sks.make_pipeline).fit(image[None])
    for module in ["matplotlib.pyplot", "matplotlib.figure", "matplotlib.patheffects"]:
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=r"show_labels.*sksegment\[plot\]"):
        show_labels(image, labels)
    with pytest.raises(ImportError, match=r"show_pipeline.*sksegment\[plot\]"):
        show_pipeline(pipe, image)
    with pytest.raises(ImportError, match=r"overlay.*sksegment\[plot\]"):
        overlay(image, labels)
    # without numbers, overlay needs no matplotlib
    assert overlay(image, labels, numbers=False).shape == (303, 384, 3)
    assert reading_order(labels).size == 24
