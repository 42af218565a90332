"""pyproject.toml pins each package a patch in workshop/upstream relies on to the minor version it was checked
against, and this install is in that range: an upgrade past it is a deliberate edit of the pin, the check and
`CHECKED_AGAINST` together."""

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from workshop.upstream import channel_layer, twisted_writes

ROOT = Path(__file__).resolve().parents[3]
CHECKED = [
    (module.__name__, name, version)
    for module in (channel_layer, twisted_writes)
    for name, version in module.CHECKED_AGAINST.items()
]


def pins() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    return {canonicalize_name(requirement.name): requirement for requirement in requirements}


@pytest.mark.parametrize(("module", "name", "checked"), CHECKED)
def test_each_patched_package_is_pinned_to_the_minor_version_checked(module, name, checked):
    specifier = pins()[canonicalize_name(name)].specifier
    version = Version(checked)
    assert specifier.contains(checked), (
        f"{name}'s pin {specifier} leaves out {checked}, which {module} checked"
    )
    next_minor = f"{version.major}.{version.minor + 1}"
    assert not specifier.contains(next_minor), f"{name}'s pin {specifier} lets {next_minor} in, not checked"
    installed = metadata.version(name)
    assert specifier.contains(installed), f"{name} {installed} is installed, outside its pin {specifier}"


def test_the_constraints_file_pins_each_patched_package_inside_its_pin():
    locked = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            locked[canonicalize_name(name)] = version.split(";")[0].strip()
    for _module, name, _checked in CHECKED:
        specifier, version = pins()[canonicalize_name(name)].specifier, locked[canonicalize_name(name)]
        assert specifier.contains(version), (
            f"constraints.txt has {name} {version}, outside {specifier}: make lock"
        )
