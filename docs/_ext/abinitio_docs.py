"""The learning site's own Sphinx extension: it ties every article to the code it teaches.

It reads ``docs/article_index.toml`` (the map: article -> section, title, public objects)
and gives the articles three things:

* ``.. implementation::`` -- in an article, lists the objects that the map gives for it,
  each with its one-line summary, a link to its API entry and a link to the exact lines of
  the file that defines it. The objects are imported at build time, so a renamed or moved
  object fails the build (warnings are errors) instead of leaving a dead link.
* ``:source:`src/abinitio/tensor.py``` (or ``...tensor.py:42-97``) -- a link to the
  highlighted, line-numbered copy of that file on this site (every ``.py`` under
  ``src/abinitio`` gets one, generated into ``auto_source/``).
* ``.. reading-order::`` -- the table of the "read the source in this order" page, with the
  line count of every step measured at build time.

It also writes one API page per mapped object into ``auto_api/`` (autodoc + viewcode),
each linking back to the articles that teach it, turns the back-link line that ends every
mapped docstring (``See the article docs/articles/<section>/<name>.py.``) into a link to
the article's page, and provides ``ArticleOrder`` so the gallery lists articles in the
map's order.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from article_map import (
    BACKLINK,
    DOCS,
    INDEX_FILE,
    MAX_STEP_LINES,
    PACKAGE,
    REPO,
    import_object,
    load_index,
    locate,
    parse_reading_step,
    source_docname,
    summary,
)
from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.util import logging

logger = logging.getLogger(__name__)


# ---- gallery hooks --------------------------------------------------------------------


class ArticleOrder:
    """Sphinx-Gallery sort key: articles appear in the order the map lists them."""

    def __init__(self, src_dir) -> None:
        self.src_dir = src_dir
        self.names = list(load_index()["articles"])

    def __call__(self, filename) -> int:
        name = Path(filename).stem
        return self.names.index(name) if name in self.names else len(self.names)

    def __repr__(self) -> str:
        return "ArticleOrder"  # stable, so Sphinx does not rebuild everything every time


def reset_example(gallery_conf, fname) -> None:
    """Before each article's example: the same seed and the same plot style for every page.
    (Run on its own, an example seeds itself and gets matplotlib's defaults.)"""
    import matplotlib

    import abinitio

    matplotlib.rcdefaults()
    matplotlib.rcParams.update(
        {
            "figure.figsize": (7.0, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.grid": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "legend.frameon": False,
            "figure.constrained_layout.use": True,
        }
    )
    abinitio.manual_seed(0)


def section_order() -> list[str]:
    """Gallery sub-folders in the map's order (for ``subsection_order``)."""
    return ["articles/" + section["dir"] for section in load_index()["sections"]]


# ---- generated pages ------------------------------------------------------------------


def _write_if_changed(path: Path, text: str) -> None:
    # unchanged files keep their mtime, so an incremental build does not re-read them
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _title(text: str, underline: str = "=") -> str:
    return f"{text}\n{underline * len(text)}\n"


def write_source_pages(app) -> None:
    """One page per file of the package: the whole file, highlighted, lines anchored."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    out = DOCS / "auto_source"
    formatter = HtmlFormatter(
        linenos="inline", lineanchors="L", anchorlinenos=True, cssclass="highlight source-listing"
    )
    names = []
    for file in sorted(PACKAGE.rglob("*.py")):
        relative = file.relative_to(REPO).as_posix()
        text = file.read_text()
        count = len(text.splitlines())
        html = highlight(text, PythonLexer(), formatter)
        page = (
            f":orphan:\n\n{_title(relative)}\n"
            f"{count} lines. Line numbers are links: share one to point at a line.\n\n"
            ".. raw:: html\n\n" + "".join(f"   {line}\n" for line in html.splitlines())
        )
        docname = source_docname(file)
        names.append(docname)
        _write_if_changed(DOCS / f"{docname}.rst", page)
    _remove_stale(out, {DOCS / f"{n}.rst" for n in names})


def write_api_pages(app) -> None:
    """One autodoc page per object in the map, linking back to the articles that use it."""
    index = load_index()
    users: dict[str, list[str]] = {}
    for name, entry in index["articles"].items():
        for dotted in entry.get("objects", []):
            users.setdefault(dotted, []).append(name)
    out = DOCS / "auto_api"
    pages = []
    for dotted, articles in sorted(users.items()):
        try:
            obj = import_object(dotted)
        except (ImportError, AttributeError) as error:
            logger.warning(f"article_index.toml: {dotted}: {error}", location=str(INDEX_FILE))
            continue
        if inspect.isclass(obj):
            directive = "autoclass"
        elif inspect.ismodule(obj):
            directive = "automodule"
        else:
            directive = "autofunction"
        links = "\n".join(f"* :ref:`article-{name}`" for name in articles)
        page = (
            f"{_title(dotted)}\n.. {directive}:: {dotted}\n\n"
            f".. rubric:: Articles that teach it\n\n{links}\n"
        )
        pages.append(dotted)
        _write_if_changed(out / f"{dotted}.rst", page)
    toctree = "\n".join(f"   {dotted}" for dotted in pages)
    _write_if_changed(
        out / "index.rst",
        _title("API of the objects the articles teach")
        + "\nEach page shows the object's docstring (the maths, the arguments, a doctest), a\n"
        "``[source]`` link to its highlighted code, and the articles that explain it.\n\n"
        f".. toctree::\n   :maxdepth: 1\n\n{toctree}\n",
    )
    _remove_stale(out, {out / f"{d}.rst" for d in pages} | {out / "index.rst"})


def _remove_stale(folder: Path, keep: set) -> None:
    for path in folder.rglob("*.rst"):
        if path not in keep:
            path.unlink()


# ---- docstrings: plain text to safe reStructuredText ----------------------------------

# :role:`target`, `interpreted` and *emphasised words* are reStructuredText on purpose
_ROLES = re.compile(
    r"(:[\w:.+-]+:`[^`]+`|`[^`]+`_{0,2}|(?<![\w*])\*{1,2}[A-Za-z][^*]*?[A-Za-z.]\*{1,2}(?![\w*]))"
)
_BULLET = re.compile(r"^\s*[*-] ")
_TRAILING_UNDERSCORES = re.compile(r"(?<=\w)(_+)(?=\W|$)")
_TABLE_BORDER = re.compile(r"^\s*=+( +=+)+\s*$")


def _escape_plain(text: str, in_table: bool) -> str:
    """Make ASCII maths literal: |x| is not a substitution, (*, n) is not emphasis, and
    init_ or __init__ are not hyperlinks. Table cells keep their width (look-alike glyphs
    instead of backslashes)."""
    if in_table:
        return text.replace("*", "\u2217").replace("|", "\u2223")
    text = text.replace("*", "\\*").replace("|", "\\|")
    return _TRAILING_UNDERSCORES.sub(lambda m: "\\_" * len(m.group(1)), text)


def _escape_line(line: str, in_literal: bool, in_table: bool) -> tuple[str, bool]:
    """Escape the plain parts of one line. ``in_literal``: a ``code`` span opened on an
    earlier line of the paragraph is still open; returned updated for the next line."""
    bullet = _BULLET.match(line)
    out = [bullet.group(0)] if bullet else []
    line = line[bullet.end() :] if bullet else line
    for k, piece in enumerate(line.split("``")):
        if k:
            out.append("``")
            in_literal = not in_literal
        if in_literal:
            out.append(piece)
            continue
        parts = _ROLES.split(piece)
        out.append(
            "".join(
                part if j % 2 else _escape_plain(part, in_table) for j, part in enumerate(parts)
            )
        )
    return "".join(out), in_literal


def link_articles(app, what, name, obj, options, lines) -> None:
    """``autodoc-process-docstring``: the docstring's back-link, a repository path for
    readers of ``help()``, becomes a link to the article on the site."""
    for i, line in enumerate(lines):
        match = BACKLINK.match(line)
        if match:
            indent, _, article = match.groups()
            lines[i] = f"{indent}See the article :ref:`article-{article}`."


def escape_docstring(app, what, name, obj, options, lines) -> None:
    """``autodoc-process-docstring``: abinitio's docstrings are written for people reading
    the source (STYLE.md: maths in ASCII), so outside code, roles, doctests and literal
    blocks, the characters reStructuredText would read as markup are escaped."""
    literal_indent = None  # inside a literal block: the indentation it must exceed
    in_doctest = in_table = in_literal = False
    borders = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if not stripped:
            in_literal = False  # an inline literal cannot cross paragraphs
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                continue
            literal_indent = None
        if stripped.startswith(">>>"):
            in_doctest = True
        if in_doctest:
            in_doctest = bool(stripped)
            continue
        if _TABLE_BORDER.match(line):
            borders += 1
            in_table = borders % 3 != 0
            continue
        lines[i], in_literal = _escape_line(line, in_literal, in_table)
        if stripped.endswith("::"):
            literal_indent = indent


# ---- roles and directives -------------------------------------------------------------


def _relative_uri(env, docname: str, anchor: str = "") -> str:
    uri = env.app.builder.get_relative_uri(env.docname, docname)
    return uri + (f"#{anchor}" if anchor else "")


def _source_reference(env, file: Path, first: int | None, last: int | None, location):
    """A link node to the generated page of ``file``, at ``first`` when given."""
    file = file.resolve()
    if not file.is_file() or PACKAGE not in file.parents:
        logger.warning(f"source: no file {file} under src/abinitio", location=location)
        return nodes.literal(str(file), str(file))
    relative = file.relative_to(REPO).as_posix()
    text = relative if first is None else f"{relative}, lines {first}\u2013{last}"
    anchor = "" if first is None else f"L-{first}"
    reference = nodes.reference(
        "", "", internal=True, refuri=_relative_uri(env, source_docname(file), anchor)
    )
    reference += nodes.literal(text, text)
    return reference


def source_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:source:`src/abinitio/tensor.py``` or ``:source:`src/abinitio/tensor.py:42-97```."""
    env = inliner.document.settings.env
    path, first, last, _ = parse_reading_step(text)
    location = (env.docname, lineno)
    return [_source_reference(env, REPO / path, first, last, location)], []


class Implementation(Directive):
    """Where an article's concept lives in the code: the objects the map gives for it."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        name = env.docname.rsplit("/", 1)[-1]
        entry = load_index()["articles"].get(name)
        location = (env.docname, self.lineno)
        if entry is None:
            logger.warning(
                f"implementation: article {name!r} is not in article_index.toml", location=location
            )
            return []
        env.note_dependency(str(INDEX_FILE))
        items = nodes.bullet_list()
        for dotted in entry.get("objects", []):
            items += self._item(env, dotted, location)
        return [items]

    def _item(self, env, dotted: str, location):
        item = nodes.list_item()
        paragraph = nodes.paragraph()
        item += paragraph
        try:
            obj = import_object(dotted)
            file, first, last = locate(obj)
        except (ImportError, AttributeError, TypeError, OSError) as error:
            logger.warning(f"implementation: {dotted}: {error}", location=location)
            paragraph += nodes.literal(dotted, dotted)
            return item
        env.note_dependency(str(file))
        xref = addnodes.pending_xref(
            "", refdomain="py", reftype="obj", reftarget=dotted, refexplicit=False, refwarn=True
        )
        xref += nodes.literal(dotted, dotted, classes=["xref", "py", "py-obj"])
        paragraph += xref
        whole_file = inspect.ismodule(obj)
        paragraph += nodes.Text(" in ")
        paragraph += _source_reference(env, file, None if whole_file else first, last, location)
        text = summary(obj)
        if text:
            paragraph += nodes.Text(": ")
            paragraph += nodes.emphasis(text, text)
        return item


class ComingArticles(Directive):
    """The ``[[coming]]`` entries of the map: planned articles and what they wait for."""

    def run(self):
        env = self.state.document.settings.env
        env.note_dependency(str(INDEX_FILE))
        titles = {section["dir"]: section["title"] for section in load_index()["sections"]}
        items = nodes.bullet_list()
        for entry in load_index().get("coming", []):
            paragraph = nodes.paragraph()
            paragraph += nodes.strong(entry["title"], entry["title"])
            section = titles.get(entry["section"], entry["section"])
            paragraph += nodes.Text(f" (section {section}): waits for {entry['waits_for']}.")
            items += nodes.list_item("", paragraph)
        return [items]


class ReadingOrder(Directive):
    """A table of steps through the source. Content: one step a line,
    ``src/abinitio/file.py[:first-last] | what to read it for`` (the text is reStructuredText).
    Steps are numbered on from the page's previous ``reading-order`` table.
    """

    has_content = True

    def run(self):
        env = self.state.document.settings.env
        rows = []
        start = env.temp_data.get("reading_order_steps", 0) + 1
        env.temp_data["reading_order_steps"] = start - 1 + len(self.content)
        for number, line in enumerate(self.content, start=start):
            path, first, last, purpose = parse_reading_step(line)
            file = REPO / path
            if not file.is_file():
                logger.warning(
                    f"reading-order: no file {path}",
                    location=(env.docname, self.lineno),
                )
                continue
            env.note_dependency(str(file))
            total = len(file.read_text().splitlines())
            whole = first is None
            first, last = (1, total) if whole else (first, last)
            count = last - first + 1
            if count > MAX_STEP_LINES or last > total:
                logger.warning(
                    f"reading-order: step {number} ({path}) spans {count} lines "
                    f"(file has {total}); keep each step under {MAX_STEP_LINES}",
                    location=(env.docname, self.lineno),
                )
            link = f":source:`{path}`" if whole else f":source:`{path}:{first}-{last}`"
            rows += [f"   * - {number}", f"     - {link}", f"     - {count}", f"     - {purpose}"]
        table = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 4 40 8 48",
            "",
            "   * - Step",
            "     - File",
            "     - Lines",
            "     - Read it for",
            *rows,
        ]
        container = nodes.container()
        self.state.nested_parse(StringList(table), self.content_offset, container)
        return container.children


def setup(app):
    app.connect("builder-inited", write_source_pages)
    app.connect("builder-inited", write_api_pages)
    app.connect("autodoc-process-docstring", link_articles, priority=300)  # a role: kept
    app.connect("autodoc-process-docstring", escape_docstring, priority=400)  # before napoleon
    app.add_role("source", source_role)
    app.add_directive("implementation", Implementation)
    app.add_directive("reading-order", ReadingOrder)
    app.add_directive("coming-articles", ComingArticles)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
