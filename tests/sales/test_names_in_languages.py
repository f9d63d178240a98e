"""Built-in setup in the installation's language, and names an administrator translates (#17:
"the built-in setup — pipelines, stages, role names, SLA policy, the Tier field — stays
English: seed it in the installation's language and let an admin translate names")."""

from __future__ import annotations

import pytest
from django.utils import translation

from kith.core.models import CustomField
from kith.core.translated import name_localized
from kith.demo.loader import demo_fields_create
from kith.demo.sales import PIPELINES, _pipeline_seed
from kith.identity.models import Role
from kith.identity.services import roles_ensure_defaults, user_create
from kith.sales.models import Pipeline
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_setup_is_seeded_in_the_installations_language(settings):
    settings.LANGUAGE_CODE = "vi"
    roles_ensure_defaults()
    admin = user_create(username="boss", password=PASSWORD, role_slug="admin", is_superuser=True)
    rep = Role.objects.get(slug="sales_rep")
    assert rep.name == "Nhân viên bán hàng"
    assert rep.name_translations == {"en": "Sales representative", "zh-hans": "销售代表"}
    name, currency, stages = PIPELINES[0]
    pipeline = _pipeline_seed(admin, name, currency, stages)
    assert pipeline.name == "Kinh doanh mới"
    assert [s.name for s in pipeline.stages.order_by("position")][:2] == ["Đánh giá", "Gặp mặt"]
    first = pipeline.stages.order_by("position").first()
    assert first.name_translations == {"en": "Qualify", "zh-hans": "资格审核"}
    # A Chinese reader sees the Chinese names; an English one the English.
    with translation.override("zh-hans"):
        assert (str(pipeline), str(first), str(rep)) == ("新业务", "资格审核", "销售代表")
    with translation.override("en"):
        assert name_localized(pipeline) == "New business"


def test_an_admin_translates_a_stage_and_readers_see_it(settings, web_for, users, funnel):
    url = f"/deals/pipelines/{funnel.pipeline.pk}/edit/"
    client = web_for(users.admin)
    page = client.get(url).content.decode()
    assert 'name="name_vi"' in page and 'name="stages-0-name_zh-hans"' in page
    stages = list(funnel.pipeline.stages.order_by("position"))
    data = {"name": funnel.pipeline.name, "name_vi": "Bán hàng", "currency": "USD",
            "stages-TOTAL_FORMS": str(len(stages)), "stages-INITIAL_FORMS": str(len(stages)),
            "stages-MIN_NUM_FORMS": "0", "stages-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for i, stage in enumerate(stages):
        data |= {f"stages-{i}-id": stage.pk, f"stages-{i}-name": stage.name,
                 f"stages-{i}-probability": stage.probability, f"stages-{i}-outcome": stage.outcome,
                 f"stages-{i}-ORDER": i + 1}  # fmt: skip
    data |= {"stages-0-name_vi": "Đánh giá", "stages-0-name_zh-hans": "资格审核"}
    assert client.post(url, data).status_code == 302
    pipeline = Pipeline.objects.get(pk=funnel.pipeline.pk)
    assert pipeline.name_translations == {"vi": "Bán hàng"}
    reader = web_for(users.rep_a)
    reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"  # what signing in sets from the profile
    board = reader.get(f"/deals/?pipeline={pipeline.pk}").content.decode()
    assert "<h1>Bán hàng</h1>" in board and "Đánh giá" in board
    # The stored names (sorting, search, export) stay the installation's.
    assert stages[0].name == pipeline.stages.order_by("position").first().name


def test_a_custom_field_label_in_the_readers_language(settings, web_for, users, records):
    settings.LANGUAGE_CODE = "zh-hans"
    demo_fields_create(users.admin)
    tier = CustomField.objects.get(key="tier", model="customers.contact")
    assert tier.label == "等级" and tier.label_translations["en"] == "Tier"
    reader = web_for(users.rep_a)
    reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    page = reader.get(f"/contacts/{records.contact_a.pk}/edit/").content.decode()
    assert "Hạng" in page
