"""Contract between deployments/prefect.yaml and the code: every entrypoint loads, parameters
validate against the flow's signature, schemas are enforced, schedules are in Asia/Shanghai."""

import uuid

import pytest
from prefect.flows import load_flow_from_entrypoint

from onematter.runtime.serve import load_deployments, runner_deployments
from tests.conftest import REPO

SPECS = load_deployments()
SAMPLE_PARAMETERS = {
    "combined-application": {"application_id": str(uuid.uuid4())},
    "matter-decision": {"application_no": "PHYJS-20261130-0001", "matter": "startup_loan"},
    "issue-documents": {"application_id": str(uuid.uuid4())},
    "deadline-watch": {},
    "sweep-stuck": {"day": "2026-11-30"},
    "job-digest": {"day": "2026-11-30"},
    "fair-reminder": {"day": "2026-11-30"},
    "training-reminder": {},
    "fair-outcome": {"day": "2026-11-30"},
    "training-completion": {},
    "task-escalation": {"day": "2026-11-30"},
    "deliver-notifications": {},
    "monthly-report": {"month": "2026-11"},
    "retention": {"day": "2026-11-30"},
}


def test_every_deployment_has_a_sample_and_a_known_name():
    assert sorted(s["name"] for s in SPECS) == sorted(SAMPLE_PARAMETERS)
    assert not any(s["name"].endswith("-deployment") for s in SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=[s["name"] for s in SPECS])
def test_entrypoint_loads_and_parameters_validate(spec):
    flow = load_flow_from_entrypoint(spec["entrypoint"])
    assert spec["enforce_parameter_schema"] is True
    params = {**(spec.get("parameters") or {}), **SAMPLE_PARAMETERS[spec["name"]]}
    flow.validate_parameters(params)
    with pytest.raises(Exception):
        flow.validate_parameters({**params, "unexpected": 1})
    for schedule in spec.get("schedules") or []:
        assert schedule["timezone"] == "Asia/Shanghai"


def test_parameters_carry_no_personal_data_fields():
    for spec in SPECS:
        flow = load_flow_from_entrypoint(spec["entrypoint"])
        names = set(flow.parameters.properties)
        assert not names & {"name", "id_number", "mobile", "applicant", "form"}, spec["name"]


def test_runner_deployments_build_with_enforced_schema():
    deployments = runner_deployments()
    assert all(d.enforce_parameter_schema for d in deployments)
    watch = next(d for d in deployments if d.name == "deadline-watch")
    assert watch.schedules and str(watch.schedules[0].schedule.timezone) == "Asia/Shanghai"
    combined = next(d for d in deployments if d.name == "combined-application")
    assert combined._parameter_openapi_schema.required == ["application_id"]


def test_every_followup_is_scheduled():
    crons = {s["name"]: [c["cron"] for c in s.get("schedules") or []] for s in SPECS}
    assert crons["job-digest"] == ["0 9 * * *"] and crons["fair-reminder"] == ["0 16 * * *"]
    assert crons["training-reminder"] == ["0 16 * * *"] and crons["deliver-notifications"] == ["*/5 * * * *"]
    assert crons["monthly-report"] == ["0 8 1 * *"] and crons["retention"] == ["0 3 * * *"]
    for name in ("deadline-watch", "fair-outcome", "training-completion", "task-escalation"):
        assert crons[name] == ["0 8 * * *"], name
