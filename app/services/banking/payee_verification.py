"""Verification of Payee as banks really answer it, on top of python-fints 5.0.1.

python-fints reads the bank's check only when it comes inline, for one transfer. Two other shapes are common:
- the asynchronous result (Atruvia's banks): HIVPP with a polling ID and no result, 3040 with a touchdown point
  on HKVPP, 3945 on HKTAN. The client asks again with HKVPP (polling ID and touchdown point, nothing else) after
  the wait the bank names, until a result with a VOP ID arrives; the order then goes out with HKVPA;
- collective transfers (HKCCM): the result per transfer is in a pain.002 payment status report, not in the
  single-result field.
`PayeeCheckFlow` replaces python-fints' sending of a payment order so that both end as a `NeedVOPResponse` the
approver answers, and `payee_checks` turns any HIVPP into one `PayeeCheck` per transfer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fints.client import NeedTANResponse, NeedVOPResponse
from fints.exceptions import FinTSClientError
from fints.segments.auth import HIVPP1, HKVPP1, PSRD1
from fints.segments.dialog import HIRMG2, HIRMS2
from lxml import etree

from app.services.banking.prompts import PayeeCheck
from app.services.i18n import _

MAX_POLLS = 30  # at the usual 1-2 s each, a minute; a bank that takes longer is reported, nothing is sent
QUESTIONED = frozenset({"RVMC", "RVNM", "RVNA", "RVCM", "PDNG"})
_ANY_NS = "{*}"


class PayeeCheckPendingError(FinTSClientError):
    """The bank gave no result of its payee check (still pending, or no HIVPP to a poll); nothing was sent.

    A python-fints error, so that the FinTS service reports it with the bank's own words like other refusals."""


class PayeeCheckFlow:
    """Mixin for FinTS3PinTanClient: the payment order with HKVPP, polling for an asynchronous result."""

    # How to wait between polls; FinTSService replaces it with a wait that a cancel interrupts.
    wait_for_payee_check: Callable[[float], None]

    def _send_pay_with_possible_retry(self, dialog: Any, command_seg: Any, resume_func: Any) -> Any:
        vop_standard = self._find_vop_format_for_segment(command_seg)  # type: ignore[attr-defined]
        if not vop_standard or not self._need_twostep_tan_for_segment(command_seg):  # type: ignore[attr-defined]
            return super()._send_pay_with_possible_retry(dialog, command_seg, resume_func)  # type: ignore[misc]
        with dialog:
            tan_seg = self._get_tan_segment(command_seg, "4")  # type: ignore[attr-defined]
            reports = PSRD1(psrd=[vop_standard])
            response = dialog.send(HKVPP1(supported_reports=reports), command_seg, tan_seg)
            hivpp = _result(response)
            polled = 0
            while not hivpp.vop_id and hivpp.polling_id:
                if polled == MAX_POLLS:
                    raise PayeeCheckPendingError(
                        _("The bank did not finish its payee check after {n} queries.").format(n=polled)
                    )
                self.wait_for_payee_check(float(hivpp.wait_for_seconds or 2))
                poll = HKVPP1(supported_reports=reports, polling_id=hivpp.polling_id, aufsetzpunkt=_touchdown(response))
                response = dialog.send(poll)
                hivpp = _result(response)
                polled += 1
            said = response.find_segments((HIRMG2, HIRMS2))
            codes = {answer.code for segment in said for answer in segment.responses}
            results = {check.result for check in payee_checks(hivpp)}
            if hivpp.vop_id and (polled or "3945" in codes or results & QUESTIONED):
                return NeedVOPResponse(vop_result=hivpp, command_seg=command_seg, resume_method=resume_func)
            for answer in response.responses(tan_seg):
                if answer.code in ("0030", "3955"):
                    return NeedTANResponse(
                        command_seg,
                        response.find_segment_first("HITAN"),
                        resume_func,
                        self.is_challenge_structured(),  # type: ignore[attr-defined]
                        answer.code == "3955",
                        hivpp,
                    )
                if answer.code.startswith("9"):
                    raise FinTSClientError(f"Error response: {answer.code} {answer.text}")
            return resume_func(command_seg, response)


def _result(response: Any) -> Any:
    found = response.find_segment_first(HIVPP1)
    if found is None:
        raise PayeeCheckPendingError(_("The bank answered without the result of its payee check."))
    return found


def _touchdown(response: Any) -> str | None:
    """The touchdown point of the bank's 3040 ("more to come"), which the poll must hand back."""
    for segment in response.find_segments(HIRMS2):
        for answer in segment.responses:
            if answer.code == "3040" and answer.parameters:
                return str(answer.parameters[0])
    return None


def payee_checks(hivpp: Any) -> list[PayeeCheck]:
    """The bank's result per transfer: the single result, else each transaction of the pain.002 report."""
    notice = str(getattr(hivpp, "manual_authorization_notice", None) or "")
    single = getattr(hivpp, "vop_single_result", None)
    if single is not None and getattr(single, "result", None):
        return [
            PayeeCheck(
                result=str(single.result),
                iban=str(single.recipient_IBAN or ""),
                close_match_name=str(single.close_match_name or ""),
                reason=str(single.na_reason or ""),
                notice=notice,
            )
        ]
    report = getattr(hivpp, "payment_status_report", None)
    return report_checks(bytes(report), notice) if report else []


def report_checks(report: bytes, notice: str = "") -> list[PayeeCheck]:
    """Each transaction of a pain.002 payment status report as the bank's payee check worded it."""
    try:
        root = etree.fromstring(report, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise PayeeCheckPendingError(
            _("The bank's payee check report is not readable ({error}).").format(error=error)
        ) from None
    checks = []
    for item in root.iter(f"{_ANY_NS}TxInfAndSts"):
        reference = item.find(f"{_ANY_NS}OrgnlTxRef")
        checks.append(
            PayeeCheck(
                result=_text(item, "TxSts"),
                iban=_text(reference, "CdtrAcct/{*}Id/{*}IBAN") if reference is not None else "",
                close_match_name=_text(reference, "Cdtr/{*}Pty/{*}Nm") if reference is not None else "",
                reason=_text(item, "StsRsnInf/{*}AddtlInf"),
                notice=notice,
                end_to_end_id=_text(item, "OrgnlEndToEndId"),
            )
        )
    return checks


def _text(node: Any, path: str) -> str:
    found = node.find(f"{_ANY_NS}{path}")
    return (found.text or "").strip() if found is not None else ""
