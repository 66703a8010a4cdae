"""`/api/v2/files`: upload (streamed, validated, then stored), list, read, delete."""

import asyncio

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from textmill_contracts import FileDeleted
from textmill_contracts.topics import TOPICS
from textmill_gateway.adapters.uploads import receive_upload
from textmill_gateway.domain.refusals import Refusal, not_found
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_tabular import validate_and_index


class FilesController(Controller):
    path = "/api/v2/files"
    tags = ["files"]

    @post(status_code=HTTP_201_CREATED, summary="Upload a tabular file (multipart field 'file')")
    async def upload(self, request: Request, gateway: GatewayDep, principal: PrincipalDep) -> dict:
        principal.require("analyst")
        settings = gateway.runtime.settings
        upload = await receive_upload(request, settings.max_upload_bytes, gateway.upload_dir)
        try:
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
        finally:
            upload.path.unlink(missing_ok=True)
        return stored.as_dict()

    @get(summary="List the tenant's files, newest first")
    async def list_files(self, gateway: GatewayDep, principal: PrincipalDep) -> dict:
        files = await gateway.files.list(principal.tenant)
        return {"items": [f.as_dict() for f in files]}

    @get("/{file_id:str}", summary="One file's metadata")
    async def get_file(
        self, file_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> dict:
        stored = await gateway.files.get(principal.tenant, file_id)
        if stored is None:
            raise not_found("file", file_id)
        return stored.as_dict()

    @delete("/{file_id:str}", status_code=HTTP_204_NO_CONTENT, summary="Delete a file")
    async def delete_file(
        self, file_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> None:
        principal.require("analyst")
        deleted = await gateway.files.delete(principal.tenant, file_id)
        if deleted is None:
            raise not_found("file", file_id)
        event = FileDeleted(tenant=deleted.tenant, file_id=deleted.id, sha256=deleted.sha256)
        await gateway.publisher.publish(event, TOPICS.files, key=deleted.id)
