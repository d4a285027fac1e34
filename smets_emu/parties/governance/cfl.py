"""The Centralised Firmware Library (SECMP0009).

- "a library of 'non-commercially released' firmware images ... for all Device Models which are
  required to be included on the CPL" (section 1.2, 3): manufacturers upload an Upgrade Image in
  the project's OTA format for their own device models, with Markdown release notes and the
  commercial flag. The image is parsed with the OTA codec; when the manufacturer has registered a
  signing key the image must carry a valid signature by it; its Manufacturer Image Hash must match
  the CPL entry of each device model at that version when there is one. Otherwise the image is
  "pending CPL" (the CFL runs "concurrently but independently from the CPL", section 1.2).
- "All Supplier SEC Parties who have the potential to become a Responsible Supplier should be
  granted free access" (section 3), without a commercial relationship with the manufacturer.
- Commercially developed images: "certain firmware versions included on the CPL may not be
  available via the CFL ... consideration may need to be given within the CFL to make this
  distinction clear" (section 3): they are listed and marked, their bytes are not kept, and no one
  can download them.
- The CFL "is not intended to act as a vulnerability management tool" (section 3.1): it sends no
  alerts; the CPL remains the source of release notifications.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from smets_emu.errors import FrameError
from smets_emu.inputs import MAX_FIRMWARE_IMAGE_BYTES
from smets_emu.parties.governance.access import NEVER_DOWNLOADABLE, Action, Owner
from smets_emu.parties.governance.cpl import CplService
from smets_emu.parties.governance.errors import AccessRefused, Conflict, InvalidInput, UnknownObject
from smets_emu.parties.governance.model import CflImage, firmware_version, manufacturer_id, model_id
from smets_emu.parties.governance.notes import check_notes
from smets_emu.parties.governance.store import Db, iso, object_id, when
from smets_emu.protocols.firmware import UpgradeImage, decode_image, verify_image

MAX_MODELS_PER_IMAGE = 32
COLUMNS = ("image_id, manufacturer_id, uploaded_by, version, image_hash, size, commercial, notes, signature,"
           " uploaded_at")


def signing_key(pem: bytes) -> ec.EllipticCurvePublicKey:
    """A manufacturer's image-signing public key (PEM, P-256)."""
    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise InvalidInput("the image-signing key must be an ECDSA P-256 public key")
    return key


