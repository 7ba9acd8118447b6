"""The demo company's organisation: HQ → 3 regions → 6 areas, and one login per seat."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from kehu.accounts.models import OrgUnit, Role, User
from kehu.customers.demo.places import AREAS, COMPANY_NAME, HQ_CODE, REGIONS, Area

# Printed at the end of `kehu demo`; for local use only.
DEMO_PASSWORD = "kehu-demo-2026"

MANAGERS = {  # area code → display name
    "QQ-BJ": "王建国",
    "QQ-TJ": "刘卫东",
    "QQ-SH": "陈志明",
    "QQ-HZ": "沈嘉怡",
    "QQ-GZ": "区永康",
    "QQ-SZ": "曾晓峰",
}
REPS = {
    "QQ-BJ": ("张伟", "单立新"),
    "QQ-TJ": ("赵磊", "孙静"),
    "QQ-SH": ("周杰", "吴敏"),
    "QQ-HZ": ("徐浩", "解雪"),
    "QQ-GZ": ("黄俊杰", "梁晓燕"),
    "QQ-SZ": ("林涛", "何雪"),
}
HQ_STAFF = (  # username, display name, role
    ("director", "周立群", Role.DIRECTOR),
    ("finance", "钱雅琴", Role.FINANCE),
    ("custodian", "苏慧敏", Role.CUSTODIAN),
    ("auditor", "严正", Role.AUDITOR),
    ("admin", "林一帆", Role.ADMIN),
)


@dataclass(frozen=True)
class Seat:
    username: str
    display_name: str
    role: Role
    unit_code: str


def area_slug(area: Area) -> str:
    return area.code.removeprefix("QQ-").lower()


def seats() -> list[Seat]:
    """Every demo login, HQ staff first, then each area's manager and reps."""
    out = [Seat(username, display, role, HQ_CODE) for username, display, role in HQ_STAFF]
    for area in AREAS:
        slug = area_slug(area)
        out.append(Seat(f"manager_{slug}", MANAGERS[area.code], Role.MANAGER, area.code))
        out.extend(
            Seat(f"rep_{slug}{n}", name, Role.REP, area.code)
            for n, name in enumerate(REPS[area.code], start=1)
        )
    return out


@dataclass
class DemoOrg:
    units: dict[str, OrgUnit]
    users: dict[str, User]

    def manager(self, area: Area) -> User:
        return self.users[f"manager_{area_slug(area)}"]

    def reps(self, area: Area) -> list[User]:
        return [self.users[f"rep_{area_slug(area)}{n}"] for n in (1, 2)]

    def staff(self, username: str) -> User:
        return self.users[username]


def demo_present() -> bool:
    return OrgUnit.objects.filter(code=HQ_CODE).exists()


def taken_usernames() -> list[str]:
    wanted = [seat.username for seat in seats()]
    return sorted(User.objects.filter(username__in=wanted).values_list("username", flat=True))


def taken_unit_codes() -> list[str]:
    wanted = [HQ_CODE, *(r.code for r in REGIONS), *(a.code for a in AREAS)]
    return sorted(OrgUnit.objects.filter(code__in=wanted).values_list("code", flat=True))


def _unit(code: str, name: str, parent: OrgUnit | None) -> OrgUnit:
    unit = OrgUnit.objects.create(code=code, name=name, parent=parent)
    unit.path = unit.compute_path()
    unit.save(update_fields=["path"])
    return unit


def org_create() -> DemoOrg:
    hq = _unit(HQ_CODE, COMPANY_NAME, None)
    units = {HQ_CODE: hq}
    for region in REGIONS:
        units[region.code] = _unit(region.code, region.name, hq)
    for area in AREAS:
        units[area.code] = _unit(area.code, area.name, units[area.region_code])
    # One hash for every demo login: hashing is deliberately slow, and the password is shared anyway.
    password = make_password(DEMO_PASSWORD)
    users = {}
    for seat in seats():
        is_admin = seat.role == Role.ADMIN
        users[seat.username] = User(
            username=seat.username,
            display_name=seat.display_name,
            role=seat.role,
            org_unit=units[seat.unit_code],
            password=password,
            is_staff=is_admin,
            is_superuser=is_admin,
        )
    User.objects.bulk_create(users.values())
    saved = {u.username: u for u in User.objects.filter(username__in=users).select_related("org_unit")}
    return DemoOrg(units=units, users=saved)


def demo_logins() -> list[Seat]:
    """The demo seats that exist in the database (for printing the login table)."""
    present = set(
        User.objects.filter(username__in=[s.username for s in seats()]).values_list("username", flat=True)
    )
    return [seat for seat in seats() if seat.username in present]
