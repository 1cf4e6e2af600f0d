"""Input and parameter checks whose messages name the step and what was given."""

import functools
import math
import os
import sys
import warnings
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    make_constraint,
)

__all__ = [
    "ChannelAxisWarning",
    "HasAttributes",
    "Range",
    "SequenceOf",
    "StrictInterval",
    "as_objects",
    "check_image",
    "warn_user",
]


class ChannelAxisWarning(UserWarning):
    """Images whose last axis of 3 or 4 entries may be colour channels.

    sksegment reads an array ``(n, height, width)`` as ``n`` 2D images and an
    array ``(n, depth, height, width)`` as ``n`` 3D images: it has no channel
    axis.  A colour image ``(height, width, 3)`` is then read as ``height``
    images of ``width x 3`` pixels, and a batch of colour images as volumes.
    Convert colour images to one channel first (for example with
    ``skimage.color.rgb2gray``); when the data really are images or volumes
    whose last axis has 3 or 4 entries, silence the warning with
    ``warnings.filterwarnings("ignore", category=sksegment.ChannelAxisWarning)``.

    Given once per call of a step for an array (or dask array) whose last
    axis has 3 or 4 entries after an axis of more than 4, or for a list
    holding such a 3D image; not for flattened rows read with
    ``image_shape``, whose image shape is stated.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import sksegment
    >>> colour = np.zeros((1, 32, 32, 3), dtype=np.uint8)  # one RGB image
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = sksegment.MorphCloser().transform(colour)
    >>> caught[0].category.__name__
    'ChannelAxisWarning'
    """


class StrictInterval(Interval):
    """scikit-learn's ``Interval`` without bools, infinities or NaN.

    A constraint of ``_parameter_constraints``: ``True`` is not the integer 1
    nor the number 1.0, and a real parameter must be finite (``allow_nan``
    accepts NaN too, for parameters where NaN is a documented value).
    Invalid values raise scikit-learn's ``InvalidParameterError``.
    """

    def __init__(self, type, left, right, *, closed, allow_nan=False):
        super().__init__(type, left, right, closed=closed)
        self.allow_nan = allow_nan

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)) or not isinstance(val, self.type):
            return False
        if isinstance(val, Integral):
            return val in self
        if math.isnan(val):
            return self.allow_nan
        return math.isfinite(val) and val in self

    def __str__(self):
        if self.type is Integral:  # scikit-learn's words ("Got True instead")
            return super().__str__()
        text = super().__str__().split(" in the range ", 1)[1]
        nan = " or nan" if self.allow_nan else ""
        return f"a finite number in the range {text}{nan}"


class _CustomConstraint(HasMethods):
    """Base of the constraints below, for ``validate_params``.

    scikit-learn's ``make_constraint`` accepts only its own constraint
    classes, so these derive from one of them (``HasMethods``, with no
    method required) and replace what it checks and says.
    """

    def __init__(self):
        super().__init__([])


class Range(_CustomConstraint):
    """A number, or an inclusive range ``(low, high)`` with ``low <= high``.

    Each end satisfies ``StrictInterval(type, left, right, closed="both")``
    (``right=None``: no upper bound); a single number ``n`` stands for
    ``(n, n)``. A constraint of ``validate_params`` and of
    ``_parameter_constraints``; :meth:`pair` gives the range as a tuple.
    """

    def __init__(self, type, left, right=None, *, unit=""):
        super().__init__()
        closed = "left" if right is None else "both"
        self.bound = StrictInterval(type, left, right, closed=closed)
        self.unit = unit

    def pair(self, val):
        """``(low, high)`` of a valid value, or None."""
        if isinstance(val, (tuple, list)):
            if len(val) != 2:
                return None
            low, high = val
        else:
            low = high = val
        ok = self.bound.is_satisfied_by
        if not (ok(low) and ok(high) and low <= high):
            return None
        cast = int if self.bound.type is Integral else float
        return cast(low), cast(high)

    def is_satisfied_by(self, val):
        return self.pair(val) is not None

    def __str__(self):
        kind = "an int" if self.bound.type is Integral else "a number"
        top = "" if self.bound.right is None else f" <= {self.bound.right:g}"
        return (
            f"{kind} or a (low, high) pair with "
            f"{self.bound.left:g} <= low <= high{top}{self.unit}"
        )


