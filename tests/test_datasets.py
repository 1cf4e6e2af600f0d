import inspect

import numpy as np
import pytest
from scipy import ndimage
from skimage.filters import gaussian, threshold_local, threshold_otsu
from skimage.measure import label
from skimage.morphology import closing, footprint_rectangle
from skimage.segmentation import clear_border
from sklearn.utils._param_validation import InvalidParameterError

from sksegment.datasets import load_coins, make_objects, make_strokes

from conftest import HARD, skimage_recipe

SMALL = dict(n_images=4, shape=(96, 128), n_objects=(2, 5), radius=(5, 9))
# the objects alone: no border objects, debris, cracks or noise
PLAIN = dict(border_objects=0, debris=0, crack_fraction=0.0, noise=0.0)


def recipe_counts(images, threshold, side=5, min_area=50):
    """The objects scikit-image's recipe keeps in each image."""
    return np.array(
        [
            len(np.unique(skimage_recipe(image, threshold, side, min_area))) - 1
            for image in images
        ]
    )


# load_coins


def test_load_coins_shapes_dtypes_and_count():
    coins = load_coins()
    assert set(coins) == {"images", "counts", "DESCR"}
    assert coins.images.shape == (1, 303, 384)
    assert coins.images.dtype == np.uint8
    assert coins.counts.shape == (1,)
    assert coins.counts.dtype == np.int64
    assert coins.counts[0] == 24
    assert "plot_label.py" in coins.DESCR
    assert "120" in coins.DESCR and "107" in coins.DESCR


def test_load_coins_returns_a_fresh_copy():
    first = load_coins()
    first.images[...] = 0
    assert load_coins().images.max() > 0


def test_load_coins_recipe_recovers_the_count():
    coins = load_coins()
    assert recipe_counts(coins.images, 120, min_area=101) == coins.counts


def test_load_coins_otsu_threshold_is_too_low():
    # The claim made in DESCR: Otsu's threshold undercounts the coins.
    images = load_coins().images
    assert threshold_otsu(images[0]) == 107
    assert recipe_counts(images, 107, min_area=101) == 21


# make_objects: output contract


def test_make_objects_shapes_and_dtypes():
    data = make_objects(**SMALL, random_state=0)
    assert set(data) == {"images", "counts", "labels", "DESCR"}
    assert data.images.shape == (4, 96, 128)
    assert data.images.dtype == np.uint8
    assert data.labels.shape == (4, 96, 128)
    assert data.labels.dtype == np.int32
    assert data.counts.shape == (4,)
    assert data.counts.dtype == np.int64
    assert isinstance(data.DESCR, str) and "n_objects=(2, 5)" in data.DESCR


def test_make_objects_defaults():
    data = make_objects(n_images=2, random_state=0)
    assert data.images.shape == (2, 256, 256)
    assert ((data.counts >= 8) & (data.counts <= 16)).all()


def test_make_objects_is_reproducible():
    a = make_objects(**SMALL, random_state=0)
    b = make_objects(**SMALL, random_state=0)
    c = make_objects(**SMALL, random_state=np.random.RandomState(0))
    for key in ("images", "labels", "counts"):
        np.testing.assert_array_equal(a[key], b[key])
        np.testing.assert_array_equal(a[key], c[key])
    d = make_objects(**SMALL, random_state=1)
    assert not np.array_equal(a.images, d.images)
    assert not np.array_equal(a.labels, d.labels)


def test_make_objects_random_state_instance_is_advanced():
    rng = np.random.RandomState(0)
    a = make_objects(**SMALL, random_state=rng)
    b = make_objects(**SMALL, random_state=rng)
    assert not np.array_equal(a.images, b.images)


def test_make_objects_counts_are_the_labels():
    data = make_objects(n_images=6, shape=(128, 128), random_state=0)
    assert (data.counts > 0).all()
    np.testing.assert_array_equal(data.labels.max(axis=(1, 2)), data.counts)
    for labels, count in zip(data.labels, data.counts):
        np.testing.assert_array_equal(np.unique(labels), np.arange(count + 1))
        # each object is one connected component, and no two objects touch
        components = label(labels > 0)
        assert components.max() == count
        pairs = np.unique(np.stack([components, labels])[:, labels > 0], axis=1)
        assert pairs.shape[1] == count


