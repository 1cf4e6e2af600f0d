"""Measure segmented objects: per-object tables and per-image features.

:class:`RegionFeatures` puts a segmentation inside a scikit-learn model: it
segments each image with a segmenter (a pipeline of sksegment steps),
measures every object on the original image and aggregates the measurements
per image into a feature matrix, so a classifier or regressor can follow it
and a grid search can tune the segmentation for the downstream task.
:func:`region_table` gives the measurements themselves, one row per object.

Both measure the properties of ``skimage.measure.regionprops``.  The common
ones (areas, centroids, bounding boxes, intensity statistics and, in 2D, the
second-moment shape properties) are computed for all objects of an image at
once with ``numpy.bincount`` over the object pixels; the others are measured
by ``skimage.measure.regionprops_table``, asked for those properties only.
"""

import contextlib
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import (
    HasMethods,
    InvalidParameterError,
    validate_params,
)
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from sksegment import _kernels
from sksegment._base import ImageStepMixin, validate_batch
from sksegment._batch import _run, image_list, shape_stated
from sksegment._chunks import Global
from sksegment._docstrings import fill_doc
from sksegment._kernels.regions import PROPERTIES_2D_ONLY as _PROPERTIES_2D_ONLY
from sksegment._kernels.regions import Regions, fast_properties
from sksegment._optional import import_optional
from sksegment._validation import StrictInterval, label_image

__all__ = ["RegionFeatures", "region_table"]


# --- property names, from scikit-image -------------------------------------------


def _property_names():
    """Current (not deprecated) regionprops property names, by kind.

    ``COL_DTYPES`` of scikit-image lists the current names only (the
    deprecated aliases are the keys of its ``PROPS``); the ones whose values
    are arrays of varying size (``coords``, ``image``, ``slice``, ...) are
    left out: they do not fit in a table of numbers.
    """
    from skimage.measure._regionprops import COL_DTYPES, OBJECT_COLUMNS

    numeric = frozenset(COL_DTYPES) - frozenset(OBJECT_COLUMNS)
    dtypes = {name: COL_DTYPES[name] for name in numeric}
    return numeric, dtypes


_TABLE_PROPERTIES, _COLUMN_DTYPES = _property_names()
# Properties with several values per object (one column each in a table).
_MULTI_VALUED = frozenset(
    name
    for name in _TABLE_PROPERTIES
    if name in ("bbox", "inertia_tensor", "inertia_tensor_eigvals")
    or name.startswith(("centroid", "moments"))
)
# One number per object: what RegionFeatures aggregates ("label" is an id).
_SCALAR_PROPERTIES = _TABLE_PROPERTIES - _MULTI_VALUED - {"label"}
_INTENSITY_PROPERTIES = frozenset(
    name
    for name in _TABLE_PROPERTIES
    if name.startswith("intensity_") or "weighted" in name
)

_AGGREGATIONS = ("count", "sum", "mean", "std", "min", "max", "median")
_AGGREGATE = {
    "sum": np.sum,
    "mean": np.mean,
    "std": np.std,
    "min": np.min,
    "max": np.max,
    "median": np.median,
}


def _check_names(caller, param, value, valid, *, allow_empty=False):
    """Check a list or tuple of distinct names from ``valid``; return a tuple."""
    listed = ", ".join(repr(name) for name in sorted(valid))
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidParameterError(
            f"The {param!r} parameter of {caller} must be a list or tuple of "
            f"names among {{{listed}}}; got {value!r}."
        )
    bad = [name for name in value if not isinstance(name, str) or name not in valid]
    if bad:
        raise InvalidParameterError(
            f"The {param!r} parameter of {caller} got unknown names "
            f"{', '.join(repr(name) for name in bad)}; valid names are "
            f"{{{listed}}}."
        )
    if len(set(value)) != len(value):
        raise InvalidParameterError(
            f"The {param!r} parameter of {caller} lists a name twice: {value!r}."
        )
    if not value and not allow_empty:
        raise InvalidParameterError(
            f"The {param!r} parameter of {caller} must not be empty; names are "
            f"among {{{listed}}}."
        )
    return tuple(value)


# --- measuring the objects of one image ---------------------------------------------


def _column_names(name, width):
    if name in ("centroid", "bbox") or width > 1:
        return [f"{name}-{k}" for k in range(width)]
    return [name]


