"""Signatures and read receipts against 2Checkout's worked vectors (reference 2checkout-notifications.md
§3.6) and against real IPNs whose keys are public:

- ``records/ipn-2021-pending.json``: the IPN of 2Checkout/2checkout-node-sdk@4948724
  ``test/spec_helper.js`` (``ipnCallbackReq``), key ``#test_Secret-keY``, HASH as sent (vector V3);
- ``records/ipn-2020-pending.json``: the IPN of 2Checkout/VirtueMart-2Checkout@cd2f2aa
  ``tests/helper/TcoTest.php``, key ``test``;
- ``records/ipn-2023-complete.json``: the IPN the PHP, Ruby and Node SDKs carry (its key is not
  public: used for its field order only, in test_fields.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twoco.domains.notifications.receipts import judge
from twoco.domains.notifications.signatures import Fields, hmac_hex, sign, signed_values, source

RECORDS = Path(__file__).parent / "records"
KEY = "AABBCCDDEEFF"


def record(name: str) -> Fields:
    """A recorded IPN's fields, arrays named as sent (``IPN_PID[]``)."""
    fields = json.loads((RECORDS / name).read_text())
    return [(f"{field}[]" if isinstance(value, list) else field, value) for field, value in fields]


def test_the_length_prefix_counts_utf8_bytes_and_an_empty_value_is_a_bare_zero() -> None:
    assert source(["Jürgen", "", "0", "abc"]) == "7Jürgen0103abc".encode()


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("md5", "7bf97ed39681027d0c45aa45e3ea98f0"),  # V1 [doc], verified
        ("sha256", "ea6f44c39b3d204b59500998fcb9221c92744d9721a94b45fc6d5cda99980176"),  # V1b
        ("sha3-256", "85180497aaaa4844a278b52b1ce257d2820dbf5857470a5f678fef2266d0d4a8"),
    ],
)
def test_v1_the_ipn_receipt_of_the_docs(algorithm: str, expected: str) -> None:
    values = ["1", "Software program", "20050303123434", "20050303123434"]
    assert source(values) == b"1116Software program14200503031234341420050303123434"
    assert hmac_hex(KEY, algorithm, values) == expected


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("md5", "cb34fe2991668eb82364edf62f845a34"),  # V2 [doc], verified
        ("sha256", "cdd64ce75e6cf013a60291229c83063a5d903eae3bfa216e99aae8af65a055e8"),  # V2b
        ("sha3-256", "7fc19d21103ea56f1b413315fb3feb5fbdd137758623a73c7ed12d9bb84f21db"),
    ],
)
def test_v2_the_lcn_receipt_of_the_docs(algorithm: str, expected: str) -> None:
    values = ["3C343D0FAF", "2005-03-03", "20081117145935"]
    assert source(values) == b"103C343D0FAF102005-03-031420081117145935"
    assert hmac_hex(KEY, algorithm, values) == expected


def test_v3_a_real_ipn_signs_to_the_hash_it_was_sent_with() -> None:
    fields = record("ipn-2021-pending.json")
    sent = dict(fields)["HASH"]
    assert sent == "294570c4158e879029d622c0165c409d"
    assert len(source(signed_values(fields))) == 633
    assert hmac_hex("#test_Secret-keY", "md5", signed_values(fields)) == sent
    # V3b [computed]: the same payload's SHA signatures.
    assert hmac_hex("#test_Secret-keY", "sha256", signed_values(fields)) == (
        "9fbd41fdcfec95829c8458b7a25324bdf97778d16a19cd270f8bd89829aff14e"
    )
    assert hmac_hex("#test_Secret-keY", "sha3-256", signed_values(fields)) == (
        "0e9b7b2b5a8a724a3e52cd31ec78e5e2db762dc8827f4d1af46c6d262ac37978"
    )


def test_a_second_real_ipn_signs_to_its_hash() -> None:
    fields = record("ipn-2020-pending.json")
    assert hmac_hex("test", "md5", signed_values(fields)) == "0fd2263ec78170040c100d851bf4644c"


def test_v4_arrays_are_expanded_element_by_element() -> None:
    fields: Fields = [("prop1", "value1"), ("prop2[]", ["value2"]), ("prop3", "value3"), ("prop4[]", ["value4"])]
    assert source(signed_values(fields)) == b"6value16value26value36value4"
    assert hmac_hex("#test_Secret-keY", "md5", signed_values(fields)) == "f0e3cdda89e0886b412f90dcfac51a0f"


def test_signing_appends_each_chosen_signature_over_the_same_values_in_2checkouts_order() -> None:
    fields = record("ipn-2021-pending.json")[:-1]  # without its HASH
    signed = sign(fields, "#test_Secret-keY", ["sha3-256", "md5", "sha256"])
    names = [name for name, _ in signed[-3:]]
    assert names == ["HASH", "SIGNATURE_SHA2_256", "SIGNATURE_SHA3_256"]
    assert dict(signed)["HASH"] == "294570c4158e879029d622c0165c409d"
    assert dict(signed)["SIGNATURE_SHA3_256"] == "0e9b7b2b5a8a724a3e52cd31ec78e5e2db762dc8827f4d1af46c6d262ac37978"
    assert [name for name, _ in sign(fields, "k", ["sha256"])[-1:]] == ["SIGNATURE_SHA2_256"]


