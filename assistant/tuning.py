"""The answer library's tuning values, as one frozen record read from ``tuning.toml``.

Why one record: a number that changes answers must be visible in one place, passed in
rather than read from a module constant, and printed by every eval run, so a report always
says what it measured. The values live only in the TOML file (no defaults in code): a
missing or unknown key is an error naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import UsageError

TUNING_FILE = Path(__file__).with_name("tuning.toml")


@dataclass(frozen=True)
class RoutingTuning:
    emergency: float
    personal_advice: float
    out_of_scope: float
    no_evidence: float
    margin: float
    in_domain_dense: float
    evidence_dense: float
    evidence_sentence: float
    salient_word_shift: float
    salient_word_ratio: float
    unsupported_unless_sentence: float
    unmentioned_pull: float
    related_use: float
    max_probed_words: int
    followup_facet_confidence: float

    def floor(self, label: str) -> float:
        """The nearest-exemplar floor of a routing class."""
        return float(getattr(self, label))


@dataclass(frozen=True)
class RetrievalTuning:
    candidates: int
    rrf_k: int
    per_doc: int
    full_weight_idf: float
    depth_patient: int
    depth_therapist: int
    evidence_hits: int
    focus_chunks: int

    def depth(self, audience: str) -> int:
        return int(getattr(self, f"depth_{audience}"))


@dataclass(frozen=True)
class ComposeTuning:
    lead_min: float
    support_min: float
    close_min: float
    covered_fit: float
    subtype_min: float
    broader_min: float
    max_support: int
    max_notes_patient: int
    max_notes_therapist: int
    max_close: int
    max_words_patient: int
    max_words_therapist: int
    plain_margin: float
    continuation_margin: float
    same_fact_overlap: float
    max_cautions: int
    caution_similarity: float


@dataclass(frozen=True)
class Tuning:
    routing: RoutingTuning
    retrieval: RetrievalTuning
    compose: ComposeTuning

    @classmethod
    def load(cls, path: str | Path = TUNING_FILE) -> Tuning:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise UsageError(f"{path}: cannot read the tuning file ({error})") from None
        sections = {f.name: f.type for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(sections))
        if unknown:
            raise UsageError(f"{path}: unknown section [{unknown[0]}]; the sections are {', '.join(sections)}")
        return cls(**{name: _section(path, name, _SECTIONS[name], data.get(name, {})) for name in sections})

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """For reports: every value, by section."""
        return dataclasses.asdict(self)


_SECTIONS: dict[str, type] = {"routing": RoutingTuning, "retrieval": RetrievalTuning, "compose": ComposeTuning}


def _section(path: Path, name: str, record: type, values: dict) -> Any:
    fields = {f.name: f for f in dataclasses.fields(record)}
    for key in fields:
        if key not in values:
            raise UsageError(f"{path}: [{name}] is missing `{key} = ...`")
    for key in values:
        if key not in fields:
            raise UsageError(f"{path}: [{name}] has unknown key `{key}`; known keys: {', '.join(fields)}")
    converted = {}
    for key, value in values.items():
        if isinstance(value, list):
            value = tuple(value)
        if not isinstance(value, (int, float, tuple)) or isinstance(value, bool):
            raise UsageError(f"{path}: [{name}] {key} must be a number, not {value!r}")
        converted[key] = value
    return record(**converted)
