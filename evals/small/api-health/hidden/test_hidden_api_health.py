from app import app
from fastapi.testclient import TestClient

client = TestClient(app)


def test_health():
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_root_still_works():
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"message": "hello"}
