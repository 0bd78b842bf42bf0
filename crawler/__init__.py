"""Fetching sources with Scrapy, extracting text, judging relevance, writing to storage."""
