"""A supplier reading an ESME of a lab over GBCS at chosen lab times (the commands go straight into the fleet)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from smets_emu.protocols.timestamps import GBCS_EPOCH, DlmsDateTime
from smets_emu.tools.command_choice import sample_payload
from smets_emu.tools.lab import Lab, read_inventory
from smets_emu.tools.wan_client import Exchange, RemoteParty

ESME = bytes.fromhex("00DB1234567890A0")
ECS17B = 0x0027


class Reader:
    """Reads *eui* (the default lab's ESME) as its supplier."""

    def __init__(self, lab: Lab, eui: bytes = ESME) -> None:
        self.lab = lab
        self.eui = eui
        self.party = RemoteParty(lab.keystore, self._never, device_type_of=read_inventory(lab.key_folder).get)

    @staticmethod
    async def _never(data: bytes) -> Exchange:  # pragma: no cover - delivered in-process
        raise AssertionError("not used")

    def read(self, code: int, now: dt.datetime, window: tuple[dt.datetime, dt.datetime] | None = None
             ) -> list[Any]:
        """The decrypted values of a Data protection read (GBCS 5.11), one per object read."""
        tree = sample_payload(code).to_json()
        if window is not None:
            for spec in tree["requests"][0]["data"]["value"][0]["value"]:
                spec["value"][4]["value"][1]["value"] = [
                    {"type": "octet-string", "value": DlmsDateTime.from_datetime(t).to_bytes().hex()} for t in window]
        data = self.party.build(code, tree, to=self.eui)
        sent = self.lab.fleet.deliver(data, now)
        response = next(o.message for o in sent if o.kind == "response")
        reply = self.party.read(data, Exchange(1, response, []))
        (result,) = reply.payload.to_json()["results"]  # type: ignore[union-attr]
        assert result["result"] == "success", result
        return list(result["data"]["value"][1]["decrypted"]["value"])

    def register(self, now: dt.datetime) -> int:
        """The active import register (ECS17b, Wh)."""
        (value,) = self.read(ECS17B, now)
        return int(value["value"][0]["value"])

    def buffer(self, code: int, now: dt.datetime, start: dt.datetime, end: dt.datetime) -> list[list[Any]]:
        """Buffer rows (capture time, then the other columns' values) of each object the use case reads."""
        out = []
        for array in self.read(code, now, (start, end)):
            rows = []
            for entry in array["value"]:
                cells = entry["value"]
                stamp = GBCS_EPOCH + dt.timedelta(seconds=cells[0]["value"])
                rows.append([stamp, *(_plain(c) for c in cells[1:])])
            out.append(rows)
        return out


def _plain(cell: dict[str, Any]) -> Any:
    value = cell["value"]
    return [_plain(v) for v in value] if isinstance(value, list) else value
