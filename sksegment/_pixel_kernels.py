"""Per-pixel feature stacks: scikit-image's ``multiscale_basic_features``, fast.

One image in, one float32 stack ``(*image.shape, n_features)`` out, with the
features, order and values of ``skimage.feature.multiscale_basic_features``
(``channel_axis=None``) up to float32 rounding.  For each sigma of
:func:`sigmas`, in order: the gaussian-smoothed image (``intensity``), its
Sobel magnitude (``edges``) and the eigenvalues of its finite-difference
Hessian, largest first (``texture``).
"""

import numpy as np
from skimage import feature
from skimage.util import img_as_float32

__all__ = ["feature_names", "halo", "multiscale_features", "sigmas"]

# scipy.ndimage.gaussian_filter's default, which skimage.filters.gaussian keeps.
TRUNCATE = 4.0


def sigmas(sigma_min=1, sigma_max=16, num_sigma=None):
    """The sigmas of ``multiscale_basic_features``, smallest first.

    Examples
    --------
    >>> sigmas(1, 16)
    array([ 1.,  2.,  4.,  8., 16.])
    >>> sigmas(1, 2, 3).round(3)
    array([1.   , 1.414, 2.   ])
    """
    if not 0 < sigma_min <= sigma_max:
        raise ValueError(
            f"sigmas need 0 < sigma_min <= sigma_max; got sigma_min={sigma_min!r}, "
            f"sigma_max={sigma_max!r}."
        )
    if num_sigma is None:
        num_sigma = int(np.log2(sigma_max) - np.log2(sigma_min) + 1)
    if num_sigma < 1:
        raise ValueError(f"num_sigma must be at least 1; got {num_sigma!r}.")
    return np.logspace(
        np.log2(sigma_min), np.log2(sigma_max), num=num_sigma, base=2, endpoint=True
    )


def _sigma_labels(values):
    """Short unique labels: ``1``, ``2``, ``1.41``; more digits only if needed."""
    for digits in range(2, 17):
        labels = []
        for s in values:
            if s == round(s):
                labels.append(str(int(round(s))))
            else:
                labels.append(f"{s:.{digits}f}".rstrip("0").rstrip("."))
        if len(set(labels)) == len(labels):
            return labels
    return [repr(float(s)) for s in values]  # pragma: no cover - equal sigmas


def _check(ndim, intensity, edges, texture):
    if ndim not in (2, 3):
        raise ValueError(f"pixel features need a 2D or 3D image; got ndim={ndim}.")
    if not (intensity or edges or texture):
        raise ValueError(
            "at least one of intensity, edges or texture must be True "
            "for features to be computed."
        )


def feature_names(
    ndim,
    *,
    sigma_min=1,
    sigma_max=16,
    num_sigma=None,
    intensity=True,
    edges=True,
    texture=True,
):
    """Names of the features of :func:`multiscale_features`, in its order.

    Examples
    --------
    >>> feature_names(2, sigma_min=1, sigma_max=2)
    ['intensity_s1', 'edges_s1', 'texture_s1_0', 'texture_s1_1', 'intensity_s2', \
'edges_s2', 'texture_s2_0', 'texture_s2_1']
    >>> feature_names(3, sigma_max=2, num_sigma=3, intensity=False, texture=False)
    ['edges_s1', 'edges_s1.41', 'edges_s2']
    """
    _check(ndim, intensity, edges, texture)
    names = []
    for label in _sigma_labels(sigmas(sigma_min, sigma_max, num_sigma)):
        if intensity:
            names.append(f"intensity_s{label}")
        if edges:
            names.append(f"edges_s{label}")
        if texture:
            names.extend(f"texture_s{label}_{k}" for k in range(ndim))
    return names


def halo(sigma_max):
    """Overlap (pixels, each side) a tile needs for results equal to untiled.

    A feature at a pixel reads the smoothed image at most 2 pixels away (the
    Hessian is ``np.gradient`` of ``np.gradient``; Sobel reads 1), and the
    smoothed image at a pixel reads the image at most the gaussian's radius
    ``int(truncate * sigma + 0.5)`` away (scipy's rule, ``truncate=4``).  So
    with ``radius + 2`` pixels of real image around it, every pixel of a tile
    sees the same inputs as in the whole image, whatever the tile's own
    border handling adds outside; on sides where the tile touches the image's
    border, the image's border handling is the tile's too.

    Examples
    --------
    >>> halo(16)
    66
    >>> halo(1)
    6
    """
    return int(TRUNCATE * float(sigma_max) + 0.5) + 2


def multiscale_features(
    image,
    *,
    sigma_min=1,
    sigma_max=16,
    num_sigma=None,
    intensity=True,
    edges=True,
    texture=True,
    out=None,
):
    """``skimage.feature.multiscale_basic_features`` of one 2D or 3D image.

    The image is converted like scikit-image does (``img_as_float32``: uint8
    to [0, 1]).  Returns a float32 array ``(*image.shape, n_features)``,
    written into ``out`` when given.

    Examples
    --------
    >>> image = np.zeros((5, 6), dtype=np.uint8)
    >>> image[2, 3] = 255
    >>> f = multiscale_features(image, sigma_max=2)
    >>> f.shape, f.dtype
    ((5, 6, 8), dtype('float32'))
    >>> float(f[2, 3, 0].round(4))  # intensity_s1 at the bright pixel
    0.1592
    """
    image = np.asarray(image)
    _check(image.ndim, intensity, edges, texture)
    n_features = len(
        feature_names(
            image.ndim,
            sigma_min=sigma_min,
            sigma_max=sigma_max,
            num_sigma=num_sigma,
            intensity=intensity,
            edges=edges,
            texture=texture,
        )
    )
    shape = (*image.shape, n_features)
    if out is None:
        out = np.empty(shape, dtype=np.float32)
    elif out.shape != shape or out.dtype != np.float32:
        raise ValueError(
            f"out must be a float32 array of shape {shape}; "
            f"got {out.dtype} {out.shape}."
        )
    result = feature.multiscale_basic_features(
        img_as_float32(image),
        intensity=intensity,
        edges=edges,
        texture=texture,
        sigma_min=sigma_min,
        sigma_max=sigma_max,
        num_sigma=num_sigma,
        channel_axis=None,
    )
    out[...] = result
    return out
