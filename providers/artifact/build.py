"""One builder for every artifact: the Lambda zip, the image tree, and the Azure Functions zip.

An artifact is the dependency layer (cached) plus the code layer: the bot's files, botship's
runtime as the package `botship_runtime`, and the platform's entry files. Builds are
reproducible — sorted entries, fixed timestamps and modes — so the content hash says whether
anything changed, and an unchanged build writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from botship.entrypoint import module_file
from botship.atomic import written_beside
from botship.errors import BadInput, BotshipError
from botship.ignores import IGNORE_FILE, RUNTIME_PACKAGE, ShipRules
from botship.locations import work_dir
from botship.spec import DeploySpec

from ..plan import Action, Step
from .deps import DependencyLayer, install_dependencies
from .digest import content_digest
from .files import project_files
from .import_check import LOCAL_RUNTIME, import_check, materialise

LAMBDA_UNZIPPED_LIMIT = 262_144_000
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
AZURE_SITE = ".python_packages/lib/site-packages/"
DEPS_MARKER = ".botship-deps"
LAMBDA_BASE_IMAGE = "public.ecr.aws/lambda/python:{python}"
# Runtime modules a deployed function never imports: the local runner and its filesystem rules (lent to a run on
# this machine from the installed botship instead), the state's generation history and the control file's
# writer (botship uses both from here).
NOT_SHIPPED = frozenset({*LOCAL_RUNTIME, "history.py", "control_write.py"})


@dataclass
class Artifact:
    """A built artifact and what the providers compare to decide whether to ship it."""

    layout: str  # "lambda-zip" | "image" | "azure-zip"
    path: Path
    content_hash: str
    unzipped_size: int
    files: int
    deps: DependencyLayer
    reused: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"layout": self.layout, "path": str(self.path), "content_hash": self.content_hash,
                "unzipped_size": self.unzipped_size, "files": self.files, "reused": self.reused,
                "deps_key": self.deps.key}


def base_image_for(spec: DeploySpec) -> str:
    """The container image's base: the profile's, or the official Lambda image for its Python."""
    return (spec.aws and spec.aws.base_image) or LAMBDA_BASE_IMAGE.format(python=spec.python)


def layout_for(spec: DeploySpec) -> str:
    if spec.platform == "azure":
        return "azure-zip"
    return "image" if spec.packaging == "image" else "lambda-zip"


def _template(name: str) -> str:
    return resources.files("botship.templates").joinpath(name).read_text(encoding="utf-8")


def render(text: str, values: dict[str, str], blocks: dict[str, bool] | None = None) -> str:
    """Fill `#{name}` placeholders; keep or drop `#{block}` … `#{/block}` sections."""
    for block, keep in (blocks or {}).items():
        start, end = f"#{{{block}}}\n", f"#{{/{block}}}\n"
        while start in text:
            before, _, rest = text.partition(start)
            inner, _, after = rest.partition(end)
            text = before + (inner if keep else "") + after
    for key, value in values.items():
        text = text.replace(f"#{{{key}}}", value)
    return text


def _code_entries(spec: DeploySpec, project: Path, layout: str, report=None) -> dict[str, Path | bytes]:
    """Arcname → file or rendered bytes for everything but the dependencies."""
    rules = ShipRules(project.resolve())
    entries: dict[str, Path | bytes] = {f.arcname: f.source for f in project_files(project, rules)}
    if rules.withheld and report is not None:
        report.log(f"left out though {IGNORE_FILE} would ship them: {', '.join(rules.withheld[:5])} "
                   "(secrets, version control and botship's work folder never ship)", "warning")
    _check_entry_ships(spec, project, entries, rules)
    ours: dict[str, Path | bytes] = {}
    runtime_dir = resources.files("botship.runtime")
    for item in sorted(runtime_dir.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".py") and item.name not in NOT_SHIPPED:
            ours[f"{RUNTIME_PACKAGE}/{item.name}"] = Path(str(item))
    if layout == "azure-zip":
        hours, rest = divmod(spec.timeout_s, 3600)
        ours["function_app.py"] = render(_template("azure/function_app.py"), {},
                                         {"schedule": spec.schedule is not None}).encode()
        ours["host.json"] = render(_template("azure/host.json"),
                                   {"timeout": f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"}).encode()
    clash = sorted(name for name in ours if name in entries or any(e.startswith(f"{RUNTIME_PACKAGE}/") for e in entries))
    if clash:
        raise BotshipError(f"the project has files botship needs to add: {', '.join(clash[:3])}",
                           "these names are reserved for botship's runtime and the platform's entry files",
                           "rename them, or list them in .botshipignore if they should not ship")
    return {**entries, **ours}


def _check_entry_ships(spec: DeploySpec, project: Path, entries: dict[str, Path | bytes], rules: ShipRules) -> None:
    """The entry's module must be in the package: left out by an ignore rule, every run would fail to import it."""
    module = spec.entry.partition(":")[0]
    path = module_file(project, module)
    if path is None:
        return  # no such module: the import check names it
    rel = path.relative_to(project).as_posix()
    if rel in entries:
        return
    dropped = rules.dropped_by(rel)
    reason = dropped.reason if dropped else "it is left out (a symlink to outside the project?)"
    raise BadInput(f"entry '{spec.entry}': {rel} would not be in the package: {reason}",
                   "the function would fail to import the bot on every run",
                   (dropped.fix if dropped else f"make {rel} a regular file in the project") +
                   ", or point entry at a module that ships")


