"""The service starts, publishes its OpenAPI schema and answers a POS batch."""

from tests.integration.api.conftest import sale


def test_the_openapi_schema_is_published(api):
    with api.client() as c:
        schema = c.get("/openapi.json").json()
    assert "/pos/batches" in schema["paths"]


def test_a_pos_device_uploads_a_batch_of_its_store(api):
    with api.client("pos_s2") as c:
        r = c.post(
            "/pos/batches", json={"lines": [sale(1), sale(2)]}, headers={"Idempotency-Key": "b1"}
        )
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2
