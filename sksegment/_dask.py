"""Private helpers for batches given as dask arrays (imported only for dask input).

A dask batch is an array ``(n_images, *spatial)`` (rows of flattened images
are reshaped to it lazily).  Two chunkings:

* chunks along the image axis only (each chunk holds whole images): every
  chunk is processed by the in-memory code of the step (``map_blocks``), so
  any step works unchanged;
* chunks within images (one huge image): the step's declared plan
  (``sksegment._chunks``: elementwise, overlap of a depth, global, or whole
  images only), passed to ``DaskBatch.map``, says how; global plans are
  built from the helpers here: maps with a value reduced per image
  (``map_with_image_summary``) and global objects (``global_objects``,
  ``global_ids``): each chunk is labeled by the fast kernel, labels are
  joined across chunk faces by connected components over the face pixel
  pairs and relabeled by lookup tables.  Steps that run on whole images
  only raise ``NotImplementedError`` naming the rechunk.

Reductions of pixels (ranges, sums, pooled histograms) are summed chunk by
chunk (``pixel_summary``, ``summarize_pixels``).

Every helper builds a fixed number of graph layers, whatever the number of
chunks: layers of one task per chunk (an overlap reads its neighbours'
edges in the same task; a global step's first pass summarizes small chunks
in groups of about ``GROUP_PIXELS``), and single tasks (``_one_task``) that
read all of a layer's results.  Building and computing the graph are linear
in the number of chunks: no per-chunk ``delayed`` call, which would merge
and cull the whole upstream graph once per chunk.  An elementwise step is
read through by the overlap or first pass after it (``map_elementwise``
records its function), so it costs no task of its own.  A small result
read by many chunks (a table, a threshold) is not a blockwise task: dask's
blockwise fusion would copy a blockwise task, and every step before it,
into each reader.

dask is imported inside the functions, not with the module, so that the
module can be imported (by doctest collection, say) without the extra.

Validation stays lazy: dtype and dimensions are checked when the graph is
built; NaN and infinite values, and negative label ids, are checked per chunk
when it is computed.
"""

import warnings
from functools import partial

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from sksegment import _kernels
from sksegment._batch import (
    Batch,
    ImageBatch,
    may_be_channels,
    name_of,
    resolve_image_shape,
    warn_channel_axis,
)
from sksegment._chunks import Elementwise, Global, Overlap, WholeImages
from sksegment._validation import as_objects, check_image

__all__ = [
    "DaskBatch",
    "global_ids",
    "global_objects",
    "map_elementwise",
    "map_images",
    "map_overlap",
    "map_rows",
    "map_with_image_summary",
    "objects_of",
    "pixel_summary",
    "summarize_pixels",
    "unfused",
    "validate_dask_batch",
]


class DaskBatch(Batch):
    """A validated dask batch: the array ``(n_images, *spatial)`` and its step.

    Parameters
    ----------
    array : dask.array.Array
        The images.
    step : estimator
        The step the batch was validated for.
    finite : bool
        Whether NaN and infinite values are rejected (lazily, per chunk).
    flat : bool, default=False
        Whether the input was rows of flattened images (``image_shape``):
        ``array`` is then their reshaped view and image results are
        flattened back.
    """

    kind = "dask"

    def __init__(self, array, step, finite, flat=False):
        self.array = array
        self.step = step
        self.finite = finite
        self.flat = flat

    def __len__(self):
        return self.array.shape[0]

    @property
    def name(self):
        return name_of(self.step)

    @property
    def images(self):
        raise NotImplementedError(
            f"{self.name} needs the pixels of the training images in memory to "
            "learn from them and cannot fit on a dask array; fit on a sample in "
            "memory (for example X[:k].compute()) and transform the dask array."
        )

    @property
    def whole_images(self):
        """Whether every chunk holds whole images (chunked along images only)."""
        return all(len(c) == 1 for c in self.array.chunks[1:])

    def map(self, func, n_jobs=None, split=None):
        """``ImageBatch.map`` for dask: a lazy dask array of the results.

        Chunks holding whole images run ``func`` on each image.  Images split
        into chunks run as ``split(batch)``, the step's declaration, plans
        (``sksegment._chunks``); without one, only whole images are accepted.
        ``n_jobs`` is not used: dask's scheduler runs the chunks in parallel.
        """
        if self.whole_images:
            result = map_images(self, func)
        else:
            plan = WholeImages() if split is None else split(self)
            result = self.run_plan(plan, func)
        if self.flat and result.ndim > 1:
            return result.reshape((result.shape[0], -1))
        return result

    def describe(self):
        """``Batch.describe``: one entry for the whole array."""
        return [("X", np.dtype(self.array.dtype), self.array.ndim - 1)]

    def run_plan(self, plan, func):
        """The lazy result of a plan for images split into chunks."""
        if isinstance(plan, Elementwise):
            return map_elementwise(self, plan.func or func, plan.dtype)
        if isinstance(plan, Overlap):
            return map_overlap(
                self,
                plan.func or func,
                plan.depth,
                plan.dtype,
                periodic=plan.periodic,
                trailing=plan.trailing,
            )
        if isinstance(plan, Global):
            return plan.build(self)
        if isinstance(plan, WholeImages):
            raise self.needs_whole_images(plan.why)
        raise TypeError(
            f"{self.name} declared {plan!r} for images split into chunks; "
            "expected a plan of sksegment._chunks."
        )

    def check_connectivity(self, connectivity):
        """Raise, naming the step, when ``connectivity`` exceeds the images' ndim."""
        ndim = self.array.ndim - 1
        if connectivity is not None and connectivity > ndim:
            raise ValueError(
                f"{self.name}: connectivity={connectivity} exceeds the number of "
                f"dimensions of a {ndim}D image."
            )

    def needs_whole_images(self, why=""):
        """The error for a step that cannot work on images split into chunks.

        ``why`` (a clause, such as ``" (it measures whole objects)"``) follows
        the step's name.
        """
        whole = ", ".join(f"{a}: -1" for a in range(1, self.array.ndim))
        return NotImplementedError(
            f"{self.name}{why} cannot process these images split into chunks "
            f"(got chunks {self.array.chunksize} for images of shape "
            f"{self.array.shape[1:]}); rechunk along images only, for example "
            f"X.rechunk({{0: k, {whole}}}) for k images per chunk, so that every "
            "chunk holds whole images."
        )

    @property
    def check(self):
        """The per-chunk check, a small picklable object for the graph."""
        return _Check(self.name, self.finite)


class _Check:
    """The image checks of a chunk (one image or part of one), done lazily."""

    __slots__ = ("name", "finite")

    def __init__(self, name, finite):
        self.name = name
        self.finite = finite

    def __call__(self, part):
        return check_image(part, self.name, finite=self.finite)

    def __dask_tokenize__(self):
        return ("sksegment-check", self.name, self.finite)


