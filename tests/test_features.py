import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from skimage.measure import label, regionprops, regionprops_table
from skimage.measure._regionprops import COL_DTYPES, OBJECT_COLUMNS, PROPS
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import sksegment as sks
from sksegment import features as features_module
from sksegment._kernels.regions import fast_properties
from sksegment.datasets import make_objects
from sksegment.features import RegionFeatures, region_table

pd = pytest.importorskip("pandas")

# Every property RegionFeatures and region_table compute without regionprops.
FAST_ND = sorted(fast_properties(3) - {"label"})
FAST = sorted(fast_properties(2) - {"label"})
SLOW_2D = ["area_filled", "euler_number", "orientation", "perimeter", "solidity"]


def segmenter(threshold=None, min_area=20):
    return sks.make_pipeline(
        sks.OtsuThresholder(threshold),
        sks.MorphCloser(),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=min_area),
    )


@pytest.fixture(scope="module")
def data():
    return make_objects(
        n_images=6, shape=(96, 96), n_objects=(2, 6), radius=(5, 9), random_state=0
    )


@pytest.fixture(scope="module")
def classes():
    return make_objects(
        n_images=24, shape=(96, 96), n_objects=(3, 6), classes=2, random_state=0
    )


def _intensity(image, dtype):
    if dtype is bool:
        return image > 128
    if np.dtype(dtype).kind == "f":
        return (image / 7.3).astype(dtype)
    return image.astype(dtype)


def _reference_table(labels, images, properties):
    """regionprops_table of each image, stacked, with the image column."""
    frames = []
    for i, lab in enumerate(labels):
        image = None if images is None else images[i]
        table = regionprops_table(lab, image, properties=properties)
        frame = pd.DataFrame(table)
        frame.insert(0, "image", np.full(len(frame), i, dtype=np.int64))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _assert_tables_equal(got, expected, rtol=1e-10):
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for column in expected.columns:
        assert got[column].dtype == expected[column].dtype, column
        np.testing.assert_allclose(
            got[column].to_numpy(),
            expected[column].to_numpy(),
            rtol=rtol,
            atol=1e-7,
            err_msg=column,
        )


# --- the property names ------------------------------------------------------------


def test_property_names_are_scikit_image_current_names():
    table = features_module._TABLE_PROPERTIES
    assert table == set(COL_DTYPES) - set(OBJECT_COLUMNS)
    deprecated = set(PROPS) - set(PROPS.values())
    assert not deprecated & table
    assert {"intensity_mean", "area_filled", "eccentricity"} <= table
    assert "mean_intensity" not in table and "filled_area" not in table
    scalar = features_module._SCALAR_PROPERTIES
    assert scalar == table - features_module._MULTI_VALUED - {"label"}


def test_scalar_and_multi_valued_properties_are_what_regionprops_gives():
    labels = np.zeros((9, 9), dtype=np.int32)
    labels[2:7, 3:6] = 1
    labels[4, 6] = 1
    image = np.arange(81, dtype=np.float64).reshape(9, 9)
    region = regionprops(labels, image)[0]
    for name in features_module._SCALAR_PROPERTIES:
        assert np.ndim(region[name]) == 0, name
    for name in features_module._MULTI_VALUED:
        assert np.size(region[name]) > 1, name
    region_3d = regionprops(np.ones((3, 3, 3), dtype=np.int32))[0]
    for name in sorted(features_module._PROPERTIES_2D_ONLY):
        if name in features_module._INTENSITY_PROPERTIES:
            continue
        with pytest.raises(NotImplementedError):
            region_3d[name]


# --- region_table ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32, bool])
def test_region_table_equals_regionprops_table(data, dtype):
    images = np.stack([_intensity(image, dtype) for image in data.images])
    properties = ["label", *FAST, *SLOW_2D]
    got = region_table(data.labels, images, properties=properties)
    expected = _reference_table(data.labels, images, properties)
    rtol = 1e-6 if dtype == np.float32 else 1e-10
    _assert_tables_equal(got, expected, rtol=rtol)
    assert got["image"].tolist() == sorted(got["image"].tolist())
    assert np.bincount(got["image"], minlength=6).tolist() == data.counts.tolist()


def test_region_table_equals_regionprops_table_in_3d():
    rng = np.random.default_rng(0)
    labels = np.zeros((2, 12, 14, 10), dtype=np.int32)
    labels[0, 1:5, 2:8, 3:6] = 1
    labels[0, 6:11, 9:13, 1:9] = 2
    labels[0, 7, 2, 2] = 5  # a single voxel, ids not consecutive
    labels[1, 2:9, 3:5, 4:5] = 3  # flat in one axis
    images = rng.integers(0, 4000, size=labels.shape).astype(np.uint16)
    properties = ["label", *FAST_ND, "axis_major_length", "euler_number"]
    got = region_table(labels, images, properties=properties)
    expected = _reference_table(labels, images, properties)
    _assert_tables_equal(got, expected)
    assert [c for c in got.columns if c.startswith("centroid")] == [
        "centroid-0",
        "centroid-1",
        "centroid-2",
    ]


def test_region_table_sparse_and_large_ids():
    labels = np.zeros((3, 10, 12), dtype=np.int64)
    labels[0, 1:4, 1:5] = 7
    labels[0, 6:9, 2:3] = 3
    labels[0, 5, 8:11] = 10**5  # sparse: far more ids than pixels
    labels[1, 2:5, 2:5] = 1
    labels[2, 0, 0] = 2
    images = np.arange(labels.size, dtype=np.float64).reshape(labels.shape) % 17
    properties = ["label", *FAST, *SLOW_2D]
    expected = _reference_table(labels, images, properties)
    got = region_table(labels, images, properties=properties)
    _assert_tables_equal(got, expected)
    assert got["label"].tolist() == [3, 7, 10**5, 1, 2]
    # ids too large for regionprops (it allocates one entry per id up to the
    # largest) are measured all the same
    huge = np.where(labels == 10**5, 2**40, labels)
    expected["label"] = expected["label"].replace(10**5, 2**40)
    _assert_tables_equal(region_table(huge, images, properties=properties), expected)
    unsigned = huge.astype(np.uint64)
    got = region_table(unsigned, images, properties=properties)
    assert got["label"].tolist() == [3, 7, 2**40, 1, 2]
    _assert_tables_equal(got.drop(columns="label"), expected.drop(columns="label"))


