"""The ``sksegment`` command line: count objects in image files, tune a recipe.

``sksegment count [PATH...]``
    Runs the counting recipe (threshold, closing with a square, border
    clearing, labeling, area filter) or a saved pipeline on image files,
    folders and globs, or on the bundled coins when no path is given; prints
    one row per image and writes ``--csv`` and ``--overlay`` pictures.
``sksegment tune PATH... --counts FILE | --masks DIR``
    Grid-searches threshold, closing size and smallest area against true
    counts or true label images, prints the best parameters and their
    cross-validated score, and saves the fitted pipeline and a heatmap.

User mistakes (a missing file, an empty folder, a counts file naming unknown
images) end with a one-line message on stderr and a non-zero exit code, never
a traceback.  Output files are written whole or not at all.
"""

import argparse
import csv
import io as _io
import os
import sys

import numpy as np

__all__ = ["main"]


class UserError(Exception):
    """A mistake in the command's input: reported in one line, exit code 1."""


# --- argument types ----------------------------------------------------------


def _threshold(text):
    if text == "otsu":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number or 'otsu', got {text!r}"
        ) from None


def _values(kind):
    """A parser of ``a:b:step`` ranges (end inclusive) or ``a,b,c`` lists."""

    def parse(text):
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
                values.extend(kind(v) for v in np.arange(start, stop + step / 2, step))
            else:
                try:
                    values.append(kind(part))
                except ValueError:
                    raise argparse.ArgumentTypeError(
                        f"expected a {kind.__name__}, got {part!r}"
                    ) from None
        return values

    return parse


# --- the parser --------------------------------------------------------------


