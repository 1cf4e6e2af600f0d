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
"""

import glob
import os
import secrets
from pathlib import Path

import numpy as np

__all__ = ["load_images", "save_image", "save_labels"]

_TIFF = (".tif", ".tiff")
_PNG = (".png",)
_JPEG = (".jpg", ".jpeg")
_IMAGE_SUFFIXES = _PNG + _JPEG + _TIFF

# Luminance weights of skimage.color.rgb2gray (ITU-R BT.709); they sum to 1,
# so the grey image stays within the range of the colour channels.
_LUMINANCE = np.array([0.2125, 0.7154, 0.0721])


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
    first = text[0] if text else type(exc).__name__
    generic = ("Could not find a backend", "cannot identify image", "can not handle")
    if any(text in first for text in generic):
        return "not an image file, or a format imageio cannot decode"
    return first


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


def _load_one(path, as_gray, channel):
    name = os.fspath(path)
    try:
        image, colour = _read(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"cannot read {name}: no such file.") from None
    except Exception as exc:  # any reader failure is an unreadable file
        raise ValueError(f"cannot read {name}: {_reason(exc)}.") from None
    image = np.asarray(image)
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


def load_images(paths, *, as_gray=False, channel=None, recursive=False):
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

    Returns
    -------
    images : list of ndarray
        The images, in the file's dtype and units: 2D, or 3D ``(pages,
        height, width)`` for a multi-page TIFF.
    names : list of str
        The path of each image, as found.

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
    if as_gray not in (None, True, False):
        raise TypeError(f"as_gray must be True or False; got {as_gray!r}.")
    if channel is not None:
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
            raise TypeError(f"channel must be an int or None; got {channel!r}.")
        if as_gray:
            raise ValueError(
                f"pass as_gray=True or channel, not both (got channel={channel})."
            )
    entries = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not entries:
        raise ValueError("load_images got an empty list of paths.")
    files = [f for entry in entries for f in _resolve(entry, recursive)]
    images = [_load_one(f, as_gray, channel) for f in files]
    return images, [os.fspath(f) for f in files]


# --- writing ----------------------------------------------------------------


def _write_atomic(path, write):
    """Call ``write(file_object)`` on a temporary file, then move it to ``path``.

    The temporary file is in the destination folder (so the final rename is
    atomic) and is removed when anything fails; an existing file at ``path``
    is only replaced by a complete one.  The file is created with ``open``,
    so it gets the usual permissions (the umask), not a temporary file's.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot write {os.fspath(path)}: folder {os.fspath(folder)} does "
            "not exist."
        )
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
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _suffix(path, allowed, function):
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        names = ", ".join(allowed)
        raise ValueError(
            f"{function} writes {names} files; cannot tell the format of "
            f"{os.fspath(path)}."
        )
    return suffix


def save_labels(path, labels):
    """Write a label image to a TIFF or PNG file, ids exactly.

    Parameters
    ----------
    path : str or path-like
        The file to write, ``.tif``/``.tiff`` or ``.png``.  An existing file
        is replaced, only once the new one is complete.
    labels : ndarray of int or bool
        A label image (0 is the background, ids >= 0), 2D or (TIFF only) 3D.
        A bool mask is written as ids 0 and 1.

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

    _write_atomic(path, write)


def save_image(path, image):
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

    _write_atomic(path, write)
