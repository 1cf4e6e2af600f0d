"""Thresholders: intensity images in, bool masks out.

Global thresholders (``Thresholder``, ``OtsuThresholder``) learn one
threshold over the training batch in ``fit`` (or compute one per image with
``scope="image"``); ``LocalThresholder`` compares each pixel with a threshold
computed from its neighbourhood.  Every thresholder returns the bool masks
``image > threshold``, with the threshold in the images' own units: images
are never rescaled.
"""

import math
from functools import partial
from numbers import Integral, Real

import numpy as np
from skimage.filters import (
    threshold_isodata,
    threshold_li,
    threshold_local,
    threshold_minimum,
    threshold_multiotsu,
    threshold_niblack,
    threshold_otsu,
    threshold_sauvola,
    threshold_yen,
)
from sklearn.utils._param_validation import InvalidParameterError, StrOptions

from sksegment import _kernels
from sksegment._base import ImageStepMixin, ImageTransformer
from sksegment._chunks import Elementwise, Global, WholeImages
from sksegment._docstrings import fill_doc
from sksegment._kernels import exact_integer_bins, pooled_histogram
from sksegment._validation import (
    SequenceOf,
    StrictInterval,
    warn_constant,
    warn_user,
)

__all__ = ["LocalThresholder", "OtsuThresholder", "Thresholder"]

# Methods whose scikit-image function accepts a histogram (``hist=``): the
# histograms of the training images are pooled, never their pixels.
_HIST_METHODS = {
    "otsu": threshold_otsu,
    "yen": threshold_yen,
    "isodata": threshold_isodata,
    "minimum": threshold_minimum,
}
_METHODS = {*_HIST_METHODS, "li", "triangle", "mean", "multiotsu", "robust_background"}

# Integer values spanning more integers than this are binned (``nbins``) for
# the methods whose cost grows faster than the histogram: scikit-image's
# minimum smooths it up to 10000 times, and multi-Otsu takes a time that
# grows as its length to the power ``classes - 1``.
_MAX_EXACT = {"minimum": 1 << 12, "multiotsu": 1 << 12}


_NUMBER = StrictInterval(Real, None, None, closed="neither")
_POSITIVE = StrictInterval(Real, 0, None, closed="neither")


def _pair(entry, what):
    """The constraint of a ``(low, high)`` parameter whose entries may be None."""
    return SequenceOf([None, entry], length=2, what=f"{what} or None")


def _check_order(step, name, value):
    """``low <= high`` of a ``(low, high)`` pair that passed its constraint."""
    low, high = value
    if low is not None and high is not None and low > high:
        raise InvalidParameterError(
            f"The {name!r} parameter of {step} must have low <= high; got {value!r}."
        )


def _check_one_dtype(step, images, learns, fixes):
    """Refuse training images of different dtypes for one learned threshold.

    A threshold is in the images' units, which an 8-bit and a 16-bit image do
    not share: one threshold pooled over both splits neither right.
    ``learns`` says what is learned, ``fixes`` how to avoid the mixture.
    """
    dtypes = {}
    for i, image in enumerate(images):
        dtypes.setdefault(image.dtype, []).append(i)
    if len(dtypes) < 2:
        return
    found = "; ".join(
        f"{dtype} (image{'s' if len(where) > 1 else ''} "
        f"{', '.join(map(str, where[:5]))}{', ...' if len(where) > 5 else ''})"
        for dtype, where in dtypes.items()
    )
    raise ValueError(
        f"{step} learns {learns} over the training images, whose dtypes differ: "
        f"{found}. A threshold in the units of one dtype means nothing in "
        f"another's (an 8-bit image ends at 255, a 16-bit one at 65535). "
        f"{fixes}"
    )


# --- robust background -----------------------------------------------------------


# --- Li and triangle from a histogram --------------------------------------------


# --- dask: thresholds from reductions over chunks -----------------------------------


def _scalar(value):
    """A numpy scalar as a Python number; bool as 0 or 1 (as ``as_numbers``)."""
    value = value.item()
    return int(value) if isinstance(value, bool) else value