@pytest.mark.parametrize("min_gap", [2, 8, 11])
def test_make_objects_objects_are_inside_with_margin(min_gap):
    data = make_objects(
        n_images=5, shape=(64, 80), radius=(5, 8), min_gap=min_gap, random_state=0
    )
    assert data.counts.sum() > 0
    for labels in data.labels:
        rows, cols = np.nonzero(labels)
        assert rows.min() >= min_gap and cols.min() >= min_gap
        assert rows.max() <= 64 - 1 - min_gap and cols.max() <= 80 - 1 - min_gap


@pytest.mark.parametrize("min_gap", [3, 8])
def test_make_objects_objects_are_apart_from_every_bright_thing(min_gap):
    busy = dict(n_objects=(10, 20), border_objects=4, debris=10, noise=0.0)
    data = make_objects(3, (128, 128), min_gap=min_gap, random_state=0, **busy)
    assert data.counts.sum() > 0
    side = 2 * min_gap + 1
    for image, labels in zip(data.images, data.labels):
        bright = (image > 128) | (labels > 0)
        for i in range(1, labels.max() + 1):
            obj = labels == i
            near = ndimage.binary_dilation(obj, structure=np.ones((side, side)))
            assert not (near & bright & ~obj).any()


def test_make_objects_places_fewer_objects_when_crowded():
    data = make_objects(
        n_images=2, shape=(48, 48), n_objects=50, radius=5, random_state=0
    )
    assert (data.counts < 50).all()
    assert (data.counts > 0).all()
    np.testing.assert_array_equal(data.labels.max(axis=(1, 2)), data.counts)


def test_make_objects_fixed_and_zero_numbers_of_objects():
    data = make_objects(n_images=3, shape=(128, 128), n_objects=5, random_state=0)
    np.testing.assert_array_equal(data.counts, [5, 5, 5])
    data = make_objects(n_images=2, shape=(64, 64), n_objects=0, random_state=0)
    np.testing.assert_array_equal(data.counts, [0, 0])
    assert not data.labels.any()


def test_make_objects_smallest_shape():
    data = make_objects(n_images=2, shape=(32, 32), radius=(5, 7), random_state=0)
    assert data.images.shape == (2, 32, 32)
    np.testing.assert_array_equal(data.labels.max(axis=(1, 2)), data.counts)


# make_objects: grey levels and distractors


def test_make_objects_grey_levels_without_noise():
    data = make_objects(
        **SMALL, crack_fraction=0.0, gradient=0.3, noise=0.0, random_state=0
    )
    objects = data.labels > 0
    assert data.images[objects].min() >= 150
    assert data.images[objects].max() <= 220
    background = data.images < 128
    assert not (background & objects).any()  # no crack, no dark pixel inside
    assert data.images[background].min() >= 25
    assert data.images[background].max() <= round(25 + 0.3 * 255)
    # the gradient spans most of its range in every image
    for image in data.images:
        assert np.ptp(image[image < 128]) >= 0.8 * 0.3 * 255


def test_make_objects_flat_background_without_gradient():
    data = make_objects(**SMALL, gradient=0.0, noise=0.0, random_state=0)
    background = data.images[data.images < 128]
    np.testing.assert_array_equal(np.unique(background), [25])


def test_make_objects_cracks_split_objects_but_stay_in_labels():
    data = make_objects(
        n_images=3, shape=(128, 128), crack_fraction=1.0, noise=0.0, random_state=0
    )
    eight = np.ones((3, 3))
    for image, labels in zip(data.images, data.labels):
        for i in range(1, labels.max() + 1):
            obj = labels == i
            assert (obj & (image < 128)).any()  # crack pixels are labelled
            assert ndimage.label(obj & (image > 128), structure=eight)[1] >= 2


