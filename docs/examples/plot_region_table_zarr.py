"""
A per-object table of a large zarr image
========================================

One large image stored as a zarr array in 256 x 256 chunks, as OME-Zarr
stores commonly are, is segmented lazily by a fitted pipeline and measured
object by object with :func:`sksegment.features.region_table`: one row per
object, equal to the table of the same image in memory.  Areas, centroids,
boxes and intensity statistics are summed chunk by chunk and merged per
object; properties that need the whole object (here the perimeter) are
measured on each object's crop.  Objects cut by chunk borders are joined
first, so every object is measured whole.
"""

import tempfile
import time

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np

import sksegment as sks
from sksegment.datasets import make_objects
from sksegment.features import region_table

data = make_objects(
    n_images=1, shape=(2048, 2048), n_objects=(400, 400), random_state=0
)
workdir = tempfile.TemporaryDirectory()
store = f"{workdir.name}/image.zarr"
da.from_array(data.images, chunks=(1, 256, 256)).to_zarr(store)

image = da.from_zarr(store)  # lazy: nothing is read yet
print(f"lazy {image.dtype} array {image.shape} in chunks {image.chunksize}")

segmenter = sks.make_pipeline(
    sks.OtsuThresholder(threshold=130),
    sks.MorphCloser(5),
    sks.BorderClearer(),
    sks.ComponentLabeler(),
    sks.AreaFilter(min_area=50),
).fit(image)
labels = segmenter.transform(image)  # lazy int32 labels, chunked as the image

properties = ("label", "area", "centroid", "bbox", "intensity_mean", "perimeter")
start = time.perf_counter()
table = region_table(labels, image, properties)
print(f"{len(table)} objects measured in {time.perf_counter() - start:.1f} s")
print(table.head().to_string())

# %%
# The table of the image in memory is the same.
in_memory = region_table(segmenter.transform(data.images), data.images, properties)
same = all(np.allclose(table[column], in_memory[column], rtol=1e-9) for column in table)
print(f"equal to the in-memory table: {same}")

# %%
# The distribution of the object areas.
fig, ax = plt.subplots(figsize=(6, 4))
ax.hist(table["area"], bins=40)
ax.set_xlabel("area (pixels)")
ax.set_ylabel("objects")
ax.set_title(f"{len(table)} objects of a {image.shape[1]}² image")
plt.show()
workdir.cleanup()  # the zarr store