def _check_2d_only(caller, properties, ndim, got):
    """Refuse properties defined in 2D only on images of ``ndim`` dimensions."""
    flat_only = sorted(set(properties) & _PROPERTIES_2D_ONLY)
    if ndim != 2 and flat_only:
        raise ValueError(
            f"{caller}: properties {flat_only} are defined for 2D images only; "
            f"got {got}. The 2D-only properties are {sorted(_PROPERTIES_2D_ONLY)}."
        )


def _measure(labels, image, properties, caller, *, index=None):
    """The properties of each object of one label image, as a dict of columns.

    Column names and dtypes are those of ``regionprops_table``; objects are
    the distinct nonzero ids of ``labels``, in increasing order.
    """
    where = "" if index is None else f" (image {index} of the batch)"
    _check_2d_only(
        caller,
        properties,
        labels.ndim,
        f"a {labels.ndim}D image of shape {labels.shape}{where}",
    )
    fast = fast_properties(labels.ndim)
    slow = [name for name in properties if name not in fast]
    regions = Regions(labels, image)
    table = {}
    if slow:
        from skimage.measure import regionprops_table

        if regions.n and regions.ids[-1] > 2 * regions.n + 1024:
            # regionprops allocates per id up to the largest: renumber 1..n
            dense = np.zeros(labels.shape, dtype=_kernels.label_dtype(regions.n))
            dense.reshape(-1)[regions.index] = regions.inverse + 1
            labels = dense
        try:
            table = regionprops_table(labels, image, properties=slow)
        except ValueError as error:  # convex hulls of flat 3D objects
            raise ValueError(
                f"{caller}: scikit-image could not measure {slow} on a "
                f"{labels.ndim}D image: {error} (convex-hull properties fail on "
                f"3D objects that lie in one plane)."
            ) from error
    columns = {}
    for name in properties:
        if name in fast:
            values = regions.column(name)
            dtype = regions.ids.dtype if name == "label" else _COLUMN_DTYPES[name]
            for key, value in zip(_column_names(name, len(values)), values):
                columns[key] = np.asarray(value, dtype=dtype)
        else:
            for key, value in table.items():
                if key == name or key.startswith(name + "-"):
                    columns[key] = value
    return columns


def _as_labels(objects, caller, connectivity):
    """A mask (float: its nonzero pixels) or label image as a label image."""
    return label_image(objects, caller, floats="mask", connectivity=connectivity)


def _is_dask(X):
    return hasattr(X, "__dask_graph__")


def _chunked_like(X, other, caller, name):
    """The in-memory batch ``X`` as a dask array chunked as ``other``."""
    import dask.array as da

    array = np.stack(image_list(X, caller, name)) if _uniform(X) else None
    if array is None or array.shape != other.shape:
        got = "images of several shapes" if array is None else f"shape {array.shape}"
        raise ValueError(
            f"{caller}: the label images and the intensity images must have one "
            f"shape; the dask array has shape {other.shape}, {name} has {got}."
        )
    return da.from_array(array, chunks=other.chunks)


def _uniform(X):
    """Whether the images of an array or list all have one shape."""
    if isinstance(X, (list, tuple)):
        return len({np.shape(image) for image in X}) <= 1
    return True


def _dask_tables(labels, images, properties, connectivity, caller):
    """The tables of a dask batch (dicts of columns, image column first)."""

    from sksegment._dask_regions import object_columns

    # the argument in memory is checked as in memory, then chunked as the other
    if not _is_dask(labels):
        labels = _chunked_like(labels, images, caller, "labels")
    if images is not None and not _is_dask(images):
        images = _chunked_like(images, labels, caller, "images")
    batch = validate_batch(caller, labels, reset=False)
    intensities = None
    if images is not None:
        intensities = validate_batch(caller, images, reset=False)
        if intensities.array.shape != batch.array.shape:
            raise ValueError(
                f"{caller}: the label images have shape {batch.array.shape} but "
                f"the intensity images have shape {intensities.array.shape}."
            )
    ndim = batch.array.ndim - 1
    got = f"{ndim}D images of shape {batch.array.shape[1:]}"
    _check_2d_only(caller, properties, ndim, got)
    columns = object_columns(batch, intensities, properties, connectivity, caller)
    tables = []
    for i, table in enumerate(columns):
        n = len(next(iter(table.values())))
        tables.append({"image": np.full(n, i, dtype=np.int64), **table})
    return tables