def test_make_objects_crack_fraction_is_a_fraction_of_each_image():
    data = make_objects(
        n_images=4, shape=(128, 128), crack_fraction=0.5, noise=0.0, random_state=0
    )
    for image, labels, count in zip(data.images, data.labels, data.counts):
        cracked = np.unique(labels[(labels > 0) & (image < 128)])
        assert len(cracked) == np.floor(0.5 * count + 0.5)


def test_make_objects_border_objects_and_debris_are_not_labelled():
    distractors = dict(border_objects=3, debris=5, noise=0.0)
    data = make_objects(3, (128, 128), n_objects=(4, 8), random_state=0, **distractors)
    for image, labels in zip(data.images, data.labels):
        extra = label((image > 128) & (labels == 0))
        areas = np.bincount(extra.ravel())[1:]
        edges = np.concatenate([extra[0], extra[-1], extra[:, 0], extra[:, -1]])
        on_border = np.setdiff1d(np.unique(edges), [0])
        inside = np.setdiff1d(np.arange(1, extra.max() + 1), on_border)
        assert len(on_border) == 3
        assert len(inside) == 5
        assert areas[inside - 1].max() <= 20
        # border objects are big enough to pass the area filter: the recipe
        # needs clear_border
        assert areas[on_border - 1].min() >= 50


def test_make_objects_without_distractors():
    data = make_objects(**SMALL, border_objects=0, debris=0, noise=0.0, random_state=0)
    assert not ((data.images > 128) & (data.labels == 0)).any()


# make_objects: the classical recipe solves the data


@pytest.mark.parametrize("threshold, side", [(130, 5), (130, 3), (140, 7), (150, 5)])
def test_make_objects_recipe_recovers_counts(threshold, side):
    data = make_objects(n_images=10, random_state=42)
    counts = recipe_counts(data.images, threshold, side=side)
    np.testing.assert_array_equal(counts, data.counts)


def test_make_objects_recipe_without_closing_overcounts_cracks():
    data = make_objects(n_images=10, crack_fraction=1.0, random_state=42)
    np.testing.assert_array_equal(recipe_counts(data.images, 130), data.counts)
    without = recipe_counts(data.images, 130, side=1)
    assert (without > data.counts).all()
    assert without.sum() >= 1.5 * data.counts.sum()


def test_make_objects_recipe_without_cracks_needs_no_closing():
    data = make_objects(n_images=10, crack_fraction=0.0, random_state=42)
    np.testing.assert_array_equal(recipe_counts(data.images, 130, side=1), data.counts)


def test_make_objects_recipe_needs_clear_border_and_area_filter():
    data = make_objects(n_images=5, random_state=42)
    mask = np.stack(
        [closing(im > 130, footprint_rectangle((5, 5))) for im in data.images]
    )
    no_clear = np.array([label(m).max() for m in mask])
    assert (no_clear > data.counts).all()  # border objects and debris
    no_area = np.array([label(clear_border(m)).max() for m in mask])
    assert (no_area > data.counts).all()  # debris


# make_objects: argument validation


