"""The refund step: the refund queue (fed after the owing transaction commits, and by the overdue
sweep), its DLQ, and the payment providers' credentials: one Secrets Manager secret per provider
(cancelflow.refunds.credentials reads them), all three under one customer managed key of their
own (reading them needs this key as well as the secret: a broad ``secretsmanager:GetSecretValue``
grant elsewhere in the account is not enough to move money).

One key rather than one per provider: the same two functions (the refund worker and the refund
API, infra/access.py) read all three secrets, so three keys would separate no reader from any
secret; per-secret IAM grants are the boundary, and each key costs $1 a month and a key policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import CfnOutput
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import EnvConfig
from infra.keys import customer_key
from infra.queues import WorkQueue

# The fields of each provider's secret (cancelflow.refunds.credentials.ProviderCredentials; what
# each means for that provider: docs/refunds.md, "Credentials and keys"), as the placeholder the
# stack creates. null: must be written before the provider is used (until then reading the secret
# fails as CredentialsMissing naming those fields: nothing signs with an empty key); "" or {}: may
# stay empty (a default applies). The keys are the providers' names (cancelflow.domain.products.
# Channel, the balance excepted: it is our own ledger and has no credentials).
PLACEHOLDERS: dict[str, dict[str, object]] = {
    "alipay": {
        "merchant_id": None,
        "private_key": None,
        "provider_keys": None,
        "app_cert_sn": "",
        "alipay_root_cert_sn": "",
        "base_url": "",
    },
    "wechat_pay": {
        "merchant_id": None,
        "private_key": None,
        "serial_no": None,
        "provider_keys": None,
        "apiv3_key": None,
        "base_url": "",
        "notify_url": "",
    },
    "bank_card": {
        "merchant_id": None,
        "private_key": None,
        "serial_no": None,
        "provider_keys": None,
        "base_url": None,  # the acquirer has no public default host
    },
}
PROVIDERS = tuple(PLACEHOLDERS)
# Secrets Manager writes a random string under this key of the template (the secret is created
# with generated content, so no value, not even a placeholder's, is in the CloudFormation
# template); the reader ignores unknown keys, and the operator's put-secret-value replaces it all.
PLACEHOLDER_KEY = "placeholder"


def construct_id(provider: str) -> str:
    """``wechat_pay`` -> ``WechatPay`` (the secret's construct id, and so its logical id's start)."""
    return "".join(part.title() for part in provider.split("_"))


def secret_ids(secrets: Mapping[str, secretsmanager.ISecret]) -> str:
    """``CANCELFLOW_PROVIDER_SECRET_ARN``: the JSON object naming each provider's secret by ARN
    (the ARNs are tokens here; CloudFormation joins them into the string)."""
    return json.dumps({name: secrets[name].secret_arn for name in sorted(secrets)}, separators=(",", ":"))


class Refunds(Construct):
    def __init__(self, scope: Construct, cid: str, *, cfg: EnvConfig) -> None:
        super().__init__(scope, cid)
        self.work = WorkQueue(self, "Refund", name="refund")
        self.provider_key = customer_key(
            self, "ProviderKey", cfg=cfg, description=f"cancelflow {cfg.name} payment provider credentials"
        )
        group = Construct(self, "ProviderCredentials")
        self.provider_secrets: dict[str, secretsmanager.ISecret] = {}
        for name in PROVIDERS:
            # Names are CloudFormation's (the outputs below give the ARNs): a fixed name would
            # collide with a deleted secret still in its recovery window, or a retained one.
            secret = secretsmanager.Secret(
                group,
                construct_id(name),
                description=f"cancelflow {cfg.name} {name} refund credentials: the JSON fields of "
                "docs/deploy.md, 'Provider credentials' (null until written)",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template=json.dumps(PLACEHOLDERS[name]), generate_string_key=PLACEHOLDER_KEY
                ),
                encryption_key=self.provider_key,
                removal_policy=cfg.removal_policy,
            )
            self.provider_secrets[name] = secret
            CfnOutput(
                self,
                f"ProviderSecretArn{construct_id(name)}",
                value=secret.secret_arn,
                description=f"the {name} credentials secret (docs/deploy.md, 'Provider credentials')",
            )

    def attach(self, worker: lambda_.Function) -> None:
        self.work.attach(worker)
