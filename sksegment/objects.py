"""Steps on objects: border clearing, labeling, filtering, splitting, guarding.

These steps read their input as objects: a bool image is a mask whose
objects are its connected components (at the step's ``connectivity``); an
integer image is a label image whose objects are its nonzero ids; a float
image is read as the mask of its nonzero pixels.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import StrOptions

from sksegment import _kernels
from sksegment._base import ImageStepMixin, ImageTransformer
from sksegment._chunks import Global
from sksegment._docstrings import fill_doc
from sksegment._kernels.regions import PROPERTIES_2D_ONLY as _PROPERTIES_2D_ONLY
from sksegment._validation import (
    StrictInterval,
    as_objects,
    check_bounds,
    renamed_parameters,
)

__all__ = [
    "AreaFilter",
    "BorderClearer",
    "ComponentLabeler",
    "MaxCountGuard",
    "ObjectFilter",
    "WatershedSplitter",
]

_CONNECTIVITY = [None, StrictInterval(Integral, 1, 3, closed="both")]


class _ObjectStep(ImageTransformer):
    """A step that reads its input as a mask or label image."""

    _stateless = True

    def _objects(self, image):
        """The image as (mask or labels, is_labels)."""
        return as_objects(image, type(self).__name__, self.connectivity)


@fill_doc
class BorderClearer(_ObjectStep):
    """Remove the objects that touch the image border.

    Objects partly outside the field of view cannot be measured or counted
    fairly; this step removes every object with a pixel within
    ``buffer_size`` pixels of the border, as
    ``skimage.segmentation.clear_border`` does.

    Parameters
    ----------
    buffer_size : int, default=0
        Width of the border zone besides the outermost pixels: objects with a
        pixel closer than ``buffer_size + 1`` pixels to an edge are removed.
        It must be smaller than every image dimension.
    %(connectivity)s
        Only used for masks.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    skimage.segmentation.clear_border : The operation on one image.

    Notes
    -----
    The output is of the input's kind: a mask for a mask, a label image for a
    label image, ids kept as ``clear_border`` keeps them
    (:ref:`label-dtypes`).  On a label image a whole id is
    removed when any pixel of it touches the border zone, even where the id
    has pieces elsewhere; ``clear_border`` removes only the touching piece.
    For label images whose objects are connected the two agree.

    Dask arrays, images split into chunks included: :ref:`dask-split-chunks`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import BorderClearer
    >>> labels = np.array([[[1, 0, 0, 0],
    ...                     [0, 0, 2, 0],
    ...                     [0, 0, 0, 0]]], dtype=np.uint8)
    >>> BorderClearer().transform(labels)
    array([[[0, 0, 0, 0],
            [0, 0, 2, 0],
            [0, 0, 0, 0]]], dtype=int32)
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "buffer_size": [StrictInterval(Integral, 0, None, closed="left")],
        "connectivity": _CONNECTIVITY,
    }

    def __init__(
        self, buffer_size=0, *, connectivity=None, image_shape=None, n_jobs=None
    ):
        self.buffer_size = buffer_size
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _on_split_chunks(self, batch):
        """Masks chunked within images: objects joined across chunks."""
        if self.buffer_size >= min(batch.array.shape[1:]):
            raise ValueError(
                f"BorderClearer: buffer_size={self.buffer_size} must be smaller than "
                "every image dimension; got images of shape "
                f"{batch.array.shape[1:]}."
            )
        return Global(self._clear_split)

    def _clear_split(self, batch):
        from sksegment._dask import global_ids, global_objects, reads_labels

        if reads_labels(batch):
            return global_ids(batch, "clear", buffer_size=self.buffer_size)[0]
        return global_objects(
            batch, self.connectivity, "clear", buffer_size=self.buffer_size
        )[0]

    def _transform_image(self, image, out=None):
        objects, is_labels = self._objects(image)
        if self.buffer_size >= min(image.shape):
            raise ValueError(
                f"BorderClearer: buffer_size={self.buffer_size} must be smaller than "
                f"every image dimension; got an image of shape {image.shape}."
            )
        if is_labels:
            return _kernels.clear_border_labels(objects, self.buffer_size, out)
        return _kernels.clear_border_mask(
            objects, self.buffer_size, self.connectivity, out
        )


