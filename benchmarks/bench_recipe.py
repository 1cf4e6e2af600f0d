"""The coins recipe three ways, side by side in one run.

    python benchmarks/bench_recipe.py [--quick] [--skip-large] [--skip-grid]

Workloads: scikit-image's coins (303x384), 200 synthetic images 512x512 from
``make_objects``, one 8192x8192 image, and a grid search (8 thresholds x 4
closing sizes, 3-fold, 60 images 256x256).  Implementations:

* ``skimage``: the plain recipe with scikit-image calls
  (``closing``, ``clear_border``, ``label``, areas from ``regionprops``);
* ``opencv``: ``cv2.morphologyEx``, ``cv2.connectedComponentsWithStats`` and a
  numpy filter on its statistics (when OpenCV is installed);
* ``sksegment``: ``sklearn.pipeline.make_pipeline`` of the sksegment steps
  (for the grid search also ``sksegment.make_pipeline``, whose ``fit`` skips
  transforming training images for steps that learn nothing).

Every implementation's label images are checked equal to scikit-image's up to
a permutation of ids before anything is timed.  Times are medians over
repeats, in ms per image; ratios are against the plain recipe of the same
run.  The machine is shared: compare ratios, not absolute times.
"""

import os

import numpy as np
from skimage import measure, morphology, segmentation
from sklearn.pipeline import make_pipeline

import sksegment as sks
from sksegment.datasets import load_coins, make_objects

from _common import (
    describe_machine,
    make_parser,
    median_ms,
    memory,
    reset_peak,
    run_child,
)

try:
    import cv2
except ImportError:
    cv2 = None

# The recipe's parameters; the synthetic images need a threshold of 130 (their
# noisy background reaches past 120; see make_objects).
THRESHOLD, SIZE, MIN_AREA = 120, 5, 101
SYNTHETIC_THRESHOLD = 130


# --- the three implementations -------------------------------------------------


def skimage_recipe(image, threshold=THRESHOLD, size=SIZE, min_area=MIN_AREA):
    fp = morphology.footprint_rectangle((size, size))
    closed = morphology.closing(image > threshold, fp, mode="ignore")
    labels = measure.label(segmentation.clear_border(closed))
    keep = np.zeros(labels.max() + 1, dtype=bool)
    for region in measure.regionprops(labels):
        keep[region.label] = region.area >= min_area
    return np.where(keep[labels], labels, 0)


def opencv_recipe(image, threshold=THRESHOLD, size=SIZE, min_area=MIN_AREA):
    _, mask = cv2.threshold(image, threshold, 1, cv2.THRESH_BINARY)
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    x, y, w, h, area = stats.T
    height, width = image.shape
    touching = (x == 0) | (y == 0) | (x + w == width) | (y + h == height)
    keep = (area >= min_area) & ~touching
    keep[0] = False
    lut = np.zeros(n, dtype=np.int32)
    lut[keep] = np.arange(1, keep.sum() + 1)
    return lut[labels]


def sksegment_pipeline(threshold=THRESHOLD, size=SIZE, min_area=MIN_AREA, n_jobs=None):
    return make_pipeline(
        sks.OtsuThresholder(threshold, n_jobs=n_jobs),
        sks.MorphCloser(size, n_jobs=n_jobs),
        sks.BorderClearer(n_jobs=n_jobs),
        sks.ComponentLabeler(n_jobs=n_jobs),
        sks.AreaFilter(min_area=min_area, n_jobs=n_jobs),
    )


# --- helpers -------------------------------------------------------------------


def same_partition(a, b):
    """Equal label images up to a permutation of ids."""
    if a.shape != b.shape or not ((a == 0) == (b == 0)).all():
        return False
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]).astype(np.int64), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


def per_image(recipe, threshold):
    return lambda images: [recipe(image, threshold) for image in images]


