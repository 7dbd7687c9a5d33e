"""What happened on the calls: figures computed from call records (the store's `get_call`
shape), so they read the same from SQLite and PostgreSQL.

`calls.digest` reads one record; `report` adds them up; `funnel` places them on a flow's nodes.
"""

from voicebot.analytics import report
from voicebot.analytics.calls import CallDigest, Turn, digest
from voicebot.analytics.funnel import NodeFunnel, funnel
from voicebot.analytics.report import build_report, over_time

__all__ = [
    "CallDigest",
    "NodeFunnel",
    "Turn",
    "build_report",
    "digest",
    "funnel",
    "over_time",
    "report",
]
