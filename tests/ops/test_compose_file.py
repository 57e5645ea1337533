"""docker-compose.yml, checked without a Docker daemon: valid against the part of the
Compose Specification it uses (tests/ops/compose.schema.json, strict on names), and
consistent with what it runs: the services it names exist, HAProxy's configuration
reaches the app nodes where they listen, the nodes scale (no host port) and drain
longer than HAProxy takes to see it, and every Guichet setting it sets is one
Guichet reads."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).with_name("compose.schema.json")).read_text())
HAPROXY = (ROOT / "deploy" / "haproxy.cfg").read_text()


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def errors(document: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [error.message for error in validator.iter_errors(document)]


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_docker_compose_follows_the_compose_specification(compose):
    assert errors(compose) == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda c: c["services"]["guichet"].update(dependson={"redis": {}}),  # a typo
        lambda c: c["services"]["guichet"]["depends_on"]["redis"].update(condition="up"),
        lambda c: c["services"]["haproxy"].update(ports=["80:eighty"]),
        lambda c: c["services"]["guichet"]["healthcheck"].update(interval="10 seconds"),
        lambda c: c["services"]["guichet"]["deploy"].update(replicas="two"),
        lambda c: c["services"]["redis"].pop("image"),
        lambda c: c.update(service=c.pop("services")),
    ],
    ids=["unknown-key", "condition", "port", "duration", "replicas", "no-image", "top-level"],
)
def test_the_schema_refuses_a_broken_file(compose, break_it):
    broken = copy.deepcopy(compose)
    break_it(broken)
    assert errors(broken)


def test_every_service_named_exists_and_every_file_mounted_is_in_the_repository(compose):
    services = compose["services"]
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, (name, needed)
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).is_file(), (name, source)
            else:
                assert source in compose.get("volumes", {}), (name, source)


def test_haproxy_sends_to_every_app_node_where_it_listens(compose):
    services = compose["services"]
    node = services["guichet"]
    assert node["command"] == ["guichet", "serve", "--bind", "0.0.0.0:8000"]
    assert node["deploy"]["replicas"] == 2
    assert "ports" not in node  # reached through HAProxy only, so it scales
    proxy = services["haproxy"]
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in proxy["volumes"]
    assert "8000:8000" in proxy["ports"]
    assert re.search(r"(?m)^    bind :8000$", HAPROXY)
    template = re.search(r"(?m)^    server-template \S+ (\d+) (\S+):(\d+) ", HAPROXY)
    assert template is not None
    slots, host, port = template.groups()
    assert (host, port) == ("guichet", "8000") and int(slots) >= node["deploy"]["replicas"]
    assert re.search(r"(?m)^    option httpchk GET /readyz$", HAPROXY)


def test_a_node_drains_longer_than_haproxy_takes_to_take_it_out(compose):
    environment = compose["services"]["guichet"]["environment"]
    check = re.search(r"inter (\d+)s fastinter (\d+)ms .*fall (\d+)", HAPROXY)
    inter, fastinter, fall = (int(value) for value in check.groups())
    out_after = inter + (fall - 1) * fastinter / 1000
    assert float(environment["WEB_DRAIN_SECONDS"]) > out_after
    assert environment["TRUSTED_PROXY_HOPS"] == "1"  # HAProxy, and nothing else


def test_the_stack_points_guichet_at_its_own_services(compose):
    services = compose["services"]
    environment = compose["services"]["guichet"]["environment"]
    assert urlsplit(environment["DATABASE_URL"]).hostname in services
    assert urlsplit(environment["REDIS_URL"]).hostname in services
    assert environment["SMTP_HOST"] in services
    assert services["worker"]["command"] == ["guichet", "worker"]
    assert services["worker"]["environment"] == compose["x-guichet-env"]


def test_every_setting_the_stack_sets_is_one_guichet_reads(compose):
    config = (ROOT / "kernel" / "config.py").read_text()
    for name in compose["services"]["guichet"]["environment"]:
        assert f'"{name}"' in config, f"{name} is not a Guichet setting"