def test_region_table_single_pixels_and_lines():
    # inertia 0 (single pixels), one eigenvalue 0 (lines), discs
    labels = np.zeros((1, 16, 16), dtype=np.int32)
    labels[0, 1, 1] = 1
    labels[0, 3, 2:9] = 2
    labels[0, 5:12, 12] = 3
    for k in range(5):
        labels[0, 6 + k, 2 + k] = 4
    labels[0, 10:15, 4:9] = 5
    properties = ["eccentricity", "axis_major_length", "axis_minor_length", "extent"]
    got = region_table(labels, properties=properties)
    expected = _reference_table(labels, None, properties)
    _assert_tables_equal(got, expected)
    assert got["eccentricity"].tolist()[:4] == [0.0, 1.0, 1.0, 1.0]


def test_region_table_reads_masks_as_components():
    mask = np.zeros((1, 8, 8), dtype=bool)
    mask[0, 1:3, 1:3] = True
    mask[0, 3:5, 3:5] = True  # touches the first one diagonally
    mask[0, 6, 6] = True
    full = region_table(mask)
    assert len(full) == 2
    faces = region_table(mask, connectivity=1)
    assert len(faces) == 3
    expected = _reference_table(label(mask, connectivity=1), None, ["label", "area"])
    _assert_tables_equal(
        region_table(mask, properties=("label", "area"), connectivity=1), expected
    )
    # a float image is the mask of its nonzero pixels
    floats = region_table(mask.astype(np.float64), properties=("area",))
    assert floats["area"].tolist() == [8.0, 1.0]


def test_region_table_images_without_objects():
    labels = np.zeros((3, 6, 7), dtype=np.int32)
    labels[1, 2:4, 2:5] = 4
    images = np.ones(labels.shape, dtype=np.uint8)
    properties = ("label", "area", "centroid", "bbox", "intensity_mean", "solidity")
    table = region_table(labels, images, properties=properties)
    assert table["image"].tolist() == [1]
    assert table["label"].tolist() == [4]
    empty = region_table(np.zeros((2, 6, 7), dtype=np.int32), images[:2], properties)
    assert len(empty) == 0
    expected = _reference_table(np.zeros((1, 6, 7), np.int32), images[:1], properties)
    assert list(empty.columns) == list(expected.columns)


def test_region_table_ragged_list(data):
    labels = [data.labels[0], data.labels[1][:60, :80]]
    images = [data.images[0], data.images[1][:60, :80]]
    properties = ["label", "area", "bbox", "intensity_max"]
    got = region_table(labels, images, properties=properties)
    _assert_tables_equal(got, _reference_table(labels, images, properties))


def test_region_table_2d_and_3d_images_together():
    flat = np.zeros((6, 6), dtype=np.int32)
    flat[1:3, 1:4] = 1
    volume = np.zeros((4, 5, 6), dtype=np.int32)
    volume[1:3, 1:4, 2:5] = 2
    table = region_table([flat, volume], properties=("label", "area", "centroid"))
    assert list(table.columns) == [
        "image",
        "label",
        "area",
        "centroid-0",
        "centroid-1",
        "centroid-2",
    ]
    assert table["label"].tolist() == [1, 2]
    assert table["area"].tolist() == [6.0, 18.0]
    assert np.isnan(table["centroid-2"][0]) and table["centroid-2"][1] == 3.0


def test_region_table_does_not_modify_its_input(data):
    labels, images = data.labels.copy(), data.images.copy()
    region_table(labels, images, properties=["label", *FAST])
    np.testing.assert_array_equal(labels, data.labels)
    np.testing.assert_array_equal(images, data.images)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(properties=("area", "mean_intensity")),
            InvalidParameterError,
            r"unknown names 'mean_intensity'; valid names are \{'area', 'area_bbox'",
        ),
        (
            dict(properties=("coords",)),
            InvalidParameterError,
            r"unknown names 'coords'.*'intensity_mean'",
        ),
        (
            dict(properties="area"),
            InvalidParameterError,
            r"must be a list or tuple of names among",
        ),
        (dict(properties=("area", "area")), InvalidParameterError, r"twice"),
        (dict(properties=()), InvalidParameterError, r"must not be empty"),
        (
            dict(properties=("intensity_mean",)),
            ValueError,
            r"\['intensity_mean'\] need intensity images",
        ),
        (dict(connectivity=4), InvalidParameterError, r"'connectivity'.*Got 4"),
    ],
)
def test_region_table_rejects_bad_arguments(kwargs, error, match):
    labels = np.ones((1, 4, 4), dtype=np.int32)
    with pytest.raises(error, match=match):
        region_table(labels, **kwargs)


def test_region_table_rejects_bad_inputs():
    labels = np.ones((2, 4, 4), dtype=np.int32)
    with pytest.raises(ValueError, match=r"region_table expects a batch of images"):
        region_table(labels[0])
    with pytest.raises(ValueError, match=r"2 label images but 1 intensity images"):
        region_table(labels, labels[:1])
    with pytest.raises(ValueError, match=r"label image 1 has shape \(4, 4\) but"):
        region_table(list(labels), [labels[0], labels[1, :3]])
    with pytest.raises(ValueError, match=r"ids >= 0"):
        region_table(-labels)
    with pytest.raises(ValueError, match=r"'eccentricity'\] are defined for 2D"):
        region_table(np.ones((1, 3, 3, 3), np.int32), properties=("eccentricity",))


def test_region_table_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"sksegment\[pandas\]"):
        region_table(np.ones((1, 4, 4), dtype=np.int32))


# --- RegionFeatures: values ----------------------------------------------------------


