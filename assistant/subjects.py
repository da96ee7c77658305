"""What a question is about, and what each source sentence is about, from the library's subjects.

Every document lists its subjects in front matter (conditions and treatments, with the
names people use for them; ``indexer.documents.Subject``). ``Catalogue`` gathers them:

- ``find`` locates subject names in text (word stems; a typo in a long name is forgiven
  in questions, never in sources);
- ``sentence_condition`` says which condition a source sentence is about: the condition it
  names in its opening words ("Dopa-responsive dystonia is...", "Of the primary dystonias,
  many..."), else its document's main condition. A condition named later in the sentence
  ("...muscle contractions (dystonia)") describes a symptom and does not change what the
  sentence is about;
- ``relation`` compares the condition asked about with a sentence's: the same, broader
  (dystonia in general, for a question on cervical dystonia), narrower (a form of what was
  asked), or another disorder. Composition uses it so a fact about one rare form is never
  passed off as true of dystonia in general.

``GENERAL`` ("dystonia") is the root of the forms of dystonia: a condition without a
``kind_of`` is a form of dystonia if "dystonia" is in one of its names (dopa-responsive
dystonia, myoclonus-dystonia, DDON...). Other conditions the library covers (tremor,
tardive dyskinesia, hypertonia) are other disorders, in which dystonia may occur.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from common.text import stem, typo_limit, within_edits
from indexer.documents import Document

GENERAL = "dystonia"
OPENING_WORDS = 6  # a condition named this early in a sentence is what the sentence is about
_WORD = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(r"[a-z0-9'’]+")  # a word of ``words`` as it stands in the text, apostrophes included


@dataclass
class SubjectInfo:
    name: str
    kind: str  # "condition" | "treatment"
    kind_of: str | None = None
    names: set[str] = field(default_factory=set)  # the name and every alias any document gives
    main_in: list[str] = field(default_factory=list)  # documents whose main subject it is
    listed_in: list[str] = field(default_factory=list)  # documents that list it at all


@dataclass(frozen=True)
class Mention:
    subject: str
    kind: str
    word: int  # position (in words) where the name starts
    length: int = 1  # in words


@dataclass(frozen=True)
class AskedSubject:
    """What a question is about: a condition (``GENERAL`` when it names none) and a treatment."""

    condition: str = GENERAL
    treatment: str | None = None
    carried: bool = False  # taken from earlier turns of the conversation
    with_treatment: str | None = None  # a second treatment named beside the first ("massage after botox")

    @property
    def label(self) -> str:
        return self.treatment if self.treatment and self.condition == GENERAL else self.condition


def _close(found: list[str], key: tuple[str, ...]) -> bool:
    """Every word of ``found`` is ``key``'s word or a typo of it (at least one long word differs)."""
    return len(found) == len(key) and all(
        a == b or (a[:1] == b[:1] and within_edits(a, b, typo_limit(b))) for a, b in zip(found, key))


def _shortened(name: str) -> str | None:
    """How people shorten a long name: without its trailing "syndrome" or "disease" ("dopamine
    transporter deficiency", "Segawa"), if what is left is still a name of its own (two words, or
    one long word)."""
    parts = name.split()
    if len(parts) < 2 or parts[-1].lower() not in ("syndrome", "disease"):
        return None
    rest = " ".join(parts[:-1])
    return rest if len(parts) > 2 or len(rest) >= 6 else None


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("'", "").replace("’", ""))


