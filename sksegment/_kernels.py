"""Per-image kernels: one image in, one result out, no validation.

The steps validate their input and call these.  Each kernel gives exactly the
result of the scikit-image function named in its docstring; where OpenCV has
a faster exact routine (2D closing and labeling, flood fill, histograms of
uint8 images) it is used, and a numpy/scipy/scikit-image path covers the rest
(3D, the ``"wrap"`` border mode, OpenCV missing).  ``tests/test_kernels.py``
checks both paths against scikit-image.
"""

import functools

import numpy as np
from scipy import ndimage as ndi
from skimage import morphology

try:  # a dependency; the pure path keeps working without it
    import cv2
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    cv2 = None

__all__ = [
    "area_filter_labels",
    "area_filter_mask",
    "clear_border_labels",
    "clear_border_mask",
    "closing",
    "count_labels",
    "count_mask",
    "footprint",
    "kept_label_dtype",
    "label_dtype",
    "label_mask",
    "opening",
    "pooled_histogram",
    "relabel_components",
]

# Elements per np.bincount or np.take call: both convert their indices to
# intp, so working in pieces bounds that copy to 512 KiB (and keeps it cached).
_CHUNK = 1 << 16


def _use_cv2(image):
    return cv2 is not None and image.ndim == 2


def _into(out, result):
    """``result``, or ``out`` filled with it when a slot is given.

    A slot whose dtype cannot hold every value of ``result``'s dtype is left
    alone and ``result`` returned, for the batch to widen: never truncated.
    """
    if out is None or result is out or not np.can_cast(result.dtype, out.dtype):
        return result
    out[...] = result
    return out


def _take(table, labels, out):
    """``table[labels]``, written into ``out`` when given.

    Done in chunks: numpy converts indices to intp, which for a whole int32
    label image is a copy twice its size (and, past the CPU caches, many
    times slower than chunks).  The labels index the table by construction,
    so bounds checks are skipped (``mode="clip"`` never clips here).
    """
    if out is None or out.dtype != table.dtype or not out.flags.c_contiguous:
        return _into(out, _take(table, labels, np.empty(labels.shape, table.dtype)))
    src, dst = labels.reshape(-1), out.reshape(-1)
    for start in range(0, src.size, _CHUNK):
        stop = start + _CHUNK
        np.take(table, src[start:stop], out=dst[start:stop], mode="clip")
    return out


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


@functools.lru_cache(maxsize=64)
def footprint(shape, size, ndim):
    """The footprint named by ``shape`` with side/diameter ``size`` in ``ndim`` D.

    ``"square"`` is a square (a cube in 3D) of side ``size``; ``"disk"`` and
    ``"diamond"`` (a ball and an octahedron in 3D) have radius
    ``(size - 1) // 2``, so a diameter of ``size`` pixels.  Cached: callers
    must not modify the array.
    """
    if shape == "square":
        return morphology.footprint_rectangle((size,) * ndim)
    radius = (size - 1) // 2
    if shape == "disk":
        return morphology.disk(radius) if ndim == 2 else morphology.ball(radius)
    return morphology.diamond(radius) if ndim == 2 else morphology.octahedron(radius)


def _cv2_border(mode):
    """OpenCV's border arguments for a scikit-image mode (None: not available)."""
    if cv2 is None:
        return None
    return {
        "ignore": {},  # OpenCV's default: dilation pads -inf, erosion +inf
        "constant": {"borderType": cv2.BORDER_CONSTANT, "borderValue": 0},
        "min": {"borderType": cv2.BORDER_CONSTANT, "borderValue": 0},
        "max": {"borderType": cv2.BORDER_CONSTANT, "borderValue": 1},
        "reflect": {"borderType": cv2.BORDER_REFLECT},
        "mirror": {"borderType": cv2.BORDER_REFLECT_101},
        "nearest": {"borderType": cv2.BORDER_REPLICATE},
    }.get(mode)


@functools.lru_cache(maxsize=64)
def _cv2_kernels(shape, size):
    """The 2D footprint padded as scikit-image pads it, and its mirror, for OpenCV."""
    fp = footprint(shape, size, 2)
    kernel = np.ascontiguousarray(morphology.pad_footprint(fp, pad_end=False), np.uint8)
    return kernel, np.ascontiguousarray(kernel[::-1, ::-1])


