"""Word (.docx): a paragraph opening with `Name:` or with the name in bold is that voice's;
one without continues the voice before it. Word's own headings (Heading 1, Heading 2) are
parts and sections. The document's creation date (File > Properties) is the day."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError

from taidan.load.transcripts.cues import Cue, Transcript, named, problem


def _bold_name(paragraph) -> tuple[str, str] | None:
    """**Ruth Calloway:** text, or **Ruth Calloway** text: the bold runs it opens with."""
    bold, rest = [], []
    for run in paragraph.runs:
        if not rest and run.bold and run.text.strip():
            bold.append(run.text)
        elif not rest and not run.text.strip():
            bold.append(run.text)
        else:
            rest.append(run.text)
    name = "".join(bold).strip().rstrip(":：").strip()
    text = "".join(rest).strip().lstrip(":：").strip()
    if name and text and len(name.split()) <= 4 and len(name) <= 40:
        return name, text
    return None


def read(path: Path, data: bytes) -> Transcript:
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        raise problem(path, 1, "this is a zip file but not a Word document (.docx)",
                      "export the transcript as .docx, text, WebVTT or SRT") from None
    cues, number = [], 0
    for index, paragraph in enumerate(document.paragraphs, 1):
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style in ("Title", "Heading 1", "Heading 2"):
            cues.append(Cue(index, text, heading=1 if style == "Heading 1" else 2))
            continue
        found = _bold_name(paragraph)
        voice, words = found if found else named(text)
        number += 1
        cues.append(Cue(index, words, voice, number=number, paragraph=True))
    created = document.core_properties.created
    return Transcript(path, "Word", cues, date=created.date().isoformat() if created else "")
