"""Read pain.001 (transfers) and pain.008 (direct debits) of any schema version, like a SEPA intake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from app.services.errors import KontorError


class PainError(KontorError, ValueError):
    """The SEPA message is malformed or inconsistent; the text goes into the bank's 9xxx answer."""


@dataclass(frozen=True)
class PainTransaction:
    """One credit transfer or direct debit of a pain message."""

    end_to_end_id: str
    amount: Decimal
    name: str
    iban: str
    bic: str
    purpose: str
    due: date | None
    mandate_id: str = ""
    creditor_id: str = ""
    sequence: str = ""


@dataclass(frozen=True)
class PainMessage:
    """The parts of a pain.001/pain.008 the bank checks and books."""

    kind: str  # "transfer" or "debit"
    own_name: str
    own_iban: str
    control_sum: Decimal | None
    number_of_transactions: int
    transactions: tuple[PainTransaction, ...]
    schemes: frozenset[str] = frozenset()  # LclInstrm codes of the payment groups (CORE, B2B; INST for transfers)

    @property
    def total(self) -> Decimal:
        """Sum of all transactions, compared against the control sums."""
        return sum((t.amount for t in self.transactions), Decimal("0"))


def _local(root: etree._Element) -> etree._Element:
    """Strip namespaces so pain.001.001.03/.09 and pain.008.001.02/.08 read the same way."""
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def _text(element: etree._Element, path: str, default: str = "") -> str:
    """Text of the first match of `path`, or `default`."""
    found = element.find(path)
    return found.text.strip() if found is not None and found.text else default


def _date(element: etree._Element, path: str) -> date | None:
    """A date that is either direct text (older schemas) or wrapped in <Dt> (2019 schemas)."""
    raw = _text(element, path) or _text(element, f"{path}/Dt")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise PainError(f"invalid date {raw!r}") from exc


def _decimal(raw: str, what: str) -> Decimal:
    """Parse an amount, refusing anything that is not a positive number with at most two decimals."""
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise PainError(f"invalid {what} {raw!r}") from exc
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise PainError(f"invalid {what} {raw!r}")
    return value


def parse_pain(data: bytes) -> PainMessage:
    """Parse a pain.001 or pain.008 document into the bank's view of it."""
    try:
        root = _local(etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True)))
    except etree.XMLSyntaxError as exc:
        raise PainError(f"XML not well-formed: {exc}") from exc
    transfer = root.find("CstmrCdtTrfInitn")
    debit = root.find("CstmrDrctDbtInitn")
    body = transfer if transfer is not None else debit
    if body is None:
        raise PainError("neither CstmrCdtTrfInitn nor CstmrDrctDbtInitn")
    header = body.find("GrpHdr")
    if header is None:
        raise PainError("GrpHdr missing")
    control = _text(header, "CtrlSum")
    transactions: list[PainTransaction] = []
    own_names, own_ibans, schemes = set(), set(), set()
    for info in body.findall("PmtInf"):
        schemes.add(_text(info, "PmtTpInf/LclInstrm/Cd"))
        if transfer is not None:
            own_names.add(_text(info, "Dbtr/Nm"))
            own_ibans.add(_text(info, "DbtrAcct/Id/IBAN"))
            due = _date(info, "ReqdExctnDt")
            for tx in info.findall("CdtTrfTxInf"):
                transactions.append(
                    PainTransaction(
                        _text(tx, "PmtId/EndToEndId", "NOTPROVIDED"),
                        _decimal(_text(tx, "Amt/InstdAmt"), "amount"),
                        _text(tx, "Cdtr/Nm"),
                        _text(tx, "CdtrAcct/Id/IBAN"),
                        _text(tx, "CdtrAgt/FinInstnId/BICFI") or _text(tx, "CdtrAgt/FinInstnId/BIC"),
                        _text(tx, "RmtInf/Ustrd"),
                        due,
                    )
                )
        else:
            own_names.add(_text(info, "Cdtr/Nm"))
            own_ibans.add(_text(info, "CdtrAcct/Id/IBAN"))
            due = _date(info, "ReqdColltnDt")
            creditor_id = _text(info, "CdtrSchmeId/Id/PrvtId/Othr/Id")
            sequence = _text(info, "PmtTpInf/SeqTp")
            for tx in info.findall("DrctDbtTxInf"):
                transactions.append(
                    PainTransaction(
                        _text(tx, "PmtId/EndToEndId", "NOTPROVIDED"),
                        _decimal(_text(tx, "InstdAmt"), "amount"),
                        _text(tx, "Dbtr/Nm"),
                        _text(tx, "DbtrAcct/Id/IBAN"),
                        _text(tx, "DbtrAgt/FinInstnId/BICFI") or _text(tx, "DbtrAgt/FinInstnId/BIC"),
                        _text(tx, "RmtInf/Ustrd"),
                        due,
                        _text(tx, "DrctDbtTx/MndtRltdInf/MndtId"),
                        creditor_id or _text(tx, "DrctDbtTx/CdtrSchmeId/Id/PrvtId/Othr/Id"),
                        sequence,
                    )
                )
    if not transactions:
        raise PainError("no transactions")
    if len(own_ibans) != 1:
        raise PainError("all payment groups must use the same own account")
    return PainMessage(
        "transfer" if transfer is not None else "debit",
        own_names.pop(),
        own_ibans.pop(),
        _decimal(control, "control sum") if control else None,
        int(_text(header, "NbOfTxs", "0") or 0),
        tuple(transactions),
        frozenset(schemes - {""}),
    )