class SequenceOf(_CustomConstraint):
    """A list or tuple (or 1D array) whose items all satisfy a constraint.

    ``item`` is a constraint, a type, or a list of them (an item satisfies
    one); ``length`` fixes the number of items, ``min_length`` bounds it.
    ``what`` names the items in messages (default: the item constraints).
    """

    def __init__(self, item, *, length=None, min_length=0, arrays=False, what=None):
        super().__init__()
        items = item if isinstance(item, list) else [item]
        self.items = [make_constraint(c) for c in items]
        self.length = length
        self.min_length = min_length
        self.arrays = arrays
        self.what = what

    def is_satisfied_by(self, val):
        if isinstance(val, np.ndarray) and self.arrays:
            if val.ndim != 1:
                return False
        elif not isinstance(val, (list, tuple)):
            return False
        if self.length is not None and len(val) != self.length:
            return False
        if len(val) < self.min_length:
            return False
        return all(any(c.is_satisfied_by(v) for c in self.items) for v in val)

    def __str__(self):
        if self.length is not None:
            size = f"of {self.length} items"
        elif self.min_length:
            size = f"of at least {self.min_length} item" + "s" * (self.min_length > 1)
        else:
            size = "of items"
        what = self.what or " or ".join(str(c) for c in self.items)
        kinds = "a list, tuple or 1D array" if self.arrays else "a list or tuple"
        return f"{kinds} {size}, each {what}"


class HasAttributes(_CustomConstraint):
    """An object with the given attributes (a fitted search: ``cv_results_``)."""

    def __init__(self, attributes, *, what=None):
        super().__init__()
        if isinstance(attributes, str):
            attributes = [attributes]
        self.attributes = attributes
        self.what = what

    def is_satisfied_by(self, val):
        return all(hasattr(val, name) for name in self.attributes)

    def __str__(self):
        names = ", ".join(repr(name) for name in self.attributes)
        what = f"{self.what} (" if self.what else ""
        end = ")" if self.what else ""
        return f"{what}an object with the attribute(s) {names}{end}"


# Kinds of numpy dtypes an image may have: bool, unsigned, signed, float.
_SUPPORTED_KINDS = "buif"


def _describe(array):
    """Short description of an array for error messages."""
    return f"a {array.ndim}D array of shape {array.shape} and dtype {array.dtype}"


def check_image(image, step, *, index=None, finite=True):
    """Check one image of a batch and return it as a numpy array.

    Parameters
    ----------
    image : array-like
        The image, 2D or 3D.
    step : str
        Name of the step, for messages.
    index : int or None, default=None
        Position of the image in its batch, for messages.
    finite : bool, default=True
        Whether NaN and infinite values are rejected.

    Returns
    -------
    image : ndarray
        The image, never copied except float16, which becomes float32, and
        non-native byte order (``">i4"`` on a little-endian machine), which
        becomes native: the steps' results never depend on byte order.
    """
    where = "image" if index is None else f"image {index} of the batch"
    image = np.asarray(image)
    if image.dtype.kind == "c":
        raise TypeError(
            f"{step} does not support complex images; {where} has dtype "
            f"{image.dtype}. Take the absolute value or the real part first."
        )
    if image.dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(
            f"{step} expects numeric images (bool, integer or float); {where} has "
            f"dtype {image.dtype}."
        )
    if image.ndim not in (2, 3):
        raise ValueError(
            f"{step} expects 2D or 3D images; {where} is {_describe(image)}."
        )
    if image.size == 0:
        raise ValueError(f"{step} got an empty image: {where} has shape {image.shape}.")
    if image.dtype == np.float16:
        image = image.astype(np.float32)
    elif not image.dtype.isnative:
        image = image.astype(image.dtype.newbyteorder("="))
    if finite and image.dtype.kind == "f" and not np.isfinite(image).all():
        raise ValueError(
            f"{step} got NaN or infinite values in {where}; replace or mask them "
            "first (for example with numpy.nan_to_num)."
        )
    return image


def as_objects(image, step, connectivity=None):
    """Read an image as objects: a mask or a label image.

    A bool image is a mask; an integer image is a label image (0 is the
    background, other values are object ids, which must not be negative); a
    float image is read as the mask of its nonzero pixels.  ``connectivity``,
    the step's parameter, is checked against the image's dimensions.

    Returns
    -------
    objects : ndarray
        The bool mask or the integer label image (not copied).
    is_labels : bool
        Whether `objects` is a label image.
    """
    if connectivity is not None and connectivity > image.ndim:
        raise ValueError(
            f"{step}: connectivity={connectivity} exceeds the number of dimensions "
            f"of a {image.ndim}D image."
        )
    kind = image.dtype.kind
    if kind == "b":
        return image, False
    if kind in "ui":
        if kind == "i" and image.min() < 0:
            raise ValueError(
                f"{step} expects label images with ids >= 0 (0 is the background); "
                f"got a label image whose smallest value is {image.min()}."
            )
        return image, True
    return image != 0, False


