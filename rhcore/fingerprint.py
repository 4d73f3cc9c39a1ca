"""What a function Run was computed from, so a cache hit is only taken for the same work.

A fingerprint names the function (its module and qualified name), hashes its code (the
source, or the compiled code where there is none, with its defaults, the values its
closures hold and the globals it reads — functions among them followed the same way; a
value that cannot be hashed counts by its type), and hashes its arguments, next to the
Python and rhcore versions (major.minor: a patch release does not change results). Each
part is kept apart, so a mismatch says what changed.

Arguments are hashed by value, not by their pickle's bytes, which differ for equal sets
and dicts from one process to the next: containers are walked, sets sorted by their
elements' hashes, arrays hashed by dtype, shape and bytes, and anything else by its
pickle. An argument that cannot be hashed is said so (:class:`Unhashable`): two calls
are never taken for equal because their arguments could not be compared.
"""

from __future__ import annotations

import dis
import hashlib
import inspect
import pickle
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import cloudpickle

from rhcore.version import __version__

PARTS = ("function", "code", "arguments", "python", "rhcore")
"""The parts of a fingerprint, in the order a difference is reported."""
_FOLLOW_DEPTH = 4
"""How deep functions that a function's globals name are followed into."""


class Unhashable(Exception):
    """A value the fingerprint cannot hash (a lock, an open file, a generator)."""


@attrs.frozen
class Fingerprint:
    """What a call is keyed on. ``unhashable`` says why a part could not be hashed (the
    part is then None and never equals another)."""

    function: str
    code: str | None
    arguments: str | None
    python: str = attrs.field(factory=lambda: "{}.{}".format(*sys.version_info[:2]))
    rhcore: str = attrs.field(factory=lambda: ".".join(__version__.split(".")[:2]))
    unhashable: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {part: getattr(self, part) for part in PARTS}
        if self.unhashable:
            data["unhashable"] = self.unhashable
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fingerprint:
        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(function=text("function") or "?", code=text("code"), arguments=text("arguments"),
                   python=text("python") or "?", rhcore=text("rhcore") or "?",
                   unhashable=text("unhashable"))

    @property
    def key(self) -> str | None:
        """One hash of the whole fingerprint (None if a part could not be hashed): what an
        automatic run name is made from."""
        if self.code is None or self.arguments is None:
            return None
        return _digest("\0".join(str(getattr(self, part)) for part in PARTS).encode())

    def differences(self, stored: Fingerprint) -> list[str]:
        """What differs between ``stored`` (a Run's) and this call's, one line each."""
        lines = []
        if self.function != stored.function:
            lines.append(f"function: the Run was computed by {stored.function}, this call is {self.function}")
        elif self.code != stored.code or self.code is None:
            lines.append(f"code: {self.function}'s code (or what it reads) changed since the Run")
        if self.arguments is None or stored.arguments is None:
            lines.append(f"arguments: {self.unhashable or stored.unhashable or 'not hashed'}")
        elif self.arguments != stored.arguments:
            lines.append("arguments: this call's differ from the Run's")
        for part in ("python", "rhcore"):
            if getattr(self, part) != getattr(stored, part):
                lines.append(f"{part}: the Run was computed with {part} {getattr(stored, part)}, "
                             f"this is {getattr(self, part)}")
        return lines


def function_name(fn: Callable) -> str:
    """``module.qualname`` of a callable: who a fingerprint says computed a Run."""
    return f"{getattr(fn, '__module__', None) or '?'}.{getattr(fn, '__qualname__', None) or repr(fn)}"


def of_call(name: str, code: str, args: tuple, kwargs: dict) -> Fingerprint:
    """The fingerprint of calling the function ``name`` (its :func:`code_hash` ``code``)
    with ``args`` and ``kwargs``."""
    try:
        return Fingerprint(function=name, code=code, arguments=arguments_hash(args, kwargs))
    except Unhashable as exc:
        return Fingerprint(function=name, code=code, arguments=None,
                           unhashable=f"the argument {exc} cannot be hashed, so this call cannot be "
                                      "told apart from another")


def arguments_hash(args: tuple, kwargs: dict) -> str:
    """A hash of the arguments by value; Unhashable naming the first that has none."""
    h = hashlib.sha256()
    for index, value in enumerate(args):
        _feed(h, value, f"#{index} ({type(value).__name__})")
    h.update(b"\0kwargs\0")
    for key in sorted(kwargs):
        h.update(key.encode() + b"=")
        _feed(h, kwargs[key], f"{key!r} ({type(kwargs[key]).__name__})")
    return h.hexdigest()


