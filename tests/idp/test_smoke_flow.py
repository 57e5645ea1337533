def test_smoke(provider, browser, livret):
    session = provider.rp(*livret, scope="openid profile children")
    token = provider.code_flow(browser, session, nonce="n-123")
    claims = provider.decode(token["id_token"]).claims
    assert claims["nonce"] == "n-123"
    info = session.get(provider.url + "/userinfo").json()
    assert info["sub"] == claims["sub"]
    assert info["children"][0]["given_name"] == "Léa"
