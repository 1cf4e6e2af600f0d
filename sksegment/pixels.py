"""Learned segmentation: per-pixel features and a pixel classifier.

:class:`PixelFeatures` turns each image into a stack of per-pixel features
(smoothed intensity, edges and texture at several scales, the features of
``skimage.feature.multiscale_basic_features``).  :class:`PixelClassifier`
learns from annotated images (full masks or a few strokes, as in ilastik)
which pixels are foreground, and turns images into probability maps, class
images or masks that the classical steps (threshold, hole filling, watershed
splitting, area filter) take from there.
"""

from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import _fit_context, clone, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from sksegment import _kernels
from sksegment._base import ImageStepMixin, ImageTransformer, _validate_cached
from sksegment._batch import resolve_image_shape
from sksegment._chunks import Overlap
from sksegment._docstrings import fill_doc
from sksegment._validation import StrictInterval

__all__ = ["PixelClassifier", "PixelFeatures"]

# The class of background pixels in class images and strokes (ilastik's
# convention: 0 is "not annotated", 1 the background, 2.. the objects).
BACKGROUND = 1
FOREGROUND = 2


def _kernel_params(features):
    return {
        "sigma_min": features.sigma_min,
        "sigma_max": features.sigma_max,
        "num_sigma": features.num_sigma,
        "intensity": features.intensity,
        "edges": features.edges,
        "texture": features.texture,
    }


@fill_doc
class PixelFeatures(ImageTransformer):
    """Per-pixel features of images at several scales, for pixel classifiers.

    For each image, a float32 stack ``(*image.shape, n_features)`` of the
    features of ``skimage.feature.multiscale_basic_features`` (same values,
    same order, up to float32 rounding): for each scale ``sigma``, from
    ``sigma_min`` to ``sigma_max``, the Gaussian-smoothed intensity, its
    Sobel edge magnitude and the eigenvalues of its Hessian (texture).
    Integer images are scaled as ``skimage.util.img_as_float`` does (uint8
    to [0, 1]).  The step learns nothing; ``fit`` records the number of
    dimensions of the images for :meth:`get_feature_names_out`.

    Parameters
    ----------
    sigma_min : float, default=1
        Smallest scale, > 0, in pixels.
    sigma_max : float, default=16
        Largest scale, >= ``sigma_min``, in pixels; it should be about the
        radius of the largest object.
    num_sigma : int or None, default=None
        Number of scales, spaced geometrically; None means one per octave
        (``log2(sigma_max / sigma_min) + 1``).
    intensity, edges, texture : bool, default=True
        Which features to compute; at least one must be True.
    %(image_shape_n_jobs)s

    Attributes
    ----------
    ndim_ : int
        Number of dimensions of the training images (2 or 3).
    %(n_features_in_)s

    See Also
    --------
    PixelClassifier : Classify the pixels of images from these features.
    skimage.feature.multiscale_basic_features : The same features.

    Notes
    -----
    A batch array gives an array ``(n_images, *spatial, n_features)``; a
    list gives a list.  In flattened mode (``image_shape``), each row of the
    output is an image's stack flattened (pixels first, features last).
    The stack is ``n_features`` float32 values per pixel (20 in 2D with the
    defaults), 80 times the bytes of a uint8 image: :class:`PixelClassifier`
    computes it tile by tile instead.  A dask array gives a lazy dask array
    (:ref:`dask-split-chunks`).  An axis of length 1 (flattened rows read as
    ``(1, -1)`` images) is treated as a constant extension of the image
    along it: derivatives along it are 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import PixelFeatures
    >>> images = np.zeros((2, 8, 9), dtype=np.uint8)
    >>> step = PixelFeatures(sigma_max=2).fit(images)
    >>> step.transform(images).shape
    (2, 8, 9, 8)
    >>> step.get_feature_names_out()[:4].tolist()
    ['intensity_s1', 'edges_s1', 'texture_s1_0', 'texture_s1_1']
    """

    _reads = "intensity"
    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "sigma_min": [StrictInterval(Real, 0, None, closed="neither")],
        "sigma_max": [StrictInterval(Real, 0, None, closed="neither")],
        "num_sigma": [None, StrictInterval(Integral, 1, None, closed="left")],
        "intensity": ["boolean"],
        "edges": ["boolean"],
        "texture": ["boolean"],
    }
    _stateless = True

    def __init__(
        self,
        sigma_min=1,
        sigma_max=16,
        num_sigma=None,
        *,
        intensity=True,
        edges=True,
        texture=True,
        image_shape=None,
        n_jobs=None,
    ):
        self.sigma_min = sigma_min
        self.sigma_max = sigma_max
        self.num_sigma = num_sigma
        self.intensity = intensity
        self.edges = edges
        self.texture = texture
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _check_params(self):
        name = type(self).__name__
        if self.sigma_max < self.sigma_min:
            raise InvalidParameterError(
                f"{name}: sigma_max must be >= sigma_min; got sigma_min="
                f"{self.sigma_min!r} and sigma_max={self.sigma_max!r}."
            )
        if not (self.intensity or self.edges or self.texture):
            raise InvalidParameterError(
                f"{name}: at least one of intensity, edges and texture must be "
                "True; all three are False."
            )

    def _fit(self, batch):
        self.ndim_ = batch.describe()[0][2]

    def _n_features(self, ndim):
        return len(_kernels.pixels.feature_names(ndim, **_kernel_params(self)))

    def _transform_image(self, image, out=None):
        return _stack(image, self, out)

    def _on_split_chunks(self, batch):
        """Images chunked within images: an overlap of the largest scale's halo."""
        n_features = self._n_features(batch.array.ndim - 1)
        return Overlap(
            _kernels.pixels.halo(self.sigma_max), np.float32, trailing=(n_features,)
        )

    def get_feature_names_out(self, input_features=None):
        """Give the names of the features, such as ``intensity_s1``, ``edges_s2``.

        Parameters
        ----------
        input_features : None
            Ignored: the inputs are pixels of images, not named columns.

        Returns
        -------
        names : ndarray of str
            One name per feature; in flattened mode, one per output column,
            ``"p{pixel}_{feature}"``.
        """
        check_is_fitted(self, "ndim_")
        names = _kernels.pixels.feature_names(self.ndim_, **_kernel_params(self))
        if self.image_shape is None or not hasattr(self, "n_features_in_"):
            return np.asarray(names, dtype=object)
        n_pixels = int(np.prod(self._flat_shape()))
        return np.asarray(
            [f"p{p}_{name}" for p in range(n_pixels) for name in names], dtype=object
        )

    def _flat_shape(self):
        return resolve_image_shape(
            self.image_shape, self.n_features_in_, type(self).__name__
        )


