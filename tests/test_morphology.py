import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import measure, morphology
from sklearn.utils._param_validation import InvalidParameterError

from sksegment import MorphCloser
from sksegment.morphology import HoleFiller, MorphOpener


def _masks(shape, seed=0, density=0.55):
    return np.random.default_rng(seed).random(shape) > density


def _footprint(shape, size, ndim):
    r = (size - 1) // 2
    return {
        ("square", 2): morphology.footprint_rectangle((size, size)),
        ("square", 3): morphology.footprint_rectangle((size, size, size)),
        ("disk", 2): morphology.disk(r),
        ("disk", 3): morphology.ball(r),
        ("diamond", 2): morphology.diamond(r),
        ("diamond", 3): morphology.octahedron(r),
    }[shape, ndim]


@pytest.mark.parametrize("mode", ["ignore", "reflect", "constant", "nearest", "wrap"])
@pytest.mark.parametrize(
    "shape, size", [("square", 2), ("square", 5), ("disk", 5), ("diamond", 3)]
)
def test_equals_skimage_closing_2d(shape, size, mode):
    masks = _masks((3, 23, 31))
    out = MorphCloser(size, shape=shape, mode=mode).fit_transform(masks)
    fp = _footprint(shape, size, 2)
    for mask, closed in zip(masks, out):
        np.testing.assert_array_equal(closed, morphology.closing(mask, fp, mode=mode))
    assert out.dtype == bool


@pytest.mark.parametrize(
    "shape, size", [("square", 3), ("square", 4), ("disk", 3), ("diamond", 5)]
)
def test_equals_skimage_closing_3d(shape, size):
    volumes = _masks((2, 9, 11, 10), seed=1)
    out = MorphCloser(size, shape=shape).fit_transform(volumes)
    fp = _footprint(shape, size, 3)
    for volume, closed in zip(volumes, out):
        np.testing.assert_array_equal(
            closed, morphology.closing(volume, fp, mode="ignore")
        )


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32, np.float64])
def test_any_dtype_is_read_as_its_nonzero_pixels(dtype):
    masks = _masks((2, 15, 15), seed=2)
    values = (masks * 3).astype(dtype)
    np.testing.assert_array_equal(
        MorphCloser(3).fit_transform(values), MorphCloser(3).fit_transform(masks)
    )


def test_size_one_is_the_identity():
    masks = _masks((2, 8, 9))
    np.testing.assert_array_equal(MorphCloser(1).fit_transform(masks), masks)


def test_ignore_mode_is_extensive_and_idempotent_for_even_sizes():
    masks = _masks((4, 20, 20), seed=3, density=0.6)
    step = MorphCloser(4, mode="ignore")
    once = step.fit_transform(masks)
    assert (once >= masks).all()
    np.testing.assert_array_equal(step.transform(once), once)


def test_mends_a_crack():
    mask = np.zeros((1, 9, 15), dtype=bool)
    mask[0, 2:7, 2:7] = mask[0, 2:7, 8:13] = True
    closed = MorphCloser(3).fit_transform(mask)
    assert closed[0, 2:7, 2:13].all()


def test_even_size_with_round_shape_is_refused():
    with pytest.raises(InvalidParameterError, match="odd"):
        MorphCloser(4, shape="disk").fit(np.zeros((1, 5, 5), dtype=bool))
    with pytest.raises(InvalidParameterError, match="odd"):
        MorphCloser(4, shape="diamond").transform(np.zeros((1, 5, 5), dtype=bool))


# --- MorphOpener ------------------------------------------------------------

ALL_MODES = ["ignore", "reflect", "constant", "nearest", "mirror", "wrap", "max", "min"]


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize(
    "shape, size",
    [("square", 2), ("square", 3), ("square", 4), ("disk", 5), ("diamond", 3)],
)
def test_opener_equals_skimage_opening_2d(shape, size, mode, backend):
    masks = _masks((3, 23, 31), seed=4, density=0.45)
    out = MorphOpener(size, shape=shape, mode=mode).fit_transform(masks)
    fp = _footprint(shape, size, 2)
    assert out.dtype == bool
    for mask, opened in zip(masks, out):
        np.testing.assert_array_equal(opened, morphology.opening(mask, fp, mode=mode))


