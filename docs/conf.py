"""Sphinx configuration: numpydoc API pages and a sphinx-gallery of examples.

Build with ``python -m sphinx -W -b html docs docs/_build/html``; the gallery
runs every ``docs/examples/plot_*.py``, so a broken example fails the build.
The look is scikit-learn's and scikit-image's: pydata-sphinx-theme, the
version in the navigation bar, "Examples using X" on every API page
(sphinx-gallery backreferences) and a command-line reference generated from
the real parser (sphinx-argparse).  Nothing is fetched: no intersphinx.
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
    "sphinxarg.ext",
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
    # by file name: plot_coins.py, the recipe with its pictures, comes first
    "within_subsection_order": "FileNameSortKey",
    # "Examples using X" on each API page: the autosummary templates include
    # generated/backreferences/<module>.<name>.examples
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sksegment",),
}

exclude_patterns = ["_build", "examples"]
templates_path = ["_templates"]

html_theme = "pydata_sphinx_theme"
html_title = f"sksegment {release}"
html_theme_options = {
    "logo": {"text": f"sksegment {release}"},
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
# the gallery and the API pages need no left sidebar: the pages fill the width
html_sidebars = {"index": [], "changelog": [], "cli": []}
html_static_path = ["_static"]
html_css_files = ["sksegment.css"]
# "--force" stays two hyphens in the command-line reference: no smart dashes
smartquotes_action = "qe"