@fill_doc
class ComponentLabeler(_ObjectStep):
    """Label connected components: masks in, label images with ids 1..n out.

    Equal to ``skimage.measure.label(image, connectivity=connectivity)``.

    Parameters
    ----------
    %(connectivity)s
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    skimage.measure.label : The operation on one image.

    Notes
    -----
    Ids are given in raster order of each object's first pixel.  The output
    is int32 (int64 for images of more than 2**31 - 1 pixels).  A
    label image as input is relabeled as ``skimage.measure.label`` does:
    each connected piece of each id becomes an object, and touching objects
    with different ids stay apart.

    Dask arrays, images split into chunks included: :ref:`dask-split-chunks`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import ComponentLabeler
    >>> mask = np.array([[[1, 1, 0, 0],
    ...                   [0, 0, 0, 1],
    ...                   [0, 0, 1, 1]]], dtype=bool)
    >>> ComponentLabeler().transform(mask)
    array([[[1, 1, 0, 0],
            [0, 0, 0, 2],
            [0, 0, 2, 2]]], dtype=int32)
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "connectivity": _CONNECTIVITY,
    }

    def __init__(self, connectivity=None, *, image_shape=None, n_jobs=None):
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _on_split_chunks(self, batch):
        """Masks chunked within images: labeled globally, ids a permutation."""
        return Global(self._label_split)

    def _label_split(self, batch):
        from sksegment._dask import global_objects

        return global_objects(batch, self.connectivity, "label")[0]

    def _transform_image(self, image, out=None):
        objects, is_labels = self._objects(image)
        if is_labels:
            return _kernels.relabel_components(objects, self.connectivity, out)
        return _kernels.label_mask(objects, self.connectivity, out)[0]


@fill_doc
class AreaFilter(_ObjectStep):
    """Keep the objects whose area lies within bounds.

    An object of ``a`` pixels is kept when ``min_area <= a <= max_area``:
    both bounds are inclusive.  The recipe's "area > 100" is
    ``min_area=101``.

    Parameters
    ----------
    min_area : float or None, default=None
        Smallest area kept, in pixels (voxels in 3D), inclusive; None for no
        lower bound.
    max_area : float or None, default=None
        Largest area kept, inclusive; None for no upper bound.
    %(connectivity)s
        Only used for masks.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    skimage.morphology.remove_small_objects : Removes objects up to a size.
    skimage.measure.regionprops : Object areas and other properties.

    Notes
    -----
    The output is of the input's kind: a mask stays a mask; a label image
    stays a label image, renumbered 1..n in the order of the kept ids
    (int32; int64 for images of more than 2**31 - 1 pixels).  The area of
    an id of a label
    image is its number of pixels, wherever they lie.

    Dask arrays, images split into chunks included: :ref:`dask-split-chunks`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import AreaFilter
    >>> labels = np.array([[[1, 1, 0, 3],
    ...                     [1, 1, 0, 0],
    ...                     [0, 0, 0, 4]]])
    >>> AreaFilter(min_area=2).transform(labels)
    array([[[1, 1, 0, 0],
            [1, 1, 0, 0],
            [0, 0, 0, 0]]], dtype=int32)
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "min_area": [None, StrictInterval(Real, 0, None, closed="left")],
        "max_area": [None, StrictInterval(Real, 0, None, closed="left")],
        "connectivity": _CONNECTIVITY,
    }

    def __init__(
        self,
        min_area=None,
        max_area=None,
        *,
        connectivity=None,
        image_shape=None,
        n_jobs=None,
    ):
        self.min_area = min_area
        self.max_area = max_area
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _check_params(self):
        check_bounds("AreaFilter", "min_area", self.min_area, "max_area", self.max_area)

    def _on_split_chunks(self, batch):
        """Masks chunked within images: areas of objects joined across chunks."""
        return Global(self._filter_split)

    def _filter_split(self, batch):
        from sksegment._dask import global_ids, global_objects, reads_labels

        if reads_labels(batch):
            return global_ids(
                batch, "area", min_area=self.min_area, max_area=self.max_area
            )[0]
        return global_objects(
            batch,
            self.connectivity,
            "area",
            min_area=self.min_area,
            max_area=self.max_area,
        )[0]

    def _transform_image(self, image, out=None):
        objects, is_labels = self._objects(image)
        if is_labels:
            return _kernels.area_filter_labels(
                objects, self.min_area, self.max_area, out
            )
        return _kernels.area_filter_mask(
            objects, self.min_area, self.max_area, self.connectivity, out
        )