def _summarize_dask(step, batch, label):
    """The stats and histogram ``step`` needs of all pixels of a dask batch.

    Reduced chunk by chunk and computed now (``_dask.summarize_pixels``).
    """
    from sksegment._dask import summarize_pixels

    plan = step._dask_plan(batch.array.dtype)
    if plan is None:
        raise NotImplementedError(step._dask_refusal(label))
    return summarize_pixels(batch, label=label, **plan)


def _above(part, threshold):
    """A chunk of an image compared with the image's threshold."""
    return np.greater(_kernels.as_numbers(part), threshold)


# --- global thresholders ---------------------------------------------------------


class _GlobalThresholder(ImageTransformer):
    """Shared by the global thresholders: fit, scopes, constant images.

    Subclasses define ``_raw_threshold(images)``: the threshold of all pixels
    of ``images`` together, or None when they all have one value; and for
    dask input ``_raw_from_summary(stats, hist)``, the same from the
    chunk-by-chunk summary that ``_dask_plan(dtype)`` asks for.
    """

    _reads = "intensity"

    def _raw_threshold(self, images):  # pragma: no cover - abstract
        raise NotImplementedError

    def _adjust(self, value):
        """Correction and bounds applied to a computed threshold."""
        return value

    def _learn(self, images, what):
        images = [_kernels.as_numbers(image) for image in images]
        return self._finish(self._raw_threshold(images), images[0].flat[0], what)

    def _finish(self, raw, first, what):
        """The corrected threshold, or (``raw`` None: constant images) the
        images' one value ``first``, with a warning."""
        if raw is None:
            value = _scalar(first)
            warn_constant(
                type(self).__name__,
                what,
                value,
                f"using {value} as the threshold, so such an image is all background",
            )
            return value
        return self._adjust(raw)

    def _fit(self, batch):
        if self.threshold is not None:
            self.threshold_ = self.threshold
        elif self.scope == "image":
            self.threshold_ = None
        elif batch.kind == "dask":
            stats, hist = _summarize_dask(self, batch, self._dask_label())
            self.threshold_ = self._threshold_from(
                stats, hist, "the training images are"
            )
        else:
            _check_one_dtype(
                type(self).__name__,
                batch.images,
                "one threshold (scope='batch')",
                "Use scope='image' (a threshold per image), convert the images to "
                "one dtype first (for example with skimage.util.img_as_float), or "
                "give a fixed threshold.",
            )
            self.threshold_ = self._learn(batch.images, "the training images are")

    # --- dask input: the threshold from chunk-by-chunk reductions

    def _dask_label(self):
        """The step as named in messages about dask input."""
        return type(self).__name__

    def _dask_plan(self, dtype):
        """What the threshold needs of the pixels of images of ``dtype``.

        The keyword arguments of ``_dask.pixel_summary`` (a sum and/or a pooled
        histogram), or None when it needs the pixels themselves (a subclass
        returning None defines ``_dask_refusal(label)``, the message).
        """
        return {"want_sum": False, "want_hist": True, "nbins": self.nbins}

    def _raw_from_summary(self, stats, hist):  # pragma: no cover - abstract
        """The raw threshold from the stats and histogram (None: constant)."""
        raise NotImplementedError

    def _threshold_from(self, stats, hist, what):
        """As ``_learn``, from a summary of the pixels (``_dask.pixel_summary``)."""
        return self._finish(self._raw_from_summary(stats, hist), stats[0], what)

    def _transform_image(self, image, out=None):
        threshold = self.threshold_
        if threshold is None:
            threshold = self._learn([image], "an image is")
        return np.greater(_kernels.as_numbers(image), threshold, out=out)

    def _on_split_chunks(self, batch):
        """Images chunked within images: thresholded chunk by chunk, lazily.

        With a threshold (fixed or learned): elementwise.  With
        ``scope="image"``: each image's threshold is reduced from its chunks
        (its range, then its histogram or its sum) in one task per image,
        computed with the masks; an image found constant warns then.
        """
        if self.threshold_ is not None:
            return Elementwise(bool)
        plan = self._dask_plan(batch.array.dtype)
        if plan is None:
            return WholeImages(
                f" (method={self.method!r} with scope='image' needs every "
                "distinct pixel value of each float image)"
            )
        return Global(partial(self._threshold_split, plan=plan))

    def _threshold_split(self, batch, plan):
        """Each image's threshold reduced from its chunks, then applied."""
        from sksegment._dask import map_with_image_summary

        return map_with_image_summary(
            batch,
            plan,
            self._dask_label(),
            partial(self._threshold_from, what="an image is"),
            _above,
            bool,
        )