def _add_input_options(parser):
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="image files, folders or globs"
    )
    parser.add_argument(
        "--gray",
        action="store_true",
        help="convert colour images to gray with the luminance weights",
    )
    parser.add_argument(
        "--channel", type=int, default=None, help="use this channel of colour images"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="threads over the images"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _parser():
    parser = argparse.ArgumentParser(
        prog="sksegment",
        description="Classical image segmentation as scikit-learn estimators.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

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
        "--threshold",
        type=_threshold,
        default=None,
        help="threshold in the images' units, or 'otsu' to learn Otsu's over all "
        "images (default: otsu)",
    )
    count.add_argument(
        "--close",
        type=int,
        default=5,
        metavar="SIZE",
        help="side of the closing square (default: 5)",
    )
    count.add_argument(
        "--min-area",
        type=float,
        default=101,
        help="smallest object area kept, in pixels, inclusive (default: 101)",
    )
    count.add_argument(
        "--max-area",
        type=float,
        default=None,
        help="largest object area kept, in pixels, inclusive (default: none)",
    )
    count.add_argument(
        "--pipeline",
        metavar="FILE",
        help="a fitted pipeline saved by 'sksegment tune' or joblib.dump, used "
        "instead of the recipe options",
    )
    count.add_argument("--csv", metavar="FILE", help="write path,count,threshold rows")
    count.add_argument(
        "--overlay", metavar="DIR", help="write one PNG per image: outlines, numbers"
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
        "--counts", metavar="FILE", help="CSV with columns path,count (true counts)"
    )
    truth.add_argument(
        "--masks", metavar="DIR", help="folder of label images named as the images"
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
        type=_values(int),
        default=[1, 3, 5, 7],
        metavar="SIZES",
        help="closing sizes to try (default: 1:7:2)",
    )
    tune.add_argument(
        "--min-area",
        type=_values(float),
        default=[50.0, 100.0],
        metavar="AREAS",
        help="smallest areas to try (default: 50,100)",
    )
    tune.add_argument("--cv", type=int, default=3, help="folds (default: 3)")
    tune.add_argument("--save", metavar="FILE", help="save the fitted best pipeline")
    tune.add_argument("--plot", metavar="FILE", help="save the score heatmap as PNG")
    return parser


# --- helpers -----------------------------------------------------------------


def _atomic_write(path, write):
    """Call ``write(temp_path)``, then move the file into place: all or nothing."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"cannot write {path}: folder {folder} does not exist")
    temp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        write(temp)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.remove(temp)


def _progress(total, args, desc):
    from tqdm import tqdm

    quiet = args.quiet or not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit="image", disable=quiet, file=sys.stderr)


def _load(args):
    """The images and their names: the files given, or the bundled coins."""
    if not args.paths:
        from sksegment.datasets import load_coins

        return list(load_coins().images), ["coins (bundled)"]
    from sksegment.io import load_images

    try:
        images, names = load_images(args.paths, as_gray=args.gray, channel=args.channel)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from None
    return images, [str(n) for n in names]


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
    value = getattr(pipe[0], "threshold_", None)
    return "" if value is None else f"{value:g}"


def _chunks(n, size=16):
    return [(start, min(start + size, n)) for start in range(0, n, size)]


# --- commands ----------------------------------------------------------------


def _count(args):
    images, names = _load(args)
    if args.pipeline:
        import joblib

        try:
            pipe = joblib.load(args.pipeline)
        except (OSError, EOFError, ValueError, TypeError) as exc:
            raise UserError(
                f"cannot load the pipeline {args.pipeline}: {exc}"
            ) from None
        if not hasattr(pipe, "predict"):
            raise UserError(f"{args.pipeline} holds no pipeline with predict")
    else:
        pipe = _recipe(
            args.threshold, args.close, args.min_area, args.max_area, args.jobs
        )
        pipe.fit(images)
    if args.overlay and not os.path.isdir(args.overlay):
        os.makedirs(args.overlay, exist_ok=True)

    counts = np.zeros(len(images), dtype=np.int64)
    with _progress(len(images), args, "counting") as bar:
        for start, stop in _chunks(len(images)):
            batch = images[start:stop]
            if args.overlay:
                from sksegment.io import save_image
                from sksegment.plot import overlay

                labels = pipe[:-1].transform(batch)
                counts[start:stop] = pipe[-1].predict(labels)
                for name, image, objects in zip(names[start:stop], batch, labels):
                    stem = os.path.splitext(os.path.basename(name))[0] or "image"
                    target = os.path.join(args.overlay, f"{stem}.png")
                    save_image(target, overlay(image, objects, numbers=True))
            else:
                counts[start:stop] = pipe.predict(batch)
            bar.update(stop - start)

    threshold = _threshold_used(pipe)
    width = max(len("path"), *(len(n) for n in names))
    print(f"{'path':<{width}}  count  threshold")
    for name, n in zip(names, counts):
        print(f"{name:<{width}}  {n:>5}  {threshold:>9}")
    if args.csv:

        def write(temp):
            with open(temp, "w", newline="") as f:
                rows = csv.writer(f)
                rows.writerow(["path", "count", "threshold"])
                rows.writerows(
                    [name, int(n), threshold] for name, n in zip(names, counts)
                )

        _atomic_write(args.csv, write)


def _read_counts(path, names):
    """True counts for ``names`` from a CSV with columns path,count."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise UserError(f"cannot read the counts file {path}: {exc.strerror}") from None
    if not rows or not {"path", "count"} <= set(rows[0]):
        raise UserError(f"{path} needs a header with columns path,count")
    base = os.path.dirname(os.path.abspath(path))

    def key(name):
        return os.path.normcase(os.path.abspath(os.path.join(base, name)))

    wanted = {os.path.normcase(os.path.abspath(n)): n for n in names}
    by_name = {}
    unknown, bad = [], []
    for line, row in enumerate(rows, start=2):
        target = key(row["path"])
        if target not in wanted:
            unknown.append(f"{row['path']} (line {line})")
            continue
        try:
            by_name[wanted[target]] = int(row["count"])
        except ValueError:
            bad.append(f"line {line}: {row['count']!r}")
    if unknown:
        raise UserError(
            f"{path} names images that were not given: {', '.join(unknown)}"
        )
    if bad:
        raise UserError(f"{path} has counts that are not integers: {', '.join(bad)}")
    missing = [n for n in names if n not in by_name]
    if missing:
        raise UserError(f"{path} has no count for: {', '.join(missing)}")
    return np.array([by_name[n] for n in names])


def _read_masks(folder, names):
    """True label images for ``names``: files of the same stem in ``folder``."""
    from sksegment.io import load_images

    if not os.path.isdir(folder):
        raise UserError(f"the masks folder {folder} does not exist")
    try:
        masks, mask_names = load_images(folder)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from None
    by_stem = {
        os.path.splitext(os.path.basename(n))[0]: m for n, m in zip(mask_names, masks)
    }
    labels, missing = [], []
    for name in names:
        stem = os.path.splitext(os.path.basename(name))[0]
        if stem not in by_stem:
            missing.append(name)
        else:
            labels.append(by_stem[stem])
    if missing:
        raise UserError(f"{folder} has no label image for: {', '.join(missing)}")
    for name, mask in zip(names, labels):
        if mask.dtype.kind not in "biu":
            raise UserError(f"the label image for {name} is not of an integer type")
    return labels


def _tune(args):
    from sklearn.model_selection import GridSearchCV

    if not args.paths:
        raise UserError("tune needs image paths")
    images, names = _load(args)
    for name, image in zip(names, images):
        if image.ndim != 2:
            raise UserError(f"{name}: tune works on 2D images; got shape {image.shape}")
    if args.counts:
        y = _read_counts(args.counts, names)
        scoring, what = "neg_mean_absolute_error", "mean absolute count error"
    else:
        from sksegment.metrics import make_segmentation_scorer

        y = _read_masks(args.masks, names)
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
    search = GridSearchCV(
        _recipe(None, 5, 101, None, args.jobs), grid, scoring=scoring, cv=args.cv
    )
    n_fits = args.cv * len(args.threshold) * len(args.close) * len(args.min_area)
    if not args.quiet and sys.stderr.isatty():
        print(f"fitting {n_fits} pipelines...", file=sys.stderr)
    search.fit(images, y)
    score = search.best_score_
    score_text = f"{abs(score):.3f}" if args.counts else f"{score:.3f}"
    print("best parameters:")
    for name in grid:  # in the pipeline's order
        value = search.best_params_[name]
        shown = "otsu" if value is None else f"{value:g}"
        print(f"  {name.split('__')[1]:<10} {shown}")
    print(f"cross-validated {what}: {score_text} ({args.cv} folds)")
    if args.save:
        import joblib

        _atomic_write(args.save, lambda temp: joblib.dump(search.best_estimator_, temp))
    if args.plot:
        from sksegment._optional import import_optional
        from sksegment.inspection import plot_search

        plt = import_optional("matplotlib.pyplot", "sksegment tune --plot")
        ax = plot_search(search, x="threshold", y="size")

        def write(temp):
            buffer = _io.BytesIO()
            ax.figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
            with open(temp, "wb") as f:
                f.write(buffer.getvalue())

        _atomic_write(args.plot, write)
        plt.close(ax.figure)


def main(argv=None):
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 when the input cannot be processed (the message is
        printed on one line on stderr), 2 for a usage error.
    """
    args = _parser().parse_args(argv)
    command = {"count": _count, "tune": _tune}[args.command]
    try:
        command(args)
    except (UserError, ValueError, TypeError, ImportError) as exc:
        message = " ".join(str(exc).split())
        print(f"sksegment {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0
