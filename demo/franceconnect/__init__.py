"""The mock FranceConnect of the demo and the tests (`guichet demo franceconnect`)."""

from demo.franceconnect.app import create_mock_app
from demo.franceconnect.app import identities_from_demo
from demo.franceconnect.app import load_identities
from demo.franceconnect.endpoints import MockClient

__all__ = ["MockClient", "create_mock_app", "identities_from_demo", "load_identities"]
