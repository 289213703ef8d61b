"""A dunning letter as PDF (fpdf2) with an EPC QR code (GiroCode, segno) the customer's banking app can scan.

The letter is in the letter language of the dunning settings, not the user's: its labels live here, next to the
level texts in the settings, rather than in the program's translations.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from app.services.formatting import format_cents, format_date, from_cents, grouped_iban

if TYPE_CHECKING:
    from fpdf import FPDF

_LABELS = {
    "de": {
        "customer": "Kundennummer",
        "date": "Datum",
        "salutation": "Sehr geehrte Damen und Herren,",
        "invoice": "Rechnung",
        "issued": "vom",
        "due": "fällig",
        "days": "Tage",
        "open": "offen",
        "interest": "Zinsen",
        "fee": "Mahngebühr",
        "lump_sum": "Verzugspauschale (§ 288 Abs. 5 BGB)",
        "charges": "Rücklastschriftgebühren",
        "total": "Zu zahlen",
        "interest_note": "Verzugszinsen nach § 288 BGB: Basiszinssatz plus {points} Prozentpunkte.",
        "scan": "Mit der Banking-App scannen und bezahlen:",
        "reference": "Verwendungszweck",
        "closing": "Mit freundlichen Grüßen",
        "bank": "Bankverbindung",
    },
    "en": {
        "customer": "Customer no.",
        "date": "Date",
        "salutation": "Dear Sir or Madam,",
        "invoice": "Invoice",
        "issued": "of",
        "due": "due",
        "days": "days",
        "open": "open",
        "interest": "interest",
        "fee": "Dunning fee",
        "lump_sum": "Flat-rate compensation (§ 288 (5) BGB)",
        "charges": "Fees for returned payments",
        "total": "Amount due",
        "interest_note": "Default interest under § 288 BGB: base rate plus {points} percentage points.",
        "scan": "Scan with your banking app to pay:",
        "reference": "Reference",
        "closing": "Kind regards",
        "bank": "Bank account",
    },
}


@dataclass(frozen=True, slots=True)
class LetterLine:
    number: str
    issued_on: date
    due_on: date
    days_overdue: int
    open_cents: int
    interest_cents: int
    lump_sum_cents: int
    charges_cents: int = 0


@dataclass(frozen=True, slots=True)
class Sender:
    """The company's side of every letter of a run: letterhead and the account customers pay into."""

    company: str
    address: str
    contact: str  # phone, e-mail, VAT id in one line
    iban: str
    bic: str


@dataclass(frozen=True, slots=True)
class LetterData:
    """Everything printed on one letter; rendering it twice gives the same PDF bytes."""

    sender: Sender
    customer_name: str
    customer_number: str
    customer_address: str
    letter_date: date
    title: str  # the level's name
    text: str  # the level's text with its placeholders filled
    lines: tuple[LetterLine, ...]
    fee_cents: int
    consumer: bool
    language: str

    @property
    def total_cents(self) -> int:
        return self.fee_cents + sum(
            line.open_cents + line.interest_cents + line.lump_sum_cents + line.charges_cents for line in self.lines
        )

    @property
    def reference(self) -> str:
        """What the customer's transfer should say, so Kontor matches it: the invoice numbers (140 characters)."""
        numbers = " ".join(line.number for line in self.lines)
        return f"{self.customer_number} {numbers}".strip()[:140]


def epc_payload(*, name: str, iban: str, bic: str, cents: int, reference: str) -> str:
    """The EPC069-12 "SEPA Credit Transfer" QR payload, version 002 (BIC optional), unstructured remittance."""
    if not 1 <= cents <= 99_999_999_999:
        raise ValueError(f"amount {cents} ct is outside what a GiroCode can carry")
    amount = f"EUR{from_cents(cents):.2f}"
    fields = ["BCD", "002", "1", "SCT", bic, name[:70], iban.replace(" ", ""), amount, "", "", reference[:140]]
    return "\n".join(fields)


def _money(cents: int, language: str) -> str:
    return format_cents(cents, language=language).replace("\u00a0", " ")


