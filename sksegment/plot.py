"""Pictures of segmentations: numbered objects over their image, step by step.

:func:`show_labels` draws the final picture of a counting recipe: the gray
image, each object outlined and tinted, and its number written at its
centroid, objects numbered in reading order (:func:`reading_order`: rows
top to bottom, left to right within a row).  :func:`overlay` makes the same
picture as an RGB array of the image's exact size, to save with
:func:`sksegment.io.save_image`.  :func:`show_pipeline` shows the output of
each step of a fitted pipeline.

Drawing needs matplotlib (``pip install 'sksegment[plot]'``), imported when
a function needs it: :func:`reading_order`, :func:`relabel_in_reading_order`
and ``overlay(..., numbers=False)`` work without it.
"""

import math
from numbers import Integral, Real

import numpy as np
from skimage.color import label2rgb
from skimage.measure import regionprops_table
from skimage.segmentation import find_boundaries, relabel_sequential
from sklearn.utils._param_validation import HasMethods, validate_params

from sksegment import _kernels
from sksegment._optional import import_optional
from sksegment._validation import HasAttributes, StrictInterval, label_image

__all__ = [
    "overlay",
    "reading_order",
    "relabel_in_reading_order",
    "show_labels",
    "show_pipeline",
]

# Tableau 10 (matplotlib's "tab10") without its gray: vivid on a gray image,
# and nine colours in turn mean neighbours in reading order never share one.
_PALETTE = (
    np.array(
        [
            (31, 119, 180),
            (255, 127, 14),
            (44, 160, 44),
            (214, 39, 40),
            (148, 103, 189),
            (140, 86, 75),
            (227, 119, 194),
            (188, 189, 34),
            (23, 190, 207),
        ]
    )
    / 255.0
)


# --- reading order ------------------------------------------------------------


