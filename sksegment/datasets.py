"""Image batches with known object counts, to test and benchmark counting.

:func:`load_coins` wraps scikit-image's ``coins`` photograph with its count of
24 coins; :func:`make_objects` generates synthetic batches whose counts and
ground-truth label images are exact by construction, optionally in classes
of images whose objects differ in size, shape, brightness or number.
"""

import math
from collections.abc import Mapping
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
import skimage.data
from scipy import ndimage
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import InvalidParameterError, validate_params

from sksegment._validation import Range, SequenceOf, StrictInterval
from sksegment.pixels import BACKGROUND, FOREGROUND

__all__ = ["load_coins", "make_objects", "make_strokes"]

# Grey levels (0-255) of the synthetic images, before noise.
_BACKGROUND_LEVEL = 25.0  # darkest background; the gradient adds on top of it
_OBJECT_LEVELS = (150.0, 220.0)  # objects, border objects and debris (inclusive)
_MAX_GRADIENT = 0.45  # 25 + 0.45 * 255 = 139.75 < 150: a global threshold exists

# Geometry of the synthetic images, in pixels.
_MIN_RADIUS = 5.0  # smallest semi-axis of an object (area >= ~78 px > debris)
_DEBRIS_RADIUS = (1.0, 2.5)  # semi-axes of debris specks (inclusive)
_DEBRIS_MAX_AREA = 20  # debris specks have 1 to 20 pixels (inclusive)
_CRACK_WIDTHS = (1, 2)  # cracks are 1 or 2 pixels wide
_CRACK_OFFSET = 0.2  # crack passes within 0.2 * smaller semi-axis of the centre
_MIN_SHAPE = 32  # smallest image side
_MAX_ATTEMPTS = 50  # rejection-sampling attempts per thing to place
# Objects in a row that found no room: the image is full, the rest are not
# tried (an n_objects far beyond what fits would otherwise run for ever).
_MAX_MISSES = 100

# Touching objects: clumps of 2 or 3 discs of one radius whose centres are
# 1.3 to 1.6 radii apart (inclusive): they overlap, with a neck narrower than
# the discs, which a watershed of the distance transform splits.  (At 1.2
# radii the neck's distance is only 20% below the peaks and a 5x5 closing
# often fills it.)
_CLUMP_SPACING = (1.3, 1.6)
# Three discs form a chain bent by at most 30 degrees: a sharper bend makes
# the middle of the chain one fat blob whose distance map has one maximum.
_CLUMP_BEND = np.pi / 6

# Dim objects: a flat level 40 grey levels above the brightest background
# pixel under the object, and at least 15 below the brightest background of
# the image; the gradient must make room for both.
_DIM_CONTRAST = 40.0
_DIM_MARGIN = 15.0
_DIM_MIN_GRADIENT = 0.3  # 25 + 0.3 * 255 = 101.5 > 25 + 40 + 15 = 80

# Classes of images (make_objects(classes=k)): the first k of these.  A spec
# overrides, for the counted objects of its images, the range of the semi-axes
# ("radius"), the ratio of the long semi-axis to the short one ("elongation";
# without it both are drawn from "radius"), the grey levels ("level") and the
# number of objects ("n_objects"; "double" means twice the argument's range).
_DEFAULT_CLASSES = (
    {"name": "small round", "radius": (6, 9), "elongation": (1.0, 1.3)},
    {"name": "large round", "radius": (10, 14), "elongation": (1.0, 1.3)},
    {"name": "elongated", "radius": (6, 8), "elongation": (1.8, 2.5)},
    {
        "name": "crowded",
        "radius": (6, 9),
        "elongation": (1.0, 1.3),
        "n_objects": "double",
    },
)
# Hard images (texture, haze, contrast): the background texture is white
# noise smoothed at this sigma (grains of a few pixels, like the debris); the
# haze is 1 to 3 Gaussian glows of this sigma as a fraction of the smaller
# side; haze may reach this fraction of 255.
_TEXTURE_SIGMA = 1.5
_HAZE_SIZE = (0.15, 0.3)
_MAX_HAZE = 0.8
_MAX_TEXTURE = 0.5

_CLASS_KEYS = ("name", "n_objects", "radius", "elongation", "level")
_MAX_LEVEL = 255.0

# Parameter constraints shared by make_objects and its class specs.
_N_OBJECTS = Range(Integral, 0)
_RADIUS = Range(Real, _MIN_RADIUS, unit=" (in pixels)")
_CONTRAST = Range(Real, 1.0, unit=" (in grey levels)")
_CLASS_RANGES = {
    "n_objects": _N_OBJECTS,
    "radius": _RADIUS,
    "elongation": Range(Real, 1.0),
    "level": Range(Real, _OBJECT_LEVELS[0], _MAX_LEVEL, unit=" (grey levels)"),
}


def _at_least(low):
    return StrictInterval(Integral, low, None, closed="left")


def _fraction(high=1.0):
    return StrictInterval(Real, 0.0, high, closed="both")


_COINS_DESCR = """\
Greek coins from Pompeii
------------------------

One grey-level photograph (303 x 384 pixels, uint8) of 24 coins on a darker,
unevenly lit background, from ``skimage.data.coins()`` (Brooklyn Museum
Collection, no known copyright restrictions). It ships with scikit-image:
nothing is downloaded.

``images`` has shape (1, 303, 384); ``counts`` is ``[24]``.

The count follows scikit-image's gallery example ``plot_label.py`` ("Label
image regions": threshold, binary closing, ``clear_border``, ``label``, then
keep regions with area >= 100). The gallery runs it on a crop
(``coins[50:-50, 50:-50]``) with Otsu's threshold and a 3x3 closing. On the
whole image, this recipe gives the 24 coins:

1. ``image > 120`` (Otsu's threshold of the whole image is 107, too low:
   some coins merge with bright background that reaches the image edge,
   ``clear_border`` removes them and the recipe finds only 21 regions);
2. binary closing with a 5x5 square
   (``skimage.morphology.footprint_rectangle((5, 5))``);
3. ``skimage.segmentation.clear_border``;
4. ``skimage.measure.label``;
5. keep the components of area > 100 pixels: 24 coins.
"""


