"""Own CAMT.052/053/054 reader: lxml iterparse per entry, namespace- and version-agnostic, bounded memory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO

from lxml import etree
from lxml.etree import _Element

from app.services.formatting import MAX_AMOUNT
from app.services.i18n import _
from app.services.statements.model import (
    ParsedBalance,
    ParsedStatement,
    ParsedTransaction,
    StatementFormatError,
    at_line,
)
from app.services.statements.sepa_purpose import find_return_reason, split_sepa_purpose

_STATEMENT_TAGS = frozenset({"Stmt", "Rpt", "Ntfctn"})
_STATEMENT_CHILDREN = frozenset({"Id", "ElctrncSeqNb", "CreDtTm", "Acct", "Bal", "FrToDt"})
# iterparse reports only these (in any namespace), so Python sees one event per entry, not one per element.
_EVENT_TAGS = [f"{{*}}{name}" for name in sorted(_STATEMENT_TAGS | {"Ntry", "GrpHdr"})]
_RELEASE_EVERY = 64  # cleared entries are unlinked in batches: one sibling walk per entry costs more than it saves
_PROPRIETARY_GVC_RE = re.compile(r"^[A-Z]{4}\+(\d{3})(\+|$)")
_NOT_PROVIDED = frozenset({"NOTPROVIDED", "NONREF", "NOT PROVIDED"})
_PENDING_STATUS = frozenset({"PDNG", "INFO", "FUTR"})
_NO_CHILDREN: dict[str, _Element] = {}
# The counterparty's elements in a TxDtls: role, ultimate party, account, agent (debit: creditor; credit: debtor).
_DEBIT_ROLES = ("Cdtr", "UltmtCdtr", "CdtrAcct", "CdtrAgt")
_CREDIT_ROLES = ("Dbtr", "UltmtDbtr", "DbtrAcct", "DbtrAgt")
_LOCAL_NAMES: dict[object, str] = {}  # "{namespace}Name" -> "Name"; comments and PIs -> ""
_LOCAL_NAMES_MAX = 4096
# The camt namespace declared on the root, as every bank does; blanks before it only (a newline would shift lines).
_ROOT_NAMESPACE = re.compile(rb'[ \t]+xmlns="urn:iso:std:iso:20022:tech:xsd:camt\.[0-9.]+"')
_HEAD_BYTES = 1 << 16


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


def _text(element: _Element | None, *names: str) -> str:
    found = _child(element, *names)
    return (found.text or "").strip() if found is not None else ""


def _child1(element: _Element | None, name: str) -> _Element | None:
    """_child of one level, without the path machinery (the hot path asks for single children)."""
    if element is None:
        return None
    local_names = _LOCAL_NAMES
    for candidate in element:
        if (local_names.get(candidate.tag) or _local(candidate)) == name:
            return candidate
    return None


def _child_text(element: _Element | None, name: str) -> str:
    """_text of one level."""
    found = _child1(element, name)
    return (found.text or "").strip() if found is not None else ""


@dataclass(slots=True)
class _StatementState:
    statement: ParsedStatement
    fallback_on: date | None = None
    entries: int = 0
    interim_balances: int = 0
    has_currency: bool = False


def parse_camt(stream: IO[bytes], *, source: str) -> Iterator[ParsedStatement]:
    """Yield each statement of a camt.052/053/054 file when it is complete; StatementFormatError names the line."""
    found = False
    state: _StatementState | None = None
    group_on: date | None = None
    unreleased = 0
    unqualified = _WithoutRootNamespace(stream)
    try:
        # Only end events of entries, statements and the group header: one Python step per entry. Without
        # huge_tree libxml2 keeps its limits (10 MB per text, depth 256), so padding cannot fill the memory.
        for _event, element in etree.iterparse(
            unqualified, tag=_EVENT_TAGS, collect_ids=False, resolve_entities=False, no_network=True
        ):
            name = _LOCAL_NAMES.get(element.tag) or _local(element)
            if name == "Ntry":
                holder = element.getparent()
                if holder is None or _local(holder) not in _STATEMENT_TAGS:
                    continue
                if state is None:
                    state = _start_statement(source, holder, group_on, before=element)
                state.entries += 1
                _entry(source, element, state)
                element.clear(keep_tail=False)
                unreleased += 1
                if unreleased >= _RELEASE_EVERY:
                    _release(element)
                    unreleased = 0
            elif name == "GrpHdr":
                created = _child(element, "CreDtTm")
                group_on = _date(source, created) if created is not None else None
            else:
                if state is None:
                    state = _start_statement(source, element, group_on, before=None)
                else:
                    _read_trailer(source, element, state)
                found = True
                yield state.statement
                state = None
                _release(element)
                unreleased = 0
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else "?"
        if "Resource limit exceeded" in error.msg:
            reason = _("more than 10 MB of text or 256 levels of elements in one place: refused")
        else:
            reason = _("broken XML: {error}").format(error=error.msg)
        raise StatementFormatError(source, at_line(line), reason) from error
    if not found:
        raise StatementFormatError(source, "", _("no Stmt/Rpt/Ntfctn element: not a CAMT statement"))


class _WithoutRootNamespace:
    """The file with the camt default-namespace declaration taken out of its first bytes.

    The reader matches local names in any namespace, so the result is the same; but without a namespace lxml
    builds 'Ntry' rather than '{urn:iso:std:iso:20022:tech:xsd:camt.053.001.08}Ntry' for every element it
    hands out, which is about a tenth of the parse. The raw records then omit the declaration as well.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._head = _ROOT_NAMESPACE.sub(b"", stream.read(_HEAD_BYTES), count=1)

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._stream.read(size)
        if size < 0:
            data, self._head = self._head + self._stream.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def _start_statement(
    source: str, holder: _Element, group_on: date | None, *, before: _Element | None
) -> _StatementState:
    """State of a statement from its header elements (all of which precede the first Ntry in the schema)."""
    state = _StatementState(
        ParsedStatement(account_iban="", pending=_local(holder) == "Rpt", source=source), fallback_on=group_on
    )
    for child in holder:
        if child is before:
            break
        name = _local(child)
        if name in _STATEMENT_CHILDREN:
            _statement_child(source, name, child, state)
    return state


