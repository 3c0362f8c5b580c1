"""requirements.txt as pip reads it: comments, continuations, includes, constraints, markers and hashes.

The file goes to pip whole; the dependency cache key follows what the file (and every file it includes)
means, not how it is laid out. Installs use real pip with small packages (six); the grammar properties
run offline.
"""

from __future__ import annotations

import random
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botship.errors import BadInput, BotshipError
from botship.providers.artifact import build_artifact
from botship.providers.artifact.deps import layer_key, platform_tags, read_requirements

from helpers import RecordingReport as Report
from helpers import counter_spec as spec_for
from helpers import zip_names as names

AZURE = {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "bots", "location": "westeurope"}

SIX_WHEEL_SHA256 = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"  # six-1.16.0-py2.py3-none-any


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_file_with_comments_includes_constraints_markers_and_continuations_installs(project, tmp_path):
    write(project, {
        "requirements.txt": (
            "# pinned for the bot\n"
            "six==1.16.0  # py2/3 shim, pinned   \n"
            "\n"
            "-r deps/more.txt\n"
            "--constraint constraints.txt\n"
            "no-such-package-for-python-two ; python_version < \"3\"  # never installed\n"),
        # Included files are found relative to the file that names them.
        "deps/more.txt": "-r nested.txt\n",
        "deps/nested.txt": "six \\\n    >=1.15 ; python_version >= \"3\"\n",
        "constraints.txt": "six<2  # constraints too\n",
    })
    report = Report()
    artifact = build_artifact(spec_for(project), project, report, tmp_path / "out")
    assert "six.py" in names(artifact.path)
    assert not any("no-such-package" in n for n in names(artifact.path))
    assert any("installing 3 requirement(s)" in line for line in report.lines)


def test_hash_pinned_requirements_install_and_a_wrong_hash_is_refused_by_pip(project, tmp_path):
    (project / "requirements.txt").write_text(f"six==1.16.0 \\\n    --hash=sha256:{SIX_WHEEL_SHA256}  # pinned\n")
    artifact = build_artifact(spec_for(project), project, Report(), tmp_path / "out")
    assert "six.py" in names(artifact.path)

    (project / "requirements.txt").write_text(f"six==1.16.0 --hash=sha256:{'0' * 64}\n")
    with pytest.raises(BotshipError) as info:
        build_artifact(spec_for(project), project, Report(), tmp_path / "out")
    assert info.value.what == "installing the requirements failed"
    assert "HASH" in info.value.why.upper()


def test_the_cache_key_follows_included_files_and_ignores_comments(project, tmp_path):
    write(project, {"requirements.txt": "-r pinned.txt\n", "pinned.txt": "six==1.16.0\n"})
    first = build_artifact(spec_for(project), project, Report(), tmp_path / "out")
    assert b"1.16.0" in zipfile.ZipFile(first.path).read("six.py")

    (project / "pinned.txt").write_text("six==1.15.0\n")
    report = Report()
    second = build_artifact(spec_for(project), project, report, tmp_path / "out")
    assert second.deps.key != first.deps.key
    assert not any("reusing cached layer" in line for line in report.lines)
    assert b"1.15.0" in zipfile.ZipFile(second.path).read("six.py")

    (project / "requirements.txt").write_text("# everything pinned lives in pinned.txt\n-r pinned.txt   # see there\n")
    report = Report()
    third = build_artifact(spec_for(project), project, report, tmp_path / "out")
    assert third.deps.key == second.deps.key
    assert any("reusing cached layer" in line for line in report.lines)


def test_a_missing_include_is_refused_naming_it_before_pip_runs(project):
    (project / "requirements.txt").write_text("six==1.16.0\n-r shared/base.txt\n")
    report = Report()
    with pytest.raises(BadInput) as info:
        build_artifact(spec_for(project), project, report)
    assert "shared/base.txt" in info.value.what and "requirements.txt" in info.value.what
    assert not any(line.startswith("Collecting") for line in report.lines)


def test_hash_pinned_requirements_for_azure_must_pin_the_runtime_packages_too(project):
    (project / "requirements.txt").write_text(f"six==1.16.0 --hash=sha256:{SIX_WHEEL_SHA256}\n")
    with pytest.raises(BadInput) as info:
        build_artifact(spec_for(project, platform="azure", aws=None, azure=AZURE), project, Report())
    assert "azure-functions, azure-storage-blob" in info.value.what and "--hash" in info.value.fix