def _check_labels(labels, function, *, masks=False):
    """A 2D label image; a bool mask is labeled when ``masks``."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(
            f"{function} expects a 2D label image; got an array of shape "
            f"{labels.shape}."
        )
    return label_image(labels, function, masks="label" if masks else "refuse")


def _objects(labels):
    """Ids, centroids (row, col) and bounding-box heights, by increasing id."""
    top = int(labels.max()) if labels.size else 0
    if _kernels.ids_fit_table(labels, top):
        dense, ids_of = labels, None
    else:  # huge sparse ids: regionprops would allocate a slot per id
        dense, _, inverse = relabel_sequential(labels)
        ids_of = inverse
    props = regionprops_table(dense, properties=("label", "centroid", "bbox"))
    ids = props["label"] if ids_of is None else ids_of[props["label"]]
    return (
        np.asarray(ids, dtype=labels.dtype),
        props["centroid-0"],
        props["centroid-1"],
        props["bbox-2"] - props["bbox-0"],
    )


def _rank(labels, ids):
    """The label image with ``ids[i]`` renumbered ``i + 1``, others 0."""
    dtype = _kernels.label_dtype(ids.size)
    new = np.arange(1, ids.size + 1, dtype=dtype)
    top = int(labels.max()) if labels.size else 0
    if _kernels.ids_fit_table(labels, top):
        table = np.zeros(top + 1, dtype=dtype)
        table[ids] = new
        return table[labels]
    sort = np.argsort(ids)
    position = np.searchsorted(ids[sort], labels)
    found = labels != 0
    out = np.zeros(labels.shape, dtype=dtype)
    out[found] = new[sort][position[found]]
    return out


def _order(rows, cols, heights, row_tolerance):
    """Positions of objects in reading order, from their centroids."""
    if rows.size == 0:
        return np.zeros(0, dtype=np.intp)
    if row_tolerance is None:
        row_tolerance = 0.5 * float(np.median(heights))
    by_row = np.lexsort((cols, rows))
    # a new row starts where consecutive centroids (top to bottom) are more
    # than row_tolerance apart: single linkage on the rows of the centroids
    row_of = np.concatenate([[0], np.cumsum(np.diff(rows[by_row]) > row_tolerance)])
    return by_row[np.lexsort((cols[by_row], row_of))]


# Parameter constraints shared by the functions below.
_ROW_TOLERANCE = [StrictInterval(Real, 0, None, closed="left"), None]
_AXES = HasMethods(["imshow", "set_axis_off"])
_DRAWING = {
    "image": ["array-like"],
    "labels": ["array-like"],
    "numbers": ["boolean"],
    "outlines": ["boolean"],
    "alpha": [StrictInterval(Real, 0, 1, closed="both")],
    "start": [StrictInterval(Integral, None, None, closed="neither")],
    "fontsize": [StrictInterval(Real, 0, None, closed="neither"), None],
    "row_tolerance": _ROW_TOLERANCE,
}


@validate_params(
    {"labels": ["array-like"], "row_tolerance": _ROW_TOLERANCE},
    prefer_skip_nested_validation=True,
)
def reading_order(labels, *, row_tolerance=None):
    """The ids of a 2D label image in reading order.

    Objects are grouped into rows, top to bottom, and read left to right
    within each row, as text is read: ``reading_order(labels)[i]`` is the id
    of the i-th object.

    Parameters
    ----------
    labels : ndarray of int, shape (height, width)
        Label image: 0 is the background, other values are object ids (>= 0,
        not necessarily consecutive).
    row_tolerance : float or None, default=None
        Largest gap, in pixels, between the centroid rows of two objects
        taken top to bottom for them to be in the same row (inclusive: a gap
        equal to it keeps the row).  None means half the median height of
        the objects' bounding boxes.

    Returns
    -------
    ids : ndarray of shape (n_objects,)
        The ids of the objects, with the dtype of ``labels``.

    See Also
    --------
    relabel_in_reading_order : Renumber the objects 1..n in this order.
    show_labels : Draws the objects numbered in this order.

    Notes
    -----
    The objects' centroids are sorted from top to bottom, and a new row
    starts wherever the next centroid lies more than ``row_tolerance`` below
    the previous one; each row is then sorted by the centroids' columns.  No
    grid is assumed: rows may hold different numbers of objects, and slanted
    rows stay together as long as successive objects are within the
    tolerance of each other.  Two rows whose centroids come within the
    tolerance of each other are read as one row: lower ``row_tolerance``
    when rows are closer than about half an object's height.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.plot import reading_order
    >>> labels = np.array([[0, 7, 0, 3, 0],
    ...                    [0, 0, 0, 0, 0],
    ...                    [5, 0, 2, 0, 9]])
    >>> reading_order(labels)
    array([7, 3, 5, 2, 9])
    >>> reading_order(labels, row_tolerance=2)
    array([5, 7, 2, 3, 9])
    """
    labels = _check_labels(labels, "reading_order")
    ids, rows, cols, heights = _objects(labels)
    return ids[_order(rows, cols, heights, row_tolerance)]


@validate_params(
    {"labels": ["array-like"], "row_tolerance": _ROW_TOLERANCE},
    prefer_skip_nested_validation=True,
)
def relabel_in_reading_order(labels, *, row_tolerance=None):
    """Renumber the objects of a 2D label image 1..n in reading order.

    Parameters
    ----------
    labels : ndarray of int, shape (height, width)
        Label image: 0 is the background, other values are object ids.
    row_tolerance : float or None, default=None
        As for :func:`reading_order`.

    Returns
    -------
    relabeled : ndarray of int32 (int64 past 2**31 - 1 objects)
        The same objects, the i-th in reading order with id ``i + 1``; the
        input is not modified.

    See Also
    --------
    reading_order : The order.
    skimage.segmentation.relabel_sequential : Ids 1..n in the order of ids.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.plot import relabel_in_reading_order
    >>> relabel_in_reading_order(np.array([[0, 7, 0, 3],
    ...                                    [0, 0, 0, 0],
    ...                                    [5, 0, 2, 0]]))
    array([[0, 1, 0, 2],
           [0, 0, 0, 0],
           [3, 0, 4, 0]], dtype=int32)
    """
    labels = _check_labels(labels, "relabel_in_reading_order")
    return _rank(labels, reading_order(labels, row_tolerance=row_tolerance))


# --- the picture ----------------------------------------------------------------


def _check_image(image, labels, function):
    image = np.asarray(image)
    if image.ndim != 2 or image.dtype.kind not in "buif":
        raise ValueError(
            f"{function} expects a 2D gray image; got an array of shape "
            f"{image.shape} and dtype {image.dtype} (convert colour images with "
            "sksegment.io.load_images(..., as_gray=True))."
        )
    if image.shape != labels.shape:
        raise ValueError(
            f"{function}: the image has shape {image.shape} but the labels have "
            f"shape {labels.shape}."
        )
    return image


def _gray(image):
    """The image in [0, 1] for display: uint8 as it is, others min to max."""
    if image.dtype == np.uint8:
        return image / 255.0
    image = image.astype(np.float64)
    finite = np.isfinite(image)
    if not finite.any():
        return np.zeros(image.shape)
    low, high = image[finite].min(), image[finite].max()
    scaled = (image - low) / (high - low) if high > low else np.zeros(image.shape)
    return np.clip(np.nan_to_num(scaled), 0, 1)


def _rendering(image, labels, outlines, alpha, row_tolerance):
    """The RGB picture in [0, 1] and the objects' centroids in reading order."""
    ids, rows, cols, heights = _objects(labels)
    order = _order(rows, cols, heights, row_tolerance)
    gray = _gray(image)
    if ids.size == 0:
        return np.dstack([gray] * 3), order, rows, cols, heights
    # relabel in reading order so colours follow it: neighbours differ
    ranked = _rank(labels, ids[order])
    colours = _PALETTE[np.arange(ids.size) % len(_PALETTE)]
    rgb = label2rgb(
        ranked,
        image=gray,
        colors=list(colours),
        alpha=alpha,
        bg_label=0,
        bg_color=None,  # the background stays the image
        image_alpha=1,
        kind="overlay",
    )
    if outlines:
        edges = find_boundaries(ranked, mode="inner")
        rgb[edges] = colours[ranked[edges] - 1]
    return np.clip(rgb, 0, 1), order, rows, cols, heights


