"""Convert MedQuAD XML pages (NIH question/answer pairs) into corpus documents.

One XML file is one NIH page; each question/answer pair becomes a section. For the vetted
corpus the question is the section heading. For retrieval benchmarks the heading is the
question *type* instead ("Symptoms", "Treatment"), because MedQuAD's benchmark queries are
those very questions and a heading equal to the query would make retrieval trivial.

Repairs: entities decoded, GARD's repeated question at the start of an answer dropped,
the Human Phenotype Ontology boilerplate dropped (its list of signs is kept as a list),
MedlinePlus' generic "these resources" boilerplate dropped, inline " - " lists turned into
Markdown lists.
"""

from __future__ import annotations

import re
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from indexer.importers import cleaning
from indexer.importers.markdown import write_document

LICENSE = ("CC BY 4.0. From MedQuAD (Ben Abacha & Demner-Fushman, \"A question-entailment approach to "
           "question answering\", BMC Bioinformatics 2019); original NIH page at the url")
PUBLISHERS = {
    "GARD": ("gard", "Genetic and Rare Diseases Information Center (GARD), NIH"),
    "GHR": ("ghr", "Genetics Home Reference, U.S. National Library of Medicine"),
    "MPlusHealthTopics": ("medlineplus", "MedlinePlus, U.S. National Library of Medicine"),
    "NINDS": ("ninds", "National Institute of Neurological Disorders and Stroke (NINDS)"),
    "CancerGov": ("cancergov", "National Cancer Institute (cancer.gov)"),
    "NIDDK": ("niddk", "National Institute of Diabetes and Digestive and Kidney Diseases (NIDDK)"),
    "NHLBI": ("nhlbi", "National Heart, Lung, and Blood Institute (NHLBI)"),
    "NIHSeniorHealth": ("seniorhealth", "NIHSeniorHealth, National Institute on Aging"),
    "CDC": ("cdc", "Centers for Disease Control and Prevention (CDC)"),
}
HPO_INTRO = re.compile(
    r"If the information is available, the table below includes how often the symptom is seen.*?"
    r"Approximate number of patients \(when available\)\s*", re.S)
HPO_OUTRO = re.compile(r"\s*The Human Phenotype Ontology \(HPO\) has collected information.*$", re.S)
HPO_ITEM = re.compile(r"(.+?) (\d+%|\d+/\d+|-)(?: |$)")
GENERIC_RESOURCES = "These resources from MedlinePlus offer information about the diagnosis and management"


@dataclass(frozen=True)
class Converted:
    meta: dict
    body: str


def convert(xml_text: str | bytes, *, collection: str, reviewed_on: str, headings: str = "questions",
            fallback_id: str = "") -> Converted | None:
    """One MedQuAD page as corpus metadata + Markdown body; None if it has no usable answer.

    A few pages lack a focus or an id; the title then falls back to the first question's
    subject and the id to ``fallback_id`` (the file name), so every document is valid.
    """
    root = ET.fromstring(xml_text)
    source = root.get("source", "")
    prefix, publisher = PUBLISHERS.get(source, (source.lower() or "nih", source or "NIH"))
    focus = (root.findtext("Focus") or "").strip() or _subject(root.findtext(".//Question") or "")
    sections = [_section(pair, focus, headings) for pair in root.iter("QAPair")]
    body = "\n\n".join(s for s in sections if s)
    if not body:
        return None
    number = root.get("id") or _slug(fallback_id)
    meta = {
        "id": f"{prefix}-{number}-{_slug(focus)}".rstrip("-"),
        "title": focus[:1].upper() + focus[1:],
        "publisher": publisher,
        "url": root.get("url"),
        "license": LICENSE,
        "collection": collection,
        "reviewed_on": reviewed_on,
    }
    return Converted(meta, body)


