"""Load a policy file, reporting every problem as `file:line:column: key.path: ...`.

Three passes, each reporting all it finds: YAML syntax (with duplicate keys
treated as errors, since PyYAML would silently keep the last), the pydantic
models, and the references between sections. Nothing raises a traceback at a
person: every failure becomes a PolicyIssue located in the source.

Every input is bounded before it is built: the file's size, how deep values nest,
how many aliases it uses and how many values they expand to (a "billion laughs"
file is refused, not built), and an alias inside the value it names.
"""

import difflib
import hashlib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from hippocratic.policy.errors import MAX_REPORTED, PolicyError, PolicyIssue
from hippocratic.policy.models import PATTERN_WORDS, Policy
from hippocratic.policy.references import check_references

Loc = tuple[str | int, ...]
# libyaml's parser where PyYAML was built with it (its wheels are): a policy near the
# size limit parses in about a second rather than ten. A file it refuses is read again
# by the pure-Python parser, whose messages say more ("expected ',' or ']', but got ':'").
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 256_000  # sixteen times the longest seed (ducallier, 16 kB)
MAX_DEPTH = 50
MAX_ALIASES = 100
MAX_VALUES = 100_000


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
        # Only what is shown is put in words (a file of 90,000 unknown keys took 38 s).
        errors = exc.errors(include_url=False)
        shown = [_from_pydantic(error, source) for error in errors[:MAX_REPORTED]]
        raise PolicyError(shown, more=len(errors) - len(shown)) from None
    findings = check_references(policy)
    if findings:
        raise PolicyError(
            [source.issue(loc, problem, expected) for loc, problem, expected in findings]
        )
    return LoadedPolicy(policy, source, hashlib.sha256(text.encode()).hexdigest())


# --- YAML ----------------------------------------------------------------------------


def _at(source: SourceMap, mark, problem: str, expected: str) -> PolicyError:
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return PolicyError([PolicyIssue(source.file, line, column, "(document)", problem, expected)])


def _check_shape(text: str, source: SourceMap, loader_class) -> None:
    """Refuse, before building anything, what would take unbounded time or memory."""
    depth, aliases, open_anchors = 0, 0, []
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            open_anchors.append(event.anchor)
            if depth > MAX_DEPTH:
                raise _at(source, event.start_mark, f"values nested more than {MAX_DEPTH} deep",
                          "a flatter file")  # fmt: skip
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if event.anchor in open_anchors:
                raise _at(source, event.start_mark,
                          f"alias *{event.anchor} is inside the value it names",
                          "an alias to a value that ends before it")  # fmt: skip
            if aliases > MAX_ALIASES:
                raise _at(source, event.start_mark, f"more than {MAX_ALIASES} aliases",
                          "a file that repeats itself less")  # fmt: skip


def _parse_yaml(text: str, source: SourceMap) -> object:
    size = len(text.encode())
    if size > MAX_BYTES:
        raise PolicyError([source.issue((), f"the file is {size:,} bytes",
                                        f"at most {MAX_BYTES:,} bytes")])  # fmt: skip
    try:
        return _parsed(text, source, FAST_LOADER)
    except yaml.YAMLError:  # libyaml refused it: the pure-Python parser says why
        return _parsed(text, source, yaml.SafeLoader)


def _parsed(text: str, source: SourceMap, loader_class) -> object:
    issues: list[PolicyIssue] = []
    try:
        _check_shape(text, source, loader_class)
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise PolicyError([source.issue((), "the file is empty", "a YAML mapping")])
            data = _build(loader, node, (), source, issues, _Budget())
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        if loader_class is not yaml.SafeLoader:
            raise
        raise _yaml_error(exc, text, source) from None
    if issues:
        raise PolicyError(issues)
    if not isinstance(data, dict):
        raise PolicyError([source.issue((), "the document is not a mapping", "keys and values")])
    return data


def _yaml_error(exc: yaml.YAMLError, text: str, source: SourceMap) -> PolicyError:
    """The pure-Python parser's refusal, located in the file."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        problem = f"the file holds a control character (#x{exc.character:04x})"
        return PolicyError(
            [PolicyIssue(source.file, line, column, "(document)", problem, "printable text")]
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = f"invalid YAML: {exc.problem or exc.context}"
        return PolicyError(
            [PolicyIssue(source.file, line, column, "(document)", problem, "well-formed YAML")]
        )
    return PolicyError([source.issue((), f"invalid YAML: {exc}", "well-formed YAML")])


class _Budget:
    """How many more values a file may expand to (aliases repeat what they name)."""

    def __init__(self):
        self.left = MAX_VALUES

    def spend(self, source: SourceMap, node) -> None:
        self.left -= 1
        if self.left < 0:
            raise _at(source, node.start_mark, f"more than {MAX_VALUES:,} values once its "
                      "aliases are expanded", "a file that repeats itself less")  # fmt: skip


def _build(loader, node, loc: Loc, source: SourceMap, issues: list[PolicyIssue], budget):
    budget.spend(source, node)
    source.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _at(source, key_node.start_mark, "a key is a list or a mapping",
                          "a plain word as each key")  # fmt: skip
            key = _scalar(loader, key_node, loc, source, issues)
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
            result[key] = _build(loader, value_node, key_loc, source, issues, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*loc, i), source, issues, budget)
            for i, item in enumerate(node.value)
        ]
    return _scalar(loader, node, loc, source, issues)


def _scalar(loader, node, loc: Loc, source: SourceMap, issues: list[PolicyIssue]):
    """A scalar's value; one that YAML reads but Python cannot hold becomes an issue."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:
        if node.tag.endswith(":int"):
            digits = sum(c.isdigit() for c in node.value)
            problem = f"a number of {digits:,} digits is more than this file may hold"
            expected = "a whole number of at most 4,000 digits"
        elif node.tag.endswith(":timestamp"):
            problem = f"'{node.value}' is not a real date ({exc})"
            expected = "a date written YYYY-MM-DD"
        else:
            problem = f"'{node.value[:40]}' cannot be read ({exc})"
            expected = "a plain value"
        issues.append(source.issue(loc, problem, expected))
        return None


# --- pydantic errors, in words -------------------------------------------------------

_EXPECTED_BY_TYPE = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "greater_than": "a number above zero",
    "less_than_equal": "a smaller number (a period is at most a hundred years)",
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