# V3c [computed]: the receipt of the 2021 IPN for DATE 20050303123434.
V3C = {
    "md5": "b32ae39e1da406b3ed3c86da8fbe873e",
    "sha256": "c356e36ccfe762bf4d5d178e5a57c5358ed6de202f772220768ac7cfe7d5dbfc",
    "sha3-256": "b9db0c7c30d5ea95baf225b99d0118b9f871b6a2a4a3e8f6da8a6560e2689c5b",
}
IPN_2021 = record("ipn-2021-pending.json")
ALL = ["md5", "sha256", "sha3-256"]


def test_receipts_in_each_form_are_accepted() -> None:
    secret = "#test_Secret-keY"
    epayment = f"<html><body><EPAYMENT>20050303123434|{V3C['md5']}</EPAYMENT></body></html>".encode()
    assert judge("IPN", IPN_2021, secret, ALL, epayment).delivered
    for algorithm in ("sha256", "sha3-256"):
        answer = f'<sig algo="{algorithm}" date="20050303123434">{V3C[algorithm]}</sig>'.encode()
        verdict = judge("IPN", IPN_2021, secret, ALL, answer)
        assert verdict.delivered, verdict.reason
        assert verdict.reason == f"{algorithm} receipt dated '20050303123434'"


def test_the_hash_is_compared_case_insensitively_and_the_date_is_not_checked() -> None:
    secret = "#test_Secret-keY"
    upper = f"<EPAYMENT>20050303123434|{V3C['md5'].upper()}</EPAYMENT>".encode()
    assert judge("IPN", IPN_2021, secret, ALL, upper).delivered
    # The Ruby SDK answers "%F %T": its hash over that date counts.
    date = "2021-09-01 12:00:00"
    digest = hmac_hex(secret, "md5", ["35269746", "Colored Pencil", "20210416143408", date])
    assert judge("IPN", IPN_2021, secret, ALL, f"<EPAYMENT>{date}|{digest}</EPAYMENT>".encode()).delivered


def test_a_missing_receipt_is_not_a_delivery() -> None:
    verdict = judge("IPN", IPN_2021, "#test_Secret-keY", ALL, b"OK")
    assert (verdict.delivered, verdict.reason) == (False, "no receipt")


def test_a_receipt_with_a_wrong_hash_says_what_was_expected() -> None:
    verdict = judge("IPN", IPN_2021, "#test_Secret-keY", ALL, b"<EPAYMENT>20050303123434|0123abcd</EPAYMENT>")
    assert not verdict.delivered
    assert verdict.reason == (f"receipt hash differs: expected {V3C['md5']} for date '20050303123434', got '0123abcd'")


def test_a_receipt_in_an_algorithm_the_notification_was_not_signed_with_does_not_count() -> None:
    answer = f"<EPAYMENT>20050303123434|{V3C['md5']}</EPAYMENT>".encode()
    verdict = judge("IPN", IPN_2021, "#test_Secret-keY", ["sha256", "sha3-256"], answer)
    assert not verdict.delivered
    assert verdict.reason == "receipt in md5, which this notification is not signed with (sha256, sha3-256)"


def test_an_lcn_receipt_covers_license_code_expiration_date_and_date() -> None:
    fields: Fields = [("LICENSE_CODE", "3C343D0FAF"), ("EXPIRATION_DATE", "2005-03-03"), ("DATE_UPDATED", "x")]
    answer = b"<EPAYMENT>20081117145935|cb34fe2991668eb82364edf62f845a34</EPAYMENT>"
    assert judge("LCN", fields, KEY, ALL, answer).delivered
    sha3 = b'<sig algo="sha3-256" date="20081117145935">7fc19d21103ea56f1b413315fb3feb5fbdd137758623a73c7ed12d9bb84f21db</sig>'
    assert judge("LCN", fields, KEY, ALL, sha3).delivered
    # PHP's date("YmdGis") before ten o'clock: 13 digits, still a receipt (the docs' own LCN sample).
    short = "2008111795935"
    digest = hmac_hex(KEY, "sha256", ["3C343D0FAF", "2005-03-03", short])
    assert judge("LCN", fields, KEY, ALL, f'<sig algo="sha256" date="{short}">{digest}</sig>'.encode()).delivered


def test_the_python_sdks_sha3_label_is_read_as_sha3_256() -> None:
    """2Checkout's Python SDK answers algo="sha3_256" (hashlib's name): its receipts count."""
    answer = f'<sig algo="sha3_256" date="20050303123434">{V3C["sha3-256"]}</sig>'.encode()
    verdict = judge("IPN", IPN_2021, "#test_Secret-keY", ["sha3-256"], answer)
    assert verdict.delivered, verdict.reason