def validate_dask_batch(step, X, *, reset, finite):
    """Cheap, lazy validation of a dask array as a batch of images.

    With the step's ``image_shape`` set, ``X`` holds flattened images, one per
    row: ``n_features_in_`` is recorded (``reset``) or checked as for arrays,
    and the rows are reshaped lazily into images (whole rows per chunk).
    """
    import dask.array as da

    name = name_of(step)
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{name} accepts dask collections that are dask arrays "
            f"(n_images, ...); got a {type(X).__name__}."
        )
    image_shape = getattr(step, "image_shape", None)
    if image_shape is None:
        if reset and hasattr(step, "n_features_in_"):
            del step.n_features_in_
        batch = _checked_dask_images(name, step, X, finite)
        if may_be_channels(batch.array.shape):
            warn_channel_axis(batch.array.shape)
        return batch
    if X.ndim != 2:
        raise ValueError(
            f"{name} has image_shape={image_shape} and reads rows of flattened "
            f"images, a 2D array (n_images, n_values); got a {X.ndim}D dask array "
            f"of shape {X.shape}. Set image_shape=None for a batch of images."
        )
    if any(np.isnan(s) for s in X.shape):
        raise ValueError(
            f"{name} needs dask arrays of known shape; got {X.shape}. Call "
            "X.compute_chunk_sizes() first."
        )
    n_features = X.shape[1]
    if reset:
        step.n_features_in_ = n_features
    elif n_features != getattr(step, "n_features_in_", n_features):
        raise ValueError(
            f"X has {n_features} features, but {name} is expecting "
            f"{step.n_features_in_} features as input."
        )
    shape = resolve_image_shape(image_shape, n_features, name)
    images = X.rechunk({1: -1}).reshape((X.shape[0], *shape))
    batch = _checked_dask_images(name, step, images, finite)
    batch.flat = True
    return batch


def _checked_dask_images(name, step, X, finite):
    """The checks of a dask array ``(n_images, ...)`` that need no pixels."""
    if X.ndim not in (3, 4):
        raise ValueError(
            f"{name} expects a batch of 2D or 3D images, a dask array of 3 or 4 "
            f"dimensions (n_images, ...); got a {X.ndim}D array of shape "
            f"{X.shape}."
        )
    if np.dtype(X.dtype).kind not in "buif":
        raise TypeError(f"{name} expects numeric images; got dtype {X.dtype}.")
    if any(np.isnan(s) for s in X.shape):
        raise ValueError(
            f"{name} needs dask arrays of known shape; got {X.shape}. Call "
            "X.compute_chunk_sizes() first."
        )
    if 0 in X.shape:
        raise ValueError(f"{name} got an empty batch: an array of shape {X.shape}.")
    if X.dtype == np.float16:
        X = X.astype(np.float32)
    elif not np.dtype(X.dtype).isnative:  # as check_image: native byte order
        X = X.astype(np.dtype(X.dtype).newbyteorder("="))
    return DaskBatch(X, step, finite)


# --- many images: the in-memory code per chunk --------------------------------


