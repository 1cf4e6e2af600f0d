"""Per-pixel feature stacks: scikit-image's ``multiscale_basic_features``, fast.

One image in, one float32 stack ``(*image.shape, n_features)`` out, with the
features, order and values of ``skimage.feature.multiscale_basic_features``
(``channel_axis=None``) up to float32 rounding.  For each sigma of
:func:`sigmas`, in order: the gaussian-smoothed image (``intensity``), its
Sobel magnitude (``edges``) and the eigenvalues of its finite-difference
Hessian, largest first (``texture``).
"""

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations_with_replacement

import numpy as np
from scipy import ndimage as ndi
from skimage import feature, filters
from skimage.util import img_as_float32

try:  # a dependency; the scipy path keeps working without it
    import cv2
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    cv2 = None

__all__ = ["feature_names", "halo", "multiscale_features", "sigmas"]

# scipy.ndimage.gaussian_filter's default, which skimage.filters.gaussian keeps.
TRUNCATE = 4.0
# most channels a cv2 Mat holds (CV_CN_MAX)
_CV_CN_MAX = 512


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
    workers=None,
):
    """``skimage.feature.multiscale_basic_features`` of one 2D or 3D image.

    The image is converted like scikit-image does (``img_as_float32``: uint8
    to [0, 1]).  Returns a float32 array ``(*image.shape, n_features)``,
    written into ``out`` when given.  ``workers`` threads (default: one per
    core) share the sigmas; every kernel releases the GIL.

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
    if texture and min(image.shape) < 2:
        raise ValueError(
            "texture features need at least 2 pixels along every axis; "
            f"got an image of shape {image.shape}."
        )
    scales = sigmas(sigma_min, sigma_max, num_sigma)
    per_sigma = int(intensity) + int(edges) + (image.ndim if texture else 0)
    shape = (*image.shape, per_sigma * len(scales))
    if out is None:
        out = np.empty(shape, dtype=np.float32)
    elif (
        not isinstance(out, np.ndarray)
        or out.shape != shape
        or (out.dtype != np.float32)
    ):
        raise ValueError(
            f"out must be a float32 array of shape {shape}; got "
            f"{getattr(out, 'dtype', type(out).__name__)} {np.shape(out)}."
        )
    img = np.ascontiguousarray(img_as_float32(image))
    if workers is None:
        workers = os.cpu_count() or 1
    workers = max(1, min(int(workers), len(scales)))

    def one(sigma):
        return _single_scale(img, sigma, intensity, edges, texture)

    # the largest sigmas cost most: start them first
    order = np.argsort(scales)[::-1]
    if workers == 1:
        results = {i: one(scales[i]) for i in order}
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {i: pool.submit(one, scales[i]) for i in order}
            results = {i: f.result() for i, f in futures.items()}
    planes = [plane for i in range(len(scales)) for plane in results[i]]
    _interleave(planes, out, workers)
    return out


# --- the kernels ------------------------------------------------------------------


def _gaussian_kernel(sigma):
    """scipy.ndimage's gaussian weights (truncate=4), float64."""
    radius = int(TRUNCATE * float(sigma) + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 / (float(sigma) * float(sigma)) * x * x)
    return phi / phi.sum()


def _gaussian(img, sigma):
    """``skimage.filters.gaussian(img, sigma)``: scipy, mode 'nearest'."""
    if _use_cv2(img):
        k = _gaussian_kernel(sigma).astype(np.float32)
        return cv2.sepFilter2D(img, cv2.CV_32F, k, k, borderType=cv2.BORDER_REPLICATE)
    return ndi.gaussian_filter(
        img, sigma, mode="nearest", truncate=TRUNCATE, output=np.float32
    )


