import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.feature import peak_local_max
from skimage.measure import label, regionprops, regionprops_table
from skimage.morphology import closing, footprint_rectangle, local_maxima
from skimage.segmentation import clear_border, watershed
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from sksegment import AreaFilter, BorderClearer, ComponentLabeler, _kernels, objects
from sksegment.datasets import make_objects
from sksegment.objects import MaxCountGuard, ObjectFilter, WatershedSplitter


def _masks(shape, seed=0, density=0.6):
    return np.random.default_rng(seed).random(shape) > density


def _same_partition(a, b):
    """Label images equal up to a permutation of ids (0 stays background)."""
    assert a.shape == b.shape
    assert ((a == 0) == (b == 0)).all()
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    assert len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]
    return True


# --- ComponentLabeler ------------------------------------------------------


@pytest.mark.parametrize("connectivity", [None, 1, 2])
@pytest.mark.parametrize("dtype", [bool, np.float32, np.float64])
def test_labeler_equals_skimage_label_on_masks(connectivity, dtype):
    masks = _masks((3, 20, 25))
    out = ComponentLabeler(connectivity).fit_transform(masks.astype(dtype))
    assert out.dtype == np.int32
    for mask, labels in zip(masks, out):
        np.testing.assert_array_equal(labels, label(mask, connectivity=connectivity))


@pytest.mark.parametrize("connectivity", [None, 1, 2, 3])
def test_labeler_equals_skimage_label_in_3d(connectivity):
    volumes = _masks((2, 6, 7, 8), seed=1, density=0.7)
    out = ComponentLabeler(connectivity).fit_transform(volumes)
    for volume, labels in zip(volumes, out):
        np.testing.assert_array_equal(labels, label(volume, connectivity=connectivity))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
def test_labeler_relabels_label_images_like_skimage(dtype):
    labels = np.array(
        [[[1, 1, 2, 0, 1], [0, 0, 2, 0, 1], [3, 0, 0, 0, 0]]], dtype=dtype
    )
    out = ComponentLabeler().fit_transform(labels)
    np.testing.assert_array_equal(out[0], label(labels[0], background=0))
    assert out[0].max() == 4  # 1 has two pieces, 2 touches 1 but stays apart


def test_labeler_connectivity_larger_than_the_image_is_refused():
    with pytest.raises(ValueError, match="ComponentLabeler: connectivity=3 exceeds"):
        ComponentLabeler(3).fit_transform(_masks((1, 5, 5)))


# --- BorderClearer ---------------------------------------------------------


@pytest.mark.parametrize("buffer_size", [0, 1, 3])
def test_border_clearer_equals_clear_border_on_masks(buffer_size):
    masks = _masks((3, 22, 19), seed=2, density=0.7)
    out = BorderClearer(buffer_size).fit_transform(masks)
    assert out.dtype == bool
    for mask, cleared in zip(masks, out):
        np.testing.assert_array_equal(
            cleared, clear_border(mask, buffer_size=buffer_size)
        )


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64])
def test_border_clearer_equals_clear_border_on_label_images(dtype):
    labels = label(_masks((30, 30), seed=3, density=0.7)).astype(dtype)
    out = BorderClearer(1).fit_transform(labels[None])
    # ids kept: int32 when the dtype fits int32, int64 for int64
    assert out.dtype == (np.int64 if np.dtype(dtype) == np.int64 else np.int32)
    np.testing.assert_array_equal(out[0], clear_border(labels, buffer_size=1))


def test_border_clearer_3d():
    volumes = _masks((2, 8, 9, 10), seed=4, density=0.75)
    out = BorderClearer().fit_transform(volumes)
    for volume, cleared in zip(volumes, out):
        np.testing.assert_array_equal(cleared, clear_border(volume))


def test_border_clearer_removes_a_whole_label_touching_the_border():
    labels = np.array([[[0, 0, 0, 0, 5], [0, 5, 0, 0, 0], [0, 0, 0, 0, 0]]])
    assert BorderClearer().fit_transform(labels).max() == 0


def test_border_clearer_uses_connectivity_for_masks():
    mask = np.zeros((1, 6, 6), dtype=bool)
    mask[0, 0, 0] = mask[0, 1, 1] = mask[0, 2, 2] = True  # diagonal chain to border
    assert not BorderClearer().fit_transform(mask).any()
    kept = BorderClearer(connectivity=1).fit_transform(mask)
    assert kept[0, 1, 1] and kept[0, 2, 2] and not kept[0, 0, 0]


def test_border_clearer_with_sparse_large_ids():
    labels = np.zeros((1, 6, 6), dtype=np.int64)
    labels[0, 0, :2] = 10**12
    labels[0, 2:4, 2:4] = 7 * 10**11
    out = BorderClearer().fit_transform(labels)
    assert out.dtype == np.int64
    assert set(np.unique(out)) == {0, 7 * 10**11}


