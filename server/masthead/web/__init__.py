"""The web layer: the only code that imports Flask. create_app() is in web/app.py."""
