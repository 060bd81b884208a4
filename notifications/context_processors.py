def unread(request):
    """The header's unread count, counted only when a template shows it (one indexed count)."""
    from notifications.selectors import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": lambda: unread_count(user=user)}
