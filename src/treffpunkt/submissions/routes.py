from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.openapi import errors
from treffpunkt.schemas import PathId
from treffpunkt.submissions import service
from treffpunkt.submissions.schemas import SubmissionDecline, SubmissionOut, SubmissionUpdate
from treffpunkt.submissions.tables import SubmissionStatus


class GuideSubmissionController(Controller):
    """What partners proposed for the municipality's programmes, and the decisions."""

    path = "/"
    tags = ["guide: submissions"]

    @get("/programmes/{programme_id:int}/submissions", operation_id="listSubmissions")
    async def list_submissions(
        self,
        programme_id: PathId,
        tenant: NamedDependency[Tenant],
        status: FromQuery[SubmissionStatus | None] = None,
    ) -> list[SubmissionOut]:
        """A programme's submissions, the oldest first; `status=received` is the queue."""
        return await service.list_submissions(tenant.municipality_id, programme_id, status)

    @get("/submissions/{submission_id:int}", operation_id="getSubmission")
    async def get_submission(
        self, submission_id: PathId, tenant: NamedDependency[Tenant]
    ) -> SubmissionOut:
        """One submission."""
        return await service.get_submission(tenant.municipality_id, submission_id)

    @patch(
        "/submissions/{submission_id:int}", operation_id="updateSubmission", responses=errors(409)
    )
    async def update_submission(
        self,
        submission_id: PathId,
        data: JSONBody[SubmissionUpdate],
        tenant: NamedDependency[Tenant],
    ) -> SubmissionOut:
        """Edit a waiting submission (texts, dates, languages, contact, the venue chosen)."""
        return await service.update_submission(tenant.municipality_id, submission_id, data)

    @post(
        "/submissions/{submission_id:int}/approve",
        operation_id="approveSubmission",
        status_code=HTTP_200_OK,
        responses=errors(409),
    )
    async def approve_submission(
        self, submission_id: PathId, tenant: NamedDependency[Tenant]
    ) -> SubmissionOut:
        """Make it a published event of its programme, the partner as organiser; the
        contact gets `submission_approved` with the event's page."""
        return await service.approve(tenant.municipality_id, submission_id)

    @post(
        "/submissions/{submission_id:int}/decline",
        operation_id="declineSubmission",
        status_code=HTTP_200_OK,
        responses=errors(409),
    )
    async def decline_submission(
        self,
        submission_id: PathId,
        data: JSONBody[SubmissionDecline],
        tenant: NamedDependency[Tenant],
    ) -> SubmissionOut:
        """Decline it; the contact gets `submission_declined` with the message."""
        return await service.decline(tenant.municipality_id, submission_id, data)