@pytest.mark.parametrize(
    "name, value",
    [
        ("n_images", 0),
        ("n_images", 2.0),
        ("n_images", True),
        ("shape", (64, 64, 3)),
        ("shape", (64,)),
        ("shape", 64),
        ("shape", (64.0, 64)),
        ("shape", (31, 64)),
        ("n_objects", (5, 2)),
        ("n_objects", -1),
        ("n_objects", (1, 2, 3)),
        ("n_objects", (1, 2.5)),
        ("radius", (4, 8)),
        ("radius", (9, 8)),
        ("radius", (5, np.inf)),
        ("radius", "7"),
        ("border_objects", -1),
        ("debris", 1.5),
        ("crack_fraction", 1.5),
        ("crack_fraction", np.nan),
        ("gradient", 0.5),
        ("noise", -0.1),
        ("noise", "low"),
        ("min_gap", 1),
    ],
)
def test_make_objects_rejects_bad_arguments(name, value):
    with pytest.raises(
        InvalidParameterError, match=f"'{name}' parameter of make_objects must be"
    ):
        make_objects(**{name: value})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(shape=(32, 32)), r"radius=\(7, 14\).*do not fit.*45"),
        (dict(random_state="seed"), r"seed"),
    ],
)
def test_make_objects_rejects_a_crowded_shape_and_a_bad_seed(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_objects(**kwargs)


# make_objects: touching objects


def _clumps(labels):
    """Connected components of the objects that hold several ids: their ids."""
    components = label(labels > 0)
    clumps = []
    for i in range(1, components.max() + 1):
        ids = np.unique(labels[components == i])
        if len(ids) > 1:
            clumps.append(ids)
    return clumps


def test_make_objects_touching_objects_are_one_component_but_several_ids():
    data = make_objects(
        n_images=6, touching=0.5, noise=0.0, crack_fraction=0.0, random_state=0
    )
    n_clumped = 0
    for image, labels, count in zip(data.images, data.labels, data.counts):
        np.testing.assert_array_equal(np.unique(labels), np.arange(count + 1))
        bright = label(image > 128)  # the image's mask, as a threshold sees it
        clumps = _clumps(labels)
        assert clumps
        for ids in clumps:
            assert len(ids) in (2, 3)
            inside = np.isin(labels, ids)
            assert len(np.unique(bright[inside])) == 1  # one component
            assert (bright[inside] > 0).all()
            n_clumped += len(ids)
        # every id is connected, and ids outside clumps stay apart
        for i in range(1, count + 1):
            assert label(labels == i).max() == 1
        components = label(labels > 0).max()
        assert components == count - sum(len(ids) - 1 for ids in clumps)
    assert n_clumped >= 0.4 * data.counts.sum()


def test_make_objects_touching_fraction_and_geometry():
    layout = dict(n_objects=10, radius=(8, 10), touching=0.6)
    data = make_objects(5, (200, 200), random_state=1, **layout, **PLAIN)
    for labels in data.labels:
        clumps = _clumps(labels)
        if labels.max() == 10:  # everything placed: 6 objects in clumps
            assert sum(len(ids) for ids in clumps) == 6
        for ids in clumps:
            centres = np.array([np.argwhere(labels == i).mean(axis=0) for i in ids])
            gaps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
            # consecutive discs overlap modestly (the centroids of the
            # nearest-centre pieces sit a little farther apart than the
            # centres, 1.3 to 1.6 radii)
            assert (gaps > 1.3 * 8).all() and (gaps < 2 * 1.6 * 10).all()


def test_make_objects_touching_objects_are_never_cracked():
    data = make_objects(
        n_images=4, touching=0.5, crack_fraction=1.0, noise=0.0, random_state=0
    )
    for image, labels in zip(data.images, data.labels):
        cracked = np.unique(labels[(labels > 0) & (image < 128)])
        clumped = np.concatenate(_clumps(labels))
        assert not np.isin(cracked, clumped).any()
        assert len(cracked) == labels.max() - len(clumped)


def test_make_objects_touching_needs_splitting():
    data = make_objects(n_images=10, touching=0.5, random_state=42)
    counts = recipe_counts(data.images, 130)
    assert (counts < data.counts).all()  # each clump is counted once
    np.testing.assert_array_equal(counts, [label(lab > 0).max() for lab in data.labels])


def test_make_objects_touching_with_few_objects():
    one = make_objects(
        n_images=3, shape=(64, 64), n_objects=1, radius=5, touching=1.0, random_state=0
    )
    np.testing.assert_array_equal(one.counts, [1, 1, 1])  # no clump of one
    few = dict(n_objects=4, radius=6, touching=0.2, crack_fraction=0.0)
    # round(0.8) = 1 object in clumps: raised to a pair
    for labels in make_objects(3, (128, 128), random_state=0, **few).labels:
        assert [len(ids) for ids in _clumps(labels)] == [2]


# make_objects: dim objects


def test_make_objects_dim_objects_are_dimmer_than_the_bright_background():
    data = make_objects(
        5,
        dim_fraction=0.4,
        gradient=0.45,
        noise=0.0,
        crack_fraction=0.0,
        random_state=0,
    )
    bright_side = 25 + 0.45 * 255
    for image, labels, count in zip(data.images, data.labels, data.counts):
        np.testing.assert_array_equal(np.unique(labels), np.arange(count + 1))
        levels = np.array([image[labels == i].max() for i in range(1, count + 1)])
        dim = levels < 150
        assert dim.sum() == np.floor(0.4 * count + 0.5)
        assert (levels[dim] <= bright_side - 15).all()
        assert (levels[~dim] >= 150).all()
        background = image[labels == 0]
        assert background.max() >= round(bright_side) - 1
        # yet each dim object is 40 grey levels above the background around it
        for i in np.flatnonzero(dim) + 1:
            obj = labels == i
            ring = ndimage.binary_dilation(obj, iterations=2) & ~obj
            assert image[obj].min() >= image[ring].max() + 40 - 1


def test_make_objects_dim_objects_defeat_a_global_threshold():
    data = make_objects(n_images=10, dim_fraction=0.3, gradient=0.45, random_state=0)
    for threshold in range(40, 200, 5):
        counts = recipe_counts(data.images, threshold)
        assert (counts != data.counts).sum() >= 5
    # a threshold that follows the background finds every object
    local = []
    for image in data.images:
        smooth = gaussian(image.astype(float), sigma=2, preserve_range=True)
        mask = smooth > threshold_local(smooth, 71, offset=-20)
        mask = closing(mask, footprint_rectangle((5, 5)))
        areas = np.bincount(label(clear_border(mask)).ravel())[1:]
        local.append(np.count_nonzero(areas >= 50))
    np.testing.assert_array_equal(local, data.counts)


def test_make_objects_dim_and_touching_together():
    data = make_objects(
        n_images=4, touching=0.4, dim_fraction=0.4, noise=0.0, random_state=3
    )
    for image, labels, count in zip(data.images, data.labels, data.counts):
        np.testing.assert_array_equal(np.unique(labels), np.arange(count + 1))
        clumped = np.concatenate(_clumps(labels))
        levels = np.array([image[labels == i].max() for i in range(1, count + 1)])
        assert (levels[clumped - 1] >= 150).all()  # clump discs are not dim
        assert (levels < 150).any()


def test_make_objects_new_options_default_to_the_old_images():
    a = make_objects(**SMALL, random_state=0)
    b = make_objects(**SMALL, touching=0.0, dim_fraction=0.0, random_state=0)
    for key in ("images", "labels", "counts"):
        np.testing.assert_array_equal(a[key], b[key])
    assert "touching=0, dim_fraction=0" in a.DESCR


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(touching=1.5), InvalidParameterError, r"'touching' parameter.*Got 1\.5"),
        (dict(touching=-0.1), InvalidParameterError, r"'touching' parameter"),
        (dict(touching="some"), InvalidParameterError, r"'touching' parameter"),
        (dict(dim_fraction=np.nan), InvalidParameterError, r"'dim_fraction' parameter"),
        (dict(dim_fraction=True), InvalidParameterError, r"'dim_fraction' parameter"),
        (
            dict(dim_fraction=0.2, gradient=0.25),
            ValueError,
            r"dim objects need gradient >= 0\.3.*dim_fraction=0\.2 with gradient=0\.25",
        ),
        (
            dict(touching=0.6, dim_fraction=0.5, gradient=0.4),
            ValueError,
            r"touching \+ dim_fraction must be <= 1.*touching=0\.6.*dim_fraction=0\.5",
        ),
    ],
)
def test_make_objects_rejects_bad_new_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_objects(**kwargs)


