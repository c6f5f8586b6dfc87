"""Safe by default: loopback unless a token is set, the token on every request (compared in
constant time), bounded bodies, safe YAML, and no server path from a client."""
from __future__ import annotations

import pytest
from service_fixtures import YAML, as_yaml, line_layout_data

from twin.errors import InputError

from service.settings import ServiceSettings, is_loopback, read_token

TOKEN = "s3cret-token-0123456789"


def test_a_public_address_without_a_token_is_refused(workspace):
    with pytest.raises(InputError) as error:
        ServiceSettings(workspace, host="0.0.0.0").check()
    assert str(error.value) == ("--host 0.0.0.0 is reachable from other machines: give --token-file (every request "
                                "must then carry the token), or serve on 127.0.0.1")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com") and not is_loopback("::")


def test_the_command_refuses_to_start_in_public_without_a_token(tmp_path, capsys):
    from optimizer.cli import main

    assert main(["serve", "--host", "0.0.0.0", "--workspace", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: --host 0.0.0.0 is reachable from other machines")


def test_a_short_token_file_is_refused(tmp_path):
    path = tmp_path / "token"
    path.write_text("short\n")
    with pytest.raises(InputError, match="the token must be 16 to 4096 ASCII characters without spaces"):
        read_token(path)
    path.write_text(TOKEN + "\n")
    assert read_token(path) == TOKEN


def test_with_a_token_every_request_must_carry_it(make_client, line_yaml):
    client = make_client(host="0.0.0.0", token=TOKEN)
    for method, url in (("get", "/openapi.json"), ("get", "/v1/health"), ("get", "/v1/jobs"),
                        ("post", "/v1/layouts/validate")):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            response = client.request(method, url, headers=headers, content=line_yaml)
            assert response.status_code == 401, (url, headers)
            assert response.json()["type"] == "https://factory-twin.dev/problems/unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"
    good = {"Authorization": f"Bearer {TOKEN}", **YAML}
    assert client.post("/v1/layouts/validate", content=line_yaml, headers=good).json()["valid"] is True
    assert client.get("/openapi.json", headers=good).json()["security"] == [{"bearer": []}]


def test_bodies_over_the_limit_are_refused_even_without_a_length(make_client):
    client = make_client(max_body_bytes=1000)
    response = client.post("/v1/layouts/validate", content="x" * 1001, headers=YAML)
    assert response.status_code == 413
    assert response.json()["detail"] == "the request body is over the 1,000 bytes allowed"

    def chunks():  # sent chunked: no Content-Length to trust
        for _ in range(5):
            yield b"y" * 300

    response = client.post("/v1/layouts/validate", content=chunks(), headers=YAML)
    assert response.status_code == 413


def test_yaml_cannot_make_python_objects(client, tmp_path):
    marker = tmp_path / "ran"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\n"
    response = client.post("/v1/layouts/validate", content=text, headers=YAML)
    assert response.json()["valid"] is False
    assert "could not determine a constructor" in response.json()["problems"][0]["message"]
    assert not marker.exists()


@pytest.mark.parametrize("robot, message", [
    ("../../etc/arm.urdf", "robot file '../../etc/arm.urdf' must be a relative path inside the layout's folder "
                           "workspace/layouts"),
    ("/etc/passwd.urdf", "robot file '/etc/passwd.urdf' must be a relative path inside the layout's folder "
                         "workspace/layouts"),
    ("arm.urdf", "robot file 'arm.urdf' not found in workspace/layouts"),
])
def test_a_robot_file_outside_the_workspace_is_never_read(client, workspace, robot, message):
    data = line_layout_data()
    data["stations"][0] = {
        "id": "cut", "kind": "robot_cell", "footprint": {"width": 2.0, "depth": 2.0}, "position": [4.0, 5.0],
        "cell": {"robot": robot, "tasks": [{"id": "t", "waypoints": [{"name": "p", "xyz": [0.4, 0.0, 0.3]},
                                                                   {"name": "q", "xyz": [0.4, 0.2, 0.3]}]}]},
    }
    response = client.post("/v1/layouts/validate", content=as_yaml(data), headers=YAML)
    assert response.json()["problems"] == [{"path": "stations[0].cell.robot", "message": message}]
    assert str(workspace.resolve()) not in response.text  # the server's own paths stay on the server