class CflService:
    """Upload, list, read and download of CFL images."""

    def __init__(self, db: Db, cpl: CplService) -> None:
        self.db = db
        self.cpl = cpl

    def cfl_upload(self, actor: str, data: bytes, *, notes: str, commercial: bool,
                   models: Sequence[tuple[str, str]]) -> CflImage:
        """A manufacturer uploads an image for its own device models (see the module docstring)."""
        with self.db.operation(actor, Action.CFL_UPLOAD, "new image") as op:
            pairs = _models(models)
            op.object = "new image for " + ", ".join(f"{m}/{d}" for m, d in pairs)
            op.require_own(Owner.of(manufacturers=tuple(m for m, _ in pairs)))
            image = _decode(data)
            signature = self._signature(op.org.org_id, image)
            for mid, model in pairs:
                listed = self.cpl.lookup((mid, model, image.version))
                if listed is not None and listed.image_hash is not None and listed.image_hash != image.image_hash:
                    raise Conflict(f"the image hash differs from the CPL entry {listed.label} "
                                   f"({listed.image_hash.hex().upper()})")
            try:
                cursor = self.db.execute(
                    "INSERT INTO cfl (manufacturer_id, uploaded_by, version, image_hash, size, commercial, notes,"
                    " signature, uploaded_at, data) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (pairs[0][0], op.org.org_id, image.version, image.image_hash, len(data), int(bool(commercial)),
                     check_notes(notes), signature, iso(self.db.now()), None if commercial else bytes(data)),
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"an image with hash {image.image_hash.hex().upper()} is already in the CFL") from exc
            image_id = int(cursor.lastrowid or 0)
            for mid, model in pairs:
                self.db.execute("INSERT INTO cfl_models VALUES (?,?,?)", (image_id, mid, model))
            op.object = f"image {image_id}"
            result = self._image(image_id)
            op.detail = f"{result.version} {result.cpl_status}{' commercial' if commercial else ''}"
            return result

    def cfl_list(self, actor: str) -> list[CflImage]:
        """Every image the organisation may see (a manufacturer: its own), newest first."""
        with self.db.operation(actor, Action.CFL_LIST, "CFL") as op:
            ids = [r[0] for r in self.db.execute("SELECT image_id FROM cfl ORDER BY image_id DESC")]
            images = [self._image(i) for i in ids]
            visible = [i for i in images if op.may(Owner.of(manufacturers=(i.manufacturer_id,)))]
            op.detail = f"{len(visible)} images"
            return visible

    def cfl_image(self, actor: str, image_id: int) -> CflImage:
        """One image's details and release notes."""
        with self.db.operation(actor, Action.CFL_READ, f"image {image_id}") as op:
            image = self._image(_image_id(image_id))
            op.require_own(Owner.of(manufacturers=(image.manufacturer_id,)))
            return image

    def cfl_find(self, actor: str, model: str, version: str) -> CflImage:
        """The newest image for device model ``model`` at ``version`` (``MODEL@VERSION``)."""
        with self.db.operation(actor, Action.CFL_READ, f"{model}@{version}") as op:
            mid, ver = model_id(model), firmware_version(version)
            row = self.db.execute(
                "SELECT c.image_id FROM cfl c JOIN cfl_models m ON m.image_id = c.image_id"
                " WHERE m.model_id = ? AND c.version = ? ORDER BY c.image_id DESC LIMIT 1", (mid, ver),
            ).fetchone()
            if row is None:
                raise UnknownObject(f"no CFL image for device model {mid} at version {ver}")
            image = self._image(row[0])
            op.object = f"image {image.image_id}"
            op.require_own(Owner.of(manufacturers=(image.manufacturer_id,)))
            return image

    def cfl_download(self, actor: str, image_id: int) -> bytes:
        """The image file; commercially developed images are never distributed."""
        with self.db.operation(actor, Action.CFL_DOWNLOAD, f"image {image_id}") as op:
            image = self._image(_image_id(image_id))
            op.require_own(Owner.of(manufacturers=(image.manufacturer_id,)))
            row = self.db.execute("SELECT data FROM cfl WHERE image_id = ?", (image.image_id,)).fetchone()
            if image.commercial or row is None or row[0] is None:
                raise AccessRefused(NEVER_DOWNLOADABLE)
            op.detail = f"{image.size} bytes, {image.cpl_status}"
            return bytes(row[0])

    # -- internal ----------------------------------------------------------------------------

    def _signature(self, org: str, image: UpgradeImage) -> str:
        row = self.db.execute("SELECT signing_key FROM orgs WHERE org_id = ?", (org,)).fetchone()
        if row is None or row[0] is None:
            return "unsigned" if image.signature is None else "unverified"
        if not verify_image(image, signing_key(bytes(row[0]))):
            raise InvalidInput("the image signature does not verify with the manufacturer's registered key")
        return "verified"

    def _image(self, image_id: int) -> CflImage:
        row = self.db.execute(f"SELECT {COLUMNS} FROM cfl WHERE image_id = ?", (image_id,)).fetchone()
        if row is None:
            raise UnknownObject(f"no CFL image {image_id}")
        models = tuple((m, d) for m, d in self.db.execute(
            "SELECT manufacturer_id, model_id FROM cfl_models WHERE image_id = ? ORDER BY model_id", (image_id,)))
        version, image_hash = row[3], bytes(row[4])
        listed = all(
            (entry := self.cpl.lookup((m, d, version))) is not None and entry.image_hash in (None, image_hash)
            for m, d in models
        )
        return CflImage(
            image_id=row[0], manufacturer_id=row[1], uploaded_by=row[2], version=version, image_hash=image_hash,
            size=row[5], commercial=bool(row[6]), models=models, notes=row[7], signature=row[8],
            uploaded_at=when(row[9]), cpl_status="listed" if listed and models else "pending_cpl",  # type: ignore[arg-type]
        )


def _image_id(value: int) -> int:
    return object_id(value, "image id", "CFL image")


def _models(models: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(models, str | bytes) or not models:
        raise InvalidInput("name at least one device model (manufacturer id, model id) the image applies to")
    if len(models) > MAX_MODELS_PER_IMAGE:
        raise InvalidInput(f"at most {MAX_MODELS_PER_IMAGE} device models per image")
    pairs: list[tuple[str, str]] = []
    for item in models:
        try:
            mid, model = item
        except (TypeError, ValueError) as exc:
            raise InvalidInput("each device model is (manufacturer id, model id)") from exc
        pair = (manufacturer_id(mid), model_id(model))
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def _decode(data: bytes) -> UpgradeImage:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInput("the image must be bytes")
    if len(data) > MAX_FIRMWARE_IMAGE_BYTES:
        raise InvalidInput(f"the image is larger than {MAX_FIRMWARE_IMAGE_BYTES} bytes")
    try:
        return decode_image(bytes(data))
    except FrameError as exc:
        raise InvalidInput(f"not an Upgrade Image in the OTA format: {exc}") from exc
