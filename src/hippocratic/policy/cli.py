"""`hippocratic policy check|render|export-fides FILE`: the policy core's commands.

They need no database and no Django settings, so a provider can check a policy
file on any machine before deploying it. What the build enforces is passed in
(`hippocratic.cli` reads it from the apps): `check` names the promises the file
makes that this build does not keep, and `render` states only those it keeps.
"""

import argparse
import sys
from pathlib import Path

import yaml

from hippocratic.policy.diff import changes
from hippocratic.policy.enforced import Enforced
from hippocratic.policy.errors import PolicyError, Severity
from hippocratic.policy.fides import export_manifest
from hippocratic.policy.linter import lint
from hippocratic.policy.loader import load_policy
from hippocratic.policy.render import to_html, to_markdown


def check(
    files: list[str], out=None, *, enforced: Enforced | None = None, strict: bool = False
) -> int:
    """Print every issue of every file; 1 if any file has an error. Promises the
    build does not enforce are warnings, or errors when `strict`."""
    out = out or sys.stdout
    failed = False
    for file in files:
        try:
            issues = lint(load_policy(file), enforced, strict=strict)
        except PolicyError as exc:
            issues = exc.issues
        for issue in issues:
            print(issue, file=out)
        n_errors = sum(issue.severity is Severity.ERROR for issue in issues)
        n_warnings = len(issues) - n_errors
        failed |= n_errors > 0
        verdict = f"{n_errors} error(s)" if n_errors else "ok"
        print(f"{file}: {verdict}, {n_warnings} warning(s)", file=out)
    return 1 if failed else 0


def _load_or_exit(file: str):
    try:
        return load_policy(file).policy
    except PolicyError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _diff(old, new) -> int:
    """Print each change, material ones first (they need notice, POL-3); exit 0."""
    found = sorted(changes(old, new), key=lambda c: not c.material)
    for change in found:
        mark = "material" if change.material else "minor"
        sys.stdout.write(f"{mark:8}  {change.words}  [{change.rule}]\n")
    if not found:
        sys.stdout.write("no change but wording\n")
    return 0


def main(argv: list[str], *, enforced: Enforced) -> int:
    parser = argparse.ArgumentParser(prog="hippocratic policy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check_cmd = commands.add_parser("check", help="validate and lint policy files")
    check_cmd.add_argument("files", nargs="+", metavar="FILE")
    check_cmd.add_argument(
        "--strict", action="store_true", help="promises this build does not enforce are errors"
    )
    render_cmd = commands.add_parser("render", help="the human-readable privacy policy")
    render_cmd.add_argument("file", metavar="FILE")
    render_cmd.add_argument("--format", choices=["html", "md"], default="html")
    render_cmd.add_argument("--standalone", action="store_true", help="a whole HTML page")
    render_cmd.add_argument("-o", "--output", metavar="OUT")
    fides_cmd = commands.add_parser("export-fides", help="a Fides manifest (YAML)")
    fides_cmd.add_argument("file", metavar="FILE")
    fides_cmd.add_argument("-o", "--output", metavar="OUT")
    diff_cmd = commands.add_parser("diff", help="what changed between two versions, in words")
    diff_cmd.add_argument("old", metavar="OLD")
    diff_cmd.add_argument("new", metavar="NEW")
    args = parser.parse_args(argv)

    if args.command == "check":
        return check(args.files, enforced=enforced, strict=args.strict)
    if args.command == "diff":
        return _diff(_load_or_exit(args.old), _load_or_exit(args.new))
    policy = _load_or_exit(args.file)
    if args.command == "render":
        text = (
            to_markdown(policy, enforced=enforced)
            if args.format == "md"
            else to_html(policy, enforced=enforced, standalone=args.standalone)
        )
        _write(text, args.output)
    else:
        _write(yaml.safe_dump(export_manifest(policy), sort_keys=False), args.output)
    return 0
