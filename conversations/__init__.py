"""The product: interview flows, engine, recommendation, summaries.

Platform-neutral: nothing here imports a chat SDK or an LLM library.
"""
