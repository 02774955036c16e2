"""What happens if I cancel, for one product, before buying (docs/domain.md, "Products and
policies", readable): its type's current policy as prose in the reader's language, and the
version an order placed now is judged by. Anyone may read it, signed in or not: every product in
the catalogue is published. Integrations: DynamoDB (the product, cached as for orders)."""

from __future__ import annotations

from cancelflow.domain.policy import policy_version
from cancelflow.domain.policy_prose import ProductPolicy, readable
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import stock


def product_policy(product_id: str, lang: str) -> ProductPolicy:
    product = stock.product_for_order(product_id)
    if product is None:
        raise DomainError(ErrorCode.PRODUCT_NOT_FOUND, {"product_id": product_id})
    policy = get_settings().policies.for_type(product.product_type)
    prose = readable(policy, lang)
    name = product.name_en if prose.lang == "en" else product.name_zh
    return ProductPolicy(product.product_id, name, product.price, policy_version(policy), prose)
