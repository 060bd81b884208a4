from django.conf import settings


def brand(request):
    return {
        "brand": {
            "name": settings.BRAND_NAME,
            "primary": settings.BRAND_PRIMARY_COLOR,
            "accent": settings.BRAND_ACCENT_COLOR,
            "logo_url": settings.BRAND_LOGO_URL,
            "community_license": settings.COMMUNITY_LICENSE,
        }
    }
