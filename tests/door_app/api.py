from ninja import Router

from kith.identity.access import require
from tests.door_app.models import Stamp

router = Router(tags=["stamps"])


@router.get("/stamps")
def stamps_list(request) -> dict:
    require(request.auth, "stamps", "read")
    return {"notes": list(Stamp.objects.order_by("pk").values_list("note", flat=True))}
