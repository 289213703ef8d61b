"""Own CAMT.052/053/054 reader: lxml iterparse per entry, namespace- and version-agnostic, bounded memory."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO

from lxml import etree

from app.services.statements.model import (
    ParsedBalance,
    ParsedStatement,
    ParsedTransaction,
    StatementFormatError,
)
from app.services.statements.sepa_purpose import find_return_reason, split_sepa_purpose

_Element = etree._Element
_STATEMENT_TAGS = frozenset({"Stmt", "Rpt", "Ntfctn"})
_STATEMENT_CHILDREN = frozenset({"Id", "ElctrncSeqNb", "CreDtTm", "Acct", "Bal", "FrToDt"})
# iterparse reports only these (in any namespace), so Python sees a few events per entry, not one per element.
_EVENT_TAGS = [f"{{*}}{name}" for name in sorted(_STATEMENT_TAGS | _STATEMENT_CHILDREN | {"Ntry"})]
_PROPRIETARY_GVC_RE = re.compile(r"^[A-Z]{4}\+(\d{3})(\+|$)")
_NOT_PROVIDED = frozenset({"NOTPROVIDED", "NONREF", "NOT PROVIDED"})
_PENDING_STATUS = frozenset({"PDNG", "INFO", "FUTR"})
_NO_CHILDREN: dict[str, _Element] = {}
_LOCAL_NAMES: dict[object, str] = {}  # "{namespace}Name" -> "Name"; comments and PIs -> ""
_LOCAL_NAMES_MAX = 4096


def _local(element: _Element) -> str:
    """The tag without its namespace, memoized: lxml builds a new tag string on every access."""
    tag = element.tag
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        if len(_LOCAL_NAMES) >= _LOCAL_NAMES_MAX:
            _LOCAL_NAMES.clear()
        _LOCAL_NAMES[tag] = name
    return name


def _index(element: _Element | None) -> dict[str, _Element]:
    """The first child of each local name: one walk instead of one walk per looked-up field."""
    if element is None:
        return _NO_CHILDREN
    found: dict[str, _Element] = {}
    names = _LOCAL_NAMES
    for child in element:
        name = names.get(child.tag)
        if name is None:
            name = _local(child)
        if name not in found:
            found[name] = child
    return found


def _child(element: _Element | None, *names: str) -> _Element | None:
    """Follow a path of local names; element.find() cannot ignore namespaces cheaply."""
    local_names = _LOCAL_NAMES
    for name in names:
        if element is None:
            return None
        for candidate in element:
            if (local_names.get(candidate.tag) or _local(candidate)) == name:
                element = candidate
                break
        else:
            return None
    return element


def _first(*elements: _Element | None) -> _Element | None:
    """The first element that exists (lxml elements without children are falsy, so `or` is wrong)."""
    for element in elements:
        if element is not None:
            return element
    return None


def _children(element: _Element | None, name: str) -> list[_Element]:
    return [] if element is None else [child for child in element if _local(child) == name]


def _same_named(first: _Element | None) -> list[_Element]:
    """first and its later siblings of the same local name, in document order."""
    if first is None:
        return []
    name = _local(first)
    return [first, *(sibling for sibling in first.itersiblings() if _local(sibling) == name)]


def _text(element: _Element | None, *names: str) -> str:
    found = _child(element, *names)
    return (found.text or "").strip() if found is not None else ""


def _own_text(element: _Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


@dataclass(slots=True)
class _StatementState:
    statement: ParsedStatement
    fallback_on: date | None = None
    entries: int = 0
    interim_balances: int = 0
    has_currency: bool = False


def parse_camt(stream: IO[bytes], *, source: str) -> list[ParsedStatement]:
    """Read all statements of a camt.052/053/054 file; raises StatementFormatError naming the line."""
    statements: list[ParsedStatement] = []
    state: _StatementState | None = None
    group_on: date | None = None
    try:
        events = etree.iterparse(stream, events=("start", "end"), tag=_EVENT_TAGS, huge_tree=True)
        for event, element in events:
            name = _local(element)
            if event == "start":
                if name in _STATEMENT_TAGS and state is None:
                    pending = name == "Rpt"
                    state = _StatementState(ParsedStatement(account_iban="", pending=pending, source=source))
                    state.fallback_on = group_on
                continue
            if state is None:
                if name == "CreDtTm":
                    group_on = _date(source, element)
                continue
            if name == "Ntry":
                state.entries += 1
                _entry(source, element, state)
                _release(element)
            elif name in _STATEMENT_TAGS:
                statements.append(state.statement)
                state = None
                _release(element)
            else:
                parent = element.getparent()
                if parent is not None and _local(parent) in _STATEMENT_TAGS:
                    _statement_child(source, name, element, state)
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else "?"
        raise StatementFormatError(source, f"line {line}", f"broken XML: {error.msg}") from error
    if not statements:
        raise StatementFormatError(source, "", "no Stmt/Rpt/Ntfctn element: not a CAMT statement")
    return statements


def _release(element: _Element) -> None:
    """Drop a finished element and the siblings before it, so memory stays bounded by one entry."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _statement_child(source: str, name: str, element: _Element, state: _StatementState) -> None:
    statement = state.statement
    if name == "Id":
        statement.statement_id = (element.text or "").strip()
    elif name == "ElctrncSeqNb":
        statement.statement_id = f"{statement.statement_id}/{(element.text or '').strip()}"
    elif name == "CreDtTm":
        state.fallback_on = _date(source, element)
    elif name == "FrToDt" and state.fallback_on is None:
        end = _child(element, "ToDtTm")
        state.fallback_on = _date(source, end) if end is not None else None
    elif name == "Acct":
        statement.account_iban = _text(element, "Id", "IBAN").replace(" ", "")
        if not statement.account_iban:
            statement.account_number = _text(element, "Id", "Othr", "Id")
        currency = _text(element, "Ccy")
        if currency:
            statement.currency, state.has_currency = currency, True
    elif name == "Bal":
        _balance(source, element, state)


