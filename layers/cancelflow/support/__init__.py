"""Support's tools on one order (docs/domain.md, "Support's tools"): confirm a payment whose
callback never came (``lost_payment``), cancel an order for a stock error, fraud or a supplier's
failure (``staff_cancel``). Each acts through the same path as the platform's or the customer's
own, with actor support, who and why in the order's history."""
