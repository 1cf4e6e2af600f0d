"""The pixel feature kernel equals scikit-image's multiscale_basic_features."""

import itertools

import numpy as np
import pytest
from skimage import data, feature
from skimage.util import img_as_float32

from sksegment._kernels import pixels as pk

from conftest import FEATURES_3D_SIGMA_1


def _reference(image, **kwargs):
    return feature.multiscale_basic_features(image, channel_axis=None, **kwargs)


def assert_features_close(actual, expected, image):
    """Every feature within float32 rounding of the reference.

    |actual - expected| <= 16 * eps32 * max|image|, the image as
    ``img_as_float32`` sees it: every feature is a 1-Lipschitz function of
    the float32 gaussian-smoothed image, whose rounding differs by a few ulps
    of the image's largest value between summation orders.
    """
    assert actual.dtype == np.float32
    assert actual.shape == expected.shape
    scale = float(np.abs(img_as_float32(image)).max())
    atol = 16 * np.finfo(np.float32).eps * scale
    err = np.abs(actual.astype(np.float64) - expected)
    assert err.max() <= atol, (float(err.max()), atol)


def _image(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    # blobs on noise: strong edges and curvature at every scale
    image = rng.random(shape) * 0.2
    for _ in range(6):
        centre = [rng.uniform(0, n) for n in shape]
        grid = np.ogrid[tuple(slice(0, n) for n in shape)]
        d2 = sum((g - c) ** 2 for g, c in zip(grid, centre))
        image += np.exp(-d2 / (2 * rng.uniform(1, 4) ** 2))
    image /= image.max()
    if dtype == np.uint8:
        return (image * 255).astype(np.uint8)
    return image.astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64, np.uint16])
def test_2d_equals_skimage(dtype, backend):
    image = _image((37, 45), dtype)
    actual = pk.multiscale_features(image, sigma_min=1, sigma_max=8)
    assert_features_close(actual, _reference(image, sigma_min=1, sigma_max=8), image)


def test_2d_real_image_default_sigmas(backend):
    image = data.coins()[100:164, 150:250]
    actual = pk.multiscale_features(image)
    assert actual.shape == (64, 100, 20)
    assert_features_close(actual, _reference(image, sigma_min=1, sigma_max=16), image)


@pytest.mark.parametrize(
    "options",
    [
        dict(intensity=True, edges=False, texture=False),
        dict(intensity=False, edges=True, texture=False),
        dict(intensity=False, edges=False, texture=True),
        dict(intensity=True, edges=False, texture=True),
    ],
)
def test_feature_subsets(backend, options):
    image = _image((30, 33), np.uint8, seed=1)
    kwargs = dict(sigma_min=0.5, sigma_max=3, num_sigma=4, **options)
    actual = pk.multiscale_features(image, **kwargs)
    assert_features_close(actual, _reference(image, **kwargs), image)
    assert actual.shape[-1] == len(pk.feature_names(2, **kwargs))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_3d_equals_skimage(dtype):
    image = _image((9, 20, 23), dtype, seed=2)
    actual = pk.multiscale_features(image, sigma_min=1, sigma_max=4)
    assert actual.shape == (9, 20, 23, 3 * 5)
    assert_features_close(actual, _reference(image, sigma_min=1, sigma_max=4), image)


def test_3d_flat_regions_and_ties():
    # constant parts (all eigenvalues 0) and a ramp (two of them equal)
    image = np.zeros((8, 12, 14), dtype=np.float32)
    image[:, :, 7:] = np.linspace(0, 1, 7, dtype=np.float32) ** 2
    image[4:, 6:, :] = 1
    kwargs = dict(sigma_min=0.5, sigma_max=2)
    actual = pk.multiscale_features(image, **kwargs)
    assert_features_close(actual, _reference(image, **kwargs), image)


def test_input_not_modified_and_out(backend):
    image = _image((21, 24), np.float32)
    before = image.copy()
    n = len(pk.feature_names(2, sigma_max=4))
    out = np.full((21, 24, n), np.nan, dtype=np.float32)
    result = pk.multiscale_features(image, sigma_max=4, out=out)
    assert result is out
    np.testing.assert_array_equal(image, before)
    np.testing.assert_array_equal(out, pk.multiscale_features(image, sigma_max=4))
    # a view into a bigger array, as a tile's slot
    big = np.full((25, 30, n), np.nan, dtype=np.float32)
    view = big[2:23, 3:27]
    assert pk.multiscale_features(image, sigma_max=4, out=view) is view
    np.testing.assert_array_equal(view, out)
    assert np.isnan(big[:2]).all() and np.isnan(big[:, 27:]).all()
    with pytest.raises(ValueError, match="float32 array of shape"):
        pk.multiscale_features(image, sigma_max=4, out=out[..., :-1])
    with pytest.raises(ValueError, match="float32 array of shape"):
        pk.multiscale_features(image, sigma_max=4, out=out.astype(np.float64))


