"""What the current unit of work is, so history rows can name the request or job behind them."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("switchboard_request_id", default="")

# The attributes whose values a manual edit held back during this request (None outside a
# request that asks): the REST API tells its caller in a response header.
held_attributes_var: ContextVar[list[str] | None] = ContextVar(
    "switchboard_held_attributes", default=None
)