def _font_pixels(heights):
    """Size of the numbers in pixels: about a third of a typical object."""
    return float(np.clip(0.35 * np.median(heights), 9, 36)) if heights.size else 9


def _write_numbers(ax, order, rows, cols, start, fontsize):
    patheffects = import_optional("matplotlib.patheffects", "show_labels")
    stroke = [patheffects.withStroke(linewidth=max(fontsize / 4, 1.5), foreground="k")]
    for number, index in enumerate(order, start=start):
        ax.text(
            float(cols[index]),
            float(rows[index]),
            str(number),
            color="white",
            fontsize=fontsize,
            fontweight="bold",
            ha="center",
            va="center",
            path_effects=stroke,
        )


@validate_params(
    {**_DRAWING, "ax": [_AXES, None]},
    prefer_skip_nested_validation=True,
)
def show_labels(
    image,
    labels,
    *,
    numbers=True,
    outlines=True,
    alpha=0.3,
    start=1,
    fontsize=None,
    row_tolerance=None,
    ax=None,
):
    """Draw objects over their image, numbered in reading order.

    The gray image, each object tinted with a translucent colour and
    outlined in it, and each object's number written at its centroid: the
    picture that ends a counting recipe.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        The gray image; uint8 images are shown in 0..255, others stretched
        from their minimum to their maximum.
    labels : ndarray of int or bool, shape (height, width)
        The objects: a label image (0 is the background), or a bool mask
        whose connected components are labeled (full connectivity).
    numbers : bool, default=True
        Write each object's number at its centroid.
    outlines : bool, default=True
        Outline each object in its colour (the object's pixels that touch
        another id or the background, ``find_boundaries(mode="inner")``).
    alpha : float, default=0.3
        Opacity of the colours over the objects, in [0, 1] (inclusive); 0
        leaves the image as it is under the objects.
    start : int, default=1
        Number of the first object: 1 counts from one, as label ids and
        CellProfiler's ObjectNumber do; 0 numbers the objects as indices of
        :func:`reading_order` and of Python lists.
    fontsize : float or None, default=None
        Size of the numbers in points; None means 9.
    row_tolerance : float or None, default=None
        As for :func:`reading_order`.
    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The axes, with one text per object (``ax.texts``) in reading order.

    See Also
    --------
    overlay : The same picture as an RGB array of the image's size.
    reading_order : The order of the numbers.
    skimage.color.label2rgb : The colours over the image.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from sksegment.plot import show_labels
    >>> image = np.zeros((20, 30), dtype=np.uint8)
    >>> image[3:8, 3:8] = image[3:8, 20:26] = image[12:17, 10:16] = 200
    >>> ax = show_labels(image, image > 100, ax=Figure().subplots())
    >>> [(t.get_text(), t.get_position()) for t in ax.texts]
    [('1', (5.0, 5.0)), ('2', (22.5, 5.0)), ('3', (12.5, 14.0))]
    """
    plt = import_optional("matplotlib.pyplot", "show_labels")
    labels = _check_labels(labels, "show_labels", masks=True)
    image = _check_image(image, labels, "show_labels")
    rgb, order, rows, cols, _ = _rendering(
        image, labels, outlines, alpha, row_tolerance
    )
    if ax is None:
        _, ax = plt.subplots()
    ax.imshow(rgb)
    ax.set_axis_off()
    if numbers:
        _write_numbers(
            ax, order, rows, cols, start, 9 if fontsize is None else fontsize
        )
    return ax


