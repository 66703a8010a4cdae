"""`/api/v2/files`: upload (streamed, validated, then stored), list, read, delete."""

import asyncio

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from textmill_contracts import FileDeleted
from textmill_contracts.topics import TOPICS
from textmill_gateway.adapters.audit import AuditEntry
from textmill_gateway.adapters.files import StoredFile
from textmill_gateway.adapters.uploads import ReceivedUpload, receive_upload
from textmill_gateway.context import Gateway
from textmill_gateway.domain.pages import FILE_CURSOR, format_file_cursor, parse_file_cursor
from textmill_gateway.domain.principal import Principal
from textmill_gateway.domain.refusals import Refusal, not_found
from textmill_gateway.domain.views import FilePage, FileView
from textmill_gateway.openapi import problems
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_gateway.routes.params import Limit, cursor_param
from textmill_tabular import validate_and_index

FileCursor = cursor_param(FILE_CURSOR)


async def store_upload(
    gateway: Gateway, principal: Principal, upload: ReceivedUpload
) -> StoredFile:
    """Validate a received upload and store it (with its row index); audited. The caller
    deletes `upload.path`."""
    settings = gateway.runtime.settings
    shape, index = await asyncio.to_thread(
        validate_and_index, upload.path, upload.filename, max_columns=settings.max_columns
    )
    if not shape.columns:
        raise Refusal(
            "empty_file",
            "the file holds no table: it is empty, blank, an empty JSON array, "
            "or a workbook whose first sheet is empty",
        )
    if shape.rows * shape.columns > settings.max_cells:
        raise Refusal(
            "too_large",
            f"the file has {shape.rows * shape.columns:,} cells; "
            f"the limit is {settings.max_cells:,}",
        )
    stored = await gateway.files.save(
        upload.path,
        filename=upload.filename,
        metadata={
            "tenant": principal.tenant,
            "content_type": upload.content_type,
            "sha256": upload.sha256,
            "format": shape.dialect.format,
            "encoding": shape.dialect.encoding,
            "delimiter": shape.dialect.delimiter,
            "rows": shape.rows,
            "columns": shape.columns,
            "header": list(shape.header),
            "uploaded_by": principal.key_id,
        },
        row_index=index.to_json(),
    )
    await gateway.audit.record(
        AuditEntry(
            principal.tenant,
            principal.key_id,
            "file.uploaded",
            stored.id,
            {"filename": stored.filename, "size": stored.size, "rows": stored.rows},
        )
    )
    return stored


class FilesController(Controller):
    path = "/api/v2/files"
    tags = ["files"]

    @post(
        status_code=HTTP_201_CREATED,
        summary="Upload a tabular file (multipart field 'file')",
        opt={"role": "analyst"},
        responses=problems(400, 403, 413, 415, 422),
    )
    async def upload(
        self, request: Request, gateway: GatewayDep, principal: PrincipalDep
    ) -> FileView:
        settings = gateway.runtime.settings
        upload = await receive_upload(request, settings.max_upload_bytes, gateway.upload_dir)
        try:
            stored = await store_upload(gateway, principal, upload)
        finally:
            upload.path.unlink(missing_ok=True)
        return stored.as_dict()

    @get(summary="The tenant's files, newest first, by cursor", responses=problems(400))
    async def list_files(
        self,
        gateway: GatewayDep,
        principal: PrincipalDep,
        limit: Limit = 100,
        cursor: FileCursor = None,
    ) -> FilePage:
        after = parse_file_cursor(cursor)
        files = await gateway.files.list(principal.tenant, limit=limit + 1, after=after)
        more = len(files) > limit
        files = files[:limit]
        return {
            "items": [f.as_dict() for f in files],
            "next_cursor": format_file_cursor(files[-1].uploaded_at, files[-1].id)
            if more
            else None,
        }

    @get("/{file_id:str}", summary="One file's metadata", responses=problems(404))
    async def get_file(
        self, file_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> FileView:
        stored = await gateway.files.get(principal.tenant, file_id)
        if stored is None:
            raise not_found("file", file_id)
        return stored.as_dict()

    @delete(
        "/{file_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete a file",
        opt={"role": "analyst"},
        responses=problems(403, 404),
    )
    async def delete_file(
        self, file_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> None:
        deleted = await gateway.files.delete(principal.tenant, file_id)
        if deleted is None:
            raise not_found("file", file_id)
        event = FileDeleted(tenant=deleted.tenant, file_id=deleted.id, sha256=deleted.sha256)
        await gateway.publisher.publish(event, TOPICS.files, key=deleted.id)
        await gateway.audit.record(
            AuditEntry(principal.tenant, principal.key_id, "file.deleted", deleted.id)
        )
