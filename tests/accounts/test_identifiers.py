"""SPEC §3: identifiers are initial.lastname, folded to ASCII, numbered when taken."""

import pytest

from accounts.identifiers import IdentifierAllocator
from accounts.identifiers import allocate_identifier
from accounts.identifiers import base_identifier
from tests import factories


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Gérald", "Zoumn", "g.zoumn"),
        ("Anne-Sophie", "Cosams", "a.cosams"),
        ("Élodie", "Reabu", "e.reabu"),
        ("Jean", "D'Artagnan", "j.dartagnan"),
        ("Jean", "D’Artagnan", "j.dartagnan"),
        ("Marie", "Le Goff", "m.legoff"),
        ("Paul", "Selazo-Gnéné", "p.selazo-gnene"),
        ("Œdipe", "Cœur", "o.coeur"),
        ("  Zoé ", " MÜLLER ", "z.muller"),
        ("Chloé", "Dupont -- Martin", "c.dupont-martin"),
    ],
)
def test_base_identifier_folds_names(first, last, expected):
    assert base_identifier(first, last) == expected


def test_taken_identifiers_get_the_next_free_number():
    allocator = IdentifierAllocator({"g.reabu", "g.reabu1", "g.reabu2", "g.reabu4"})
    assert allocator.allocate("Gilles", "Reabu") == "g.reabu3"
    assert allocator.allocate("Gaëlle", "Réabu") == "g.reabu5"
    assert allocator.allocate("Gino", "Reabu") == "g.reabu6"


def test_first_homonym_keeps_the_bare_identifier():
    allocator = IdentifierAllocator(())
    assert allocator.allocate("Paul", "Selazogn") == "p.selazogn"
    assert allocator.allocate("Pierre", "Selazogn") == "p.selazogn1"


def test_allocation_checks_the_database(app_ctx):
    factories.make_account("Gérald", "Zoumn")
    factories.make_account("Gaston", "Zoumn")
    assert allocate_identifier("Ginette", "Zoumn") == "g.zoumn2"


def test_allocation_treats_like_characters_literally(app_ctx):
    factories.make_account("Gérald", "Zoumn")
    # "g.zoumn" must not be read as a LIKE pattern matching other identifiers.
    assert allocate_identifier("Xavier", "Zoumn") == "x.zoumn"
