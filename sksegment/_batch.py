"""The one place that knows what a batch of images is.

Every step receives ``X`` in one of these container kinds and gives its result
back in the same kind:

``"array"``
    an ndarray ``(n_images, ...)`` with 2 or 3 spatial dimensions; the
    result is stacked into an ndarray.
``"list"``
    a list or tuple of 2D/3D arrays whose shapes may differ; the result is a
    list.
``"flat"``
    a 2D array of flattened images, one per row, read with the step's
    ``image_shape``; the result is flattened the same way.
``"dask"``
    a dask array ``(n_images, ...)``, or of flattened rows with
    ``image_shape``; the result is a lazy dask array in the same layout
    (``sksegment._dask.DaskBatch``, validated there).

Steps only say what they do to one image (a function of one ndarray) and,
for images split into chunks, how that function runs on the chunks (a plan
of ``sksegment._chunks``); this module defines the ``Batch`` protocol both
batch classes follow, validates in-memory batches, and runs the function
over their images (in threads when ``n_jobs`` asks for it).

Modules depend one way: ``_base`` (the dispatch in ``validate_batch``) ->
``_dask`` -> ``_batch``; this module imports neither.
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import validate_data

from sksegment._validation import ChannelAxisWarning, check_image, warn_user

__all__ = [
    "Batch",
    "ImageBatch",
    "image_list",
    "resolve_image_shape",
    "validate_images",
]

# Lengths of a last axis that may be colour channels (RGB, RGBA).
_CHANNELS = (3, 4)

# Set while a step passes images whose shape its user stated (image_shape)
# to an inner step: they are not warned about as colour images.
_STATED = threading.local()


@contextlib.contextmanager
def shape_stated():
    """Within this block (in this thread) no ``ChannelAxisWarning`` is given.

    For a step that reshapes flattened rows by its ``image_shape`` and hands
    the images to other steps (``RegionFeatures`` to its segmenter): the
    user stated their shape.
    """
    before = getattr(_STATED, "active", False)
    _STATED.active = True
    try:
        yield
    finally:
        _STATED.active = before


def may_be_channels(shape):
    """Whether a last axis may be colour channels: 3 or 4 entries after a
    longer axis (an image 4 pixels wide or less is taken for what it is)."""
    return (
        shape[-1] in _CHANNELS
        and shape[-2] > max(_CHANNELS)
        and not getattr(_STATED, "active", False)
    )


def warn_channel_axis(shape, index=None):
    """Warn that an array, or image ``index`` of a list, may hold channels.

    ``shape`` is the array's (a batch ``(n, ...)``) or the list image's.  A
    batch of 2D images ``(n, h, 3)`` may be one colour image, a batch of 3D
    images ``(n, d, h, 3)`` a batch of colour images; a 3D image of a list
    ``(d, h, 3)`` a colour image.  Flattened rows (``image_shape``) are
    never warned about: their image shape is stated.  Once per call: the
    message names no step, so a pipeline's steps repeat one warning, which
    Python shows once for the user's line.
    """
    channels = shape[-1]
    if index is None:
        n, spatial = shape[0], shape[1:]
        what = "2D images" if len(spatial) == 2 else "3D images (volumes)"
        read = f"an array of shape {shape} as {n} {what} of shape {spatial}"
        width = "width" if len(spatial) == 2 else "last dimension"
    else:
        read = (
            f"image {index} of the list, of shape {shape}, as a 3D image "
            f"(a volume of {shape[0]} planes of {shape[1]}x{shape[2]} pixels)"
        )
        width = "last dimension"
    warn_user(
        f"sksegment reads {read}; its last axis of {channels} entries may be "
        "colour channels, which sksegment does not have. Convert colour images "
        "to one channel first (for example with skimage.color.rgb2gray), pass "
        "a list of 2D images, or, when these are images whose "
        f"{width} is {channels}, silence this warning with "
        'warnings.filterwarnings("ignore", '
        "category=sksegment.ChannelAxisWarning).",
        ChannelAxisWarning,
    )


class Batch:
    """The protocol of a validated batch, in memory or lazy.

    Attributes
    ----------
    kind : {"array", "list", "flat", "dask"}
        The container kind the batch came in and its results go back in.

    Methods
    -------
    len(batch)
        The number of images.
    batch.images
        The images as a list of ndarrays (a dask batch raises: its pixels
        are not in memory).
    batch.map(func, n_jobs=None, split=None)
        ``func`` (one image in, one result out) over every image, the
        results in the container kind of the batch; ``split`` is the step's
        declaration for images split into chunks (``sksegment._chunks``),
        used by dask batches only.
    batch.describe()
        ``(where, dtype, ndim)`` of the images, for checks made before any
        pixel is read: one entry per image (``"image 2 of X"``), or one for
        a dask array (``"X"``).
    """

    kind = None

    def describe(self):
        return [
            (f"image {i} of X", image.dtype, image.ndim)
            for i, image in enumerate(self.images)
        ]

    def __len__(self):  # pragma: no cover - protocol
        raise NotImplementedError

    def map(self, func, n_jobs=None, split=None):  # pragma: no cover - protocol
        raise NotImplementedError


class ImageBatch(Batch):
    """A validated batch of images in memory and the container kind it came in.

    Parameters
    ----------
    images : list of ndarray
        The images, each 2D or 3D (views of the input, never copies).
    kind : {"array", "list", "flat"}
        The container kind the batch came in and its results go back in.
    """

    __slots__ = ("images", "kind")

    def __init__(self, images, kind):
        self.images = images
        self.kind = kind

    def __len__(self):
        return len(self.images)

    def __iter__(self):
        return iter(self.images)

    def map(self, func, n_jobs=None, split=None):
        """Apply ``func`` to every image; the results in the container kind of X.

        ``func(image, out)`` gives the result for one image: an array of the
        image's spatial shape, or a scalar (the scalars of any kind of batch
        come back as one 1D array).  For stacked kinds, ``out`` is the
        image's slot in the batch result, allocated once for the whole batch
        from the first image's result; ``func`` writes there and returns
        ``out`` itself, or returns a new array, which is copied in (the batch
        is widened when its dtype must be).  For lists ``out`` is None.

        The dtype of a step's result depends on the input's dtype (and the
        image's shape), never on its values (``_kernels.kept_label_dtype``):
        the images of a stacked batch share one dtype, so the first result's
        dtype is every image's.  ``func`` writes into ``out`` only when its
        dtype holds every value of the result's (``_kernels.into``), and
        otherwise returns a new array: no value is ever truncated to fit.

        ``n_jobs`` other than None or 1 runs the images in threads (OpenCV,
        scikit-image, scipy and numpy release the GIL); the results are the
        same as with ``n_jobs=1``.  ``split`` is not used: in-memory images
        are whole.
        """
        images = self.images
        if self.kind == "list":
            results = _run(lambda image: func(image, None), images, n_jobs)
            if all(np.ndim(result) == 0 for result in results):
                return np.array(results)  # a scalar per image: never ragged
            return results
        first = func(images[0], None)
        if np.ndim(first) == 0:
            rest = _run(lambda image: func(image, None), images[1:], n_jobs)
            return np.array([first, *rest])
        if len(images) == 1:
            out = np.asarray(first)[None]  # a view, no copy
        else:
            out = np.empty((len(images), *np.shape(first)), dtype=first.dtype)
            out[0] = first

            def one(i):
                slot = out[i]
                result = func(images[i], slot)
                return None if result is slot else result

            for i, result in enumerate(_run(one, range(1, len(images)), n_jobs), 1):
                if result is not None:
                    result = np.asarray(result)
                    if not np.can_cast(result.dtype, out.dtype):
                        out = out.astype(np.result_type(out.dtype, result.dtype))
                    out[i] = result
        if self.kind == "flat":
            out = out.reshape(len(out), -1)
        return out


_POOL = None
_POOL_LOCK = threading.Lock()
_IN_POOL = threading.local()


def _pool():
    """The process's thread pool for steps, created on first use.

    A pool that lives across calls: joblib's threading backend starts
    threads on every call, which costs more than a cheap step on a batch.
    """
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(
                max_workers=os.cpu_count() or 1,
                thread_name_prefix="sksegment",
                initializer=setattr,
                initargs=(_IN_POOL, "active", True),
            )
        return _POOL


def _run(func, items, n_jobs):
    """``[func(item) for item in items]``, in threads when ``n_jobs`` asks.

    The items are cut into one contiguous chunk per thread, so that a thread
    pays the dispatch cost once, not once per image.  Calls made from inside
    the pool run sequentially (no nested parallelism, no deadlock).
    """
    items = list(items)
    n_threads = 1 if n_jobs is None else effective_n_jobs(n_jobs)
    n_threads = min(n_threads, len(items))
    if n_threads <= 1 or getattr(_IN_POOL, "active", False):
        return [func(item) for item in items]
    bounds = np.linspace(0, len(items), n_threads + 1).astype(int)
    chunks = [items[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    futures = [_pool().submit(_run_chunk, func, chunk) for chunk in chunks[1:]]
    results = _run_chunk(func, chunks[0])  # the calling thread takes a chunk too
    for future in futures:
        results.extend(future.result())
    return results


def _run_chunk(func, items):
    return [func(item) for item in items]


def name_of(step):
    """The name of a step (its class) or of a function (a str), for messages."""
    return step if isinstance(step, str) else type(step).__name__


def resolve_image_shape(image_shape, n_features, step):
    """The image shape for rows of ``n_features`` values, with -1 filled in."""
    shape = tuple(image_shape)
    if (
        len(shape) not in (2, 3)
        or not all(
            isinstance(n, Integral) and not isinstance(n, bool) and (n > 0 or n == -1)
            for n in shape
        )
        or shape.count(-1) > 1
    ):
        raise InvalidParameterError(
            f"The 'image_shape' parameter of {step} must be None or a tuple of 2 or 3 "
            f"positive ints, one of which may be -1; got {image_shape!r}."
        )
    known = int(np.prod([n for n in shape if n != -1]))
    if -1 in shape:
        if n_features % known:
            raise ValueError(
                f"{step} cannot read rows of {n_features} values as images of "
                f"shape {shape}: {n_features} is not a multiple of {known}."
            )
        shape = tuple(n_features // known if n == -1 else n for n in shape)
    elif known != n_features:
        raise ValueError(
            f"{step} has image_shape={shape}, which needs {known} values per row; "
            f"X has {n_features} values per row."
        )
    return shape


def validate_images(estimator, X, *, reset, finite=True):
    """Validate ``X``, an ndarray, list or tuple, as an ``ImageBatch``.

    The in-memory half of ``sksegment._base.validate_batch``, which
    documents the parameters.
    """
    step = name_of(estimator)
    image_shape = getattr(estimator, "image_shape", None)
    if image_shape is not None:
        X = validate_data(
            estimator,
            X,
            reset=reset,
            dtype="numeric",
            ensure_all_finite=finite,
            ensure_2d=True,
            ensure_min_features=1,
        )
        if X.dtype.kind not in "buif":
            raise TypeError(f"{step} expects numeric values; got dtype {X.dtype}.")
        shape = resolve_image_shape(image_shape, X.shape[1], step)
        images = X.reshape((X.shape[0], *shape))
        return ImageBatch(
            [check_image(im, step, finite=False) for im in images], "flat"
        )

    if reset and hasattr(estimator, "n_features_in_"):
        # refitted on images after a fit on flattened rows
        del estimator.n_features_in_
    if isinstance(X, (list, tuple)):
        if len(X) == 0:
            raise ValueError(
                f"{step} got an empty batch: a {type(X).__name__} of 0 images."
            )
        images = [
            check_image(image, step, index=i, finite=finite)
            for i, image in enumerate(X)
        ]
        for i, image in enumerate(images):
            if image.ndim == 3 and may_be_channels(image.shape):
                warn_channel_axis(image.shape, index=i)
                break  # once per call
        return ImageBatch(images, "list")

    X = np.asarray(X)
    if X.ndim in (0, 1, 2):
        hint = (
            " Wrap a single image as [image] or image[None]; for rows of flattened "
            "images set image_shape."
            if X.ndim == 2
            else ""
        )
        raise ValueError(
            f"{step} expects a batch of images (n_images, height, width) or a list "
            f"of images; got a {X.ndim}D array of shape {X.shape}.{hint}"
        )
    if X.ndim > 4:
        raise ValueError(
            f"{step} expects a batch of 2D or 3D images, an array of 3 or 4 "
            f"dimensions (n_images, ...); got a {X.ndim}D array of shape "
            f"{X.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{step} got an empty batch: an array of shape {X.shape}.")
    if may_be_channels(X.shape):
        warn_channel_axis(X.shape)
    images = [
        check_image(image, step, index=i, finite=finite) for i, image in enumerate(X)
    ]
    return ImageBatch(images, "array")


def image_list(images, func, name):
    """The images of a batch as a list of ndarrays, each checked.

    For functions that take batches of label images or masks (metrics,
    tables): ``images`` is an array ``(n_images, ...)`` or a list of 2D/3D
    arrays; ``func`` and ``name`` (the argument) are named in messages.
    """
    if isinstance(images, (list, tuple)):
        items = list(images)
    else:
        array = np.asarray(images)
        if array.ndim not in (3, 4):
            hint = (
                " Wrap a single image as [image] or image[None]."
                if array.ndim == 2
                else ""
            )
            raise ValueError(
                f"{func} expects {name} to be a batch of images, an array "
                f"(n_images, ...) or a list of 2D/3D arrays; got a "
                f"{array.ndim}D array of shape {array.shape}.{hint}"
            )
        items = list(array)
    if not items:
        raise ValueError(f"{func} got an empty batch: {name} holds no image.")
    return [
        check_image(image, f"{func} ({name})", index=i, finite=False)
        for i, image in enumerate(items)
    ]