@validate_params(_DRAWING, prefer_skip_nested_validation=True)
def overlay(
    image,
    labels,
    *,
    numbers=True,
    outlines=True,
    alpha=0.3,
    start=1,
    fontsize=None,
    row_tolerance=None,
):
    """The picture of :func:`show_labels` as an RGB array of the image's size.

    For saving next to the image (``sksegment.io.save_image``): one pixel of
    the picture per pixel of the image, no figure, axes or margins.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        The gray image.
    labels : ndarray of int or bool, shape (height, width)
        The objects, as for :func:`show_labels`.
    numbers : bool, default=True
        Write each object's number at its centroid (needs matplotlib, whose
        Agg renderer draws the text; without numbers, matplotlib is not
        used).
    outlines : bool, default=True
        Outline each object in its colour.
    alpha : float, default=0.3
        Opacity of the colours over the objects, in [0, 1] (inclusive).
    start : int, default=1
        Number of the first object (1 counts from one, as label ids do).
    fontsize : float or None, default=None
        Height of the numbers in pixels; None means a third of the median
        object height, from 9 to 36 pixels (inclusive).
    row_tolerance : float or None, default=None
        As for :func:`reading_order`.

    Returns
    -------
    picture : ndarray of shape (height, width, 3), dtype uint8
        The picture; outside the numbers and outlines, the gray image under
        translucent colours.

    See Also
    --------
    show_labels : The same picture in a matplotlib figure.
    sksegment.io.save_image : Write it to a file.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.plot import overlay
    >>> image = np.zeros((20, 30), dtype=np.uint8)
    >>> image[3:8, 3:8] = 200
    >>> picture = overlay(image, image > 100, numbers=False)
    >>> picture.shape, picture.dtype
    ((20, 30, 3), dtype('uint8'))
    >>> picture[0, 0], picture[3, 3]  # background, outline
    (array([0, 0, 0], dtype=uint8), array([ 31, 119, 180], dtype=uint8))
    >>> picture[5, 5]  # inside
    array([149, 176, 194], dtype=uint8)
    """
    labels = _check_labels(labels, "overlay", masks=True)
    image = _check_image(image, labels, "overlay")
    rgb, order, rows, cols, heights = _rendering(
        image, labels, outlines, alpha, row_tolerance
    )
    picture = np.rint(rgb * 255).astype(np.uint8)
    if not numbers or order.size == 0:
        return picture
    figure = import_optional("matplotlib.figure", "overlay")
    agg = import_optional("matplotlib.backends.backend_agg", "overlay")
    height, width = labels.shape
    dpi = 72  # one point per pixel: font sizes are in pixels
    fig = figure.Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = agg.FigureCanvasAgg(fig)
    # pixel for pixel, not resampled; below the axes that hold the numbers
    fig.figimage(picture, origin="upper", zorder=-1)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_axis_off()
    ax.patch.set_visible(False)
    pixels = _font_pixels(heights) if fontsize is None else fontsize
    _write_numbers(ax, order, rows, cols, start, pixels)
    canvas.draw()
    drawn = np.asarray(canvas.buffer_rgba())[:height, :width, :3]
    if drawn.shape[:2] != (height, width):  # pragma: no cover - Agg rounds exactly
        raise RuntimeError(f"overlay rendered {drawn.shape[:2]}, not {labels.shape}.")
    return np.ascontiguousarray(drawn)


# --- a pipeline step by step ----------------------------------------------------


def _fitted_scalars(step):
    """``name_=value`` for the step's learned scalar attributes."""
    parts = []
    for name, value in vars(step).items():
        if (
            name.endswith("_")
            and not name.startswith("_")
            and name != "n_features_in_"
            and isinstance(value, (Real, np.number))
            and not isinstance(value, bool)
        ):
            parts.append(f"{name}={value:g}")
    return parts


def _counts_objects(step):
    from sksegment.counting import ObjectCounter

    return isinstance(step, ObjectCounter)


def _panel(ax, array, kind, title):
    if kind == "labels":
        ax.imshow(label2rgb(array, bg_label=0, colors=list(_PALETTE)))
    else:
        ax.imshow(array, cmap="gray")
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()


