"""Translated names of the media codes: attachment kinds, visibilities, story kinds and
statuses, and every refusal (lazy: rendered in the reader's language)."""
from flask_babel import lazy_gettext as _l

ATTACHMENT_KIND = {
    "brochure": _l("Brochure"), "patent_certificate": _l("Patent certificate"),
    "product_photo": _l("Product photo"), "other": _l("Other"),
}
VISIBILITY = {
    "public": _l("Public"), "after_nda": _l("After NDA"), "private": _l("Private"),
}
VISIBILITY_HELP = {
    "public": _l("Anyone who can see the listing."),
    "after_nda": _l("Your organisation, the brokers of its deals, and a counterpart whose "
                    "NDA is signed."),
    "private": _l("Only your organisation and the operators."),
}
STORY_KIND = {"story": _l("Landed project"), "exhibit": _l("Product exhibit")}
STORY_STATUS = {"draft": _l("Draft"), "published": _l("Published")}
REFUSAL = {
    "empty": _l("Choose a file: the upload is empty."),
    "too_large": _l("The file is too large (at most %(mb)s MB)."),
    "svg": _l("SVG images are not accepted: upload a PNG, JPEG or WebP image."),
    "wrong_type": _l("This file is not a PDF, PNG, JPEG or WebP file (whatever its name "
                     "says)."),
    "image_expected": _l("Upload an image here (PNG, JPEG or WebP), not a PDF."),
    "too_many_pixels": _l("The image has too many pixels (at most %(mp)s million)."),
    "damaged": _l("The image is damaged and cannot be read."),
    "kind_unknown": _l("Choose a kind from the list."),
    "visibility_unknown": _l("Choose who may see the file."),
    "title_required": _l("Give the piece a title."),
    "slug_invalid": _l("Use lowercase letters, digits and hyphens only (at most 80)."),
    "chain_unknown": _l("Choose a chain from the list."),
    "deal_not_landed": _l("A landed-project story links a deal that has landed (at the "
                          "“landed” stage or beyond, not lost)."),
    "deal_not_yours": _l("Link one of your own deals."),
    "output_not_public": _l("Link a published research output."),
    "alt_required": _l("Describe the image in a few words (alt text)."),
    "too_many_images": _l("A piece has at most %(n)d images."),
    "publish_needs_body": _l("Write the summary and the text before publishing."),
}
# The fields a refusal names (the key of a ValidationFailedError's reasons).
FIELD = {
    "file": _l("File"), "kind": _l("Kind"), "visibility": _l("Who may see it"),
    "title": _l("Title"), "slug": _l("Address name"), "chain_id": _l("Chain"),
    "deal_id": _l("Deal"), "output_id": _l("Research output"), "alt": _l("Alt text"),
    "body": _l("Text"),
}


def refusal_text(field: str, message: str) -> str:
    """Return a refusal as shown: the field's name, then why."""
    label = FIELD.get(field)
    return f"{label}: {message}" if label else message
