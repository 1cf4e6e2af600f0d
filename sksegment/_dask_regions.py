"""Per-object measures of images split into chunks (dask): tables and filters.

The objects of a dask batch chunked within images are measured in two parts.

* The summable properties (areas, centroids, bounding boxes, intensity
  statistics and, in 2D, the second-moment shape properties) are reduced
  chunk by chunk: each chunk gives, for each id it holds, its pixel count,
  the mean and co-moments of its coordinates, its box and the count, mean,
  sum of squared deviations, minimum and maximum of its intensities; one
  task merges them per image (means and squared deviations combined as in
  Chan's parallel formula, so no sum of squares cancels).  Two graph layers
  whatever the number of chunks.
* The other properties need the whole object: they are measured by the
  in-memory code on the object's crop, once the merged boxes are known.  The
  objects whose box lies in one chunk are measured by a blockwise pass over
  the chunks; the objects crossing chunk borders are read by slicing their
  box out of the dask arrays.  This second pass is a second computation, so
  the steps that made the labels run again for it.

A mask (bool, or float read as its nonzero pixels) is labeled globally
(``_dask.global_objects``), a label image is measured id by id, as in memory.
"""

from functools import partial

import numpy as np

from sksegment._dask import (
    DaskBatch,
    _cell,
    _map_ids,
    _on_grid,
    _one_image_per_chunk,
    _one_task,
    global_ids,
    global_objects,
    objects_of,
    reads_labels,
    unfused,
)
from sksegment._kernels.regions import Regions, column, fast_properties
from sksegment._validation import as_objects

__all__ = [
    "filter_objects",
    "lazy_summaries",
    "object_columns",
    "region_features",
]

# The summable properties that need the second moments of the coordinates
# (those defined in 2D only).
_MOMENTS = fast_properties(2, summable_only=True) - fast_properties(3)
_INTENSITY = frozenset(
    {"intensity_mean", "intensity_min", "intensity_max", "intensity_std"}
)
# Properties measured on a crop whose values are coordinates in the image.
_SHIFTED = frozenset({"centroid_weighted"})


def summable(properties, ndim):
    """The properties of ``properties`` reduced chunk by chunk, as a set."""
    return set(properties) & fast_properties(ndim, summable_only=True)


# --- reading the labels ------------------------------------------------------------


def _read_labels(part, name):
    """A chunk of a label image, checked as in memory (no negative ids)."""
    return as_objects(part, name)[0]


def _identity(part):
    return part


def labels_of(batch, connectivity):
    """The lazy label images of a batch and how to read one of their chunks.

    Masks are labeled globally (ids 1..n per image in raster order, as in
    memory); label images are kept, each chunk checked when it is read.
    """
    batch.check_connectivity(connectivity)
    if reads_labels(batch):
        array = _one_image_per_chunk(batch.array)
        return array, partial(_read_labels_checked, check=batch.check)
    return global_objects(batch, connectivity, "label")[0], _identity


def _read_labels_checked(part, check):
    return _read_labels(check(part), check.name)


# --- the summable pass ---------------------------------------------------------------


def _chunk_summary(labels, start, image, moments):
    """What the merge needs of the objects of one chunk (None: no object)."""
    regions = Regions(labels, image)
    if regions.n == 0:
        return None
    n = regions.num_pixels
    coords = [c + s for c, s in zip(regions.coords, start)]
    # sums of integers are exact: merged means equal the in-memory ones
    sums = np.array([regions.sum(c) for c in coords])
    means = sums / n
    summary = {
        "ids": regions.ids,
        "n": n,
        "sum": sums,
        "mean": means,
        "lo": np.array([regions.reduce(np.minimum, c) for c in coords]),
        "hi": np.array([regions.reduce(np.maximum, c) for c in coords]),
    }
    if moments:  # 2D: co-moments of (row, row), (row, col), (col, col)
        dev = [c - m[regions.inverse] for c, m in zip(coords, means)]
        summary["com"] = np.array(
            [regions.sum(dev[a] * dev[b]) for a, b in ((0, 0), (0, 1), (1, 1))]
        )
    if image is not None:
        values = regions.values
        total = regions.sum(values.astype(np.float64))
        mean = total / n
        deviation = values - mean[regions.inverse]
        summary["isum"] = total
        summary["imean"] = mean
        summary["im2"] = regions.sum(deviation * deviation)
        summary["imin"] = regions.reduce(np.minimum, values)
        summary["imax"] = regions.reduce(np.maximum, values)
    return summary


