from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.views import favicon
from support.helpcenter_views import home as help_home
from support.inbound_api import inbound_email

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/inbound/email/", inbound_email, name="inbound-email"),
    path("api/", include("community.api_urls")),
    path("api/", include("search.api_urls")),
    path("api/", include("support.api_urls")),
    path("api/kb/", include("kb.api_urls")),
    path("console/", include("support.console_urls")),
    path("harvest/", include("harvest.urls")),
    path("help/", include("support.helpcenter_urls")),
    path("kb/", include("kb.urls")),
    path("notifications/", include("notifications.urls")),
    path("mail/", include("mail.urls")),
    path("", include("search.urls")),
    path("", include("community.urls")),
    path("", help_home, name="home"),
]
