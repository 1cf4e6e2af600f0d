"""The ``sksegment`` command line.

``sksegment count [IMAGES...]`` runs the counting recipe (threshold, closing,
border clearing, labeling, area filtering) on image files, or on the bundled
coins when no file is given, and prints one row per image.
"""

import argparse
import sys

__all__ = ["main"]


def _threshold(text):
    if text == "otsu":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number or 'otsu', got {text!r}"
        ) from None


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
            "remove objects touching the border, label, keep objects by area. "
            "With no image, runs on scikit-image's coins."
        ),
    )
    count.add_argument(
        "images", nargs="*", metavar="IMAGE", help="grayscale image files"
    )
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
    return parser


def _read(paths):
    from skimage import io

    images = []
    for path in paths:
        try:
            image = io.imread(path)
        except (OSError, ValueError, SyntaxError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from None
        if image.ndim == 3 and image.shape[-1] in (3, 4):
            raise ValueError(
                f"{path} is a colour image of shape {image.shape}; convert it to "
                "grayscale first"
            )
        images.append(image)
    return images


def _count(args):
    from sklearn.pipeline import make_pipeline

    import sksegment as sks

    if args.images:
        names, images = args.images, _read(args.images)
    else:
        from sksegment.datasets import load_coins

        names, images = ["coins (bundled)"], list(load_coins().images)
    pipe = make_pipeline(
        sks.OtsuThresholder(args.threshold),
        sks.MorphCloser(args.close),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=args.min_area),
        sks.ObjectCounter(),
    )
    counts = pipe.fit(images).predict(images)
    threshold = pipe[0].threshold_
    width = max(len("image"), *(len(n) for n in names))
    print(f"{'image':<{width}}  count  threshold")
    for name, n in zip(names, counts):
        print(f"{name:<{width}}  {n:>5}  {threshold:>9g}")


def main(argv=None):
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 when the images cannot be processed (the message is
        printed on one line on stderr), 2 for a usage error.
    """
    args = _parser().parse_args(argv)
    try:
        _count(args)
    except (ValueError, TypeError) as exc:
        print(f"sksegment: error: {exc}", file=sys.stderr)
        return 1
    return 0