@pytest.mark.parametrize("mode", ["ignore", "constant", "wrap"])
@pytest.mark.parametrize(
    "shape, size", [("square", 3), ("square", 4), ("disk", 3), ("diamond", 5)]
)
def test_opener_equals_skimage_opening_3d(shape, size, mode):
    volumes = _masks((2, 9, 11, 10), seed=5, density=0.4)
    out = MorphOpener(size, shape=shape, mode=mode).fit_transform(volumes)
    fp = _footprint(shape, size, 3)
    for volume, opened in zip(volumes, out):
        np.testing.assert_array_equal(opened, morphology.opening(volume, fp, mode=mode))


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("image_shape", [(1, 1), (1, 9), (6, 1), (2, 3)])
def test_opener_on_images_smaller_than_the_footprint(image_shape, mode, backend):
    masks = _masks((4, *image_shape), seed=6, density=0.3)
    for size in (2, 5):
        out = MorphOpener(size, mode=mode).fit_transform(masks)
        fp = _footprint("square", size, 2)
        for mask, opened in zip(masks, out):
            np.testing.assert_array_equal(
                opened, morphology.opening(mask, fp, mode=mode)
            )


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32, np.float64])
def test_opener_reads_any_dtype_as_its_nonzero_pixels(dtype):
    masks = _masks((2, 15, 15), seed=7, density=0.4)
    values = (masks * 3).astype(dtype)
    expected = MorphOpener(3).fit_transform(masks)
    np.testing.assert_array_equal(MorphOpener(3).fit_transform(values), expected)
    assert expected.any()


def test_opener_removes_specks_and_thin_bridges():
    mask = np.zeros((1, 12, 20), dtype=bool)
    mask[0, 2:9, 2:8] = mask[0, 2:9, 11:17] = True
    mask[0, 5, 8:11] = True  # a bridge one pixel thick
    mask[0, 10, 18] = True  # a speck
    opened = MorphOpener(3).fit_transform(mask)[0]
    assert not opened[5, 8:11].any() and not opened[10, 18]
    assert opened[2:9, 2:8].all() and opened[2:9, 11:17].all()


def test_opener_ignore_mode_is_anti_extensive_and_idempotent_for_even_sizes():
    masks = _masks((4, 20, 20), seed=8, density=0.35)
    step = MorphOpener(4, mode="ignore")
    once = step.fit_transform(masks)
    assert (once <= masks).all() and once.any()
    np.testing.assert_array_equal(step.transform(once), once)


def test_opener_size_one_is_the_identity_and_never_aliases():
    masks = list(_masks((2, 8, 9)))
    out = MorphOpener(1).fit_transform(masks)
    for mask, opened in zip(masks, out):
        np.testing.assert_array_equal(opened, mask)
        assert not np.shares_memory(opened, mask)


def test_opener_and_closer_name_themselves_in_errors():
    masks = np.zeros((1, 5, 5), dtype=bool)
    with pytest.raises(InvalidParameterError, match="MorphOpener: a disk.*odd"):
        MorphOpener(4, shape="disk").transform(masks)
    with pytest.raises(InvalidParameterError, match="MorphCloser: a diamond.*odd"):
        MorphCloser(2, shape="diamond").fit(masks)


@pytest.mark.parametrize("cls", [MorphCloser, MorphOpener])
@pytest.mark.parametrize(
    "params", [{"size": 0}, {"size": 2.5}, {"shape": "hexagon"}, {"mode": "edge"}]
)
def test_bad_footprint_parameters_raise(cls, params):
    masks = np.zeros((1, 5, 5), dtype=bool)
    with pytest.raises(InvalidParameterError, match=cls.__name__):
        cls(**params).fit(masks)
    with pytest.raises(InvalidParameterError, match=cls.__name__):
        cls(**params).transform(masks)


def test_opener_defaults():
    step = MorphOpener()
    assert (step.size, step.shape, step.mode) == (3, "square", "ignore")
    assert MorphCloser().size == 5


