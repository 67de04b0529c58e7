"""What the current unit of work is, so history rows can name the request or job behind them."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("switchboard_request_id", default="")
