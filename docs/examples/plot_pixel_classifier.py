"""
Learned segmentation: a pixel classifier trained on masks or strokes
====================================================================

When a bright haze lifts parts of the background above faint objects
elsewhere, and a texture of bright grains covers the background, no global
threshold separates the objects: the classical recipe, however well tuned,
loses objects or merges them with the background.  A
:class:`~sksegment.PixelClassifier` learns instead which pixels are
objects, from multi-scale features of a few annotated images (ilastik's pixel
classification as a pipeline step), and the classical steps take its
probability map from there: threshold at 0.5, fill holes, split touching
objects, drop small ones.

It learns from full masks (``annotation="dense"``) or from a few strokes
(``annotation="sparse"``: 0 = not annotated, 1 = background, 2 = object, as
in ilastik), here drawn from the true labels by
:func:`~sksegment.datasets.make_strokes`: a line through each object, lines
between close objects, a line across the background and short strokes on
the brightest background spots (where a threshold errs), under 5% of the
pixels.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV

import sksegment as sks
from sksegment.datasets import make_objects, make_strokes
from sksegment.metrics import make_segmentation_scorer, object_matching

# 128 x 128 images of 6 to 10 objects, some touching, none cut by the border or
# cracked; a textured background, a haze and uneven contrast make them hard
layout = dict(n_objects=(6, 10), radius=(6, 9), touching=0.3, border_objects=0)
hard = dict(texture=0.05, haze=0.45, contrast=(25, 80), gradient=0.1, noise=0.03)
train = make_objects(4, (128, 128), crack_fraction=0, random_state=0, **layout, **hard)
test = make_objects(6, (128, 128), crack_fraction=0, random_state=1, **layout, **hard)
strokes = make_strokes(train.labels, train.images, random_state=0)
print(f"strokes annotate {np.count_nonzero(strokes) / strokes.size:.1%} of the pixels")


def downstream():
    return [
        sks.HoleFiller(),
        sks.WatershedSplitter(min_distance=4),
        sks.AreaFilter(min_area=40),
    ]


# %%
# The classical recipe, its smoothing and threshold grid-searched on the
# training images for the F1 of the objects matched at IoU 0.5.
scorer = make_segmentation_scorer("f1")
classical = GridSearchCV(
    sks.make_pipeline(sks.Smoother(), sks.Thresholder(), *downstream()),
    {
        "smoother__sigma": [1.0, 2.0],
        "thresholder__method": ["otsu", "li", "triangle", "mean"],
        "thresholder__threshold": [None, 60, 80, 100, 120],
    },
    scoring=scorer,
    cv=2,
).fit(train.images, train.labels)
best = {name.split("__")[-1]: value for name, value in classical.best_params_.items()}
print("classical, best of the grid:", best)

# %%
# The learned pipelines: the default PixelClassifier (a small random forest
# on the features of :class:`~sksegment.PixelFeatures`), trained on the masks
# or on the strokes.
learned = {
    annotation: sks.make_pipeline(
        sks.PixelClassifier(annotation=annotation, random_state=0),
        sks.Thresholder(threshold=0.5),
        *downstream(),
    ).fit(train.images, y)
    for annotation, y in (("dense", train.labels), ("sparse", strokes))
}

results = {"classical": classical.best_estimator_.transform(test.images)}
results.update({k: pipe.transform(test.images) for k, pipe in learned.items()})
scores = {k: object_matching(test.labels, v)["f1"] for k, v in results.items()}
for name, f1 in scores.items():
    print(f"held-out F1@0.5, {name}: {f1:.2f}")

# %%
# A training image with its strokes (red: objects, blue: background), and a
# held-out image segmented by each pipeline.
fig, axes = plt.subplots(1, 5, figsize=(15, 3.4))
axes[0].imshow(train.images[0], cmap="gray")
axes[0].imshow(np.ma.masked_equal(strokes[0], 0), cmap="bwr", vmin=1, vmax=2)
axes[0].set_title("strokes (training)")
sks.plot.show_labels(test.images[0], test.labels[0], numbers=False, ax=axes[1])
axes[1].set_title(f"truth: {test.counts[0]} objects")
for ax, (name, out) in zip(axes[2:], results.items()):
    sks.plot.show_labels(test.images[0], out[0], numbers=False, ax=ax)
    ax.set_title(f"{name}: F1 {scores[name]:.2f}")
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
plt.show()
