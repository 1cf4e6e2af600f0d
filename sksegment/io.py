"""Read images from files and folders; write label images and overlays.

:func:`load_images` reads PNG, JPEG and TIFF files (a file, a folder, a glob
pattern, or a list of them) into a list of arrays for a pipeline, with
imageio for PNG and JPEG and tifffile for TIFF (a multi-page TIFF is one 3D
image).  Images keep their units: thresholds are given in the image's own
grey levels, so nothing is rescaled, and colour images are refused unless
you say how to make them grey (``as_gray=True``) or which channel to take
(``channel=k``).

:func:`save_labels` writes label images exactly (TIFF for any ids and 3D,
PNG for 2D ids up to 65535) and :func:`save_image` writes pictures such as
:func:`sksegment.plot.overlay`'s.  Both write to a temporary file in the
destination folder and rename it into place, so a failed write never leaves
a half-written file or clobbers an existing one.

:func:`save_pipeline` and :func:`load_pipeline` save fitted pipelines as
skops files, whose types are checked before anything is built: loading a
shared pipeline runs no code from it.  Pickle and joblib files load only
when asked explicitly (``unsafe_pickle=True``).
"""

import glob
import os
import secrets
import zipfile
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import validate_params

from sksegment._validation import SequenceOf, StrictInterval

__all__ = [
    "load_images",
    "load_pipeline",
    "save_image",
    "save_labels",
    "save_pipeline",
]

_TIFF = (".tif", ".tiff")
_PNG = (".png",)
_JPEG = (".jpg", ".jpeg")
_IMAGE_SUFFIXES = _PNG + _JPEG + _TIFF

# Luminance weights of skimage.color.rgb2gray (ITU-R BT.709); they sum to 1,
# so the grey image stays within the range of the colour channels.
_LUMINANCE = np.array([0.2125, 0.7154, 0.0721])

# Parameter constraints shared by the functions below.
_PATH = [str, os.PathLike]
_WRITE = {"path": _PATH, "overwrite": ["boolean"]}


# --- finding the files ------------------------------------------------------


def _is_image_file(path):
    return path.is_file() and path.suffix.lower() in _IMAGE_SUFFIXES


def _folder_files(folder, recursive):
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    files = sorted(
        (p for p in candidates if _is_image_file(p)),
        key=lambda p: p.relative_to(folder).parts,
    )
    if not files:
        where = "in it or its subfolders" if recursive else "in it"
        hint = ""
        if not recursive and any(p.is_dir() for p in folder.iterdir()):
            hint = " (pass recursive=True to search its subfolders)"
        raise ValueError(
            f"folder {os.fspath(folder)} has no PNG, JPEG or TIFF file {where}{hint}."
        )
    return files


def _resolve(entry, recursive):
    """The files named by one entry of ``paths``, in order."""
    if not isinstance(entry, (str, os.PathLike)):
        raise TypeError(
            "load_images expects a path, a folder, a glob pattern or a list of "
            f"them; got {type(entry).__name__} {entry!r}."
        )
    path = Path(entry)
    if path.is_dir():
        return _folder_files(path, recursive)
    if path.exists():
        return [path]
    text = os.fspath(entry)
    if glob.has_magic(text):
        matches = sorted(glob.glob(text, recursive=recursive))
        files = [Path(m) for m in matches if Path(m).is_file()]
        if not files:
            raise FileNotFoundError(f"no file matches the pattern {text}.")
        return files
    raise FileNotFoundError(f"cannot read {text}: no such file or folder.")


# --- reading one file -------------------------------------------------------


def _reason(exc):
    """A one-line reason from a reader's exception."""
    text = str(exc).strip().splitlines()
    if exc.__cause__ is not None and text and "error occurred while init" in text[0]:
        # imageio hides Pillow's reason (a decompression bomb, a truncated
        # header) behind "An unknown error occurred while initializing plugin"
        return _reason(exc.__cause__)
    first = text[0] if text else type(exc).__name__
    generic = ("Could not find a backend", "cannot identify image", "can not handle")
    if any(text in first for text in generic):
        return "not an image file, or a format imageio cannot decode"
    return first.rstrip(".")


