"""Watershed splitting of touching objects, one object at a time."""

import numpy as np
from scipy import ndimage as ndi

from sksegment._kernels.common import take
from sksegment._kernels.labels import label_dtype, relabel_components, sequential


def _full(connectivity, ndim):
    """The connectivity as an int: None means full (``ndim``)."""
    return ndim if connectivity is None else connectivity


def split_region(mask, pieces, min_distance, footprint, connectivity):
    """Watershed of one mask whose objects are ``pieces`` (ids 1..k).

    The distance map of ``mask``, its maxima as markers (one marker per
    flat top), and the watershed of the negated distance from those
    markers, within ``mask``.
    Returns the int32 label image and its number of ids; ids are given in
    raster order of the markers' first pixels.
    """
    from skimage.feature import peak_local_max
    from skimage.measure import label
    from skimage.morphology import local_maxima
    from skimage.segmentation import watershed

    conn = _full(connectivity, mask.ndim)
    # peak_local_max keeps peaks min_distance apart (Chebyshev) and, without
    # a footprint, builds a square of side 2 * min_distance + 1: past the
    # image's largest side both are the same as at that side (its maximum
    # filter reads the nearest edge pixel beyond the image), at a cost
    # bounded by the image
    min_distance = min(min_distance, max(mask.shape))
    distance = ndi.distance_transform_edt(mask)
    peaks = peak_local_max(
        distance,
        min_distance=min_distance,
        footprint=footprint,
        labels=pieces,
        exclude_border=False,
    )
    # A peak on a flat top (a plateau of the distance map with no higher
    # neighbour) brings the whole flat top as its marker; other peaks are
    # markers of one pixel.  Peaks next to each other form one marker.
    is_marker = np.zeros(mask.shape, dtype=bool)
    is_marker[tuple(peaks.T)] = True
    tops, n_tops = label(
        local_maxima(distance, connectivity=conn), connectivity=conn, return_num=True
    )
    with_peak = np.zeros(n_tops + 1, dtype=bool)
    with_peak[tops[is_marker]] = True
    with_peak[0] = False
    is_marker |= take(with_peak, tops, None)
    markers, n = label(is_marker, connectivity=conn, return_num=True)
    result = watershed(-distance, markers, mask=mask, connectivity=conn)
    unreached = mask & (result == 0)
    if unreached.any():
        # a piece without a peak: only when the image has no background, so
        # that the distance map is not one (a single pixel, say); it is kept
        # whole rather than lost
        extra, k = label(unreached, connectivity=conn, return_num=True)
        result[unreached] = extra[unreached] + n
        n += k
    return result.astype(np.int32, copy=False), n


def touching_ids(labels):
    """Whether two different nonzero ids of a label image are neighbours.

    Neighbours at full connectivity (8 in 2D, 26 in 3D): each pair of
    offsets is compared once.
    """
    ndim = labels.ndim
    offsets = np.argwhere(np.ones((3,) * ndim, dtype=bool)) - 1
    for offset in offsets[len(offsets) // 2 + 1 :]:  # half of the neighbours
        a = tuple(
            slice(max(-o, 0), labels.shape[i] - max(o, 0)) for i, o in enumerate(offset)
        )
        b = tuple(
            slice(max(o, 0), labels.shape[i] - max(-o, 0)) for i, o in enumerate(offset)
        )
        x, y = labels[a], labels[b]
        if ((x != y) & (x != 0) & (y != 0)).any():
            return True
    return False


def split_labels(labels, min_distance, footprint, connectivity):
    """Split each object of a label image within its own pixels.

    Pieces are numbered object by object in increasing id, and within an
    object in raster order of their markers.
    """
    labels, top = sequential(labels)
    if top == 0:
        return np.zeros(labels.shape, dtype=np.int32)
    if not touching_ids(labels):
        # No two objects are neighbours: the distance to the nearest pixel of
        # another object or of the background is the distance to the
        # background, and no flood crosses from one object into another, so
        # one watershed over the whole image gives each object's split.
        pieces = relabel_components(labels, connectivity)
        split, n = split_region(
            labels > 0, pieces, min_distance, footprint, connectivity
        )
        owner = np.zeros(n + 1, dtype=np.int64)
        owner[split] = labels  # every marker lies within one object
        rank = np.argsort(owner[1:], kind="stable")
        lut = np.zeros(n + 1, dtype=np.int32)
        lut[rank + 1] = np.arange(1, n + 1, dtype=np.int32)
        return take(lut, split, None)
    from skimage.measure import label

    result = np.zeros(labels.shape, dtype=np.int64)
    offset = 0
    for index, box in enumerate(ndi.find_objects(labels)):
        if box is None:
            continue
        # one pixel of margin (within the image): the distance to the
        # nearest pixel outside the object is found inside the crop
        box = tuple(
            slice(max(s.start - 1, 0), min(s.stop + 1, size))
            for s, size in zip(box, labels.shape)
        )
        mask = labels[box] == index + 1
        pieces = label(mask, connectivity=_full(connectivity, mask.ndim))
        split, n = split_region(mask, pieces, min_distance, footprint, connectivity)
        result[box][mask] = split[mask] + offset
        offset += n
    return result.astype(label_dtype(labels.size), copy=False)
