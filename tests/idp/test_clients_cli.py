"""`guichet clients add|list|show|remove`."""

import json


def add(runner, *args):
    return runner.invoke(
        args=[
            "clients",
            "add",
            "--name",
            "Livret scolaire",
            "--redirect-uri",
            "https://livret.example/callback",
            *args,
        ]
    )


def test_add_prints_the_client_and_its_secret_as_json(runner, app_ctx):
    result = add(
        runner,
        "--scope",
        "openid profile children",
        "--trusted",
        "--post-logout-redirect-uri",
        "https://livret.example/",
        "--backchannel-logout-uri",
        "https://livret.example/bcl",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["client_secret"] and data["client_id"]
    assert data["trusted"] is True and data["sector"] == "livret.example"
    assert data["scope"] == "openid profile children"
    shown = json.loads(runner.invoke(args=["clients", "show", data["client_id"], "--json"]).output)
    assert "client_secret" not in shown
    listed = json.loads(runner.invoke(args=["clients", "list", "--json"]).output)
    assert [c["client_id"] for c in listed] == [data["client_id"]]


def test_public_client_has_no_secret(runner, app_ctx):
    data = json.loads(add(runner, "--auth-method", "none", "--json").output)
    assert "client_secret" not in data and data["auth_method"] == "none"


def test_bad_input_is_refused_in_french(runner, app_ctx):
    assert "Portée inconnue" in add(runner, "--scope", "openid admin").output
    bad_uri = runner.invoke(args=["clients", "add", "--name", "X", "--redirect-uri", "/cb"])
    assert bad_uri.exit_code != 0 and "Adresse invalide" in bad_uri.output
    assert add(runner, "--auth-method", "private_key_jwt").exit_code != 0


def test_remove_deletes_the_client(runner, app_ctx):
    client_id = json.loads(add(runner, "--json").output)["client_id"]
    assert runner.invoke(args=["clients", "remove", client_id]).exit_code == 0
    assert runner.invoke(args=["clients", "show", client_id]).exit_code != 0