# make_objects: classes


_DEFAULTS = {
    name: p.default for name, p in inspect.signature(make_objects).parameters.items()
}


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(SMALL, n_images=3),
        dict(n_images=2),
        dict(
            n_images=3,
            shape=(128, 128),
            touching=0.5,
            dim_fraction=0.3,
            gradient=0.4,
        ),
    ],
    ids=["small", "defaults", "touching-and-dim"],
)
def test_make_objects_without_classes_is_unchanged(kwargs):
    data = make_objects(**kwargs, random_state=0)
    assert set(data) == {"images", "counts", "labels", "DESCR"}
    assert "Classes" not in data.DESCR
    given = {**_DEFAULTS, **kwargs}
    n, shape = given["n_images"], given["shape"]
    assert data.images.shape == data.labels.shape == (n, *shape)
    assert data.images.dtype == np.uint8 and data.labels.dtype == np.int32
    assert data.counts.shape == (n,) and data.counts.dtype == np.int64
    low, high = given["n_objects"]
    assert ((data.counts >= low) & (data.counts <= high)).all()
    for labels, count in zip(data.labels, data.counts):
        np.testing.assert_array_equal(np.unique(labels), np.arange(count + 1))
    # classes=None is the default: the same images, labels and description
    same = make_objects(**kwargs, classes=None, random_state=0)
    for key in ("images", "labels", "counts"):
        np.testing.assert_array_equal(same[key], data[key])
    assert same.DESCR == data.DESCR
    other = make_objects(**kwargs, random_state=1)
    assert not np.array_equal(other.images, data.images)