def _read_trailer(source: str, holder: _Element, state: _StatementState) -> None:
    """Header elements a bank wrote after the entries (not schema-valid, but seen in the wild)."""
    trailer = []
    for child in reversed(holder):
        name = _local(child)
        if name == "Ntry":
            break
        if name in _STATEMENT_CHILDREN:
            trailer.append((name, child))
    for name, child in reversed(trailer):
        _statement_child(source, name, child, state)


def _release(element: _Element) -> None:
    """Drop an element and the (already cleared) siblings before it, so memory stays bounded."""
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
        raise StatementFormatError(source, at_line(element.sourceline), _("balance without a date"))
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
    """One Ntry becomes one transaction, or one per TxDtls when a batch reports each amount.

    Hot path: one pass over the entry's children with the fields taken as they come, no per-field lookups.
    """
    statement = state.statement
    names = _LOCAL_NAMES
    amount_element = booked_element = value_element = code = None
    debit = reversal = False
    status = entry_ref = entry_ref_fallback = posting_text = ""
    details: list[_Element] = []
    for child in entry:
        name = names.get(child.tag) or _local(child)
        if name == "Amt":
            amount_element = child
        elif name == "CdtDbtInd":
            debit = (child.text or "").strip() == "DBIT"
        elif name == "Sts":
            status = (child.text or "").strip() or _child_text(child, "Cd") or _child_text(child, "Prtry")
        elif name == "BookgDt":
            booked_element = _date_element(child)
        elif name == "ValDt":
            value_element = _date_element(child)
        elif name == "AcctSvcrRef":
            entry_ref = (child.text or "").strip()
            if entry_ref.upper() in _NOT_PROVIDED:
                entry_ref = ""
        elif name == "NtryDtls":
            for tx in child:
                if (names.get(tx.tag) or _local(tx)) == "TxDtls":
                    details.append(tx)
        elif name == "BkTxCd":
            code = child
        elif name == "RvslInd":
            reversal = (child.text or "").strip().lower() in ("true", "1")
        elif name == "NtryRef":
            entry_ref_fallback = (child.text or "").strip()
        elif name == "AddtlNtryInf":
            posting_text = (child.text or "").strip()
    entry_amount = _amount(source, amount_element)
    currency = (amount_element.get("Ccy", "") if amount_element is not None else "") or statement.currency
    value_on = _date(source, value_element) if value_element is not None else None
    booked_on = _date(source, booked_element) if booked_element is not None else value_on or state.fallback_on
    if booked_on is None:
        raise StatementFormatError(source, at_line(entry.sourceline), _("Ntry without BookgDt or ValDt"))
    raw = etree.tostring(entry, encoding="unicode")
    template = ParsedTransaction(
        booked_on=booked_on,
        value_on=value_on,
        amount=-entry_amount if debit else entry_amount,
        currency=currency,
        bank_reference=entry_ref,
        pending=status in _PENDING_STATUS,
        posting_text=posting_text,
        is_reversal=reversal,
        raw=raw,
    )
    if code is not None:
        _bank_code(code, template)
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
    batch_ref = entry_ref or entry_ref_fallback or f"{statement.statement_id}#{state.entries}"
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