def _read(path):
    """The pixels of one file and whether its last axis holds colour channels."""
    if path.suffix.lower() in _TIFF:
        import tifffile

        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            image = series.asarray()
            # tifffile names the axis of samples per pixel (RGB, RGBA) "S"
            return image, series.axes.endswith("S")
    import imageio.v3 as iio

    # Pillow's plugin only: imageio would otherwise try its legacy plugins on
    # a file Pillow cannot read, with deprecation warnings and leaked handles
    with open(path, "rb") as handle:
        image = iio.imread(handle, plugin="pillow")
    # PNG and JPEG are 2D: a third axis holds gray+alpha, RGB or RGBA
    return image, image.ndim >= 3 and image.shape[-1] in (2, 3, 4)


def _to_gray(image):
    """Luminance of a colour image (alpha dropped), in the image's units.

    Integer images are rounded back to their dtype; float images keep theirs.
    """
    if image.shape[-1] == 2:  # gray + alpha
        return image[..., 0].copy()
    gray = image[..., :3] @ _LUMINANCE
    if image.dtype.kind in "ui":
        return np.rint(gray).astype(image.dtype)
    return gray.astype(image.dtype, copy=False)


def _pages(image, colour):
    """The 2D pages of a stack: every axis before the last two (or three)."""
    spatial = image.ndim - colour
    if spatial <= 2:
        return [image]
    return list(image.reshape((-1,) + image.shape[spatial - 2 :]))


def _load_file(path, as_gray, channel, pages_as_images):
    """The images of one file with their names (``FILE[PAGE]`` for pages)."""
    name = os.fspath(path)
    try:
        image, colour = _read(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"cannot read {name}: no such file.") from None
    except Exception as exc:  # any reader failure is an unreadable file
        raise ValueError(f"cannot read {name}: {_reason(exc)}.") from None
    image = np.asarray(image)
    if not pages_as_images:
        return [(_colour(image, colour, name, as_gray, channel), name)]
    pages = _pages(image, colour)
    if len(pages) == 1:
        return [(_colour(pages[0], colour, name, as_gray, channel), name)]
    return [
        (_colour(page, colour, f"{name}[{i}]", as_gray, channel), f"{name}[{i}]")
        for i, page in enumerate(pages)
    ]


def _colour(image, colour, name, as_gray, channel):
    """The gray image of a file's pixels, as ``as_gray`` or ``channel`` say."""
    if not colour:
        return image
    n = image.shape[-1]
    if channel is not None:
        if not -n <= channel < n:
            raise ValueError(
                f"channel={channel} is out of range for {name}, whose shape "
                f"{image.shape} has {n} channels."
            )
        return image[..., channel].copy()
    if as_gray:
        return _to_gray(image)
    kind = {2: "a gray+alpha", 3: "an RGB", 4: "an RGBA"}.get(n, f"a {n}-channel")
    raise ValueError(
        f"{name} is {kind} colour image of shape {image.shape}; pass "
        "as_gray=True to convert it to its luminance (in the image's units) or "
        "channel=k to take one channel."
    )


