"""Per-pixel feature stacks: scikit-image's ``multiscale_basic_features``, fast.

One image in, one float32 stack ``(*image.shape, n_features)`` out, with the
features, order and values of ``skimage.feature.multiscale_basic_features``
(``channel_axis=None``) up to float32 rounding.  For each sigma of
:func:`sigmas`, in order: the gaussian-smoothed image (``intensity``), its
Sobel magnitude (``edges``) and the eigenvalues of its finite-difference
Hessian, largest first (``texture``).

2D images go through OpenCV (float32 separable filters), 3D ones through
scipy.ndimage as in scikit-image; both paths differ from scikit-image by at
most a few float32 epsilons of the image's largest value (the gaussian's
summation order), and a pixel's features do not depend on the tile it is
computed in (see :func:`halo`).  Each calling thread keeps its last 2D
workspace (up to 128 MiB) for the next call.  ``docs/performance.rst`` says
how and what was measured.
"""

import functools
import os
import queue
import threading
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
    border, the image's border handling is the tile's too.  The arithmetic
    is the same too (see ``_LANES``), so tiles give equal values bit for bit.

    Examples
    --------
    >>> halo(16)
    66
    >>> halo(1)
    6
    """
    # the largest sigma is numpy's 2 ** log2(sigma_max), which may round up
    largest = max(float(sigma_max), float(2.0 ** np.log2(sigma_max)))
    return int(TRUNCATE * largest + 0.5) + 2


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
    written into ``out`` when given (a view, such as a tile's slot, is fine).
    ``workers`` threads (default: one per core) share the sigmas; OpenCV
    and numpy release the GIL, so callers may run tiles in threads too.

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

    flags = (intensity, edges, texture)
    # the largest sigmas cost most: start them first
    order = [int(i) for i in np.argsort(scales)[::-1]]
    if _use_cv2(img):
        if workers > 1:
            _touch(out)
        _features_2d(img, scales, order, flags, workers, out)
        return out
    results = map_threads(
        lambda i: _single_scale(img, scales[i], *flags), order, workers
    )
    planes = [plane for i in range(len(scales)) for plane in results[i]]
    _interleave(planes, out, workers)
    return out


_POOL = None
_POOL_LOCK = threading.Lock()


def _pool():
    """Threads that live across calls: starting them costs more than a tile's
    small sigmas.  Only ``map_threads``'s runners run there, and they never wait for
    other tasks, so callers in many threads cannot deadlock it."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(
                os.cpu_count() or 1, thread_name_prefix="sksegment-pixels"
            )
        return _POOL


def map_threads(func, items, workers):
    """``{item: func(item)}``, items taken in order by ``workers`` threads."""
    items = list(items)
    workers = min(workers, len(items), _pool()._max_workers)
    if workers <= 1:
        return {item: func(item) for item in items}
    todo = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    results = {}

    def runner():
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                return
            results[item] = func(item)

    futures = [_pool().submit(runner) for _ in range(workers)]
    for future in futures:
        future.result()  # re-raises a runner's error
    return results


# --- the kernels ------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _gaussian_kernel(sigma):
    """scipy.ndimage's gaussian weights (truncate=4), as float32."""
    radius = int(TRUNCATE * float(sigma) + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 / (float(sigma) * float(sigma)) * x * x)
    kernel = (phi / phi.sum()).astype(np.float32)
    kernel.flags.writeable = False
    return kernel


def _gaussian(img, sigma):
    """``skimage.filters.gaussian(img, sigma)``: scipy, mode 'nearest'."""
    if _use_cv2(img):
        k = _gaussian_kernel(float(sigma))
        return cv2.sepFilter2D(img, cv2.CV_32F, k, k, borderType=_NEAREST)
    return ndi.gaussian_filter(
        img, sigma, mode="nearest", truncate=TRUNCATE, output=np.float32
    )


_NEAREST = cv2.BORDER_REPLICATE if cv2 is not None else None  # scipy 'nearest'
_REFLECT = cv2.BORDER_REFLECT if cv2 is not None else None  # scipy 'reflect'
# cv2's 3x3 Sobel is [-1, 0, 1] x [1, 2, 1]; skimage's is a quarter of it and
# divides the magnitude by sqrt(ndim): 1 / sqrt(4 * 4 * 2)
_SOBEL_SCALE = 1.0 / np.sqrt(32.0)


def _magnitude(sx, sy, out=None):
    """sqrt(sx**2 + sy**2) into ``out`` (default: sx), overwriting sy: numpy,
    not cv2.magnitude, whose last bit depends on the memory alignment."""
    if out is None:
        out = sx
    np.square(sx, out=out)
    np.square(sy, out=sy)
    out += sy
    return np.sqrt(out, out=out)


