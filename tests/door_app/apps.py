from kith.core.apps import (
    AccessModule,
    DefaultGrant,
    DemoLoader,
    KithAppConfig,
    NavEntry,
    RecordPanel,
)


class DoorAppConfig(KithAppConfig):
    name = "tests.door_app"
    label = "door_app"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {
        "stamps": AccessModule(
            "stamps",
            {
                "admin": DefaultGrant("all", ("create", "edit", "delete", "export")),
                "manager": DefaultGrant("team", ("create",)),
                "sales_rep": DefaultGrant("own"),
            },
        )
    }
    api_routers = ("tests.door_app.api:router",)
    url_modules = ("tests.door_app.urls",)
    nav_entries = (NavEntry("stamps", "Stamps", "stamp-list", order=95, url_prefixes=("stamp",)),)
    record_panels = (RecordPanel("contact", "contact-stamps-panel", "Stamps", "side", order=70),)
    demo_loaders = (DemoLoader("tests.door_app.demo:stamps_load", order=90),)
    cli_commands = ("tests.door_app.cli:register",)
    import_kinds = ("tests.door_app.imports:STAMPS",)
    personal_data = ("tests.door_app.personal_data",)
