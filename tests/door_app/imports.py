from kith.core.apps import ImportKind

STAMPS = ImportKind("stamps", "Stamps", model="door_app.stamp", module="stamps", order=60)
