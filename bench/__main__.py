"""python -m bench: every benchmark's figures in one table, each next to its baseline from the same run."""
import asyncio
import os

from bench import handlers, schedule, slack

count = int(os.environ.get("BENCH_COUNT", "300"))
postgres = os.environ.get("TEST_DATABASE_URL")
items = int(os.environ.get("BENCH_ITEMS", "100000"))
rows = asyncio.run(handlers.measure_all(count, postgres)) + asyncio.run(slack.main(count * 2, postgres))
rows += asyncio.run(schedule.main(items, postgres))
print(f"Benchmarks ({count} items for the handlers, {count * 2} Slack requests at concurrency {slack.CONCURRENCY})")
print(handlers.table(rows))