def _probe(batch, func):
    """The result dtype and per-image shape (None for a scalar) of ``func``.

    The shape is the image's, followed by the result's trailing axes when it
    has more (a feature axis: ``PixelFeatures``).  Found by running ``func``
    on a tiny synthetic image of the batch's dtype.
    """
    array = batch.array
    spatial = array.shape[1:]
    size = int(np.prod(spatial))
    shape = spatial if size <= 4096 else tuple(min(s, 64) for s in spatial)
    values = np.arange(int(np.prod(shape))) * 7919 % 251
    if array.dtype == bool:
        image = (values % 3 == 0).reshape(shape)
    else:
        image = values.reshape(shape).astype(array.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = func(image, None)
    if np.ndim(result) == 0:
        return np.asarray(result).dtype, None
    if result.shape[: image.ndim] != image.shape:
        raise NotImplementedError(
            f"{batch.name} changes the image shape, which dask input does not "
            "support yet."
        )
    return result.dtype, spatial + result.shape[image.ndim :]


def _run_block(block, check, func, dtype):
    images = [check(image) for image in block]
    result = np.asarray(ImageBatch(images, "array").map(func))
    if result.dtype != dtype:
        # the dtype declared for every chunk, from the input's dtype: a chunk
        # that needs a wider one is a bug, never truncated in silence
        if not np.can_cast(result.dtype, dtype):
            raise RuntimeError(
                f"{check.name} gave a chunk of dtype {result.dtype} where "
                f"{dtype} was declared for the dask array."
            )
        result = result.astype(dtype)
    return result


def map_images(batch, func):
    """Apply ``func`` (one image in, one result out) to every image, lazily."""
    import dask.array as da

    array = batch.array
    dtype, shape = _probe(batch, func)
    if shape is None:  # a scalar per image: the spatial axes are dropped
        layout = {
            "drop_axis": list(range(1, array.ndim)),
            "meta": np.empty((0,), dtype),
        }
    else:
        trailing = shape[array.ndim - 1 :]  # axes the results add (features)
        layout = {
            "new_axis": list(range(array.ndim, array.ndim + len(trailing))) or None,
            "chunks": array.chunks + tuple((n,) for n in trailing),
            "meta": np.empty((0,) * (array.ndim + len(trailing)), dtype),
        }
    return da.map_blocks(
        _run_block, array, batch.check, func, dtype, dtype=dtype, **layout
    )


def _rows_block(images, others, check, func, n_columns, block_info=None):
    start = block_info[0]["array-location"][0][0]
    rows = [
        func(check(image), other, start + i)
        for i, (image, other) in enumerate(zip(images, others))
    ]
    return np.array(rows, dtype=np.float64).reshape(len(images), n_columns)


def map_rows(batch, others, func, n_columns):
    """A lazy float64 ``(n_images, n_columns)`` array, a row per image.

    ``func(image, other, index)`` gives the row of each checked image from
    its counterpart in ``others`` (an array of the batch's shape, such as its
    segmentation; rechunked as the batch) and its index in the batch.  The
    rows are chunked along the images as the batch.
    """
    import dask.array as da

    array = batch.array
    if isinstance(others, da.Array):
        others = others.rechunk(array.chunks)
    else:
        others = da.from_array(others, chunks=array.chunks)
    return da.map_blocks(
        _rows_block,
        array,
        others,
        batch.check,
        func,
        n_columns,
        dtype=np.float64,
        drop_axis=list(range(1, array.ndim)),
        new_axis=1,
        chunks=(array.chunks[0], (n_columns,)),
        meta=np.empty((0, 0), dtype=np.float64),
    )


# --- one huge image: elementwise and overlap --------------------------------


def _one_image_per_chunk(array):
    return array.rechunk({0: 1}) if max(array.chunks[0]) > 1 else array


def _per_part(chunk, func, check):
    """``func`` on every checked image part of a chunk, stacked."""
    return np.stack([func(check(part)) for part in chunk])


def map_elementwise(batch, func, dtype):
    """``func(chunk)`` on chunks of any shape: for pixelwise operations.

    The result remembers its input and ``func`` (``_pixelwise``): a step on
    images split into chunks that reads it (``map_overlap``, the first pass
    of a global step) applies ``func`` itself to the input's pixels it
    reads, instead of reading a chunk computed by a task of its own.
    """
    import dask.array as da

    array = batch.array
    result = da.map_blocks(_per_part, array, func, batch.check, dtype=dtype)
    result._sksegment_pixelwise = (array, func, batch.check)
    return result


def _pixelwise(array):
    """The array a step reads, and the pixelwise function to apply to its chunks.

    For the result of ``map_elementwise``: its input and ``(func, check)``,
    so that the step's tasks read the input's chunks directly (a task fewer
    per chunk, and no linear chain for dask to fuse into a small graph run
    anew per chunk); the pixelwise function runs on the pixels each task
    reads (an overlap's margins run it again: pure and pixelwise, so the
    same values).  Otherwise ``array`` itself and None.
    """
    source = getattr(array, "_sksegment_pixelwise", None)
    if source is None or source[0].chunks != array.chunks:
        return array, None
    return source[0], source[1:]


def _through(block, prelude):
    """``block`` read through the pixelwise ``prelude`` (None: as it is)."""
    return block if prelude is None else _per_part(block, *prelude)


def _read_objects(part, name, dtype):
    return as_objects(part, name)[0].astype(dtype, copy=False)


def objects_of(batch, dtype):
    """The batch read as objects (masks, or label images in ``dtype``), lazily.

    Each chunk is checked and read as the in-memory steps read an image: a
    float image as the mask of its nonzero pixels.
    """
    return map_elementwise(
        batch, partial(_read_objects, name=batch.name, dtype=dtype), dtype
    )


def _reach(bounds, index, depth, size, periodic):
    """Pieces ``(chunk, slice)`` along one axis covering chunk ``index`` and
    ``depth`` pixels each side, and the offset of the chunk in that range.

    ``bounds`` are the chunks' starts and the axis's size.  Without
    ``periodic`` the range is clipped to the axis; with it, positions past
    the edges wrap around.
    """
    lo, hi = bounds[index] - depth, bounds[index + 1] + depth
    if not periodic:
        lo, hi = max(lo, 0), min(hi, size)
    pieces, at = [], lo
    while at < hi:
        pos = at % size
        chunk = int(np.searchsorted(bounds, pos, side="right")) - 1
        stop = min(bounds[chunk + 1], pos + hi - at)
        pieces.append((chunk, slice(pos - bounds[chunk], stop - bounds[chunk])))
        at += stop - pos
    return pieces, bounds[index] - lo


def _overlap_block(*blocks, layout, shape, trim, func, check, prelude=None):
    """``func`` on the chunk extended from the pieces of its neighbours, trimmed.

    The pieces are read through the pixelwise ``prelude`` (``_pixelwise``).
    """
    pieces = [block[index] for block, index in zip(blocks, layout)]
    if len(pieces) == 1:
        extended = pieces[0]
    else:
        extended = np.block(
            _nested(shape, lambda i: pieces[np.ravel_multi_index(i, shape)])
        )
    return _per_part(_through(extended, prelude), func, check)[trim]


def map_overlap(batch, func, depth, dtype, *, periodic=False, trailing=()):
    """``func(image_part)`` on each chunk extended by ``depth`` pixels per side.

    At the image's own edges nothing is added, so ``func`` sees the true
    image edge there and applies its own edge mode exactly as in memory; with
    ``periodic``, the image is extended there by its opposite edge, as an
    edge mode ``"wrap"`` extends it (``depth`` must not exceed the image).
    Exact when ``func``'s result at a pixel depends only on the pixels within
    ``depth`` of it.  ``trailing`` gives the lengths of the axes ``func``
    adds after the image's (a feature axis), which are not trimmed.

    One graph layer of one task per chunk, which reads the pieces of the
    chunks within ``depth`` of it and concatenates them (dask's
    ``map_overlap`` makes a task per piece, and one to concatenate them);
    the result of ``map_elementwise`` is read through (``_pixelwise``).
    """
    import itertools

    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    array = batch.array
    shape = array.shape
    token = tokenize(array.name, func, depth, periodic, dtype, trailing)
    array, prelude = _pixelwise(array)
    name = f"sksegment-overlap-{token}"
    bounds = [np.cumsum((0, *c)).tolist() for c in array.chunks]
    layer = {}
    for index in np.ndindex(*array.numblocks):
        reach = [([(index[0], slice(None))], 0)] + [
            _reach(bounds[a], index[a], min(depth, shape[a]), shape[a], periodic)
            for a in range(1, array.ndim)
        ]
        keys, layout = [], []
        for combo in itertools.product(*(pieces for pieces, _ in reach)):
            keys.append((array.name, *(chunk for chunk, _ in combo)))
            layout.append(tuple(cut for _, cut in combo))
        sizes = [len(pieces) for pieces, _ in reach]
        trim = tuple(
            slice(offset, offset + c[i])
            for (_, offset), c, i in zip(reach, array.chunks, index)
        )
        block = partial(
            _overlap_block,
            layout=layout,
            shape=tuple(sizes),
            trim=trim,
            func=func,
            check=batch.check,
            prelude=prelude,
        )
        layer[(name, *index, *(0,) * len(trailing))] = (block, *keys)
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[array])
    chunks = array.chunks + tuple((n,) for n in trailing)
    meta = np.empty((0,) * len(chunks), dtype=dtype)
    return da.Array(graph, name, chunks, meta=meta)


# --- reductions of pixels: ranges, sums and pooled histograms -----------------

# Widest range of integer values reduced to an exact histogram (128 MiB of
# counts per chunk); wider ranges raise NotImplementedError.
MAX_INT_BINS = 1 << 24


def _cell(value, ndim):
    """``value`` in an object array of one element per axis (a dask block)."""
    out = np.empty((1,) * ndim, dtype=object)
    out.flat[0] = value
    return out


def _part_stats(block, check, want_sum):
    """Minimum, maximum, float64 sum (when asked) and size of a chunk."""
    lows, highs, total = [], [], np.float64(0)
    for part in block:
        part = _kernels.as_numbers(check(part))
        lows.append(part.min())
        highs.append(part.max())
        if want_sum:
            total += part.sum(dtype=np.float64)
    return _cell((min(lows), max(highs), total, block.size), block.ndim)


def _merge_stats(cells):
    lows, highs, totals, sizes = zip(*cells.ravel().tolist())
    return _cell((min(lows), max(highs), sum(totals), sum(sizes)), cells.ndim)


