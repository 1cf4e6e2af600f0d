"""Binary morphology kernels: footprints, closing and opening, hole filling.

Each kernel gives exactly the result of the scikit-image function named in
its docstring; OpenCV's 2D dilation and erosion are used where they are
exact, scikit-image covers 3D and the ``"wrap"`` mode.
"""

import functools

import numpy as np
from scipy import ndimage as ndi
from skimage import morphology

from sksegment._kernels import common
from sksegment._kernels.common import bincount, into, take, use_cv2
from sksegment._kernels.labels import (
    border_ids,
    kept_label_dtype,
    label_mask,
    relabel_components,
)


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


def _cropped(shape, radius, reach):
    """The disk, ball, diamond or octahedron of ``radius`` within ``reach``.

    ``reach`` is the largest offset kept along each axis; the pixels kept
    are tested as scikit-image's footprint functions test them, so the
    result is the centre of ``footprint(shape, 2 * radius + 1, ndim)``
    without building the whole footprint.
    """
    grids = np.ogrid[tuple(slice(-r, r + 1) for r in reach)]
    if shape == "disk":
        return (sum(g.astype(np.int64) ** 2 for g in grids) <= radius**2).astype(
            np.uint8
        )
    return (sum(np.abs(g) for g in grids) <= radius).astype(np.uint8)


@functools.lru_cache(maxsize=64)
def bounded_footprint(shape, size, image_shape):
    """``footprint(shape, size, ndim)`` cropped to what reaches the image.

    Along an axis of ``n`` pixels, an offset beyond ``n`` lands outside the
    image from every pixel, where every border mode of scikit-image's binary
    morphology gives what an offset of ``n`` (a constant outside value) or
    of at most ``n - 1`` (``"ignore"``, ``"nearest"``, ``"reflect"``,
    ``"mirror"``, ``"wrap"``: a pixel of the image) gives.  These footprints
    keep every offset whose coordinates are smaller in magnitude, so
    cropping each axis to ``[-n, n]`` changes no result, and the cost is
    bounded by the image size whatever ``size`` is.  Even squares (padded
    at their start by scikit-image) are cropped only when both sides reach
    beyond ``n``.  Cached: callers must not modify the array.
    """
    ndim = len(image_shape)
    if shape == "square":
        # an odd side s reaches (s - 1) / 2 on both sides, an even one s/2 - 1
        # before its centre: both reach n once s > 2n
        sides = tuple(2 * n + 1 if size > 2 * n else size for n in image_shape)
        if sides == (size,) * ndim:
            return footprint(shape, size, ndim)
        return morphology.footprint_rectangle(sides)
    radius = (size - 1) // 2
    if all(radius <= n for n in image_shape):
        return footprint(shape, size, ndim)
    return _cropped(shape, radius, tuple(min(radius, n) for n in image_shape))


def _cv2_border(mode):
    """OpenCV's border arguments for a scikit-image mode (None: not available)."""
    if common.cv2 is None:
        return None
    return {
        "ignore": {},  # OpenCV's default: dilation pads -inf, erosion +inf
        "constant": {"borderType": common.cv2.BORDER_CONSTANT, "borderValue": 0},
        "min": {"borderType": common.cv2.BORDER_CONSTANT, "borderValue": 0},
        "max": {"borderType": common.cv2.BORDER_CONSTANT, "borderValue": 1},
        "reflect": {"borderType": common.cv2.BORDER_REFLECT},
        "mirror": {"borderType": common.cv2.BORDER_REFLECT_101},
        "nearest": {"borderType": common.cv2.BORDER_REPLICATE},
    }.get(mode)


@functools.lru_cache(maxsize=64)
def _cv2_kernels(shape, size, image_shape):
    """The 2D footprint padded as scikit-image pads it, and its mirror, for OpenCV."""
    fp = bounded_footprint(shape, size, image_shape)
    kernel = np.ascontiguousarray(morphology.pad_footprint(fp, pad_end=False), np.uint8)
    return kernel, np.ascontiguousarray(kernel[::-1, ::-1])