def test_buffer_as_large_as_the_image_is_refused():
    with pytest.raises(
        ValueError, match="BorderClearer: buffer_size=5 must be smaller"
    ):
        BorderClearer(5).fit_transform(_masks((1, 5, 9)))


# --- AreaFilter ------------------------------------------------------------


def _reference_area_filter(mask, min_area, max_area):
    labels = label(mask)
    areas = np.bincount(labels.ravel())
    keep = np.ones_like(areas, dtype=bool)
    if min_area is not None:
        keep &= areas >= min_area
    if max_area is not None:
        keep &= areas <= max_area
    keep[0] = False
    return keep[labels]


@pytest.mark.parametrize("bounds", [(None, None), (3, None), (None, 4), (2, 6), (5, 5)])
def test_area_filter_bounds_are_inclusive_on_masks(bounds):
    masks = _masks((3, 25, 25), seed=5, density=0.65)
    out = AreaFilter(*bounds).fit_transform(masks)
    assert out.dtype == bool
    for mask, kept in zip(masks, out):
        np.testing.assert_array_equal(kept, _reference_area_filter(mask, *bounds))


def test_area_filter_on_label_images_relabels_sequentially():
    labels = np.array([[[3, 3, 0, 9, 9, 9], [3, 0, 0, 0, 0, 0], [0, 0, 12, 0, 0, 7]]])
    out = AreaFilter(min_area=2).fit_transform(labels)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(
        out[0], [[1, 1, 0, 2, 2, 2], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]
    )


def test_area_filter_min_area_101_is_the_recipes_area_over_100():
    mask = np.zeros((1, 40, 40), dtype=bool)
    mask[0, 1:11, 1:11] = True  # 100 pixels
    mask[0, 20:30, 20:30] = True
    mask[0, 30, 20] = True  # 101 pixels
    out = AreaFilter(min_area=101).fit_transform(mask)
    assert out.sum() == 101


def test_area_filter_3d_with_connectivity():
    volumes = _masks((2, 6, 7, 8), seed=6, density=0.7)
    out = AreaFilter(min_area=3, connectivity=1).fit_transform(volumes)
    for volume, kept in zip(volumes, out):
        labels = label(volume, connectivity=1)
        areas = np.bincount(labels.ravel())
        expected = (areas >= 3)[labels] & (labels > 0)
        np.testing.assert_array_equal(kept, expected)


def test_area_filter_on_sparse_large_ids():
    labels = np.zeros((1, 5, 5), dtype=np.int64)
    labels[0, :2, :2] = 10**13
    labels[0, 4, 4] = 10**12
    out = AreaFilter(min_area=2).fit_transform(labels)
    assert set(np.unique(out)) == {0, 1} and (out == 1).sum() == 4


def test_area_filter_min_larger_than_max_is_refused():
    with pytest.raises(
        InvalidParameterError, match="min_area=10 is larger than max_area=5"
    ):
        AreaFilter(10, 5).fit(_masks((1, 5, 5)))


def test_label_pipeline_equals_skimage_up_to_permutation():
    masks = _masks((2, 30, 30), seed=7, density=0.6)
    cleared = BorderClearer().fit_transform(masks)
    labels = ComponentLabeler().fit_transform(cleared)
    kept = AreaFilter(min_area=4).fit_transform(labels)
    for mask, ours in zip(masks, kept):
        theirs = label(clear_border(mask))
        areas = np.bincount(theirs.ravel())
        theirs[(areas < 4)[theirs]] = 0
        assert _same_partition(ours, theirs)


# --- WatershedSplitter -----------------------------------------------------


def _discs(shape, centres, radius):
    """A mask of discs (balls in 3D) of one radius, at integer centres."""
    grid = np.indices(shape)
    mask = np.zeros(shape, dtype=bool)
    for centre in centres:
        d2 = sum((g - c) ** 2 for g, c in zip(grid, centre))
        mask |= d2 <= radius**2
    return mask


def _reference_split(mask, min_distance=5, footprint=None, connectivity=None):
    """The documented algorithm, written with scipy and scikit-image calls."""
    conn = mask.ndim if connectivity is None else connectivity
    distance = ndi.distance_transform_edt(mask)
    peaks = peak_local_max(
        distance,
        min_distance=min_distance,
        footprint=footprint,
        labels=label(mask, connectivity=conn),
        exclude_border=False,
    )
    markers = np.zeros(mask.shape, dtype=bool)
    markers[tuple(peaks.T)] = True
    # a flat top of the distance map holding a peak is one marker
    tops = label(local_maxima(distance, connectivity=conn), connectivity=conn)
    markers |= np.isin(tops, np.setdiff1d(tops[markers], [0]))
    return watershed(
        -distance, label(markers, connectivity=conn), mask=mask, connectivity=conn
    )


