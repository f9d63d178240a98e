"""The demo's teams and users. Pure data, safe to import before Django is set up."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Index 0 serves Vietnam, 1 China, 2 the US (see generator.TEAM_OF_LOCALE).
TEAMS = ("Hà Nội", "Shanghai 上海", "New York")

# One password for every demo login keeps the demo easy to try; it passes the validators.
DEMO_PASSWORD = "kith-demo-2025"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role_slug: str
    team_index: int
    language: str = ""
    is_superuser: bool = False
    leads_team: bool = False


DEMO_USERS = (
    DemoUser("admin", "Alex", "Morgan", "admin", 2, is_superuser=True),
    DemoUser("manager", "Linh", "Trần", "manager", 0, language="vi"),
    DemoUser("lan", "Lan", "Nguyễn", "sales_rep", 0, language="vi", leads_team=True),
    DemoUser("minh", "Minh", "Phạm", "sales_rep", 0, language="vi"),
    DemoUser("wei", "伟", "张", "sales_rep", 1, language="zh-hans", leads_team=True),
    DemoUser("mei", "美玲", "李", "sales_rep", 1, language="zh-hans"),
    DemoUser("emma", "Emma", "Johnson", "sales_rep", 2, language="en", leads_team=True),
    DemoUser("james", "James", "Carter", "sales_rep", 2, language="en"),
)


def _rep_text(team: str) -> str:
    return gettext("sales rep, team %(team)s: that team's records only") % {"team": team}


def _describe(user: DemoUser) -> str:
    """The role in words, translated when printed (this module loads before translations do)."""
    if user.role_slug == "admin":
        return _("administrator: all records, all settings")  # type: ignore[return-value]
    if user.role_slug == "manager":
        return _("sales manager: all records of every team")  # type: ignore[return-value]
    return lazy(_rep_text, str)(TEAMS[user.team_index])


# (username, password, role description) for `kith demo` to print.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    (user.username, DEMO_PASSWORD, _describe(user)) for user in DEMO_USERS
]
