"""Smoothing kernels: a Gaussian and a median filter equal to scipy's."""

import math

import numpy as np
from scipy import ndimage as ndi

from sksegment._kernels import common
from sksegment._kernels.common import as_numbers

# Dtypes OpenCV's median filter takes for any odd size, and for sizes 3 and 5.
_CV2_MEDIAN_ANY = {np.dtype(np.uint8)}


_CV2_MEDIAN_SMALL = {np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32)}


def gaussian_dtype(dtype):
    """The dtype of the Gaussian of an image of ``dtype``.

    Decided by the kind and size of ``dtype``, not its byte order: float32
    for bool and 8- and 16-bit integers (float32 holds each of their values
    exactly), float64 for wider integers, the float dtype itself for floats.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return dtype.newbyteorder("=")
    if dtype.kind == "b" or dtype.itemsize <= 2:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _gaussian_tail(sigma, start, stop):
    """``sum(exp(-d**2 / (2 * sigma**2)) for d in range(start, stop + 1))``.

    Summed term by term up to 2**20 terms; beyond, by the integral of the
    Gaussian over ``[start - 1/2, stop + 1/2]`` (the midpoint rule, whose
    error, about ``1 / sigma**2`` of the sum, is below float rounding for
    the sigmas of that many terms).
    """
    if stop - start < 1 << 20:
        d = np.arange(start, stop + 1, dtype=np.float64)
        return float(np.exp(-0.5 / sigma**2 * d * d).sum())
    scale = sigma * math.sqrt(2)
    return (
        sigma
        * math.sqrt(math.pi / 2)
        * (math.erf((stop + 0.5) / scale) - math.erf((start - 0.5) / scale))
    )


def _folded_weights(sigma, n):
    """scipy's Gaussian weights for an axis of ``n`` pixels, in ``2n + 1`` taps.

    With ``mode="nearest"`` every offset of ``n`` or more reads the edge
    pixel, as the offset ``n`` does: the weights of those offsets (up to
    scipy's radius ``int(4 * sigma + 0.5)``) are summed on the taps at
    ``-n`` and ``n``.  The filter is the same, up to float rounding, at a
    cost bounded by the image instead of by ``sigma``.
    """
    d = np.arange(n, dtype=np.float64)
    inner = np.exp(-0.5 / sigma**2 * d * d)
    tail = _gaussian_tail(sigma, n, int(4.0 * sigma + 0.5))
    weights = np.concatenate([[tail], inner[:0:-1], inner, [tail]])
    return weights / weights.sum()


def gaussian_filter(image, sigma, out=None, full_shape=None):
    """``skimage.filters.gaussian(image, sigma, preserve_range=True)``, see Smoother.

    scikit-image's defaults: ``mode="nearest"``, ``truncate=4.0``.  Along
    the axes of ``full_shape`` (the whole image's shape; the image's own by
    default) more than 4 times shorter than the Gaussian's radius, the
    weights beyond the image are folded onto its edge pixels
    (``_folded_weights``); other axes are filtered by scipy as they are.
    """
    dtype = gaussian_dtype(image.dtype)
    if out is None or out.dtype != dtype:
        out = np.empty(image.shape, dtype=dtype)
    src = as_numbers(image)
    radius = int(4.0 * sigma + 0.5)
    folded = [radius > 4 * n for n in (full_shape or image.shape)]
    if not any(folded):
        return ndi.gaussian_filter(src, sigma, output=out, mode="nearest", truncate=4.0)
    for axis, fold in enumerate(folded):  # one axis after the other, as scipy
        if fold:
            weights = _folded_weights(sigma, image.shape[axis])
            ndi.correlate1d(src, weights, axis, output=out, mode="nearest")
        else:
            ndi.gaussian_filter1d(
                src, sigma, axis, output=out, mode="nearest", truncate=4.0
            )
        src = out
    return out


def median_filter(image, size, out=None):
    """``skimage.filters.median(image, np.ones((size,) * image.ndim))``.

    scikit-image's default ``mode="nearest"``; the result has the image's
    dtype.  OpenCV's median filter (border replicated, that is ``"nearest"``)
    is used for the 2D images and sizes it takes, scipy's for the rest.
    """
    src = as_numbers(image)
    if out is not None and out.dtype != image.dtype:
        out = None
    dst = None if out is None else out.view(src.dtype)
    if (
        common.cv2 is not None
        and src.ndim == 2
        and size > 1
        and (
            src.dtype in _CV2_MEDIAN_ANY
            or (size <= 5 and src.dtype in _CV2_MEDIAN_SMALL)
        )
    ):
        result = common.cv2.medianBlur(np.ascontiguousarray(src), size)
        if dst is not None:
            dst[...] = result
            return out
        return result.view(image.dtype)
    if dst is None:
        dst = np.empty(src.shape, dtype=src.dtype)
    ndi.median_filter(src, size=size, output=dst, mode="nearest")
    return dst.view(image.dtype) if out is None else out
