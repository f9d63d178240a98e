from django.urls import include, path

from kith.api.v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("kith.web.urls")),
]
