"""The ``sksegment`` command line: count objects in image files, tune or train.

``sksegment count [PATH...]``
    Runs the counting recipe (threshold, closing with a square, border
    clearing, labeling, area filter) or a saved pipeline on image files,
    folders and globs, or on the bundled coins when no path is given; prints
    one row per image and writes ``--csv`` and ``--overlay`` pictures.
``sksegment tune PATH... --counts FILE | --masks DIR``
    Grid-searches threshold, closing size and smallest area against true
    counts or true label images, prints the best parameters and their
    cross-validated score, and saves the fitted pipeline (a skops file) and a
    heatmap.
``sksegment train PATH... --masks DIR | --strokes DIR --save FILE``
    Trains a pixel classifier on annotated images (true label images or
    ilastik-style strokes) followed by threshold, hole filling, watershed
    splitting and area filter; searches the object sizes against the masks
    (or ``--counts``) by cross-validation on held-out probabilities, prints
    them and their score, and saves the pipeline (a skops file) for
    ``count --pipeline``.

Every failure (a malformed option, a missing file, an empty folder, a counts
file naming unknown images, a folder that cannot be written) ends with one
line on stderr naming the flag at fault, and exit code 1, never a traceback;
Ctrl-C ends with one line and exit code 130.  Output files are written whole
or not at all, never replace an input or another output of the run, and
replace an existing file only with ``--force``; these checks run before any
image is read.  ``--pipeline``
loads skops files only (``--trust`` for more types), pickles only with
``--unsafe-pickle``.
"""

import argparse
import csv
import io as _io
import os
import re
import sys

import numpy as np

__all__ = ["main"]


class UserError(Exception):
    """A mistake in the command's input: reported in one line, exit code 1."""


# --- argument types ----------------------------------------------------------


def _finite(text, kind=float, what="a number"):
    """``kind(text)``, finite, or the error argparse shows with the flag."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(
            f"expected a finite {what.removeprefix('a ')}, got {text!r}"
        )
    return value


def _threshold(text):
    return None if text == "otsu" else _finite(text, float, "a number or 'otsu'")


def _area(text):
    try:
        value = float(text)
    except ValueError:
        value = np.nan
    if not (np.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(
            f"expected an area in pixels, a finite number >= 0; got {text!r}"
        )
    return value


def _whole(low, what):
    """A parser of whole numbers of at least ``low``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(
                f"expected {what}, a whole number >= {low}; got {text!r}"
            )
        return value

    return parse


def _jobs(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a number of threads >= 1, or -1 for all cores; got {text!r}"
        )
    return value


def _channel(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a channel index, a whole number (0 is red, -1 the last); "
            f"got {text!r}"
        ) from None


# The most values one flag may search: a grid of this many candidates per
# flag is already more than a search can run.
_MAX_VALUES = 1000


def _path(text):
    """A file or folder path given to a flag: never an empty one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty one")
    return text


def _values(kind, low=None):
    """A parser of ``a:b:step`` ranges (end inclusive) or ``a,b,c`` lists.

    With ``low``, every value must be at least ``low``; at most
    ``_MAX_VALUES`` values, counted before any is made.
    """

    def parse(text):
        values = _parse_values(text)
        if low is not None and any(v is not None and v < low for v in values):
            shown = ",".join("otsu" if v is None else f"{v:g}" for v in values)
            raise argparse.ArgumentTypeError(f"expected values >= {low:g}; got {shown}")
        return values

    def _parse_values(text):
        values = []
        for part in text.split(","):
            if part == "otsu" and kind is float:
                values.append(None)
            elif ":" in part:
                try:
                    start, stop, step = (kind(p) for p in part.split(":"))
                except ValueError:
                    raise argparse.ArgumentTypeError(
                        f"expected start:stop:step, got {part!r}"
                    ) from None
                if step <= 0 or stop < start:
                    raise argparse.ArgumentTypeError(
                        f"{part!r} is empty: need start <= stop and step > 0"
                    )
                if not np.isfinite([start, stop, step]).all():
                    raise argparse.ArgumentTypeError(
                        f"expected finite numbers, got {part!r}"
                    )
                n = int((stop - start) / step + 0.5) + 1
                if len(values) + n > _MAX_VALUES:
                    raise argparse.ArgumentTypeError(
                        f"{part!r} gives {n} values; a search takes at most "
                        f"{_MAX_VALUES} per flag (use a larger step)"
                    )
                values.extend(kind(v) for v in np.arange(start, stop + step / 2, step))
            else:
                values.append(_finite(part, kind, f"a {kind.__name__}"))
        return values

    return parse


# --- the parser --------------------------------------------------------------


def _add_input_options(parser):
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="image files, folders or globs"
    )
    colour = parser.add_mutually_exclusive_group()
    colour.add_argument(
        "--gray",
        action="store_true",
        help="convert colour images to gray with the luminance weights",
    )
    colour.add_argument(
        "--channel",
        type=_channel,
        default=None,
        metavar="K",
        help="use channel K of colour images (0 is red, -1 the last)",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="threads over the images (-1: all cores)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace output files that exist (never an input of the run)",
    )


class _UsageError(Exception):
    """A command line argparse cannot parse: one line, exit code 1."""

    def __init__(self, prog, message):
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors are one line (no usage block) and exit 1."""

    def error(self, message):
        raise _UsageError(self.prog, message)


