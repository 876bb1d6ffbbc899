"""Media: uploads, the library, and image renditions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app import surrogate
from app.config import Settings
from app.db import Database
from app.deps import (
    CursorQuery,
    DbDep,
    EditorKey,
    IfMatch,
    LimitDep,
    OptionalKey,
    SessionDep,
    SettingsDep,
    WriterKey,
    WriteSessionDep,
    sees_drafts,
    sees_embargo,
)
from app.errors import (
    ContentTooLarge,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
    field_error,
)
from app.models import ApiKey, Media
from app.responses import etag_matches, json_response, page_links
from app.routers.present import presenter
from app.schemas.common import problem_responses
from app.schemas.media import MediaList, MediaRead, MediaUpdate, MediaUploadFields
from app.services import audit as audit_service
from app.services import events as event_service
from app.services import imaging
from app.services import media as media_service
from app.services import preview as preview_service
from app.services.media import Upload
from app.services.storage import Storage
from app.uploads import receive_upload

router = APIRouter(prefix="/v1/media", tags=["media"])

MediaId = Annotated[str, Path(max_length=32, description="The media item's id.")]
IMMUTABLE = "public, max-age=31536000, immutable"

_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "JPEG, PNG, WebP or GIF (AVIF where supported). The "
                        "type is read from the bytes; SVG is refused.",
                    },
                    "lang": {"type": "string", "description": "Language of the texts below."},
                    "caption": {"type": "string", "maxLength": 2000},
                    "credit": {"type": "string", "maxLength": 500},
                    "alt": {"type": "string", "maxLength": 1000},
                    "archive": {"type": "boolean"},
                    "focal_x": {"type": "number", "minimum": 0, "maximum": 1},
                    "focal_y": {"type": "number", "minimum": 0, "maximum": 1},
                    "source_url": {"type": "string", "format": "uri"},
                },
            },
        }
    },
}


def _storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


PreviewQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="A preview token (see `POST /v1/articles/{id}/preview`): shows the images "
        "that article uses, drafts included; the response is `private, no-store`.",
    ),
]


def _visible(
    session: Session, settings: Settings, key: ApiKey | None, media_id: str, preview: str | None
) -> Media:
    """The item if this caller may see it: a newsroom key sees every item; a preview token,
    the items its article uses; a partner granted the embargo, embargoed articles' items too;
    anyone else, the items in public use."""
    if preview is not None and not sees_drafts(key):
        grant = preview_service.verify(session, settings, preview)
        media = media_service.get_media_for_preview(
            session, media_id=media_id, article_id=grant.article_id
        )
        if media is None:
            raise NotFound(f"The previewed article does not show a media item «{media_id}».")
        return media
    return _found(session, media_id, public=not sees_drafts(key), embargo=sees_embargo(key))


def _found(session: Session, media_id: str, *, public: bool, embargo: bool = False) -> Media:
    media = media_service.get_media(session, media_id=media_id, public=public, embargo=embargo)
    if media is None:
        raise NotFound(f"No media item has the id «{media_id}».")
    return media


def _read(request: Request, settings: Settings, media: Media, **kwargs: object) -> Response:
    read = presenter(settings).media(media)
    return json_response(
        request,
        settings,
        read,
        version=media.version,
        last_modified=media.updated_at,
        keys=surrogate.media_keys([read]),
        **kwargs,  # type: ignore[arg-type]
    )


@router.get(
    "",
    response_model=MediaList,
    summary="List media",
    responses=problem_responses(304, 400, 401, 422),
)
def list_media(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    limit: LimitDep,
    cursor: CursorQuery = None,
) -> Response:
    """Newest first. Without a newsroom key (admin, editor, writer), only media that published
    articles or authors show."""
    rows, next_cursor = media_service.list_media(
        session, public=not sees_drafts(key), cursor=cursor, limit=limit
    )
    view = presenter(settings)
    links, headers = page_links(request, settings, next_cursor)
    page = MediaList(items=[view.media(m) for m in rows], next_cursor=next_cursor, links=links)
    return json_response(
        request,
        settings,
        page,
        public=key is None,
        headers=headers,
        keys=surrogate.media_keys(page.items),
    )


@router.get(
    "/{media_id}",
    response_model=MediaRead,
    summary="Get a media item",
    responses=problem_responses(304, 401, 404, 422),
)
def get_media(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    media_id: MediaId,
    preview: PreviewQuery = None,
) -> Response:
    media = _visible(session, settings, key, media_id, preview)
    return _read(request, settings, media, public=key is None and preview is None)


@router.get(
    "/{media_id}/image",
    response_class=Response,
    summary="Get a rendition of an image",
    responses={
        200: {
            "description": "The image.",
            "content": {"image/jpeg": {}, "image/webp": {}, "image/avif": {}},
        },
        **problem_responses(304, 401, 404, 422),
    },
)
def get_image(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    media_id: MediaId,
    w: Annotated[
        int | None,
        Query(ge=1, le=imaging.WIDTHS[-1], description="Width; snaps up to the width ladder."),
    ] = None,
    h: Annotated[
        int | None,
        Query(ge=1, le=imaging.WIDTHS[-1] * 3, description="Height (with w): crop or fit box."),
    ] = None,
    fit: Annotated[Literal["cover", "contain"], Query(description="With h.")] = "cover",
    fmt: Annotated[
        Literal["jpeg", "webp", "avif"] | None,
        Query(description="Default: jpeg for JPEG originals, else webp."),
    ] = None,
    q: Annotated[int | None, Query(ge=1, le=100, description="Quality; snaps to steps.")] = None,
    v: Annotated[
        str | None,
        Query(max_length=16, description="Version token from the API's URLs (keeps caching safe)."),
    ] = None,
    preview: PreviewQuery = None,
) -> Response:
    """Resized on first request (cropped around the focal point with `fit=cover`), then served
    from the disk cache. Widths snap to a fixed ladder and never exceed the original's; aspect
    ratios snap to common ones. URLs the API hands out carry `v` and may be cached for a year."""
    media = _visible(session, settings, key, media_id, preview)
    session.close()
    try:
        plan = imaging.plan_rendition(
            width=w,
            height=h,
            fit=fit,
            fmt=fmt,
            quality=q,
            source_width=media.width,
            source_height=media.height,
            source_format=media.format,
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors=[field_error(["query"], str(exc))]) from exc
    name = plan.name((media.focal_x, media.focal_y)).rsplit(".", 1)[0]
    return _image(
        request,
        settings,
        key is not None or preview is not None,
        media,
        v,
        variant=f"{name}-{plan.format}",
        mime=plan.mime,
        load=lambda: media_service.rendition_bytes(_storage(request), media, plan),
    )


@router.get(
    "/{media_id}/original",
    response_class=Response,
    summary="Get the stored original",
    responses={
        200: {"description": "The original, metadata stripped.", "content": {"image/*": {}}},
        **problem_responses(304, 401, 404, 422),
    },
)
def get_original(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    media_id: MediaId,
    v: Annotated[str | None, Query(max_length=16, description="Version token.")] = None,
    preview: PreviewQuery = None,
) -> Response:
    """The image as stored: orientation applied, EXIF/XMP removed, animation kept."""
    media = _visible(session, settings, key, media_id, preview)
    return _image(
        request,
        settings,
        key is not None or preview is not None,
        media,
        v,
        variant="original",
        mime=media.mime,
        load=lambda: _storage(request).get_bytes(media.storage_key),
    )


def _image(
    request: Request,
    settings: Settings,
    private: bool,
    media: Media,
    v: str | None,
    *,
    variant: str,
    mime: str,
    load: Callable[[], bytes],
) -> Response:
    """Image bytes with their caching headers; ``load`` runs only when there is no 304."""
    token = media_service.rendition_token(media)
    etag = f'"{token}-{variant}"'
    headers = {
        "ETag": etag,
        "Cache-Control": _image_cache_control(settings, private, v == token),
        "X-Content-Type-Options": "nosniff",
    }
    if not private:
        headers["Surrogate-Key"] = surrogate.header([surrogate.media_key(media.public_id)])
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(load(), media_type=mime, headers=headers)


def _image_cache_control(settings: Settings, private: bool, current: bool) -> str:
    if private:
        # Fetched with a key (a partner's too: its reads are its own) or a preview token, it
        # may be an image no one else may see yet.
        return "private, no-store"
    if current:
        return IMMUTABLE
    return f"public, max-age={settings.cache_max_age}, s-maxage={settings.cache_s_maxage}"


@router.post(
    "",
    response_model=MediaRead,
    status_code=201,
    summary="Upload an image",
    responses={
        200: {
            "model": MediaRead,
            "description": "The same bytes were uploaded before: the existing item.",
        },
        **problem_responses(400, 401, 403, 413, 415, 422),
    },
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def upload_media(
    request: Request, settings: SettingsDep, db: DbDep, key: WriterKey
) -> Response:
    """`curl -H "Authorization: Bearer $KEY" -F file=@photo.jpg -F caption=… /v1/media`.

    The type is decided by decoding the bytes. EXIF (GPS included) is removed and the
    orientation applied. Uploading the same bytes again returns the existing item with 200."""
    storage = _storage(request)
    upload, fields = await receive_upload(
        request, scratch=storage.scratch, max_bytes=settings.media_max_bytes
    )
    try:
        metadata = _upload_fields(fields)
        media, created = await run_in_threadpool(
            _store, db, storage, settings, upload, metadata, key
        )
    finally:
        upload.path.unlink(missing_ok=True)
    headers = {"Location": presenter(settings).media_url(media.public_id)}
    return _read(
        request, settings, media, public=False, status_code=201 if created else 200, headers=headers
    )


def _upload_fields(fields: dict[str, str]) -> dict[str, object]:
    try:
        parsed = MediaUploadFields.model_validate(
            {name: value for name, value in fields.items() if value != ""}
        )
    except ValidationError as exc:
        errors = [field_error(["body", *e["loc"]], e["msg"], e["type"]) for e in exc.errors()]
        raise ValidationFailed("The form fields are not valid.", errors=errors) from exc
    return parsed.model_dump(exclude_unset=True)


def _store(
    db: Database,
    storage: Storage,
    settings: Settings,
    upload: Upload,
    metadata: dict[str, object],
    key: ApiKey,
) -> tuple[Media, bool]:
    with db.session(write=True) as session:
        try:
            media, created = media_service.create_media(
                session,
                storage=storage,
                upload=upload,
                metadata=metadata,
                key=key,
                max_pixels=settings.media_max_pixels,
                default_lang=settings.default_language,
            )
        except imaging.ImageRejected as exc:
            if exc.status == 415:
                raise UnsupportedMediaType(exc.detail) from exc
            raise _rejected(exc) from exc
        if created:  # not when the same bytes were there already
            audit_service.record(
                session,
                key=key,
                action="media.create",
                item_type="media",
                item_id=media.public_id,
                version=media.version,
            )
            event_service.media_changed(session, media, action="created")
        try:
            session.commit()
        except BaseException:
            if created:
                storage.delete_prefix(media.storage_key)
            raise
        return media, created


def _rejected(exc: imaging.ImageRejected) -> Exception:
    if exc.status == 413:
        return ContentTooLarge(exc.detail)
    return ValidationFailed(exc.detail, errors=[field_error(["body", "file"], exc.detail)])


@router.patch(
    "/{media_id}",
    response_model=MediaRead,
    summary="Update a media item's metadata",
    responses=problem_responses(401, 403, 404, 412, 422),
)
def update_media(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: WriterKey,
    media_id: MediaId,
    changes: MediaUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Caption, credit and alt merge per language. A new focal point changes the crops (and the
    `v` token in rendition URLs, so caches pick them up)."""
    media = _found(session, media_id, public=False)
    fields = changes.model_dump(exclude_unset=True)
    media_service.update_media(session, media=media, changes=fields, if_match=if_match, key=key)
    audit_service.record(
        session,
        key=key,
        action="media.update",
        item_type="media",
        item_id=media.public_id,
        version=media.version,
        detail=audit_service.update_detail(fields),
    )
    event_service.media_changed(session, media, action="updated")
    session.commit()
    return _read(request, settings, media, public=False)


@router.delete(
    "/{media_id}",
    status_code=204,
    summary="Delete a media item",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def delete_media(
    request: Request,
    session: WriteSessionDep,
    key: EditorKey,
    media_id: MediaId,
    if_match: IfMatch = None,
) -> Response:
    """Refused (409) while a published article or an author shows it. Drafts that use it lose
    the image."""
    media = _found(session, media_id, public=False)
    version = media.version
    prefixes = media_service.delete_media(session, media=media, if_match=if_match, key=key)
    audit_service.record(
        session,
        key=key,
        action="media.delete",
        item_type="media",
        item_id=media.public_id,
        version=version,
    )
    event_service.media_changed(session, media, action="deleted")
    session.commit()
    storage = _storage(request)
    for prefix in prefixes:
        storage.delete_prefix(prefix)
    return Response(status_code=204)
