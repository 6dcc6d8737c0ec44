"""The operator console (issue #15): server-rendered pages under /ui/, htmx for actions.

``queries`` reads, ``actions`` writes (shared with the CLI), ``texts`` holds every label and
the fix each attention reason needs, ``auth`` the session cookie and CSRF, ``routes`` the
FastAPI router that ``sync_engine.web.app.build_app`` mounts.
"""
