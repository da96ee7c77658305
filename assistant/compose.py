"""Compose the answer from the sources' own sentences: answer first, on the subject asked.

No language model: every sentence is verbatim from a library document (at most a leading
"However," is trimmed), and nothing is added but fixed framing text. The answer is built as
``Segment`` records (``assistant.reply``):

1. **lead**: the sentence most likely to answer the question (``Evidence.lead``), about the
   subject asked, so the first line answers what was asked;
2. **support**: a few more sentences on the same subject, most relevant first, plainer ones
   preferred when relevance is close, within the audience's word budget;
3. **subtype** notes, for a general question only: a fact about one specific form is shown
   with fixed framing naming it ("In dopa-responsive dystonia: ..."), never passed off as
   true of all dystonia; a sentence about another disorder is never used;
4. when the library has nothing that answers the question itself, a **gap** statement first
   ("The sources don't say whether cervical dystonia is inherited."), then, clearly
   framed, what they say that is close;
5. for therapists, **cautions** for hands-on work relevant to the subject, or a plain
   statement that the sources give none.

A sentence that leans on the one before it ("It", "This condition") appears only right
after that sentence, in the same citation run, or when its section heading names what it
refers to and the framing says it ("About myoclonus-dystonia: This condition is...").
A citation covers a run of consecutive sentences of one document; its quote is exactly
``document.text[start:end]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant import reply as texts
from assistant.annotations import Annotations, SentenceInfo
from assistant.cautions import Caution
from assistant.evidence import Candidate, Evidence
from assistant.query import Query
from assistant.reply import AUDIENCE_TABLE, Citation, Run, Segment, answer_text
from assistant.subjects import GENERAL, Catalogue
from assistant.tuning import ComposeTuning
from common.text import terms
from indexer.store import Index


@dataclass(frozen=True)
class Composition:
    segments: tuple[Segment, ...]
    citations: tuple[Citation, ...]

    @property
    def text(self) -> str:
        return answer_text(self.segments)


class Composer:
    def __init__(self, index: Index, annotations: Annotations, catalogue: Catalogue, cautions: list[Caution],
                 tuning: ComposeTuning):
        self.index, self.annotations, self.catalogue = index, annotations, catalogue
        self.cautions, self.tuning = cautions, tuning

    def fixed(self, kind: str, *, crisis: bool = False, unmentioned: tuple[str, ...] = ()) -> Composition:
        """The reply of a kind whose text is fixed (emergency, out of scope, no evidence); a
        no-evidence reply names the question's words no source uses, when that is the reason."""
        if kind == "emergency":
            parts = [texts.CRISIS_GUIDANCE, texts.EMERGENCY_GUIDANCE] if crisis else [texts.EMERGENCY_GUIDANCE]
        elif kind == "no_evidence" and unmentioned:
            parts = [texts.NO_EVIDENCE_NAMED.format(words=" or ".join(f'"{w}"' for w in unmentioned))]
        else:
            parts = [texts.KIND_TABLE[kind].fixed_text]
        return Composition(tuple(Segment("notice", p) for p in parts), ())

    def compose(self, query: Query, kind: str, evidence: Evidence) -> Composition:
        """An answer (or, for personal advice, the clinician notice and then general information)."""
        citations = _Citations(self.index)
        segments: list[Segment] = []
        unmentioned = evidence.unmentioned() if kind == "answer" else ()
        if kind == "personal_advice":
            segments.append(Segment("notice", texts.PERSONAL_ADVICE_LEAD))
        body = self._body(query, evidence, citations, unmentioned, gap_line=kind == "answer")
        if body and kind == "personal_advice":
            segments.append(Segment("notice", texts.GENERAL_INFO_LEAD))
        segments += body
        heading = AUDIENCE_TABLE[query.audience].caution_heading
        if heading and kind == "answer":
            segments.append(self._cautions(evidence, heading, segments, citations))
        return Composition(tuple(segments), citations.all())

    def _body(self, query: Query, evidence: Evidence, citations: _Citations,
              unmentioned: tuple[str, ...], gap_line: bool) -> list[Segment]:
        """``gap_line``: say first when the sources don't answer the question (not after a
        personal-advice notice, which has already said the sources can't answer it)."""
        budget = self._budget(query)
        if unmentioned:
            notice = texts.NOT_MENTIONED_LEAD.format(words=" or ".join(unmentioned))
            opening = [Segment("notice", notice if evidence.lead else notice.split(". ")[0] + ".")]
        elif evidence.lead is None and gap_line:
            asked = query.subject
            treatment = " and ".join(query.together) + " together" if query.together else asked.treatment
            opening = [Segment("gap", texts.gap_text(query.facet, asked.condition, treatment,
                                                     covered=evidence.facet_covered))]
        else:
            opening = []
        if evidence.lead is None:
            return opening + self._close(query, evidence, citations, budget)
        chosen = self._supporting(query, evidence, budget)
        runs = self._runs(chosen, citations)
        segments = [*opening, Segment("lead", self._lead_framing(evidence.lead), tuple(runs[:1]))]
        if len(runs) > 1:
            segments.append(Segment("support", "", tuple(runs[1:])))
        return segments + self._notes(query, evidence, citations, budget - self._words(chosen),
                                      self._shown_rows(chosen), _said(segments))

    def _lead_framing(self, lead: Candidate) -> str:
        """Says what the first sentence is about when it does not say it: the subject an opening
        "This condition..." refers to, or the broader condition a general statement is about."""
        info = lead.info
        if self.annotations.referent_known(info.row):
            return texts.ABOUT_LABEL.format(subject=info.condition)
        return texts.BROADER_LABEL.format(subject=info.condition) if lead.relation == "broader" else ""

    def _budget(self, query: Query) -> int:
        return self.tuning.max_words_therapist if query.audience == "therapist" else self.tuning.max_words_patient

    def _supporting(self, query: Query, evidence: Evidence, budget: int) -> list[Candidate]:
        """The lead and the sentences that support it, in the order they are shown."""
        lead = evidence.lead
        assert lead is not None
        chosen = [lead, *self._followers(lead, evidence, budget - self._cost(lead, first=True), set())]
        relations = ("same", "neutral") if lead.relation != "broader" else ("broader",)
        pool = [c for c in self._plainest_first(evidence.candidates) if c.relation in relations
                and c.score >= self.tuning.support_min and c not in chosen]
        support = 0
        for candidate in pool:
            used = self._words(chosen)
            if support >= self.tuning.max_support or used >= budget:
                break
            if candidate in chosen or not self._shows_alone(candidate, chosen) \
                    or used + self._cost(candidate) > budget:
                continue
            if self._covered(candidate, chosen):
                continue
            chosen.append(candidate)
            chosen += self._followers(candidate, evidence, budget - used - self._cost(candidate), set(chosen))
            support += 1
        return chosen

    def _followers(self, candidate: Candidate, evidence: Evidence, room: int, taken: set) -> list[Candidate]:
        """The next sentences of the same paragraph that lean on this one ("These contractions
        ..."), if they are about as relevant: they may only appear right after it."""
        followers: list[Candidate] = []
        current = candidate
        margin = self.tuning.continuation_margin
        while True:
            nxt = next((c for c in evidence.candidates if c.row == current.row + 1
                        and c.info.doc_row == current.info.doc_row), None)
            if nxt is None or nxt in taken or not nxt.info.anaphoric or nxt.info.words > room \
                    or nxt.score < candidate.score - margin or not self._adjacent(current.info, nxt.info):
                return followers
            followers.append(nxt)
            room -= nxt.info.words
            current = nxt

    def _notes(self, query: Query, evidence: Evidence, citations: _Citations, room: int,
               used: set[int], said: str) -> list[Segment]:
        """Labelled notes on specific forms (general question), or the broader view (specific
        question), if they are relevant and there is room; never a sentence already shown (``used``
        rows) nor its twin from another source (``said``: the text shown so far)."""
        general = query.subject.condition == GENERAL
        wanted = "narrower" if general else "broader"
        limit = self.tuning.max_notes_therapist if query.audience == "therapist" else self.tuning.max_notes_patient
        floor = self.tuning.subtype_min if general else self.tuning.broader_min
        notes: list[Segment] = []
        for candidate in evidence.candidates:
            if len(notes) >= limit:
                break
            info = candidate.info
            if candidate.relation != wanted or candidate.score < floor or info.anaphoric or info.row in used \
                    or info.words > room or info.shown in said:
                continue
            notes.append(self._framed(candidate, general, citations))
            room -= info.words
            said += " " + info.shown
        return notes

    def _close(self, query: Query, evidence: Evidence, citations: _Citations, budget: int) -> list[Segment]:
        """After a gap statement: the closest things the sources do say, each framed."""
        general = query.subject.condition == GENERAL
        segments: list[Segment] = []
        room = budget
        for candidate in evidence.close[:self.tuning.max_close]:
            if self._cost(candidate, first=True) > room or candidate.info.shown in _said(segments):
                continue
            segments.append(self._framed(candidate, general, citations))
            room -= self._cost(candidate, first=True)
        return segments

    def _framed(self, candidate: Candidate, general: bool, citations: _Citations) -> Segment:
        condition = candidate.info.condition or GENERAL
        if general:
            return Segment("subtype", texts.SUBTYPE_LABEL.format(subject=condition), tuple(self._runs([candidate],
                                                                                                      citations)))
        return Segment("broader", texts.BROADER_LABEL.format(subject=condition),
                       tuple(self._runs([candidate], citations)))

    def _cautions(self, evidence: Evidence, heading: str, segments: list[Segment], citations: _Citations) -> Segment:
        """The cautions the assessment found relevant (not already shown above), or a plain
        statement that the sources give none, or that they are all above."""
        said = _said(segments)
        rows = sorted(row for row in evidence.cautions if self.annotations[row].shown not in said)
        if not rows:
            none = texts.CAUTIONS_ABOVE if evidence.cautions else texts.NO_CAUTIONS
            return Segment("cautions", f"{heading} {none}")
        return Segment("cautions", heading, tuple(self._run_of_rows([row], citations) for row in rows))

    def _plainest_first(self, candidates: tuple[Candidate, ...]) -> list[Candidate]:
        """Most likely first; among near-equal ones (within ``plain_margin``), shorter and
        plainer first."""
        margin = self.tuning.plain_margin
        grade = self.annotations.grade
        return sorted(candidates, key=lambda c: (-round(c.score / margin), grade(c.row) * c.info.words))

    def _covered(self, candidate: Candidate, chosen: list[Candidate]) -> bool:
        """True if ``candidate`` says what a chosen sentence says; a repeat from another source
        is recorded on that sentence so its citation is shown too."""
        mine = set(terms(candidate.info.text))
        for sentence in chosen:
            theirs = set(terms(sentence.info.text))
            if len(mine & theirs) / max(1, len(mine | theirs)) >= self.tuning.same_fact_overlap:
                if sentence.info.doc_row != candidate.info.doc_row and len(sentence.also) < 2:
                    sentence.also.append(candidate)
                return True
        return False

    def _shows_alone(self, candidate: Candidate, chosen: list[Candidate]) -> bool:
        """Can this sentence be added as support, with the sentences it leans on brought along?
        Not a "This condition..." with nothing before it to name the condition (only the lead
        and labelled notes are framed), not a sentence already shown as another's antecedent,
        and not one whose antecedents are shown elsewhere."""
        before = self.annotations.before(candidate.row)
        if before is None:
            return False
        shown = self._shown_rows(chosen)
        return candidate.row not in shown and not shown & set(before)

    def _needs(self, candidate: Candidate, first: bool) -> tuple[int, ...]:
        """The sentences shown before this one so that it reads in place: none when it comes
        first under a label naming what its "This condition..." refers to."""
        if first and self.annotations.referent_known(candidate.row):
            return ()
        return self.annotations.before(candidate.row) or ()

    def _shown_rows(self, chosen: list[Candidate]) -> set[int]:
        """The rows shown for these sentences: each one and the sentences it leans on."""
        return {r for i, c in enumerate(chosen) for r in (c.row, *self._needs(c, first=i == 0))}

    def _words(self, chosen: list[Candidate]) -> int:
        """Words shown for these sentences, each sentence counted once (a follower's antecedent
        is the sentence before it in ``chosen``)."""
        return sum(self.annotations[row].words for row in self._shown_rows(chosen))

    def _cost(self, candidate: Candidate, first: bool = False) -> int:
        """Words the sentence adds, with the sentences it leans on that must come before it."""
        return candidate.info.words + sum(self.annotations[row].words for row in self._needs(candidate, first))

    def _runs(self, chosen: list[Candidate], citations: _Citations) -> list[Run]:
        """Consecutive adjacent sentences of one document become one run with one citation; a
        sentence that leans on the ones before it brings them along, unless they are shown
        right before it already, or it comes first under a label naming what it refers to
        (the lead's ``_lead_framing``, a labelled note)."""
        pieces: list[tuple[SentenceInfo, list[Candidate]]] = []
        for candidate in chosen:
            shown = {info.row for info, _ in pieces}
            if not (pieces and pieces[-1][0].row == candidate.row - 1):
                pieces += [(self.annotations[row], []) for row in self._needs(candidate, first=not pieces)
                           if row not in shown]
            pieces.append((candidate.info, candidate.also))
        runs: list[Run] = []
        group: list[tuple[SentenceInfo, list[Candidate]]] = []
        for piece in pieces:
            if group and not self._adjacent(group[-1][0], piece[0]):
                runs.append(self._run(group, citations))
                group = []
            group.append(piece)
        if group:
            runs.append(self._run(group, citations))
        return runs

    def _run(self, group: list[tuple[SentenceInfo, list[Candidate]]], citations: _Citations) -> Run:
        first, last = group[0][0], group[-1][0]
        numbers = [citations.cite(first.doc_row, first.start, last.end)]
        numbers += [citations.cite(o.info.doc_row, o.info.start, o.info.end) for _, also in group for o in also]
        return Run(" ".join(info.shown for info, _ in group), tuple(dict.fromkeys(numbers)))

    def _run_of_rows(self, rows: list[int], citations: _Citations) -> Run:
        infos = [self.annotations[r] for r in rows]
        return Run(" ".join(i.shown for i in infos), (citations.cite(infos[0].doc_row, infos[0].start, infos[-1].end),))

    def _adjacent(self, a: SentenceInfo, b: SentenceInfo) -> bool:
        if a.doc_row != b.doc_row or b.row != a.row + 1:
            return False
        return not self.index.documents[a.doc_row].text[a.end:b.start].strip()


class _Citations:
    """Numbers citations in the order they are first used; the same passage keeps its number."""

    def __init__(self, index: Index):
        self.index = index
        self._list: list[Citation] = []

    def cite(self, doc_row: int, start: int, end: int) -> int:
        doc = self.index.documents[doc_row]
        for citation in self._list:
            if citation.doc_id == doc.id and citation.start == start and citation.end == end:
                return citation.n
        self._list.append(Citation(len(self._list) + 1, doc.id, doc.title, doc.publisher, doc.url,
                                   doc.text[start:end], start, end, _section_of(self.index, doc_row, start),
                                   doc.published, doc.reviewed_on, doc.license))
        return self._list[-1].n

    def all(self) -> tuple[Citation, ...]:
        return tuple(self._list)


def _section_of(index: Index, doc_row: int, start: int) -> tuple[str, ...]:
    for chunk in index.chunks_by_doc[doc_row]:
        if chunk.start <= start < chunk.end:
            return chunk.section
    return ()


def _said(segments: list[Segment]) -> str:
    """The text of every run shown so far: a sentence in it, from whichever source, is not said again."""
    return " ".join(run.text for segment in segments for run in segment.runs)
