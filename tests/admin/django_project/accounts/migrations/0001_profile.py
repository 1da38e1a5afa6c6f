# accounts_profile as Gatehouse's `migrate` creates it (recorded there as accounts 0001_profile);
# made by Django 3.2's makemigrations from ../models.py.

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Profile',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('default_language', models.CharField(default='text', max_length=32)),
                ('default_exposure', models.CharField(choices=[('public', 'Public'), ('unlisted', 'Unlisted'), ('private', 'Private')], default='public', max_length=10)),
                ('default_expiration', models.CharField(choices=[('never', 'Never'), ('1w', '1 week'), ('1m', '1 month'), ('6m', '6 months'), ('1y', '1 year')], default='never', max_length=10)),
                ('private', models.BooleanField(default=False)),
                ('views', models.IntegerField(default=0)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='profile', to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