def _summary_block(labels, images, starts, read, check, moments, block_id=None):
    start = tuple(int(s[i]) for s, i in zip(starts, block_id[1:]))
    image = None if images is None else check(images[0])
    summary = _chunk_summary(read(labels[0]), start, image, moments)
    return _cell(summary, labels.ndim)


def _grouped(ufunc, values, inverse, k):
    """``ufunc.reduceat`` of ``values`` grouped by ``inverse`` (groups 0..k-1)."""
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(k))
    return ufunc.reduceat(values[..., order], starts, axis=-1)


def _merge(parts, ndim, label_dtype):
    """The summaries of the chunks of one image merged per id (sorted ids)."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return {"ids": np.zeros(0, dtype=label_dtype), "n": np.zeros(0, np.int64)}
    ids = np.concatenate([p["ids"] for p in parts])
    uniques, inverse = np.unique(ids, return_inverse=True)
    k = len(uniques)
    n = np.concatenate([p["n"] for p in parts]).astype(np.float64)
    total = np.bincount(inverse, n, minlength=k)

    def wsum(values):
        return np.bincount(inverse, values, minlength=k)

    def stack(key):
        return np.concatenate([p[key] for p in parts], axis=-1)

    means = stack("mean")
    mean = np.array([wsum(s) / total for s in stack("sum")])
    merged = {
        "ids": uniques.astype(label_dtype, copy=False),
        "n": total.astype(np.int64),
        "mean": mean,
        "lo": _grouped(np.minimum, stack("lo"), inverse, k),
        "hi": _grouped(np.maximum, stack("hi"), inverse, k),
    }
    if "com" in parts[0]:  # Chan: the co-moments plus n * d_a * d_b
        d = means - mean[:, inverse]
        com = stack("com")
        pairs = ((0, 0), (0, 1), (1, 1))
        merged["com"] = np.array(
            [wsum(com[j] + n * d[a] * d[b]) for j, (a, b) in enumerate(pairs)]
        )
    if "imean" in parts[0]:
        imeans = stack("imean")
        imean = wsum(stack("isum")) / total
        d = imeans - imean[inverse]
        merged["imean"] = imean
        merged["im2"] = wsum(stack("im2") + n * d * d)
        merged["imin"] = _grouped(np.minimum, stack("imin"), inverse, k)
        merged["imax"] = _grouped(np.maximum, stack("imax"), inverse, k)
    return merged


def _merge_cells(cells, grid, ndim, label_dtype):
    """Per image, the merged summaries of its chunks (cells in C order)."""
    cells = _on_grid([cell.flat[0] for cell in cells], grid)
    return [
        _merge(cells[i].ravel().tolist(), ndim, label_dtype) for i in range(grid[0])
    ]


def _cells(func, labels, *args):
    """``func(labels_chunk, *args)`` per chunk, a Python object in a cell each."""
    import dask.array as da

    return da.map_blocks(
        func,
        labels,
        *args,
        chunks=tuple((1,) * n for n in labels.numblocks),
        dtype=object,
        meta=np.empty((0,) * labels.ndim, dtype=object),
    )


def _label_dtype(dtype):
    """The dtype of the ``label`` column: uint64 for uint64 label images."""
    return np.dtype(np.uint64 if np.dtype(dtype) == np.uint64 else np.int64)


def lazy_summaries(labels, read, images, check, moments):
    """A delayed list, per image, of the merged summaries of its objects.

    Two graph layers: a blockwise summary of each chunk, and one task merging
    them.  ``labels`` is chunked one image per chunk; ``images`` (or None)
    is rechunked like it.
    """
    from dask.base import tokenize

    grid = labels.numblocks
    ndim = labels.ndim - 1
    if images is not None:
        images = images.rechunk(labels.chunks)
    starts = tuple(np.cumsum((0, *c))[:-1] for c in labels.chunks[1:])
    summaries = _cells(_summary_block, labels, images, starts, read, check, moments)
    label_dtype = _label_dtype(labels.dtype)
    return _one_task(
        f"sksegment-region-merge-{tokenize(summaries.name)}",
        partial(_merge_cells, grid=grid, ndim=ndim, label_dtype=label_dtype),
        summaries,
    )


# --- columns from the merged summaries ---------------------------------------------


class _Merged:
    """The measures of ``_kernels.regions`` from an image's merged summaries."""

    def __init__(self, merged, ndim):
        self.ndim = ndim
        self.ids = merged["ids"]
        self.n = len(self.ids)
        self.num_pixels = merged["n"]
        if self.n:
            self.centroid = list(merged["mean"])
            self.bbox_min, self.bbox_max = merged["lo"], merged["hi"]
        self.coord_m2 = merged.get("com")
        self.intensity_mean = merged.get("imean")
        self.intensity_m2 = merged.get("im2")
        self.intensity_min = merged.get("imin")
        self.intensity_max = merged.get("imax")


