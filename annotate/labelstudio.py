"""The only module that talks to the Label Studio SDK.

The SDK is generated and deeply nested; everything else in newsgold speaks our own terms
(schemas, documents, spans) and calls the functions here.
"""

from __future__ import annotations

from annotate.errors import SchemaError


def validate_config(config: str, source: str = "labeling config") -> None:
    """Validate a labeling config offline with Label Studio's own `LabelInterface`."""
    from label_studio_sdk.label_interface import LabelInterface

    try:
        interface = LabelInterface(config)
        interface.validate()
    except Exception as exc:  # the SDK raises bare Exception/LabelStudioValidationErrorSentryIgnored
        raise SchemaError(
            f"{source}: Label Studio rejects the generated config ({exc}); fix the schema"
        ) from None
