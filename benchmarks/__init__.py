"""Benchmarks of GitHub issue #8: ``make bench`` (``python -m benchmarks``).

Not tests: nothing here asserts; each benchmark measures, compares with its
target and reports. Every byte of traffic stays on 127.0.0.1.

==================  ===============================================================
``slack_ack``       signed Slack events over loopback: ack latency and throughput,
                    against a bare Bolt app measured in the same run
``slack_server``    the server process ``slack_ack`` drives (postpoc or bare Bolt)
``weekly_pass``     the weekly watch over 10,000 POCs and 500 channels
``portfolio``       seeds such a portfolio straight into storage, in bulk
``startup``         ``postpoc serve``: time to a healthy ``/healthz``, resident memory
``databases``       throw-away SQLite and PostgreSQL databases, SQL statement counting
``table``           the results table, the machine, the date
==================  ===============================================================
"""
