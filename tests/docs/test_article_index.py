"""The map of the learning site (docs/article_index.toml) agrees with the articles and
with the code: every article exists, is labelled and titled as the map says, names
objects that import from existing files, and links only to existing articles."""

import importlib
import inspect
from pathlib import Path

import pytest
from article_map import (
    BACKLINK,
    DOCS,
    LABEL,
    MAX_STEP_LINES,
    PACKAGE,
    REPO,
    article_path,
    article_text,
    article_title,
    backlink,
    code_lines,
    home_articles,
    import_object,
    load_index,
    locate,
    parse_reading_step,
    related_topics,
)

INDEX = load_index()
ARTICLES = INDEX["articles"]
NAMES = sorted(ARTICLES)
SECTIONS = [section["dir"] for section in INDEX["sections"]]
MAX_CODE_LINES = 80  # an article's example stays small enough to read in one sitting


def test_every_article_script_is_in_the_map_and_every_entry_has_a_script():
    scripts = {p.stem: p for p in (DOCS / "articles").rglob("*.py") if not p.name.startswith("_")}
    assert sorted(scripts) == NAMES, "add new articles to docs/article_index.toml"
    for name, entry in ARTICLES.items():
        assert entry["section"] in SECTIONS, f"{name}: unknown section {entry['section']!r}"
        assert scripts[name] == article_path(name, entry)


def test_every_section_has_a_gallery_header():
    for section in SECTIONS:
        assert (DOCS / "articles" / section / "GALLERY_HEADER.rst").is_file(), section


@pytest.mark.parametrize("name", NAMES)
def test_article_is_labelled_and_titled_as_the_map_says(name):
    path = article_path(name, ARTICLES[name])
    assert LABEL.findall(article_text(path)) == [name], f"{path} needs '.. _article-{name}:'"
    assert article_title(path) == ARTICLES[name]["title"]


@pytest.mark.parametrize("name", NAMES)
def test_article_shows_where_it_lives_in_the_code(name):
    text = article_text(article_path(name, ARTICLES[name]))
    assert ".. implementation::" in text
    assert ".. math::" in text, "every article states its maths"
    assert ARTICLES[name]["objects"], f"{name}: list the objects it explains in the map"


@pytest.mark.parametrize("name", NAMES)
def test_related_topics_link_to_existing_articles(name):
    related = related_topics(article_path(name, ARTICLES[name]))
    assert len(related) >= 2, f"{name}: a 'Related topics' section with at least two links"
    unknown = sorted(set(related) - set(NAMES))
    assert not unknown, f"{name} links to articles that do not exist: {unknown}"
    assert name not in related, f"{name} links to itself"


@pytest.mark.parametrize("name", NAMES)
def test_every_article_reference_resolves(name):
    from article_map import ARTICLE_REF

    referenced = set(ARTICLE_REF.findall(article_text(article_path(name, ARTICLES[name]))))
    assert referenced <= set(NAMES), sorted(referenced - set(NAMES))


@pytest.mark.parametrize("name", NAMES)
def test_example_is_small(name):
    assert code_lines(article_path(name, ARTICLES[name])) <= MAX_CODE_LINES


@pytest.mark.parametrize(
    "dotted", sorted({d for entry in ARTICLES.values() for d in entry["objects"]})
)
def test_mapped_object_imports_and_lives_in_an_existing_source_file(dotted):
    obj = import_object(dotted)
    file, first, last = locate(obj)
    assert file.is_file() and PACKAGE in file.parents, f"{dotted} is defined outside src/abinitio"
    assert 1 <= first <= last <= len(file.read_text().splitlines())
    assert (obj.__doc__ or "").strip(), f"{dotted} has no docstring for its API page"


def test_coming_articles_do_not_clash_with_written_ones():
    for entry in INDEX.get("coming", []):
        assert entry["name"] not in ARTICLES, f"{entry['name']} is written: drop it from [[coming]]"
        assert entry["section"] in SECTIONS and entry["title"] and entry["waits_for"]


def reading_steps():
    lines = (DOCS / "reading_order.rst").read_text().splitlines()
    steps, inside = [], False
    for line in lines:
        if line.startswith(".. reading-order::"):
            inside = True
        elif inside and line.startswith("   ") and "|" in line:
            steps.append(parse_reading_step(line.strip()))
        elif inside and line.strip() and not line.startswith(" "):
            inside = False
    return steps


