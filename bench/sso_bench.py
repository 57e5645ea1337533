"""Single sign-on benchmark: the same client against Guichet and against the peers
in ../shared/peers/ (node oidc-provider, flask-ceiling), so they are compared in
one run with one driver.

    .venv/bin/python bench/sso_bench.py --issuer http://127.0.0.1:8000 \
        --user b.essai0 --user b.essai1 ... --password Bench1234 \
        --scenario sso --concurrency 1 4 --seconds 15

Scenarios (each flow is timed end to end, client included):
- sso: a parent who already has a session (one sign-in per worker first):
  authorize (prompt=none, PKCE S256, nonce, state) → code → token
  (client_secret_basic) → ID-token signature (JWKS, fetched once) and claims
  checked → userinfo;
- login: a full password sign-in per flow (a fresh browser each time): authorize →
  the provider's sign-in form (found and filled generically: the form Guichet's
  /authorize shows, or oidc-provider's dev interaction) → code → token → ID token
  → userinfo.
Prints flows/s, p50/p95/p99 latency and errors per concurrency (--json for data).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import statistics
import threading
import time
from html import unescape
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

FORM = re.compile(r"<form[^>]*>.*?</form>", re.S | re.I)
ACTION = re.compile(r'action="([^"]*)"', re.I)
INPUT = re.compile(r"<input[^>]*>", re.I)
ATTR = re.compile(r'(\w+)="([^"]*)"')
# Seconds a request may take (sso_instructions.py raises it: valgrind is ~50x slower).
TIMEOUT = float(os.environ.get("SSO_BENCH_TIMEOUT", "10"))


class FlowError(Exception):
    pass


class Provider:
    def __init__(self, issuer, client_id, client_secret, redirect_uri, scope):
        meta = requests.get(
            issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=TIMEOUT
        )
        self.meta = meta.json()
        self.issuer = self.meta["issuer"]
        self.client = (client_id, client_secret)
        self.redirect_uri = redirect_uri
        self.scope = scope
        self.keys = KeySet.import_key_set(
            requests.get(self.meta["jwks_uri"], timeout=TIMEOUT).json()
        )

    def authorize_url(self, *, prompt=None):
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        params = {
            "response_type": "code",
            "client_id": self.client[0],
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": secrets.token_urlsafe(12),
            "nonce": secrets.token_urlsafe(12),
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        if prompt:
            params["prompt"] = prompt
        request = requests.Request("GET", self.meta["authorization_endpoint"], params=params)
        return request.prepare().url, params, verifier

    def follow(self, browser, url, *, user=None, password=None, limit=12):
        """Follow redirects by hand until the client's redirect URI; fill a sign-in
        form on the way when `user` is given."""
        for _ in range(limit):
            if url.startswith(self.redirect_uri):
                return url
            response = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status_code == 200 and user and "password" in response.text:
                url = self._submit_login(browser, response, user, password)
                user = None
                continue
            raise FlowError(f"unexpected {response.status_code} at {urlsplit(url).path}")
        raise FlowError("too many redirects")

    def _submit_login(self, browser, response, user, password):
        form = next(f for f in FORM.findall(response.text) if 'type="password"' in f)
        action = urljoin(response.url, unescape(ACTION.search(form).group(1)))
        data = {}
        for tag in INPUT.findall(form):
            attrs = dict(ATTR.findall(tag))
            name, kind = attrs.get("name"), attrs.get("type", "text").lower()
            if not name:
                continue
            if kind == "password":
                data[name] = password
            elif kind in ("text", "email") or name in ("login", "identifier", "username"):
                data[name] = user
            else:
                data[name] = unescape(attrs.get("value", ""))
        posted = browser.post(action, data=data, allow_redirects=False, timeout=TIMEOUT)
        if not posted.is_redirect:
            raise FlowError(f"sign-in refused ({posted.status_code})")
        return urljoin(action, posted.headers["Location"])

    def finish(self, http, callback, params, verifier):
        query = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
        if query.get("state") != params["state"] or "code" not in query:
            raise FlowError(f"authorization error {query.get('error')}")
        token = http.post(
            self.meta["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            },
            auth=self.client,
            timeout=TIMEOUT,
        )
        if token.status_code != 200:
            raise FlowError(f"token {token.status_code}")
        body = token.json()
        claims = jwt.decode(body["id_token"], self.keys).claims
        aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if claims["iss"] != self.issuer or self.client[0] not in aud:
            raise FlowError("ID token iss/aud")
        if claims.get("nonce") != params["nonce"]:
            raise FlowError("ID token nonce")
        info = http.get(
            self.meta["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {body['access_token']}"},
            timeout=TIMEOUT,
        )
        if info.status_code != 200 or info.json().get("sub") != claims["sub"]:
            raise FlowError(f"userinfo {info.status_code}")


def run(provider, scenario, users, password, concurrency, seconds, warmup):
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = [0.0]
    start_event = threading.Event()

    def worker(index):
        user = users[index % len(users)]
        http = requests.Session()
        browser = requests.Session()
        if scenario == "sso":
            url, params, verifier = provider.authorize_url()
            provider.finish(
                http, provider.follow(browser, url, user=user, password=password), params, verifier
            )
        start_event.wait()
        warm_until = time.perf_counter() + warmup
        while True:
            begin = time.perf_counter()
            if begin >= stop_at[0]:
                return
            try:
                if scenario == "sso":
                    url, params, verifier = provider.authorize_url(prompt="none")
                    callback = provider.follow(browser, url)
                else:
                    browser = requests.Session()
                    url, params, verifier = provider.authorize_url()
                    callback = provider.follow(browser, url, user=user, password=password)
                provider.finish(http, callback, params, verifier)
            except (FlowError, requests.RequestException, KeyError, ValueError) as exc:
                with lock:
                    errors.append(str(exc))
                continue
            end = time.perf_counter()
            if end >= warm_until and end < stop_at[0]:
                with lock:
                    latencies.append(end - begin)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    stop_at[0] = time.perf_counter() + warmup + seconds
    start_event.set()
    for thread in threads:
        thread.join()
    latencies.sort()

    def pct(p):
        return (
            latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else 0
        )

    return {
        "scenario": scenario,
        "concurrency": concurrency,
        "flows": len(latencies),
        "flows_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(pct(0.50), 1),
        "p95_ms": round(pct(0.95), 1),
        "p99_ms": round(pct(0.99), 1),
        "mean_ms": round(statistics.mean(latencies) * 1000, 1) if latencies else 0,
        "errors": len(errors),
        "first_errors": sorted(set(errors))[:3],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--client-id", default="bench")
    parser.add_argument("--client-secret", default="secret-secret-secret")
    parser.add_argument("--redirect-uri", default="http://127.0.0.1:9999/cb")
    parser.add_argument("--scope", default="openid profile email")
    parser.add_argument("--user", action="append", default=[], help="repeat; one per worker")
    parser.add_argument("--password", default="any-password")
    parser.add_argument("--scenario", choices=["sso", "login"], nargs="+", default=["sso", "login"])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--label", default="")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    provider = Provider(
        args.issuer, args.client_id, args.client_secret, args.redirect_uri, args.scope
    )
    users = args.user or ["bench-user"]
    results = []
    for scenario in args.scenario:
        for concurrency in args.concurrency:
            result = run(
                provider, scenario, users, args.password, concurrency, args.seconds, args.warmup
            )
            result["label"] = args.label or args.issuer
            results.append(result)
            if not args.json:
                print(
                    f"{result['label']:<28} {scenario:<5} c={concurrency}  "
                    f"{result['flows_per_second']:>7.1f} flows/s  p50 {result['p50_ms']:>6.1f} ms  "
                    f"p95 {result['p95_ms']:>6.1f} ms  p99 {result['p99_ms']:>6.1f} ms  "
                    f"errors {result['errors']}"
                    + (f"  {result['first_errors']}" if result["errors"] else ""),
                    flush=True,
                )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
