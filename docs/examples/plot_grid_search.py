"""
Tuning a segmentation against counts and against masks
======================================================

A grid search over the threshold, the closing size and the smallest object
area of the coins recipe, on synthetic images whose true counts and true
label images are known (:func:`sksegment.datasets.make_objects`): once
scored on counts, once on how well the objects themselves are found: the
fraction TP / (TP + FP + FN) of objects matched one to one, averaged over
IoU thresholds 0.5, 0.55, ..., 0.95 (what Cellpose calls average precision
and StarDist accuracy).  Counting right is not the same as segmenting
right: a threshold that is too high shrinks every object yet keeps the
count, and many candidates tie on counts.  The heatmaps show how each score
varies over the grid before trusting the parameters chosen, and the chosen
pipelines are scored on images kept out of the search.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split

import sksegment as sks
from sksegment.datasets import make_objects
from sksegment.inspection import plot_search, search_table
from sksegment.metrics import count_error, make_segmentation_scorer, object_matching

data = make_objects(n_images=32, shape=(160, 160), random_state=0)
train_images, test_images, train_counts, test_counts, train_labels, test_labels = (
    train_test_split(data.images, data.counts, data.labels, test_size=8, random_state=0)
)

grid = {
    "otsuthresholder__threshold": [None, 110, 120, 130, 150, 170],
    "morphcloser__size": [1, 3, 5, 7],
    "areafilter__min_area": [30, 120],
}


def short(name):
    """A parameter's name without its step: morphcloser__size -> size."""
    return name.rsplit("__", 1)[-1]


def show(search, target):
    """The best parameters and the eight best candidates, by short names."""
    best = {short(name): value for name, value in search.best_params_.items()}
    print(f"best for {target}:", best)
    columns = {name: short(name) for name in grid}
    columns.update(mean_test_score="score", rank_test_score="rank")
    print(search_table(search)[list(columns)].head(8).rename(columns=columns))


def steps():
    return [
        sks.OtsuThresholder(),
        sks.MorphCloser(),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(),
    ]


# %%
# Against counts: the pipeline ends with a counter, scored by the mean
# absolute error of the counts.
by_count = GridSearchCV(
    sks.make_pipeline(*steps(), sks.ObjectCounter()),
    grid,
    scoring="neg_mean_absolute_error",
    cv=3,
)
by_count.fit(train_images, train_counts)
show(by_count, "counts")

# %%
# Against masks: the pipeline ends with label images; ``y`` is the batch of
# true label images, and the scorer matches objects one to one.
thresholds = np.arange(0.5, 1.0, 0.05)
scorer = make_segmentation_scorer("accuracy", iou=thresholds)
by_mask = GridSearchCV(sks.make_pipeline(*steps()), grid, scoring=scorer, cv=3)
by_mask.fit(train_images, train_labels)
show(by_mask, "masks")

# %%
# How the scores vary over threshold and closing size (the smallest area
# held at its best value).
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
plot_search(by_count, x="threshold", y="size", ax=axes[0])
plot_search(by_mask, x="threshold", y="size", ax=axes[1])
fig.tight_layout()

# %%
# Held-out images: both chosen pipelines, both scores.
for name, search in [("counts", by_count), ("masks", by_mask)]:
    pipe = search.best_estimator_
    segmenter = pipe[:-1] if name == "counts" else pipe
    labels = segmenter.transform(test_images)
    counts = sks.ObjectCounter().predict(labels)
    matched = object_matching(test_labels, labels, iou=thresholds)["mean"]
    mae = count_error(test_counts, counts)["mae"]
    print(
        f"tuned on {name}: count MAE {mae:.2f}, accuracy over IoU 0.5:0.95 "
        f"{matched['accuracy']:.3f}, mean IoU {matched['mean_iou']:.3f}"
    )

plt.show()
