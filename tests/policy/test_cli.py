"""The `hippocratic policy` commands, as a person runs them."""

import subprocess
import sys

import yaml

from hippocratic.capabilities import enforced
from hippocratic.policy.cli import main as policy_main

ALL = ["dracon", "isp", "japoon", "quality", "ducallier"]


def main(argv):
    return policy_main(argv, enforced=enforced())


def test_check_passes_all_five_profiles(policy_path, capsys):
    assert main(["check", *(str(policy_path(n)) for n in ALL)]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok,") == 5


def test_render_markdown_and_html(policy_path, capsys):
    assert main(["render", str(policy_path("japoon")), "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# JAPOON privacy policy")
    assert "May 4, 2001" in md
    assert main(["render", str(policy_path("japoon")), "--format", "html"]) == 0
    assert capsys.readouterr().out.startswith('<article class="policy">')


def test_export_fides_writes_yaml(policy_path, tmp_path):
    out = tmp_path / "fides.yaml"
    assert main(["export-fides", str(policy_path("ducallier")), "-o", str(out)]) == 0
    manifest = yaml.safe_load(out.read_text())
    assert manifest["system"][0]["fides_key"] == "the_ducallier_studios_platform"


def test_console_command_needs_no_django_settings(policy_path, tmp_path):
    """`hippocratic policy check` works with no SECRET_KEY or database configured."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "hippocratic", "policy", "check", str(policy_path("dracon"))],
        capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "dracon.yaml: ok" in result.stdout


def test_render_of_invalid_file_exits_1_with_the_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: hippocratic/1\n")
    result = subprocess.run(
        [sys.executable, "-m", "hippocratic", "policy", "render", str(bad)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"{bad}:1:1: provider: required key is missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_diff_names_each_change_material_or_minor_by_rule(policy_path, tmp_path, capsys):
    original = policy_path("ducallier").read_text()
    longer = tmp_path / "longer.yaml"
    longer.write_text(original.replace("retention: {days: 730}", "retention: {days: 900}", 1))
    assert main(["diff", str(policy_path("ducallier")), str(longer)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("material") and "[retention-longer]" in out and "(was 730 days)" in out
    assert main(["diff", str(longer), str(policy_path("ducallier"))]) == 0
    shorter = capsys.readouterr().out
    assert shorter.startswith("minor") and "[retention-shorter]" in shorter
    reworded = tmp_path / "reworded.yaml"
    reworded.write_text(original.replace("introduction: ", "introduction: Updated. ", 1))
    assert main(["diff", str(policy_path("ducallier")), str(reworded)]) == 0
    assert capsys.readouterr().out == "no change but wording\n"
    assert main(["diff", str(policy_path("ducallier")), str(policy_path("dracon"))]) == 0
    rules = capsys.readouterr().out
    assert "[choice-removed]" in rules and "[promise-removed]" in rules
    assert "[category-dropped]" in rules and "[cookie-added]" in rules