def _zip_add(archive: zipfile.ZipFile, arcname: str, source: Path | bytes) -> None:
    info = zipfile.ZipInfo(arcname, ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    executable = not isinstance(source, bytes) and source.stat().st_mode & stat.S_IXUSR
    info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
    with archive.open(info, "w") as out:
        if isinstance(source, bytes):
            out.write(source)
        else:
            with source.open("rb") as fh:
                shutil.copyfileobj(fh, out, 1024 * 1024)


def _layer_zip(deps: DependencyLayer, prefix: str, report) -> Path:
    """The dependency layer zipped once per layout; every later build starts from a copy of it."""
    path = deps.site.parent / f"layer-{hashlib.sha256(prefix.encode()).hexdigest()[:8]}.zip"
    if path.is_file():
        return path
    files = sorted(p for p in deps.site.rglob("*") if p.is_file())
    with written_beside(path) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for index, file in enumerate(files, 1):
            _zip_add(archive, prefix + file.relative_to(deps.site).as_posix(), file)
            if index % 200 == 0 or index == len(files):
                report.progress(index, len(files), "files zipped")
    return path


def check_requirements(spec: DeploySpec, project: Path) -> None:
    """Read the project's requirements as the build will, without installing anything: what pip is sure to
    refuse (a missing include, a loop, an editable line, botship itself…) raises BadInput naming it."""
    from .requirements import read_requirements

    read_requirements(project, "azure" if layout_for(spec) == "azure-zip" else "aws")


def build_artifact(spec: DeploySpec, project: Path, report, out_dir: Path | None = None) -> Artifact:
    """Build (or reuse) the artifact for `spec`; `report` has log(message) and progress(done, total, unit)."""
    layout = layout_for(spec)
    target = "azure" if layout == "azure-zip" else "aws"
    entries = _code_entries(spec, project, layout, report)
    deps = install_dependencies(project, target, spec.python, report)
    if layout != "azure-zip":
        shadowing = sorted(name for name in entries if (deps.site / name).exists())
        if shadowing:
            raise BotshipError(
                f"the project's {', '.join(shadowing[:3])} would collide with files of its dependencies",
                "the code and the installed requirements share the package root, so one copy would hide the other",
                "rename the project's file, or drop the requirement that ships the same name")
    code_hash, code_size = content_digest(entries)
    identity = f"{layout}\n{deps.digest}\n{code_hash}" + (f"\n{base_image_for(spec)}" if layout == "image" else "")
    content_hash = hashlib.sha256(identity.encode()).hexdigest()
    size = deps.size + code_size
    if layout == "lambda-zip" and size > LAMBDA_UNZIPPED_LIMIT:
        raise BotshipError(
            f"the package is {size / 1e6:.0f} MB unzipped; Lambda allows {LAMBDA_UNZIPPED_LIMIT / 1e6:.0f} MB",
            f"dependencies take {deps.size / 1e6:.0f} MB, the bot's own files {code_size / 1e6:.1f} MB",
            "set packaging = \"image\" (up to 10 GB), or trim requirements.txt / add files to .botshipignore")
    out = out_dir or work_dir(project) / "build" / spec.bot_name
    out.mkdir(parents=True, exist_ok=True)
    path = out / ("image" if layout == "image" else f"{layout}.zip")
    sidecar = out / f"{layout}.json"
    artifact = Artifact(layout, path, content_hash, size, deps.files + len(entries), deps)
    if path.exists() and _recorded_hash(sidecar) == content_hash:
        artifact.reused = True
        report.log(f"nothing changed since the last build ({content_hash[:12]})")
        return artifact
    # The check runs on the same files before anything is written, and the old record goes first:
    # a failed build can never leave an artifact that a later build takes for a good one.
    sidecar.unlink(missing_ok=True)
    artifact.notes = import_check(entries, deps, layout, spec, report, project)
    if layout == "image":
        _write_image_tree(path, deps, entries, spec)
    else:
        _write_zip(path, deps, entries, AZURE_SITE if layout == "azure-zip" else "", report)
    with written_beside(sidecar) as tmp:
        tmp.write_text(json.dumps(artifact.as_dict(), indent=2))
    return artifact


def _recorded_hash(sidecar: Path) -> str | None:
    """The content hash an earlier build recorded, or None when there is no readable record."""
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("content_hash") if isinstance(data, dict) else None


def package_step(spec: DeploySpec, project: Path, out_dir: Path | None = None,
                 on_built: Callable[[Artifact], None] | None = None) -> Step:
    """Building the artifact as an engine step, so its pip and zip progress reach the screen and the journal."""
    layout = layout_for(spec)

    def run(ctx) -> dict[str, object]:
        artifact = build_artifact(spec, project, ctx, out_dir)
        if on_built:
            on_built(artifact)
        return artifact.as_dict()

    return Step("package", "Build the artifact", f"{layout}, Python {spec.python}", Action.UPDATE, run,
                detail="reused when nothing changed")


def _write_zip(path: Path, deps: DependencyLayer, entries: dict[str, Path | bytes], prefix: str, report) -> None:
    layer = _layer_zip(deps, prefix, report)
    with written_beside(path) as tmp:
        shutil.copyfile(layer, tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            for name in sorted(entries):
                _zip_add(archive, name, entries[name])
    report.log(f"wrote {path.name}: {len(entries)} code files on top of {deps.files} dependency files")


def link_or_copy(source: str, target: str) -> None:
    """A hard link (instant, no extra space), else a copy (another filesystem, or links not allowed).

    Safe only for files nothing writes into afterwards: builds replace files rather than write into them, and a
    run here cannot write into its code or dependencies (botship.runtime.sandbox_fs)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _write_image_tree(path: Path, deps: DependencyLayer, entries: dict[str, Path | bytes], spec: DeploySpec) -> None:
    """`deps/` and `code/` folders plus a Dockerfile: the build context of a two-layer image.

    `deps/` is hard-linked to the dependency cache, so each project's build costs no second copy of it."""
    marker = path / "deps" / DEPS_MARKER
    if not marker.is_file() or marker.read_text() != deps.key:
        shutil.rmtree(path / "deps", ignore_errors=True)
        shutil.copytree(deps.site, path / "deps", copy_function=link_or_copy,
                        ignore=shutil.ignore_patterns(DEPS_MARKER))
        # Never an empty layer (a bot without requirements): the classic builder loses those on some drivers.
        # Written as a new file (the cache never holds one: it is left out above), so no link is written through.
        marker.unlink(missing_ok=True)
        marker.write_text(deps.key)
    shutil.rmtree(path / "code", ignore_errors=True)
    materialise(path / "code", entries)
    (path / "Dockerfile").write_text(render(_template("image/Dockerfile"), {"base_image": base_image_for(spec)}))