def _parser():
    from sksegment import __version__

    parser = _Parser(
        prog="sksegment",
        description="Classical image segmentation as scikit-learn estimators.",
    )
    parser.add_argument(
        "--version", action="version", version=f"sksegment {__version__}"
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )

    count = commands.add_parser(
        "count",
        help="count the objects of images",
        description=(
            "Count bright objects: threshold, binary closing with a square, "
            "remove objects touching the border, label, keep objects by area; "
            "or run a saved pipeline. With no path, runs on scikit-image's coins."
        ),
    )
    _add_input_options(count)
    count.add_argument(
        "--pages-as-images",
        action="store_true",
        help="read each page of a multi-page TIFF as its own 2D image, named "
        "FILE[PAGE] (pages from 0), instead of one 3D volume",
    )
    count.add_argument(
        "--threshold",
        type=_threshold,
        default=argparse.SUPPRESS,
        help="threshold in the images' units, or 'otsu' to learn Otsu's over all "
        "images (default: otsu)",
    )
    count.add_argument(
        "--close",
        type=_whole(1, "a closing size in pixels"),
        default=argparse.SUPPRESS,
        metavar="SIZE",
        help="side of the closing square (default: 5)",
    )
    count.add_argument(
        "--min-area",
        type=_area,
        default=argparse.SUPPRESS,
        help="smallest object area kept, in pixels, inclusive (default: 101)",
    )
    count.add_argument(
        "--max-area",
        type=_area,
        default=argparse.SUPPRESS,
        help="largest object area kept, in pixels, inclusive (default: none)",
    )
    count.add_argument(
        "--pipeline",
        metavar="FILE",
        type=_path,
        help="a fitted pipeline saved by 'sksegment tune --save' or "
        "sksegment.io.save_pipeline (skops format), used instead of the recipe "
        "options; its types are checked before anything is built",
    )
    count.add_argument(
        "--trust",
        metavar="TYPE",
        action="append",
        default=[],
        help="also accept this type in the --pipeline file, such as "
        "mylab.steps.MyStep (repeatable); only for files whose source you trust",
    )
    count.add_argument(
        "--unsafe-pickle",
        action="store_true",
        help="let --pipeline be a pickle or joblib file. UNSAFE: loading a "
        "pickle runs any code the file holds; only for files you made yourself",
    )
    count.add_argument(
        "--csv", metavar="FILE", type=_path, help="write path,count,threshold rows"
    )
    count.add_argument(
        "--overlay",
        metavar="DIR",
        type=_path,
        help="write one PNG per image (outlines, numbers), named by the image's "
        "path below the images' common folder plus .png (a/im1.tif: a/im1.tif.png)",
    )

    tune = commands.add_parser(
        "tune",
        help="grid-search the recipe against true counts or masks",
        description=(
            "Grid-search the threshold, closing size and smallest area of the "
            "counting recipe against true counts (--counts) or true label "
            "images (--masks), by cross-validation."
        ),
    )
    _add_input_options(tune)
    truth = tune.add_mutually_exclusive_group(required=True)
    truth.add_argument(
        "--counts",
        metavar="FILE",
        type=_path,
        help="CSV with columns path,count (true counts)",
    )
    truth.add_argument(
        "--masks",
        metavar="DIR",
        type=_path,
        help="folder of label images named as the images",
    )
    tune.add_argument(
        "--threshold",
        type=_values(float),
        default=[None, 100.0, 110.0, 120.0, 130.0, 140.0],
        help="thresholds to try: start:stop:step (stop included) or a,b,c; "
        "'otsu' learns Otsu's (default: otsu,100:140:10)",
    )
    tune.add_argument(
        "--close",
        type=_values(int, low=1),
        default=[1, 3, 5, 7],
        metavar="SIZES",
        help="closing sizes to try (default: 1:7:2)",
    )
    tune.add_argument(
        "--min-area",
        type=_values(float, low=0),
        default=[50.0, 100.0],
        metavar="AREAS",
        help="smallest areas to try (default: 50,100)",
    )
    tune.add_argument(
        "--cv",
        type=_whole(2, "a number of folds"),
        default=3,
        help="folds (default: 3)",
    )
    tune.add_argument(
        "--save",
        metavar="FILE",
        type=_path,
        help="save the fitted best pipeline (skops format, for count --pipeline)",
    )
    tune.add_argument(
        "--plot", metavar="FILE", type=_path, help="save the score heatmap as PNG"
    )

    train = commands.add_parser(
        "train",
        help="train a pixel classifier pipeline on annotated images",
        description=(
            "Train a learned counting pipeline: a pixel classifier (a random "
            "forest on multiscale pixel features) gives each pixel its "
            "probability of being foreground, then threshold, hole filling, "
            "watershed splitting of touching objects, area filter and count. "
            "With --masks (true label images) the threshold, marker distance "
            "and smallest area are searched for the F1 of the objects at IoU "
            "0.5; with --strokes (ilastik-style annotations) they are searched "
            "against --counts if given, else the single values given are used. "
            "The search costs one forest per fold, not one per candidate: "
            "the forest of each fold is trained on the other folds' images and "
            "gives the probabilities of its held-out images, on which every "
            "candidate is scored (no image is scored by a forest that saw it); "
            "the saved pipeline's forest is then trained on all images. Count "
            "with: sksegment count IMAGES --pipeline MODEL."
        ),
    )
    _add_input_options(train)
    annotations = train.add_mutually_exclusive_group(required=True)
    annotations.add_argument(
        "--masks",
        metavar="DIR",
        type=_path,
        help="folder of true label images named as the images (> 0 is "
        "foreground, one id per object): every pixel trains",
    )
    annotations.add_argument(
        "--strokes",
        metavar="DIR",
        type=_path,
        help="folder of stroke images named as the images: 0 = not annotated, "
        "1 = background, 2 and above = objects (ilastik's convention); only "
        "annotated pixels train",
    )
    train.add_argument(
        "--counts",
        metavar="FILE",
        type=_path,
        help="with --strokes: CSV with columns path,count (true counts) to "
        "search the object sizes against; without it no search is made",
    )
    train.add_argument(
        "--save",
        metavar="FILE",
        type=_path,
        required=True,
        help="write the trained pipeline here (skops format, for count --pipeline)",
    )
    from sksegment.pixels import _FOREST, PixelClassifier, PixelFeatures

    forest = train.add_argument_group("pixel classifier")
    forest.add_argument(
        "--sigma-max",
        type=float,
        default=float(PixelFeatures().sigma_max),
        metavar="PIXELS",
        help="largest scale of the pixel features, about the radius of the "
        f"largest object (default: {PixelFeatures().sigma_max:g})",
    )
    forest.add_argument(
        "--trees",
        type=int,
        default=None,
        help=f"trees of the forest (default: {_FOREST['n_estimators']})",
    )
    forest.add_argument(
        "--max-depth",
        type=int,
        default=None,
        metavar="N",
        help=f"depth limit of the trees (default: {_FOREST['max_depth']})",
    )
    forest.add_argument(
        "--n-samples",
        type=int,
        default=PixelClassifier().n_samples,
        metavar="N",
        help="annotated pixels sampled to train the forest, stratified by class "
        f"(default: {PixelClassifier().n_samples})",
    )
    forest.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the pixel sampling and the forest (default: 0)",
    )
    search = train.add_argument_group(
        "objects",
        "Searched with --masks, or with --strokes and --counts: give lists "
        "a,b,c or ranges start:stop:step (stop included).",
    )
    search.add_argument(
        "--threshold",
        type=_values(float),
        default=None,
        metavar="PROBS",
        help="foreground probabilities above which a pixel is foreground, "
        "between 0 and 1 (default: 0.5)",
    )
    search.add_argument(
        "--min-distance",
        type=_values(int, low=1),
        default=None,
        metavar="PIXELS",
        help="smallest distance between the centres of touching objects split "
        "by the watershed, about the smallest objects' radius (default: "
        f"{_TRAIN_SEARCH['min_distance']} searched, "
        f"{_TRAIN_SINGLE['min_distance']} when there is no search)",
    )
    search.add_argument(
        "--min-area",
        type=_values(float, low=0),
        default=None,
        metavar="AREAS",
        help="smallest object area kept, in pixels, inclusive (default: "
        f"{_TRAIN_SEARCH['min_area']} searched, {_TRAIN_SINGLE['min_area']:g} "
        "when there is no search)",
    )
    search.add_argument(
        "--max-area",
        type=_area,
        default=None,
        help="largest object area kept, in pixels, inclusive; not searched "
        "(default: none)",
    )
    search.add_argument(
        "--cv",
        type=_whole(2, "a number of folds"),
        default=None,
        help="folds of the search (default: 3)",
    )
    return parser