def _aggregate_by_hand(labels, images, properties, aggregations, fill_value=0.0):
    """regionprops_table per image, aggregated with pandas (std with ddof=0)."""
    table = _reference_table(labels, images, list(properties))
    funcs = {
        "sum": "sum",
        "mean": "mean",
        "std": lambda v: v.std(ddof=0),
        "min": "min",
        "max": "max",
        "median": "median",
    }
    grouped = table.groupby("image")
    columns = {}
    if "count" in aggregations:
        columns["count"] = grouped.size()
    for prop in properties:
        for agg in aggregations:
            if agg != "count":
                columns[f"{prop}_{agg}"] = grouped[prop].agg(funcs[agg])
    frame = pd.DataFrame(columns).reindex(range(len(labels)))
    if "count" in frame:
        frame["count"] = frame["count"].fillna(0)
    return frame.fillna(fill_value).astype(np.float64)


@pytest.mark.parametrize(
    "properties, aggregations",
    [
        (
            ("area", "eccentricity", "intensity_mean"),
            ("count", "mean", "std", "min", "max"),
        ),
        (
            ("solidity", "intensity_std", "perimeter", "num_pixels"),
            ("median", "sum", "count", "max"),
        ),
        (("intensity_median", "extent"), ("mean",)),
    ],
)
def test_features_equal_regionprops_aggregated_by_hand(data, properties, aggregations):
    step = RegionFeatures(
        segmenter(), properties=properties, aggregations=aggregations
    ).fit(data.images)
    features = step.transform(data.images)
    labels = step.segmenter_.transform(data.images)
    expected = _aggregate_by_hand(labels, data.images, properties, aggregations)
    assert features.dtype == np.float64
    assert features.shape == expected.shape
    assert step.get_feature_names_out().tolist() == list(expected.columns)
    np.testing.assert_allclose(features, expected.to_numpy(), rtol=1e-10, atol=1e-9)


def test_default_features_and_names(data):
    step = RegionFeatures(segmenter())
    features = step.fit_transform(data.images)
    names = step.get_feature_names_out()
    assert names.dtype == object
    assert names.tolist() == [
        "count",
        *(
            f"{p}_{a}"
            for p in ("area", "eccentricity", "intensity_mean")
            for a in ("mean", "std", "min", "max")
        ),
    ]
    assert features.shape == (6, 13)
    # the count is what ObjectCounter finds in the segmentation
    labels = step.segmenter_.transform(data.images)
    np.testing.assert_array_equal(features[:, 0], sks.ObjectCounter().predict(labels))
    np.testing.assert_array_equal(features[:, 0], data.counts)
    # intensities are measured on the original images, not on the labels
    assert (features[:, names.tolist().index("intensity_mean_min")] >= 130).all()


def test_count_only(data):
    step = RegionFeatures(segmenter(), properties=(), aggregations=("count",))
    np.testing.assert_array_equal(
        step.fit_transform(data.images), data.counts[:, None].astype(float)
    )
    assert step.get_feature_names_out().tolist() == ["count"]


def test_fit_transform_equals_fit_then_transform(data):
    step = RegionFeatures(segmenter(), aggregations=("count", "median", "std"))
    a = clone(step).fit_transform(data.images)
    b = clone(step).fit(data.images).transform(data.images)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fill_value", [0.0, -1.0, np.nan])
def test_images_without_objects(data, fill_value):
    images = data.images.copy()
    images[2] = 30  # nothing above the threshold
    step = RegionFeatures(segmenter(threshold=130), fill_value=fill_value)
    features = step.fit_transform(images)
    assert features[2, 0] == 0
    np.testing.assert_array_equal(features[2, 1:], np.full(12, fill_value))
    others = np.delete(features, 2, axis=0)
    assert np.isfinite(others).all() and (others[:, 0] > 0).all()
    if fill_value == 0.0:  # the default
        assert RegionFeatures(segmenter()).fill_value == 0.0


def test_nan_fill_value_with_an_estimator_that_handles_it(classes):
    images = classes.images.copy()
    images[::4] = 30
    model = make_pipeline(
        RegionFeatures(segmenter(threshold=130), fill_value=np.nan),
        HistGradientBoostingClassifier(max_iter=5),
    )
    model.fit(images, classes.target)
    assert np.isnan(model[0].transform(images[:1])).sum() == 12
    assert model.predict(images).shape == (24,)


def test_single_object_has_zero_std():
    images = np.zeros((1, 16, 16), dtype=np.uint8)
    images[0, 5:8, 6:10] = 200
    features = RegionFeatures(segmenter(min_area=1)).fit_transform(images)
    named = dict(
        zip(
            RegionFeatures(segmenter()).fit(images).get_feature_names_out(), features[0]
        )
    )
    assert named["count"] == 1
    assert named["area_std"] == 0.0 and named["area_mean"] == 12.0
    assert named["intensity_mean_mean"] == 200.0


def test_segmenter_ending_in_masks_is_labeled():
    images = np.zeros((1, 8, 8), dtype=np.uint8)
    images[0, 1:3, 1:3] = 200
    images[0, 3:5, 3:5] = 200  # touches the first square diagonally
    masks = sks.make_pipeline(sks.OtsuThresholder())
    full = RegionFeatures(masks, properties=("area",), aggregations=("count", "max"))
    np.testing.assert_array_equal(full.fit_transform(images), [[1, 8]])
    faces = clone(full).set_params(connectivity=1)
    np.testing.assert_array_equal(faces.fit_transform(images), [[2, 4]])