@validate_params(
    {
        "pipe": [HasAttributes("steps", what="a Pipeline")],
        "image": ["array-like"],
        "axes": ["array-like", None],
    },
    prefer_skip_nested_validation=False,
)
def show_pipeline(pipe, image, *, axes=None):
    """Show the output of each step of a fitted pipeline on one image.

    One panel for the input image, then one per step: the step's output on
    the image (masks in black and white, label images in colours, other
    images in gray), titled with the step's name and a summary (its learned
    scalars such as ``threshold_=107``, the foreground fraction of a mask,
    the number of objects of a label image, or the range of an image).  A
    final counter (``ObjectCounter``) shows the counted objects numbered
    over the image, titled with the count (``"24 objects"``); another final
    predictor shows its prediction in the title of the last output.

    Parameters
    ----------
    pipe : fitted Pipeline
        A ``sksegment.Pipeline`` or ``sklearn.pipeline.Pipeline`` of image
        steps; ``"passthrough"`` steps are skipped.
    image : ndarray of shape (height, width)
        One gray image (not a batch).
    axes : array of matplotlib Axes or None, default=None
        At least one per panel (the input and each step), filled in order;
        None makes a figure with up to four panels per row.

    Returns
    -------
    axes : ndarray of matplotlib Axes
        The axes used, one per panel, in order.

    See Also
    --------
    show_labels : The counter's panel.

    Notes
    -----
    Each step transforms the previous step's output on ``image[None]``, so
    panel ``i`` shows ``pipe[:i].transform(image[None])[0]``.  Integer
    outputs are drawn as label images once a step has made a mask, or when
    their dtype differs from the image's; before that (a smoothed uint8
    image, for example) they are drawn as images.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> import sksegment as sks
    >>> from sksegment.plot import show_pipeline
    >>> image = np.zeros((20, 30), dtype=np.uint8)
    >>> image[3:8, 3:8] = image[3:8, 20:26] = image[12:17, 10:16] = 200
    >>> pipe = sks.make_pipeline(sks.OtsuThresholder(), sks.ComponentLabeler(),
    ...                          sks.ObjectCounter()).fit(image[None])
    >>> axes = show_pipeline(pipe, image, axes=Figure().subplots(1, 4))
    >>> for ax in axes:
    ...     print(ax.get_title().replace("\\n", " | "))
    input | uint8, 0..200
    otsuthresholder | threshold_=0, 14.2% foreground
    componentlabeler | 3 objects
    objectcounter | 3 objects
    """
    plt = import_optional("matplotlib.pyplot", "show_pipeline")
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(
            "show_pipeline expects one 2D image (such as images[0]); got an array "
            f"of shape {image.shape}."
        )
    steps = [(n, s) for n, s in pipe.steps if s not in (None, "passthrough")]
    summary = f"{image.dtype}, {image.min():.4g}..{image.max():.4g}"
    panels = [(image, "", f"input\n{summary}")]
    batch, made_objects = image[None], False
    for position, (name, step) in enumerate(steps):
        parts = _fitted_scalars(step)
        if hasattr(step, "transform"):
            batch = step.transform(batch)
            out = np.asarray(batch[0])
            if out.dtype.kind == "b":
                kind, made_objects = "mask", True
                parts.append(f"{100 * out.mean():.1f}% foreground")
            elif out.dtype.kind in "ui" and (made_objects or out.dtype != image.dtype):
                kind, made_objects = "labels", True
                parts.append(f"{_kernels.count_labels(out)} objects")
            else:
                kind = ""
                parts.append(f"{out.min():.4g}..{out.max():.4g}")
            panels.append((out, kind, "\n".join([name, ", ".join(parts)])))
        elif position == len(steps) - 1 and hasattr(step, "predict"):
            prediction = np.asarray(step.predict(batch))[0]
            previous, previous_kind, _ = panels[-1]
            if _counts_objects(step) and previous_kind in ("mask", "labels"):
                panels.append((previous, "numbered", f"{name}\n{prediction} objects"))
            else:
                out, kind, title = panels.pop()
                panels.append((out, kind, f"{title}\n{name}: {prediction}"))
        else:
            raise TypeError(
                f"show_pipeline: step {name!r} ({type(step).__name__}) has no "
                "transform and is not the final predictor."
            )
    if axes is None:
        columns = min(len(panels), 4)
        rows = math.ceil(len(panels) / columns)
        aspect = image.shape[0] / image.shape[1]
        _, axes = plt.subplots(
            rows,
            columns,
            figsize=(3.2 * columns, (3.2 * aspect + 0.6) * rows),
            squeeze=False,
            layout="constrained",
        )
        for ax in axes.ravel()[len(panels) :]:
            ax.set_axis_off()
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size < len(panels):
        raise ValueError(
            f"show_pipeline needs {len(panels)} axes (the input and "
            f"{len(panels) - 1} steps); got {axes.size}."
        )
    for ax, (array, kind, title) in zip(axes, panels):
        if kind == "numbered":
            show_labels(image, array, ax=ax)
            ax.set_title(title, fontsize=9)
        else:
            _panel(ax, array, kind, title)
    return axes[: len(panels)]