def _open_or_close(mask, shape, size, mode, out, closing):
    """Binary closing or opening, equal to scikit-image's with ``mode``.

    ``fp`` is ``footprint(shape, size, mask.ndim)``.  scikit-image pads an
    even footprint at its start to an odd size, applies the first operation
    (dilation for a closing, erosion for an opening) with it and the second
    with its mirror; the OpenCV path (2D, every mode but ``"wrap"``) does the
    same with the kernel centred.
    """
    border = _cv2_border(mode)
    if border is None or not _use_cv2(mask):
        fp = footprint(shape, size, mask.ndim)
        operation = morphology.closing if closing else morphology.opening
        return _into(out, operation(mask, fp, mode=mode))
    first, second = (cv2.dilate, cv2.erode) if closing else (cv2.erode, cv2.dilate)
    kernel, mirrored = _cv2_kernels(shape, size)
    src = np.ascontiguousarray(mask).view(np.uint8)
    middle = first(src, kernel, **border)
    if out is None:
        return second(middle, mirrored, dst=middle, **border).view(bool)
    dst = out.view(np.uint8)
    if second(middle, mirrored, dst=dst, **border) is not dst:  # pragma: no cover
        raise RuntimeError("OpenCV did not write into the output slot")
    return out


def closing(mask, shape, size, mode, out=None):
    """Binary closing, equal to ``skimage.morphology.closing(mask, fp, mode=mode)``."""
    return _open_or_close(mask, shape, size, mode, out, closing=True)


def opening(mask, shape, size, mode, out=None):
    """Binary opening, equal to ``skimage.morphology.opening(mask, fp, mode=mode)``."""
    return _open_or_close(mask, shape, size, mode, out, closing=False)


# --- labeling -----------------------------------------------------------------


def _structure(ndim, connectivity):
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
    if _use_cv2(mask) and dtype == np.int32:
        # Wu's algorithm numbers components in raster order, as skimage does
        n, labels = cv2.connectedComponentsWithAlgorithm(
            np.ascontiguousarray(mask).view(np.uint8),
            4 if connectivity == 1 else 8,
            cv2.CV_32S,
            cv2.CCL_WU,
            labels=out,
        )
        return _into(out, labels), n - 1
    n = ndi.label(mask, structure=_structure(mask.ndim, connectivity), output=out)
    return out, n


def relabel_components(labels, connectivity, out=None):
    """Connected components of each id of a label image, ids 1..n.

    Equal to ``skimage.measure.label(labels, background=0,
    connectivity=connectivity)``: a label made of several disconnected pieces
    becomes several objects, and touching objects stay apart.
    """
    from skimage.measure import label

    result = label(labels, background=0, connectivity=connectivity)
    return _into(out, result.astype(label_dtype(labels.size), copy=False))


# --- areas and ids of label images ------------------------------------------


def _is_dense(labels, top):
    """Whether ids up to ``top`` are few enough to index a lookup table."""
    return top <= 4 * labels.size


def _bincount(labels, size, skip_zeros=False):
    """``np.bincount(labels.ravel(), minlength=size)`` in bounded memory.

    With ``skip_zeros`` the count of 0 is left at 0, which is faster on label
    images that are mostly background.
    """
    flat = labels.reshape(-1)
    counts = np.zeros(size, dtype=np.intp)
    for start in range(0, flat.size, _CHUNK):
        chunk = flat[start : start + _CHUNK]
        if skip_zeros:
            chunk = chunk[chunk != 0]
        counts += np.bincount(chunk, minlength=size)
    return counts


def _object_areas(labels, top):
    """The nonzero ids of a label image, in increasing order, and their areas.

    ``top`` is the largest id, ``labels.max()``.
    """
    if _is_dense(labels, top):
        counts = _bincount(labels, top + 1, skip_zeros=True)
        ids = np.flatnonzero(counts)
        return ids, counts[ids]
    ids, counts = np.unique(labels, return_counts=True)
    nonzero = ids != 0
    return ids[nonzero], counts[nonzero]


def _border_ids(labels, buffer_size):
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


def _in_bounds(areas, min_area, max_area):
    keep = np.ones(areas.shape, dtype=bool)
    if min_area is not None:
        keep &= areas >= min_area
    if max_area is not None:
        keep &= areas <= max_area
    return keep


def _keep_ids(labels, top, ids, out):
    """Keep the objects of the sorted ``ids`` only, renumbered 1..len(ids).

    ``top`` is the largest id, ``labels.max()``.
    """
    dtype = label_dtype(labels.size)
    if top == len(ids) and labels.dtype == dtype:  # every id 1..n is kept
        return _into(out, labels.copy() if out is None else labels)
    if top <= 4 * labels.size:
        lut = np.zeros(top + 1, dtype=dtype)
        lut[ids] = np.arange(1, len(ids) + 1, dtype=dtype)
        return _take(lut, labels, out)
    pos = np.searchsorted(ids, labels)
    found = ids[np.minimum(pos, len(ids) - 1)] == labels if len(ids) else False
    return _into(out, np.where(found, pos + 1, 0).astype(dtype))


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