@pytest.fixture(scope="module")
def volumes():
    """Three noisy 3D images with 2, 1 and 0 bright boxes, and their segmenter."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 40, size=(3, 10, 12, 12)).astype(np.uint8)
    images[0, 2:5, 2:6, 3:7] = 200
    images[0, 6:9, 7:10, 2:5] = 180
    images[1, 3:7, 3:7, 3:7] = 220
    return images, sks.make_pipeline(sks.OtsuThresholder(100), sks.ComponentLabeler())


def test_3d_images(volumes):
    images, seg = volumes
    properties = ("area", "intensity_mean", "area_filled", "extent")
    step = RegionFeatures(seg, properties=properties, aggregations=("count", "mean"))
    features = step.fit_transform(images)
    labels = step.segmenter_.transform(images)
    expected = _aggregate_by_hand(labels, images, properties, ("count", "mean"))
    np.testing.assert_allclose(features, expected.to_numpy())
    np.testing.assert_array_equal(features[:, 0], [2, 1, 0])
    with pytest.raises(ValueError, match=r"\['eccentricity'\] are defined for 2D"):
        RegionFeatures(seg).fit_transform(images)


# --- RegionFeatures: batches ---------------------------------------------------------


def test_list_and_ragged_batches(data):
    step = RegionFeatures(segmenter(threshold=130)).fit(data.images)
    full = step.transform(data.images)
    np.testing.assert_array_equal(step.transform(list(data.images)), full)
    ragged = [data.images[0], data.images[1][:70, :90], data.images[2][5:, :]]
    got = step.transform(ragged)
    assert isinstance(got, np.ndarray) and got.shape == (3, 13)
    for row, image in zip(got, ragged):
        np.testing.assert_array_equal(row, step.transform([image])[0])
    np.testing.assert_array_equal(got[0], full[0])


def test_results_do_not_depend_on_n_jobs_or_batching(data):
    step = RegionFeatures(segmenter(), aggregations=("count", "mean", "median"))
    one = clone(step).fit_transform(data.images)
    threaded = clone(step).set_params(n_jobs=2).fit_transform(data.images)
    np.testing.assert_array_equal(one, threaded)
    fitted = clone(step).fit(data.images)
    rows = np.vstack([fitted.transform(image[None]) for image in data.images])
    np.testing.assert_array_equal(rows, one)


def test_input_is_not_modified(data):
    images = data.images.copy()
    step = RegionFeatures(segmenter())
    step.fit_transform(images)
    step.transform(list(images))
    np.testing.assert_array_equal(images, data.images)


def test_flattened_images(data):
    flat = data.images.reshape(6, -1)
    step = RegionFeatures(segmenter(threshold=130), image_shape=(96, -1))
    expected = RegionFeatures(segmenter(threshold=130)).fit_transform(data.images)
    np.testing.assert_array_equal(step.fit_transform(flat), expected)
    assert step.n_features_in_ == 96 * 96
    with pytest.raises(ValueError, match="features"):
        step.transform(flat[:, :-96])


def test_y_is_not_passed_to_the_segmenter(data):
    class Recorder(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            self.y_ = y
            return self

        def transform(self, X):
            return np.asarray(X) > 130

    step = RegionFeatures(Recorder()).fit(data.images, data.counts)
    assert step.segmenter_.y_ is None
    assert step.segmenter is not step.segmenter_
    assert not hasattr(step.segmenter, "y_")


# --- RegionFeatures: errors ---------------------------------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        (
            dict(properties=("area", "roundness")),
            r"'properties' parameter of RegionFeatures got unknown names 'roundness'; "
            r"valid names are \{'area', 'area_bbox', 'area_convex'.*'solidity'\}",
        ),
        (dict(properties=("centroid",)), r"unknown names 'centroid'"),
        (dict(properties=("label",)), r"unknown names 'label'"),
        (dict(properties=("mean_intensity",)), r"unknown names 'mean_intensity'"),
        (
            dict(aggregations=("count", "var")),
            r"unknown names 'var'; valid names are \{'count', 'max', 'mean', 'median', "
            r"'min', 'std', 'sum'\}",
        ),
        (dict(aggregations=()), r"'aggregations'.*must not be empty"),
        (dict(properties=(), aggregations=("mean",)), r"no features to give"),
        (dict(properties=("area", "area")), r"lists a name twice"),
        (dict(properties="area"), r"'properties' parameter.*must be an instance"),
        (dict(segmenter=sks.ObjectCounter()), r"'segmenter' parameter"),
        (dict(fill_value="zero"), r"'fill_value' parameter"),
        (dict(connectivity=0), r"'connectivity' parameter"),
    ],
)
def test_bad_parameters_are_reported(data, params, match):
    step = RegionFeatures(segmenter()).set_params(**params)
    with pytest.raises(InvalidParameterError, match=match):
        step.fit(data.images)


def test_not_fitted(data):
    step = RegionFeatures(segmenter())
    with pytest.raises(NotFittedError):
        step.transform(data.images)
    with pytest.raises(NotFittedError):
        step.get_feature_names_out()


def test_segmenter_output_must_be_images_of_the_input_shape(data):
    from sklearn.preprocessing import FunctionTransformer

    crop = FunctionTransformer(lambda X: np.asarray(X)[:, 1:] > 100)
    with pytest.raises(ValueError, match=r"segmenter gave an array of shape \(95, 96"):
        RegionFeatures(crop).fit_transform(data.images)
    fewer = FunctionTransformer(lambda X: np.asarray(X)[1:] > 100)
    with pytest.raises(ValueError, match=r"gave 5 results for 6 images"):
        RegionFeatures(fewer).fit_transform(data.images)


def test_bad_images_are_reported(data):
    step = RegionFeatures(segmenter()).fit(data.images)
    with pytest.raises(ValueError, match=r"RegionFeatures expects a batch of images"):
        step.transform(data.images[0])
    with pytest.raises(ValueError, match=r"RegionFeatures got NaN"):
        step.transform(np.full((1, 8, 8), np.nan))


# --- RegionFeatures in scikit-learn ----------------------------------------------


def test_pandas_output_has_the_feature_names(data):
    step = RegionFeatures(segmenter()).set_output(transform="pandas")
    frame = step.fit_transform(data.images)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == step.get_feature_names_out().tolist()
    np.testing.assert_array_equal(
        frame.to_numpy(),
        clone(step).set_output(transform="default").fit_transform(data.images),
    )
    assert isinstance(step.transform(list(data.images)), pd.DataFrame)


def test_pandas_output_inside_a_pipeline(data):
    import sklearn

    model = make_pipeline(RegionFeatures(segmenter()), StandardScaler())
    model.set_output(transform="pandas")
    frame = model.fit_transform(data.images)
    assert list(frame.columns) == model[0].get_feature_names_out().tolist()
    assert model.get_feature_names_out().tolist() == list(frame.columns)
    with sklearn.config_context(transform_output="pandas"):
        frame = RegionFeatures(segmenter()).fit_transform(data.images)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (6, 13)


def test_nested_parameters_are_exposed():
    step = RegionFeatures(segmenter())
    params = step.get_params(deep=True)
    assert "segmenter__otsuthresholder__threshold" in params
    assert "segmenter__areafilter__min_area" in params
    step.set_params(segmenter__otsuthresholder__threshold=120)
    assert step.segmenter.named_steps["otsuthresholder"].threshold == 120
    model = make_pipeline(step, RandomForestClassifier())
    assert "regionfeatures__segmenter__morphcloser__size" in model.get_params()


def test_grid_search_tunes_the_segmentation_for_the_classifier(classes):
    model = make_pipeline(
        RegionFeatures(segmenter(), properties=("area", "axis_major_length")),
        RandomForestClassifier(n_estimators=20, random_state=0),
    )
    grid = {
        "regionfeatures__segmenter__otsuthresholder__threshold": [40, 130],
        "randomforestclassifier__max_depth": [2, None],
    }
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(model, grid, cv=cv).fit(classes.images, classes.target)
    assert (
        search.best_params_["regionfeatures__segmenter__otsuthresholder__threshold"]
        == 130
    )
    scores = search.cv_results_["mean_test_score"]
    thresholds = search.cv_results_[
        "param_regionfeatures__segmenter__otsuthresholder__threshold"
    ]
    good = scores[np.asarray(thresholds) == 130]
    bad = scores[np.asarray(thresholds) == 40]
    assert good.min() >= 0.9 and bad.max() <= 0.7
    # the threshold searched is the one the fitted segmenter uses
    fitted = search.best_estimator_[0].segmenter_
    assert fitted.named_steps["otsuthresholder"].threshold_ == 130
    assert search.score(classes.images, classes.target) >= 0.9


def test_cross_val_score_with_a_list_of_images(classes):
    model = sks.make_pipeline(
        RegionFeatures(segmenter(threshold=130), properties=("area",)),
        RandomForestClassifier(n_estimators=20, random_state=0),
    )
    scores = cross_val_score(model, list(classes.images), classes.target, cv=3)
    assert scores.shape == (3,) and scores.mean() >= 0.9


def test_clone_and_pickle(data):
    step = RegionFeatures(segmenter(threshold=125), aggregations=("count", "max"))
    cloned = clone(step)
    assert cloned.get_params()["segmenter__otsuthresholder__threshold"] == 125
    assert cloned.segmenter is not step.segmenter
    assert not hasattr(cloned, "segmenter_")
    fitted = step.fit(data.images)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(
        restored.transform(data.images), fitted.transform(data.images)
    )
    assert restored.get_feature_names_out().tolist() == (
        fitted.get_feature_names_out().tolist()
    )


def test_fitted_pipeline_predicts_identically_in_a_fresh_process(classes, tmp_path):
    joblib = pytest.importorskip("joblib")
    model = make_pipeline(
        RegionFeatures(segmenter(threshold=130)),
        RandomForestClassifier(n_estimators=10, random_state=0),
    ).fit(classes.images, classes.target)
    joblib.dump(model, tmp_path / "model.joblib")
    np.save(tmp_path / "images.npy", classes.images)
    np.save(tmp_path / "expected.npy", model.predict_proba(classes.images))
    code = textwrap.dedent(
        f"""
        import joblib
        import numpy as np
        model = joblib.load({str(tmp_path / "model.joblib")!r})
        images = np.load({str(tmp_path / "images.npy")!r})
        expected = np.load({str(tmp_path / "expected.npy")!r})
        np.testing.assert_array_equal(model.predict_proba(images), expected)
        print(type(model[0]).__module__, model.predict(images[:4]).tolist())
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(sks.__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    module, predictions = result.stdout.split(" ", 1)
    assert module == "sksegment.features"
    assert predictions.strip() == str(model.predict(classes.images[:4]).tolist())


# --- dask -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def da():
    return pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def small():
    return make_objects(
        5, (40, 50), n_objects=(2, 5), radius=(5, 7), min_gap=2, random_state=0
    )


@pytest.mark.parametrize("chunks", [(1, -1, -1), (2, -1, -1), (3, -1, -1)])
def test_dask_features_equal_in_memory(da, small, chunks):
    images = small.images.copy()
    step = RegionFeatures(segmenter(min_area=5), aggregations=("count", "mean", "max"))
    expected = clone(step).fit_transform(images)
    assert expected[:, 0].tolist() == [1, 3, 5, 2, 5]  # objects were found
    Xd = da.from_array(images, chunks=chunks)
    for features in (
        clone(step).fit_transform(Xd),
        clone(step).fit(Xd).transform(Xd),
        clone(step).fit(images).transform(Xd),
        clone(step).set_params(n_jobs=-1).fit(Xd).transform(Xd),
    ):
        assert isinstance(features, da.Array)
        assert features.dtype == np.float64 and features.shape == (5, 7)
        assert features.chunks == (Xd.chunks[0], (7,))  # chunked like the images
        computed = features.compute()
        assert computed.dtype == np.float64
        np.testing.assert_array_equal(computed, expected)
    # the graph pickles (for distributed schedulers) and the input is untouched
    restored = pickle.loads(pickle.dumps(features))
    np.testing.assert_array_equal(restored.compute(), expected)
    np.testing.assert_array_equal(images, small.images)


def test_dask_fit_learns_what_in_memory_fit_learns(da, small):
    from skimage.filters import threshold_otsu

    X = small.images
    Xd = da.from_array(X, chunks=(2, -1, -1))
    on_dask = RegionFeatures(segmenter()).fit(Xd)
    in_memory = RegionFeatures(segmenter()).fit(X)
    learned = on_dask.segmenter_.named_steps["otsuthresholder"].threshold_
    assert learned == in_memory.segmenter_.named_steps["otsuthresholder"].threshold_
    assert learned == threshold_otsu(X)
    assert on_dask.segmenter is not on_dask.segmenter_
    assert on_dask.get_feature_names_out().tolist() == (
        in_memory.get_feature_names_out().tolist()
    )


def test_dask_transform_is_lazy(da, small):
    computed = []

    def record(block):
        computed.append(len(block))
        return block

    X = small.images
    Xd = da.from_array(X, chunks=(2, -1, -1)).map_blocks(record, dtype=X.dtype)
    step = RegionFeatures(segmenter()).fit(Xd)  # fitting reads the pixels
    assert computed
    computed.clear()
    features = step.transform(Xd)
    fitted = RegionFeatures(segmenter()).fit(X)
    assert computed == []  # nothing computed to build the graph
    np.testing.assert_array_equal(features.compute(), fitted.transform(X))
    assert sorted(computed) == [1, 2, 2]  # each chunk of images read once


def test_dask_3d_images(da, volumes):
    images, seg = volumes
    step = RegionFeatures(seg, properties=("area", "intensity_mean"))
    expected = clone(step).fit_transform(images)
    features = clone(step).fit_transform(da.from_array(images, chunks=(2, -1, -1, -1)))
    assert isinstance(features, da.Array) and features.chunks == ((2, 1), (9,))
    np.testing.assert_array_equal(features.compute(), expected)
    np.testing.assert_array_equal(expected[:, 0], [2, 1, 0])
    # errors found when a chunk is computed name the image's place in the batch
    flat_only = RegionFeatures(seg, properties=("area", "eccentricity"))
    features = flat_only.fit_transform(da.from_array(images, chunks=(1, -1, -1, -1)))
    with pytest.raises(ValueError, match=r"2D images only.*\(image 2 of the batch\)"):
        features[2:].compute()


@pytest.mark.parametrize(
    "shape, chunks",
    [
        ((3, 40, 50), (1, 20, 50)),
        ((3, 40, 50), (3, 40, 25)),
        ((2, 6, 8, 8), (1, 6, 4, 8)),
    ],
)
def test_dask_chunks_within_images_equal_in_memory(da, small, shape, chunks):
    X = np.zeros(shape, dtype=np.uint8)
    X[(slice(None),) + (slice(2, 5),) * (len(shape) - 1)] = 200
    X[(0,) + (slice(1, -1),) * (len(shape) - 1)] = 150  # one object across chunks
    Xd = da.from_array(X, chunks=chunks)
    step = RegionFeatures(
        sks.make_pipeline(sks.OtsuThresholder(100)), properties=("area",)
    )
    expected = clone(step).fit_transform(X)
    for features in (clone(step).fit_transform(Xd), clone(step).fit(X).transform(Xd)):
        assert isinstance(features, da.Array)
        assert features.chunks == (Xd.chunks[0], (expected.shape[1],))
        np.testing.assert_allclose(features.compute(), expected, rtol=1e-9)


def test_dask_pandas_output_is_computed_into_a_dataframe(da, small):
    import sklearn

    X = small.images
    Xd = da.from_array(X, chunks=(2, -1, -1))
    expected = RegionFeatures(segmenter()).fit_transform(X)
    step = RegionFeatures(segmenter()).set_output(transform="pandas")
    for frame in (step.fit_transform(Xd), step.transform(Xd)):
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.columns) == step.get_feature_names_out().tolist()
        assert (frame.dtypes == np.float64).all()
        assert frame.index.tolist() == list(range(5))
        np.testing.assert_array_equal(frame.to_numpy(), expected)
    with sklearn.config_context(transform_output="pandas"):
        frame = RegionFeatures(segmenter()).fit_transform(Xd)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (5, 13)
    # the default output stays lazy
    assert isinstance(step.set_output(transform="default").transform(Xd), da.Array)


