"""`POST /api/v2/profile`: a file's profile, from the profile cache when the profiler's
current version of it is there, else from the profiler over Kafka request/reply (which
computes or reads what is stored, and caches it)."""

from litestar import Controller, post
from litestar.params import JSONBody

from textmill_contracts import ProfileRequested
from textmill_contracts.events import ProfileCompleted, ProfileFailed
from textmill_contracts.topics import TOPICS
from textmill_gateway.adapters.files import StoredFile
from textmill_gateway.context import Gateway
from textmill_gateway.domain.refusals import Refusal, not_found
from textmill_gateway.domain.requests import ProfileRequest
from textmill_gateway.domain.views import ProfileView
from textmill_gateway.openapi import problems
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_infra.replies import decode_reply


async def profile_of(gateway: Gateway, stored: StoredFile) -> ProfileCompleted:
    """The file's profile: a cache hit is answered here, built as the profiler builds its
    answer from the cache (so the two are alike), without holding a request in flight for a
    Kafka round trip; a miss is asked of the profiler."""
    cached = await gateway.profiles.current(stored.tenant, stored.sha256)
    if cached is not None:
        version, fields = cached
        return ProfileCompleted(
            correlation_id="",
            tenant=stored.tenant,
            file_id=stored.id,
            profiler_version=version,
            **fields,
        )
    reply = await gateway.replies.ask(
        gateway.publisher,
        TOPICS.profile_requested,
        lambda correlation_id, reply_to: ProfileRequested(
            correlation_id=correlation_id,
            reply_to=reply_to,
            tenant=stored.tenant,
            file_id=stored.id,
            sha256=stored.sha256,
        ),
        what="profiler",
        key=stored.id,
    )
    completed = decode_reply(reply, ProfileCompleted, ProfileFailed)
    if isinstance(completed, ProfileFailed):
        raise Refusal(completed.code, completed.detail)
    return completed


class ProfileController(Controller):
    path = "/api/v2/profile"
    tags = ["profile"]

    @post(
        status_code=200,
        summary="Column statistics and ranked text-column candidates",
        opt={"budget": "reads"},
        responses=problems(400, 404, 410, 422, 500, 504),
    )
    async def profile(
        self, data: JSONBody[ProfileRequest], gateway: GatewayDep, principal: PrincipalDep
    ) -> ProfileView:
        stored = await gateway.files.get(principal.tenant, data.file_id)
        if stored is None:
            raise not_found("file", data.file_id)
        completed = await profile_of(gateway, stored)
        return completed.model_dump(
            mode="json",
            include={
                "file_id",
                "profiler_version",
                "rows",
                "sampled_rows",
                "columns",
                "candidates",
            },
        )