# --- helpers -----------------------------------------------------------------


def _real(path):
    return os.path.normcase(os.path.realpath(path))


def _key(path):
    """A file's identity: its inode if it exists, else its resolved path.

    The inode catches hard links and case-insensitive file systems.
    """
    try:
        info = os.stat(path)
    except OSError:
        return ("path", _real(path))
    return ("file", info.st_dev, info.st_ino)


def _input_files(paths):
    """The image files named by ``paths``, listed without reading them."""
    from sksegment.io import _find_files

    try:
        files = [os.fspath(f) for f in _find_files(paths)]
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from None
    first = {}
    for name in files:
        if _key(name) in first:
            raise UserError(
                f"{name} is given twice (also as {first[_key(name)]}); each image "
                "is counted once"
            )
        first[_key(name)] = name
    return files


def _below(path, folder):
    """Whether ``path`` is inside ``folder`` (at any depth)."""
    parent, inside = _real(folder), _real(path)
    return os.path.commonpath([parent, inside]) == parent


def _overlay_names(files, folder, names=None):
    """One overlay file per image: its path below the common folder, + .png.

    ``names`` are the images' names when pages are images (``FILE[PAGE]``).
    """
    if not files:
        return [os.path.join(folder, "coins.png")]
    parents = [os.path.dirname(os.path.abspath(f)) for f in files]
    try:
        root = os.path.commonpath(parents)
    except ValueError:  # different drives
        root = ""
    relative_of = {}
    for name in files:
        relative = os.path.relpath(os.path.abspath(name), root) if root else name
        relative_of[name] = relative.lstrip(os.sep + (os.altsep or ""))
    targets = []
    for name in files if names is None else names:
        file, page = name, ""
        if name not in relative_of:  # FILE[PAGE]
            file, page = name[: name.rindex("[")], name[name.rindex("[") :]
        targets.append(os.path.join(folder, relative_of[file] + page + ".png"))
    return targets


def _check_outputs(outputs, inputs, force):
    """Refuse, before anything is read, outputs that would lose a file.

    ``outputs`` are (option, path) pairs.  An output is never an input of the
    run nor another output; an existing file is replaced only with --force.
    """
    given = {_key(path): path for path in inputs}
    taken = {}
    for option, path in outputs:
        key = _key(path)
        if key in given:
            raise UserError(
                f"{option} {path} is an input of this run ({given[key]}); an output "
                "never replaces an input"
            )
        if key in taken:
            raise UserError(
                f"{taken[key][0]} {taken[key][1]} and {option} {path} would write "
                "the same file"
            )
        taken[key] = (option, path)
        if os.path.isdir(path):
            raise UserError(f"{option} {path} is a folder, not a file")
        if os.path.lexists(path) and not force:
            raise UserError(f"{option} {path} exists; pass --force to replace it")


