"""sksegment: classical image segmentation as scikit-learn estimators.

Each step of a segmentation recipe (threshold, closing, border clearing,
labeling, area filtering, counting) is an estimator, so recipes are
``sklearn.pipeline.Pipeline`` objects whose parameters are learned and
grid-searched instead of hand-picked.
"""

from sksegment import datasets, features, inspection, io, metrics, plot
from sksegment.counting import ObjectCounter
from sksegment.features import RegionFeatures, region_table
from sksegment.filters import Smoother
from sksegment.morphology import HoleFiller, MorphCloser, MorphOpener
from sksegment.objects import (
    AreaFilter,
    BorderClearer,
    ComponentLabeler,
    MaxCountGuard,
    ObjectFilter,
    WatershedSplitter,
)
from sksegment.pipeline import Pipeline, make_pipeline
from sksegment.pixels import PixelClassifier, PixelFeatures
from sksegment.thresholding import LocalThresholder, OtsuThresholder, Thresholder

__version__ = "0.1.0"

__all__ = [
    "AreaFilter",
    "BorderClearer",
    "ComponentLabeler",
    "HoleFiller",
    "LocalThresholder",
    "MaxCountGuard",
    "MorphCloser",
    "MorphOpener",
    "ObjectCounter",
    "ObjectFilter",
    "OtsuThresholder",
    "Pipeline",
    "PixelClassifier",
    "PixelFeatures",
    "RegionFeatures",
    "Smoother",
    "Thresholder",
    "WatershedSplitter",
    "__version__",
    "datasets",
    "features",
    "inspection",
    "io",
    "metrics",
    "plot",
    "region_table",
    "make_pipeline",
]
