"""What every app's API router shares: Intercom's error shape, scope checks and how times are
sent. It imports no app, so every router may use it."""

from datetime import datetime

from django.http import HttpRequest, JsonResponse


def error_body(request: HttpRequest, code: str, message: str) -> dict:
    return {
        "type": "error.list",
        "request_id": getattr(request, "request_id", ""),
        "errors": [{"code": code, "message": message}],
    }


def error_response(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(request, code, message), status=status)


class ApiError(Exception):
    """An error answered in Intercom's shape."""

    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def unix(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


def require_scope(request: HttpRequest, scope: str) -> None:
    if scope not in request.auth.scopes:
        raise ApiError(
            403,
            "token_unauthorized",
            f"This token may not do this: it lacks the {scope} scope.",
        )
