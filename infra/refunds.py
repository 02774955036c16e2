"""The refund step: the refund queue (fed after the owing transaction commits, and by the overdue
sweep), its DLQ, and the payment providers' credentials in Secrets Manager under a key of their
own (reading them needs this key as well as the secret: a broad ``secretsmanager:GetSecretValue``
grant elsewhere in the account is not enough to move money)."""

from __future__ import annotations

from aws_cdk import CfnOutput
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import EnvConfig
from infra.keys import customer_key
from infra.queues import WorkQueue

# Filled in after the first deploy (docs/deploy.md); the worker reads it at run time and never logs it.
SECRET_TEMPLATE = '{"alipay": {}, "wechat_pay": {}, "bank_card": {}}'


class Refunds(Construct):
    def __init__(self, scope: Construct, cid: str, *, cfg: EnvConfig) -> None:
        super().__init__(scope, cid)
        self.work = WorkQueue(self, "Refund", name="refund")
        self.provider_key = customer_key(
            self, "ProviderKey", cfg=cfg, description=f"cancelflow {cfg.name} payment provider credentials"
        )
        self.provider_secret = secretsmanager.Secret(
            self,
            "ProviderCredentials",
            description="cancelflow payment provider credentials (Alipay, WeChat Pay, bank)",
            secret_string_value=None,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=SECRET_TEMPLATE, generate_string_key="placeholder"
            ),
            encryption_key=self.provider_key,
            removal_policy=cfg.removal_policy,
        )

        CfnOutput(self, "ProviderSecretArn", value=self.provider_secret.secret_arn)

    def attach(self, worker: lambda_.Function) -> None:
        self.work.attach(worker)
