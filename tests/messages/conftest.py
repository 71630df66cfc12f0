from tests.notifications.mailbox import fresh_matcher_index, mailbox, smtp_app, smtp_server  # noqa: F401
from tests.s3_support import s3_endpoint, s3_settings  # noqa: F401