def _check_folder(option, path, create=False):
    """Refuse an output whose folder cannot hold it, before anything is read.

    With ``create``, missing folders are made later (overlays): the nearest
    folder that exists must be writable and nothing on the way a file.
    """
    folder = os.path.dirname(os.path.abspath(path))
    existing = folder
    while not os.path.exists(existing):
        if not create:
            raise UserError(
                f"cannot write {option} {path}: folder {folder} does not exist"
            )
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UserError(
            f"cannot write {option} {path}: {existing} is a file, not a folder"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(
            f"cannot write {option} {path}: no permission to write in {existing}"
        )


def _os_reason(exc):
    """What the system said about a refused file operation, on one line."""
    return exc.strerror or " ".join(str(exc).split())


def _writing(option, path, write):
    """Run ``write()``, naming the flag and the file if the system refuses."""
    try:
        return write()
    except OSError as exc:
        raise UserError(f"cannot write {option} {path}: {_os_reason(exc)}") from None


def _write(option, path, write, force):
    """Write ``path`` whole or not at all with ``write(binary_file)``."""
    from sksegment.io import _write_atomic

    _writing(option, path, lambda: _write_atomic(path, write, overwrite=force))


def _terminal():
    """Whether stderr is a terminal: progress bars are drawn only there."""
    return sys.stderr.isatty()


def _progress(total, args, desc, unit="image"):
    from tqdm import tqdm

    quiet = args.quiet or not _terminal()
    return tqdm(total=total, desc=desc, unit=unit, disable=quiet, file=sys.stderr)


def _load(args, files, bar=None):
    """The images and their names: the files given, or the bundled coins.

    One file at a time, so that ``bar`` moves from the first one.
    """
    if not files:
        from sksegment.datasets import load_coins

        images, names = list(load_coins().images), ["coins (bundled)"]
        if bar is not None:
            bar.update(1)
        return images, names
    from sksegment.io import load_images

    images, names = [], []
    for file in files:
        try:
            found, found_names = load_images(
                [file],
                as_gray=args.gray,
                channel=args.channel,
                pages_as_images=getattr(args, "pages_as_images", False),
            )
        except (OSError, ValueError) as exc:
            raise UserError(str(exc)) from None
        images.extend(found)
        names.extend(found_names)
        if bar is not None:
            bar.update(1)
    return images, names


def _image_names(args, files):
    """The names the images of ``files`` will have, read from the headers only."""
    if not args.pages_as_images:
        return list(files)
    from sksegment.io import _page_count

    names = []
    for file in files:
        try:
            n = _page_count(file)
        except Exception:  # unreadable: reported when the pixels are read
            n = 1
        names.extend([file] if n == 1 else [f"{file}[{i}]" for i in range(n)])
    return names


def _shown(name):
    """A name for the printed table: one line, control characters escaped."""
    return name if name.isprintable() else repr(name)


def _check_one_dtype(images, names):
    """Refuse to learn one threshold over images of different pixel types."""
    groups = {}
    for name, image in zip(names, images):
        groups.setdefault(image.dtype.name, []).append(name)
    if len(groups) > 1:
        kinds = "; ".join(
            f"{dtype}: {found[0]}"
            + (f" and {len(found) - 1} more" if found[1:] else "")
            for dtype, found in groups.items()
        )
        raise UserError(
            f"the images mix pixel types ({kinds}); one Otsu threshold learned over "
            "all of them fits none of them: give --threshold VALUE, or run each "
            "pixel type separately"
        )


def _recipe(threshold, close, min_area, max_area, jobs):
    import sksegment as sks

    return sks.make_pipeline(
        sks.OtsuThresholder(threshold, n_jobs=jobs),
        sks.MorphCloser(close, n_jobs=jobs),
        sks.BorderClearer(n_jobs=jobs),
        sks.ComponentLabeler(n_jobs=jobs),
        sks.AreaFilter(min_area=min_area, max_area=max_area, n_jobs=jobs),
        sks.ObjectCounter(n_jobs=jobs),
    )


def _threshold_used(pipe):
    """The learned or fixed threshold of the pipeline's first thresholder.

    Not always its first step: a learned pipeline starts with its pixel
    classifier, and a saved one may smooth first.  Empty when no step holds
    one threshold (per-image thresholds, local thresholds).
    """
    steps = getattr(pipe, "steps", None)
    for _, step in steps if steps is not None else [(None, pipe)]:
        value = getattr(step, "threshold_", None)
        if value is not None and np.ndim(value) == 0:
            return f"{float(value):g}"
    return ""


def _chunks(n, size=16):
    return [(start, min(start + size, n)) for start in range(0, n, size)]


# --- commands ----------------------------------------------------------------


# count's recipe options and their defaults; they are left out of the parsed
# arguments when not given, so that a saved pipeline never ignores one
_RECIPE_OPTIONS = {"threshold": None, "close": 5, "min_area": 101, "max_area": None}


def _count(args):
    if not args.pipeline and (args.trust or args.unsafe_pickle):
        flag = "--trust" if args.trust else "--unsafe-pickle"
        raise UserError(f"{flag} applies to the file of --pipeline; none was given")
    given = [name for name in _RECIPE_OPTIONS if hasattr(args, name)]
    if args.pipeline and given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise UserError(
            f"{flags} set the recipe, which --pipeline replaces: the saved pipeline "
            "runs with its own parameters; drop them, or drop --pipeline"
        )
    for name, default in _RECIPE_OPTIONS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    files = _input_files(args.paths) if args.paths else []
    inputs = files + ([args.pipeline] if args.pipeline else [])
    outputs = []
    if args.csv:
        _check_folder("--csv", args.csv)
        outputs.append(("--csv", args.csv))
    targets = []
    if args.overlay:
        if os.path.exists(args.overlay) and not os.path.isdir(args.overlay):
            raise UserError(f"--overlay {args.overlay} is a file, not a folder")
        below = [f for f in files if _below(f, args.overlay)]
        if below:
            raise UserError(
                f"--overlay {args.overlay} holds input images ({below[0]}); overlays "
                "there would be read as images by the next run: choose another folder"
            )
        targets = _overlay_names(files, args.overlay, _image_names(args, files))
        for target in targets:
            _check_folder("--overlay", target, create=True)
        outputs.extend(("--overlay", target) for target in targets)
    _check_outputs(outputs, inputs, args.force)

    pipe = _load_pipeline(args) if args.pipeline else None
    with _progress(len(files) or 1, args, "reading", unit="file") as bar:
        images, names = _load(args, files, bar)
        if pipe is None:
            bar.set_description("learning the threshold")
            if args.threshold is None:
                _check_one_dtype(images, names)
            pipe = _recipe(
                args.threshold, args.close, args.min_area, args.max_area, args.jobs
            )
            pipe.fit(images)
        if targets and len(targets) != len(images):
            raise UserError(
                "the pages of the TIFF files changed while they were read; run again"
            )
        bar.unit = "image"
        bar.set_description("counting", refresh=False)
        bar.reset(total=len(images))
        counts = np.zeros(len(images), dtype=np.int64)
        # one image at a time: the bar moves by one; batches keep --jobs busy
        size = 1 if args.jobs in (None, 1) else 16
        for start, stop in _chunks(len(images), size):
            batch = images[start:stop]
            if args.overlay:
                from sksegment.plot import overlay

                labels = pipe[:-1].transform(batch)
                counts[start:stop] = pipe[-1].predict(labels)
                for target, image, objects in zip(targets[start:stop], batch, labels):
                    picture = overlay(image, objects, numbers=True)
                    _writing(
                        "--overlay",
                        target,
                        lambda: _save_overlay(target, picture, args.force),
                    )
            else:
                counts[start:stop] = pipe.predict(batch)
            bar.update(stop - start)

    threshold = _threshold_used(pipe)
    shown = [_shown(name) for name in names]
    width = max(len("path"), *(len(n) for n in shown))
    print(f"{'path':<{width}}  count  threshold")
    for name, n in zip(shown, counts):
        print(f"{name:<{width}}  {n:>5}  {threshold:>9}")
    empty = [
        name
        for name, image, n in zip(shown, images, counts)
        if image.ndim == 3 and n == 0
    ]
    if empty:
        more = f" and {len(empty) - 1} more" if empty[1:] else ""
        print(
            f"sksegment count: note: {empty[0]}{more}: 0 objects in a 3D volume "
            "(a 3D object touching any face is cleared); if the pages are "
            "separate 2D images, pass --pages-as-images",
            file=sys.stderr,
        )
    if args.csv:
        text = _io.StringIO(newline="")
        rows = csv.writer(text)
        rows.writerow(["path", "count", "threshold"])
        rows.writerows([name, int(n), threshold] for name, n in zip(names, counts))
        data = text.getvalue().encode("utf-8")
        _write("--csv", args.csv, lambda handle: handle.write(data), args.force)


def _save_overlay(target, picture, force):
    from sksegment.io import save_image

    os.makedirs(os.path.dirname(target), exist_ok=True)
    save_image(target, picture, overwrite=force)


def _load_pipeline(args):
    """The pipeline of --pipeline, or a one-line error naming the flag."""
    from sksegment.io import load_pipeline

    path = args.pipeline
    if os.path.isdir(path):
        raise UserError(f"--pipeline {path} is a folder, not a pipeline file")
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        raise UserError(f"--pipeline {path} is an empty file, not a saved pipeline")
    try:
        pipe = load_pipeline(path, trusted=args.trust, unsafe_pickle=args.unsafe_pickle)
    except OSError as exc:
        raise UserError(f"--pipeline {path}: {_os_reason(exc)}") from None
    except ValueError as exc:
        message = str(exc)
        if "is not a skops file;" in message:
            raise UserError(
                f"--pipeline {path} is not a skops file (one saved by 'sksegment "
                "tune --save', 'sksegment train --save' or "
                "sksegment.io.save_pipeline); a pickle or joblib file is loaded "
                "only with --unsafe-pickle, as loading it can run any code it holds"
            ) from None
        raise UserError(f"--pipeline {path}: {message}") from None
    if not hasattr(pipe, "predict"):
        raise UserError(f"--pipeline {path} holds no pipeline with predict")
    return pipe


# the largest true count accepted: more objects than pixels of a gigapixel image
_MAX_COUNT = 10**9


def _read_counts(path, names):
    """True counts for ``names`` from a CSV with columns path,count."""
    try:
        # utf-8-sig: a CSV saved by Excel starts with a byte order mark
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise UserError(f"cannot read --counts {path}: {_os_reason(exc)}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read --counts {path}: {exc}") from None
    if not rows or not {"path", "count"} <= set(rows[0]):
        raise UserError(f"--counts {path} needs a header with columns path,count")
    base = os.path.dirname(os.path.abspath(path))

    def key(name):
        return os.path.normcase(os.path.abspath(os.path.join(base, name)))

    wanted = {os.path.normcase(os.path.abspath(n)): n for n in names}
    by_name, line_of = {}, {}
    unknown = []
    for line, row in enumerate(rows, start=2):
        if row["path"] is None or row["count"] is None:
            raise UserError(f"--counts {path} line {line}: needs a path and a count")
        target = key(row["path"])
        if target not in wanted:
            unknown.append(f"{row['path']} (line {line})")
            continue
        text = row["count"].strip()
        try:
            if not re.fullmatch(r"[+-]?[0-9]+", text):
                raise ValueError(text)
            value = int(text)
        except ValueError:
            raise UserError(
                f"--counts {path} line {line}: the count {row['count']!r} of "
                f"{row['path']} is not a whole number"
            ) from None
        if not 0 <= value <= _MAX_COUNT:
            raise UserError(
                f"--counts {path} line {line}: the count {row['count']!r} of "
                f"{row['path']} is not between 0 and {_MAX_COUNT}"
            )
        name = wanted[target]
        if name in by_name and by_name[name] != value:
            raise UserError(
                f"--counts {path} lines {line_of[name]} and {line}: two different "
                f"counts for {row['path']} ({by_name[name]} and {value})"
            )
        by_name[name] = value
        line_of.setdefault(name, line)
    if unknown:
        raise UserError(
            f"--counts {path} names images that were not given: {', '.join(unknown)}"
        )
    missing = [n for n in names if n not in by_name]
    if missing:
        raise UserError(f"--counts {path} has no count for: {', '.join(missing)}")
    return np.array([by_name[n] for n in names], dtype=np.int64)


def _read_masks(files, names):
    """True label images for ``names`` from their ``files``."""
    from sksegment.io import load_images

    try:
        labels, _ = load_images(files)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from None
    for name, mask in zip(names, labels):
        if mask.dtype.kind not in "biu":
            raise UserError(f"the label image for {name} is not of an integer type")
    return labels


def _tune(args):
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import GridSearchCV

    if not args.paths:
        raise UserError("tune needs image paths")
    files = _input_files(args.paths)
    inputs = list(files)
    if args.counts:
        inputs.append(args.counts)
    else:
        mask_files = _annotation_files("--masks", args.masks, files)
        inputs.extend(mask_files)
    outputs = []
    for option, path in (("--save", args.save), ("--plot", args.plot)):
        if path:
            _check_folder(option, path)
            outputs.append((option, path))
    _check_outputs(outputs, inputs, args.force)

    if args.counts:
        y = _read_counts(args.counts, files)
    images, names = _load(args, files)
    for name, image in zip(names, images):
        if image.ndim != 2:
            raise UserError(f"{name}: tune works on 2D images; got shape {image.shape}")
    if None in args.threshold:
        _check_one_dtype(images, names)
    if args.counts:
        scoring, what = "neg_mean_absolute_error", "mean absolute count error"
    else:
        from sksegment.metrics import make_segmentation_scorer

        y = _read_masks(mask_files, names)
        for name, image, mask in zip(names, images, y):
            if mask.shape != image.shape:
                raise UserError(
                    f"the label image for {name} has shape {mask.shape}, the image "
                    f"{image.shape}"
                )
        scoring, what = make_segmentation_scorer("f1"), "object F1 at IoU 0.5"
    if len(images) < args.cv:
        raise UserError(
            f"--cv {args.cv} needs at least {args.cv} images; got {len(images)}"
        )

    grid = {
        "otsuthresholder__threshold": args.threshold,
        "morphcloser__size": args.close,
        "areafilter__min_area": args.min_area,
    }
    n_fits = args.cv * len(args.threshold) * len(args.close) * len(args.min_area)
    with _progress(n_fits, args, "tuning", unit="fit") as bar:
        search = GridSearchCV(
            _recipe(None, 5, 101, None, args.jobs),
            grid,
            scoring=_counting(get_scorer(scoring), bar),
            cv=args.cv,
            error_score="raise",  # the reason of a failed fit, in one line
        )
        search.fit(images, y)
    score = search.best_score_
    score_text = f"{abs(score):.3f}" if args.counts else f"{score:.3f}"
    print("best parameters:")
    for name, flag in _TUNE_FLAGS.items():  # in the pipeline's order
        print(f"  {flag:<12} {_value_text(search.best_params_[name])}")
    print(f"cross-validated {what}: {score_text} ({args.cv} folds)")
    if args.save:
        from sksegment.io import save_pipeline

        _writing(
            "--save",
            args.save,
            lambda: save_pipeline(
                search.best_estimator_, args.save, overwrite=args.force
            ),
        )
    if args.plot:
        _plot(args, search, what, sign=-1 if args.counts else 1)


# tune's searched parameters and their flags, in the pipeline's order
_TUNE_FLAGS = {
    "otsuthresholder__threshold": "--threshold",
    "morphcloser__size": "--close",
    "areafilter__min_area": "--min-area",
}


def _value_text(value):
    return "otsu" if value is None else f"{value:g}"


def _counting(scorer, bar):
    """``scorer``, moving ``bar`` by one for each candidate and fold scored."""

    def score(estimator, X, y):
        try:
            return scorer(estimator, X, y)
        finally:
            bar.update(1)

    return score


class _SearchShown:
    """A search's results in the command's words, for ``plot_search``.

    The parameters are named by their flags, their values as printed (otsu
    for a learned threshold), and the score is the metric's own (a mean
    absolute error is positive, lower is better).
    """

    def __init__(self, search, what, sign):
        results = search.cv_results_
        self.estimator = None
        self.refit = what
        self.best_index_ = search.best_index_
        self.cv_results_ = {
            "params": [
                {_TUNE_FLAGS[k]: _value_text(v) for k, v in params.items()}
                for params in results["params"]
            ],
            # + 0.0: a perfect score is 0, not -0
            f"mean_test_{what}": sign * results["mean_test_score"] + 0.0,
            f"std_test_{what}": results["std_test_score"],
            f"rank_test_{what}": results["rank_test_score"],
        }


def _plot(args, search, what, sign):
    """Save tune's heatmap: --threshold across, --close up, --min-area fixed."""
    from sksegment._optional import import_optional
    from sksegment.inspection import plot_search

    plt = import_optional("matplotlib.pyplot", "sksegment tune --plot")
    shown = _SearchShown(search, what, sign)
    ax = plot_search(shown, x="--threshold", y="--close")
    ax.images[0].colorbar.set_label(what)
    best = shown.cv_results_["params"][search.best_index_]
    ax.set_title(
        f"cross-validated {what} ({args.cv} folds)\n"
        f"(--min-area {best['--min-area']}; best outlined in red)"
    )
    try:
        _write(
            "--plot",
            args.plot,
            lambda handle: ax.figure.savefig(
                handle, format="png", dpi=100, bbox_inches="tight"
            ),
            args.force,
        )
    finally:
        plt.close(ax.figure)


# --- train -------------------------------------------------------------------

# The object sizes of ``train``: searched by default (as _values parses them),
# and used alone when there is no truth to search against.
_TRAIN_SEARCH = {"threshold": "0.5", "min_distance": "3:9:2", "min_area": "25,50,100"}
_TRAIN_SINGLE = {"threshold": 0.5, "min_distance": 5, "min_area": 50.0}
_TRAIN_FLAGS = {
    "threshold": "--threshold",
    "min_distance": "--min-distance",
    "min_area": "--min-area",
}


def _annotation_files(option, folder, names):
    """The annotation file of each image (``--masks``, ``--strokes``): the file
    of the same stem in ``folder``, for tune and train."""
    from sksegment.io import _find_files

    if not os.path.isdir(folder):
        raise UserError(f"{option} {folder}: the folder does not exist")
    try:
        files = [os.fspath(f) for f in _find_files(folder)]
    except (OSError, ValueError) as exc:
        raise UserError(f"{option} {folder}: {exc}") from None

    def stem(name):
        return os.path.splitext(os.path.basename(name))[0]

    images = {_key(name): name for name in names}
    by_stem, seen = {}, {}
    for name in files:
        by_stem.setdefault(stem(name), []).append(name)
    for name in names:
        if stem(name) in seen:
            raise UserError(
                f"{seen[stem(name)]} and {name} have the same name, so {option} "
                "cannot tell their annotations apart; give them in separate "
                "runs or rename one"
            )
        seen[stem(name)] = name
    chosen, missing = [], []
    for name in names:
        candidates = by_stem.get(stem(name), [])
        if not candidates:
            missing.append(name)
        elif len(candidates) > 1:
            raise UserError(
                f"{option} {folder} has {len(candidates)} files for {name}: "
                f"{' and '.join(candidates)}; keep one"
            )
        elif _key(candidates[0]) in images:
            raise UserError(
                f"{option} {folder}: {candidates[0]} is an input image, not its "
                "annotation; keep annotations in another folder"
            )
        else:
            chosen.append(candidates[0])
    if missing:
        raise UserError(f"{option} {folder} has no file for: {', '.join(missing)}")
    return chosen


def _read_annotations(option, files, images, names):
    """The annotation images, checked against their images; integer arrays."""
    from sksegment.io import load_images

    try:
        found, _ = load_images(files)
    except (OSError, ValueError) as exc:
        raise UserError(f"{option}: {exc}") from None
    for name, file, image, ann in zip(names, files, images, found):
        if ann.dtype.kind not in "biu":
            raise UserError(
                f"{option}: {file} (for {name}) is of type {ann.dtype}; "
                "annotations are integer images"
            )
        if ann.shape != image.shape:
            raise UserError(
                f"{option}: {file} has shape {ann.shape}, its image {name} "
                f"{image.shape}; they must match"
            )
        if ann.dtype.kind == "i" and ann.size and ann.min() < 0:
            raise UserError(
                f"{option}: {file} has the negative value {ann.min()}; "
                "annotations are >= 0"
            )
    return found


def _classes_present(option, annotations):
    """Per image: (has background, has foreground) in the annotation's terms."""
    if option == "--masks":
        return [(bool((a == 0).any()), bool((a > 0).any())) for a in annotations]
    return [(bool((a == 1).any()), bool((a >= 2).any())) for a in annotations]


def _check_classes(option, folder, present, where="the annotations"):
    """Refuse annotations from which no classifier can learn."""
    if option == "--masks":
        background, foreground = "background (0)", "foreground (> 0)"
    else:
        background, foreground = "background (1)", "object (2 or more)"
    if not any(b for b, _ in present):
        return f"{option} {folder}: {where} have no {background} pixel"
    if not any(f for _, f in present):
        return f"{option} {folder}: {where} have no {foreground} pixel"
    return None


def _train_grid(args, search):
    """The values of each searched parameter; one each when there is no search."""
    grid = {}
    for name, flag in _TRAIN_FLAGS.items():
        given = getattr(args, name)
        if given is None:
            kind = int if name == "min_distance" else float
            given = (
                _values(kind)(_TRAIN_SEARCH[name]) if search else [_TRAIN_SINGLE[name]]
            )
        elif not search and len(set(given)) > 1:
            raise UserError(
                f"{flag} gives {len(set(given))} values, but with --strokes and no "
                "--counts there is no truth to choose among them: give one value, "
                "or --counts FILE"
            )
        given = list(dict.fromkeys(given))  # drop repeats, keep the order
        if name == "threshold" and not all(v is not None and 0 < v < 1 for v in given):
            raise UserError(
                f"{flag} takes probabilities between 0 and 1 (exclusive); got "
                + ",".join("otsu" if v is None else f"{v:g}" for v in given)
            )
        grid[name] = given
    return grid


def _check_train_options(args):
    """Refuse bad option values before any file is read."""
    if args.counts and args.masks:
        raise UserError(
            "--counts applies with --strokes: --masks already gives the true objects"
        )
    search = bool(args.masks or args.counts)
    checks = [
        ("--sigma-max", args.sigma_max, args.sigma_max >= 1 and args.sigma_max < 1e4),
        ("--n-samples", args.n_samples, args.n_samples >= 2),
        ("--trees", args.trees, args.trees is None or 1 <= args.trees <= 10_000),
        (
            "--max-depth",
            args.max_depth,
            args.max_depth is None or 1 <= args.max_depth <= 1_000,
        ),
        ("--seed", args.seed, 0 <= args.seed <= 2**32 - 1),
    ]
    limits = {
        "--sigma-max": "between 1 and 10000 pixels",
        "--n-samples": "at least 2",
        "--trees": "from 1 to 10000",
        "--max-depth": "from 1 to 1000",
        "--seed": "from 0 to 4294967295",
    }
    for flag, value, good in checks:
        if not good:
            raise UserError(f"{flag} must be {limits[flag]}; got {value:g}")
    if args.max_area is not None and not args.max_area >= 0:
        raise UserError(f"--max-area must be at least 0; got {args.max_area:g}")
    if not search and args.cv is not None:
        raise UserError(
            "--cv sets the folds of the search, and with --strokes and no --counts "
            "there is none"
        )
    grid = _train_grid(args, search)
    if args.max_area is not None:
        areas = grid["min_area"]
        if args.min_area is None:  # the defaults: those up to --max-area
            grid["min_area"] = [a for a in areas if a <= args.max_area]
        above = [a for a in grid["min_area"] if a > args.max_area]
        if above or not grid["min_area"]:
            shown = ",".join(f"{a:g}" for a in above or areas)
            raise UserError(
                f"--max-area {args.max_area:g} is below --min-area {shown}"
                f"{'' if above else ' (the default)'}: no object would be kept"
            )
    return search, grid


def _classifier(args):
    """The PixelClassifier of ``train``, from the forest and feature flags."""
    import sksegment as sks
    from sksegment.pixels import _FOREST

    estimator = None
    if args.trees is not None or args.max_depth is not None:
        from sklearn.ensemble import RandomForestClassifier

        settings = dict(_FOREST)
        if args.trees is not None:
            settings["n_estimators"] = args.trees
        if args.max_depth is not None:
            settings["max_depth"] = args.max_depth
        estimator = RandomForestClassifier(
            **settings, max_features="sqrt", n_jobs=args.jobs, random_state=args.seed
        )
    return sks.PixelClassifier(
        estimator,
        features=sks.PixelFeatures(sigma_max=args.sigma_max),
        annotation="dense" if args.masks else "sparse",
        n_samples=args.n_samples,
        random_state=args.seed,
        n_jobs=args.jobs,
    )


def _objects(grid, max_area, jobs):
    """The steps after the classifier, with the first value of each parameter."""
    import sksegment as sks

    return sks.make_pipeline(
        sks.Thresholder(threshold=grid["threshold"][0], n_jobs=jobs),
        sks.HoleFiller(n_jobs=jobs),
        sks.WatershedSplitter(min_distance=grid["min_distance"][0], n_jobs=jobs),
        sks.AreaFilter(min_area=grid["min_area"][0], max_area=max_area, n_jobs=jobs),
        sks.ObjectCounter(n_jobs=jobs),
    )


_TRAIN_PARAMS = {
    "threshold": "thresholder__threshold",
    "min_distance": "watershedsplitter__min_distance",
    "min_area": "areafilter__min_area",
}


def _train(args):
    """``sksegment train``: fit a PixelClassifier pipeline, search its sizes.

    With a search, the forest is fitted once per fold of images on the other
    folds and predicts the probabilities of its fold's images; every
    candidate of the object steps (which learn nothing) is scored on these
    held-out probabilities, fold by fold, so no image is scored by a forest
    that saw its annotations and the forest is fitted ``cv + 1`` times
    whatever the number of candidates.  The saved forest is fitted on all
    images.
    """
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, KFold

    import sksegment as sks

    if not args.paths:
        raise UserError("train needs image paths")
    search, grid = _check_train_options(args)
    option = "--masks" if args.masks else "--strokes"
    folder = args.masks or args.strokes
    files = _input_files(args.paths)
    annotation_files = _annotation_files(option, folder, files)
    inputs = files + annotation_files + ([args.counts] if args.counts else [])
    _check_folder("--save", args.save)
    _check_outputs([("--save", args.save)], inputs, args.force)

    if args.counts:
        counts = _read_counts(args.counts, files)
    images, names = _load(args, files)
    for name, image in zip(names, images):
        if image.ndim != 2:
            raise UserError(
                f"{name}: train works on 2D images; got shape {image.shape}"
            )
    kinds = {}
    for name, image in zip(names, images):
        kinds.setdefault(image.dtype.name, name)
    if len(kinds) > 1:
        listed = " and ".join(f"{name} is {kind}" for kind, name in kinds.items())
        raise UserError(
            f"the images mix pixel types ({listed}); a classifier learns the "
            "pixel values of one type: train on each type separately"
        )
    annotations = _read_annotations(option, annotation_files, images, names)
    present = _classes_present(option, annotations)
    problem = _check_classes(option, folder, present)
    if problem:
        raise UserError(problem)

    classifier = _classifier(args)
    cv = 3 if args.cv is None else args.cv
    n_fits = cv + 1 if search else 1
    if search:
        if len(images) < cv:
            raise UserError(f"--cv {cv} needs at least {cv} images; got {len(images)}")
        folds = list(KFold(cv).split(np.arange(len(images))))
        for k, (fit_on, _) in enumerate(folds, start=1):
            problem = _check_classes(
                option,
                folder,
                [present[i] for i in fit_on],
                where=f"the training images of fold {k} of --cv {cv}",
            )
            if problem:
                raise UserError(problem + "; annotate more images or lower --cv")

    bar = _steps_bar(n_fits, args, "training")
    with bar:
        if search:
            held_out = [None] * len(images)
            for fit_on, score_on in folds:
                fold = clone(classifier).fit(
                    [images[i] for i in fit_on], [annotations[i] for i in fit_on]
                )
                for i, proba in zip(
                    score_on, fold.transform([images[i] for i in score_on])
                ):
                    held_out[i] = proba
                bar.update(1)
        classifier.fit(images, annotations)
        bar.update(1)

    objects = _objects(grid, args.max_area, args.jobs)
    notes = []
    params = {_TRAIN_PARAMS[name]: values for name, values in grid.items()}
    if search:
        if args.masks:
            from sksegment.metrics import make_segmentation_scorer

            scoring, truth = make_segmentation_scorer("f1"), annotations
            what = "object F1 at IoU 0.5"
            if all(_one_value(a) for a in annotations):
                # binary masks (0/1, 0/255): their components are the objects
                truth = [a > 0 for a in annotations]
                notes.append(
                    "the --masks images hold one value each (binary masks): "
                    "their connected components are scored as the true objects"
                )
        else:
            scoring, truth = "neg_mean_absolute_error", counts
            what = "mean absolute count error"
        n_candidates = int(np.prod([len(v) for v in grid.values()]))
        if not args.quiet and _terminal():
            print(f"scoring {n_candidates} candidates...", file=sys.stderr)
        found = GridSearchCV(objects, params, scoring=scoring, cv=folds)
        found.fit(held_out, truth)
        objects = found.best_estimator_
    else:
        objects.fit(classifier.transform(images[:1]))
    pipe = sks.make_pipeline(classifier, *(step for _, step in objects.steps))

    forest = classifier.estimator_
    print(
        f"pixel classifier: {type(forest).__name__} of "
        f"{getattr(forest, 'n_estimators', '?')} trees, depth at most "
        f"{getattr(forest, 'max_depth', '?')}, features up to sigma "
        f"{args.sigma_max:g}, trained on {classifier.n_samples_fit_} "
        f"annotated pixels of {len(images)} images"
    )
    print("best parameters:" if search else "parameters:")
    chosen = pipe.get_params()
    for name, key in _TRAIN_PARAMS.items():
        print(f"  {name:<12} {chosen[key]:g}")
    if args.max_area is not None:
        print(f"  {'max_area':<12} {args.max_area:g}")
    if search:
        score = found.best_score_
        shown = f"{abs(score):.3f}" if args.counts else f"{score:.3f}"
        print(f"cross-validated {what}: {shown} ({cv} folds)")
        for note in notes:
            print(f"note: {note}")
    else:
        print(
            "not searched: --strokes without --counts gives no truth to score "
            "against; give --counts FILE to search these values"
        )
    from sksegment.io import save_pipeline

    _writing(
        "--save",
        args.save,
        lambda: save_pipeline(pipe, args.save, overwrite=args.force),
    )
    print(f"saved {args.save} (sksegment count IMAGES --pipeline {args.save})")


def _one_value(labels):
    """Whether a label image holds at most one nonzero value (a binary mask)."""
    foreground = labels[labels > 0]
    return foreground.size == 0 or foreground.min() == foreground.max()


def _steps_bar(total, args, desc):
    from tqdm import tqdm

    quiet = args.quiet or not _terminal()
    return tqdm(total=total, desc=desc, unit="forest", disable=quiet, file=sys.stderr)


# The library's words for what the command line calls by its flags: every
# message goes through this table before it is printed.
_FLAG_WORDS = [
    (r"unsafe_pickle=True \(--unsafe-pickle\)", "--unsafe-pickle"),
    (r"trusted=\[\.\.\.\] \(--trust TYPE\)", "--trust TYPE"),
    (r"\bas_gray=True", "--gray"),
    (r"\bchannel=k\b", "--channel K"),
    (r"\bchannel=(-?\d+)", r"--channel \1"),
    (r"The 'threshold' parameter of \w+", "--threshold"),
    (r"The 'size' parameter of MorphCloser", "--close"),
    (r"The 'min_area' parameter of AreaFilter", "--min-area"),
    (r"The 'max_area' parameter of AreaFilter", "--max-area"),
    (r"The 'min_distance' parameter of \w+", "--min-distance"),
    (r"The 'n_jobs' parameter of \w+", "--jobs"),
    (r"n_jobs == 0 in Parallel has no meaning", "--jobs 0 means no thread"),
]


def _in_flags(message):
    """The message on one line, in the command line's words."""
    message = " ".join(str(message).split())
    for pattern, flag in _FLAG_WORDS:
        message = re.sub(pattern, flag, message)
    return message


def _number(text):
    """Whether ``text`` is a number, or a list or range of them (``-5,10``)."""
    try:
        for part in re.split("[,:]", text):
            if part != "otsu":
                float(part)
    except ValueError:
        return False
    return True


def _join_negative_values(argv):
    """``--opt -inf`` as ``--opt=-inf``: argparse reads only ``-5`` or ``-.5``
    as a negative number, and ``-inf``, ``-1e3`` as an unknown option."""
    joined = []
    for token in argv:
        previous = joined[-1] if joined else ""
        if (
            token.startswith("-")
            and _number(token)
            and previous.startswith("--")
            and previous != "--"
            and "=" not in previous
        ):
            joined[-1] = f"{previous}={token}"
        else:
            joined.append(token)
    return joined


def main(argv=None):
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success (and for ``--help``, ``--version`` and the help printed
        when no command is given); 1 for every failure, the message printed
        on one line on stderr naming the flag at fault; 130 when interrupted
        (Ctrl-C).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv:
        parser.print_help()
        return 0
    prog = "sksegment"
    try:
        try:
            args, unknown = parser.parse_known_args(_join_negative_values(argv))
            if unknown:
                prog = f"sksegment {args.command}"
                raise _UsageError(prog, f"unrecognized arguments: {' '.join(unknown)}")
        except _UsageError as exc:
            print(f"{exc.prog}: error: {_in_flags(exc)}", file=sys.stderr)
            return 1
        except SystemExit as exc:  # --help, --version
            return 0 if exc.code is None else exc.code
        prog = f"sksegment {args.command}"
        command = {"count": _count, "tune": _tune, "train": _train}[args.command]
        try:
            command(args)
        except (
            UserError,
            ValueError,
            TypeError,
            ImportError,
            OSError,
            OverflowError,
        ) as exc:
            print(f"{prog}: error: {_in_flags(exc)}", file=sys.stderr)
            return 1
        except MemoryError:
            print(
                f"{prog}: error: out of memory: fewer or smaller images at a time, "
                "or a smaller --close",
                file=sys.stderr,
            )
            return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0