def _sobel(g):
    """``skimage.filters.sobel(g)``: magnitude, mode 'reflect'."""
    if _use_cv2(g):
        # cv2's 3x3 Sobel is [-1, 0, 1] x [1, 2, 1]; skimage's is a quarter of
        # it and divides the magnitude by sqrt(ndim): sqrt(4 * 4 * 2) = sqrt(32)
        scale = 1.0 / np.sqrt(32.0)
        sx = cv2.Sobel(
            g, cv2.CV_32F, 1, 0, ksize=3, scale=scale, borderType=cv2.BORDER_REFLECT
        )
        sy = cv2.Sobel(
            g, cv2.CV_32F, 0, 1, ksize=3, scale=scale, borderType=cv2.BORDER_REFLECT
        )
        # numpy, not cv2.magnitude, whose last bit depends on the alignment
        np.square(sx, out=sx)
        np.square(sy, out=sy)
        sx += sy
        return np.sqrt(sx, out=sx)
    return filters.sobel(g).astype(np.float32, copy=False)


def _gradient(f, axis):
    """``np.gradient(f, axis=axis)`` (spacing 1, edge_order 1), float32."""
    f = np.moveaxis(f, axis, 0)
    out = np.empty_like(f)
    np.subtract(f[2:], f[:-2], out=out[1:-1])
    out[1:-1] *= 0.5  # x / 2 and x * 0.5 round alike
    np.subtract(f[1], f[0], out=out[0])
    np.subtract(f[-1], f[-2], out=out[-1])
    return np.moveaxis(out, 0, axis)


def _hessian_eigenvalues(g):
    """Eigenvalues of skimage's finite-difference Hessian of g, largest first."""
    first = [_gradient(g, axis) for axis in range(g.ndim)]
    elems = [
        _gradient(first[a0], a1)
        for a0, a1 in combinations_with_replacement(range(g.ndim), 2)
    ]
    if g.ndim != 2:
        return list(feature.hessian_matrix_eigvals(elems))
    # skimage's closed form for 2D, the same float32 operations in place
    h00, h01, h11 = elems
    half_trace = np.add(h00, h11)
    half_trace *= 0.5
    root = np.subtract(h00, h11, out=h00)
    root *= 0.5
    np.square(root, out=root)
    np.square(h01, out=h01)
    root += h01
    np.sqrt(root, out=root)
    return [np.add(half_trace, root), np.subtract(half_trace, root, out=h11)]


def _single_scale(img, sigma, intensity, edges, texture):
    g = _gaussian(img, sigma)
    planes = []
    if intensity:
        planes.append(g)
    if edges:
        planes.append(_sobel(g))
    if texture:
        planes.extend(_hessian_eigenvalues(g))
    return planes


def _interleave(planes, out, workers):
    """``out[..., k] = planes[k]`` for every k: cv2.merge by blocks of rows."""
    if cv2 is None or len(planes) > _CV_CN_MAX:
        for k, plane in enumerate(planes):
            out[..., k] = plane
        return
    width, n = out.shape[-2], out.shape[-1]
    flat = [np.ascontiguousarray(p).reshape(-1, width) for p in planes]
    target = out.reshape(-1, width, n) if out.flags.c_contiguous else None
    if target is None:
        target = np.empty((len(flat[0]), width, n), dtype=np.float32)
    rows = len(target)
    bounds = np.linspace(0, rows, min(workers, rows) + 1).astype(int)
    blocks = list(zip(bounds[:-1], bounds[1:]))

    def merge(block):
        start, stop = block
        dst = target[start:stop]
        got = cv2.merge([p[start:stop] for p in flat], dst)
        if not np.shares_memory(got, dst):  # pragma: no cover - cv2 copied
            dst[...] = got

    if len(blocks) == 1:
        merge(blocks[0])
    else:
        with ThreadPoolExecutor(max_workers=len(blocks)) as pool:
            list(pool.map(merge, blocks))
    if not np.shares_memory(target, out):
        out[...] = target.reshape(out.shape)


def _use_cv2(img):
    return cv2 is not None and img.ndim == 2 and img.dtype == np.float32
