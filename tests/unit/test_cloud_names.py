"""The front ends and the deploy session name no cloud: what a cloud is called, offers and can do comes from the
provider registry and the cloud's own declarations, so adding a cloud adds no code there."""

from __future__ import annotations

import ast
from pathlib import Path

from botship import providers

ROOT = Path(__file__).resolve().parents[2]
NEUTRAL = [*sorted((ROOT / "tui").glob("*.py")),
           *(ROOT / "botship" / name for name in ("session.py", "deploy_questions.py", "questions.py", "checks.py"))]


def literals(path: Path) -> list[tuple[int, str]]:
    """Every string constant in a module's code (docstrings, which may speak of a cloud, left out)."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_front_end_or_session_module_names_a_cloud():
    names = {p.name for p in providers.platforms()}
    assert {"aws", "azure", "sandbox"} <= names
    found = []
    for path in NEUTRAL:
        for line, text in literals(path):
            words = {w.strip(".:'\"()[]{}").lower() for w in text.replace("_", " ").replace("-", " ").split()}
            if text.lower() in names or words & (names | {"lambda", "botship_sandbox_url"}) or "aws" in text.lower():
                found.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert found == []


def test_the_check_sees_a_cloud_name_where_one_is_written(tmp_path):
    module = tmp_path / "screen.py"
    module.write_text('"""A screen for AWS."""\nif platform == "sandbox":\n    region = answers["aws"]\n')
    assert [text for _, text in literals(module)] == ["sandbox", "aws"]


def test_what_a_profile_may_hold_on_a_cloud_is_that_clouds_declaration(monkeypatch):
    # A cloud registered with its facts is checked by the spec with no code of its own there.
    from botship.spec import check_field, limits_for
    from botship.spec_limits import hosting_plan

    previous = providers.register("zipcloud", "nowhere:Provider", title="Zip Cloud", limits="aws",
                                  packagings=("zip",), tables=("aws",))
    try:
        answers = {"platform": "zipcloud", "bot_name": "sma-bot", "entry": "app:handler"}
        assert [p.message for p in check_field("packaging", "image", answers)] == [
            'Zip Cloud deploys zip packages only; use packaging = "zip"']
        assert check_field("aws", {"base_image": "public.ecr.aws/lambda/python:3.12"},
                           {**answers, "packaging": "zip"}) != []  # its own rule: images only
        assert [p.message for p in check_field("azure", {"subscription_id": "00000000-0000-0000-0000-000000000000",
                                                          "resource_group": "bots", "location": "westeurope"},
                                               answers)] == [
            'the [azure] settings do not apply to Zip Cloud; remove them, or set platform = "azure"']
        assert limits_for("zipcloud") == limits_for("aws") and hosting_plan("zipcloud", {}) is None
    finally:
        providers.restore("zipcloud", previous)
    # Hosting plans are declared too: Azure's default plan is its first.
    assert hosting_plan("azure", None) == "flex" and hosting_plan("azure", {"plan": "consumption"}) == "consumption"
    assert "memory_mb" not in limits_for("azure", "consumption")
