"""Fixtures and helpers shared by the test modules.

Fixtures (``backend``, ``coins``, ``da``, ...) are found by pytest.  Plain
helpers (the estimator tables, the hard images, the recipe and its scikit-image
reference) are imported, as some are needed while tests are collected, to
parametrize:
``from conftest import make_estimator`` (``tests/`` is on ``sys.path``, where
pytest's default import mode puts it for test modules outside a package).
"""

import numpy as np
import pytest
from skimage import data, measure, morphology, segmentation
from sklearn.ensemble import RandomForestClassifier

import sksegment as sks
from sksegment import _kernels
from sksegment.datasets import make_objects

# --- estimators with required parameters or a required y ------------------------------

# How to build the estimators with required parameters: the one place a new
# estimator may need an entry.
CONSTRUCTORS = {
    # area and intensity: properties defined in 2D and 3D
    "RegionFeatures": lambda cls, **kwargs: cls(
        sks.make_pipeline(sks.OtsuThresholder(), sks.ComponentLabeler()),
        properties=("area", "intensity_mean"),
        **kwargs,
    ),
    # seeded, so that two fits give one forest; a small forest (given, so
    # that its parameters are nested ones) and small scales for tiny images
    "PixelClassifier": lambda cls, **kwargs: cls(
        RandomForestClassifier(n_estimators=5, random_state=0),
        features=sks.PixelFeatures(sigma_max=4),
        random_state=0,
        **kwargs,
    ),
}


def _bright(X):
    """Dense annotations of a batch: its bright pixels (uint8) or its objects."""
    if isinstance(X, list):
        return [_bright(x) for x in X]
    X = np.asarray(X)
    return X > (128 if X.dtype == np.uint8 else 0)


# Estimators whose fit needs y, and the y they get for a batch X (in X's
# layout: array, list or flattened rows): the one place for a required y.
TARGETS = {"PixelClassifier": _bright}


def make_estimator(cls, **kwargs):
    """An instance of ``cls`` with ``kwargs``, required parameters filled in."""
    return CONSTRUCTORS.get(cls.__name__, lambda cls, **kw: cls(**kw))(cls, **kwargs)


def fit_estimator(estimator, X, y_of=None):
    """Fit ``estimator`` to ``X``, with the y it needs (computed from ``y_of``)."""
    target = TARGETS.get(type(estimator).__name__)
    if target is None:
        return estimator.fit(X)
    return estimator.fit(X, target(X if y_of is None else y_of))


# --- kernels: OpenCV's path and the pure one ------------------------------------------


@pytest.fixture(params=["opencv", "pure"])
def backend(request, monkeypatch):
    """Run a test with OpenCV, and again with numpy, scipy and scikit-image only."""
    if request.param == "opencv":
        pytest.importorskip("cv2")
    else:
        for module in (_kernels.common, _kernels.pixels):
            monkeypatch.setattr(module, "cv2", None)
    return request.param


# --- data -----------------------------------------------------------------------------


@pytest.fixture
def coins():
    """scikit-image's coins as a batch of one image (a fresh copy each test)."""
    return data.coins()[None]


@pytest.fixture
def da():
    """dask.array, with the synchronous scheduler (tiny chunks compute faster)."""
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="synchronous"):
        yield pytest.importorskip("dask.array")


# make_objects' hard images: a textured background, a bright haze and objects of
# uneven contrast, which no global threshold separates (a pixel classifier does)
HARD = dict(texture=0.05, haze=0.45, contrast=(25, 80), gradient=0.1)


def make_hard(n_images, shape, random_state, **kwargs):
    """Hard images of touching objects, none at the border and none cracked."""
    kwargs = {
        **HARD,
        "touching": 0.3,
        "border_objects": 0,
        "crack_fraction": 0.0,
        "noise": 0.03,
        **kwargs,
    }
    return make_objects(n_images, shape, random_state=random_state, **kwargs)


# The first features PixelFeatures computes of a 3D image (at sigma 1), named.
FEATURES_3D_SIGMA_1 = [
    "intensity_s1",
    "edges_s1",
    "texture_s1_0",
    "texture_s1_1",
    "texture_s1_2",
]


# --- the recipe, in sksegment and in scikit-image -------------------------------------


def recipe_steps(threshold=None, size=5, min_area=101):
    """The steps of scikit-image's plot_label recipe, counting, in sksegment."""
    return [
        sks.OtsuThresholder(threshold),
        sks.MorphCloser(size),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=min_area),
        sks.ObjectCounter(),
    ]


def recipe(threshold=None, size=5, min_area=101):
    """The recipe as an sksegment pipeline."""
    return sks.make_pipeline(*recipe_steps(threshold, size, min_area))


def skimage_recipe(image, threshold, size=5, min_area=101):
    """scikit-image's plot_label recipe: labels of the objects it keeps.

    Threshold, ``size`` x ``size`` closing, border clearing, labeling and
    objects of ``area >= min_area`` kept (the others set to 0, not renumbered).
    """
    closed = morphology.closing(
        image > threshold, morphology.footprint_rectangle((size, size))
    )
    labels = measure.label(segmentation.clear_border(closed))
    areas = np.bincount(labels.ravel())
    labels[(areas < min_area)[labels]] = 0
    return labels


def same_partition(a, b):
    """Whether two label images are equal up to a permutation of the ids."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or not np.array_equal(a == 0, b == 0):
        return False
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


# --- crafted files that would run code if loaded --------------------------------------


class _Payload:
    """Unpickling this writes a marker file (and could do anything else)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _skops_calling(path, module, name, args):
    """Write a skops file whose loading would call ``module.name(*args)``."""
    import io
    import json
    import zipfile

    import skops
    import skops.io as sio

    with zipfile.ZipFile(io.BytesIO(sio.dumps(tuple(args)))) as z:
        content = json.loads(z.read("schema.json"))
    for key in ("protocol", "_skops_version"):
        content.pop(key)
    schema = {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": content,
        "__id__": 1,
        "protocol": 2,
        "_skops_version": skops.__version__,
    }
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("schema.json", json.dumps(schema))
    return path


@pytest.fixture
def pickle_payload():
    """A class whose unpickling writes the marker file it is given."""
    return _Payload


@pytest.fixture
def skops_calling():
    """``skops_calling(path, module, name, args)``: a crafted skops file."""
    return _skops_calling
