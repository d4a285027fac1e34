"""What an RTDS replay reports per use-case folder and per file: the verdicts, strict differences and preconditions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smets_emu.protocols.message import Message


@dataclass
class FileResult:
    """Comparison of one RTDS RESPONSE or ALERT with what the emulator sent."""

    name: str
    verdict: str  # conform, differ, unsupported
    detail: str = ""
    strict: list[str] = field(default_factory=list)  # fields that differ under the strict comparison


@dataclass
class FolderResult:
    """Comparison of one use-case folder."""

    folder: str
    verdict: str
    files: list[FileResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    injected: set[str] = field(default_factory=set)  # preconditions used (INJECTED_KINDS)
    pairs: list[tuple[str, Message, Message]] = field(default_factory=list)  # (file, RTDS, emulator) compared

    @property
    def strict_verdict(self) -> str:
        """The verdict of the strict comparison: a conforming folder whose files differ in a field is ``differ``."""
        if self.verdict != "conform":
            return self.verdict
        return "differ" if any(f.strict for f in self.files) else "conform"

    @property
    def strict_reason(self) -> str:
        """The first strict difference (or the non-strict reason)."""
        if self.verdict != "conform":
            return self.reason
        return next((f"{f.name}: {f.strict[0]}" for f in self.files if f.strict), "")

    @property
    def outcome_injected(self) -> bool:
        """True when an ERROR outcome was injected (a device fault), not produced by the device on its own."""
        return any(kind.startswith("outcome:") for kind in self.injected)

    def to_json(self) -> dict[str, Any]:
        return {"folder": self.folder, "verdict": self.verdict, "strict_verdict": self.strict_verdict,
                "injected": sorted(self.injected), "notes": self.notes,
                "files": [{"name": f.name, "verdict": f.verdict, "detail": f.detail, "strict": f.strict}
                          for f in self.files]}

    @property
    def reason(self) -> str:
        """The first difference (or why the folder is unsupported)."""
        wanted = "differ" if self.verdict == "differ" else "unsupported"
        return next((f"{f.name}: {f.detail}" for f in self.files if f.verdict == wanted), "")
