"""Queues with DLQs and their consumers, schedules, the bus and the outbox publisher."""

from __future__ import annotations

from cancelflow.store.schema import QUEUES

from infra import topology
from infra.config import cdk_json_context
from tests.infra import tpl


def _queue_ids(template):
    return {
        "review": tpl.only(template, "AWS::SQS::Queue", "ReviewQueue")[0],
        "refund": tpl.only(template, "AWS::SQS::Queue", "RefundQueue")[0],
    }


def test_every_work_queue_redrives_to_a_dlq(dev):
    """GIVEN schema.QUEUES THEN each queue has its visibility timeout, SSE, and a DLQ redrive."""
    assert set(_queue_ids(dev)) == set(QUEUES)
    for name, lid in _queue_ids(dev).items():
        p = dev["Resources"][lid]["Properties"]
        assert p["VisibilityTimeout"] == QUEUES[name]["visibility_timeout"]
        assert p["SqsManagedSseEnabled"] is True
        redrive = p["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == QUEUES[name]["max_receive_count"]
        dlq = tpl.refs(redrive["deadLetterTargetArn"]).pop()
        assert dev["Resources"][dlq]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_consumers_use_partial_batches_and_bounded_concurrency(dev):
    """GIVEN topology.CONSUMERS THEN each mapping reads its queue with batch size, partial batch
    failures and maximum concurrency from schema.QUEUES."""
    ids = tpl.function_ids(dev)
    queues = _queue_ids(dev)
    mappings = tpl.resources(dev, "AWS::Lambda::EventSourceMapping").values()
    for consumer in topology.CONSUMERS:
        conf = QUEUES[consumer.queue]
        (m,) = [
            m["Properties"]
            for m in mappings
            if m["Properties"]["FunctionName"] == {"Ref": ids[consumer.function]}
        ]
        assert tpl.refs(m["EventSourceArn"]) == {queues[consumer.queue]}
        assert m["BatchSize"] == conf["batch_size"]
        assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert m["ScalingConfig"] == {"MaximumConcurrency": conf["max_concurrency"]}


def test_a_reserved_consumer_can_take_all_its_event_source_sends(dev, prod):
    """GIVEN an environment that reserves concurrency for a queue consumer THEN at least its event
    source's maximum concurrency: fewer and Lambda throttles the poller, and throttled messages
    count receives towards their DLQ. Prod reserves for both consumers (capacity the API cannot take)."""
    ctx = cdk_json_context()["cancelflow"]
    for consumer in topology.CONSUMERS:
        assert consumer.function in ctx["prod"]["reserved_concurrency"]
    for env, template in (("dev", dev), ("prod", prod)):
        ids = tpl.function_ids(template)
        for consumer in topology.CONSUMERS:
            fn = template["Resources"][ids[consumer.function]]["Properties"]
            reserved = fn.get("ReservedConcurrentExecutions")
            if reserved is not None:
                assert reserved >= QUEUES[consumer.queue]["max_concurrency"], (env, consumer.function)


def test_stream_publisher_reads_history_with_failure_destination(dev):
    """GIVEN the outbox THEN the publisher reads the table stream (history inserts only), bisects
    failing batches and sends what it gives up on to its DLQ."""
    ids = tpl.function_ids(dev)
    (m,) = [
        m["Properties"]
        for m in tpl.resources(dev, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": ids[topology.STREAM_CONSUMERS[0]]}
    ]
    table_id, _ = tpl.only(dev, "AWS::DynamoDB::GlobalTable", "DataTable")
    assert tpl.refs(m["EventSourceArn"]) == {table_id}
    assert m["BisectBatchOnFunctionError"] is True
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    dlq = tpl.refs(m["DestinationConfig"]["OnFailure"]["Destination"]).pop()
    assert "PublisherDlq" in dlq
    assert "history" in m["FilterCriteria"]["Filters"][0]["Pattern"]


def test_schedules_follow_topology_with_env_overrides(dev, prod):
    """GIVEN topology.SCHEDULES and cdk.json overrides THEN each sweep has a rate rule with a DLQ."""
    ctx = cdk_json_context()["cancelflow"]
    for env, template in (("dev", dev), ("prod", prod)):
        ids = tpl.function_ids(template)
        rules = tpl.resources(template, "AWS::Events::Rule").values()
        for sched in topology.SCHEDULES:
            minutes = ctx[env]["schedule_rates"].get(sched.function, sched.rate_minutes)
            (rule,) = [
                r["Properties"]
                for r in rules
                if "ScheduleExpression" in r["Properties"]
                and tpl.refs(r["Properties"]["Targets"]) & {ids[sched.function]}
            ]
            unit = "minute" if minutes == 1 else "minutes"
            assert rule["ScheduleExpression"] == f"rate({minutes} {unit})"
            assert "Arn" in rule["Targets"][0]["DeadLetterConfig"]


def test_custom_bus_with_archive(dev):
    """GIVEN domain events THEN there is a custom bus, archived for replay, and the publisher
    is told its name."""
    bus_id, _ = tpl.only(dev, "AWS::Events::EventBus")
    _, archive = tpl.only(dev, "AWS::Events::Archive")
    assert tpl.refs(archive["Properties"]["SourceArn"]) == {bus_id}
    fn = dev["Resources"][tpl.function_ids(dev)["event_publisher"]]
    assert tpl.refs(fn["Properties"]["Environment"]["Variables"]["CANCELFLOW_EVENT_BUS"]) == {bus_id}


def test_every_transition_into_a_stuck_state_reaches_the_operations_topic(dev):
    """GIVEN the synthesised stack THEN one rule on the bus sends to the operations topic exactly
    the events that need a person: a refund entering needs_attention or needs_customer_action, a
    refund or review overdue, a refund chased by its customer, a customer waiting past support's
    answer in a conversation; and the history entries the refund
    worker writes on entering those states are the ones those events come from."""
    from cancelflow.events.catalogue import BY_HISTORY_EVENT
    from cancelflow.refunds.lifecycle import EVENTS
    from cancelflow.store.refunds.records import RefundStatus

    stuck = {
        "refund.needs_attention",
        "refund.needs_customer_action",
        "refund.overdue",
        "refund.chased",
        "review.overdue",
        "conversation.answer_overdue",
    }
    _, rule = tpl.only(dev, "AWS::Events::Rule", "NeedsAPersonToOps")
    p = rule["Properties"]
    assert p["EventBusName"] and set(p["EventPattern"]["detail-type"]) == stuck
    assert p["EventPattern"]["source"] == ["cancelflow"]
    topic, _ = tpl.only(dev, "AWS::SNS::Topic", "Ops")
    assert [tpl.refs(t["Arn"]) for t in p["Targets"]] == [{topic}]
    # no other rule sends to the topic, so what reaches it is exactly the list above
    to_topic = [r for r in tpl.resources(dev, "AWS::Events::Rule").values() if topic in tpl.refs(r)]
    assert len(to_topic) == 1
    for status in (RefundStatus.NEEDS_ATTENTION, RefundStatus.NEEDS_CUSTOMER_ACTION):
        event, _ = BY_HISTORY_EVENT[EVENTS[status]]
        assert event.name in stuck
