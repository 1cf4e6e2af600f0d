"""Thresholders: intensity images in, bool masks out."""

from numbers import Integral, Real

import numpy as np
from skimage.filters import threshold_otsu
from sklearn.utils._param_validation import Interval, StrOptions

from sksegment._base import ImageStepMixin, ImageTransformer
from sksegment._kernels import pooled_histogram
from sksegment._validation import warn_user

__all__ = ["OtsuThresholder"]


def _intensity(image):
    """Bool images are thresholded as 0/1 integers."""
    return image.view(np.uint8) if image.dtype == bool else image


class OtsuThresholder(ImageTransformer):
    """Threshold images at Otsu's threshold, learned over the training batch.

    ``fit`` learns ``threshold_``: the value ``skimage.filters.threshold_otsu``
    gives for all training pixels together.  The histograms of the images are
    pooled, never their pixels, so a batch costs no more memory than one
    image; for integer images the result equals ``threshold_otsu`` of the
    stacked batch exactly.  ``transform`` returns the bool masks
    ``image > threshold_``.

    Parameters
    ----------
    threshold : float or None, default=None
        A fixed threshold in the images' own units, used as is; None learns
        Otsu's.  A grid can mix None and numbers.
    nbins : int, default=256
        Number of histogram bins for float images.  Integer images use one bin
        per integer value, as scikit-image does.
    scope : {"batch", "image"}, default="batch"
        ``"batch"`` learns one threshold in ``fit``; ``"image"`` computes
        Otsu's threshold of each image at transform time instead (then
        ``threshold_`` is None).  Ignored when ``threshold`` is a number.
    image_shape : tuple of int or None, default=None
        When set, ``X`` may be a 2D array of flattened images, one per row,
        each of this shape (one entry may be -1); the output is flattened the
        same way.
    n_jobs : int or None, default=None
        Number of threads over the images of a batch; None means 1, -1 means
        all cores.  The result does not depend on it.

    Attributes
    ----------
    threshold_ : float, int or None
        The threshold used by ``transform``: the fixed ``threshold``, the
        learned Otsu threshold, or None with ``scope="image"``.
    n_features_in_ : int
        Number of values per row; only set when fitted on flattened images.

    See Also
    --------
    skimage.filters.threshold_otsu : The threshold for one image.
    MorphCloser : The step that usually follows.

    Notes
    -----
    Images whose pixels all have one value have no Otsu threshold: the value
    itself is used (as ``threshold_otsu`` does), so such an image is all
    background, and a ``UserWarning`` says so.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import OtsuThresholder
    >>> images = np.array([[[10, 10, 200], [10, 220, 210]]], dtype=np.uint8)
    >>> step = OtsuThresholder().fit(images)
    >>> step.threshold_
    10
    >>> step.transform(images)
    array([[[False, False,  True],
            [False,  True,  True]]])
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "threshold": [None, Real],
        "nbins": [Interval(Integral, 2, None, closed="left")],
        "scope": [StrOptions({"batch", "image"})],
    }

    def __init__(
        self, threshold=None, *, nbins=256, scope="batch", image_shape=None, n_jobs=None
    ):
        self.threshold = threshold
        self.nbins = nbins
        self.scope = scope
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _otsu(self, images, what):
        hist = pooled_histogram([_intensity(im) for im in images], self.nbins)
        if hist is None:
            value = _intensity(images[0]).flat[0].item()
            warn_user(
                f"{type(self).__name__}: {what} constant (every pixel is {value}); "
                f"using {value} as the threshold, so such an image is all background."
            )
            return value
        return threshold_otsu(hist=hist).item()

    def _fit(self, batch):
        if self.threshold is not None:
            self.threshold_ = self.threshold
        elif self.scope == "image":
            self.threshold_ = None
        else:
            self.threshold_ = self._otsu(batch.images, "the training images are")

    def _transform_image(self, image, out=None):
        threshold = self.threshold_
        if threshold is None:
            threshold = self._otsu([image], "an image is")
        return np.greater(_intensity(image), threshold, out=out)