def _flood_border(mask, buffer_size, connectivity, out):
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
            cv2.floodFill(canvas, fill_mask, (int(x), int(y)), 0, flags=flags)
    return out


def clear_border_mask(mask, buffer_size, connectivity, out=None):
    """``skimage.segmentation.clear_border`` of a mask (objects at ``connectivity``)."""
    if _use_cv2(mask):
        cleared = _flood_border(mask, buffer_size, connectivity, out)
        if cleared is not None:
            return cleared
    labels, n = label_mask(mask, connectivity)
    keep = np.ones(n + 1, dtype=bool)
    keep[_border_ids(labels, buffer_size)] = False
    return _take(keep, labels, out)


def clear_border_labels(labels, buffer_size, out=None):
    """Zero every id with a pixel in the border zone; other ids are kept."""
    ids = _border_ids(labels, buffer_size)
    top = int(labels.max())
    out_dtype = kept_label_dtype(labels.dtype)
    if _is_dense(labels, top):
        lut = np.arange(top + 1, dtype=out_dtype)
        lut[ids] = 0
        return _take(lut, labels, out)
    return _into(out, np.where(np.isin(labels, ids), 0, labels).astype(out_dtype))


# --- area filtering and counting ---------------------------------------------------


def area_filter_mask(mask, min_area, max_area, connectivity, out=None):
    """Keep the components of a mask with ``min_area <= area <= max_area``."""
    labels, n = label_mask(mask, connectivity)
    areas = _bincount(labels, n + 1, skip_zeros=True)
    keep = _in_bounds(areas, min_area, max_area)
    keep[0] = False
    return _take(keep, labels, out)


def area_filter_labels(labels, min_area, max_area, out=None):
    """Keep the ids of a label image within the area bounds, renumbered 1..k."""
    top = int(labels.max())
    ids, areas = _object_areas(labels, top)
    keep = _in_bounds(areas, min_area, max_area)
    return _keep_ids(labels, top, ids[keep], out)


def count_mask(mask, connectivity):
    """Number of connected components of a mask."""
    if _use_cv2(mask):
        return label_mask(mask, connectivity)[1]
    return ndi.label(mask, structure=_structure(mask.ndim, connectivity))[1]


def count_labels(labels):
    """Number of distinct nonzero ids of a label image."""
    return len(_object_areas(labels, int(labels.max()))[0])


# --- histograms -----------------------------------------------------------------


def _counts_uint8(image):
    if cv2 is not None and image.size < 2**24 and image.ndim == 2:
        # float32 bin counts are exact below 2**24 pixels
        hist = cv2.calcHist([np.ascontiguousarray(image)], [0], None, [256], [0, 256])
        return hist.ravel().astype(np.int64)
    return _bincount(image, 256)


def pooled_histogram(images, nbins):
    """Intensity histogram of several images pooled, as scikit-image bins it.

    Equal to ``skimage.exposure.histogram`` of the stacked images, without
    stacking them: for integer (and bool) images one bin per integer from the
    smallest to the largest value of all images (``nbins`` is ignored, as in
    scikit-image); for float images ``nbins`` equal bins over ``[min, max]``
    of all pixels, centred between numpy's edges.

    Returns
    -------
    hist : tuple of (counts, bin_centers), or None
        None when every pixel of every image has the same value.
    """
    images = [im.view(np.uint8) if im.dtype == bool else im for im in images]
    if all(im.dtype == np.uint8 for im in images):
        counts = sum(_counts_uint8(im) for im in images)
        present = np.flatnonzero(counts)
        lo, hi = present[0], present[-1]
        if lo == hi:
            return None
        return counts[lo : hi + 1], np.arange(lo, hi + 1)
    lo = min(image.min() for image in images)
    hi = max(image.max() for image in images)
    if lo == hi:
        return None
    if np.result_type(*images).kind == "f":
        counts = np.zeros(nbins, dtype=np.int64)
        for image in images:
            c, edges = np.histogram(image, bins=nbins, range=(lo, hi))
            counts += c
        return counts, (edges[:-1] + edges[1:]) / 2
    lo, hi = int(lo), int(hi)
    counts = np.zeros(hi - lo + 1, dtype=np.int64)
    for image in images:
        if image.dtype == np.uint64:  # bincount refuses uint64
            image = image.astype(np.int64)
        if lo < 0:
            image = image.astype(np.int64) - lo
            counts += _bincount(image, hi - lo + 1)
        else:
            counts += _bincount(image, hi + 1)[lo:]
    return counts, np.arange(lo, hi + 1)