def _sobel(g):
    """``skimage.filters.sobel(g)``: magnitude, mode 'reflect'."""
    if _use_cv2(g):
        sx, sy = (
            cv2.Sobel(
                g,
                cv2.CV_32F,
                dx,
                1 - dx,
                ksize=3,
                scale=_SOBEL_SCALE,
                borderType=_REFLECT,
            )
            for dx in (1, 0)
        )
        return _magnitude(sx, sy)
    return filters.sobel(g).astype(np.float32, copy=False)


# np.gradient's central difference as cv2.filter2D kernels, along axis 0 and 1
_HALF_DIFF = np.array([-0.5, 0.0, 0.5], dtype=np.float32)
_HALF_DIFFS = (_HALF_DIFF[:, None], _HALF_DIFF[None, :])


def _gradient(f, axis, out=None, width=None):
    """``np.gradient(f, axis=axis)`` (spacing 1, edge_order 1), float32.

    Inside, ``(f[i + 1] - f[i - 1]) * 0.5``: the halves are exact, so cv2's
    3-tap filter (2 taps: filter2D skips the zero) rounds once, like numpy's
    ``(f[i + 1] - f[i - 1]) / 2``,
    wherever the pixel lies; the first and last values are numpy's one-sided
    differences.  ``width``: of a 2D image padded on the right, whose columns
    from ``width`` on are ignored.
    """
    if out is None:
        out = np.empty_like(f)
    if _use_cv2(f) and out.flags.c_contiguous:
        kernel = _HALF_DIFFS[axis]
        _into(out, cv2.filter2D(f, cv2.CV_32F, kernel, dst=out, borderType=_NEAREST))
        inside = False
    else:
        inside = True
    if width is not None:
        f, out_view = f[:, :width], out[:, :width]
    else:
        out_view = out
    if f.ndim == 2:  # moveaxis costs more than a band's fixes
        moved, f_moved = (out_view, f) if axis == 0 else (out_view.T, f.T)
    else:
        moved, f_moved = np.moveaxis(out_view, axis, 0), np.moveaxis(f, axis, 0)
    if inside:
        np.subtract(f_moved[2:], f_moved[:-2], out=moved[1:-1])
        moved[1:-1] *= 0.5
    np.subtract(f_moved[1], f_moved[0], out=moved[0])
    np.subtract(f_moved[-1], f_moved[-2], out=moved[-1])
    return out


def _eigenvalues_2d(h00, h01, h11, big, small):
    """skimage's closed form for 2D, the same float32 operations, in place."""
    np.add(h00, h11, out=big)
    big *= 0.5
    root = np.subtract(h00, h11, out=h00)
    root *= 0.5
    np.square(root, out=root)
    np.square(h01, out=h01)
    root += h01
    np.sqrt(root, out=root)
    np.subtract(big, root, out=small)
    big += root
    return big, small


def _eigenvalues_3d(elems, chunk=1 << 16):
    """Eigenvalues of symmetric 3x3 matrices, largest first, float32.

    ``elems``: the upper triangle ``h00, h01, h02, h11, h12, h22``.  The
    closed form (trigonometric, Smith 1961) in float64: its error is at most
    about 1e-8 of the largest entry, where scikit-image's float32
    ``eigvalsh`` errs by float32 epsilons, and it is vectorized instead of
    one LAPACK call per voxel.
    """
    shape = elems[0].shape
    flat = [e.reshape(-1) for e in elems]
    out = [np.empty(shape, dtype=np.float32) for _ in range(3)]
    flat_out = [o.reshape(-1) for o in out]
    for start in range(0, flat[0].size, chunk):
        part = slice(start, start + chunk)
        h00, h01, h02, h11, h12, h22 = (e[part].astype(np.float64) for e in flat)
        q = (h00 + h11 + h22) / 3
        a, b, c = h00 - q, h11 - q, h22 - q
        off = h01 * h01 + h02 * h02 + h12 * h12
        p = np.sqrt((a * a + b * b + c * c + 2 * off) / 6)
        det = (
            a * (b * c - h12 * h12)
            - h01 * (h01 * c - h12 * h02)
            + h02 * (h01 * h12 - b * h02)
        )
        flat_p = p == 0
        r = det / np.where(flat_p, 1.0, 2 * p**3)
        phi = np.arccos(np.clip(r, -1.0, 1.0)) / 3
        big = q + 2 * p * np.cos(phi)
        small = q + 2 * p * np.cos(phi + 2 * np.pi / 3)
        middle = 3 * q - big - small
        for o, value in zip(flat_out, (big, middle, small)):
            o[part] = value
    return out


