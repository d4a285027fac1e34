"""Content-addressed image stores: the same image is written once and read back as one shared object."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from smets_emu.hosting.images import SqliteImageStore, StateStoreImages
from smets_emu.hosting.store import StateStore


@pytest.mark.parametrize("kind", ["state", "file"])
def test_put_and_get_by_content(tmp_path: Path, kind: str) -> None:
    state = StateStore(tmp_path / "state.sqlite")
    store = StateStoreImages(state) if kind == "state" else SqliteImageStore(tmp_path / "images.sqlite")
    data = os.urandom(300_000)
    ref = store.put(data)
    assert ref == hashlib.sha256(data).hexdigest().upper()
    assert store.put(bytearray(data)) == ref  # the same content from another device: same reference
    first, again = store.get(ref), store.get(ref)
    assert first == data and first is again  # every reader shares one copy
    changed = bytearray(data)
    changed[150_000] ^= 0xFF
    assert store.put(bytes(changed)) == hashlib.sha256(changed).hexdigest().upper()
    assert store.get("00" * 32) is None


def test_images_survive_a_new_store_object(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    state = StateStore(path)
    data = os.urandom(100_000)
    ref = StateStoreImages(state).put(data)
    state.close()
    reopened = StateStore(path)
    assert reopened.has_image(ref) and StateStoreImages(reopened).get(ref) == data
