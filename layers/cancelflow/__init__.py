"""cancelflow: order cancellation, review and refunds for a virtual-goods marketplace.

This package is the shared Lambda layer. Submodules import their heavy dependencies
(boto3, Powertools) lazily so that importing a handler stays cheap on a cold start.
"""

__version__ = "0.1.0"
