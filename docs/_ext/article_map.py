"""The map of the learning site, and what can be read from its articles, in plain Python.

The Sphinx extension (``abinitio_docs``) and the tests (``tests/docs``) share these
helpers; nothing here imports Sphinx, so the fast tests run without the ``docs`` extra.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DOCS = Path(__file__).resolve().parents[1]
# resolved, so that a copy of docs/ beside a symlink to src/ (as the build test makes)
# still names files by their real place in the repository
PACKAGE = (DOCS.parent / "src" / "abinitio").resolve()
REPO = PACKAGE.parents[1]
INDEX_FILE = DOCS / "article_index.toml"
MAX_STEP_LINES = 400  # STYLE.md's budget for one file: one step of the reading order


def load_index(path: Path = INDEX_FILE) -> dict:
    """The article map: ``{"sections": [...], "articles": {name: {...}}, "coming": [...]}``."""
    with open(path, "rb") as file:
        return tomllib.load(file)


def article_path(name: str, entry: dict) -> Path:
    """Where an article's script lives: ``docs/articles/<section>/<name>.py``."""
    return DOCS / "articles" / entry["section"] / f"{name}.py"


def import_object(dotted: str):
    """``"abinitio.nn.Neuron"`` -> the object, trying the longest importable module first."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(f"cannot import {dotted!r}")


def locate(obj) -> tuple[Path, int, int]:
    """The file that defines ``obj`` and its first and last line (1-based)."""
    unwrapped = inspect.unwrap(obj)
    file = Path(inspect.getsourcefile(unwrapped)).resolve()
    if inspect.ismodule(unwrapped):
        return file, 1, len(file.read_text().splitlines())
    lines, first = inspect.getsourcelines(unwrapped)
    return file, first, first + len(lines) - 1


def summary(obj, limit: int = 240) -> str:
    """The docstring's first paragraph as plain text (``code`` and :role:`~a.b` unwrapped),
    cut after its last full sentence within ``limit`` characters."""
    doc = (inspect.getdoc(obj) or "").strip()
    text = " ".join(doc.split("\n\n")[0].split())
    text = re.sub(r":[\w:.+-]+:`~?(?:[\w.]+\.)?([^`]+)`", r"\1", text).replace("``", "")
    if len(text) <= limit:
        return text
    cut = text[:limit].rfind(". ")
    return text[: cut + 1] if cut > 0 else text[:limit].rstrip() + " ..."


def source_docname(file: Path) -> str:
    """``src/abinitio/nn/modules/neuron.py`` -> ``auto_source/nn/modules/neuron``."""
    relative = file.resolve().relative_to(PACKAGE).with_suffix("")
    return "auto_source/" + relative.as_posix()


def parse_reading_step(line: str) -> tuple[str, int | None, int | None, str]:
    """``"src/x.py:1-152 | why"`` -> ``("src/x.py", 1, 152, "why")`` (None, None: whole file)."""
    target, _, purpose = line.partition("|")
    path, _, span = target.strip().partition(":")
    if not span:
        return path, None, None, purpose.strip()
    first, _, last = span.partition("-")
    return path, int(first), int(last or first), purpose.strip()


# ---- what an article says ---------------------------------------------------------------

ARTICLE_REF = re.compile(r":ref:`(?:[^`<]*<)?article-(\w+)>?`")
LABEL = re.compile(r"^\.\. _article-(\w+):\s*$", re.MULTILINE)


def article_text(path: Path) -> str:
    """The article's prose: its docstring and its ``# `` comment blocks, as one text."""
    source = path.read_text()
    docstring = ast.get_docstring(ast.parse(source), clean=False) or ""
    comments = [line.strip()[2:] for line in source.splitlines() if line.strip().startswith("# ")]
    return docstring + "\n" + "\n".join(comments)


def article_title(path: Path) -> str:
    """The heading that follows the article's label."""
    lines = (ast.get_docstring(ast.parse(path.read_text())) or "").splitlines()
    texts = [line.strip() for line in lines if line.strip() and not line.startswith("..")]
    return texts[0] if texts else ""


def related_topics(path: Path) -> list[str]:
    """The article names linked from the article's "Related topics" section."""
    text = article_text(path)
    _, found, after = text.partition("Related topics")
    return ARTICLE_REF.findall(after) if found else []


def code_lines(path: Path) -> int:
    """Lines of the example: not blank, not comments, not the docstring."""
    source = path.read_text()
    end = ast.parse(source).body[0].end_lineno
    return sum(
        1
        for line in source.splitlines()[end:]
        if line.strip() and not line.lstrip().startswith("#")
    )


# ---- docstring back-links -----------------------------------------------------------------

BACKLINK = re.compile(r"^(\s*)See the article docs/articles/(\w+)/(\w+)\.py\.\s*$")


def backlink(name: str, entry: dict) -> str:
    """The one line a public object's docstring ends with, pointing at its article."""
    return f"See the article docs/articles/{entry['section']}/{name}.py."


def home_articles(index: dict) -> dict[str, str]:
    """``{dotted name: article}`` for every mapped object: the first article (in reading
    order) that lists it, or that lists the same object under another name."""
    homes, by_identity = {}, {}
    for name, entry in index["articles"].items():
        for dotted in entry["objects"]:
            key = id(import_object(dotted))
            by_identity.setdefault(key, name)
            homes.setdefault(dotted, by_identity[key])
    return homes