def test_bad_input():
    with pytest.raises(ValueError, match="2D or 3D"):
        pk.multiscale_features(np.zeros(5))
    with pytest.raises(ValueError, match="at least one"):
        pk.multiscale_features(
            np.zeros((5, 5)), intensity=False, edges=False, texture=False
        )
    with pytest.raises(ValueError, match="sigma_min <= sigma_max"):
        pk.sigmas(4, 2)
    with pytest.raises(ValueError, match="num_sigma"):
        pk.sigmas(1, 2, 0)


@pytest.mark.parametrize(
    "sigma_min, sigma_max, num_sigma",
    [(1, 16, None), (0.5, 16, None), (1, 10, None), (0.3, 7, 6), (2, 2, 1)],
)
def test_sigmas_and_names_follow_skimage(sigma_min, sigma_max, num_sigma):
    s = pk.sigmas(sigma_min, sigma_max, num_sigma)
    expected_n = (
        num_sigma
        if num_sigma is not None
        else int(np.log2(sigma_max) - np.log2(sigma_min) + 1)
    )
    assert len(s) == expected_n
    assert s[0] == pytest.approx(sigma_min) and s[-1] == pytest.approx(sigma_max)
    # the feature count of skimage's function on a tiny image
    tiny = np.zeros((4, 4), np.float32)
    kwargs = dict(sigma_min=sigma_min, sigma_max=sigma_max, num_sigma=num_sigma)
    names = pk.feature_names(2, **kwargs)
    assert len(names) == _reference(tiny, **kwargs).shape[-1]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("sigma_max", [1, 1.375, 3.1, 7.875, 16, 11.125, 0.625])
@pytest.mark.parametrize("num_sigma", [None, 3, 7])
def test_halo_covers_every_sigma(sigma_max, num_sigma):
    for sigma in pk.sigmas(0.5, sigma_max, num_sigma):
        assert pk.halo(sigma_max) >= int(4 * sigma + 0.5) + 2


def test_names():
    names = pk.feature_names(3, sigma_min=1, sigma_max=4, num_sigma=5)
    assert names[:5] == FEATURES_3D_SIGMA_1
    assert [n for n in names if n.startswith("intensity")] == [
        "intensity_s1",
        "intensity_s1.41",
        "intensity_s2",
        "intensity_s2.83",
        "intensity_s4",
    ]
    # labels get digits until they are unique
    close = pk.feature_names(2, sigma_min=1, sigma_max=1.01, num_sigma=3, edges=False)
    assert len(set(close)) == len(close)


