"""How a step runs on images split into chunks: the contract with the batch.

A dask batch whose chunks hold whole images runs any step's per-image code on
each chunk.  An image split into chunks (one huge image) needs more, and
only the step knows what: every step declares it by a method
``_on_split_chunks(self, batch)`` returning one of the plans below, and
passes that method to ``batch.map(func, n_jobs=..., split=...)``.  The batch
helper never looks a hook up by name.

``WholeImages``
    The default: the step runs only on chunks holding whole images and
    raises an error naming the rechunk.
``Elementwise``
    Each output pixel depends on that pixel only: ``func`` runs on every
    chunk as it is.
``Overlap``
    Each output pixel depends on the pixels within ``depth`` of it: every
    chunk is extended by ``depth`` pixels of its neighbours (nothing at the
    image's own edges, where ``func`` applies its edge mode as in memory),
    and the result cropped back.
``Global``
    The result needs the whole image (objects joined across chunks, a value
    reduced over the image): ``build(batch)`` gives the lazy result, made of
    the helpers of ``sksegment._dask``.

The declaration is not inherited: a subclass that does not define
``_on_split_chunks`` itself is "whole images only"
(``ImageStepMixin.__init_subclass__``), so a subclass that changes what a
step computes never runs on an overlap it did not state.  A subclass that
keeps its parent's plan says so: ``_on_split_chunks =
Parent._on_split_chunks``.

This module does not import dask.
"""

__all__ = ["Elementwise", "Global", "Overlap", "WholeImages", "whole_images_only"]


class WholeImages:
    """Runs on chunks holding whole images only.

    Parameters
    ----------
    why : str, default=""
        A clause following the step's name in the error, such as
        ``" (it measures whole objects)"``.
    """

    mode = "whole images only"

    def __init__(self, why=""):
        self.why = why


class Elementwise:
    """Each output pixel depends on that pixel only.

    Parameters
    ----------
    dtype : dtype
        The result's dtype, for every chunk.
    func : callable or None, default=None
        ``func(part)`` for a chunk; None runs the function passed to
        ``batch.map``.
    """

    mode = "elementwise"

    def __init__(self, dtype, func=None):
        self.dtype = dtype
        self.func = func


class Overlap:
    """Each output pixel depends on the pixels within ``depth`` of it.

    Parameters
    ----------
    depth : int
        The overlap, in pixels, on every spatial axis.
    dtype : dtype
        The result's dtype, for every chunk.
    func : callable or None, default=None
        ``func(part)`` for a chunk extended by ``depth``; None runs the
        function passed to ``batch.map``.
    periodic : bool, default=False
        Whether the chunks at the image's edges are extended by the opposite
        edge (an edge mode ``"wrap"``).
    trailing : tuple of int, default=()
        Axes ``func`` adds after the spatial ones (a feature axis).
    """

    mode = "overlap"

    def __init__(self, depth, dtype, func=None, *, periodic=False, trailing=()):
        self.depth = depth
        self.dtype = dtype
        self.func = func
        self.periodic = periodic
        self.trailing = tuple(trailing)


class Global:
    """The result needs the whole image: ``build(batch)`` gives it, lazily.

    Parameters
    ----------
    build : callable
        ``build(batch)`` returns the lazy result for the dask batch.
    """

    mode = "global"

    def __init__(self, build):
        self.build = build


def whole_images_only(step, batch):
    """The default declaration: chunks must hold whole images."""
    return WholeImages()