def _hessian_eigenvalues(g):
    """Eigenvalues of skimage's finite-difference Hessian of g, largest first."""
    first = [_gradient(g, axis) for axis in range(g.ndim)]
    elems = [
        _gradient(first[a0], a1)
        for a0, a1 in combinations_with_replacement(range(g.ndim), 2)
    ]
    if g.ndim == 3:
        return _eigenvalues_3d(elems)
    if g.ndim != 2:  # pragma: no cover - only 2D and 3D images get here
        return list(feature.hessian_matrix_eigvals(elems))
    big, small = np.empty_like(g), np.empty_like(g)
    return list(_eigenvalues_2d(*elems, big, small))


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


# Buffers of the 2D path: one full gaussian plane per sigma (the intensity
# features, or scratch), then per thread the band planes (see _BAND_ROWS).
# Each calling thread keeps its last workspace up to _CACHE_BYTES, so tiles
# of one size reuse the same pages instead of faulting fresh ones in for
# every tile.
_CACHE_BYTES = 128 * 2**20
_local = threading.local()
# The edges, texture and interleaving run by bands of this many rows, over
# all sigmas, while a band's planes are in the cache; a band reads 2 rows of
# the gaussians on each side (the Hessian's finite differences), so its
# values equal the whole image's bit for bit, like a tile's (see halo).
_BAND_ROWS = 128
_HALO_ROWS = 2


def _workspace(n_planes, shape):
    size = n_planes * int(np.prod(shape))
    buffer = getattr(_local, "buffer", None)
    if buffer is None or buffer.size < size:
        buffer = np.empty(size, dtype=np.float32)
        if buffer.nbytes <= _CACHE_BYTES:
            _local.buffer = buffer
    return buffer[:size].reshape(n_planes, *shape)


def _into(dst, result):
    """cv2 writes into ``dst`` when it can; make sure of it."""
    if result is not dst and not np.shares_memory(result, dst):
        dst[...] = result  # pragma: no cover - cv2 allocated instead


# OpenCV computes the last (width % vector size) columns of a row with scalar
# code that rounds differently from its vector code: so that a column gets
# the same value whatever the width of the tile it is in, rows are padded to
# a multiple of _LANES columns (a replicated image, as 'nearest' extends it)
# and every real column goes through the vector code.
_LANES = 32


