"""BPD and UPD segments: what the demo bank announces about itself and about a customer's accounts."""

from __future__ import annotations

from collections.abc import Sequence

from fints.formals import (
    KTZ1,
    AccountInformation,
    AllowedFormat,
    AllowedTransaction,
    BankIdentifier,
    BatchTransferParameter1,
    DescriptionRequired,
    GetSEPAAccountParameter1,
    InitializationMode,
    Language2,
    ParameterPinTan,
    ParameterTwostepTAN7,
    PrincipalAccountRequired,
    ScheduledBatchDebitParameter2,
    ScheduledDebitParameter2,
    SegmentHeader,
    SMSChargeAccountRequired,
    SupportedHBCIVersions2,
    SupportedLanguages2,
    TANMediumStatus,
    TANTimeDialogAssociation,
    TANUsageOption,
    TaskHashAlgorithm,
    TransactionsTimeParameter1,
    TransactionTanRequired,
    TwoStepParameters7,
    UPDUsage,
)
from fints.segments.accounts import HISPA1, HISPAS1
from fints.segments.auth import HIPINS1, HITANS7, HIVPPS1, ParameterVoP
from fints.segments.bank import HIBPA3, HIUPA4, HIUPD6
from fints.segments.base import FinTS3Segment
from fints.segments.debit import HIDMES2, HIDSES2
from fints.segments.statement import HICAZS1
from fints.segments.transfer import HICCMS1

from app.demobank.camt_writer import CAMT_052_08
from app.demobank.challenges import METHODS
from app.demobank.payee_check import REPORT_FORMAT, VOP_ORDERS
from app.demobank.state import Account, Policy, TanMedium, User
from app.services.fints_segments import HIBMES2, HIBSES2, HIIPMS1

BANK_NAME = "Kontor Demobank"
BPD_VERSION = 7
PAIN_001 = (
    "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09",
    "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03",
)
PAIN_008 = (
    "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08",
    "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02",
)
# Orders that need a TAN according to HIPINS; the client then always sends HKTAN process 4 with them.
TAN_ORDERS = ("HKKAZ", "HKCAZ", "HKCCS", "HKCCM", "HKIPZ", "HKIPM", "HKDSE", "HKDME", "HKBSE", "HKBME")
FREE_ORDERS = ("HKSPA", "HKSAL", "HKTAB", "HKSYN", "HKEND", "HKTAN", "HKVVB", "HKIDN")

Element = str | list[str | None] | None


def generic(kind: str, version: int, *elements: Element) -> FinTS3Segment:
    """A segment python-fints has no class for, built on the generic base class with raw data elements."""
    return FinTS3Segment(header=SegmentHeader(kind, None, version), _additional_data=list(elements))


def _common() -> dict[str, object]:
    """Shared ParameterSegment fields: one order per message, one signature, authentication only."""
    return {
        "max_number_tasks": 1,
        "min_number_signatures": 1,
        "security_class": 1,
    }  # Sicherheitsklasse 1: authentication


def _twostep(sf: str, policy: Policy) -> TwoStepParameters7:
    """HITANS7 entry for one method; decoupled methods carry their polling parameters."""
    method = METHODS[sf]
    decoupled = method.kind == "decoupled"
    return TwoStepParameters7(
        security_function=sf,
        tan_process="2",
        tech_id=f"KDB_{method.kind.upper()}",
        zka_id=method.zka_id,
        zka_version=method.zka_version or None,
        name=method.name,
        max_length_input=6,
        allowed_format=AllowedFormat.NUMERIC,
        text_return_value="TAN",
        max_length_return_value=2048,
        multiple_tans_allowed=False,
        tan_time_dialog_association=TANTimeDialogAssociation.ALLOWED,
        cancel_allowed=False,
        sms_charge_account_required=SMSChargeAccountRequired.MUST_NOT,
        principal_account_required=PrincipalAccountRequired.MUST_NOT,
        challenge_class_required=False,
        challenge_structured=False,
        initialization_mode=InitializationMode.CLEARTEXT_PIN_NO_TAN,
        description_required=DescriptionRequired.MAY,
        response_hhd_uc_required=False,
        supported_media_number=1,
        decoupled_max_poll_number=60 if decoupled else None,
        wait_before_first_poll=2 if decoupled else None,
        wait_before_next_poll=2 if decoupled else None,
        manual_confirmation_allowed=True if decoupled else None,
        automated_polling_allowed=policy.decoupled_automatic_polling if decoupled else None,
    )


