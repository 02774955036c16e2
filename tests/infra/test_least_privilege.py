"""Least privilege, read back from the template: each function's role allows exactly the
actions on exactly the resources infra/access.py lists; no policy anywhere has a `*` action."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from cancelflow.store.schema import GSI_DUE

from infra import access, refunds, topology
from infra.nag import BUCKET_DEPLOYMENT
from tests.infra import tpl

# Resources by the logical-id prefix the stack gives them.
KINDS = (
    ("DataTable", "table"),
    ("DataIdempotencyTable", "idempotency"),
    ("ReviewQueue", "queue:review"),
    ("RefundsRefundQueue", "queue:refund"),
    ("SchedulesEventsScheduleDlq", "dlq:schedule"),
    ("SchedulesEventsPublisherDlq", "dlq:publisher"),
    ("EvidenceBucket", "evidence"),
    *((f"RefundsProviderCredentials{refunds.construct_id(p)}", f"secret:{p}") for p in refunds.PROVIDERS),
    ("RefundsProviderKey", "secret_key"),
    ("SchedulesEventsBus", "bus"),
)
CONSUME = ("sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:DeleteMessage",
           "sqs:GetQueueAttributes")  # fmt: skip
STREAM = (
    "dynamodb:ListStreams",
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
)
SCHEDULED = {s.function for s in topology.SCHEDULES}


def _kind(resource) -> str:
    if resource == "*":
        return "*"
    (lid,) = tpl.refs(resource)
    text = str(resource)
    if "Logs" in lid and lid.startswith("Functions"):
        return "logs"
    for prefix, kind in KINDS:
        if lid.startswith(prefix):
            if kind == "table" and "StreamArn" in text:
                return "stream"
            if kind == "table" and "/index/" in text:
                return "index:" + text.split("/index/")[1].split("'")[0]
            if kind == "evidence":
                assert text.endswith(f"/{access.EVIDENCE_PREFIX}*']]}}"), text
            return kind
    raise AssertionError(f"unclassified resource {resource}")


def _granted(template, function: str, effect: str = "Allow") -> set[tuple[str, str]]:
    out = set()
    for s in tpl.statements_of_role(template, tpl.role_id(template, function)):
        if s["Effect"] != effect:
            continue
        for action in tpl.as_list(s["Action"]):
            for resource in tpl.as_list(s["Resource"]):
                out.add((action, _kind(resource)))
    return out


def _expected(function: str) -> set[tuple[str, str]]:
    a = access.ACCESS[function]
    want = {("logs:CreateLogStream", "logs"), ("logs:PutLogEvents", "logs")}
    if a.table_read:
        want |= {(x, "table") for x in access.TABLE_READ}
        want |= {("dynamodb:Query", f"index:{i}") for i in a.indexes}
    if a.table_write:
        want |= {(x, "table") for x in access.TABLE_WRITE}
    if a.idempotency:
        want |= {(x, "idempotency") for x in access.IDEMPOTENCY}
    want |= {("sqs:SendMessage", f"queue:{q}") for q in a.send}
    want |= {(x, f"queue:{q}") for q in access.consumes(function) for x in CONSUME}
    if a.evidence_put:
        want.add(("s3:PutObject", "evidence"))
    if a.evidence_get:
        want.add(("s3:GetObject", "evidence"))
    if a.provider_secret:
        want |= {("secretsmanager:GetSecretValue", f"secret:{p}") for p in refunds.PROVIDERS}
        want.add(("kms:Decrypt", "secret_key"))
    if a.put_events:
        want.add(("events:PutEvents", "bus"))
    if access.reads_stream(function):  # the stream event source, and its on-failure destination
        want |= {(x, "stream") for x in STREAM}
        want |= {
            (x, "dlq:publisher") for x in ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
        }
    if function in SCHEDULED:  # async invocations that still fail are kept
        want.add(("sqs:SendMessage", "dlq:schedule"))
    return want


@pytest.mark.parametrize("function", sorted(topology.FUNCTIONS))
def test_function_role_allows_exactly_its_access_row(synth, function):
    """GIVEN access.ACCESS THEN the function's role allows exactly those (action, resource) pairs."""
    for template in synth.templates.values():
        assert _granted(template, function) == _expected(function)