def _regions(labels):
    from skimage.measure import regionprops

    return regionprops(labels)


def test_make_objects_builtin_classes():
    data = make_objects(n_images=16, shape=(160, 160), classes=4, random_state=0)
    assert set(data) == {
        "images",
        "counts",
        "labels",
        "target",
        "target_names",
        "DESCR",
    }
    assert data.target.dtype == np.int64 and data.target.shape == (16,)
    assert np.bincount(data.target).tolist() == [4, 4, 4, 4]  # balanced
    assert data.target.tolist() != sorted(data.target.tolist())  # shuffled
    assert data.target_names.tolist() == [
        "small round",
        "large round",
        "elongated",
        "crowded",
    ]
    assert "Classes" in data.DESCR and "3. crowded: n_objects=(16, 32)" in data.DESCR
    # counts and labels stay exact
    np.testing.assert_array_equal(data.labels.max(axis=(1, 2)), data.counts)
    np.testing.assert_array_equal(recipe_counts(data.images, 130), data.counts)

    def per_class(func):
        values = [[] for _ in range(4)]
        for labels, target in zip(data.labels, data.target):
            values[target].extend(func(r) for r in _regions(labels))
        return [np.array(v) for v in values]

    small, large, elongated, crowded = per_class(lambda r: r.axis_minor_length / 2)
    assert small.min() >= 5 and small.max() <= 9.5
    assert large.min() >= 9 and large.max() <= 14.5
    assert elongated.max() <= 8.5 and crowded.max() <= 9.5
    ratios = per_class(lambda r: r.axis_major_length / r.axis_minor_length)
    assert ratios[0].max() <= 1.5 and ratios[1].max() <= 1.5
    assert ratios[2].min() >= 1.6 and ratios[2].max() <= 2.8
    counts = [data.counts[data.target == k] for k in range(4)]
    assert counts[3].min() > counts[0].max()  # crowded: twice the objects


def test_make_objects_two_classes_are_the_first_builtin_ones():
    data = make_objects(n_images=5, shape=(96, 96), classes=2, random_state=0)
    assert data.target_names.tolist() == ["small round", "large round"]
    assert sorted(np.bincount(data.target).tolist()) == [2, 3]


def test_make_objects_class_specs():
    specs = [
        {"n_objects": 2, "level": (230, 240)},
        {"name": "dim and many", "n_objects": (5, 5), "level": 160, "radius": 6},
    ]
    data = make_objects(6, (96, 96), classes=specs, random_state=0, **PLAIN)
    assert data.target_names.tolist() == ["class 0", "dim and many"]
    np.testing.assert_array_equal(data.counts, np.where(data.target == 0, 2, 5))
    for image, labels, target in zip(data.images, data.labels, data.target):
        levels = image[labels > 0]
        if target == 0:
            assert levels.min() >= 230 and levels.max() <= 240
        else:
            assert (levels == 160).all()
            areas = np.bincount(labels.ravel())[1:]
            # digital discs of radius 6: pi * 36 = 113 pixels, give or take
            assert (np.abs(areas - np.pi * 36) <= 4).all()
        assert (image[labels == 0] < 150).all()
    assert "1. dim and many: n_objects=(5, 5), radius=(6.0, 6.0)" in data.DESCR


