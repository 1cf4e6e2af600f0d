"""Dask input: lazy results equal to the in-memory ones, for any chunking."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.filters import threshold_multiotsu, threshold_otsu, threshold_yen
from skimage.measure import label

import sksegment as sks
from sksegment.discovery import all_estimators

from conftest import fit_estimator as _fit
from conftest import make_estimator
from conftest import same_partition as _same_objects

da = pytest.importorskip("dask.array")
hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")


def _images(shape=(4, 24, 28), seed=0, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    smooth = ndi.gaussian_filter(rng.random(shape), (0,) + (2,) * (len(shape) - 1))
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    return (smooth * 255).astype(dtype)


def _result(step, X):
    return step.predict(X) if hasattr(step, "predict") else step.transform(X)


# --- many images: chunks along the image axis ------------------------------------


@pytest.mark.parametrize("name, cls", all_estimators())
@pytest.mark.parametrize("kind", ["intensity", "mask", "labels"])
def test_every_step_on_chunks_of_whole_images_equals_numpy(name, cls, kind):
    X = _images()
    if kind == "mask":
        X = X > 128
    elif kind == "labels":
        X = np.stack([label(image > 128) for image in X]).astype(np.int32)
    Xd = da.from_array(X, chunks=(3, -1, -1))
    expected = _result(_fit(make_estimator(cls), X), X)
    try:
        step = _fit(make_estimator(cls), Xd, y_of=X)
    except NotImplementedError as error:  # must say so clearly, naming the step
        assert name in str(error)
        step = _fit(make_estimator(cls), X)
    result = _result(step, Xd)
    assert isinstance(result, da.Array)
    computed = result.compute()
    assert computed.dtype == expected.dtype
    np.testing.assert_array_equal(computed, expected)


def test_counts_on_chunks_of_whole_images_are_a_lazy_1d_array():
    masks = _images((5, 30, 30)) > 128
    counts = sks.ObjectCounter().predict(da.from_array(masks, chunks=(2, 30, 30)))
    assert isinstance(counts, da.Array) and counts.shape == (5,)
    expected = [label(m, return_num=True)[1] for m in masks]
    np.testing.assert_array_equal(counts.compute(), expected)
    assert counts.dtype == np.int64


def test_pipeline_on_dask_equals_numpy():
    X = _images((4, 64, 64))
    pipe = sks.make_pipeline(
        sks.OtsuThresholder(),
        sks.MorphCloser(3),
        sks.BorderClearer(),
        sks.AreaFilter(min_area=5),
        sks.ObjectCounter(),
    )
    expected = pipe.fit(X).predict(X)
    for chunks in [(1, -1, -1), (1, 16, 24), (2, 5, 64)]:
        Xd = da.from_array(X, chunks=chunks)
        counts = pipe.fit(Xd).predict(Xd)
        assert isinstance(counts, da.Array)
        np.testing.assert_array_equal(counts.compute(), expected)


@pytest.mark.parametrize("chunks", [(2, -1), (3, 100), (1, 7)])
def test_flattened_rows_on_dask_equal_numpy(chunks):
    X = _images((5, 24, 28)).reshape(5, -1)
    shape = {"image_shape": (24, -1)}
    segmenter = sks.make_pipeline(
        sks.OtsuThresholder(**shape),
        sks.MorphCloser(3, **shape),
        sks.ComponentLabeler(**shape),
    )
    counter = sks.ObjectCounter(**shape)
    expected = segmenter.fit(X).transform(X)
    Xd = da.from_array(X, chunks=chunks)
    labels = segmenter.fit(Xd).transform(Xd)
    assert isinstance(labels, da.Array) and labels.shape == X.shape
    assert segmenter[0].n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(labels.compute(), expected)
    counts = counter.fit(Xd).predict(Xd)
    np.testing.assert_array_equal(counts.compute(), counter.predict(X))
    with pytest.raises(ValueError, match="X has 600 features, but OtsuThresholder"):
        segmenter[0].transform(da.from_array(X[:, :600]))
    with pytest.raises(ValueError, match="reads rows of flattened images"):
        segmenter[0].transform(da.from_array(X.reshape(5, 24, 28)))


def test_nan_is_found_lazily_when_the_chunk_is_computed():
    X = np.zeros((2, 8, 8))
    X[1, 3, 3] = np.nan
    result = sks.MorphCloser().transform(da.from_array(X, chunks=(1, 8, 8)))
    with pytest.raises(ValueError, match="MorphCloser got NaN or infinite values"):
        result.compute()


def test_dask_input_is_checked_cheaply_at_once():
    with pytest.raises(ValueError, match="MorphCloser expects a batch of 2D or 3D"):
        sks.MorphCloser().transform(da.zeros((8, 8), dtype=bool))
    with pytest.raises(ValueError, match="needs 8 values per row; X has 9"):
        sks.MorphCloser(image_shape=(2, 4)).transform(da.zeros((3, 9), dtype=bool))


def test_the_base_install_does_not_import_dask():
    code = (
        "import sys, numpy as np, sksegment as s;"
        "s.make_pipeline(s.OtsuThresholder(), s.ComponentLabeler(),"
        "s.ObjectCounter()).fit(np.arange(16).reshape(1, 4, 4)).predict("
        "np.arange(16).reshape(1, 4, 4));"
        "assert 'dask' not in sys.modules, 'dask imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- fit reduces over chunks --------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, bool])
@pytest.mark.parametrize("chunks", [(1, -1, -1), (2, 7, 9)])
def test_otsu_is_learned_from_a_histogram_pooled_over_chunks(dtype, chunks):
    X = _images((3, 30, 40), dtype=np.float64)
    X = X > 100 if dtype is bool else (X * 200 - (50 if dtype is np.int16 else 0))
    X = X.astype(dtype)
    Xd = da.from_array(X, chunks=chunks)
    learned = sks.OtsuThresholder().fit(Xd).threshold_
    assert learned == sks.OtsuThresholder().fit(X).threshold_
    if dtype is not bool:
        assert learned == threshold_otsu(X)


@pytest.mark.parametrize("method", ["otsu", "yen", "isodata", "multiotsu"])
def test_thresholder_histogram_methods_fit_on_chunks(method):
    X = _images((3, 30, 40))
    Xd = da.from_array(X, chunks=(1, 11, 13))
    step = sks.Thresholder(method, correction=0.9).fit(Xd)
    assert step.threshold_ == sks.Thresholder(method, correction=0.9).fit(X).threshold_
    reference = {
        "otsu": threshold_otsu,
        "yen": threshold_yen,
        "multiotsu": lambda x: threshold_multiotsu(x)[-1],
    }.get(method)
    if reference is not None:
        assert step.threshold_ == pytest.approx(0.9 * reference(X))
    np.testing.assert_array_equal(step.transform(Xd).compute(), step.transform(X))


def test_local_thresholder_learns_its_clamp_guide_over_chunks():
    X = _images((3, 30, 40))
    Xd = da.from_array(X, chunks=(1, 11, 13))
    step = sks.LocalThresholder(clamp=(0.7, 1.5), guide="yen").fit(Xd)
    reference = sks.LocalThresholder(clamp=(0.7, 1.5), guide="yen").fit(X)
    assert step.global_threshold_ == reference.global_threshold_
    Xd = Xd.rechunk({1: -1, 2: -1})
    np.testing.assert_array_equal(step.transform(Xd).compute(), reference.transform(X))


def test_constant_training_images_on_dask_warn_as_in_memory():
    Xd = da.full((2, 6, 6), 7, dtype=np.uint8, chunks=(1, 3, 3))
    with pytest.warns(UserWarning, match="the training images are constant"):
        step = sks.OtsuThresholder().fit(Xd)
    assert step.threshold_ == 7


# --- one huge image: chunks within images --------------------------------------------

CHUNKS_2D = [(1, 32, 36), (1, 12, 20), (1, 7, 9), (1, 5, 4), (1, 1, 36), (1, 32, 1)]


@pytest.mark.parametrize("chunks", CHUNKS_2D)
@pytest.mark.parametrize("connectivity", [1, None])
def test_objects_within_chunked_images_equal_numpy(chunks, connectivity):
    masks = _images((2, 32, 36), seed=3) > 128
    Xd = da.from_array(masks, chunks=chunks)
    steps = [
        sks.ComponentLabeler(connectivity),
        sks.BorderClearer(2, connectivity=connectivity),
        sks.AreaFilter(5, 60, connectivity=connectivity),
    ]
    labels = steps[0].transform(Xd)
    assert isinstance(labels, da.Array)
    expected = np.stack([label(m, connectivity=connectivity) for m in masks])
    np.testing.assert_array_equal(labels.compute(), expected)  # same ids too
    for step in steps[1:]:
        result = step.transform(Xd)
        np.testing.assert_array_equal(result.compute(), step.transform(masks))
    counts = sks.ObjectCounter(connectivity).predict(Xd)
    np.testing.assert_array_equal(
        counts.compute(), sks.ObjectCounter(connectivity).predict(masks)
    )


@pytest.mark.parametrize("chunks", CHUNKS_2D)
@pytest.mark.parametrize("dtype", [np.int32, np.uint16, np.int64])
def test_label_images_within_chunked_images_equal_numpy(chunks, dtype):
    masks = _images((2, 32, 36), seed=6) > 120
    labels = np.stack([label(m, connectivity=1) for m in masks]).astype(dtype)
    labels[labels > 0] += 3  # ids that do not start at 1
    if dtype is np.int64:  # ids too sparse for a lookup table
        labels[labels > 0] += 2**40
    Xd = da.from_array(labels, chunks=chunks)
    for step in (sks.BorderClearer(2), sks.AreaFilter(4, 50)):
        expected = step.transform(labels)
        result = step.transform(Xd).compute()
        np.testing.assert_array_equal(result, expected)
        if dtype is not np.int64:
            assert result.dtype == expected.dtype
    np.testing.assert_array_equal(
        sks.ObjectCounter().predict(Xd).compute(), sks.ObjectCounter().predict(labels)
    )


@pytest.mark.parametrize("chunks", CHUNKS_2D)
@pytest.mark.parametrize("connectivity", [1, 2])
def test_components_of_touching_ids_within_chunks_equal_numpy(chunks, connectivity):
    ids = (_images((2, 32, 36), seed=9) // 64).astype(np.uint8)  # 0..3, touching
    Xd = da.from_array(ids, chunks=chunks)
    step = sks.ComponentLabeler(connectivity)
    expected = np.stack([label(i, connectivity=connectivity) for i in ids])
    np.testing.assert_array_equal(step.transform(Xd).compute(), expected)
    np.testing.assert_array_equal(step.transform(ids), expected)


@pytest.mark.parametrize("chunks", CHUNKS_2D)
@pytest.mark.parametrize(
    "size, shape, mode",
    [
        (5, "square", "ignore"),
        (4, "square", "ignore"),
        (9, "disk", "ignore"),
        (7, "disk", "reflect"),
        (5, "diamond", "constant"),
        (3, "square", "max"),
        (5, "disk", "wrap"),
        (4, "square", "wrap"),
    ],
)
def test_closing_and_opening_within_chunked_images_are_exact(chunks, size, shape, mode):
    masks = _images((2, 32, 36), seed=4) > 140
    Xd = da.from_array(masks, chunks=chunks)
    for cls in (sks.MorphCloser, sks.MorphOpener):
        step = cls(size, shape=shape, mode=mode)
        np.testing.assert_array_equal(
            step.transform(Xd).compute(), step.transform(masks)
        )


@pytest.mark.parametrize("dtype, passes", [(np.uint8, 1), (np.int16, 2)])
def test_thresholds_read_each_chunk_once_per_pass(dtype, passes):
    """Fit streams: each pass (the range, then the counts; one for uint8) is
    its own computation, reading every chunk once.  Per-image thresholds are
    one computation: every chunk is read once, and held until its image's
    threshold is known."""
    import dask

    X = _images((2, 30, 40), dtype=dtype)
    loads = []

    def load(block, block_info=None):
        loads.append(block_info[0]["chunk-location"])
        return block

    Xd = da.from_array(X, chunks=(1, 10, 20)).map_blocks(load, dtype=dtype)
    n_chunks = 2 * 3 * 2
    with dask.config.set(scheduler="sync"):
        step = sks.Thresholder("otsu").fit(Xd)
        assert len(loads) == passes * n_chunks
        assert step.threshold_ == threshold_otsu(X)
        loads.clear()
        per_image = sks.Thresholder("otsu", scope="image").fit(Xd)
        masks = per_image.transform(Xd).compute()
    assert len(loads) == n_chunks
    np.testing.assert_array_equal(masks, [x > threshold_otsu(x) for x in X])


def _count_kernel_calls(monkeypatch):
    """Count the calls of the closing and labeling kernels, from now on."""
    from sksegment import _kernels

    calls = {"closing": 0, "label": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(_kernels, "closing", counted("closing", _kernels.closing))
    monkeypatch.setattr(_kernels, "label_mask", counted("label", _kernels.label_mask))
    return calls


def test_no_step_runs_twice_per_chunk_in_one_computation(monkeypatch):
    """Labels, border clearing, area filtering and counts of one lazy closing,
    computed together: the closing runs once per chunk, and each global step's
    own labeling twice per chunk (summary and relabel), never more."""
    import dask

    calls = _count_kernel_calls(monkeypatch)
    X = _images((1, 60, 64))
    Xd = da.from_array(X, chunks=(1, 20, 16))
    n_chunks = 3 * 4
    step = sks.OtsuThresholder().fit(Xd)
    closed = sks.MorphCloser(3).transform(step.transform(Xd))
    labels = sks.ComponentLabeler().transform(closed)
    counts = sks.ObjectCounter().predict(closed)  # shares the labeler's pass
    cleared = sks.BorderClearer().transform(closed)
    kept = sks.AreaFilter(min_area=20).transform(cleared)
    calls.update(closing=0, label=0)
    with dask.config.set(scheduler="sync"):
        labels, counts, kept = dask.compute(labels, counts, kept)
    assert calls["closing"] == n_chunks
    # labeler (+ counter), border clearer, area filter: two labelings each
    assert calls["label"] == 3 * 2 * n_chunks
    reference = sks.MorphCloser(3).transform(X > step.threshold_)
    assert counts[0] == labels.max() == label(reference[0], connectivity=2).max()
    expected = sks.AreaFilter(min_area=20).transform(
        sks.BorderClearer().transform(reference)
    )
    np.testing.assert_array_equal(kept, expected)


def test_hole_filling_and_count_guard_run_no_step_twice(monkeypatch):
    """The closing runs once per chunk; the hole filler labels each chunk's
    background twice, the guard's count labels each chunk once."""
    import dask

    calls = _count_kernel_calls(monkeypatch)
    masks = _images((1, 60, 64), seed=2) > 120
    Xd = da.from_array(masks, chunks=(1, 20, 16))
    n_chunks = 3 * 4
    steps = [sks.MorphCloser(3), sks.HoleFiller(30), sks.MaxCountGuard(40)]
    lazy = Xd
    for step in steps:
        lazy = step.transform(lazy)
    calls.update(closing=0, label=0)
    with dask.config.set(scheduler="sync"):
        result = lazy.compute()
    assert calls == {"closing": n_chunks, "label": 3 * n_chunks}
    expected = masks
    for step in steps:
        expected = step.transform(expected)
    np.testing.assert_array_equal(result, expected)


