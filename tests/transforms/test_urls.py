"""URL normalization and domains."""
from __future__ import annotations

import pytest

from transforms.urls import domain_of, normalize_url


@pytest.mark.parametrize("url, expected", [
    ("HTTP://WWW.Example.COM:80/a/b?x=1#frag", "example.com/a/b?x=1"),
    ("https://example.com:443/a", "example.com/a"),
    ("https://example.com:8443/a", "example.com:8443/a"),
    ("http://example.com", "example.com/"),
    ("https://example.com/p?utm_source=tw&b=2&a=1&fbclid=XYZ", "example.com/p?a=1&b=2"),
    ("https://example.com./Path/Case", "example.com/Path/Case"),
    ("  https://example.com/x  ", "example.com/x"),
])
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


def test_http_and_https_mirrors_normalize_alike():
    assert normalize_url("http://www.site.org/a?b=1&utm_medium=x") == normalize_url("https://site.org/a?b=1")


@pytest.mark.parametrize("url, expected", [
    ("https://www.Example.com:8080/x", "example.com"),
    ("http://news.bbc.co.uk/", "news.bbc.co.uk"),
    ("not a url", None),
    ("", None),
    (None, None),
    ("http://[::1/", None),
])
def test_domain_of(url, expected):
    assert domain_of(url) == expected