def _plain_reference_split(mask, min_distance=5):
    """Peaks of ``peak_local_max`` as markers, without the flat-top rule."""
    distance = ndi.distance_transform_edt(mask)
    peaks = peak_local_max(
        distance, min_distance=min_distance, labels=label(mask), exclude_border=False
    )
    markers = np.zeros(mask.shape, dtype=bool)
    markers[tuple(peaks.T)] = True
    return watershed(-distance, label(markers), mask=mask, connectivity=mask.ndim)


def test_splitter_splits_two_overlapping_discs():
    mask = _discs((30, 40), [(15, 12), (15, 24)], 8)  # centres 1.5 radii apart
    assert label(mask).max() == 1
    out = WatershedSplitter().fit_transform(mask[None])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(np.unique(out), [0, 1, 2])
    np.testing.assert_array_equal(out[0] > 0, mask)
    # each disc centre is in its own object, split at the neck
    assert out[0, 15, 12] == 1 and out[0, 15, 24] == 2
    assert (out[0, :, :17] != 2).all() and (out[0, :, 20:] != 1).all()


def test_splitter_keeps_a_single_disc_whole():
    mask = _discs((30, 30), [(15, 15)], 9)
    out = WatershedSplitter().fit_transform(mask[None])
    np.testing.assert_array_equal(out[0], mask.astype(np.int32))


@pytest.mark.parametrize("dtype", [bool, np.float32, np.float64])
@pytest.mark.parametrize("min_distance", [3, 5])
def test_splitter_equals_plain_skimage_recipe_on_discs(dtype, min_distance):
    # discs centred on pixels: every maximum is one pixel, no flat top
    mask = _discs(
        (48, 60),
        [(12, 12), (12, 23), (34, 14), (30, 40), (38, 48), (40, 30)],
        7,
    )
    out = WatershedSplitter(min_distance).fit_transform(mask[None].astype(dtype))
    expected = _plain_reference_split(mask, min_distance)
    np.testing.assert_array_equal(out[0], expected)
    assert out.max() == 6


@pytest.mark.parametrize("connectivity", [None, 1])
@pytest.mark.parametrize("min_distance", [1, 2, 4])
def test_splitter_equals_reference_on_random_masks(connectivity, min_distance):
    masks = ndi.binary_opening(_masks((3, 40, 40), seed=11, density=0.35))
    out = WatershedSplitter(min_distance, connectivity=connectivity).fit_transform(
        masks
    )
    for mask, ours in zip(masks, out):
        expected = _reference_split(mask, min_distance, connectivity=connectivity)
        np.testing.assert_array_equal(ours, expected)
        np.testing.assert_array_equal(ours > 0, mask)  # no pixel lost


def test_splitter_equals_reference_with_a_footprint():
    masks = ndi.binary_opening(_masks((2, 36, 36), seed=12, density=0.35))
    footprint = np.ones((5, 3), dtype=bool)
    out = WatershedSplitter(2, footprint=footprint).fit_transform(masks)
    for mask, ours in zip(masks, out):
        np.testing.assert_array_equal(ours, _reference_split(mask, 2, footprint))


def test_splitter_3d_two_overlapping_balls():
    volume = _discs((20, 22, 34), [(10, 11, 10), (10, 11, 22)], 7)
    out = WatershedSplitter().fit_transform(volume[None])
    assert out.max() == 2
    np.testing.assert_array_equal(out[0], _reference_split(volume))
    noise = ndi.binary_opening(_masks((1, 12, 14, 16), seed=13, density=0.3)[0])
    np.testing.assert_array_equal(
        WatershedSplitter(2).fit_transform(noise[None])[0], _reference_split(noise, 2)
    )


def test_splitter_flat_ridge_is_one_object():
    # a rod of constant width: its distance map has a flat ridge, on which
    # peak_local_max returns several peaks
    mask = np.zeros((15, 60), dtype=bool)
    mask[4:11, 5:55] = True
    assert _plain_reference_split(mask).max() > 1
    out = WatershedSplitter().fit_transform(mask[None])
    np.testing.assert_array_equal(out[0], mask.astype(np.int32))