def _open_or_close(mask, shape, size, mode, out, closing):
    """Binary closing or opening, equal to scikit-image's with ``mode``.

    ``fp`` is ``footprint(shape, size, mask.ndim)``, cropped to the image
    (``bounded_footprint``: the same result).  scikit-image pads an even
    footprint at its start to an odd size, applies the first operation
    (dilation for a closing, erosion for an opening) with it and the second
    with its mirror; the OpenCV path (2D, every mode but ``"wrap"``) does the
    same with the kernel centred.
    """
    border = _cv2_border(mode)
    if border is None or not use_cv2(mask):
        fp = bounded_footprint(shape, size, mask.shape)
        operation = morphology.closing if closing else morphology.opening
        return into(out, operation(mask, fp, mode=mode))
    first, second = (
        (common.cv2.dilate, common.cv2.erode)
        if closing
        else (common.cv2.erode, common.cv2.dilate)
    )
    kernel, mirrored = _cv2_kernels(shape, size, mask.shape)
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


def _holes(background, max_area, connectivity):
    """Label the background and find its holes.

    A hole is a component of ``background`` (at ``connectivity``) without a
    pixel on the image border, of area ``<= max_area`` (None: any area).

    Returns
    -------
    components : ndarray of int
        The background components, ids 1..n; 0 on the foreground.
    is_hole : ndarray of bool, shape (n + 1,)
        Which ids are holes; ``is_hole[0]`` is False.
    """
    components, n = label_mask(background, connectivity)
    is_hole = np.ones(n + 1, dtype=bool)
    is_hole[border_ids(components, 0)] = False
    is_hole[0] = False
    if max_area is not None:
        areas = bincount(components, n + 1, skip_zeros=True)
        is_hole &= areas <= max_area
    return components, is_hole


def fill_mask_holes(mask, max_area, connectivity, out=None):
    components, is_hole = _holes(~mask, max_area, connectivity)
    is_hole[0] = True  # the foreground stays
    return take(is_hole, components, out)


def _neighbour_pairs(components, in_hole, labels, connectivity):
    """Every (hole id, object id) of a hole pixel next to an object pixel.

    Gathered offset by offset over the neighbourhood at ``connectivity``,
    without a loop over holes; pairs may repeat.
    """
    structure = ndi.generate_binary_structure(labels.ndim, connectivity)
    holes, ids = [], []
    for offset in zip(*np.nonzero(structure)):
        if all(o == 1 for o in offset):
            continue
        # hole pixels ``here`` and their neighbours ``there``, offset - 1 away
        here = tuple(
            slice(max(0, 1 - o), n - max(0, o - 1))
            for o, n in zip(offset, labels.shape)
        )
        there = tuple(
            slice(max(0, o - 1), n - max(0, 1 - o))
            for o, n in zip(offset, labels.shape)
        )
        neighbours = labels[there]
        found = in_hole[here] & (neighbours != 0)
        holes.append(components[here][found])
        ids.append(neighbours[found])
    return np.concatenate(holes), np.concatenate(ids)


def _enclosing_ids(components, is_hole, labels, connectivity):
    """The id each hole is filled with; 0 where no object encloses it alone.

    Every neighbour (at ``connectivity``) of a hole pixel outside the hole is
    an object pixel.  The smallest and largest neighbouring id of each hole
    are gathered offset by offset, without a loop over holes: when they are
    equal, that object encloses the hole.  Holes next to several objects
    are resolved by :func:`_innermost_enclosing`.

    Returns
    -------
    lut : ndarray, shape (len(is_hole),)
        The id each background component is filled with; 0 for none.
    """
    dtype = kept_label_dtype(labels.dtype)
    in_hole = take(is_hole, components, None)
    holes, ids = _neighbour_pairs(components, in_hole, labels, connectivity)
    lowest = np.full(len(is_hole), np.iinfo(labels.dtype).max, dtype=labels.dtype)
    highest = np.zeros(len(is_hole), dtype=labels.dtype)
    np.minimum.at(lowest, holes, ids)
    np.maximum.at(highest, holes, ids)
    lut = np.where(is_hole & (lowest == highest), highest, 0).astype(dtype)
    shared = is_hole & (lowest != highest)
    if shared.any():
        _innermost_enclosing(lut, shared, components, labels, connectivity)
    return lut


