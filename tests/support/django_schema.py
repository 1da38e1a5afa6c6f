"""What a database lacks for Django's installed models (for the tests that share
a database with Django; call after django.setup())."""


def missing_tables_and_columns(connection):
    """Each table and column an installed model uses that the database does not have."""
    from django.apps import apps
    problems = []
    with connection.cursor() as cur:
        tables = set(connection.introspection.table_names(cur))
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table not in tables:
                problems.append("table %s (%s.%s)" % (table, model._meta.app_label, model.__name__))
                continue
            have = {col.name for col in connection.introspection.get_table_description(cur, table)}
            problems += ["column %s.%s" % (table, f.column) for f in model._meta.local_concrete_fields
                         if f.column not in have]
    return problems