def _split_each_object(labels, min_distance=5):
    """Reference for label images: each object split on its own, in id order."""
    result = np.zeros(labels.shape, dtype=np.int64)
    offset = 0
    for i in np.setdiff1d(np.unique(labels), [0]):
        pieces = _reference_split(labels == i, min_distance)
        result[pieces > 0] = pieces[pieces > 0] + offset
        offset += pieces.max()
    return result


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64])
def test_splitter_splits_each_object_of_a_label_image(dtype):
    left = _discs((30, 70), [(15, 10), (15, 21)], 7)
    right = _discs((30, 70), [(15, 46), (15, 57)], 7)
    labels = np.zeros((30, 70), dtype=dtype)
    labels[left] = 5
    labels[right] = 3
    labels[14:17, 28:40] = 9  # a bar that touches both dumbbells
    out = WatershedSplitter().fit_transform(labels[None])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out[0], _split_each_object(labels))
    assert out.max() == 5  # 3 -> 2 pieces, 5 -> 2 pieces, 9 -> 1
    for i in (3, 5, 9):  # no piece crosses into another object
        pieces = np.unique(out[0][labels == i])
        assert not np.isin(pieces, out[0][(labels != i)]).any()


def test_splitter_on_label_images_with_and_without_touching_objects(monkeypatch):
    # objects apart: one watershed over the image; touching: object by object
    masks = ndi.binary_opening(_masks((2, 40, 40), seed=14, density=0.35))
    labels = np.stack([label(m) for m in masks])
    out = WatershedSplitter(2).fit_transform(labels)
    for lab, ours in zip(labels, out):
        np.testing.assert_array_equal(ours, _split_each_object(lab, 2))
    monkeypatch.setattr(_kernels.split, "touching_ids", lambda labels: True)
    np.testing.assert_array_equal(WatershedSplitter(2).fit_transform(labels), out)


def test_splitter_label_image_with_sparse_large_ids():
    labels = np.zeros((1, 30, 40), dtype=np.int64)
    labels[0][_discs((30, 40), [(15, 12), (15, 24)], 8)] = 10**13
    labels[0, 1:4, 36:39] = 7
    out = WatershedSplitter().fit_transform(labels)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(np.unique(out), [0, 1, 2, 3])
    assert out[0, 2, 37] == 1  # ids numbered object by object: 7 first


def test_splitter_empty_and_tiny_images():
    assert not WatershedSplitter().fit_transform(np.zeros((2, 5, 6), bool)).any()
    row = np.array([[[0.5, -1.0, 2.0, 0.0, 3.0, 1.0, 1.0]]])
    out = WatershedSplitter(image_shape=(1, -1)).fit_transform(row.reshape(1, -1))
    np.testing.assert_array_equal(out, [[1, 1, 1, 0, 2, 2, 2]])
    np.testing.assert_array_equal(
        WatershedSplitter().fit_transform(np.ones((1, 1, 1), bool)), [[[1]]]
    )


def test_splitter_bad_parameters():
    mask = _masks((1, 8, 8))
    with pytest.raises(InvalidParameterError, match="method"):
        WatershedSplitter(method="intensity").fit_transform(mask)
    with pytest.raises(InvalidParameterError, match="min_distance"):
        WatershedSplitter(0).fit_transform(mask)
    with pytest.raises(ValueError, match="WatershedSplitter: footprint must be"):
        WatershedSplitter(footprint=np.ones((3, 3, 3))).fit_transform(mask)
    with pytest.raises(ValueError, match="at least one True"):
        WatershedSplitter(footprint=np.zeros((3, 3), bool)).fit_transform(mask)


def _recipe_masks(images, threshold=130):
    """A good threshold, a 5x5 closing, border clearing and an area filter."""
    masks = np.stack(
        [closing(image > threshold, footprint_rectangle((5, 5))) for image in images]
    )
    return AreaFilter(min_area=50).fit_transform(BorderClearer().fit_transform(masks))


def test_splitter_recovers_counts_of_touching_objects():
    data = make_objects(n_images=20, touching=0.5, random_state=0)
    masks = _recipe_masks(data.images)
    plain = np.array([label(mask).max() for mask in masks])
    split = WatershedSplitter().fit_transform(masks).max(axis=(1, 2))
    assert (plain < data.counts).all()  # clumps count once without splitting
    assert np.count_nonzero(split == data.counts) >= 18
    assert np.abs(split - data.counts).sum() < np.abs(plain - data.counts).sum() / 10


# --- ObjectFilter ----------------------------------------------------------


def _reference_property_filter(labels, prop, low, high):
    keep = np.zeros(labels.max() + 1, dtype=bool)
    for region in regionprops(labels):
        value = getattr(region, prop)
        keep[region.label] = (low is None or value >= low) and (
            high is None or value <= high
        )
    return keep[labels]


@pytest.mark.parametrize(
    "prop, low, high",
    [
        ("eccentricity", None, 0.8),
        ("solidity", 0.9, None),
        ("extent", 0.5, 0.75),
        ("perimeter", 4, 12),
        ("euler_number", 1, 1),
        ("axis_major_length", 2.0, None),
        ("orientation", 0.0, None),
        ("feret_diameter_max", None, 3.0),
    ],
)
def test_object_filter_equals_regionprops_on_masks(prop, low, high):
    masks = _masks((3, 30, 30), seed=15, density=0.6)
    out = ObjectFilter(prop, min_value=low, max_value=high).fit_transform(masks)
    assert out.dtype == bool
    for mask, kept in zip(masks, out):
        expected = _reference_property_filter(label(mask), prop, low, high)
        np.testing.assert_array_equal(kept, expected)
    assert 0 < out.sum() < masks.sum()  # the bounds matter


