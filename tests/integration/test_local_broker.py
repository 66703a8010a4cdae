"""The local stack's Kafka broker (deploy/local/stack.py): its logs are bounded, so that
benchmarks and long sessions do not fill the disk."""

import importlib.util
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

STACK_PY = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.py"


def stack_module():
    spec = importlib.util.spec_from_file_location("local_stack", STACK_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_local_broker_keeps_a_bounded_log_per_partition(settings):
    # Given the local stack's broker
    stack = stack_module()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        # When its configuration is described
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
    finally:
        await admin.close()
    configs = {entry[0]: entry[1] for entry in response.resources[0][4]}
    # Then each partition keeps a bounded size, in segments that can be deleted, for a day
    assert int(configs["log.retention.bytes"]) == stack.LOG_RETENTION_BYTES
    assert int(configs["log.segment.bytes"]) == stack.LOG_SEGMENT_BYTES
    assert int(configs["log.retention.hours"]) == 24
    assert stack.LOG_SEGMENT_BYTES < stack.LOG_RETENTION_BYTES