def render_letter(data: LetterData) -> bytes:
    """The letter as PDF bytes (A4, one page for up to about 25 invoices; more flow onto further pages)."""
    import segno  # imported here: fpdf2 alone takes 0.4 s, which every `kontor` command and the GUI would pay
    from fpdf import FPDF

    labels = _LABELS.get(data.language, _LABELS["en"])
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"  # the core fonts then have €, umlauts and ß
    pdf.set_creation_date(_midnight(data.letter_date))
    pdf.set_title(f"{data.title} {data.customer_number}")
    sender = data.sender
    pdf.set_author(sender.company)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 7, sender.company, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for line in [*sender.address.splitlines(), sender.contact]:
        if line.strip():
            pdf.cell(0, 4.5, line.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(50)
    pdf.set_font("Helvetica", "", 7)
    return_address = " · ".join(part for part in [sender.company, *sender.address.splitlines()] if part.strip())
    pdf.cell(85, 4, return_address[:90], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in [data.customer_name, *data.customer_address.splitlines()]:
        pdf.cell(85, 5.5, line.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(130, 50)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(60, 5, f"{labels['customer']}: {data.customer_number}", new_x="LEFT", new_y="NEXT")
    pdf.cell(60, 5, f"{labels['date']}: {format_date(data.letter_date, language=data.language)}")
    pdf.set_y(95)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, data.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 10.5)
    pdf.multi_cell(0, 5.5, f"{labels['salutation']}\n\n{data.text}", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _table(pdf, data, labels)
    if any(line.interest_cents for line in data.lines):
        pdf.set_font("Helvetica", "", 8.5)
        points = 5 if data.consumer else 9
        pdf.cell(0, 5, labels["interest_note"].format(points=points), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if pdf.get_y() > 225:
        pdf.add_page()
    top = pdf.get_y()
    payload = epc_payload(
        name=sender.company, iban=sender.iban, bic=sender.bic, cents=data.total_cents, reference=data.reference
    )
    qr = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    pdf.image(qr, x=20, y=top, w=34, h=34)
    pdf.set_xy(60, top + 2)
    pdf.set_font("Helvetica", "", 9.5)
    details = [
        labels["scan"],
        f"{labels['bank']}: {grouped_iban(sender.iban)}" + (f" · BIC {sender.bic}" if sender.bic else ""),
        f"{labels['total']}: {_money(data.total_cents, data.language)}",
        f"{labels['reference']}: {data.reference}",
    ]
    for line in details:
        pdf.set_x(60)
        pdf.multi_cell(130, 5, line, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 38))
    pdf.set_font("Helvetica", "", 10.5)
    pdf.cell(0, 6, labels["closing"], new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, sender.company, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _table(pdf: FPDF, data: LetterData, labels: dict[str, str]) -> None:
    language = data.language
    widths = (38, 24, 24, 14, 35, 35)
    heads = (labels["invoice"], labels["issued"], labels["due"], labels["days"], labels["open"], labels["interest"])
    pdf.set_font("Helvetica", "B", 9.5)
    for width, head, align in zip(widths, heads, "LLLRRR", strict=True):
        pdf.cell(width, 6, head, border="B", align=align)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9.5)
    for line in data.lines:
        cells = (
            line.number,
            format_date(line.issued_on, language=language),
            format_date(line.due_on, language=language),
            str(line.days_overdue),
            _money(line.open_cents, language),
            _money(line.interest_cents, language) if line.interest_cents else "",
        )
        for width, text, align in zip(widths, cells, "LLLRRR", strict=True):
            pdf.cell(width, 5.5, text, align=align)
        pdf.ln()
    extra = [
        (labels["lump_sum"], sum(line.lump_sum_cents for line in data.lines)),
        (labels["charges"], sum(line.charges_cents for line in data.lines)),
        (labels["fee"], data.fee_cents),
    ]
    for label, cents in extra:
        if cents:
            pdf.cell(sum(widths[:4]) + widths[4], 5.5, label)
            pdf.cell(widths[5], 5.5, _money(cents, language), align="R")
            pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(sum(widths[:5]), 7, labels["total"], border="T")
    pdf.cell(widths[5], 7, _money(data.total_cents, language), border="T", align="R")
    pdf.ln(9)


def _midnight(day: date) -> datetime:
    """The PDF's creation date: the letter's date, so that the same letter always gives the same bytes."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Picture:
    """A rendered page: RGBX pixels (4 bytes, the last unused), row by row (`stride` bytes a row)."""

    width: int
    height: int
    stride: int
    rgbx: bytes


def letter_picture(pdf: bytes, *, width: int = 900) -> Picture:
    """The first page of a letter as a picture `width` pixels wide (pdfium, the renderer of Chrome)."""
    import pypdfium2  # only the preview needs the renderer

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        bitmap = page.render(
            scale=width / page.get_width(), prefer_bgrx=True, rev_byteorder=True, fill_color=(255, 255, 255, 255)
        )
        if bitmap.mode != "RGBX":
            raise ValueError(f"pdfium rendered {bitmap.mode}, not RGBX")
        return Picture(bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer))
    finally:
        document.close()