def _summable_column(merged, name, ndim):
    """The values of a summable property, a list of arrays."""
    return column(_Merged(merged, ndim), name)


def _columns(merged, properties, ndim, slow_columns):
    """The table's columns of one image, in the order of ``properties``."""
    from sksegment.features import _COLUMN_DTYPES, _column_names

    columns = {}
    for name in properties:
        if name in slow_columns:
            columns.update(slow_columns[name])
            continue
        values = _summable_column(merged, name, ndim)
        dtype = merged["ids"].dtype if name == "label" else _COLUMN_DTYPES[name]
        for key, value in zip(_column_names(name, len(values)), values):
            columns[key] = np.asarray(value, dtype=dtype)
    return columns


# --- the properties measured on crops ----------------------------------------------


def _measured(labels, image, ids, slow, caller, offset):
    """``_measure`` of the objects ``ids`` of a crop at ``offset``; columns."""
    from sksegment.features import _measure

    kept = np.where(np.isin(labels, ids), labels, 0)
    columns = _measure(kept, image, slow, caller)
    for key in columns:
        name, _, axis = key.rpartition("-")
        if name in _SHIFTED:
            columns[key] = columns[key] + offset[int(axis)]
    return columns


def _inside_block(labels, images, tables, read, check, slow, caller, block_id=None):
    """The crop properties of the objects whose box lies in this chunk."""
    entry = tables.get(tuple(block_id))
    if entry is None:
        return _cell(None, labels.ndim)
    ids, start = entry
    image = None if images is None else check(images[0])
    columns = _measured(read(labels[0]), image, ids, slow, caller, start)
    return _cell((block_id[0], ids, columns), labels.ndim)


def _region(blocks, shape, read):
    """The blocks (one image each, C order over ``shape``) joined into one array."""
    parts = [read(block[0]) for block in blocks]
    nested = np.empty(shape, dtype=object)
    for index, part in zip(np.ndindex(*shape), parts):
        nested[index] = part
    return np.block(nested.tolist()) if len(shape) else parts[0]


def _crop_block(label_blocks, image_blocks, grid, box, read, check, meta):
    """The crop properties of one object crossing chunks, from its chunks.

    ``box`` is the object's box relative to the first of its chunks; ``meta``
    is ``(image index, object id, slow, caller, offset)``.
    """
    index, object_id, slow, caller, offset = meta
    labels = _region(label_blocks, grid, read)[box]
    image = None
    if image_blocks is not None:
        image = _region(image_blocks, grid, check)[box]
    columns = _measured(labels, image, [object_id], slow, caller, offset)
    return index, np.array([object_id]), columns


def _crop_tasks(labels, images, crops, read, check, slow, caller):
    """One task per object crossing chunks, reading only its chunks: one layer.

    ``crops`` lists ``(image index, object id, first chunk, last chunk, box
    start, box stop)``; returns a delayed list of the measured columns.
    """
    from dask.base import tokenize
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    name = f"sksegment-region-cross-{tokenize(labels.name, crops, slow)}"
    bounds = [np.cumsum((0, *c)) for c in labels.chunks[1:]]
    layer = {}
    for k, (i, object_id, first, last, lo, hi) in enumerate(crops):
        grid = tuple(t - f + 1 for f, t in zip(first, last))
        indices = [
            (i, *(f + j for f, j in zip(first, rel))) for rel in np.ndindex(*grid)
        ]
        origin = [int(b[f]) for b, f in zip(bounds, first)]
        box = tuple(slice(a - o, z + 1 - o) for a, z, o in zip(lo, hi, origin))
        label_keys = [(labels.name, *index) for index in indices]
        image_keys = None
        if images is not None:
            image_keys = [(images.name, *index) for index in indices]
        meta = (i, object_id, slow, caller, tuple(int(a) for a in lo))
        layer[(name, k)] = (
            _crop_block,
            label_keys,
            image_keys,
            grid,
            box,
            read,
            check,
            meta,
        )
    layer[name] = (list, [(name, k) for k in range(len(crops))])
    dependencies = [labels] if images is None else [labels, images]
    graph = HighLevelGraph.from_collections(name, layer, dependencies=dependencies)
    return Delayed(name, graph)