def test_object_filter_bounds_are_inclusive():
    labels = np.zeros((1, 12, 12), dtype=np.int32)
    labels[0, 1:3, 1:5] = 1  # extent 1
    labels[0, 5:9, 5:9] = 2
    labels[0, 5, 5] = 0  # extent 15/16
    labels[0, 10, 1:4] = 3  # extent 1
    out = ObjectFilter("extent", min_value=15 / 16, max_value=15 / 16).fit_transform(
        labels
    )
    np.testing.assert_array_equal(np.unique(out), [0, 1])
    assert (out[0] == 1).sum() == 15
    out = ObjectFilter("area", min_value=3, max_value=8).fit_transform(labels)
    assert out.max() == 2 and (out == 1).sum() == 8 and (out == 2).sum() == 3


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64])
def test_object_filter_on_label_images_relabels_sequentially(dtype):
    labels = label(_masks((30, 30), seed=16, density=0.6)).astype(dtype)
    out = ObjectFilter("solidity", min_value=0.8).fit_transform(labels[None])
    assert out.dtype == np.int32
    expected = _reference_property_filter(labels.astype(int), "solidity", 0.8, None)
    assert _same_partition(out[0], np.where(expected, labels, 0))
    np.testing.assert_array_equal(np.unique(out), np.arange(out.max() + 1))


@pytest.mark.parametrize("bounds", [(3, None), (None, 4), (2, 6), (5, 5)])
def test_object_filter_area_equals_area_filter(bounds):
    masks = _masks((3, 25, 25), seed=5, density=0.65)
    low, high = bounds
    ours = ObjectFilter("area", min_value=low, max_value=high).fit_transform(masks)
    np.testing.assert_array_equal(ours, AreaFilter(low, high).fit_transform(masks))
    labels = np.stack([label(m) for m in masks])
    np.testing.assert_array_equal(
        ObjectFilter("area", min_value=low, max_value=high).fit_transform(labels),
        AreaFilter(low, high).fit_transform(labels),
    )


def test_object_filter_3d():
    volumes = _masks((2, 6, 7, 8), seed=6, density=0.7)
    out = ObjectFilter("extent", min_value=0.3, connectivity=1).fit_transform(volumes)
    for volume, kept in zip(volumes, out):
        expected = _reference_property_filter(
            label(volume, connectivity=1), "extent", 0.3, None
        )
        np.testing.assert_array_equal(kept, expected)
    # without bounds nothing is measured: a 2D-only property passes
    np.testing.assert_array_equal(ObjectFilter().fit_transform(volumes), volumes)
    with pytest.raises(ValueError, match="'eccentricity' is defined for 2D images"):
        ObjectFilter("eccentricity", max_value=0.5).fit_transform(volumes)


def test_object_filter_on_sparse_large_ids():
    labels = np.zeros((1, 5, 5), dtype=np.int64)
    labels[0, :2, :2] = 10**13
    labels[0, 4, 1:4] = 10**12
    out = ObjectFilter("eccentricity", max_value=0.5).fit_transform(labels)
    np.testing.assert_array_equal(np.unique(out), [0, 1])
    assert (out == 1).sum() == 4


def test_object_filter_properties_are_scalar_regionprops():
    labels = label(_masks((20, 20), seed=17, density=0.5))
    volume = label(_masks((6, 7, 8), seed=17, density=0.6))
    for prop in sorted(objects._SCALAR_PROPERTIES):
        table = regionprops_table(labels, properties=[prop])
        assert list(table) == [prop]
        assert table[prop].dtype.kind in "fiu"
        if prop in objects._PROPERTIES_2D_ONLY:
            with pytest.raises(NotImplementedError):
                regionprops_table(volume, properties=[prop])
        elif prop not in ("area_convex", "feret_diameter_max", "solidity"):
            assert list(regionprops_table(volume, properties=[prop])) == [prop]


def test_object_filter_bad_parameters():
    mask = _masks((1, 8, 8))
    with pytest.raises(
        InvalidParameterError,
        match="among {'area', 'area_bbox', .*'solidity'}. Got 'intensity_mean'",
    ):
        ObjectFilter("intensity_mean").fit_transform(mask)
    with pytest.raises(
        InvalidParameterError, match="min_value=3 is larger than max_value=2"
    ):
        ObjectFilter("area", min_value=3, max_value=2).fit_transform(mask)
    with pytest.raises(InvalidParameterError, match="'min_value' parameter"):
        ObjectFilter("area", min_value=np.nan).fit_transform(mask)