def bpd(blz: str, policy: Policy) -> list[FinTS3Segment]:
    """Bank parameter data: HIBPA plus one parameter segment per offered business transaction."""
    segments: list[FinTS3Segment] = [
        HIBPA3(
            bpd_version=BPD_VERSION,
            bank_identifier=BankIdentifier("280", blz),
            bank_name=BANK_NAME,
            number_tasks=3,
            supported_languages=SupportedLanguages2([Language2.DE]),
            supported_hbci_version=SupportedHBCIVersions2(["300"]),
            max_message_length=None,
        ),
        HISPAS1(
            **_common(),
            parameter=GetSEPAAccountParameter1(
                single_account_query_allowed=True,
                national_account_allowed=False,
                structured_purpose_allowed=True,
                supported_sepa_formats=list(PAIN_001 + PAIN_008),
            ),
        ),
        # HISALS version 7 (FinTS 3.0 Messages, Saldenabfrage Parameter): no parameter group.
        generic("HISALS", 7, "1", "1", "1"),
        # HICCSS version 1 (FinTS 3.0 Messages, SEPA-Einzelüberweisung Parameter): no parameter group.
        generic("HICCSS", 1, "1", "1", "1"),
        HICCMS1(
            **_common(),
            parameter=BatchTransferParameter1(
                max_transfer_count=1000, sum_amount_required=True, single_booking_allowed=True
            ),
        ),
        *_debits(HIDSES2, HIDMES2),
        *(_instant() if policy.offer_instant else []),
        *(_b2b() if policy.offer_b2b else []),
        # HITABS version 5 (FinTS 3.0 PIN/TAN, TAN-Generator/Liste anzeigen Bestand Parameter): none.
        generic("HITABS", 5, "1", "1", "1"),
        HITANS7(
            **_common(),
            parameter=ParameterTwostepTAN7(
                onestep_method_allowed=True,
                multiple_tasks_allowed=False,
                task_hash_algorithm=TaskHashAlgorithm.NONE,
                twostep_parameters=[_twostep(sf, policy) for sf in METHODS],
            ),
        ),
        HIPINS1(
            **_common(),
            parameter=ParameterPinTan(
                min_pin_length=5,
                max_pin_length=20,
                max_tan_length=6,
                user_id_field_text="Anmeldename",
                customer_id_field_text="Kunden-ID",
                transaction_tans_required=[
                    TransactionTanRequired(t, t in TAN_ORDERS) for t in TAN_ORDERS + FREE_ORDERS
                ],
            ),
        ),
    ]
    if policy.offer_mt940:
        # HIKAZS version 7 (FinTS 3.0 Messages, Kontoumsätze/Zeitraum Parameter):
        # storage period in days, number of entries allowed, all accounts allowed.
        segments.append(generic("HIKAZS", 7, "1", "1", "1", ["365", "J", "N"]))
    if policy.offer_camt:
        segments.append(
            HICAZS1(
                **_common(),
                parameter=TransactionsTimeParameter1(
                    storage_duration=365,
                    entry_number_entries_allowed=True,
                    all_accounts_allowed=False,
                    supported_camt_formats=[CAMT_052_08],
                ),
            )
        )
    if policy.vop:
        segments.append(
            HIVPPS1(
                **_common(),
                parameter=ParameterVoP(
                    max_trans=1000,
                    notice_is_structured=False,
                    report_complete="V",
                    batch_payment_allowed=True,
                    multiple_allowed=False,
                    supported_report_formats=REPORT_FORMAT,
                    payment_order_segment=list(VOP_ORDERS),
                ),
            )
        )
    return segments


