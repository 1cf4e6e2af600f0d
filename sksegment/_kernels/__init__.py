"""Per-image kernels: one image in, one result out, no validation.

The steps validate their input and call these.  Each kernel gives exactly the
result of the scikit-image (or scipy) function named in its docstring; where
OpenCV has a faster exact routine (2D closing and labeling, flood fill,
histograms of uint8 images, small median filters) it is used, and a
numpy/scipy/scikit-image path covers the rest (3D, the ``"wrap"`` border
mode, OpenCV missing).

Modules, each tested by its own ``tests/test_kernels_<module>.py``:

``common``
    the OpenCV switch, output slots, chunked lookups and counts, and the
    rule for ids dense enough for a lookup table;
``labels``
    label dtypes, labeling, border clearing, area filtering, counting;
``morphology``
    footprints, closing and opening, hole filling of masks and label images;
``threshold``
    pooled histograms and the maths of the threshold methods;
``filters``
    the Gaussian and median smoothing;
``split``
    watershed splitting of touching objects;
``regions``
    per-object properties, one registered function each;
``pixels``
    the multi-scale pixel features of the pixel classifier.

The names listed in ``__all__`` are the package's kernel API; callers write
``_kernels.<name>``.
"""

from sksegment._kernels import pixels, regions  # noqa: F401 - the modules
from sksegment._kernels.common import (
    as_numbers,
    bincount,
    ids_fit_table,
    into,
    take,
    use_cv2,
)
from sksegment._kernels.filters import gaussian_dtype, gaussian_filter, median_filter
from sksegment._kernels.labels import (
    area_filter_labels,
    area_filter_mask,
    border_ids,
    clear_border_labels,
    clear_border_mask,
    count_labels,
    count_mask,
    flood_border,
    in_bounds,
    keep_ids,
    kept_label_dtype,
    label_dtype,
    label_mask,
    object_areas,
    relabel_components,
    sequential,
    structure,
)
from sksegment._kernels.morphology import (
    bounded_footprint,
    closing,
    fill_label_holes,
    fill_mask_holes,
    footprint,
    opening,
)
from sksegment._kernels.split import split_labels, split_region, touching_ids
from sksegment._kernels.threshold import (
    EXACT_INT_BINS,
    bin_centers,
    binned_histogram,
    box_mean,
    concatenated,
    counts_uint8,
    distinct_values,
    exact_counts,
    exact_integer_bins,
    integer_values,
    is_integer,
    li_from_histogram,
    pooled_histogram,
    robust_background,
    triangle_from_histogram,
    value_range,
)

__all__ = [
    "EXACT_INT_BINS",
    "area_filter_labels",
    "area_filter_mask",
    "as_numbers",
    "bin_centers",
    "binned_histogram",
    "bincount",
    "border_ids",
    "bounded_footprint",
    "box_mean",
    "clear_border_labels",
    "clear_border_mask",
    "closing",
    "concatenated",
    "count_labels",
    "count_mask",
    "counts_uint8",
    "distinct_values",
    "exact_counts",
    "exact_integer_bins",
    "integer_values",
    "fill_label_holes",
    "fill_mask_holes",
    "flood_border",
    "footprint",
    "gaussian_dtype",
    "gaussian_filter",
    "ids_fit_table",
    "in_bounds",
    "into",
    "is_integer",
    "keep_ids",
    "kept_label_dtype",
    "label_dtype",
    "label_mask",
    "li_from_histogram",
    "median_filter",
    "object_areas",
    "opening",
    "pooled_histogram",
    "relabel_components",
    "robust_background",
    "sequential",
    "split_labels",
    "split_region",
    "structure",
    "take",
    "touching_ids",
    "triangle_from_histogram",
    "use_cv2",
    "value_range",
]
