from django.contrib.auth.hashers import PBKDF2PasswordHasher


class PBKDF2At1500000(PBKDF2PasswordHasher):
    """Django 3.2 defaults to 260,000 iterations; Gatehouse (as Django 5) to 1,500,000."""
    iterations = 1500000
