"""Context every page's layout needs from several apps: the staff menu's ``can_*`` flags.

It lives in ``support``, the top layer of the site's pages, because it composes every app's
permission rules; no app below may import the others' permissions to build it.
"""
from community.permissions import can_moderate
from harvest.permissions import can_view_harvest
from kb.permissions import can_edit
from support.permissions import can_handle_contacts


def staff_menu(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": {}}
    return {
        "menu": {
            "can_view_harvest": can_view_harvest(user),
            "can_handle_contacts": can_handle_contacts(user),
            "can_edit_kb": can_edit(user),
            "can_moderate": can_moderate(user),
        }
    }
