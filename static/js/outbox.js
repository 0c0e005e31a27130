// 排摸通 offline outbox (issue 5): placeholder.