# --- MaxCountGuard ---------------------------------------------------------


def test_max_count_guard_bound_is_inclusive():
    masks = np.zeros((3, 5, 9), dtype=bool)
    masks[0, 1, 0:9:2] = True  # 5 objects
    masks[1, 1, 0:8:2] = True  # 4 objects
    masks[2, 1, 0:6:2] = True  # 3 objects
    out = MaxCountGuard(max_count=4).fit_transform(masks)
    assert out.dtype == bool
    assert not out[0].any()
    np.testing.assert_array_equal(out[1:], masks[1:])


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64])
def test_max_count_guard_keeps_label_ids(dtype):
    labels = np.array([[[7, 7, 0, 2], [0, 0, 0, 2]], [[1, 0, 2, 0], [0, 3, 0, 4]]])
    out = MaxCountGuard(max_count=3).fit_transform(labels.astype(dtype))
    # ids kept: int32 when the dtype fits int32, int64 for int64
    assert out.dtype == (np.int64 if np.dtype(dtype) == np.int64 else np.int32)
    np.testing.assert_array_equal(out[0], labels[0])
    assert not out[1].any()


def test_max_count_guard_counts_as_the_counter_does():
    masks = _masks((4, 20, 20), seed=18, density=0.7)
    counts = np.array([label(m).max() for m in masks])
    limit = int(np.median(counts))
    out = MaxCountGuard(limit).fit_transform(masks)
    for mask, kept, count in zip(masks, out, counts):
        np.testing.assert_array_equal(kept, mask if count <= limit else 0)
    # with face connectivity a diagonal pair is two objects
    diagonal = np.array([[[1, 0], [0, 1]]], dtype=bool)
    assert MaxCountGuard(1).fit_transform(diagonal).any()
    assert not MaxCountGuard(1, connectivity=1).fit_transform(diagonal).any()


def test_max_count_guard_3d_and_zero():
    volumes = _masks((2, 4, 5, 6), seed=19, density=0.8)
    np.testing.assert_array_equal(MaxCountGuard().fit_transform(volumes), volumes)
    assert not MaxCountGuard(0).fit_transform(volumes).any()
    empty = np.zeros((1, 3, 3), dtype=bool)
    np.testing.assert_array_equal(MaxCountGuard(0).fit_transform(empty), empty)
    with pytest.raises(InvalidParameterError, match="max_count"):
        MaxCountGuard(-1).fit_transform(empty)


# --- dask arrays split into chunks within images -----------------------------

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

CHUNKS = [(1, 32, 36), (1, 12, 20), (1, 7, 9), (1, 5, 4), (1, 1, 36), (1, 32, 1)]


def _crossing_masks():
    """Two 40x50 masks of objects crossing chunk borders, 4 and 9 of them.

    A frame along the image border, a snake through every band of rows, a
    diagonal pair (one object at full connectivity, two at face
    connectivity) and a single pixel; the second mask has 5 more pixels.
    """
    masks = np.zeros((2, 40, 50), dtype=bool)
    masks[:, [0, -1], :] = masks[:, :, [0, -1]] = True
    rows = range(3, 32, 4)
    for i, row in enumerate(rows):
        masks[:, row, 3:46] = True
        if row < rows[-1]:
            masks[:, row : row + 5, 45 if i % 2 == 0 else 3] = True
    masks[:, 36, 10] = masks[:, 37, 11] = True
    masks[:, 36, 20] = True
    masks[1, 36, 25:34:2] = True
    return masks


@pytest.mark.parametrize(
    "chunks, images",
    [(c, [1]) for c in CHUNKS] + [((2, 12, 20), [0, 1])],
)
def test_max_count_guard_on_chunks_equals_in_memory_on_masks(chunks, images):
    masks = _crossing_masks()[images]
    counts = [label(m).max() for m in masks]
    Xd = da.from_array(masks, chunks=chunks)
    steps = [MaxCountGuard(n) for n in (counts[0] - 1, counts[-1] - 1, counts[-1])]
    results = [step.transform(Xd) for step in steps]
    assert all(isinstance(r, da.Array) and r.dtype == bool for r in results)
    for step, computed in zip(steps, dask.compute(*results)):
        np.testing.assert_array_equal(computed, step.transform(masks))
        # the bound is inclusive
        for mask, kept, count in zip(masks, computed, counts):
            np.testing.assert_array_equal(kept, mask * (count <= step.max_count))


