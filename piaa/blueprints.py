"""Every blueprint the app serves, as "module:attribute"; each domain adds its own lines."""

BLUEPRINTS = [
    "piaa.api:meta",
    "piaa.accounts.views:bp",
    "piaa.accounts.views:api",
    "piaa.certificates.views:bp",
    "piaa.certificates.views:api",
    "piaa.items.views:bp",
    "piaa.items.api:api",
    "piaa.items.import_views:imports_bp",
    "piaa.items.import_views:imports_api",
    "piaa.delivery.api:api",
    "piaa.delivery.views:pages_bp",
    "piaa.standard_setting.views:bp",
    "piaa.reports.views:bp",
    "piaa.calibration.views:bp",
    "piaa.calibration.views:me_bp",
    "piaa.operations.views:bp",
]
