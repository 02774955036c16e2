"""The review step's queue: cancel (and stop-delivery, appeal, after-sales) requests that need a
person arrive here and the intake consumer turns each into one review task."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.queues import WorkQueue


class ReviewPipeline(Construct):
    def __init__(self, scope: Construct, cid: str) -> None:
        super().__init__(scope, cid)
        self.work = WorkQueue(self, "Review", name="review")

    def attach(self, intake: lambda_.Function) -> None:
        self.work.attach(intake)
