"""Open Badges 3.0 ``OpenBadgeCredential`` documents for proficiency certificates, and the
issuer profile that publishes the key they are signed with.

The facts a certificate states (who, which competency, which level, when, by whom) arrive as a
:class:`CertificateFacts`; everything that depends on where the service runs (URLs) comes from
an :class:`IssuerIdentity`. Nothing here touches the database or Flask, so batch jobs and the
offline verifier can use it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import status_list
from .data_integrity import sign, xsd_datetime
from .linked_data import CREDENTIALS_V2, DID_V1, MULTIKEY_V1, OPEN_BADGES_V3
from .multikey import public_key_multibase

CREDENTIAL_CONTEXT = [CREDENTIALS_V2, OPEN_BADGES_V3]
# did/v1 first: Digital Bazaar's proof-purpose check reads a controller document whose first
# context is did/v1 as plain JSON instead of JSON-LD-framing it against security/v2.
PROFILE_CONTEXT = [DID_V1, MULTIKEY_V1, CREDENTIALS_V2, OPEN_BADGES_V3]


@dataclass(frozen=True)
class IssuerIdentity:
    """Where the service lives: its public base URL and display name."""

    base_url: str
    name: str

    def __post_init__(self):
        if not re.match(r"^https?://[^/]+", self.base_url or ""):
            raise ValueError(f"issuer base URL must be an absolute http(s) URL, got {self.base_url!r}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def profile_url(self) -> str:
        return f"{self.base_url}/certificates/issuer"

    def verification_method(self, public_key: Ed25519PublicKey) -> str:
        return f"{self.profile_url}#{public_key_multibase(public_key)}"

    def status_list_url(self, list_number: int) -> str:
        return f"{self.base_url}/certificates/status/{list_number}"

    def verify_url(self, public_id: str) -> str:
        return f"{self.base_url}/verify/{public_id}"

    def achievement_url(self, competency_code: str, level: int) -> str:
        return f"{self.base_url}/certificates/achievements/{competency_code}/level-{level}"


@dataclass(frozen=True)
class CertificateFacts:
    """What one certificate states. ``public_id`` is the 32-hex-digit random identifier."""

    public_id: str
    serial: str
    official_name: str
    official_name_hi: str | None
    email: str
    identity_salt: str
    competency_code: str
    competency_name: str
    level: int
    level_label: str
    level_descriptor: str
    agency_name: str
    assessed_at: datetime
    issued_at: datetime
    status_list_number: int
    status_list_index: int
    # Probability that the holder's true level is ``level`` or higher (None: not recorded).
    decision_confidence: float | None = None
    # Hindi names shown on the PDF beside the English ones (None: the dictionary has none).
    competency_name_hi: str | None = None
    level_label_hi: str | None = None
    agency_name_hi: str | None = None

    def __post_init__(self):
        if not re.fullmatch(r"[0-9a-f]{32}", self.public_id):
            raise ValueError(f"public_id must be 32 lowercase hex digits, got {self.public_id!r}")
        if not 1 <= self.level <= 5:
            raise ValueError(f"proficiency level must be 1..5, got {self.level}")
        if self.decision_confidence is not None and not 0.0 <= self.decision_confidence <= 1.0:
            raise ValueError(f"decision confidence must be between 0 and 1, got {self.decision_confidence}")


def confidence_percent(confidence: float) -> int:
    """A probability as a whole per cent, never rounded up to a certainty it is not."""
    return 100 if confidence >= 1 else min(int(round(100 * confidence)), 99)


def confidence_sentence(facts: CertificateFacts) -> str | None:
    """The decision confidence in plain words, or None when none was recorded."""
    if facts.decision_confidence is None:
        return None
    return (f"We are {confidence_percent(facts.decision_confidence)}% confident that the holder's level is "
            f"level {facts.level} ({facts.level_label}) or higher.")


def identity_hash(email: str, salt: str) -> str:
    """OB 3.0 ``identityHash`` of an e-mail address: ``sha256$`` + hex(SHA-256(email + salt)).

    The address is trimmed and lower-cased first so that the holder can reproduce the hash
    from the address as they know it.
    """
    normalised = email.strip().lower()
    return "sha256$" + hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()


def achievement_name(facts: CertificateFacts) -> str:
    return f"{facts.competency_name}: proficiency level {facts.level} ({facts.level_label})"


def unsigned_credential(facts: CertificateFacts, issuer: IssuerIdentity) -> dict:
    """The credential document before its proof."""
    achievement_id = issuer.achievement_url(facts.competency_code, facts.level)
    level_id = f"{achievement_id}#level"
    result_description_id = f"{achievement_id}#result"
    confidence_description_id = f"{achievement_id}#decision-confidence"
    list_url = issuer.status_list_url(facts.status_list_number)
    confidence = facts.decision_confidence is not None
    narrative = (
        f"Assessed in a proctored assessment of the competency "
        f"{facts.competency_name} ({facts.competency_code}) by {facts.agency_name}, "
        f"with an ability estimate at or above the cut score of proficiency level "
        f"{facts.level} ({facts.level_label})."
    )
    if confidence:
        narrative += " " + confidence_sentence(facts)
    # Only terms the OB 3.0 context defines (ResultDescription: resultType, valueMin, valueMax;
    # Result: value): an undefined term would silently change what the signature covers.
    confidence_descriptions = [{
        "id": confidence_description_id,
        "type": ["ResultDescription"],
        "name": "Decision confidence: probability in per cent that the true level is this level or higher",
        "resultType": "Percent",
        "valueMin": "0",
        "valueMax": "100",
    }] if confidence else []
    confidence_results = [{
        "type": ["Result"], "resultDescription": confidence_description_id,
        "value": str(confidence_percent(facts.decision_confidence)),
    }] if confidence else []
    return {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": uuid.UUID(hex=facts.public_id).urn,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement_name(facts),
        "issuer": {"id": issuer.profile_url, "type": ["Profile"], "name": issuer.name, "url": issuer.base_url},
        "validFrom": xsd_datetime(facts.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(facts.email, facts.identity_salt),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": facts.identity_salt,
                }
            ],
            "activityEndDate": xsd_datetime(facts.assessed_at),
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "Competency",
                "humanCode": facts.competency_code,
                "name": achievement_name(facts),
                "description": facts.level_descriptor,
                "criteria": {"narrative": narrative},
                "creator": {"id": f"urn:piaa:agency:{_slug(facts.agency_name)}", "type": ["Profile"], "name": facts.agency_name},
                "resultDescription": [
                    {
                        "id": result_description_id,
                        "type": ["ResultDescription"],
                        "name": "Proficiency level",
                        "resultType": "RubricCriterionLevel",
                        "rubricCriterionLevel": [
                            {
                                "id": level_id,
                                "type": ["RubricCriterionLevel"],
                                "name": f"Level {facts.level}: {facts.level_label}",
                                "description": facts.level_descriptor,
                                "level": str(facts.level),
                            }
                        ],
                    },
                    *confidence_descriptions,
                ],
            },
            "result": [
                {"type": ["Result"], "resultDescription": result_description_id, "achievedLevel": level_id},
                *confidence_results,
            ],
        },
        "credentialStatus": status_list.status_entry(list_url, facts.status_list_index),
    }


def signed_credential(facts: CertificateFacts, issuer: IssuerIdentity, key: Ed25519PrivateKey) -> dict:
    """The credential with its eddsa-rdfc-2022 proof, created at the issue time."""
    return sign(
        unsigned_credential(facts, issuer),
        key,
        verification_method=issuer.verification_method(key.public_key()),
        created=facts.issued_at,
    )


def issuer_profile(issuer: IssuerIdentity, public_key: Ed25519PublicKey) -> dict:
    """The issuer's Profile, which is also the controller document of its Multikey."""
    method_id = issuer.verification_method(public_key)
    return {
        "@context": list(PROFILE_CONTEXT),
        "id": issuer.profile_url,
        "type": "Profile",
        "name": issuer.name,
        "url": issuer.base_url,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": issuer.profile_url,
                "publicKeyMultibase": public_key_multibase(public_key),
            }
        ],
        "assertionMethod": [method_id],
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "agency"
