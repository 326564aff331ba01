"""The operator's dashboard (数据看板): yearly targets and their progress, charts of the
pipeline and the market (supply against demand), the gaps brokers should work on, and a
monthly report. A face: it reads everything below it and nothing imports it."""
