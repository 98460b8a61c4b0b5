"""The explorer with options: event groups (a level on the drug page), trial panels from ADaM
files, and a lake whose manifest changes under the running app (the connection is reopened)."""

from __future__ import annotations

import io
import shutil
from urllib.parse import urlencode

import pandas as pd
import pytest
from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def groups_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("groups") / "groups.yaml"
    p.write_text("groups:\n  NERVOUS: [HEADACHE, DIZZINESS, TREMOR]\n  GUT: [DIARRHOEA, VOMITING]\n", encoding="utf-8")
    return p


def test_group_level(web_lake, groups_file):
    from pvsignal import api
    from pvsignal.web import create_app

    c = TestClient(create_app(web_lake, groups=groups_file), raise_server_exceptions=False)
    definition = api.case_definition(event_level="group", event_groups=str(groups_file))
    want = api.signals(web_lake, definition=definition).table
    drug = str(want["drug"].value_counts().index[0])
    r = c.get("/drug", params={"drug": drug, "level": "group"})
    assert r.status_code == 200 and '<option value="group" selected>' in r.text
    got = pd.read_csv(io.BytesIO(c.get("/drug/export", params={"drug": drug, "level": "group"}).content))
    assert sorted(got["event"]) == sorted(want.loc[want["drug"] == drug, "event"])
    ev = str(want.loc[want["drug"] == drug, "event"].iloc[0])
    q = {"drug": drug, "event": ev, "level": "group"}
    assert c.get("/event", params=q).status_code == 200
    listing = c.get("/event/panel", params={**q, "panel": "listing"}, headers={"X-Panel": "1"})
    n = len(api.case_listing(drug, ev, lake=web_lake, level="group", groups=groups_file))
    assert listing.status_code == 200 and f"{min(n, 200)} of {n} rows shown" in listing.text
    assert c.get("/drug", params={"drug": drug, "level": "soc"}).status_code == 400  # no MedDRA given


def test_trial_panels(web_lake, tmp_path):
    from pvsignal import api
    from pvsignal.synth.trial import synthesize_trial
    from pvsignal.web import create_app

    trial = synthesize_trial(tmp_path / "trial", n_per_arm=30, fmt="csv")
    app = create_app(web_lake, adsl=trial.adsl, adae=trial.adae, adlb=trial.adlb, rules="voclosporin")
    c = TestClient(app, raise_server_exceptions=False)
    r = c.get("/trial")
    assert r.status_code == 200 and 'id="incidence"' in r.text and 'id="dosing"' in r.text
    assert 'href="/trial"' in c.get("/").text
    want = api.trial_incidence(trial.adsl, trial.adae).table
    got = pd.read_csv(io.BytesIO(c.get("/trial/export", params={"table": "incidence"}).content))
    assert len(got) == len(want)
    assert c.get("/trial/export", params={"table": "dosing", "format": "xlsx"}).status_code == 200


def test_manifest_change_reopens(web_lake, tmp_path):
    from pvsignal.web import create_app

    lake = tmp_path / "lake"
    shutil.copytree(web_lake, lake)
    app = create_app(lake)
    c = TestClient(app, raise_server_exceptions=False)
    assert c.get("/about").status_code == 200
    state = app.state.lake
    opened = state.reopened
    assert c.get("/about").status_code == 200 and state.reopened == opened  # same manifest: same connection
    manifest = lake / "manifest.json"
    tmp = lake / ".manifest.json.new"
    tmp.write_bytes(manifest.read_bytes())
    tmp.replace(manifest)  # how the lake commits: a new file renamed over the old
    drug = next(iter(state.scored().rows))
    assert c.get("/drug?" + urlencode({"drug": drug})).status_code == 200
    assert state.reopened == opened + 1
