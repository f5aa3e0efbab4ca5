"""S3: the `aws:SecureTransport` condition of bucket policies, and the XML of
GetBucketVersioning.

moto evaluates bucket policies on object requests (PutObject, GetObject,
DeleteObject, the keys of DeleteObjects) but knows no `Bool` condition:
it ignores the condition and applies the statement anyway. A policy that
refuses requests without TLS (`Deny s3:*` when `aws:SecureTransport` is
`false`, which every `swarm_bucket` has) then refuses every object request,
over TLS or not, and a bucket can neither be written nor emptied.

Here `aws:SecureTransport` is evaluated for the request at hand. The
emulator listens on plain HTTP on loopback, standing in for AWS's HTTPS
endpoints, which every SDK uses: a request counts as made over TLS unless
it carries `X-Forwarded-Proto: http`, as a TLS-terminating proxy in front
of the emulator reports a plain-HTTP client. The bucket test sends that
header to show that such a request is refused.
"""

import json
import threading

_request = threading.local()

_CONDITION_KEY = "aws:securetransport"
_BOOL_OPERATORS = ("bool", "boolifexists")


def _secure() -> bool:
    return getattr(_request, "secure", True)


def _values(value):
    items = value if isinstance(value, list) else [value]
    return [str(v).lower() for v in items]


def _split_condition(condition):
    """The statement's aws:SecureTransport tests (operator, expected values),
    and the rest of its condition block."""
    tests = []
    rest = {}
    for operator, entries in (condition or {}).items():
        kept = {}
        for key, expected in entries.items():
            if operator.lower() in _BOOL_OPERATORS and key.lower() == _CONDITION_KEY:
                tests.append(_values(expected))
            else:
                kept[key] = expected
        if kept:
            rest[operator] = kept
    return tests, rest


def apply():
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3 import models, responses

    original_setup_class = responses.S3Response.setup_class

    def setup_class(self, request, full_url=None, headers=None):
        proto = request.headers.get("X-Forwarded-Proto", "https")
        _request.secure = proto.lower() != "http"
        return original_setup_class(self, request, full_url, headers)

    responses.S3Response.setup_class = setup_class

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        statements = policy.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        actual = "true" if _secure() else "false"
        permitted = False
        for statement in statements:
            tests, rest = _split_condition(statement.get("Condition"))
            if tests:
                # A statement whose condition does not hold does not apply.
                if not all(actual in expected for expected in tests):
                    continue
                statement = dict(statement)
                if rest:
                    statement["Condition"] = rest
                else:
                    statement.pop("Condition", None)
            # Everything else as moto evaluates it.
            result = IAMPolicyStatement(statement).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            if result == PermissionResult.PERMITTED:
                permitted = True
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    models.FakeBucket.get_permission = get_permission

    # GetBucketVersioning: moto's serializer names the XML root
    # `GetBucketVersioningResponse`; S3's is `VersioningConfiguration`
    # (boto3 reads either, the Rust SDK only the latter).
    def get_bucket_versioning(self):
        status = self.backend.get_bucket_versioning(self.bucket_name)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            + (f"<Status>{status}</Status>" if status else "")
            + "</VersioningConfiguration>"
        )
        return 200, {"Content-Type": "application/xml"}, body

    responses.S3Response.get_bucket_versioning = get_bucket_versioning
