from app import app
from fastapi.testclient import TestClient

client = TestClient(app)


def test_add():
    response = client.post("/add", json={"a": 2, "b": 3})
    assert response.status_code == 200
    assert response.json() == {"sum": 5}


def test_add_decimals_and_negatives():
    assert client.post("/add", json={"a": 1.5, "b": 2.25}).json() == {"sum": 3.75}
    assert client.post("/add", json={"a": -4, "b": 1}).json() == {"sum": -3}


def test_root_still_works():
    assert client.get("/").json() == {"message": "calculator"}