def test_dask_pipeline_and_grid_search_equal_in_memory(da, classes):
    X = classes.images[:12]
    y = classes.target[:12]
    Xd = da.from_array(X, chunks=(4, -1, -1))
    model = make_pipeline(
        RegionFeatures(
            segmenter(), properties=("area",), aggregations=("count", "mean")
        ),
        RandomForestClassifier(n_estimators=5, random_state=0),
    )
    predicted = clone(model).fit(Xd, y).predict(Xd)
    np.testing.assert_array_equal(predicted, clone(model).fit(X, y).predict(X))
    grid = {"regionfeatures__segmenter__otsuthresholder__threshold": [40, 130]}
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    on_dask = GridSearchCV(model, grid, cv=cv).fit(Xd, y)
    in_memory = GridSearchCV(model, grid, cv=cv).fit(X, y)
    np.testing.assert_array_equal(
        on_dask.cv_results_["mean_test_score"],
        in_memory.cv_results_["mean_test_score"],
    )
    assert on_dask.best_params_ == in_memory.best_params_


def test_dask_with_a_segmenter_that_computes_or_checks_lazily(da, small):
    from sklearn.preprocessing import FunctionTransformer

    X = small.images
    Xd = da.from_array(X, chunks=(2, -1, -1))
    eager = FunctionTransformer(lambda X: np.asarray(X) > 130)  # computes X
    step = RegionFeatures(eager, properties=("area",))
    features = step.fit_transform(Xd)
    assert isinstance(features, da.Array) and features.chunks[0] == (2, 2, 1)
    np.testing.assert_array_equal(features.compute(), step.fit_transform(X))
    # an output chunked otherwise is aligned with the chunks of images
    other = FunctionTransformer(lambda X: (X > 130).rechunk({0: 1, 1: 20}))
    features = RegionFeatures(other, properties=("area",)).fit_transform(Xd)
    assert features.chunks[0] == (2, 2, 1)
    np.testing.assert_array_equal(features.compute(), step.fit_transform(X))
    # NaN is found by RegionFeatures' own check when the chunk is computed
    lazy = FunctionTransformer(lambda X: X > 0.5)
    nan = np.zeros((3, 8, 8))
    nan[2, 1, 1] = np.nan
    features = RegionFeatures(lazy, properties=()).fit_transform(
        da.from_array(nan, chunks=(2, -1, -1))
    )
    with pytest.raises(ValueError, match="RegionFeatures got NaN or infinite"):
        features.compute()


