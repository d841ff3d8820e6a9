"""Sphinx configuration of the learning site (build command: see docs/README.md)."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))  # the site's own extension, abinitio_docs
sys.path.insert(0, str(DOCS.parent / "src"))  # document the checkout, even if not installed

import abinitio_docs  # noqa: E402

import abinitio  # noqa: E402

project = "abinitio: deep learning from first principles"
html_title = "abinitio — learning deep learning from first principles"
author = "the abinitio authors"
copyright = "the abinitio authors, MIT licence"
release = version = abinitio.__version__

extensions = [
    "sphinx.ext.autodoc",  # API pages from the docstrings
    "sphinx.ext.napoleon",  # the docstrings' Args: / Returns: / Example: sections
    "sphinx.ext.viewcode",  # [source] links to highlighted code
    "sphinx.ext.mathjax",  # :math: and .. math::
    "sphinx-mathjax-offline",  # ships MathJax inside the site: maths renders with no network
    "sphinx_gallery.gen_gallery",  # runs every article's example at build time
    "abinitio_docs",  # :source:, .. implementation::, .. reading-order::
]

exclude_patterns = ["_build", "README.md", "articles"]  # articles/ holds the scripts
templates_path = []
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_theme = "furo"
html_theme_options = {"navigation_with_keys": True}
pygments_style = "friendly"
pygments_dark_style = "monokai"

# Docstrings are written for people reading the source: plain text with maths in ASCII.
autodoc_default_options = {"show-inheritance": False}
autodoc_typehints = "none"  # the signature shows the names; the docstring says the types
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_custom_sections = ["Shape"]  # shown as written: "input (N, *) -> output (N, *)"
add_module_names = True

sphinx_gallery_conf = {
    "examples_dirs": ["articles"],
    "gallery_dirs": ["auto_articles"],
    "filename_pattern": r"\.py$",  # execute every article, not only plot_*.py
    "ignore_pattern": r"(__init__|/_[^/]*)\.py$",  # _helpers.py would not be an article
    "subsection_order": abinitio_docs.section_order(),
    "within_subsection_order": "abinitio_docs.ArticleOrder",
    "run_stale_examples": True,  # every build runs every article: outputs never go stale
    "abort_on_example_error": False,  # report every failing article, then fail the build
    "only_warn_on_example_error": False,
    "reset_modules": ("abinitio_docs.reset_example",),  # seed 0 and one plot style
    "remove_config_comments": True,
    "download_all_examples": False,
    "doc_module": ("abinitio",),  # names in the code link to their API pages
    "reference_url": {"abinitio": None},
    "min_reported_time": 10**6,  # do not print "Total running time" under each article
    "write_computation_times": False,
    "show_memory": False,
    "capture_repr": (),  # print() what should be shown; no stray reprs of last lines
    "image_srcset": [],
    "matplotlib_animations": False,
    "show_signature": False,
}
