"""Import every model module so that SQLAlchemy's metadata (and Alembic) sees all tables."""

from accounts import devices as accounts_devices  # noqa: F401
from accounts import email_links as accounts_email_links  # noqa: F401
from accounts import models as accounts_models  # noqa: F401
from accounts import sessions as idp_sessions  # noqa: F401
from accounts import sms_codes as accounts_sms_codes  # noqa: F401
from accounts import throttle as accounts_throttle  # noqa: F401
from admin import models as admin_models  # noqa: F401
from federation import models as federation_models  # noqa: F401
from idp import oauth_models as idp_oauth_models  # noqa: F401
from keys import models as keys_models  # noqa: F401
from messaging import models as messaging_models  # noqa: F401
from passkeys import models as passkeys_models  # noqa: F401
from registry import models as registry_models  # noqa: F401