def _binned(stats, max_exact):
    """Whether a group's histogram has ``nbins`` bins (not one per integer)."""
    lo, hi, _, size = stats
    if np.dtype(lo.dtype).kind == "f":
        return True
    return not _kernels.exact_integer_bins(lo, hi, size, max_exact)


def _part_counts(block, stats, check, nbins, label, max_exact=None):
    """Histogram of a chunk over the bins of its group (None: constant group).

    One bin per integer from the group's minimum to its maximum for integer
    images (at most ``MAX_INT_BINS``), ``nbins`` bins over ``[min, max]`` for
    float images and for integers wider than ``_kernels.exact_integer_bins``
    allows: the bins of ``_kernels.pooled_histogram``.
    """
    lo, hi = stats.flat[0][:2]
    if lo == hi:
        return _cell(None, block.ndim)
    parts = [_kernels.as_numbers(check(part)) for part in block]
    if _binned(stats.flat[0], max_exact):
        return _cell(_kernels.binned_histogram(parts, lo, hi, nbins)[0], block.ndim)
    if int(hi) - int(lo) + 1 > MAX_INT_BINS:
        raise NotImplementedError(
            f"{label} on a dask array needs an exact histogram of the integer "
            f"pixel values, which span {int(hi) - int(lo) + 1} values (from {lo} "
            f"to {hi}), more than {MAX_INT_BINS}; fit on a sample in memory (for "
            "example X[:k].compute()), or cast the images to float32 for the "
            "methods that bin float images (all but li and robust_background)."
        )
    return _cell(_kernels.exact_counts(parts, lo, hi), block.ndim)


def _merge_counts(cells, stats, nbins, max_exact=None):
    """(stats, pooled histogram) of a group from its chunks' counts."""
    stats = stats.flat[0]
    lo, hi = stats[:2]
    if lo == hi:
        return _cell((stats, None), cells.ndim)
    counts = sum(cells.ravel().tolist())
    if _binned(stats, max_exact):
        values = _kernels.bin_centers(lo, hi, nbins)
    else:
        values = _kernels.integer_values(lo, hi)
    return _cell((stats, (counts, values)), cells.ndim)


def _without_hist(stats):
    return _cell((stats.flat[0], None), stats.ndim)


def _part_counts_uint8(block, check):
    """The 256 counts of a chunk of uint8 (or bool) images: one pass."""
    parts = (_kernels.as_numbers(check(part)) for part in block)
    counts = sum(_kernels.counts_uint8(part) for part in parts)
    return _cell(counts, block.ndim)


def _summary_uint8(cells, want_hist):
    """(stats, histogram) of a group of uint8 images from its chunks' counts."""
    counts = sum(cells.ravel().tolist())
    present = np.flatnonzero(counts)
    lo, hi = int(present[0]), int(present[-1])
    values = np.arange(256)
    total = np.float64(int(values @ counts))
    stats = (np.uint8(lo), np.uint8(hi), total, int(counts.sum()))
    if not want_hist or lo == hi:
        return _cell((stats, None), cells.ndim)
    return _cell((stats, (counts[lo : hi + 1], values[lo : hi + 1])), cells.ndim)


def unfused(array):
    """``array`` with each chunk behind an alias task, not a blockwise one.

    A chunk (or a small result such as an image's range or threshold) read
    by several tasks must be computed once; as a blockwise task, dask's
    blockwise fusion may copy it, with all it depends on, into each reader
    (it does so for a result broadcast to many chunks).  The aliases are one
    graph layer with a task per chunk, built from the chunk keys directly.
    """
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    name = f"sksegment-unfused-{tokenize(array.name)}"
    layer = {
        (name, *index): (array.name, *index) for index in np.ndindex(*array.numblocks)
    }
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[array])
    return da.Array(graph, name, array.chunks, meta=array._meta)


def pixel_summary(batch, *, label, want_sum, want_hist, nbins, max_exact=None):
    """Lazy summary of the pixels of each image.

    An object dask array of one element per image (shape ``(n, 1, ...)``),
    each element ``(stats, hist)``: ``stats``
    is (min, max, float64 sum when ``want_sum``, size) and ``hist`` what
    ``_kernels.pooled_histogram`` gives of the group when ``want_hist`` (None
    for a constant group, or when not asked for).  Each chunk gives a small
    summary, merged per group: two passes over the chunks (the range, then
    the counts over the bins of that range), one for uint8 and bool images
    (their 256 counts give the range too).  ``label`` names the step in
    errors; ``max_exact`` as in ``_kernels.pooled_histogram``.
    """
    import dask.array as da

    array = _one_image_per_chunk(batch.array)
    ndim = array.ndim
    meta = np.empty((0,) * ndim, dtype=object)
    grid = tuple((1,) * n for n in array.numblocks)
    group = {a: -1 for a in range(1, ndim)}
    merged = (grid[0],) + ((1,),) * (ndim - 1)

    def blocks(func, *args, chunks=grid):
        return da.map_blocks(func, *args, chunks=chunks, dtype=object, meta=meta)

    check = batch.check
    if np.dtype(array.dtype) in (np.dtype(np.uint8), np.dtype(bool)):
        counts = blocks(_part_counts_uint8, array, check)
        return blocks(_summary_uint8, counts.rechunk(group), want_hist, chunks=merged)
    stats = blocks(_part_stats, array, check, want_sum)
    stats = blocks(_merge_stats, stats.rechunk(group), chunks=merged)
    if not want_hist:
        return blocks(_without_hist, stats, chunks=merged)
    stats = unfused(stats)  # read by every chunk of its group
    counts = blocks(_part_counts, array, stats, check, nbins, label, max_exact)
    return blocks(
        _merge_counts, counts.rechunk(group), stats, nbins, max_exact, chunks=merged
    )


def summarize_pixels(batch, *, label, want_sum, want_hist, nbins, max_exact=None):
    """``(stats, hist)`` of all pixels of the batch, as ``pixel_summary``, computed.

    Each pass is its own computation, so that the chunks are read once per
    pass and never held between the passes: a fit streams through images
    larger than memory.
    """
    array = batch.array
    # each pass: a blockwise layer of chunk summaries and one task merging them
    meta = np.empty((0,) * array.ndim, dtype=object)
    cells = tuple((1,) * n for n in array.numblocks)
    if np.dtype(array.dtype) in (np.dtype(np.uint8), np.dtype(bool)):
        parts = array.map_blocks(
            _part_counts_uint8, batch.check, chunks=cells, dtype=object, meta=meta
        )
        merge = partial(_merged, merge=partial(_summary_uint8, want_hist=want_hist))
        return (
            _one_task(f"sksegment-counts-{parts.name}", merge, parts).compute().flat[0]
        )
    parts = array.map_blocks(
        _part_stats, batch.check, want_sum, chunks=cells, dtype=object, meta=meta
    )
    stats = _one_task(
        f"sksegment-stats-{parts.name}", partial(_merged, merge=_merge_stats), parts
    ).compute()
    if not want_hist:
        return stats.flat[0], None
    parts = array.map_blocks(
        _part_counts,
        stats,
        batch.check,
        nbins,
        label,
        max_exact,
        chunks=cells,
        dtype=object,
        meta=meta,
    )
    merge = partial(
        _merged,
        merge=partial(_merge_counts, stats=stats, nbins=nbins, max_exact=max_exact),
    )
    summary = _one_task(f"sksegment-counts-{parts.name}", merge, parts).compute()
    return summary.flat[0]