@pytest.mark.parametrize("chunks", [(1, 7, 9), (1, 40, 3)])
def test_max_count_guard_on_chunks_uses_connectivity(chunks):
    masks = np.zeros((1, 40, 50), dtype=bool)
    diagonal = np.arange(40)
    masks[0, diagonal, diagonal] = True  # a diagonal line across chunks
    Xd = da.from_array(masks, chunks=chunks)
    np.testing.assert_array_equal(MaxCountGuard(1).transform(Xd).compute(), masks)
    assert not MaxCountGuard(39, connectivity=1).transform(Xd).compute().any()
    kept = MaxCountGuard(40, connectivity=1).transform(Xd).compute()
    np.testing.assert_array_equal(kept, masks)


@pytest.mark.parametrize(
    "dtype, chunks",
    [(np.uint8, (1, 12, 20)), (np.int64, (1, 12, 20)), (np.int32, (1, 7, 9))],
)
def test_max_count_guard_on_chunks_equals_in_memory_on_label_images(dtype, chunks):
    labels = np.stack([label(m) for m in _crossing_masks()]).astype(dtype)
    labels[1][labels[1] == 2] = 200  # an id spread over many chunks, counted once
    Xd = da.from_array(labels, chunks=chunks)
    steps = [MaxCountGuard(n) for n in (4, 8, 9)]
    for step, computed in zip(steps, dask.compute(*(s.transform(Xd) for s in steps))):
        np.testing.assert_array_equal(computed, step.transform(labels))
        # int64 labels stay int64 on chunks
        assert computed.dtype == (np.int64 if dtype == np.int64 else np.int32)
        assert computed[1].any() == (step.max_count >= 9)


def test_max_count_guard_on_chunks_in_3d_and_float():
    volumes = _masks((2, 8, 9, 10), seed=21, density=0.75)
    counts = [label(v).max() for v in volumes]
    limit = min(counts)
    Xd = da.from_array(volumes * 0.5, chunks=(1, 3, 4, 5))
    step = MaxCountGuard(limit)
    np.testing.assert_array_equal(step.transform(Xd).compute(), step.transform(volumes))
    assert max(counts) > limit
    X = np.zeros((1, 8, 8))
    X[0, 3, 3] = np.nan
    result = step.transform(da.from_array(X, chunks=(1, 4, 4)))
    with pytest.raises(ValueError, match="MaxCountGuard got NaN or infinite"):
        result.compute()
    with pytest.raises(ValueError, match="MaxCountGuard: connectivity=3"):
        MaxCountGuard(connectivity=3).transform(da.from_array(X, chunks=(1, 4, 4)))


def _recorded_chunks(masks):
    """``masks`` as a dask array in chunks, and the list of the chunks read."""
    calls = []

    def read(chunk):
        calls.append(chunk.shape)
        return chunk

    meta = np.empty((0, 0, 0), dtype=bool)
    Xd = da.from_array(masks, chunks=(1, 12, 20)).map_blocks(read, meta=meta)
    return Xd, calls


def test_max_count_guard_on_chunks_is_lazy_and_reads_each_chunk_once():
    masks = _crossing_masks()
    before = masks.copy()
    Xd, calls = _recorded_chunks(masks)
    result = MaxCountGuard(5).transform(Xd)
    assert isinstance(result, da.Array) and result.shape == masks.shape
    assert calls == []  # nothing computed to build the graph
    computed = result.compute()
    assert len(calls) == 2 * 4 * 3  # each chunk computed once
    assert computed[0].any() and not computed[1].any()
    np.testing.assert_array_equal(masks, before)


@pytest.mark.parametrize(
    "step",
    [
        WatershedSplitter(),
        WatershedSplitter(min_distance=1, connectivity=1),
    ],
    ids=repr,
)
def test_steps_needing_whole_objects_refuse_chunks_within_images(step):
    masks = _crossing_masks()
    name = type(step).__name__
    with pytest.raises(NotImplementedError, match=f"{name} .*rechunk along images"):
        step.transform(da.from_array(masks, chunks=(1, 20, 50)))
    # chunks of whole images work, lazily
    result = step.transform(da.from_array(masks, chunks=(1, 40, 50)))
    assert isinstance(result, da.Array)
    np.testing.assert_array_equal(result.compute(), step.transform(masks))


@pytest.mark.parametrize("footprint", [None, np.ones((3, 3), dtype=bool)])
def test_splitter_min_distance_far_beyond_the_image(footprint):
    # a million pixels apart: the same as 3 times the image, with no square
    # of side 2 * 10**6 + 1 built
    mask = _discs((14, 20), [(6, 5), (7, 13)], 5)
    masks = np.stack([mask, mask[::-1]])
    huge = WatershedSplitter(10**6, footprint=footprint).fit_transform(masks)
    for mask, ours in zip(masks, huge):
        expected = _reference_split(mask, 60, footprint)
        np.testing.assert_array_equal(ours, expected)
    labels = label(masks[0])  # and on a label image
    np.testing.assert_array_equal(
        WatershedSplitter(10**6).fit_transform(labels[None])[0],
        WatershedSplitter(60).fit_transform(labels[None])[0],
    )