@validate_params(
    {
        "paths": [*_PATH, SequenceOf(_PATH, min_length=1, what="a path")],
        "as_gray": ["boolean", None],
        "channel": [StrictInterval(Integral, None, None, closed="neither"), None],
        "recursive": ["boolean"],
        "pages_as_images": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_images(
    paths, *, as_gray=False, channel=None, recursive=False, pages_as_images=False
):
    """Read image files into a list of arrays, with their file names.

    Parameters
    ----------
    paths : str, path-like or list of them
        A file, a folder (its PNG, JPEG and TIFF files, by extension, in the
        order of their names), a glob pattern (``"plates/*.tif"``; its
        matches in the order of their names), or a list mixing them, read in
        the order given.
    as_gray : bool, default=False
        Convert colour images (RGB or RGBA, and gray+alpha PNGs) to their
        luminance with the weights of ``skimage.color.rgb2gray`` (0.2125 R +
        0.7154 G + 0.0721 B), dropping alpha.  When False (or None) and
        ``channel`` is None, a colour image raises a ValueError naming the
        file: it is never silently read as a 3D image.  Gray images are
        returned as they are in every case.
    channel : int or None, default=None
        Take this channel of colour images instead (0 is red; negative values
        count from the end).  Cannot be combined with ``as_gray=True``.
    recursive : bool, default=False
        Also read the files of subfolders of a folder (sorted by their path
        relative to it), and let ``**`` in a glob pattern match subfolders.
    pages_as_images : bool, default=False
        Read each page of a multi-page TIFF as its own 2D image, named
        ``FILE[PAGE]`` (pages numbered from 0, as tifffile's ``key``), instead
        of one 3D volume.

    Returns
    -------
    images : list of ndarray
        The images, in the file's dtype and units: 2D, or 3D ``(pages,
        height, width)`` for a multi-page TIFF unless ``pages_as_images``.
    names : list of str
        The path of each image, as found (``FILE[PAGE]`` for pages).

    Raises
    ------
    FileNotFoundError
        When a path does not exist or a pattern matches nothing.
    ValueError
        When a folder has no image file, a file cannot be read as an image,
        or an image is in colour and neither ``as_gray`` nor ``channel`` is
        given; the message names the file.

    See Also
    --------
    save_labels : Write label images.
    imageio.v3.imread, tifffile.imread : The readers used.

    Notes
    -----
    Nothing is rescaled: a uint8 photograph stays in 0..255 and a uint16
    micrograph in 0..65535, so thresholds mean the same on every file.  The
    luminance of a colour image keeps its units and dtype too: for integer
    images it is rounded to the nearest integer (a uint8 RGB image gives the
    uint8 gray image ``round(255 * rgb2gray(rgb))``); float images keep their
    float dtype, unrounded.  Colour TIFFs are recognized by their samples per
    pixel (tifffile's ``S`` axis), so a 3-page gray stack is not mistaken for
    an RGB image.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sksegment.io import load_images, save_labels
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_labels(os.path.join(folder, "b.png"), np.eye(3, dtype=np.int32))
    ...     save_labels(os.path.join(folder, "a.tif"), np.zeros((2, 3, 3), np.int32))
    ...     images, names = load_images(folder)
    >>> [os.path.basename(name) for name in names]
    ['a.tif', 'b.png']
    >>> [(image.shape, image.dtype.name) for image in images]
    [((2, 3, 3), 'int32'), ((3, 3), 'uint8')]
    """
    if channel is not None and as_gray:
        raise ValueError(
            f"load_images: pass as_gray=True or channel, not both (got "
            f"channel={channel})."
        )
    files = _find_files(paths, recursive)
    found = [
        pair for f in files for pair in _load_file(f, as_gray, channel, pages_as_images)
    ]
    return [image for image, _ in found], [name for _, name in found]


def _page_count(path):
    """How many images ``pages_as_images`` reads from a file, from its header."""
    if Path(path).suffix.lower() not in _TIFF:
        return 1
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        spatial = len(series.shape) - series.axes.endswith("S")
        return int(np.prod(series.shape[: spatial - 2])) if spatial > 2 else 1


def _find_files(paths, recursive=False):
    """The files ``load_images(paths)`` reads, in order, without reading them."""
    entries = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not entries:
        raise ValueError("load_images got an empty list of paths.")
    return [f for entry in entries for f in _resolve(entry, recursive)]


# --- writing ----------------------------------------------------------------


def _write_atomic(path, write, *, overwrite=True):
    """Call ``write(file_object)`` on a temporary file, then move it to ``path``.

    The one way sksegment writes a file (the command line included): the
    temporary file is in the destination folder (so the final rename is
    atomic) and is removed when anything fails, so ``path`` is either left as
    it was or holds the complete new file.  With ``overwrite=False`` an
    existing ``path`` is never replaced, even one created while writing: the
    file is put in place with a hard link, which fails if ``path`` exists.
    The file is created with ``open``, so it gets the usual permissions (the
    umask), not a temporary file's.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot write {os.fspath(path)}: folder {os.fspath(folder)} does "
            "not exist."
        )
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(_exists_message(path))
    for _ in range(100):
        tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            handle = open(tmp, "xb")
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(f"cannot create a temporary file in {folder}.")
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _move_no_clobber(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _exists_message(path):
    return f"{os.fspath(path)} exists; it is not replaced unless you ask to."


def _move_no_clobber(tmp, path):
    """Rename ``tmp`` to ``path`` unless ``path`` exists (then FileExistsError)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(_exists_message(path)) from None
    except OSError:  # pragma: no cover - a file system without hard links
        if os.path.lexists(path):
            raise FileExistsError(_exists_message(path)) from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def _suffix(path, allowed, function):
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        names = ", ".join(allowed)
        raise ValueError(
            f"{function} writes {names} files; cannot tell the format of "
            f"{os.fspath(path)}."
        )
    return suffix


@validate_params(
    {**_WRITE, "labels": ["array-like"]}, prefer_skip_nested_validation=True
)
def save_labels(path, labels, *, overwrite=True):
    """Write a label image to a TIFF or PNG file, ids exactly.

    Parameters
    ----------
    path : str or path-like
        The file to write, ``.tif``/``.tiff`` or ``.png``.  An existing file
        is replaced, only once the new one is complete.
    labels : ndarray of int or bool
        A label image (0 is the background, ids >= 0), 2D or (TIFF only) 3D.
        A bool mask is written as ids 0 and 1.
    overwrite : bool, default=True
        Replace an existing file at ``path``; when False, an existing file
        raises a FileExistsError and is left as it is.

    Raises
    ------
    ValueError
        When ``labels`` are not integers (or bool), have negative ids, are 3D
        for a PNG, or have ids above 65535 for a PNG; or when the extension
        is neither TIFF nor PNG.

    See Also
    --------
    load_images : Read them back.
    save_image : Write a picture (such as an overlay) for viewing.

    Notes
    -----
    A TIFF keeps the labels exactly, dtype included (int32 labels come back
    as int32), compressed losslessly with zlib; a 3D label image is a
    multi-page TIFF.  A PNG stores the ids themselves, as 8-bit gray when the
    largest id is at most 255 and 16-bit gray when it is at most 65535
    (inclusive); reading it back gives the same ids as uint8 or uint16.  This
    is the format of other segmentation tools' label PNGs; the file looks
    almost black in a viewer, since ids are small grey levels.  For a picture
    to look at, write ``sksegment.plot.overlay(image, labels)`` or
    ``skimage.color.label2rgb(labels)`` with :func:`save_image`.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sksegment.io import load_images, save_labels
    >>> labels = np.array([[0, 1, 1], [2, 0, 70000]], dtype=np.int32)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_labels(os.path.join(folder, "labels.tif"), labels)
    ...     images, names = load_images(os.path.join(folder, "labels.tif"))
    >>> images[0]
    array([[    0,     1,     1],
           [    2,     0, 70000]], dtype=int32)
    """
    suffix = _suffix(path, _TIFF + _PNG, "save_labels")
    labels = np.asarray(labels)
    if labels.dtype.kind == "b":
        labels = labels.astype(np.uint8)
    if labels.dtype.kind not in "ui":
        raise ValueError(
            "save_labels expects integer labels (or a bool mask); got dtype "
            f"{labels.dtype}. Label a mask first (sksegment.ComponentLabeler)."
        )
    if labels.ndim not in (2, 3) or labels.size == 0:
        raise ValueError(
            f"save_labels expects a non-empty 2D or 3D label image; got shape "
            f"{labels.shape}."
        )
    top = int(labels.max())
    if labels.dtype.kind == "i" and labels.min() < 0:
        raise ValueError(
            f"save_labels expects ids >= 0; got a smallest id of {labels.min()}."
        )
    if suffix in _TIFF:
        import tifffile

        def write(handle):
            tifffile.imwrite(
                handle, labels, photometric="minisblack", compression="zlib"
            )

    else:
        if labels.ndim != 2:
            raise ValueError(
                f"PNG files are 2D; save the 3D labels of shape {labels.shape} "
                "to a .tif file."
            )
        if top > 65535:
            raise ValueError(
                f"a PNG holds ids up to 65535; these labels go up to {top}. Save "
                "them to a .tif file."
            )
        encoded = labels.astype(np.uint8 if top <= 255 else np.uint16)

        def write(handle):
            import imageio.v3 as iio

            iio.imwrite(handle, encoded, extension=".png")

    _write_atomic(path, write, overwrite=overwrite)


@validate_params(
    {**_WRITE, "image": ["array-like"]}, prefer_skip_nested_validation=True
)
def save_image(path, image, *, overwrite=True):
    """Write a picture (gray or RGB, such as an overlay) to a PNG, JPEG or TIFF.

    Parameters
    ----------
    path : str or path-like
        The file to write, ``.png``, ``.jpg``/``.jpeg`` or ``.tif``/``.tiff``.
        An existing file is replaced, only once the new one is complete.
    image : ndarray
        ``(height, width)`` gray or ``(height, width, 3 or 4)`` RGB(A) image:
        uint8 is written as it is, uint16 too (PNG and TIFF), a bool mask as
        0 and 255, and floats in [0, 1] (inclusive; as
        ``skimage.color.label2rgb`` returns) as ``round(255 * value)``.
    overwrite : bool, default=True
        Replace an existing file at ``path``; when False, an existing file
        raises a FileExistsError and is left as it is.

    Raises
    ------
    ValueError
        For other dtypes (say how to scale them: nothing is rescaled
        silently), floats outside [0, 1], other shapes, or an unknown
        extension.

    See Also
    --------
    sksegment.plot.overlay : An RGB picture of objects over their image.
    save_labels : Write label images exactly.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sksegment.io import load_images, save_image
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_image(os.path.join(folder, "picture.png"), np.full((2, 3, 3), 0.5))
    ...     images, names = load_images(folder, channel=0)
    >>> images[0]
    array([[128, 128, 128],
           [128, 128, 128]], dtype=uint8)
    """
    suffix = _suffix(path, _PNG + _JPEG + _TIFF, "save_image")
    image = np.asarray(image)
    if (
        not (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] in (3, 4)))
        or not image.size
    ):
        raise ValueError(
            "save_image expects a (height, width) gray or (height, width, 3 or 4) "
            f"colour image; got shape {image.shape}."
        )
    kind = image.dtype.kind
    if kind == "b":
        image = image.astype(np.uint8) * np.uint8(255)
    elif kind == "f":
        low, high = float(np.nanmin(image)), float(np.nanmax(image))
        if not (np.isfinite(image).all() and 0 <= low and high <= 1):
            raise ValueError(
                "save_image expects float images in [0, 1]; got values from "
                f"{low:g} to {high:g}. Scale them to [0, 1] or convert to uint8."
            )
        image = np.rint(image * 255).astype(np.uint8)
    elif image.dtype == np.uint16 and suffix in _JPEG:
        raise ValueError("JPEG files are 8-bit; save uint16 images to PNG or TIFF.")
    elif image.dtype not in (np.uint8, np.uint16):
        raise ValueError(
            f"save_image writes uint8, uint16, bool or float (in [0, 1]) images; "
            f"got dtype {image.dtype}. Convert it first (nothing is rescaled "
            "silently)."
        )
    if suffix in _TIFF:
        import tifffile

        photometric = "minisblack" if image.ndim == 2 else "rgb"

        def write(handle):
            tifffile.imwrite(handle, image, photometric=photometric)

    else:

        def write(handle):
            import imageio.v3 as iio

            iio.imwrite(handle, image, extension=suffix)

    _write_atomic(path, write, overwrite=overwrite)