def test_dask_segmenter_output_of_the_wrong_shape_is_reported(da, small):
    from sklearn.preprocessing import FunctionTransformer

    Xd = da.from_array(small.images, chunks=(2, -1, -1))
    crop = FunctionTransformer(lambda X: X[:, 1:] > 100)
    with pytest.raises(ValueError, match=r"segmenter gave an array of shape \(5, 39"):
        RegionFeatures(crop).fit_transform(Xd)
    fewer = FunctionTransformer(lambda X: X[1:] > 100)
    with pytest.raises(ValueError, match=r"gave 4 results for 5 images"):
        RegionFeatures(fewer).fit_transform(Xd)


def test_intensities_up_to_2_40_in_bounded_memory():
    # an exact histogram of the intensities for Otsu's threshold would hold
    # 2**40 counts (8 TiB): the range is binned as for float images, so the
    # features are those of the same images as float64
    import tracemalloc

    from sksegment import ComponentLabeler, OtsuThresholder

    rng = np.random.default_rng(3)
    images = rng.integers(0, 2**30, (2, 16, 16)).astype(np.int64)
    images[0, 3:7, 3:8] = images[1, 9:14, 2:6] = 2**40
    images[1, 2:4, 10:14] = 2**40 - 5
    segmenter = make_pipeline(OtsuThresholder(), ComponentLabeler())
    properties = ("area", "intensity_mean", "intensity_max")
    step = RegionFeatures(segmenter, properties=properties)
    tracemalloc.start()
    try:
        features = step.fit_transform(images)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20
    expected = clone(step).fit_transform(images.astype(np.float64))
    np.testing.assert_allclose(features, expected, rtol=1e-12)
    assert (features[:, 0] == [1, 2]).all()  # count: the objects are found


