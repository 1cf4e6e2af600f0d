"""Region features per image: RegionFeatures against regionprops_table + pandas.

    python benchmarks/bench_features.py [--quick]

Workload: 100 synthetic images 512x512 from ``make_objects`` with 45 to 55
objects each, their true label images given (the segmentation is done
beforehand, so only measuring and aggregating is timed).  Implementations:

* ``regionprops + pandas``: ``skimage.measure.regionprops_table`` of each
  image (the properties asked for only), one DataFrame, ``groupby`` of the
  image and aggregation (count, mean, std with ddof=0, min, max);
* ``RegionFeatures``: ``sksegment.features.RegionFeatures`` whose segmenter
  hands over the given label images (and with ``n_jobs=2``);
* the per-object table: ``region_table`` against ``regionprops_table`` of
  each image stacked into one DataFrame.

Both feature matrices (and both tables) are checked equal before anything is
timed.  Times are medians over repeats, in ms per image; ratios are against
the regionprops implementation of the same run.  The machine is shared:
compare ratios, not absolute times.
"""

import numpy as np
import pandas as pd
from skimage.measure import regionprops_table
from sklearn.base import BaseEstimator, TransformerMixin

from sksegment.datasets import make_objects
from sksegment.features import RegionFeatures, region_table

from _common import describe_machine, make_parser, median_ms

PROPERTIES = ("area", "eccentricity", "intensity_mean")
AGGREGATIONS = ("count", "mean", "std", "min", "max")
TABLE_PROPERTIES = ("label", "area", "centroid", "bbox", "intensity_mean")


class GivenLabels(TransformerMixin, BaseEstimator):
    """A segmenter that hands over label images computed beforehand."""

    def __init__(self, labels=None):
        self.labels = labels

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        assert len(X) == len(self.labels)
        return self.labels


# --- the two implementations ------------------------------------------------------


def regionprops_pandas(labels, images, properties=PROPERTIES):
    """regionprops_table per image, then a pandas groupby over the images."""
    frames = []
    for i, (lab, image) in enumerate(zip(labels, images)):
        frame = pd.DataFrame(regionprops_table(lab, image, properties=properties))
        frame["image"] = i
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    grouped = table.groupby("image")
    stats = grouped[list(properties)].agg(
        ["mean", lambda v: v.std(ddof=0), "min", "max"]
    )
    stats.columns = [
        f"{prop}_{agg}" for prop in properties for agg in ("mean", "std", "min", "max")
    ]
    stats.insert(0, "count", grouped.size())
    # images without objects: count 0, aggregates 0 (RegionFeatures' default)
    stats = stats.reindex(range(len(labels))).fillna(0.0)
    return stats.to_numpy(dtype=np.float64), list(stats.columns)


def region_features(labels, n_jobs=None):
    return RegionFeatures(
        GivenLabels(labels),
        properties=PROPERTIES,
        aggregations=AGGREGATIONS,
        n_jobs=n_jobs,
    )


def regionprops_tables(labels, images, properties=TABLE_PROPERTIES):
    frames = []
    for i, (lab, image) in enumerate(zip(labels, images)):
        frame = pd.DataFrame(regionprops_table(lab, image, properties=properties))
        frame.insert(0, "image", np.int64(i))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# --- helpers ---------------------------------------------------------------------


def report(title, rows, n_images):
    base = next(iter(rows.values()))
    print(f"\n{title}")
    print(f"  {'implementation':<30}{'ms/image':>10}{'speed-up':>10}")
    for name, ms in rows.items():
        print(f"  {name:<30}{ms / n_images:>10.3f}{base / ms:>9.1f}x")


def run_features(images, labels, repeats):
    expected, names = regionprops_pandas(labels, images)
    ours = {
        "RegionFeatures": region_features(labels).fit(images),
        "RegionFeatures n_jobs=2": region_features(labels, n_jobs=2).fit(images),
    }
    for name, step in ours.items():
        assert step.get_feature_names_out().tolist() == names, name
        np.testing.assert_allclose(
            step.transform(images), expected, rtol=1e-9, atol=1e-9, err_msg=name
        )
    rows = {
        "regionprops + pandas": median_ms(
            lambda: regionprops_pandas(labels, images), repeats
        )
    }
    for name, step in ours.items():
        rows[name] = median_ms(lambda step=step: step.transform(images), repeats)
    n_objects = sum(int(lab.max()) for lab in labels)
    report(
        f"Features {list(names[:3])}... ({len(names)} per image) of {len(images)} "
        f"images, {n_objects} objects: equal values",
        rows,
        len(images),
    )
    return rows


def run_table(images, labels, repeats):
    expected = regionprops_tables(labels, images)
    got = region_table(labels, images, properties=TABLE_PROPERTIES)
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-12)
    rows = {
        "regionprops_table + concat": median_ms(
            lambda: regionprops_tables(labels, images), repeats
        ),
        "region_table": median_ms(
            lambda: region_table(labels, images, properties=TABLE_PROPERTIES),
            repeats,
        ),
    }
    report(
        f"Per-object table {list(TABLE_PROPERTIES)}: equal values", rows, len(images)
    )
    return rows


def main():
    args = make_parser(__doc__, "fewer repeats, 20 images").parse_args()
    repeats = 3 if args.quick else 7
    n_images = 20 if args.quick else 100
    print(describe_machine(f"pandas {pd.__version__}"))
    data = make_objects(
        n_images=n_images, shape=(512, 512), n_objects=(45, 55), random_state=0
    )
    run_features(data.images, data.labels, repeats)
    run_table(data.images, data.labels, repeats)


if __name__ == "__main__":
    main()