def _balance(source: str, element: _Element, state: _StatementState) -> None:
    code_holder = _child(element, "Tp", "CdOrPrtry")
    code = _text(code_holder, "Cd") or _text(code_holder, "Prtry")
    amount_element = _child(element, "Amt")
    amount = _amount(source, amount_element)
    if _text(element, "CdtDbtInd") == "DBIT":
        amount = -amount
    on_element = _first(_child(element, "Dt", "Dt"), _child(element, "Dt", "DtTm"))
    on = _date(source, on_element) if on_element is not None else state.fallback_on
    if on is None:
        raise StatementFormatError(source, f"line {element.sourceline}", "balance without a date")
    currency = amount_element.get("Ccy", "") if amount_element is not None else ""
    balance = ParsedBalance(on, amount, currency or state.statement.currency)
    statement = state.statement
    if not state.has_currency:
        statement.currency, state.has_currency = balance.currency, True
    if code == "OPBD" or (code == "PRCD" and statement.opening is None):
        statement.opening = balance
    elif code == "CLBD":
        statement.closing = balance
    elif code == "ITBD":  # camt.052 reports interim balances: the first opens, a later one closes
        state.interim_balances += 1
        if state.interim_balances == 1 and statement.opening is None:
            statement.opening = balance
        elif state.interim_balances > 1:
            statement.closing = balance