# --- saved pipelines --------------------------------------------------------

# scikit-learn types that fitted classifiers hold besides estimators, which
# skops does not trust by default.  Tree stores raw node and feature indices
# that scikit-learn follows without bounds checks: it is trusted only because
# every loaded Tree is checked by _check_trees before the object is returned.
_TREE = "sklearn.tree._tree.Tree"
_SKLEARN_HELPER_TYPES = (
    _TREE,
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
)


def _type_name(kind):
    if isinstance(kind, str):
        return kind
    return f"{kind.__module__}.{kind.__qualname__}"


def _default_trusted():
    """sksegment's estimators and the scikit-learn types classifiers hold."""
    import inspect

    from sklearn.base import BaseEstimator
    from sklearn.gaussian_process import kernels

    import sksegment

    names = set(_SKLEARN_HELPER_TYPES)
    for module in (sksegment, kernels):
        for obj in vars(module).values():
            if inspect.isclass(obj) and obj.__module__.startswith(module.__name__):
                if issubclass(obj, (BaseEstimator, kernels.Kernel)):
                    names.add(_type_name(obj))
    return names


@validate_params(
    {**_WRITE, "pipeline": "no_validation"}, prefer_skip_nested_validation=False
)
def save_pipeline(pipeline, path, *, overwrite=False):
    """Save a fitted pipeline (or any estimator) to a skops file.

    Parameters
    ----------
    pipeline : estimator
        The object to save, usually a fitted :class:`sksegment.Pipeline`.
    path : str or path-like
        The file to write; ``.skops`` is the usual extension.
    overwrite : bool, default=False
        Replace an existing file.  When False, an existing file raises a
        FileExistsError and is left as it is.

    See Also
    --------
    load_pipeline : Load it back, running no code from the file.

    Notes
    -----
    The skops format stores the objects' types and state, not code, so
    :func:`load_pipeline` can check every type before building anything.
    The file is written whole or not at all.  ``joblib.dump`` still works on
    every sksegment estimator, but a joblib (pickle) file can run any code
    when loaded: share skops files.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import sksegment as sks
    >>> from sksegment.io import load_pipeline, save_pipeline
    >>> images = np.zeros((1, 8, 8), np.uint8)
    >>> images[0, 2:5, 2:5] = 200
    >>> images[0, 0, 0] = 50
    >>> pipe = sks.make_pipeline(
    ...     sks.OtsuThresholder(), sks.ComponentLabeler(), sks.ObjectCounter()
    ... ).fit(images)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_pipeline(pipe, os.path.join(folder, "pipe.skops"))
    ...     loaded = load_pipeline(os.path.join(folder, "pipe.skops"))
    >>> loaded.predict(images)
    array([1])
    """
    import skops.io as sio

    data = sio.dumps(pipeline)
    _write_atomic(path, lambda handle: handle.write(data), overwrite=overwrite)


