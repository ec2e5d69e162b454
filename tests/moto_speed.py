"""Test-only speed-ups of botocore and moto that change no answer (installed by conftest.py for every test).

- `share_botocore_data`: mock_aws gives each test a new default boto3 session, and a new session's data loader
  re-reads and re-parses botocore's JSON service models and endpoint data (~0.1-0.25 s per test, twice per table
  test: the fixture's client and the app's). The loaded data is read-only, so one loader serves every session;
  sessions, clients and credentials stay new per test.
- `lean_attribute_values`: moto serializes every response by walking the operation's output shape, and for each
  member of each DynamoDB AttributeValue ({"S": "x"}: ten members, most absent) it tries several aliases of the
  member's name on the value. That walk is most of what moto spends on a Query or GetItem of our items. An
  AttributeValue moto hands over is a one-key dict, whose one member is serialized as the walk would serialize it
  (test_dynamodb_model.py compares the two on every kind of value).
"""

from __future__ import annotations

ATTRIBUTE_VALUE_MEMBERS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})


def share_botocore_data() -> None:
    import botocore.loaders
    import botocore.session

    if getattr(botocore.session.create_loader, "shared", False):
        return
    create = botocore.loaders.create_loader
    loaders: dict = {}

    def create_loader(search_path_string=None):
        if search_path_string not in loaders:
            loader = create(search_path_string)
            loaders[search_path_string] = (loader, list(loader.search_paths))
        loader, paths = loaders[search_path_string]
        loader.search_paths[:] = paths  # each boto3 session appends its data folder to its loader's paths
        return loader

    create_loader.shared = True
    botocore.session.create_loader = create_loader


def lean_attribute_values() -> None:
    from moto.core.serialize import BaseJSONSerializer

    walk = BaseJSONSerializer._serialize_type_structure
    if getattr(walk, "lean", False):
        return

    def _serialize_type_structure(self, serialized, value, shape, key):
        if (key and shape.name == "AttributeValue" and type(value) is dict and len(value) == 1
                and shape.members.keys() == ATTRIBUTE_VALUE_MEMBERS
                and not getattr(self._value_picker, "response_transformers", None)):
            (member, member_value), = value.items()
            if member in ATTRIBUTE_VALUE_MEMBERS:
                # no alias of another member's name can be this key, so the walk would find this member alone
                for member_shape in shape.members.values():
                    member_shape.parent = shape
                wrapper = self.MAP_TYPE()
                if member_value is not None:
                    self._serialize(wrapper, member_value, shape.members[member], member)
                self._default_serialize(serialized, wrapper, shape, key)
                return
        walk(self, serialized, value, shape, key)

    _serialize_type_structure.lean = True
    _serialize_type_structure.walk = walk
    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure

