"""A user as C1's UserService shows it (protojson with every field: `""` for unset strings, `null`
for unset timestamps and messages, `[]` for lists, the zero name of enums)."""

from __future__ import annotations

from typing import Any

from ..core.models import AdminClient
from ..core.protojson import timestamp
from .service import user_id_of

SERVICE = "USER_TYPE_SERVICE"

# Lists a service principal's user has nothing in: no directory or app account feeds it.
_EMPTY_LISTS = (
    "departmentSources",
    "directoryIds",
    "directoryStatusSources",
    "emailSources",
    "emails",
    "employeeIdSources",
    "employeeIds",
    "employmentStatusSources",
    "employmentTypeSources",
    "jobTitleSources",
    "managerIds",
    "managerSources",
    "roleIds",
    "usernameSources",
    "usernames",
)


def user_view(admin: AdminClient) -> dict[str, Any]:
    """c1.api.user.v1.User for an admin client: an enabled service user, named by the seed."""
    user: dict[str, Any] = {name: [] for name in _EMPTY_LISTS}
    user |= {
        "id": user_id_of(admin.client_id),
        "type": SERVICE,
        "status": "ENABLED",  # its client may sign in
        "directoryStatus": "UNKNOWN",  # the enum's zero value: no directory knows it
        "origin": "USER_ORIGIN_UNSPECIFIED",
        "displayName": admin.user_display_name,
        "email": admin.user_email,
        "username": "",
        "department": "",
        "jobTitle": "",
        "employmentStatus": "",
        "employmentType": "",
        "delegatedUserId": "",
        "profile": None,
        "createdAt": timestamp(admin.created_at),
        "updatedAt": timestamp(admin.created_at),
        "deletedAt": None,
    }
    return dict(sorted(user.items()))


def get_response(admin: AdminClient) -> dict[str, Any]:
    """c1.api.user.v1.UserServiceGetResponse: the user's view, with nothing expanded."""
    view = {
        "user": user_view(admin),
        "userId": user_id_of(admin.client_id),
        "managersPath": "",
        "delegatedUserPath": "",
        "directoriesPath": "",
        "rolesPath": "",
        # Only admins call GetUser here, and no operation of this server edits or deletes users.
        "objectPermissions": {"read": True, "edit": False, "delete": False, "extra": {}},
    }
    return {"userView": view, "expanded": []}
