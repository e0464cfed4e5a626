"""The PostgreSQL backend (``storage: postgresql://…``), with the ``postgresql`` extra installed.

So far its groundwork: the schema and its migrations (``schema``, ``migrate``), and full-text
search (``fts``: an article's words as a ``tsvector``, a rule query as a ``tsquery``). Nothing is
imported here, so that ``fts``, which needs no driver, can be used without psycopg.
"""
