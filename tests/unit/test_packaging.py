"""The distribution: one `botship.*` namespace in the wheel, and the import rules between its parts."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=env.pop("cwd", None), env={**os.environ, **env})


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (path,) = out.glob("botship-*.whl")
    return path


def test_wheel_maps_every_folder_into_the_botship_namespace(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("botship/__init__.py", "botship/cli/__init__.py", "botship/spec.py", "botship/tui/__init__.py",
                     "botship/providers/__init__.py", "botship/providers/engine.py",
                     "botship/runtime/__init__.py", "botship/runtime/aws_handler.py", "botship/runtime/state.py",
                     "botship/templates/__init__.py", "botship/templates/azure/function_app.py",
                     "botship/templates/azure/host.json", "botship/templates/image/Dockerfile",
                     "botship/providers/artifact/build.py", "botship/providers/aws/provider.py"):
        assert expected in names
    tops = {n.split("/")[0] for n in names}
    assert tops == {"botship", wheel.name.split("-py3")[0] + ".dist-info"}
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "botship = botship.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_wheel_contents_import_on_their_own(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path)
    result = python("import botship.runtime, botship.providers.engine, botship.cli; print(botship.runtime.__file__)",
                    PYTHONPATH=str(tmp_path), cwd=str(tmp_path.parent))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(tmp_path))


CORE_MODULES = """
import importlib, pkgutil, sys
import botship, botship.providers
# Walked package by package: with an editable install the mapped folders are not under botship/.
names = [m.name for pkg in (botship, botship.providers)
         for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
         if not m.name.startswith(("botship.tui", "botship.runtime", "botship.__main__"))]
for name in names:
    importlib.import_module(name)
print(len(names), "textual" in sys.modules)
"""


def test_core_and_providers_never_import_textual():
    result = python(CORE_MODULES)
    assert result.returncode == 0, result.stderr
    count, has_textual = result.stdout.split()
    assert int(count) >= 18 and has_textual == "False"


def test_runtime_imports_nothing_else_of_botship():
    result = python("import sys, botship.runtime; print(sorted(m for m in sys.modules if m.startswith('botship')))")
    assert result.returncode == 0, result.stderr
    loaded = eval(result.stdout)  # a printed list of module names
    assert all(m == "botship" or m.startswith("botship.runtime") for m in loaded), loaded
    assert "textual" not in result.stdout


def test_runtime_source_uses_only_stdlib_cloud_sdks_and_relative_imports():
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "azure"}
    for path in (ROOT / "runtime").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                tops = [(node.module or "").split(".")[0]]
            else:
                continue
            # The paper exchange uses the framework of the app it serves, imported only once such an app runs.
            lazy = ({"investing_algorithm_framework"} if path.name in ("paper.py", "paper_exchange.py")
                    and id(node) not in top_level else set())
            assert set(tops) <= allowed | lazy, f"{path.relative_to(ROOT)} imports {tops}"


def test_the_wizard_starts_without_cloud_sdks():
    # boto3, azure and docker load only when a step needs them: the first screen must not wait for them.
    result = python("import sys, botship.tui.app, botship.tui.wizard, botship.tui.run, botship.tui.review\n"
                    "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 'azure', 'docker'}))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_app_loads_no_cloud_sdk_until_a_step_needs_one(tmp_path, monkeypatch):
    # Opened and left on its home screen, botship loads no cloud's code nor SDK: the check for bots waiting in a
    # separately run emulator reads the environment only.
    monkeypatch.delenv("BOTSHIP_SANDBOX_URL", raising=False)
    script = ("import asyncio, sys\nfrom pathlib import Path\nfrom botship.tui.app import BotshipApp\n"
              "async def main():\n"
              "    async with BotshipApp(Path(sys.argv[1])).run_test(size=(100, 30)) as pilot:\n"
              "        await pilot.pause(1.0)\n"
              "asyncio.run(main())\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto', 'docker')\n"
              "             or m.startswith(('botship.providers.aws', 'botship.providers.sandbox.'))))\n")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_tui_reaches_the_clouds_only_through_providers():
    for path in (ROOT / "tui").rglob("*.py"):
        source = path.read_text()
        for sdk in ("boto3", "botocore", "azure.", "docker"):
            assert f"import {sdk}" not in source and f"from {sdk}" not in source, (path.name, sdk)


# The command line's terminal libraries: only the command-line front end (botship.cli) may use them.
PROMPT_LIBRARIES = ("questionary", "prompt_toolkit", "click")

DOMAIN_MODULES = """
import importlib, pkgutil, sys
import botship, botship.providers
SKIPPED = ("botship.cli", "botship.tui", "botship.runtime", "botship.__main__")

def walk(package):
    # Not pkgutil.walk_packages: it imports every package it walks into, botship.cli among them.
    for m in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if m.name == "botship.providers" or m.name.startswith(SKIPPED):
            continue
        yield m.name
        if m.ispkg:
            yield from walk(importlib.import_module(m.name))

names = [*walk(botship), *walk(botship.providers)]
for name in names:
    importlib.import_module(name)
print(len(names), sorted({m.split(".")[0] for m in sys.modules} & set(%r)))
""" % (PROMPT_LIBRARIES,)


def _imported(path: Path, package: str) -> list[tuple[int, str]]:
    """Every module `path` imports, anywhere in it (inside functions too), as absolute names with their line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]  # `from botship import cli`
    return found


def _domain_sources():
    """The source of every botship module outside the two front ends and the runtime, with its package."""
    for path in sorted((ROOT / "botship").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[1:2] != ("cli",):
            yield path, ".".join(parts[:-1])
    for path in sorted((ROOT / "providers").rglob("*.py")):
        yield path, ".".join(("botship",) + path.relative_to(ROOT).with_suffix("").parts[:-1])


def test_domain_modules_never_load_a_prompt_library():
    # Every module outside the two front ends and the runtime, imported: none pulls in a prompt library.
    result = python(DOMAIN_MODULES)
    assert result.returncode == 0, result.stderr
    count, loaded = result.stdout.split(" ", 1)
    assert int(count) >= 60 and eval(loaded) == [], loaded  # a printed list of the libraries loaded


def test_domain_source_imports_no_prompt_library_even_inside_a_function():
    # Read, not run: an import inside a function (which importing the module never runs) counts too.
    offenders = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path, package in _domain_sources() for line, name in _imported(path, package)
                 if name.split(".")[0] in PROMPT_LIBRARIES]
    assert offenders == []
    assert any(path.name == "secret_values.py" for path, _ in _domain_sources())


def test_the_wizard_imports_nothing_of_the_command_line():
    # One front end never imports the other: what both use lives in the domain modules.
    offenders = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in sorted((ROOT / "tui").rglob("*.py"))
                 for line, name in _imported(path, ".".join(("botship",) + path.relative_to(ROOT).parts[:-1]))
                 if name == "botship.cli" or name.startswith("botship.cli.")]
    assert offenders == []
    result = python("import importlib, pkgutil, sys, botship.tui\n"
                    "for m in pkgutil.walk_packages(botship.tui.__path__, 'botship.tui.'):\n"
                    "    importlib.import_module(m.name)\n"
                    f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({PROMPT_LIBRARIES!r}))"
                    "+ sorted(m for m in sys.modules if m.startswith('botship.cli')))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
