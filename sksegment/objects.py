"""Steps on objects: border clearing, labeling and filtering by area.

These steps read their input as objects: a bool image is a mask whose
objects are its connected components (at the step's ``connectivity``); an
integer image is a label image whose objects are its nonzero ids; a float
image is read as the mask of its nonzero pixels.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, InvalidParameterError

from sksegment import _kernels
from sksegment._base import ImageStepMixin, ImageTransformer
from sksegment._validation import as_objects

__all__ = ["AreaFilter", "BorderClearer", "ComponentLabeler"]

_CONNECTIVITY = [None, Interval(Integral, 1, 3, closed="both")]

_CONNECTIVITY_DOC = """connectivity : int or None, default=None
        Which neighbours join pixels of a mask into one object, as in
        ``skimage.measure.label``: 1 for face neighbours only, up to the
        number of dimensions (8-connectivity in 2D); None means full
        connectivity.  It must not exceed the images' number of dimensions."""


class _ObjectStep(ImageTransformer):
    """A step that reads its input as a mask or label image."""

    _stateless = True

    def _objects(self, image):
        """The image as (mask or labels, is_labels)."""
        return as_objects(image, type(self).__name__, self.connectivity)


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
    image_shape : tuple of int or None, default=None
        When set, ``X`` may be a 2D array of flattened images, one per row,
        each of this shape (one entry may be -1); the output is flattened the
        same way.
    n_jobs : int or None, default=None
        Number of threads over the images of a batch; None means 1, -1 means
        all cores.  The result does not depend on it.

    Attributes
    ----------
    n_features_in_ : int
        Number of values per row; only set when fitted on flattened images.

    See Also
    --------
    skimage.segmentation.clear_border : The operation on one image.

    Notes
    -----
    The output is of the input's kind: a mask for a mask, a label image for a
    label image (ids kept, not renumbered, as ``clear_border`` keeps them;
    int32 unless larger ids need int64).  On a label image a whole id is
    removed when any pixel of it touches the border zone, even where the id
    has pieces elsewhere; ``clear_border`` removes only the touching piece.
    For label images whose objects are connected the two agree.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import BorderClearer
    >>> labels = np.array([[[1, 0, 0, 0],
    ...                     [0, 0, 2, 0],
    ...                     [0, 0, 0, 0]]])
    >>> BorderClearer().transform(labels)
    array([[[0, 0, 0, 0],
            [0, 0, 2, 0],
            [0, 0, 0, 0]]], dtype=int32)
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "buffer_size": [Interval(Integral, 0, None, closed="left")],
        "connectivity": _CONNECTIVITY,
    }

    def __init__(
        self, buffer_size=0, *, connectivity=None, image_shape=None, n_jobs=None
    ):
        self.buffer_size = buffer_size
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

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


class ComponentLabeler(_ObjectStep):
    """Label connected components: masks in, label images with ids 1..n out.

    Equal to ``skimage.measure.label(image, connectivity=connectivity)``.

    Parameters
    ----------
    %(connectivity)s
    image_shape : tuple of int or None, default=None
        When set, ``X`` may be a 2D array of flattened images, one per row,
        each of this shape (one entry may be -1); the output is flattened the
        same way.
    n_jobs : int or None, default=None
        Number of threads over the images of a batch; None means 1, -1 means
        all cores.  The result does not depend on it.

    Attributes
    ----------
    n_features_in_ : int
        Number of values per row; only set when fitted on flattened images.

    See Also
    --------
    skimage.measure.label : The operation on one image.

    Notes
    -----
    Ids are given in raster order of each object's first pixel.  The output
    is int32 (int64 when an image has more objects than int32 holds).  A
    label image as input is relabelled as ``skimage.measure.label`` does:
    each connected piece of each id becomes an object, and touching objects
    with different ids stay apart.

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

    def _transform_image(self, image, out=None):
        objects, is_labels = self._objects(image)
        if is_labels:
            return _kernels.relabel_components(objects, self.connectivity, out)
        return _kernels.label_mask(objects, self.connectivity, out)[0]


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
    image_shape : tuple of int or None, default=None
        When set, ``X`` may be a 2D array of flattened images, one per row,
        each of this shape (one entry may be -1); the output is flattened the
        same way.
    n_jobs : int or None, default=None
        Number of threads over the images of a batch; None means 1, -1 means
        all cores.  The result does not depend on it.

    Attributes
    ----------
    n_features_in_ : int
        Number of values per row; only set when fitted on flattened images.

    See Also
    --------
    skimage.morphology.remove_small_objects : Removes objects up to a size.
    skimage.measure.regionprops : Object areas and other properties.

    Notes
    -----
    The output is of the input's kind: a mask stays a mask; a label image
    stays a label image, renumbered 1..n in the order of the kept ids
    (int32 unless more objects need int64).  The area of an id of a label
    image is its number of pixels, wherever they lie.

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
        "min_area": [None, Interval(Real, 0, None, closed="left")],
        "max_area": [None, Interval(Real, 0, None, closed="left")],
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
        if (
            self.min_area is not None
            and self.max_area is not None
            and self.min_area > self.max_area
        ):
            raise InvalidParameterError(
                f"AreaFilter: min_area={self.min_area} is larger than "
                f"max_area={self.max_area}; no object could be kept."
            )

    def _transform_image(self, image, out=None):
        objects, is_labels = self._objects(image)
        if is_labels:
            return _kernels.area_filter_labels(
                objects, self.min_area, self.max_area, out
            )
        return _kernels.area_filter_mask(
            objects, self.min_area, self.max_area, self.connectivity, out
        )


for _cls in (BorderClearer, ComponentLabeler, AreaFilter):
    _cls.__doc__ = _cls.__doc__ % {"connectivity": _CONNECTIVITY_DOC}
