"""Per-object properties of label images, for all objects at once.

Each property is one function, registered by name in ``PROPERTIES``, of an
image's *measures*: its objects' ids, pixel counts, coordinate means,
bounding boxes, intensity moments and second moments of the coordinates.
The measures come from the pixels of a whole image (``Regions``) or from the
summaries of its chunks merged (``sksegment._dask_regions``); the same
function gives a property from either, so adding a property is one function
here.  The values equal ``skimage.measure.regionprops_table``'s up to
floating-point rounding; the other regionprops properties are measured by
scikit-image itself.

Measures (attributes of either source):

``ndim``, ``n``
    the images' dimensions; the number of objects;
``ids``
    the distinct nonzero ids, increasing;
``num_pixels``
    pixels per object, int64;
``centroid``
    a float64 array per axis, the mean coordinate;
``bbox_min``, ``bbox_max``
    an int array per axis, the smallest and largest coordinate;
``coord_m2``
    2D only: sums over each object of ``dr * dr``, ``dr * dc`` and
    ``dc * dc``, the deviations of the coordinates from the centroid;
``intensity_mean``, ``intensity_m2``, ``intensity_min``, ``intensity_max``
    of the intensity image: mean, sum of squared deviations from the mean,
    extremes;
``intensity_median``
    from the pixels only (``Regions``).
"""

from collections.abc import Callable
from functools import cached_property
from typing import NamedTuple

import numpy as np

from sksegment._kernels.common import ids_fit_table

__all__ = ["PROPERTIES", "PROPERTIES_2D_ONLY", "Regions", "column", "fast_properties"]

# regionprops properties defined for 2D label images only (scikit-image
# raises NotImplementedError in 3D).
PROPERTIES_2D_ONLY = frozenset(
    {
        "eccentricity",
        "moments_hu",
        "moments_weighted_hu",
        "orientation",
        "perimeter",
        "perimeter_crofton",
    }
)


class Property(NamedTuple):
    """How one property is computed from an image's measures."""

    compute: Callable
    ndims: frozenset  # the image dimensions it is defined for here
    summable: bool  # whether chunk summaries merged give it


PROPERTIES = {}


def _register(name, *, ndims=(2, 3), summable=True):
    def add(compute):
        PROPERTIES[name] = Property(compute, frozenset(ndims), summable)
        return compute

    return add


def fast_properties(ndim, *, summable_only=False):
    """The registered properties of images of ``ndim`` dimensions."""
    return frozenset(
        name
        for name, prop in PROPERTIES.items()
        if ndim in prop.ndims and (prop.summable or not summable_only)
    )


def column(measures, name):
    """The values of property ``name``, a list of arrays (one per column)."""
    if measures.n == 0:
        width = {"centroid": measures.ndim, "bbox": 2 * measures.ndim}.get(name, 1)
        return [np.zeros(0, np.int64)] * width
    return PROPERTIES[name].compute(measures)


# --- the properties ---------------------------------------------------------------


@_register("label")
def _label(m):
    return [m.ids]


@_register("num_pixels")
def _num_pixels(m):
    return [m.num_pixels]


@_register("area")
def _area(m):
    return [m.num_pixels.astype(np.float64)]


@_register("centroid")
def _centroid(m):
    return list(m.centroid)


def _box(m):
    """Start (inclusive) and stop (exclusive) per axis, as regionprops."""
    starts = [np.asarray(a).astype(np.int64, copy=False) for a in m.bbox_min]
    stops = [np.asarray(a).astype(np.int64) + 1 for a in m.bbox_max]
    return starts, stops


@_register("bbox")
def _bbox(m):
    starts, stops = _box(m)
    return [*starts, *stops]


def _area_bbox_values(m):
    starts, stops = _box(m)
    return np.prod([b - a for a, b in zip(starts, stops)], axis=0).astype(np.float64)


@_register("area_bbox")
def _area_bbox(m):
    return [_area_bbox_values(m)]


@_register("extent")
def _extent(m):
    return [m.num_pixels / _area_bbox_values(m)]


@_register("equivalent_diameter_area")
def _equivalent_diameter_area(m):
    area = m.num_pixels.astype(np.float64)
    return [(2 * m.ndim * area / np.pi) ** (1 / m.ndim)]


@_register("intensity_mean")
def _intensity_mean(m):
    return [m.intensity_mean]


@_register("intensity_std")
def _intensity_std(m):
    return [np.sqrt(m.intensity_m2 / m.num_pixels)]


@_register("intensity_min")
def _intensity_min(m):
    return [np.asarray(m.intensity_min).astype(np.float64)]


@_register("intensity_max")
def _intensity_max(m):
    return [np.asarray(m.intensity_max).astype(np.float64)]


@_register("intensity_median", summable=False)
def _intensity_median(m):
    return [m.intensity_median]


def _inertia_eigvals(m):
    """Eigenvalues of the 2D inertia tensor, larger first, clipped at 0."""
    rr, rc, cc = (s / m.num_pixels for s in m.coord_m2)
    half_trace = (cc + rr) / 2
    root = np.hypot((cc - rr) / 2, -rc)
    return np.maximum(half_trace + root, 0), np.maximum(half_trace - root, 0)