def test_region_table_keeps_uint64_ids_above_int64():
    """Issue 12, item 8: uint64 ids >= 2**63 came out negative."""
    pytest.importorskip("pandas")
    labels = np.zeros((1, 8, 9), np.uint64)
    labels[0, 2:4, 2:4] = 2**63 + 5
    labels[0, 5:7, 5:8] = 2**64 - 1
    images = np.arange(72, dtype=np.uint8).reshape(1, 8, 9)
    for table in (
        region_table(labels, images, properties=("label", "area", "solidity")),
        region_table(
            [labels[0], np.ones((8, 9), np.int32)],
            [images[0], images[0]],
            properties=("label", "area"),
        ),
    ):
        assert table["label"].dtype == np.uint64
        assert table["label"].tolist()[:2] == [2**63 + 5, 2**64 - 1]
        assert table["area"].tolist()[:2] == [4, 6]


# --- dask: per-object tables of images split into chunks ---------------------------

SPLIT_CHUNKS = [(1, 16, 16), (1, 23, 17), (2, 60, 70), (1, 11, 9)]
# measured on object crops (the others are reduced chunk by chunk)
CROP_2D = ["perimeter", "solidity", "moments_hu"]
CROP_2D += ["centroid_weighted", "euler_number", "orientation", "inertia_tensor"]


@pytest.fixture(scope="module")
def split():
    """Two 60x70 images whose objects cross 16x16 chunk corners, and masks."""
    data = make_objects(
        n_images=2, shape=(60, 70), n_objects=(3, 6), radius=(5, 10), random_state=1
    )
    images = data.images.copy()
    rows, cols = np.ogrid[:60, :70]
    images[0][(rows - 32) ** 2 + (cols - 32) ** 2 <= 36] = 250  # on a corner
    images[1][30:34, 2:68] = 250  # a bar through every chunk column
    return images, images > 120


def _assert_same_table(got, expected):
    assert list(got.columns) == list(expected.columns)
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    assert len(got) == len(expected) > 0
    for column in expected.columns:
        np.testing.assert_allclose(
            got[column].to_numpy(),
            expected[column].to_numpy(),
            rtol=1e-9,
            atol=1e-12,
            err_msg=column,
        )


@pytest.mark.parametrize("chunks", SPLIT_CHUNKS)
def test_dask_region_table_of_masks_equals_in_memory(da, split, chunks):
    images, masks = split
    properties = ["label", *FAST, *CROP_2D]
    expected = region_table(masks, images, properties)
    assert expected["area"].max() > 16 * 16  # objects larger than the chunks
    got = region_table(
        da.from_array(masks, chunks=chunks),
        da.from_array(images, chunks=chunks),
        properties,
    )
    _assert_same_table(got, expected)
    # labeled at face connectivity across chunks too
    faces = region_table(masks, properties=("label", "area"), connectivity=1)
    on_chunks = region_table(
        da.from_array(masks, chunks=chunks),
        properties=("label", "area"),
        connectivity=1,
    )
    _assert_same_table(on_chunks, faces)


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.uint64])
@pytest.mark.parametrize("chunks", [(1, 16, 16), (1, 23, 17)])
def test_dask_region_table_of_label_images_equals_in_memory(da, split, dtype, chunks):
    images, masks = split
    labels = np.stack([label(m) for m in masks]).astype(np.int64)
    labels[1][labels[1] == 2] = 40  # an id in several pieces, far apart
    labels[1][:3, :3] = 40
    if dtype == np.uint64:  # ids beyond 2**63: none wraps
        labels = np.where(labels > 0, labels.astype(np.uint64) + 2**63, 0)
    labels = labels.astype(dtype)
    properties = ["label", "area", "centroid", "bbox", "intensity_std", "eccentricity"]
    properties += ["intensity_median", "area_filled"]
    expected = region_table(labels, images.astype(np.float32), properties)
    got = region_table(
        da.from_array(labels, chunks=chunks),
        da.from_array(images.astype(np.float32), chunks=chunks),
        properties,
    )
    _assert_same_table(got, expected)
    assert got["label"].dtype == (np.uint64 if dtype == np.uint64 else np.int64)
    # one of the two in dask, chunked as the other
    mixed = region_table(
        labels, da.from_array(images.astype(np.float32), chunks=chunks), properties
    )
    _assert_same_table(mixed, expected)


def test_dask_region_table_in_3d_and_without_objects(da):
    rng = np.random.default_rng(3)
    volumes = rng.random((2, 10, 11, 12)) > 0.55
    volumes[1] = False  # no object: the in-memory columns of an empty image
    images = (rng.random(volumes.shape) * 100).astype(np.float32)
    properties = ["label", *FAST_ND, "area_filled", "euler_number", "moments_central"]
    expected = region_table(volumes, images, properties)
    for chunks in [(1, 4, 5, 6), (2, 10, 3, 12)]:
        got = region_table(
            da.from_array(volumes, chunks=chunks),
            da.from_array(images, chunks=chunks),
            properties,
        )
        _assert_same_table(got, expected)