def _gather(cells):
    return [cell.flat[0] for cell in cells if cell.flat[0] is not None]


def _crop_properties(labels, read, images, check, merged, slow, caller):
    """Per image, ``{column: values}`` of the crop properties of its objects."""
    import dask

    bounds = [np.cumsum((0, *c)) for c in labels.chunks[1:]]
    tables, crops = {}, []
    for i, m in enumerate(merged):
        if len(m["ids"]) == 0:
            continue
        lo, hi = m["lo"], m["hi"]
        # the chunk holding each object's first and last pixel along each axis
        first = np.array(
            [np.searchsorted(b, v, side="right") - 1 for b, v in zip(bounds, lo)]
        )
        last = np.array(
            [np.searchsorted(b, v, side="right") - 1 for b, v in zip(bounds, hi)]
        )
        inside = np.all(first == last, axis=0)
        # the objects inside one chunk, grouped by chunk in one sort
        chunks, group = np.unique(first[:, inside].T, axis=0, return_inverse=True)
        order = np.argsort(group.ravel(), kind="stable")
        splits = np.cumsum(np.bincount(group.ravel(), minlength=len(chunks)))[:-1]
        ids_inside = m["ids"][inside]
        for index, members in zip(chunks.tolist(), np.split(order, splits)):
            start = tuple(int(b[j]) for b, j in zip(bounds, index))
            tables[(i, *index)] = (ids_inside[members], start)
        for j in np.flatnonzero(~inside):
            crops.append(
                (
                    i,
                    m["ids"][j],
                    tuple(first[:, j].tolist()),
                    tuple(last[:, j].tolist()),
                    tuple(lo[:, j].tolist()),
                    tuple(hi[:, j].tolist()),
                )
            )
    tables = dask.delayed(tables, traverse=False)
    inside = _cells(_inside_block, labels, images, tables, read, check, slow, caller)
    gathered = _one_task(f"sksegment-region-crops-{inside.name}", _gather, inside)
    crossing = _crop_tasks(labels, images, crops, read, check, slow, caller)
    parts, crossing = dask.compute(gathered, crossing)
    by_image = [[] for _ in merged]
    for part in [*parts, *crossing]:
        by_image[part[0]].append(part)
    return [_assemble_slow(m, found) for m, found in zip(merged, by_image)]


def _assemble_slow(merged, parts):
    """The crop columns of an image's objects, in increasing id, by property."""
    if not parts:
        return {}
    ids = np.concatenate([p[1] for p in parts])
    order = np.argsort(ids, kind="stable")
    keys = parts[0][2].keys()
    return {
        key: np.concatenate([np.asarray(p[2][key]) for p in parts])[order]
        for key in keys
    }


def _by_property(columns, slow):
    out = {}
    for name in slow:
        out[name] = {
            key: value
            for key, value in columns.items()
            if key == name or key.startswith(name + "-")
        }
    return out


# --- public entry points -----------------------------------------------------------


def object_columns(batch, images, properties, connectivity, caller):
    """Per image, the table's columns (a dict) of the objects of a dask batch.

    ``batch`` holds the label images or masks; ``images`` is the DaskBatch of
    the intensity images or None.  Computed (two computations when some
    properties need the crops).
    """
    from sksegment.features import _measure

    ndim = batch.array.ndim - 1
    labels, read = labels_of(batch, connectivity)
    image_array = None if images is None else images.array.rechunk(labels.chunks)
    check = None if images is None else images.check
    slow = [name for name in properties if name not in summable(properties, ndim)]
    moments = bool(set(properties) & _MOMENTS) and ndim == 2
    merged = lazy_summaries(labels, read, image_array, check, moments).compute()
    if slow:
        crop = _crop_properties(labels, read, image_array, check, merged, slow, caller)
    tables = []
    for i, m in enumerate(merged):
        if len(m["ids"]) == 0:  # the in-memory columns of an image without objects
            empty = np.zeros((1,) * ndim, dtype=labels.dtype)
            image = (
                None if images is None else np.zeros(empty.shape, images.array.dtype)
            )
            tables.append(_measure(empty, image, properties, caller))
            continue
        slow_columns = _by_property(crop[i], slow) if slow else {}
        tables.append(_columns(m, properties, ndim, slow_columns))
    return tables