def _entry(source: str, entry: _Element, state: _StatementState) -> None:
    """One Ntry becomes one transaction, or one per TxDtls when a batch reports each amount."""
    statement = state.statement
    fields = _index(entry)
    amount_element = fields.get("Amt")
    entry_amount = _amount(source, amount_element)
    debit = _own_text(fields.get("CdtDbtInd")) == "DBIT"
    reversal = _own_text(fields.get("RvslInd")).lower() in ("true", "1")
    signed = -entry_amount if debit else entry_amount
    currency = (amount_element.get("Ccy", "") if amount_element is not None else "") or statement.currency
    status_element = fields.get("Sts")
    status = _own_text(status_element) or _text(status_element, "Cd") or _text(status_element, "Prtry")
    booked_element = _date_element(fields.get("BookgDt"))
    value_element = _date_element(fields.get("ValDt"))
    value_on = _date(source, value_element) if value_element is not None else None
    booked_on = _date(source, booked_element) if booked_element is not None else value_on or state.fallback_on
    if booked_on is None:
        raise StatementFormatError(source, f"line {entry.sourceline}", "Ntry without BookgDt or ValDt")
    entry_ref = _reference(_own_text(fields.get("AcctSvcrRef")))
    raw = etree.tostring(entry, encoding="unicode")
    details = [tx for block in _same_named(fields.get("NtryDtls")) for tx in _children(block, "TxDtls")]
    template = ParsedTransaction(
        booked_on=booked_on,
        value_on=value_on,
        amount=signed,
        currency=currency,
        bank_reference=entry_ref,
        pending=status in _PENDING_STATUS,
        posting_text=_own_text(fields.get("AddtlNtryInf")),
        raw=raw,
    )
    _bank_code(fields.get("BkTxCd"), template)
    template.is_reversal = reversal
    transactions = statement.transactions
    if len(details) < 2:
        if details:
            _apply_details(source, details[0], template, debit=debit)
        transactions.append(template)
        return
    amounts: list[Decimal] = []
    for tx in details:
        amount = _transaction_amount(source, tx)
        if amount is None:  # one detail without an amount: the entry stays one transaction
            _apply_details(source, details[0], template, debit=debit)
            for extra in details[1:]:
                more = _purpose_text(_child(extra, "RmtInf"))
                template.purpose = " ".join(filter(None, (template.purpose, more)))
            transactions.append(template)
            return
        amounts.append(amount)
    batch_ref = entry_ref or _own_text(fields.get("NtryRef")) or f"{statement.statement_id}#{state.entries}"
    for tx, amount in zip(details, amounts, strict=True):
        tx_debit = (_text(tx, "CdtDbtInd") or ("DBIT" if debit else "CRDT")) == "DBIT"
        transaction = ParsedTransaction(
            booked_on=template.booked_on,
            value_on=template.value_on,
            amount=-amount if tx_debit else amount,
            currency=template.currency,
            bank_reference=template.bank_reference,
            gvc=template.gvc,
            bank_transaction_code=template.bank_transaction_code,
            posting_text=template.posting_text,
            pending=template.pending,
            is_reversal=template.is_reversal,
            batch_ref=batch_ref,
            raw=raw,
        )
        _apply_details(source, tx, transaction, debit=tx_debit)
        transactions.append(transaction)


def _date_element(holder: _Element | None) -> _Element | None:
    """The Dt child of a BookgDt/ValDt holder, else its DtTm child."""
    if holder is None:
        return None
    date_time = None
    for child in holder:
        name = _local(child)
        if name == "Dt":
            return child
        if name == "DtTm" and date_time is None:
            date_time = child
    return date_time


def _transaction_amount(source: str, tx: _Element) -> Decimal | None:
    element = _first(_child(tx, "Amt"), _child(tx, "AmtDtls", "TxAmt", "Amt"), _child(tx, "AmtDtls", "InstdAmt", "Amt"))
    return _amount(source, element) if element is not None else None


def _apply_details(source: str, tx: _Element, transaction: ParsedTransaction, *, debit: bool) -> None:
    """Fill references, counterparty, purpose and return data from one TxDtls."""
    fields = _index(tx)
    refs = fields.get("Refs")
    ref_fields = _index(refs)
    transaction.end_to_end_id = _reference(_own_text(ref_fields.get("EndToEndId")))
    transaction.mandate_id = _own_text(ref_fields.get("MndtId"))
    transaction.bank_reference = _reference(_own_text(ref_fields.get("AcctSvcrRef"))) or transaction.bank_reference
    transaction.customer_reference = _reference(_own_text(ref_fields.get("InstrId"))) or _reference(
        _own_text(ref_fields.get("TxId"))
    )
    _bank_code(fields.get("BkTxCd"), transaction)
    party_fields = _index(fields.get("RltdPties"))
    role = "Cdtr" if debit else "Dbtr"
    transaction.counterparty_name = _party_name(party_fields.get(role)) or _party_name(party_fields.get(f"Ultmt{role}"))
    account_id = _child(party_fields.get(f"{role}Acct"), "Id")
    transaction.counterparty_iban = (_text(account_id, "IBAN") or _text(account_id, "Othr", "Id")).replace(" ", "")
    agent = _child(fields.get("RltdAgts"), f"{role}Agt", "FinInstnId")
    transaction.counterparty_bic = _text(agent, "BIC") or _text(agent, "BICFI")
    transaction.creditor_id = _creditor_id(fields, ref_fields, party_fields)
    sepa = split_sepa_purpose(_purpose_text(fields.get("RmtInf")))
    transaction.purpose = sepa.purpose
    if sepa.keys:
        transaction.end_to_end_id = transaction.end_to_end_id or sepa.keys.get("EREF", "")
        transaction.mandate_id = transaction.mandate_id or sepa.keys.get("MREF", "")
        transaction.creditor_id = transaction.creditor_id or sepa.keys.get("CRED", "")
    additional = _own_text(fields.get("AddtlTxInf"))
    if additional and not transaction.posting_text:
        transaction.posting_text = additional
    return_info = fields.get("RtrInf")
    if return_info is not None:
        transaction.is_return = True
        transaction.return_reason = _text(return_info, "Rsn", "Cd") or _text(return_info, "Rsn", "Prtry")
        if not transaction.return_reason:
            transaction.return_reason = " ".join(
                (element.text or "").strip() for element in _children(return_info, "AddtlInf")
            )
    elif transaction.is_return and not transaction.return_reason:
        transaction.return_reason = find_return_reason(transaction.purpose)


