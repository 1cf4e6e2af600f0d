"""Docstring text shared by the steps, filled in by ``fill_doc``.

A docstring names a snippet as ``%(name)s`` on a line of its own, indented
as a parameter (of a class, a function or a method: the snippet is indented
to match); ``fill_doc`` replaces it.  Only these names are replaced, so
other ``%`` signs in docstrings are left alone.
"""

import re

__all__ = ["fill_doc"]

SNIPPETS = {
    "image_shape_n_jobs": """image_shape : tuple of int or None, default=None
        When set, ``X`` may be a 2D array of flattened images, one per row,
        each of this shape (one entry may be -1); the output is flattened the
        same way.
    n_jobs : int or None, default=None
        Number of threads over the images of a batch; None means 1, -1 means
        all cores.  The result does not depend on it.""",
    "n_features_in_": """n_features_in_ : int
        Number of values per row; only set when fitted on flattened images.""",
    "foreground_pair": (
        """true_labels : ndarray of shape (n_images, ...) or list of ndarray
        True label images or masks.
    pred_labels : ndarray of shape (n_images, ...) or list of ndarray
        Predicted label images or masks, one per true image, of its shape.
    average : {"micro", "macro"}, default="micro"
        ``"micro"`` pools the pixels of all images; ``"macro"`` averages the
        scores of the images."""
    ),
    "labels_pair": """true_labels : ndarray of shape (n_images, ...) or list of ndarray
        True label images or masks (read as their connected components).
    pred_labels : ndarray of shape (n_images, ...) or list of ndarray
        Predicted label images or masks, one per true image, of its shape.""",
    "batch_X": """X : ndarray of shape (n_images, ...), list of ndarray or dask array
        The batch of images.""",
    "y_ignored": """y : None
        Ignored; present for compatibility with pipelines.""",
    "connectivity": """connectivity : int or None, default=None
        Which neighbours join pixels of a mask into one object, as in
        ``skimage.measure.label``: 1 for face neighbours only, up to the
        number of dimensions (8-connectivity in 2D); None means full
        connectivity.  It must not exceed the images' number of dimensions.""",
}


def fill_doc(obj):
    """Replace the ``%(name)s`` snippets of ``obj``'s docstring; return ``obj``.

    For classes and functions alike (steps, metrics).
    """
    doc = obj.__doc__
    for name, text in SNIPPETS.items():
        # the snippets are written for a class (parameters indented by 4)
        doc = re.sub(
            rf"^( *)%\({name}\)s",
            lambda m, text=text: (
                m.group(1) + text.replace("\n", "\n" + " " * (len(m.group(1)) - 4))
            ),
            doc,
            flags=re.M,
        )
    obj.__doc__ = doc
    return obj
