"""The rules about the file as a whole: the PDF/X version keys and output intent
(pdf/x-*; the PDF/UA-1 rules are taidan.publish.preflight.ua). Findings are on page 0."""

from __future__ import annotations

from collections.abc import Iterator

import pikepdf

from taidan.publish.preflight import Finding

# The PDF version each standard is built on: ISO 15930-4 (PDF/X-1a:2003) on PDF 1.4,
# ISO 15930-7 (PDF/X-4) on PDF 1.6; a later header is a later, unsupported file format.
HIGHEST_VERSION = {"pdf/x-1a": "1.4", "pdf/x-4": "1.6"}
CLAIM = {"pdf/x-1a": "PDF/X-1a", "pdf/x-4": "PDF/X-4"}
# The output intent's ICC profile describes the printing condition: a CMYK or grey press
# for PDF/X-1a (ISO 15930-4, 6.2.2); PDF/X-4 also allows an RGB one (ISO 15930-7, 6.2.3).
PROFILE_SPACES = {"pdf/x-1a": (b"CMYK", b"GRAY"), "pdf/x-4": (b"CMYK", b"GRAY", b"RGB ")}


def _text(value) -> str:
    return str(value).strip() if value is not None else ""


def _xmp(pdf: pikepdf.Pdf) -> dict[str, str]:
    """The XMP keys preflight reads, '' when absent or unreadable."""
    keys = ("pdfxid:GTS_PDFXVersion", "pdfx:GTS_PDFXVersion", "pdf:Trapped", "pdfuaid:part", "dc:title")
    try:
        meta = pdf.open_metadata()
        return {key: _text(meta.get(key)) for key in keys}
    except Exception:  # noqa: BLE001 -- broken XMP reads as none; the Info keys still count
        return dict.fromkeys(keys, "")


def pdf_x(pdf: pikepdf.Pdf, standard: str) -> Iterator[Finding]:
    """The version keys, the output intent, Trapped, the header version, encryption."""
    claim, info, xmp = CLAIM[standard], pdf.docinfo, _xmp(pdf)
    # PDF/X-4 identifies itself in the XMP (pdfxid:GTS_PDFXVersion, ISO 15930-7, 6.2.1);
    # PDF/X-1a in the Info dictionary's GTS_PDFXVersion (ISO 15930-4, 6.6.1)
    said = [v for v in (xmp["pdfxid:GTS_PDFXVersion"], _text(info.get("/GTS_PDFXVersion")),
                        xmp["pdfx:GTS_PDFXVersion"]) if v]
    if not said:
        yield Finding(0, f"the file does not say it is {claim}: no GTS_PDFXVersion key",
                      f"export it as {claim} from the program that made it; a shop reads the "
                      "key to know how to print the file")
    elif not said[0].startswith(claim):
        yield Finding(0, f"the file says it is {said[0]}, not {claim}",
                      f"export it as {claim}, or check it against the standard it claims")
    if pdf.pdf_version > HIGHEST_VERSION[standard]:
        yield Finding(0, f"the file is PDF {pdf.pdf_version}; {claim} is PDF "
                      f"{HIGHEST_VERSION[standard]} at most",
                      f"export it as {claim}, which writes the older version")
    yield from _output_intent(pdf, standard)
    # Trapped must be True or False, never Unknown (ISO 15930-4, 6.6.3; ISO 15930-7, 6.2.2)
    trapped = _text(info.get("/Trapped")).lstrip("/") or xmp["pdf:Trapped"]
    if trapped not in ("True", "False"):
        yield Finding(0, "the Trapped key is " + (f"'{trapped}'" if trapped else "missing"),
                      "say whether the file is trapped: Trapped False unless the shop trapped it")
    if pdf.is_encrypted:  # ISO 15930-4, 6.1.3; ISO 15930-7, 6.1.4
        yield Finding(0, f"the file is encrypted, which {claim} forbids",
                      "save it again without a password or permissions")


def _output_intent(pdf: pikepdf.Pdf, standard: str) -> Iterator[Finding]:
    intents = [i for i in pdf.Root.get("/OutputIntents", pikepdf.Array())
               if isinstance(i, pikepdf.Dictionary) and i.get("/S") == pikepdf.Name.GTS_PDFX]
    if not intents:
        yield Finding(0, "no output intent: the file names no printing condition and no ICC "
                      f"profile, which {CLAIM[standard]} requires",
                      "export it as PDF/X with the shop's profile, e.g. Japan Color 2001 Coated "
                      "or FOGRA39")
        return
    profile = intents[0].get("/DestOutputProfile")
    if not isinstance(profile, pikepdf.Stream):
        # PDF/X-1a may name a registered condition instead (ISO 15930-4, 6.2.2)
        registered = standard == "pdf/x-1a" and _text(intents[0].get("/OutputConditionIdentifier"))
        yield Finding(0, "the output intent has no ICC profile (DestOutputProfile)"
                      + (f", only the condition's name '{registered}'" if registered else ""),
                      "embed the printing condition's ICC profile", warning=bool(registered))
        return
    try:
        space = profile.read_bytes()[16:20]
    except pikepdf.PdfError:
        space = b""
    if space not in PROFILE_SPACES[standard]:
        shown = space.decode("latin-1").strip() or "unreadable"
        yield Finding(0, f"the output intent's ICC profile is for {shown}, not a CMYK or grey press",
                      "embed the shop's CMYK profile as the output intent")

