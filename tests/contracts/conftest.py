from tests.notifications.mailbox import mailbox, smtp_app, smtp_server  # noqa: F401
from tests.payments.conftest import committed_stripe_app, stripe_emulator, stripe_relay  # noqa: F401
