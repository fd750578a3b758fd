"""The package boundaries of STYLE.md, checked on every import statement of the tree.

Imports are read with ast (module level and inside functions alike), so a lazy `import apache_beam`
inside a helper counts as much as one at the top of the file.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (package whose files are checked, top-level package they must not import, why)
FORBIDDEN = [
    ("classifiers", "apache_beam", "classifiers score documents; Beam steps wrap them"),
    ("model", "apache_beam", "the model never runs inside a pipeline"),
    ("train", "apache_beam", "the trainer reads Parquet, not Beam"),
    ("model", "train", "the model never imports the trainer"),
    ("transforms", "train", "pipeline steps never import the trainer"),
    ("transforms", "pipelines", "steps never import the launcher (it imports them)"),
    ("classifiers", "pipelines", "classifiers are the layer below the launcher"),
    ("classifiers", "train", "classifiers are the layer below the trainer"),
    ("model", "pipelines", "the model is the layer below the launcher"),
] + [("skypile_common", top, "every package imports skypile_common, so it imports none of them")
     for top in ("pipelines", "transforms", "classifiers", "model", "train", "apache_beam", "torch")]
# Our top-level packages (setup.py's packages); a circle among their modules fails the suite.
OURS = ("pipelines", "transforms", "classifiers", "model", "train", "skypile_common")
# Modules shared by Beam and Parquet/trainer code: neither Beam nor torch (STYLE.md "Shape").
PURE_MODULES = ["transforms/document.py", "transforms/ngrams.py", "transforms/jsonl.py",
                "transforms/paths.py", "transforms/score_documents.py", "skypile_common/markdown.py",
                "skypile_common/settings.py", "skypile_common/cli_parser.py"]


def imported_modules(source: str, module: str) -> set[str]:
    """Absolute names of every module `source` (the file of dotted `module`) imports, anywhere."""
    found: set[str] = set()
    package = module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package[:len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level(name: str) -> str:
    return name.split(".")[0]


def violations(package: str, forbidden: str) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        module = _module_name(path)
        names = imported_modules(path.read_text(encoding="utf-8"), module)
        bad = sorted(n for n in names if _top_level(n) == forbidden)
        if bad:
            out.append(f"{path.relative_to(ROOT)}: {', '.join(bad)}")
    return out


@pytest.mark.parametrize("package,forbidden,why", FORBIDDEN,
                         ids=[f"{p}-not-{f}" for p, f, _ in FORBIDDEN])
def test_package_never_imports(package, forbidden, why):
    assert violations(package, forbidden) == [], f"{package}/ imports {forbidden} ({why})"


@pytest.mark.parametrize("relpath", PURE_MODULES)
def test_shared_modules_import_neither_beam_nor_torch(relpath):
    path = ROOT / relpath
    names = imported_modules(path.read_text(encoding="utf-8"), _module_name(path))
    assert sorted(n for n in names if _top_level(n) in ("apache_beam", "torch")) == []


def test_checker_sees_function_level_and_relative_imports():
    source = ("import os\n"
              "def f():\n"
              "    import apache_beam as beam\n"
              "    from ..train.evaluate import ngrams\n"
              "    from . import sibling\n")
    names = imported_modules(source, "transforms.sub.mod")
    assert "apache_beam" in names
    assert "transforms.train.evaluate.ngrams" in names  # .. from transforms.sub -> transforms
    assert "transforms.sub.sibling" in names
    # A real violation is reported with its file.
    names = imported_modules("from train.evaluate.jsonl import read_jsonl_texts\n", "transforms.x")
    assert {"train.evaluate.jsonl", "train.evaluate.jsonl.read_jsonl_texts"} <= names


def import_cycles(*packages: str) -> list[list[str]]:
    """Circles among the modules of ``packages`` (dotted names under ROOT), each as the list of
    modules around it, imports anywhere in a file counted (a lazy import inside a function too:
    it hides a circle from Python, not from a reader)."""
    modules = {_module_name(p): p for package in packages
               for p in sorted((ROOT / package.replace(".", "/")).rglob("*.py"))}
    graph = {m: sorted({n for n in imported_modules(p.read_text(encoding="utf-8"), m)} & set(modules) - {m})
             for m, p in modules.items()}
    cycles, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for m in graph:
        if m not in state:
            visit(m, [m])
    return cycles


def test_no_import_circle_among_our_modules():
    assert import_cycles(*OURS) == []


def test_cycle_checker_finds_a_circle(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("from pkg.b import x\n")
    (pkg / "b.py").write_text("def f():\n    from pkg import a\n")
    import sys

    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert import_cycles("pkg") == [["pkg.a", "pkg.b", "pkg.a"]]
    # Across packages too: the circle funnel_chart <-> report_markdown was one package, score <->
    # score_bert another; one through two packages counts the same.
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.py").write_text("import pkg.d\n")
    (pkg / "d.py").write_text("from other import c\n")
    assert ["pkg.d", "other.c", "pkg.d"] in import_cycles("pkg", "other")