def test_dask_region_table_intensity_std_does_not_cancel(da):
    # a large offset and a tiny spread: a sum of squares would lose all digits
    images = np.full((1, 40, 40), 1e6) + np.random.default_rng(0).random((1, 40, 40))
    labels = np.ones((1, 40, 40), dtype=np.int32)
    expected = region_table(labels, images, ("intensity_std",))
    got = region_table(
        da.from_array(labels, chunks=(1, 7, 9)),
        da.from_array(images, chunks=(1, 7, 9)),
        ("intensity_std",),
    )
    np.testing.assert_allclose(
        got["intensity_std"], expected["intensity_std"], rtol=1e-9
    )
    np.testing.assert_allclose(got["intensity_std"], images.std(), rtol=1e-9)


def test_dask_region_table_errors_are_named(da, split):
    images, masks = split
    lab = da.from_array(masks, chunks=(1, 16, 16))
    with pytest.raises(
        InvalidParameterError, match=r"region_table got unknown names 'roundness'"
    ):
        region_table(lab, properties=("area", "roundness"))
    with pytest.raises(
        ValueError, match=r"region_table: properties \['intensity_mean'\] need"
    ):
        region_table(lab, properties=("intensity_mean",))
    with pytest.raises(ValueError, match=r"region_table: the label images have shape"):
        region_table(lab, da.from_array(images[:1], chunks=(1, 16, 16)), ("area",))
    volumes = da.from_array(np.ones((1, 4, 4, 4), np.int32), chunks=(1, 2, 2, 2))
    with pytest.raises(
        ValueError, match=r"region_table: properties \['perimeter'\] are"
    ):
        region_table(volumes, properties=("perimeter",))
    with pytest.raises(ValueError, match=r"region_table: connectivity=3 exceeds"):
        region_table(lab, properties=("area",), connectivity=3)
    negative = da.from_array(-np.ones((1, 8, 8), np.int32), chunks=(1, 4, 4))
    with pytest.raises(ValueError, match=r"region_table"):
        region_table(negative, properties=("area",))


def test_dask_region_tasks_are_linear_in_chunks(da):
    import dask

    from sksegment import _dask_regions

    masks = np.zeros((1, 128, 128), dtype=bool)
    masks[0, 5:125:9, 3:125] = True  # bars across every chunk column
    step = RegionFeatures(
        sks.make_pipeline(sks.OtsuThresholder(0.5), sks.ComponentLabeler()),
        properties=("area", "eccentricity"),
    ).fit(masks.astype(np.uint8))
    per_chunk = []
    for size in (32, 16, 8):  # 16, 64 and 256 chunks
        Xd = da.from_array(masks, chunks=(1, size, size))
        batch = features_module.validate_batch("region_table", Xd, reset=False)
        merged = _dask_regions.lazy_summaries(
            *_dask_regions.labels_of(batch, None), None, None, True
        )
        features = step.transform(Xd.astype(np.uint8))
        n_chunks = (128 // size) ** 2
        per_chunk.append(
            (
                len(merged.__dask_graph__()) / n_chunks,
                len(dask.optimize(features)[0].__dask_graph__()) / n_chunks,
            )
        )
        np.testing.assert_allclose(
            features.compute(), step.transform(masks.astype(np.uint8))
        )
    for tasks in zip(*per_chunk):  # a few tasks per chunk, whatever their number
        assert max(tasks) < 1.25 * min(tasks) and max(tasks) < 20, per_chunk


@pytest.mark.parametrize(
    "properties",
    [("area", "eccentricity", "intensity_mean"), ("area", "perimeter", "solidity")],
)
def test_dask_features_of_images_split_into_chunks(da, split, properties):
    images = split[0]
    step = RegionFeatures(segmenter(min_area=5), properties=properties)
    expected = clone(step).fit_transform(images)
    assert (expected[:, 0] > 2).all()
    for chunks in [(1, 16, 16), (2, 23, 17)]:
        Xd = da.from_array(images, chunks=chunks)
        features = clone(step).fit(images).transform(Xd)
        assert isinstance(features, da.Array) and features.dtype == np.float64
        assert features.chunks == (Xd.chunks[0], (expected.shape[1],))
        np.testing.assert_allclose(features.compute(), expected, rtol=1e-9)


def test_region_table_checks_an_in_memory_argument_next_to_a_dask_one(da):
    labels = np.zeros((1, 8, 8), np.int32)
    labels[0, 2:4, 2:4] = 1
    lazy = da.from_array(labels, chunks=(1, 4, 4))
    props = ("label", "intensity_mean")
    with pytest.raises(ValueError, match="region_table: .*one shape.*\\(1, 8, 9\\)"):
        region_table(lazy, np.ones((1, 8, 9)), properties=props)
    with pytest.raises(ValueError, match="region_table: .*several shapes"):
        region_table(
            [labels[0], labels[0, :6, :6]], da.ones((2, 8, 8)), properties=props
        )
    table = region_table(labels, da.ones((1, 8, 8), chunks=(1, 4, 4)), properties=props)
    assert table["intensity_mean"].tolist() == [1.0]


def test_a_region_features_subclass_runs_on_whole_images_only_unless_it_says_so(da):
    class Features(RegionFeatures):
        def _rows(self):
            return super()._rows()

    class Declared(Features):
        _on_split_chunks = RegionFeatures._on_split_chunks

    X = (np.random.default_rng(1).random((1, 16, 16)) * 255).astype(np.uint8)
    Xd = da.from_array(X, chunks=(1, 8, 8))
    make = lambda cls: cls(segmenter(), properties=("area",)).fit(X)  # noqa: E731
    with pytest.raises(NotImplementedError, match="Features .*rechunk"):
        make(Features).transform(Xd)
    np.testing.assert_array_equal(
        make(Declared).transform(Xd).compute(), make(RegionFeatures).transform(X)
    )
