"""
The coins recipe, step by step
==============================

scikit-image's coins photograph: Otsu's threshold (107) is too low, so the
recipe uses ``image > 120``, closes the mask with a 5x5 square, removes the
coins cut by the border, labels the components and keeps those of more than
100 pixels: 24 coins.  Every step is an estimator, and every intermediate
result an ordinary batch to look at.
"""

import matplotlib.pyplot as plt

import sksegment as sks
from sksegment.datasets import load_coins
from sksegment.plot import reading_order, show_labels, show_pipeline

coins = load_coins()
pipe = sks.make_pipeline(
    sks.OtsuThresholder(threshold=120),
    sks.MorphCloser(size=5),
    sks.BorderClearer(),
    sks.ComponentLabeler(),
    sks.AreaFilter(min_area=101),  # inclusive: the recipe's area > 100
    sks.ObjectCounter(),
)
pipe.fit(coins.images)
print("coins counted:", pipe.predict(coins.images)[0], "of", coins.counts[0])

# %%
# One panel per step.
_ = show_pipeline(pipe, coins.images[0])

# %%
# The coins numbered in reading order: rows top to bottom, left to right.
labels = pipe[:-1].transform(coins.images)[0]
print("ids in reading order:", reading_order(labels), sep="\n")
fig, ax = plt.subplots(figsize=(7, 5.5))
show_labels(coins.images[0], labels, ax=ax)
ax.set_axis_off()

# %%
# With Otsu's threshold learned from the image, three coins join bright
# background that reaches the border and are cleared with it.
pipe.set_params(otsuthresholder__threshold=None).fit(coins.images)
count = pipe.predict(coins.images)[0]
print(f"learned threshold {pipe[0].threshold_}: {count} coins")
plt.show()
