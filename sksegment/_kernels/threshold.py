"""Threshold kernels: pooled histograms and the maths of the threshold methods.

Histograms are pooled over images (or chunks) without stacking them, binned
as scikit-image bins them; the threshold methods that scikit-image computes
from the pixels (Li, triangle, the robust background) are computed here from
a histogram or from the distinct values and their counts.
"""

import math

import numpy as np

from sksegment._kernels import common
from sksegment._kernels.common import as_numbers, bincount


def is_integer(images):
    return all(image.dtype.kind in "biu" for image in images)


def concatenated(images):
    """All pixels of the images in one 1D array (a copy)."""
    return np.concatenate([image.ravel() for image in images])


def value_range(images):
    return min(image.min() for image in images), max(image.max() for image in images)


def counts_uint8(image):
    if common.cv2 is not None and image.size < 2**24 and image.ndim == 2:
        # float32 bin counts are exact below 2**24 pixels
        hist = common.cv2.calcHist(
            [np.ascontiguousarray(image)], [0], None, [256], [0, 256]
        )
        return hist.ravel().astype(np.int64)
    return bincount(image, 256)


# An integer histogram has one bin per integer when the values span at most
# this many integers, or at most one per pixel; wider ranges are binned as
# float images are (``exact_integer_bins``).
EXACT_INT_BINS = 1 << 16


def exact_integer_bins(lo, hi, n_pixels, max_exact=None):
    """Whether integer values from ``lo`` to ``hi`` get one bin per integer.

    ``max_exact`` None: when they span at most ``max(EXACT_INT_BINS,
    n_pixels)`` integers, so that counting costs at most a constant plus the
    pixels; an int: at most that many integers (for methods whose cost grows
    faster than the histogram).
    """
    limit = max(EXACT_INT_BINS, n_pixels) if max_exact is None else max_exact
    return int(hi) - int(lo) + 1 <= limit


def binned_histogram(parts, lo, hi, nbins):
    """Counts of ``parts`` in ``nbins`` equal bins over ``[lo, hi]``, and centres.

    As ``numpy.histogram`` bins them; integer bounds are taken as floats, so
    that the bins do not depend on the type of the bounds.
    """
    if np.asarray(lo).dtype.kind != "f":
        lo, hi = float(lo), float(hi)
    counts = np.zeros(nbins, dtype=np.int64)
    for part in parts:
        counts += np.histogram(part, bins=nbins, range=(lo, hi))[0]
    return counts, bin_centers(lo, hi, nbins)


def bin_centers(lo, hi, nbins):
    """Centres of the ``nbins`` bins ``binned_histogram`` makes over ``[lo, hi]``."""
    if np.asarray(lo).dtype.kind != "f":
        lo, hi = float(lo), float(hi)
    edges = np.histogram_bin_edges(np.array([lo, hi]), bins=nbins, range=(lo, hi))
    return (edges[:-1] + edges[1:]) / 2


def pooled_histogram(images, nbins, max_exact=None):
    """Intensity histogram of several images pooled, as scikit-image bins it.

    Equal to ``skimage.exposure.histogram`` of the stacked images, without
    stacking them: for integer (and bool) images one bin per integer from the
    smallest to the largest value of all images (``nbins`` is ignored, as in
    scikit-image); for float images ``nbins`` equal bins over ``[min, max]``
    of all pixels, centred between numpy's edges.  Integer values spanning
    more integers than ``exact_integer_bins`` allows (``max_exact``) are
    binned as float values are, so that the cost is bounded by the pixels.

    Returns
    -------
    hist : tuple of (counts, bin_centers), or None
        None when every pixel of every image has the same value.  The
        centres are integers exactly when there is one bin per integer.
    """
    images = [as_numbers(im) for im in images]
    if all(im.dtype == np.uint8 for im in images):
        counts = sum(counts_uint8(im) for im in images)
        present = np.flatnonzero(counts)
        lo, hi = present[0], present[-1]
        if lo == hi:
            return None
        return counts[lo : hi + 1], np.arange(lo, hi + 1)
    lo = min(image.min() for image in images)
    hi = max(image.max() for image in images)
    if lo == hi:
        return None
    n_pixels = sum(image.size for image in images)
    if np.result_type(*images).kind == "f" or not exact_integer_bins(
        lo, hi, n_pixels, max_exact
    ):
        return binned_histogram(images, lo, hi, nbins)
    return exact_counts(images, lo, hi), integer_values(lo, hi)


