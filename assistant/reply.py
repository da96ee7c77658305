"""What the assistant says back: the ``Reply`` record, its citations, and one table of the
kinds of reply and the audiences.

Everything the rest of the project needs to know about a kind (its title, how loudly the
chat shows it, its fixed text, whether it is composed from sources) or an audience (its
label in the chat, the heading of its cautions) is a row of ``KIND_TABLE`` or
``AUDIENCE_TABLE``. The pipeline, the CLI, the chat, the transcript and the eval read these
rows; none keeps its own copy. Adding a kind means adding a row here and a routing rule.

The disclaimer is not something a code path adds: it is a property of every ``Reply``
whose kind says so (all but ``invalid``). That single definition is the choke point; no
branch of the pipeline can forget it (tests check every kind).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DISCLAIMER = (
    "This information is for general education only and is not a substitute for professional "
    "medical advice, diagnosis or treatment. Always ask your doctor or another qualified clinician "
    "about your own situation."
)
EMERGENCY_GUIDANCE = (
    "This could be a medical emergency. Call your local emergency number now (for example 911 in the "
    "US, 999 in the UK, 112 in the EU) or go to the nearest emergency department. Do not wait for an "
    "online answer."
)
CRISIS_GUIDANCE = (
    "If you are thinking about suicide or about harming yourself, please reach out right now: call or "
    "text 988 (Suicide & Crisis Lifeline, US), call 116 123 (Samaritans, UK and Ireland), or your local "
    "emergency number. You deserve support, and talking to someone can help."
)
PERSONAL_ADVICE_LEAD = (
    "Questions about your own dose, diagnosis, injections or starting, stopping or changing a medicine "
    "need your own clinician, who knows your history. I can't advise on that."
)
GENERAL_INFO_LEAD = "In general, the sources say:"
NOT_MENTIONED_LEAD = "The sources don't mention {words}. On the rest of your question, they say:"
OUT_OF_SCOPE = (
    "I can only answer questions about dystonia and its care, from a small library of vetted sources: "
    "what dystonia is and its types, symptoms and how it progresses, causes and inheritance, treatments "
    "(such as botulinum toxin, medicines, surgery and physiotherapy), and what massage therapists should "
    "know. Your question seems to be about something else."
)
NO_EVIDENCE = (
    "The vetted sources I answer from don't say anything about this, so I can't answer it without "
    "guessing. Your clinician or a dystonia patient organisation may be able to help. I can tell you "
    "what the sources say about dystonia's types, symptoms, causes and inheritance, and its treatments."
)


@dataclass(frozen=True)
class Kind:
    """One kind of reply and everything the layers above need to show it."""

    name: str
    title: str  # the heading above the reply (terminal, chat, transcript)
    alert: str  # how the chat marks it: "alarm" (red box, role=alert), "notice" (bold title), "" (plain)
    composed: bool  # its text is built from cited source sentences
    fixed_text: str = ""  # the body when it is not composed (emergency guidance is chosen per route)
    disclaimer: bool = True


KIND_TABLE: dict[str, Kind] = {k.name: k for k in (
    Kind("answer", "Answer", "", composed=True),
    Kind("emergency", "Emergency", "alarm", composed=False, fixed_text=EMERGENCY_GUIDANCE),
    Kind("personal_advice", "Please ask your clinician", "notice", composed=True, fixed_text=PERSONAL_ADVICE_LEAD),
    Kind("out_of_scope", "Outside what I cover", "notice", composed=False, fixed_text=OUT_OF_SCOPE),
    Kind("no_evidence", "The sources don't say", "notice", composed=False, fixed_text=NO_EVIDENCE),
    Kind("invalid", "Cannot answer", "notice", composed=False, disclaimer=False),
)}
KINDS = tuple(KIND_TABLE)
COMPOSED_KINDS = tuple(k.name for k in KIND_TABLE.values() if k.composed)


@dataclass(frozen=True)
class Audience:
    """Who is asking; their answers differ in depth and in an extra cautions part."""

    name: str
    label: str  # the choice in the chat
    caution_heading: str = ""  # heading of the cautions list; "" means no cautions part


AUDIENCE_TABLE: dict[str, Audience] = {a.name: a for a in (
    Audience("patient", "Patient or family"),
    Audience("therapist", "Massage therapist", caution_heading="Cautions for massage therapists:"),
)}
AUDIENCES = tuple(AUDIENCE_TABLE)
FRAMING_TEXTS = (PERSONAL_ADVICE_LEAD, GENERAL_INFO_LEAD,
                 *(a.caution_heading for a in AUDIENCE_TABLE.values() if a.caution_heading))


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    publisher: str
    url: str
    quote: str  # verbatim slice of the cleaned document text: document.text[start:end]
    start: int
    end: int
    section: tuple[str, ...] = ()
    published: str | None = None
    reviewed_on: str | None = None
    license: str | None = None

    def public(self) -> dict:
        """The fields of the ``ask --json`` contract."""
        return {"n": self.n, "doc_id": self.doc_id, "title": self.title, "publisher": self.publisher,
                "url": self.url, "quote": self.quote}


@dataclass(frozen=True)
class Reply:
    kind: str
    question: str
    answer: str
    citations: tuple[Citation, ...] = ()
    error: str | None = None
    timings_ms: dict = field(default_factory=dict)
    crisis: bool = False  # emergency about self-harm: the crisis line comes first
    retrieved: tuple[str, ...] = ()  # documents retrieval ranked, best first (not part of the JSON contract)
    route_reason: str = ""  # why routing chose this kind, for maintainers
    audience: str = "patient"

    @property
    def info(self) -> Kind:
        return KIND_TABLE[self.kind]

    @property
    def disclaimer(self) -> str | None:
        return DISCLAIMER if self.info.disclaimer else None

    def to_dict(self, question_id=None) -> dict:
        record = {"id": question_id, "question": self.question, "kind": self.kind, "answer": self.answer,
                  "citations": [c.public() for c in self.citations], "disclaimer": self.disclaimer,
                  "timings_ms": self.timings_ms}
        if self.kind == "invalid":
            record["error"] = self.error
        return record