def _date_element(holder: _Element) -> _Element | None:
    """The Dt child of a BookgDt/ValDt holder, else its DtTm child."""
    date_time = None
    names = _LOCAL_NAMES
    for child in holder:
        name = names.get(child.tag) or _local(child)
        if name == "Dt":
            return child
        if name == "DtTm" and date_time is None:
            date_time = child
    return date_time


def _transaction_amount(source: str, tx: _Element) -> Decimal | None:
    element = _first(_child(tx, "Amt"), _child(tx, "AmtDtls", "TxAmt", "Amt"), _child(tx, "AmtDtls", "InstdAmt", "Amt"))
    return _amount(source, element) if element is not None else None


def _apply_details(source: str, tx: _Element, transaction: ParsedTransaction, *, debit: bool) -> None:
    """Fill references, counterparty, purpose and return data from one TxDtls (one pass over its children)."""
    names = _LOCAL_NAMES
    role, ultimate, role_account, role_agent = _DEBIT_ROLES if debit else _CREDIT_ROLES
    party = ultimate_party = account = agent = creditor = scheme = refs_scheme = None
    remittance = return_info = None
    end_to_end_id = mandate_id = bank_reference = instruction_id = tx_id = additional = ""
    for child in tx:
        name = names.get(child.tag) or _local(child)
        if name == "Refs":
            for ref in child:
                ref_name = names.get(ref.tag) or _local(ref)
                if ref_name == "EndToEndId":
                    end_to_end_id = (ref.text or "").strip()
                elif ref_name == "MndtId":
                    mandate_id = (ref.text or "").strip()
                elif ref_name == "AcctSvcrRef":
                    bank_reference = (ref.text or "").strip()
                elif ref_name == "InstrId":
                    instruction_id = (ref.text or "").strip()
                elif ref_name == "TxId":
                    tx_id = (ref.text or "").strip()
                elif ref_name == "CdtrSchmeId":
                    refs_scheme = ref
        elif name == "RltdPties":
            for related in child:
                related_name = names.get(related.tag) or _local(related)
                if related_name == role:
                    party = related
                elif related_name == ultimate:
                    ultimate_party = related
                elif related_name == role_account:
                    account = related
                if related_name == "Cdtr":
                    creditor = related
        elif name == "RmtInf":
            remittance = child
        elif name == "BkTxCd":
            _bank_code(child, transaction)
        elif name == "RltdAgts":
            agent = _child(child, role_agent, "FinInstnId")
        elif name == "CdtrSchmeId":
            scheme = child
        elif name == "AddtlTxInf":
            additional = (child.text or "").strip()
        elif name == "RtrInf":
            return_info = child
    not_provided = _NOT_PROVIDED
    transaction.end_to_end_id = "" if end_to_end_id.upper() in not_provided else end_to_end_id
    transaction.mandate_id = mandate_id
    if bank_reference and bank_reference.upper() not in not_provided:
        transaction.bank_reference = bank_reference
    if instruction_id or tx_id:
        transaction.customer_reference = _reference(instruction_id) or _reference(tx_id)
    transaction.counterparty_name = _party_name(party) or _party_name(ultimate_party)
    if account is not None:
        account_id = _child1(account, "Id")
        iban = _child_text(account_id, "IBAN") or _text(account_id, "Othr", "Id")
        transaction.counterparty_iban = iban.replace(" ", "")
    if agent is not None:
        transaction.counterparty_bic = _child_text(agent, "BIC") or _child_text(agent, "BICFI")
    if scheme is not None or refs_scheme is not None or creditor is not None:
        transaction.creditor_id = _creditor_id(scheme, refs_scheme, creditor)
    sepa = split_sepa_purpose(_purpose_text(remittance))
    transaction.purpose = sepa.purpose
    if sepa.keys:
        transaction.end_to_end_id = transaction.end_to_end_id or sepa.keys.get("EREF", "")
        transaction.mandate_id = transaction.mandate_id or sepa.keys.get("MREF", "")
        transaction.creditor_id = transaction.creditor_id or sepa.keys.get("CRED", "")
    if additional and not transaction.posting_text:
        transaction.posting_text = additional
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
    names = _LOCAL_NAMES
    for child in remittance:
        name = names.get(child.tag) or _local(child)
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
    """Nm of a party (camt .001.02), else that of its Pty (.001.08)."""
    if party is None:
        return ""
    names = _LOCAL_NAMES
    nested = None
    for child in party:
        name = names.get(child.tag) or _local(child)
        if name == "Nm":
            text = (child.text or "").strip()
            if text:
                return text
        elif name == "Pty" and nested is None:
            nested = child
    return _child_text(nested, "Nm")


