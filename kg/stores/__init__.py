"""Graph stores behind one small interface; see base.py."""
