"""The library's cautions for hands-on work (massage, stretching, exercise), found once at start-up.

A massage therapist comes for what may worsen symptoms, what to avoid, how much pressure,
what to know about injections and implants, and when to refer. A sentence counts when it is
about one of those topics (``TOPICS``) *and* says something a therapist must heed (caution
or referral wording, or, for an implant, where it sits under the skin). Every caution is a
verbatim library sentence that stands alone; the therapist view (``dystonia coverage
--cautions``) and the "Cautions" part of therapist answers both read this list, and say
plainly which topics it has nothing on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.annotations import Annotations

_I = re.IGNORECASE
TOPICS: dict[str, re.Pattern] = {
    "stretching": re.compile(r"\bstretch", _I),
    "pressure": re.compile(r"\b(pressure|deep tissue|gentle|soothing|soft[- ]tissue)\b", _I),
    "positioning": re.compile(r"\b(positioning|lying|lie down|on the table|head rest)\b", _I),
    "injections": re.compile(r"\b(inject\w*|botox|botulinum)\b", _I),
    "implants": re.compile(r"\b(implant\w*|pulse generator|electrode|extension is an insulated wire)\b", _I),
    "triggers": re.compile(r"\b(stress\w*|anxiety|fatigue|caffeine|alcohol|cold)\b", _I),
    "referral": re.compile(r"\b(refer\w*|specialist|expert|discuss\w* (this )?with|guidance from|physician|doctor|"
                           r"physiotherapists? who)\b", _I),
}
HEED = re.compile(
    r"\b(may|can|could|might) (make|worsen|aggravate|exacerbate|trigger)\b|\bworse\b|\bworsen\w*|\baggravat\w*|"
    r"\bavoid\w*|contraindicat\w*|\bcaution\w*|\bshould not\b|\bmust not\b|not (be )?(suitable|appropriate)|"
    r"\binappropriate\b|\bdetrimental\b|\binjection site\b|\b(it is )?(important|essential) (that|to)\b|"
    r"\bneed to discuss\b|\bmost helpful\b|\bunder the skin\b", _I)
SIDE_MATTER = re.compile(r"\b(pregnan|breastfeed|researchers?|studies|study|trial)\w*", _I)


@dataclass(frozen=True)
class Caution:
    row: int  # sentence row in the index
    topic: str


def find_cautions(annotations: Annotations) -> list[Caution]:
    """Every hands-on caution in the library, in library order, with its first matching topic."""
    found = []
    for info in annotations.rows:
        if not info.stands_alone or info.anaphoric or not HEED.search(info.text) or SIDE_MATTER.search(info.text):
            continue
        topic = next((name for name, pattern in TOPICS.items() if pattern.search(info.text)), None)
        if topic:
            found.append(Caution(info.row, topic))
    return found