def test_make_objects_classes_are_reproducible():
    a = make_objects(n_images=4, shape=(96, 96), classes=3, random_state=1)
    b = make_objects(n_images=4, shape=(96, 96), classes=3, random_state=1)
    c = make_objects(n_images=4, shape=(96, 96), classes=3, random_state=2)
    for key in ("images", "labels", "counts", "target"):
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a.images, c.images)


def test_make_objects_elongation_with_touching_and_dim_objects():
    data = make_objects(
        n_images=4,
        shape=(160, 160),
        classes=[{"elongation": (2, 2)}, {}],
        touching=0.3,
        dim_fraction=0.3,
        gradient=0.4,
        random_state=0,
    )
    assert data.target_names.tolist() == ["class 0", "class 1"]
    np.testing.assert_array_equal(data.labels.max(axis=(1, 2)), data.counts)
    assert "0. class 0: elongation=(2.0, 2.0)." in data.DESCR
    assert "1. class 1: as the arguments." in data.DESCR


@pytest.mark.parametrize(
    "classes, error, match",
    [
        (1, InvalidParameterError, r"'classes' parameter.*\[2, 4\].*Got 1 "),
        (5, InvalidParameterError, r"'classes' parameter.*\[2, 4\]"),
        (True, InvalidParameterError, r"'classes' parameter.*Got True"),
        ("two", InvalidParameterError, r"'classes' parameter.*Got 'two'"),
        ([], InvalidParameterError, r"at least 1 item.*Got \[\]"),
        ({"radius": 6}, InvalidParameterError, r"'classes' parameter.*each a dict"),
        (
            [{}, 3],
            InvalidParameterError,
            r"each a dict with keys among.*Got \[\{\}, 3\]",
        ),
        ([{"size": 3}], ValueError, r"classes\[0\] has unknown keys \['size'\]"),
        (
            [{"radius": (4, 8)}],
            InvalidParameterError,
            r"classes\[0\]\['radius'\] must be.*5 <= low",
        ),
        ([{"elongation": 0.5}], ValueError, r"classes\[0\]\['elongation'\] must"),
        (
            [{"level": (100, 200)}],
            InvalidParameterError,
            r"classes\[0\]\['level'\] must be",
        ),
        (
            [{"level": (200, 300)}],
            InvalidParameterError,
            r"150 <= low <= high <= 255.*\(200, 300\)",
        ),
        ([{"n_objects": -1}], ValueError, r"classes\[0\]\['n_objects'\] must"),
        ([{"name": 3}], TypeError, r"classes\[0\]\['name'\] must be a str"),
        (
            [{}, {"radius": (6, 9), "elongation": 4}],
            ValueError,
            r"objects of classes\[1\] \('class 1'\) do not fit.*36",
        ),
    ],
)
def test_make_objects_rejects_bad_classes(classes, error, match):
    with pytest.raises(error, match=match):
        make_objects(n_images=2, shape=(64, 64), radius=(5, 8), classes=classes)


# hard images: texture, haze, contrast (conftest.HARD)


def test_hard_options_default_to_the_unchanged_images():
    plain = make_objects(**SMALL, touching=0.3, random_state=3)
    explicit = make_objects(
        **SMALL, touching=0.3, texture=0.0, haze=0.0, contrast=None, random_state=3
    )
    for key in ("images", "labels", "counts"):
        np.testing.assert_array_equal(plain[key], explicit[key])
    assert plain.DESCR == explicit.DESCR


def test_hard_images_keep_the_objects_and_defeat_a_global_threshold():
    easy = make_objects(**SMALL, touching=0.3, gradient=0.1, noise=0, random_state=4)
    hard = make_objects(**SMALL, touching=0.3, noise=0, random_state=4, **HARD)
    np.testing.assert_array_equal(hard.labels, easy.labels)
    np.testing.assert_array_equal(hard.counts, easy.counts)
    assert "haze=0.45" in hard.DESCR and "Hard images" in hard.DESCR
    for image, labels in zip(hard.images, hard.labels):
        # some background (under the haze) is brighter than some object
        assert image[labels == 0].max() > image[labels > 0].min()