def _rows_of(merged, rows, ndim):
    """The feature rows of the images from their merged summaries."""
    from sksegment.features import _COLUMN_DTYPES

    out = []
    for m in merged:
        columns = {}
        if len(m["ids"]):
            for name in rows.properties:
                value = _summable_column(m, name, ndim)[0]
                columns[name] = np.asarray(value, dtype=_COLUMN_DTYPES[name])
        out.append(rows.from_columns(columns, len(m["ids"])))
    return np.array(out, dtype=np.float64).reshape(len(merged), rows.n_features)


def region_features(batch, segmented, rows):
    """The feature rows of a dask batch split within images, a dask array.

    Lazy when every property is summable; otherwise the per-object table is
    computed here and its rows wrapped in a dask array.
    """
    import dask
    import dask.array as da

    array = batch.array
    seg = DaskBatch(segmented.rechunk(array.chunks), batch.step, False)
    ndim = array.ndim - 1
    chunks = (array.chunks[0], (rows.n_features,))
    if set(rows.properties) - summable(rows.properties, ndim):
        tables = object_columns(
            seg, batch, rows.properties, rows.connectivity, rows.caller
        )
        matrix = np.array(
            [rows.from_columns(t, len(next(iter(t.values())))) for t in tables],
            dtype=np.float64,
        ).reshape(len(array), rows.n_features)
        return da.from_array(matrix, chunks=chunks)
    labels, read = labels_of(seg, rows.connectivity)
    needs_images = bool(set(rows.properties) & _INTENSITY)
    images = array.rechunk(labels.chunks) if needs_images else None
    moments = bool(set(rows.properties) & _MOMENTS)
    merged = lazy_summaries(labels, read, images, batch.check, moments)
    result = dask.delayed(_rows_of)(merged, rows, ndim)
    matrix = da.from_delayed(
        result, shape=(len(array), rows.n_features), dtype=np.float64
    )
    return matrix.rechunk(chunks)


# --- ObjectFilter --------------------------------------------------------------------


def _keep_table(merged, values, low, high, masks):
    """Per image: for masks a bool table over ids 0..n, else the kept ids."""
    from sksegment import _kernels

    tables = []
    for m, v in zip(merged, values):
        keep = _kernels.in_bounds(np.asarray(v, np.float64), low, high)
        if masks:
            table = np.zeros(len(m["ids"]) + 1, dtype=bool)
            table[m["ids"][keep].astype(np.intp)] = True
            tables.append(table)
        else:
            tables.append(m["ids"][keep])
    return tables


def _summable_values(merged, prop):
    """Per image, the values of a summable property of its objects."""
    return [
        _summable_column(m, prop, len(m["mean"]))[0] if len(m["ids"]) else []
        for m in merged
    ]


def _lazy_keep(merged, prop, low, high, masks):
    """``_keep_table`` of a summable property, from the merged summaries."""
    return _keep_table(merged, _summable_values(merged, prop), low, high, masks)


def _apply_keep(labels, tables, read, masks, block_id=None):
    """A chunk filtered: a mask of the kept objects, or kept ids renumbered."""
    from sksegment import _kernels

    table = tables[block_id[0]]
    part = read(labels[0])
    if masks:
        return _kernels.take(table, part.astype(np.intp, copy=False), None)[None]
    return _map_ids(part, table, "area", np.int32)[None]


def filter_objects(batch, prop, low, high, connectivity):
    """``ObjectFilter`` on a dask batch split within images: the lazy result."""
    import dask
    import dask.array as da

    masks = not reads_labels(batch)
    if low is None and high is None:  # nothing measured: every object kept
        if masks:
            return objects_of(batch, np.dtype(bool))
        return global_ids(batch, "area")[0]
    labels, read = labels_of(batch, connectivity)
    labels = unfused(labels)  # read to measure, then to filter
    ndim = batch.array.ndim - 1
    if prop in summable([prop], ndim):
        moments = prop in _MOMENTS
        merged = lazy_summaries(labels, read, None, None, moments)
        tables = dask.delayed(_lazy_keep)(merged, prop, low, high, masks)
    else:  # measured on crops: computed now, the filter stays lazy
        columns = object_columns(
            batch, None, ["label", prop], connectivity, "ObjectFilter"
        )
        merged = [{"ids": c["label"]} for c in columns]
        values = [c[prop] for c in columns]
        tables = dask.delayed(
            _keep_table(merged, values, low, high, masks), traverse=False
        )
    dtype = np.dtype(bool) if masks else np.dtype(np.int32)
    return da.map_blocks(
        _apply_keep,
        labels,
        tables,
        read,
        masks,
        dtype=dtype,
        meta=np.empty((0,) * labels.ndim, dtype=dtype),
    )
