"""Fixtures shared by the test modules."""

import pytest


class _Payload:
    """Unpickling this writes a marker file (and could do anything else)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _skops_calling(path, module, name, args):
    """Write a skops file whose loading would call ``module.name(*args)``."""
    import io
    import json
    import zipfile

    import skops
    import skops.io as sio

    with zipfile.ZipFile(io.BytesIO(sio.dumps(tuple(args)))) as z:
        content = json.loads(z.read("schema.json"))
    for key in ("protocol", "_skops_version"):
        content.pop(key)
    schema = {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": content,
        "__id__": 1,
        "protocol": 2,
        "_skops_version": skops.__version__,
    }
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("schema.json", json.dumps(schema))
    return path


@pytest.fixture
def pickle_payload():
    """A class whose unpickling writes the marker file it is given."""
    return _Payload


@pytest.fixture
def skops_calling():
    """``skops_calling(path, module, name, args)``: a crafted skops file."""
    return _skops_calling
