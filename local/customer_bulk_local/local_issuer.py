"""An identity provider for the local stack, and the HTTP API's JWT authorizer that trusts it.

On AWS, the HTTP API's JWT authorizer checks a bearer token's signature against the issuer's JWKS, its issuer,
audience and expiry, and hands the token's claims to the function. Locally the same checks run (PyJWT) against
keys this issuer made at start: ``POST /_local/issuer/token {"tenant", "email"}`` answers a token signed with them,
as an identity provider's token endpoint would (``customer-bulk token`` prints one).
"""

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


class Unauthorized(Exception):
    """The request carries no token the authorizer accepts (API Gateway answers 401)."""


class LocalIssuer:
    def __init__(self, issuer: str, audiences: list[str], tenant_claim: str, email_claim: str) -> None:
        self.issuer = issuer
        self.audiences = audiences
        self.tenant_claim, self.email_claim = tenant_claim, email_claim
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = uuid.uuid4().hex
        self._jwks = jwt.PyJWKSet.from_dict(self.jwks())

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self._kid, "use": "sig", "alg": "RS256"}]}

    def token(self, tenant: str, email: str, lifetime_s: int = 3600, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audiences[0],
            "sub": f"local|{tenant}|{email}",
            "iat": issued,
            "exp": issued + lifetime_s,
            self.tenant_claim: tenant,
            self.email_claim: email,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid})

    def verify(self, authorization: str | None) -> dict[str, str]:
        """The token's claims (as strings, as API Gateway passes them), or ``Unauthorized``."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("no bearer token")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((key for key in self._jwks.keys if key.key_id == kid), None)
            if key is None:
                raise Unauthorized("signed with a key the issuer does not publish")
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256"],
                audience=self.audiences,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.InvalidTokenError as error:
            raise Unauthorized(str(error)) from error
        return {name: str(value) for name, value in claims.items()}
