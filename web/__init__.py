"""The server-rendered pages that bring several apps together: home, inspection lists and pages.

They sit at the top of the dependency order (with documents, dashboards and the API),
because an inspection's page shows its cases (casework) and its live ratings (ratings),
and the lower apps may not import those. Not a Django app: it has no models, only
views, urls, forms and a context processor; its templates live in templates/.
"""
