"""Shared by the kernels: the OpenCV switch, output slots, lookups, counts.

One rule in one place: ``ids_fit_table`` says when ids are few enough for a
lookup table indexed by id, for every kernel and metric that relabels.
"""

import numpy as np

try:  # a dependency; the pure path keeps working without it
    import cv2
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    cv2 = None


# Elements per np.bincount or np.take call: both convert their indices to
# intp, so working in pieces bounds that copy to 512 KiB (and keeps it cached).
CHUNK = 1 << 16


def use_cv2(image):
    return cv2 is not None and image.ndim == 2


def into(out, result):
    """``result``, or ``out`` filled with it when a slot is given.

    A slot whose dtype cannot hold every value of ``result``'s dtype is left
    alone and ``result`` returned, for the batch to widen: never truncated.
    """
    if out is None or result is out or not np.can_cast(result.dtype, out.dtype):
        return result
    out[...] = result
    return out


def take(table, labels, out):
    """``table[labels]``, written into ``out`` when given.

    Done in chunks: numpy converts indices to intp, which for a whole int32
    label image is a copy twice its size (and, past the CPU caches, many
    times slower than chunks).  The labels index the table by construction,
    so bounds checks are skipped (``mode="clip"`` never clips here).
    """
    if out is None or out.dtype != table.dtype or not out.flags.c_contiguous:
        return into(out, take(table, labels, np.empty(labels.shape, table.dtype)))
    src, dst = labels.reshape(-1), out.reshape(-1)
    for start in range(0, src.size, CHUNK):
        stop = start + CHUNK
        np.take(table, src[start:stop], out=dst[start:stop], mode="clip")
    return out


def bincount(labels, size, skip_zeros=False):
    """``np.bincount(labels.ravel(), minlength=size)`` in bounded memory.

    With ``skip_zeros`` the count of 0 is left at 0, which is faster on label
    images that are mostly background.
    """
    flat = labels.reshape(-1)
    counts = np.zeros(size, dtype=np.intp)
    for start in range(0, flat.size, CHUNK):
        chunk = flat[start : start + CHUNK]
        if skip_zeros:
            chunk = chunk[chunk != 0]
        counts += np.bincount(chunk, minlength=size)
    return counts


# A table indexed by id may hold this many slots per pixel of the image (plus
# a constant, for tiny images) before ids are renumbered or searched instead.
TABLE_SLOTS_PER_PIXEL = 4
TABLE_SLOTS_MIN = 1024


def ids_fit_table(labels, top):
    """Whether ids up to ``top`` are few enough to index a lookup table.

    The one rule for every kernel, metric and plot that maps ids through a
    table ``table[labels]``: the table costs at most a few times the image,
    whatever the ids are (sparse ids up to 2**63 are renumbered or searched
    instead).
    """
    return top <= TABLE_SLOTS_PER_PIXEL * np.size(labels) + TABLE_SLOTS_MIN


def as_numbers(image):
    """Bool images as 0/1 integers (a view); other images as they are."""
    return image.view(np.uint8) if image.dtype == bool else image
