import pytest
from app.auth import hash_password, verify_password
from app.main import create_app
from app.settings import Settings
from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


def make_client(ttl_s: int = 60) -> TestClient:
    return TestClient(create_app(Settings(secret_key=b"test-secret", token_ttl_s=ttl_s)))


@pytest.fixture
def client() -> TestClient:
    return make_client()


def register(client: TestClient, username: str = "alice", password: str = PASSWORD):
    return client.post("/register", json={"username": username, "password": password})


def login(client: TestClient, username: str = "alice", password: str = PASSWORD):
    return client.post("/login", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_passwords_are_salted_and_verified():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and PASSWORD not in first
    assert verify_password(PASSWORD, first)
    assert not verify_password("wrong password", first)


def test_register(client):
    response = register(client)
    assert response.status_code == 201, response.text
    assert response.json() == {"username": "alice"}


def test_register_twice_is_a_conflict(client):
    register(client)
    assert register(client).status_code == 409


def test_register_rejects_a_short_password(client):
    assert register(client, password="short").status_code == 422


def test_login_returns_a_bearer_token(client):
    register(client)
    response = login(client)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password"), ("bob", PASSWORD)])
def test_login_with_wrong_credentials_is_401(client, username, password):
    register(client)
    assert login(client, username, password).status_code == 401


def test_me_with_a_token(client):
    register(client)
    token = login(client).json()["access_token"]
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"username": "alice"}


def test_me_without_a_token_is_401(client):
    response = client.get("/me")
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"


def test_me_with_a_tampered_token_is_401(client):
    register(client)
    token = login(client).json()["access_token"]
    assert client.get("/me", headers=bearer(token + "x")).status_code == 401


def test_me_with_an_expired_token_is_401():
    client = make_client(ttl_s=0)
    register(client)
    token = login(client).json()["access_token"]
    assert client.get("/me", headers=bearer(token)).status_code == 401
