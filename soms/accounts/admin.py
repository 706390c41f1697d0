"""The Django admin shows no authenticator devices: django-otp's own pages would delete them
without an audit event and show their keys. A ministry administrator resets a user's two-factor
sign-in with ``soms reset_two_factor`` (soms.accounts.two_factor.reset), which is audited."""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
