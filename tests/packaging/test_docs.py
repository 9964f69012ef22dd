"""docs/architecture.md names every package of the code, and README shows its layer diagram."""

from __future__ import annotations

import re

import pytest

from clinvault.settings import PROJECT_ROOT

SRC = PROJECT_ROOT / "src" / "clinvault"
ARCHITECTURE = PROJECT_ROOT / "docs" / "architecture.md"
README = PROJECT_ROOT / "README.md"
MERMAID = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


def _packages() -> list[str]:
    return sorted(p.name for p in SRC.iterdir() if p.is_dir() and any(p.glob("*.py")))


def _modules() -> list[str]:
    return sorted(p.stem for p in SRC.glob("*.py") if not p.stem.startswith("_"))


def _layer_diagram(text: str) -> str:
    found = MERMAID.search(text)
    assert found, "no mermaid block"
    return found.group(1)


def test_the_readme_shows_the_architecture_layer_diagram() -> None:
    architecture = _layer_diagram(ARCHITECTURE.read_text(encoding="utf-8"))
    assert _layer_diagram(README.read_text(encoding="utf-8")) == architecture


@pytest.mark.parametrize("package", _packages())
def test_every_package_is_a_box_of_the_layer_diagram_and_a_row_of_the_table(package: str) -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert re.search(rf"^\s+{package}\[", _layer_diagram(text), re.MULTILINE), package
    assert f"| `{package}/` |" in text, package


@pytest.mark.parametrize("module", _modules())
def test_every_top_level_module_is_in_the_layer_diagram_and_the_table(module: str) -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert re.search(rf"\b{module}\b", _layer_diagram(text)), module
    assert f"| `{module}.py` |" in text, module


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("title", ["Layers", "Data flow"])
def test_every_module_the_layers_and_data_flow_name_exists(title: str) -> None:
    section = _section(ARCHITECTURE.read_text(encoding="utf-8"), title)
    named = set(re.findall(r"\b((?:[a-z_0-9]+\.)+[a-z_0-9]+)\b(?![.\w])", section))
    modules = {name for name in named if name.split(".")[0] in _packages()}
    assert modules, "no module named"
    for name in sorted(modules):
        assert _resolves(name.split(".")), name


def _resolves(parts: list[str]) -> bool:
    """A package, a module, or a name defined at the top of a module (``api.services.f``)."""
    path = SRC.joinpath(*parts)
    if path.is_dir() or path.with_suffix(".py").is_file():
        return True
    module = SRC.joinpath(*parts[:-1]).with_suffix(".py")
    if len(parts) < 2 or not module.is_file():
        return False
    source = module.read_text(encoding="utf-8")
    return bool(re.search(rf"^(?:def|class) {parts[-1]}\b|^{parts[-1]}\b *[:=]", source, re.M))
