"""The printable page of a dispute record, in zh-CN or en: the same facts as its JSON, laid out
for paper (print stylesheet, no script), with the record id and hash a reader quotes to support
to have it verified. Every value is escaped: request texts and reviewers' notes are free text."""

from __future__ import annotations

from html import escape
from typing import Any

from cancelflow.cancel.dispute_record import DisputeRecordOut
from cancelflow.domain.calendar import cst_display

# label -> (zh-CN, en)
LABELS: dict[str, tuple[str, str]] = {
    "title": ("订单争议记录", "Order dispute record"),
    "intro": (
        "本记录由平台签发，可提交给 12315 或支付机构的争议渠道。记录编号和哈希值可交客服核验真伪。",
        "Issued by the platform for 12315 or a payment provider's dispute channel. Quote the record "
        "id and hash to support to have it verified.",
    ),
    "record_id": ("记录编号", "Record id"),
    "sha256": ("SHA-256 哈希", "SHA-256 hash"),
    "issued_at": ("签发时间（北京时间）", "Issued at (China time)"),
    "order": ("订单", "Order"),
    "payments": ("支付", "Payments"),
    "refunds": ("退款", "Refunds"),
    "requests": ("取消申请", "Cancellation requests"),
    "timeline": ("处理记录", "Timeline"),
    "none": ("无", "None"),
}
ORDER_FIELDS = (
    "order_id",
    "product_id",
    "product_type",
    "amount",
    "status",
    "created_at",
    "paid_at",
    "payment_channel",
    "paid_amount",
    "refunded_amount",
    "delivered_at",
    "completed_at",
    "cancelled_at",
    "cancel_reason",
)
PAYMENT_COLUMNS = ("trade_no", "channel", "amount", "refunded")
REFUND_COLUMNS = (
    "refund_id",
    "refund_no",
    "trade_no",
    "provider_ref",
    "amount",
    "channel",
    "status",
    "created_at",
    "settled_at",
)
REQUEST_COLUMNS = (
    "request_id",
    "action",
    "reason_code",
    "status",
    "amount",
    "created_at",
    "rejection_reason",
)
TIMELINE_COLUMNS = ("at", "title", "actor", "reason", "amount", "rejection_reason")
STYLE = (
    "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:2em;color:#111}"
    "table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
    "th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.9em}"
    "code{word-break:break-all}@media print{body{margin:0}}"
)


def _label(key: str, en: bool) -> str:
    zh, eng = LABELS[key]
    return eng if en else zh


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return escape(cst_display(v))
    return escape(str(v.value if hasattr(v, "value") else v))


def _table(rows: list[Any], columns: tuple[str, ...], en: bool) -> str:
    if not rows:
        return f"<p>{_label('none', en)}</p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(getattr(r, c))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(out: DisputeRecordOut, lang: str) -> str:
    en = lang.lower().startswith("en")
    r = out.record
    order = "".join(
        f"<tr><th>{escape(f)}</th><td>{_cell(getattr(r.order, f))}</td></tr>" for f in ORDER_FIELDS
    )
    sections = [
        ("order", f"<table><tbody>{order}</tbody></table>"),
        ("payments", _table(r.payments, PAYMENT_COLUMNS, en)),
        ("refunds", _table(r.refunds, REFUND_COLUMNS, en)),
        ("requests", _table(r.requests, REQUEST_COLUMNS, en)),
        ("timeline", _table(r.timeline, TIMELINE_COLUMNS, en)),
    ]
    body = "".join(f"<h2>{_label(k, en)}</h2>{html}" for k, html in sections)
    return (
        f'<!doctype html><html lang="{"en" if en else "zh-CN"}"><head><meta charset="utf-8">'
        f"<title>{_label('title', en)} {escape(r.order.order_id)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{_label('title', en)}</h1><p>{_label('intro', en)}</p>"
        f"<table><tbody><tr><th>{_label('record_id', en)}</th>"
        f"<td><code>{escape(out.record_id)}</code></td></tr>"
        f"<tr><th>{_label('sha256', en)}</th><td><code>{escape(out.sha256)}</code></td></tr>"
        f"<tr><th>{_label('issued_at', en)}</th><td>{_cell(out.issued_at)}</td></tr></tbody></table>"
        f"{body}</body></html>"
    )