def _edges(image):
    """The values on the border of an image, with repeats."""
    pieces = []
    for axis in range(image.ndim):
        for end in (0, -1):
            index = (slice(None),) * axis + (end,)
            pieces.append(image[index].reshape(-1))
    return np.concatenate(pieces)


def _innermost_enclosing(lut, shared, components, labels, connectivity):
    """Fill ``lut`` for the holes next to several objects.

    Such a hole is filled with the id of the innermost of its neighbouring
    objects that encloses it alone: the object whose own hole (a component
    of the complement of its mask, off the border) holds it and is the
    smallest.  Objects are the connected pieces of the ids (at full
    connectivity), whatever the values of the ids, so the result does not
    depend on how ids are numbered.  Each neighbouring object is examined
    once, within its bounding box: a component of its complement leaves the
    box only by reaching the border.
    """
    in_shared = take(shared, components, None)
    objects = relabel_components(labels, None)
    id_of = np.zeros(int(objects.max()) + 1, dtype=lut.dtype)
    id_of[objects] = labels
    holes, neighbours = _neighbour_pairs(components, in_shared, objects, connectivity)
    ids = np.unique(neighbours)
    boxes = ndi.find_objects(objects)
    # the (object, hole) pairs, once each, grouped by object
    n_holes = len(lut)
    keys = np.searchsorted(ids, neighbours).astype(np.int64) * n_holes + holes
    ranks, holes = np.divmod(np.unique(keys), n_holes)
    # a pixel of each shared hole
    flat = np.flatnonzero(in_shared)
    pixel_of = np.zeros(n_holes, dtype=np.intp)
    pixel_of[components.reshape(-1)[flat]] = flat
    best_area = np.full(n_holes, np.inf)
    starts = np.flatnonzero(np.diff(ranks, prepend=-1))
    for rank, group in zip(ranks[starts], np.split(holes, starts[1:])):
        label = ids[rank]
        box = boxes[label - 1]
        points = np.unravel_index(pixel_of[group], labels.shape)
        inside = np.ones(len(group), dtype=bool)
        for s, p in zip(box, points):
            inside &= (p >= s.start) & (p < s.stop)
        if not inside.any():
            continue
        group = group[inside]
        points = tuple(p[inside] - s.start for s, p in zip(box, points))
        complement, n = label_mask(objects[box] != label, connectivity)
        enclosed = np.ones(n + 1, dtype=bool)
        enclosed[_edges(complement)] = False
        held = complement[points]
        group, held = group[enclosed[held]], held[enclosed[held]]
        areas = np.bincount(complement.reshape(-1), minlength=n + 1)[held]
        inner = areas < best_area[group]
        best_area[group[inner]] = areas[inner]
        lut[group[inner]] = id_of[label]


def fill_label_holes(labels, max_area, connectivity, out=None):
    components, is_hole = _holes(labels == 0, max_area, connectivity)
    dtype = kept_label_dtype(labels.dtype)
    if out is not None and out.dtype != dtype:
        out = None  # the batch widens its result from a new array
    if not is_hole.any():
        return into(out, labels.astype(dtype))
    lut = _enclosing_ids(components, is_hole, labels, connectivity)
    filled = take(lut, components, out)
    return np.add(filled, labels, out=filled, casting="unsafe")
