"""Decide what kind of reply a question gets. The router alone decides it.

Two stages, so red flags never wait for retrieval:

1. ``Router.urgent`` (the question alone): ``emergency`` and ``personal_advice``.
2. ``Router.scope`` (with the assessed evidence): ``out_of_scope``, ``no_evidence``,
   ``answer`` — including ``no_evidence`` when the library has nothing an answer could use.

Each decision combines three signals, so it generalises beyond a keyword list:
high-precision patterns for the unmistakable wordings; similarity of the question to
labelled exemplars (``routing.yaml``) for paraphrases; and, for scope, how close the best
retrieved passages are and whether any sentence can answer, with thresholds from
``tuning.toml``. Instructions embedded in a question were cut before it got here
(``query.without_instructions``): nothing follows instructions found in text.

A massage therapist asking about a *client* ("should I massage her neck after her botox?")
is asking for their practice, not for their own treatment: that is an answer, with the
referral advice the sources give, not the personal-advice reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.evidence import Evidence
from assistant.query import Query
from assistant.subjects import GENERAL
from assistant.tuning import RoutingTuning
from assistant.vocabulary import Vocabulary
from indexer.embedding import Embedder

_I = re.IGNORECASE
PERSON = re.compile(
    r"\b(i|i'm|im|i've|ive|me|my|mine|myself|we|our|us|he|she|his|her|him|they're|son|daughter|child|kid|"
    r"baby|wife|husband|partner|mom|mum|dad|mother|father|friend|patient|client)\b|right now|suddenly|"
    r"all of a sudden|just started|since (yesterday|last night|this morning|the injection)", _I)
INFORMATIONAL = re.compile(
    r"^\s*(can|does|do|is|are|could|will|may|what|why|how often|how common)\b.*\b(cause|causes|affect|affects|"
    r"lead to|side effects?|risks?|common|symptoms?|sign|signs|happens?)\b", _I)
SELF_HARM = re.compile(
    r"suicid|\bkill(ing)?\s+(my ?self|me)\b|\b(end|ending|take|taking)\s+(my|my own)\s+life|\bend it( all)?\b|"
    r"\b(want|wanna|going)\s+to\s+die\b|\bwish\s+i\s+(was|were)\s+dead|better off (dead|without me)|"
    r"self[- ]?harm|\b(hurt|harm|cut|cutting|hurting|harming)\s+my ?self|no (reason|point) (to|in) (live|living|going on)|"
    r"don'?t want to (live|be alive|be here any ?more)|\boverdos|don'?t see (the|any) point|can'?t go on\b|"
    r"give up on (life|living)|no way out\b|can'?t (do|take) (this|it) any ?more\b|"
    r"\b(pills?|tablets?|meds)\b.{0,40}\b(lined up|saved up|stockpil\w*|hoard\w*|all ready)\b|"
    r"\b(i'?m|i am|im) (so |just )?(done|finished)( with (it all|everything|life|living))?\W*$", _I)
RED_FLAGS = [
    re.compile(r"(can'?t|cannot|can not|unable to|trouble|difficult\w*|hard(er)? to|struggl\w*( to)?|problems?|"
               r"not able to|barely)\s+(\w+\s+){0,2}(breath\w*|swallow\w*)|short(ness)? of breath|\bchok(e|es|ed|ing)\b|"
               r"\bbreath\w*\s+(\w+\s+){0,2}(hard|harder|difficult|laboured|labored|noisy)\b|"
               r"throat\b.{0,30}\b(clos|swell|swoll|tight)|(lips?|face|skin) (is |are )?(turning |going )?blue|"
               r"not breathing|gasping|stopped breathing|down the wrong (way|pipe)|aspirat|"
               r"\bbreath\w*\s+(\w+\s+){0,3}(slow|slowing|shallow|weak|stopping|irregular)\b|(slow|shallow) breath", _I),
    # too much of a medicine: an overdose needs help now, whatever the medicine
    re.compile(r"\b(took|taken|take|swallowed|had|given|gave)\s+(\w+\s+){0,3}too (many|much)\b|"
               r"\b(double|triple|extra|wrong) (dose|doses|dosage)\b.{0,60}\b(drowsy|confused|sleepy|breath|faint)", _I),
    re.compile(r"\bstroke\b|\b(face|mouth|lip|smile)\b.{0,25}\bdroop|\bdroop\w*.{0,25}\b(face|mouth|lip|smile)|"
               r"(speech|talking|words|voice)\b.{0,20}\b(slurr|garbl|jumbl)|\b(slurr|garbl)\w*\s+(speech|words|talking)|"
               r"sudden\w*\b.{0,40}\b(weak|numb|confus|blind|paraly)|"
               r"(one|left|right) side of (my|his|her|the) (body|face)\b.{0,30}\b(numb|weak|droop|paraly|dead)|"
               r"can'?t (move|feel) (my|his|her) (arm|leg|face)", _I),
    re.compile(r"\bchest\b.{0,30}\b(pain|pressure|tight|squeez|crush|heavy|ache)|"
               r"\b(pain|pressure|tight\w*|squeez\w*|crush\w*)\b.{0,30}\bchest\b|heart attack|"
               r"\b(collapsed|unconscious|not responding|unresponsive|seizure)\b", _I),
    re.compile(r"status dystonicus|(fever|temperature|high temp)\w*\b.{0,80}\b(spasm|dystoni|cramp|rigid|stiff)|"
               r"(spasm|dystoni|cramp)\w*\b.{0,80}\b(fever|temperature)|spasms? (that )?(won'?t|will not|don'?t|do not) stop|"
               r"spasms?\b.{0,40}\b(rapidly|quickly|fast) (getting |get |gets )?worse", _I),
    re.compile(r"(eyes?\b.{0,25}\b(stuck|rolled|rolling|roll up|fixed upward)|oculogyric|jaw\b.{0,15}\b(lock|stuck)|"
               r"tongue\b.{0,25}\b(swell|swoll|stuck|sticking out))", _I),
]
# a stroke in the past, not now ("post stroke", "after her stroke", "stroke survivors"): left out before
# the red flags are read
PAST_STROKE = re.compile(r"\b(post[- ]|(after|since) (a|his|her|my) |history of (a )?|previous )stroke\b|"
                         r"\bstroke (survivors?|rehab\w*|recovery|patients?|clients?|years ago)\b", _I)
MEDICINE = (r"(dose|doses|dosage|units?|mg|milligrams?|tablets?|pills?|meds|medication|medicines?|drugs?|injections?|"
            r"shots?|botox|dysport|xeomin|myobloc|botulinum|levodopa|carbidopa|baclofen|appointment|treatment|surgery|"
            r"\w+(pam|fen|dopa|dyl|zine|pine|done|lam|tine))")
PERSONAL = [
    re.compile(r"\b(my|mine|his|her)\b.{0,40}\b(dose|doses|dosage|units)\b|\b(best|right|correct|safe|maximum|max|"
               r"starting|ideal) (dose|dosage|amount)\b", _I),
    re.compile(r"\bhow (much|many)\b.{0,50}\b(should|can|do|must|shall) (i|we|he|she)\b", _I),
    re.compile(rf"\b(should (i|we|he|she|my \w+)|(if|whether) (i|we) should)\b.{{0,40}}\b(take|stop|start|increase|"
               rf"decrease|reduce|double|skip|change|switch|quit|come off|wean|inject|use|get|have|cancel|postpone|"
               rf"delay|continue|keep|drop|give)\b.{{0,40}}\b{MEDICINE}\b", _I),
    re.compile(r"\b(can|may|could) (i|we)\b( just)?.{0,25}\b(stop|quit|skip|double|increase|decrease|reduce|come off|"
               r"inject|mix|drink|take|combine|switch|drop|cut|halve|split|lower|give (him|her|them|my \w+) (a bit )?more)\b", _I),
    re.compile(rf"\b(can|may|could|should) (i|we)\b.{{0,40}}\b(after|before|between|with|on) (my|his|her) (\w+ ){{0,2}}"
               rf"{MEDICINE}", _I),
    re.compile(r"\b(is it|it is|is that|would it be) (safe|ok|okay|alright|fine|dangerous|bad) (for (me|my \w+|him|her) "
               r"to\b|to\b.{0,40}\b(my|his|her|stop|quit|skip|double|come off|mix|combine|drink|drive)\b)", _I),
    re.compile(r"\b(inject|injecting|injection on|injections on) (my ?self|him|her)\b|\bself[- ]?inject", _I),
    re.compile(r"\b(do|could|might|would|did) (i|he|she|my \w+) (have|got)\b(?! to\b)|\bi think i (have|might have|got)\b|"
               r"\bdiagnos\w* (me|my|him|her)\b|what('?s| is) wrong with (me|my)\b|\b(which|what) (one |condition |type )?"
               r"(do )?i (have|got)\b|which is it for me|\bam i\b.{0,30}\bor\b", _I),
    re.compile(r"\b(is|could|might) (this|it|that) (be )?(a )?(dystonia|blepharospasm|torticollis|writer'?s cramp|"
               r"focal dystonia|cervical dystonia)\b.{0,10}\??$", _I),
    re.compile(rf"\b(increas|reduc|lower|rais|chang|adjust|stop|quit|taper|wean|start|double|skip|halv)\w*\s+(taking\s+)?"
               rf"(my|his|her)\s+(\w+\s+){{0,2}}{MEDICINE}", _I),
    re.compile(r"\b(wean|taper)\w*\s+(off|down)\b|\bcome off (my|the|his|her)\b", _I),
    re.compile(r"\b\d+(\.\d+)?\s?(mg|milligrams?|units?|ml|mcg)\b.{0,60}\b(for me|i'?m|my|too much|too little|enough)\b", _I),
]
COSMETIC = re.compile(
    r"\b(wrinkles?|fine lines|forehead lines|frown lines|crow'?s feet|lips?|cosmetic|beauty|appearance|"
    r"younger|anti-?ag(e|ing)|fillers?|jaw ?line|slimming)\b", _I)
COST_OR_ACCESS = re.compile(
    r"\b(cost|costs|price|prices|pricing|pay for|afford|insurance|insurer|insured|medicare|medicaid|"
    r"waiting (list|time)|wait ?list|covered by|reimburs\w*|near me|in my (area|town|city)|"
    r"(which|what|best|good|recommend\w*( a)?) (clinic|hospital|doctor|neurologist|specialist|surgeon|centre|center)s?)\b", _I)
CLIENT = re.compile(r"\b(clients?|patients?|customers?|she|he|her|him|his|hers|they|them|their)\b", _I)


@dataclass(frozen=True)
class Route:
    kind: str
    reason: str
    crisis: bool = False
    unmentioned: tuple[str, ...] = ()  # words of the question no source uses, for a no-evidence reply to name


class Router:
    """Built once per process: embeds the exemplars (``routing.yaml``) with the shared model."""

    def __init__(self, embedder: Embedder, vocabulary: Vocabulary, exemplars: dict[str, list[str]],
                 tuning: RoutingTuning):
        self.tuning = tuning
        self.vocabulary = vocabulary
        self.labels: list[str] = []
        texts: list[str] = []
        for label, examples in exemplars.items():
            self.labels += [label] * len(examples)
            texts += examples
        self.exemplars = embedder.embed(texts)
        self.label_array = np.array(self.labels)

    def class_scores(self, vector: np.ndarray) -> dict[str, float]:
        """Per class, the mean similarity of the question to its two nearest exemplars."""
        sims = self.exemplars @ vector
        scores = {}
        for label in dict.fromkeys(self.labels):
            top = np.sort(sims[self.label_array == label])[-2:]
            scores[label] = float(top.mean())
        return scores

    def _nearest(self, scores: dict[str, float], label: str) -> tuple[bool, float]:
        """Does ``label`` win: above its floor and clearly ahead of every other class?"""
        runner_up = max(v for k, v in scores.items() if k != label)
        wins = scores[label] >= self.tuning.floor(label) and scores[label] - runner_up >= self.tuning.margin
        return wins, scores[label]

    def urgent(self, query: Query) -> Route | None:
        """Emergency or personal-advice route from the question alone, or None."""
        question, vector = query.search_text, query.own_vector
        if SELF_HARM.search(question):
            return Route("emergency", "self-harm wording", crisis=True)
        personal = PERSON.search(question) is not None
        informational = INFORMATIONAL.search(question) is not None and not personal
        present = PAST_STROKE.sub(" ", question)
        for pattern in RED_FLAGS:
            if (match := pattern.search(present)) and not informational:
                return Route("emergency", f"red flag: {match.group(0)!r}")
        scores = self.class_scores(vector)
        near, score = self._nearest(scores, "emergency")
        if near:
            return Route("emergency", f"close to emergency exemplars ({score:.2f})")
        if query.audience == "therapist" and CLIENT.search(question):
            return None  # about a client: answered for the therapist, with the sources' referral advice
        for pattern in PERSONAL:
            if match := pattern.search(question):
                return Route("personal_advice", f"personal: {match.group(0)!r}")
        near, score = self._nearest(scores, "personal_advice")
        if near and personal:
            return Route("personal_advice", f"close to personal-advice exemplars ({score:.2f})")
        return None

    def scope(self, query: Query, evidence: Evidence) -> Route:
        """Out of scope, no evidence, or answer, for a question that is not urgent."""
        t, question = self.tuning, query.search_text
        in_domain = bool(self.vocabulary.topics(query.expanded)) or query.names_subject \
            or evidence.dense_top >= t.in_domain_dense
        scores = self.class_scores(query.vector)
        near_oos, oos = self._nearest(scores, "out_of_scope")
        if not in_domain:
            return Route("out_of_scope", f"no dystonia topic, best passage {evidence.dense_top:.2f}")
        if query.foreign:
            return Route("out_of_scope", "asks about a condition the library mentions only beside dystonia")
        if COSMETIC.search(question) and not self.vocabulary.topics(question.lower().replace("botox", "")) \
                and not self._names_condition(query):
            return Route("out_of_scope", "cosmetic use, not dystonia care")
        if near_oos:
            return Route("out_of_scope", f"close to out-of-scope exemplars ({oos:.2f})")
        if COST_OR_ACCESS.search(question):
            return Route("no_evidence", "asks about cost or access, which the sources do not cover")
        if evidence.sentence_top < t.unsupported_unless_sentence and (unsupported := evidence.unsupported_terms()):
            return Route("no_evidence", f"sources never mention {', '.join(unsupported)} "
                                        f"(best sentence {evidence.sentence_top:.2f})", unmentioned=tuple(unsupported))
        near_none, none = self._nearest(scores, "no_evidence")
        if near_none:
            return Route("no_evidence", f"close to no-evidence exemplars ({none:.2f})")
        if evidence.dense_top < t.evidence_dense and evidence.sentence_top < t.evidence_sentence \
                and not evidence.subject_retrieved:
            return Route("no_evidence", f"weak evidence (passage {evidence.dense_top:.2f}, "
                                        f"sentence {evidence.sentence_top:.2f})")
        return self.settle(Route("answer", f"in scope with evidence (passage {evidence.dense_top:.2f}, "
                                           f"sentence {evidence.sentence_top:.2f})"), evidence)

    def _names_condition(self, query: Query) -> bool:
        """Does the question itself name a condition of the library ("lip smacking and grimacing:
        is that tardive dyskinesia?" is no cosmetic question)?"""
        condition = query.subject.condition
        return condition != GENERAL and not query.subject.carried and query.names_subject

    def settle(self, route: Route, evidence: Evidence) -> Route:
        """The final kind: an answer with nothing the sources say that it could use becomes
        ``no_evidence``; personal advice stays personal advice (its notice stands alone)."""
        weak = evidence.dense_top < self.tuning.evidence_dense and not evidence.subject_retrieved
        if route.kind == "answer" and (weak or not evidence.answerable):
            return Route("no_evidence", f"{route.reason}; but no sentence answers it or comes close")
        return route
