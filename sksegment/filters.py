"""Filters on intensity images: smoothing before thresholding.

The filters keep intensities in the images' own units (never rescaled to
[0, 1]), so a threshold learned after smoothing compares with the raw
images' values.
"""

from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError, StrOptions

from sksegment import _kernels
from sksegment._base import ImageStepMixin, ImageTransformer
from sksegment._chunks import Overlap
from sksegment._docstrings import fill_doc
from sksegment._validation import StrictInterval

__all__ = ["Smoother"]


@fill_doc
class Smoother(ImageTransformer):
    """Smooth intensity images before thresholding: Gaussian or median filter.

    Noise makes a thresholded mask ragged and speckled; smoothing first gives
    smoother objects and fewer specks.  ``"gaussian"`` equals
    ``skimage.filters.gaussian(image, sigma=sigma, preserve_range=True)``;
    ``"median"`` equals ``skimage.filters.median(image, footprint)`` for a
    square (a cube in 3D) footprint of side ``size``, which removes
    salt-and-pepper noise and keeps edges sharp.  Pixels outside the image
    are read as the nearest edge pixel (``mode="nearest"``, scikit-image's
    default for both).

    Parameters
    ----------
    method : {"gaussian", "median"}, default="gaussian"
        The filter.
    sigma : float, default=1.0
        Standard deviation of the Gaussian in pixels, the same along every
        axis; must be > 0 (exclusive).  Used by ``"gaussian"`` only.
    size : int, default=3
        Side of the median filter's square (cube) footprint in pixels; odd,
        >= 1 (inclusive), and 1 leaves images unchanged.  Used by
        ``"median"`` only.  A window reaching more than 4 times the image's
        largest side beyond each pixel (``size // 2 > 4 * max(shape)``)
        raises a ``ValueError``.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    skimage.filters.gaussian : The Gaussian filter of one image.
    skimage.filters.median : The median filter of one image.
    OtsuThresholder : The step that usually follows.

    Notes
    -----
    Intensities stay in the images' own units, never rescaled to [0, 1];
    bool images are read as 0 and 1.  ``"median"`` keeps the input's dtype;
    ``"gaussian"`` returns float32 for bool and 8- and 16-bit integer images,
    float64 for wider integers, and keeps float dtypes.  A Gaussian much
    wider than the image is folded at its edges, at a cost bounded by the
    image (:ref:`smoothing`).  The step learns nothing.  Dask arrays: see
    :ref:`dask-split-chunks`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import Smoother
    >>> images = np.array([[[0, 0, 0, 0],
    ...                     [0, 90, 0, 0],
    ...                     [0, 0, 0, 0]]], dtype=np.uint8)
    >>> Smoother("median").transform(images)
    array([[[0, 0, 0, 0],
            [0, 0, 0, 0],
            [0, 0, 0, 0]]], dtype=uint8)
    >>> Smoother(sigma=1.0).transform(images).round(1)  # in uint8 units
    array([[[ 5.3,  8.7,  5.3,  1.2],
            [ 8.7, 14.3,  8.7,  1.9],
            [ 5.3,  8.7,  5.3,  1.2]]], dtype=float32)
    """

    _reads = "intensity"
    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "method": [StrOptions({"gaussian", "median"})],
        "sigma": [StrictInterval(Real, 0, None, closed="neither")],
        "size": [StrictInterval(Integral, 1, None, closed="left")],
    }
    _stateless = True

    def __init__(
        self, method="gaussian", *, sigma=1.0, size=3, image_shape=None, n_jobs=None
    ):
        self.method = method
        self.sigma = sigma
        self.size = size
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _check_params(self):
        if self.method == "median" and self.size % 2 == 0:
            raise InvalidParameterError(
                f"Smoother: the median filter needs an odd size, so that the "
                f"median is one of the pixel values; got size={self.size}."
            )

    def _on_split_chunks(self, batch):
        """Images chunked within images: an overlap of the filter's radius.

        Each chunk is extended by the Gaussian's radius (scipy's
        ``int(4.0 * sigma + 0.5)``) or half the median's footprint; at the
        image's own edges nothing is added and the in-memory filter applies
        ``mode="nearest"`` there.  Every output pixel is computed from the
        same pixels by the same operations as in memory: the result is equal
        at every chunking, to the bit.
        """
        dtype = np.dtype(batch.array.dtype)
        shape = batch.array.shape[1:]
        if self.method == "gaussian":
            # past an axis's length, the chunks hold the whole axis (the
            # depth is clipped to it), where the Gaussian is folded as in
            # memory
            depth = int(4.0 * self.sigma + 0.5)
            func = partial(_kernels.gaussian_filter, sigma=self.sigma, full_shape=shape)
            return Overlap(depth, _kernels.gaussian_dtype(dtype), func)
        self._check_median_size(shape)
        return Overlap(self.size // 2, dtype)

    def _check_median_size(self, shape):
        limit = 4 * max(shape)  # the largest radius
        if self.size // 2 > limit:
            raise ValueError(
                f"Smoother: the median window (size={self.size}) reaches more "
                f"than 4 times the image's largest side (shape {tuple(shape)}) "
                "beyond each pixel: its median would mostly count the edge "
                "pixels over and over, at a cost growing with size. Use "
                f"size <= {2 * limit + 1}."
            )

    def _transform_image(self, image, out=None):
        if self.method == "gaussian":
            return _kernels.gaussian_filter(image, self.sigma, out)
        self._check_median_size(image.shape)
        return _kernels.median_filter(image, self.size, out)