def load_coins():
    """Load scikit-image's coins photograph as a batch of one image.

    A real image with a known count, 24 coins, that the classical recipe
    recovers with a hand-picked threshold but not with Otsu's threshold.

    Returns
    -------
    :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        images : ndarray of shape (1, 303, 384), dtype uint8
            The photograph, a fresh copy at each call.
        counts : ndarray of shape (1,), dtype int64
            The number of coins, 24.
        DESCR : str
            Description of the image and of the recipe that counts its coins.

    See Also
    --------
    make_objects : Synthetic images with exact counts and label images.
    skimage.data.coins : The photograph itself.

    Notes
    -----
    The recipe of scikit-image's gallery example "Label image regions"
    (``plot_label.py``) adapted to the whole image counts the 24 coins:
    threshold at 120 (Otsu's threshold, 107, is too low and leads to 21),
    binary closing with a 5x5 square, ``clear_border``, ``label`` and keep the
    components of area > 100 pixels. ``DESCR`` gives the details. The image
    ships with scikit-image: nothing is downloaded.

    Examples
    --------
    >>> from sksegment.datasets import load_coins
    >>> coins = load_coins()
    >>> coins.images.shape, coins.images.dtype
    ((1, 303, 384), dtype('uint8'))
    >>> coins.counts
    array([24])
    """
    images = np.array(skimage.data.coins()[None], dtype=np.uint8, copy=True)
    return Bunch(
        images=images,
        counts=np.array([24], dtype=np.int64),
        DESCR=_COINS_DESCR,
    )