def exact_counts(images, lo, hi):
    """Counts of each integer from ``lo`` to ``hi`` in the integer ``images``."""
    lo, hi = int(lo), int(hi)
    size = hi - lo + 1
    counts = np.zeros(size, dtype=np.int64)
    for image in images:
        if 0 <= lo < size and image.dtype != np.uint64:
            counts += bincount(image, hi + 1)[lo:]  # no shifted copy
            continue
        if image.dtype.kind == "u":  # image >= lo: no overflow in its dtype
            shifted = image - image.dtype.type(lo)
        else:
            shifted = image.astype(np.int64) - lo
        counts += bincount(shifted.astype(np.intp, copy=False), size)
    return counts


def integer_values(lo, hi):
    """The integers from ``lo`` to ``hi``, exactly (uint64 past 2**63 too)."""
    lo, hi = int(lo), int(hi)
    if hi > np.iinfo(np.int64).max:  # uint64 values: np.arange makes floats
        return np.uint64(lo) + np.arange(hi - lo + 1, dtype=np.uint64)
    return np.arange(lo, hi + 1)


def distinct_values(images):
    """Distinct pixel values of all images, ascending, and their counts.

    Integer images are counted with a pooled histogram (exact, no copy of the
    pixels) unless their range is much wider than their number of pixels;
    float images are sorted together.
    """
    if is_integer(images):
        lo, hi = value_range(images)
        n_pixels = sum(image.size for image in images)
        if exact_integer_bins(lo, hi, n_pixels):
            counts, values = pooled_histogram(images, 2)  # not constant here
            keep = counts > 0
            return values[keep], counts[keep]
    values, counts = np.unique(concatenated(images), return_counts=True)
    return values, counts


def _at_ranks(values, counts, ranks):
    """Elements at the given ranks of the sorted sample ``repeat(values, counts)``."""
    return values[np.searchsorted(np.cumsum(counts), ranks, side="right")]