def implementations(threshold=THRESHOLD):
    impls = {"skimage": per_image(skimage_recipe, threshold)}
    if cv2 is not None:
        impls["opencv"] = per_image(opencv_recipe, threshold)
    pipe = sksegment_pipeline(threshold).fit(np.zeros((1, 8, 8), np.uint8))
    impls["sksegment"] = pipe.transform
    return impls


def report(title, rows, n_images):
    base = rows["skimage"]
    print(f"\n{title}")
    print(f"  {'implementation':<22}{'ms/image':>10}{'vs skimage':>12}")
    for name, ms in rows.items():
        print(f"  {name:<22}{ms / n_images:>10.3f}{base / ms:>11.1f}x")


def run_batch(title, images, repeats, threshold=THRESHOLD):
    impls = implementations(threshold)
    reference = [skimage_recipe(image, threshold) for image in images]
    for name, impl in impls.items():
        out = impl(images)
        assert all(map(same_partition, out, reference)), f"{name} differs from skimage"
    rows = {
        name: median_ms(lambda impl=impl: impl(images), repeats)
        for name, impl in impls.items()
    }
    if len(images) > 1:
        threaded = sksegment_pipeline(threshold, n_jobs=2).fit(images[:1])
        assert all(map(same_partition, threaded.transform(images), reference))
        rows["sksegment n_jobs=2"] = median_ms(
            lambda: threaded.transform(images), repeats
        )
    report(
        f"{title}: labels equal to skimage's on all {len(images)} images",
        rows,
        len(images),
    )
    return rows


# --- one large image, each implementation in its own process for peak memory -------


def _large_image():
    return make_objects(1, (8192, 8192), n_objects=(9000, 9000), random_state=0).images


def _child(name):
    """Run one implementation on the large image: seconds, peak MiB above it."""
    image = np.load(os.environ["SKS_BENCH_IMAGE"])
    impl = implementations(SYNTHETIC_THRESHOLD)[name]
    impl(image[:, :64, :64])  # import and warm up everything first
    loaded = reset_peak()
    impl(image)  # untimed: the first touch of fresh memory is slow here
    repeats = int(os.environ["SKS_BENCH_REPEATS"])
    seconds = median_ms(lambda: impl(image), repeats) / 1e3
    peak = memory("VmHWM") - loaded
    labels = impl(image)[0]
    np.save(os.environ["SKS_BENCH_OUT"] + name + ".npy", labels)
    print(seconds, peak)


def run_large(tmpdir, repeats):
    image = _large_image()
    path = os.path.join(tmpdir, "large.npy")
    np.save(path, image)
    env = {
        "SKS_BENCH_REPEATS": str(repeats),
        **os.environ,
        "SKS_BENCH_IMAGE": path,
        "SKS_BENCH_OUT": os.path.join(tmpdir, "out_"),
    }
    rows, memory = {}, {}
    for name in implementations(SYNTHETIC_THRESHOLD):
        out = run_child(__file__, "--child", name, env=env)
        rows[name], memory[name] = 1e3 * float(out[0]), float(out[1])
    reference = np.load(os.path.join(tmpdir, "out_skimage.npy"))
    for name in rows:
        assert same_partition(
            np.load(os.path.join(tmpdir, f"out_{name}.npy")), reference
        ), name
    report(
        f"One {image.shape[1]}x{image.shape[2]} uint8 image "
        f"({len(np.unique(reference)) - 1} objects), "
        "labels equal to skimage's",
        rows,
        1,
    )
    print(f"  peak memory above the loaded image ({image.nbytes / 2**20:.0f} MiB):")
    for name, mb in memory.items():
        print(
            f"    {name:<20}{mb:>8.0f} MiB = {mb * 2**20 / image.nbytes:.1f}x the image"
        )


# --- grid search ---------------------------------------------------------------


