"""Imports every domain's models so the metadata (create_all, Alembic) sees all tables."""
from piaa import audit  # noqa: F401
from piaa.accounts import models as accounts_models  # noqa: F401
from piaa import jobs  # noqa: F401
from piaa.certificates import models as certificates_models  # noqa: F401
from piaa.items import models as items_models  # noqa: F401
from piaa.items import calibration_models  # noqa: F401
from piaa.items import media as items_media  # noqa: F401
from piaa.delivery import models as delivery_models  # noqa: F401
from piaa.standard_setting import models as standard_setting_models  # noqa: F401
from piaa.reports import models as reports_models  # noqa: F401
from piaa.calibration import models as calibration_run_models  # noqa: F401
from piaa.frac import models as frac_models  # noqa: F401
from piaa.workplace import models as workplace_models  # noqa: F401