def _instant() -> list[FinTS3Segment]:
    """SEPA Instant (HKIPZ, HKIPM): single transfers take no parameter group, batches the usual three."""
    batch = BatchTransferParameter1(max_transfer_count=1000, sum_amount_required=True, single_booking_allowed=True)
    return [generic("HIIPZS", 1, "1", "1", "1"), HIIPMS1(**_common(), parameter=batch)]


def _b2b() -> list[FinTS3Segment]:
    """SEPA B2B direct debits (HKBSE, HKBME), with the CORE debits' lead times."""
    return _debits(HIBSES2, HIBMES2)


def _debits(single: type[FinTS3Segment], batch: type[FinTS3Segment]) -> list[FinTS3Segment]:
    """Direct debit parameters (version 2 layout): one to 90 days' notice, batches up to 1,000, booked singly."""
    return [
        single(
            **_common(),
            parameter=ScheduledDebitParameter2(
                min_advance_notice="1", max_advance_notice="90", supported_sepa_formats=list(PAIN_008)
            ),
        ),
        batch(
            **_common(),
            parameter=ScheduledBatchDebitParameter2(
                min_advance_notice="1",
                max_advance_notice="90",
                max_debit_count=1000,
                sum_amount_required=True,
                single_booking_allowed=True,
                supported_sepa_formats=list(PAIN_008),
            ),
        ),
    ]


def upd(user: User, accounts: Sequence[Account], blz: str, *, camt: bool = True) -> list[FinTS3Segment]:
    """User parameter data: HIUPA plus one HIUPD per account with the allowed transactions."""
    orders = [t for t in TAN_ORDERS + ("HKSPA", "HKSAL", "HKTAB") if camt or t != "HKCAZ"]
    allowed = [AllowedTransaction(t, 1) for t in orders]
    return [
        HIUPA4(
            user_identifier=user.login,
            upd_version=user.upd_version,
            upd_usage=UPDUsage.UPD_CONCLUSIVE,
            username=user.name[:35],
        )
    ] + [
        HIUPD6(
            account_information=AccountInformation(a.number, "", BankIdentifier("280", blz)),
            iban=a.iban,
            customer_id=user.customer_id,
            account_type=a.account_type,
            account_currency=a.currency,
            name_account_owner_1=a.owner[:27],
            account_product_name=a.product[:30],
            allowed_transactions=allowed,
        )
        for a in accounts
    ]


def hispa(accounts: Sequence[Account], blz: str) -> HISPA1:
    """SEPA account list (HKSPA answer)."""
    return HISPA1(
        accounts=[
            KTZ1(
                is_sepa=True,
                iban=a.iban,
                bic=a.bic,
                account_number=a.number,
                subaccount_number="",
                bank_identifier=BankIdentifier("280", blz),
            )
            for a in accounts
        ]
    )


# HITAB version 5 (FinTS 3.0 PIN/TAN, TAN-Generator/Liste anzeigen Bestand Rückmeldung), written raw:
# python-fints' serializer renders an unset optional DEG nested in a DEG (TANMedia5.account, a 4-element
# Account3; TANMedia5.sms_charge_account, a 6-element KTI1) as one empty element, which its own parser then
# reads misaligned; so every element of TANMedia5 is listed explicitly.
def hitab5(media: Sequence[TanMedium]) -> FinTS3Segment:
    """TAN media list (HKTAB answer) in the raw layout python-fints can read back."""
    entries: list[Element] = []
    for medium in media:
        entries.append(
            [
                medium.media_class,
                TANMediumStatus.ACTIVE.value,
                medium.security_function,
                None,
                None,
                None,  # card number, card sequence, card type
                None,
                None,
                None,
                None,  # account: number, subaccount, country, bank code
                None,
                None,
                None,  # valid from, valid until, TAN list number
                medium.name,
                medium.phone_masked or None,
                None,  # medium name, masked and clear mobile number
                None,
                None,
                None,
                None,
                None,
                None,  # SMS charge account (KTI1)
                None,
                None,
                None,  # free TANs, last use, active since
            ]
        )
    return generic("HITAB", 5, TANUsageOption.ALL_ACTIVE.value, *entries)