# --- splitting touching objects -------------------------------------------------


@fill_doc
class WatershedSplitter(_ObjectStep):
    """Split touching objects by a watershed of their distance transform.

    CellProfiler's "shape" declumping: two round objects that touch form one
    connected component with a narrow neck, and the distance of each pixel
    to the background has one maximum per object.  The step takes those
    maxima as markers and floods the negated distance map from them
    (``skimage.segmentation.watershed``), so each marker grows into one
    object::

        distance = scipy.ndimage.distance_transform_edt(mask)
        peaks = skimage.feature.peak_local_max(
            distance, min_distance=min_distance, footprint=footprint,
            labels=components, exclude_border=False)
        markers = skimage.measure.label(peaks and the flat tops they are on)
        labels = skimage.segmentation.watershed(
            -distance, markers, mask=mask, connectivity=connectivity)

    Parameters
    ----------
    min_distance : int, default=5
        Smallest distance, in pixels, between two markers, as in
        ``skimage.feature.peak_local_max``: a maximum of the distance map is
        a marker when it is the largest value within ``min_distance`` pixels
        (a square window of side ``2 * min_distance + 1``) and no higher
        marker is closer than ``min_distance`` (Chebyshev distance; markers
        exactly ``min_distance`` apart are both kept).  Objects whose
        centres are closer than this are not split.  At least 1; a value
        beyond an image's largest side acts as that side (the same markers,
        at a cost bounded by the image).
    footprint : array-like of bool or None, default=None
        Window in which a marker must be the maximum, as in
        ``peak_local_max``; it replaces the square of side
        ``2 * min_distance + 1``.  It must have the images' number of
        dimensions.
    method : {"distance"}, default="distance"
        What is flooded: ``"distance"``, the distance transform of the
        objects (splitting by shape).  Splitting by intensity would need the
        intensity image, which this step does not see.
    %(connectivity)s
        Used to find the objects of a mask, the pieces of each object of a
        label image, and the neighbours in the watershed.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    skimage.segmentation.watershed : The flooding.
    skimage.feature.peak_local_max : The markers.
    scipy.ndimage.distance_transform_edt : The distance map.

    Notes
    -----
    The output is a label image, int32 (int64 for images of more than
    2**31 - 1 pixels), with
    ids 1..n; every pixel of the input's objects belongs to one output
    object.  For a mask, the ids follow the raster order of the markers'
    first pixels.  For a label image each object is split within its own
    pixels (the distance is to the nearest pixel outside the object, the
    flood never crosses into another object) and the pieces are numbered
    object by object in increasing id, then in raster order of their
    markers.

    The distance is to the nearest background pixel inside the image: the
    image edge is not background (as in ``distance_transform_edt``), so an
    object cut by the edge has its maximum there; clear border objects
    first.

    A flat top of the distance map (a connected plateau with no higher
    neighbour, as ``skimage.morphology.local_maxima`` finds them: the ridge
    of a rod of constant width, or a top of a few pixels) gives
    ``peak_local_max`` several peaks ``min_distance`` or more apart, or an
    arbitrary one of its pixels.  Here a flat top holding a peak is one
    marker whole, so a rod is one object whatever its length, and the
    result does not depend on which pixels ``peak_local_max`` picks.  Peaks
    next to each other also form one marker.  ``min_distance`` should be
    about the radius of the smallest objects: smaller values split
    elongated objects, larger ones miss the centres of small touching
    objects.

    Dask arrays need whole images in each chunk: the distance map of an
    object depends on all its pixels (:ref:`dask-split-chunks`).

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import WatershedSplitter
    >>> mask = np.array([[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ...                   [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0],
    ...                   [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
    ...                   [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
    ...                   [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0],
    ...                   [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]], dtype=bool)
    >>> WatershedSplitter(min_distance=2).transform(mask)
    array([[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            [0, 1, 1, 1, 1, 0, 2, 2, 2, 2, 0],
            [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0],
            [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0],
            [0, 1, 1, 1, 1, 0, 2, 2, 2, 2, 0],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]], dtype=int32)
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "min_distance": [StrictInterval(Integral, 1, None, closed="left")],
        "footprint": [None, "array-like"],
        "method": [StrOptions({"distance"})],
        "connectivity": _CONNECTIVITY,
    }

    def __init__(
        self,
        min_distance=5,
        *,
        footprint=None,
        method="distance",
        connectivity=None,
        image_shape=None,
        n_jobs=None,
    ):
        self.min_distance = min_distance
        self.footprint = footprint
        self.method = method
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _footprint(self, ndim):
        if self.footprint is None:
            return None
        footprint = np.asarray(self.footprint)
        if footprint.dtype.kind not in "biu" or footprint.ndim != ndim:
            raise ValueError(
                f"WatershedSplitter: footprint must be an array of bools (or 0 and "
                f"1) with the images' {ndim} dimensions; got an array of shape "
                f"{footprint.shape} and dtype {footprint.dtype}."
            )
        if not footprint.any():
            raise ValueError(
                "WatershedSplitter: footprint must have at least one True value."
            )
        return footprint.astype(bool)

    def _transform_image(self, image, out=None):
        objects, is_labels = self._objects(image)
        footprint = self._footprint(image.ndim)
        if is_labels:
            return _kernels.split_labels(
                objects, self.min_distance, footprint, self.connectivity
            )
        pieces, n = _kernels.label_mask(objects, self.connectivity)
        if n == 0:
            return np.zeros(image.shape, dtype=np.int32)
        return _kernels.split_region(
            objects, pieces, self.min_distance, footprint, self.connectivity
        )[0]


# --- filtering by any shape property ---------------------------------------------

# Scalar properties of skimage.measure.regionprops (scikit-image 0.26) that
# need no intensity image; some are defined in 2D only (PROPERTIES_2D_ONLY).
_SCALAR_PROPERTIES = frozenset(
    {
        "area",
        "area_bbox",
        "area_convex",
        "area_filled",
        "axis_major_length",
        "axis_minor_length",
        "eccentricity",
        "equivalent_diameter_area",
        "euler_number",
        "extent",
        "feret_diameter_max",
        "num_pixels",
        "orientation",
        "perimeter",
        "perimeter_crofton",
        "solidity",
    }
)


class _SortedStrOptions(StrOptions):
    """``StrOptions`` whose error message lists the options in sorted order."""

    def __str__(self):
        return f"a str among {{{', '.join(repr(o) for o in sorted(self.options))}}}"


@fill_doc
class ObjectFilter(_ObjectStep):
    """Keep the objects whose shape property lies within bounds.

    An object is kept when ``min_value <= value <= max_value`` (both bounds inclusive),
    ``value`` being the object's ``property`` as
    ``skimage.measure.regionprops`` measures it.  CellProfiler's
    "FilterObjects" by a measurement: drop elongated debris by
    eccentricity, ragged clumps by solidity, and so on.

    Parameters
    ----------
    property : str, default="eccentricity"
        Name of a scalar property of ``skimage.measure.regionprops`` that
        needs no intensity image: ``"area"``, ``"area_bbox"``,
        ``"area_convex"``, ``"area_filled"``, ``"axis_major_length"``,
        ``"axis_minor_length"``, ``"eccentricity"``,
        ``"equivalent_diameter_area"``, ``"euler_number"``, ``"extent"``,
        ``"feret_diameter_max"``, ``"num_pixels"``, ``"orientation"``,
        ``"perimeter"``, ``"perimeter_crofton"`` or ``"solidity"``.
        ``"eccentricity"``, ``"orientation"``, ``"perimeter"`` and
        ``"perimeter_crofton"`` are defined for 2D images only.
    min_value : float or None, default=None
        Smallest value kept, inclusive; None for no lower bound.
    max_value : float or None, default=None
        Largest value kept, inclusive; None for no upper bound.
    %(connectivity)s
        Only used for masks.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    AreaFilter : The same for the area, with its own parameter names.
    skimage.measure.regionprops : The properties and their definitions.

    Notes
    -----
    The output is of the input's kind: a mask stays a mask; a label image
    stays a label image, renumbered 1..n in the order of the kept ids
    (int32; int64 for images of more than 2**31 - 1 pixels).  The property
    of an id of a
    label image is measured on all its pixels, wherever they lie.  An object
    whose value is NaN is removed when a bound is set.  With no bound
    nothing is measured and every object is kept, so a 2D-only property
    raises an error on 3D images only when a bound is set.
    ``ObjectFilter("area", min_value=a, max_value=b)`` equals ``AreaFilter(a, b)``.

    In 3D, scikit-image computes the convex-hull properties
    (``"area_convex"``, ``"feret_diameter_max"``, ``"solidity"``) with
    Qhull, which fails on objects whose voxels lie in one plane: it warns,
    or, for ``"feret_diameter_max"``, raises an error.

    Dask arrays, images split into chunks included, are measured as
    :func:`region_table` measures them (:ref:`dask-split-chunks`).

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import ObjectFilter
    >>> mask = np.array([[[1, 1, 1, 1, 1, 0, 0],
    ...                   [0, 0, 0, 0, 0, 0, 0],
    ...                   [0, 0, 0, 0, 1, 1, 0],
    ...                   [0, 0, 0, 0, 1, 1, 0]]], dtype=bool)
    >>> ObjectFilter("eccentricity", max_value=0.9).transform(mask).astype(int)
    array([[[0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1, 1, 0],
            [0, 0, 0, 0, 1, 1, 0]]])
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "property": [_SortedStrOptions(_SCALAR_PROPERTIES)],
        "min_value": [None, StrictInterval(Real, None, None, closed="neither")],
        "max_value": [None, StrictInterval(Real, None, None, closed="neither")],
        "connectivity": _CONNECTIVITY,
    }

    @renamed_parameters(min="min_value", max="max_value")
    def __init__(
        self,
        property="eccentricity",
        *,
        min_value=None,
        max_value=None,
        connectivity=None,
        image_shape=None,
        n_jobs=None,
    ):
        self.property = property
        self.min_value = min_value
        self.max_value = max_value
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def __setstate__(self, state):
        # a step pickled or saved before the rename keeps its bounds
        for old, new in (("min", "min_value"), ("max", "max_value")):
            if old in state and new not in state:
                state[new] = state.pop(old)
        super().__setstate__(state)

    def _check_params(self):
        check_bounds(
            "ObjectFilter", "min_value", self.min_value, "max_value", self.max_value
        )

    def _values(self, labels):
        """The property of each nonzero id of ``labels``, in increasing id."""
        from skimage.measure import regionprops_table

        try:
            table = regionprops_table(labels, properties=["label", self.property])
        except ValueError as error:  # marching cubes on a flat 3D object
            raise ValueError(
                f"ObjectFilter: scikit-image could not measure "
                f"property={self.property!r} on a {labels.ndim}D image: {error} "
                f"(convex-hull properties fail on 3D objects that lie in one "
                f"plane)."
            ) from error
        return table["label"], np.asarray(table[self.property], dtype=np.float64)

    def _on_split_chunks(self, batch):
        """Images split into chunks: objects measured over the chunks."""
        self._check_2d(batch.array.ndim - 1, batch.array.shape[1:])
        return Global(self._filter_split)

    def _filter_split(self, batch):
        from sksegment._dask_regions import filter_objects

        return filter_objects(
            batch, self.property, self.min_value, self.max_value, self.connectivity
        )

    def _check_2d(self, ndim, shape):
        bounded = self.min_value is not None or self.max_value is not None
        if bounded and ndim != 2 and self.property in _PROPERTIES_2D_ONLY:
            raise ValueError(
                f"ObjectFilter: property={self.property!r} is defined for 2D images "
                f"only; got a {ndim}D image of shape {shape}. The "
                f"2D-only properties are {sorted(_PROPERTIES_2D_ONLY)}."
            )

    def _transform_image(self, image, out=None):
        objects, is_labels = self._objects(image)
        bounded = self.min_value is not None or self.max_value is not None
        self._check_2d(image.ndim, image.shape)
        if is_labels:
            if not bounded:
                return _kernels.area_filter_labels(objects, None, None, out)
            labels, top = _kernels.sequential(objects)
            ids, values = self._values(labels)
            keep = _kernels.in_bounds(values, self.min_value, self.max_value)
            return _kernels.keep_ids(labels, top, ids[keep], out)
        if not bounded:
            return _into_copy(objects, out)
        labels, n = _kernels.label_mask(objects, self.connectivity)
        keep = np.zeros(n + 1, dtype=bool)
        if n:
            ids, values = self._values(labels)
            keep[ids] = _kernels.in_bounds(values, self.min_value, self.max_value)
        return _kernels.take(keep, labels, out)