def run_grid(repeats):
    from sklearn.model_selection import GridSearchCV
    from sklearn.preprocessing import FunctionTransformer

    data = make_objects(n_images=60, shape=(256, 256), random_state=0)
    thresholds = [100, 110, 115, 120, 125, 130, 140, None]
    sizes = [1, 3, 5, 7]

    def threshold(images, t):
        return [image > t for image in images]

    def close(masks, size):
        fp = morphology.footprint_rectangle((size, size))
        return [morphology.closing(m, fp, mode="ignore") for m in masks]

    def count(masks, min_area):
        out = []
        for m in masks:
            labels = measure.label(segmentation.clear_border(m))
            out.append(sum(r.area >= min_area for r in measure.regionprops(labels)))
        return np.array(out)

    from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin

    class PlainThreshold(TransformerMixin, BaseEstimator):
        def __init__(self, threshold=None):
            self.threshold = threshold

        def fit(self, X, y=None):
            from skimage.filters import threshold_otsu

            t = self.threshold
            self.threshold_ = threshold_otsu(np.asarray(X).ravel()) if t is None else t
            return self

        def transform(self, X):
            return threshold(X, self.threshold_)

    class PlainCounter(RegressorMixin, BaseEstimator):
        def __init__(self, min_area=MIN_AREA):
            self.min_area = min_area

        def fit(self, X, y=None):
            return self

        def __sklearn_is_fitted__(self):
            return True

        def predict(self, X):
            return count(X, self.min_area)

    plain = make_pipeline(
        PlainThreshold(),
        FunctionTransformer(close, kw_args={"size": 5}),
        PlainCounter(50),
    )
    plain_grid = {
        "plainthreshold__threshold": thresholds,
        "functiontransformer__kw_args": [{"size": s} for s in sizes],
    }
    ours = make_pipeline(*sksegment_pipeline(None, min_area=50), sks.ObjectCounter())
    our_grid = {"otsuthresholder__threshold": thresholds, "morphcloser__size": sizes}
    kwargs = dict(scoring="neg_mean_absolute_error", cv=3)
    searches = {
        "skimage (FunctionTransformer)": (plain, plain_grid),
        "sksegment, sklearn Pipeline": (ours, our_grid),
        "sksegment, sks.Pipeline": (sks.make_pipeline(*ours), our_grid),
    }
    results, rows = {}, {}
    for name, (pipe, grid) in searches.items():
        search = GridSearchCV(pipe, grid, **kwargs)
        rows[name] = median_ms(lambda: search.fit(data.images, data.counts), repeats)
        results[name] = search.cv_results_["mean_test_score"]
    for scores in results.values():
        np.testing.assert_allclose(scores, results["skimage (FunctionTransformer)"])
    base = rows["skimage (FunctionTransformer)"]
    print(
        "\nGrid search, 8 thresholds x 4 closing sizes, 3-fold, 60 images 256x256 "
        "(same scores for all 32 candidates)"
    )
    for name, ms in rows.items():
        print(f"  {name:<32}{ms / 1e3:>8.2f} s{base / ms:>8.1f}x")


def main():
    parser = make_parser(__doc__, "fewer repeats, 40 images", child=True)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-grid", action="store_true")
    args = parser.parse_args()
    if args.child:
        return _child(args.child)
    repeats = 3 if args.quick else 7
    print(describe_machine(f"OpenCV {cv2.__version__ if cv2 else 'absent'}"))
    coins = load_coins().images
    run_batch("coins 303x384", coins, 5 * repeats)
    n = 40 if args.quick else 200
    run_batch(
        f"{n} images 512x512",
        make_objects(n_images=n, shape=(512, 512), random_state=1).images,
        repeats,
        SYNTHETIC_THRESHOLD,
    )
    if not args.skip_large:
        import tempfile

        with tempfile.TemporaryDirectory() as tmpdir:
            run_large(tmpdir, 1 if args.quick else 3)
    if not args.skip_grid:
        run_grid(1 if args.quick else 3)


if __name__ == "__main__":
    main()
