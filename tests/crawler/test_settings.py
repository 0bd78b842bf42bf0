"""Nothing listens inside a crawl: Scrapy's telnet console and remote-control server are off."""

from __future__ import annotations

from crawler.config import Config
from crawler.run import scrapy_settings


def test_no_crawl_component_offers_a_way_in() -> None:
    settings = scrapy_settings(Config())
    extensions = settings.getwithbase("EXTENSIONS")
    # Scrapy 2.19 enables both by default; a None in EXTENSIONS keeps a component out.
    assert extensions["scrapy.extensions.remote_control.RemoteControl"] is None
    assert extensions["scrapy.extensions.telnet.TelnetConsole"] is None
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
