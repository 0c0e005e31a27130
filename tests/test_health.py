"""`/healthz`, what load balancers ask (issue 11; docs/deploy.md): ok after a query, 503 without a database."""
import pytest


def test_healthz_answers_ok_after_asking_the_database(client):
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok"}
    assert reply.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in reply.headers  # a probe every few seconds leaves no session behind


@pytest.mark.parametrize("unreachable", [
    "sqlite:////nonexistent-directory/paimo.db",
    "postgresql://paimo@127.0.0.1:1/paimo",  # nothing listens on port 1
])
def test_healthz_is_503_when_the_database_cannot_be_reached(make_app, unreachable):
    reply = make_app(DATABASE_URL=unreachable).test_client().get("/healthz")
    assert reply.status_code == 503
    assert reply.get_json()["status"] == "unavailable"
    assert reply.headers["Cache-Control"] == "no-store"