def _into_copy(array, out):
    """A copy of ``array``, in ``out`` when given (never ``array`` itself)."""
    if out is None or out.dtype != array.dtype:
        return array.copy()
    out[...] = array
    return out


# --- guarding against failed segmentations ------------------------------------


@fill_doc
class MaxCountGuard(_ObjectStep):
    """Erase every object of an image that has more than ``max_count`` objects.

    A threshold that fails (on an empty field, say) turns noise into
    thousands of specks; CellProfiler's "discard objects if more than N"
    guards against counting them.  An image with at most ``max_count``
    objects (inclusive: exactly ``max_count`` is kept) passes unchanged; an
    image with more becomes empty.

    Parameters
    ----------
    max_count : int, default=1000
        Largest number of objects an image may have and be kept, inclusive;
        at least 0.
    %(connectivity)s
        Only used for masks, whose objects are their connected components.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    ObjectCounter : Counts the objects of each image.

    Notes
    -----
    The output is of the input's kind: a mask stays a mask; a label image
    keeps its ids (not renumbered, :ref:`label-dtypes`).
    The objects of a label image are its distinct nonzero ids.  Each image
    is judged on its own.

    Dask arrays, images split into chunks included: :ref:`dask-split-chunks`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import MaxCountGuard
    >>> masks = np.array([[[1, 0, 1, 0, 1]],
    ...                   [[1, 1, 0, 0, 1]]], dtype=bool)
    >>> MaxCountGuard(max_count=2).transform(masks).astype(int)
    array([[[0, 0, 0, 0, 0]],
    <BLANKLINE>
           [[1, 1, 0, 0, 1]]])
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "max_count": [StrictInterval(Integral, 0, None, closed="left")],
        "connectivity": _CONNECTIVITY,
    }

    def __init__(
        self, max_count=1000, *, connectivity=None, image_shape=None, n_jobs=None
    ):
        self.max_count = max_count
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _on_split_chunks(self, batch):
        """Images chunked within images: global counts, then each image kept or not."""
        return Global(self._guard_split)

    def _guard_split(self, batch):
        import dask.array as da

        from sksegment._dask import (
            DaskBatch,
            global_ids,
            global_objects,
            objects_of,
            reads_labels,
            unfused,
        )

        array = batch.array
        batch.check_connectivity(self.connectivity)
        # the chunks are read twice, to count and to keep or erase them
        batch = DaskBatch(unfused(array), self, batch.finite)
        if reads_labels(batch):
            counts = global_ids(batch, "count")[1]
            dtype = _kernels.kept_label_dtype(array.dtype)
        else:
            counts = global_objects(batch, self.connectivity, "label", result=False)[1]
            dtype = np.dtype(bool)
        objects = objects_of(batch, dtype)
        keep = (counts <= self.max_count).reshape((-1,) + (1,) * (array.ndim - 1))
        return da.where(keep, objects, np.zeros((), dtype=dtype))

    def _transform_image(self, image, out=None):
        objects, is_labels = self._objects(image)
        if is_labels:
            count = _kernels.count_labels(objects)
            dtype = _kernels.kept_label_dtype(objects.dtype)
        else:
            count = _kernels.count_mask(objects, self.connectivity)
            dtype = bool
        if out is None or out.dtype != dtype:
            out = np.empty(image.shape, dtype=dtype)
        if count > self.max_count:
            out[...] = 0
        else:
            out[...] = objects
        return out