@_register("axis_major_length", ndims=(2,))
def _axis_major_length(m):
    return [4 * np.sqrt(_inertia_eigvals(m)[0])]


@_register("axis_minor_length", ndims=(2,))
def _axis_minor_length(m):
    return [4 * np.sqrt(_inertia_eigvals(m)[1])]


@_register("eccentricity", ndims=(2,))
def _eccentricity(m):
    # 0 for objects whose inertia is 0 (single pixels)
    l1, l2 = _inertia_eigvals(m)
    ratio = np.divide(l2, l1, out=np.ones_like(l1), where=l1 > 0)
    return [np.sqrt(1 - ratio)]


# --- measures from the pixels of one image -----------------------------------------


class Regions:
    """The objects of one label image, measured together from their pixels.

    Only the object pixels (nonzero labels) are gathered, once, in raster
    order; every measure is then a ``numpy.bincount`` or a sorted
    ``reduceat`` over them, for all objects at once.  Objects are the
    distinct nonzero ids, in increasing order, as in ``regionprops``.
    """

    def __init__(self, labels, image=None):
        self.shape = labels.shape
        self.ndim = labels.ndim
        self.image = image
        flat = labels.reshape(-1)
        self.index = np.flatnonzero(flat != 0)  # faster than on the ints
        lab = flat[self.index]
        if lab.size == 0:
            self.ids = np.zeros(
                0, dtype=np.uint64 if labels.dtype == np.uint64 else np.int64
            )
            self.inverse = np.zeros(0, dtype=np.intp)
            self.n = 0
            return
        top = int(lab.max())
        if ids_fit_table(lab, top):
            lab = lab.astype(np.intp, copy=False)
            counts = np.bincount(lab, minlength=top + 1)
            ids = np.flatnonzero(counts)
            if len(ids) == top:  # ids 1..top: no renumbering
                inverse = lab - 1
            else:
                lookup = np.zeros(top + 1, dtype=np.intp)
                lookup[ids] = np.arange(len(ids))
                inverse = lookup[lab]
            self._area = counts[ids]
        else:
            ids, inverse = np.unique(lab, return_inverse=True)
        # int64 ids, uint64 for uint64 labels: ids >= 2**63 never wrap
        wide = labels.dtype == np.uint64
        self.ids = ids.astype(np.uint64 if wide else np.int64, copy=False)
        self.inverse = inverse
        self.n = len(ids)

    def column(self, name):
        """The values of property ``name``, a list of arrays."""
        return column(self, name)

    def sum(self, weights):
        """Per object, the sum of ``weights`` (one value per object pixel)."""
        return np.bincount(self.inverse, weights, minlength=self.n)

    @cached_property
    def _sorted(self):
        """Order of the object pixels grouped by object, and group starts."""
        order = np.argsort(self.inverse, kind="stable")
        starts = np.zeros(self.n, dtype=np.intp)
        np.cumsum(self.num_pixels[:-1], out=starts[1:])
        return order, starts

    def reduce(self, ufunc, values):
        """Per object, ``ufunc.reduce`` of ``values`` (one per object pixel)."""
        order, starts = self._sorted
        return ufunc.reduceat(values[order], starts)

    @cached_property
    def num_pixels(self):
        if hasattr(self, "_area"):
            return self._area.astype(np.int64, copy=False)
        return np.bincount(self.inverse, minlength=self.n).astype(np.int64)

    @cached_property
    def coords(self):
        return np.unravel_index(self.index, self.shape)

    @cached_property
    def centroid(self):
        return [self.sum(c) / self.num_pixels for c in self.coords]

    @cached_property
    def bbox_min(self):
        return [self.reduce(np.minimum, c) for c in self.coords]

    @cached_property
    def bbox_max(self):
        return [self.reduce(np.maximum, c) for c in self.coords]

    @cached_property
    def coord_m2(self):
        rows, cols = self.coords
        cy, cx = self.centroid
        dr = rows - cy[self.inverse]
        dc = cols - cx[self.inverse]
        return self.sum(dr * dr), self.sum(dr * dc), self.sum(dc * dc)

    @cached_property
    def values(self):
        """The intensities of the object pixels."""
        return self.image.reshape(-1)[self.index]

    @cached_property
    def intensity_mean(self):
        return self.sum(self.values.astype(np.float64)) / self.num_pixels

    @cached_property
    def intensity_m2(self):
        deviation = self.values - self.intensity_mean[self.inverse]
        return self.sum(deviation * deviation)

    @cached_property
    def intensity_min(self):
        return self.reduce(np.minimum, self.values)

    @cached_property
    def intensity_max(self):
        return self.reduce(np.maximum, self.values)

    @cached_property
    def intensity_median(self):
        # sorted by object, then by value within each object
        order = np.lexsort((self.values, self.inverse))
        ordered = self.values[order]
        starts = self._sorted[1]
        size = self.num_pixels
        low = ordered[starts + (size - 1) // 2].astype(np.float64)
        high = ordered[starts + size // 2].astype(np.float64)
        return (low + high) / 2
