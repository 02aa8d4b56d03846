"""--press: a print edition's PDF made into the PDF/X file a print shop takes, for both
print engines (WeasyPrint's print, Chromium's print-vertical), after they have laid the
book out at its finished size.

pikepdf opens the engine's PDF and changes only what the press needs, so the links,
bookmarks, page labels, tags and glyphs (vertical ones too) stay as they were:
- the colours, rewritten in ink through the press profile (taidan.engines.pdfx.colour);
- the boxes: the engine's page is the TrimBox, the BleedBox 3 mm beyond it on every side,
  and the MediaBox grown to hold the trim marks (トンボ) drawn outside the bleed, in K.
  Nothing is moved: the trim keeps its coordinates, so annotations and destinations stay
  where they point;
- the output intent: taidan-fogra39.icc (see tools/press_profile.py for where it comes from
  and why it may be embedded);
- the identity: GTS_PDFXVersion (in the Info dictionary and XMP pdfx for X-1a, ISO 15930-4;
  in XMP pdfxid for X-4, ISO 15930-7), Trapped False, the dates (the manuscript's, never the clock), the
  XMP (ISO 15930-7 asks for xmpMM DocumentID, VersionID and RenditionClass) and an /ID
  made from the content, so the same book gives the same bytes;
- PDF/X-1a: PDF 1.4 without object streams, no transparency: pictures' soft masks become
  hard ones, the pages' transparency groups go, and any other transparency is refused
  with the page and what it is.

taidan preflight checks what this writes (the tests run it on every --press book).
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pikepdf

from taidan.config.options import PRESS
from taidan.engines.pdfx.colour import Inks, Recolour
from taidan.errors import Problem, ProblemsFound, shown
from taidan.publish.preflight import MM
from taidan.publish.preflight.pages import BLEED  # 3 mm: what preflight asks for is what we give

PROFILE = Path(__file__).with_name("taidan-fogra39.icc")
# what --press may be (taidan.config.options.PRESS): the standard's name in the file, and
# the PDF version it is built on (ISO 15930-7: 1.6; ISO 15930-4: 1.4)
STANDARDS = dict(zip(PRESS, (("PDF/X-4", "1.6"), ("PDF/X-1a:2003", "1.4"))))
CONDITION = "FOGRA39"  # the ICC registry's characterisation (www.color.org), as shops write it
CONDITION_WORDS = "Offset printing, coated paper (ISO 12647-2:2004/Amd 1, FOGRA39), 300 % total ink"
PROFILE_NAME = "taidan FOGRA39"  # as the colophon names it
MARKS = 10 * MM  # the room the trim marks take beyond the bleed
MARK = 9 * MM  # each mark's length: it ends 1 mm inside the media's edge
CENTRE = 4 * MM  # half the cross bar of a centre mark
MARK_WIDTH = 0.3  # points: the shops' guides ask for lines of 0.25 pt or more


def make(engine_pdf: bytes, m, standard: str, colours: int, marks: bool) -> bytes:
    """The PDF/X file for ``engine_pdf``, a book laid out at its finished size."""
    name, version = STANDARDS[standard]
    x1a = standard == "pdf/x-1a"
    with pikepdf.open(io.BytesIO(engine_pdf)) as pdf:
        recolour = Recolour(pdf, Inks(PROFILE, colours), flatten=x1a)
        for number, page in enumerate(pdf.pages, 1):
            recolour.page(page)
            if x1a:
                _refuse_transparency(m, number, recolour.transparency)
                if "/Group" in page.obj:  # a transparency group: nothing in it is transparent now
                    del page.obj["/Group"]
            _boxes(pdf, page, marks)
        _output_intent(pdf)
        _identity(pdf, m, name, x1a)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, force_version=version, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.disable if x1a
                 else pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()


def what(standard: str, colours: int) -> dict:
    """What the colophon says the file is (its strings name the colours and profile)."""
    return {"standard": STANDARDS[standard][0].split(":")[0], "colours": colours, "profile": PROFILE_NAME}


# ---- transparency (PDF/X-1a) --------------------------------------------------------------

def _refuse_transparency(m, number: int, found: list[str]) -> None:
    """What the page paints transparently, which the colours' pass could not flatten."""
    if found:
        raise ProblemsFound([Problem(shown(m.path), 0, f"page {number}: {thing} is transparency, "
                                     "which PDF/X-1a forbids",
                                     'build it as PDF/X-4 (press = "pdf/x-4"), which keeps transparency')
                             for thing in dict.fromkeys(found)])


# ---- the boxes and the trim marks ---------------------------------------------------------

def _boxes(pdf: pikepdf.Pdf, page: pikepdf.Page, marks: bool) -> None:
    x0, y0, x1, y1 = (float(v) for v in (page.trimbox if "/TrimBox" in page.obj else page.mediabox))
    bleed = [x0 - BLEED, y0 - BLEED, x1 + BLEED, y1 + BLEED]
    grow = BLEED + (MARKS if marks else 0)
    media = [x0 - grow, y0 - grow, x1 + grow, y1 + grow]
    for key in ("/CropBox", "/ArtBox"):
        if key in page.obj:
            del page.obj[key]
    page.obj.MediaBox = pikepdf.Array([round(v, 3) for v in media])
    page.obj.BleedBox = pikepdf.Array([round(v, 3) for v in bleed])
    page.obj.TrimBox = pikepdf.Array([round(v, 3) for v in (x0, y0, x1, y1)])
    if marks:
        # the page's own drawing in q ... Q, so the marks start from the default state
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(b"Q\n" + _marks(x0, y0, x1, y1)), prepend=False)
        page.contents_coalesce()