def _merged(cells, merge):
    """``merge`` of the values of one-element blocks, given in an object array."""
    return merge(_on_grid([cell.flat[0] for cell in cells], (len(cells),)))


def _image_value(summary, value_of):
    return _cell(value_of(*summary.flat[0]), summary.ndim)


def _apply_value(block, cell, check, func):
    value = cell.flat[0]
    return np.stack([func(check(part), value) for part in block])


def map_with_image_summary(batch, plan, label, value_of, func, dtype):
    """``func(part, value)`` on every chunk, ``value`` reduced from its image.

    Each image's chunks are summarized (``pixel_summary(**plan)``), the
    image's value is one task, ``value_of(stats, hist)``, and every chunk of
    the image is mapped with it, lazily: a threshold per image on images
    split into chunks, for instance.
    """
    import dask.array as da

    array = _one_image_per_chunk(batch.array)
    summary = pixel_summary(batch, label=label, **plan)
    meta = np.empty((0,) * array.ndim, dtype=object)
    values = da.map_blocks(_image_value, summary, value_of, dtype=object, meta=meta)
    return da.map_blocks(
        _apply_value,
        array,
        unfused(values),
        batch.check,
        func,
        dtype=dtype,
        meta=np.empty((0,) * array.ndim, dtype=dtype),
    )


# --- global objects: labeling across chunks -----------------------------------
#
# Two passes over the chunks.  The first labels each chunk and keeps a small
# summary of it (faces, areas, first pixels, border ids) together with the
# chunk itself, bit-packed for masks; one task joins the summaries into lookup
# tables; the second pass relabels each held chunk and maps it through its
# table.  Holding the chunk (1/8 byte per pixel for masks) is what keeps the
# steps before this one from being recomputed by the second pass.


def _border_zone_ids(labels, start, image_shape, border):
    """Ids of ``labels`` (a chunk at ``start``) within ``border`` of the edges."""
    found = [np.zeros(0, labels.dtype)]
    for a, (s, size) in enumerate(zip(start, image_shape)):
        lo = max(0, border + 1 - s)  # local indices < lo are within the zone
        hi = max(0, min(labels.shape[a], size - border - 1 - s))  # >= hi also
        index = (slice(None),) * a
        if lo > 0:
            found.append(np.unique(labels[index + (slice(0, lo),)]))
        if hi < labels.shape[a]:
            found.append(np.unique(labels[index + (slice(hi, None),)]))
    return np.unique(np.concatenate(found))


def _summary(block, check, connectivity, border, areas, start, image_shape):
    """What the global solve needs of one chunk (one image, part of it).

    Returns the summary: the number of local components, the first and last
    slab of the local labels along every spatial axis, the local areas (when
    ``areas``), the local ids within ``border`` pixels of the image's edges
    (when ``border`` is given), the raster index in the image of each local
    id's first pixel, and for label images the slabs of the ids, which must
    match across faces.  Also returns the chunk to hold for the second pass.
    """
    objects, is_labels = as_objects(check(block[0]), check.name, connectivity)
    if is_labels:
        labels = _kernels.relabel_components(objects, connectivity)
        n = int(labels.max())
    else:
        labels, n = _kernels.label_mask(objects, connectivity)
    summary = (
        n,
        _faces(labels),
        np.bincount(labels.ravel(), minlength=n + 1) if areas else None,
        None
        if border is None
        else _border_zone_ids(labels, start, image_shape, border),
        _first_pixels(labels, n, start, image_shape, raster=not is_labels),
        _faces(objects) if is_labels else None,
    )
    # masks are held packed and labeled again; the components of a label
    # image (which scikit-image would number alike again) in a narrow dtype
    held = _narrow(labels, n) if is_labels else _hold(objects)
    return summary, held


def _faces(image):
    """The first and last slab of an image along every axis (copies)."""
    return [
        (
            image[(slice(None),) * a + (slice(0, 1),)].copy(),
            image[(slice(None),) * a + (slice(-1, None),)].copy(),
        )
        for a in range(image.ndim)
    ]


