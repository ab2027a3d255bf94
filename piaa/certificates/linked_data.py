"""JSON-LD processing over vendored contexts only: document loading and RDF canonicalization.

A credential's signature covers the RDF dataset its JSON-LD expresses, so the contexts that
turn terms into IRIs are part of what is signed. Fetching them at verification time would let
whoever controls the network change what a signature means; the loader here serves only the
files listed in ``contexts/index.json`` (each checked against its recorded SHA-256) and fails
on any other URL.

pyld has no "safe mode": a term the contexts do not define silently becomes a relative or
issuer-dependent IRI and a signature over it still verifies. :func:`canonize` therefore
expands the document first and refuses any property or type that did not map to a vocabulary
IRI, as the Digital Bazaar verifiers do.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld

CONTEXTS_DIR = Path(__file__).parent / "contexts"
ISSUER_DEPENDENT_VOCAB = "https://www.w3.org/ns/credentials/issuer-dependent#"
# Appended as a last context when checking a document, so that a term no context defines
# expands to this namespace instead of being dropped silently.
UNDEFINED_VOCAB = "urn:piaa:undefined-term#"

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
DID_V1 = "https://www.w3.org/ns/did/v1"


class LinkedDataError(ValueError):
    """A JSON-LD document that cannot be processed safely (unknown context, undefined term)."""


@cache
def vendored_contexts() -> dict[str, dict]:
    """URL -> parsed context document for every vendored context.

    :raise LinkedDataError: if a vendored file no longer matches its recorded SHA-256.
    """
    index = json.loads((CONTEXTS_DIR / "index.json").read_text(encoding="utf-8"))
    contexts = {}
    for entry in index["contexts"]:
        raw = (CONTEXTS_DIR / entry["file"]).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise LinkedDataError(
                f"vendored context {entry['file']} has SHA-256 {digest}, index.json records {entry['sha256']}"
            )
        contexts[entry["url"]] = json.loads(raw)
    return contexts


@dataclass(frozen=True)
class ContextLoader:
    """A pyld document loader serving vendored contexts plus any ``extra`` documents.

    ``extra`` exists for test vectors whose examples context is not part of the product.
    """

    extra: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A vendored context is marked static below, which lets pyld keep its processed form
        # for the life of the process, keyed by URL alone: an extra document under the same
        # URL would then be shadowed by (or shadow) the vendored one.
        clashing = sorted(set(self.extra) & set(vendored_contexts())) if self.extra else []
        if clashing:
            raise LinkedDataError(f"extra documents may not replace vendored contexts: {', '.join(clashing)}")

    def __call__(self, url: str, options: dict | None = None) -> dict:
        documents = vendored_contexts()
        document = self.extra.get(url) or documents.get(url)
        if document is None:
            raise jsonld.JsonLdError(
                f"context {url} is not vendored and will not be fetched",
                "jsonld.LoadDocumentError",
                {"url": url},
                code="loading document failed",
            )
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(document),
            # Vendored files never change while the process runs (their digests were checked
            # on loading), so pyld may reuse their processed contexts across documents instead
            # of processing the same large contexts again for every credential.
            **({"tag": "static"} if url in documents and url not in self.extra else {}),
        }


DEFAULT_LOADER = ContextLoader()


def _options(loader: ContextLoader) -> dict[str, Any]:
    return {"documentLoader": loader, "base": None}


def undefined_terms(expanded: Any) -> list[str]:
    """Properties and types of an expanded document that are not absolute vocabulary IRIs."""
    problems: list[str] = []

    def is_undefined(iri: str) -> bool:
        return ":" not in iri or iri.startswith((ISSUER_DEPENDENT_VOCAB, UNDEFINED_VOCAB))

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "@type":
                    types = value if isinstance(value, list) else [value]
                    problems.extend(f"type {t!r}" for t in types if isinstance(t, str) and is_undefined(t))
                elif not key.startswith("@") and is_undefined(key):
                    problems.append(f"property {key!r}")
                if key != "@value":
                    walk(value)

    walk(expanded)
    return problems


def canonize(document: dict, loader: ContextLoader = DEFAULT_LOADER) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document.

    :raise LinkedDataError: if a context is not vendored or a term is undefined by the
        contexts.
    """
    try:
        expanded = jsonld.expand(document, _options(loader))
        checked = _with_catch_all_vocab(document, loader)
        # When a context sets its own @vocab the check runs on the very same document, whose
        # expansion is already at hand.
        problems = undefined_terms(expanded if checked is document else jsonld.expand(checked, _options(loader)))
    except jsonld.JsonLdError as exc:
        raise LinkedDataError(f"JSON-LD expansion failed: {_explain(exc, loader)}") from exc
    if problems:
        raise LinkedDataError("terms not defined by the credential's contexts: " + ", ".join(problems))
    options = _options(loader) | {"algorithm": "URDNA2015", "format": "application/n-quads"}
    try:
        return jsonld.normalize(expanded, options)
    except jsonld.JsonLdError as exc:
        raise LinkedDataError(f"RDF canonicalization failed: {_explain(exc, loader)}") from exc


def _with_catch_all_vocab(document: dict, loader: ContextLoader) -> dict:
    """``document`` with a final catch-all ``@vocab``, unless one of its contexts sets its own
    ``@vocab`` (then every term is defined by that vocabulary and nothing can be dropped)."""
    contexts = document.get("@context", [])
    contexts = contexts if isinstance(contexts, list) else [contexts]
    for context in contexts:
        body = context if isinstance(context, dict) else (loader.extra.get(context) or vendored_contexts().get(context) or {})
        if "@vocab" in body.get("@context", body):
            return document
    return {**document, "@context": [*contexts, {"@vocab": UNDEFINED_VOCAB}]}


def _explain(exc: jsonld.JsonLdError, loader: ContextLoader) -> str:
    url = (getattr(exc, "details", None) or {}).get("url")
    if url and url not in loader.extra and url not in vendored_contexts():
        return f"context {url} is not vendored and is never fetched"
    while getattr(exc, "cause", None) is not None:
        exc = exc.cause
    return str(exc).splitlines()[0]