def _median(values, counts, n):
    """``numpy.median`` of the sorted sample ``repeat(values, counts)`` of size n."""
    low, high = _at_ranks(values, counts, [(n - 1) // 2, n // 2])
    return (low + high) / 2


def _percentile(values, counts, n, q):
    """``numpy.percentile(sample, q)`` (linear) of the sorted sample."""
    position = q / 100 * (n - 1)
    below = math.floor(position)
    low, high = _at_ranks(values, counts, [below, min(below + 1, n - 1)])
    t = position - below
    if t >= 0.5:
        return high - (high - low) * (1 - t)
    return low + (high - low) * t


def _binned_mode(values, counts, n):
    """CellProfiler's binned mode (``centrosome.threshold.binned_mode``).

    The sample is cut into ``ceil(sqrt(n))`` equal bins over its range; the
    mode is the sample's percentile at the centre of the fullest bin.
    """
    lo, hi = values[0], values[-1]
    if lo == hi:
        return lo
    n_bins = math.ceil(math.sqrt(n))
    bins = ((values - lo) / (hi - lo) * n_bins).astype(np.intp)
    fullest = np.argmax(np.bincount(bins, weights=counts))
    return _percentile(values, counts, n, 100 * (fullest + 0.5) / n_bins)


def robust_background(values, counts, lower, upper, average, deviation, n_dev):
    """CellProfiler's RobustBackground threshold of a sample given by counts.

    ``values`` ascending with their ``counts`` describe the sorted sample.
    The ``round(n * lower)`` lowest and ``round(n * upper)`` highest values
    are discarded (none when that would discard every value), then the
    threshold is ``average + n_dev * deviation`` of the rest.
    """
    n = int(counts.sum())
    start, stop = round(n * lower), n - round(n * upper)
    if stop <= start:
        start, stop = 0, n
    cum = np.cumsum(counts)
    kept = np.minimum(cum, stop) - np.maximum(cum - counts, start)
    keep = kept > 0
    values = values[keep].astype(np.float64)
    counts = kept[keep]
    n = stop - start
    mean = values @ counts / n
    if average == "mean":
        center = mean
    elif average == "median":
        center = _median(values, counts, n)
    else:
        center = _binned_mode(values, counts, n)
    if deviation == "std":
        spread = math.sqrt(((values - mean) ** 2) @ counts / n)
    else:  # median absolute deviation, unscaled, as CellProfiler's
        distance = np.abs(values - _median(values, counts, n))
        order = np.argsort(distance, kind="stable")
        spread = _median(distance[order], counts[order], n)
    return float(center + n_dev * spread)


def li_from_histogram(counts, values):
    """``threshold_li`` of integer images from their histogram.

    ``counts`` of every integer ``values[0] .. values[-1]`` (zeros included),
    as ``pooled_histogram`` gives them.  For integer images scikit-image
    iterates over such a histogram (of the image shifted to start at 0, with
    float32 weights, a tolerance of 0.5, and the mean as the first guess);
    this is the same computation, so the result is the same, without the
    pixels.  The shift is exact here (int64), where scikit-image's shift in
    the image's own dtype overflows for signed images whose range exceeds the
    dtype's maximum.
    """
    centers = np.arange(len(counts))  # the values shifted to start at 0
    n = int(counts.sum())
    # np.mean of the shifted integers: their exact sum divided by n
    t_next = np.float64(int(centers @ counts)) / n
    hist = counts.astype(np.float32)
    tolerance = 0.5
    t_curr = -2 * tolerance
    while abs(t_next - t_curr) > tolerance:
        t_curr = t_next
        foreground = centers > t_curr
        background = ~foreground
        mean_fore = np.average(centers[foreground], weights=hist[foreground])
        mean_back = np.average(centers[background], weights=hist[background])
        if mean_back == 0:
            break
        t_next = (mean_back - mean_fore) / (np.log(mean_back) - np.log(mean_fore))
    return (t_next + values[0]).item()


def triangle_from_histogram(counts, centers):
    """``threshold_triangle`` of images from their histogram.

    The histogram as scikit-image makes it (one bin per integer for integer
    images, ``nbins`` bins over ``[min, max]`` for float images), which
    ``pooled_histogram`` reproduces; the same arithmetic on it.
    """
    nbins = len(counts)
    arg_peak = np.argmax(counts)
    peak_height = counts[arg_peak]
    arg_low, arg_high = np.flatnonzero(counts)[[0, -1]]
    flip = arg_peak - arg_low < arg_high - arg_peak
    if flip:  # the longer tail on the left
        counts = counts[::-1]
        arg_low = nbins - arg_high - 1
        arg_peak = nbins - arg_peak - 1
    width = arg_peak - arg_low
    x1 = np.arange(width)
    y1 = counts[x1 + arg_low]
    norm = np.sqrt(peak_height**2 + width**2)
    peak_height = peak_height / norm
    width = width / norm
    arg_level = np.argmax(peak_height * x1 - width * y1) + arg_low
    if flip:
        arg_level = nbins - arg_level - 1
    return centers[arg_level].item()


def box_mean(image, size):
    """Mean of the ``size``-wide window of every pixel of an integer image.

    ``threshold_local(image, size, method="mean")`` up to float rounding,
    with the image reflected at its edges as there (scipy's ``"reflect"``,
    numpy's ``"symmetric"``).  The window sums are exact (integers summed in
    float64, below 2**53), divided once by the window's size: the result of
    a pixel does not depend on where its line starts, as scipy's running
    sums do, so chunks of an image give exactly the whole image's result.
    """
    total = image.astype(np.float64)
    radius = size // 2
    for axis in range(image.ndim):
        pad = [(0, 0)] * image.ndim
        pad[axis] = (radius + 1, radius)
        cum = np.cumsum(np.pad(total, pad, mode="symmetric"), axis=axis)
        upper = [slice(None)] * image.ndim
        lower = [slice(None)] * image.ndim
        upper[axis], lower[axis] = slice(size, None), slice(0, -size)
        total = cum[tuple(upper)] - cum[tuple(lower)]
    total /= size**image.ndim
    return total
