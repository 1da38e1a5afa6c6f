"""accounts.Profile as Django would declare Gatehouse's accounts_profile table
(include/gatehouse/accounts/profile.h): one per user, made by Gatehouse's
post_save receiver on User (this Django app has no such receiver)."""
from django.contrib.auth.models import User
from django.db import models

EXPOSURES = [("public", "Public"), ("unlisted", "Unlisted"), ("private", "Private")]
EXPIRATIONS = [("never", "Never"), ("1w", "1 week"), ("1m", "1 month"), ("6m", "6 months"), ("1y", "1 year")]


class Profile(models.Model):
    user = models.OneToOneField(User, related_name="profile", on_delete=models.CASCADE)
    default_language = models.CharField(max_length=32, default="text")
    # The defaults are Gatehouse's (the Profile struct's initial values): with them the admin's
    # selects have no blank choice and an untouched inline form is unchanged, as on Gatehouse.
    default_exposure = models.CharField(max_length=10, choices=EXPOSURES, default="public")
    default_expiration = models.CharField(max_length=10, choices=EXPIRATIONS, default="never")
    private = models.BooleanField(default=False)
    views = models.IntegerField(default=0)

    def __str__(self):
        return self.user.username