def test_contrast_is_above_the_lighting_under_each_object():
    data = make_objects(
        **SMALL, **PLAIN, gradient=0.2, contrast=(30, 60), random_state=5
    )
    rows, cols = np.indices(data.images.shape[1:])
    design = np.column_stack([np.ones(rows.size), rows.ravel(), cols.ravel()])
    for image, labels in zip(data.images, data.labels):
        background = labels.ravel() == 0
        # the lighting is a plane: fitted on the background pixels
        coef, *_ = np.linalg.lstsq(
            design[background], image.ravel()[background].astype(float), rcond=None
        )
        lighting = (design @ coef).reshape(image.shape)
        for k in range(1, labels.max() + 1):
            inside = labels == k
            level = image[inside].astype(float)
            assert level.max() - level.min() <= 1  # flat, up to rounding
            above = level.mean() - lighting[inside].max()
            assert 30 - 1.5 <= above <= 60 + 1.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"haze": 0.3}, r"haze=0.3 would saturate.*220"),
        ({"haze": 0.5, "contrast": (20, 100)}, r"contrast_high = 201.5"),
        ({"texture": 0.6}, r"'texture' parameter.*\[0\.0, 0\.5\]"),
        ({"haze": -0.1}, r"'haze' parameter.*\[0\.0, 0\.8\]"),
        ({"contrast": (0, 10)}, r"'contrast' parameter.*1 <= low <= high \(in grey"),
        ({"contrast": 30, "classes": [{"level": 200}, {}]}, r"cannot be combined"),
    ],
)
def test_hard_options_are_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_objects(n_images=2, shape=(64, 64), radius=(5, 8), **kwargs)


# make_strokes


def test_strokes_annotate_every_object_and_little_else():
    data = make_objects(**SMALL, touching=0.3, random_state=6, **HARD)
    strokes = make_strokes(data.labels, data.images, random_state=0)
    assert strokes.shape == data.labels.shape and strokes.dtype == np.uint8
    assert set(np.unique(strokes)) == {0, 1, 2}
    assert np.all(data.labels[strokes == 2] > 0)
    assert np.all(data.labels[strokes == 1] == 0)
    for labels, marks in zip(data.labels, strokes):
        annotated = np.unique(labels[marks == 2])
        np.testing.assert_array_equal(annotated, np.arange(1, labels.max() + 1))
    assert np.count_nonzero(strokes) < 0.05 * strokes.size
    # the images add short strokes on the brightest background
    without = make_strokes(data.labels, random_state=0)
    extra = (strokes == 1) & (without == 0)
    background = data.labels == 0
    assert extra.any()
    assert data.images[extra].mean() > data.images[background].mean()


def test_strokes_of_lists_masks_and_bad_input():
    data = make_objects(n_images=2, shape=(64, 64), radius=(5, 8), random_state=7)
    as_list = make_strokes(list(data.labels > 0), random_state=1)
    assert isinstance(as_list, list)
    np.testing.assert_array_equal(
        np.stack(as_list), make_strokes(data.labels > 0, random_state=1)
    )
    with pytest.raises(ValueError, match="batch of 2D label images"):
        make_strokes(data.labels[0])
    with pytest.raises(ValueError, match="one image per label image"):
        make_strokes(data.labels, data.images[:1])
    with pytest.raises(ValueError, match="must match"):
        make_strokes(data.labels, data.images[:, :10])
    with pytest.raises(InvalidParameterError, match="'n_lines' parameter"):
        make_strokes(data.labels, n_lines=1.5)


def test_make_objects_stops_placing_when_the_image_is_full():
    """Far more objects than fit: the image is filled, not tried for ever."""
    full = make_objects(n_images=2, shape=(64, 64), n_objects=10**9, random_state=0)
    crowded = make_objects(n_images=2, shape=(64, 64), n_objects=60, random_state=0)
    assert 1 <= full.counts.max() <= crowded.counts.max() + 3
    for labels, count in zip(full.labels, full.counts):
        np.testing.assert_array_equal(np.unique(labels), np.arange(count + 1))
