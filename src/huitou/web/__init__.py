"""The web layer shared by every app's pages: what each request's templates need.

It sits above the domain apps (core … knowledge) and may import any of them; no domain module
imports it. The apps' own views, api, admin, urls, forms and templatetags belong here too.
"""
