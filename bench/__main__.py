"""python -m bench: every benchmark's figures in one table, each next to its baseline from the same run."""
import asyncio
import os

from bench import handlers, slack

count = int(os.environ.get("BENCH_COUNT", "300"))
postgres = os.environ.get("TEST_DATABASE_URL")
rows = asyncio.run(handlers.measure_all(count, postgres)) + asyncio.run(slack.main(count * 2, postgres))
print(f"Benchmarks ({count} items for the handlers, {count * 2} Slack requests at concurrency {slack.CONCURRENCY})")
print(handlers.table(rows))