def value_hash(value: Any, label: str = "value") -> str:
    h = hashlib.sha256()
    _feed(h, value, label)
    return h.hexdigest()


def _feed(h: Any, value: Any, label: str) -> None:
    kind = type(value)
    if value is None or kind in (bool, int, float, complex, str, bytes):
        h.update(f"{kind.__name__}:{value!r};".encode())
    elif kind in (list, tuple):
        h.update(f"{kind.__name__}[{len(value)}".encode())
        for item in value:
            _feed(h, item, label)
        h.update(b"]")
    elif kind is dict:
        h.update(f"dict{{{len(value)}".encode())
        for key_digest, item in sorted((value_hash(k, label), v) for k, v in value.items()):
            h.update(key_digest.encode())
            _feed(h, item, label)
        h.update(b"}")
    elif kind in (set, frozenset):
        members = sorted(value_hash(item, label) for item in value)
        h.update(f"{kind.__name__}{{".encode() + "".join(members).encode())
    elif kind.__module__ == "numpy" and hasattr(value, "tobytes") and hasattr(value, "dtype"):
        h.update(f"ndarray:{value.dtype.str}:{getattr(value, 'shape', ())};".encode())
        h.update(value.tobytes())
    elif callable(value) and isinstance(value, (types.FunctionType, types.MethodType)):
        h.update(b"fn:" + code_hash(value).encode())
    else:
        try:
            data = cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise Unhashable(f"{label}: {type(exc).__name__}: {exc}") from None
        h.update(f"{kind.__module__}.{kind.__qualname__}:".encode() + hashlib.sha256(data).digest())


def code_hash(fn: Callable, depth: int = 0, seen: set[int] | None = None) -> str:
    """A hash of what ``fn`` computes with: its code, defaults, closures and the globals it
    reads (functions among them followed ``_FOLLOW_DEPTH`` deep)."""
    seen = set() if seen is None else seen
    target = getattr(fn, "__func__", fn)  # a bound method: its function
    code = getattr(target, "__code__", None)
    if code is None:  # a builtin, a class, a callable object: by its name and pickle
        name = f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', type(target).__name__)}"
        return _digest(name.encode() + _source(target).encode())
    if id(target) in seen:
        return "recursive"
    seen.add(id(target))
    h = hashlib.sha256()
    h.update(_source(target).encode() or _code_bytes(code))
    for label, value in (("defaults", target.__defaults__), ("kwdefaults", target.__kwdefaults__)):
        if value:
            h.update(label.encode() + _value_or_function(value, depth, seen, label).encode())
    for name, cell in zip(code.co_freevars, target.__closure__ or (), strict=False):
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell: not yet assigned
            continue
        h.update(f"closure {name}=".encode() + _value_or_function(content, depth, seen, name).encode())
    namespace = getattr(target, "__globals__", {})
    for name in sorted(set(_global_names(code))):
        if name not in namespace:
            continue  # a builtin, or not defined yet
        h.update(f"global {name}=".encode() + _value_or_function(namespace[name], depth, seen, name).encode())
    return h.hexdigest()


def _value_or_function(value: Any, depth: int, seen: set[int], label: str) -> str:
    """A hash of what a function reads; a value that cannot be hashed counts by its type
    (the code is still told apart; its data, as far as it can be)."""
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__}"
    if isinstance(value, (types.FunctionType, types.MethodType)):
        if depth >= _FOLLOW_DEPTH:
            return f"function {getattr(value, '__qualname__', '?')}"
        return code_hash(value, depth + 1, seen)
    if isinstance(value, type):
        return f"class {value.__module__}.{value.__qualname__}:" + _digest(_source(value).encode())
    try:
        return value_hash(value, label)
    except Unhashable:
        return f"unhashable {type(value).__module__}.{type(value).__qualname__}"


def _global_names(code: types.CodeType) -> Iterator[str]:
    """The global names ``code`` (and the code nested in it) loads."""
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(instruction.argval, str):
            yield instruction.argval
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _global_names(const)


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except Exception:  # no file, not a function, or lines that are not this code's (a REPL, exec)
        return ""


def _code_bytes(code: types.CodeType) -> bytes:
    """The compiled code, where its source is not at hand (a REPL, ``exec``)."""
    parts = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for const in code.co_consts:
        parts.append(_code_bytes(const) if isinstance(const, types.CodeType) else repr(const).encode())
    return b"\0".join(parts)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
