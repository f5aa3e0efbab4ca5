"""CloudWatch over the Smithy RPC v2 CBOR protocol.

The Rust SDK's `aws-sdk-cloudwatch` speaks only `smithy-rpc-v2-cbor`
(`POST /service/GraniteServiceVersion20100801/operation/<Operation>`, a
CBOR body), which CloudWatch took on in 2025; moto 5.2.5 speaks its query
and JSON protocols only, and answers that path with a 404. Here such a
request is carried over to the JSON protocol (same operation, same
members), answered by moto, and the answer carried back as CBOR, with the
error shape RPC v2 uses (`__type`). The CBOR codecs are botocore's own
(its client serializer and parser), driven by CloudWatch's service model.
"""

import io
import json

PREFIX = "/service/GraniteServiceVersion20100801/operation/"


def apply():
    import datetime

    import botocore.session
    from botocore.parsers import BaseCBORParser
    from botocore.serialize import CBORSerializer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    model = botocore.session.get_session().get_service_model("cloudwatch")

    class Decoder(BaseCBORParser):
        def __init__(self):
            super().__init__()

    class Encoder(CBORSerializer):
        # Timestamps as epoch seconds (tag 1), as RPC v2 CBOR has them.
        TIMESTAMP_FORMAT = "unixtimestamp"

        def encode(self, value, shape):
            out = bytearray()
            self._serialize_data_item(out, value, shape)
            return bytes(out)

    def decode(body):
        if not body:
            return {}
        # The parser peeks at the stream (a buffered reader can).
        return Decoder().parse_data_item(io.BufferedReader(io.BytesIO(body)))

    def to_json(value):
        if isinstance(value, datetime.datetime):
            return value.timestamp()
        if isinstance(value, (bytes, bytearray)):
            import base64

            return base64.b64encode(value).decode()
        raise TypeError(f"{type(value)} in a CBOR request")

    def from_json(value, shape):
        """JSON-protocol values as the CBOR encoder takes them."""
        if shape is None:
            return value
        if shape.type_name == "structure":
            return {
                name: from_json(value[name], shape.members[name])
                for name in shape.members
                if isinstance(value, dict) and value.get(name) is not None
            }
        if shape.type_name == "list":
            return [from_json(v, shape.member) for v in value or []]
        if shape.type_name == "map":
            return {k: from_json(v, shape.value) for k, v in (value or {}).items()}
        if shape.type_name == "timestamp":
            if isinstance(value, (int, float)):
                return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
            if isinstance(value, str):
                return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if shape.type_name == "double" or shape.type_name == "float":
            return float(value)
        return value

    original_call = DomainDispatcherApplication.__call__

    def call(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return original_call(self, environ, start_response)
        operation = path[len(PREFIX):]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        request = json.dumps(decode(body), default=to_json).encode()
        environ = dict(environ)
        environ["PATH_INFO"] = "/"
        environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        environ["HTTP_X_AMZ_TARGET"] = f"GraniteServiceVersion20100801.{operation}"
        environ["CONTENT_LENGTH"] = str(len(request))
        environ["wsgi.input"] = io.BytesIO(request)
        answered = {}

        def capture(status, headers, exc_info=None):
            answered["status"] = status
            answered["headers"] = headers

        chunks = original_call(self, environ, capture)
        try:
            answer = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        status = answered.get("status", "500 Internal Server Error")
        try:
            parsed = json.loads(answer) if answer else {}
        except ValueError:
            parsed = {"__type": "InternalFailure", "message": answer.decode(errors="replace")}
        if status.startswith("2"):
            shape = model.operation_model(operation).output_shape
            payload = Encoder().encode(from_json(parsed, shape), shape) if shape else b"\xa0"
        else:
            code = str(parsed.get("__type", "InternalFailure")).split("#")[-1]
            error = {"__type": code, "message": parsed.get("message") or parsed.get("Message", "")}
            out = bytearray(b"\xa2")
            encoder = Encoder()
            for key, value in error.items():
                encoder._serialize_type_string(out, key, None, None)
                encoder._serialize_type_string(out, str(value), None, None)
            payload = bytes(out)
        start_response(
            status,
            [
                ("Content-Type", "application/cbor"),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("Content-Length", str(len(payload))),
            ],
        )
        return [payload]

    DomainDispatcherApplication.__call__ = call