def _marks(x0: float, y0: float, x1: float, y1: float) -> bytes:
    """Japanese trim marks (トンボ), all outside the bleed: at each corner two lines each way,
    one on the trim's line and one on the bleed's (the double corner mark), and a centre
    cross on each side. An artifact: not part of the book's reading order."""
    lines = []
    for x, sx in ((x0, -1), (x1, 1)):
        for y, sy in ((y0, -1), (y1, 1)):
            out_x, out_y = x + sx * BLEED, y + sy * BLEED  # the bleed's corner
            for at in (y, out_y):  # horizontal marks, from the bleed's edge outward
                lines.append((out_x, at, out_x + sx * MARK, at))
            for at in (x, out_x):  # vertical marks
                lines.append((at, out_y, at, out_y + sy * MARK))
    middle_x, middle_y = (x0 + x1) / 2, (y0 + y1) / 2
    for y, sy in ((y0, -1), (y1, 1)):  # centre marks above and below
        start = y + sy * BLEED
        lines += [(middle_x, start, middle_x, start + sy * MARK),
                  (middle_x - CENTRE, start + sy * MARK / 2, middle_x + CENTRE, start + sy * MARK / 2)]
    for x, sx in ((x0, -1), (x1, 1)):  # centre marks left and right
        start = x + sx * BLEED
        lines += [(start, middle_y, start + sx * MARK, middle_y),
                  (start + sx * MARK / 2, middle_y - CENTRE, start + sx * MARK / 2, middle_y + CENTRE)]
    path = "".join(f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S\n" for a, b, c, d in lines)
    return (f"/Artifact BMC q 0 0 0 1 K {MARK_WIDTH} w 0 J [] 0 d\n{path}Q EMC\n").encode()


# ---- the output intent and the identity ---------------------------------------------------

def _output_intent(pdf: pikepdf.Pdf) -> None:
    profile = pdf.make_stream(PROFILE.read_bytes(), N=4)
    profile.Alternate = pikepdf.Name.DeviceCMYK
    pdf.Root.OutputIntents = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX,
        OutputConditionIdentifier=CONDITION, OutputCondition=CONDITION_WORDS,
        RegistryName="http://www.color.org", Info=PROFILE_NAME, DestOutputProfile=profile)]))


def pdf_date(m) -> str:
    """The manuscript's date as a PDF date (ISO 32000-1, 7.9.4)."""
    return m.meta.moment.strftime("D:%Y%m%d%H%M%S+00'00'")


def _identity(pdf: pikepdf.Pdf, m, name: str, x1a: bool) -> None:
    info = pdf.docinfo
    title, author = str(info.get("/Title", m.meta.title)), str(info.get("/Author", ""))
    date = pdf_date(m)
    info.CreationDate = info.ModDate = date
    info.Trapped = pikepdf.Name("/False")  # nobody trapped it; the shop may
    if x1a:
        info.GTS_PDFXVersion = info.GTS_PDFXConformance = name
    elif "/GTS_PDFXConformance" in info:
        del info["/GTS_PDFXConformance"]
    producer = str(info.get("/Producer", "")) + " + taidan --press (pikepdf)"
    info.Producer = producer
    # the ids name the book's content: the same pages give the same ids
    drawn = hashlib.sha256()
    for page in pdf.pages:
        drawn.update(page.obj.Contents.read_bytes() if isinstance(page.obj.Contents, pikepdf.Stream) else b"")
    document = uuid.UUID(bytes=drawn.digest()[:16], version=4)
    moment = m.meta.moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    claim = (f"<pdfx:GTS_PDFXVersion>{name}</pdfx:GTS_PDFXVersion>"
             f"<pdfx:GTS_PDFXConformance>{name}</pdfx:GTS_PDFXConformance>" if x1a
             else f"<pdfxid:GTS_PDFXVersion>{name}</pdfxid:GTS_PDFXVersion>")
    xmp = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
 xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:pdfx="http://ns.adobe.com/pdfx/1.3/"
 xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_escaped(title)}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{_escaped(author)}</rdf:li></rdf:Seq></dc:creator>
<xmp:CreateDate>{moment}</xmp:CreateDate><xmp:ModifyDate>{moment}</xmp:ModifyDate>
<xmp:MetadataDate>{moment}</xmp:MetadataDate><xmp:CreatorTool>taidan</xmp:CreatorTool>
<pdf:Producer>{_escaped(producer)}</pdf:Producer><pdf:Trapped>False</pdf:Trapped>
<xmpMM:DocumentID>uuid:{document}</xmpMM:DocumentID><xmpMM:InstanceID>uuid:{document}</xmpMM:InstanceID>
<xmpMM:VersionID>1</xmpMM:VersionID><xmpMM:RenditionClass>default</xmpMM:RenditionClass>
{claim}
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""
    # XMP stays uncompressed (qpdf does not compress /Metadata), so any tool can read it
    pdf.Root.Metadata = pdf.make_stream(xmp.encode(), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