def test_reading_order_steps_exist_and_stay_short():
    steps = reading_steps()
    assert len(steps) >= 10
    stages = [path.split("/")[2] for path, *_ in steps]
    # the path goes tensor -> autograd -> ops -> nn -> optim -> data -> training
    assert stages[0] == "tensor.py" and stages[-1] == "training"
    for path, first, last, purpose in steps:
        file = REPO / path
        assert file.is_file(), path
        total = len(file.read_text().splitlines())
        first, last = (1, total) if first is None else (first, last)
        assert 1 <= first <= last <= total, f"{path}: lines {first}-{last} of {total}"
        assert last - first + 1 <= MAX_STEP_LINES, f"{path}: split this step"
        assert purpose, f"{path}: say what to read it for"


def test_doc_pages_link_only_to_existing_articles():
    from article_map import ARTICLE_REF

    for page in list(DOCS.glob("*.rst")) + list((DOCS / "articles").rglob("*.rst")):
        unknown = set(ARTICLE_REF.findall(Path(page).read_text())) - set(NAMES)
        assert not unknown, f"{page.name}: {sorted(unknown)}"


# ---- every public class links back to its article ------------------------------------------

HOMES = home_articles(INDEX)
# the namespaces a user imports from; their public classes each belong to an article
PUBLIC_NAMESPACES = [
    "abinitio",
    "abinitio.torch",
    "abinitio.nn",
    "abinitio.optim",
    "abinitio.optim.lr_scheduler",
    "abinitio.data",
    "abinitio.data.preprocessing",
    "abinitio.training",
    "abinitio.models",
    "abinitio.inspect",
    "abinitio.profiler",
    "abinitio.viz",
    # ---- issue 14: graph, topology ----
    "abinitio.graph",
    "abinitio.topology",
    "abinitio.sparse",
    # ---- issue 15: snn ----
    "abinitio.snn",
    "abinitio.snn.surrogate",
    "abinitio.snn.functional",
    # ---- issue 16: distributions, rl ----
    "abinitio.distributions",
    "abinitio.rl",
    # ---- issue 18: sklearn, tune ----
    "abinitio.sklearn",
    "abinitio.tune",
    # ---- issue 19: active ----
    "abinitio.active",
    "abinitio.nn.finetune",
    "abinitio.training.finetune",
    # ---- issue 20: own data ----
    "abinitio.data.tabular",
    "abinitio.data.transforms",
    # ---- issue 21: theory ----
    "abinitio.theory",
    # ---- issue 13: vision, onnx ----
    "abinitio.onnx",
    "abinitio.vision.datasets",
    "abinitio.vision.transforms",
    "abinitio.vision.utils",
    # ---- issue 12: training on many processes ----
    "abinitio.distributed",
    "abinitio.nn.parallel",
    # ---- issue 17: federated learning ----
    "abinitio.federated",
]


@pytest.mark.parametrize("dotted", sorted(HOMES))
def test_mapped_object_docstring_links_back_to_its_article(dotted):
    name = HOMES[dotted]
    line = backlink(name, ARTICLES[name])
    doc = inspect.unwrap(import_object(dotted)).__doc__ or ""
    found = [m.group(0).strip() for m in map(BACKLINK.match, doc.splitlines()) if m]
    assert found == [line], f"end the docstring of {dotted} with the line: {line}"


def public_classes():
    for namespace in PUBLIC_NAMESPACES:
        module = importlib.import_module(namespace)
        names = getattr(module, "__all__", None) or [n for n in dir(module) if n[0] != "_"]
        for attribute in names:
            obj = getattr(module, attribute)
            if inspect.isclass(obj) and obj.__module__.startswith("abinitio"):
                yield f"{namespace}.{attribute}", obj


def test_every_public_class_has_an_article():
    mapped = {id(import_object(dotted)) for dotted in HOMES}
    orphans = sorted({name for name, obj in public_classes() if id(obj) not in mapped})
    assert not orphans, f"add these to an article's objects in docs/article_index.toml: {orphans}"
