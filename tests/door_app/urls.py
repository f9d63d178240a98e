from django.urls import path

from tests.door_app import views

urlpatterns = [
    path("stamps/", views.stamp_list, name="stamp-list"),
    path("contacts/<int:contact_id>/stamps/", views.contact_stamps, name="contact-stamps-panel"),
]
