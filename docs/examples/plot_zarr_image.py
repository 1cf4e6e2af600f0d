"""
A large image on disk, segmented lazily
=======================================

An image too large to hold comfortably in memory is stored as a zarr array
in chunks; ``dask.array.from_zarr`` reads it lazily, and the same pipeline
that runs in memory runs on it chunk by chunk.  Thresholding and the
closing work on each chunk (with an overlap that makes the closing exact);
labeling joins the objects cut by chunk borders, border clearing and area
filtering use the whole image, so the labels equal the in-memory ones.  The
labels are written back to zarr without ever holding the whole image.  (A
real whole-slide image would be 50,000 pixels across; this one is 4096 so the
example runs in seconds.)
"""

import tempfile

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from skimage.color import label2rgb
from skimage.transform import downscale_local_mean

import sksegment as sks
from sksegment.datasets import make_objects

data = make_objects(
    n_images=1, shape=(4096, 4096), n_objects=(2000, 2000), random_state=0
)
workdir = tempfile.TemporaryDirectory()
store = f"{workdir.name}/image.zarr"
da.from_array(data.images, chunks=(1, 1024, 1024)).to_zarr(store)

image = da.from_zarr(store)  # lazy: nothing is read yet
print(f"lazy {image.dtype} array {image.shape} in chunks {image.chunksize}")

pipe = sks.make_pipeline(
    sks.OtsuThresholder(threshold=130),
    sks.MorphCloser(5),
    sks.BorderClearer(),
    sks.ComponentLabeler(),
    sks.AreaFilter(min_area=50),
    sks.ObjectCounter(),
)
pipe.fit(image)
labels = pipe[:-1].transform(image)  # lazy int32 labels, chunk by chunk
count = pipe[-1].predict(labels).compute()[0]
print(f"{count} objects counted; {data.counts[0]} placed in the image")

# %%
# The same pipeline in memory gives the same count.
print("in memory:", pipe.predict(data.images)[0])

# %%
# A downsampled overlay of the labels (computed chunk by chunk into zarr).
labels.to_zarr(f"{workdir.name}/labels.zarr")
small_image = downscale_local_mean(data.images[0], (8, 8))
small_labels = np.asarray(labels[0, ::8, ::8])
fig, ax = plt.subplots(figsize=(6, 6))
ax.imshow(label2rgb(small_labels, small_image / 255, alpha=0.4, bg_label=0))
ax.set_title(f"{count} objects (every 8th pixel shown)")
ax.set_axis_off()
plt.show()
workdir.cleanup()  # the zarr stores
