from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from tests.door_app.models import Stamp


@login_required
def stamp_list(request):
    return render(request, "door_app/stamp_list.html", {"count": Stamp.objects.count()})


@login_required
def contact_stamps(request, contact_id: int):
    return HttpResponse(f"{Stamp.objects.filter(contact_id=contact_id).count()} stamps")