def test_runtime_packages_the_file_already_names_are_not_added_twice(tmp_path):
    (tmp_path / "requirements.txt").write_text("Azure_Functions==1.21.3\n")
    assert read_requirements(tmp_path, "azure").extra == ["azure-storage-blob", "tzdata"]
    assert read_requirements(tmp_path, "aws").extra == []


# --- the grammar, offline: layout never changes the key, content always does ---------------------------------

NAMES = ["six", "requests", "numpy", "ccxt", "python-dateutil", "pandas"]
requirement = st.tuples(
    st.sampled_from(NAMES),
    st.sampled_from(["", "==1.2.3", ">=2", ">=1.0,<3", "~=4.1", "!=0.9"]),
    st.sampled_from(["", "[socks]"]),
    st.sampled_from(["", 'python_version >= "3.8"', 'sys_platform == "linux"',
                     'python_version < "3.12" and platform_machine == "x86_64"']),
)


def plain_line(name: str, spec: str, extras: str, marker: str) -> str:
    return f"{name}{extras}{spec}" + (f" ; {marker}" if marker else "")


def laid_out(name: str, spec: str, extras: str, marker: str, rnd: random.Random) -> str:
    """The same requirement as people write it: spaces, a continuation line, an inline comment."""
    text = f"{name}{extras}{' ' * rnd.randint(0, 2)}{spec}"
    if marker:
        text += f"{' ' * rnd.randint(0, 2)};{' ' * rnd.randint(1, 2)}{marker}"
    if rnd.random() < 0.3 and spec:
        text = f"{name}{extras} \\\n    {spec}" + (f" ; {marker}" if marker else "")
    if rnd.random() < 0.4:
        text += f"   # {rnd.choice(['pinned', 'see #12', 'for the exchange', ''])}"
    return " " * rnd.randint(0, 2) + text


def key_of(files: dict[str, str], target: str = "aws") -> str:
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder), files)
        return layer_key(read_requirements(Path(folder), target), "3.12", platform_tags("aws", "3.12"))


@settings(max_examples=60, deadline=None)
@given(st.lists(requirement, min_size=1, max_size=6, unique_by=lambda r: r[0]), st.randoms(use_true_random=False))
def test_comments_continuations_order_and_includes_never_change_the_key(reqs, rnd):
    canonical = key_of({"requirements.txt": "".join(plain_line(*r) + "\n" for r in reqs)})

    lines = [laid_out(*r, rnd) for r in reqs]
    rnd.shuffle(lines)
    files: dict[str, str] = {}
    main: list[str] = ["# the bot's requirements", ""]
    for index, line in enumerate(lines):
        if rnd.random() < 0.3:  # moved to an included file, in a sub-folder half the time
            name = f"{'reqs/' if rnd.random() < 0.5 else ''}part{index}.txt"
            files[name] = f"# included\n{line}\n"
            main.append(f"-r {name}  # more")
        else:
            main.append(line)
        if rnd.random() < 0.3:
            main.append(rnd.choice(["", "# comment", "   "]))
    files["requirements.txt"] = "\n".join(main) + "\n"
    assert key_of(files) == canonical


@settings(max_examples=40, deadline=None)
@given(st.lists(requirement, min_size=1, max_size=5, unique_by=lambda r: r[0]), st.data())
def test_changing_what_any_line_asks_for_changes_the_key(reqs, data):
    index = data.draw(st.integers(0, len(reqs) - 1))
    name, spec, extras, marker = reqs[index]
    other_spec = data.draw(st.sampled_from(["==9.9.9", "<0.1", ">=100"]).filter(lambda s: s != spec))
    changed = list(reqs)
    changed[index] = (name, other_spec, extras, marker)
    before = {"requirements.txt": "-r inner.txt\n", "inner.txt": "".join(plain_line(*r) + "\n" for r in reqs)}
    after = {"requirements.txt": "-r inner.txt\n", "inner.txt": "".join(plain_line(*r) + "\n" for r in changed)}
    assert key_of(before) != key_of(after)
    # A constraint is not a requirement: the same line under -c means something else.
    assert key_of({"requirements.txt": "-c inner.txt\n", "inner.txt": before["inner.txt"]}) != key_of(before)


# --- lines pip reads that a cloud package cannot hold, and what a local path means for the cache ---------------