@fill_doc
class Thresholder(_GlobalThresholder):
    """Threshold images at a global threshold learned over the training batch.

    The global thresholding methods of scikit-image and CellProfiler in one
    step, so a grid search can choose the method (their CellProfiler names:
    :ref:`cellprofiler-names`).  ``fit`` learns ``threshold_``: the method's
    threshold of all training pixels together, then multiplied by
    ``correction`` and clipped to ``bounds``.  ``transform`` returns the bool
    masks ``image > threshold_``.

    Parameters
    ----------
    method : {"otsu", "li", "yen", "triangle", "isodata", "mean", "minimum", \
"multiotsu", "robust_background"}, default="otsu"
        How the threshold is computed: the ``skimage.filters.threshold_<method>``
        function, or CellProfiler's RobustBackground method for
        ``"robust_background"`` (:ref:`robust-background`).
    threshold : float or None, default=None
        A fixed threshold in the images' own units, used as is (neither
        corrected nor bounded); None learns the method's.  A grid can mix
        None and numbers.
    correction : float, default=1.0
        Factor, > 0, that multiplies the computed threshold: below 1 is more
        lenient, above 1 more stringent.
    bounds : tuple of (float or None, float or None), default=(None, None)
        ``(low, high)``: the corrected threshold is clipped to the inclusive
        range ``[low, high]``, in the images' units; None leaves that side
        unbounded.  A lower bound keeps images without objects from being
        split at their noise.
    scope : {"batch", "image"}, default="batch"
        ``"batch"`` learns one threshold in ``fit``; ``"image"`` computes the
        method's threshold of each image at transform time instead (then
        ``threshold_`` is None), corrected and bounded the same way.  Ignored
        when ``threshold`` is a number.
    nbins : int, default=256
        Number of histogram bins for float images, for the methods that use
        a histogram (otsu, yen, triangle, isodata, minimum, multiotsu).
        Integer images use one bin per integer value, as scikit-image does,
        unless their values span too many integers
        (:ref:`wide-integer-ranges`).
    classes : int, default=3
        Number of classes, >= 2, for ``method="multiotsu"``.
    foreground : {"upper", "all_but_lowest"} or int, default="upper"
        Which of the ``classes`` intensity classes are foreground, for
        ``method="multiotsu"``: ``"upper"`` the brightest class only (the
        threshold is the highest of the ``classes - 1`` thresholds),
        ``"all_but_lowest"`` every class but the darkest (the lowest
        threshold), an int ``n`` the ``n`` brightest classes, with
        ``1 <= n < classes``.
    lower_fraction : float, default=0.05
        For ``method="robust_background"``: the fraction, in ``[0, 1)``, of
        the darkest pixels discarded before averaging.
    upper_fraction : float, default=0.05
        For ``method="robust_background"``: the fraction, in ``[0, 1)``, of
        the brightest pixels discarded.  ``lower_fraction + upper_fraction``
        must be below 1.
    n_deviations : float, default=2.0
        For ``method="robust_background"``: the number of deviations added
        to the average; negative values put the threshold below it.
    average : {"mean", "median", "mode"}, default="mean"
        For ``method="robust_background"``: the average of the remaining
        pixels; ``"mode"`` is a binned mode (:ref:`robust-background`).
    deviation : {"std", "mad"}, default="std"
        For ``method="robust_background"``: the spread of the remaining
        pixels, their standard deviation (about their mean, ``ddof=0``) or
        their median absolute deviation (about their median, unscaled).
    %(image_shape_n_jobs)s

    Attributes
    ----------
    threshold_ : float, int or None
        The threshold used by ``transform``: the fixed ``threshold``, the
        learned, corrected and bounded threshold, or None with
        ``scope="image"``.
    %(n_features_in_)s

    See Also
    --------
    OtsuThresholder : Otsu's method only.
    LocalThresholder : A threshold per pixel from its neighbourhood.
    skimage.filters.try_all_threshold : Compare the methods on one image.

    Notes
    -----
    The threshold is that of all training pixels together, as if the images
    were stacked; the histogram methods pool the images' histograms instead
    of their pixels.  :ref:`threshold-methods` says what that means for each
    method, for integer images spanning many values and for images without
    objects, and defines RobustBackground.  A constant image is thresholded
    at its value and warns (:ref:`constant-images`).  Pixels equal to the
    threshold are background.  Dask arrays: see :ref:`threshold-dask`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import Thresholder
    >>> images = np.array([[[10, 12, 200], [11, 90, 210]]], dtype=np.uint8)
    >>> step = Thresholder("multiotsu", foreground="upper").fit(images)
    >>> step.threshold_
    90
    >>> step.transform(images)
    array([[[False, False,  True],
            [False, False,  True]]])
    >>> Thresholder("multiotsu", foreground="all_but_lowest").fit(images).threshold_
    12
    >>> Thresholder(correction=0.5).fit(images).threshold_  # Otsu's 90, halved
    45.0
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "method": [StrOptions(_METHODS)],
        "threshold": [None, StrictInterval(Real, None, None, closed="neither")],
        "correction": [StrictInterval(Real, 0, None, closed="neither")],
        "bounds": [
            _pair(StrictInterval(Real, None, None, closed="neither"), "a number")
        ],
        "scope": [StrOptions({"batch", "image"})],
        "nbins": [StrictInterval(Integral, 2, None, closed="left")],
        "classes": [StrictInterval(Integral, 2, None, closed="left")],
        "foreground": [
            StrOptions({"upper", "all_but_lowest"}),
            StrictInterval(Integral, 1, None, closed="left"),
        ],
        "lower_fraction": [StrictInterval(Real, 0, 1, closed="left")],
        "upper_fraction": [StrictInterval(Real, 0, 1, closed="left")],
        "n_deviations": [StrictInterval(Real, None, None, closed="neither")],
        "average": [StrOptions({"mean", "median", "mode"})],
        "deviation": [StrOptions({"std", "mad"})],
    }

    _on_split_chunks = _GlobalThresholder._on_split_chunks

    def __init__(
        self,
        method="otsu",
        *,
        threshold=None,
        correction=1.0,
        bounds=(None, None),
        scope="batch",
        nbins=256,
        classes=3,
        foreground="upper",
        lower_fraction=0.05,
        upper_fraction=0.05,
        n_deviations=2.0,
        average="mean",
        deviation="std",
        image_shape=None,
        n_jobs=None,
    ):
        self.method = method
        self.threshold = threshold
        self.correction = correction
        self.bounds = bounds
        self.scope = scope
        self.nbins = nbins
        self.classes = classes
        self.foreground = foreground
        self.lower_fraction = lower_fraction
        self.upper_fraction = upper_fraction
        self.n_deviations = n_deviations
        self.average = average
        self.deviation = deviation
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _check_params(self):
        _check_order("Thresholder", "bounds", self.bounds)
        if self.lower_fraction + self.upper_fraction >= 1:
            raise InvalidParameterError(
                f"Thresholder: lower_fraction={self.lower_fraction} and "
                f"upper_fraction={self.upper_fraction} discard every pixel; their "
                "sum must be below 1."
            )
        if (
            self.method == "multiotsu"
            and isinstance(self.foreground, Integral)
            and self.foreground >= self.classes
        ):
            raise InvalidParameterError(
                f"Thresholder: foreground={self.foreground} brightest classes must "
                f"be fewer than classes={self.classes}, or nothing is background."
            )

    def _adjust(self, value):
        if self.correction != 1:
            value = value * self.correction
        low, high = self.bounds
        if low is not None and value < low:
            value = low
        if high is not None and value > high:
            value = high
        return value

    def _raw_threshold(self, images):
        method = self.method
        if method in _HIST_METHODS or method == "multiotsu":
            hist = pooled_histogram(images, self.nbins, _MAX_EXACT.get(method))
            return self._from_histogram(hist)
        lo, hi = _kernels.value_range(images)
        if lo == hi:
            return None
        if method == "triangle":
            return _kernels.triangle_from_histogram(
                *pooled_histogram(images, self.nbins)
            )
        if method == "li":
            n_pixels = sum(image.size for image in images)
            if _kernels.is_integer(images) and exact_integer_bins(lo, hi, n_pixels):
                # as scikit-image: from the histogram
                return _kernels.li_from_histogram(*pooled_histogram(images, 2))
            # float images, and integers too wide for a histogram: iterate
            # over the pixels, as scikit-image does for float images
            pixels = _kernels.concatenated(images)
            if pixels.dtype.kind != "f":
                pixels = pixels.astype(np.float64)
            return threshold_li(pixels).item()
        if method == "mean":
            total = sum(image.sum(dtype=np.float64) for image in images)
            return (total / sum(image.size for image in images)).item()
        return self._robust(*_kernels.distinct_values(images))

    def _robust(self, values, counts):
        return _kernels.robust_background(
            values,
            counts,
            self.lower_fraction,
            self.upper_fraction,
            self.average,
            self.deviation,
            self.n_deviations,
        )

    def _dask_label(self):
        return f"Thresholder(method={self.method!r})"

    def _dask_plan(self, dtype):
        method = self.method
        if method == "mean":
            return {"want_sum": True, "want_hist": False, "nbins": self.nbins}
        if method in ("li", "robust_background") and np.dtype(dtype).kind == "f":
            return None  # needs every distinct value
        return {
            "want_sum": False,
            "want_hist": True,
            "nbins": self.nbins,
            "max_exact": _MAX_EXACT.get(method),
        }

    def _dask_refusal(self, label):
        what = {
            "li": "Li's method on float images iterates over the pixels "
            "themselves (its tolerance is half the smallest gap between "
            "distinct values)",
            "robust_background": "RobustBackground on float images needs every "
            "distinct pixel value (it trims and averages the sorted pixels)",
        }[self.method]
        return (
            f"{label} cannot learn its threshold from a dask array of float "
            f"images: {what}, which cannot be reduced chunk by chunk. Fit on a "
            "sample in memory instead, for example step.fit(X[:k].compute()) or "
            "a computed crop of X, then transform the dask array; or cast "
            "integer-valued images to an integer dtype."
        )

    def _raw_from_summary(self, stats, hist):
        lo, hi, total, size = stats
        if lo == hi:
            return None
        method = self.method
        if method == "mean":
            return (total / size).item()
        if method in _HIST_METHODS or method == "multiotsu":
            return self._from_histogram(hist)
        if method == "triangle":
            return _kernels.triangle_from_histogram(*hist)
        counts, values = hist
        if values.dtype.kind == "f":  # integers binned: too wide a range
            raise NotImplementedError(
                f"{self._dask_label()} cannot learn its threshold from "
                f"a dask array of integer images whose values span "
                f"{int(hi) - int(lo) + 1} integers (from {lo} to {hi}), more than "
                f"max(65536, number of pixels): it needs every distinct pixel "
                "value. Fit on a sample in memory instead, for example "
                "step.fit(X[:k].compute())."
            )
        if method == "li":  # integer images (the plan refuses float ones)
            return _kernels.li_from_histogram(counts, values)
        present = counts > 0
        return self._robust(values[present], counts[present])

    def _from_histogram(self, hist):
        method = self.method
        if hist is None:
            return None
        if method == "multiotsu":
            return self._multiotsu(*hist)
        try:
            return _HIST_METHODS[method](hist=hist).item()
        except RuntimeError as error:  # threshold_minimum without two peaks
            raise ValueError(
                f"{self._dask_label()} found no threshold: {error}. "
                "Try another method or nbins."
            ) from error

    def _multiotsu(self, counts, centers):
        present = np.flatnonzero(counts)
        if len(present) < self.classes:
            warn_user(
                f"{type(self).__name__}: only {len(present)} distinct values for "
                f"classes={self.classes}; each value is its own class."
            )
            thresholds = centers[present[:-1]]
        else:
            # normalized as threshold_multiotsu normalizes an image's histogram
            hist = (counts / counts.sum(), centers)
            thresholds = threshold_multiotsu(hist=hist, classes=self.classes)
        n_top = {"upper": 1, "all_but_lowest": self.classes - 1}.get(
            self.foreground, self.foreground
        )
        return thresholds[max(len(thresholds) - n_top, 0)].item()


# --- local thresholding ----------------------------------------------------------


def _constant_images(lows, highs, name):
    """Which images are constant (minimum equal to maximum); warns for each."""
    constant = lows == highs
    for value in lows[constant]:
        warn_constant(name, "an image is", _scalar(value))
    return constant


@fill_doc
class OtsuThresholder(Thresholder):
    """Threshold images at Otsu's threshold, learned over the training batch.

    The recipe's named step: ``Thresholder(method="otsu")`` with only the
    parameters Otsu's method uses.  ``fit`` learns ``threshold_``, the value
    ``skimage.filters.threshold_otsu`` gives for all training pixels
    together (histograms pooled, never the pixels); ``transform`` returns
    the masks ``image > threshold_``.

    Parameters
    ----------
    threshold : float or None, default=None
        A fixed threshold in the images' own units, used as is; None learns
        Otsu's.  A grid can mix None and numbers.
    nbins : int, default=256
        Number of histogram bins for float images (integer images use one
        bin per integer value, see :class:`Thresholder`).
    scope : {"batch", "image"}, default="batch"
        ``"batch"`` learns one threshold in ``fit``; ``"image"`` computes
        each image's threshold at transform time (``threshold_`` is None).
    %(image_shape_n_jobs)s

    Attributes
    ----------
    threshold_ : float, int or None
        The threshold used by ``transform``: the fixed ``threshold``, the
        learned Otsu threshold, or None with ``scope="image"``.
    %(n_features_in_)s

    See Also
    --------
    Thresholder : Every method, with correction and bounds.
    skimage.filters.threshold_otsu : The threshold for one image.

    Notes
    -----
    Constant images, wide integer ranges and dask arrays are handled as by
    :class:`Thresholder` (:ref:`threshold-methods`).

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
        name: Thresholder._parameter_constraints[name]
        for name in (*ImageStepMixin._parameter_constraints, "threshold", "nbins")
    } | {"scope": Thresholder._parameter_constraints["scope"]}

    _on_split_chunks = Thresholder._on_split_chunks

    # Thresholder's other parameters, fixed: Otsu's threshold as it is
    method = "otsu"
    correction = 1.0
    bounds = (None, None)

    def __init__(
        self, threshold=None, *, nbins=256, scope="batch", image_shape=None, n_jobs=None
    ):
        self.threshold = threshold
        self.nbins = nbins
        self.scope = scope
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _check_params(self):
        """Otsu's parameters are checked by their constraints alone."""

    def _dask_label(self):
        return "OtsuThresholder"


