"""
Classifying images by their objects, segmentation tuned for the classifier
===========================================================================

Many image classification tasks are questions about the objects in the
image: are the cells swollen, elongated, or more numerous than usual?  A
segmentation turns each image into objects, their measurements become
features, and a classifier learns from them.  :class:`RegionFeatures` puts
these in one scikit-learn pipeline: it segments each image, measures every
object (area, eccentricity, mean intensity, ...) and aggregates the
measurements per image (count, mean, standard deviation, min, max), so the
segmentation parameters are searched together with the classifier's, by the
same cross-validation, for the accuracy of the classification itself.

The images come from :func:`sksegment.datasets.make_objects` in three
classes whose objects differ a little: "normal" objects, "swollen" ones (a
bit larger) and "elongated" ones, on a strongly uneven, noisy background
with debris and objects cut by the border; the class of each image is known
by construction.  The classes overlap enough that a poor segmentation costs
accuracy.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline

import sksegment as sks
from sksegment.datasets import make_objects
from sksegment.features import RegionFeatures

classes = [
    {"name": "normal", "radius": (6, 9), "elongation": (1, 1.5)},
    {"name": "swollen", "radius": (7, 11), "elongation": (1, 1.5)},
    {"name": "elongated", "radius": (6, 8), "elongation": (1.4, 2)},
]
data = make_objects(
    n_images=60,
    shape=(128, 128),
    n_objects=(3, 7),
    classes=classes,
    gradient=0.45,
    random_state=0,
)
train_images, test_images, train_target, test_target = train_test_split(
    data.images, data.target, test_size=15, stratify=data.target, random_state=0
)
print(f"{len(train_images)} training and {len(test_images)} test images")
print("classes:", ", ".join(data.target_names))

fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for k, ax in enumerate(axes):
    ax.imshow(data.images[np.flatnonzero(data.target == k)[0]], cmap="gray")
    ax.set_title(data.target_names[k])
    ax.axis("off")
fig.tight_layout()

# %%
# The model: segmentation, features, classifier
# ---------------------------------------------
# The segmenter is the classical recipe: a global threshold (Otsu's by
# default), a closing that mends cracks, border clearing, labeling and an
# area filter that drops debris.  ``RegionFeatures`` measures the objects it
# finds on the original images and gives one row of features per image.

segmenter = sks.make_pipeline(
    sks.OtsuThresholder(),
    sks.MorphCloser(),
    sks.BorderClearer(),
    sks.ComponentLabeler(),
    sks.AreaFilter(min_area=50),
)
model = make_pipeline(
    RegionFeatures(segmenter, properties=("area", "eccentricity", "axis_major_length")),
    RandomForestClassifier(n_estimators=50, random_state=0),
)
features = clone(model[0]).set_output(transform="pandas").fit(train_images)
print(features.transform(train_images[:4]).round(2).iloc[:, :6])

# %%
# Searching the threshold with the classifier
# -------------------------------------------
# The threshold is a nested parameter of the pipeline
# (``regionfeatures__segmenter__otsuthresholder__threshold``).  The
# background reaches 140 grey levels on its bright side and the objects
# start at 150: a lower threshold (Otsu's among them) merges bright
# background into blobs, a higher one shrinks or loses the dimmer objects.
# The grid search scores each threshold (with two depths of the forest) by
# the cross-validated accuracy of the classification.

thresholds = [None, 90, 110, 130, 140, 150, 170]
grid = {
    "regionfeatures__segmenter__otsuthresholder__threshold": thresholds,
    "randomforestclassifier__max_depth": [3, None],
}
search = GridSearchCV(model, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0))
search.fit(train_images, train_target)

results = search.cv_results_
chosen = results["param_regionfeatures__segmenter__otsuthresholder__threshold"]
best_per_threshold = [
    max(
        score
        for score, t in zip(results["mean_test_score"], chosen)
        if (t is None and threshold is None) or t == threshold
    )
    for threshold in thresholds
]
print("cross-validated accuracy per threshold (best depth):")
for threshold, score in zip(thresholds, best_per_threshold):
    print(f"  {'Otsu' if threshold is None else threshold:>6}: {score:.2f}")
best = {name.rsplit("__", 1)[-1]: value for name, value in search.best_params_.items()}
print("best parameters:", best)
print(f"best cross-validated accuracy: {search.best_score_:.2f}")
learned = search.best_estimator_[0].segmenter_.named_steps["otsuthresholder"]
print(f"threshold used: {learned.threshold_}")

# %%
# Scored on images kept out of the search
# ---------------------------------------
# The cross-validated accuracy of the best candidate is optimistic (it was
# chosen for it); the test images were never seen.

print(f"test accuracy: {search.score(test_images, test_target):.2f}")

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
labels = [("Otsu" if t is None else str(t)) for t in thresholds]
ax0.plot(labels, best_per_threshold, "o-")
ax0.set_xlabel("threshold")
ax0.set_ylabel("cross-validated accuracy")
ax0.set_ylim(0, 1.05)
best = search.best_estimator_[0].set_output(transform="pandas")
table = best.transform(data.images)
for k, name in enumerate(data.target_names):
    rows = table[data.target == k]
    ax1.scatter(rows["area_mean"], rows["eccentricity_mean"], label=name)
ax1.set_xlabel("mean object area (pixels)")
ax1.set_ylabel("mean eccentricity")
ax1.legend()
fig.tight_layout()
plt.show()