def _first_pixels(labels, n, start, image_shape, raster=True):
    """Raster index in the whole image of the first pixel of each local id 1..n.

    With ``raster``, the local ids are in raster order of their first pixel
    (as the mask kernels number them), so the first row of id ``k`` is the
    first row whose running maximum of ids reaches ``k``, and only those rows
    are searched; otherwise (scikit-image's numbering of label images is not
    raster order for every shape) the whole chunk is.
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if raster:
        rows_max = labels.reshape(labels.shape[0], -1).max(axis=1)
        tops = np.searchsorted(np.maximum.accumulate(rows_max), np.arange(1, n + 1))
        rows = np.unique(tops)
        flat = labels[rows].reshape(-1)
    else:
        rows = np.arange(labels.shape[0])
        flat = labels.reshape(-1)  # a view: every row
    first = np.zeros(n + 1, dtype=np.intp)
    # numpy assigns repeated indices in order: the last write, here the
    # smallest position, wins
    first[flat[::-1]] = np.arange(flat.size - 1, -1, -1, dtype=np.intp)
    row_size = flat.size // len(rows)
    rest = np.unravel_index(first[1:] % row_size, labels.shape[1:])
    where = (rows[first[1:] // row_size], *rest)
    where = tuple(w + s for w, s in zip(where, start))
    return np.ravel_multi_index(where, image_shape).astype(np.int64)


def _face_pairs(left, right, connectivity, left_ids=None, right_ids=None):
    """Pairs (left id, right id) of neighbouring pixels across one face.

    ``left`` and ``right`` are the planes of ids on both sides of the face
    (face axis removed); a shift along the face's other axes is allowed when
    the neighbour it gives is within ``connectivity``.  With the planes of a
    label image's ids, only pixels of the same id are paired.
    """
    ndim = left.ndim + 1
    connectivity = ndim if connectivity is None else connectivity
    pairs = []
    for shift in np.ndindex(*(3,) * left.ndim):
        shift = np.array(shift) - 1
        if np.count_nonzero(shift) + 1 > connectivity:
            continue
        a = tuple(slice(max(0, -s), n - max(0, s)) for s, n in zip(shift, left.shape))
        b = tuple(slice(max(0, s), n - max(0, -s)) for s, n in zip(shift, left.shape))
        p, q = left[a].ravel(), right[b].ravel()
        keep = (p > 0) & (q > 0)
        if left_ids is not None:
            keep &= left_ids[a].ravel() == right_ids[b].ravel()
        pairs.append(np.stack([p[keep], q[keep]]))
    return np.concatenate(pairs, axis=1)


def _nested(grid, fill):
    """Nested lists of ``fill(index)`` over a grid, for ``np.block``."""

    def build(prefix):
        if len(prefix) == len(grid):
            return fill(tuple(prefix))
        return [build([*prefix, i]) for i in range(grid[len(prefix)])]

    return build([])


def _solve(summaries, connectivity, what, min_area, max_area, dtype):
    """Join the chunks' components; lookup tables per chunk and counts per image.

    ``summaries`` are in C order over the chunk grid ``(n_images, *spatial)``
    (one image per chunk along axis 0), an object array of that shape.
    Returns the table of every chunk (local id -> output value), a dict by
    chunk index, and the number of objects kept per image.
    """
    grid = summaries.shape
    summaries = summaries.ravel().tolist()
    n = np.array([s[0] for s in summaries], dtype=np.int64).reshape(grid)
    offsets = np.concatenate([[0], np.cumsum(n.ravel())[:-1]]).reshape(grid)
    total = int(n.sum())
    spatial = grid[1:]

    def glob(index, labels):
        return np.where(labels > 0, labels + offsets[index], 0)

    pairs = [np.zeros((2, 0), dtype=np.int64)]
    for image in range(grid[0]):
        for axis, count in enumerate(spatial):
            for k in range(count - 1):

                def plane(j, side, what=1, image=image, axis=axis):
                    def fill(rest):
                        index = (image, *rest[:axis], j, *rest[axis:])
                        flat = int(np.ravel_multi_index(index, grid))
                        slab = summaries[flat][what][axis][side]
                        if what == 1:
                            slab = glob(index, slab)
                        return np.squeeze(slab, axis)

                    others = spatial[:axis] + spatial[axis + 1 :]
                    return np.block(_nested(others, fill))

                left, right = plane(k, 1), plane(k + 1, 0)
                ids = (None, None)
                if summaries[0][5] is not None:
                    ids = (plane(k, 1, 5), plane(k + 1, 0, 5))
                pairs.append(_face_pairs(left, right, connectivity, *ids))
    pairs = np.concatenate(pairs, axis=1)
    graph = sparse.coo_matrix(
        (np.ones(pairs.shape[1], dtype=np.int8), (pairs[0], pairs[1])),
        shape=(total + 1, total + 1),
    )
    _, component = connected_components(graph, directed=False)
    keep = np.ones(total + 1, dtype=bool)
    if what == "clear":
        ids = [
            glob(np.unravel_index(i, grid), s[3][s[3] > 0])
            for i, s in enumerate(summaries)
        ]
        keep[np.isin(component, component[np.concatenate(ids)])] = False
    if min_area is not None or max_area is not None:
        areas = np.zeros(total + 1, dtype=np.int64)
        for i, s in enumerate(summaries):
            start = offsets.flat[i]
            areas[start + 1 : start + s[0] + 1] = s[2][1:]
        component_areas = np.bincount(component, weights=areas)
        area = component_areas[component]
        if min_area is not None:
            keep &= area >= min_area
        if max_area is not None:
            keep &= area <= max_area
    keep[0] = False
    positions = np.concatenate([[0], *(s[4] for s in summaries)])
    key = np.full(component.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(key, component[1:], positions[1:])
    lut = np.zeros(total + 1, dtype=np.int64)
    counts = []
    per_image = int(np.prod(spatial))
    for image in range(grid[0]):
        lo = offsets.flat[image * per_image] + 1
        hi = lo + int(n[image].sum())
        kept = keep[lo:hi]
        uniques, inverse = np.unique(component[lo:hi][kept], return_inverse=True)
        # ids in raster order of each object's first pixel, as in memory
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[np.argsort(key[uniques], kind="stable")] = np.arange(len(uniques))
        lut[lo:hi][kept] = rank[inverse] + 1
        counts.append(len(uniques))
    if what != "label":
        lut = lut > 0
    tables = {
        index: np.concatenate([[0], lut[o + 1 : o + s[0] + 1]]).astype(dtype)
        for index, o, s in zip(np.ndindex(*grid), offsets.ravel(), summaries)
    }
    return tables, np.array(counts, dtype=np.int64)


def _summary_block(block, start, check, connectivity, border, areas, image_shape):
    return _summary(block, check, connectivity, border, areas, start, image_shape)


def _on_grid(parts, grid):
    """A list of per-chunk results in C order, as an object array on the grid."""
    out = np.empty(len(parts), dtype=object)
    for i, part in enumerate(parts):  # elementwise: numpy would unpack tuples
        out[i] = part
    return out.reshape(grid)


def _narrow_dtype(top):
    """The smallest unsigned dtype holding 0..top."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def _narrow(labels, n):
    """Labels 0..n held in the smallest dtype (``_unpack`` gives them back)."""
    return "as is", labels.astype(_narrow_dtype(n), copy=False), None


def _hold(objects, ids=None):
    """A chunk to hold between the passes, small.

    Masks are bit-packed (an eighth of a byte per pixel).  Label images are
    held as the rank of each pixel's id among ``ids`` (the chunk's sorted
    distinct values, 0 included) in the smallest dtype, with ``ids`` to map
    them back: one byte per pixel for chunks of fewer than 256 ids.
    """
    if objects.dtype == bool:
        return "packed", np.packbits(objects), objects.shape
    if ids is None or len(ids) > np.iinfo(np.uint32).max:
        return "as is", objects, None
    top = int(ids[-1])
    if _kernels.ids_fit_table(objects, top):
        rank = np.zeros(top + 1, dtype=_narrow_dtype(len(ids) - 1))
        rank[ids] = np.arange(len(ids))
        ranks = _kernels.take(rank, objects, None)
    else:
        ranks = np.searchsorted(ids, objects).astype(_narrow_dtype(len(ids) - 1))
    return "ranks", ranks, ids


def _unpack(held):
    """The chunk held by ``_hold`` or ``_narrow``."""
    how, data, extra = held
    if how == "packed":
        size = int(np.prod(extra))
        return np.unpackbits(data, count=size).view(bool).reshape(extra)
    if how == "ranks":
        return extra[data]
    return data


def _apply_block(held, tables, index, connectivity):
    objects = _unpack(held)
    if objects.dtype != bool:  # the components of a label image, narrowed
        labels = objects
    else:
        labels, _ = _kernels.label_mask(objects, connectivity)
    table = tables[index]
    labels = labels.astype(np.int32, copy=False)
    # in place when the table's dtype allows: the local labels are not reused
    out = labels if table.dtype == labels.dtype else None
    return _kernels.take(table, labels, out)[None]