# --- per-object table ------------------------------------------------------------


@validate_params(
    {
        "labels": ["array-like"],
        "images": ["array-like", None],
        "properties": "no_validation",  # the names: _check_names
        "connectivity": [None, StrictInterval(Integral, 1, 3, closed="both")],
    },
    prefer_skip_nested_validation=True,
)
@fill_doc
def region_table(
    labels,
    images=None,
    properties=("label", "area", "centroid", "bbox"),
    *,
    connectivity=None,
):
    """Measure every object of a batch: one row per object, as a DataFrame.

    The table of ``skimage.measure.regionprops_table`` for each image of the
    batch, stacked, with an ``image`` column giving the position of the
    image in the batch.

    Parameters
    ----------
    labels : ndarray of shape (n_images, ...), list of ndarray or dask array
        Label images (integers: 0 is the background, each other id one
        object) or masks (bool, or float read as its nonzero pixels: each
        connected component is one object), 2D or 3D, such as the output
        of a segmentation pipeline.
    images : ndarray of shape (n_images, ...), list of ndarray, dask array \
            or None, default=None
        Intensity images of the same shapes as ``labels``, needed by the
        intensity properties (``"intensity_mean"``, ...).
    properties : tuple of str, default=("label", "area", "centroid", "bbox")
        Names of ``regionprops`` properties, current names only (such as
        ``"intensity_mean"`` and ``"area_filled"``, not the deprecated
        ``"mean_intensity"`` and ``"filled_area"``).  Properties with several
        values (``"centroid"``, ``"bbox"``, ``"moments_hu"``, ...) give one
        column each, named as ``regionprops_table`` names them
        (``"centroid-0"``, ``"centroid-1"``, ...).  Properties whose values
        are arrays of varying size (``"coords"``, ``"image"``, ...) are not
        accepted.
    %(connectivity)s
        Only used for masks.

    Returns
    -------
    table : pandas.DataFrame
        One row per object, image after image, objects in increasing id;
        the column ``image`` (int64) then the columns of the properties, of
        the dtypes ``regionprops_table`` gives (``label`` is int64, or uint64
        when a label image is uint64, so that no id wraps).

    Raises
    ------
    ImportError
        When pandas is not installed (``pip install 'sksegment[pandas]'``).

    See Also
    --------
    RegionFeatures : The properties aggregated per image, inside a pipeline.
    skimage.measure.regionprops_table : The table of one image.

    Notes
    -----
    ``"label"``, ``"area"``, ``"num_pixels"``, ``"area_bbox"``,
    ``"extent"``, ``"equivalent_diameter_area"``, ``"centroid"``,
    ``"bbox"``, ``"intensity_mean"``, ``"intensity_std"``,
    ``"intensity_min"``, ``"intensity_max"``, ``"intensity_median"`` and,
    in 2D, ``"eccentricity"``, ``"axis_major_length"`` and
    ``"axis_minor_length"`` are computed for all objects of an image at once
    from their pixels, in float64; they equal ``regionprops_table``'s
    values up to floating-point rounding.  The other properties are
    measured by ``regionprops_table`` itself.  Pixel spacing is 1.

    Dask arrays, chunked in any way (within images too), give the same
    table, computed by dask's scheduler: masks are labeled across chunks;
    the properties above but ``"intensity_median"`` are reduced chunk by
    chunk and merged per object; the others are measured on each object's
    crop, read from the arrays in a second computation (the steps that
    made ``labels`` then run again).  See :ref:`dask-region-tables`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment.features import region_table
    >>> labels = np.array([[[1, 1, 0, 0],
    ...                     [1, 1, 0, 2]],
    ...                    [[0, 0, 0, 0],
    ...                     [0, 3, 3, 0]]])
    >>> images = 10 * labels
    >>> region_table(labels, images, properties=("label", "area", "intensity_mean"))
       image  label  area  intensity_mean
    0      0      1   4.0            10.0
    1      0      2   1.0            20.0
    2      1      3   2.0            30.0
    """
    pd = import_optional("pandas", "region_table")
    caller = "region_table"
    properties = _check_names(caller, "properties", properties, _TABLE_PROPERTIES)
    needs_images = sorted(set(properties) & _INTENSITY_PROPERTIES)
    if images is None and needs_images:
        raise ValueError(
            f"{caller}: properties {needs_images} need intensity images; "
            f"pass images=..."
        )
    if _is_dask(labels) or _is_dask(images):
        tables = _dask_tables(labels, images, properties, connectivity, caller)
        return _table_frame(tables, properties, pd)
    batch = validate_batch(caller, labels, reset=False)
    if images is None:
        intensities = [None] * len(batch)
    else:
        intensities = validate_batch(caller, images, reset=False).images
        if len(intensities) != len(batch):
            raise ValueError(
                f"{caller}: got {len(batch)} label images but {len(intensities)} "
                f"intensity images."
            )
        for i, (lab, image) in enumerate(zip(batch.images, intensities)):
            if lab.shape != image.shape:
                raise ValueError(
                    f"{caller}: label image {i} has shape {lab.shape} but its "
                    f"intensity image has shape {image.shape}."
                )
    tables = []
    for i, (objects, image) in enumerate(zip(batch.images, intensities)):
        labels_i = _as_labels(objects, caller, connectivity)
        columns = _measure(labels_i, image, properties, caller, index=i)
        n = len(next(iter(columns.values())))
        tables.append({"image": np.full(n, i, dtype=np.int64), **columns})
    return _table_frame(tables, properties, pd)