@validate_params(
    {
        "path": _PATH,
        "trusted": [str, type, SequenceOf([str, type], what="a str or a type"), None],
        "unsafe_pickle": ["boolean"],
    },
    prefer_skip_nested_validation=False,
)
def load_pipeline(path, *, trusted=None, unsafe_pickle=False):
    """Load a pipeline saved by :func:`save_pipeline`, running no code from it.

    Parameters
    ----------
    path : str or path-like
        A skops file (as written by :func:`save_pipeline` and ``sksegment
        tune --save``).  The kind of file is told by its content, not its
        extension.
    trusted : list of str or type, default=None
        Further types to accept, such as ``"mylab.steps.MyStep"``.  By
        default the file may hold sksegment's estimators, scikit-learn's
        estimators and the helper types its classifiers hold (the trees of
        ``RandomForestClassifier``, checked after loading), and the numpy,
        scipy and Python types that skops trusts.
    unsafe_pickle : bool, default=False
        Also load pickle and joblib files, with ``joblib.load``.  Loading a
        pickle can run any code the file holds: only for files you made
        yourself or fully trust.

    Returns
    -------
    pipeline : object
        The loaded object.

    Raises
    ------
    ValueError
        When the file holds types that are not trusted (the message lists
        them), is a pickle and ``unsafe_pickle`` is False (refused before
        anything is unpickled), or is neither kind of file.

    See Also
    --------
    save_pipeline : Save one.

    Notes
    -----
    A type is trusted because of its name and where it is defined, not
    because of what the file says it does.  The node and feature indices of
    scikit-learn's decision trees are checked before the object is returned,
    since scikit-learn follows them without bounds checks.  Other types that
    hold raw indices, such as the ``KDTree`` of ``KNeighborsClassifier``, the
    predictors of ``HistGradientBoostingClassifier`` and the libsvm models
    (``SVC``, ``NuSVC``, ``SVR``, ``OneClassSVM``), must be trusted
    explicitly.

    Examples
    --------
    See :func:`save_pipeline`.
    """
    import skops.io as sio

    if trusted is None:
        trusted = []
    elif isinstance(trusted, (str, type)):
        trusted = [trusted]
    extra = {_type_name(kind) for kind in trusted}
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise FileNotFoundError(f"cannot read the pipeline {name}: no such file.")
    if not zipfile.is_zipfile(name):
        if not unsafe_pickle:
            raise ValueError(
                f"{name} is not a skops file; if it is a pickle or joblib file, "
                "loading it can run any code it holds, so it is loaded only with "
                "unsafe_pickle=True (--unsafe-pickle), for files you trust. "
                "Save pipelines with sksegment.io.save_pipeline."
            )
        import joblib

        try:
            loaded = joblib.load(name)
        except Exception as exc:
            raise ValueError(
                f"cannot load the pipeline {name}: {type(exc).__name__}: {exc}"
            ) from None
        return _fitted_estimator(loaded, name)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
        found = set(sio.get_untrusted_types(data=data))
    except Exception as exc:  # a zip archive that is no skops file
        raise ValueError(f"{name} is not a skops file: {exc}") from None
    refused = sorted(found - _default_trusted() - extra)
    if refused:
        raise ValueError(
            f"{name} holds types that are not trusted: {', '.join(refused)}. "
            "Loading them could run code; if you trust the file's source and "
            "these types, pass them in trusted=[...] (--trust TYPE)."
        )
    try:
        loaded = sio.loads(data, trusted=sorted(found))
    except Exception as exc:
        raise ValueError(f"cannot load the pipeline {name}: {exc}") from None
    _check_trees(loaded, name)
    _check_libsvm(loaded, name, extra)
    return _fitted_estimator(loaded, name)