def _graph_sizes(Xd):
    """Tasks and layers of a lazy pipeline of every global step on ``Xd``."""
    import dask
    from dask.highlevelgraph import HighLevelGraph

    mask = sks.Thresholder("otsu", scope="image").fit(Xd).transform(Xd)
    closed = sks.MorphCloser(3).transform(mask)
    filled = sks.HoleFiller(20).transform(closed)
    cleared = sks.BorderClearer().transform(filled)
    labels = sks.ComponentLabeler().transform(cleared)
    kept = sks.AreaFilter(min_area=5).transform(labels)
    guarded = sks.MaxCountGuard(50).transform(kept)
    counts = sks.ObjectCounter().predict(guarded)
    graph = HighLevelGraph.merge(guarded.__dask_graph__(), counts.__dask_graph__())
    (optimized,) = dask.optimize(guarded)
    return len(graph), len(graph.layers), len(optimized.__dask_graph__())


def test_graph_size_is_linear_in_the_number_of_chunks():
    """Each global step is a fixed number of graph layers with a fixed number
    of tasks per chunk: 16, 64 and 256 chunks give the same layers and tasks
    proportional to the chunks (as built, and as optimized for computing)."""
    X = _images((1, 64, 64), seed=1)
    sizes = {}
    for chunk in (16, 8, 4):
        Xd = da.from_array(X, chunks=(1, chunk, chunk))
        sizes[Xd.npartitions] = _graph_sizes(Xd)
    assert sorted(sizes) == [16, 64, 256]
    assert len({layers for _, layers, _ in sizes.values()}) == 1
    for which in (0, 2):
        per_chunk = {n: size[which] / n for n, size in sizes.items()}
        assert per_chunk[256] <= 1.2 * per_chunk[64] <= 1.2**2 * per_chunk[16]


