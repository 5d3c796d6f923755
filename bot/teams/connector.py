"""botbuilder's connector clients, sending on the event loop through one aiohttp session.

botframework-connector's clients are msrest clients whose default pipeline sends each request with `requests` in
a worker thread of the loop's default executor, from a new `requests.Session` per client; botbuilder makes a
client per turn and per proactive message. So every reply and every outbox message to Teams opened a TCP (and,
in production, TLS) connection of its own, took one of the executor's few threads (six on a 2-core machine: the
rest queued behind them, and the Slack path's own executor work with them), and the threads' memory stayed (~7
MB of the server's peak). Here each client, made by botbuilder as before (its credentials, operations, models,
(de)serialisation and errors all botbuilder's and msrest's own), sends through msrest's aiohttp pipeline sender
and one shared aiohttp session: kept-alive connections, a timeout, no thread.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Self
from urllib.request import getproxies, proxy_bypass

import aiohttp
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity, ConnectorFactory
from msrest.pipeline import AsyncPipeline, SansIOHTTPPolicy
from msrest.pipeline.aiohttp import AioHTTPSender
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http import AsyncClientResponse, ClientRequest
from msrest.universal_http.async_abc import AsyncHTTPSender
from multidict import CIMultiDict
from yarl import URL

TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)  # as slack_sdk's default; msrest's was 100 s


class Answer(AsyncClientResponse):
    """The connector's answer, its body read (msrest reads it synchronously; an empty body is an empty one)."""

    def __init__(self, request: ClientRequest, response: aiohttp.ClientResponse, body: bytes) -> None:
        super().__init__(request, response)
        self.status_code, self.reason = response.status, response.reason
        self.headers, self._body = CIMultiDict(response.headers), body

    def body(self) -> bytes:
        return self._body

    def raise_for_status(self) -> None:
        self.internal_response.raise_for_status()


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for this address (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), as `requests` read
    them. (aiohttp's own `trust_env` reads ~/.netrc in a worker thread on every request.)"""
    address = URL(url)
    if not address.host or proxy_bypass(address.host):
        return None
    return getproxies().get(address.scheme)


class Driver(AsyncHTTPSender):
    """msrest's HTTP driver over one aiohttp session for the process, opened at the first send (it needs the
    running loop) and closed with the app."""

    def __init__(self, timeout: aiohttp.ClientTimeout = TIMEOUT) -> None:
        self.timeout = timeout
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None  # shared: closed with the app, not with each client

    async def send(self, request: ClientRequest, **config: Any) -> AsyncClientResponse:
        if request.files:  # the connector's operations send JSON only; a form would need multipart encoding
            raise ValueError("the Teams connector driver sends no file uploads")
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(timeout=self.timeout)
        async with self.session.request(request.method, request.url, headers=dict(request.headers),
                                        data=request.data, proxy=proxy_for(request.url)) as response:
            return Answer(request, response, await response.read())

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


class Bearer(SansIOHTTPPolicy):
    """The app's token on each request, by botbuilder's own rule (`signed_session`: none without an app id, the
    Emulator's mode), which sets it on whatever it is given that has headers. The token comes from MSAL's cache:
    `auth.ReusedCredentials` fetched it in a worker thread before the client was made."""

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials

    def on_request(self, request: Any, **kwargs: Any) -> None:
        signed = self.credentials.signed_session(SimpleNamespace(headers={}))
        if "Authorization" in signed.headers:
            request.http_request.headers["Authorization"] = signed.headers["Authorization"]


class Connectors(ConnectorFactory):
    """botbuilder's connector factory, its clients sending through `driver`."""

    def __init__(self, inner: ConnectorFactory, driver: Driver) -> None:
        self.inner, self.driver = inner, driver

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        client = await self.inner.create(service_url, audience)
        config = client.config  # the pipeline botbuilder's AsyncBfPipeline builds, on aiohttp
        policies: list[Any] = [config.user_agent_policy, RawDeserializer(), config.http_logger_policy]
        if config.credentials:
            policies.insert(1, Bearer(config.credentials))
        config.pipeline = AsyncPipeline(policies, AioHTTPSender(self.driver))  # type: ignore[arg-type]
        return client


class Authentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's authentication from configuration, whose connector factories (for turns, proactive messages
    and new conversations) make clients that send through `driver`."""

    def __init__(self, configuration: Any, *, credentials_factory: Any, driver: Driver) -> None:
        super().__init__(configuration, credentials_factory=credentials_factory)
        self.driver = driver

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = Connectors(result.connector_factory, self.driver)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return Connectors(super().create_connector_factory(claims_identity), self.driver)