def _stack(image, features, out=None):
    """The feature stack of one image, with ``features``' parameters.

    Axes of length 1 are extended to 3 by repetition (a constant image along
    them, which the Hessian's finite differences need), then cut back.
    """
    params = _kernel_params(features)
    thin = [axis for axis, n in enumerate(image.shape) if n == 1]
    if not thin:
        return _kernels.pixels.multiscale_features(image, out=out, **params)
    padded = image
    for axis in thin:
        padded = np.repeat(padded, 3, axis=axis)
    stack = _kernels.pixels.multiscale_features(padded, **params)
    middle = tuple(slice(1, 2) if n == 1 else slice(None) for n in image.shape)
    if out is None:
        return np.ascontiguousarray(stack[middle])
    out[...] = stack[middle]
    return out


def _tiles(shape, tile_size, halo):
    """Tiles of an image: (core, padded, core within padded) slice tuples."""
    starts = [range(0, n, tile_size) for n in shape]
    for corner in np.ndindex(*[len(s) for s in starts]):
        core, padded, inner = [], [], []
        for axis, k in enumerate(corner):
            n = shape[axis]
            lo = starts[axis][k]
            hi = min(lo + tile_size, n)
            plo, phi = max(lo - halo, 0), min(hi + halo, n)
            core.append(slice(lo, hi))
            padded.append(slice(plo, phi))
            inner.append(slice(lo - plo, hi - plo))
        yield tuple(core), tuple(padded), tuple(inner)


def _default_estimator(random_state, n_jobs):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(
        n_estimators=_FOREST["n_estimators"],
        max_depth=_FOREST["max_depth"],
        min_samples_leaf=_FOREST["min_samples_leaf"],
        max_features="sqrt",
        n_jobs=n_jobs,
        random_state=random_state,
    )


