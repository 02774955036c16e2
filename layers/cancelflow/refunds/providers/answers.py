"""What each provider's answer means for us: one table per provider and kind of answer, the
documented codes each mapped to one ``Outcome`` (docs/refunds.md shows the same tables;
tests/refunds/test_tampering.py checks that the two agree).

The rule behind every row: a code that may hide a refund that went through (system errors,
"inconsistent repeat") is UNKNOWN, so the worker queries before anything else; a refusal that
moved no money and may pass later is RETRYABLE; a destination the customer must fix is
ACCOUNT_CLOSED; everything else refused is FINAL_FAILURE (a person looks, support can retry).
A code not in a table is FINAL_FAILURE when the answer says "refused", never SUCCEEDED.
"""

from __future__ import annotations

from cancelflow.refunds.model import Outcome

U, R, C, F = Outcome.UNKNOWN, Outcome.RETRYABLE, Outcome.ACCOUNT_CLOSED, Outcome.FINAL_FAILURE

# Alipay open platform, public error codes (公共错误码) of every gateway answer.
ALIPAY_GATEWAY: dict[str, Outcome] = {
    "20000": U,  # service unavailable (aop/isp.unknow-error): may have been acted on
    "20001": F,  # insufficient authorisation
    "40001": F,  # a required parameter is missing
    "40002": F,  # invalid parameter, our signature among them (isv.invalid-signature)
    "40003": F,  # condition not met
    "40005": R,  # call rate exceeded: refused, try later
    "40006": F,  # insufficient permissions
}
# alipay.trade.refund business errors (sub_code of code 40004), as documented.
ALIPAY_REFUND: dict[str, Outcome] = {
    "ACQ.SYSTEM_ERROR": U,  # "may or may not have succeeded: query, then retry the same number"
    "ACQ.DISCORDANT_REPEAT_REQUEST": U,  # this out_request_no already refunded, another amount
    "ACQ.ENTERPRISE_PAY_BIZ_ERROR": U,  # "query again; if it persists, call Alipay"
    "ACQ.SELLER_BALANCE_NOT_ENOUGH": R,  # top up the merchant account, then retry
    "ACQ.REFUND_CHARGE_ERROR": R,  # "retry after a while"
    "ACQ.BUYER_ERROR": C,  # buyer's account abnormal: refund offline or after it is fixed
    "ACQ.BUYER_NOT_EXIST": C,
    "ACQ.BUYER_ENABLE_STATUS_FORBID": C,
    "ACQ.CUSTOMER_VALIDATE_ERROR": C,  # account closed or frozen
    "ACQ.INVALID_PARAMETER": F,
    "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL": F,  # more than the trade's refundable amount
    "ACQ.REASON_TRADE_REFUND_FEE_ERR": F,
    "ACQ.REFUND_FEE_ERROR": F,
    "ACQ.REASON_TRADE_BEEN_FREEZEN": F,
    "ACQ.TRADE_NOT_EXIST": F,
    "ACQ.TRADE_HAS_FINISHED": F,
    "ACQ.TRADE_HAS_CLOSE": F,
    "ACQ.TRADE_STATUS_ERROR": F,
    "ACQ.REASON_TRADE_STATUS_INVALID": F,
    "ACQ.TRADE_NOT_ALLOW_REFUND": F,
    "ACQ.NOT_ALLOW_PARTIAL_REFUND": F,
    "ACQ.ONLINE_TRADE_VOUCHER_NOT_ALLOW_REFUND": F,
    "ACQ.TRADE_SETTLE_ERROR": F,
    "ACQ.CURRENCY_NOT_SUPPORT": F,
    "ACQ.USER_NOT_MATCH_ERR": F,
    "ACQ.ALLOC_AMOUNT_VALIDATE_ERROR": F,
    "ACQ.REFUNDALLOC_UNAUTH_LIMIT": F,
    "ACQ.REFUND_ROYALTY_PAYEE_ACCOUNT_NOT_EXIST": F,
    "ACQ.REFUND_ACCOUNT_NOT_EXIST": F,  # our funding account: a person fixes it
    "ACQ.OVERDRAFT_AGREEMENT_NOT_MATCH": F,
    "ACQ.OVERDRAFT_ASSIGN_ACCOUNT_INVALID": F,
}
# alipay.trade.fastpay.refund.query: any error but this is UNKNOWN (ask again later).
ALIPAY_QUERY: dict[str, Outcome] = {"ACQ.TRADE_NOT_EXIST": Outcome.NOT_FOUND}

# WeChat Pay API v3: the refund's status (answers, queries, the decrypted callback resource).
WECHAT_STATUS: dict[str, Outcome] = {
    "SUCCESS": Outcome.SUCCEEDED,
    "PROCESSING": Outcome.PENDING,
    "ABNORMAL": C,  # the buyer's account or card cannot receive it
    "CLOSED": F,
}
# POST /v3/refund/domestic/refunds error codes (HTTP 4xx/5xx body ``code``).
WECHAT_ERRORS: dict[str, Outcome] = {
    "SYSTEM_ERROR": U,  # "do not change out_refund_no; call again with the same parameters"
    "NOT_ENOUGH": R,  # merchant balance
    "FREQUENCY_LIMITED": R,  # not accepted; lower the rate and retry
    "USER_ACCOUNT_ABNORMAL": C,
    "PARAM_ERROR": F,
    "INVALID_REQUEST": F,  # well-formed but against the rules (e.g. amount.total not the trade's)
    "SIGN_ERROR": F,
    "NO_AUTH": F,
    "MCH_NOT_EXISTS": F,
    "RESOURCE_NOT_EXISTS": F,  # no such (paid) trade
    "REQUEST_BLOCKED": F,
}

# The acquirer's refund API (docs/refunds.md, "Bank card: the acquirer contract").
BANK_STATUS: dict[str, Outcome] = {
    "ACCEPTED": Outcome.PENDING,
    "SETTLED": Outcome.SUCCEEDED,
    "RETURNED": C,
}
BANK_ERRORS: dict[str, Outcome] = {
    "INTERNAL": U,
    "UNAVAILABLE": U,
    "INSUFFICIENT_FUNDS": R,
    "RATE_LIMITED": R,
    "ACCOUNT_CLOSED": C,
    "BAD_SIGNATURE": F,
    "INVALID": F,
}

TABLES: dict[tuple[str, str], dict[str, Outcome]] = {
    ("alipay", "gateway code"): ALIPAY_GATEWAY,
    ("alipay", "refund sub_code"): ALIPAY_REFUND,
    ("alipay", "query sub_code"): ALIPAY_QUERY,
    ("wechat_pay", "refund status"): WECHAT_STATUS,
    ("wechat_pay", "error code"): WECHAT_ERRORS,
    ("bank_card", "refund status"): BANK_STATUS,
    ("bank_card", "error code"): BANK_ERRORS,
}


def refused(table: dict[str, Outcome], code: str, status: int = 400) -> Outcome:
    """A refusal's outcome: the table's, else a server error is UNKNOWN and anything else final."""
    if code in table:
        return table[code]
    return U if status >= 500 else F
