"""FinTS segments python-fints 5.0.1 does not define: SEPA B2B direct debits, and the instant transfers' batch
parameters.

Defining a segment class registers it with python-fints' parser (by type and version), so the client reads the
bank's parameters and answers, and the demo bank reads the orders. Field layouts follow "FinTS 3.0 Messages –
Multibankfähige Geschäftsvorfälle" (SEPA-Firmenlastschrift: HKBSE/HKBME, like the CORE segments HKDSE/HKDME;
SEPA Instant Payment: HKIPZ/HKIPM, whose order segments python-fints has).
"""

from __future__ import annotations

from fints.fields import DataElementField, DataElementGroupField
from fints.formals import (
    KTI1,
    BatchTransferParameter1,
    ScheduledBatchDebitParameter1,
    ScheduledBatchDebitParameter2,
    ScheduledDebitParameter1,
    ScheduledDebitParameter2,
)
from fints.segments.base import FinTS3Segment, ParameterSegment
from fints.segments.debit import BatchDebitBase, DebitResponseBase


class _SingleDebit(FinTS3Segment):
    account = DataElementGroupField(type=KTI1, _d="Kontoverbindung international")
    sepa_descriptor = DataElementField(type="an", max_length=256, _d="SEPA Descriptor")
    sepa_pain_message = DataElementField(type="bin", _d="SEPA pain message")


class HKBSE1(_SingleDebit):
    """Terminierte SEPA-Firmeneinzellastschrift einreichen, version 1"""


class HKBSE2(_SingleDebit):
    """Terminierte SEPA-Firmeneinzellastschrift einreichen, version 2"""


class HIBSE1(DebitResponseBase):
    """Einreichung terminierter SEPA-Firmeneinzellastschrift bestätigen, version 1"""


class HIBSE2(DebitResponseBase):
    """Einreichung terminierter SEPA-Firmeneinzellastschrift bestätigen, version 2"""


class HIBSES1(ParameterSegment):
    """Parameter, version 1: lead times for FNAL/RCUR and FRST/OOFF (DKB: 2:28:2:28)"""

    parameter = DataElementGroupField(type=ScheduledDebitParameter1, _d="Parameter SEPA-Firmeneinzellastschrift")


class HIBSES2(ParameterSegment):
    """Parameter, version 2: lead times per sequence type and cut-off time (GLS: 0;1;110000:0;360)"""

    parameter = DataElementGroupField(type=ScheduledDebitParameter2, _d="Parameter SEPA-Firmeneinzellastschrift")


class HKBME1(BatchDebitBase):
    """Terminierte SEPA-Firmensammellastschrift einreichen, version 1"""


class HKBME2(BatchDebitBase):
    """Terminierte SEPA-Firmensammellastschrift einreichen, version 2"""


class HIBME1(DebitResponseBase):
    """Einreichung terminierter SEPA-Firmensammellastschrift bestätigen, version 1"""


class HIBME2(DebitResponseBase):
    """Einreichung terminierter SEPA-Firmensammellastschrift bestätigen, version 2"""


class HIBMES1(ParameterSegment):
    """Parameter, version 1: lead times, maximum count, sum field required, single booking allowed"""

    parameter = DataElementGroupField(type=ScheduledBatchDebitParameter1, _d="Parameter SEPA-Firmensammellastschrift")


class HIBMES2(ParameterSegment):
    """Parameter, version 2: as version 1 with the lead times of version 2"""

    parameter = DataElementGroupField(type=ScheduledBatchDebitParameter2, _d="Parameter SEPA-Firmensammellastschrift")


class HIIPMS1(ParameterSegment):
    """SEPA-Instant-Sammelüberweisung Parameter, version 1: python-fints sends HKIPM but has no class for its
    parameters, which it reads (sum field required, single booking allowed)."""

    parameter = DataElementGroupField(type=BatchTransferParameter1, _d="Parameter SEPA-Instant-Sammelüberweisung")
