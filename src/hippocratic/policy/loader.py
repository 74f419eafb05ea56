"""Load a policy file, reporting every problem as `file:line:column: key.path: ...`.

Three passes, each reporting all it finds: YAML syntax (with duplicate keys
treated as errors, since PyYAML would silently keep the last), the pydantic
models, and the references between sections. Nothing raises a traceback at a
person: every failure becomes a PolicyIssue located in the source.
"""

import difflib
import hashlib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from hippocratic.policy.errors import PolicyError, PolicyIssue
from hippocratic.policy.models import PATTERN_WORDS, Policy
from hippocratic.policy.references import check_references

Loc = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Where each value (and each mapping key) starts in the YAML text."""

    file: str
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: Loc, *, at_key: bool = False) -> tuple[int, int]:
        if at_key and loc in self.keys:
            return self.keys[loc]
        for length in range(len(loc), -1, -1):
            prefix = loc[:length]
            if prefix in self.values:
                return self.values[prefix]
        return (1, 1)

    def issue(self, loc: Loc, problem: str, expected: str = "", **kwargs) -> PolicyIssue:
        line, column = self.locate(loc, at_key=kwargs.pop("at_key", False))
        return PolicyIssue(self.file, line, column, format_loc(loc), problem, expected, **kwargs)


@dataclass(frozen=True)
class LoadedPolicy:
    """A valid policy and the source map the linter uses to point into it."""

    policy: Policy
    source: SourceMap
    # SHA-256 of the file's text: which policy decided an access (the audit log keeps it).
    version: str = ""


def format_loc(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def load_policy(path: str | Path) -> LoadedPolicy:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PolicyError(
            [PolicyIssue(str(path), 1, 1, "(document)", f"cannot read the file: {reason}",
                         "a readable UTF-8 YAML file")]
        ) from None  # fmt: skip
    return load_policy_text(text, file=str(path))


def load_policy_text(text: str, *, file: str = "<policy>") -> LoadedPolicy:
    source = SourceMap(file)
    data = _parse_yaml(text, source)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError([_from_pydantic(error, source) for error in exc.errors()]) from None
    findings = check_references(policy)
    if findings:
        raise PolicyError(
            [source.issue(loc, problem, expected) for loc, problem, expected in findings]
        )
    return LoadedPolicy(policy, source, hashlib.sha256(text.encode()).hexdigest())


# --- YAML ----------------------------------------------------------------------------


def _parse_yaml(text: str, source: SourceMap) -> object:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError([source.issue((), "the file is empty", "a YAML mapping")])
        issues: list[PolicyIssue] = []
        data = _build(loader, node, (), source, issues)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = f"invalid YAML: {exc.problem or exc.context}"
        raise PolicyError(
            [PolicyIssue(source.file, line, column, "(document)", problem, "well-formed YAML")]
        ) from None
    except yaml.YAMLError as exc:
        raise PolicyError([source.issue((), f"invalid YAML: {exc}", "well-formed YAML")]) from None
    finally:
        loader.dispose()
    if issues:
        raise PolicyError(issues)
    if not isinstance(data, dict):
        raise PolicyError([source.issue((), "the document is not a mapping", "keys and values")])
    return data


def _build(loader, node, loc: Loc, source: SourceMap, issues: list[PolicyIssue]):
    source.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = str(key)
            key_loc = (*loc, key)
            source.keys[key_loc] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result:
                issues.append(
                    source.issue(
                        key_loc, f"key '{key}' appears twice", "each key once", at_key=True
                    )
                )
                continue
            result[key] = _build(loader, value_node, key_loc, source, issues)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*loc, i), source, issues) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


# --- pydantic errors, in words -------------------------------------------------------

_EXPECTED_BY_TYPE = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "greater_than": "a number above zero",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "date_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "a date written YYYY-MM-DD",
    "date_type": "a date written YYYY-MM-DD",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "dataclass_type": "a mapping of keys to values",
    "string_too_short": "some text",
    "string_too_long": "a shorter text",
}


def _from_pydantic(error: dict, source: SourceMap) -> PolicyIssue:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        expected = (
            "one of " + error["ctx"]["expected"]
            if kind in ("enum", "literal_error")
            else _describe_pattern(error)
        )
        return source.issue(loc, f"'{loc[-1]}' is not a valid key", expected, at_key=True)
    if kind == "missing":
        line, column = source.locate(loc[:-1])
        return PolicyIssue(
            source.file, line, column, format_loc(loc), "required key is missing",
            f"a value for '{loc[-1]}'",
        )  # fmt: skip
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        expected = (f"'{close[0]}'? Allowed here: " if close else "one of: ") + ", ".join(allowed)
        return source.issue(loc, f"unknown key '{loc[-1]}'", expected, at_key=True)
    if kind in ("literal_error", "enum"):
        expected = "one of " + error.get("ctx", {}).get("expected", "the listed values")
        return source.issue(loc, f"{_show(value)} is not allowed here", expected)
    if kind == "too_short":
        return source.issue(loc, "is empty", "at least one entry")
    if kind == "string_pattern_mismatch":
        return source.issue(loc, f"{_show(value)} is not well formed", _describe_pattern(error))
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        problem, _, expected = message.partition(", expected ")
        return source.issue(loc, problem, expected)
    expected = _EXPECTED_BY_TYPE.get(kind, "")
    problem = f"{_show(value)} is not valid" if expected else error["msg"]
    return source.issue(loc, problem, expected)


def _show(value: object) -> str:
    if isinstance(value, (dict, list)):
        return "this " + ("mapping" if isinstance(value, dict) else "list")
    return repr(value) if isinstance(value, str) else str(value)


def _describe_pattern(error: dict) -> str:
    pattern = error.get("ctx", {}).get("pattern", "")
    return PATTERN_WORDS.get(pattern, f"text matching {pattern}")


def _allowed_keys(loc: Loc) -> list[str]:
    """The keys the model at `loc` accepts, by walking the model types."""
    annotation: object = Policy
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _model_in(annotation)
    return list(model.model_fields) if model else []


def _step(annotation: object, part: str | int) -> object | None:
    model = _model_in(annotation)
    if model is not None:
        field_info = model.model_fields.get(str(part))
        return field_info.annotation if field_info else None
    for arg in _unwrap(annotation):
        origin = typing.get_origin(arg)
        if origin in (tuple, list) and isinstance(part, int):
            return typing.get_args(arg)[0]
        if origin is dict:
            return typing.get_args(arg)[1]
    return None


def _unwrap(annotation: object) -> list[object]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _unwrap(arg)]
    return [annotation]


def _model_in(annotation: object) -> type[BaseModel] | None:
    for arg in _unwrap(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