@validate_params(
    {
        "n_images": [_at_least(1)],
        "shape": [
            SequenceOf(
                _at_least(_MIN_SHAPE),
                length=2,
                what=f"an int >= {_MIN_SHAPE} (2D images only)",
            )
        ],
        "n_objects": [_N_OBJECTS],
        "radius": [_RADIUS],
        "border_objects": [_at_least(0)],
        "debris": [_at_least(0)],
        "crack_fraction": [_fraction()],
        "touching": [_fraction()],
        "dim_fraction": [_fraction()],
        "gradient": [_fraction(_MAX_GRADIENT)],
        "noise": [_fraction()],
        "min_gap": [_at_least(2)],
        "classes": [
            StrictInterval(Integral, 2, len(_DEFAULT_CLASSES), closed="both"),
            SequenceOf(
                Mapping, min_length=1, what=f"a dict with keys among {_CLASS_KEYS}"
            ),
            None,
        ],
        "texture": [_fraction(_MAX_TEXTURE)],
        "haze": [_fraction(_MAX_HAZE)],
        "contrast": [_CONTRAST, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_objects(
    n_images=10,
    shape=(256, 256),
    *,
    n_objects=(8, 16),
    radius=(7, 14),
    border_objects=2,
    debris=6,
    crack_fraction=0.3,
    touching=0.0,
    dim_fraction=0.0,
    gradient=0.3,
    noise=0.05,
    min_gap=8,
    classes=None,
    texture=0.0,
    haze=0.0,
    contrast=None,
    random_state=None,
):
    """Generate images of bright objects with exact counts and label images.

    Each image shows bright filled ellipses (the counted objects) on a darker,
    unevenly lit and noisy background, with distractors that a counting
    recipe must discard: objects cut by the border, small bright debris, and
    thin dark cracks that split some objects in two.  The classical recipe
    (global threshold, closing, ``clear_border``, ``label``, area filter)
    recovers the counts exactly.  ``touching``, ``dim_fraction``, ``texture``,
    ``haze`` and ``contrast`` make harder images; ``classes`` makes a
    classification data set.

    Parameters
    ----------
    n_images : int, default=10
        Number of images, >= 1.
    shape : tuple of 2 int, default=(256, 256)
        Height and width of each image in pixels, each >= 32 (2D only).
    n_objects : int or tuple of 2 int, default=(8, 16)
        Inclusive range ``(low, high)``, ``0 <= low <= high``, of the number
        of counted objects per image, drawn uniformly; an int ``n`` means
        ``(n, n)``.  An object that cannot be placed is skipped: ``counts``
        gives the number placed.
    radius : float or tuple of 2 float, default=(7, 14)
        Inclusive range ``(low, high)``, ``5 <= low <= high``, of the
        semi-axes of the objects and border objects in pixels, each drawn
        uniformly; a number ``r`` means discs of radius ``r``.  It needs
        ``2 * high + 2 * min_gap + 1 <= min(shape)``.
    border_objects : int, default=2
        Number of objects cut by the image border per image, >= 0; neither
        counted nor in ``labels``.
    debris : int, default=6
        Number of bright specks of 1 to 20 pixels per image, >= 0; neither
        counted nor in ``labels``.
    crack_fraction : float, default=0.3
        Fraction, in ``[0, 1]``, of the counted objects crossed by a dark
        crack 1 or 2 pixels wide that splits them in two; a closing mends it.
        Objects in clumps are never cracked.
    touching : float, default=0.0
        Fraction, in ``[0, 1]``, of the counted objects that come in clumps
        of 2 or 3 overlapping discs: one connected component, one id per
        disc in ``labels``.
    dim_fraction : float, default=0.0
        Fraction, in ``[0, 1]``, of the counted objects that are dimmer than
        the bright side of the background, so that no global threshold finds
        them all.  It needs ``gradient >= 0.3`` and
        ``touching + dim_fraction <= 1``.
    gradient : float, default=0.3
        Strength of the linear illumination gradient, as a fraction of 255,
        in ``[0, 0.45]``: the background rises from 25 to
        ``25 + 255 * gradient`` across the image, in a random direction.
    noise : float, default=0.05
        Standard deviation of the additive Gaussian noise, as a fraction of
        255, in ``[0, 1]``.
    min_gap : int, default=8
        Smallest number of background pixels, >= 2, between any two bright
        things, and between a counted object and the image edge.
    classes : int, sequence of dict or None, default=None
        None: one kind of image.  An int ``k`` (2 to 4): the first ``k`` of
        the classes "small round", "large round", "elongated" and "crowded".
        A sequence: one dict per class, with optional keys ``"n_objects"``,
        ``"radius"``, ``"elongation"``, ``"level"`` and ``"name"``
        overriding the arguments for that class's counted objects.
    texture : float, default=0.0
        Standard deviation of a grainy texture added to the background, as a
        fraction of 255, in ``[0, 0.5]``.
    haze : float, default=0.0
        Peak of 1 to 3 broad bright glows added over everything, as a
        fraction of 255, in ``[0, 0.8]``.  The brightest object level plus
        ``255 * haze`` must not exceed 255: give ``contrast`` with a strong
        haze.
    contrast : float, tuple of 2 float or None, default=None
        None: objects, border objects and debris have flat grey levels from
        150 to 220 (or the classes' ``"level"``).  A range ``(low, high)``,
        ``1 <= low <= high``: each has a flat level this many grey levels
        above the lighting under it; ``25 + 255 * gradient + high`` plus
        ``255 * haze`` must not exceed 255.  Not with classes that set
        ``"level"``.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of all random choices. Pass an int for
        reproducible output; a RandomState instance is advanced.

    Returns
    -------
    :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        images : ndarray of shape (n_images, height, width), dtype uint8
            The images.
        counts : ndarray of shape (n_images,), dtype int64
            The number of counted objects in each image.
        labels : ndarray of shape (n_images, height, width), dtype int32
            Ground-truth label image of the counted objects only: 0 for
            everything else, ids ``1..counts[i]`` in image ``i``. Cracked
            objects keep their crack pixels.
        DESCR : str
            Description of the construction, with the parameters used.
        target : ndarray of shape (n_images,), dtype int64
            Only with ``classes``: the class of each image, 0 to
            ``n_classes - 1``.
        target_names : ndarray of shape (n_classes,), dtype str
            Only with ``classes``: the name of each class (``"class 0"``,
            ... for specs without a name).

    See Also
    --------
    load_coins : A real photograph with a known count.
    skimage.draw.ellipse : Draws one filled ellipse.

    Notes
    -----
    With the defaults, thresholding between 125 and 150, closing with a 5 x 5
    square, ``clear_border``, ``label`` and keeping the components of at
    least 50 pixels recovers ``counts`` exactly.  :ref:`make-objects` says
    how the images are built and why the recipe is exact, and details the
    harder images and the classes.

    Examples
    --------
    >>> from sksegment.datasets import make_objects
    >>> data = make_objects(n_images=3, shape=(64, 64), n_objects=(1, 3),
    ...                     radius=(5, 8), random_state=0)
    >>> data.images.shape, data.images.dtype
    ((3, 64, 64), dtype('uint8'))
    >>> data.labels.shape, data.labels.dtype
    ((3, 64, 64), dtype('int32'))
    >>> bool((data.labels.max(axis=(1, 2)) == data.counts).all())
    True

    The classical recipe counts the objects exactly:

    >>> import numpy as np
    >>> from skimage.measure import label
    >>> from skimage.morphology import closing, footprint_rectangle
    >>> from skimage.segmentation import clear_border
    >>> def count(image):
    ...     mask = closing(image > 130, footprint_rectangle((5, 5)))
    ...     areas = np.bincount(label(clear_border(mask)).ravel())[1:]
    ...     return int((areas >= 50).sum())
    >>> [count(image) for image in data.images] == data.counts.tolist()
    True

    Images in two classes, small round objects and large round objects:

    >>> data = make_objects(n_images=4, shape=(96, 96), n_objects=(2, 4),
    ...                     classes=2, random_state=0)
    >>> data.target, data.target_names
    (array([0, 1, 1, 0]), array(['small round', 'large round'], dtype='<U11'))
    """
    name = "make_objects"
    n_images, shape = int(n_images), (int(shape[0]), int(shape[1]))
    n_low, n_high = _N_OBJECTS.pair(n_objects)
    r_low, r_high = _RADIUS.pair(radius)
    border_objects, debris, min_gap = int(border_objects), int(debris), int(min_gap)
    crack_fraction, touching = float(crack_fraction), float(touching)
    dim_fraction, gradient, noise = float(dim_fraction), float(gradient), float(noise)
    texture, haze = float(texture), float(haze)
    if touching + dim_fraction > 1.0:
        raise ValueError(
            f"{name}: touching + dim_fraction must be <= 1 (they are fractions of "
            f"the same objects), got touching={touching:g} and "
            f"dim_fraction={dim_fraction:g}."
        )
    if dim_fraction > 0 and gradient < _DIM_MIN_GRADIENT:
        raise ValueError(
            f"{name}: dim objects need gradient >= {_DIM_MIN_GRADIENT:g} (a bright "
            f"side of the background brighter than they are), got "
            f"dim_fraction={dim_fraction:g} with gradient={gradient:g}."
        )
    needed = 2 * r_high + 2 * min_gap + 1
    if needed > min(shape):
        raise ValueError(
            f"{name}: radius={radius!r} and min_gap={min_gap!r} do not fit in "
            f"shape={shape!r}: an object with its margins needs "
            f"2 * radius_high + 2 * min_gap + 1 = {needed:g} pixels, more than "
            f"the smallest side, {min(shape)}."
        )
    specs = _class_specs(classes, name, (n_low, n_high))
    if specs is not None:
        _check_classes_fit(specs, name, shape, min_gap, (r_low, r_high))
    if contrast is not None:
        contrast = _CONTRAST.pair(contrast)
        if specs is not None and any("level" in spec for spec in specs):
            raise ValueError(
                f"{name}: contrast sets the grey levels of the objects; it "
                "cannot be combined with classes that set 'level'."
            )
        brightest = _BACKGROUND_LEVEL + 255 * gradient + contrast[1]
        what = f"25 + 255 * gradient + contrast_high = {brightest:g}"
    else:
        brightest = max(
            [_OBJECT_LEVELS[1]]
            + [spec["level"][1] for spec in specs or () if "level" in spec]
        )
        what = f"the brightest object level, {brightest:g},"
    if brightest + 255 * haze > _MAX_LEVEL:
        raise ValueError(
            f"{name}: haze={haze:g} would saturate the brightest objects: "
            f"{what} plus 255 * haze = {255 * haze:g} exceeds 255. Lower haze, "
            "or give a lower contrast (and gradient)."
        )
    rng = check_random_state(random_state)

    images = np.empty((n_images, *shape), dtype=np.uint8)
    labels = np.zeros((n_images, *shape), dtype=np.int32)
    counts = np.zeros(n_images, dtype=np.int64)
    settings = SimpleNamespace(
        shape=shape,
        n_objects=(n_low, n_high),
        radius=(r_low, r_high),
        border_objects=border_objects,
        debris=debris,
        crack_fraction=crack_fraction,
        touching=touching,
        dim_fraction=dim_fraction,
        gradient=gradient,
        noise=noise,
        min_gap=min_gap,
        border_radius=(r_low, r_high),
        elongation=None,
        level=_OBJECT_LEVELS,
        texture=texture,
        haze=haze,
        contrast=contrast,
        pending=[],  # hard images waiting for texture and haze
    )
    if specs is None:
        for i in range(n_images):
            counts[i] = _make_one(images[i], labels[i], settings, rng)
    else:
        target = rng.permutation(np.arange(n_images) % len(specs))
        per_class = [_class_settings(settings, spec) for spec in specs]
        for i in range(n_images):
            counts[i] = _make_one(images[i], labels[i], per_class[target[i]], rng)

    descr = _OBJECTS_DESCR.format(
        params=(
            f"n_images={n_images}, shape={shape}, n_objects=({n_low}, {n_high}), "
            f"radius=({r_low:g}, {r_high:g}), border_objects={border_objects}, "
            f"debris={debris}, crack_fraction={crack_fraction:g}, "
            f"touching={touching:g}, dim_fraction={dim_fraction:g}, "
            f"gradient={gradient:g}, noise={noise:g}, min_gap={min_gap}"
            + _hard_params(texture, haze, contrast)
        ),
        min_gap=min_gap,
        max_side=min_gap - 1,
        bg_high=_BACKGROUND_LEVEL + 255 * gradient,
        noise_std=255 * noise,
    )
    _add_texture_and_haze(settings.pending, texture, haze, rng)
    if texture or haze or contrast is not None:
        descr += _HARD_DESCR
    if specs is None:
        return Bunch(images=images, counts=counts, labels=labels, DESCR=descr)
    descr += _classes_descr(specs)
    return Bunch(
        images=images,
        counts=counts,
        labels=labels,
        target=target.astype(np.int64),
        target_names=np.array([spec["name"] for spec in specs]),
        DESCR=descr,
    )


def _hard_params(texture, haze, contrast):
    """The hard-image arguments for DESCR, only those given."""
    parts = []
    if texture:
        parts.append(f"texture={texture:g}")
    if haze:
        parts.append(f"haze={haze:g}")
    if contrast is not None:
        parts.append(f"contrast=({contrast[0]:g}, {contrast[1]:g})")
    return "".join(", " + part for part in parts)


_HARD_DESCR = """
Hard images: a background texture (smoothed noise) adds bright grains of
about the size of debris; a haze (broad glows over everything) makes parts
of the background brighter than objects elsewhere; with contrast, each
object is a drawn number of grey levels above the lighting under it, so
some objects are faint. No global threshold separates objects from the
background; a classifier of local features (a PixelClassifier) does.
"""


@validate_params(
    {
        "labels": ["array-like"],
        "images": ["array-like", None],
        "n_lines": [_at_least(0)],
        "n_bright": [_at_least(0)],
        "gap": [_at_least(1)],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_strokes(
    labels, images=None, *, n_lines=1, n_bright=6, gap=6, random_state=None
):
    """Stroke annotations of label images, as a person would draw them.

    Sparse annotations for :class:`~sksegment.PixelClassifier` with
    ``annotation="sparse"``, in ilastik's convention: 0 = not annotated,
    1 = background, 2 = object.  Strokes cross every object, run along
    both sides of parts of its edge, fill the gaps between objects close to
    each other, cross the background and, given the images, mark the
    brightest background spots (where a threshold goes wrong and an
    annotator corrects the classifier): 3% to 5% of the pixels, which train
    a classifier nearly as well as the full masks.

    Parameters
    ----------
    labels : ndarray of shape (n_images, height, width) or list of ndarray
        Label images (0 is the background) or masks, 2D.
    images : ndarray or list of ndarray or None, default=None
        The intensity images of ``labels``, for the ``n_bright`` strokes.
    n_lines : int, default=1
        Number of straight background strokes per image, >= 0: lines between
        two random points on the image border, kept where they are at least
        3 pixels from every object.
    n_bright : int, default=6
        Number of short background strokes per image, >= 0, only with
        ``images``: 15 pixels long in a random direction, centred on the
        brightest spots of the smoothed image (Gaussian of sigma 2) at least
        3 pixels from every object and 10 pixels from each other.
    gap : int, default=6
        Background strokes are drawn in the gaps between objects closer
        than ``2 * gap`` pixels, >= 1: the line midway between them (where
        objects grown by ``gap`` pixels meet), 1 to 2 pixels wide.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the directions of the strokes and of the
        choice of edge arcs.

    Returns
    -------
    strokes : ndarray of shape (n_images, height, width), dtype uint8
        The strokes (a list for a list of label images).

    See Also
    --------
    make_objects : Images with their label images.

    Notes
    -----
    Object strokes (2): a line through the point of each object farthest
    from its edge (the background or another object), in a random
    direction, across the object but not on its outline; and arcs of the
    outline, about a quarter of it.  Background strokes (1): the same arcs
    on the first pixels outside the objects, so that both sides of those
    edges are annotated; the lines midway between objects closer than
    ``2 * gap``; ``n_lines`` lines across the image and ``n_bright`` short
    strokes on bright spots, both at least 3 pixels from every object.
    Touching objects each get their own line; the edge between them is not
    annotated as background.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.datasets import make_objects, make_strokes
    >>> data = make_objects(n_images=2, shape=(64, 64), n_objects=(2, 3),
    ...                     radius=(5, 8), random_state=0)
    >>> strokes = make_strokes(data.labels, random_state=0)
    >>> strokes.dtype, sorted(np.unique(strokes).tolist())
    (dtype('uint8'), [0, 1, 2])
    >>> bool(np.all(data.labels[strokes == 2] > 0))
    True
    >>> bool(np.all(data.labels[strokes == 1] == 0))
    True
    """
    name = "make_strokes"
    rng = check_random_state(random_state)
    as_list = isinstance(labels, (list, tuple))
    if not as_list:
        labels = np.asarray(labels)
        if labels.ndim != 3:
            raise ValueError(
                f"{name}: labels must be a batch of 2D label images (n_images, "
                f"height, width) or a list of them; got shape {labels.shape}."
            )
    if images is not None and len(images) != len(labels):
        raise ValueError(
            f"{name}: images must hold one image per label image; got "
            f"{len(images)} images for {len(labels)} label images."
        )
    out = []
    for i, image in enumerate(labels):
        image = np.asarray(image)
        if image.ndim != 2 or image.dtype.kind not in "biu":
            raise ValueError(
                f"{name}: labels must be 2D integer label images or bool masks; "
                f"image {i} is {image.ndim}D of dtype {image.dtype}."
            )
        intensity = None if images is None else np.asarray(images[i], dtype=float)
        if intensity is not None and intensity.shape != image.shape:
            raise ValueError(
                f"{name}: image {i} has shape {intensity.shape}, its labels "
                f"{image.shape}; they must match."
            )
        out.append(_strokes_of(image, intensity, n_lines, n_bright, gap, rng))
    return out if as_list else np.stack(out)


# How close strokes come to the edges of objects, in pixels: object lines
# stop at this distance inside the outline (1: just inside it, the outline
# itself is not annotated); background arcs run this far outside.
_STROKE_DEPTH = 1
_BRIGHT_LENGTH = 15  # pixels, the short strokes on bright background spots


def _strokes_of(labels, image, n_lines, n_bright, gap, rng):
    from skimage.draw import line
    from skimage.measure import label as label_components
    from skimage.segmentation import expand_labels, find_boundaries

    if labels.dtype == bool:
        labels = label_components(labels)
    strokes = np.zeros(labels.shape, dtype=np.uint8)
    objects = labels > 0
    # objects: a line across each object through its deepest point (edges
    # between objects cut), in a random direction, up to its outline
    inner = objects & ~find_boundaries(labels, mode="inner")
    depth = ndimage.distance_transform_edt(inner)
    ids = np.unique(labels[objects])
    if len(ids):
        deepest = np.zeros(labels.max() + 1)
        deepest[ids] = ndimage.maximum(depth, labels, ids)
        centres = ndimage.maximum_position(depth, labels, ids)
        height, width = labels.shape
        for k, (r, c) in zip(ids, centres):
            phi = rng.uniform(0.0, np.pi)
            reach = 2 * deepest[k] + 2
            dr, dc = reach * np.cos(phi), reach * np.sin(phi)
            ends = np.clip(
                np.rint([r - dr, c - dc, r + dr, c + dc]),
                0,
                [height - 1, width - 1] * 2,
            ).astype(int)
            rr, cc = line(*ends)
            keep = (labels[rr, cc] == k) & (depth[rr, cc] >= _STROKE_DEPTH)
            strokes[rr[keep], cc[keep]] = FOREGROUND
    # background next to the objects: arcs of a ring just outside them
    distance = ndimage.distance_transform_edt(~objects)
    field = ndimage.gaussian_filter(rng.normal(size=labels.shape), 3.0)
    arcs = field > 0.67 * field.std()  # about a quarter of the ring
    ring = (distance >= _STROKE_DEPTH) & (distance < _STROKE_DEPTH + 1)
    strokes[ring & arcs] = BACKGROUND
    # and along the same arcs on their outlines: both sides of their edges
    strokes[objects & ~inner & arcs] = FOREGROUND
    # gaps: where objects grown by ``gap`` meet, on the background
    grown = expand_labels(labels, distance=gap)
    meet = find_boundaries(grown, mode="inner") & (grown > 0)
    between = meet & ~find_boundaries(grown > 0, mode="inner")
    strokes[between & ~objects] = BACKGROUND
    # lines across the background, 3 pixels or more from every object
    far = distance >= 3
    height, width = labels.shape
    for _ in range(n_lines):
        ends = []
        for _ in range(2):
            side = rng.randint(4)
            t = rng.uniform()
            r = (0 if side == 0 else height - 1) if side < 2 else t * (height - 1)
            c = t * (width - 1) if side < 2 else (0 if side == 2 else width - 1)
            ends.append((int(round(r)), int(round(c))))
        rr, cc = line(*ends[0], *ends[1])
        keep = far[rr, cc]
        strokes[rr[keep], cc[keep]] = BACKGROUND
    # short strokes on the brightest background spots
    if image is not None and n_bright:
        bright = ndimage.gaussian_filter(image, 2.0)
        free = far.copy()
        half = (_BRIGHT_LENGTH - 1) / 2
        for _ in range(n_bright):
            if not free.any():
                break
            r, c = np.unravel_index(
                np.argmax(np.where(free, bright, -np.inf)), free.shape
            )
            phi = rng.uniform(0.0, np.pi)
            ends = np.clip(
                np.rint(
                    [
                        r - half * np.cos(phi),
                        c - half * np.sin(phi),
                        r + half * np.cos(phi),
                        c + half * np.sin(phi),
                    ]
                ),
                0,
                [height - 1, width - 1] * 2,
            ).astype(int)
            rr, cc = line(*ends)
            keep = far[rr, cc]
            strokes[rr[keep], cc[keep]] = BACKGROUND
            free[max(r - 10, 0) : r + 11, max(c - 10, 0) : c + 11] = False
    return strokes


def _class_settings(settings, spec):
    """The settings of the images of one class: the spec's overrides."""
    merged = SimpleNamespace(**vars(settings))
    for key in ("n_objects", "radius", "elongation", "level"):
        if key in spec:
            setattr(merged, key, spec[key])
    return merged


def _classes_descr(specs):
    lines = ["", "Classes (``target``), each image's counted objects as follows:", ""]
    for k, spec in enumerate(specs):
        parts = [f"{key}={spec[key]!r}" for key in _CLASS_KEYS[1:] if key in spec]
        detail = ", ".join(parts) if parts else "as the arguments"
        lines.append(f"{k}. {spec['name']}: {detail}.")
    return "\n".join(lines) + "\n"


def _class_specs(classes, func, n_objects):
    """The class specs (dicts with every range resolved), or None.

    ``classes`` passed ``validate_params``: None, an int, or a non-empty
    sequence of dicts whose keys and values are checked here.
    """
    if classes is None:
        return None
    if isinstance(classes, Integral):
        classes = _DEFAULT_CLASSES[:classes]

    def refuse(problem):
        raise InvalidParameterError(
            f"The 'classes' parameter of {func} is invalid: {problem}."
        )

    specs = []
    for k, given in enumerate(classes):
        where = f"classes[{k}]"
        unknown = sorted(set(given) - set(_CLASS_KEYS), key=str)
        if unknown:
            refuse(
                f"{where} has unknown keys {unknown}; valid keys are "
                f"{list(_CLASS_KEYS)}"
            )
        spec = {"name": given.get("name", f"class {k}")}
        if not isinstance(spec["name"], str):
            refuse(f"{where}['name'] must be a str, got {spec['name']!r}")
        for key, constraint in _CLASS_RANGES.items():
            if key not in given:
                continue
            value = given[key]
            if key == "n_objects" and isinstance(value, str) and value == "double":
                value = (2 * n_objects[0], 2 * n_objects[1])
            pair = constraint.pair(value)
            if pair is None:
                refuse(f"{where}[{key!r}] must be {constraint}, got {given[key]!r}")
            spec[key] = pair
        specs.append(spec)
    return specs


def _check_classes_fit(specs, func, shape, min_gap, radius):
    """Whether the objects of every class fit, as ``radius`` must."""
    for k, spec in enumerate(specs):
        reach = spec.get("radius", radius)[1] * spec.get("elongation", (1, 1))[1]
        needed = 2 * reach + 2 * min_gap + 1
        if needed > min(shape):
            raise ValueError(
                f"{func}: the objects of classes[{k}] ({spec['name']!r}) do not "
                f"fit in shape={shape!r}: their longest semi-axis, {reach:g}, "
                f"with min_gap={min_gap} needs {needed:g} pixels, more than the "
                f"smallest side, {min(shape)}."
            )
    return specs


_OBJECTS_DESCR = """\
Synthetic bright objects
------------------------

Generated by sksegment.datasets.make_objects({params}).

Each image shows bright filled ellipses (the counted objects, flat grey levels
from 150 to 220) on a darker background lit by a linear gradient (from 25 to
{bg_high:g} grey levels, in a random direction for each image), plus Gaussian
noise of standard deviation {noise_std:g} grey levels, rounded and clipped to
uint8. Distractors, neither counted nor in ``labels``: objects cut by the
image border, small bright debris (1 to 20 pixels), and dark cracks 1 or 2
pixels wide, at the background level, that split some objects in two.
With touching > 0, some counted objects come in clumps of 2 or 3 overlapping
discs (one connected component, one id per disc in ``labels``); with
dim_fraction > 0, some are dim: 40 grey levels above the background under
them but dimmer than the bright side of the background.

Counted objects keep at least {min_gap} background pixels (along every row,
column and diagonal) from each other, from every other bright thing and from
the image edges, so that a binary closing with a square of side up to
{max_side} cannot merge them, while a 5x5 closing mends every crack.
``labels`` holds the whole objects (crack pixels included) with ids 1..count;
``counts`` is the number of objects placed, exact by construction.
"""


def _make_one(image, labels, s, rng):
    """Draw one image into ``image`` and ``labels``; return its count.

    ``s`` holds the validated parameters of :func:`make_objects`.
    """
    height, width = s.shape
    background = _background(s.shape, s.gradient, rng)
    canvas = background.copy()
    occupied = np.zeros(s.shape, dtype=bool)

    for _ in range(s.border_objects):
        for _ in range(_MAX_ATTEMPTS):
            a, b = rng.uniform(s.border_radius[0], s.border_radius[1], size=2)
            theta = rng.uniform(0.0, np.pi)
            side = rng.randint(4)
            along = rng.uniform(0.0, (width if side < 2 else height) - 1.0)
            depth = rng.uniform(0.0, 0.7 * min(a, b))
            if side == 0:  # top
                cy, cx = depth, along
            elif side == 1:  # bottom
                cy, cx = height - 1.0 - depth, along
            elif side == 2:  # left
                cy, cx = along, depth
            else:  # right
                cy, cx = along, width - 1.0 - depth
            box = _ellipse(cy, cx, a, b, theta, s.shape)
            if _touches_edge(box, s.shape) and _is_free(box, occupied):
                level = _level(s, rng, background, box, _OBJECT_LEVELS)
                _paint(canvas, box, level)
                _occupy(occupied, box, s.min_gap)
                break

    placed = []  # (box, cy, cx, smaller semi-axis) of each counted object
    crackable = []  # whether each placed object may be cracked
    n_target = rng.randint(s.n_objects[0], s.n_objects[1] + 1)
    n_clumped = _n_clumped(s.touching, n_target)
    n_dim = min(_round(s.dim_fraction * n_target), n_target - n_clumped)
    for _ in range(n_dim):
        _place_dim(canvas, labels, occupied, background, placed, crackable, s, rng)
    for size in _clump_sizes(n_clumped, rng):
        _place_clump(
            canvas, labels, occupied, background, placed, crackable, size, s, rng
        )
    misses = 0
    for _ in range(n_target - n_dim - n_clumped):
        if misses == _MAX_MISSES:
            break
        misses += 1
        for _ in range(_MAX_ATTEMPTS):
            a, b = _axes(s, rng)
            theta = rng.uniform(0.0, np.pi)
            half_r, half_c = _half_extents(a, b, theta)
            lo_r, hi_r = s.min_gap + half_r, height - 1 - s.min_gap - half_r
            lo_c, hi_c = s.min_gap + half_c, width - 1 - s.min_gap - half_c
            cy = rng.uniform(lo_r, hi_r)
            cx = rng.uniform(lo_c, hi_c)
            box = _ellipse(cy, cx, a, b, theta, s.shape)
            if _is_free(box, occupied):
                level = _level(s, rng, background, box, s.level)
                _paint(canvas, box, level)
                _occupy(occupied, box, s.min_gap)
                placed.append((box, cy, cx, min(a, b)))
                crackable.append(True)
                r0, c0, mask = box
                region = labels[r0 : r0 + mask.shape[0], c0 : c0 + mask.shape[1]]
                region[mask] = len(placed)
                misses = 0
                break

    candidates = np.flatnonzero(crackable)
    n_cracked = min(_round(s.crack_fraction * len(placed)), len(candidates))
    if n_cracked:
        chosen = rng.choice(len(candidates), size=n_cracked, replace=False)
        for k in candidates[np.sort(chosen)]:
            box, cy, cx, b = placed[k]
            _crack(canvas, background, box, cy, cx, b, rng)

    for _ in range(s.debris):
        for _ in range(_MAX_ATTEMPTS):
            a, b = rng.uniform(*_DEBRIS_RADIUS, size=2)
            theta = rng.uniform(0.0, np.pi)
            reach = max(a, b)  # debris keeps 2 pixels from the edges
            cy = rng.uniform(2.0 + reach, height - 3.0 - reach)
            cx = rng.uniform(2.0 + reach, width - 3.0 - reach)
            box = _ellipse(cy, cx, a, b, theta, s.shape)
            area = np.count_nonzero(box[2])
            if 1 <= area <= _DEBRIS_MAX_AREA and _is_free(box, occupied):
                level = _level(s, rng, background, box, _OBJECT_LEVELS)
                _paint(canvas, box, level)
                _occupy(occupied, box, s.min_gap)
                break

    # where nothing is painted (cracks included): the texture goes there
    bare = canvas == background if s.texture > 0 else None
    if s.noise > 0:
        canvas += rng.normal(0.0, 255.0 * s.noise, size=s.shape)
    if s.texture > 0 or s.haze > 0:
        # finished by _add_texture_and_haze once every image is drawn
        s.pending.append((image, canvas, bare))
        return len(placed)
    _store(image, canvas)
    return len(placed)


def _store(image, canvas):
    np.rint(canvas, out=canvas)
    np.clip(canvas, 0, 255, out=canvas)
    image[...] = canvas


def _add_texture_and_haze(pending, texture, haze, rng):
    """Add texture and haze to the drawn images, then store them as uint8.

    They are drawn after every image's objects and noise, so that the
    objects, labels and noise are those of the same call without them.
    """
    for image, canvas, bare in pending:
        if texture > 0:
            canvas[bare] += _texture(canvas.shape, texture, rng)[bare]
        if haze > 0:
            canvas += _haze(canvas.shape, haze, rng)
        _store(image, canvas)


def _level(s, rng, lighting, box, levels):
    """Grey level of a bright thing, from ``levels`` or above the lighting.

    With ``contrast``, the level is drawn above the brightest ``lighting``
    (the background before texture and haze) under the thing.
    """
    if s.contrast is None:
        return rng.uniform(*levels)
    return _window(lighting, box)[box[2]].max() + rng.uniform(*s.contrast)


def _texture(shape, amplitude, rng):
    """Background texture: smoothed white noise of std ``255 * amplitude``."""
    field = ndimage.gaussian_filter(rng.normal(size=shape), _TEXTURE_SIGMA)
    return (255.0 * amplitude / field.std()) * field


def _haze(shape, amplitude, rng):
    """A bright haze: 1 to 3 broad Gaussian glows, peak ``255 * amplitude``."""
    rows = np.arange(shape[0], dtype=float)[:, None]
    cols = np.arange(shape[1], dtype=float)[None, :]
    field = np.zeros(shape)
    for _ in range(rng.randint(1, 4)):
        cy, cx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        sigma = rng.uniform(*_HAZE_SIZE) * min(shape)
        weight = rng.uniform(0.5, 1.0)
        field += weight * np.exp(
            -((rows - cy) ** 2 + (cols - cx) ** 2) / (2.0 * sigma**2)
        )
    return (255.0 * amplitude / field.max()) * field


def _axes(s, rng):
    """The two semi-axes of a counted object: independent, or short and ratio."""
    if s.elongation is None:
        return rng.uniform(s.radius[0], s.radius[1], size=2)
    short = rng.uniform(s.radius[0], s.radius[1])
    return short * rng.uniform(s.elongation[0], s.elongation[1]), short


def _round(x):
    """Round half up, as ``round`` is documented in :func:`make_objects`."""
    return math.floor(x + 0.5)


def _n_clumped(touching, n):
    """How many of ``n`` objects are in clumps: never exactly 1."""
    k = _round(touching * n)
    if k == 1:
        return 2 if n >= 2 else 0
    return k


def _clump_sizes(n_clumped, rng):
    """Sizes (2 or 3) of the clumps of ``n_clumped`` objects; no draw for 0."""
    sizes = []
    left = n_clumped
    while left:
        if left in (2, 3):
            size = left
        elif left == 4:
            size = 2
        else:
            size = 2 + rng.randint(2)
        sizes.append(size)
        left -= size
    return sizes


def _add_object(canvas, labels, placed, crackable, box, level, cy, cx, small_axis):
    """Paint one counted object and give it the next id."""
    _paint(canvas, box, level)
    placed.append((box, cy, cx, small_axis))
    crackable.append(True)
    _window(labels, box)[box[2]] = len(placed)


def _place_dim(canvas, labels, occupied, background, placed, crackable, s, rng):
    """Place one dim object on the dark side of the background, if it fits.

    Its centre is drawn among the pixels whose background is dark enough
    for a dim object centred there; the whole object is then checked.
    """
    height, width = s.shape
    ceiling = background.max() - _DIM_MARGIN  # a dim object's highest level
    dark = background <= ceiling - _DIM_CONTRAST
    for _ in range(_MAX_ATTEMPTS):
        a, b = _axes(s, rng)
        theta = rng.uniform(0.0, np.pi)
        half_r, half_c = _half_extents(a, b, theta)
        r_lo = math.ceil(s.min_gap + half_r)
        r_hi = math.floor(height - 1 - s.min_gap - half_r)
        c_lo = math.ceil(s.min_gap + half_c)
        c_hi = math.floor(width - 1 - s.min_gap - half_c)
        if r_lo > r_hi or c_lo > c_hi:
            continue
        where = np.flatnonzero(dark[r_lo : r_hi + 1, c_lo : c_hi + 1])
        if not len(where):
            continue
        row, col = divmod(int(where[rng.randint(len(where))]), c_hi - c_lo + 1)
        cy, cx = float(r_lo + row), float(c_lo + col)
        box = _ellipse(cy, cx, a, b, theta, s.shape)
        if not _is_free(box, occupied):
            continue
        level = _window(background, box)[box[2]].max() + _DIM_CONTRAST
        if level > ceiling:
            continue
        _add_object(canvas, labels, placed, crackable, box, level, cy, cx, min(a, b))
        _occupy(occupied, box, s.min_gap)
        return


def _place_clump(canvas, labels, occupied, lighting, placed, crackable, size, s, rng):
    """Place one clump of ``size`` touching discs, if it fits.

    The discs form a chain: each new disc is centred 1.3 to 1.6 radii from
    the previous one; the second link turns from the first by at most 30
    degrees, so the end discs are more than 2 radii apart and each disc
    overlaps its neighbours in the chain only (a sharper bend, or three
    mutually overlapping discs, make one fat blob whose distance map has a
    single maximum, which no distance-based split can cut).  A pixel
    covered by two discs goes to the nearest centre (the first disc on a
    tie).
    """
    height, width = s.shape
    for _ in range(_MAX_ATTEMPTS):
        r = rng.uniform(s.radius[0], s.radius[1])
        offsets = [(0.0, 0.0)]
        phi = rng.uniform(0.0, 2.0 * np.pi)
        for k in range(size - 1):
            if k:  # the chain bends by at most _CLUMP_BEND
                phi += rng.uniform(-_CLUMP_BEND, _CLUMP_BEND)
            dist = rng.uniform(*_CLUMP_SPACING) * r
            last = offsets[-1]
            offsets.append(
                (last[0] + dist * math.cos(phi), last[1] + dist * math.sin(phi))
            )
        dys, dxs = [o[0] for o in offsets], [o[1] for o in offsets]
        lo_r, hi_r = s.min_gap + r - min(dys), height - 1 - s.min_gap - r - max(dys)
        lo_c, hi_c = s.min_gap + r - min(dxs), width - 1 - s.min_gap - r - max(dxs)
        if lo_r > hi_r or lo_c > hi_c:
            continue
        cy = rng.uniform(lo_r, hi_r)
        cx = rng.uniform(lo_c, hi_c)
        centres = [(cy + dy, cx + dx) for dy, dx in offsets]
        boxes = [_ellipse(y, x, r, r, 0.0, s.shape) for y, x in centres]
        if not all(_is_free(box, occupied) for box in boxes):
            continue
        if s.contrast is None:
            levels = rng.uniform(*s.level, size=size)
        else:
            under = max(_window(lighting, box)[box[2]].max() for box in boxes)
            levels = under + rng.uniform(*s.contrast, size=size)
        # the union of the discs in one window, each pixel to its nearest disc
        r0 = min(box[0] for box in boxes)
        c0 = min(box[1] for box in boxes)
        r1 = max(box[0] + box[2].shape[0] for box in boxes)
        c1 = max(box[1] + box[2].shape[1] for box in boxes)
        dist2 = np.full((size, r1 - r0, c1 - c0), np.inf)
        rows = np.arange(r0, r1)[:, None]
        cols = np.arange(c0, c1)[None, :]
        for k, ((y, x), (br, bc, mask)) in enumerate(zip(centres, boxes)):
            d2 = (rows - y) ** 2 + (cols - x) ** 2
            inside = np.zeros(dist2.shape[1:], dtype=bool)
            inside[
                br - r0 : br - r0 + mask.shape[0], bc - c0 : bc - c0 + mask.shape[1]
            ] = mask
            dist2[k][inside] = d2[inside]
        covered = np.isfinite(dist2).any(axis=0)
        owner = np.argmin(dist2, axis=0)
        first = len(placed) + 1
        canvas[r0:r1, c0:c1][covered] = levels[owner[covered]]
        labels[r0:r1, c0:c1][covered] = first + owner[covered]
        for (y, x), box in zip(centres, boxes):
            placed.append((box, y, x, r))
            crackable.append(False)
            _occupy(occupied, box, s.min_gap)
        return


def _background(shape, gradient, rng):
    """Background level with a linear gradient in a random direction."""
    height, width = shape
    phi = rng.uniform(0.0, 2.0 * np.pi)
    rows = np.arange(height) * np.cos(phi)
    cols = np.arange(width) * np.sin(phi)
    rows -= rows.min()
    cols -= cols.min()
    scale = 255.0 * gradient / (rows.max() + cols.max())  # ramp from 0 to 1
    return _BACKGROUND_LEVEL + scale * (rows[:, None] + cols[None, :])


def _half_extents(a, b, theta):
    """Half height and half width of an ellipse's bounding box."""
    cos, sin = math.cos(theta), math.sin(theta)
    half_r = math.sqrt((a * cos) ** 2 + (b * sin) ** 2)
    half_c = math.sqrt((a * sin) ** 2 + (b * cos) ** 2)
    return half_r, half_c


def _ellipse(cy, cx, a, b, theta, shape):
    """Filled ellipse clipped to the image, as ``(row0, col0, mask)``.

    ``a`` is the semi-axis along the direction ``(cos(theta), sin(theta))``
    in (row, column) coordinates, ``b`` the other one.
    """
    half_r, half_c = _half_extents(a, b, theta)
    r0 = max(math.floor(cy - half_r), 0)
    r1 = min(math.ceil(cy + half_r), shape[0] - 1)
    c0 = max(math.floor(cx - half_c), 0)
    c1 = min(math.ceil(cx + half_c), shape[1] - 1)
    if r1 < r0 or c1 < c0:
        return r0, c0, np.zeros((0, 0), dtype=bool)
    dr = (np.arange(r0, r1 + 1) - cy)[:, None]
    dc = (np.arange(c0, c1 + 1) - cx)[None, :]
    cos, sin = math.cos(theta), math.sin(theta)
    u = (dr * cos + dc * sin) / a
    v = (dc * cos - dr * sin) / b
    return r0, c0, u * u + v * v <= 1.0


def _window(array, box):
    r0, c0, mask = box
    return array[r0 : r0 + mask.shape[0], c0 : c0 + mask.shape[1]]


def _is_free(box, occupied):
    """Whether the ellipse is non-empty and clear of everything placed."""
    mask = box[2]
    return mask.any() and not _window(occupied, box)[mask].any()


def _touches_edge(box, shape):
    r0, c0, mask = box
    if not mask.any():
        return False
    return bool(
        (r0 == 0 and mask[0].any())
        or (r0 + mask.shape[0] == shape[0] and mask[-1].any())
        or (c0 == 0 and mask[:, 0].any())
        or (c0 + mask.shape[1] == shape[1] and mask[:, -1].any())
    )


def _paint(canvas, box, level):
    _window(canvas, box)[box[2]] = level


def _occupy(occupied, box, gap):
    """Mark the pixels within Chebyshev distance ``gap`` of the ellipse."""
    r0, c0, mask = box
    h, w = mask.shape
    grown = np.zeros((h + 2 * gap, w + 2 * gap), dtype=np.uint8)
    grown[gap : gap + h, gap : gap + w] = mask
    size = 2 * gap + 1
    ndimage.maximum_filter1d(grown, size, axis=0, output=grown, mode="constant")
    ndimage.maximum_filter1d(grown, size, axis=1, output=grown, mode="constant")
    top, left = r0 - gap, c0 - gap
    rs, cs = max(top, 0), max(left, 0)
    re = min(top + grown.shape[0], occupied.shape[0])
    ce = min(left + grown.shape[1], occupied.shape[1])
    occupied[rs:re, cs:ce] |= grown[rs - top : re - top, cs - left : ce - left] > 0


def _crack(canvas, background, box, cy, cx, small_axis, rng):
    """Reset to background a straight band 1 or 2 pixels wide across the object.

    The band ``-h <= n . (p - q) < h`` with ``h = width * (|n_r| + |n_c|) / 2``
    (``n`` the unit normal, ``q`` a point near the centre) contains a standard,
    4-connected digital line, which no 8-connected path crosses: the ellipse
    falls apart into two components (a few more when the crack runs along a
    thin ellipse and the digital halves break up).
    """
    r0, c0, mask = box
    width = rng.choice(_CRACK_WIDTHS)
    psi = rng.uniform(0.0, np.pi)
    offset = rng.uniform(-_CRACK_OFFSET, _CRACK_OFFSET) * small_axis
    nr, nc = math.cos(psi), math.sin(psi)
    dr = (np.arange(r0, r0 + mask.shape[0]) - cy)[:, None]
    dc = (np.arange(c0, c0 + mask.shape[1]) - cx)[None, :]
    dist = dr * nr + dc * nc - offset
    half = width * (abs(nr) + abs(nc)) / 2.0
    band = mask & (dist >= -half) & (dist < half)
    _window(canvas, box)[band] = _window(background, box)[band]
