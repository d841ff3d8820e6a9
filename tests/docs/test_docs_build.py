"""The site builds with warnings as errors, and a broken example fails the build.

Marked ``docs``: run with ``python -m pytest -m docs`` after ``pip install -e ".[docs]"``
(about two minutes on two cores; the normal run skips these tests).
"""

import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import require

pytestmark = pytest.mark.docs

DOCS = Path(__file__).resolve().parents[2] / "docs"
GENERATED = ("_build", "auto_*", "sg_execution_times.rst")


def sphinx_build(source: Path, out: Path) -> subprocess.CompletedProcess:
    """docs/README.md's build command, on ``source``."""
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
    return subprocess.run(
        [*command, str(source), str(out)], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """A fresh build of a copy of docs/ (nothing cached: every example runs)."""
    require("sphinx")
    require("sphinx_gallery")
    require("furo")
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(DOCS, root / "docs", ignore=shutil.ignore_patterns(*GENERATED))
    (root / "src").symlink_to(DOCS.parent / "src")  # conf.py documents ../src
    result = sphinx_build(root / "docs", root / "html")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-8000:]
    return root / "html"


def test_every_article_page_has_its_outputs_and_related_topics(built_site):
    from article_map import load_index

    for name, entry in load_index()["articles"].items():
        page = built_site / "auto_articles" / entry["section"] / f"{name}.html"
        html = page.read_text()
        assert "Related topics" in html and "Where it lives in abinitio" in html, name
        assert "sphx-glr-script-out" in html or "sphx-glr-single-img" in html, (
            f"{name}: the example printed nothing and drew nothing"
        )
        assert "src/abinitio/" in html, f"{name}: no link to the source"


def test_source_pages_and_api_pages_exist(built_site):
    assert (built_site / "auto_source" / "tensor.html").is_file()
    assert (built_site / "auto_source" / "autograd" / "engine.html").is_file()
    assert 'id="L-1"' in (built_site / "auto_source" / "tensor.html").read_text()
    assert (built_site / "auto_api" / "abinitio.nn.Neuron.html").is_file()
    assert (built_site / "reading_order.html").is_file()


def test_a_broken_example_fails_the_build(tmp_path):
    """A throwaway Sphinx-Gallery project with the site's error handling and one example
    that raises: the build must fail and name the error."""
    require("sphinx_gallery")
    site = runpy.run_path(str(DOCS / "conf.py"))["sphinx_gallery_conf"]
    assert site["only_warn_on_example_error"] is False  # what makes the site's build fail
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "GALLERY_HEADER.rst").write_text("Examples\n========\n")
    (tmp_path / "examples" / "broken.py").write_text(
        '"""\nA broken example\n================\n"""\n\nprint(1 / 0)\n'
    )
    (tmp_path / "index.rst").write_text("Test\n====\n\n.. toctree::\n\n   auto_examples/index\n")
    gallery = {
        key: site[key]
        for key in ("filename_pattern", "abort_on_example_error", "only_warn_on_example_error")
    }
    gallery.update(examples_dirs="examples", gallery_dirs="auto_examples")
    (tmp_path / "conf.py").write_text(
        f'extensions = ["sphinx_gallery.gen_gallery"]\nsphinx_gallery_conf = {gallery!r}\n'
        'exclude_patterns = ["_build", "examples"]\n'
    )
    result = sphinx_build(tmp_path, tmp_path / "_build")
    assert result.returncode != 0
    assert "ZeroDivisionError" in result.stdout + result.stderr