def _fitted_estimator(loaded, name):
    """``loaded``, when it is a fitted scikit-learn estimator (a pipeline)."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not (hasattr(loaded, "get_params") and hasattr(loaded, "fit")):
        raise TypeError(
            f"{name} holds a {type(loaded).__name__}, not a pipeline or estimator."
        )
    try:
        check_is_fitted(loaded)
    except NotFittedError:
        raise ValueError(
            f"{name} holds a {type(loaded).__name__} that is not fitted; save "
            "pipelines after fitting them."
        ) from None
    return loaded


def _check_libsvm(root, name, trusted):
    """Refuse libsvm models (SVC, NuSVC, SVR, OneClassSVM...) unless trusted.

    skops trusts them as scikit-learn estimators, but libsvm follows their
    support indices, dual coefficients and intercepts without bounds checks:
    a crafted file reads memory out of range at predict time.
    """
    from sklearn.svm._base import BaseLibSVM

    refuse = ValueError(name)  # _held raises it only for bagging columns
    seen, stack = set(), [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (str, bytes, int, float)):
            continue
        seen.add(id(obj))
        if isinstance(obj, BaseLibSVM) and _type_name(type(obj)) not in trusted:
            raise ValueError(
                f"{name} holds a {type(obj).__name__}, whose libsvm arrays "
                "scikit-learn follows without bounds checks, so a crafted file "
                "could read memory out of range; if you trust the file's source, "
                f"pass trusted=[{_type_name(type(obj))!r}] (--trust "
                f"{_type_name(type(obj))})."
            )
        stack.extend(value for value, _ in _held(obj, None, refuse))


def _n_features(estimator):
    value = getattr(estimator, "n_features_in_", None)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return None


def _held(obj, width, refuse):
    """(object, width) pairs of what ``obj`` holds, for _check_trees.

    ``width`` is the number of features of the input the holder passes on
    without checking it again (None when the object checks its own input).
    """
    if isinstance(obj, dict):
        return [(value, width) for value in obj.values()]
    if isinstance(obj, (list, tuple)):
        return [(value, width) for value in obj]
    if isinstance(obj, np.ndarray):
        return [(v, width) for v in obj.ravel()] if obj.dtype == object else []
    state = getattr(obj, "__dict__", None)
    if not isinstance(state, dict):
        return []
    held = [(value, None) for key, value in state.items() if key != "estimators_"]
    if "estimators_" not in state:
        return held
    # ensembles may call the estimators of estimators_ without input checks,
    # on all their features or (bagging) on the columns estimators_features_
    # names for each
    total = _n_features(obj)
    members = state["estimators_"]
    if "estimators_features_" not in state:
        return held + [(members, total)]
    columns = state["estimators_features_"]
    if total is None or not isinstance(members, list) or len(columns) != len(members):
        raise refuse
    for member, used in zip(members, columns):
        used = np.asarray(used)
        if used.ndim != 1 or used.dtype.kind not in "iu" or np.any(used < 0):
            raise refuse
        if np.any(used >= total):
            raise refuse
        held.append((member, len(used)))
    return held


def _check_trees(root, name):
    """Refuse decision trees whose indices leave their arrays or loop.

    scikit-learn follows a tree's indices without bounds checks: every child
    must come after its parent and within the nodes, every split feature
    within the tree's features, which must be those of the input its
    estimator checks (or its ensemble passes on unchecked).
    """
    from sklearn.tree._tree import Tree

    refuse = ValueError(
        f"{name} holds a decision tree whose node or feature indices are out of "
        "range or loop; it is not loaded."
    )
    seen = set()
    stack = [(root, None)]
    while stack:
        obj, width = stack.pop()
        if (id(obj), width) in seen or isinstance(obj, (str, bytes, int, float, Tree)):
            continue
        seen.add((id(obj), width))
        state = getattr(obj, "__dict__", None)
        tree = state.get("tree_") if isinstance(state, dict) else None
        if isinstance(tree, Tree):
            own = _n_features(obj)
            n = tree.node_count
            left, right = tree.children_left, tree.children_right
            ids, feature = np.arange(n), tree.feature
            inner = left != -1
            if (
                own is None
                or {own, own if width is None else width} != {tree.n_features}
                or n < 1
                or not np.array_equal(inner, right != -1)
                or np.any((left[inner] <= ids[inner]) | (left[inner] >= n))
                or np.any((right[inner] <= ids[inner]) | (right[inner] >= n))
                or np.any((feature[inner] < 0) | (feature[inner] >= own))
            ):
                raise refuse
        stack.extend(_held(obj, width, refuse))
