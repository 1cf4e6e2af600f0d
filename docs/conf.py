"""Sphinx configuration: numpydoc API pages and a sphinx-gallery of examples.

Build with ``python -m sphinx -W -b html docs docs/_build/html``; the gallery
runs every ``docs/examples/plot_*.py``, so a broken example fails the build.
"""

import os

import sksegment

project = "sksegment"
author = "sksegment developers"
copyright = "2026, sksegment developers"
version = release = sksegment.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
# scikit-learn's generated set_*_request methods and inherited score refer to
# labels of scikit-learn's own documentation
autodoc_default_options = {
    "members": True,
    "exclude-members": (
        "set_fit_request, set_predict_request, set_score_request, "
        "set_transform_request, set_output, score"
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# references to scikit-image and scikit-learn stay plain text: no network here
# for intersphinx inventories
numpydoc_xref_param_type = False

os.environ.setdefault("MPLBACKEND", "Agg")
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "reference_url": {"sksegment": None},
    # by file name: plot_coins.py, the recipe with its pictures, comes first
    "within_subsection_order": "FileNameSortKey",
}

exclude_patterns = ["_build", "examples"]
html_theme = "alabaster"
templates_path = ["_templates"]
