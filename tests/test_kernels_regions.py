"""sksegment._kernels.regions: the registered properties against regionprops."""

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import measure

from sksegment._kernels import regions


def _labels(shape, seed=0):
    rng = np.random.default_rng(seed)
    mask = ndi.gaussian_filter(rng.random(shape), 1.5) > 0.5
    return measure.label(mask).astype(np.int32), rng.integers(0, 200, size=shape)


@pytest.mark.parametrize("shape", [(40, 47), (9, 14, 16)])
def test_every_registered_property_equals_regionprops(shape):
    labels, image = _labels(shape)
    measured = regions.Regions(labels, image)
    for name in sorted(regions.fast_properties(len(shape))):
        expected = measure.regionprops_table(labels, image, properties=[name])
        columns = regions.column(measured, name)
        keys = sorted(expected, key=lambda key: (len(key), key))
        assert len(columns) == len(keys), name
        for key, values in zip(keys, columns):
            np.testing.assert_allclose(values, expected[key], rtol=1e-9, err_msg=name)


def test_the_registry_says_where_each_property_is_defined():
    assert regions.fast_properties(2) - regions.fast_properties(3) == {
        "axis_major_length",
        "axis_minor_length",
        "eccentricity",
    }
    assert "intensity_median" not in regions.fast_properties(2, summable_only=True)
    assert regions.PROPERTIES_2D_ONLY >= {"eccentricity", "perimeter"}


def test_no_objects_give_empty_columns_of_the_right_width():
    empty = regions.Regions(np.zeros((5, 6), np.int32), np.zeros((5, 6)))
    assert len(regions.column(empty, "bbox")) == 4
    assert all(len(c) == 0 for c in regions.column(empty, "centroid"))