# Pixels per group of chunks summarized by one task of a global step's first
# pass: small chunks are summarized together (fewer tasks, each of them a
# cost to the scheduler), chunks of this size or larger one per task.
GROUP_PIXELS = 1 << 20


def _group_sizes(chunks):
    """Chunks per group along each axis of the image (``GROUP_PIXELS``)."""
    side = GROUP_PIXELS ** (1 / len(chunks))
    return tuple(max(1, min(len(c), int(side // max(c)))) for c in chunks)


def _first_pass(blocks, summarize, starts, args, prelude=None):
    """The pairs (summary, held chunk) of a group of chunks, a list.

    ``summarize(block, start, *args)`` of each chunk, read through the
    pixelwise ``prelude`` (``_pixelwise``).
    """
    return [
        summarize(_through(block, prelude), start, *args)
        for block, start in zip(blocks, starts)
    ]


def _summaries(pairs):
    """The summaries of a group's pairs (a small task: held chunks stay put)."""
    return [pair[0] for pair in pairs]


def _solve_cells(cells, grid, members, solve, args):
    """``solve`` of the chunks' summaries, given by group.

    ``cells`` holds the summaries of each group (in C order over the
    groups); ``members`` the flat indices (C order over ``grid``) of each
    group's chunks.
    """
    flat = np.empty(int(np.prod(grid)), dtype=object)
    for group, indices in zip(cells, members):
        for summary, i in zip(group, indices):
            flat[i] = summary
    return solve(_on_grid(flat.tolist(), grid), *args)


def _finish(pairs, solved, apply, index, position, args):
    """A chunk of the result from its held chunk (``position`` in its group's
    pairs) and the solved tables."""
    return apply(pairs[position][1], solved[0], index, *args)


def _chunkwise(name, task, chunks, dtype, dependencies):
    """An array of one task per chunk, ``task(index)``, in one graph layer.

    Built from the chunk keys directly: unlike a blockwise layer, nothing is
    fused into these tasks (dask runs a fused task as a small graph, ordered
    anew for every chunk) and nothing is substituted when the graph is
    optimized.
    """
    import dask.array as da
    from dask.highlevelgraph import HighLevelGraph

    numblocks = tuple(len(c) for c in chunks)
    layer = {(name, *index): task(index) for index in np.ndindex(*numblocks)}
    graph = HighLevelGraph.from_collections(name, layer, dependencies=dependencies)
    meta = np.empty((0,) * len(chunks), dtype=dtype)
    return da.Array(graph, name, chunks, meta=meta)


def _one_task(name, func, array):
    """A delayed ``func(cells)`` of all the chunks of ``array`` in C order.

    One task in one graph layer built from the chunk keys directly: no
    per-chunk delayed call, no copy of the graph per chunk.
    """
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    keys = [(array.name, *index) for index in np.ndindex(*array.numblocks)]
    layer = {name: (func, keys)}
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[array])
    return Delayed(name, graph)


def _two_passes(
    batch, kind, summarize, summary_args, solve, solve_args, apply, apply_args, dtype
):
    """Summarize every chunk, solve once, apply per chunk: the shared graph.

    ``summarize(block, start, check, *summary_args)`` returns ``(summary,
    held chunk)`` for a chunk at ``start`` in its image; ``solve`` gets the
    object array of all summaries on the chunk grid and ``solve_args`` and
    returns ``(tables, counts)``; ``apply(held chunk, tables, chunk index,
    *apply_args)`` gives a chunk of the result.

    A fixed number of graph layers, whatever the number of chunks: the first
    pass (the pairs of a group of chunks, ``_group_sizes``), the summaries
    taken from the pairs (a small task per group, so that a cluster moves no
    held chunk to the solve), the solve (one task reading every summary), the
    second pass (a task per chunk, reading its group's pairs and the solve's
    result) and the counts (one task).  Small chunks are summarized in groups
    because every task costs the scheduler about as much as labeling a small
    chunk.  The passes are layers built from the chunk keys
    (``_chunkwise``), not blockwise layers: no step is fused into them, so
    the pairs (holding the chunks between the passes) are computed once, and
    the steps before run once per chunk; an elementwise step before is read
    through (``_pixelwise``).  The keys depend on the input, ``kind`` and
    ``summary_args``, not on the step: two steps that summarize the same
    array alike (a labeler and a counter of the same masks) share the first
    pass and the solve in one computation.

    Returns the lazy result (None when ``apply`` is None) and the lazy counts.
    """
    import operator

    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    array = _one_image_per_chunk(batch.array)
    grid = array.numblocks
    token = tokenize(array.name, kind, summary_args, batch.finite)
    starts = [np.cumsum((0, *c))[:-1].tolist() for c in array.chunks[1:]]
    args = (batch.check, *summary_args)
    read, prelude = _pixelwise(batch.array)
    read = _one_image_per_chunk(read)
    # groups of chunks: a group's index along an axis is the chunk's // size
    sizes = (1, *_group_sizes(array.chunks[1:]))
    groups = tuple(-(-n // g) for n, g in zip(grid, sizes))
    cells = tuple((1,) * n for n in groups)

    def chunks_of(group):
        ranges = [
            range(g * k, min((g + 1) * k, n)) for g, k, n in zip(group, sizes, grid)
        ]
        return list(np.ndindex(*(len(r) for r in ranges))), ranges

    def first(group):
        local, ranges = chunks_of(group)
        indices = [tuple(r[i] for r, i in zip(ranges, at)) for at in local]
        summary = partial(
            _first_pass,
            summarize=summarize,
            starts=[tuple(s[i] for s, i in zip(starts, at[1:])) for at in indices],
            args=args,
            prelude=prelude,
        )
        return (summary, [(read.name, *at) for at in indices])

    members = []
    for group in np.ndindex(*groups):
        local, ranges = chunks_of(group)
        members.append(
            [
                int(np.ravel_multi_index([r[i] for r, i in zip(ranges, at)], grid))
                for at in local
            ]
        )
    pairs = _chunkwise(f"sksegment-{kind}-pairs-{token}", first, cells, object, [read])
    summaries = _chunkwise(
        f"sksegment-{kind}-summaries-{token}",
        lambda group: (_summaries, (pairs.name, *group)),
        cells,
        object,
        [pairs],
    )
    solved = _one_task(
        f"sksegment-{kind}-solve-{tokenize(token, solve, solve_args)}",
        partial(_solve_cells, grid=grid, members=members, solve=solve, args=solve_args),
        summaries,
    )
    name = f"sksegment-{kind}-counts-{solved.key}"
    layer = {(name, 0): (operator.itemgetter(1), solved.key)}
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[solved])
    counts = da.Array(graph, name, ((grid[0],),), meta=np.empty(0, np.int64))
    if apply is None:
        return None, counts

    def second(index):
        group = tuple(i // k for i, k in zip(index, sizes))
        local = [i % k for i, k in zip(index, sizes)]
        shape = [len(r) for r in chunks_of(group)[1]]
        finish = partial(
            _finish,
            apply=apply,
            index=index,
            position=int(np.ravel_multi_index(local, shape)),
            args=apply_args,
        )
        return (finish, (pairs.name, *group), solved.key)

    result = _chunkwise(
        f"sksegment-{kind}-{tokenize(solved.key, apply, apply_args)}",
        second,
        array.chunks,
        dtype,
        [pairs, solved],
    )
    return result, counts


def reads_labels(batch):
    """Whether the batch holds label images (integer dtype)."""
    return np.dtype(batch.array.dtype).kind in "ui"


def global_objects(
    batch,
    connectivity,
    what,
    *,
    buffer_size=None,
    min_area=None,
    max_area=None,
    result=True,
):
    """Objects of masks chunked within images, joined across chunks.

    Parameters
    ----------
    batch : DaskBatch
        Masks (or images read as masks); for label images (``"label"``
        only) the components of each id, as ``relabel_components``.
    connectivity : int or None
        Connectivity of the objects (None: full).
    what : {"label", "clear", "area"}
        ``"label"``: label images, ids 1..n per image in raster order of
        each object's first pixel (equal to the in-memory labels);
        ``"clear"``: the masks without the objects within ``buffer_size``
        pixels of the image border; ``"area"``: the masks of
        the objects whose area is within ``[min_area, max_area]``.  With
        ``"clear"``, bounds on the area (either or both) filter the objects
        kept in the same pass.
    result : bool, default=True
        Whether to build the result; False when only the counts are read.

    Returns
    -------
    result : dask.array.Array or None
        The lazy result, of the batch's shape (None without ``result``).
    counts : dask.array.Array
        The lazy number of objects per image (kept ones).

    Notes
    -----
    Each chunk is labeled twice, once to summarize it and once to relabel
    it, from the chunk held between the two passes (bit-packed for masks):
    the steps before this one run once per chunk.
    """
    image_shape = batch.array.shape[1:]
    dtype = (
        np.dtype(_kernels.label_dtype(int(np.prod(image_shape))))
        if what == "label"
        else np.dtype(bool)
    )
    border = buffer_size if what == "clear" else None
    areas = min_area is not None or max_area is not None
    return _two_passes(
        batch,
        "objects",
        _summary_block,
        (connectivity, border, areas, image_shape),
        _solve,
        (connectivity, what, min_area, max_area, dtype),
        _apply_block if result else None,
        (connectivity,),
        dtype,
    )


# --- label images chunked within images: reductions over ids ------------------


def _id_summary(block, start, check, border, image_shape):
    """Ids of one chunk of a label image, their pixel counts, and border ids."""
    labels, _ = as_objects(check(block[0]), check.name)
    top = int(labels.max())
    if _kernels.ids_fit_table(labels, top):
        counts = _kernels.bincount(labels, top + 1)
        ids = np.flatnonzero(counts)
        counts = counts[ids]
        # in the labels' dtype: uint64 ids of other chunks, concatenated with
        # these, would otherwise become float64 (ids above 2**53 merged)
        ids = ids.astype(labels.dtype)
    else:
        ids, counts = np.unique(labels, return_counts=True)
    border_ids = None
    if border is not None:
        border_ids = _border_zone_ids(labels, start, image_shape, border)
    return (ids, counts, border_ids), _hold(labels, ids.astype(labels.dtype))


def _solve_ids(summaries, what, min_area, max_area):
    """Per image: the ids removed ("clear") or kept in order ("area"), counts."""
    tables, counts = [], []
    for image in summaries:
        parts = image.ravel().tolist()
        ids = np.concatenate([p[0] for p in parts])
        sizes = np.concatenate([p[1] for p in parts])
        uniques, inverse = np.unique(ids, return_inverse=True)
        areas = np.bincount(inverse, weights=sizes).astype(np.int64)
        areas, uniques = areas[uniques > 0], uniques[uniques > 0]
        if what == "clear":
            border = np.unique(np.concatenate([p[2] for p in parts]))
            border = border[border > 0]
            tables.append(border)
            counts.append(len(uniques) - len(border))
        elif what == "area":
            keep = np.ones(len(uniques), dtype=bool)
            if min_area is not None:
                keep &= areas >= min_area
            if max_area is not None:
                keep &= areas <= max_area
            tables.append(uniques[keep])
            counts.append(int(keep.sum()))
        else:
            tables.append(None)
            counts.append(len(uniques))
    return tables, np.array(counts, dtype=np.int64)


def _map_ids(labels, ids, what, dtype):
    """Label values mapped: ``ids`` removed ("clear") or kept renumbered ("area")."""
    if what == "clear":
        return np.where(np.isin(labels, ids), 0, labels).astype(dtype)
    if len(ids) == 0:
        return np.zeros(labels.shape, dtype=dtype)
    position = np.searchsorted(ids, labels)
    found = np.take(ids, np.minimum(position, len(ids) - 1)) == labels
    return np.where(found & (labels > 0), position + 1, 0).astype(dtype)


def _apply_ids(held, tables, index, what, dtype):
    how, data, extra = held
    ids = tables[index[0]]
    if how == "ranks":  # the chunk's few ids mapped, then looked up per pixel
        return _kernels.take(_map_ids(extra, ids, what, dtype), data, None)[None]
    return _map_ids(_unpack(held), ids, what, dtype)[None]


def global_ids(batch, what, *, buffer_size=None, min_area=None, max_area=None):
    """Label images chunked within images: reductions over their ids.

    ``what`` is ``"clear"`` (the ids within ``buffer_size`` pixels of the
    image border removed, the others kept), ``"area"`` (the ids whose pixel
    count is within ``[min_area, max_area]`` kept, renumbered 1..n in the
    order of the kept ids) or ``"count"``.  The output is int32, except for
    ``"clear"`` on label images of wider dtypes (``_kernels.kept_label_dtype``), which
    keeps their ids in int64.  Each chunk is held between the two passes (as
    the ranks of its ids, ``_hold``), so the steps before run once per chunk.

    Returns
    -------
    result : dask.array.Array or None
        The lazy label images (None for ``"count"``).
    counts : dask.array.Array
        The lazy number of ids per image (kept ones).
    """
    dtype = (
        _kernels.kept_label_dtype(batch.array.dtype) if what == "clear" else np.int32
    )
    dtype = np.dtype(dtype)
    border = buffer_size if what == "clear" else None
    return _two_passes(
        batch,
        "ids",
        _id_summary,
        (border, batch.array.shape[1:]),
        _solve_ids,
        (what, min_area, max_area),
        None if what == "count" else _apply_ids,
        (what, dtype),
        dtype,
    )