def _section(pair: ET.Element, focus: str, headings: str) -> str:
    question = pair.find("Question")
    answer = clean_answer(pair.findtext("Answer") or "", focus)
    if question is None or not answer:
        return ""
    if headings == "questions":
        heading = tidy_question(question.text or "")
    else:
        heading = (question.get("qtype") or "information").capitalize()
    return f"## {heading}\n\n{answer}"


def tidy_question(question: str) -> str:
    """'What is (are) Dystonias ?' -> 'What is Dystonias?' (MedQuAD template debris)."""
    question = re.sub(r"\s+", " ", question).replace(" (are)", "").strip()
    question = re.sub(r"\s+\?$", "?", question)
    return question[:1].upper() + question[1:]


def clean_answer(answer: str, focus: str) -> str:
    text = cleaning.decode_entities(answer).strip()
    text = re.sub(r"^Summary\s*:\s*", "", text)
    # GARD repeats the question at the start of an answer; keep it when the answer is "Yes."/"No."
    text = re.sub(r"^(?:What|How|Is|Are|Who|When|Can|Do|Does)\b[^?]{0,200}\?\s+(?=\S)(?!(?:Yes|No)\b)", "", text)
    if "Human Phenotype Ontology" in text and HPO_INTRO.search(text):
        return _hpo_section(text)
    return _blocks(text)


def _hpo_section(text: str) -> str:
    """Keep the prose and the list of signs; drop the table-reading instructions."""
    prose, rest = HPO_INTRO.split(text, maxsplit=1)
    table = HPO_OUTRO.sub("", rest).strip()
    items = [f"- {name.strip()}" + (f": {freq}" if freq != "-" else "") for name, freq in HPO_ITEM.findall(table)]
    return "\n".join([prose.strip(), "", *items]).strip()


def _blocks(text: str) -> str:
    """MedQuAD marks paragraphs with runs of spaces and list items with ' - '."""
    blocks: list[str] = []
    for segment in re.split(r"\s{2,}", text):
        segment = segment.strip()
        if not segment:
            continue
        if segment.startswith(GENERIC_RESOURCES):
            break
        if re.fullmatch(r"NIH: .{0,120}", segment):
            continue
        if segment.startswith("- "):
            item = "- " + segment[2:].strip()
            blocks.append(item if blocks and blocks[-1].lstrip("\n").startswith("- ") else "\n" + item)
        else:
            blocks.append(("\n" if blocks else "") + segment)
    return "\n".join(blocks).strip()


def _subject(question: str) -> str:
    """'What is (are) Ebola ?' -> 'Ebola': the subject of a template question."""
    subject = re.sub(r"^\s*(what|how|who|is|are|do|does|can)\b.*?\b(is|are|of|for|about|to)\s+", "",
                     tidy_question(question), flags=re.I)
    return subject.rstrip("?").strip() or "Untitled page"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].rstrip("-")


def import_tarball(tarball: Path, out_dir: Path, *, reviewed_on: str, limit: int | None = None) -> int:
    """The full MedQuAD data set (benchmarks): question-type headings, one folder per site."""
    count = 0
    seen: set[str] = set()
    bodies: set[str] = set()  # a few pages repeat another page's text; keep the first
    with tarfile.open(tarball) as archive:
        members = sorted((m for m in archive.getmembers() if m.isfile() and m.name.endswith(".xml")),
                         key=lambda m: m.name)
        for member in tqdm(members[:limit] if limit else members, desc="importing MedQuAD", unit="page"):
            handle = archive.extractfile(member)
            if handle is None:
                continue
            converted = convert(handle.read(), collection="medquad",
                                reviewed_on=reviewed_on, headings="types", fallback_id=Path(member.name).stem)
            if not converted or converted.meta["id"] in seen or converted.body in bodies:
                continue
            seen.add(converted.meta["id"])
            bodies.add(converted.body)
            site = Path(member.name).parent.name
            write_document(converted.meta, converted.body, Path(out_dir) / site)
            count += 1
    return count
