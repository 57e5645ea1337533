"""Static files (issue 15: pages weighed 1.4 MB uncompressed on first load): the DSFR
under an address carrying its version, sent compressed and kept a year by browsers;
Guichet's own files kept an hour; pages name those addresses."""

from __future__ import annotations

import re


def _dsfr_stylesheet(client) -> str:
    page = client.get("/connexion").get_data(as_text=True)
    return re.search(r'href="(/dsfr/[^"]+/dsfr\.min\.css)"', page).group(1)


def test_the_dsfr_is_sent_compressed_and_kept_a_year(client):
    address = _dsfr_stylesheet(client)
    assert re.fullmatch(r"/dsfr/\d+\.\d+\.\d+/dsfr\.min\.css", address)
    plain = client.get(address)
    brotli = client.get(address, headers={"Accept-Encoding": "br, gzip"})
    gzip = client.get(address, headers={"Accept-Encoding": "gzip"})
    assert brotli.headers["Content-Encoding"] == "br"
    assert gzip.headers["Content-Encoding"] == "gzip"
    assert len(brotli.data) < len(plain.data) / 5 and len(gzip.data) < len(plain.data) / 5
    for response in (plain, brotli, gzip):
        assert "immutable" in response.headers["Cache-Control"]
        assert int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1)) >= (
            365 * 24 * 3600
        )
        assert response.headers["Vary"] == "Accept-Encoding"


def test_guichets_own_files_are_kept_an_hour(client):
    page = client.get("/connexion").get_data(as_text=True)
    address = re.search(r'href="(/static/kernel/guichet\.css)"', page).group(1)
    response = client.get(address)
    assert response.status_code == 200 and b"data-fr-js" in response.data
    assert response.headers["Cache-Control"] == "max-age=3600, public"


def test_an_unknown_static_file_is_the_french_404(client):
    response = client.get("/dsfr/1.15.3/nothing-here.css")
    assert response.status_code == 404
    assert "introuvable" in response.get_data(as_text=True).lower()
