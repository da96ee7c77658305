"""What the assistant says back: the ``Reply`` record, its structured answer and citations,
and one table of the kinds of reply and the audiences.

A composed answer is a list of ``Segment`` records (the answer's first sentence, its
support, a labelled note on one form of dystonia, a gap statement, cautions...), each made
of fixed framing text and ``Run``s of verbatim source sentences with their citation
numbers. ``Reply.answer`` is the same answer as plain text (the JSON contract); the chat,
the terminal and the eval read the segments instead of parsing that text back.

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

from assistant.glossary import Entry

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
    "guessing. Your clinician or a dystonia patient organisation may be able to help. The Sources tab "
    "shows what the library covers and what it does not."
)
# the same, when what the sources lack is a word of the question ("does blepharospasm affect driving?")
NO_EVIDENCE_NAMED = (
    "The vetted sources I answer from don't mention {words}, so I can't answer this without guessing. "
    "Your clinician or a dystonia patient organisation may be able to help. The Sources tab shows what "
    "the library covers and what it does not."
)
NO_CAUTIONS = "The sources give no cautions for hands-on work on this."
CAUTIONS_ABOVE = "The cautions the sources give for hands-on work on this are in the answer above."
ABOUT_LABEL = "About {subject}:"  # names what an opening "This condition..." refers to
SUBTYPE_LABEL = "In {subject}:"  # a fact about one specific form, in an answer about dystonia in general
BROADER_LABEL = "About {subject} in general, the sources say:"
GAP_TEXTS = {
    "definition": "The sources don't explain what {subject} is.",
    "types": "The sources don't describe the types of {subject}.",
    "cause": "The sources don't say what causes {subject}.",
    "symptoms": "The sources don't describe the symptoms of {subject}.",
    "diagnosis": "The sources don't say how {subject} is diagnosed.",
    "treatment": "The sources don't say how {subject} is treated.",
    "side_effects": "The sources don't describe side effects for {subject}.",
    "inheritance": "The sources don't say whether {subject} is inherited.",
    "frequency": "The sources don't say how common {subject} is.",
    "outlook": "The sources don't say how {subject} changes over time.",
    "daily_life": "The sources don't say how {subject} affects daily life.",
    "exercise_massage": "The sources don't say how exercise, stretching or massage affect {subject}.",
    "cautions": "The sources don't give cautions specific to {subject}.",
}
# when the library does answer the facet for the subject elsewhere, only not this question
GAP_INDIRECT = "The sources don't answer this question directly."
TREATMENT_GAP_TEXTS = {
    "treatment": "The sources don't say whether {treatment} helps {subject}.",
    "side_effects": "The sources don't describe side effects of {treatment}.",
    "cautions": "The sources don't give cautions specific to {treatment}.",
}


def gap_text(facet: str, subject: str, treatment: str | None = None, *, covered: bool = False) -> str:
    """The first line of an answer when the library covers the subject but not what was asked.
    ``covered``: the library answers this facet for the subject elsewhere, so saying it lacks
    it would be false."""
    if covered:
        return GAP_INDIRECT
    if treatment and facet in TREATMENT_GAP_TEXTS:
        return TREATMENT_GAP_TEXTS[facet].format(treatment=treatment, subject=subject)
    return GAP_TEXTS.get(facet, "The sources don't answer this about {subject}.").format(subject=subject)


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


SEGMENT_ROLES = (
    "notice",  # fixed text: emergency guidance, a refusal, "ask your clinician", "the sources don't mention X"
    "gap",  # fixed text: the sources don't say what was asked
    "lead",  # the sentence that answers the question, first
    "support",  # more on the same subject, most relevant first
    "broader",  # framed: what the sources say about the broader condition (after a gap, or when thin)
    "subtype",  # framed: a labelled note on one specific form, for a general question
    "cautions",  # therapists: cautions for hands-on work, as a list
)


@dataclass(frozen=True)
class Run:
    """One or more consecutive sentences of one source, verbatim, and the citations that cover them."""

    text: str
    cited: tuple[int, ...]

    @property
    def markers(self) -> str:
        return "".join(f"[{n}]" for n in self.cited)


@dataclass(frozen=True)
class Segment:
    role: str  # one of SEGMENT_ROLES
    framing: str = ""  # fixed text the pipeline adds (never from a source)
    runs: tuple[Run, ...] = ()

    @property
    def is_list(self) -> bool:
        return self.role == "cautions"


def answer_text(segments: tuple[Segment, ...] | list[Segment]) -> str:
    """The segments as the plain text of ``Reply.answer``: paragraphs, and the cautions as a list."""
    blocks: list[str] = []
    for segment in segments:
        runs = [f"{run.text} {run.markers}".strip() for run in segment.runs]
        if segment.is_list:
            blocks.append("\n".join([segment.framing, *(f"- {r}" for r in runs)]).strip())
        else:
            blocks.append(" ".join(filter(None, [segment.framing, *runs])))
    return "\n\n".join(b for b in blocks if b)


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
    segments: tuple[Segment, ...] = ()  # the structured answer ``answer`` is the text of
    stages_ms: dict = field(default_factory=dict)  # time per pipeline stage (not part of the JSON contract)
    subject: str = ""  # what the question was understood to be about, for maintainers
    facet: str = ""  # what it was understood to ask, for maintainers
    glossary: tuple[Entry, ...] = ()  # the library's own explanations of hard words the answer uses

    @property
    def info(self) -> Kind:
        return KIND_TABLE[self.kind]

    @property
    def disclaimer(self) -> str | None:
        return DISCLAIMER if self.info.disclaimer else None

    def to_dict(self, question_id=None) -> dict:
        record = {"id": question_id, "question": self.question, "kind": self.kind, "answer": self.answer,
                  "citations": [c.public() for c in self.citations], "glossary": [g.public() for g in self.glossary],
                  "disclaimer": self.disclaimer, "timings_ms": self.timings_ms}
        if self.kind == "invalid":
            record["error"] = self.error
        return record