def _features_2d(img, scales, order, flags, workers, out):
    """The 2D features of ``img`` into ``out``: gaussians, then bands."""
    intensity, edges, texture = flags
    height, width = img.shape
    padded = -(-(width + 1) // _LANES) * _LANES
    if padded > width:
        img = cv2.copyMakeBorder(img, 0, 0, 0, padded - width, _NEAREST)
    n_bands = -(-height // _BAND_ROWS)
    bounds = [height * b // n_bands for b in range(n_bands + 1)]
    band = max(b - a for a, b in zip(bounds[:-1], bounds[1:]))
    workers = max(1, min(workers, n_bands))
    # per band: edges and texture of every sigma, and 4 slabs of scratch
    band_planes = len(scales) * (int(edges) + 2 * int(texture))
    per_worker = band_planes * band + 4 * (band + 2 * _HALO_ROWS)
    per_worker = max(per_worker, height)  # or the rows of a gaussian's pass
    n_full = len(scales) * height
    space = _workspace(n_full + per_worker * workers, (padded,))
    gaussians = space[:n_full].reshape(len(scales), height, padded)
    scratch = queue.SimpleQueue()
    for w in range(workers):
        scratch.put(space[n_full + per_worker * w : n_full + per_worker * (w + 1)])

    def smooth(i):
        buffers = scratch.get()
        try:
            _smooth_2d(img, scales[i], gaussians[i], buffers[:height])
        finally:
            scratch.put(buffers)
        # what scipy's 'reflect' puts right of the last column, for the Sobel
        gaussians[i][:, width] = gaussians[i][:, width - 1]

    map_threads(smooth, order, workers)
    groups = np.linspace(0, n_bands, workers + 1).astype(int)

    def run(group):
        buffers = scratch.get()
        try:
            for b in range(groups[group], groups[group + 1]):
                _band_2d(
                    gaussians,
                    width,
                    bounds[b],
                    bounds[b + 1],
                    flags,
                    band,
                    buffers,
                    out,
                )
        finally:
            scratch.put(buffers)

    map_threads(run, range(workers), workers)


def _smooth_2d(img, sigma, out, rows):
    """The gaussian of ``img`` into ``out``: along rows, into ``rows``, then
    along columns.  cv2.filter2D with a one-row (then one-column) kernel:
    sepFilter2D does the same passes, but its row pass is twice as slow."""
    k = _gaussian_kernel(float(sigma))
    _into(
        rows, cv2.filter2D(img, cv2.CV_32F, k[None, :], dst=rows, borderType=_NEAREST)
    )
    _into(out, cv2.filter2D(rows, cv2.CV_32F, k[:, None], dst=out, borderType=_NEAREST))


def _band_2d(gaussians, width, start, stop, flags, band, buffers, out):
    """Rows ``start:stop`` of every feature, from the gaussians, into ``out``.

    The gaussians are padded on the right from column ``width`` on (see
    _LANES); a band's finite differences read them ``_HALO_ROWS`` rows
    above and below, and only the band's own rows are kept.
    """
    intensity, edges, texture = flags
    height, padded = gaussians.shape[1:]
    rows = stop - start
    top, bottom = max(start - _HALO_ROWS, 0), min(stop + _HALO_ROWS, height)
    core = slice(start - top, stop - top)
    slab_rows = bottom - top
    n_out = len(gaussians) * (int(edges) + 2 * int(texture))
    planes = buffers[: n_out * band].reshape(n_out, band, padded)[:, :rows]
    slab_max = band + 2 * _HALO_ROWS
    temps = buffers[n_out * band : (n_out * band + 4 * slab_max)]
    temps = temps.reshape(4, slab_max, padded)[:, :slab_rows]
    t0, t1, t2, t3 = temps
    merged = []
    outputs = iter(planes)
    for g in gaussians:
        slab = g[top:bottom]
        if intensity:
            merged.append(g[start:stop, :width])
        if edges:
            sx, sy = t0, t1
            for dx, dst in ((1, sx), (0, sy)):
                result = cv2.Sobel(
                    slab,
                    cv2.CV_32F,
                    dx,
                    1 - dx,
                    dst=dst,
                    ksize=3,
                    scale=_SOBEL_SCALE,
                    borderType=_REFLECT,
                )
                _into(dst, result)
            magnitude = next(outputs)
            _magnitude(sx[core], sy[core], magnitude)
            merged.append(magnitude[:, :width])
        if texture:
            big, small = next(outputs), next(outputs)
            d0, h00 = t0, t1
            _gradient(slab, 0, out=d0, width=width)
            _gradient(d0, 0, out=h00, width=width)
            h01, d1 = t2[:rows], t3[:rows]
            _gradient(d0[core], 1, out=h01, width=width)
            _gradient(slab[core], 1, out=d1, width=width)
            h11 = _gradient(d1, 1, out=d0[:rows], width=width)
            _eigenvalues_2d(h00[core], h01, h11, big, small)
            merged.extend((big[:, :width], small[:, :width]))
    _merge(merged, out[start:stop])


def _touch(out):
    """Write a zero in every 4 KiB page of a 2D stack ``(h, w, n)``.

    A fresh output's pages are faulted in (and zeroed by the kernel) on
    first write: from one thread before the bands, not from several at
    once, which cost a quarter more CPU time here."""
    out[:, :: max(1, 1024 // out.shape[-1]), 0] = 0


def _merge(planes, dst):
    """``dst[..., k] = planes[k]``: the 2D planes of one band, by cv2.merge."""
    if len(planes) == 1 or len(planes) > _CV_CN_MAX:
        for k, plane in enumerate(planes):
            dst[..., k] = plane
        return
    got = cv2.merge(planes, dst)
    if not np.shares_memory(got, dst):
        dst[...] = got


def _interleave(planes, out, workers):
    """``out[..., k] = planes[k]`` for every k: cv2.merge by blocks of rows."""
    if cv2 is None or len(planes) > _CV_CN_MAX:
        for k, plane in enumerate(planes):
            out[..., k] = plane
        return
    width, n = out.shape[-2], out.shape[-1]
    # rows of planes: 2D planes as they are (views of padded rows included)
    flat = [
        p if p.ndim == 2 else np.ascontiguousarray(p).reshape(-1, width) for p in planes
    ]
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

    map_threads(merge, blocks, len(blocks))
    if not np.shares_memory(target, out):
        out[...] = target.reshape(out.shape)


def _use_cv2(img):
    return cv2 is not None and img.ndim == 2 and img.dtype == np.float32
