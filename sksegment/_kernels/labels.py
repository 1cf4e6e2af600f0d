"""Label kernels: label dtypes, labeling, border clearing, area filters, counts.

Equal to ``skimage.measure.label``, ``skimage.segmentation.clear_border``
and area filtering by ``numpy.bincount``; OpenCV's Wu labeling and flood
fill are used in 2D where they give the same result.
"""

import functools

import numpy as np
from scipy import ndimage as ndi

from sksegment._kernels import common
from sksegment._kernels.common import (
    bincount,
    ids_fit_table,
    into,
    take,
    use_cv2,
)


def label_dtype(n):
    """The signed integer dtype for labels up to ``n``: int32, or int64.

    Steps that number objects 1..n call it with the image's number of pixels
    (an upper bound of n), so the dtype depends on the image's shape only.
    """
    return np.int32 if n <= np.iinfo(np.int32).max else np.int64


def kept_label_dtype(dtype):
    """The dtype of a label image whose ids are kept, from the input's dtype.

    The label dtype rule of the steps that keep ids (BorderClearer,
    HoleFiller, MaxCountGuard): int32 for the dtypes whose every value int32
    holds (bool, int8, uint8, int16, uint16, int32), int64 for uint32 and
    int64, uint64 for uint64 (ids at or above 2**63 stay as they are).  It
    depends on the dtype only, never on the values (as numpy's own casting
    since NEP 50), so the images of a batch and the chunks of a dask array
    all give the same dtype, and no id is ever changed.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "u" and dtype.itemsize == 8:
        return np.dtype(np.uint64)
    if dtype.itemsize > 4 or dtype.kind == "u" and dtype.itemsize == 4:
        return np.dtype(np.int64)
    return np.dtype(np.int32)


# --- footprints and closing -------------------------------------------------


# --- labeling -----------------------------------------------------------------


def structure(ndim, connectivity):
    return ndi.generate_binary_structure(
        ndim, ndim if connectivity is None else connectivity
    )


def label_mask(mask, connectivity, out=None):
    """Label the connected components of a mask, ids 1..n in raster order.

    Equal to ``skimage.measure.label(mask, connectivity=connectivity)``; the
    result is int32 (int64 for images of more than 2**31 pixels).

    Returns
    -------
    labels : ndarray of int
    n : int
    """
    dtype = label_dtype(mask.size)
    if out is None or out.dtype != dtype:
        out = np.empty(mask.shape, dtype=dtype)
    if use_cv2(mask) and dtype == np.int32:
        # Wu's algorithm numbers components in raster order, as skimage does
        n, labels = common.cv2.connectedComponentsWithAlgorithm(
            np.ascontiguousarray(mask).view(np.uint8),
            4 if connectivity == 1 else 8,
            common.cv2.CV_32S,
            common.cv2.CCL_WU,
            labels=out,
        )
        return into(out, labels), n - 1
    n = ndi.label(mask, structure=structure(mask.ndim, connectivity), output=out)
    return out, n


def relabel_components(labels, connectivity, out=None):
    """Connected components of each id of a label image, ids 1..n.

    Equal to ``skimage.measure.label(labels, background=0,
    connectivity=connectivity)``: a label made of several disconnected pieces
    becomes several objects, and touching objects stay apart.
    """
    from skimage.measure import label

    result = label(labels, background=0, connectivity=connectivity)
    return into(out, result.astype(label_dtype(labels.size), copy=False))


# --- areas and ids of label images ------------------------------------------


def object_areas(labels, top):
    """The nonzero ids of a label image, in increasing order, and their areas.

    ``top`` is the largest id, ``labels.max()``.
    """
    if ids_fit_table(labels, top):
        counts = bincount(labels, top + 1, skip_zeros=True)
        ids = np.flatnonzero(counts)
        return ids, counts[ids]
    ids, counts = np.unique(labels, return_counts=True)
    nonzero = ids != 0
    return ids[nonzero], counts[nonzero]


def border_ids(labels, buffer_size):
    """The ids (background included) within ``buffer_size`` of the border.

    The zone is the one ``skimage.segmentation.clear_border`` examines: the
    first and last ``buffer_size + 1`` pixels along every axis.
    """
    width = buffer_size + 1
    pieces = []
    for axis in range(labels.ndim):
        moved = np.moveaxis(labels, axis, 0)
        pieces.append(moved[:width].ravel())
        pieces.append(moved[-width:].ravel())
    return np.unique(np.concatenate(pieces))


def in_bounds(values, low, high):
    """Whether each value lies in ``[low, high]`` (None: no bound; NaN: out)."""
    keep = np.ones(values.shape, dtype=bool)
    if low is not None:
        keep &= values >= low
    if high is not None:
        keep &= values <= high
    return keep


def keep_ids(labels, top, ids, out):
    """Keep the objects of the sorted ``ids`` only, renumbered 1..len(ids).

    ``top`` is the largest id, ``labels.max()``.
    """
    dtype = label_dtype(labels.size)
    if top == len(ids) and labels.dtype == dtype:  # every id 1..n is kept
        return into(out, labels.copy() if out is None else labels)
    if ids_fit_table(labels, top):
        lut = np.zeros(top + 1, dtype=dtype)
        lut[ids] = np.arange(1, len(ids) + 1, dtype=dtype)
        return take(lut, labels, out)
    pos = np.searchsorted(ids, labels)
    found = ids[np.minimum(pos, len(ids) - 1)] == labels if len(ids) else False
    return into(out, np.where(found, pos + 1, 0).astype(dtype))


# --- border clearing -----------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _perimeter(height, width):
    """Row and column indices of the border pixels of an image, in a loop."""
    top = [(0, c) for c in range(width)]
    right = [(r, width - 1) for r in range(1, height)]
    bottom = [(height - 1, c) for c in range(width - 2, -1, -1)]
    left = [(r, 0) for r in range(height - 2, 0, -1)]
    rows, cols = np.array(top + right + bottom + left).T
    return rows, cols


def flood_border(mask, buffer_size, connectivity, out):
    """Clear border objects of a 2D mask by flood fill; None when too many seeds.

    Each run of foreground pixels along a line of the border zone seeds one
    flood fill, which erases the whole component; runs of a component already
    erased are skipped.  Far fewer pixels are touched than by labeling the
    image, unless the border is crowded.  Measured here: labeling and a
    lookup cost about 6 ns a pixel; a flood fill about 8 us plus 7 ns per
    thousand pixels of the image, so past ``max_seeds`` seeds the caller
    labels instead.
    """
    max_seeds = int(6e-9 * mask.size / (8e-6 + 7e-12 * mask.size))
    height, width = mask.shape
    zone = min(buffer_size + 1, height, width)
    if zone == 1 and height > 1 and width > 1:
        # the perimeter as one closed loop: a run starts where the pixel
        # before it (around the loop) is background
        rows, cols = _perimeter(height, width)
        ring = mask[rows, cols]
        starts = np.flatnonzero(ring[1:] & ~ring[:-1]) + 1
        if ring[0] and (not ring[-1] or not len(starts)):
            starts = np.concatenate(([0], starts))
        if len(starts) > max_seeds:
            return None
        seeds = zip(cols[starts], rows[starts])
    else:
        seeds = []
        # the zone's rows, then its columns (transposed), scanned for runs
        for block, lines, transposed in (
            (mask[:zone], range(zone), False),
            (mask[height - zone :], range(height - zone, height), False),
            (mask[:, :zone].T, range(zone), True),
            (mask[:, width - zone :].T, range(width - zone, width), True),
        ):
            starts = block.copy()
            starts[:, 1:] &= ~block[:, :-1]
            line, pos = np.nonzero(starts)
            if len(seeds) + len(pos) > max_seeds:
                return None
            fixed = np.asarray(lines)[line]
            seeds += zip(fixed, pos) if transposed else zip(pos, fixed)
    if out is None:
        out = np.empty(mask.shape, dtype=bool)
    np.copyto(out, mask)
    canvas = out.view(np.uint8)
    # OpenCV allocates this mask on every call unless given one
    fill_mask = np.zeros((height + 2, width + 2), dtype=np.uint8)
    flags = 4 if connectivity == 1 else 8
    for x, y in seeds:
        if canvas[y, x]:
            common.cv2.floodFill(canvas, fill_mask, (int(x), int(y)), 0, flags=flags)
    return out


def clear_border_mask(mask, buffer_size, connectivity, out=None):
    """``skimage.segmentation.clear_border`` of a mask (objects at ``connectivity``)."""
    if use_cv2(mask):
        cleared = flood_border(mask, buffer_size, connectivity, out)
        if cleared is not None:
            return cleared
    labels, n = label_mask(mask, connectivity)
    keep = np.ones(n + 1, dtype=bool)
    keep[border_ids(labels, buffer_size)] = False
    return take(keep, labels, out)


def clear_border_labels(labels, buffer_size, out=None):
    """Zero every id with a pixel in the border zone; other ids are kept."""
    ids = border_ids(labels, buffer_size)
    top = int(labels.max())
    out_dtype = kept_label_dtype(labels.dtype)
    if ids_fit_table(labels, top):
        lut = np.arange(top + 1, dtype=out_dtype)
        lut[ids] = 0
        return take(lut, labels, out)
    return into(out, np.where(np.isin(labels, ids), 0, labels).astype(out_dtype))


# --- area filtering and counting ---------------------------------------------------


def area_filter_mask(mask, min_area, max_area, connectivity, out=None):
    """Keep the components of a mask with ``min_area <= area <= max_area``."""
    labels, n = label_mask(mask, connectivity)
    areas = bincount(labels, n + 1, skip_zeros=True)
    keep = in_bounds(areas, min_area, max_area)
    keep[0] = False
    return take(keep, labels, out)


def area_filter_labels(labels, min_area, max_area, out=None):
    """Keep the ids of a label image within the area bounds, renumbered 1..k."""
    top = int(labels.max())
    ids, areas = object_areas(labels, top)
    keep = in_bounds(areas, min_area, max_area)
    return keep_ids(labels, top, ids[keep], out)


def count_mask(mask, connectivity):
    """Number of connected components of a mask."""
    if use_cv2(mask):
        return label_mask(mask, connectivity)[1]
    return ndi.label(mask, structure=structure(mask.ndim, connectivity))[1]


def count_labels(labels):
    """Number of distinct nonzero ids of a label image."""
    return len(object_areas(labels, int(labels.max()))[0])


# --- histograms -----------------------------------------------------------------


def sequential(labels):
    """The label image with ids made dense (1..k, order kept) when sparse."""
    top = int(labels.max())
    if ids_fit_table(labels, top):
        return labels, top
    from skimage.segmentation import relabel_sequential

    dense = relabel_sequential(labels)[0]
    return dense, int(dense.max())
