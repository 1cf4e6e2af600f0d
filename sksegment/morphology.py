"""Morphological steps on masks: closing, opening and hole filling.

The steps read their input as masks (:class:`MorphCloser`,
:class:`MorphOpener`) or as masks or label images (:class:`HoleFiller`) and
learn nothing: ``fit`` only validates, and ``transform`` works unfitted.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError, StrOptions

from sksegment import _kernels
from sksegment._base import ImageStepMixin, ImageTransformer
from sksegment._chunks import Global, Overlap, WholeImages
from sksegment._docstrings import fill_doc
from sksegment._validation import StrictInterval, as_objects

__all__ = ["HoleFiller", "MorphCloser", "MorphOpener"]

_MODES = {"ignore", "reflect", "constant", "nearest", "mirror", "wrap", "max", "min"}


class _MaskMorphology(ImageTransformer):
    """Shared by the footprint steps: parameters, checks and the mask reading.

    Subclasses define ``__init__`` (their own default ``size``) and
    ``_operation``, the name of the kernel for ``size > 1``.
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "size": [StrictInterval(Integral, 1, None, closed="left")],
        "shape": [StrOptions({"square", "disk", "diamond"})],
        "mode": [StrOptions(_MODES)],
    }
    _stateless = True

    def _check_params(self):
        if self.shape != "square" and self.size % 2 == 0:
            raise InvalidParameterError(
                f"{type(self).__name__}: a {self.shape} has an odd diameter; got "
                f"size={self.size}. Use an odd size or shape='square'."
            )

    def _apply(self, mask, out):
        operation = getattr(_kernels, self._operation)
        return operation(mask, self.shape, self.size, self.mode, out)

    def _on_split_chunks(self, batch):
        """Masks chunked within images: an overlap, exact at every chunking.

        A closing or an opening changes a pixel from the pixels within twice
        the footprint's radius (a dilation then an erosion, or the reverse),
        so each chunk is extended by that depth; at the image's own edges
        nothing is added and the in-memory kernel applies ``mode`` there; with
        ``mode="wrap"`` the chunks at the edges are extended by the opposite
        edge instead.
        """
        fp = _kernels.bounded_footprint(self.shape, self.size, batch.array.shape[1:])
        depth = 2 * (max(fp.shape) // 2)
        wrap = self.mode == "wrap"
        if wrap and depth > min(batch.array.shape[1:]):
            return WholeImages(" (mode='wrap' with a footprint wider than the image)")
        return Overlap(depth, bool, periodic=wrap)

    def _transform_image(self, image, out=None):
        mask = image if image.dtype == bool else image != 0
        if self.size == 1:
            if out is not None:
                np.copyto(out, mask)
                return out
            return mask.copy() if mask is image else mask
        return self._apply(mask, out)


@fill_doc
class MorphCloser(_MaskMorphology):
    """Binary closing of masks: mend cracks and gaps narrower than the footprint.

    A closing is a dilation followed by an erosion with the same footprint.
    The result equals ``skimage.morphology.closing(mask, footprint,
    mode=mode)`` for the footprint named by ``shape`` and ``size``.

    Parameters
    ----------
    size : int, default=5
        Side of the square, or diameter ``2 * r + 1`` of the disk or diamond,
        in pixels.  1 leaves masks unchanged.
    shape : {"square", "disk", "diamond"}, default="square"
        Footprint shape; in 3D a cube, a ball or an octahedron.  ``"disk"``
        and ``"diamond"`` need an odd ``size``.
    mode : str, default="ignore"
        How pixels outside the image are treated, as in
        ``skimage.morphology.closing``: ``"ignore"`` (outside pixels never
        change the result, so the closing is extensive and idempotent for
        every footprint; a gap between an object and the border that the
        footprint spans is filled), ``"reflect"``, ``"constant"`` (outside is
        background), ``"nearest"``, ``"mirror"``, ``"wrap"``, ``"max"`` or
        ``"min"``.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    skimage.morphology.closing : The operation on one image.
    MorphOpener : The dual step: removes specks and thin bridges.
    HoleFiller : Fills holes of any width.

    Notes
    -----
    Input of any dtype is read as a mask (its nonzero pixels), and the output
    is a bool mask; the step learns nothing (:ref:`step-common`).  A
    footprint wider than the image is cropped, with the same result
    (:ref:`morphology-footprints`).

    Dask arrays: see :ref:`dask-split-chunks`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import MorphCloser
    >>> mask = np.zeros((1, 7, 9), dtype=bool)
    >>> mask[0, 2:5, 2:4] = mask[0, 2:5, 5:7] = True  # a crack at column 4
    >>> MorphCloser(size=3).transform(mask)[0].astype(int)
    array([[0, 0, 0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0, 0, 0],
           [0, 0, 1, 1, 1, 1, 1, 0, 0],
           [0, 0, 1, 1, 1, 1, 1, 0, 0],
           [0, 0, 1, 1, 1, 1, 1, 0, 0],
           [0, 0, 0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0, 0, 0]])
    """

    def __init__(
        self, size=5, *, shape="square", mode="ignore", image_shape=None, n_jobs=None
    ):
        self.size = size
        self.shape = shape
        self.mode = mode
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    _operation = "closing"  # the kernel of _kernels
    _on_split_chunks = _MaskMorphology._on_split_chunks


@fill_doc
class MorphOpener(_MaskMorphology):
    """Binary opening of masks: remove specks and bridges thinner than the footprint.

    An opening is an erosion followed by a dilation with the same footprint:
    it keeps the parts of the mask the footprint fits inside.  The result
    equals ``skimage.morphology.opening(mask, footprint, mode=mode)`` for the
    footprint named by ``shape`` and ``size``.

    Parameters
    ----------
    size : int, default=3
        Side of the square, or diameter ``2 * r + 1`` of the disk or diamond,
        in pixels.  1 leaves masks unchanged.
    shape : {"square", "disk", "diamond"}, default="square"
        Footprint shape; in 3D a cube, a ball or an octahedron.  ``"disk"``
        and ``"diamond"`` need an odd ``size``.
    mode : str, default="ignore"
        How pixels outside the image are treated, as in
        ``skimage.morphology.opening``: ``"ignore"`` (outside pixels never
        change the result, so the opening is anti-extensive and idempotent
        for every footprint, and an object cut by the border is not eroded
        from the border side), ``"reflect"``, ``"constant"`` (outside is
        background: objects touching the border lose a rim there),
        ``"nearest"``, ``"mirror"``, ``"wrap"``, ``"max"`` or ``"min"``.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    skimage.morphology.opening : The operation on one image.
    MorphCloser : The dual step: mends cracks and gaps.
    AreaFilter : Removes small objects whatever their shape.

    Notes
    -----
    Input of any dtype is read as a mask (its nonzero pixels), and the output
    is a bool mask; the step learns nothing (:ref:`step-common`).  A
    footprint wider than the image is cropped, with the same result
    (:ref:`morphology-footprints`).

    Dask arrays: see :ref:`dask-split-chunks`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import MorphOpener
    >>> mask = np.zeros((1, 6, 10), dtype=bool)
    >>> mask[0, 1:5, 1:4] = mask[0, 1:5, 6:9] = True  # two squares
    >>> mask[0, 2, 4:6] = True  # a bridge one pixel thick
    >>> mask[0, 5, 0] = True  # a speck
    >>> MorphOpener(size=3).transform(mask)[0].astype(int)
    array([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
           [0, 1, 1, 1, 0, 0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0, 0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0, 0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0, 0, 1, 1, 1, 0],
           [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
    """

    def __init__(
        self, size=3, *, shape="square", mode="ignore", image_shape=None, n_jobs=None
    ):
        self.size = size
        self.shape = shape
        self.mode = mode
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    _operation = "opening"
    _on_split_chunks = _MaskMorphology._on_split_chunks


# --- hole filling ---------------------------------------------------------------


@fill_doc
class HoleFiller(ImageTransformer):
    """Fill the holes of objects: background enclosed by foreground.

    A hole is a connected component of the background that does not touch
    the image border.  Holes of at most ``max_area`` pixels are filled (the
    bound is inclusive); with ``max_area=None`` every hole is, as
    ``scipy.ndimage.binary_fill_holes`` fills them.

    Parameters
    ----------
    max_area : float or None, default=None
        Largest area of a hole filled, in pixels (voxels in 3D), inclusive;
        None fills every hole whatever its area.
    connectivity : int or None, default=None
        Which neighbours join background pixels into one hole, as in
        ``skimage.morphology.remove_small_holes``: 1 for face neighbours
        only, up to the number of dimensions.  None means 1, the default of
        scikit-image and scipy for holes (:ref:`hole-filling`).  It must not
        exceed the images' number of dimensions.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    scipy.ndimage.binary_fill_holes : Fills every hole of a mask.
    skimage.morphology.remove_small_holes : Fills small background components.
    MorphCloser : Mends gaps and cracks open to the outside.

    Notes
    -----
    A bool image is a mask, and the output is a bool mask: with
    ``max_area=None`` it equals ``scipy.ndimage.binary_fill_holes(mask,
    structure)`` for the structure of ``connectivity``.  A float image is
    read as the mask of its nonzero pixels.  An integer image is a label
    image: each hole takes the id of the innermost object that encloses it
    on its own, and the ids are kept (:ref:`hole-filling`).  Background
    touching the border is never a hole, unlike in
    ``remove_small_holes``.  The step learns nothing.  Dask arrays: see
    :ref:`dask-split-chunks`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import HoleFiller
    >>> mask = np.array([[[1, 1, 1, 1, 1, 1, 0],
    ...                   [1, 0, 1, 0, 0, 1, 0],
    ...                   [1, 1, 1, 0, 0, 1, 0],
    ...                   [1, 1, 1, 1, 1, 1, 0]]], dtype=bool)
    >>> HoleFiller().transform(mask)[0].astype(int)
    array([[1, 1, 1, 1, 1, 1, 0],
           [1, 1, 1, 1, 1, 1, 0],
           [1, 1, 1, 1, 1, 1, 0],
           [1, 1, 1, 1, 1, 1, 0]])
    >>> HoleFiller(max_area=3).transform(mask)[0].astype(int)
    array([[1, 1, 1, 1, 1, 1, 0],
           [1, 1, 1, 0, 0, 1, 0],
           [1, 1, 1, 0, 0, 1, 0],
           [1, 1, 1, 1, 1, 1, 0]])

    A label image keeps its ids:

    >>> labels = np.array([[[1, 1, 1, 0, 2, 2, 2],
    ...                     [1, 0, 1, 0, 2, 0, 2],
    ...                     [1, 1, 1, 0, 2, 2, 2]]], dtype=np.uint8)
    >>> HoleFiller().transform(labels)
    array([[[1, 1, 1, 0, 2, 2, 2],
            [1, 1, 1, 0, 2, 2, 2],
            [1, 1, 1, 0, 2, 2, 2]]], dtype=int32)
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "max_area": [None, StrictInterval(Real, 0, None, closed="left")],
        "connectivity": [None, StrictInterval(Integral, 1, 3, closed="both")],
    }
    _stateless = True

    def __init__(
        self, max_area=None, *, connectivity=None, image_shape=None, n_jobs=None
    ):
        self.max_area = max_area
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _on_split_chunks(self, batch):
        """Images chunked within images: holes found by global labeling."""
        batch.check_connectivity(self.connectivity)
        if np.dtype(batch.array.dtype).kind in "ui":
            return WholeImages(
                " (on label images, which object encloses a hole depends on whole "
                "objects)"
            )
        return Global(self._fill_split)

    def _fill_split(self, batch):
        from sksegment._dask import DaskBatch, global_objects, objects_of, unfused

        connectivity = 1 if self.connectivity is None else self.connectivity
        mask = objects_of(batch, bool)
        mask = unfused(mask)  # read by the labeling and by the union below
        # holes: background components off the border, of at most max_area
        holes = global_objects(
            DaskBatch(~mask, self, False),
            connectivity,
            "clear",
            buffer_size=0,
            max_area=self.max_area,
        )[0]
        return mask | holes

    def _transform_image(self, image, out=None):
        objects, is_labels = as_objects(image, "HoleFiller", self.connectivity)
        connectivity = 1 if self.connectivity is None else self.connectivity
        if is_labels:
            return _kernels.fill_label_holes(objects, self.max_area, connectivity, out)
        return _kernels.fill_mask_holes(objects, self.max_area, connectivity, out)