def _skipped_dirs():
    import joblib
    import sklearn

    import sksegment

    return tuple(
        os.path.dirname(module.__file__) + os.sep
        for module in (sksegment, sklearn, joblib)
    )


def warn_user(message, category=UserWarning):
    """Warn with a stacklevel that points at the user's own call.

    Frames inside sksegment, scikit-learn (pipelines, searches) and joblib are
    skipped, so the warning names the line that called ``fit``, ``transform``
    or ``Pipeline.fit``, whatever the depth of the call.
    """
    skipped = _skipped_dirs()
    frame = sys._getframe(1)
    stacklevel = 2
    while frame is not None and frame.f_code.co_filename.startswith(skipped):
        frame = frame.f_back
        stacklevel += 1
    if frame is None:  # called from a worker thread: no user frame above
        stacklevel = 2
    warnings.warn(message, category, stacklevel=stacklevel)


def warn_constant(step, what, value, then="such an image is all background"):
    """The one warning for images whose pixels all have one value.

    ``what`` is the subject (``"an image is"``, ``"the training images
    are"``), ``then`` what the step does about it.
    """
    warn_user(f"{step}: {what} constant (every pixel is {value}); {then}.")


def label_image(
    image,
    caller,
    *,
    where="the label image",
    masks="label",
    floats="refuse",
    connectivity=None,
):
    """The one reading of a label image: integer ids >= 0, 0 the background.

    For the functions and steps that measure or score objects (metrics,
    plots, tables); steps that keep masks as masks read their input with
    ``as_objects``.

    Parameters
    ----------
    image : ndarray
        An integer label image or a bool mask.
    caller : str
        The function or step named in messages.
    where : str, default="the label image"
        Which image, in messages (``"image 2 of true_labels"``).
    masks : {"label", "keep", "refuse"}, default="label"
        What a bool mask becomes: its connected components (at
        ``connectivity``, as ``skimage.measure.label``), the mask itself, or
        a ``TypeError``.
    floats : {"refuse", "mask"}, default="refuse"
        Whether a float image raises a ``TypeError`` (ids are integers) or
        is read as the mask of its nonzero pixels.
    connectivity : int or None, default=None
        For masks; None is full connectivity.  It must not exceed the
        image's number of dimensions.

    Returns
    -------
    labels : ndarray
        The label image (not copied), or the mask with ``masks="keep"``.
    """
    from sksegment import _kernels

    if connectivity is not None and connectivity > image.ndim:
        raise ValueError(
            f"{caller}: connectivity={connectivity} exceeds the number of dimensions "
            f"of a {image.ndim}D image."
        )
    kind = image.dtype.kind
    if kind == "f" and floats == "mask":
        image, kind = image != 0, "b"
    if kind == "b":
        if masks == "label":
            return _kernels.label_mask(image, connectivity)[0]
        if masks == "keep":
            return image
        raise TypeError(
            f"{caller} expects a label image (integers); {where} is a bool mask. "
            "Label it first (skimage.measure.label or sksegment.ComponentLabeler)."
        )
    if kind not in "ui":
        what = " or bool masks" if masks != "refuse" else ""
        raise TypeError(
            f"{caller} expects integer label images{what} (0 is the background); "
            f"{where} has dtype {image.dtype}. Cast ids with .astype(int), or "
            "compare with 0 for a mask."
        )
    if kind == "i" and image.size and image.min() < 0:
        raise ValueError(
            f"{caller} expects label ids >= 0 (0 is the background); {where} has "
            f"the id {image.min()}."
        )
    return image


def check_bounds(step, low_name, low, high_name, high):
    """Raise ``InvalidParameterError`` when bounds leave nothing to keep."""
    if low is not None and high is not None and low > high:
        raise InvalidParameterError(
            f"{step}: {low_name}={low} is larger than {high_name}={high}; no "
            "object could be kept."
        )


def renamed_parameters(**renames):
    """Decorate ``__init__`` to refuse renamed parameters, naming the new ones.

    ``renames`` maps old names to new ones.  The signature is the decorated
    ``__init__``'s (``functools.wraps``), so scikit-learn sees only the
    current parameters; an old name raises a ``TypeError`` that says what to
    write instead, where Python's own error would only say it is unknown.
    """

    def decorate(init):
        @functools.wraps(init)
        def checked(self, *args, **kwargs):
            old = [name for name in renames if name in kwargs]
            if old:
                uses = ", ".join(f"{renames[name]}= for {name}=" for name in old)
                raise TypeError(
                    f"{type(self).__name__} has no parameter "
                    f"{' or '.join(old)}: it was renamed ({uses})."
                )
            init(self, *args, **kwargs)

        return checked

    return decorate
