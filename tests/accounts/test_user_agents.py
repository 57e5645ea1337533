"""«Mes connexions» names a browser and a device in plain French, and keeps only the
network of an address."""

import pytest

from accounts import user_agents

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "said"),
    [
        (FIREFOX_WINDOWS, "Firefox sur Windows"),
        (SAFARI_IPHONE, "Safari sur iPhone"),
        (CHROME_ANDROID, "Chrome sur Android"),
        (EDGE_WINDOWS, "Edge sur Windows"),
        (SAFARI_MAC, "Safari sur macOS"),
        (SAMSUNG, "Samsung Internet sur Android"),
        ("python-requests/2.32", "Navigateur inconnu"),
        ("", "Navigateur inconnu"),
        (None, "Navigateur inconnu"),
    ],
)
def test_a_user_agent_reads_as_browser_and_system(app_ctx, agent, said):
    assert user_agents.describe(agent) == said


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.57", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("pas une adresse", None),
        (None, None),
    ],
)
def test_only_the_network_of_an_address_is_kept(address, network):
    assert user_agents.approximate_network(address) == network