def _table_frame(tables, properties, pd):
    """The DataFrame of the tables of the images (dicts of columns), stacked."""
    if "label" in properties and any(t["label"].dtype == np.uint64 for t in tables):
        for table in tables:  # int64 and uint64 together would become float64
            table["label"] = table["label"].astype(np.uint64)
    if any(table.keys() != tables[0].keys() for table in tables):
        # 2D and 3D images together: columns such as centroid-2 differ
        frames = [pd.DataFrame(table) for table in tables]
        return pd.concat(frames, ignore_index=True)
    return pd.DataFrame(
        {key: np.concatenate([table[key] for table in tables]) for key in tables[0]}
    )


# --- per-image features ---------------------------------------------------------


@fill_doc
class RegionFeatures(ImageStepMixin, TransformerMixin, BaseEstimator):
    """Segment images, measure their objects and aggregate per image.

    A meta-transformer that turns a batch of images into a feature matrix,
    one row per image, for a classifier or regressor that follows it in a
    pipeline.  ``fit`` clones and fits ``segmenter``; ``transform`` segments
    the images with it, measures the ``properties`` of every object (on the
    original images for intensity properties) and aggregates them per image:
    the number of objects, and the ``aggregations`` of each property.  The
    segmenter's parameters are nested parameters of this step, so a grid
    search over a whole pipeline tunes the segmentation for the downstream
    task (``"regionfeatures__segmenter__otsuthresholder__threshold"``).

    Parameters
    ----------
    segmenter : estimator
        Turns a batch of images into a batch of label images or masks of the
        same shapes, with ``fit`` and ``transform``: typically a pipeline of
        sksegment steps such as ``sks.make_pipeline(sks.OtsuThresholder(),
        sks.MorphCloser(), sks.BorderClearer(), sks.ComponentLabeler(),
        sks.AreaFilter(min_area=50))``.  Its output is read as in
        :class:`ComponentLabeler`: an integer image is a label image (each
        nonzero id one object), a mask (bool, or float read as its nonzero
        pixels) has its connected components labeled.  Required: there is no
        default segmentation.
    properties : tuple of str, default=("area", "eccentricity", \
            "intensity_mean")
        Scalar properties of ``skimage.measure.regionprops`` to measure, by
        their current names: ``"area"``, ``"area_bbox"``, ``"area_convex"``,
        ``"area_filled"``, ``"axis_major_length"``, ``"axis_minor_length"``,
        ``"eccentricity"``, ``"equivalent_diameter_area"``,
        ``"euler_number"``, ``"extent"``, ``"feret_diameter_max"``,
        ``"intensity_max"``, ``"intensity_mean"``, ``"intensity_median"``,
        ``"intensity_min"``, ``"intensity_std"``, ``"num_pixels"``,
        ``"orientation"``, ``"perimeter"``, ``"perimeter_crofton"``,
        ``"solidity"``.  ``"eccentricity"``, ``"orientation"``,
        ``"perimeter"`` and ``"perimeter_crofton"`` are defined for 2D
        images only.  May be empty when ``aggregations`` has ``"count"``.
    aggregations : tuple of str, default=("count", "mean", "std", "min", \
            "max")
        How the objects of an image are summarised: ``"count"`` is one
        feature, the number of objects; ``"sum"``, ``"mean"``, ``"std"``
        (population standard deviation, ``ddof=0``: 0 for a single object),
        ``"min"``, ``"max"`` and ``"median"`` apply to each property.
    fill_value : float, default=0.0
        The value of every aggregate but ``"count"`` for an image without
        objects (whose count is 0).  0 suits every estimator and, with the
        count feature, lets trees tell empty images apart; ``numpy.nan`` is
        the honest value, for estimators that handle missing values (such
        as ``HistGradientBoostingClassifier``).
    %(connectivity)s
        Only used when the segmenter gives masks.
    image_shape : tuple of int or None, default=None
        When set, ``X`` may be a 2D array of flattened images, one per row,
        each of this shape (one entry may be -1).
    n_jobs : int or None, default=None
        Number of threads measuring the images of a batch; None means 1, -1
        means all cores.  The result does not depend on it.  The
        segmenter's steps have their own ``n_jobs``.  Not used for a dask
        array, whose chunks dask's scheduler runs in parallel.

    Attributes
    ----------
    segmenter_ : estimator
        The fitted clone of ``segmenter``.
    %(n_features_in_)s

    See Also
    --------
    region_table : The measurements themselves, one row per object.
    skimage.measure.regionprops : The properties and their definitions.

    Notes
    -----
    The features are, in order: ``"count"`` (when in ``aggregations``),
    then for each property its aggregates in the order of
    ``aggregations``, named ``"<property>_<aggregation>"`` (``"area_mean"``,
    ``"area_std"``, ...); ``get_feature_names_out`` gives the names and
    ``set_output(transform="pandas")`` makes ``transform`` return a
    DataFrame with them.  The output is always a float64 array of shape
    ``(n_images, n_features)``, whatever the container of ``X`` (a lazy
    dask array for a dask array, see below).

    ``y`` is not passed to the segmenter: it is the target of the estimator
    that follows, not a segmentation.  Objects are the distinct nonzero ids
    of the segmenter's output; properties are measured as ``regionprops``
    does (see :func:`region_table` for the ones computed here, equal up to
    floating-point rounding).  A property whose value is NaN for an object
    makes that image's aggregates of it NaN.

    A dask array ``X`` gives a float64 dask array ``(n_images, n_features)``
    chunked along the images as ``X``; images split into chunks are measured
    as :func:`region_table` measures them (:ref:`dask-split-chunks`).  With
    ``set_output(transform="pandas")`` the features are computed and
    returned as a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> import sksegment as sks
    >>> from sksegment.features import RegionFeatures
    >>> images = np.zeros((2, 6, 8), dtype=np.uint8)
    >>> images[0, 1:3, 1:3] = 200
    >>> images[0, 3:5, 4:7] = 100
    >>> images[1, 2:4, 2:6] = 150
    >>> features = RegionFeatures(
    ...     sks.make_pipeline(sks.OtsuThresholder(), sks.ComponentLabeler()),
    ...     properties=("area", "intensity_mean"),
    ...     aggregations=("count", "mean", "max"),
    ... )
    >>> features.fit_transform(images)
    array([[  2.,   5.,   6., 150., 200.],
           [  1.,   8.,   8., 150., 150.]])
    >>> features.get_feature_names_out()
    array(['count', 'area_mean', 'area_max', 'intensity_mean_mean',
           'intensity_mean_max'], dtype=object)
    """

    _reads = "intensity"
    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "segmenter": [HasMethods(["fit", "transform"])],
        "properties": [list, tuple],
        "aggregations": [list, tuple],
        "fill_value": [
            StrictInterval(Real, None, None, closed="neither", allow_nan=True)
        ],
        "connectivity": [None, StrictInterval(Integral, 1, 3, closed="both")],
    }

    def __init__(
        self,
        segmenter,
        *,
        properties=("area", "eccentricity", "intensity_mean"),
        aggregations=("count", "mean", "std", "min", "max"),
        fill_value=0.0,
        connectivity=None,
        image_shape=None,
        n_jobs=None,
    ):
        self.segmenter = segmenter
        self.properties = properties
        self.aggregations = aggregations
        self.fill_value = fill_value
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _check_params(self):
        caller = type(self).__name__
        properties = _check_names(
            caller, "properties", self.properties, _SCALAR_PROPERTIES, allow_empty=True
        )
        aggregations = _check_names(
            caller, "aggregations", self.aggregations, _AGGREGATIONS
        )
        if not properties and "count" not in aggregations:
            raise InvalidParameterError(
                f"{caller} has no features to give: properties is empty and "
                f"aggregations={aggregations!r} has no 'count'."
            )
        return properties, aggregations

    def _feature_names(self):
        properties, aggregations = self._check_params()
        names = ["count"] if "count" in aggregations else []
        names += [
            f"{prop}_{agg}"
            for prop in properties
            for agg in aggregations
            if agg != "count"
        ]
        return names

    @staticmethod
    def _stated(batch):
        """Flattened rows reshaped by image_shape: no ChannelAxisWarning inside."""
        flat = batch.kind == "flat" or getattr(batch, "flat", False)  # dask rows
        return shape_stated() if flat else contextlib.nullcontext()

    def _on_split_chunks(self, batch):
        """Images split into chunks: objects measured as ``region_table`` does."""
        return Global(self._split_features)

    def _split_features(self, batch, segmented):
        """The features of a batch split within images, from its segmentation."""
        from sksegment._dask_regions import region_features

        return region_features(batch, segmented, self._rows())

    def _segmenter_input(self, X, batch):
        """The batch as the segmenter takes it: images, not flattened rows."""
        if batch.kind == "dask":
            return batch.array
        if batch.kind == "list":
            return batch.images
        if batch.kind == "flat":
            return np.stack(batch.images)
        return np.asarray(X)

    def _rows(self):
        properties, aggregations = self._check_params()
        return _Rows(
            type(self).__name__,
            properties,
            aggregations,
            self.fill_value,
            self.connectivity,
        )

    def _features(self, batch, segmented):
        """The feature matrix of the images of ``batch`` from their segmentation."""
        rows = self._rows()
        if batch.kind == "dask":
            return self._dask_features(batch, segmented, rows)
        if len(segmented) != len(batch):
            rows.wrong_length(len(segmented), len(batch))
        result = _run(
            lambda i: rows.row(batch.images[i], segmented[i], i),
            range(len(batch)),
            self.n_jobs,
        )
        return np.array(result, dtype=np.float64).reshape(len(batch), rows.n_features)

    def _dask_features(self, batch, segmented, rows):
        """The lazy feature matrix of a dask batch, one chunk of rows per chunk.

        Each chunk of rows is computed from the chunk of images and the
        matching chunk of the segmenter's output, by the in-memory code.  A
        DataFrame output (``set_output``) is in memory: the rows are then
        computed here.
        """
        import dask.array as da

        array = batch.array
        if not isinstance(segmented, da.Array):  # a segmenter that computed
            try:
                segmented = np.asarray(segmented)
            except ValueError:
                segmented = np.asarray(segmented, dtype=object)
        if segmented.ndim == 0 or len(segmented) != len(batch):
            rows.wrong_length(len(segmented) if segmented.ndim else 0, len(batch))
        if segmented.shape != array.shape or segmented.dtype.kind not in "biuf":
            rows.wrong_output(segmented, f"a batch of shape {array.shape}")
        if batch.whole_images:
            from sksegment._dask import map_rows

            features = map_rows(batch, segmented, rows.row, rows.n_features)
        else:  # objects measured over the chunks (computed for crop properties)
            plan = self._on_split_chunks(batch)
            if isinstance(plan, Global):  # the segmentation is made already
                plan = Global(partial(plan.build, segmented=segmented))
            features = batch.run_plan(plan, None)
        if _get_output_config("transform", self)["dense"] != "default":
            return features.compute()
        return features

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Clone and fit the segmenter on the images.

        Parameters
        ----------
        X : ndarray of shape (n_images, ...), list of ndarray or dask array
            The batch of images.  The segmenter is fitted on a dask array
            (its steps learn by reducing over the chunks, or say they
            cannot).
        y : array-like of shape (n_images,) or None, default=None
            Ignored (not passed to the segmenter); present for pipelines.

        Returns
        -------
        self : object
            The fitted step.
        """
        self._check_params()
        batch = self._validate_batch(X, reset=True)
        with self._stated(batch):
            self.segmenter_ = clone(self.segmenter).fit(self._segmenter_input(X, batch))
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Fit the segmenter and give the features of ``X``, segmenting it once.

        Parameters
        ----------
        X : ndarray of shape (n_images, ...), list of ndarray or dask array
            The batch of images (a dask array may be chunked within
            images).
        y : array-like of shape (n_images,) or None, default=None
            Ignored (not passed to the segmenter); present for pipelines.

        Returns
        -------
        features : ndarray or dask array of shape (n_images, n_features)
            The features of each image, float64; lazy for a dask array.
        """
        self._check_params()
        batch = self._validate_batch(X, reset=True)
        self.segmenter_ = clone(self.segmenter)
        with self._stated(batch):
            segmented = self.segmenter_.fit_transform(self._segmenter_input(X, batch))
        return self._features(batch, segmented)

    def transform(self, X):
        """Segment the images, measure their objects and aggregate per image.

        Parameters
        ----------
        X : ndarray of shape (n_images, ...), list of ndarray or dask array
            The batch of images; it is never modified.  A dask array may be
            chunked within images.

        Returns
        -------
        features : ndarray or dask array of shape (n_images, n_features)
            The features of each image, float64, named by
            ``get_feature_names_out``; for a dask array, a dask array
            chunked along the images as ``X`` (computed when the output is
            set to DataFrames with ``set_output``; see Notes).
        """
        self._check_ready()
        batch = self._validate_batch(X, reset=False)
        with self._stated(batch):
            segmented = self.segmenter_.transform(self._segmenter_input(X, batch))
        return self._features(batch, segmented)

    def get_feature_names_out(self, input_features=None):
        """Get the names of the features, in the order of ``transform``'s columns.

        Parameters
        ----------
        input_features : None
            Ignored: the features are measured on images, not derived from
            input columns.  Present for pipelines.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``"count"`` then ``"<property>_<aggregation>"``, in the order of
            the columns of ``transform``'s output.
        """
        check_is_fitted(self)
        return np.asarray(self._feature_names(), dtype=object)


