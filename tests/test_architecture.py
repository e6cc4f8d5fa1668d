"""The layering rules hold: import-linter contracts, no private names across modules, docs that match the tree."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "extractors", "pipeline")


def _modules() -> dict[str, Path]:
    """Dotted name → file for every module of the three packages."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imported_from(node: ast.ImportFrom, module: str, path: Path) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def private_imports(source: str, module: str, path: Path) -> list[str]:
    """``from other_module import _name`` in ``source``: a private name used outside its module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            target = _imported_from(node, module, path)
            if target.split(".")[0] not in PACKAGES or target == module:
                continue
            for alias in node.names:
                name = alias.name
                if name.startswith("_") and not name.startswith("__") and f"{target}.{name}" not in MODULES:
                    found.append(f"{module}:{node.lineno} imports {target}.{name}")
    return found


def test_import_contracts_are_kept():
    """Layers point down and sibling modules have no cycles (contracts in pyproject.toml)."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is part of the [test] extra: pip install -e '.[test]'"
    proc = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "broken" not in proc.stdout.split("Contracts:")[-1].replace("0 broken", "")


def test_no_private_names_across_modules():
    problems = [p for module, path in MODULES.items() for p in private_imports(path.read_text(encoding="utf-8"), module, path)]
    assert problems == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from pipeline.stages.parse import _helper\n", True),
        ("from pipeline.stages.parse import helper\n", False),
        ("from . import _sibling_private\n", True),
        ("from pipeline.stages.context import __doc__\n", False),
    ],
)
def test_private_import_check_finds_them(source, found):
    """The check above can fail: a private name imported from another module is reported."""
    path = ROOT / "pipeline" / "stages" / "fetch.py"
    assert bool(private_imports(source, "pipeline.stages.fetch", path)) is found


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)


def test_no_print_in_library_code():
    """Library code logs; only the CLI writes to the terminal (through Typer/Rich)."""
    offenders = []
    for module, path in MODULES.items():
        if module.startswith("pipeline.cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for top in tree.body:
            if _is_main_guard(top):  # ``python -m module``: a command-line edge of its own
                continue
            for node in ast.walk(top):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                    offenders.append(f"{module}:{node.lineno}")
    assert offenders == []


def _packages() -> list[str]:
    return sorted(
        str(p.parent.relative_to(ROOT)) + "/"
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("__init__.py")
    )


def test_architecture_doc_and_readme_name_every_package():
    """docs/architecture.md and the README's layout section list every package of the tree."""
    arch = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout of the code", 1)[1]
    def names(text: str, package: str) -> bool:
        return re.search(rf"(?<![\w/]){re.escape(package)}", text) is not None

    missing = [p for p in _packages() if not (names(arch, p) and names(layout, p))]
    assert missing == []


_REF = re.compile(r"(?<![\w./-])((?:python -m )?(?:pipeline|extractors|schemas)(?:[./][A-Za-z_][A-Za-z0-9_]*)+(?:\.py)?)")


def _resolves(ref: str) -> bool:
    ref = ref.removeprefix("python -m ")
    if ref.endswith(".py") or "/" in ref:
        return (ROOT / ref).exists()
    parts = ref.split(".")
    for i in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:i])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            rest = parts[i:]
            if not rest:
                return True
            text = (base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py").read_text(encoding="utf-8")
            return re.search(rf"^(?:def|class) {re.escape(rest[0])}\b|^{re.escape(rest[0])}\s*[:=]", text, re.M) is not None
    return False


def test_docs_name_modules_that_exist():
    """Module paths quoted in the README, docs/ and data/ cards point at modules and names that exist."""
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "data").rglob("*.md"))]
    stale = [
        f"{doc.relative_to(ROOT)}: {m.group(1)}"
        for doc in docs
        for m in _REF.finditer(doc.read_text(encoding="utf-8"))
        if not _resolves(m.group(1))
    ]
    assert stale == []