class Catalogue:
    def __init__(self, documents: list[Document]):
        self.subjects: dict[str, SubjectInfo] = {}
        self.main_condition: dict[str, str | None] = {}
        for doc in documents:
            for position, subject in enumerate(doc.subjects):
                info = self.subjects.setdefault(subject.name, SubjectInfo(subject.name, subject.kind, subject.kind_of))
                info.kind_of = info.kind_of or subject.kind_of
                info.names.update(subject.names)
                info.listed_in.append(doc.id)
                if position == 0:
                    info.main_in.append(doc.id)
            main = doc.subjects[0] if doc.subjects else None
            self.main_condition[doc.id] = main.name if main and main.kind == "condition" else None
        self.subjects.setdefault(GENERAL, SubjectInfo(GENERAL, "condition", names={GENERAL}))
        self._phrases: dict[tuple[str, ...], str] = {}
        for info in self.subjects.values():
            for name in info.names:
                self._add(name, info.name)
        for info in self.subjects.values():
            for name in sorted(info.names):
                short = _shortened(name)
                if short:
                    self._add(short, info.name)
        self._longest = max(len(k) for k in self._phrases)
        self._by_initial: dict[str, list[tuple[str, ...]]] = {}
        for key in self._phrases:
            self._by_initial.setdefault(key[0][:1], []).append(key)

    def _add(self, name: str, subject: str) -> None:
        key = tuple(stem(w) for w in words(name))
        if key:
            self._phrases.setdefault(key, subject)

    def find(self, text: str, *, typos: bool = False) -> list[Mention]:
        """Subject names in ``text``, longest first at each position, in reading order."""
        stems = [stem(w) for w in words(text)]
        found, position = [], 0
        while position < len(stems):
            match = self._match(stems, position, typos)
            if match:
                key, name = match
                found.append(Mention(name, self.subjects[name].kind, position, len(key)))
                position += len(key)
            else:
                position += 1
        return found

    def _match(self, stems: list[str], position: int, typos: bool) -> tuple[tuple[str, ...], str] | None:
        for size in range(min(self._longest, len(stems) - position), 0, -1):
            key = tuple(stems[position:position + size])
            if key in self._phrases:
                return key, self._phrases[key]
        if not typos:
            return None
        close = [key for key in self._by_initial.get(stems[position][:1], ())
                 if _close(stems[position:position + len(key)], key)]
        best = max(close, key=len, default=None)
        return (best, self._phrases[best]) if best else None

    def asked(self, text: str, carried: AskedSubject | None = None) -> AskedSubject:
        """The condition and treatment ``text`` asks about; what it leaves unnamed comes from
        ``carried`` (the conversation so far) when given."""
        mentions = self.find(text, typos=True)
        conditions = [m.subject for m in mentions if m.kind == "condition"]
        treatments = [m.subject for m in mentions if m.kind == "treatment"]
        specific = [c for c in conditions if c != GENERAL]
        condition = specific[0] if specific else GENERAL if conditions else None
        treatments = list(dict.fromkeys(treatments))
        treatment = treatments[0] if treatments else None
        with_treatment = treatments[1] if len(treatments) > 1 else None
        if carried is not None:
            keeps_condition = condition is None and carried.condition != GENERAL
            keeps_treatment = treatment is None and carried.treatment is not None and condition is None
            return AskedSubject(condition or carried.condition,
                                treatment or (carried.treatment if keeps_treatment else None),
                                carried=keeps_condition or keeps_treatment, with_treatment=with_treatment)
        return AskedSubject(condition or GENERAL, treatment, with_treatment=with_treatment)

    def sentence_condition(self, doc_id: str, text: str) -> str | None:
        """The condition a source sentence is about (None: its document is about no condition):
        the first condition named in its opening words, else its document's.

        On a page about one form, a bare "dystonia" is that form's dystonia ("In most cases,
        dystonia begins in the lower limbs", on the dopa-responsive dystonia page), unless the
        sentence opens with it or speaks of "dystonias" ("Dystonia is a movement disorder...",
        "The dystonias are a group of movement problems...")."""
        main = self.main_condition.get(doc_id)
        tokens = words(text)
        for mention in self.find(text):
            if mention.kind != "condition" or mention.word >= OPENING_WORDS:
                continue
            if mention.subject != GENERAL or main in (None, GENERAL) or mention.word == 0 \
                    or tokens[mention.word].endswith("s"):
                return mention.subject
        return main

    def masked(self, text: str) -> str:
        """``text`` with the subject names it uses replaced by "it": what it asks about them
        ("does blepharospasm affect driving?" -> "does it affect driving"); ``text`` itself
        when nothing else is left."""
        tokens = [m.span() for m in _TOKEN.finditer(text.lower()) if _WORD.search(m.group())]
        kept, last = [], 0
        for mention in self.find(text):
            start, end = tokens[mention.word][0], tokens[mention.word + mention.length - 1][1]
            kept.append(text[last:start] + "it")
            last = end
        return re.sub(r"\s+", " ", "".join(kept) + text[last:]).strip(" ?.,") or text

    def documents_about(self, asked: AskedSubject) -> list[str]:
        """The documents whose main subject is what the question asks about: the condition and
        the treatment it names, or the general pages when it asks about dystonia in general.
        (A subject no page is mainly about: the pages that list it.)"""
        names = [n for n in (asked.condition, asked.treatment) if n and (n != GENERAL or not asked.treatment)]
        return list(dict.fromkeys(doc for name in names
                                  for doc in self.subjects[name].main_in or self.subjects[name].listed_in))

    def names_in_opening(self, text: str, condition: str) -> bool:
        return any(m.subject == condition and m.word < OPENING_WORDS for m in self.find(text))

    def lineage(self, name: str) -> list[str]:
        """``name`` and the broader conditions it is a kind of, up to ``GENERAL``."""
        chain: list[str] = []
        current: str | None = name
        while current and current not in chain:
            chain.append(current)
            current = self.broader(current)
        return chain

    def broader(self, name: str) -> str | None:
        """The condition ``name`` is a form of, if any."""
        info = self.subjects.get(name)
        if info is None or name == GENERAL:
            return None
        return info.kind_of or (GENERAL if any("dyston" in n.lower() for n in info.names) else None)

    def relation(self, asked: str, found: str | None) -> str:
        """How a sentence's condition relates to the one asked about:
        "same", "neutral" (no condition), "broader", "narrower" or "other"."""
        if found is None:
            return "neutral"
        if found == asked:
            return "same"
        if found in self.lineage(asked):
            return "broader"
        if asked in self.lineage(found):
            return "narrower"
        return "other"

    def display(self, name: str) -> str:
        """How answers name a subject: its catalogue name ("dopa-responsive dystonia")."""
        return name
