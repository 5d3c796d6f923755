"""The Teams door: every botbuilder import of the project lives in this package."""
