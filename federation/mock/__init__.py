"""The mock FranceConnect of the demo and the tests (`guichet franceconnect mock`)."""

from federation.mock.app import MockClient
from federation.mock.app import create_mock_app
from federation.mock.app import identities_from_demo
from federation.mock.app import load_identities

__all__ = ["MockClient", "create_mock_app", "identities_from_demo", "load_identities"]