@pytest.mark.parametrize(
    "chunks", [(1, 5, 6, 7), (1, 2, 20, 5), (1, 20, 2, 25), (1, 10, 11, 1)]
)
@pytest.mark.parametrize("connectivity", [1, 2, 3])
def test_3d_images_within_chunks_equal_numpy(chunks, connectivity):
    masks = _images((1, 20, 22, 25), seed=5) > 128
    Xd = da.from_array(masks, chunks=chunks)
    labeler = sks.ComponentLabeler(connectivity)
    np.testing.assert_array_equal(
        labeler.transform(Xd).compute(), label(masks, connectivity=connectivity)
    )
    # the components of label images, in raster order as in memory (chunks
    # one voxel wide along the last axis are not numbered so by scikit-image)
    ids = (_images((1, 20, 22, 25), seed=9) // 90).astype(np.uint8)
    np.testing.assert_array_equal(
        labeler.transform(da.from_array(ids, chunks=chunks)).compute(),
        labeler.transform(ids),
    )
    for step in (
        sks.BorderClearer(connectivity=connectivity),
        sks.AreaFilter(max_area=30, connectivity=connectivity),
        sks.MorphCloser(3),
    ):
        np.testing.assert_array_equal(
            step.transform(Xd).compute(), step.transform(masks)
        )


def test_thresholding_within_chunks_is_elementwise():
    X = _images((1, 50, 60))
    Xd = da.from_array(X, chunks=(1, 7, 11))
    step = sks.OtsuThresholder().fit(Xd)
    np.testing.assert_array_equal(step.transform(Xd).compute(), X > threshold_otsu(X))


@pytest.mark.parametrize(
    "step, X",
    [
        (sks.WatershedSplitter(), np.zeros((1, 8, 8), bool)),
        (sks.MorphCloser(11, mode="wrap"), np.zeros((1, 8, 8), bool)),
    ],
    ids=lambda x: type(x).__name__,
)
def test_steps_that_need_whole_images_say_so(step, X):
    X = np.arange(64).reshape(1, 8, 8) if X is None else X
    Xd = da.from_array(X, chunks=(1, 4, 4))
    name = type(step).__name__
    with pytest.raises(NotImplementedError, match=f"{name} .*rechunk along images"):
        step.transform(Xd)


# --- the contract: every step on images split into chunks -------------------------

# (images kept, chunks): chunks smaller than every default footprint and
# window (2x3, on one image's 16x18 corner: many tiny chunks are slow), about
# a footprint (5x7, 16x16), and uneven (23x17), on images of 40x44 pixels
SPLIT_CHUNKS = [
    (np.s_[:1, :16, :18], (1, 2, 3)),
    (np.s_[:], (1, 5, 7)),
    (np.s_[:], (1, 16, 16)),
    (np.s_[:], (2, 23, 17)),
]


def _plan(step, Xd):
    """The plan ``step`` declares for ``Xd`` (``sksegment._chunks``)."""
    from sksegment._base import validate_batch

    return step._on_split_chunks(validate_batch(step, Xd, reset=False))


def _equal_results(got, expected):
    if expected.dtype.kind in "iu" and got.ndim > 1:  # label images: ids may differ
        assert got.dtype == expected.dtype
        for a, b in zip(got, expected):
            assert _same_objects(a, b)
    else:
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


@pytest.mark.filterwarnings("ignore::sksegment.ChannelAxisWarning")
@pytest.mark.parametrize("name, cls", all_estimators())
@pytest.mark.parametrize("kind", ["intensity", "mask", "labels"])
def test_every_step_on_split_chunks_equals_numpy_or_says_so(name, cls, kind):
    """The contract: on images split into chunks, a step gives its in-memory
    result at every chunking (chunks smaller than its footprint included) when
    it declares a plan, and otherwise an error naming the rechunk."""
    from sksegment._chunks import WholeImages

    X = _images((2, 40, 44), seed=3)
    if kind == "mask":
        X = X > 128
    elif kind == "labels":
        X = np.stack([label(image > 128) for image in X]).astype(np.int32)
    step = _fit(make_estimator(cls), X)
    for part, chunks in SPLIT_CHUNKS:
        Xd = da.from_array(X[part], chunks=chunks)
        if isinstance(_plan(step, Xd), WholeImages):
            with pytest.raises(NotImplementedError, match=f"{name}.* rechunk"):
                _result(step, Xd)
            continue
        result = _result(step, Xd)
        assert isinstance(result, da.Array)
        _equal_results(result.compute(), _result(step, X[part]))


def test_a_subclass_does_not_inherit_a_plan_it_did_not_declare():
    """A subclass of a step with an overlap plan that changes what the step
    computes (here: fills holes, which is not local) runs on whole images only,
    instead of giving a lazy result different from its in-memory one."""
    from scipy.ndimage import binary_fill_holes

    class HoleCloser(sks.MorphCloser):
        def _transform_image(self, image, out=None):
            return binary_fill_holes(image != 0)

    class SameCloser(sks.MorphCloser):
        _on_split_chunks = sks.MorphCloser._on_split_chunks

    masks = np.zeros((1, 32, 32), bool)
    masks[0, 4:28, 4:28] = True
    masks[0, 10:22, 10:22] = False  # a hole wider than any chunk
    Xd = da.from_array(masks, chunks=(1, 8, 8))
    with pytest.raises(NotImplementedError, match="HoleCloser .*rechunk"):
        HoleCloser().transform(Xd)
    np.testing.assert_array_equal(
        HoleCloser().transform(masks), binary_fill_holes(masks[0])[None]
    )
    # stated explicitly, the parent's plan is kept
    np.testing.assert_array_equal(
        SameCloser(3).transform(Xd).compute(), sks.MorphCloser(3).transform(masks)
    )


def test_an_unknown_plan_is_refused_naming_the_step():
    class Odd(sks.MorphCloser):
        def _on_split_chunks(self, batch):
            return "overlap"

    Xd = da.from_array(np.zeros((1, 8, 8), bool), chunks=(1, 4, 4))
    with pytest.raises(TypeError, match="Odd declared 'overlap'"):
        Odd().transform(Xd)


# any width, 3 and 4 included: no colour images here
@pytest.mark.filterwarnings("ignore::sksegment.ChannelAxisWarning")
@hypothesis.settings(max_examples=20, deadline=None)
@hypothesis.given(
    seed=st.integers(0, 2**16),
    height=st.integers(1, 14),
    width=st.integers(1, 14),
    density=st.floats(0.2, 0.8),
    chunk_h=st.integers(1, 14),
    chunk_w=st.integers(1, 14),
    connectivity=st.sampled_from([1, 2]),
)
def test_labeling_any_mask_and_chunking_equals_numpy(
    seed, height, width, density, chunk_h, chunk_w, connectivity
):
    mask = np.random.default_rng(seed).random((1, height, width)) < density
    Xd = da.from_array(mask, chunks=(1, chunk_h, chunk_w))
    labels = sks.ComponentLabeler(connectivity).transform(Xd).compute()
    np.testing.assert_array_equal(labels[0], label(mask[0], connectivity=connectivity))
    counts = sks.ObjectCounter(connectivity).predict(Xd).compute()
    assert counts[0] == label(mask[0], connectivity=connectivity).max()
    if min(height, width) > 1:
        clearer = sks.BorderClearer(connectivity=connectivity)
        np.testing.assert_array_equal(
            clearer.transform(Xd).compute(), clearer.transform(mask)
        )
    closer = sks.MorphCloser(3)
    np.testing.assert_array_equal(
        closer.transform(Xd).compute(), closer.transform(mask)
    )


# any width, 3 and 4 included: no colour images here
@pytest.mark.filterwarnings("ignore::sksegment.ChannelAxisWarning")
@hypothesis.settings(max_examples=20, deadline=None)
@hypothesis.given(
    seed=st.integers(0, 2**16),
    height=st.integers(2, 14),
    width=st.integers(2, 14),
    density=st.floats(0.3, 0.9),
    chunk_h=st.integers(1, 14),
    chunk_w=st.integers(1, 14),
    connectivity=st.sampled_from([1, 2]),
    bound=st.integers(1, 12),
)
def test_global_object_steps_on_any_mask_and_chunking_equal_numpy(
    seed, height, width, density, chunk_h, chunk_w, connectivity, bound
):
    rng = np.random.default_rng(seed)
    mask = rng.random((1, height, width)) < density
    Xd = da.from_array(mask, chunks=(1, chunk_h, chunk_w))
    steps = [
        sks.HoleFiller(connectivity=connectivity),
        sks.HoleFiller(bound, connectivity=connectivity),
        sks.AreaFilter(min_area=bound, connectivity=connectivity),
        sks.BorderClearer(1, connectivity=connectivity),
        sks.MaxCountGuard(bound, connectivity=connectivity),
    ]
    for step in steps:
        np.testing.assert_array_equal(
            step.transform(Xd).compute(), step.transform(mask), err_msg=repr(step)
        )
    image = (rng.random((1, height, width)) * 1000).astype(np.uint16)
    per_image = sks.Thresholder("otsu", scope="image").fit(image)
    Xi = da.from_array(image, chunks=(1, chunk_h, chunk_w))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # constant images
        np.testing.assert_array_equal(
            per_image.transform(Xi).compute(), per_image.transform(image)
        )


def test_overlap_on_uneven_chunks_smaller_than_the_depth_is_one_task_per_chunk():
    """An overlap step on uneven chunks, some narrower than its depth, with
    the image wrapped around or not, equals its in-memory result; it is one
    graph layer of one task per chunk, reading the input's chunks directly."""
    masks = _images((1, 23, 19), seed=11) > 130
    Xd = da.from_array(masks, chunks=((1,), (2, 9, 1, 11), (7, 3, 9)))
    for step in (
        sks.MorphCloser(5, shape="disk", mode="wrap"),
        sks.MorphOpener(3, mode="constant"),
    ):
        lazy = step.transform(Xd)
        np.testing.assert_array_equal(lazy.compute(), step.transform(masks))
        assert len(lazy.dask.layers[lazy.name]) == Xd.npartitions == 12
        assert lazy.dask.dependencies[lazy.name] == {Xd.name}


@pytest.mark.parametrize("group_pixels", [1, 150, 700, 1 << 20])
@pytest.mark.parametrize("chunks", [(1, 7, 9), (2, 13, 5)])
def test_groups_of_chunks_equal_numpy(monkeypatch, group_pixels, chunks):
    """The first pass of a global step summarizes small chunks in groups
    (``GROUP_PIXELS``): one chunk per group, groups cut short at the image
    edges, and whole images as one group all give the in-memory results, and
    a thresholding before the step is read through (no task of its own)."""
    import dask

    from sksegment import _dask

    monkeypatch.setattr(_dask, "GROUP_PIXELS", group_pixels)
    X = _images((3, 40, 45), seed=4)
    Xd = da.from_array(X, chunks=chunks)
    thresholder = sks.OtsuThresholder().fit(X)
    masks = thresholder.transform(X)
    lazy_masks = thresholder.transform(Xd)
    labels = label(masks[0], connectivity=2)
    steps = [
        sks.ComponentLabeler(),
        sks.BorderClearer(),
        sks.AreaFilter(min_area=15),
        sks.MorphCloser(3),
    ]
    for step in steps:
        np.testing.assert_array_equal(
            step.transform(lazy_masks).compute(), step.transform(masks)
        )
    counts = sks.ObjectCounter().predict(lazy_masks).compute()
    np.testing.assert_array_equal(counts, sks.ObjectCounter().predict(masks))
    ids = da.from_array((labels * 7)[None], chunks=chunks)
    for step in (sks.AreaFilter(max_area=40), sks.BorderClearer()):
        np.testing.assert_array_equal(
            step.transform(ids).compute(), step.transform((labels * 7)[None])
        )
    for step in (sks.ComponentLabeler(), sks.MorphCloser(3)):
        (optimized,) = dask.optimize(step.transform(lazy_masks))
        graph = optimized.__dask_graph__()
        names = {key[0] for key in graph if isinstance(key, tuple)}
        assert lazy_masks.name not in names and Xd.name in names


def test_thresholds_of_uint64_images_past_2_63_on_chunks_equal_numpy():
    """The pooled histogram's values stay exact integers past 2**63."""
    image = (np.uint64(2**63 + 100) + _images((1, 20, 24), seed=5)).astype(np.uint64)
    Xd = da.from_array(image, chunks=(1, 7, 9))
    for method in ("otsu", "mean", "li"):
        lazy = sks.Thresholder(method).fit(Xd)
        assert lazy.threshold_ == sks.Thresholder(method).fit(image).threshold_, method
