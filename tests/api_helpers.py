"""What every REST API test file needs: a token's header, and the one error an answer holds."""


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def error_of(response) -> tuple[str, str]:
    """The (code, message) of an Intercom error body, after checking its shape and that it
    names the request it answers."""
    body = response.json()
    assert body["type"] == "error.list" and body["request_id"] == response["X-Request-Id"]
    assert len(body["errors"]) == 1
    return body["errors"][0]["code"], body["errors"][0]["message"]