class _Rows:
    """The feature rows of images from their segmentation.

    A small picklable object holding what the rows depend on, so that a
    dask graph carries it (and not the estimator) to the workers.
    """

    __slots__ = ("caller", "properties", "aggregations", "fill_value", "connectivity")

    def __init__(self, caller, properties, aggregations, fill_value, connectivity):
        self.caller = caller
        self.properties = properties
        self.aggregations = aggregations
        self.fill_value = fill_value
        self.connectivity = connectivity

    @property
    def n_features(self):
        n_reductions = sum(agg != "count" for agg in self.aggregations)
        return ("count" in self.aggregations) + len(self.properties) * n_reductions

    def wrong_length(self, n_results, n_images):
        raise ValueError(
            f"{self.caller}: the segmenter gave {n_results} results for "
            f"{n_images} images; it must give one label image or mask per image."
        )

    def wrong_output(self, result, given):
        raise ValueError(
            f"{self.caller}: the segmenter gave an array of shape {result.shape} "
            f"and dtype {result.dtype} for {given}; it must give a label image or "
            "mask of the image's shape for every image (end it with a step such "
            "as ComponentLabeler)."
        )

    def row(self, image, objects, index):
        """The features of one image from its label image or mask."""
        caller = self.caller
        objects = np.asarray(objects)
        if objects.shape != image.shape or objects.dtype.kind not in "biuf":
            self.wrong_output(objects, f"image {index} of shape {image.shape}")
        labels = _as_labels(objects, caller, self.connectivity)
        columns = _measure(labels, image, self.properties, caller, index=index)
        n = (
            len(next(iter(columns.values())))
            if columns
            else _kernels.count_labels(labels)
        )
        return self.from_columns(columns, n)

    def from_columns(self, columns, n):
        """The features of one image from its objects' columns and count ``n``."""
        count = "count" in self.aggregations
        reductions = [_AGGREGATE[agg] for agg in self.aggregations if agg != "count"]
        row = np.full(self.n_features, self.fill_value, dtype=np.float64)
        if count:
            row[0] = n
        if n:
            values = [np.asarray(columns[p], dtype=np.float64) for p in self.properties]
            row[count:] = [f(v) for v in values for f in reductions]
        return row

    def __dask_tokenize__(self):
        return (
            "sksegment-region-features",
            self.caller,
            self.properties,
            self.aggregations,
            self.fill_value,
            self.connectivity,
        )