@pytest.mark.parametrize("line", ["-e .", "--editable ./libs/x", "-e git+https://example.invalid/x.git#egg=x"])
def test_an_editable_requirement_is_refused_before_pip_runs(project, line):
    (project / "libs" / "x").mkdir(parents=True)
    (project / "requirements.txt").write_text(f"six==1.16.0\n{line}\n")
    report = Report()
    with pytest.raises(BadInput) as info:
        build_artifact(spec_for(project), project, report)
    assert "requirements.txt line 2" in info.value.what and "editable" in info.value.what
    assert "drop the '-e '" in info.value.fix
    assert not any(line.startswith("Collecting") for line in report.lines)


@pytest.mark.parametrize("files, loop", [
    ({"requirements.txt": "-r requirements.txt\n"}, "requirements.txt → requirements.txt"),
    ({"requirements.txt": "six\n-r deps/a.txt\n", "deps/a.txt": "-c ../requirements.txt\n"},
     "requirements.txt → deps/a.txt → requirements.txt"),
])
def test_an_include_loop_is_refused_naming_the_files(project, files, loop):
    write(project, files)
    with pytest.raises(BadInput) as info:
        build_artifact(spec_for(project), project, Report())
    assert f"in a loop: {loop}" in info.value.what


def test_botship_itself_as_a_requirement_is_refused(project):
    (project / "requirements.txt").write_text("six==1.16.0\nbotship>=0.1  # the deploy tool\n")
    with pytest.raises(BadInput) as info:
        build_artifact(spec_for(project), project, Report())
    assert "requirements.txt line 2" in info.value.what and "botship_runtime" in info.value.why


def test_a_local_path_that_does_not_exist_is_named(project):
    (project / "requirements.txt").write_text("./libs/gone\n")
    with pytest.raises(BadInput) as info:
        build_artifact(spec_for(project), project, Report())
    assert "./libs/gone" in info.value.what and "does not exist" in info.value.what


def write_local_package(folder: Path, value: str) -> None:
    write(folder, {"pyproject.toml": '[project]\nname = "mylib"\nversion = "1"\n[build-system]\n'
                                     'requires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
                   "mylib/__init__.py": f"VALUE = {value!r}\n"})


@pytest.mark.parametrize("line", ["./vendor/mylib", "file:./vendor/mylib"])
def test_a_local_requirement_is_rebuilt_when_its_content_changes(project, tmp_path, line):
    write_local_package(project / "vendor" / "mylib", "one")
    (project / "requirements.txt").write_text(f"{line}\n")
    first = build_artifact(spec_for(project), project, Report(), tmp_path / "out")
    assert b"one" in zipfile.ZipFile(first.path).read("mylib/__init__.py")

    write_local_package(project / "vendor" / "mylib", "two")  # same name, same version, new code
    second = build_artifact(spec_for(project), project, Report(), tmp_path / "out")
    assert second.deps.key != first.deps.key
    assert b"two" in zipfile.ZipFile(second.path).read("mylib/__init__.py")


def test_a_package_compiled_here_from_source_is_refused_and_leaves_nothing_in_the_cache(project, tmp_path,
                                                                                          monkeypatch):
    import shutil

    if not shutil.which("cc"):
        pytest.skip("no C compiler here")
    cache = tmp_path / "cache"
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(cache))
    write(project / "native", {
        "setup.py": 'from setuptools import setup, Extension\n'
                    'setup(name="native", version="1", ext_modules=[Extension("native", ["native.c"])])\n',
        "native.c": '#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "native", NULL, -1, NULL};\n'
                    'PyMODINIT_FUNC PyInit_native(void) { return PyModule_Create(&m); }\n'})
    (project / "requirements.txt").write_text("./native\n")
    with pytest.raises(BadInput) as info:
        build_artifact(spec_for(project), project, Report(), tmp_path / "out")
    assert "native-1" in info.value.what and "built for this machine" in info.value.what
    assert list((cache / "deps").iterdir()) == []  # no half-made layer left behind


def test_an_index_that_cannot_be_reached_is_named_not_called_a_missing_wheel(project, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_RETRIES", "1")
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    (project / "requirements.txt").write_text("--index-url https://index.invalid/simple\nsix==1.16.0\n")
    with pytest.raises(BotshipError) as info:
        build_artifact(spec_for(project), project, Report(), tmp_path / "out")
    assert "could not reach the package index (https://index.invalid/simple" in info.value.what
    assert "no Linux wheel" not in info.value.what
    assert [p for p in (tmp_path / "cache" / "deps").iterdir()] == []
