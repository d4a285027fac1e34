"""Copy-on-write fields of a device state: a working copy shares its parent's objects until it uses them.

A :class:`~smets_emu.emulator.state.DeviceState` keeps its field values in ``_values``. A working
copy (``clone()``) starts with every mutable field listed in ``_shared`` (still the parent's
object); the first use of such a field copies it and records the parent's object in
``_origin``, so whether the section changed is one comparison at commit. Setting a field
records the value it replaced the same way. The object model field can copy one object alone
(:meth:`~smets_emu.emulator.state.DeviceState.object_for_write`), see :class:`ObjectsField`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar, cast, overload

T = TypeVar("T")

PARTIAL = "objects/partial"
"""Key in ``_shared``: the parent's object model data while the working copy's is partial."""


class Tracked(Protocol):
    """What a copy-on-write field needs of the state holding it."""

    _values: dict[str, Any]  # field name -> value
    _shared: dict[str, Any]  # fields still the parent's objects (and PARTIAL)
    _origin: dict[str, Any]  # fields copied or set: the value they had


def copy_tree(value: T) -> T:
    """A copy of JSON-shaped data: dicts and lists are copied, their leaves (immutable) shared."""
    kind = type(value)
    if kind is dict:
        return cast(T, _copy_dict(cast("dict[Any, Any]", value)))
    if kind is list:
        return cast(T, _copy_list(cast("list[Any]", value)))
    return value


def _copy_dict(value: dict[Any, Any]) -> dict[Any, Any]:
    copied = value.copy()
    for key, item in copied.items():  # replacing values keeps the dict's size: iteration stays valid
        kind = type(item)
        if kind is dict:
            copied[key] = _copy_dict(item)
        elif kind is list:
            copied[key] = _copy_list(item)
    return copied


def _copy_list(value: list[Any]) -> list[Any]:
    copied = value.copy()
    for index, item in enumerate(copied):
        kind = type(item)
        if kind is dict:
            copied[index] = _copy_dict(item)
        elif kind is list:
            copied[index] = _copy_list(item)
    return copied


class ScalarField(Generic[T]):
    """An immutable field of a section: setting it keeps the value it replaced for comparison."""

    def __init__(self) -> None:
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> ScalarField[T]: ...
    @overload
    def __get__(self, obj: Tracked, owner: type | None = None) -> T: ...

    def __get__(self, obj: Tracked | None, owner: type | None = None) -> T | ScalarField[T]:
        if obj is None:
            return self
        return self.value(obj)

    def value(self, obj: Tracked) -> T:
        """The field's value in *obj* (a mutable field first makes a working copy's value its own)."""
        return cast(T, obj._values[self.name])

    def __set__(self, obj: Tracked, value: T) -> None:
        name = self.name
        shared = obj._shared
        if name in shared:  # a mutable field never used on this copy: the parent's object is the one replaced
            obj._origin[name] = shared.pop(name)
        else:
            obj._origin.setdefault(name, obj._values[name])
        obj._values[name] = value


class MutableField(ScalarField[T]):
    """A mutable field of a section.

    In a working copy the field is the parent's object until first used, then a copy of it
    (the parent's object is kept to tell whether the copy changed). Setting the field keeps
    the value it replaced for the same comparison.
    """

    def __init__(self, copier: Callable[[T], T]) -> None:
        super().__init__()
        self.copier = copier

    def value(self, obj: Tracked) -> T:
        name = self.name
        shared = obj._shared
        if name in shared:
            parent = shared.pop(name)
            value = obj._values[name] = self.copier(parent)
            obj._origin[name] = parent
            return cast(T, value)
        return cast(T, obj._values[name])


class ObjectsField(MutableField[dict[str, Any]]):
    """The object model data field: one object can be copied alone (:func:`object_for_write`).

    Until then the working copy holds a partial copy (its own top level and group dicts, every
    object still the parent's). Using the field as a whole first copies whatever is still the
    parent's, so ``state.objects`` is always the working copy's own to change in place.
    """

    def __init__(self) -> None:
        super().__init__(copy_tree)

    def value(self, obj: Tracked) -> dict[str, Any]:
        parent = obj._shared.pop(PARTIAL, None)
        if parent is not None:
            obj._values[self.name] = _unshared(obj._values[self.name], parent)
        return super().value(obj)

    def __set__(self, obj: Tracked, value: dict[str, Any]) -> None:
        obj._shared.pop(PARTIAL, None)
        super().__set__(obj, value)


def _unshared(top: dict[str, Any], parent: dict[str, Any]) -> dict[str, Any]:
    """*top* (a partial copy of *parent*) with every group and object still shared with *parent* copied.

    New containers are built (the partial copy is left as it was, for any copy made of it); the
    objects already this state's own are kept as they are.
    """
    whole: dict[str, Any] = {}
    for name, group in top.items():
        before = parent.get(name)
        if group is before:
            whole[name] = copy_tree(group)
        elif type(group) is dict and type(before) is dict:
            whole[name] = {key: copy_tree(item) if item is before.get(key) else item for key, item in group.items()}
        else:
            whole[name] = group
    return whole


def object_for_write(state: Tracked, group: str, key: str) -> dict[str, Any] | None:
    """``objects[group][key]`` of *state* as its own, to change in place; None if absent.

    The first call on a working copy makes its object model a partial copy (PARTIAL); then only
    the group dict and the one object asked for are copied.
    """
    shared = state._shared
    values = state._values
    if "objects" in shared:  # first use: a partial copy, objects still the parent's
        parent = shared.pop("objects")
        state._origin["objects"] = parent
        shared[PARTIAL] = parent
        values["objects"] = dict(parent)
    top: dict[str, Any] = values["objects"]
    items = top.get(group)
    if type(items) is not dict:
        return None
    parent = shared.get(PARTIAL)
    if parent is None:  # the whole field is this state's own already
        return cast("dict[str, Any] | None", items.get(key))
    before = parent.get(group)
    if items is before:
        items = top[group] = dict(items)
    item = items.get(key)
    if item is not None and type(before) is dict and item is before.get(key):
        item = items[key] = copy_tree(item)
    return cast("dict[str, Any] | None", item)


def put_object(state: Tracked, group: str, key: str, value: dict[str, Any]) -> None:
    """Set ``objects[group][key]`` of *state* (creating the group) without copying the other objects."""
    object_for_write(state, group, key)
    top: dict[str, Any] = state._values["objects"]
    items = top.get(group)
    if type(items) is not dict:
        items = top[group] = {}
    elif PARTIAL in state._shared and items is state._shared[PARTIAL].get(group):
        items = top[group] = dict(items)
    items[key] = value
