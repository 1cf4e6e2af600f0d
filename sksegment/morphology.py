"""Morphological steps on masks."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions

from sksegment import _kernels
from sksegment._base import ImageStepMixin, ImageTransformer

__all__ = ["MorphCloser"]

_MODES = {"ignore", "reflect", "constant", "nearest", "mirror", "wrap", "max", "min"}


class MorphCloser(ImageTransformer):
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
    skimage.morphology.closing : The operation on one image.

    Notes
    -----
    Input of any dtype is read as a mask: bool as is, other dtypes as their
    nonzero pixels.  The output is a bool mask.  The step learns nothing:
    ``fit`` only validates, and ``transform`` works unfitted.

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

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "size": [Interval(Integral, 1, None, closed="left")],
        "shape": [StrOptions({"square", "disk", "diamond"})],
        "mode": [StrOptions(_MODES)],
    }
    _stateless = True

    def __init__(
        self, size=5, *, shape="square", mode="ignore", image_shape=None, n_jobs=None
    ):
        self.size = size
        self.shape = shape
        self.mode = mode
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _check_params(self):
        if self.shape != "square" and self.size % 2 == 0:
            raise InvalidParameterError(
                f"MorphCloser: a {self.shape} has an odd diameter; got "
                f"size={self.size}. Use an odd size or shape='square'."
            )

    def _transform_image(self, image, out=None):
        mask = image if image.dtype == bool else image != 0
        if self.size == 1:
            if out is not None:
                np.copyto(out, mask)
                return out
            return mask.copy() if mask is image else mask
        return _kernels.closing(mask, self.shape, self.size, self.mode, out)
