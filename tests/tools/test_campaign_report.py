"""The firmware campaign HTML report: counts match the JSON summary, escaping, no external resources.

The big test runs a campaign over 1,000 ESMEs (each behind its own CHF) with injected failures:
HAN links that go down, corrupted blocks (the device fails to verify: FDRA 0x8F1C), blocks lost
and recovered, devices with another hardware version (CCS08 hardwareVersionMismatch) and devices
already running a newer version (CS06 activationFailure). The report is read back with
:mod:`html.parser` and every count is compared with the summary ``firmware campaign --json`` prints.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from governance_http_support import ThreadedLab

from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.hosting.han_network import HanLink
from smets_emu.parties.campaign import Campaign
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.firmware import UpgradeImage, sign_image
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.tools.campaign_report import gbcs_code, render_report
from smets_emu.tools.cli import main as cli_main
from smets_emu.tools.fleet_file import DeviceSpec, FleetSpec, PremisesSpec, default_fleet
from smets_emu.tools.lab import Lab, open_lab

SUPPLIER = "90B3D51F30010000"
START = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC)
FIRST = 0x00DB_5000_0000_0000


class Tables(HTMLParser):
    """Rows of every table with an id: (row attributes, cell texts); plus every tag's attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[tuple[dict[str, str], list[str]]]] = {}
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, str] = {}
        self._table: str | None = None
        self._row: tuple[dict[str, str], list[str]] | None = None
        self._cell: list[str] | None = None
        self._id: list[tuple[str, str]] = []  # open elements with an id: (tag, id)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append((tag, found))
        if tag == "table" and "id" in found:
            self._table = found["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = (found, [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if tag in ("code", "span", "p", "dl") and "id" in found:
            self._id.append((tag, found["id"]))
            self.text[found["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._id and self._id[-1][0] == tag:
            self._id.pop()
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if self._row[0]:  # body rows carry data-* attributes; header and "none" rows do not
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        for _, name in self._id:
            self.text[name] = self.text.get(name, "") + data

    def rows(self, table: str, attr: str) -> dict[str, list[str]]:
        """Body rows of *table* keyed by their *attr* attribute."""
        return {a[attr]: cells for a, cells in self.tables[table] if attr in a}


def parse(text: str) -> Tables:
    parser = Tables()
    parser.feed(text)
    parser.close()
    return parser


def assert_offline(parsed: Tables) -> None:
    """No script, stylesheet link, frame or remote URL anywhere."""
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "img"), (tag, attrs)
        for name in ("src", "href", "action", "xlink:href", "srcset"):
            value = attrs.get(name, "")
            assert "//" not in value and not value.lower().startswith(("http", "data:", "javascript:")), (tag, attrs)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def assert_report_matches(text: str, summary: dict[str, Any]) -> Tables:
    """Every count of the report equals the summary's."""
    parsed = parse(text)
    assert_offline(parsed)
    record = summary["campaign"]
    assert parsed.text["campaign-id"] == record["id"] and parsed.text["status"] == record["status"]
    outcomes = parsed.rows("outcomes", "data-outcome")
    assert {k: _number(v[1]) for k, v in outcomes.items()} == summary["outcomes"]
    stages = parsed.rows("stages", "data-stage")
    assert len(stages) == len(record["stages"])
    for result in record["stage_results"]:
        cells = stages[str(result["stage"])]
        assert cells[1] == result["name"] and (_number(cells[6]), _number(cells[7])) == (result["ok"], result["failed"])
    # the per-stage device counts add up to the stage sizes and, over all stages, to the outcomes
    assert [_number(c[2]) for c in stages.values()] == [
        s["upto"] - (record["stages"][i - 1]["upto"] if i else 0) for i, s in enumerate(record["stages"])]
    failures = parsed.rows("failures", "data-reason")
    assert {k: _number(v[1]) for k, v in failures.items()} == {k: v["count"] for k, v in summary["failures"].items()}
    for reason, cells in failures.items():
        assert cells[2] == gbcs_code(reason)
    alerts = parsed.rows("alerts", "data-alert")
    assert {k: _number(v[1]) for k, v in alerts.items()} == summary["alerts"]
    for kind in ("running", "pending"):
        shown = parsed.rows(f"versions-{kind}", "data-version")
        assert {k: _number(v[1]) for k, v in shown.items()} == {k: len(v) for k, v in summary["versions"][kind].items()}
    by_type = {(a["data-type"], a["data-version"]): _number(c[2]) for a, c in parsed.tables["versions-by-type"]
               if "data-type" in a}
    assert by_type == {(t, v): n for t, c in summary["versions"]["by_type"].items() for v, n in c.items()}
    devices = parsed.rows("devices", "data-eui")
    assert Counter(c[3] for c in devices.values()) == Counter(summary["outcomes"])
    for reason, info in summary["failures"].items():
        assert sorted(e for e, c in devices.items() if c[3] == "failed" and c[4] == reason) == sorted(info["devices"])
    assert sum(_number(c[6]) for c in devices.values()) == summary["blocks"]["delivered"]
    assert sum(_number(c[7]) for c in devices.values()) == summary["blocks"]["lost"]
    return parsed


# -- a 1,000-ESME lab with injected failures --------------------------------------------------

def _fleet(count: int) -> FleetSpec:
    premises = []
    for i in range(count):
        chf, esme = (FIRST + 2 * i).to_bytes(8, "big"), (FIRST + 2 * i + 1).to_bytes(8, "big")
        firmware = "7F000000" if i % 250 == 7 else "00F00000" if i % 3 == 0 else None  # newer: activation fails
        premises.append(PremisesSpec(f"p{i}", (DeviceSpec("CHF", chf), DeviceSpec("ESME", esme, firmware=firmware))))
    return FleetSpec(tuple(premises))


def _image(lab: Lab) -> bytes:
    image = UpgradeImage(0x121D, 0, 0x02000000, bytes(range(256)) * 12, "report test image", (0x1100, 0x1300))
    return sign_image(image, lab.keystore.private_key(SUPPLIER, KeyUsage.DS)).encode()  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def campaign_lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "lab"
    lab = open_lab(folder, _fleet(1000), synchronous="OFF")
    try:
        esmes = sorted(e for e, d in lab.fleet.devices.items() if d.device_type == "ESME")
        for eui in esmes[100::200]:  # another hardware version: refused at Query Next Image
            state = lab.fleet.devices[eui].state
            FirmwareSlots(state).set_identity(hardware_version=0x2000)
            lab.store.commit(state, [])
        links = {eui: HanLink(down_after=10) for eui in esmes[50::97]}  # the HAN link fails mid-transfer
        links.update({eui: HanLink(corrupt_blocks=frozenset({5})) for eui in esmes[60::151]})  # fails to verify
        links.update({eui: HanLink(lost_blocks=frozenset({1, 2}), loss_repeats=2) for eui in esmes[3::20]})
        campaign = Campaign.create(lab.fleet, _image(lab), esmes, START, error_threshold=0.5, activate="now",
                                   headend=HeadEnd(lab.keystore))
        campaign.links = links
        assert campaign.run() == "completed"
        lab.save_clock(campaign.clock)
    finally:
        lab.close()
    return folder


@pytest.mark.slow
def test_report_of_a_1000_device_campaign_matches_its_json_summary(campaign_lab: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "campaign.html"
    assert cli_main(["firmware", "campaign", "--state", str(campaign_lab), "--status", "--json",
                     "--report", str(report)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["targets"] == 1000
    # the injected failures are all there, each with its reason
    assert set(summary["failures"]) == {"file_transfer_failure", "hardware_version_mismatch",
                                        "activation activationFailure"}
    assert summary["failures"]["hardware_version_mismatch"]["count"] == 5
    assert summary["failures"]["activation activationFailure"]["count"] == 4
    assert summary["alerts"]["fdra_8F1C"] >= 6 and summary["blocks"]["lost"] > 0
    assert summary["outcomes"]["running"] + sum(f["count"] for f in summary["failures"].values()) == 1000
    parsed = assert_report_matches(report.read_text(encoding="utf-8"), summary)
    assert "refresh" not in {a.get("http-equiv") for t, a in parsed.tags if t == "meta"}  # a finished campaign
    devices = parsed.rows("devices", "data-eui")
    assert len(devices) == 1000
    moves = {(a["data-before"], a["data-after"]): _number(c[2]) for a, c in parsed.tables["versions-transitions"]
             if "data-before" in a}
    assert sum(moves.values()) == 1000 and moves[("00F00000", "02000000")] > 300
    assert moves[("7F000000", "7F000000")] == 4
    done = [c for c in devices.values() if c[3] == "running"]
    assert all(float(c[8]) > 0 for c in done)  # time to complete
    hw = next(c for c in devices.values() if c[4] == "hardware_version_mismatch")
    assert "hardwareVersionMismatch (2)" in hw[5]
    chart = [a for t, a in parsed.tags if t == "rect" and "data-outcome" in a]
    assert sum(int(a["data-count"]) for a in chart) == 1000


def test_report_escapes_what_it_shows() -> None:
    evil = '<script>alert(1)</script>"'
    summary: dict[str, Any] = {
        "campaign": {"id": evil, "status": "paused", "reason": evil, "version": evil, "image_hash": "AB", "size": 10,
                     "file": "CD", "created": START.isoformat(), "clock": START.isoformat(), "error_threshold": 0.05,
                     "activate": None, "stages": [{"name": evil, "upto": 1}], "stage": 0, "stage_results": []},
        "targets": 1, "outcomes": {"failed": 1}, "failures": {evil: {"count": 1, "devices": [evil]}},
        "alerts": {evil: 1}, "blocks": {"delivered": 0, "lost": 0}, "virtual_time_s": 0.0,
        "versions": {"running": {evil: [evil]}, "pending": {}, "by_type": {"ESME": {evil: 1}}},
    }
    row = {"eui": evil, "type": "ESME", "stage": 0, "stage_name": evil, "outcome": "failed", "reason": evil,
           "response_code": None, "delivered": 0, "lost": 0, "started": None, "ended": None, "seconds": None,
           "version_before": evil, "version_after": evil}
    text = render_report(summary, [row], refresh=5)
    assert "<script>" not in text and "&lt;script&gt;" in text
    parsed = parse(text)
    assert_offline(parsed)
    assert parsed.text["campaign-id"] == evil
    assert ("meta", {"http-equiv": "refresh", "content": "5"}) in parsed.tags


def test_cli_writes_the_report_at_the_end_of_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = open_lab(tmp_path / "lab", synchronous="OFF")
    try:
        image = tmp_path / "image.bin"
        image.write_bytes(_image(lab))
    finally:
        lab.close()
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    assert cli_main(["firmware", "campaign", "--state", str(tmp_path / "lab"), "--image", str(image), "--all", "ESME",
                     "--activate", "now", "--json", "--report", str(report)]) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out)
    assert summary["outcomes"] == {"running": 1} and f"report written to {report}" in out.err
    parsed = assert_report_matches(report.read_text(encoding="utf-8"), summary)
    assert [c[3] for c in parsed.rows("devices", "data-eui").values()] == ["running"]
    assert list(report.parent.iterdir()) == [report]  # no temporary file left behind


def _finished(lab: ThreadedLab, campaign_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        summary = lab.operator.ok("GET", f"/campaigns/{campaign_id}")
        if summary["campaign"]["status"] != "running" or time.monotonic() > deadline:
            return summary
        time.sleep(0.05)


def test_a_campaign_started_over_http_runs_in_the_served_lab(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    lab = open_lab(folder, default_fleet(40), synchronous="OFF")
    try:
        data = _image(lab)
        gsme = next(e for e, d in lab.fleet.devices.items() if d.device_type == "GSME").hex().upper()
    finally:
        lab.close()
    image = base64.b64encode(data).decode()
    with ThreadedLab(folder) as served:
        operator = served.operator
        assert operator.post("/campaigns", {"image": "not base64!"}).status == 400
        assert operator.post("/campaigns", {"image": image, "all": "ESME", "targets": [gsme]}).status == 400
        assert operator.post("/campaigns", {"image": image, "activate": "someday"}).status == 400
        assert operator.post("/campaigns", {"image": image, "targets": ["00" * 8]}).status == 400
        assert served.client(None).post("/campaigns", {"image": image}).status == 401
        # an ESME image for a GSME: refused at Query Next Image, over the error threshold: paused
        started = operator.ok("POST", "/campaigns", {"image": image, "targets": [gsme], "error_threshold": 0},
                              status=202)
        paused = _finished(served, started["id"])
        assert paused["campaign"]["status"] == "paused" and set(paused["failures"]) == {"image_discarded"}
        assert operator.post("/campaigns", {"image": image}).status == 409  # resume or abort it first
        assert operator.ok("POST", f"/campaigns/{started['id']}/abort")["campaign"]["status"] == "aborted"
        assert operator.post(f"/campaigns/{started['id']}/abort").status == 409

        before = dt.datetime.fromisoformat(operator.ok("GET", "/clock")["time"])
        started = operator.ok("POST", "/campaigns", {"image": image, "all": "ESME", "stages": "20,100",
                                                     "activate": "now"}, status=202)
        assert started["targets"] == 10 and started["report"] == f"/campaigns/{started['id']}/report"
        summary = _finished(served, started["id"])
        assert summary["campaign"]["status"] == "completed" and summary["outcomes"] == {"running": 10}
        assert [c["id"] for c in operator.ok("GET", "/campaigns")["campaigns"]] == [started["id"]]
        # the lab's clock moved on with the campaign's HAN transfers
        after = dt.datetime.fromisoformat(operator.ok("GET", "/clock")["time"])
        assert after >= dt.datetime.fromisoformat(summary["campaign"]["clock"]) > before
        report = operator.get(started["report"])
        assert report.status == 200 and "default-src 'none'" in report.headers["Content-Security-Policy"]
        assert_report_matches(report.text, operator.ok("GET", f"/campaigns/{started['id']}"))


def test_a_campaign_run_in_turns_ends_as_one_run_would(tmp_path: Path) -> None:
    """``run(max_groups=N)`` stops between CHF groups; continued, the virtual timeline is unchanged."""
    results = []
    for name, turns in (("whole", None), ("turns", 1)):
        lab = open_lab(tmp_path / name, default_fleet(40), synchronous="OFF")
        try:
            esmes = sorted(e for e, d in lab.fleet.devices.items() if d.device_type == "ESME")
            campaign = Campaign.create(lab.fleet, _image(lab), esmes, START, stages=(0.3, 1.0), error_threshold=1.0)
            campaign.links = {esmes[5]: HanLink(down_after=3)}
            calls = 1
            while campaign.run(max_groups=turns) == "running":
                calls += 1
            rows = [(r["eui"], r["outcome"], r["started"], r["ended"]) for r in campaign.devices()]
            results.append((calls, campaign.record["stage_results"], campaign.record["clock"], rows))
        finally:
            lab.close()
    (whole_calls, *whole), (turn_calls, *turned) = results
    assert whole_calls == 1 and turn_calls == 10  # one per CHF group (the last one completes the campaign)
    assert turned == whole


def test_a_campaign_over_http_takes_its_image_from_the_cfl(tmp_path: Path) -> None:
    from smets_emu.parties.governance import DeviceModel, DeviceType, Generation
    from smets_emu.tools.lab_dsp import LAB_MODEL
    from smets_emu.tools.lab_governance import open_lab_governance

    folder = tmp_path / "lab"
    lab = open_lab(folder, synchronous="OFF")
    gov = open_lab_governance(lab)
    try:
        listed = UpgradeImage(manufacturer_code=0x121D, image_type=0, file_version=0x0A010000,
                              manufacturer_image=b"from the CFL" * 64)
        gov.cfl_upload("mfr-ab01", listed.encode(), notes="fix", commercial=False, models=[("AB01", LAB_MODEL)])
        gov.cpl_add("secas", DeviceModel.create("AB01", LAB_MODEL, listed.version, listed.image_hash,
                                                Generation.SMETS2, DeviceType.ESME))
    finally:
        gov.close()
        lab.close()
    with ThreadedLab(folder) as served:
        refused = served.operator.post("/campaigns", {"cfl": f"{LAB_MODEL}@0B000000"})
        assert refused.status == 400 and "no CFL image" in refused.text
        started = served.operator.ok("POST", "/campaigns", {"cfl": f"{LAB_MODEL}@0A010000", "party": "supplier-b",
                                                           "activate": "now"}, status=202)
        summary = _finished(served, started["id"])
        assert summary["campaign"]["version"] == "0A010000" and summary["outcomes"] == {"running": 1}