def _creditor_id(scheme: _Element | None, refs_scheme: _Element | None, creditor: _Element | None) -> str:
    """The SEPA creditor identifier: CdtrSchmeId (TxDtls, then Refs level), else the creditor's SEPA private id."""
    if scheme is None and refs_scheme is None and creditor is None:
        return ""
    for holder in (scheme, refs_scheme):
        if holder is None:
            continue
        found = _child(holder, "Id", "PrvtId", "Othr", "Id")
        if found is not None and found.text:
            return found.text.strip()
    if creditor is None:
        return ""
    party = _child1(creditor, "Pty")
    other = _child(creditor if party is None else party, "Id", "PrvtId", "Othr")
    if other is not None and _text(other, "SchmeNm", "Prtry").upper() == "SEPA":
        return _text(other, "Id")
    return ""


def _bank_code(code: _Element | None, transaction: ParsedTransaction) -> None:
    """ISO Domain-Family-SubFamily, else the proprietary code; German NTRF+166+... codes carry the GVC."""
    if code is None:
        return
    domain = proprietary_holder = None
    for child in code:
        name = _LOCAL_NAMES.get(child.tag) or _local(child)
        if name == "Domn" and domain is None:
            domain = child
        elif name == "Prtry" and proprietary_holder is None:
            proprietary_holder = child
    if domain is not None:
        family = _child1(domain, "Fmly")
        parts = (_child_text(domain, "Cd"), _child_text(family, "Cd"), _child_text(family, "SubFmlyCd"))
        transaction.bank_transaction_code = "-".join(part for part in parts if part)
    proprietary = _child_text(proprietary_holder, "Cd")
    if proprietary:
        match = _PROPRIETARY_GVC_RE.match(proprietary)
        if match:
            transaction.gvc = match.group(1)
        if not transaction.bank_transaction_code:
            transaction.bank_transaction_code = proprietary


def _amount(source: str, element: _Element | None) -> Decimal:
    text = (element.text or "").strip() if element is not None else ""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if amount.is_finite() and abs(amount) <= MAX_AMOUNT:
        return amount
    line = element.sourceline if element is not None else "?"
    reason = _("absurdly large amount {text}") if amount.is_finite() else _("unreadable amount {text}")
    raise StatementFormatError(source, at_line(line), reason.format(text=repr(text)))


def _date(source: str, element: _Element) -> date:
    text = (element.text or "").strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StatementFormatError(
            source, at_line(element.sourceline), _("unreadable date {text}").format(text=repr(text))
        ) from None
