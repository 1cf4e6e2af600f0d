"""numpydoc's validation of every public docstring.

Every name of ``sksegment.__all__`` (and of the public modules it lists), and
every public method or property sksegment defines on them, is validated with
``numpydoc.validate``; the codes in ``IGNORED`` are not required.
"""

import inspect
import types

import pytest

import sksegment

validate = pytest.importorskip("numpydoc.validate").validate

# numpydoc codes not required, and why.
IGNORED = {
    "ES01",  # extended summary: docstrings stay short, behaviour is in the guide
    "SA01",  # See Also: only where it helps
    "RT02",  # "self : object" names what a method returns, as in scikit-learn
}
# Required of classes and functions, not of their methods: the class shows
# its methods in use.
CLASS_AND_FUNCTION_ONLY = {"EX01"}


def _public_objects():
    """(qualified name, object) of the public names, each object once."""
    for name in sksegment.__all__:
        obj = getattr(sksegment, name)
        if isinstance(obj, types.ModuleType):
            for inner in obj.__all__:
                yield f"sksegment.{name}.{inner}", getattr(obj, inner)
        elif inspect.isclass(obj) or inspect.isfunction(obj):
            yield f"sksegment.{name}", obj


def _ours(obj):
    return (getattr(obj, "__module__", None) or "").startswith("sksegment")


def _public_names():
    """Qualified names to validate: objects, then the methods sksegment defines."""
    names, seen = [], set()
    for qualname, obj in _public_objects():
        if id(obj) in seen:
            continue  # re-exported: validated under its first name
        seen.add(id(obj))
        names.append(qualname)
        if not inspect.isclass(obj):
            continue
        for attr in sorted(dir(obj)):
            if attr.startswith("_"):
                continue
            member = inspect.getattr_static(obj, attr)
            if isinstance(member, property):
                member = member.fget
            member = getattr(member, "__func__", member)
            if callable(member) and _ours(member):
                names.append(f"{qualname}.{attr}")
    return names


NAMES = _public_names()


def _errors(qualname):
    """numpydoc's errors for ``qualname``, {code: message}, those required."""
    member = inspect.isclass(_resolve(qualname.rsplit(".", 1)[0]))
    ignored = IGNORED | (CLASS_AND_FUNCTION_ONLY if member else set())
    return {
        code: message
        for code, message in validate(qualname)["errors"]
        if code not in ignored
    }


def _resolve(qualname):
    obj = sksegment
    for part in qualname.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("qualname", NAMES)
def test_docstring(qualname):
    errors = _errors(qualname)
    assert not errors, "\n".join(f"{code}: {msg}" for code, msg in errors.items())


def test_every_public_name_is_validated():
    assert len(NAMES) == len(set(NAMES))
    for name in sksegment.__all__:
        obj = getattr(sksegment, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert f"sksegment.{name}" in NAMES or any(
                _resolve(n) is obj for n in NAMES
            ), name
    assert "sksegment.Thresholder.transform" in NAMES
    assert "sksegment.metrics.dice" in NAMES
