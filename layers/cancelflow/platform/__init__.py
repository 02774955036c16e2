"""The platform's own order steps (place an order, record its payment, fulfil it), behind the
platform API (functions/platform): what the cancellation steps act on."""
