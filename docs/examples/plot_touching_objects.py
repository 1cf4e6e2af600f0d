"""
Touching objects under uneven light
===================================

The coins recipe (one global threshold, a closing, border clearing, labeling
and an area filter) fails on images where objects touch and the light is
uneven: no single threshold separates dim objects on the dark side from the
bright side of the background, and touching objects are counted as one.
Tuning its parameters cannot fix that; more steps can.  The extended
pipeline smooths the image, thresholds it locally, mends cracks, fills holes,
and splits touching objects by a watershed on the distance transform
(CellProfiler's shape declumping).
"""

import matplotlib.pyplot as plt
from skimage.color import label2rgb
from sklearn.model_selection import GridSearchCV, train_test_split

import sksegment as sks
from sksegment.datasets import make_objects
from sksegment.metrics import count_error

data = make_objects(
    n_images=24,
    shape=(160, 160),
    touching=0.4,
    dim_fraction=0.3,
    gradient=0.45,
    random_state=1,
)
train_images, test_images, train_counts, test_counts = train_test_split(
    data.images, data.counts, test_size=8, random_state=0
)

# %%
# The recipe, with its threshold and closing size grid-searched.
recipe = GridSearchCV(
    sks.make_pipeline(
        sks.OtsuThresholder(),
        sks.MorphCloser(),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=50),
        sks.ObjectCounter(),
    ),
    {
        "otsuthresholder__threshold": [None, *range(90, 181, 10)],
        "morphcloser__size": [1, 3, 5, 7],
    },
    scoring="neg_mean_absolute_error",
    cv=3,
).fit(train_images, train_counts)
print("recipe, best of the grid:", recipe.best_params_)

# %%
# The extended pipeline; only the local threshold's offset is searched.
extended = GridSearchCV(
    sks.make_pipeline(
        sks.Smoother(sigma=1.0),
        sks.LocalThresholder(method="gaussian", block_size=81),
        sks.MorphCloser(3),
        sks.HoleFiller(),
        sks.BorderClearer(),
        sks.AreaFilter(min_area=50),
        sks.WatershedSplitter(7),
        sks.AreaFilter(min_area=50),
        sks.ObjectCounter(),
    ),
    {"localthresholder__offset": [-16, -12, -8, -4]},
    scoring="neg_mean_absolute_error",
    cv=3,
).fit(train_images, train_counts)
print("extended, best offset:", extended.best_params_)

for name, search in [("recipe", recipe), ("extended", extended)]:
    errors = count_error(test_counts, search.predict(test_images))
    print(
        f"{name:>8}: held-out count error {errors['mae']:.2f} per image "
        f"(bias {errors['bias']:+.2f}), {errors['exact_match']:.0%} exact"
    )

# %%
# One held-out image and the objects each pipeline finds.
image = test_images[:1]
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
axes[0].imshow(image[0], cmap="gray")
axes[0].set_title(f"image: {test_counts[0]} objects")
for ax, (name, search) in zip(axes[1:], [("recipe", recipe), ("extended", extended)]):
    labels = search.best_estimator_[:-1].transform(image)[0]
    ax.imshow(label2rgb(labels, image[0], alpha=0.35, bg_label=0))
    ax.set_title(f"{name}: {len(set(labels.ravel()) - {0})} objects")
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
plt.show()
