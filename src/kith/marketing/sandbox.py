"""The campaign template language, rendered in a sandbox: no Django, no attribute access.

    Hello {{ first_name|default:"there" }},
    {% if "VIP" in segments %}Your VIP offer…{% elif last_order %}Thanks for {{ last_order.total }}{% else %}…{% endif %}
    {% for p in recommendations %}{{ p.name }}{% endfor %}

A template sees only the context it is given, and the context holds only plain data (str, int,
float, bool, None, lists and dicts of those: `context_check` refuses anything else). A name is
looked up as dict keys and list indexes only, never as an attribute, so a template can call no
method, reach no model, manager, query or setting, and load or include nothing. Filters are a
fixed list (default, upper, lower, title). Output is HTML-escaped when `html=True`.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(r"({{.*?}}|{%.*?%})", re.S)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*\Z")
STRING = re.compile(r"\"([^\"]*)\"\Z|'([^']*)'\Z")
NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")
FILTERS = {"default", "upper", "lower", "title"}
MAX_OUTPUT = 1_000_000
PLAIN = (str, int, float, bool, type(None))


class TemplateError(ValueError):
    """A template that does not parse; the message says where."""


def context_check(value: Any, path: str = "context") -> None:
    """Refuse a context that holds anything but plain data (a model, a function, a QuerySet)."""
    if isinstance(value, PLAIN):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            context_check(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys are strings")
            context_check(item, f"{path}.{key}")
        return
    raise TypeError(f"{path}: {type(value).__name__} is not plain data")


def _lookup(context: dict[str, Any], name: str) -> Any:
    value: Any = context
    for part in name.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list | tuple) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _operand(text: str, where: str) -> Any:
    text = text.strip()
    string = STRING.match(text)
    if string:
        return ("lit", string.group(1) if string.group(1) is not None else string.group(2))
    if NUMBER.match(text):
        return ("lit", float(text))
    if NAME.match(text):
        return ("var", text)
    raise TemplateError(f"{where}: cannot read “{text}”")


def _value(operand: Any, context: dict[str, Any]) -> Any:
    kind, raw = operand
    return raw if kind == "lit" else _lookup(context, raw)


@dataclass
class Condition:
    negate: bool
    left: Any
    op: str | None = None
    right: Any = None

    def holds(self, context: dict[str, Any]) -> bool:
        left = _value(self.left, context)
        if self.op is None:
            result = bool(left)
        else:
            right = _value(self.right, context)
            try:
                if self.op == "==":
                    result = left == right
                elif self.op == "!=":
                    result = left != right
                elif self.op == "in":
                    result = right is not None and left in right
                elif self.op == "not in":
                    result = right is None or left not in right
                else:
                    result = {
                        ">": lambda a, b: a > b,
                        ">=": lambda a, b: a >= b,
                        "<": lambda a, b: a < b,
                        "<=": lambda a, b: a <= b,
                    }[self.op](float(left), float(right))
            except (TypeError, ValueError):
                result = False
        return not result if self.negate else result


CONDITION = re.compile(r"(.+?)\s+(==|!=|>=|<=|>|<|not in|in)\s+(.+)\Z")


def _condition(text: str, where: str) -> Condition:
    text = text.strip()
    negate = text.startswith("not ")
    if negate:
        text = text[4:].strip()
    parts = CONDITION.match(text)
    if parts:
        return Condition(
            negate, _operand(parts.group(1), where), parts.group(2), _operand(parts.group(3), where)
        )
    return Condition(negate, _operand(text, where))


@dataclass
class Output:
    operand: Any
    filters: list[tuple[str, Any]]


@dataclass
class If:
    branches: list[tuple[Condition | None, list[Any]]] = field(default_factory=list)


@dataclass
class For:
    name: str
    source: str
    body: list[Any] = field(default_factory=list)


def _output(text: str, where: str) -> Output:
    head, *rest = text.split("|")
    filters: list[tuple[str, Any]] = []
    for raw in rest:
        name, _sep, arg = raw.strip().partition(":")
        if name not in FILTERS:
            raise TemplateError(f"{where}: unknown filter “{name}”")
        filters.append((name, _operand(arg, where) if arg else None))
    return Output(_operand(head, where), filters)


def template_parse(source: str) -> list[Any]:
    """The node list of `source`; TemplateError saying which tag is wrong."""
    root: list[Any] = []
    stack: list[tuple[Any, list[Any]]] = [(None, root)]
    for index, piece in enumerate(TOKEN.split(source or "")):
        where = f"tag {index // 2 + 1}"
        body = stack[-1][1]
        if piece.startswith("{{"):
            body.append(_output(piece[2:-2].strip(), where))
        elif piece.startswith("{%"):
            words = piece[2:-2].strip()
            keyword, _sep, rest = words.partition(" ")
            top = stack[-1][0]
            if keyword == "if":
                node = If([(_condition(rest, where), [])])
                body.append(node)
                stack.append((node, node.branches[0][1]))
            elif keyword in ("elif", "else"):
                if not isinstance(top, If):
                    raise TemplateError(f"{where}: {keyword} outside an if")
                branch: list[Any] = []
                top.branches.append(
                    (_condition(rest, where) if keyword == "elif" else None, branch)
                )
                stack[-1] = (top, branch)
            elif keyword == "endif":
                if not isinstance(top, If):
                    raise TemplateError(f"{where}: endif without an if")
                stack.pop()
            elif keyword == "for":
                loop = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(\S+)", rest.strip())
                if not loop or not NAME.match(loop.group(2)):
                    raise TemplateError(f"{where}: write {{% for item in list %}}")
                node = For(loop.group(1), loop.group(2))
                body.append(node)
                stack.append((node, node.body))
            elif keyword == "endfor":
                if not isinstance(top, For):
                    raise TemplateError(f"{where}: endfor without a for")
                stack.pop()
            else:
                raise TemplateError(f"{where}: unknown tag “{keyword}”")
        elif piece:
            body.append(piece)
    if len(stack) > 1:
        raise TemplateError("a block is not closed (endif or endfor missing)")
    return root


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _render(nodes: list[Any], context: dict[str, Any], escape: bool, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Output):
            value = _value(node.operand, context)
            for name, arg in node.filters:
                if name == "default":
                    value = value if value not in (None, "") else _value(arg, context)
                elif isinstance(value, str):
                    value = getattr(str, name)(value)  # the fixed list of str methods above
            text = _text(value) if isinstance(value, PLAIN) else ""
            out.append(html_lib.escape(text) if escape else text)
        elif isinstance(node, If):
            for condition, branch in node.branches:
                if condition is None or condition.holds(context):
                    _render(branch, context, escape, out)
                    break
        elif isinstance(node, For):
            items = _lookup(context, node.source)
            if isinstance(items, list | tuple):
                for item in items[:100]:
                    _render(node.body, {**context, node.name: item}, escape, out)


def template_render(source: str | list[Any], context: dict[str, Any], *, html: bool = False) -> str:
    """Render `source` (text or parsed nodes) with a plain-data `context`; HTML-escape merge
    values when `html`. TypeError when the context holds anything but plain data."""
    context_check(context)
    nodes = template_parse(source) if isinstance(source, str) else source
    out: list[str] = []
    _render(nodes, context, html, out)
    text = "".join(out)
    if len(text) > MAX_OUTPUT:
        raise TemplateError("the message is too long")
    return text
