"""EXCALIBUR cases in and out (``cases``) and their pages."""