# --- ObjectFilter on images split into chunks ------------------------------------


def _crossing_labels(dtype):
    labels = np.stack([label(m) for m in _crossing_masks()]).astype(np.int64)
    labels[1][labels[1] == 2] = 200  # an id spread over many chunks
    labels[1][20:23, 20:23] = 200  # and in two pieces
    if dtype == np.uint64:
        labels = np.where(labels > 0, labels.astype(np.uint64) + 2**63, 0)
    return labels.astype(dtype)


FILTERS = [
    ObjectFilter("area", min_value=3),  # summed over chunks
    ObjectFilter("eccentricity", max_value=0.99),  # moments summed over chunks
    ObjectFilter("extent", min_value=0.2, max_value=0.9),
    ObjectFilter("solidity", max_value=0.5),  # measured on crops
    ObjectFilter("perimeter", min_value=20, connectivity=1),
    ObjectFilter("euler_number", min_value=0),
]


@pytest.mark.parametrize("chunks", [(1, 12, 20), (2, 7, 9), (1, 40, 3), (1, 40, 50)])
@pytest.mark.parametrize("step", FILTERS, ids=repr)
def test_object_filter_on_chunks_equals_in_memory_on_masks(step, chunks):
    masks = _crossing_masks()
    expected = step.transform(masks)
    assert 0 < expected.sum() < masks.sum() or step.property == "euler_number"
    result = step.transform(da.from_array(masks, chunks=chunks))
    assert isinstance(result, da.Array) and result.dtype == bool
    np.testing.assert_array_equal(result.compute(), expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.uint64])
@pytest.mark.parametrize("step", [FILTERS[0], FILTERS[1], FILTERS[3]], ids=repr)
def test_object_filter_on_chunks_equals_in_memory_on_label_images(step, dtype):
    labels = _crossing_labels(dtype)
    expected = step.transform(labels)
    for chunks in [(1, 12, 20), (1, 7, 9)]:
        result = step.transform(da.from_array(labels, chunks=chunks))
        assert result.dtype == expected.dtype == np.int32
        np.testing.assert_array_equal(result.compute(), expected)


def test_object_filter_on_chunks_without_bounds_and_in_3d():
    labels = _crossing_labels(np.int32)
    masks = _crossing_masks()
    step = ObjectFilter("solidity")  # no bound: nothing measured, all kept
    for X in (labels, masks):
        result = step.transform(da.from_array(X, chunks=(1, 7, 9)))
        np.testing.assert_array_equal(result.compute(), step.transform(X))
    volumes = _masks((2, 8, 9, 10), seed=21, density=0.7)
    for step in (
        ObjectFilter("area", min_value=4),
        ObjectFilter("area_filled", max_value=30),
    ):
        result = step.transform(da.from_array(volumes, chunks=(1, 3, 4, 5)))
        np.testing.assert_array_equal(result.compute(), step.transform(volumes))
    with pytest.raises(ValueError, match=r"ObjectFilter: property='eccentricity' is"):
        ObjectFilter(max_value=0.5).transform(
            da.from_array(volumes, chunks=(1, 3, 4, 5))
        )


def test_object_filter_on_chunks_is_lazy_for_summed_properties():
    masks = _crossing_masks()
    Xd, calls = _recorded_chunks(masks)
    step = ObjectFilter("area", max_value=30)
    result = step.transform(Xd)
    assert calls == []  # nothing computed to build the graph
    np.testing.assert_array_equal(result.compute(), step.transform(masks))


def test_object_filter_old_bound_names_are_refused_clearly():
    for old in ("min", "max"):
        with pytest.raises(TypeError, match=f"no parameter {old}: .*_value= for"):
            ObjectFilter("area", **{old: 3})
    with pytest.raises(ValueError, match="Invalid parameter 'min'"):
        ObjectFilter("area").set_params(min=3)
    step = ObjectFilter("area", min_value=2, max_value=9)
    assert step.get_params()["min_value"] == 2
    assert clone(step).get_params() == step.get_params()


def test_object_filter_saved_before_the_rename_keeps_its_bounds():
    old = ObjectFilter.__new__(ObjectFilter)
    old.__setstate__(
        {"property": "area", "min": 3, "max": None, "connectivity": None,
         "image_shape": None, "n_jobs": None}
    )  # fmt: skip
    assert old.get_params()["min_value"] == 3
    mask = _masks((1, 12, 12), seed=2)
    np.testing.assert_array_equal(
        old.transform(mask), ObjectFilter("area", min_value=3).transform(mask)
    )