@fill_doc
class LocalThresholder(ImageTransformer):
    """Threshold each pixel at a threshold computed from its neighbourhood.

    Local (adaptive) thresholding follows uneven illumination that a global
    threshold cannot.  ``transform`` returns the bool masks
    ``image > local_threshold``, where the local threshold of each pixel is
    computed by scikit-image from the ``block_size`` window around it, then
    lowered by ``offset`` and, when ``clamp`` is set, kept near a global
    threshold learned in ``fit`` (as CellProfiler's adaptive strategy keeps
    it near its "guide threshold").

    Parameters
    ----------
    method : {"sauvola", "niblack", "gaussian", "mean", "median"}, \
default="sauvola"
        ``"sauvola"`` and ``"niblack"``:
        ``skimage.filters.threshold_sauvola`` and ``threshold_niblack``
        (local mean and standard deviation); ``"gaussian"``, ``"mean"`` and
        ``"median"``: ``skimage.filters.threshold_local`` with that method
        (a weighted mean, the mean or the median of the window; for integer
        images the mean is computed from exact window sums).
    block_size : int, default=15
        Odd side, >= 1, of the window in pixels (scikit-image's
        ``block_size``, or ``window_size`` for Sauvola and Niblack).  A
        window reaching more than 4 times the image's largest side beyond
        each pixel (``block_size // 2 > 4 * max(shape)``) raises a
        ``ValueError`` at transform; smaller windows larger than an image
        are fine: scikit-image reflects the image at its borders.
    k : float, default=0.2
        For ``"sauvola"`` and ``"niblack"``: the weight of the local standard
        deviation.  For bright objects on a dark background, a negative
        ``k`` with Niblack puts the threshold above the local mean.
    offset : float, default=0.0
        Subtracted from every local threshold (scikit-image's ``offset`` of
        ``threshold_local``, applied to every method here), in the images'
        units: a negative offset raises the thresholds, so that flat
        background stays background.
    r : float or None, default=None
        For ``"sauvola"``: the dynamic range of the standard deviation, > 0;
        None uses scikit-image's default, half the range of the image dtype
        (127.5 for uint8, 1 for float images: set ``r`` for float images not
        scaled to [0, 1]).
    clamp : tuple of (float or None, float or None) or None, default=None
        ``(low, high)`` factors, > 0, that keep every local threshold within
        the inclusive range between ``low * global_threshold_`` and
        ``high * global_threshold_``, where ``global_threshold_`` is the
        ``guide`` threshold of all training pixels, learned in ``fit``; None
        on one side leaves it open.  CellProfiler clamps to ``(0.7, 1.5)`` so
        that windows of pure background or of pure foreground are not split
        at their noise.  None: no clamping.
    guide : {"otsu", "li", "yen", "triangle", "isodata", "mean", "minimum", \
"multiotsu", "robust_background"}, default="otsu"
        The global method of ``global_threshold_``, learned over the batch as
        ``Thresholder(guide)`` learns it (with that step's defaults); only
        used with ``clamp``.  With background and objects well apart, Li's
        threshold suits ``clamp`` better than Otsu's (:ref:`local-thresholds`).
    %(image_shape_n_jobs)s

    Attributes
    ----------
    global_threshold_ : float, int or None
        The ``guide`` threshold of all training pixels (as
        ``Thresholder(guide)`` learns it), or None when ``clamp`` is None.
    %(n_features_in_)s

    See Also
    --------
    skimage.filters.threshold_local : Gaussian, mean and median windows.
    skimage.filters.threshold_sauvola : Sauvola's threshold.
    skimage.filters.threshold_niblack : Niblack's threshold.
    Thresholder : One global threshold for every pixel.

    Notes
    -----
    The step always needs ``fit``, like the global thresholders, even
    though it learns nothing without ``clamp``.  Images are thresholded in
    their own units, never rescaled; a constant image is all background and
    warns.  :ref:`local-thresholds` says where each method puts the
    threshold of flat background, and how the ``"mean"`` window rounds.
    Dask arrays: see :ref:`dask-split-chunks`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import LocalThresholder
    >>> images = np.array([[[10, 10, 10, 10, 10],
    ...                     [10, 10, 90, 10, 10],
    ...                     [10, 10, 10, 10, 10]]], dtype=np.uint8)
    >>> step = LocalThresholder("mean", block_size=3, offset=-5).fit(images)
    >>> step.transform(images).astype(int)
    array([[[0, 0, 0, 0, 0],
            [0, 0, 1, 0, 0],
            [0, 0, 0, 0, 0]]])
    """

    _reads = "intensity"
    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "method": [StrOptions({"sauvola", "niblack", "gaussian", "mean", "median"})],
        "block_size": [StrictInterval(Integral, 1, None, closed="left")],
        "k": [StrictInterval(Real, None, None, closed="neither")],
        "offset": [StrictInterval(Real, None, None, closed="neither")],
        "r": [None, StrictInterval(Real, 0, None, closed="neither")],
        "clamp": [
            None,
            _pair(_POSITIVE, "a positive number"),
        ],
        "guide": [StrOptions(_METHODS)],
    }

    def __init__(
        self,
        method="sauvola",
        *,
        block_size=15,
        k=0.2,
        offset=0.0,
        r=None,
        clamp=None,
        guide="otsu",
        image_shape=None,
        n_jobs=None,
    ):
        self.method = method
        self.block_size = block_size
        self.k = k
        self.offset = offset
        self.r = r
        self.clamp = clamp
        self.guide = guide
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _check_params(self):
        if self.block_size % 2 == 0:
            raise InvalidParameterError(
                f"LocalThresholder: block_size must be odd, so that the window is "
                f"centred on its pixel; got block_size={self.block_size}."
            )
        if self.clamp is not None:
            _check_order("LocalThresholder", "clamp", self.clamp)

    def _fit(self, batch):
        if self.clamp is None:
            self.global_threshold_ = None
            return
        guide = Thresholder(self.guide)
        if batch.kind == "dask":  # reduced over chunks, or NotImplementedError
            label = f"LocalThresholder(guide={self.guide!r})"
            stats, hist = _summarize_dask(guide, batch, label)
            value = guide._raw_from_summary(stats, hist)
            constant = None if value is not None else _scalar(stats[0])
        else:
            _check_one_dtype(
                "LocalThresholder",
                batch.images,
                "one global threshold for clamp",
                "Convert the images to one dtype first (for example with "
                "skimage.util.img_as_float), or set clamp=None.",
            )
            images = [_kernels.as_numbers(image) for image in batch.images]
            value = guide._raw_threshold(images)
            constant = None if value is not None else images[0].flat[0].item()
        if value is None:
            value = constant
            warn_constant(
                "LocalThresholder",
                "the training images are",
                value,
                f"using {value} as the global threshold for clamp",
            )
        self.global_threshold_ = value

    def _local_threshold(self, image):
        method, size = self.method, self.block_size
        if method == "sauvola":
            local = threshold_sauvola(image, window_size=size, k=self.k, r=self.r)
        elif method == "niblack":
            local = threshold_niblack(image, window_size=size, k=self.k)
        elif method == "mean" and image.dtype.kind in "iu":
            local = _kernels.box_mean(image, size)
            local -= self.offset
        else:
            local = threshold_local(image, size, method=method, offset=self.offset)
        if self.offset and method in ("sauvola", "niblack"):
            local -= self.offset
        if self.clamp is not None:
            low, high = (
                None if f is None else f * self.global_threshold_ for f in self.clamp
            )
            if low is not None and high is not None and low > high:
                low, high = high, low  # a negative global threshold
            np.clip(local, low, high, out=local)
        return local

    def _depth(self):
        """Pixels within which a local threshold sees the image (its radius)."""
        if self.method == "gaussian":  # scikit-image's sigma, scipy's radius
            return int(4.0 * (self.block_size - 1) / 6.0 + 0.5)
        return self.block_size // 2

    def _local_mask(self, image):
        """``image > local threshold``, without the constant-image case."""
        image = _kernels.as_numbers(image)
        return np.greater(image, self._local_threshold(image))

    def _check_window(self, shape):
        """Refuse windows reaching more than 4 times the image beyond a pixel.

        Each method reflects the image at its edges as often as the window
        needs, so the cost grows with ``block_size``, not with the image.
        """
        limit = 4 * max(shape)  # the largest radius
        if self.block_size // 2 > limit and math.prod(shape) > 1:  # not constant
            raise ValueError(
                f"LocalThresholder: the window (block_size={self.block_size}) "
                f"reaches more than 4 times the image's largest side (shape "
                f"{tuple(shape)}) beyond each pixel, where the image is only "
                "reflected over and over, at a cost growing with block_size. "
                f"Use block_size <= {2 * limit + 1}, or a global Thresholder."
            )

    def _on_split_chunks(self, batch):
        """Images chunked within images: an overlap of the window's radius.

        Each chunk is extended by the radius of the window (the Gaussian's
        radius for ``"gaussian"``), so every pixel sees its whole window; at
        the image's own edges nothing is added and the in-memory code
        reflects the image there as in memory.  A constant image (its lazy
        minimum equal to its maximum) is all background, and warns when the
        result is computed.
        """
        self._check_window(batch.array.shape[1:])
        return Global(self._threshold_split)

    def _threshold_split(self, batch):
        import dask.array as da

        from sksegment._dask import map_overlap

        array = batch.array
        masks = map_overlap(batch, self._local_mask, self._depth(), bool)
        axes = tuple(range(1, array.ndim))
        constant = da.map_blocks(
            _constant_images,
            array.min(axis=axes),
            array.max(axis=axes),
            "LocalThresholder",
            dtype=bool,
            meta=np.empty((0,), dtype=bool),
        )
        return masks & ~constant[(slice(None),) + (None,) * len(axes)]

    def _transform_image(self, image, out=None):
        self._check_window(image.shape)
        image = _kernels.as_numbers(image)
        first = image.flat[0]
        if (image == first).all():
            warn_constant("LocalThresholder", "an image is", first.item())
            if out is None:
                return np.zeros(image.shape, dtype=bool)
            out[...] = False
            return out
        return np.greater(image, self._local_threshold(image), out=out)