# --- HoleFiller -------------------------------------------------------------


def _structure(ndim, connectivity):
    return ndi.generate_binary_structure(ndim, connectivity)


def _skimage_holes(mask, max_area, connectivity):
    """Holes filled by scikit-image, restricted to holes off the border."""
    enclosed = ndi.binary_fill_holes(mask, _structure(mask.ndim, connectivity))
    if max_area is None:
        return enclosed
    small = morphology.remove_small_holes(
        mask, max_size=max_area, connectivity=connectivity
    )
    return mask | (small & enclosed)


@pytest.mark.parametrize("density", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("connectivity", [None, 1, 2])
@pytest.mark.parametrize("max_area", [None, 0, 1, 3, 10])
def test_hole_filler_equals_scipy_and_skimage_2d(max_area, connectivity, density):
    masks = _masks((3, 25, 30), seed=9, density=density)
    step = HoleFiller(max_area, connectivity=connectivity)
    out = step.fit_transform(masks)
    assert out.dtype == bool
    conn = 1 if connectivity is None else connectivity
    for mask, filled in zip(masks, out):
        np.testing.assert_array_equal(filled, _skimage_holes(mask, max_area, conn))


@pytest.mark.parametrize("connectivity", [1, 2, 3])
@pytest.mark.parametrize("max_area", [None, 2, 6])
def test_hole_filler_equals_scipy_and_skimage_3d(max_area, connectivity):
    volumes = _masks((2, 8, 10, 9), seed=10, density=0.2)
    volumes[:, 1:5, 1:5, 1:5] = volumes[:, 4:7, 6:9, 5:8] = True
    volumes[:, 2:4, 2:4, 2] = volumes[:, 5, 7, 6] = False  # holes of 4 and 1
    out = HoleFiller(max_area, connectivity=connectivity).fit_transform(volumes)
    for volume, filled in zip(volumes, out):
        np.testing.assert_array_equal(
            filled, _skimage_holes(volume, max_area, connectivity)
        )
    assert (out != volumes).any()


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("max_area", [1, 4, 30])
def test_hole_filler_equals_remove_small_holes_inside_a_frame(max_area, ndim):
    # a foreground frame: no background touches the border, so every
    # background component is a hole for scikit-image too
    masks = _masks((2,) + (12,) * ndim, seed=11, density=0.4)
    for mask in masks:
        for axis in range(ndim):
            view = np.moveaxis(mask, axis, 0)
            view[0] = view[-1] = True
    out = HoleFiller(max_area).fit_transform(masks)
    for mask, filled in zip(masks, out):
        np.testing.assert_array_equal(
            filled, morphology.remove_small_holes(mask, max_size=max_area)
        )


def test_hole_filler_bound_is_inclusive():
    mask = np.ones((1, 7, 8), dtype=bool)
    mask[0, 2:4, 2:4] = False  # a hole of 4 pixels
    for max_area, filled in [(3, False), (4, True), (5, True)]:
        out = HoleFiller(max_area).fit_transform(mask)[0]
        assert out[2:4, 2:4].all() == filled
        np.testing.assert_array_equal(
            out, morphology.remove_small_holes(mask[0], max_size=max_area)
        )
    # max_area=0 fills nothing, None fills everything
    np.testing.assert_array_equal(HoleFiller(0).fit_transform(mask), mask)
    assert HoleFiller().fit_transform(mask).all()


def test_background_at_the_border_is_never_a_hole():
    mask = np.zeros((1, 6, 6), dtype=bool)
    mask[0, 1:, 1:] = True
    mask[0, 0, 3] = True  # cuts the border background in two
    mask[0, 3, 3] = False  # a real hole
    filled = HoleFiller(max_area=100).fit_transform(mask)[0]
    expected = mask[0].copy()
    expected[3, 3] = True
    np.testing.assert_array_equal(filled, expected)
    # scikit-image fills the small background pieces at the border as well
    assert morphology.remove_small_holes(mask[0], max_size=100).all()


def test_hole_connectivity_is_that_of_the_background():
    # a ring whose only gap is diagonal
    mask = np.array(
        [
            [0, 0, 0, 0, 0, 0],
            [0, 1, 1, 1, 0, 0],
            [0, 1, 0, 1, 0, 0],
            [0, 1, 1, 0, 0, 0],
            [0, 0, 0, 0, 0, 0],
        ],
        dtype=bool,
    )[None]
    assert HoleFiller().fit_transform(mask)[0, 2, 2]
    assert HoleFiller(connectivity=1).fit_transform(mask)[0, 2, 2]
    assert not HoleFiller(connectivity=2).fit_transform(mask)[0, 2, 2]
    for conn, expected in [(1, True), (2, False)]:
        assert ndi.binary_fill_holes(mask[0], _structure(2, conn))[2, 2] == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hole_filler_reads_floats_as_masks(dtype):
    masks = _masks((2, 15, 16), seed=12, density=0.35)
    out = HoleFiller().fit_transform((masks * 0.5).astype(dtype))
    assert out.dtype == bool
    np.testing.assert_array_equal(out, HoleFiller().fit_transform(masks))


def _enclosing_object(labels, region, connectivity):
    """Reference: the innermost neighbouring object whose own holes hold ``region``."""
    structure = _structure(labels.ndim, connectivity)
    around = ndi.binary_dilation(region, structure) & ~region
    best = (np.inf, 0)
    for label in np.unique(labels[around]):
        if not ndi.binary_fill_holes(labels == label, structure)[region].all():
            continue
        complement, _ = ndi.label(labels != label, structure)
        area = np.count_nonzero(complement == complement[region][0])
        best = min(best, (area, label))
    return best[1]


def _reference_label_fill(labels, max_area, connectivity):
    structure = _structure(labels.ndim, connectivity)
    background, n = ndi.label(labels == 0, structure)
    enclosed = ndi.binary_fill_holes(labels != 0, structure)
    out = labels.astype(np.int32)
    for hole in range(1, n + 1):
        region = background == hole
        if not enclosed[region].all():
            continue
        if max_area is not None and region.sum() > max_area:
            continue
        out[region] = _enclosing_object(labels, region, connectivity)
    return out


def _touching_labels(shape, seed, n_ids=4):
    """Blocky objects that touch each other, with holes and gaps.

    Each id is scattered over many blocks: with many ids, their bounding
    boxes cover the image many times over.
    """
    rng = np.random.default_rng(seed)
    coarse = rng.integers(1, n_ids + 1, size=tuple(-(-n // 3) for n in shape))
    labels = coarse
    for axis in range(len(shape)):
        labels = labels.repeat(3, axis=axis)
    labels = labels[tuple(slice(n) for n in shape)]
    return np.where(rng.random(shape) > 0.25, labels, 0)


@pytest.mark.parametrize("n_ids", [2, 12])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
@pytest.mark.parametrize("connectivity", [1, 2])
@pytest.mark.parametrize("max_area", [None, 2])
def test_label_holes_filled_with_the_enclosing_id(max_area, connectivity, dtype, n_ids):
    labels = [_touching_labels((21, 24), seed, n_ids) for seed in range(3)]
    labels = np.stack(labels)
    labels = labels.astype(dtype)
    out = HoleFiller(max_area, connectivity=connectivity).fit_transform(labels)
    # ids kept: int32 when the dtype fits int32, int64 for int64
    assert out.dtype == (np.int64 if np.dtype(dtype) == np.int64 else np.int32)
    for image, filled in zip(labels, out):
        np.testing.assert_array_equal(
            filled, _reference_label_fill(image, max_area, connectivity)
        )
    assert (out != labels).any()


def _nested_volume():
    """A hollow cube around a hollow cube, and random specks around them."""
    mask = _masks((14, 15, 16), seed=13, density=0.85)
    mask[1:13, 1:13, 1:13] = True
    mask[2:12, 2:12, 2:12] = _masks((10, 10, 10), seed=14, density=0.9)
    mask[3:11, 3:11, 3:11] = False
    mask[5:9, 5:9, 5:9] = True
    mask[6:8, 6:8, 6] = False
    return mask


@pytest.mark.parametrize("ndim", [2, 3])
def test_separate_objects_are_filled_as_scipy_fills_each(ndim):
    # objects labelled at full connectivity never touch; some nest in holes
    # of others, then the inner one keeps its id and the rest takes the outer
    mask = _masks((40, 50), seed=13, density=0.45) if ndim == 2 else _nested_volume()
    labels = measure.label(mask)
    structure = _structure(ndim, 1)
    fills = [
        (ndi.binary_fill_holes(labels == i, structure), i)
        for i in range(1, labels.max() + 1)
    ]
    expected = labels.copy()
    for fill, i in sorted(fills, key=lambda f: -np.count_nonzero(f[0])):
        expected[fill & (labels == 0)] = i  # outer first: inner ones win
    filled = HoleFiller().fit_transform(labels[None])[0]
    np.testing.assert_array_equal(filled, expected)
    # there is nesting to resolve
    assert any(len(np.unique(labels[fill])) > 2 for fill, _ in fills)


@pytest.mark.parametrize("connectivity", [1, 3])
def test_label_holes_3d(connectivity):
    labels = np.stack([_touching_labels((7, 9, 8), seed) for seed in (3, 4)])
    out = HoleFiller(connectivity=connectivity).fit_transform(labels)
    for image, filled in zip(labels, out):
        np.testing.assert_array_equal(
            filled, _reference_label_fill(image, None, connectivity)
        )


@pytest.mark.parametrize("scale", [1, 10**6], ids=["dense", "sparse-ids"])
def test_label_holes_nested_and_shared(scale):
    labels = np.zeros((11, 13), dtype=np.int64)
    labels[1:10, 1:10] = 1
    labels[2:9, 2:9] = 0  # object 1 is a ring ...
    labels[4:7, 4:7] = 2  # ... around object 2
    labels[5, 5] = 0  # which has a hole of its own
    labels[1:4, 10:13] = 3  # object 3 and 4 touch
    labels[3:6, 10:13] = 4
    labels[3, 11] = 0  # a gap between them: enclosed, but by both
    labels *= scale
    filled = HoleFiller().fit_transform(labels[None])[0]
    expected = labels.copy()
    expected[2:9, 2:9] = np.where(labels[2:9, 2:9] == 0, scale, labels[2:9, 2:9])
    expected[5, 5] = 2 * scale
    np.testing.assert_array_equal(filled, expected)
    np.testing.assert_array_equal(filled, _reference_label_fill(labels, None, 1))
    assert filled[3, 11] == 0
    # a bound on the area applies to each hole
    filled = HoleFiller(max_area=1).fit_transform(labels[None])[0]
    assert filled[5, 5] == 2 * scale and filled[3, 3] == 0


def test_label_ids_are_kept_and_wide_ids_widen():
    labels = np.zeros((2, 5, 5), dtype=np.int64)
    labels[0, 1:4, 1:4], labels[1, 1:4, 1:4] = 7, 2**40
    labels[:, 2, 2] = 0
    out = HoleFiller().fit_transform(labels)
    assert out.dtype == np.int64
    assert (out[:, 1:4, 1:4] == np.array([7, 2**40])[:, None, None]).all()


@pytest.mark.parametrize("speckles", [False, True])
@pytest.mark.parametrize("scale", [1, 10**6])
def test_label_holes_do_not_depend_on_id_values_or_scatter(scale, speckles):
    # a ring of id 1 around another piece of id 1 touching id 2, a gap between
    # the pieces: the ring is not next to the gap, and neither piece next to it
    # encloses it alone, so the gap stays background, however the ids are
    # numbered and however far apart other ids lie
    labels = np.ones((16, 20), dtype=np.int64)
    labels[1:-1, 1:-1] = 0
    labels[6:9, 6:9] = 1
    labels[6:9, 9:12] = 2
    labels[7, 8] = 0  # the gap
    labels[4, 4] = 0  # a hole inside the ring only
    labels[3:6, 3:6] = np.where(labels[3:6, 3:6] == 0, 3, labels[3:6, 3:6])
    labels[4, 4] = 0  # ... now a hole of the ring of id 3
    if speckles:
        for i in range(8):
            labels[1, 1 + i] = labels[14, 18 - i] = 4 + i
    filled = HoleFiller().fit_transform((labels * scale)[None])[0]
    assert filled[7, 8] == 0
    assert filled[4, 4] == 3 * scale
    assert filled[10, 10] == scale  # between the ring and what it holds


def test_hole_filler_never_modifies_or_aliases_input():
    labels = _touching_labels((15, 15), 5)
    masks = [labels > 0, labels.astype(np.uint16)]
    before = [m.copy() for m in masks]
    out = HoleFiller().fit_transform(masks)
    for m, b, o in zip(masks, before, out):
        np.testing.assert_array_equal(m, b)
        assert not np.shares_memory(m, o)


@pytest.mark.parametrize(
    "params",
    [{"max_area": -1}, {"max_area": "big"}, {"connectivity": 0}, {"connectivity": 4}],
)
def test_hole_filler_bad_parameters_raise(params):
    masks = np.zeros((1, 5, 5), dtype=bool)
    with pytest.raises(InvalidParameterError, match="HoleFiller"):
        HoleFiller(**params).fit(masks)
    with pytest.raises(InvalidParameterError, match="HoleFiller"):
        HoleFiller(**params).transform(masks)


def test_hole_filler_connectivity_above_dimensions_raises():
    with pytest.raises(ValueError, match="HoleFiller: connectivity=3"):
        HoleFiller(connectivity=3).fit_transform(np.zeros((1, 5, 5), dtype=bool))


def test_negative_labels_raise():
    with pytest.raises(ValueError, match="HoleFiller expects label images"):
        HoleFiller().fit_transform(-np.ones((1, 4, 4), dtype=np.int16))


# --- HoleFiller on dask arrays split into chunks within images ---------------

da = pytest.importorskip("dask.array")

# chunkings of the 40x50 images: a few big chunks down to single rows,
# columns and chunks of a few pixels, so that holes cross chunk borders and
# are larger than chunks
CHUNKS = [(1, 32, 36), (1, 12, 20), (1, 7, 9), (1, 5, 4), (1, 1, 36), (1, 32, 1)]


def _holey_mask(seed=0):
    """A 40x50 mask with holes of every kind.

    A frame around a hole larger than any chunk, holding an island with holes
    of 1, 2 and 4 pixels and a patch of noise (holes, diagonal gaps); a bay
    and a notch open to the image border (not holes); a hole at the left edge
    whose only way out is a diagonal gap.
    """
    mask = np.zeros((40, 50), dtype=bool)
    mask[1:33, 2:47] = True
    mask[3:31, 4:45] = False
    mask[6:18, 7:22] = True
    mask[8, 9] = mask[10:12, 12] = False
    mask[13:15, 16:18] = False
    mask[20:28, 25:40] = _masks((8, 15), seed, density=0.5)
    mask[34:40, 6:9] = mask[34:40, 40:43] = mask[34:36, 6:43] = True
    mask[35, 45:] = mask[38, 45:] = mask[35:39, 45] = True
    mask[33:37, 0:4] = True
    mask[34:36, 1:3] = False  # a hole of 4 pixels at the left edge ...
    mask[36, 3] = False  # ... leaking out through a diagonal gap only
    return mask


def _chunked_equals_in_memory(step, X, chunks):
    Xd = da.from_array(X, chunks=chunks)
    result = step.transform(Xd)
    assert isinstance(result, da.Array)
    expected = step.transform(X)
    computed = result.compute()
    np.testing.assert_array_equal(computed, expected)
    return computed, expected


# every chunking, and both connectivities with and without max_area on chunks
# of a few pixels (cases kept few: many tiny chunks make slow graphs)
@pytest.mark.parametrize(
    "chunks, connectivity, max_area",
    [
        (CHUNKS[0], 1, None),
        (CHUNKS[1], 2, 6),
        (CHUNKS[2], 1, 6),
        (CHUNKS[2], 2, None),
        (CHUNKS[3], 2, 6),
        (CHUNKS[4], 1, None),
        (CHUNKS[5], 2, None),
    ],
)
def test_hole_filler_on_chunks_equals_in_memory_on_masks(
    chunks, connectivity, max_area
):
    masks = np.stack([_holey_mask()])
    step = HoleFiller(max_area, connectivity=connectivity)
    computed, expected = _chunked_equals_in_memory(step, masks, chunks)
    assert computed.dtype == bool
    # the big hole is filled or not, the island's holes are
    assert expected[0, 25, 10] == (max_area is None)
    assert expected[0, 8, 9] and expected[0, 13:15, 16:18].all()
    assert not expected[0, 37, 20] and not expected[0, 36, 47]  # open to the edge
    assert expected[0, 35, 2] == (connectivity == 1)  # the diagonal leak


def test_hole_filler_on_chunks_refuses_label_images():
    labels = measure.label(_holey_mask())[None]
    Xd = da.from_array(labels, chunks=(1, 12, 20))
    with pytest.raises(NotImplementedError, match="HoleFiller .*rechunk along images"):
        HoleFiller().transform(Xd)
    # chunks of whole images run the in-memory code
    whole = HoleFiller().transform(Xd.rechunk({1: -1, 2: -1})).compute()
    np.testing.assert_array_equal(whole, HoleFiller().transform(labels))


@pytest.mark.parametrize("connectivity", [1, 3])
def test_hole_filler_on_chunks_in_3d(connectivity):
    volume = _nested_volume()
    step = HoleFiller(connectivity=connectivity)
    computed, expected = _chunked_equals_in_memory(step, volume[None], (1, 5, 6, 7))
    assert (expected != volume[None]).any()


def test_hole_filler_on_chunks_reads_floats_as_masks_and_checks_them():
    mask = _holey_mask()[None]
    X = mask * 0.5
    Xd = da.from_array(X, chunks=(1, 12, 20))
    np.testing.assert_array_equal(
        HoleFiller().transform(Xd).compute(), HoleFiller().transform(mask)
    )
    X[0, 30, 40] = np.nan
    result = HoleFiller().transform(da.from_array(X, chunks=(1, 12, 20)))
    with pytest.raises(ValueError, match="HoleFiller got NaN or infinite values"):
        result.compute()
    with pytest.raises(ValueError, match="HoleFiller: connectivity=3"):
        HoleFiller(connectivity=3).transform(da.from_array(mask, chunks=(1, 12, 20)))


def test_hole_filler_on_chunks_is_lazy_and_leaves_the_input():
    X = _holey_mask()[None]
    before = X.copy()
    calls = []

    def read(chunk):
        calls.append(chunk.shape)
        return chunk

    Xd = da.from_array(X, chunks=(1, 12, 20))
    Xd = Xd.map_blocks(read, dtype=X.dtype, meta=np.empty((0, 0, 0), X.dtype))
    result = HoleFiller(max_area=6).transform(Xd)
    assert isinstance(result, da.Array) and result.shape == X.shape
    assert calls == []  # nothing computed to build the graph
    result.compute()
    assert len(calls) == 12  # each chunk of the input computed once
    np.testing.assert_array_equal(X, before)


# --- footprints far larger than the images --------------------------------------


@pytest.mark.parametrize("cls", [MorphCloser, MorphOpener])
@pytest.mark.parametrize("shape", ["square", "disk", "diamond"])
@pytest.mark.parametrize("mode", ["ignore", "constant", "nearest"])
def test_footprint_far_beyond_the_image_equals_skimage(cls, shape, mode):
    # a footprint of a million pixels: cropped to the image, exactly, with no
    # giant allocation; the same as scikit-image's with one 3 times the image
    masks = _masks((2, 9, 7), seed=3)
    operation = morphology.closing if cls is MorphCloser else morphology.opening
    fp = _footprint(shape, 29, 2)
    expected = np.stack([operation(m, fp, mode=mode) for m in masks])
    step = cls(10**6 + 1, shape=shape, mode=mode)
    np.testing.assert_array_equal(step.transform(masks), expected)
    chunked = step.transform(da.from_array(masks, chunks=(1, 5, 4))).compute()
    np.testing.assert_array_equal(chunked, expected)