def _reference(text: str) -> str:
    return "" if text.upper() in _NOT_PROVIDED else text


def _purpose_text(remittance: _Element | None) -> str:
    """Ustrd lines first, then each Strd's creditor reference and additional lines, blanks dropped."""
    if remittance is None:
        return ""
    lines: list[str] = []
    structured: list[_Element] = []
    for child in remittance:
        name = _local(child)
        if name == "Ustrd":
            line = (child.text or "").strip()
            if line:
                lines.append(line)
        elif name == "Strd":
            structured.append(child)
    for block in structured:
        reference = _text(block, "CdtrRefInf", "Ref")
        if reference:
            lines.append(reference)
        lines.extend(line for element in _children(block, "AddtlRmtInf") if (line := (element.text or "").strip()))
    return " ".join(lines)


def _party_name(party: _Element | None) -> str:
    fields = _index(party)
    return _own_text(fields.get("Nm")) or _text(fields.get("Pty"), "Nm")


def _creditor_id(fields: dict[str, _Element], ref_fields: dict[str, _Element], parties: dict[str, _Element]) -> str:
    for holder in (fields, ref_fields):
        found = _child(holder.get("CdtrSchmeId"), "Id", "PrvtId", "Othr", "Id")
        if found is not None and found.text:
            return found.text.strip()
    creditor = parties.get("Cdtr")
    creditor = _first(_child(creditor, "Pty"), creditor)
    other = _child(creditor, "Id", "PrvtId", "Othr")
    if other is not None and _text(other, "SchmeNm", "Prtry").upper() == "SEPA":
        return _text(other, "Id")
    return ""


def _bank_code(code: _Element | None, transaction: ParsedTransaction) -> None:
    """ISO Domain-Family-SubFamily, else the proprietary code; German NTRF+166+... codes carry the GVC."""
    if code is None:
        return
    fields = _index(code)
    domain = fields.get("Domn")
    if domain is not None:
        parts = (_text(domain, "Cd"), _text(domain, "Fmly", "Cd"), _text(domain, "Fmly", "SubFmlyCd"))
        transaction.bank_transaction_code = "-".join(part for part in parts if part)
    proprietary = _text(fields.get("Prtry"), "Cd")
    if proprietary:
        match = _PROPRIETARY_GVC_RE.match(proprietary)
        if match:
            transaction.gvc = match.group(1)
        if not transaction.bank_transaction_code:
            transaction.bank_transaction_code = proprietary


def _amount(source: str, element: _Element | None) -> Decimal:
    text = (element.text or "").strip() if element is not None else ""
    try:
        return Decimal(text)
    except InvalidOperation:
        line = element.sourceline if element is not None else "?"
        raise StatementFormatError(source, f"line {line}", f"unreadable amount {text!r}") from None


def _date(source: str, element: _Element) -> date:
    text = (element.text or "").strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StatementFormatError(source, f"line {element.sourceline}", f"unreadable date {text!r}") from None