@pytest.mark.parametrize("ndim", [2, 3])
def test_tiles_with_halo_equal_whole(ndim, backend):
    sigma_max = 1.5
    h = pk.halo(sigma_max)
    assert h == int(4 * sigma_max + 0.5) + 2
    shape = (31, 34) if ndim == 2 else (19, 20, 21)
    image = _image(shape, np.uint8, seed=3)
    kwargs = dict(sigma_min=0.5, sigma_max=sigma_max)
    whole = pk.multiscale_features(image, **kwargs)
    tiled = np.full_like(whole, np.nan)
    step = 7
    for corner in itertools.product(*(range(0, n, step) for n in shape)):
        core = tuple(slice(c, min(c + step, n)) for c, n in zip(corner, shape))
        grown = tuple(
            slice(max(s.start - h, 0), min(s.stop + h, n)) for s, n in zip(core, shape)
        )
        feats = pk.multiscale_features(image[grown], **kwargs)
        inner = tuple(
            slice(s.start - g.start, s.stop - g.start) for s, g in zip(core, grown)
        )
        tiled[core] = feats[inner]
    # bit for bit: a pixel's value does not depend on the tile it is in
    np.testing.assert_array_equal(tiled, whole)
    # and one pixel less of halo is not enough: the argument is tight
    h_short = h - 1
    core = tuple(slice(n // 2 - 2, n // 2 + 2) for n in shape)
    grown = tuple(slice(s.start - h_short, s.stop + h_short) for s in core)
    feats = pk.multiscale_features(image[grown], **kwargs)
    inner = tuple(slice(h_short, h_short + 4) for _ in shape)
    assert not np.allclose(feats[inner], whole[core], rtol=0, atol=1e-6)


def test_uint8_scaled_like_skimage():
    image = _image((16, 17), np.uint8)
    np.testing.assert_array_equal(
        pk.multiscale_features(image, sigma_max=2, edges=False, texture=False),
        pk.multiscale_features(
            img_as_float32(image), sigma_max=2, edges=False, texture=False
        ),
    )


def test_same_output_whatever_the_alignment_and_threads(backend):
    # OpenCV picks code paths by memory alignment: the result must not change
    image = _image((21, 26), np.float32, seed=4)
    expected = pk.multiscale_features(image, sigma_max=4)
    for offset in range(1, 8):
        buffer = np.empty(image.size + 8, dtype=np.float32)
        shifted = buffer[offset : offset + image.size].reshape(image.shape)
        shifted[...] = image
        actual = pk.multiscale_features(shifted, sigma_max=4, workers=offset % 3 + 1)
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("shape", [(40, 33), (2, 5), (6, 2), (4, 5, 6)])
def test_gradient_is_numpys_bit_for_bit(shape, backend):
    rng = np.random.default_rng(5)
    f = (rng.standard_normal(shape) * 100).astype(np.float32)
    for axis in range(len(shape)):
        np.testing.assert_array_equal(
            pk._gradient(f, axis), np.gradient(f, axis=axis), strict=True
        )


def test_eigenvalues_3d_closed_form():
    rng = np.random.default_rng(6)
    m = rng.standard_normal((500, 3, 3))
    m = m + m.transpose(0, 2, 1)
    m[:50] = np.eye(3) * rng.standard_normal((50, 1, 1))  # triple eigenvalue
    v = rng.standard_normal((50, 3, 1))
    m[50:100] = v @ v.transpose(0, 2, 1)  # rank one: a double eigenvalue 0
    m[100:110] = 0
    m = m.astype(np.float32)
    upper = [
        m[:, i, j] for i, j in itertools.combinations_with_replacement(range(3), 2)
    ]
    actual = np.stack(pk._eigenvalues_3d(upper, chunk=64), axis=-1)
    expected = np.linalg.eigvalsh(m.astype(np.float64))[:, ::-1]
    scale = np.abs(m).max(axis=(1, 2))[:, None]
    assert (np.abs(actual - expected) <= 4 * np.finfo(np.float32).eps * scale).all()


@pytest.mark.parametrize(
    "shape, texture",
    [
        ((1, 5), False),
        ((5, 1), False),
        ((1, 1), False),
        ((2, 2), True),
        ((40, 3), True),
    ],
)
def test_tiny_images(backend, shape, texture):
    image = np.random.default_rng(7).random(shape).astype(np.float32)
    kwargs = dict(sigma_min=1, sigma_max=4, texture=texture)
    actual = pk.multiscale_features(image, **kwargs)
    assert_features_close(actual, _reference(image, **kwargs), image)
    if not texture:
        with pytest.raises(ValueError, match="at least 2 pixels"):
            pk.multiscale_features(image, sigma_max=4)


@pytest.mark.parametrize(
    "options",
    [dict(), dict(intensity=False), dict(edges=False), dict(texture=False)],
)
def test_bands_equal_one_band(monkeypatch, options):
    # the 2D edges, texture and interleaving run by bands of rows: a band's
    # boundaries must not change a value, in threads or not
    pytest.importorskip("cv2")
    image = _image((43, 70), np.uint8, seed=8)
    kwargs = dict(sigma_min=0.7, sigma_max=4, **options)
    monkeypatch.setattr(pk, "_BAND_ROWS", 1000)
    whole = pk.multiscale_features(image, workers=1, **kwargs)
    assert_features_close(whole, _reference(image, **kwargs), image)
    for rows, workers in [(1, 1), (2, 2), (3, 1), (7, 2), (16, 1), (42, 2)]:
        monkeypatch.setattr(pk, "_BAND_ROWS", rows)
        banded = pk.multiscale_features(image, workers=workers, **kwargs)
        np.testing.assert_array_equal(banded, whole, strict=True)
