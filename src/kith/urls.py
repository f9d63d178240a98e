from django.urls import include, path, re_path

from kith.api.errors import unknown_path
from kith.api.v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", unknown_path),
    path("", include("kith.web.urls")),
]
