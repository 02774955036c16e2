"""The pure domain: states, policies, reasons, risk and the one answer to "what may I do now".

Nothing here does I/O, so it is cheap to import and exhaustively testable.
"""