def test_provider_secrets_are_under_their_own_key_used_only_through_secrets_manager(synth):
    """GIVEN one secret per provider, all under the providers' key THEN only the secrets' readers
    may decrypt with it, and only through Secrets Manager in the stack's region: a role with a
    broad GetSecretValue grant but not this key reads nothing."""
    for template in synth.templates.values():
        key_id, _ = tpl.only(template, "AWS::KMS::Key", "RefundsProviderKey")
        secrets = tpl.resources(template, "AWS::SecretsManager::Secret")
        assert len(secrets) == len(refunds.PROVIDERS) == 3
        for p in refunds.PROVIDERS:
            _, secret = tpl.only(template, "AWS::SecretsManager::Secret", refunds.construct_id(p))
            assert secret["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        for name, a in access.ACCESS.items():
            kms = [
                s
                for s in tpl.statements_of_role(template, tpl.role_id(template, name))
                if any(str(x).startswith("kms:") for x in tpl.as_list(s["Action"]))
            ]
            if not a.provider_secret:
                assert kms == [], name
                continue
            (s,) = kms
            assert s["Action"] == "kms:Decrypt" and tpl.refs(s["Resource"]) == {key_id}
            assert s["Condition"] == {
                "StringEquals": {"kms:ViaService": "secretsmanager.ap-east-1.amazonaws.com"}
            }


def test_secret_readers_get_exactly_the_three_secret_arns(synth):
    """GIVEN the functions with the provider-secret grant THEN each has one GetSecretValue
    statement naming the three secrets themselves (their Ref, the full ARN: no name pattern, no
    `*`), and no other function has any secretsmanager action."""
    readers = {name for name, a in access.ACCESS.items() if a.provider_secret}
    assert readers == {"refund_worker", "refund_api"}
    for template in synth.templates.values():
        ids = set(tpl.resources(template, "AWS::SecretsManager::Secret"))
        for name in access.ACCESS:
            statements = [
                s
                for s in tpl.statements_of_role(template, tpl.role_id(template, name))
                if any(str(x).startswith("secretsmanager:") for x in tpl.as_list(s["Action"]))
            ]
            if name not in readers:
                assert statements == [], name
                continue
            (s,) = statements
            assert s["Effect"] == "Allow" and s["Action"] == "secretsmanager:GetSecretValue"
            assert sorted(s["Resource"], key=str) == sorted(({"Ref": i} for i in ids), key=str)


def test_review_intake_cannot_issue_refunds_or_write_evidence(dev):
    """GIVEN the review intake THEN it cannot send to the refund queue, read provider secrets,
    touch S3, and is explicitly denied writing refund or payment items."""
    granted = _granted(dev, "review_intake")
    assert not {g for g in granted if g[1] == "queue:refund" or g[1].startswith(("secret", "evidence"))}
    assert not {g for g in granted if g[0].startswith("s3:")}
    denies = tpl.statements_of_role(dev, tpl.role_id(dev, "review_intake"))
    leading = [s["Condition"]["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"] for s in denies
               if s["Effect"] == "Deny" and "ForAnyValue:StringLike" in s.get("Condition", {})]  # fmt: skip
    assert leading == [[access.REFUND_KEYS, access.PAYMENT_KEYS]]


def test_the_completion_sweep_writes_orders_only_through_the_due_index(dev):
    """GIVEN the completion schedule THEN it reads the table and the due index only (no other
    index), sends nothing, touches no S3, secret or bus, and is explicitly denied writing
    tasks, refunds and payments: completing an order moves no money and no review."""
    granted = _granted(dev, "complete_orders")
    assert {g[1] for g in granted if g[1].startswith("index:")} == {f"index:{GSI_DUE}"}
    assert not {g for g in granted if g[1].startswith(("queue", "secret", "evidence", "bus"))}
    assert not {g for g in granted if g[0].split(":")[0] in ("s3", "events", "kms", "secretsmanager")}
    # its only send: a failed run to the schedules' dead-letter queue, like every sweep's
    assert {g for g in granted if g[0].startswith("sqs:")} == {("sqs:SendMessage", "dlq:schedule")}
    denies = tpl.statements_of_role(dev, tpl.role_id(dev, "complete_orders"))
    leading = [s["Condition"]["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"] for s in denies
               if s["Effect"] == "Deny" and "ForAnyValue:StringLike" in s.get("Condition", {})]  # fmt: skip
    assert leading == [[access.TASK_KEYS, access.REFUND_KEYS, access.PAYMENT_KEYS]]


def _denied_attributes(template, function: str) -> list[list[str]]:
    return [
        s["Condition"]["ForAnyValue:StringEquals"]["dynamodb:Attributes"]
        for s in tpl.statements_of_role(template, tpl.role_id(template, function))
        if s["Effect"] == "Deny" and "ForAnyValue:StringEquals" in s.get("Condition", {})
    ]


def test_only_the_review_api_can_record_a_decision(dev):
    """GIVEN the decision attributes THEN every table-writing function but the review API is
    explicitly denied writing them: the cancel function cannot decide reviews."""
    for name, a in access.ACCESS.items():
        denied = _denied_attributes(dev, name)
        if name in access.DECIDERS or not a.table_write:
            assert denied == [], name
        else:
            assert denied == [list(access.DECISION_ATTRIBUTES)], name
    assert "cancel_api" not in access.DECIDERS


def test_no_function_may_invoke_another_or_use_any_resource(dev):
    """GIVEN the roles THEN no function can invoke a Lambda and none has a `*` resource."""
    for name in topology.FUNCTIONS:
        granted = _granted(dev, name)
        assert not {g for g in granted if g[0].startswith("lambda:")}, name
        assert not {g for g in granted if g[1] == "*"}, name


POLICY_TYPES = {
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::KMS::Key": ("KeyPolicy",),
}


def _exempt(template, policy_id: str, policy) -> bool:
    """CDK's own BucketDeployment handler role (acknowledged in infra/nag.py, library code)."""
    roles = tpl.refs(policy["Properties"].get("Roles", []))
    pattern = BUCKET_DEPLOYMENT.replace(":", "").replace("*", "") + "*"
    return bool(roles) and all(fnmatchcase(r, pattern) for r in roles)


def _tls_only(statement) -> bool:
    return statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# What the SNS guide gives an AWS service that publishes to an encrypted topic ("Enable
# compatibility between event sources from AWS services and encrypted topics").
SERVICE_PUBLISH = ["kms:Decrypt", "kms:GenerateDataKey*"]


def _delegates_to_iam(res_type: str, statement) -> bool:
    """A key policy statement whose principal is this account (AWS's default key policy, and the
    CDK's Secrets Manager statements): it only lets IAM policies grant the key, and those are
    checked statement by statement here; or a service principal with exactly SERVICE_PUBLISH."""
    if res_type != "AWS::KMS::Key" or statement["Effect"] != "Allow":
        return False
    principal = statement["Principal"]
    if "Service" in principal:
        return tpl.as_list(statement["Action"]) == SERVICE_PUBLISH
    root = principal.get("AWS", {}).get("Fn::Join", ["", []])[1]
    return root[-2:] == [{"Ref": "AWS::AccountId"}, ":root"]


def test_no_wildcard_action_in_any_policy(synth):
    """GIVEN every policy document in both templates (role, bucket, queue, topic, key policies)
    THEN no statement that grants anything has an action with `*` (the one exemption is CDK's
    BucketDeployment role); a `*` only appears in the TLS-only Deny statements, which take away,
    and in key policies that hand the key to IAM (checked here) or to a publishing service."""
    for template in synth.templates.values():
        checked = 0
        for lid, res in template["Resources"].items():
            docs = [res["Properties"][k] for k in POLICY_TYPES.get(res["Type"], ()) if k in res["Properties"]]
            if res["Type"] == "AWS::IAM::Role":
                docs += [p["PolicyDocument"] for p in res["Properties"].get("Policies", [])]
            if res["Type"] == "AWS::IAM::Policy" and _exempt(template, lid, res):
                continue
            for doc in docs:
                for s in doc["Statement"]:
                    if _delegates_to_iam(res["Type"], s):
                        continue
                    for action in tpl.as_list(s.get("Action", [])) + tpl.as_list(s.get("NotAction", [])):
                        checked += 1
                        if s["Effect"] == "Deny":
                            assert "*" not in action or _tls_only(s), (lid, s)
                        else:
                            assert "*" not in action, (lid, action)
        assert checked > 50


def test_docs_show_the_access_table():
    """GIVEN docs/deploy.md THEN its access table is the one infra/access.py renders (no drift)."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    embedded = doc.split("<!-- access-table:start -->\n")[1].split("\n<!-- access-table:end -->")[0]
    assert embedded == access.markdown_table()


def test_the_publisher_writes_only_the_customers_inboxes(dev):
    """GIVEN the outbox publisher, which stores the customers' notices THEN its one table write
    grant is conditioned on every written partition key being an inbox's (INBOX#...): it can
    read an order to know whose it is, but never change an order, task, refund or payment."""
    writes = [
        s
        for s in tpl.statements_of_role(dev, tpl.role_id(dev, "event_publisher"))
        if s["Effect"] == "Allow" and "dynamodb:PutItem" in tpl.as_list(s["Action"])
    ]
    assert [s["Condition"] for s in writes] == [
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [access.INBOX_KEYS]}}
    ]
    others = [
        s
        for name in access.ACCESS
        if name != "event_publisher"
        for s in tpl.statements_of_role(dev, tpl.role_id(dev, name))
        if s["Effect"] == "Allow" and "ForAllValues:StringLike" in s.get("Condition", {})
    ]
    assert others == []  # no other function is limited this way: the rest write orders