# The dtype of each output of PixelClassifier.
_OUTPUT_DTYPES = {"proba": np.float32, "classes": np.int32, "mask": np.dtype(bool)}

# The default forest (see PixelClassifier's Notes and the user guide).
_FOREST = {"n_estimators": 20, "max_depth": 10, "min_samples_leaf": 5}


@fill_doc
class PixelClassifier(ImageTransformer):
    """Classify the pixels of images, learned from annotated images.

    The pixel classification of ilastik, APOC or scikit-image's
    ``fit_segmenter`` as a pipeline step.  ``fit(X, y)`` computes the pixel
    features of ``features`` (a :class:`PixelFeatures`) on the images ``X``
    and trains ``estimator`` on a stratified sample of the annotated pixels
    of ``y``; ``transform`` classifies every pixel, tile by tile, and gives
    a probability map, a class image or a mask per image.

    Parameters
    ----------
    estimator : classifier or None, default=None
        Any scikit-learn classifier, cloned in ``fit``; None means a random
        forest of 20 trees of depth at most 10 with leaves of at least 5
        pixels, seeded from ``random_state`` (see Notes).
    features : PixelFeatures or None, default=None
        The features, cloned in ``fit``; None means ``PixelFeatures()``.
    annotation : {"dense", "sparse"}, default="dense"
        What ``y`` holds.  ``"dense"``: label images or masks, every pixel
        annotated, > 0 (True) is foreground.  ``"sparse"``: integer stroke
        images, 0 = not annotated, 1 = background, 2 to k = classes of
        objects (ilastik's convention); only annotated pixels train.
    n_samples : int, default=10_000
        Number of annotated pixels, >= 2, drawn to train the estimator,
        stratified by class (each class in proportion to its annotated
        pixels, at least one of each); all of them when there are fewer.
    class_weight : {"balanced"} or None, default="balanced"
        ``"balanced"`` weights the sampled pixels inversely to the frequency
        of their class (``sample_weight``, which ``estimator.fit`` must
        accept); None weights every pixel alike.
    output : {"proba", "classes", "mask"}, default="proba"
        ``"proba"``: float32 probability of the foreground (every class but
        the background), or of ``positive_class``; ``"classes"``: int32
        image of the most probable class, in the annotation's numbering
        (1 = background, 2.. = classes); ``"mask"``: bool mask of the pixels
        whose most probable class is not the background (is
        ``positive_class`` when given).
    positive_class : int or None, default=None
        The class (>= 2, one of ``classes_``) whose probability or mask is
        given; None means every class but the background.
    tile_size : int, default=512
        Side, in pixels, of the tiles that are featurized and classified one
        at a time (each with the margin the largest scale needs); the
        result does not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seed of the pixel sampling and of the default forest.
    %(image_shape_n_jobs)s
        Images of at least 32768 pixels are classified one after the
        other, each one's pixels in ``n_jobs`` threads.  Also the default
        forest's ``n_jobs``.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    features_ : PixelFeatures
        The clone of ``features`` used.
    classes_ : ndarray of int
        The classes learned, in the annotation's numbering: ``[1, 2]``
        (background, foreground) for dense annotation.
    feature_names_ : ndarray of str
        Names of the pixel features the estimator was trained on.
    n_samples_fit_ : int
        Number of pixels the estimator was trained on.
    ndim_ : int
        Number of dimensions of the training images; ``transform`` takes
        images of as many.
    dtype_ : str
        Name of the dtype of the training images.  The features scale pixel values by
        their dtype's range (``skimage.util.img_as_float``), so ``transform``
        refuses integer or bool images of another dtype (floats of any width
        are one scale).
    %(n_features_in_)s

    See Also
    --------
    PixelFeatures : The pixel features.
    sksegment.datasets.make_strokes : Stroke annotations from label images.

    Notes
    -----
    ``y`` has the images' layout: an array ``(n_images, *spatial)``, a list
    of images of their shapes, or, in flattened mode, flattened rows (or one
    class per image, a 1D array, annotating all its pixels).  The default
    forest was sized on ``make_objects`` images (see the user guide):
    more trees or deeper ones did not raise the F1 of the objects, and
    cost time at every pixel of ``transform``.  Tiles keep the memory of
    ``transform`` to about one tile's features (``(tile_size + 2 * halo) **
    ndim * n_features`` float32 values) above the output; ``fit`` gathers
    the sampled pixels' features tile by tile too.  Dask arrays are
    transformed lazily (:ref:`dask-split-chunks`); ``fit`` needs images in
    memory.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import PixelClassifier, PixelFeatures
    >>> rng = np.random.default_rng(0)
    >>> images = rng.integers(0, 60, size=(2, 32, 32)).astype(np.uint8)
    >>> images[:, 8:20, 10:22] += 120
    >>> masks = np.zeros(images.shape, dtype=bool)
    >>> masks[:, 8:20, 10:22] = True
    >>> step = PixelClassifier(features=PixelFeatures(sigma_max=4),
    ...                        output="mask", random_state=0).fit(images, masks)
    >>> step.classes_
    array([1, 2])
    >>> bool((step.transform(images) == masks).mean() > 0.95)
    True
    """

    _reads = "intensity"
    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "estimator": [None, HasMethods(["fit", "predict"])],
        "features": [None, PixelFeatures],
        "annotation": [StrOptions({"dense", "sparse"})],
        "n_samples": [StrictInterval(Integral, 2, None, closed="left")],
        "class_weight": [None, StrOptions({"balanced"})],
        "output": [StrOptions({"proba", "classes", "mask"})],
        "positive_class": [None, StrictInterval(Integral, 2, None, closed="left")],
        "tile_size": [StrictInterval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        features=None,
        annotation="dense",
        n_samples=10_000,
        class_weight="balanced",
        output="proba",
        positive_class=None,
        tile_size=512,
        random_state=None,
        image_shape=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.features = features
        self.annotation = annotation
        self.n_samples = n_samples
        self.class_weight = class_weight
        self.output = output
        self.positive_class = positive_class
        self.tile_size = tile_size
        self.random_state = random_state
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = False
        return tags

    # --- fit

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Learn the classes of annotated pixels of ``X`` from ``y``.

        Parameters
        ----------
        X : ndarray of shape (n_images, ...) or list of ndarray
            The training images.
        y : ndarray of shape (n_images, ...) or list of ndarray
            Their annotations, one per image, of its shape: label images or
            masks (``annotation="dense"``) or strokes (``"sparse"``).

        Returns
        -------
        self : object
            The fitted step.
        """
        name = type(self).__name__
        self._check_params()
        batch = self._validate_batch(X, reset=True)
        annotations = self._annotations(batch, y)
        ndims = sorted({image.ndim for image in batch.images})
        if len(ndims) > 1:
            raise ValueError(
                f"{name} learns from images of one number of dimensions (their "
                f"features differ); X mixes {ndims[0]}D and {ndims[1]}D images."
            )
        scales = {_scale(dtype) for _, dtype, _ in batch.describe()}
        if len(scales) > 1:
            raise ValueError(
                f"{name} learns from pixel features scaled by the images' dtype "
                f"range (uint8 0-255 and uint16 0-65535 both to 0-1); X mixes "
                f"{', '.join(sorted(scales))}. Convert the training images to one "
                "dtype first."
            )
        features = PixelFeatures() if self.features is None else clone(self.features)
        _validate_cached(features)
        if features.image_shape is not None or features.n_jobs is not None:
            raise ValueError(
                f"{name} reads images and threads with its own image_shape and "
                "n_jobs; its features' are not used, so they must be None: got "
                f"features=PixelFeatures(image_shape={features.image_shape!r}, "
                f"n_jobs={features.n_jobs!r})."
            )
        rng = check_random_state(self.random_state)
        seed = rng.randint(np.iinfo(np.int32).max)
        if self.estimator is None:
            estimator = _default_estimator(
                rng.randint(np.iinfo(np.int32).max), self.n_jobs
            )
        else:
            estimator = clone(self.estimator)
        counts, classes = _class_counts(annotations)
        if classes[-1] > np.iinfo(np.int32).max:
            raise ValueError(
                f"{name} numbers classes in int32 class images; y holds the class "
                f"{classes[-1]}, above {np.iinfo(np.int32).max}. Number the "
                "stroke classes 1 (background), 2, 3, ..."
            )
        if len(classes) < 2:
            raise ValueError(
                f"{name} needs annotated pixels of at least 2 classes to learn; "
                f"y has 1 class ({_class_text(classes, self.annotation)})."
            )
        if self.positive_class is not None and self.positive_class not in classes:
            raise ValueError(
                f"{name}: positive_class={self.positive_class} is not among the "
                f"annotated classes {classes.tolist()}."
            )
        if self.output == "proba" and not hasattr(estimator, "predict_proba"):
            raise ValueError(
                f"{name}: output='proba' needs an estimator with predict_proba; "
                f"{type(estimator).__name__} has none. Use output='classes' or "
                "'mask', or another classifier."
            )
        if self.class_weight == "balanced" and not has_fit_parameter(
            estimator, "sample_weight"
        ):
            raise ValueError(
                f"{name}: class_weight='balanced' passes sample weights to the "
                f"estimator, but {type(estimator).__name__}.fit takes no "
                "sample_weight; set class_weight=None."
            )
        picks = _sample(counts, classes, annotations, self.n_samples, seed)
        self.features_ = features
        self.ndim_ = batch.images[0].ndim
        self.dtype_ = str(batch.describe()[0][1])
        halo = _kernels.pixels.halo(features.sigma_max)
        rows, targets = [], []
        for image, ann, pick in zip(batch.images, annotations, picks):
            if len(pick):
                rows.append(self._gather(image, pick, halo))
                targets.append(ann.reshape(-1)[pick])
        Xs = np.concatenate(rows)
        ys = np.concatenate(targets).astype(np.int64)
        weight = (
            compute_sample_weight("balanced", ys)
            if self.class_weight == "balanced"
            else None
        )
        if weight is None:
            estimator.fit(Xs, ys)
        else:
            estimator.fit(Xs, ys, sample_weight=weight)
        self.estimator_ = estimator
        self.classes_ = np.asarray(estimator.classes_)
        self.feature_names_ = np.asarray(
            _kernels.pixels.feature_names(self.ndim_, **_kernel_params(features)),
            dtype=object,
        )
        self.n_samples_fit_ = len(ys)
        return self

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and ``y``, then transform ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_images, ...) or list of ndarray
            The training images.
        y : ndarray of shape (n_images, ...) or list of ndarray
            Their annotations.

        Returns
        -------
        Xt : ndarray or list of ndarray
            The output of :meth:`transform` for ``X``.
        """
        return self.fit(X, y).transform(X)

    def _check_params(self):
        if self.estimator is not None and not is_classifier(self.estimator):
            raise InvalidParameterError(
                f"The 'estimator' parameter of {type(self).__name__} must be a "
                f"classifier; got {type(self.estimator).__name__}."
            )

    def _annotations(self, batch, y):
        """``y`` as one integer annotation image per image, stroke numbering."""
        name = type(self).__name__
        if y is None:
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None: "
                "give the annotations of the training images (label images, "
                "masks or strokes)."
            )
        if hasattr(y, "__dask_graph__") or batch.kind == "dask":
            raise NotImplementedError(
                f"{name} needs the training images and annotations in memory; "
                "fit on a sample (X[:k].compute(), y[:k].compute())."
            )
        images = batch.images
        if isinstance(y, (list, tuple)) and batch.kind != "flat":
            ys = [np.asarray(a) for a in y]
        else:
            y = np.asarray(y)
            if batch.kind == "flat" and y.ndim == 1:
                ys = [np.full(im.shape, v) for im, v in zip(images, y)]
                if len(y) != len(images):
                    ys = None
            elif batch.kind == "flat" and y.ndim == 2:
                ys = [
                    row.reshape(im.shape) if row.size == im.size else row
                    for row, im in zip(y, images)
                ]
                if len(y) != len(images):
                    ys = None
            else:
                ys = list(y) if y.ndim >= 1 else None
        if ys is None or len(ys) != len(images):
            given = len(y) if hasattr(y, "__len__") else type(y).__name__
            raise ValueError(
                f"{name}: y must hold one annotation per image of X ({len(images)} "
                f"images); got {given}."
            )
        out = []
        for i, (image, ann) in enumerate(zip(images, ys)):
            if ann.shape != image.shape:
                raise ValueError(
                    f"{name}: the annotation of image {i} has shape {ann.shape}, "
                    f"the image {image.shape}; they must match."
                )
            out.append(self._encode(ann, i))
        return out

    def _encode(self, ann, i):
        name = type(self).__name__
        kind = ann.dtype.kind
        if kind not in "buif":
            raise TypeError(
                f"{name}: annotations must be numeric; the annotation of image {i} "
                f"has dtype {ann.dtype}."
            )
        if kind == "f" and not np.isfinite(ann).all():
            raise ValueError(
                f"{name}: Input y contains NaN or infinity (annotation of image {i})."
            )
        if self.annotation == "dense":
            if kind in "if" and ann.min() < 0:
                raise ValueError(
                    f"{name}: dense annotations are label images or masks (>= 0); "
                    f"the annotation of image {i} has the value {ann.min()}."
                )
            return np.where(ann > 0, FOREGROUND, BACKGROUND).astype(np.uint8)
        if kind in "bf":
            if kind == "f" and np.array_equal(ann, np.round(ann)):
                ann = ann.astype(np.int64)
            else:
                raise TypeError(
                    f"{name}: stroke annotations (annotation='sparse') are integer "
                    f"images (0 = not annotated, 1 = background, 2.. = classes); "
                    f"the annotation of image {i} has dtype {ann.dtype}."
                )
        if ann.min() < 0:
            raise ValueError(
                f"{name}: strokes must be >= 0 (0 = not annotated); the annotation "
                f"of image {i} has the value {ann.min()}."
            )
        return ann

    def _gather(self, image, pick, halo):
        """Feature rows of the pixels at flat indices ``pick``, tile by tile."""
        coords = np.unravel_index(pick, image.shape)
        n_features = self.features_._n_features(image.ndim)
        rows = np.empty((len(pick), n_features), dtype=np.float32)
        for core, padded, _ in _tiles(image.shape, self.tile_size, halo):
            inside = np.ones(len(pick), dtype=bool)
            for c, s in zip(coords, core):
                inside &= (c >= s.start) & (c < s.stop)
            if not inside.any():
                continue
            stack = _stack(image[padded], self.features_)
            local = tuple(c[inside] - s.start for c, s in zip(coords, padded))
            rows[inside] = stack[local]
        return rows

    # --- transform

    def _transform_image(self, image, out=None, n_threads=1):
        dtype = _OUTPUT_DTYPES[self.output]
        if out is None:
            out = np.empty(image.shape, dtype=dtype)
        halo = _kernels.pixels.halo(self.features_.sigma_max)
        for core, padded, inner in _tiles(image.shape, self.tile_size, halo):
            stack = _stack(image[padded], self.features_)[inner]
            rows = stack.reshape(-1, stack.shape[-1])
            out[core] = self._predict_rows(rows, n_threads).reshape(out[core].shape)
        return out

    def _on_split_chunks(self, batch):
        """Images chunked within images: an overlap of the features' halo."""
        halo = _kernels.pixels.halo(self.features_.sigma_max)
        return Overlap(halo, _OUTPUT_DTYPES[self.output])

    def _predict_rows(self, rows, n_threads):
        """``_predict(rows)``, the rows cut into one contiguous chunk per
        thread: a tree's traversal releases the GIL, and each row's result
        does not depend on the rows predicted with it."""
        n_threads = min(n_threads, len(rows) // _MIN_ROWS)
        if n_threads <= 1:
            return self._predict(rows)
        bounds = np.linspace(0, len(rows), n_threads + 1).astype(int)
        chunks = [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        done = _kernels.pixels.map_threads(
            lambda k: self._predict(chunks[k]), range(n_threads), n_threads
        )
        return np.concatenate([done[k] for k in range(n_threads)])

    def _predict(self, rows):
        estimator, classes = self.estimator_, self.classes_
        if self.output == "proba":
            proba = estimator.predict_proba(rows)
            if self.positive_class is None:
                return 1.0 - proba[:, classes == BACKGROUND].sum(axis=1)
            return proba[:, np.flatnonzero(classes == self.positive_class)[0]]
        predicted = estimator.predict(rows)
        if self.output == "classes":
            return predicted.astype(np.int32)
        if self.positive_class is None:
            return predicted != BACKGROUND
        return predicted == self.positive_class

    def transform(self, X):
        """Classify every pixel of every image of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_images, ...), list of ndarray or dask array
            The batch of images.

        Returns
        -------
        Xt : ndarray, list of ndarray or dask array
            One image per image of ``X``, of its shape: float32
            probabilities, int32 classes or bool masks (``output``).
        """
        self._check_ready()
        batch = self._validate_batch(X, reset=False)
        name = type(self).__name__
        for where, dtype, ndim in batch.describe():
            if _scale(dtype) != _scale(self.dtype_):
                raise ValueError(
                    f"{name} was fitted on {self.dtype_} images; {where} is "
                    f"{dtype}, whose pixel values the features scale by another "
                    f"range ({_scale(dtype)} instead of {_scale(self.dtype_)}): "
                    "the classifier would see features it never learned. Convert "
                    f"the images to {self.dtype_}, or train on images of their "
                    "dtype."
                )
            if ndim != self.ndim_:
                raise ValueError(
                    f"{name} was fitted on {self.ndim_}D images; {where} is {ndim}D."
                )
        n_threads = 1 if self.n_jobs is None else effective_n_jobs(self.n_jobs)
        if n_threads > 1 and batch.kind != "dask" and _large(batch.images):
            # images one after the other, each one's pixels in threads
            def one(image, out):
                return self._transform_image(image, out, n_threads)

            return batch.map(one)
        return batch.map(
            self._transform_image, n_jobs=self.n_jobs, split=self._on_split_chunks
        )


def _scale(dtype):
    """The range ``img_as_float`` maps to [0, 1]: the dtype for integers and
    bools, one for every float (kept as they are)."""
    return "float" if np.dtype(dtype).kind == "f" else str(np.dtype(dtype))


# Below this many pixels per thread, threads cost more than they save.
_MIN_ROWS = 1 << 14


def _large(images):
    """Whether the images are large enough for their pixels to be predicted
    in threads, rather than the images themselves."""
    return max(image.size for image in images) >= 2 * _MIN_ROWS


def _class_text(classes, annotation):
    if annotation == "dense":
        return "every pixel is " + (
            "background" if classes.tolist() == [BACKGROUND] else "foreground"
        )
    return f"strokes of class {classes.tolist()}"


def _class_counts(annotations):
    """Annotated pixels per image and class, and the classes (sorted)."""
    found = []  # per image: its classes and their pixel counts, 0 left out
    for a in annotations:
        top = int(a.max()) if a.size else 0
        found.append(_kernels.object_areas(a, top))  # 0 is "not annotated"
    classes = np.unique(np.concatenate([v for v, _ in found]))
    counts = np.zeros((len(annotations), len(classes)), dtype=np.int64)
    for i, (values, n) in enumerate(found):
        counts[i, np.searchsorted(classes, values)] = n
    return counts, classes


def _sample(counts, classes, annotations, n_samples, seed):
    """Flat indices of the sampled pixels of each image, stratified by class.

    Each class gets ``n_samples`` times its share of the annotated pixels
    (largest remainders, at least one pixel), split among the images as a
    draw without replacement (multivariate hypergeometric), then the pixels
    of each image are drawn uniformly among its pixels of that class.
    """
    rng = np.random.default_rng(seed)
    totals = counts.sum(axis=0)
    if totals.sum() <= n_samples:
        quotas = totals
    else:
        exact = n_samples * totals / totals.sum()
        quotas = np.floor(exact).astype(np.int64)
        left = n_samples - quotas.sum()
        order = np.argsort(-(exact - quotas), kind="stable")
        quotas[order[:left]] += 1
        quotas = np.minimum(np.maximum(quotas, 1), totals)
    per_image = np.zeros_like(counts)
    for k in range(len(classes)):
        per_image[:, k] = rng.multivariate_hypergeometric(counts[:, k], quotas[k])
    picks = []
    for i, ann in enumerate(annotations):
        flat = ann.reshape(-1)
        chosen = []
        for k, cls in enumerate(classes):
            if per_image[i, k]:
                where = np.flatnonzero(flat == cls)
                chosen.append(rng.choice(where, size=per_image[i, k], replace=False))
        picks.append(np.sort(np.concatenate(chosen)) if chosen else np.empty(0, int))
    return picks
