"""Prompt templates for the optional language-model layer."""
