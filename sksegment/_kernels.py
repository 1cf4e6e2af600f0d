"""Per-image kernels: one image in, one result out, no validation.

The steps validate their input and call these; each kernel gives exactly the
result of the scikit-image function named in its docstring.
"""

import numpy as np
from scipy import ndimage as ndi
from skimage import morphology

from sksegment._validation import label_dtype

__all__ = [
    "border_ids",
    "closing",
    "count_objects",
    "footprint",
    "pooled_histogram",
    "label_components",
    "relabel_components",
    "keep_ids",
    "object_areas",
    "remove_ids",
]


def footprint(shape, size, ndim):
    """The footprint named by ``shape`` with side/diameter ``size`` in ``ndim`` D.

    ``"square"`` is a square (a cube in 3D) of side ``size``; ``"disk"`` and
    ``"diamond"`` (a ball and an octahedron in 3D) have radius
    ``(size - 1) // 2``, so a diameter of ``size`` pixels.
    """
    if shape == "square":
        return morphology.footprint_rectangle((size,) * ndim)
    radius = (size - 1) // 2
    if shape == "disk":
        return morphology.disk(radius) if ndim == 2 else morphology.ball(radius)
    return morphology.diamond(radius) if ndim == 2 else morphology.octahedron(radius)


def closing(mask, fp, mode):
    """Binary closing, equal to ``skimage.morphology.closing(mask, fp, mode=mode)``."""
    return morphology.closing(mask, fp, mode=mode)


def _structure(ndim, connectivity):
    return ndi.generate_binary_structure(
        ndim, ndim if connectivity is None else connectivity
    )


def label_components(mask, connectivity):
    """Label the connected components of a mask, ids 1..n in raster order.

    Equal to ``skimage.measure.label(mask, connectivity=connectivity)``; the
    result is int32 (int64 when there are more objects than int32 holds).

    Returns
    -------
    labels : ndarray of int
    n : int
    """
    labels, n = ndi.label(mask, structure=_structure(mask.ndim, connectivity))
    return labels.astype(label_dtype(n), copy=False), n


def relabel_components(labels, connectivity):
    """Connected components of each id of a label image, ids 1..n.

    Equal to ``skimage.measure.label(labels, background=0,
    connectivity=connectivity)``: a label made of several disconnected pieces
    becomes several objects, and touching objects stay apart.
    """
    from skimage.measure import label

    out, n = label(labels, background=0, connectivity=connectivity, return_num=True)
    return out.astype(label_dtype(n), copy=False), n


def border_ids(labels, buffer_size):
    """The ids (background included) found within ``buffer_size`` of the border.

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


def _is_dense(labels):
    """Whether ids are small enough to index a lookup table of their range."""
    return int(labels.max()) <= 4 * labels.size


def remove_ids(labels, ids):
    """A copy of ``labels`` with the pixels of ``ids`` set to 0."""
    if _is_dense(labels):
        drop = np.zeros(int(labels.max()) + 1, dtype=bool)
        drop[ids] = True
        drop[0] = False
        return np.where(drop[labels], 0, labels)
    return np.where(np.isin(labels, ids), 0, labels)


def object_areas(labels):
    """The nonzero ids of a label image, in increasing order, and their areas."""
    if _is_dense(labels):
        counts = np.bincount(labels.ravel())
        ids = np.flatnonzero(counts)
        ids = ids[ids != 0]
        return ids, counts[ids]
    ids, counts = np.unique(labels, return_counts=True)
    nonzero = ids != 0
    return ids[nonzero], counts[nonzero]


def keep_ids(labels, ids):
    """Keep the objects of the sorted ``ids`` only, renumbered 1..len(ids)."""
    dtype = label_dtype(len(ids))
    if _is_dense(labels):
        lut = np.zeros(int(labels.max()) + 1, dtype=dtype)
        lut[ids] = np.arange(1, len(ids) + 1, dtype=dtype)
        return lut[labels]
    pos = np.searchsorted(ids, labels)
    found = ids[np.minimum(pos, len(ids) - 1)] == labels if len(ids) else False
    return np.where(found, pos + 1, 0).astype(dtype)


def count_objects(labels):
    """Number of distinct nonzero ids in a label image."""
    if _is_dense(labels):
        return int(np.count_nonzero(np.bincount(labels.ravel())[1:]))
    return int(np.count_nonzero(np.unique(labels)))


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
        if lo >= 0:
            counts += np.bincount(image.ravel(), minlength=hi + 1)[lo:]
        else:
            counts += np.bincount(
                image.ravel().astype(np.int64) - lo, minlength=hi - lo + 1
            )
    return counts, np.arange(lo, hi + 1)
