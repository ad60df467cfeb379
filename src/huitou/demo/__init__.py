"""The demo company behind `huitou demo`: sits above every domain app and the web layer."""
